//! DDSP Synth as a host plays it: the CLAP library `cargo test` builds,
//! loaded through clack-host, sent notes, MIDI and note expressions at
//! their sample offsets, saved and restored, with a model file loaded.

use std::ffi::CString;

use clack_extensions::latency::PluginLatency;
use clack_extensions::params::{ParamInfoBuffer, PluginParams};
use clack_extensions::state::PluginState;
use clack_host::events::event_types::{
    MidiEvent, NoteExpressionEvent, NoteExpressionType, NoteOffEvent, NoteOnEvent, ParamValueEvent,
};
use clack_host::events::Pckn;
use clack_host::prelude::*;
use clack_host::utils::ClapId;
use ddsp_e2e::clap_host::{TestHost, TestHostShared};
use ddsp_e2e::rms;
use ddsp_e2e::state::state_with;
use ddsp_model::instruments::bundled_instrument;
use ddsp_synth::DdspSynth;
use dsp_core::pitch::median_voiced_f0_hz;
use dsp_core::pitch_units::{cents_between, midi_to_hz};
use nice_plug::prelude::ClapPlugin;

const RATE: f32 = 48_000.0;
const BLOCK: usize = 256;

/// What a test sends at a sample.
#[derive(Clone, Copy, Debug)]
enum Send {
    On(u8, f64),
    Off(u8),
    /// A raw MIDI 1 message.
    Midi([u8; 3]),
    /// Per-note tuning (MPE bend), semitones.
    Tuning(u8, f64),
    /// A parameter by name, to the value the plugin reads from a text.
    Param(&'static str, &'static str),
}

struct Synth {
    _entry: PluginEntry,
    instance: PluginInstance<TestHost>,
}

impl Synth {
    fn new() -> Self {
        let library = ddsp_e2e::plugin_library("ddsp_synth");
        let entry = unsafe { PluginEntry::load(library) }.expect("the synth library loads");
        let id = CString::new(DdspSynth::CLAP_ID).unwrap();
        let info = HostInfo::new("ddsp tests", "ddsp", "https://example.invalid", "1.0").unwrap();
        let instance =
            PluginInstance::<TestHost>::new(|_| TestHostShared, |_| (), &entry, &id, &info).expect("an instance");
        Self { _entry: entry, instance }
    }

    /// The CLAP id of parameter `name` and the value it reads `text` as.
    fn param(&mut self, name: &str, text: &str) -> (ClapId, f64) {
        let handle = self.instance.plugin_handle();
        let params = handle.get_extension::<PluginParams>().expect("the params extension");
        let mut buffer = ParamInfoBuffer::new();
        let mut found = None;
        for index in 0..params.count(&handle) {
            let info = params.get_info(&handle, index, &mut buffer).expect("parameter info");
            if info.name.split(|&b| b == 0).next() == Some(name.as_bytes()) {
                found = Some(info.id);
            }
        }
        let id = found.unwrap_or_else(|| panic!("no parameter {name}"));
        let text = CString::new(text).unwrap();
        (id, params.text_to_value(&handle, id, &text).unwrap_or_else(|| panic!("{name} refuses {text:?}")))
    }

    fn save(&mut self) -> Vec<u8> {
        let handle = self.instance.plugin_handle();
        let mut bytes = Vec::new();
        handle.get_extension::<PluginState>().expect("the state extension").save(&handle, &mut bytes).unwrap();
        bytes
    }

    fn load(&mut self, bytes: &[u8]) {
        let handle = self.instance.plugin_handle();
        let state = handle.get_extension::<PluginState>().expect("the state extension");
        state.load(&handle, &mut &bytes[..]).expect("the state loads");
    }

