//! The plugin as a host sees it: the CLAP library that `cargo test` builds,
//! loaded through a real CLAP host library (clack-host), activated,
//! automated, saved and restored, and run on audio.

mod host;

use ddsp_e2e::state::state_with;
use ddsp_e2e::{rms, sung_melody};
use dsp_core::pitch::{track_clip, PitchConfig};
use dsp_core::pitch_units::cents_between;
use host::{aligned, median_pitch_midi, state_with_model_file, Change, Pace, Plugin, Ports};

const RATE: f32 = 48_000.0;

#[test]
fn reports_the_engine_latency_and_plays_in_real_time() {
    for sample_rate in [44_100.0f32, 48_000.0] {
        let input = sung_melody(sample_rate as f64, &[57.0, 64.0], 0.5);
        let (latency, output) = Plugin::new().run(Pace::RealTime, sample_rate, 128, &input, &[], |_, _| {});
        let engine = ddsp_plugin::default_engine(sample_rate, 128);
        assert_eq!(latency as usize, engine.latency_samples(), "{sample_rate} Hz");
        // The default instrument, its step inside process(): the analysis
        // lookahead plus one hop of 250 Hz frames, nothing for the model.
        assert_eq!(engine.decoder_info().num_harmonics, 100);
        assert_eq!(latency as usize, engine.lookahead_samples() + (sample_rate / 250.0).ceil() as usize);
        let tail = &aligned(&output, latency)[4800..];
        assert!(rms(tail) > 0.01, "{sample_rate} Hz: rms {}", rms(tail));
    }
}

/// First sample where the 1 ms RMS envelope of `signal` reaches a tenth of
/// its peak.
fn onset(signal: &[f32]) -> usize {
    let envelope: Vec<f32> = signal.chunks(48).map(rms).collect();
    let peak = envelope.iter().copied().fold(0.0, f32::max);
    48 * envelope.iter().position(|&e| e >= 0.1 * peak).expect("a sound")
}

/// The latency a host is told does not depend on the largest block it
/// promises (1 to 8192 samples), and it is what a listener measures: an
/// impulse on the dry path comes out exactly that late, and a sung note's
/// resynthesised onset lands on the input's onset once the host has moved
/// the output back by it.
#[test]
fn latency_is_the_same_at_every_block_size_and_is_what_is_heard() {
    let impulse_at = (0.3 * RATE) as usize;
    let mut impulse = vec![0.0f32; (0.4 * RATE) as usize];
    impulse[impulse_at] = 0.5;
    let dry = [Change { sample: 0, param: "dry_wet", text: "0" }];
    let note_at = (0.2 * RATE) as usize;
    let mut note = vec![0.0f32; note_at];
    note.extend(sung_melody(RATE as f64, &[60.0], 0.5));
    let mut reported = Vec::new();
    for max_block in [1, 32, 128, 512, 1024, 8192] {
        let (latency, output) = Plugin::new().run(Pace::Offline, RATE, max_block, &impulse, &dry, |_, _| {});
        let peak = (0..output.len()).max_by(|&a, &b| output[a].abs().total_cmp(&output[b].abs())).unwrap();
        assert_eq!(peak, impulse_at + latency as usize, "{max_block}-sample blocks: the impulse");
        assert!((output[peak] - 0.5).abs() < 1e-6, "the dry path changed the impulse: {}", output[peak]);
        let (note_latency, sung) = Plugin::new().run(Pace::Offline, RATE, max_block, &note, &[], |_, _| {});
        assert_eq!(note_latency, latency);
        let heard = onset(&sung) as i64 - latency as i64 - onset(&note) as i64;
        // The resynthesis answers as soon as the analysis hears the note; a
        // tenth of the peak is reached within one 4 ms hop of the input's.
        println!("{max_block}-sample blocks: latency {latency}, sung onset {heard} samples off");
        assert!(heard.abs() <= 192, "{max_block}-sample blocks: the sung onset is {heard} samples off");
        reported.push(latency);
    }
    assert!(reported.iter().all(|&l| l == reported[0]), "latency changes with the block size: {reported:?}");
}

/// The host's bypass button has a parameter to drive, and bypassing passes
/// the input through untouched, delayed by the reported latency (the track
/// stays in time).
#[test]
fn bypass_passes_the_input_through_in_time() {
    let mut plugin = Plugin::new();
    let bypass: Vec<String> = plugin.params().into_iter().filter(|p| p.bypass).map(|p| p.name).collect();
    assert_eq!(bypass, ["Bypass"]);
    let input = sung_melody(RATE as f64, &[57.0, 64.0], 0.5);
    let changes = [Change { sample: 0, param: "bypass", text: "On" }];
    let (latency, output) = plugin.run(Pace::Offline, RATE, 256, &input, &changes, |_, _| {});
    // After the 20 ms smoothing has settled, to the bit.
    let settled = (0.3 * RATE) as usize;
    assert_eq!(&output[settled..], &input[settled - latency as usize..input.len() - latency as usize]);
}

