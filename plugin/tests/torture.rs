//! Host torture: what the strictest plugin validators do to a plugin, from
//! our own test suite, through the same CLAP host as `clap_host.rs`. Every
//! case is seeded: a failure names its seed and replays exactly.
//!
//! - random automation of every parameter (extreme, out-of-range and
//!   non-numeric values) at random sample offsets, in random block sizes
//!   from 1 to the maximum with empty blocks among them;
//! - deactivate / reactivate at every supported rate from 22.05 to 192 kHz
//!   with changed maximum block sizes;
//! - state: save → load → save gives the same bytes, and states saved by
//!   earlier versions (fixtures) load and play as they did;
//! - input torture: silence, DC, full-scale noise, clipped squares, a sweep,
//!   NaN, ±inf, denormals, random bit patterns;
//! - a model-load storm: valid, corrupt and mismatched checkpoints loaded
//!   from the main thread while the audio thread plays in real time.

mod host;

use std::path::{Path, PathBuf};
use std::time::Duration;

use ddsp_e2e::state::{state_bytes, state_json, state_with};
use ddsp_e2e::{rms, sung_melody, CaseRng, Torture};
use ddsp_model::checkpoint::{checkpoint_bytes, parse_checkpoint};
use ddsp_plugin::{startup_engine, EngineSettings, InstrumentChoice, ModelFile, Wanted};
use dsp_core::engine::{CROSSFADE_MS, OUTPUT_CEILING};
use host::{aligned, median_pitch_midi, state_with_model_file, Change, Event, Pace, ParamSpec, Plugin, Session};

const RATE: f32 = 48_000.0;

/// With every parameter at its default, no input drives the output above
/// this (0 dBFS). Whatever the parameters, [`OUTPUT_CEILING`] (+12 dBFS)
/// holds.
const DEFAULT_SETTINGS_CEILING: f32 = 1.0;

fn peak(signal: &[f32]) -> f32 {
    signal.iter().map(|x| x.abs()).fold(0.0, f32::max)
}

/// Block sizes from 1 to `max`, with an empty block one time in ten.
fn random_blocks(seed: u64, max: usize) -> impl FnMut() -> usize {
    let mut rng = CaseRng::new(seed);
    move || if rng.below(10) == 0 { 0 } else { 1 + rng.below(max) }
}

/// A value a host might send for `spec`: inside its range, at either end,
/// far outside it, or not a number at all.
fn abusive_value(rng: &mut CaseRng, spec: &ParamSpec) -> f64 {
    let span = (spec.max - spec.min).max(1.0);
    match rng.below(10) {
        0..=3 => {
            let value = rng.between(spec.min, spec.max);
            if spec.stepped {
                value.round()
            } else {
                value
            }
        }
        4 => spec.min,
        5 => spec.max,
        6 => spec.min - span * rng.between(0.01, 100.0),
        7 => spec.max + span * rng.between(0.01, 100.0),
        8 => f64::NAN,
        _ if rng.below(2) == 0 => f64::INFINITY,
        _ => f64::NEG_INFINITY,
    }
}

/// Automation of every parameter over `len` samples: 30 changes each, the
/// instrument 4 (each switch loads a model), at random samples.
fn random_automation(specs: &[ParamSpec], seed: u64, len: usize) -> Vec<Event> {
    let mut rng = CaseRng::new(seed);
    let mut events = Vec::new();
    for spec in specs {
        let count = if spec.name.starts_with("Instrument") { 4 } else { 30 };
        for _ in 0..count {
            events.push(Event { sample: rng.below(len), id: spec.id, value: abusive_value(&mut rng, spec) });
        }
    }
    events.sort_by_key(|event| event.sample);
    events
}

fn first_difference(a: &[f32], b: &[f32]) -> Option<usize> {
    a.iter().zip(b).position(|(x, y)| x.to_bits() != y.to_bits()).or((a.len() != b.len()).then_some(0))
}

