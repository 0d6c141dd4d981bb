//! The real-time step: parity with candle's forward over 1,000 streamed
//! frames, fresh state on reset, recovery from
//! non-finite features, and an engine whose latency no longer depends on
//! the host's block size.

use candle_core::{Device, Tensor, D};
use ddsp_model::checkpoint::{Checkpoint, CheckpointInfo};
use ddsp_model::config::DecoderConfig;
use ddsp_model::engine::model_engine;
use ddsp_model::network::{RawOutputs, RnnFcDecoder};
use ddsp_model::streaming::{decoder_info, StreamingDecoder};
use dsp_core::decoder::SyncDecoder;
use dsp_core::{DecoderOutput, FeatureFrame};

const NUM_FRAMES: usize = 1_000;

fn checkpoint(config: DecoderConfig, seed: u64) -> Checkpoint {
    Checkpoint::initialised(CheckpointInfo::untrained(config), seed).unwrap()
}

/// A sung-like feature stream: a gliding, vibrato-laden pitch over two
/// octaves, swells and rests in loudness (frames as the engine sends them),
/// and in every 100 frames a 40-frame held note (the same features each
/// frame, as the synth sends a sustained note: the step keeps what only
/// the features decide).
fn features(num_frames: usize) -> Vec<FeatureFrame> {
    (0..num_frames)
        .map(|n| {
            let n = if n % 100 >= 60 { n - n % 100 + 60 } else { n };
            let t = n as f32 / 250.0;
            let midi = 52.0 + 12.0 * (0.3 * t).sin().abs() * 2.0 + 0.3 * (2.0 * std::f32::consts::PI * 5.5 * t).sin();
            let swell = (0.7 * t).sin();
            let loudness_db = if swell < -0.8 { -80.0 } else { -45.0 + 35.0 * swell.abs() };
            FeatureFrame { f0_hz: dsp_core::pitch_units::midi_to_hz(midi), confidence: 0.9, loudness_db }
        })
        .collect()
}

fn raw_values(raw: &RawOutputs) -> Vec<f32> {
    let all = Tensor::cat(&[&raw.amplitude, &raw.harmonics, &raw.noise], D::Minus1).unwrap();
    all.flatten_all().unwrap().to_vec1::<f32>().unwrap()
}

fn output_values(out: &DecoderOutput) -> Vec<f32> {
    let mut values = vec![out.amplitude_raw];
    values.extend_from_slice(&out.harmonics_raw[..out.num_harmonics]);
    values.extend_from_slice(&out.noise_raw[..out.num_noise_bands]);
    values
}

/// Largest absolute difference between the step's raw outputs and candle's
/// `Decoder::step` on `reference`, over the feature stream.
fn worst_difference(checkpoint: &Checkpoint, reference: &RnnFcDecoder, step: &mut StreamingDecoder) -> f32 {
    let scaling = checkpoint.info.config.feature_scaling;
    let mut state = reference.initial_state(1).unwrap();
    let mut out = DecoderOutput::silent(0, 0);
    let mut worst = 0.0f32;
    for frame in features(NUM_FRAMES) {
        let f0 = Tensor::new(&[[scaling.scale_f0(frame.f0_hz)]], &Device::Cpu).unwrap();
        let loudness = Tensor::new(&[[scaling.scale_loudness(frame.loudness_db)]], &Device::Cpu).unwrap();
        let (raw, next) = reference.step(&f0, &loudness, &state).unwrap();
        state = next;
        step.decode(&frame, &mut out);
        for (a, b) in output_values(&out).iter().zip(raw_values(&raw)) {
            worst = worst.max((a - b).abs());
        }
    }
    worst
}

/// Float32 weights: the step equals candle's forward to 1e-5 over 1,000
/// frames, for both shipped sizes.
#[test]
fn float_step_matches_candle_over_1000_frames() {
    for (config, seed) in [(DecoderConfig::small_size(), 1), (DecoderConfig::default_size(), 2)] {
        let checkpoint = checkpoint(config, seed);
        let reference = checkpoint.decoder().unwrap();
        let mut step = StreamingDecoder::from_network(&reference, decoder_info(&checkpoint)).unwrap();
        let worst = worst_difference(&checkpoint, &reference, &mut step);
        assert!(worst <= 1e-5, "seed {seed}: worst raw difference {worst}");
    }
}

fn render(step: &mut StreamingDecoder, frames: &[FeatureFrame]) -> Vec<Vec<f32>> {
    let mut out = DecoderOutput::silent(0, 0);
    frames
        .iter()
        .map(|frame| {
            step.decode(frame, &mut out);
            output_values(&out)
        })
        .collect()
}

/// A voice is the same step on the same weights with a state of its own:
/// whatever another voice played, it plays what a new step plays.
#[test]
fn voices_share_weights_and_keep_their_own_state() {
    let checkpoint = checkpoint(DecoderConfig::small_size(), 5);
    let mut first = StreamingDecoder::new(&checkpoint).unwrap();
    let frames = features(300);
    render(&mut first, &frames);
    let mut voice = first.voice();
    let later: Vec<FeatureFrame> = frames.iter().rev().copied().collect();
    render(&mut first, &frames);
    let expected = render(&mut StreamingDecoder::new(&checkpoint).unwrap(), &later);
    assert_eq!(render(&mut voice, &later), expected);
}

#[test]
fn reset_starts_a_fresh_take() {
    let checkpoint = checkpoint(DecoderConfig::small_size(), 4);
    let mut step = StreamingDecoder::new(&checkpoint).unwrap();
    let frames = features(300);
    let first = render(&mut step, &frames);
    let continued = render(&mut step, &frames);
    assert_ne!(first, continued, "the GRU state carried nothing");
    step.reset();
    assert_eq!(render(&mut step, &frames), first);
}

#[test]
fn non_finite_features_play_silence_then_recover() {
    let checkpoint = checkpoint(DecoderConfig::small_size(), 5);
    let mut step = StreamingDecoder::new(&checkpoint).unwrap();
    let frames = features(100);
    let clean = render(&mut step, &frames);
    step.reset();
    let mut out = DecoderOutput::silent(0, 0);
    step.decode(&FeatureFrame { f0_hz: f32::NAN, confidence: 1.0, loudness_db: f32::INFINITY }, &mut out);
    let info = *step.info();
    assert_eq!(out, DecoderOutput::silent(info.num_harmonics, info.num_noise_bands));
    // The state was cleared, not poisoned: the next take is the clean one.
    assert_eq!(render(&mut step, &frames), clean);
}

/// The step runs inside `process()`, so the engine's latency is its
/// lookahead plus one hop whatever the host's largest block: 5.5 ms + 4 ms =
/// 456 samples at 48 kHz with 250 Hz frames.
#[test]
fn latency_is_independent_of_the_host_block() {
    let checkpoint = checkpoint(DecoderConfig::small_size(), 6);
    for block in [1, 32, 128, 512, 1024, 8192] {
        let engine = model_engine(&checkpoint, 48_000.0, block).unwrap();
        assert_eq!(engine.latency_samples(), 264 + 192, "{block}-sample blocks");
    }
}
