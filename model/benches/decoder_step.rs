//! Cost of one decoder step (one frame), as the product runs it: the
//! real-time step ([`StreamingDecoder`], what plays inside `process()`)
//! against candle's tensor step on the same weights in the same run (the
//! reference it is parity-tested against; it allocates and, with no
//! `RAYON_NUM_THREADS` set, as in a plugin, asks `num_cpus` in every
//! matmul). Default size (GRU 512, 256-wide stacks), small size (GRU 128, the
//! shipped instruments) and the largest decoder a checkpoint may declare
//! (`MAX_STEP_WEIGHTS`). Prints the mean, median, p99 and max over 10,000 frames and the share
//! of one core at 250 frames per second.
//!
//! A second group times the GRU's recurrent product at the default size
//! (1536×512, one frame) with candle's two slice kernels, float32
//! `VecOps::vec_dot` and 8-bit `BlockQ8_0::vec_dot`: why the step's weights
//! stay float32.
//!
//! Run: `cargo bench -p ddsp-model --bench decoder_step` (no environment
//! variables: measure what ships).

use std::hint::black_box;
use std::time::Instant;

use candle_core::{Device, Tensor};
use criterion::{criterion_group, criterion_main, Criterion};
use ddsp_model::checkpoint::{Checkpoint, CheckpointInfo, MAX_STEP_WEIGHTS};
use ddsp_model::config::DecoderConfig;
use ddsp_model::network::{DecoderState, RnnFcDecoder};
use ddsp_model::streaming::StreamingDecoder;
use dsp_core::decoder::SyncDecoder;
use dsp_core::{DecoderOutput, FeatureFrame};

/// One frame's features, varying so the GRU state keeps moving.
fn features(frame: usize) -> FeatureFrame {
    FeatureFrame { f0_hz: 220.0 + (frame % 100) as f32, confidence: 1.0, loudness_db: -30.0 }
}

/// A step of either kind.
trait Step {
    fn step(&mut self, frame: usize);
}

struct Streaming(StreamingDecoder, DecoderOutput);

impl Step for Streaming {
    fn step(&mut self, frame: usize) {
        self.0.decode(&features(frame), &mut self.1);
        black_box(&self.1);
    }
}

struct Candle(RnnFcDecoder, DecoderState);

impl Step for Candle {
    fn step(&mut self, frame: usize) {
        let scaling = self.0.config().feature_scaling;
        let frame = features(frame);
        let f0 = Tensor::new(&[[scaling.scale_f0(frame.f0_hz)]], &Device::Cpu).unwrap();
        let loudness = Tensor::new(&[[scaling.scale_loudness(frame.loudness_db)]], &Device::Cpu).unwrap();
        let (out, next) = self.0.step(&f0, &loudness, &self.1).unwrap();
        black_box(out.harmonics.flatten_all().unwrap().to_vec1::<f32>().unwrap());
        self.1 = next;
    }
}

fn report(name: &str, step: &mut dyn Step) {
    let mut times: Vec<f64> = (0..10_000)
        .map(|frame| {
            let start = Instant::now();
            step.step(frame);
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!(
        "{name}: mean {mean:.1} µs, median {:.1} µs, p99 {:.1} µs, max {:.1} µs per frame over 10,000 frames; \
         {:.2} % of one core at 250 frames/s",
        times[5_000],
        times[9_900],
        times[9_999],
        mean * 250.0 / 1e4
    );
}

/// The largest configuration a checkpoint may declare: the default layout
/// with the GRU grown until the step reaches `MAX_STEP_WEIGHTS`.
fn largest_allowed() -> DecoderConfig {
    let mut config = DecoderConfig::default_size();
    while (DecoderConfig { gru_units: config.gru_units + 32, ..config.clone() }).step_weights() <= MAX_STEP_WEIGHTS {
        config.gru_units += 32;
    }
    config
}

fn steps(c: &mut Criterion) {
    let mut group = c.benchmark_group("decoder_step");
    let sizes = [
        ("default_gru512", DecoderConfig::default_size()),
        ("small_gru128", DecoderConfig::small_size()),
        ("largest_allowed", largest_allowed()),
    ];
    for (name, config) in sizes {
        println!("{name}: GRU {}, {} weights", config.gru_units, config.step_weights());
        let checkpoint = Checkpoint::initialised(CheckpointInfo::untrained(config.clone()), 1).unwrap();
        let reference = checkpoint.decoder().unwrap();
        let state = reference.initial_state(1).unwrap();
        let mut steps: Vec<(String, Box<dyn Step>)> = vec![
            (
                format!("{name}/realtime_step"),
                Box::new(Streaming(StreamingDecoder::new(&checkpoint).unwrap(), DecoderOutput::silent(0, 0))),
            ),
            (format!("{name}/candle_tensor_step"), Box::new(Candle(reference, state))),
        ];
        for (step_name, step) in &mut steps {
            report(step_name, step.as_mut());
            let mut frame = 0;
            group.bench_function(step_name.as_str(), |b| {
                b.iter(|| {
                    step.step(frame);
                    frame += 1;
                })
            });
        }
    }
    group.finish();
}

fn matvec(c: &mut Criterion) {
    use candle_core::cpu::kernels::VecOps;
    use candle_core::quantized::k_quants::{BlockQ8_0, GgmlType};
    const ROWS: usize = 1536;
    const COLS: usize = 512;
    let weights: Vec<f32> = (0..ROWS * COLS).map(|i| ((i * 7919) % 1000) as f32 * 1e-3 - 0.5).collect();
    let x: Vec<f32> = (0..COLS).map(|i| (i as f32 * 0.01).sin()).collect();
    let mut y = vec![0.0f32; ROWS];
    let mut blocks = vec![BlockQ8_0::zeros(); ROWS * COLS / 32];
    BlockQ8_0::from_float(&weights, &mut blocks);
    let mut x_blocks = vec![BlockQ8_0::zeros(); COLS / 32];
    let mut group = c.benchmark_group("gru_recurrent_matvec_1536x512");
    group.bench_function("float32_vec_dot", |b| {
        b.iter(|| {
            for (out, row) in y.iter_mut().zip(weights.chunks_exact(COLS)) {
                // SAFETY: both slices hold COLS values.
                unsafe { <f32 as VecOps>::vec_dot(row.as_ptr(), x.as_ptr(), out, COLS) };
            }
            black_box(&y);
        })
    });
    group.bench_function("q8_0_vec_dot", |b| {
        b.iter(|| {
            BlockQ8_0::from_float(&x, &mut x_blocks);
            for (out, row) in y.iter_mut().zip(blocks.chunks_exact(COLS / 32)) {
                *out = BlockQ8_0::vec_dot(COLS, row, &x_blocks);
            }
            black_box(&y);
        })
    });
    group.finish();
}

criterion_group!(benches, steps, matvec);
criterion_main!(benches);