/// Random automation of every parameter, values in and far out of range
/// and NaN/inf, in random blocks (1 to 512 samples, empty ones among
/// them): the output stays finite and under the ceiling and a second
/// bounce is the same to the bit. Without the instrument switches, a
/// bounce cut into other random blocks is the same to the bit too (every
/// event lands on its sample).
#[test]
fn random_automation_in_random_blocks_is_bounded_and_repeatable() {
    let input = sung_melody(RATE as f64, &[55.0, 60.0, 64.0, 59.0], 0.8);
    let session = Session { pace: Pace::Offline, sample_rate: RATE, max_block: 512 };
    let bounce = |blocks: u64, events: &[Event]| {
        Plugin::new().run_blocks(session, &mut random_blocks(blocks, 512), &input, events, |_, _| {}).1
    };
    for seed in [1u64, 2, 3] {
        let specs = Plugin::new().params();
        assert_eq!(specs.len(), 17, "every parameter is automated");
        let events = random_automation(&specs, seed, input.len());
        let first = bounce(seed, &events);
        assert!(peak(&first) <= OUTPUT_CEILING, "seed {seed}: peak {}", peak(&first));
        assert!(rms(&first) > 0.0, "seed {seed}: silent throughout");
        assert_eq!(first_difference(&first, &bounce(seed, &events)), None, "seed {seed}: not repeatable");
        let instruments: Vec<_> =
            specs.iter().filter(|spec| spec.name.starts_with("Instrument")).map(|s| s.id).collect();
        let without_switches: Vec<Event> =
            events.iter().copied().filter(|event| !instruments.contains(&event.id)).collect();
        assert_eq!(
            first_difference(&bounce(seed, &without_switches), &bounce(seed + 1000, &without_switches)),
            None,
            "seed {seed}: the block sizes changed the output"
        );
    }
}

/// Deactivated and reactivated at every supported rate with another
/// maximum block size each time (1 sample to 8192): the latency reported
/// is the engine's for those settings, and the output follows the input's
/// pitch.
#[test]
fn reactivates_at_every_rate_and_block_size() {
    let mut plugin = Plugin::new();
    let cases = [
        (22_050.0f32, 512usize),
        (44_100.0, 64),
        (48_000.0, 1),
        (88_200.0, 2048),
        (96_000.0, 128),
        (176_400.0, 4096),
        (192_000.0, 256),
        (22_050.0, 8192),
        (48_000.0, 333),
    ];
    for (index, &(sample_rate, max_block)) in cases.iter().enumerate() {
        let input = sung_melody(sample_rate as f64, &[60.0], 1.5);
        let session = Session { pace: Pace::Offline, sample_rate, max_block };
        let (latency, output) =
            plugin.run_blocks(session, &mut random_blocks(index as u64, max_block), &input, &[], |_, _| {});
        let settings = EngineSettings { sample_rate_hz: sample_rate, max_block_samples: max_block, offline: true };
        let wanted = Wanted { choice: InstrumentChoice::default_choice(), file_changes: 0 };
        let expected = startup_engine(settings, wanted, &ModelFile::default()).0.latency_samples();
        assert_eq!(latency as usize, expected, "{sample_rate} Hz, {max_block}-sample blocks");
        let pitch = median_pitch_midi(aligned(&output, latency), sample_rate, 0.5, 1.0);
        assert!((pitch - 60.0).abs() < 0.5, "{sample_rate} Hz, {max_block}-sample blocks: pitch {pitch}");
    }
}

/// Random settings (out-of-range and NaN values included) survive
/// save → load → save byte for byte, and every parameter reads back the
/// same.
#[test]
fn random_settings_survive_save_load_save() {
    let input = sung_melody(RATE as f64, &[60.0], 0.2);
    for seed in 10u64..16 {
        let mut plugin = Plugin::new();
        let specs = plugin.params();
        let mut rng = CaseRng::new(seed);
        let events: Vec<Event> = specs
            .iter()
            .filter(|spec| !spec.name.starts_with("Instrument") || seed % 2 == 0)
            .map(|spec| Event { sample: 0, id: spec.id, value: abusive_value(&mut rng, spec) })
            .collect();
        let session = Session { pace: Pace::Offline, sample_rate: RATE, max_block: 256 };
        plugin.run_blocks(session, &mut || 256, &input, &events, |_, _| {});
        let saved = plugin.save_state();
        let mut reopened = Plugin::new();
        reopened.load_state(&saved);
        assert_eq!(reopened.save_state(), saved, "seed {seed}: save → load → save changed the state");
        for spec in &specs {
            let (before, after) = (plugin.value_of(spec.id), reopened.value_of(spec.id));
            let same = before.to_bits() == after.to_bits() || (before.is_nan() && after.is_nan());
            assert!(same, "seed {seed}: {} was {before}, reads {after}", spec.name);
        }
    }
}

