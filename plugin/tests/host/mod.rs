//! A minimal CLAP host for the plugin's host-level tests: the CLAP library
//! that `cargo test` builds, loaded through clack-host, with parameters
//! read and set the way hosts do, state saved and loaded, and audio run in
//! blocks of any size (zero included) with parameter events at any sample.

#![allow(dead_code)] // each test binary uses part of the host

use std::ffi::CString;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clack_extensions::audio_ports_config::{AudioPortsConfigBuffer, MainPortInfo, PluginAudioPortsConfig};
use clack_extensions::latency::PluginLatency;
use clack_extensions::params::{ParamInfoBuffer, ParamInfoFlags, PluginParams};
use clack_extensions::render::{PluginRender, RenderMode};
use clack_extensions::state::PluginState;
use clack_host::events::event_types::{NoteOnEvent, ParamValueEvent};
use clack_host::events::{Match, Pckn};
use clack_host::prelude::*;
use clack_host::utils::ClapId;
use ddsp_plugin::DdspPlugin;
use dsp_core::pitch::median_voiced_f0_hz;
use dsp_core::pitch_units::hz_to_midi;
use nice_plug::prelude::ClapPlugin;

pub use ddsp_e2e::clap_host::{TestHost, TestHostShared};

/// The plugin's shared library as `cargo test` built it, next to this test.
pub fn plugin_library() -> PathBuf {
    ddsp_e2e::plugin_library("ddsp_plugin")
}

/// How blocks reach the plugin.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Pace {
    /// A bounce: CLAP offline render mode, blocks back to back. The plugin
    /// waits for every model switch, so the output is deterministic.
    Offline,
    /// A live host: real-time mode, blocks handed over at the pace of real
    /// time (model switches load on the plugin's loader thread meanwhile).
    RealTime,
}

/// A parameter change at `sample` (absolute) to the value the plugin
/// reads from `text` (as typed into a host's parameter field).
#[derive(Clone, Copy, Debug)]
pub struct Change {
    pub sample: usize,
    pub param: &'static str,
    pub text: &'static str,
}

/// A raw CLAP parameter event at `sample` (absolute): any value, in range
/// or not, as a host may send it.
#[derive(Clone, Copy, Debug)]
pub struct Event {
    pub sample: usize,
    pub id: ClapId,
    pub value: f64,
}

/// What the host knows of one parameter.
#[derive(Clone, Debug)]
pub struct ParamSpec {
    pub id: ClapId,
    pub name: String,
    pub min: f64,
    pub max: f64,
    pub default: f64,
    pub stepped: bool,
    /// Flagged as the plugin's bypass (what a host's bypass button drives).
    pub bypass: bool,
}

/// How a run activates the plugin.
#[derive(Clone, Copy, Debug)]
pub struct Session {
    pub pace: Pace,
    pub sample_rate: f32,
    /// The maximum block size promised at activation.
    pub max_block: usize,
}

/// One loaded plugin instance.
pub struct Plugin {
    /// Keeps the library loaded while the instance lives.
    _entry: PluginEntry,
    instance: PluginInstance<TestHost>,
    /// Main input and output channels of the selected port configuration.
    ports: Ports,
    /// Note-ons the plugin sent during the last `run`: (sample, key).
    notes_on: Vec<(usize, u16)>,
}

/// Main input and output channel counts (1 or 2 each).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ports {
    pub inputs: u32,
    pub outputs: u32,
}

impl Plugin {
    pub fn new() -> Self {
        let bundle = unsafe { PluginEntry::load(plugin_library()) }.expect("the plugin library loads");
        let factory = bundle.get_plugin_factory().expect("a plugin factory");
        let id = c"audio.ddsp-timbre-transfer.plugin";
        assert_eq!(id.to_str().unwrap(), DdspPlugin::CLAP_ID);
        assert!(factory.plugin_descriptors().any(|d| d.id() == Some(id)), "plugin id not exported");
        let host_info = HostInfo::new("ddsp tests", "ddsp", "https://example.invalid", "1.0").unwrap();
        let instance = PluginInstance::<TestHost>::new(|_| TestHostShared, |_| (), &bundle, id, &host_info).unwrap();
        Self { _entry: bundle, instance, ports: Ports { inputs: 2, outputs: 2 }, notes_on: Vec::new() }
    }

    /// Every port configuration the plugin offers.
    pub fn port_configurations(&mut self) -> Vec<(ClapId, Ports)> {
        let handle = self.instance.plugin_handle();
        let Some(configs) = handle.get_extension::<PluginAudioPortsConfig>() else { return Vec::new() };
        let mut buffer = AudioPortsConfigBuffer::new();
        (0..configs.count(&handle))
            .filter_map(|index| {
                let config = configs.get(&handle, index, &mut buffer)?;
                let channels = |port: Option<MainPortInfo>| port.map_or(0, |p| p.channel_count);
                Some((config.id, Ports { inputs: channels(config.main_input), outputs: channels(config.main_output) }))
            })
            .collect()
    }