    /// Activates, plays `seconds` with `sends` (sample, what) in
    /// `BLOCK`-sample blocks, deactivates. Returns (reported latency, left
    /// output); checks both channels are the same and finite.
    fn play(&mut self, seconds: f32, sends: &[(usize, Send)]) -> (u32, Vec<f32>) {
        let sends: Vec<(usize, Send)> = sends.to_vec();
        let params: Vec<Option<(ClapId, f64)>> = sends
            .iter()
            .map(|&(_, send)| match send {
                Send::Param(name, text) => Some(self.param(name, text)),
                _ => None,
            })
            .collect();
        let configuration =
            PluginAudioConfiguration { sample_rate: RATE as f64, min_frames_count: 1, max_frames_count: BLOCK as u32 };
        let processor = self.instance.activate(|_, _| (), configuration).expect("activates");
        let latency = {
            let handle = self.instance.plugin_handle();
            handle.get_extension::<PluginLatency>().map_or(0, |latency| latency.get(&handle))
        };
        let mut processor = processor.start_processing().expect("starts processing");
        let total = (seconds * RATE) as usize;
        let (mut left, mut right) = (vec![0.0f32; total], vec![0.0f32; total]);
        let mut output_ports = AudioPorts::with_capacity(2, 1);
        let mut events = EventBuffer::new();
        let mut output_events = EventBuffer::new();
        let mut next = 0;
        let mut start = 0;
        while start < total {
            let end = (start + BLOCK).min(total);
            events.clear();
            while next < sends.len() && sends[next].0 < end {
                let time = sends[next].0.saturating_sub(start) as u32;
                let note = |key: u8| Pckn::new(0u16, 0u16, key as u16, key as u32);
                match sends[next].1 {
                    Send::On(key, velocity) => events.push(&NoteOnEvent::new(time, note(key), velocity)),
                    Send::Off(key) => events.push(&NoteOffEvent::new(time, note(key), 0.0)),
                    Send::Midi(data) => events.push(&MidiEvent::new(time, 0, data)),
                    Send::Tuning(key, semitones) => {
                        events.push(&NoteExpressionEvent::new(time, note(key), NoteExpressionType::Tuning, semitones))
                    }
                    Send::Param(..) => {
                        let (id, value) = params[next].unwrap();
                        events.push(&ParamValueEvent::new(time, id, Pckn::match_all(), value))
                    }
                }
                next += 1;
            }
            let audio_in = InputAudioBuffers::empty();
            let (left_out, right_out) = (&mut left[start..end], &mut right[start..end]);
            let mut audio_out = output_ports.with_output_buffers([AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_output_only([left_out, right_out]),
            }]);
            processor
                .process(
                    &audio_in,
                    &mut audio_out,
                    &InputEvents::from_buffer(&events),
                    &mut OutputEvents::from_buffer(&mut output_events),
                    None,
                    None,
                )
                .expect("processes");
            output_events.clear();
            start = end;
        }
        self.instance.deactivate(processor.stop_processing());
        assert_eq!(left, right, "both channels carry the same synth");
        assert!(left.iter().all(|x| x.is_finite()));
        (latency, left)
    }
}

/// Median tracked pitch from `from_s` to `to_s`, Hz.
fn median_pitch_hz(signal: &[f32], from_s: f32, to_s: f32) -> f32 {
    let clip = &signal[(from_s * RATE) as usize..(to_s * RATE) as usize];
    let (f0_hz, frames) = median_voiced_f0_hz(clip, RATE, 0.8).expect("voiced frames");
    assert!(frames > 10, "too few voiced frames");
    f0_hz
}

/// A note sounds at its pitch, with no latency reported and from within
/// one 4 ms frame of its note-on, for every bundled instrument: middle C,
/// or the nearest note of the instrument's range (the bassoon's ends at
/// G3).
#[test]
fn notes_play_at_their_pitch_without_latency() {
    for instrument in ddsp_model::instruments::BUNDLED_INSTRUMENTS {
        let name = instrument.name;
        let (lowest, highest) = instrument.range_midi;
        let key = 60.clamp(lowest, highest);
        let note_at = 4_800 + 77;
        let sends = [(0, Send::Param("Instrument", name)), (note_at, Send::On(key, 0.8))];
        let (latency, out) = Synth::new().play(1.2, &sends);
        assert_eq!(latency, 0);
        let first = out.iter().position(|&x| x != 0.0).expect("a sound");
        assert!((note_at..=note_at + 192).contains(&first), "{name}: first sound at {first}");
        let heard = median_pitch_hz(&out, 0.4, 1.1);
        assert!(cents_between(heard, midi_to_hz(f32::from(key))).abs() < 5.0, "{name}: {heard} Hz");
    }
}

#[test]
fn velocity_and_pressure_raise_the_level() {
    let level = |velocity: f64, pressure: u8| {
        let sends = [(0, Send::On(57, velocity)), (0, Send::Midi([0xD0, pressure, 0]))];
        rms(&Synth::new().play(0.8, &sends).1[(0.5 * RATE) as usize..])
    };
    let by_velocity: Vec<f32> = [0.2, 0.5, 0.8, 1.0].iter().map(|&v| level(v, 0)).collect();
    assert!(by_velocity.windows(2).all(|w| w[1] > w[0]), "{by_velocity:?}");
    let by_pressure: Vec<f32> = [0u8, 64, 127].iter().map(|&p| level(0.5, p)).collect();
    assert!(by_pressure.windows(2).all(|w| w[1] > w[0]), "{by_pressure:?}");
}

