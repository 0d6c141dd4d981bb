//! What the plugin costs a host, measured on what ships (release build, no
//! environment variables):
//!
//! - **CPU per second of audio** (criterion): the plugin's engine with the
//!   default instrument at 48 kHz in 128-sample blocks, real-time mode, the
//!   model's step inside `process()`, against the same engine with the
//!   additive instrument (no model) in the same run. Nothing else runs
//!   beside the audio thread, so the time per iteration is the audio
//!   thread's CPU time: 10 ms per iteration is 1 % of one core.
//! - **Worst callbacks**: a minute of a sung phrase at 64-, 128- and
//!   512-sample blocks, every `process` call timed: mean, p99.9 and max, as
//!   a share of the block's real-time budget; then a minute at 192 kHz in
//!   64-sample blocks with the longest reverb a checkpoint may carry.
//! - **An idle instance**, loaded into a CLAP host (clack-host) and
//!   activated: 5 s with no `process` call, then 5 s of silence paced at
//!   real time: wake-ups per second (context switches of all the plugin's
//!   threads, from `/proc/self/task`) and CPU (from `schedstat`). Linux
//!   only.
//!
//! cargo bench -p ddsp-plugin --bench plugin_cpu

#[path = "../tests/host/mod.rs"]
mod host;

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ddsp_e2e::sung_melody;
use ddsp_model::checkpoint::MAX_REVERB_SECONDS;
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
    callback_report();
    idle_report();
    let input = sung_melody(RATE as f64, &[57.0, 60.0, 64.0, 62.0], 0.25);
    let mut group = c.benchmark_group("one second at 48 kHz, 128-sample blocks");
    group.throughput(Throughput::Elements(input.len() as u64));
    group.sample_size(20);
    let mut instrument = ddsp_plugin::default_engine(RATE, BLOCK);
    group.bench_function("default instrument (model step in process)", |b| {
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

/// Times every callback of a minute of audio at each block size, then of
/// the largest reverb a checkpoint may carry at 192 kHz.
fn callback_report() {
    let phrase = sung_melody(RATE as f64, &[57.0, 60.0, 64.0, 67.0, 65.0, 62.0, 59.0, 55.0], 0.6);
    for block in [64, 128, 512] {
        let engine = ddsp_plugin::default_engine(RATE, block);
        report_callbacks("default instrument", engine, &phrase, RATE, block);
    }
    // The worst reverb a checkpoint may bring: an impulse response at the
    // format's length cap, at the highest host rate, in the smallest blocks.
    let high_rate = 192_000.0;
    let phrase = sung_melody(high_rate as f64, &[57.0, 60.0, 64.0, 67.0], 0.6);
    let mut state = 1u32;
    let longest_ir: Vec<f32> = (0..(MAX_REVERB_SECONDS * high_rate) as usize)
        .map(|n| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((state >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * (-(n as f32) / high_rate).exp()
        })
        .collect();
    let longest = format!("additive instrument, {MAX_REVERB_SECONDS} s reverb (the longest a checkpoint may carry)");
    for (label, ir) in [("additive instrument, no reverb".to_owned(), Vec::new()), (longest, longest_ir)] {
        let mut config = EngineConfig::new(high_rate, 64);
        config.reverb_ir = ir;
        config.reverb_ir_rate_hz = high_rate;
        let engine = Engine::new(&config, AdditiveDecoder::boxed(AdditiveConfig::default()));
        report_callbacks(&label, engine, &phrase, high_rate, 64);
    }
}

/// Times every `process` call of a minute of `phrase` (looped) through
/// `engine` in `block`-sample blocks and prints mean, p99.9 and max as
/// shares of the block's real-time budget.
fn report_callbacks(label: &str, mut engine: Engine, phrase: &[f32], rate: f32, block: usize) {
    let mut buffer = vec![0.0f32; block];
    let num_blocks = 60 * rate as usize / block;
    let mut times = Vec::with_capacity(num_blocks);
    let mut position = 0;
    for _ in 0..num_blocks {
        for sample in buffer.iter_mut() {
            *sample = phrase[position];
            position = (position + 1) % phrase.len();
        }
        let start = Instant::now();
        engine.process(&mut [&mut buffer]);
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let budget = block as f64 / rate as f64;
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let p999 = times[times.len() * 999 / 1000];
    let max = times[times.len() - 1];
    println!(
        "callbacks, {label}, {} kHz, {block}-sample blocks, 60 s: mean {:.1} µs ({:.2} % of the block's {:.0} µs), \
         p99.9 {:.1} µs ({:.1} %), max {:.1} µs ({:.1} %)",
        rate / 1000.0,
        mean * 1e6,
        100.0 * mean / budget,
        budget * 1e6,
        p999 * 1e6,
        100.0 * p999 / budget,
        max * 1e6,
        100.0 * max / budget,
    );
}

/// Context switches and CPU nanoseconds of every thread of this process.
fn process_activity() -> (u64, u64) {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return (0, 0) };
    let (mut switches, mut cpu_ns) = (0, 0);
    for task in tasks.flatten() {
        let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
        switches += status
            .lines()
            .filter(|line| line.contains("ctxt_switches"))
            .filter_map(|line| line.split_whitespace().last()?.parse::<u64>().ok())
            .sum::<u64>();
        let schedstat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        cpu_ns += schedstat.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    }
    (switches, cpu_ns)
}

/// Wake-ups per second and share of one core over `seconds` while `during`
/// runs (the measuring thread's own switches included: a few per second).
fn measure(seconds: f64, during: impl FnOnce()) -> (f64, f64) {
    let (switches_before, cpu_before) = process_activity();
    let start = Instant::now();
    during();
    let elapsed = start.elapsed().as_secs_f64().max(seconds);
    let (switches_after, cpu_after) = process_activity();
    ((switches_after - switches_before) as f64 / elapsed, 100.0 * (cpu_after - cpu_before) as f64 * 1e-9 / elapsed)
}

fn idle_report() {
    if std::fs::read_dir("/proc/self/task").is_err() {
        println!("idle wake-ups and CPU not measured: /proc/self/task exists only on Linux");
        return;
    }
    let mut plugin = host::Plugin::new();
    let session = host::Session { pace: host::Pace::RealTime, sample_rate: RATE, max_block: BLOCK };
    let (wakeups, cpu) = plugin.activated(session, |_| measure(5.0, || std::thread::sleep(Duration::from_secs(5))));
    println!("idle instance, activated, no process calls: {wakeups:.1} wake-ups/s, {cpu:.3} % of one core");
    // Silence paced at real time; measured from the first block to the
    // last, so activation (loading the model) and deactivation stay out.
    let silence = vec![0.0f32; 5 * RATE as usize];
    let mut first: Option<((u64, u64), Instant)> = None;
    let mut last = None;
    plugin.run(host::Pace::RealTime, RATE, BLOCK, &silence, &[], |_, sample| {
        if sample == 0 {
            first = Some((process_activity(), Instant::now()));
        } else if sample + BLOCK >= silence.len() {
            last = Some((process_activity(), Instant::now()));
        }
    });
    let (Some(((switches_0, cpu_0), t_0)), Some(((switches_1, cpu_1), t_1))) = (first, last) else { return };
    let elapsed = (t_1 - t_0).as_secs_f64();
    println!(
        "instance playing silence in real time, 128-sample blocks: {:.1} wake-ups/s (the host's own {:.0} \
         callbacks/s included), {:.3} % of one core",
        (switches_1 - switches_0) as f64 / elapsed,
        RATE as f64 / BLOCK as f64,
        100.0 * (cpu_1 - cpu_0) as f64 * 1e-9 / elapsed
    );
}

criterion_group!(benches, plugin_cpu);
criterion_main!(benches);
