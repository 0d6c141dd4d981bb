//! "Loaded File" in the synth: the checkpoint the musician loaded, played
//! like a bundled instrument.
//!
//! The synth holds two slots for it after the bundled instruments, so a new
//! file never replaces the one sounding: the loader thread reads the file,
//! builds its voices' decoders and its reverb for the running synth
//! ([`SynthShape::prepare`]) and hands them over through a lock-free ring;
//! the audio thread swaps them into the silent slot
//! ([`PolySynth::replace_instrument`]) and from then on plays that slot for
//! "Loaded File", so the switch crossfades as any instrument switch does.
//! The parts swapped out go back to the loader to be freed. Activation reads
//! the saved file synchronously, so a reopened project plays it from its
//! first block.

use std::path::Path;
use std::sync::Arc;

use ddsp_model::checkpoint::{load_checkpoint, Checkpoint, CheckpointError};
use ddsp_model::engine::synth_instrument;
use ddsp_plugin_common::load_requests::{LoadWorker, LoaderThread, RequestPort};
use ddsp_plugin_common::status::{ModelDescription, ModelOrigin, ModelStatus};
use dsp_core::synth::{InstrumentParts, PolySynth, SynthError, SynthInstrument, SynthShape};
use nice_plug::prelude::Enum;

use crate::params::SynthParams;
use ddsp_plugin_common::instrument_choice::{InstrumentChoice, BUNDLED_COUNT};

/// Arrived parts the audio thread has not taken yet.
const ARRIVALS_CAPACITY: usize = 2;
/// Swapped-out parts on their way back: every part that can be in flight
/// (the arrivals, one pending) fits.
const RETIRED_CAPACITY: usize = ARRIVALS_CAPACITY + 2;

/// Why a model file cannot play in the synth.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The checkpoint could not be read or is not playable.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The synth cannot play it beside the bundled instruments (other
    /// frame rate, model rate or noise bands).
    #[error(transparent)]
    Synth(#[from] SynthError),
}

/// `path`'s model as a synth instrument with `num_voices` voices, and its
/// checkpoint (for the editor's description). Allocates and reads the
/// file: never on the audio thread.
pub fn file_instrument(path: &Path, num_voices: usize) -> Result<(SynthInstrument, Checkpoint), FileError> {
    let checkpoint = load_checkpoint(path)?;
    Ok((synth_instrument(&checkpoint, num_voices)?, checkpoint))
}

/// The synth's instrument index of file slot `slot` (0 or 1).
pub fn slot_index(slot: usize) -> usize {
    BUNDLED_COUNT + slot
}

/// The audio thread's side: follows the loaded file and swaps arrived
/// models in. Real-time safe, but for the offline wait in
/// [`Self::update`].
pub struct FileSlots {
    /// Requests to the loader: the file's change counter.
    requests: RequestPort<u64>,
    /// Parts from the loader, in the order they were built.
    arrivals: rtrb::Consumer<Box<InstrumentParts>>,
    /// Swapped-out parts, back to the loader to be freed.
    retired: rtrb::Producer<Box<InstrumentParts>>,
    /// Parts taken but not swapped in yet (their slot was still sounding).
    pending: Option<Box<InstrumentParts>>,
    /// The file slot (0 or 1) holding the current file.
    current: usize,
}

/// The loader thread; dropping it stops it and frees what it holds.
pub struct FileLoader {
    /// Stopped and joined on drop.
    _thread: LoaderThread,
}

/// The loader thread's state.
struct FileWorker {
    /// What the running synth's instruments must match.
    shape: SynthShape,
    /// Where the file's path is kept.
    params: Arc<SynthParams>,
    /// What the editor shows.
    status: Arc<ModelStatus>,
    /// Built parts to the audio thread.
    arrivals: rtrb::Producer<Box<InstrumentParts>>,
    /// Swapped-out parts from the audio thread.
    retired: rtrb::Consumer<Box<InstrumentParts>>,
}

impl FileSlots {
    /// Starts the loader for `synth` (built with file slot 0 holding the
    /// file whose change counter is `file_changes`). Allocates and spawns:
    /// call at activation.
    pub fn start(
        synth: &PolySynth,
        file_changes: u64,
        params: Arc<SynthParams>,
        status: Arc<ModelStatus>,
    ) -> std::io::Result<(FileLoader, Self)> {
        let (arrivals_in, arrivals) = rtrb::RingBuffer::new(ARRIVALS_CAPACITY);
        let (retired, retired_out) = rtrb::RingBuffer::new(RETIRED_CAPACITY);
        let worker = FileWorker { shape: synth.shape(), params, status, arrivals: arrivals_in, retired: retired_out };
        let (thread, requests) = LoaderThread::spawn("ddsp synth file loader", file_changes, worker)?;
        Ok((FileLoader { _thread: thread }, Self { requests, arrivals, retired, pending: None, current: 0 }))
    }

    /// The synth's instrument index for `choice`. Real-time safe.
    pub fn instrument_index(&self, choice: InstrumentChoice) -> usize {
        if choice == InstrumentChoice::LOADED_FILE {
            slot_index(self.current)
        } else {
            choice.to_index()
        }
    }