/// The pitch wheel (MIDI) bends the note by the bend range; a per-note
/// tuning expression (MPE) bends only its note; the sustain pedal (CC 64)
/// holds a released note.
#[test]
fn bends_and_the_pedal_work_through_the_host() {
    let (_, bent) = Synth::new().play(1.0, &[(0, Send::On(57, 0.8)), (0, Send::Midi([0xE0, 0x00, 0x60]))]);
    // 0x60 << 7 of 0x3FFF: +0.5 of the ±2-semitone default range.
    let heard = median_pitch_hz(&bent, 0.3, 0.9);
    assert!(cents_between(heard, midi_to_hz(58.0)).abs() < 5.0, "{heard} Hz");

    let (_, tuned) = Synth::new().play(1.0, &[(0, Send::On(57, 0.8)), (2_000, Send::Tuning(57, -2.0))]);
    let heard = median_pitch_hz(&tuned, 0.3, 0.9);
    assert!(cents_between(heard, midi_to_hz(55.0)).abs() < 5.0, "{heard} Hz");

    let sends = [(0, Send::Midi([0xB0, 64, 127])), (0, Send::On(60, 0.8)), ((0.2 * RATE) as usize, Send::Off(60))];
    let (_, held) = Synth::new().play(1.5, &sends);
    let (_, released) = Synth::new().play(1.5, &sends[1..]);
    let late = (1.2 * RATE) as usize;
    assert!(rms(&held[late..]) > 0.1 * rms(&held[..late]), "the pedal did not hold the note");
    assert!(rms(&released[late..]) < 1e-4, "the released note still sounds");
}

/// A saved project reopens with its settings and plays the same notes to
/// the bit.
#[test]
fn state_round_trips() {
    let notes = [(0, Send::On(62, 0.7)), ((0.6 * RATE) as usize, Send::Off(62))];
    let mut original = Synth::new();
    original.play(0.1, &[(0, Send::Param("Instrument", "Flute")), (0, Send::Param("Attack", "200"))]);
    let (_, played) = original.play(1.0, &notes);
    let saved = original.save();
    let mut reopened = Synth::new();
    reopened.load(&saved);
    let (_, replayed) = reopened.play(1.0, &notes);
    assert!(rms(&played) > 1e-3, "rms {}", rms(&played));
    assert!(played == replayed, "the restored synth plays differently");
    assert_eq!(reopened.save(), saved);
    let (_, violin) = Synth::new().play(1.0, &notes);
    assert!(violin != played, "the restored synth is not the flute");
}

/// Sixteen voices sounding at once (the allocation-asserting CI run
/// aborts on any allocation in `process`), then all released.
#[test]
fn sixteen_voices_play_together() {
    let mut sends = vec![(0, Send::Param("Voices", "16"))];
    sends.extend((0..16u8).map(|i| (i as usize * 100, Send::On(48 + 2 * i, 0.6))));
    sends.extend((0..16u8).map(|i| ((0.8 * RATE) as usize, Send::Off(48 + 2 * i))));
    let (_, out) = Synth::new().play(1.6, &sends);
    let playing = rms(&out[(0.4 * RATE) as usize..(0.8 * RATE) as usize]);
    assert!(playing > 0.01);
    assert!(rms(&out[(1.4 * RATE) as usize..]) < 1e-4, "voices still sound after their release");
}

/// A project saved with a model file as "Loaded File" reopens playing that
/// file: a copy of the bundled trumpet plays exactly as the bundled
/// trumpet. A file that has gone missing plays the default instrument, as
/// the effect does, rather than silence.
#[test]
fn a_saved_model_file_plays_and_a_missing_one_falls_back() {
    let dir = std::env::temp_dir().join(format!("ddsp-synth-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trumpet_file = dir.join("my-trumpet.safetensors");
    std::fs::write(&trumpet_file, bundled_instrument("trumpet").unwrap().bytes).unwrap();
    let notes = [(0, Send::On(64, 0.7)), ((0.6 * RATE) as usize, Send::Off(64))];
    let fresh = Synth::new().save();
    let play_state = |state: &[u8]| {
        let mut synth = Synth::new();
        synth.load(state);
        synth.play(1.0, &notes).1
    };
    let from_file = play_state(&state_with(&fresh, "loaded-file", Some(&trumpet_file)));
    let bundled = play_state(&state_with(&fresh, "trumpet", None));
    assert!(rms(&from_file) > 1e-3, "rms {}", rms(&from_file));
    assert!(from_file == bundled, "the loaded file does not play its model");
    let missing = dir.join("gone.safetensors");
    let fallback = play_state(&state_with(&fresh, "loaded-file", Some(&missing)));
    let default = play_state(&fresh);
    assert!(fallback == default, "a missing file does not play the default instrument");
    assert!(fallback != bundled);
    std::fs::remove_dir_all(&dir).unwrap();
}
