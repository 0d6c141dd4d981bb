//! Replays the plugin-state fuzz target's corpus and every crash it found
//! (`fuzz/corpus/plugin_state/`, `fuzz/regressions/plugin_state/`)
//! through the built plugin in a CLAP host: any kept input is refused or
//! loads, and a loaded state saves, loads and saves again to the same
//! bytes (the fuzz target's property, `fuzz/fuzz_targets/plugin_state.rs`).

mod host;

use std::path::Path;

use host::Plugin;

#[test]
fn plugin_state_corpus_and_regressions_replay() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut inputs = Vec::new();
    for kind in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(kind).join("plugin_state")) else { continue };
        inputs.extend(entries.flatten().map(|entry| entry.path()).filter(|path| path.is_file()));
    }
    inputs.sort();
    assert!(!inputs.is_empty(), "no kept plugin-state inputs");
    for path in &inputs {
        let bytes = std::fs::read(path).unwrap();
        let mut first = Plugin::new();
        if !first.try_load_state(&bytes) {
            continue;
        }
        let saved = first.save_state();
        let mut second = Plugin::new();
        assert!(second.try_load_state(&saved), "{}: a saved state does not load", path.display());
        assert_eq!(second.save_state(), saved, "{}: save → load → save changed the state", path.display());
    }
    println!("{} inputs replayed", inputs.len());
}
