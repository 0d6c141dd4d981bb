//! DDSP Synth as a VST3 host plays it: the library `cargo test` builds,
//! loaded as VST3 through vst3-host, an instrument with no latency whose
//! notes sound at their pitch and follow the sustain pedal.

use ddsp_e2e::vst3::vst3_host::{AudioBuffers, MidiChannel, Plugin};
use ddsp_e2e::vst3::{load, start};
use dsp_core::pitch::median_voiced_f0_hz;
use dsp_core::pitch_units::{cents_between, midi_to_hz};

const RATE: f32 = 48_000.0;
const BLOCK: usize = 256;

/// Plays `blocks` blocks, calling `before(plugin, index)` ahead of each
/// (where notes are sent: they land at the next block's start); returns
/// the left output.
fn play(plugin: &mut Plugin, blocks: usize, mut before: impl FnMut(&mut Plugin, usize)) -> Vec<f32> {
    let mut buffers = AudioBuffers::new(0, 2, BLOCK, RATE as f64);
    let mut output = Vec::with_capacity(blocks * BLOCK);
    for index in 0..blocks {
        before(plugin, index);
        plugin.process_audio(&mut buffers).unwrap();
        assert_eq!(buffers.outputs[0], buffers.outputs[1], "both channels carry the same synth");
        output.extend_from_slice(&buffers.outputs[0]);
    }
    output
}

#[test]
fn an_instrument_without_latency_playing_notes_at_their_pitch() {
    let mut plugin = load("ddsp_synth", RATE, BLOCK, true);
    assert_eq!(plugin.info().name, "DDSP Synth");
    assert!(plugin.info().category.contains("Instrument"), "{}", plugin.info().category);
    assert_eq!(start(&mut plugin), 0);
    let blocks = (1.2 * RATE) as usize / BLOCK;
    let out = play(&mut plugin, blocks, |plugin, index| {
        if index == 10 {
            plugin.send_midi_note(64, 100, MidiChannel::Ch1).unwrap();
        }
    });
    assert!(out[..10 * BLOCK].iter().all(|&x| x == 0.0), "sound before the note");
    let first = out.iter().position(|&x| x != 0.0).expect("a sound");
    assert!(first <= 10 * BLOCK + 192, "first sound {} samples after the note", first - 10 * BLOCK);
    let clip = &out[(0.4 * RATE) as usize..];
    let (heard, frames) = median_voiced_f0_hz(clip, RATE, 0.8).expect("voiced frames");
    assert!(frames > 10);
    assert!(cents_between(heard, midi_to_hz(64.0)).abs() < 5.0, "{heard} Hz");
}

#[test]
fn the_sustain_pedal_holds_a_released_note() {
    let mut plugin = load("ddsp_synth", RATE, BLOCK, true);
    start(&mut plugin);
    let blocks = (1.5 * RATE) as usize / BLOCK;
    let out = play(&mut plugin, blocks, |plugin, index| match index {
        0 => {
            plugin.send_midi_cc(64, 127, MidiChannel::Ch1).unwrap();
            plugin.send_midi_note(60, 90, MidiChannel::Ch1).unwrap();
        }
        20 => plugin.send_midi_note_off(60, MidiChannel::Ch1).unwrap(),
        _ => {}
    });
    let late = &out[(1.2 * RATE) as usize..];
    assert!(late.iter().map(|x| x * x).sum::<f32>() / late.len() as f32 > 1e-6, "the pedal did not hold");
}