    /// Selects the port configuration with `ports` (before activation), as
    /// a host does for a mono or stereo track; false if there is none.
    pub fn select_ports(&mut self, ports: Ports) -> bool {
        let Some((id, _)) = self.port_configurations().into_iter().find(|(_, p)| *p == ports) else { return false };
        let handle = self.instance.plugin_handle();
        let configs = handle.get_extension::<PluginAudioPortsConfig>().expect("the audio-ports-config extension");
        if configs.select(&handle, id).is_err() {
            return false;
        }
        self.ports = ports;
        true
    }

    /// Every parameter the plugin declares.
    pub fn params(&mut self) -> Vec<ParamSpec> {
        let handle = self.instance.plugin_handle();
        let params = handle.get_extension::<PluginParams>().expect("the params extension");
        let mut buffer = ParamInfoBuffer::new();
        (0..params.count(&handle))
            .map(|index| {
                let info = params.get_info(&handle, index, &mut buffer).expect("parameter info");
                ParamSpec {
                    id: info.id,
                    name: String::from_utf8_lossy(info.name.split(|&b| b == 0).next().unwrap_or_default()).into_owned(),
                    min: info.min_value,
                    max: info.max_value,
                    default: info.default_value,
                    stepped: info.flags.contains(ParamInfoFlags::IS_STEPPED),
                    bypass: info.flags.contains(ParamInfoFlags::IS_BYPASS),
                }
            })
            .collect()
    }

    /// The CLAP id of the parameter with string id `param` and the CLAP
    /// value of `text` for it.
    pub fn param_value(&mut self, param: &str, text: &str) -> (ClapId, f64) {
        let name = match param {
            "octave" => "Octave Shift",
            "instrument_v2" => "Instrument",
            "instrument" => "Instrument (0.1 automation)",
            "dry_wet" => "Dry/Wet",
            "reverb" => "Reverb",
            "out_gain" => "Output Gain",
            "in_gain" => "Input Gain",
            "bypass" => "Bypass",
            other => panic!("no test name for {other}"),
        };
        let id = self
            .params()
            .into_iter()
            .find(|spec| spec.name == name)
            .unwrap_or_else(|| panic!("no parameter named {name}"))
            .id;
        let handle = self.instance.plugin_handle();
        let params = handle.get_extension::<PluginParams>().expect("the params extension");
        let text = CString::new(text).unwrap();
        let value = params.text_to_value(&handle, id, &text).unwrap_or_else(|| panic!("{name} refuses {text:?}"));
        (id, value)
    }

    /// The current value of parameter `id`, as the host reads it.
    pub fn value_of(&mut self, id: ClapId) -> f64 {
        let handle = self.instance.plugin_handle();
        let params = handle.get_extension::<PluginParams>().expect("the params extension");
        params.get_value(&handle, id).expect("a parameter value")
    }

    pub fn save_state(&mut self) -> Vec<u8> {
        let handle = self.instance.plugin_handle();
        let mut bytes = Vec::new();
        handle.get_extension::<PluginState>().expect("the state extension").save(&handle, &mut bytes).unwrap();
        bytes
    }

    /// Loads `bytes` as state; false if the plugin refuses them.
    pub fn try_load_state(&mut self, bytes: &[u8]) -> bool {
        let handle = self.instance.plugin_handle();
        let state = handle.get_extension::<PluginState>().expect("the state extension");
        state.load(&handle, &mut &bytes[..]).is_ok()
    }

    pub fn load_state(&mut self, bytes: &[u8]) {
        assert!(self.try_load_state(bytes), "the state loads");
    }

    /// Text-described changes as raw events.
    pub fn events(&mut self, changes: &[Change]) -> Vec<Event> {
        changes
            .iter()
            .map(|change| {
                let (id, value) = self.param_value(change.param, change.text);
                Event { sample: change.sample, id, value }
            })
            .collect()
    }

    /// Activates at `sample_rate`, blocks of `block`, runs `input` (mono,
    /// fed to both channels) with `changes`, and returns (reported latency,
    /// left output). `between(sample)` runs on the main thread before each
    /// block. Deactivates afterwards.
    pub fn run(
        &mut self,
        pace: Pace,
        sample_rate: f32,
        block: usize,
        input: &[f32],
        changes: &[Change],
        between: impl FnMut(&mut Self, usize),
    ) -> (u32, Vec<f32>) {
        let events = self.events(changes);
        let session = Session { pace, sample_rate, max_block: block };
        self.run_blocks(session, &mut || block, input, &events, between)
    }

