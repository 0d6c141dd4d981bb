//! Cost of one streaming decoder step (one frame) on one thread, for the
//! default size (GRU 512, 256-wide stacks, 100 harmonics, 65 bands) and the
//! small size (GRU 128), each with float32 and 8-bit (Q8_0) weights: time per frame, cost per second of audio at 250
//! frames/s (time per frame × 250), and the p99 over 10,000 frames.
//!
//! Run: `RAYON_NUM_THREADS=1 cargo bench -p ddsp-model --bench decoder_step`

use std::hint::black_box;
use std::time::Instant;

use candle_core::{Device, Tensor};
use criterion::{criterion_group, criterion_main, Criterion};
use ddsp_model::checkpoint::{Checkpoint, CheckpointInfo};
use ddsp_model::config::DecoderConfig;
use ddsp_model::network::Decoder;

fn decoder(config: DecoderConfig) -> Decoder {
    Checkpoint::initialised(CheckpointInfo::untrained(config), 1).unwrap().decoder().unwrap()
}

fn step_once(decoder: &Decoder, state: &mut ddsp_model::network::DecoderState, frame: usize) {
    let f0 = Tensor::new(&[[0.4f32 + 0.001 * (frame % 100) as f32]], &Device::Cpu).unwrap();
    let loudness = Tensor::new(&[[0.6f32]], &Device::Cpu).unwrap();
    let (out, next) = decoder.step(&f0, &loudness, state).unwrap();
    black_box(out.harmonics.flatten_all().unwrap().to_vec1::<f32>().unwrap());
    *state = next;
}

fn p99_report(name: &str, decoder: &Decoder) {
    let mut state = decoder.initial_state(1).unwrap();
    let mut times: Vec<f64> = (0..10_000)
        .map(|frame| {
            let start = Instant::now();
            step_once(decoder, &mut state, frame);
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

fn steps(c: &mut Criterion) {
    let mut group = c.benchmark_group("decoder_step");
    let sizes = [("default_gru512", DecoderConfig::default_size()), ("small_gru128", DecoderConfig::small_size())];
    let decoders = sizes.into_iter().flat_map(|(name, config)| {
        let float = decoder(config);
        let quantized = float.quantized().unwrap();
        [(name.to_string(), float), (format!("{name}_q8"), quantized)]
    });
    for (name, decoder) in decoders {
        let name = name.as_str();
        p99_report(name, &decoder);
        let mut state = decoder.initial_state(1).unwrap();
        let mut frame = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                step_once(&decoder, &mut state, frame);
                frame += 1;
            })
        });
    }
    group.finish();
}

criterion_group!(benches, steps);
criterion_main!(benches);
