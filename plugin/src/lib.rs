//! Live DDSP timbre transfer as a VST3 and CLAP plugin: nice-plug glue
//! around `dsp_core::Engine`, the model loader and the editor.
//!
//! `activate` builds the engine (FFTs planned, buffers sized) for the model
//! the parameters and saved state choose, synchronously, so the first
//! block after opening a project already plays the right model; it reports
//! the engine's exact latency. A saved model file that is missing or
//! damaged falls back to the bundled default instrument with a warning in
//! the editor, never silence. `process` hands the host's buffers and the
//! parameter values to the engine and asks the loader thread for another
//! model when the instrument parameter or the loaded file changes; models
//! arrive through lock-free hand-overs and crossfade in. Offline processing
//! (a bounce) waits for every model output and every model switch, so
//! bounces are deterministic.

pub mod editor;
mod loader;
mod meters;
mod params;

use std::num::NonZeroU32;
use std::sync::Arc;

use dsp_core::note_out::{NoteOut, BEND_RANGE_SEMITONES};
use dsp_core::{AdditiveConfig, AdditiveDecoder, Engine, EngineConfig};
use nice_plug::midi::{Channel, Key, VoiceID};
use nice_plug::prelude::*;
use nice_plug_egui::EguiEditorState;

pub use ddsp_plugin_common::instrument_choice::InstrumentChoice;
use ddsp_plugin_common::instrument_choice::{migrate_instrument, InstrumentFollower};
pub use ddsp_plugin_common::model_file::ModelFile;
pub use ddsp_plugin_common::status::{ModelDescription, ModelOrigin, ModelStatus, Notice, StatusSnapshot};
pub use loader::{fallback_checkpoint, read_checkpoint, validate_file, EngineSettings, LoadError, Wanted};
pub use meters::{MeterReading, Meters};
pub use params::DdspParams;

use loader::{LoaderPort, ModelLoader};

/// The engine the plugin starts with for `wanted`: the chosen model, or
/// the bundled default instrument (with a warning) if it cannot be read,
/// or the additive instrument if even that fails to start. Allocates and
/// starts threads: call in `activate`.
pub fn startup_engine(
    settings: EngineSettings,
    wanted: Wanted,
    file: &ModelFile,
) -> (Engine, Option<ModelDescription>, Option<Notice>) {
    let (checkpoint, origin, notice) = match read_checkpoint(wanted.choice, file) {
        Ok((checkpoint, origin)) => (checkpoint, origin, None),
        Err(failure) => {
            let (checkpoint, origin, notice) =
                fallback_checkpoint(&format!("cannot play {}: {failure}", wanted.choice.label()));
            (checkpoint, origin, Some(notice))
        }
    };
    match settings.engine(&checkpoint) {
        Ok(engine) => (engine, Some(ModelDescription::new(&checkpoint, origin)), notice),
        Err(error) => {
            let config = EngineConfig::new(settings.sample_rate_hz, settings.max_block_samples);
            let mut engine = Engine::new(&config, AdditiveDecoder::boxed(AdditiveConfig::default()));
            engine.set_offline(settings.offline);
            (
                engine,
                None,
                Some(Notice::Error(format!("cannot start the model ({error}); playing plain additive synthesis"))),
            )
        }
    }
}

/// The engine a new instance plays at `sample_rate_hz` in blocks of up to
/// `max_block_samples` (real-time mode): the default instrument.
/// Allocates: call in `activate` or tests.
pub fn default_engine(sample_rate_hz: f32, max_block_samples: usize) -> Engine {
    let settings = EngineSettings { sample_rate_hz, max_block_samples, offline: false };
    let wanted = Wanted { choice: InstrumentChoice::default_choice(), file_changes: 0 };
    startup_engine(settings, wanted, &ModelFile::default()).0
}

/// Everything `process` touches besides the parameters, built in
/// `activate`.
struct Running {
    engine: Box<Engine>,
    port: LoaderPort,
    /// Late frames of engines and resets before the current one.
    late_frames_before: u64,
    /// Mono input layout: the right output channel starts as a copy of
    /// the input.
    mono_input: bool,
    /// Kept for its `Drop` (stops and joins the loader thread); never used
    /// on the audio thread.
    _loader: ModelLoader,
}

/// The plugin instance.
pub struct DdspPlugin {
    params: Arc<DdspParams>,
    status: Arc<ModelStatus>,
    meters: Arc<Meters>,
    editor_state: Arc<EguiEditorState>,
    /// Which of the two instrument parameters chose last (audio thread).
    instrument: InstrumentFollower,
    running: Option<Running>,
}

impl Default for DdspPlugin {
    fn default() -> Self {
        Self {
            params: Arc::new(DdspParams::default()),
            status: Arc::new(ModelStatus::default()),
            meters: Arc::new(Meters::default()),
            editor_state: editor::default_state(),
            instrument: InstrumentFollower::default(),
            running: None,
        }
    }
}

impl DdspPlugin {
    /// What the parameters ask to hear now. Real-time safe.
    fn wanted(&mut self) -> Wanted {
        let choice = self.instrument.follow(self.params.instrument.value(), self.params.instrument_01.value());
        Wanted { choice, file_changes: self.params.model_file.changes() }
    }
}

impl Plugin for DdspPlugin {
    const NAME: &'static str = "DDSP Timbre Transfer";
    const VENDOR: &'static str = ddsp_plugin_common::VENDOR;
    const URL: &'static str = ddsp_plugin_common::URL;
    const EMAIL: &'static str = ddsp_plugin_common::EMAIL;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        // A mono track: the resynthesis is mono anyway.
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

