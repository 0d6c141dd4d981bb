//! Real-time stress: the plugin's engine (the default instrument's step
//! inside `process()`) paced at real time as a host's audio thread would
//! call it, at 64-, 128- and 256-sample blocks, while busy processes
//! saturate the other cores. Counts late frames three ways: at the decoder
//! interface (this test's own count), the engine's counter, and what the
//! editor shows (the meters the audio thread publishes while the editor is
//! open); all three must be zero. A short run is part of the test suite;
//! the long one is ignored (it takes as long as the audio it plays):
//!
//! DDSP_PACED_SECONDS=600 cargo test --release -p ddsp-plugin --test late_frames -- --ignored --nocapture
//!
//! DDSP_BLOCKS (default 64,128,256) picks the block sizes; DDSP_BUSY=0
//! runs without the busy processes.

use std::process::{Child, Command};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ddsp_e2e::sung_melody;
use ddsp_model::engine::model_engine_config;
use ddsp_model::streaming::engine_decoder;
use ddsp_plugin::{read_checkpoint, InstrumentChoice, Meters, ModelFile};
use dsp_core::{DecodeStatus, Decoder, DecoderInfo, DecoderOutput, Engine, FeatureFrame, UserControls};

/// A decoder that counts the frames it reports late, independently of the
/// engine's own counter.
struct CountingDecoder {
    inner: Box<dyn Decoder>,
    late: Arc<AtomicU64>,
}

impl Decoder for CountingDecoder {
    fn info(&self) -> &DecoderInfo {
        self.inner.info()
    }

    fn extra_latency_samples(&self, host_rate_hz: f32, max_block_samples: usize) -> usize {
        self.inner.extra_latency_samples(host_rate_hz, max_block_samples)
    }

    fn reset(&mut self) {
        self.inner.reset();
    }

    fn submit(&mut self, frame_index: u64, features: &FeatureFrame) {
        self.inner.submit(frame_index, features);
    }

    fn receive(&mut self, frame_index: u64, wait: bool, out: &mut DecoderOutput) -> DecodeStatus {
        let status = self.inner.receive(frame_index, wait, out);
        if status == DecodeStatus::Late {
            self.late.fetch_add(1, Ordering::Relaxed);
        }
        status
    }
}

/// Busy processes, killed when dropped.
struct BusyProcesses(Vec<Child>);

impl BusyProcesses {
    /// One spinning shell per core but one.
    fn saturate_other_cores() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self(
            (1..cores.max(2))
                .map(|_| Command::new("sh").args(["-c", "while :; do :; done"]).spawn().expect("a busy process"))
                .collect(),
        )
    }
}

impl Drop for BusyProcesses {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The plugin's default engine at `rate` / `block`, its decoder counted.
fn counted_engine(rate: f32, block: usize) -> (Engine, Arc<AtomicU64>) {
    let (checkpoint, _) = read_checkpoint(InstrumentChoice::default_choice(), &ModelFile::default()).unwrap();
    let config = model_engine_config(&checkpoint, rate, block);
    let late = Arc::new(AtomicU64::new(0));
    let decoder = CountingDecoder { inner: engine_decoder(&checkpoint).unwrap(), late: late.clone() };
    let mut engine = Engine::new(&config, Box::new(decoder));
    engine.set_controls(UserControls::default());
    engine.reset();
    (engine, late)
}

#[test]
fn no_late_frames_in_a_short_paced_run_under_load() {
    paced_run(2.0, &[64, 128, 256], true);
}

#[test]
#[ignore = "runs in real time; see the command above"]
fn late_frames_under_load() {
    let seconds: f64 = std::env::var("DDSP_PACED_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(60.0);
    let blocks: Vec<usize> = std::env::var("DDSP_BLOCKS")
        .unwrap_or_else(|_| "64,128,256".into())
        .split(',')
        .map(|b| b.trim().parse().expect("DDSP_BLOCKS: sizes separated by commas"))
        .collect();
    let busy = std::env::var("DDSP_BUSY").map_or(true, |v| v != "0");
    paced_run(seconds, &blocks, busy);
}

/// Plays `seconds` of a sung phrase in real time at each block size (with
/// the other cores saturated when `busy`), prints the counts and the
/// audio thread's load, and checks that no frame was late.
fn paced_run(seconds: f64, blocks: &[usize], busy: bool) {
    let _load = busy.then(BusyProcesses::saturate_other_cores);
    let rate = 48_000.0f32;
    let phrase = sung_melody(rate as f64, &[57.0, 60.0, 64.0, 67.0, 65.0, 62.0, 59.0, 55.0], 0.6);
    for &block in blocks {
        let (mut engine, counted_late) = counted_engine(rate, block);
        let meters = Meters::default();
        let mut buffer = vec![0.0f32; block];
        let total_blocks = (seconds * rate as f64) as usize / block;
        let (mut position, mut busy_time, mut worst) = (0usize, Duration::ZERO, Duration::ZERO);
        let started = Instant::now();
        for index in 0..total_blocks {
            for sample in buffer.iter_mut() {
                *sample = phrase[position];
                position = (position + 1) % phrase.len();
            }
            let begin = Instant::now();
            engine.process(&mut [&mut buffer]);
            // What the plugin's process() does while the editor is open.
            meters.publish(&engine, engine.late_frames());
            let took = begin.elapsed();
            busy_time += took;
            worst = worst.max(took);
            let due = Duration::from_secs_f64(((index + 1) * block) as f64 / rate as f64);
            std::thread::sleep(due.saturating_sub(started.elapsed()));
        }
        let (counted, editor) = (counted_late.load(Ordering::Relaxed), meters.read().late_frames);
        println!(
            "{seconds} s at {rate} Hz / {block}-sample blocks, other cores {}: {} frames, {counted} late ({:.3} %); \
             engine {}, editor {editor}; audio thread {:.2} % busy, worst block {:.3} ms (budget {:.3} ms)",
            if busy { "saturated" } else { "idle" },
            engine.frames(),
            100.0 * counted as f64 / engine.frames() as f64,
            engine.late_frames(),
            100.0 * busy_time.as_secs_f64() / seconds,
            1e3 * worst.as_secs_f64(),
            1e3 * block as f64 / rate as f64,
        );
        assert_eq!(counted, 0, "late frames at {block}-sample blocks");
        assert_eq!(engine.late_frames(), counted, "the engine's count differs from the decoder's");
        assert_eq!(editor, counted, "the editor's count differs from the test's");
    }
}