    /// Asks for the file again when it changed (`file_changes`, the
    /// persisted path's counter) and swaps an arrived model into the silent
    /// file slot, which then plays "Loaded File". Offline (a bounce), waits
    /// for the loader first, so the bounce plays the new file from the same
    /// block every time. Real-time safe when not `offline`.
    pub fn update(&mut self, synth: &mut PolySynth, file_changes: u64, offline: bool) {
        self.requests.follow(file_changes);
        if offline {
            self.requests.wait_until_settled();
        }
        if self.pending.is_none() {
            self.pending = self.arrivals.pop().ok();
        }
        let Some(mut parts) = self.pending.take() else { return };
        let spare = 1 - self.current;
        if synth.replace_instrument(slot_index(spare), &mut parts) {
            self.current = spare;
            if let Err(rtrb::PushError::Full(parts)) = self.retired.push(parts) {
                // Unreachable: the ring holds every part that can be in
                // flight. Leaking beats freeing on the audio thread.
                std::mem::forget(parts);
            }
        } else {
            self.pending = Some(parts);
        }
    }
}

impl LoadWorker<u64> for FileWorker {
    fn load(&mut self, _file_changes: u64) {
        let Some(path) = self.params.model_file.path() else { return };
        self.status.set_loading();
        let built = file_instrument(&path, self.shape.num_voices)
            .and_then(|(instrument, checkpoint)| Ok((self.shape.prepare(instrument)?, checkpoint)));
        match built {
            Ok((parts, checkpoint)) => match self.arrivals.push(Box::new(parts)) {
                Ok(()) => self.status.set_playing(ModelDescription::new(&checkpoint, ModelOrigin::File(path)), None),
                Err(_) => {
                    self.status.set_error("the audio thread is not taking models; the current one keeps playing".into())
                }
            },
            Err(error) => self
                .status
                .set_error(format!("cannot play {}: {error}; the current model keeps playing", path.display())),
        }
    }

    fn free_retired(&mut self) {
        while let Ok(parts) = self.retired.pop() {
            drop(parts);
        }
    }
}

#[cfg(test)]
mod tests {
    use ddsp_model::instruments::bundled_instrument;
    use ddsp_plugin_common::status::Notice;
    use dsp_core::synth::NoteEvent;

    use super::*;
    use crate::{build_synth, bundled_synth};

    const RATE: f32 = 48_000.0;

    /// Half a second of one note on `instrument`, from rest.
    fn note_on(synth: &mut PolySynth, instrument: usize) -> Vec<f32> {
        synth.set_instrument(instrument);
        synth.reset();
        synth.handle(NoteEvent::NoteOn { key: (0, 64), velocity: 0.7 });
        let mut out = vec![0.0f32; (0.5 * RATE) as usize];
        for block in out.chunks_mut(256) {
            synth.process(block);
        }
        out
    }

    /// A file loaded while the synth runs arrives from the loader thread,
    /// goes into the spare slot and plays its model there; a damaged file
    /// is refused with a message and what played keeps playing.
    #[test]
    fn a_file_loaded_while_playing_is_swapped_in() {
        let dir = std::env::temp_dir().join(format!("ddsp-synth-slots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let trumpet = bundled_instrument("trumpet").unwrap();
        let file = dir.join("trumpet.safetensors");
        std::fs::write(&file, trumpet.bytes).unwrap();
        let damaged = dir.join("damaged.safetensors");
        std::fs::write(&damaged, &trumpet.bytes[..trumpet.bytes.len() / 2]).unwrap();

        let params = Arc::new(SynthParams::default());
        let status = Arc::new(ModelStatus::default());
        let mut synth = build_synth(RATE, &params.model_file, &status).unwrap();
        let (loader, mut slots) =
            FileSlots::start(&synth, params.model_file.changes(), params.clone(), status.clone()).unwrap();
        assert_eq!(slots.instrument_index(InstrumentChoice::LOADED_FILE), slot_index(0));

        params.model_file.set_path(file.clone());
        slots.update(&mut synth, params.model_file.changes(), true);
        assert_eq!(slots.instrument_index(InstrumentChoice::LOADED_FILE), slot_index(1));
        let description = status.snapshot().playing.expect("the file is described");
        assert_eq!(description.origin, ModelOrigin::File(file));
        let trumpet_index = InstrumentChoice::all().position(|c| c.bundled().is_some_and(|b| b.id == "trumpet"));
        let expected = note_on(&mut bundled_synth(RATE).unwrap(), trumpet_index.unwrap());
        assert!(note_on(&mut synth, slot_index(1)) == expected, "the loaded file does not play its model");

        params.model_file.set_path(damaged);
        slots.update(&mut synth, params.model_file.changes(), true);
        assert_eq!(slots.instrument_index(InstrumentChoice::LOADED_FILE), slot_index(1));
        assert!(matches!(status.snapshot().notice, Some(Notice::Error(_))), "{:?}", status.snapshot());
        drop(slots);
        drop(loader);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
