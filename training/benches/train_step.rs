//! One `ddsp train` step (batch, loss, gradients, AdamW update) per decoder
//! size and stage, with the fused operations the trainer uses (GRU
//! sequence, LayerNorm + leaky ReLU, harmonic synth) and with the candle
//! graphs they replaced as the reference in the same run (same allocator);
//! steps per minute is 60 s over the time per step.
//!
//! cargo bench -p ddsp-training --bench train_step

use std::path::PathBuf;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ddsp_model::config::DecoderConfig;
use ddsp_model::network::LayerKernels;
use ddsp_training::audio_file::{read_audio, write_wav, AudioClip};
use ddsp_training::audio_loss::AudioStage;
use ddsp_training::dataset::{prepare_dataset, Dataset};
use ddsp_training::trainer::EXAMPLE_FRAMES;
use ddsp_training::trainer::{TrainSettings, Trainer};

/// The allocator `ddsp` runs with (see its `ALLOCATOR`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The bundled example melody, eight times over in one file (35 s): enough
/// voiced audio for a dataset; which audio it is does not change a step's
/// cost.
fn dataset(config: &DecoderConfig) -> Dataset {
    let melody = read_audio(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../assets/examples/melody.wav"))
        .expect("bundled melody");
    let looped: Vec<f32> = melody.channels[0].iter().copied().cycle().take(8 * melody.channels[0].len()).collect();
    let path = std::env::temp_dir().join(format!("ddsp-train-step-bench-{}.wav", std::process::id()));
    write_wav(&path, &AudioClip { channels: vec![looped], sample_rate_hz: melody.sample_rate_hz }).expect("wav");
    let data = prepare_dataset(std::slice::from_ref(&path), config, 20.0, EXAMPLE_FRAMES, |_, _| {}).expect("dataset");
    let _ = std::fs::remove_file(path);
    data
}

fn train_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("train step");
    group.sample_size(10).warm_up_time(Duration::from_secs(2)).measurement_time(Duration::from_secs(12));
    for (size, config) in [("small", DecoderConfig::small_size()), ("default", DecoderConfig::default_size())] {
        let data = dataset(&config);
        for (stage, frame_steps) in [("frames", 1_000_000), ("audio", 0)] {
            for (kernel_name, kernel) in [("fused", LayerKernels::Fused), ("graph", LayerKernels::Graph)] {
                let settings = TrainSettings { frame_steps, ..TrainSettings::new(config.clone(), "bench") };
                let mut trainer = Trainer::new(settings, data.statistics).expect("trainer");
                trainer.set_layer_kernels(kernel);
                let audio_stage = AudioStage::new(&config, &data).expect("audio stage");
                let id = BenchmarkId::new(format!("{size}/{stage}"), kernel_name);
                group.bench_function(id, |b| b.iter(|| trainer.train_step(&data, &audio_stage).expect("step")));
            }
        }
    }
    group.finish();
}

criterion_group!(benches, train_step);
criterion_main!(benches);
