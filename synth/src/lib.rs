//! DDSP Synth: the bundled instruments and a loaded model file played from
//! MIDI, as a VST3 and CLAP instrument. nice-plug glue around
//! `dsp_core::synth::PolySynth`.
//!
//! `activate` builds the synth with every bundled instrument and the saved
//! model file, [`MAX_VOICES`] voices each (one copy of each model's
//! weights, a GRU state per voice), so switching instruments, changing the
//! voice count and playing notes never allocate; a file loaded later
//! arrives from a loader thread (see `loaded_file`). `process` hands the parameter values
//! and each note event to the synth at its sample offset; the synth has no
//! analysis and reports no latency: a note sounds from the next 4 ms frame
//! boundary.

pub mod editor;
mod loaded_file;
mod params;

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ddsp_model::checkpoint::CheckpointError;
use ddsp_model::engine::synth_instrument;
use ddsp_model::instruments::{bundled_instrument, DEFAULT_INSTRUMENT};
use ddsp_plugin_common::model_file::ModelFile;
use ddsp_plugin_common::status::{ModelDescription, ModelOrigin, ModelStatus, Notice};
use dsp_core::synth::{NoteEvent as SynthEvent, PolySynth, SynthError, SynthInstrument, SynthShape, MAX_VOICES};
use nice_plug::midi::{Channel, Key};
use nice_plug::prelude::*;

pub use ddsp_plugin_common::instrument_choice::InstrumentChoice;
use ddsp_plugin_common::instrument_choice::{migrate_instrument, InstrumentFollower};
pub use loaded_file::{file_instrument, FileError};
pub use params::{ModeChoice, SynthParams};

use loaded_file::{FileLoader, FileSlots};

/// MIDI CC of the mod wheel (vibrato depth).
const CC_MOD_WHEEL: u8 = 1;
/// MIDI CC of brightness (MPE's timbre dimension).
const CC_BRIGHTNESS: u8 = 74;
/// MIDI CC of the sustain pedal.
const CC_SUSTAIN: u8 = 64;
/// MIDI CC that silences every voice at once.
const CC_ALL_SOUND_OFF: u8 = 120;
/// MIDI CC that releases every note.
const CC_ALL_NOTES_OFF: u8 = 123;
/// Seed of the voices' noise: a bounce sounds the same every time.
const NOISE_SEED: u64 = 0x5EED_D05E;

/// Why the synth could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A bundled instrument could not be read (a damaged build).
    #[error("the bundled {name} cannot be played: {source}")]
    Instrument {
        /// The instrument's name.
        name: &'static str,
        /// Why.
        source: CheckpointError,
    },
    /// The bundled instruments cannot share one synth.
    #[error(transparent)]
    Synth(#[from] SynthError),
}

/// A bundled instrument with [`MAX_VOICES`] voices.
fn bundled_synth_instrument(choice: InstrumentChoice) -> Result<SynthInstrument, StartError> {
    let bundled = choice.bundled().unwrap_or_else(|| default_instrument());
    let error = |source| StartError::Instrument { name: bundled.name, source };
    synth_instrument(&bundled.checkpoint().map_err(error)?, MAX_VOICES).map_err(error)
}

/// The bundled default instrument (what "Loaded File" plays while no file
/// is loaded, as in the effect).
fn default_instrument() -> &'static ddsp_model::instruments::BundledInstrument {
    bundled_instrument(DEFAULT_INSTRUMENT).expect("the default instrument is bundled")
}

/// The synth a new instance plays at `sample_rate_hz`: every bundled
/// instrument, then two slots for the loaded file (see `loaded_file`), the
/// first holding `file`'s model, [`MAX_VOICES`] voices each. Without a
/// file, or when it cannot be read, the slots hold the default instrument;
/// the status says which and why. Allocates and reads the file: call in
/// `activate` or tests.
pub fn build_synth(sample_rate_hz: f32, file: &ModelFile, status: &ModelStatus) -> Result<PolySynth, StartError> {
    let mut instruments = InstrumentChoice::all()
        .filter(|choice| choice.bundled().is_some())
        .map(bundled_synth_instrument)
        .collect::<Result<Vec<_>, _>>()?;
    let info = *instruments[0].voice_decoders[0].info();
    let shape = SynthShape { sample_rate_hz, num_voices: MAX_VOICES, info };
    let loaded = file.path().map(|path| {
        let loaded = file_instrument(&path, MAX_VOICES).and_then(|(instrument, checkpoint)| {
            shape.check(&instrument)?;
            Ok((instrument, checkpoint))
        });
        (path, loaded)
    });
    let first_file_slot = match loaded {
        Some((path, Ok((instrument, checkpoint)))) => {
            status.set_playing(ModelDescription::new(&checkpoint, ModelOrigin::File(path)), None);
            instrument
        }
        Some((path, Err(error))) => {
            let notice = format!(
                "cannot play {}: {error}; Loaded File plays the bundled {} instead",
                path.display(),
                default_instrument().name
            );
            status.set_playing(default_description(), Some(Notice::Warning(notice)));
            bundled_synth_instrument(InstrumentChoice::LOADED_FILE)?
        }
        None => {
            status.clear();
            bundled_synth_instrument(InstrumentChoice::LOADED_FILE)?
        }
    };
    instruments.push(first_file_slot);
    instruments.push(bundled_synth_instrument(InstrumentChoice::LOADED_FILE)?);
    Ok(PolySynth::new(sample_rate_hz, instruments, NOISE_SEED)?)
}

