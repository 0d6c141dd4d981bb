//! Replays the plugin-state fuzz target's corpus and every crash it found
//! (`fuzz/corpus/plugin_state/`, `fuzz/regressions/plugin_state/`)
//! through the built plugin in a CLAP host: any kept input is refused or
//! loads, and a loaded state saves, loads and saves again to the same
//! bytes (the fuzz target's property, `fuzz/fuzz_targets/plugin_state.rs`).

mod host;

use ddsp_training::fuzzing::kept_inputs;
use host::Plugin;

#[test]
fn plugin_state_corpus_and_regressions_replay() {
    let inputs = kept_inputs("plugin_state");
    assert!(!inputs.is_empty(), "no kept plugin-state inputs");
    for (path, bytes) in &inputs {
        let mut first = Plugin::new();
        if !first.try_load_state(bytes) {
            continue;
        }
        let saved = first.save_state();
        let mut second = Plugin::new();
        assert!(second.try_load_state(&saved), "{}: a saved state does not load", path.display());
        assert_eq!(second.save_state(), saved, "{}: save → load → save changed the state", path.display());
    }
    println!("{} inputs replayed", inputs.len());
}
