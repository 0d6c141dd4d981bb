//! The checkpoint format: round trip, the version-1 fixture, and one test per
//! error a musician can run into.

use std::path::{Path, PathBuf};

use candle_core::Tensor;
use ddsp_model::checkpoint::{
    checkpoint_bytes, load_checkpoint, parse_checkpoint, save_checkpoint, Checkpoint, CheckpointError, CheckpointInfo,
    DatasetStatistics, MAX_REVERB_SECONDS, REVERB_IR_TENSOR,
};
use ddsp_model::config::DecoderConfig;

/// A tiny decoder, so fixtures stay a few kilobytes.
fn tiny_config() -> DecoderConfig {
    DecoderConfig {
        mlp_units: 8,
        mlp_layers: 1,
        gru_units: 8,
        num_harmonics: 6,
        num_noise_bands: 4,
        ..DecoderConfig::default_size()
    }
}

fn info(config: DecoderConfig) -> CheckpointInfo {
    CheckpointInfo {
        config,
        dataset: DatasetStatistics {
            pitch_midi_quantiles: [55.0, 67.0, 79.0],
            loudness_db_quantiles: [-45.0, -25.0, -10.0],
            pitch_midi_range: [50.0, 84.0],
            loudness_db_range: [-80.0, -2.0],
        },
        name: "Test Violin".into(),
        author: "the test suite".into(),
        created: "2026-11-21T00:00:00Z".into(),
        training_note: "untrained weights, for format tests".into(),
    }
}

fn tiny_checkpoint() -> Checkpoint {
    let mut checkpoint = Checkpoint::initialised(info(tiny_config()), 1).unwrap();
    checkpoint.reverb_ir = vec![0.0, 0.5, -0.25, 0.125];
    checkpoint
}

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ddsp-checkpoint-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Rewrites one metadata entry and re-serialises (tensors untouched).
fn with_metadata(key: &str, value: &str) -> Vec<u8> {
    let bytes = checkpoint_bytes(&tiny_checkpoint()).unwrap();
    let (_, metadata) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let mut map = metadata.metadata().clone().unwrap();
    map.insert(key.to_owned(), value.to_owned());
    let parsed = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let tensors: Vec<(String, safetensors::tensor::TensorView)> = parsed.tensors();
    safetensors::tensor::serialize(tensors, Some(map)).unwrap()
}

/// Re-serialises with the tensors changed by `edit`.
fn with_tensors(edit: impl FnOnce(&mut Vec<(String, Tensor)>)) -> Vec<u8> {
    let checkpoint = tiny_checkpoint();
    let bytes = checkpoint_bytes(&checkpoint).unwrap();
    let (_, metadata) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let mut tensors: Vec<(String, Tensor)> = checkpoint.tensors.into_iter().collect();
    edit(&mut tensors);
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    safetensors::tensor::serialize(tensors, metadata.metadata().clone()).unwrap()
}

#[test]
fn round_trip_keeps_everything() {
    let checkpoint = tiny_checkpoint();
    let path = temp_path("round_trip.safetensors");
    save_checkpoint(&path, &checkpoint).unwrap();
    let loaded = load_checkpoint(&path).unwrap();
    assert_eq!(loaded.info, checkpoint.info);
    assert_eq!(loaded.reverb_ir, checkpoint.reverb_ir);
    assert_eq!(loaded.tensors.len(), checkpoint.tensors.len());
    for (name, tensor) in &checkpoint.tensors {
        let original = tensor.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        let back = loaded.tensors[name].flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert_eq!(original, back, "{name}");
    }
    loaded.decoder().unwrap();
}

fn fixture_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format_v1_tiny.safetensors")
}

/// Format version 1 as first shipped must load forever (compatibility
/// policy in model/CHECKPOINT.md).
#[test]
fn version_1_fixture_loads() {
    let loaded = load_checkpoint(&fixture_path()).unwrap();
    assert_eq!(loaded.info, info(tiny_config()));
    assert_eq!(loaded.reverb_ir, vec![0.0, 0.5, -0.25, 0.125]);
    loaded.decoder().unwrap();
}

/// Writes the fixture; run once per new format version:
/// `cargo test -p ddsp-model --test checkpoint -- --ignored write_fixture`.
#[test]
#[ignore = "writes tests/fixtures; run only when adding a format version"]
fn write_fixture() {
    save_checkpoint(&fixture_path(), &tiny_checkpoint()).unwrap();
}

