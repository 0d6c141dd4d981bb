//! The plugin as a host sees it: the CLAP library that `cargo test` builds,
//! loaded through a real CLAP host library (clack-host), activated,
//! automated, saved and restored, and run on audio.

use std::ffi::CString;
use std::path::PathBuf;

use clack_extensions::latency::PluginLatency;
use clack_extensions::params::{ParamInfoBuffer, PluginParams};
use clack_extensions::render::{PluginRender, RenderMode};
use clack_extensions::state::PluginState;
use clack_host::events::event_types::ParamValueEvent;
use clack_host::events::Pckn;
use clack_host::prelude::*;
use clack_host::utils::ClapId;
use ddsp_e2e::sung_melody;
use ddsp_plugin::DdspPlugin;
use dsp_core::pitch::{track_clip, PitchConfig};
use dsp_core::pitch_units::{cents_between, hz_to_midi};
use nice_plug::prelude::ClapPlugin;

struct TestHostShared;

impl SharedHandler<'_> for TestHostShared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}

struct TestHost;

impl HostHandlers for TestHost {
    type Shared<'a> = TestHostShared;
    type MainThread<'a> = ();
    type AudioProcessor<'a> = ();
}

/// The plugin's shared library as `cargo test` built it, next to this test.
fn plugin_library() -> PathBuf {
    let deps = std::env::current_exe().unwrap().parent().unwrap().to_owned();
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(&deps)
        .unwrap()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("libddsp_plugin") && name.ends_with(".so")
        })
        .collect();
    candidates.sort_by_key(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok());
    candidates.pop().expect("cargo test builds the plugin's cdylib beside the test binary")
}

/// How blocks reach the plugin.
#[derive(Clone, Copy, PartialEq)]
enum Pace {
    /// A bounce: CLAP offline render mode, blocks back to back. The plugin
    /// waits for its model, so the output is deterministic.
    Offline,
    /// A live host: real-time mode, blocks handed over at the pace of real
    /// time (the model's inference thread works beside the audio thread).
    RealTime,
}

/// A parameter change at `sample` (absolute) to the value the plugin
/// reads from `text` (as typed into a host's parameter field).
struct Change {
    sample: usize,
    param: &'static str,
    text: &'static str,
}

/// One loaded, configured plugin instance.
struct Plugin {
    /// Keeps the library loaded while the instance lives.
    _entry: PluginEntry,
    instance: PluginInstance<TestHost>,
}

impl Plugin {
    fn new() -> Self {
        let bundle = unsafe { PluginEntry::load(plugin_library()) }.expect("the plugin library loads");
        let factory = bundle.get_plugin_factory().expect("a plugin factory");
        let id = c"audio.ddsp-timbre-transfer.plugin";
        assert_eq!(id.to_str().unwrap(), DdspPlugin::CLAP_ID);
        assert!(factory.plugin_descriptors().any(|d| d.id() == Some(id)), "plugin id not exported");
        let host_info = HostInfo::new("ddsp tests", "ddsp", "https://example.invalid", "1.0").unwrap();
        let instance = PluginInstance::<TestHost>::new(|_| TestHostShared, |_| (), &bundle, id, &host_info).unwrap();
        Self { _entry: bundle, instance }
    }

    /// The CLAP id of the parameter with string id `param` and the CLAP
    /// value of `text` for it.
    fn param_value(&mut self, param: &str, text: &str) -> (ClapId, f64) {
        let handle = self.instance.plugin_handle();
        let params = handle.get_extension::<PluginParams>().expect("the params extension");
        let name = match param {
            "octave" => "Octave Shift",
            "instrument" => "Instrument",
            "dry_wet" => "Dry/Wet",
            "reverb" => "Reverb",
            "out_gain" => "Output Gain",
            other => panic!("no test name for {other}"),
        };
        let mut buffer = ParamInfoBuffer::new();
        let id = (0..params.count(&handle))
            .find_map(|index| {
                let info = params.get_info(&handle, index, &mut buffer)?;
                (info.name.split(|&b| b == 0).next()? == name.as_bytes()).then_some(info.id)
            })
            .unwrap_or_else(|| panic!("no parameter named {name}"));
        let text = CString::new(text).unwrap();
        let value = params.text_to_value(&handle, id, &text).unwrap_or_else(|| panic!("{name} refuses {text:?}"));
        (id, value)
    }

