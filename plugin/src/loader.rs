//! Loading models while the plugin plays. The audio thread decides what
//! should play (the instrument parameter and the loaded file's change
//! counter) and asks for it through a lock-free ring; the loader thread
//! reads, validates and builds the model, warms it up, and hands it over:
//! through the engine's decoder slot when it fits the running engine
//! (crossfaded, click-free), or as a whole new engine when it needs other
//! framing or latency (the host is then told the new latency). Everything
//! the audio thread lets go of comes back here to be freed.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ddsp_model::checkpoint::{load_checkpoint, Checkpoint, CheckpointError};
use ddsp_model::engine::model_engine;
use ddsp_model::instruments::{bundled_instrument, DEFAULT_INSTRUMENT};
use ddsp_model::streaming::engine_decoder;
use dsp_core::reverb::Reverb;
use dsp_core::swap::{DecoderSender, Instrument, SwapError};
use dsp_core::Engine;

use crate::choice::InstrumentChoice;
use crate::model_file::ModelFile;
use crate::status::{ModelDescription, ModelOrigin, ModelStatus, Notice};

/// How long an offline render waits for a model before going on without.
const OFFLINE_LOAD_TIMEOUT: Duration = Duration::from_secs(30);

/// What the musician asked to hear: the instrument parameter and how many
/// times the loaded file has been set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wanted {
    /// The instrument parameter.
    pub choice: InstrumentChoice,
    /// [`ModelFile::changes`] when asked.
    pub file_changes: u64,
}

#[derive(Clone, Copy, Debug)]
struct Request {
    serial: u64,
    wanted: Wanted,
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

/// State shared by the audio-thread port and the loader thread.
struct Shared {
    /// Serial number of the latest request handled.
    delivered: AtomicU64,
    /// Asks the loader thread to end.
    stop: AtomicBool,
    /// Offline processing waits on `settled` (under this lock) for the
    /// loader to handle a request; real-time processing never touches them.
    wake: Mutex<()>,
    /// Signalled by the loader after each request it handles.
    settled: Condvar,
}

/// The audio thread's side of the loader. Every method is real-time safe.
pub struct LoaderPort {
    requests: rtrb::Producer<Request>,
    engines: rtrb::Consumer<Box<Engine>>,
    retired_engines: rtrb::Producer<Box<Engine>>,
    shared: Arc<Shared>,
    loader_thread: std::thread::Thread,
    wanted: Wanted,
    serial: u64,
}

impl LoaderPort {
    /// Asks for `wanted` if it differs from the last request. Returns true
    /// when a request went out (or is still to go: a full ring retries on
    /// the next call).
    pub fn follow(&mut self, wanted: Wanted) -> bool {
        if wanted == self.wanted {
            return false;
        }
        if self.requests.push(Request { serial: self.serial + 1, wanted }).is_ok() {
            self.serial += 1;
            self.wanted = wanted;
            self.loader_thread.unpark();
        }
        true
    }

    /// True once every request has been handled (delivered or refused).
    pub fn is_settled(&self) -> bool {
        self.shared.delivered.load(Ordering::Acquire) >= self.serial
    }

    /// Offline processing only: waits until every request has been handled,
    /// so a bounce switches models at the same sample every time. Blocks
    /// until the loader signals (at most `OFFLINE_LOAD_TIMEOUT`, should the
    /// loader be gone): never in real-time mode.
    pub fn wait_until_settled(&self) {
        if self.is_settled() {
            return;
        }
        let deadline = Instant::now() + OFFLINE_LOAD_TIMEOUT;
        // Checked under the lock the loader signals under: no lost wake-up.
        let mut guard = self.shared.wake.lock().unwrap_or_else(PoisonError::into_inner);
        while !self.is_settled() {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else { return };
            guard = match self.shared.settled.wait_timeout(guard, left) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
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
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// The loader thread's state.
struct Worker {
    requests: rtrb::Consumer<Request>,
    engines: rtrb::Producer<Box<Engine>>,
    retired_engines: rtrb::Consumer<Box<Engine>>,
    sender: DecoderSender,
    settings: EngineSettings,
    params: Arc<crate::DdspParams>,
    status: Arc<ModelStatus>,
    shared: Arc<Shared>,
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
        let (request_producer, request_consumer) = rtrb::RingBuffer::new(16);
        let (engine_producer, engine_consumer) = rtrb::RingBuffer::new(2);
        let (retired_producer, retired_consumer) = rtrb::RingBuffer::new(4);
        let shared = Arc::new(Shared {
            delivered: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            wake: Mutex::new(()),
            settled: Condvar::new(),
        });
        let mut worker = Worker {
            requests: request_consumer,
            engines: engine_producer,
            retired_engines: retired_consumer,
            sender,
            settings,
            params,
            status,
            shared: shared.clone(),
        };
        let thread = std::thread::Builder::new().name("ddsp model loader".into()).spawn(move || worker.run())?;
        let port = LoaderPort {
            requests: request_producer,
            engines: engine_consumer,
            retired_engines: retired_producer,
            shared: shared.clone(),
            loader_thread: thread.thread().clone(),
            wanted,
            serial: 0,
        };
        Ok((Self { shared, thread: Some(thread) }, port))
    }
}

impl Drop for ModelLoader {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

impl Worker {
    fn run(&mut self) {
        while !self.shared.stop.load(Ordering::Acquire) {
            self.free_retired();
            // Only the latest request matters: earlier ones are superseded.
            let mut latest = None;
            while let Ok(request) = self.requests.pop() {
                latest = Some(request);
            }
            match latest {
                Some(request) => {
                    self.load(request.wanted);
                    self.shared.delivered.store(request.serial, Ordering::Release);
                    let _guard = self.shared.wake.lock().unwrap_or_else(PoisonError::into_inner);
                    self.shared.settled.notify_all();
                }
                // Sleep until the audio thread asks for a model or the
                // loader is stopped (both unpark it): no timed wake-ups.
                // What the audio thread retires meanwhile waits here until
                // then.
                None => std::thread::park(),
            }
        }
        self.free_retired();
    }

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