#[test]
fn missing_file() {
    assert!(matches!(load_checkpoint(Path::new("/nonexistent/model.safetensors")), Err(CheckpointError::NotFound(_))));
}

#[test]
fn not_safetensors() {
    for bytes in [&b"RIFF....WAVEfmt this is audio, not a model"[..], b"", b"{}"] {
        let error = parse_checkpoint(bytes).unwrap_err();
        assert!(matches!(error, CheckpointError::NotSafetensors(_)), "{error}");
    }
}

#[test]
fn truncated() {
    let bytes = checkpoint_bytes(&tiny_checkpoint()).unwrap();
    for cut in [bytes.len() - 1, bytes.len() / 2, 20] {
        let error = parse_checkpoint(&bytes[..cut]).unwrap_err();
        assert!(matches!(error, CheckpointError::Truncated(_)), "cut at {cut}: {error}");
    }
}

#[test]
fn unknown_format_or_architecture() {
    for (key, value) in [("format", "some-other-model"), ("architecture", "transformer")] {
        let error = parse_checkpoint(&with_metadata(key, value)).unwrap_err();
        assert!(matches!(error, CheckpointError::UnknownFormat(_)), "{error}");
    }
    // A safetensors file with no metadata map at all (e.g. a language model).
    let checkpoint = tiny_checkpoint();
    let tensors: Vec<(String, Tensor)> = checkpoint.tensors.into_iter().collect();
    let bytes = safetensors::tensor::serialize(tensors, None).unwrap();
    assert!(matches!(parse_checkpoint(&bytes), Err(CheckpointError::UnknownFormat(_))));
}

#[test]
fn newer_version() {
    let error = parse_checkpoint(&with_metadata("format_version", "2")).unwrap_err();
    assert!(matches!(error, CheckpointError::NewerVersion { found: 2, supported: 1 }), "{error}");
}

#[test]
fn bad_metadata() {
    for (key, value) in
        [("config", "{not json"), ("dataset_statistics", "[1,2]"), ("format_version", "one"), ("num_harmonics", "7")]
    {
        let error = parse_checkpoint(&with_metadata(key, value)).unwrap_err();
        assert!(matches!(error, CheckpointError::BadMetadata { .. }), "{key}: {error}");
    }
}

#[test]
fn metadata_out_of_range() {
    let mut config = tiny_config();
    config.frame_rate_hz = 1000.0;
    let config_json = serde_json::to_string(&config).unwrap();
    let bytes = with_metadata("config", &config_json);
    // The summary entry must agree for the range check to be reached.
    let (_, metadata) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let mut map = metadata.metadata().clone().unwrap();
    map.insert("frame_rate_hz".into(), "1000".into());
    let parsed = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let bytes = safetensors::tensor::serialize(parsed.tensors(), Some(map)).unwrap();
    let error = parse_checkpoint(&bytes).unwrap_err();
    assert!(matches!(error, CheckpointError::OutOfRange { .. }), "{error}");

    let mut stats = info(tiny_config()).dataset;
    stats.pitch_midi_quantiles = [80.0, 60.0, f32::NAN];
    // serde_json writes NaN as null, which does not parse as f32: also refused.
    let error =
        parse_checkpoint(&with_metadata("dataset_statistics", &serde_json::to_string(&stats).unwrap())).unwrap_err();
    assert!(matches!(error, CheckpointError::BadMetadata { .. } | CheckpointError::OutOfRange { .. }), "{error}");
}

/// A tiny file declaring the largest sizes each field allows (the ~1 KB
/// hostile checkpoint): refused by the size limit, which runs before any
/// network is built or tensor read (otherwise building a network of these
/// sizes would take ~4 GB, and the error would be about its tensors), so
/// it costs neither memory nor time; a default-size decoder stays within
/// the limit.
#[test]
fn decoders_too_large_for_the_audio_thread_are_refused_up_front() {
    let mut config = tiny_config();
    (config.mlp_units, config.mlp_layers, config.gru_units) = (4096, 16, 4096);
    assert!(config.step_weights() > ddsp_model::checkpoint::MAX_STEP_WEIGHTS);
    let error = parse_checkpoint(&with_metadata("config", &serde_json::to_string(&config).unwrap())).unwrap_err();
    assert!(matches!(&error, CheckpointError::OutOfRange { what, .. } if what == "decoder size"), "{error}");
    assert!(error.to_string().contains("audio thread"), "{error}");
    assert!(DecoderConfig::default_size().step_weights() <= ddsp_model::checkpoint::MAX_STEP_WEIGHTS);
}