/// [`build_synth`] with no model file loaded (benchmarks, previews).
pub fn bundled_synth(sample_rate_hz: f32) -> Result<PolySynth, StartError> {
    build_synth(sample_rate_hz, &ModelFile::default(), &ModelStatus::default())
}

/// The default instrument's description, as the editor shows it.
fn default_description() -> ModelDescription {
    let instrument = default_instrument();
    let checkpoint = instrument.checkpoint().expect("the bundled default instrument parses (tested)");
    ModelDescription::new(&checkpoint, ModelOrigin::Bundled(instrument.id))
}

/// The plugin.
pub struct DdspSynth {
    /// The host-automatable parameters, shared with the editor.
    params: Arc<SynthParams>,
    /// Voices sounding after the last block, for the editor.
    sounding: Arc<AtomicUsize>,
    /// The editor's size and open state.
    editor_state: Arc<nice_plug_egui::EguiEditorState>,
    /// What the editor shows about the loaded file.
    status: Arc<ModelStatus>,
    /// The synth, built at activation (none before).
    synth: Option<Box<PolySynth>>,
    /// The audio thread's side of the file loader (with the synth).
    file_slots: Option<FileSlots>,
    /// The file loader thread (with the synth); dropped at deactivation.
    file_loader: Option<FileLoader>,
    /// Processing offline (a bounce): file loads are waited for.
    offline: bool,
    /// Which of the two instrument parameters chose last (audio thread).
    instrument: InstrumentFollower,
}

impl Default for DdspSynth {
    fn default() -> Self {
        Self {
            params: Arc::new(SynthParams::default()),
            sounding: Arc::new(AtomicUsize::new(0)),
            editor_state: editor::default_state(),
            status: Arc::new(ModelStatus::default()),
            synth: None,
            file_slots: None,
            file_loader: None,
            offline: false,
            instrument: InstrumentFollower::default(),
        }
    }
}

impl Plugin for DdspSynth {
    const NAME: &'static str = "DDSP Synth";
    const VENDOR: &'static str = ddsp_plugin_common::VENDOR;
    const URL: &'static str = ddsp_plugin_common::URL;
    const EMAIL: &'static str = ddsp_plugin_common::EMAIL;
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout { main_output_channels: NonZeroU32::new(2), ..AudioIOLayout::const_default() },
        AudioIOLayout { main_output_channels: NonZeroU32::new(1), ..AudioIOLayout::const_default() },
    ];

    const MIDI_INPUT: MidiConfig = MidiConfig::MidiCCs;
    // Parameter changes split the block at the event, as note events do.
    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type SysExMessage = ();
    type BackgroundTask = ();
    type Editor = editor::SynthEditor;

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn filter_state(state: &mut PluginState) {
        migrate_instrument(&mut state.params);
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(self.params.clone(), self.sounding.clone(), self.status.clone(), self.editor_state.clone())
    }

    fn activate(
        &mut self,
        _audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.deactivate();
        self.offline = buffer_config.process_mode == ProcessMode::Offline;
        // Read before building, so a file set meanwhile is asked for again.
        let file_changes = self.params.model_file.changes();
        let mut synth = match build_synth(buffer_config.sample_rate, &self.params.model_file, &self.status) {
            Ok(synth) => synth,
            Err(error) => {
                nice_plug::nice_log!("DDSP Synth cannot start: {error}");
                return false;
            }
        };
        let (loader, slots) = match FileSlots::start(&synth, file_changes, self.params.clone(), self.status.clone()) {
            Ok(started) => started,
            Err(error) => {
                nice_plug::nice_log!("DDSP Synth cannot start its file loader: {error}");
                return false;
            }
        };
        synth.set_controls(&self.params.controls());
        self.instrument = InstrumentFollower::new(self.params.instrument.value(), self.params.instrument_01.value());
        synth.set_instrument(slots.instrument_index(self.params.instrument.value()));
        synth.reset();
        self.synth = Some(Box::new(synth));
        self.file_slots = Some(slots);
        self.file_loader = Some(loader);
        true
    }

    fn deactivate(&mut self) {
        // The slots hand parts back to the loader, so they go first; the
        // loader then frees whatever it still holds as it stops.
        self.file_slots = None;
        self.synth = None;
        self.file_loader = None;
    }

    fn reset(&mut self) {
        if let Some(synth) = &mut self.synth {
            synth.reset();
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let (Some(synth), Some(slots)) = (&mut self.synth, &mut self.file_slots) else {
            return ProcessStatus::Normal;
        };
        slots.update(synth, self.params.model_file.changes(), self.offline);
        synth.set_controls(&self.params.controls());
        let choice = self.instrument.follow(self.params.instrument.value(), self.params.instrument_01.value());
        synth.set_instrument(slots.instrument_index(choice));
        let channels = buffer.as_slice();
        let Some((first, others)) = channels.split_first_mut() else {
            return ProcessStatus::Normal;
        };
        let len = first.len();
        let mut done = 0;
        while let Some(event) = context.next_event() {
            let at = (event.timing() as usize).clamp(done, len);
            synth.process(&mut first[done..at]);
            done = at;
            if let Some(event) = synth_event(&event) {
                synth.handle(event);
            }
        }
        synth.process(&mut first[done..]);
        for channel in others {
            channel.copy_from_slice(first);
        }
        self.sounding.store(synth.sounding_voices(), Ordering::Relaxed);
        ProcessStatus::KeepAlive
    }
}