/// State fixtures saved by released versions: file name, and the changes
/// (from a fresh instance, at sample 0) that made them.
const STATE_FIXTURES: [(&str, &[Change]); 2] = [
    ("0.1.0-default.clap-state", &[]),
    (
        "0.1.0-flute-octave-down.clap-state",
        &[
            Change { sample: 0, param: "instrument", text: "Flute" },
            Change { sample: 0, param: "octave", text: "-1" },
            Change { sample: 0, param: "reverb", text: "60" },
            Change { sample: 0, param: "dry_wet", text: "80" },
            Change { sample: 0, param: "out_gain", text: "-3" },
        ],
    ),
];

/// A fixture saved with "Loaded File" pointing at a file that is gone.
const MISSING_MODEL_FIXTURE: &str = "0.1.0-missing-model-file.clap-state";

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/state")
}

/// Writes the fixtures of this version. Run once per released state
/// layout, commit the files, never rewrite old ones:
/// `cargo test -p ddsp-plugin --test torture -- --ignored write_state_fixtures`
#[test]
#[ignore = "writes fixtures; see the doc comment"]
fn write_state_fixtures() {
    let input = sung_melody(RATE as f64, &[60.0], 0.1);
    std::fs::create_dir_all(fixture_dir()).unwrap();
    for (name, changes) in STATE_FIXTURES {
        let mut plugin = Plugin::new();
        plugin.run(Pace::Offline, RATE, 256, &input, changes, |_, _| {});
        std::fs::write(fixture_dir().join(name), plugin.save_state()).unwrap();
    }
    let missing = state_with_model_file(&Plugin::new().save_state(), Path::new("/nonexistent/my-cello.safetensors"));
    std::fs::write(fixture_dir().join(MISSING_MODEL_FIXTURE), missing).unwrap();
}

