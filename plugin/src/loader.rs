//! Loading models while the plugin plays. The audio thread decides what
//! should play (the instrument parameter and the loaded file's change
//! counter) and asks for it through a lock-free ring; the loader thread
//! reads, validates and builds the model, warms it up, and hands it over:
//! through the engine's decoder slot when it fits the running engine
//! (crossfaded, click-free), or as a whole new engine when it needs other
//! framing or latency (the host is then told the new latency). Everything
//! the audio thread lets go of comes back here to be freed.

use std::path::Path;
use std::sync::Arc;

use ddsp_model::checkpoint::{load_checkpoint, Checkpoint, CheckpointError};
use ddsp_model::engine::model_engine;
use ddsp_model::instruments::{bundled_instrument, DEFAULT_INSTRUMENT};
use ddsp_model::streaming::engine_decoder;
use ddsp_plugin_common::load_requests::{LoadWorker, LoaderThread, RequestPort};
use ddsp_plugin_common::model_file::ModelFile;
use ddsp_plugin_common::status::{ModelDescription, ModelOrigin, ModelStatus, Notice};
use dsp_core::reverb::Reverb;
use dsp_core::swap::{DecoderSender, Instrument, SwapError};
use dsp_core::Engine;

use ddsp_plugin_common::instrument_choice::InstrumentChoice;

/// What the musician asked to hear: the instrument parameter and how many
/// times the loaded file has been set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wanted {
    /// The instrument parameter.
    pub choice: InstrumentChoice,
    /// [`ModelFile::changes`] when asked.
    pub file_changes: u64,
}

/// Why a model could not be put in place; its message is what the editor
/// shows.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A bundled instrument failed to parse (a damaged build).
    #[error("the bundled {name} is damaged: {source}")]
    DamagedBundle {
        /// The instrument's name.
        name: &'static str,
        /// Why it failed.
        source: CheckpointError,
    },
    /// "Loaded File" is chosen, but no file has been loaded.
    #[error("no model file has been loaded yet")]
    NoFile,
    /// The checkpoint file could not be read or is not playable.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The audio thread's queue of new engines stayed full.
    #[error("the audio thread is not taking new engines")]
    EnginesFull,
}

/// Reads the checkpoint `choice` names. Loads a file for `LoadedFile`:
/// never on the audio thread.
pub fn read_checkpoint(choice: InstrumentChoice, file: &ModelFile) -> Result<(Checkpoint, ModelOrigin), LoadError> {
    if let Some(instrument) = choice.bundled() {
        let checkpoint =
            instrument.checkpoint().map_err(|source| LoadError::DamagedBundle { name: instrument.name, source })?;
        return Ok((checkpoint, ModelOrigin::Bundled(instrument.id)));
    }
    let path = file.path().ok_or(LoadError::NoFile)?;
    Ok((validate_file(&path)?, ModelOrigin::File(path)))
}

/// The model that plays when the chosen one cannot be read: the default
/// instrument, with a warning naming what failed.
pub fn fallback_checkpoint(failure: &str) -> (Checkpoint, ModelOrigin, Notice) {
    let instrument = bundled_instrument(DEFAULT_INSTRUMENT).expect("the default instrument is bundled");
    let checkpoint = instrument.checkpoint().expect("the bundled default instrument parses (tested)");
    let notice = Notice::Warning(format!("{failure}; playing the bundled {} instead", instrument.name));
    (checkpoint, ModelOrigin::Bundled(instrument.id), notice)
}

/// Checks a checkpoint file before it is chosen (the editor's file
/// loader): reads and validates it without touching what plays.
pub fn validate_file(path: &Path) -> Result<Checkpoint, CheckpointError> {
    load_checkpoint(path)
}

/// The engine's settings a model is built for.
#[derive(Clone, Copy, Debug)]
pub struct EngineSettings {
    /// Host rate, Hz.
    pub sample_rate_hz: f32,
    /// Largest host block, samples.
    pub max_block_samples: usize,
    /// Offline (bounce) processing.
    pub offline: bool,
}

impl EngineSettings {
    /// An engine playing `checkpoint`, in this mode. Allocates.
    pub fn engine(&self, checkpoint: &Checkpoint) -> Result<Engine, CheckpointError> {
        let mut engine = model_engine(checkpoint, self.sample_rate_hz, self.max_block_samples)?;
        engine.set_offline(self.offline);
        Ok(engine)
    }
}

/// The audio thread's side of the loader. Every method but
/// [`Self::wait_until_settled`] (offline only) is real-time safe.
pub struct LoaderPort {
    /// What the audio thread asks the loader for.
    requests: RequestPort<Wanted>,
    /// Whole new engines from the loader.
    engines: rtrb::Consumer<Box<Engine>>,
    /// Engines let go of, back to the loader to be freed.
    retired_engines: rtrb::Producer<Box<Engine>>,
}

impl LoaderPort {
    /// Asks for `wanted` if it differs from the last request. Returns true
    /// when a request went out (or is still to go: a full ring retries on
    /// the next call).
    pub fn follow(&mut self, wanted: Wanted) -> bool {
        self.requests.follow(wanted)
    }

