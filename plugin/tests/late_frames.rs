//! Late frames of the plugin's engine (the default instrument behind its
//! inference thread) over a long run paced at real time, as a host's audio
//! thread would call it. Ignored: it takes as long as the audio it plays.
//!
//! DDSP_PACED_SECONDS=600 cargo test --release -p ddsp-plugin --test late_frames -- --ignored --nocapture

use std::time::{Duration, Instant};

use ddsp_e2e::sung_melody;

#[test]
#[ignore = "runs in real time; see the command above"]
fn late_frames_over_a_real_time_paced_run() {
    let seconds: f64 = std::env::var("DDSP_PACED_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60.0);
    let (rate, block) = (48_000.0f32, 128usize);
    let phrase = sung_melody(rate as f64, &[57.0, 60.0, 64.0, 67.0, 65.0, 62.0, 0.0, 55.0], 0.6);
    let mut engine = ddsp_plugin::default_engine(rate, block);
    let mut buffer = vec![0.0f32; block];
    let total_blocks = (seconds * rate as f64) as usize / block;
    let (mut position, mut busy, mut worst) = (0usize, Duration::ZERO, Duration::ZERO);
    let started = Instant::now();
    for index in 0..total_blocks {
        for sample in buffer.iter_mut() {
            *sample = phrase[position];
            position = (position + 1) % phrase.len();
        }
        let begin = Instant::now();
        engine.process(&mut [&mut buffer]);
        let took = begin.elapsed();
        busy += took;
        worst = worst.max(took);
        let due = Duration::from_secs_f64(((index + 1) * block) as f64 / rate as f64);
        std::thread::sleep(due.saturating_sub(started.elapsed()));
    }
    println!(
        "{seconds} s at {rate} Hz / {block}-sample blocks: {} frames, {} late; audio thread {:.2} % busy, worst block {:.3} ms",
        engine.frames(),
        engine.late_frames(),
        100.0 * busy.as_secs_f64() / seconds,
        1e3 * worst.as_secs_f64()
    );
}