/// A mono track can host the plugin mono in, mono out (and a stereo one
/// stereo, or mono in, stereo out), and each plays the same resynthesis.
#[test]
fn mono_stereo_and_mono_to_stereo_tracks_play_the_same() {
    let layouts = [(1, 1), (1, 2), (2, 2)].map(|(inputs, outputs)| Ports { inputs, outputs });
    let offered: Vec<Ports> = Plugin::new().port_configurations().into_iter().map(|(_, ports)| ports).collect();
    for ports in layouts {
        assert!(offered.contains(&ports), "{ports:?} not offered: {offered:?}");
    }
    let input = sung_melody(RATE as f64, &[57.0, 64.0], 0.5);
    let outputs: Vec<Vec<f32>> = layouts
        .iter()
        .map(|&ports| {
            let mut plugin = Plugin::new();
            assert!(plugin.select_ports(ports), "{ports:?} refused");
            plugin.run(Pace::Offline, RATE, 256, &input, &[], |_, _| {}).1
        })
        .collect();
    assert!(rms(&outputs[0][(0.2 * RATE) as usize..]) > 0.01, "the mono layout is silent");
    assert_eq!(outputs[0], outputs[1], "mono out differs from mono in, stereo out");
    assert_eq!(outputs[0], outputs[2], "mono differs from stereo with the same input on both sides");
}

/// Choosing "Loaded File" with no file loaded plays what reopening a
/// project with that setting plays, the default instrument, rather than
/// keeping whatever played before (a bounce or a reopened project would
/// not sound like what was heard).
#[test]
fn loaded_file_without_a_file_plays_the_default_instrument_live_too() {
    let input = sung_melody(RATE as f64, &[57.0, 64.0, 60.0], 0.6);
    let at = (0.7 * RATE) as usize;
    let switch_to = |instrument: &'static str| {
        let changes = [
            Change { sample: 0, param: "instrument_v2", text: "Flute" },
            Change { sample: at, param: "instrument_v2", text: instrument },
        ];
        Plugin::new().run(Pace::Offline, RATE, 256, &input, &changes, |_, _| {}).1
    };
    let loaded_file = switch_to("Loaded File");
    let violin = switch_to("Violin");
    let first_difference = loaded_file.iter().zip(&violin).position(|(a, b)| a != b);
    assert_eq!(first_difference, None, "not the default instrument");
    assert!(loaded_file != switch_to("Flute"), "the flute kept playing");
}

/// MIDI out: a sung four-note line gives four note-ons at its notes, in
/// order. After latency compensation the first (out of silence) lands
/// within one 4 ms hop of the sung onset; each legato change of note once
/// the new pitch has been steady for three frames, at most 30 ms after it
/// is sung (6–19 ms measured), never before.
#[test]
fn sends_the_played_notes_as_midi() {
    let notes = [57u16, 60, 64, 62];
    let input = sung_melody(RATE as f64, &notes.map(|n| n as f64), 0.5);
    let mut plugin = Plugin::new();
    let (latency, _) = plugin.run(Pace::Offline, RATE, 256, &input, &[], |_, _| {});
    let sent: Vec<u16> = plugin.notes_on().iter().map(|&(_, key)| key).collect();
    assert_eq!(sent, notes, "{:?}", plugin.notes_on());
    for (index, &(sample, _)) in plugin.notes_on().iter().enumerate() {
        let late = sample as i64 - latency as i64 - (index as f32 * 0.5 * RATE) as i64;
        let allowed = if index == 0 { -192..=192 } else { 0..=(0.03 * RATE) as i64 };
        assert!(allowed.contains(&late), "note {index} {late} samples after the sung onset");
    }
}

/// The output's pitch follows a sung-like input within 50 cents on voiced
/// frames, after the reported latency.
#[test]
fn output_pitch_follows_the_input() {
    let notes = [57.0, 60.0, 64.0, 62.0];
    let input = sung_melody(RATE as f64, &notes, 0.5);
    let (latency, output) = Plugin::new().run(Pace::Offline, RATE, 128, &input, &[], |_, _| {});
    let output = aligned(&output, latency);
    let frames = |signal: &[f32]| track_clip(signal, RATE, 100.0, PitchConfig::default());
    let (reference, resynthesis) = (frames(&input), frames(output));
    let mut cents = Vec::new();
    for (a, b) in reference.iter().zip(&resynthesis) {
        if a.estimate.confidence > 0.7 && b.estimate.confidence > 0.5 {
            cents.push(cents_between(b.estimate.f0_hz, a.estimate.f0_hz).abs());
        }
    }
    let within = cents.iter().filter(|&&c| c < 50.0).count() as f32 / cents.len() as f32;
    println!("{} voiced frames, {:.1} % within 50 cents", cents.len(), 100.0 * within);
    assert!(cents.len() > 100, "only {} voiced frames", cents.len());
    assert!(within > 0.9, "{:.1} % within 50 cents", 100.0 * within);
}

