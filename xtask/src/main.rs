//! Project chores, run as `cargo xtask …`:
//! - `cargo xtask bundle ddsp-plugin --release`: the VST3 and CLAP bundles in
//!   `target/bundled/`, through nice-plug's own bundler;
//! - `cargo xtask example-input`: regenerates `assets/examples/melody.wav`.

mod example_input;

fn main() -> nice_plug_xtask::Result<()> {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() == Some("example-input") {
        example_input::write(std::path::Path::new(example_input::PATH))?;
        println!("wrote {}", example_input::PATH);
        return Ok(());
    }
    nice_plug_xtask::main()
}