/// The synth's event for a host note event, if it plays a part.
fn synth_event(event: &NoteEvent<()>) -> Option<SynthEvent> {
    let key = |channel: &Channel, key: &Key| Some((channel.number().unwrap_or(0), key.number()?));
    Some(match *event {
        NoteEvent::NoteOn { channel, key: note, velocity, .. } => {
            SynthEvent::NoteOn { key: key(&channel, &note)?, velocity }
        }
        NoteEvent::NoteOff { key: Key::Wildcard, .. } => SynthEvent::AllNotesOff,
        NoteEvent::Choke { key: Key::Wildcard, .. } => SynthEvent::AllSoundOff,
        NoteEvent::NoteOff { channel, key: note, .. } | NoteEvent::Choke { channel, key: note, .. } => {
            SynthEvent::NoteOff { key: key(&channel, &note)? }
        }
        NoteEvent::PolyPressure { channel, key: note, pressure, .. } => {
            SynthEvent::NotePressure { key: key(&channel, &note)?, amount: pressure }
        }
        NoteEvent::PolyTuning { channel, key: note, tuning, .. } => {
            SynthEvent::NoteBend { key: key(&channel, &note)?, semitones: tuning }
        }
        NoteEvent::MidiChannelPressure { channel, pressure, .. } => {
            SynthEvent::ChannelPressure { channel, amount: pressure }
        }
        NoteEvent::MidiPitchBend { channel, value, .. } => SynthEvent::PitchBend { channel, amount: value * 2.0 - 1.0 },
        NoteEvent::MidiCC { cc: CC_MOD_WHEEL, value, .. } => SynthEvent::ModWheel { amount: value },
        NoteEvent::MidiCC { cc: CC_SUSTAIN, value, .. } => SynthEvent::Sustain { down: value >= 0.5 },
        NoteEvent::MidiCC { cc: CC_BRIGHTNESS, channel, value, .. } => {
            SynthEvent::Brightness { channel, amount: value }
        }
        NoteEvent::PolyBrightness { channel, key: note, brightness, .. } => {
            SynthEvent::NoteBrightness { key: key(&channel, &note)?, amount: brightness }
        }
        NoteEvent::MidiCC { cc: CC_ALL_SOUND_OFF, .. } => SynthEvent::AllSoundOff,
        NoteEvent::MidiCC { cc: CC_ALL_NOTES_OFF, .. } => SynthEvent::AllNotesOff,
        _ => return None,
    })
}

impl ClapPlugin for DdspSynth {
    const CLAP_ID: &'static str = "audio.ddsp-timbre-transfer.synth";
    const CLAP_DESCRIPTION: Option<&'static str> = Some("The trained instruments played from MIDI, polyphonic");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] =
        &[ClapFeature::Instrument, ClapFeature::Synthesizer, ClapFeature::Stereo, ClapFeature::Mono];
}

impl Vst3Plugin for DdspSynth {
    const VST3_CLASS_ID: [u8; 16] = *b"DdspSynthMidi001";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[Vst3SubCategory::Instrument, Vst3SubCategory::Synth];
}

nice_export_clap!(DdspSynth);
nice_export_vst3!(DdspSynth);

#[cfg(test)]
mod tests {
    use nice_plug::midi::VoiceID;

    use super::*;

    #[test]
    fn midi_maps_to_synth_events() {
        let bend = NoteEvent::MidiPitchBend { timing: 0, channel: 3, value: 0.75 };
        assert_eq!(synth_event(&bend), Some(SynthEvent::PitchBend { channel: 3, amount: 0.5 }));
        let timbre = NoteEvent::MidiCC { timing: 0, channel: 5, cc: CC_BRIGHTNESS, value: 0.25 };
        assert_eq!(synth_event(&timbre), Some(SynthEvent::Brightness { channel: 5, amount: 0.25 }));
        let pedal = NoteEvent::MidiCC { timing: 0, channel: 0, cc: CC_SUSTAIN, value: 1.0 };
        assert_eq!(synth_event(&pedal), Some(SynthEvent::Sustain { down: true }));
        let on = NoteEvent::NoteOn {
            timing: 3,
            voice_id: VoiceID::Wildcard,
            channel: Channel::Number(2),
            key: Key::Number(64),
            velocity: 0.5,
        };
        assert_eq!(synth_event(&on), Some(SynthEvent::NoteOn { key: (2, 64), velocity: 0.5 }));
    }
}
