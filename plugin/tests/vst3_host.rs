//! The plugin as a VST3 host sees it: the library `cargo test` builds (it
//! exports VST3's `GetPluginFactory` beside CLAP's entry point), loaded
//! through a VST3 host library (vst3-host), its parameters, latency, state
//! and audio checked against what the CLAP side does with the same input.

mod host;

use ddsp_e2e::vst3::vst3_host;
use ddsp_e2e::vst3::{self, start};
use ddsp_e2e::{rms, sung_melody};
use host::{Change, Pace};
use vst3_host::{AudioBuffers, Plugin};

const RATE: f32 = 48_000.0;
const BLOCK: usize = 256;

/// The effect loaded as VST3 for `max_block`-sample blocks at `RATE`, in
/// offline mode (a bounce, as the CLAP tests' `Pace::Offline`).
fn load(max_block: usize) -> Plugin {
    vst3::load("ddsp_plugin", RATE, max_block, true)
}

/// The normalized value at which parameter `name` reads `text` (a stepped
/// parameter: instrument, octave, bypass).
fn value_of(plugin: &Plugin, name: &str, text: &str) -> (u32, f64) {
    let param = plugin.find_parameter(name).unwrap();
    let steps = param.step_count.max(1);
    (0..=steps)
        .map(|step| step as f64 / steps as f64)
        .find(|&value| plugin.format_parameter(param.id, value).unwrap() == text)
        .map(|value| (param.id, value))
        .unwrap_or_else(|| panic!("{name} never reads {text}"))
}

/// Plays `input` on both channels in `BLOCK`-sample blocks with `changes`
/// (parameter name, text, sample) at their samples; returns the left output.
fn play(plugin: &mut Plugin, input: &[f32], changes: &[(&str, &str, usize)]) -> Vec<f32> {
    play_watching(plugin, input, changes, |_| {})
}

/// [`play`], calling `after_block(plugin)` after each block.
fn play_watching(
    plugin: &mut Plugin,
    input: &[f32],
    changes: &[(&str, &str, usize)],
    mut after_block: impl FnMut(&mut Plugin),
) -> Vec<f32> {
    let changes: Vec<(u32, f64, usize)> = changes
        .iter()
        .map(|&(name, text, sample)| {
            let (id, value) = value_of(plugin, name, text);
            (id, value, sample)
        })
        .collect();
    let mut buffers = AudioBuffers::new(2, 2, BLOCK, RATE as f64);
    let mut output = Vec::with_capacity(input.len());
    for (index, block) in input.chunks(BLOCK).enumerate() {
        let start = index * BLOCK;
        for &(id, value, sample) in &changes {
            if (start..start + BLOCK).contains(&sample) {
                plugin.set_parameter_at(id, value, (sample - start) as i32).unwrap();
            }
        }
        for channel in &mut buffers.inputs {
            channel.fill(0.0);
            channel[..block.len()].copy_from_slice(block);
        }
        plugin.process_audio(&mut buffers).unwrap();
        output.extend_from_slice(&buffers.outputs[0][..block.len()]);
        after_block(plugin);
    }
    output
}

/// Parameters, as a host lists them: the same names as on the CLAP side,
/// and one of them flagged as the bypass that hosts map their button to.
#[test]
fn parameters_are_the_clap_sides_with_a_bypass() {
    let plugin = load(BLOCK);
    assert_eq!(plugin.info().name, "DDSP Timbre Transfer");
    let vst3 = plugin.get_parameters().unwrap();
    let names: Vec<&str> = vst3.iter().map(|p| p.name.as_str()).collect();
    let clap: Vec<String> = host::Plugin::new().params().into_iter().map(|p| p.name).collect();
    assert_eq!(names, clap);
    let bypass: Vec<&str> = vst3.iter().filter(|p| p.is_bypass).map(|p| p.name.as_str()).collect();
    assert_eq!(bypass, ["Bypass"]);
}