#[test]
fn missing_tensor() {
    let bytes = with_tensors(|tensors| tensors.retain(|(name, _)| name != "gru.weight_hh_l0"));
    let error = parse_checkpoint(&bytes).unwrap_err();
    assert!(matches!(&error, CheckpointError::MissingTensor(name) if name == "gru.weight_hh_l0"), "{error}");
}

#[test]
fn mis_shaped_tensor() {
    let bytes = with_tensors(|tensors| {
        let entry = tensors.iter_mut().find(|(name, _)| name == "dense_out.weight").unwrap();
        entry.1 = Tensor::zeros((3, 3), candle_core::DType::F32, &candle_core::Device::Cpu).unwrap();
    });
    let error = parse_checkpoint(&bytes).unwrap_err();
    assert!(matches!(&error, CheckpointError::TensorShape { name, .. } if name == "dense_out.weight"), "{error}");
}

#[test]
fn unexpected_tensor() {
    let bytes = with_tensors(|tensors| {
        tensors.push((
            "extra.weight".into(),
            Tensor::zeros(4, candle_core::DType::F32, &candle_core::Device::Cpu).unwrap(),
        ))
    });
    assert!(matches!(parse_checkpoint(&bytes), Err(CheckpointError::UnexpectedTensor(_))));
}

#[test]
fn non_finite_weights() {
    for bad in [f32::NAN, f32::INFINITY] {
        let bytes = with_tensors(|tensors| {
            let entry = tensors.iter_mut().find(|(name, _)| name == "f0_stack.0.dense.bias").unwrap();
            let len = entry.1.dims()[0];
            let mut values = vec![0.1f32; len];
            values[len / 2] = bad;
            entry.1 = Tensor::from_vec(values, len, &candle_core::Device::Cpu).unwrap();
        });
        let error = parse_checkpoint(&bytes).unwrap_err();
        assert!(
            matches!(&error, CheckpointError::NonFiniteWeights(name) if name == "f0_stack.0.dense.bias"),
            "{error}"
        );
    }
    let bytes = with_tensors(|tensors| {
        tensors.push((REVERB_IR_TENSOR.into(), Tensor::new(&[0.5f32, f32::NAN], &candle_core::Device::Cpu).unwrap()))
    });
    assert!(matches!(parse_checkpoint(&bytes), Err(CheckpointError::NonFiniteWeights(_))));
}

/// A reverb longer than the real-time reverb plays within its budget is
/// refused with the limit in the message; one at the limit loads.
#[test]
fn reverb_longer_than_the_cap_is_refused() {
    let max_taps = (MAX_REVERB_SECONDS * tiny_config().model_rate_hz) as usize;
    for (taps, accepted) in [(max_taps, true), (max_taps + 1, false)] {
        let bytes = with_tensors(|tensors| {
            let ir = Tensor::from_vec(vec![0.01f32; taps], taps, &candle_core::Device::Cpu).unwrap();
            tensors.push((REVERB_IR_TENSOR.into(), ir))
        });
        match parse_checkpoint(&bytes) {
            Ok(checkpoint) => assert!(accepted && checkpoint.reverb_ir.len() == taps),
            Err(error) => {
                assert!(!accepted, "{error}");
                assert!(
                    matches!(&error, CheckpointError::TensorShape { expected, .. } if expected.contains(&max_taps.to_string())),
                    "{error}"
                );
            }
        }
    }
}

/// Every error message reads as a sentence a musician can act on.
/// A file larger than any checkpoint can be (here a 1 GB sparse file) is
/// refused before it is read: no gigabyte allocated, a message that says
/// what it is.
#[test]
fn files_too_large_for_a_checkpoint_are_refused_unread() {
    let path = std::env::temp_dir().join(format!("ddsp-huge-{}.safetensors", std::process::id()));
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(1 << 30).unwrap();
    let error = load_checkpoint(&path).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(error, CheckpointError::TooLarge { bytes, .. } if bytes == 1 << 30), "{error}");
    assert!(error.to_string().contains("not a model file"), "{error}");
}

#[test]
fn errors_explain_themselves() {
    let message = load_checkpoint(Path::new("/nonexistent/violin.safetensors")).unwrap_err().to_string();
    assert!(message.contains("/nonexistent/violin.safetensors") && message.contains("does not exist"), "{message}");
    let message = parse_checkpoint(&with_metadata("format_version", "9")).unwrap_err().to_string();
    assert!(message.contains("update the plugin"), "{message}");
}