    /// Like [`Plugin::run`], with raw `events` (sorted by sample) and the
    /// block sizes `next_block()` gives (0 for an empty block; at most
    /// `session.max_block`).
    pub fn run_blocks(
        &mut self,
        session: Session,
        next_block: &mut dyn FnMut() -> usize,
        input: &[f32],
        events: &[Event],
        mut between: impl FnMut(&mut Self, usize),
    ) -> (u32, Vec<f32>) {
        let (latency, mut processor) = self.start(session);
        let mut left = vec![0.0f32; input.len()];
        let mut right = vec![0.0f32; input.len()];
        let mut blocks = BlockRunner::new(session, events, self.ports);
        let started = Instant::now();
        while blocks.start < input.len() {
            between(self, blocks.start);
            if session.pace == Pace::RealTime {
                let due = Duration::from_secs_f64(blocks.start as f64 / session.sample_rate as f64);
                std::thread::sleep(due.saturating_sub(started.elapsed()));
            }
            let len = next_block().min(session.max_block);
            blocks.process(&mut processor, input, &mut left, &mut right, len);
        }
        self.instance.deactivate(processor.stop_processing());
        check_output(&left, &right);
        self.notes_on = blocks.notes_on;
        (latency, left)
    }

    /// The note-ons the plugin sent during the last [`Plugin::run`]:
    /// (sample, key).
    pub fn notes_on(&self) -> &[(usize, u16)] {
        &self.notes_on
    }

    /// Runs `input` in blocks of `session.max_block` on an audio thread of
    /// its own, paced at real time, while `main_thread(plugin, progress)`
    /// runs here on the main thread until the audio is done (`progress` is
    /// the fraction played). Returns (latency, left output).
    pub fn run_beside(
        &mut self,
        session: Session,
        input: &[f32],
        mut main_thread: impl FnMut(&mut Self, f64),
    ) -> (u32, Vec<f32>) {
        let (latency, processor) = self.start(session);
        let ports = self.ports;
        let played = std::sync::atomic::AtomicUsize::new(0);
        let (processor, left, right) = std::thread::scope(|scope| {
            let audio = scope.spawn(|| {
                let mut processor = processor;
                let mut left = vec![0.0f32; input.len()];
                let mut right = vec![0.0f32; input.len()];
                let mut blocks = BlockRunner::new(session, &[], ports);
                let started = Instant::now();
                while blocks.start < input.len() {
                    let due = Duration::from_secs_f64(blocks.start as f64 / session.sample_rate as f64);
                    std::thread::sleep(due.saturating_sub(started.elapsed()));
                    blocks.process(&mut processor, input, &mut left, &mut right, session.max_block);
                    played.store(blocks.start, std::sync::atomic::Ordering::Relaxed);
                }
                (processor, left, right)
            });
            while !audio.is_finished() {
                main_thread(self, played.load(std::sync::atomic::Ordering::Relaxed) as f64 / input.len() as f64);
            }
            audio.join().expect("the audio thread panicked")
        });
        self.instance.deactivate(processor.stop_processing());
        check_output(&left, &right);
        (latency, left)
    }

    /// Activates for `session` (rate, largest block), runs `while_active`
    /// without a single `process` call, then deactivates.
    pub fn activated<R>(&mut self, session: Session, while_active: impl FnOnce(&mut Self) -> R) -> R {
        let configuration = PluginAudioConfiguration {
            sample_rate: session.sample_rate as f64,
            min_frames_count: 1,
            max_frames_count: session.max_block as u32,
        };
        let processor = self.instance.activate(|_, _| (), configuration).unwrap();
        let result = while_active(self);
        self.instance.deactivate(processor);
        result
    }

    fn start(&mut self, session: Session) -> (u32, StartedPluginAudioProcessor<TestHost>) {
        {
            let handle = self.instance.plugin_handle();
            let render = handle.get_extension::<PluginRender>().expect("the render extension");
            let mode = if session.pace == Pace::Offline { RenderMode::Offline } else { RenderMode::Realtime };
            render.set(&handle, mode).unwrap();
        }
        let configuration = PluginAudioConfiguration {
            sample_rate: session.sample_rate as f64,
            min_frames_count: 1,
            max_frames_count: session.max_block as u32,
        };
        let processor = self.instance.activate(|_, _| (), configuration).unwrap();
        let handle = self.instance.plugin_handle();
        let latency = handle.get_extension::<PluginLatency>().expect("the latency extension").get(&handle);
        (latency, processor.start_processing().unwrap())
    }
}

fn check_output(left: &[f32], right: &[f32]) {
    assert_eq!(left, right, "both channels carry the same mono resynthesis");
    assert!(left.iter().all(|x| x.is_finite()), "a non-finite output sample");
}

