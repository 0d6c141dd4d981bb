//! `ddsp render` of 60 s at 48 kHz, the program as a user runs it (the
//! release binary, every environment variable cleared): wall time per second
//! of audio with the default instrument, and with the plain additive
//! instrument (no model) in the same run as the reference.
//!
//! cargo bench -p ddsp-cli --bench render

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use ddsp_training::audio_file::{write_wav, AudioClip};

const RATE: u32 = 48_000;
const SECONDS: usize = 60;

/// A minute of a sung-like line: notes with vibrato and rests.
fn sung_minute() -> Vec<f32> {
    let notes = [57.0, 60.0, 64.0, 67.0, 65.0, 62.0, 59.0, 55.0];
    let note_samples = RATE as usize * 3 / 4;
    let mut phase = 0.0f64;
    (0..SECONDS * RATE as usize)
        .map(|n| {
            let note = notes[(n / note_samples) % notes.len()];
            let t = n as f64 / RATE as f64;
            let f0 =
                440.0 * 2f64.powf((note - 69.0) / 12.0) * (1.0 + 0.006 * (2.0 * std::f64::consts::PI * 5.5 * t).sin());
            phase += f0 / RATE as f64;
            let in_note = (n % note_samples) as f64 / note_samples as f64;
            let envelope = if in_note < 0.85 { (in_note * 20.0).min(1.0) } else { 0.0 };
            (envelope
                * (1..=6).map(|k| 0.25 / k as f64 * (2.0 * std::f64::consts::PI * k as f64 * phase).sin()).sum::<f64>())
                as f32
        })
        .collect()
}

fn render(input: &Path, output: &Path, model: &str) {
    let status = Command::new(env!("CARGO_BIN_EXE_ddsp"))
        .env_clear()
        .args(["render", "--model", model, "-o"])
        .arg(output)
        .arg(input)
        .status()
        .expect("runs ddsp");
    assert!(status.success(), "ddsp render failed");
}

fn ddsp_render(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("ddsp-render-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("sung-minute.wav");
    write_wav(&input, &AudioClip { channels: vec![sung_minute()], sample_rate_hz: RATE }).unwrap();
    let output = dir.join("out.wav");
    let mut group = c.benchmark_group("ddsp render, 60 s at 48 kHz");
    group.sample_size(10);
    for model in ["violin", "additive"] {
        let start = Instant::now();
        render(&input, &output, model);
        println!(
            "ddsp render --model {model}: {:.1} ms of wall time per second of audio (one run)",
            start.elapsed().as_secs_f64() * 1e3 / SECONDS as f64
        );
        group.bench_function(model, |b| b.iter(|| render(&input, &output, model)));
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, ddsp_render);
criterion_main!(benches);