/// The latency a VST3 host is told is the engine's, the same for every
/// largest block it promises.
#[test]
fn reports_the_engine_latency_at_every_block_size() {
    let engine = ddsp_plugin::default_engine(RATE, BLOCK);
    for max_block in [1, 32, 128, 1024, 8192] {
        let mut plugin = load(max_block);
        assert_eq!(start(&mut plugin) as usize, engine.latency_samples(), "{max_block}-sample blocks");
    }
}

/// The same input and the same automation (an instrument switch and an
/// octave shift, both mid-block) play exactly what they play through CLAP.
#[test]
fn plays_what_the_clap_side_plays() {
    let input = sung_melody(RATE as f64, &[57.0, 62.0, 60.0], 0.6);
    let (flute_at, octave_at) = ((0.5 * RATE) as usize + 77, (1.1 * RATE) as usize + 130);
    let mut plugin = load(BLOCK);
    let latency = start(&mut plugin);
    let vst3 = play(&mut plugin, &input, &[("Instrument", "Flute", flute_at), ("Octave Shift", "1", octave_at)]);
    let changes = [
        Change { sample: flute_at, param: "instrument_v2", text: "Flute" },
        Change { sample: octave_at, param: "octave", text: "1" },
    ];
    let (clap_latency, clap) = host::Plugin::new().run(Pace::Offline, RATE, BLOCK, &input, &changes, |_, _| {});
    assert_eq!(latency, clap_latency);
    assert!(rms(&vst3[(0.2 * RATE) as usize..]) > 0.01, "silent");
    let first_difference = vst3.iter().zip(&clap).position(|(a, b)| a != b);
    assert_eq!(first_difference, None, "VST3 and CLAP play differently");
}

/// A project saved through VST3 reopens with the same settings and plays
/// exactly what was played, and saving it again gives the same state.
#[test]
fn saved_state_restores_and_plays_identically() {
    let input = sung_melody(RATE as f64, &[57.0, 62.0], 0.5);
    let mut original = load(BLOCK);
    start(&mut original);
    // The first run takes the automation; the second, freshly activated,
    // plays with it set.
    play(&mut original, &input, &[("Instrument", "Flute", 0), ("Octave Shift", "-1", 0)]);
    original.stop_processing().unwrap();
    start(&mut original);
    let played = play(&mut original, &input, &[]);
    let saved = original.save_state().unwrap();

    let mut reopened = load(BLOCK);
    reopened.load_state(&saved).unwrap();
    start(&mut reopened);
    for (name, text) in [("Instrument", "Flute"), ("Octave Shift", "-1")] {
        let (id, value) = value_of(&reopened, name, text);
        // Parameters hold single-precision values (the flute's 3/17 is not
        // exact in one).
        let restored = reopened.get_parameter(id).unwrap();
        assert_eq!(restored as f32, value as f32, "{name} not restored");
        assert_eq!(reopened.format_parameter(id, restored).unwrap(), text, "{name} not restored");
    }
    let replayed = play(&mut reopened, &input, &[]);
    assert!(rms(&played) > 0.01);
    assert!(played == replayed, "the restored project sounds different");
    assert_eq!(reopened.save_state().unwrap(), saved, "save → load → save changed the state");
}

/// MIDI out through VST3's event output: a sung four-note line followed by
/// silence gives its four notes, each ended.
#[test]
fn sends_the_played_notes_as_midi() {
    use vst3_host::MidiEvent;
    let mut input = sung_melody(RATE as f64, &[57.0, 60.0, 64.0, 62.0], 0.5);
    input.resize(input.len() + (0.4 * RATE) as usize, 0.0);
    let mut plugin = load(BLOCK);
    start(&mut plugin);
    let (mut on, mut off) = (Vec::new(), Vec::new());
    play_watching(&mut plugin, &input, &[], |plugin| {
        for event in plugin.take_output_midi() {
            match event {
                MidiEvent::NoteOn { note, velocity, .. } if velocity > 0 => on.push(note),
                MidiEvent::NoteOn { note, .. } | MidiEvent::NoteOff { note, .. } => off.push(note),
                _ => {}
            }
        }
    });
    assert_eq!(on, [57, 60, 64, 62]);
    assert_eq!(off, on, "every note ended, in order");
}
