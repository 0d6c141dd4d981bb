//! The inference worker: exact in offline mode, never silent in real time,
//! late frames counted, threads stopped cleanly.

use std::time::Duration;

use ddsp_model::checkpoint::{Checkpoint, CheckpointInfo};
use ddsp_model::config::DecoderConfig;
use ddsp_model::worker::{CandleFrameModel, InferenceDecoder};
use dsp_core::decoder::{SyncDecoder, Synchronous};
use dsp_core::{AdditiveConfig, AdditiveDecoder, DecoderInfo, DecoderOutput, Engine, EngineConfig, FeatureFrame};

const RATE: f32 = 48_000.0;
const BLOCK: usize = 128;

/// The additive decoder as a worker model, stalling `stall` on every
/// `stall_every`-th frame (0: never).
struct SlowAdditive {
    decoder: AdditiveDecoder,
    frame: usize,
    stall_every: usize,
    stall: Duration,
}

impl SlowAdditive {
    fn new(stall_every: usize, stall: Duration) -> Self {
        Self { decoder: AdditiveDecoder::new(AdditiveConfig::default()), frame: 0, stall_every, stall }
    }
}

impl SyncDecoder for SlowAdditive {
    fn info(&self) -> &DecoderInfo {
        self.decoder.info()
    }

    fn reset(&mut self) {
        self.frame = 0;
    }

    fn decode(&mut self, features: &FeatureFrame, out: &mut DecoderOutput) {
        self.frame += 1;
        if self.stall_every > 0 && self.frame.is_multiple_of(self.stall_every) {
            std::thread::sleep(self.stall);
        }
        self.decoder.decode(features, out);
    }
}

fn sung(seconds: f32) -> Vec<f32> {
    let mut phase = 0.0f64;
    (0..(seconds * RATE) as usize)
        .map(|n| {
            let t = n as f64 / RATE as f64;
            phase += (220.0 + 8.0 * (2.0 * std::f64::consts::PI * 5.0 * t).sin()) / RATE as f64;
            (1..=8).map(|k| 0.3 / k as f64 * (2.0 * std::f64::consts::PI * k as f64 * phase).sin()).sum::<f64>() as f32
        })
        .collect()
}

/// Renders `input` in blocks; `pace` sleeps one block's duration between
/// blocks, as a real-time host would.
fn render(engine: &mut Engine, input: &[f32], offline: bool, pace: bool) -> Vec<f32> {
    engine.set_offline(offline);
    let mut output = input.to_vec();
    for block in output.chunks_mut(BLOCK) {
        engine.process(&mut [block]);
        if pace {
            std::thread::sleep(Duration::from_secs_f32(BLOCK as f32 / RATE));
        }
    }
    output
}

#[test]
fn offline_worker_equals_the_synchronous_decoder_and_ignores_stalls() {
    let input = sung(1.0);
    let mut reference_engine =
        Engine::new(&EngineConfig::new(RATE, BLOCK), AdditiveDecoder::boxed(AdditiveConfig::default()));
    let reference = render(&mut reference_engine, &input, true, false);

    let render_worker = |stall_every| {
        let worker =
            InferenceDecoder::spawn_with(Box::new(SlowAdditive::new(stall_every, Duration::from_millis(15)))).unwrap();
        let mut engine = Engine::new(&EngineConfig::new(RATE, BLOCK), Box::new(worker));
        let shift = engine.latency_samples() - reference_engine.latency_samples();
        let output = render(&mut engine, &input, true, false);
        assert_eq!(engine.late_frames(), 0);
        (output, shift)
    };
    let (fast, shift) = render_worker(0);
    let (slow, _) = render_worker(10);
    assert_eq!(fast, slow, "a slow decoder changed an offline render");
    // The worker only adds a fixed delay: the same samples, `shift` later.
    assert!(shift > 0);
    assert_eq!(&fast[shift..], &reference[..reference.len() - shift]);
}

#[test]
fn real_time_worker_holds_late_frames_without_silence() {
    let input = sung(1.5);
    // A 40 ms stall every 50 frames is far past any deadline (a few ms).
    let worker = InferenceDecoder::spawn_with(Box::new(SlowAdditive::new(50, Duration::from_millis(40)))).unwrap();
    let mut engine = Engine::new(&EngineConfig::new(RATE, BLOCK), Box::new(worker));
    let output = render(&mut engine, &input, false, true);
    assert!(engine.late_frames() > 0, "no late frame counted");
    // After the attack, every 5 ms of output carries sound.
    let window = (0.005 * RATE) as usize;
    let start = engine.latency_samples() + (0.1 * RATE) as usize;
    for (index, chunk) in output[start..].chunks_exact(window).enumerate() {
        let rms = (chunk.iter().map(|x| x * x).sum::<f32>() / window as f32).sqrt();
        assert!(rms > 0.01, "silence in window {index} (rms {rms}), {} late frames", engine.late_frames());
    }
}

fn small_checkpoint() -> Checkpoint {
    Checkpoint::initialised(CheckpointInfo::untrained(DecoderConfig::small_size()), 1).unwrap()
}

