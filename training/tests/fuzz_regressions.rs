//! Replays the fuzz targets' corpora and every crash they found
//! (`fuzz/corpus/<target>/`, `fuzz/regressions/<target>/`) through the
//! same properties the fuzzers check (`ddsp_training::fuzzing`), so a finding
//! stays fixed. `write_fuzz_seeds` makes the small seed inputs the corpora
//! started from.

use std::path::{Path, PathBuf};

use ddsp_model::checkpoint::{checkpoint_bytes, Checkpoint, CheckpointInfo};
use ddsp_model::config::DecoderConfig;
use ddsp_training::audio_file::{read_audio_bytes, write_wav, AudioClip, AudioFileError};
use ddsp_training::fuzzing::{audio_file_decodes, checkpoint_round_trip, kept_inputs, AUDIO_EXTENSIONS};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn replay(target: &str, property: fn(&[u8])) {
    let inputs = kept_inputs(target);
    assert!(!inputs.is_empty(), "no kept inputs for {target}");
    for (path, bytes) in &inputs {
        if std::panic::catch_unwind(|| property(bytes)).is_err() {
            panic!("{}: the property fails again", path.display());
        }
    }
    println!("{target}: {} inputs replayed", inputs.len());
}

#[test]
fn checkpoint_corpus_and_regressions_replay() {
    replay("checkpoint", checkpoint_round_trip);
}

#[test]
fn audio_file_corpus_and_regressions_replay() {
    replay("audio_file", audio_file_decodes);
}

/// Matroska/WebM is not a format `ddsp` reads, so its reader is not built
/// in: fuzzing found an element size that made it allocate exabytes and
/// abort the process in release builds. Such a file is refused at the
/// probe.
#[test]
fn matroska_is_refused_at_the_probe() {
    let finding = fuzz_dir().join("regressions/audio_file/crash-17a161bfd834331bb249b240b78b7e626df1f226");
    let bytes = std::fs::read(finding).unwrap();
    let error = read_audio_bytes(bytes[1..].to_vec(), Path::new("finding.ogg")).unwrap_err();
    assert!(matches!(error, AudioFileError::Unsupported { .. }), "{error}");
    assert!(error.to_string().contains("not a recognised audio format"), "{error}");
}

/// Writes the seed inputs: a tiny checkpoint (with and without a reverb)
/// and short WAV files under every format hint.
/// `cargo test -p ddsp-training --test fuzz_regressions -- --ignored write_fuzz_seeds`
#[test]
#[ignore = "writes the fuzz seeds; see the doc comment"]
fn write_fuzz_seeds() {
    let checkpoints = fuzz_dir().join("corpus/checkpoint");
    std::fs::create_dir_all(&checkpoints).unwrap();
    let config = DecoderConfig {
        mlp_units: 4,
        mlp_layers: 1,
        gru_units: 4,
        num_harmonics: 3,
        num_noise_bands: 2,
        ..DecoderConfig::small_size()
    };
    let mut checkpoint = Checkpoint::initialised(CheckpointInfo::untrained(config), 1).unwrap();
    std::fs::write(checkpoints.join("seed-tiny"), checkpoint_bytes(&checkpoint).unwrap()).unwrap();
    checkpoint.reverb_ir = vec![1.0, 0.5, 0.25, 0.125];
    std::fs::write(checkpoints.join("seed-tiny-reverb"), checkpoint_bytes(&checkpoint).unwrap()).unwrap();

    let audio = fuzz_dir().join("corpus/audio_file");
    std::fs::create_dir_all(&audio).unwrap();
    let temporary = std::env::temp_dir().join(format!("ddsp-fuzz-seed-{}.wav", std::process::id()));
    for (channels, rate) in [(1usize, 8_000u32), (2, 48_000)] {
        let clip = AudioClip {
            channels: (0..channels).map(|c| (0..64).map(|n| ((n * (c + 1)) as f32 * 0.1).sin()).collect()).collect(),
            sample_rate_hz: rate,
        };
        write_wav(&temporary, &clip).unwrap();
        let wav = std::fs::read(&temporary).unwrap();
        // The first byte picks the format hint (`AUDIO_EXTENSIONS`).
        let mut input = vec![0u8];
        input.extend(wav);
        std::fs::write(audio.join(format!("seed-{channels}ch-{rate}.{}", AUDIO_EXTENSIONS[0])), input).unwrap();
    }
    let _ = std::fs::remove_file(temporary);
}