/// A parameter event lands on its sample, not on a block boundary: the
/// same automation gives the same output whether the host cuts 512- or
/// 64-sample blocks, and the octave shift it makes is heard.
#[test]
fn parameter_events_apply_mid_block() {
    let input = sung_melody(RATE as f64, &[57.0], 1.6);
    let at = (0.8 * RATE) as usize + 200; // inside a 512-sample block
    let changes = [Change { sample: at, param: "octave", text: "1" }];
    let (big_latency, big_blocks) = Plugin::new().run(Pace::Offline, RATE, 512, &input, &changes, |_, _| {});
    let (small_latency, small_blocks) = Plugin::new().run(Pace::Offline, RATE, 64, &input, &changes, |_, _| {});
    // The latency grows with the host's largest block (the inference
    // thread's budget): compare what each plays for the same input sample.
    let (big, small) = (aligned(&big_blocks, big_latency), aligned(&small_blocks, small_latency));
    let before = median_pitch_midi(big, RATE, 0.3, 0.75);
    let after = median_pitch_midi(big, RATE, 1.0, 1.5);
    assert!((after - before - 12.0).abs() < 0.5, "octave shift not heard: {before} → {after}");
    let len = big.len().min(small.len());
    let difference = big[..len].iter().zip(&small[..len]).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(difference < 1e-4, "block size changed the output by {difference}");
}

/// Saving and restoring gives the same sound: a project saved with the
/// flute, reverb and an octave down reopens (state loaded before
/// activation, as hosts do) and plays exactly what was played before, from
/// the first block.
#[test]
fn restored_state_plays_identically() {
    let input = sung_melody(RATE as f64, &[57.0, 62.0], 0.5);
    let mut original = Plugin::new();
    let setup = [
        Change { sample: 0, param: "instrument_v2", text: "Flute" },
        Change { sample: 0, param: "octave", text: "-1" },
        Change { sample: 0, param: "reverb", text: "60" },
    ];
    // The first run takes the automation; the second plays with it set.
    original.run(Pace::Offline, RATE, 256, &input, &setup, |_, _| {});
    let (latency, played) = original.run(Pace::Offline, RATE, 256, &input, &[], |_, _| {});
    let saved = original.save_state();
    let json = ddsp_e2e::state::state_json(&saved).to_string();
    assert!(json.contains("flute"), "{json}");

    let mut reopened = Plugin::new();
    reopened.load_state(&saved);
    let (reopened_latency, replayed) = reopened.run(Pace::Offline, RATE, 256, &input, &[], |_, _| {});
    assert_eq!(latency, reopened_latency);
    assert!(rms(&played) > 0.01);
    assert!(played == replayed, "the restored project sounds different");
    assert_eq!(reopened.save_state(), saved, "save → load → save changed the state");

    // And it is the flute, not the default violin.
    let (_, violin) = Plugin::new().run(Pace::Offline, RATE, 256, &input, &setup[1..], |_, _| {});
    assert!(violin != played);
}

