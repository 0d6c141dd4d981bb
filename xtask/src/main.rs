//! Project chores, run as `cargo xtask …`:
//! - `cargo xtask bundle -p ddsp-plugin -p ddsp-synth --release`: the effect's
//!   and the synth's VST3 and CLAP bundles in
//!   `target/bundled/`, through nice-plug's own bundler;
//! - `cargo xtask example-input`: regenerates `assets/examples/melody.wav`;
//! - `cargo xtask instrument-audio [NAME…]`: writes the default
//!   instruments' (or those named) MIDI phrases and renders their training
//!   and validation audio into `target/instrument-data/NAME/`;
//! - `cargo xtask default-instruments [NAME…]`: all of the above, then
//!   trains every default instrument (or those named) with `ddsp train`,
//!   evaluates it on its held-out audio with `ddsp eval`, and copies the
//!   model, its loss curve and its numbers into `assets/instruments/`;
//! - `cargo xtask eval-instruments [--models DIR] [NAME…]`: scores every
//!   shipped instrument (or those named) on held-out melodies through three
//!   SoundFonts and writes the table into `assets/instruments/README.md`;
//!   with `--models`, scores the checkpoints `DIR/NAME.safetensors` instead
//!   (a retrained set before it ships) and only prints the table;
//! - `cargo xtask eval-pitch [REPORT] [NAME…]`: scores the live pitch
//!   tracker and pYIN on held-out melodies of eleven instruments and on
//!   synthesized voice, and writes the tables into `docs/pitch.md` (or
//!   REPORT); with names (instruments or `voice`), scores those only and
//!   prints the tables. Ours' frames, one CSV per clip, are left in
//!   `target/eval-pitch/` to look into misses.

mod default_instruments;
mod eval_instruments;
mod eval_pitch;
mod example_input;
mod held_out_excerpt;
mod phrases;
mod recorded_note;
mod soundfont;
mod voice;

use std::path::Path;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("example-input") => {
            example_input::write(Path::new(example_input::PATH))?;
            println!("wrote {}", example_input::PATH);
            Ok(())
        }
        Some("instrument-audio") => {
            let only: Vec<String> = args.collect();
            for spec in phrases::default_instruments_named(&only) {
                let paths = render_instrument_audio(spec)?;
                println!("{}: {} and {}", spec.name, paths.0.display(), paths.1.display());
            }
            Ok(())
        }
        Some("eval-instruments") => eval_instruments::eval_instruments(&eval_instruments::EvalArgs::parse(args)?),
        Some("eval-pitch") => eval_pitch::eval_pitch(&eval_pitch::EvalPitchArgs::parse(args)?),
        Some("default-instruments") => {
            let only: Vec<String> = args.collect();
            default_instruments::build(&only)
        }
        _ => nice_plug_xtask::main().map_err(|e| anyhow::anyhow!("{e}")),
    }
}

/// Minutes of training audio per instrument.
const TRAINING_MINUTES: f32 = 16.0;
/// Minutes of held-out validation audio per instrument.
const VALIDATION_MINUTES: f32 = 2.0;

/// Training audio (FluidR3 GM) and held-out validation audio (other
/// melodies, MuseScore General) for `spec`.
pub(crate) fn render_instrument_audio(
    spec: &phrases::InstrumentSpec,
) -> anyhow::Result<(std::path::PathBuf, std::path::PathBuf)> {
    let dir = soundfont::data_dir().join(spec.name);
    std::fs::create_dir_all(&dir)?;
    let seed = 1 + spec.gm_program as u64;
    let mut out = Vec::new();
    for (label, minutes, seed, font) in [
        ("train", TRAINING_MINUTES, seed, soundfont::TRAINING_SOUNDFONT),
        ("validation", VALIDATION_MINUTES, seed + 1000, soundfont::VALIDATION_SOUNDFONT),
    ] {
        let midi = dir.join(format!("{label}.mid"));
        let wav = dir.join(format!("{label}.wav"));
        phrases::write_phrases(spec, minutes, seed).save(&midi)?;
        soundfont::render(Path::new(font), &midi, &wav)?;
        soundfont::normalise(&wav)?;
        out.push(wav);
    }
    Ok((out.remove(0), out.remove(0)))
}