    // Parameter changes split the block at the event, so automation lands on
    // the sample it was written for.
    const SAMPLE_ACCURATE_AUTOMATION: bool = true;
    // The played pitch as notes and pitch bend (a CLAP note output port, a
    // VST3 event output), for a host to record or to layer another synth.
    const MIDI_OUTPUT: MidiConfig = MidiConfig::MidiCCs;

    type SysExMessage = ();
    type BackgroundTask = ();
    type Editor = editor::DdspEditor;

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn filter_state(state: &mut PluginState) {
        migrate_instrument(&mut state.params);
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(self.params.clone(), self.status.clone(), self.meters.clone(), self.editor_state.clone())
    }

    fn activate(
        &mut self,
        audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        // The previous engine and loader go first (joining their threads).
        self.running = None;
        self.instrument = InstrumentFollower::new(self.params.instrument.value(), self.params.instrument_01.value());
        let settings = EngineSettings {
            sample_rate_hz: buffer_config.sample_rate,
            max_block_samples: buffer_config.max_buffer_size.max(1) as usize,
            offline: buffer_config.process_mode == ProcessMode::Offline,
        };
        let wanted = self.wanted();
        let (mut engine, description, notice) = startup_engine(settings, wanted, &self.params.model_file);
        match description {
            Some(description) => self.status.set_playing(description, notice),
            None => self.status.set_error(match notice {
                Some(Notice::Error(message) | Notice::Warning(message)) => message,
                None => String::new(),
            }),
        }
        engine.set_controls(self.params.user_controls());
        engine.reset();
        context.set_latency_samples(engine.latency_samples() as u32);
        self.meters.publish_latency(&engine);
        let sender = engine.connect_slot();
        let Ok((loader, port)) = ModelLoader::start(sender, settings, wanted, self.params.clone(), self.status.clone())
        else {
            return false;
        };
        self.running = Some(Running {
            engine: Box::new(engine),
            port,
            late_frames_before: 0,
            mono_input: audio_io_layout.main_input_channels.map_or(0, NonZeroU32::get) == 1,
            _loader: loader,
        });
        true
    }

    fn deactivate(&mut self) {
        self.running = None;
    }

    fn reset(&mut self) {
        if let Some(running) = &mut self.running {
            running.late_frames_before += running.engine.late_frames();
            running.engine.reset();
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let wanted = self.wanted();
        let Some(running) = &mut self.running else {
            return ProcessStatus::Normal;
        };
        running.port.follow(wanted);
        if running.engine.is_offline() {
            running.port.wait_until_settled();
        }
        if let Some(mut engine) = running.port.take_engine() {
            // The old engine's notes end before the new one plays.
            running.engine.end_notes(|_, event| {
                let _ = context.try_send_event(midi_out(0, event));
            });
            engine.set_controls(self.params.user_controls());
            engine.reset();
            std::mem::swap(&mut running.engine, &mut engine);
            running.late_frames_before += engine.late_frames();
            running.port.retire_engine(engine);
            context.set_latency_samples(running.engine.latency_samples() as u32);
        }
        let engine = &mut running.engine;
        engine.set_controls(self.params.user_controls());
        let channels = buffer.as_slice();
        if let (true, [mono, out_right]) = (running.mono_input, &mut *channels) {
            out_right.copy_from_slice(mono);
        }
        let block_start = engine.samples_processed();
        engine.process(channels);
        engine.drain_note_events(engine.samples_processed(), |sample, event| {
            // A full host queue loses the event, never the audio.
            let _ = context.try_send_event(midi_out(sample.saturating_sub(block_start) as u32, event));
        });
        if self.editor_state.is_open() {
            self.meters.publish(engine, running.late_frames_before + engine.late_frames());
        }
        ProcessStatus::Normal
    }
}

/// The host's event for one of the engine's note events, at `timing`
/// samples into the block.
fn midi_out(timing: u32, event: NoteOut) -> NoteEvent<()> {
    let (channel, voice_id) = (Channel::Number(0), VoiceID::Wildcard);
    match event {
        NoteOut::NoteOn { note, velocity } => {
            NoteEvent::NoteOn { timing, voice_id, channel, key: Key::Number(note), velocity }
        }
        NoteOut::NoteOff { note } => {
            NoteEvent::NoteOff { timing, voice_id, channel, key: Key::Number(note), velocity: 0.0 }
        }
        NoteOut::PitchBend { semitones } => NoteEvent::MidiPitchBend {
            timing,
            channel: 0,
            value: (0.5 + 0.5 * semitones / BEND_RANGE_SEMITONES).clamp(0.0, 1.0),
        },
    }
}

impl ClapPlugin for DdspPlugin {
    const CLAP_ID: &'static str = "audio.ddsp-timbre-transfer.plugin";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Follows the pitch and loudness of what you play and re-synthesizes it as another instrument");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[ClapFeature::AudioEffect, ClapFeature::Stereo, ClapFeature::Mono];
}

impl Vst3Plugin for DdspPlugin {
    const VST3_CLASS_ID: [u8; 16] = *b"DdspTimbreXfer01";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[Vst3SubCategory::Fx, Vst3SubCategory::Synth];
}

nice_export_clap!(DdspPlugin);
nice_export_vst3!(DdspPlugin);