/// Projects saved by earlier versions open as they were saved: every
/// parameter reads what the settings that made the fixture set, the sound
/// is what today's state for the same settings plays, and a project whose
/// model file is gone plays the default instrument. 0.1's instrument
/// parameter is today's 0.1-automation parameter; the project opens with
/// the library's instrument parameter on the same instrument.
#[test]
fn states_saved_by_earlier_versions_load_and_play() {
    let input = sung_melody(RATE as f64, &[57.0, 62.0], 0.4);
    let play = |state: &[u8]| {
        let mut plugin = Plugin::new();
        plugin.load_state(state);
        plugin.run(Pace::Offline, RATE, 256, &input, &[], |_, _| {}).1
    };
    let fresh_state = Plugin::new().save_state();
    for (name, changes) in STATE_FIXTURES {
        let fixture = std::fs::read(fixture_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut restored = Plugin::new();
        restored.load_state(&fixture);
        let mut today_changes = changes.to_vec();
        today_changes.extend(
            changes.iter().filter(|c| c.param == "instrument").map(|c| Change { param: "instrument_v2", ..*c }),
        );
        let mut today = Plugin::new();
        today.run(Pace::Offline, RATE, 256, &input[..256], &today_changes, |_, _| {});
        for spec in restored.params() {
            assert_eq!(restored.value_of(spec.id), today.value_of(spec.id), "{name}: {}", spec.name);
        }
        let output = play(&fixture);
        assert!(output == play(&today.save_state()), "{name}: plays differently from today's state");
        assert!(rms(&output) > 0.01, "{name}: silent");
        assert_eq!(changes.is_empty(), output == play(&fresh_state), "{name}");
    }
    let fixture = std::fs::read(fixture_dir().join(MISSING_MODEL_FIXTURE)).unwrap();
    assert!(play(&fixture) == play(&fresh_state), "a missing model file did not fall back to the default instrument");
}

/// A state with parameters and fields this version does not know (a newer
/// version's project) and without some it does: it loads, the unknown
/// parts are ignored and the missing ones keep their defaults.
#[test]
fn states_with_unknown_and_missing_parts_load() {
    let fresh = Plugin::new().save_state();
    let mut json = state_json(&fresh);
    json["params"]["future_param"] = serde_json::json!({ "f32": 0.25 });
    json["fields"]["future_field"] = serde_json::json!("\"x\"");
    json["params"].as_object_mut().unwrap().remove("octave");
    json["fields"].as_object_mut().unwrap().remove("model_file");
    let state = state_bytes(&json);
    let mut plugin = Plugin::new();
    plugin.load_state(&state);
    let input = sung_melody(RATE as f64, &[60.0], 0.3);
    let (_, output) = plugin.run(Pace::Offline, RATE, 256, &input, &[], |_, _| {});
    let (_, expected) = Plugin::new().run(Pace::Offline, RATE, 256, &input, &[], |_, _| {});
    assert!(output == expected);
}

/// Garbage state bytes are refused without a crash, and the instance
/// keeps its settings.
#[test]
fn garbage_states_are_refused() {
    let mut plugin = Plugin::new();
    let before = plugin.save_state();
    let mut rng = CaseRng::new(77);
    let mut cases: Vec<Vec<u8>> = vec![Vec::new(), vec![0; 8], b"{}".to_vec(), before[..before.len() / 2].to_vec()];
    cases.push((u64::MAX).to_le_bytes().to_vec());
    cases.extend((0..20).map(|_| (0..rng.below(300)).map(|_| rng.next_u64() as u8).collect()));
    for bytes in &cases {
        plugin.try_load_state(bytes);
    }
    let mut reopened = Plugin::new();
    reopened.load_state(&plugin.save_state());
    assert_eq!(reopened.save_state(), plugin.save_state());
}

/// Each kind of torture input for a second, between stretches of a sung
/// note, at default settings: finite output under 0 dBFS throughout, and
/// one second after the torture ends the plugin plays the note at the
/// level a clean run plays it.
#[test]
fn torture_input_is_bounded_and_the_plugin_recovers_within_a_second() {
    let second = RATE as usize;
    let voice = sung_melody(RATE as f64, &[60.0], 4.0);
    let (latency, clean) = Plugin::new().run(Pace::Offline, RATE, 256, &voice, &[], |_, _| {});
    let clean = aligned(&clean, latency);
    // From one second after the torture (seconds 1–2) ends.
    let recovered = 3 * second..clean.len();
    for (index, kind) in Torture::ALL.into_iter().enumerate() {
        let mut input = voice.clone();
        input[second..2 * second].copy_from_slice(&kind.signal(RATE as f64, second, index as u64 + 1));
        let (_, output) = Plugin::new().run(Pace::Offline, RATE, 256, &input, &[], |_, _| {});
        let loudest = peak(&output);
        println!("{kind:?}: peak {loudest:.3}");
        assert!(loudest <= DEFAULT_SETTINGS_CEILING, "{kind:?}: peak {loudest}");
        let output = aligned(&output, latency);
        let level = rms(&output[recovered.clone()]) / rms(&clean[recovered.clone()]);
        assert!((0.7..1.4).contains(&level), "{kind:?}: level {level} of the clean run's a second later");
        let pitch = median_pitch_midi(&output[recovered.clone()], RATE, 0.0, 0.5);
        assert!((pitch - 60.0).abs() < 0.5, "{kind:?}: pitch {pitch} a second later");
    }
}

/// The longest stretch of `signal` quieter than −60 dBFS, in ms (1 ms
/// windows).
fn longest_silence_ms(signal: &[f32], sample_rate: f32) -> f32 {
    let window = (sample_rate / 1000.0) as usize;
    let (mut longest, mut current) = (0usize, 0usize);
    for chunk in signal.chunks(window) {
        current = if rms(chunk) < 1e-3 { current + 1 } else { 0 };
        longest = longest.max(current);
    }
    longest as f32
}

/// Checkpoint files for the storm: valid ones, damaged ones and ones that
/// do not fit (other framing, tensors that disagree with their
/// metadata), and a path with no file.
fn storm_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    let violin = ddsp_model::instruments::bundled_instrument("violin").unwrap().bytes;
    let trumpet = ddsp_model::instruments::bundled_instrument("trumpet").unwrap().bytes;
    let mut other_frame_rate = parse_checkpoint(violin).unwrap();
    other_frame_rate.info.config.frame_rate_hz = 125.0;
    let mut wrong_shapes = parse_checkpoint(violin).unwrap();
    wrong_shapes.info.config.gru_units /= 2;
    let mut flipped = trumpet.to_vec();
    for index in (0..flipped.len()).step_by(997) {
        flipped[index] ^= 0x5A;
    }
    let files: [(&str, Vec<u8>); 8] = [
        ("trumpet.safetensors", trumpet.to_vec()),
        ("violin.safetensors", violin.to_vec()),
        ("truncated.safetensors", trumpet[..trumpet.len() / 3].to_vec()),
        ("flipped-bytes.safetensors", flipped),
        ("empty.safetensors", Vec::new()),
        ("text.safetensors", b"definitely not a checkpoint".to_vec()),
        ("violin-125-frames.safetensors", checkpoint_bytes(&other_frame_rate).unwrap()),
        ("wrong-shapes.safetensors", checkpoint_bytes(&wrong_shapes).unwrap()),
    ];
    let mut paths: Vec<PathBuf> = files
        .into_iter()
        .map(|(name, bytes)| {
            let path = dir.join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect();
    paths.push(dir.join("missing.safetensors"));
    paths
}

/// A model-load storm: while the audio thread plays a sung line in real
/// time, the main thread loads projects that switch between the bundled
/// instruments and valid, corrupt and mismatched checkpoint files, every
/// 10–120 ms. No crash, no non-finite sample, and the sound never stops
/// for longer than the crossfade. (Under `assert_process_allocs`, CI also
/// proves `process()` allocates nothing throughout.)
#[test]
fn model_load_storm_while_playing() {
    let dir = std::env::temp_dir().join(format!("ddsp-plugin-storm-{}", std::process::id()));
    let files = storm_files(&dir);
    let mut plugin = Plugin::new();
    let fresh = plugin.save_state();
    let mut states: Vec<Vec<u8>> =
        ["violin", "flute", "trumpet", "tenor-sax"].iter().map(|id| state_with(&fresh, id, None)).collect();
    states.extend(files.iter().map(|path| state_with_model_file(&fresh, path)));
    let input = sung_melody(RATE as f64, &[57.0, 60.0, 64.0, 62.0, 59.0, 55.0, 57.0, 60.0], 1.0);
    let mut rng = CaseRng::new(2026);
    let mut loads = 0;
    let session = Session { pace: Pace::RealTime, sample_rate: RATE, max_block: 128 };
    let (latency, output) = plugin.run_beside(session, &input, |plugin, played| {
        if played < 0.95 {
            plugin.load_state(&states[rng.below(states.len())]);
            loads += 1;
        }
        std::thread::sleep(Duration::from_millis(10 + rng.below(110) as u64));
    });
    let _ = std::fs::remove_dir_all(&dir);
    println!("{loads} loads");
    assert!(loads >= 40, "only {loads} loads");
    assert!(peak(&output) <= DEFAULT_SETTINGS_CEILING);
    let silence = longest_silence_ms(&aligned(&output, latency)[RATE as usize / 2..], RATE);
    println!("longest silence {silence} ms");
    assert!(silence <= CROSSFADE_MS, "{silence} ms of silence");
}