/// A model file saved in a project and loaded before activation plays from
/// the first block; a missing one falls back to the bundled default
/// instrument (never silence); a corrupt one too.
#[test]
fn saved_model_files_restore_and_missing_ones_fall_back() {
    let input = sung_melody(RATE as f64, &[60.0], 0.8);
    let dir = std::env::temp_dir().join(format!("ddsp-plugin-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trumpet_file = dir.join("my-trumpet.safetensors");
    let trumpet = ddsp_model::instruments::bundled_instrument("trumpet").unwrap();
    std::fs::write(&trumpet_file, trumpet.bytes).unwrap();
    let corrupt_file = dir.join("corrupt.safetensors");
    std::fs::write(&corrupt_file, &trumpet.bytes[..trumpet.bytes.len() / 2]).unwrap();
    let fresh_state = Plugin::new().save_state();

    let play = |state: Option<Vec<u8>>, changes: &[Change]| {
        let mut plugin = Plugin::new();
        if let Some(state) = state {
            plugin.load_state(&state);
        }
        plugin.run(Pace::Offline, RATE, 256, &input, changes, |_, _| {}).1
    };
    let from_file = play(Some(state_with_model_file(&fresh_state, &trumpet_file)), &[]);
    let bundled_trumpet = play(Some(state_with(&fresh_state, "trumpet", None)), &[]);
    let default_violin = play(None, &[]);
    assert!(from_file == bundled_trumpet, "the saved file did not play from the first block");
    for broken in [dir.join("gone.safetensors"), corrupt_file] {
        let fallback = play(Some(state_with_model_file(&fresh_state, &broken)), &[]);
        assert!(fallback == default_violin, "{}: no fallback to the default instrument", broken.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Automating the instrument switches the model while audio runs, with no
/// gap in the sound; in a bounce it happens at the same sample every time.
#[test]
fn instrument_parameter_switches_models_while_playing() {
    let input = sung_melody(RATE as f64, &[57.0], 2.0);
    let switch = [Change { sample: (1.0 * RATE) as usize + 77, param: "instrument_v2", text: "Flute" }];
    let (latency, switched) = Plugin::new().run(Pace::Offline, RATE, 256, &input, &switch, |_, _| {});
    let (_, again) = Plugin::new().run(Pace::Offline, RATE, 256, &input, &switch, |_, _| {});
    let (_, violin) = Plugin::new().run(Pace::Offline, RATE, 256, &input, &[], |_, _| {});
    assert!(switched == again, "a bounce with an instrument switch is not deterministic");
    let (switched, violin) = (aligned(&switched, latency), aligned(&violin, latency));
    let second = (0.5 * RATE) as usize;
    assert_eq!(switched[..second], violin[..second]);
    let late = (1.5 * RATE) as usize;
    let change = rms(&switched[late..].iter().zip(&violin[late..]).map(|(a, b)| a - b).collect::<Vec<f32>>());
    assert!(change > 0.1 * rms(&violin[late..]), "still the violin after the switch");
    // No gap: every 10 ms window around the switch keeps sounding.
    for window in switched[(0.8 * RATE) as usize..(1.4 * RATE) as usize].chunks(480) {
        assert!(rms(window) > 0.05 * rms(&violin[second..]), "a gap in the sound at the switch");
    }
}

/// Automation recorded on 0.1's instrument parameter (five choices; its
/// values keep their meaning) still switches instruments, at the same
/// sample as the library's parameter does; a later change on the library's
/// parameter takes over again.
#[test]
fn automation_recorded_on_the_0_1_instrument_parameter_still_plays() {
    let input = sung_melody(RATE as f64, &[57.0, 60.0], 1.0);
    let (first, second) = ((0.5 * RATE) as usize + 33, (1.3 * RATE) as usize + 5);
    let play = |changes: &[Change]| Plugin::new().run(Pace::Offline, RATE, 256, &input, changes, |_, _| {}).1;
    let library = play(&[
        Change { sample: first, param: "instrument_v2", text: "Trumpet" },
        Change { sample: second, param: "instrument_v2", text: "Flute" },
    ]);
    let mixed = play(&[
        Change { sample: first, param: "instrument", text: "Trumpet" },
        Change { sample: second, param: "instrument_v2", text: "Flute" },
    ]);
    assert!(library != play(&[]), "the library's parameter switched nothing");
    assert!(mixed == library, "0.1's parameter does not switch as the library's does");
    let (mut plugin, values) = (Plugin::new(), [0.0, 1.0, 2.0, 3.0, 4.0]);
    // 0.1's values: a CLAP host recorded each choice as its index.
    for (value, text) in values.iter().zip(["Violin", "Flute", "Trumpet", "Tenor Sax", "Loaded File"]) {
        assert_eq!(plugin.param_value("instrument", text).1, *value, "{text}");
    }
}

/// In real time too: switching while the audio thread runs at its own
/// pace, and a corrupt checkpoint loaded mid-play (as a restored preset
/// would) neither stops the sound nor crashes; the plugin keeps playing
/// what it had.
#[test]
fn survives_a_corrupt_checkpoint_while_playing() {
    let input = sung_melody(RATE as f64, &[57.0, 59.0], 1.0);
    let dir = std::env::temp_dir().join(format!("ddsp-plugin-corrupt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let corrupt = dir.join("corrupt.safetensors");
    std::fs::write(&corrupt, b"not a checkpoint at all").unwrap();
    let mut plugin = Plugin::new();
    let state = state_with_model_file(&plugin.save_state(), &corrupt);
    let half = input.len() / 2;
    let switch = [Change { sample: half / 2, param: "instrument_v2", text: "Flute" }];
    let (latency, output) = plugin.run(Pace::RealTime, RATE, 128, &input, &switch, |plugin, sample| {
        if (half..half + 128).contains(&sample) {
            plugin.load_state(&state);
        }
    });
    let output = aligned(&output, latency);
    for window in output[(0.2 * RATE) as usize..].chunks(4800) {
        assert!(rms(window) > 0.01, "silence after the corrupt checkpoint");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