    fn save_state(&mut self) -> Vec<u8> {
        let handle = self.instance.plugin_handle();
        let mut bytes = Vec::new();
        handle.get_extension::<PluginState>().expect("the state extension").save(&handle, &mut bytes).unwrap();
        bytes
    }

    fn load_state(&mut self, bytes: &[u8]) {
        let handle = self.instance.plugin_handle();
        let state = handle.get_extension::<PluginState>().expect("the state extension");
        state.load(&handle, &mut &bytes[..]).expect("the state loads");
    }

    /// Activates at `sample_rate`, blocks of `block`, runs `input` (mono,
    /// fed to both channels) with `changes`, and returns (reported latency,
    /// left output). `between(sample)` runs on the main thread before each
    /// block. Deactivates afterwards.
    fn run(
        &mut self,
        pace: Pace,
        sample_rate: f32,
        block: usize,
        input: &[f32],
        changes: &[Change],
        mut between: impl FnMut(&mut Self, usize),
    ) -> (u32, Vec<f32>) {
        let events: Vec<(usize, ClapId, f64)> = changes
            .iter()
            .map(|change| {
                let (id, value) = self.param_value(change.param, change.text);
                (change.sample, id, value)
            })
            .collect();
        {
            let handle = self.instance.plugin_handle();
            let render = handle.get_extension::<PluginRender>().expect("the render extension");
            let mode = if pace == Pace::Offline { RenderMode::Offline } else { RenderMode::Realtime };
            render.set(&handle, mode).unwrap();
        }
        let configuration = PluginAudioConfiguration {
            sample_rate: sample_rate as f64,
            min_frames_count: 1,
            max_frames_count: block as u32,
        };
        let processor = self.instance.activate(|_, _| (), configuration).unwrap();
        let handle = self.instance.plugin_handle();
        let latency = handle.get_extension::<PluginLatency>().expect("the latency extension").get(&handle);
        let mut processor = processor.start_processing().unwrap();
        let mut left = vec![0.0f32; input.len()];
        let mut right = vec![0.0f32; input.len()];
        let mut input_ports = AudioPorts::with_capacity(2, 1);
        let mut output_ports = AudioPorts::with_capacity(2, 1);
        let mut output_events = EventBuffer::new();
        let started = std::time::Instant::now();
        for start in (0..input.len()).step_by(block) {
            between(self, start);
            if pace == Pace::RealTime {
                let due = std::time::Duration::from_secs_f64(start as f64 / sample_rate as f64);
                std::thread::sleep(due.saturating_sub(started.elapsed()));
            }
            let end = (start + block).min(input.len());
            let mut block_events = EventBuffer::new();
            for &(sample, id, value) in events.iter().filter(|(sample, _, _)| (start..end).contains(sample)) {
                block_events.push(&ParamValueEvent::new((sample - start) as u32, id, Pckn::match_all(), value));
            }
            let mut left_in = input[start..end].to_vec();
            let mut right_in = input[start..end].to_vec();
            let audio_in = input_ports.with_input_buffers([AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_input_only([
                    InputChannel::variable(&mut left_in),
                    InputChannel::variable(&mut right_in),
                ]),
            }]);
            let mut audio_out = output_ports.with_output_buffers([AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_output_only([&mut left[start..end], &mut right[start..end]]),
            }]);
            processor
                .process(
                    &audio_in,
                    &mut audio_out,
                    &InputEvents::from_buffer(&block_events),
                    &mut OutputEvents::from_buffer(&mut output_events),
                    None,
                    None,
                )
                .unwrap();
        }
        self.instance.deactivate(processor.stop_processing());
        assert_eq!(left, right, "both channels carry the same mono resynthesis");
        assert!(left.iter().all(|x| x.is_finite()));
        (latency, left)
    }
}

