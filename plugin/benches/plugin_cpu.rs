//! Total plugin CPU per second of audio at 48 kHz in 128-sample blocks:
//! the plugin's engine with the default instrument, in offline mode so the
//! inference thread's work is inside the measurement (the audio thread
//! waits for every frame), against the same engine with the additive
//! instrument (no model) in the same run.
//!
//! cargo bench -p ddsp-plugin --bench plugin_cpu

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ddsp_e2e::sung_melody;
use dsp_core::{AdditiveConfig, AdditiveDecoder, Engine, EngineConfig};

const RATE: f32 = 48_000.0;
const BLOCK: usize = 128;

fn one_second(engine: &mut Engine, input: &[f32]) {
    let mut block = [0.0f32; BLOCK];
    for chunk in input.chunks(BLOCK) {
        let block = &mut block[..chunk.len()];
        block.copy_from_slice(chunk);
        engine.process(&mut [block]);
    }
}

fn plugin_cpu(c: &mut Criterion) {
    let input = sung_melody(RATE as f64, &[57.0, 60.0, 64.0, 62.0], 0.25);
    let mut group = c.benchmark_group("one second at 48 kHz, 128-sample blocks");
    group.throughput(Throughput::Elements(input.len() as u64));
    group.sample_size(20);
    let mut instrument = ddsp_plugin::default_engine(RATE, BLOCK);
    instrument.set_offline(true);
    group.bench_function("default instrument (audio + inference thread)", |b| {
        b.iter(|| {
            instrument.reset();
            one_second(&mut instrument, &input)
        })
    });
    let mut additive = Engine::new(&EngineConfig::new(RATE, BLOCK), AdditiveDecoder::boxed(AdditiveConfig::default()));
    group.bench_function("additive instrument (no model)", |b| {
        b.iter(|| {
            additive.reset();
            one_second(&mut additive, &input)
        })
    });
    group.finish();
}

criterion_group!(benches, plugin_cpu);
criterion_main!(benches);
