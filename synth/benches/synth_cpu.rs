//! What DDSP Synth costs a host (release build, no environment variables):
//! CPU per second of audio at 48 kHz in 128-sample blocks with the shipped
//! violin, with 1, 4 and 8 voices sounding, held still and with mod-wheel
//! vibrato (every frame then new to the decoder; a held still note lets
//! its step keep what only the features decide) (time per iteration =
//! real-time factor: 10 ms is 1 % of one core; the cost of a voice is the
//! difference over the voices added), and the MIDI-in-to-sound latency
//! (printed).
//!
//! cargo bench -p ddsp-synth --bench synth_cpu

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use dsp_core::synth::{NoteEvent, PolySynth};

const RATE: f32 = 48_000.0;
const BLOCK: usize = 128;

/// A synth with `voices` notes held (sustaining), with full mod-wheel
/// vibrato when `vibrato`.
fn sounding(voices: usize, vibrato: bool) -> PolySynth {
    let mut synth = ddsp_synth::bundled_synth(RATE).expect("the bundled instruments");
    if vibrato {
        synth.handle(NoteEvent::ModWheel { amount: 1.0 });
    }
    for index in 0..voices {
        synth.handle(NoteEvent::NoteOn { key: (0, 55 + 3 * index as u8), velocity: 0.8 });
    }
    let mut block = [0.0f32; BLOCK];
    for _ in 0..(RATE as usize / BLOCK) {
        synth.process(&mut block);
    }
    synth
}

fn latency_report() {
    let mut synth = ddsp_synth::bundled_synth(RATE).expect("the bundled instruments");
    let mut block = [0.0f32; BLOCK];
    synth.process(&mut block[..100]);
    synth.handle(NoteEvent::NoteOn { key: (0, 60), velocity: 0.8 });
    let mut heard = None;
    for index in 0..10 {
        synth.process(&mut block);
        if let Some(first) = block.iter().position(|&x| x != 0.0) {
            heard = Some(index * BLOCK + first);
            break;
        }
    }
    println!(
        "MIDI in to sound: {} samples at 48 kHz (no analysis lookahead; the next 4 ms frame boundary), reported latency 0",
        heard.map_or("never".to_owned(), |n| n.to_string())
    );
}

fn synth_cpu(c: &mut Criterion) {
    latency_report();
    let mut group = c.benchmark_group("one second at 48 kHz, 128-sample blocks, violin");
    group.sample_size(10);
    for (voices, vibrato) in [(1, false), (4, false), (8, false), (1, true), (4, true), (8, true)] {
        let mut synth = sounding(voices, vibrato);
        assert_eq!(synth.sounding_voices(), voices);
        let mut block = [0.0f32; BLOCK];
        let held = if vibrato { "with vibrato" } else { "held still" };
        group.bench_function(format!("{voices} voices sounding, {held}"), |b| {
            b.iter(|| {
                for _ in 0..(RATE as usize / BLOCK) {
                    synth.process(&mut block);
                    black_box(&block);
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, synth_cpu);
criterion_main!(benches);
