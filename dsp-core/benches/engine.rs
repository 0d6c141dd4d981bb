//! Cost of the real-time core per second of audio at 48 kHz in 128-sample
//! blocks, with 100 harmonics, 65 noise bands and a 1.5 s reverb IR.
//! Each iteration processes exactly one second of audio, so the reported
//! time per iteration divided by one second is the real-time factor (10 ms
//! per iteration = 1 % of one core).
//!
//! Run: `cargo bench -p dsp-core --bench engine`

use std::f64::consts::PI;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use dsp_core::framer::Framer;
use dsp_core::harmonic::HarmonicBank;
use dsp_core::loudness::{LoudnessMeter, REFERENCE_WINDOW_MS};
use dsp_core::noise::FilteredNoise;
use dsp_core::pitch::{PitchConfig, PitchTracker};
use dsp_core::reverb::Reverb;
use dsp_core::{AdditiveConfig, AdditiveDecoder, Engine, EngineConfig};

const SAMPLE_RATE: f32 = 48_000.0;
const BLOCK: usize = 128;
const FRAME_RATE: f32 = 250.0;
const NUM_HARMONICS: usize = 100;
const NUM_NOISE_BANDS: usize = 65;
const ONE_SECOND: usize = SAMPLE_RATE as usize;

fn test_input() -> Vec<f32> {
    // A sung-like tone with vibrato: the engine's typical load.
    let mut phase = 0.0f64;
    (0..ONE_SECOND)
        .map(|n| {
            let t = n as f64 / SAMPLE_RATE as f64;
            phase += (220.0 + 6.0 * (2.0 * PI * 5.0 * t).sin()) / SAMPLE_RATE as f64;
            (1..=20).map(|k| 0.3 / k as f64 * (2.0 * PI * k as f64 * phase).sin()).sum::<f64>() as f32
        })
        .collect()
}

fn reverb_ir() -> Vec<f32> {
    let mut state = 1u32;
    (0..(1.5 * SAMPLE_RATE) as usize)
        .map(|n| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((state >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * (-(n as f32) / 15_000.0).exp()
        })
        .collect()
}

fn segment_lengths() -> Vec<usize> {
    let mut framer = Framer::new(SAMPLE_RATE as f64, FRAME_RATE as f64);
    let mut lengths = Vec::new();
    let mut seen = 0;
    while seen < ONE_SECOND {
        let n = framer.samples_to_next_frame();
        framer.advance(n);
        lengths.push(n);
        seen += n;
    }
    lengths
}

fn harmonic_amplitudes() -> Vec<f32> {
    (1..=NUM_HARMONICS).map(|k| 0.2 / k as f32).collect()
}

/// Feeds `input` to `tracker` in frames of `lengths`, estimating each
/// frame's pitch, and calls `per_frame` with the samples consumed so far.
fn track_frames(tracker: &mut PitchTracker, input: &[f32], lengths: &[usize], mut per_frame: impl FnMut(usize)) {
    let mut position = 0;
    for &len in lengths {
        tracker.push(&input[position..position + len]);
        position += len;
        black_box(tracker.estimate());
        per_frame(position);
    }
}

/// The naive baseline: one `sin()` per harmonic per sample.
fn naive_harmonic_bank(phase: &mut f64, f0_hz: f64, amplitudes: &[f32], out: &mut [f32]) {
    for sample in out.iter_mut() {
        *phase += f0_hz / SAMPLE_RATE as f64;
        *phase -= phase.floor();
        let mut acc = 0.0f32;
        for (k, &a) in amplitudes.iter().enumerate() {
            if (k + 1) as f64 * f0_hz < SAMPLE_RATE as f64 / 2.0 {
                acc += a * ((2.0 * PI * (k + 1) as f64 * *phase) as f32).sin();
            }
        }
        *sample = acc;
    }
}

fn components(c: &mut Criterion) {
    let input = test_input();
    let lengths = segment_lengths();
    let amplitudes = harmonic_amplitudes();
    let mut group = c.benchmark_group("one_second_at_48k");
    group.sample_size(20);

    group.bench_function("analysis_pitch_and_loudness", |b| {
        let mut tracker = PitchTracker::new(SAMPLE_RATE, PitchConfig::default());
        let mut meter = LoudnessMeter::new(SAMPLE_RATE, REFERENCE_WINDOW_MS);
        let window = meter.window_samples();
        b.iter(|| {
            track_frames(&mut tracker, &input, &lengths, |position| {
                let start = position.saturating_sub(window);
                if position - start == window {
                    black_box(meter.measure_db(&input[start..position]));
                }
            })
        });
    });

    // The pitch tracker alone, 250 frames: µs per frame = time / 250.
    group.bench_function("pitch_tracker_250_frames", |b| {
        let mut tracker = PitchTracker::new(SAMPLE_RATE, PitchConfig::default());
        b.iter(|| track_frames(&mut tracker, &input, &lengths, |_| {}));
    });

    let mut segment = vec![0.0f32; 256];
    group.bench_function("harmonic_bank_100", |b| {
        let mut bank = HarmonicBank::new(SAMPLE_RATE);
        b.iter(|| {
            for (frame, &len) in lengths.iter().enumerate() {
                let f0 = 220.0 + (frame % 10) as f32;
                bank.render(f0, &amplitudes, &mut segment[..len]);
                black_box(&segment);
            }
        });
    });

    group.bench_function("harmonic_bank_100_naive_sin_baseline", |b| {
        let mut phase = 0.0;
        b.iter(|| {
            for (frame, &len) in lengths.iter().enumerate() {
                let f0 = 220.0 + (frame % 10) as f64;
                naive_harmonic_bank(&mut phase, f0, &amplitudes, &mut segment[..len]);
                black_box(&segment);
            }
        });
    });

    group.bench_function("filtered_noise_65", |b| {
        let magnitudes = [0.01f32; NUM_NOISE_BANDS];
        let mut noise = FilteredNoise::new(SAMPLE_RATE, SAMPLE_RATE, NUM_NOISE_BANDS, 192, 1);
        b.iter(|| {
            for &len in &lengths {
                segment[..len].fill(0.0);
                noise.render_add(&magnitudes, 1.0, &mut segment[..len]);
                black_box(&segment);
            }
        });
    });

    group.bench_function("reverb_1.5s_ir", |b| {
        let mut reverb = Reverb::new(&reverb_ir(), SAMPLE_RATE, SAMPLE_RATE);
        let mut wet = vec![0.0f32; BLOCK];
        b.iter(|| {
            for block in input.chunks(BLOCK) {
                reverb.process(block, &mut wet[..block.len()]);
                black_box(&wet);
            }
        });
    });

    for (name, ir) in [("engine_without_reverb", Vec::new()), ("engine_with_reverb", reverb_ir())] {
        group.bench_function(name, |b| {
            let mut config = EngineConfig::new(SAMPLE_RATE, BLOCK);
            config.reverb_ir = ir.clone();
            let decoder = AdditiveDecoder::boxed(AdditiveConfig {
                num_harmonics: NUM_HARMONICS,
                num_noise_bands: NUM_NOISE_BANDS,
                frame_rate_hz: FRAME_RATE,
                ..AdditiveConfig::default()
            });
            let mut engine = Engine::new(&config, decoder);
            let mut buffer = input.clone();
            b.iter(|| {
                buffer.copy_from_slice(&input);
                for block in buffer.chunks_mut(BLOCK) {
                    engine.process(&mut [block]);
                }
                black_box(&buffer);
            });
        });
    }
    group.finish();
}

criterion_group!(benches, components);
criterion_main!(benches);