#[test]
fn candle_model_through_the_worker_equals_running_it_inline() {
    let checkpoint = small_checkpoint();
    let input = sung(0.6);
    let inline = Synchronous::new(CandleFrameModel::new(&checkpoint).unwrap());
    let mut reference_engine = Engine::new(&EngineConfig::new(RATE, BLOCK), Box::new(inline));
    let reference = render(&mut reference_engine, &input, true, false);
    assert!(reference.iter().any(|x| x.abs() > 1e-4), "the model is silent");

    let mut engine =
        Engine::new(&EngineConfig::new(RATE, BLOCK), Box::new(InferenceDecoder::spawn(&checkpoint).unwrap()));
    let shift = engine.latency_samples() - reference_engine.latency_samples();
    let output = render(&mut engine, &input, true, false);
    assert_eq!(&output[shift..], &reference[..reference.len() - shift]);
    // Reset starts a fresh GRU state: a second take renders identically.
    engine.reset();
    assert_eq!(render(&mut engine, &input, true, false), output);
}

fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map(|tasks| tasks.count()).unwrap_or(0)
}

#[test]
fn workers_stop_when_dropped() {
    let before = thread_count();
    for _ in 0..20 {
        let worker = InferenceDecoder::spawn_with(Box::new(SlowAdditive::new(0, Duration::ZERO))).unwrap();
        let mut engine = Engine::new(&EngineConfig::new(RATE, BLOCK), Box::new(worker));
        render(&mut engine, &sung(0.05), true, false);
    }
    // Other tests in this binary may run threads meanwhile; ours must not
    // have piled up.
    assert!(thread_count() <= before + 4, "threads before {before}, after {}", thread_count());
}

#[test]
fn latency_at_48k_with_128_sample_blocks() {
    let worker = InferenceDecoder::spawn_with(Box::new(SlowAdditive::new(0, Duration::ZERO))).unwrap();
    let engine = Engine::new(&EngineConfig::new(RATE, BLOCK), Box::new(worker));
    // 8 ms lookahead + one 4 ms hop + one 128-sample block for the worker.
    assert_eq!(engine.latency_samples(), 384 + 192 + 128);
    assert!(engine.latency_samples() as f32 / RATE * 1e3 <= 15.0);
}

/// The 8-bit streaming network against float32 on a trained model: the
/// worst-frame amplitude difference (dB) and harmonic-share difference over
/// the example melody's frames. A measurement, not a gate:
/// `DDSP_DRIFT_MODEL=path.safetensors cargo test --release -p ddsp-model
/// --test inference -- --ignored --nocapture trained_quantisation_drift`.
#[test]
#[ignore = "needs a default-size trained model in DDSP_DRIFT_MODEL"]
fn trained_quantisation_drift() {
    use candle_core::{Device, Tensor};
    use dsp_core::feature_track::feature_track;

    let path = std::env::var("DDSP_DRIFT_MODEL").expect("DDSP_DRIFT_MODEL");
    let checkpoint = ddsp_model::checkpoint::load_checkpoint(std::path::Path::new(&path)).unwrap();
    let config = checkpoint.info.config.clone();
    let float = checkpoint.decoder().unwrap();
    let quantized = float.quantized().unwrap();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/examples/melody.wav");
    let clip = ddsp_model::audio_file::read_audio(&example).unwrap();
    let info = ddsp_model::worker::decoder_info(&checkpoint);
    let track = feature_track(
        &clip.channels[0],
        clip.sample_rate_hz as f32,
        &info,
        dsp_core::AnalysisConfig::default(),
        dsp_core::UserControls::default(),
    );
    let (mut a_state, mut b_state) = (float.initial_state(1).unwrap(), quantized.initial_state(1).unwrap());
    let (mut worst_db, mut worst_share, mut mean_db) = (0.0f32, 0.0f32, 0.0f32);
    let nyquist = 0.5 * config.model_rate_hz;
    for frame in &track.frames {
        let f0 =
            Tensor::new(&[config.feature_scaling.scale_f0(frame.f0_hz)], &Device::Cpu).unwrap().unsqueeze(0).unwrap();
        let ld = Tensor::new(&[config.feature_scaling.scale_loudness(frame.loudness_db)], &Device::Cpu)
            .unwrap()
            .unsqueeze(0)
            .unwrap();
        let (a, next_a) = float.step(&f0, &ld, &a_state).unwrap();
        let (b, next_b) = quantized.step(&f0, &ld, &b_state).unwrap();
        (a_state, b_state) = (next_a, next_b);
        let amplitude = |raw: &ddsp_model::network::RawOutputs| {
            dsp_core::mapping::harmonic_amplitude(raw.amplitude.flatten_all().unwrap().to_vec1::<f32>().unwrap()[0])
        };
        let db = 20.0 * (amplitude(&a) / amplitude(&b)).log10().abs();
        worst_db = worst_db.max(db);
        mean_db += db / track.frames.len() as f32;
        let shares = |raw: &ddsp_model::network::RawOutputs| {
            let values = raw.harmonics.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let mut out = vec![0.0; values.len()];
            dsp_core::mapping::harmonic_distribution(&values, frame.f0_hz, nyquist, &mut out);
            out
        };
        for (x, y) in shares(&a).iter().zip(&shares(&b)) {
            worst_share = worst_share.max((x - y).abs());
        }
    }
    println!(
        "{path}: amplitude mean {mean_db:.3} dB, worst {worst_db:.3} dB; harmonic share worst {worst_share:.5} over {} frames",
        track.frames.len()
    );
}