    /// Offline processing only: waits until every request has been handled,
    /// so a bounce switches models at the same sample every time.
    pub fn wait_until_settled(&self) {
        self.requests.wait_until_settled();
    }

    /// A whole new engine, when a model needed one.
    pub fn take_engine(&mut self) -> Option<Box<Engine>> {
        self.engines.pop().ok()
    }

    /// Hands an engine back to be freed on the loader thread.
    pub fn retire_engine(&mut self, engine: Box<Engine>) {
        if let Err(rtrb::PushError::Full(engine)) = self.retired_engines.push(engine) {
            // Unreachable: the ring holds every engine that can be in
            // flight. Leaking beats freeing on the audio thread.
            std::mem::forget(engine);
        }
    }
}

/// The loader thread. Dropping it stops and joins the thread (and frees
/// whatever it still holds): on the main thread, at deactivation.
pub struct ModelLoader {
    /// Stopped and joined on drop.
    _thread: LoaderThread,
}

/// The loader thread's state.
struct Worker {
    /// Whole new engines to the audio thread.
    engines: rtrb::Producer<Box<Engine>>,
    /// Engines the audio thread let go of, freed here.
    retired_engines: rtrb::Consumer<Box<Engine>>,
    /// The running engine's decoder slot.
    sender: DecoderSender,
    /// What engines are built for.
    settings: EngineSettings,
    /// Where the instrument choice and the model file's path are kept.
    params: Arc<crate::DdspParams>,
    /// What the editor shows.
    status: Arc<ModelStatus>,
}

impl ModelLoader {
    /// Starts a loader for an engine built with `settings` and playing
    /// `wanted`, reachable through `sender`. Allocates and spawns: call at
    /// activation.
    pub fn start(
        sender: DecoderSender,
        settings: EngineSettings,
        wanted: Wanted,
        params: Arc<crate::DdspParams>,
        status: Arc<ModelStatus>,
    ) -> std::io::Result<(Self, LoaderPort)> {
        let (engine_producer, engine_consumer) = rtrb::RingBuffer::new(2);
        let (retired_producer, retired_consumer) = rtrb::RingBuffer::new(4);
        let worker =
            Worker { engines: engine_producer, retired_engines: retired_consumer, sender, settings, params, status };
        let (thread, requests) = LoaderThread::spawn("ddsp model loader", wanted, worker)?;
        let port = LoaderPort { requests, engines: engine_consumer, retired_engines: retired_producer };
        Ok((Self { _thread: thread }, port))
    }
}

impl LoadWorker<Wanted> for Worker {
    fn free_retired(&mut self) {
        while let Ok(engine) = self.retired_engines.pop() {
            drop(engine);
        }
        self.sender.free_retired();
    }

    fn load(&mut self, wanted: Wanted) {
        self.status.set_loading();
        let (checkpoint, origin, notice) = match read_checkpoint(wanted.choice, &self.params.model_file) {
            Ok((checkpoint, origin)) => (checkpoint, origin, None),
            // "Loaded File" with no file: what activation plays for the
            // same settings (the default instrument, with a warning), so a
            // bounce or a reopened project sounds as this did.
            Err(error) if wanted.choice.bundled().is_none() && self.params.model_file.path().is_none() => {
                let (checkpoint, origin, notice) =
                    fallback_checkpoint(&format!("cannot play {}: {error}", wanted.choice.label()));
                (checkpoint, origin, Some(notice))
            }
            Err(error) => {
                self.status.set_error(format!(
                    "cannot play {}: {error}; the current model keeps playing",
                    wanted.choice.label()
                ));
                return;
            }
        };
        let description = ModelDescription::new(&checkpoint, origin);
        match self.hand_over(&checkpoint) {
            Ok(()) => self.status.set_playing(description, notice),
            Err(error) => self
                .status
                .set_error(format!("cannot play {}: {error}; the current model keeps playing", description.name)),
        }
    }
}

impl Worker {
    /// Swaps the model in through the slot, or builds a new engine for it.
    fn hand_over(&mut self, checkpoint: &Checkpoint) -> Result<(), LoadError> {
        let decoder = engine_decoder(checkpoint)?;
        let reverb =
            Reverb::new(&checkpoint.reverb_ir, checkpoint.info.config.model_rate_hz, self.settings.sample_rate_hz);
        let instrument = Instrument { decoder, reverb: Some(Box::new(reverb)) };
        // Never waits for the audio thread: an instrument it has not taken
        // yet is replaced by this one.
        match self.sender.send_instrument(instrument) {
            Ok(()) => Ok(()),
            Err((returned, SwapError::Incompatible(_))) => {
                drop(returned);
                self.hand_over_engine(checkpoint)
            }
        }
    }

    /// A model the running engine cannot take: a new engine, with its own
    /// slot for the next swaps.
    fn hand_over_engine(&mut self, checkpoint: &Checkpoint) -> Result<(), LoadError> {
        let mut engine = Box::new(self.settings.engine(checkpoint)?);
        let sender = engine.connect_slot();
        self.engines.push(engine).map_err(|_| LoadError::EnginesFull)?;
        self.sender = sender;
        Ok(())
    }
}