/// Feeds blocks to a started processor: the audio-thread half of a run.
struct BlockRunner<'a> {
    start: usize,
    events: &'a [Event],
    next_event: usize,
    input_ports: AudioPorts,
    output_ports: AudioPorts,
    output_events: EventBuffer,
    /// Note-ons sent by the plugin so far: (sample, key).
    notes_on: Vec<(usize, u16)>,
    block_events: EventBuffer,
    left_in: Vec<f32>,
    right_in: Vec<f32>,
    ports: Ports,
}

impl<'a> BlockRunner<'a> {
    fn new(session: Session, events: &'a [Event], ports: Ports) -> Self {
        assert!(events.windows(2).all(|pair| pair[0].sample <= pair[1].sample), "events out of order");
        Self {
            start: 0,
            events,
            next_event: 0,
            input_ports: AudioPorts::with_capacity(2, 1),
            output_ports: AudioPorts::with_capacity(2, 1),
            output_events: EventBuffer::new(),
            notes_on: Vec::new(),
            block_events: EventBuffer::new(),
            left_in: Vec::with_capacity(session.max_block),
            right_in: Vec::with_capacity(session.max_block),
            ports,
        }
    }

    /// Processes the next `len` samples (0: an empty block carrying the
    /// events due at the current sample).
    fn process(
        &mut self,
        processor: &mut StartedPluginAudioProcessor<TestHost>,
        input: &[f32],
        left: &mut [f32],
        right: &mut [f32],
        len: usize,
    ) {
        let start = self.start;
        let end = (start + len).min(input.len());
        self.block_events.clear();
        while let Some(event) = self.events.get(self.next_event) {
            let due = if end > start { event.sample < end } else { event.sample <= start };
            if !due {
                break;
            }
            let offset = event.sample.saturating_sub(start) as u32;
            self.block_events.push(&ParamValueEvent::new(offset, event.id, Pckn::match_all(), event.value));
            self.next_event += 1;
        }
        self.left_in.clear();
        self.left_in.extend_from_slice(&input[start..end]);
        self.right_in.clear();
        self.right_in.extend_from_slice(&input[start..end]);
        // A mono input port gets the input alone; a mono output port's
        // channel is copied to `right` afterwards, so every layout is read
        // the same way.
        let audio_in = if self.ports.inputs == 1 {
            self.input_ports.with_input_buffers([AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_input_only([InputChannel::variable(&mut self.left_in)]),
            }])
        } else {
            self.input_ports.with_input_buffers([AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_input_only([
                    InputChannel::variable(&mut self.left_in),
                    InputChannel::variable(&mut self.right_in),
                ]),
            }])
        };
        let mono_out = self.ports.outputs == 1;
        let (left_out, right_out) = (&mut left[start..end], &mut right[start..end]);
        let mut audio_out = if mono_out {
            self.output_ports.with_output_buffers([AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_output_only([&mut *left_out]),
            }])
        } else {
            self.output_ports.with_output_buffers([AudioPortBuffer {
                latency: 0,
                channels: AudioPortBufferType::f32_output_only([&mut *left_out, &mut *right_out]),
            }])
        };
        processor
            .process(
                &audio_in,
                &mut audio_out,
                &InputEvents::from_buffer(&self.block_events),
                &mut OutputEvents::from_buffer(&mut self.output_events),
                None,
                None,
            )
            .unwrap();
        if mono_out {
            right_out.copy_from_slice(left_out);
        }
        for event in self.output_events.iter() {
            if let Some(note) = event.as_event::<NoteOnEvent>() {
                if let Match::Specific(key) = note.pckn().key {
                    self.notes_on.push((start + event.header().time() as usize, key));
                }
            }
        }
        self.output_events.clear();
        self.start = end;
    }
}

/// Median pitch of `signal` (100 frames/s) on frames confidently voiced,
/// from `from_s` to `to_s` seconds, MIDI.
pub fn median_pitch_midi(signal: &[f32], rate: f32, from_s: f32, to_s: f32) -> f32 {
    let clip = &signal[(from_s * rate) as usize..(to_s * rate) as usize];
    let (f0_hz, frames) = median_voiced_f0_hz(clip, rate, 0.7).expect("voiced frames");
    assert!(frames > 10, "too few voiced frames");
    hz_to_midi(f0_hz)
}

/// Output sample `n` that stands for input sample `n`.
pub fn aligned(output: &[f32], latency: u32) -> &[f32] {
    &output[latency as usize..]
}

/// The plugin's saved state with the instrument set to "Loaded File" and
/// the model file set to `path` (what saving after loading a file in the
/// editor gives).
pub fn state_with_model_file(state: &[u8], path: &std::path::Path) -> Vec<u8> {
    ddsp_e2e::state::state_with(state, "loaded-file", Some(path))
}