fn rms(signal: &[f32]) -> f32 {
    (signal.iter().map(|x| x * x).sum::<f32>() / signal.len().max(1) as f32).sqrt()
}

/// Output sample `n` that stands for input sample `n`.
fn aligned(output: &[f32], latency: u32) -> &[f32] {
    &output[latency as usize..]
}

/// Median pitch of `signal` (100 frames/s) on frames confidently voiced,
/// from `from_s` to `to_s` seconds, MIDI.
fn median_pitch_midi(signal: &[f32], rate: f32, from_s: f32, to_s: f32) -> f32 {
    let clip = &signal[(from_s * rate) as usize..(to_s * rate) as usize];
    let mut midi: Vec<f32> = track_clip(clip, rate, 100.0, PitchConfig::default())
        .iter()
        .filter(|f| f.estimate.confidence > 0.7)
        .map(|f| hz_to_midi(f.estimate.f0_hz))
        .collect();
    assert!(midi.len() > 10, "too few voiced frames");
    midi.sort_by(f32::total_cmp);
    midi[midi.len() / 2]
}

const RATE: f32 = 48_000.0;

#[test]
fn reports_the_engine_latency_and_plays_in_real_time() {
    for sample_rate in [44_100.0f32, 48_000.0] {
        let input = sung_melody(sample_rate as f64, &[57.0, 64.0], 0.5);
        let (latency, output) = Plugin::new().run(Pace::RealTime, sample_rate, 128, &input, &[], |_, _| {});
        let engine = ddsp_plugin::default_engine(sample_rate, 128);
        assert_eq!(latency as usize, engine.latency_samples(), "{sample_rate} Hz");
        // The default instrument, behind the inference thread (one block
        // more than a synchronous decoder's 8 ms lookahead + one hop).
        assert_eq!(engine.decoder_info().num_harmonics, 100);
        assert_eq!(latency, if sample_rate == 48_000.0 { 704 } else { 658 }, "{sample_rate} Hz");
        let tail = &aligned(&output, latency)[4800..];
        assert!(rms(tail) > 0.01, "{sample_rate} Hz: rms {}", rms(tail));
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

/// The plugin's saved state with the instrument set to "Loaded File" and
/// the model file set to `path` (what saving after loading a file in the
/// editor gives).
fn state_with_model_file(state: &[u8], path: &std::path::Path) -> Vec<u8> {
    state_with(state, "loaded-file", Some(path))
}

/// The plugin's saved state with instrument `instrument_id` and, if given,
/// model file `path`. nice-plug's CLAP state: a little-endian length, then
/// JSON.
fn state_with(state: &[u8], instrument_id: &str, path: Option<&std::path::Path>) -> Vec<u8> {
    let mut json: serde_json::Value = serde_json::from_slice(&state[8..]).unwrap();
    json["params"]["instrument"] = serde_json::json!({ "string": instrument_id });
    if let Some(path) = path {
        let field = serde_json::to_string(&Some(path.display().to_string())).unwrap();
        json["fields"]["model_file"] = serde_json::json!(field);
    }
    let body = serde_json::to_vec(&json).unwrap();
    let mut bytes = (body.len() as u64).to_le_bytes().to_vec();
    bytes.extend(body);
    bytes
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
        Change { sample: 0, param: "instrument", text: "Flute" },
        Change { sample: 0, param: "octave", text: "-1" },
        Change { sample: 0, param: "reverb", text: "60" },
    ];
    // The first run takes the automation; the second plays with it set.
    original.run(Pace::Offline, RATE, 256, &input, &setup, |_, _| {});
    let (latency, played) = original.run(Pace::Offline, RATE, 256, &input, &[], |_, _| {});
    let saved = original.save_state();
    let json = String::from_utf8_lossy(&saved[8..]).into_owned();
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
    let switch = [Change { sample: (1.0 * RATE) as usize + 77, param: "instrument", text: "Flute" }];
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
    let switch = [Change { sample: half / 2, param: "instrument", text: "Flute" }];
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
