//! The effect's MIDI out through the engine: with the largest host blocks
//! (170 frames per call), no event is lost.

use dsp_core::note_out::NoteOut;
use dsp_core::{AdditiveConfig, AdditiveDecoder, Engine, EngineConfig};

const RATE: f32 = 48_000.0;

/// A held note with ±30-cent vibrato (a bend every frame), then silence:
/// one note-on, one note-off and every bend between, in order, at 32,768
/// samples per call.
#[test]
fn large_blocks_lose_no_events() {
    let block = 32_768;
    let mut engine = Engine::new(&EngineConfig::new(RATE, block), AdditiveDecoder::boxed(AdditiveConfig::default()));
    let mut phase = 0.0f64;
    let mut input: Vec<f32> = (0..(1.5 * RATE) as usize)
        .map(|n| {
            let t = n as f64 / RATE as f64;
            let f0 = 220.0 * (0.3 / 12.0 * (2.0 * std::f64::consts::PI * 5.0 * t).sin()).exp2();
            phase += f0 / RATE as f64;
            (1..=6).map(|k| 0.2 / k as f64 * (2.0 * std::f64::consts::PI * k as f64 * phase).sin()).sum::<f64>() as f32
        })
        .collect();
    input.resize(input.len() + (0.6 * RATE) as usize, 0.0);
    let mut events = Vec::new();
    for chunk in input.chunks(block) {
        let mut buffer = chunk.to_vec();
        engine.process(&mut [&mut buffer]);
        engine.drain_note_events(engine.samples_processed(), |sample, event| events.push((sample, event)));
    }
    let count = |wanted: fn(&NoteOut) -> bool| events.iter().filter(|(_, e)| wanted(e)).count();
    assert_eq!(count(|e| matches!(e, NoteOut::NoteOn { note: 57, .. })), 1, "{events:?}");
    assert_eq!(count(|e| matches!(e, NoteOut::NoteOff { note: 57 })), 1);
    assert_eq!(count(|e| matches!(e, NoteOut::NoteOn { .. })), 1);
    assert!(count(|e| matches!(e, NoteOut::PitchBend { .. })) > 100, "the vibrato's bends were lost");
    assert!(events.windows(2).all(|w| w[0].0 <= w[1].0), "out of order");
}
