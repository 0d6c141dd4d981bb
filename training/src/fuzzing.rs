//! The properties the fuzz targets (`fuzz/`) check, shared with the tests
//! that replay their corpora and crashes (`tests/fuzz_regressions.rs`), so
//! a fuzzer finding and its regression test run the same code. Each panics
//! when the property fails; an input the product refuses with an error is
//! fine. Allocate: never on the audio thread.

use std::path::{Path, PathBuf};

use crate::audio_file::read_audio_bytes;
use ddsp_model::checkpoint::{checkpoint_bytes, parse_checkpoint};

/// A checkpoint file's bytes either are refused with an error, or give a
/// checkpoint whose decoder builds and which writes back out to bytes that
/// load to the same metadata.
pub fn checkpoint_round_trip(bytes: &[u8]) {
    let Ok(checkpoint) = parse_checkpoint(bytes) else { return };
    checkpoint.decoder().expect("a validated checkpoint builds its decoder");
    let written = checkpoint_bytes(&checkpoint).expect("a validated checkpoint writes out");
    let reread = parse_checkpoint(&written).expect("a written checkpoint loads");
    assert_eq!(reread.info, checkpoint.info);
    assert_eq!(reread.reverb_ir, checkpoint.reverb_ir);
}

/// Extensions `ddsp` reads audio under (each a different format hint).
pub const AUDIO_EXTENSIONS: [&str; 5] = ["wav", "flac", "mp3", "ogg", "bin"];

/// An audio file's bytes, under the extension `bytes[0]` picks, either
/// are refused with an error or decode to a clip with a positive rate and
/// one or more equally long channels.
pub fn audio_file_decodes(bytes: &[u8]) {
    let Some((&pick, contents)) = bytes.split_first() else { return };
    let name = format!("fuzz.{}", AUDIO_EXTENSIONS[pick as usize % AUDIO_EXTENSIONS.len()]);
    let Ok(clip) = read_audio_bytes(contents.to_vec(), Path::new(&name)) else { return };
    assert!(clip.sample_rate_hz > 0);
    assert!(!clip.channels.is_empty());
    assert!(clip.channels.iter().all(|channel| channel.len() == clip.channels[0].len()));
}

/// Every input kept for fuzz target `target` in this source tree: its
/// minimised corpus (`fuzz/corpus/<target>/`) and its crashes
/// (`fuzz/regressions/<target>/`), sorted by path, with their bytes.
pub fn kept_inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut inputs = Vec::new();
    for kind in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(kind).join(target)) else { continue };
        for path in entries.flatten().map(|entry| entry.path()).filter(|path| path.is_file()) {
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            inputs.push((path, bytes));
        }
    }
    inputs.sort();
    inputs
}
