//! What the editor shows about the model: the one playing, its metadata,
//! and the last message for the musician (an error or a warning). Written
//! by activation and the model loader, read by the editor; the audio
//! thread never touches it.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use ddsp_model::checkpoint::{Checkpoint, DatasetStatistics};

/// Where a model came from.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelOrigin {
    /// Built into the plugin (its instrument id).
    Bundled(&'static str),
    /// A checkpoint file.
    File(PathBuf),
}

/// A model's metadata, as the editor shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelDescription {
    /// Instrument name from the checkpoint.
    pub name: String,
    /// Where it came from.
    pub origin: ModelOrigin,
    /// Who trained it.
    pub author: String,
    /// When (ISO 8601).
    pub created: String,
    /// How it was trained.
    pub training_note: String,
    /// The training audio's pitch (MIDI) and loudness (dB) distribution.
    pub dataset: DatasetStatistics,
    /// Recurrent layer width (128 small, 512 default size).
    pub gru_units: usize,
    /// Harmonics the model controls.
    pub num_harmonics: usize,
    /// Frames per second, Hz.
    pub frame_rate_hz: f32,
}

impl ModelDescription {
    /// Describes `checkpoint`, loaded from `origin`.
    pub fn new(checkpoint: &Checkpoint, origin: ModelOrigin) -> Self {
        let info = &checkpoint.info;
        Self {
            name: info.name.clone(),
            origin,
            author: info.author.clone(),
            created: info.created.clone(),
            training_note: info.training_note.clone(),
            dataset: info.dataset,
            gru_units: info.config.gru_units,
            num_harmonics: info.config.num_harmonics,
            frame_rate_hz: info.config.frame_rate_hz,
        }
    }
}

/// A message for the musician.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// Something failed; the sound did not change.
    Error(String),
    /// Something is not as saved (a fallback is playing).
    Warning(String),
}

/// The model state the editor reads.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatusSnapshot {
    /// The model playing (or about to, once its crossfade starts).
    pub playing: Option<ModelDescription>,
    /// The latest message, if any.
    pub notice: Option<Notice>,
    /// A model is being loaded.
    pub loading: bool,
}

/// Shared [`StatusSnapshot`]. Locks: never on the audio thread.
#[derive(Debug, Default)]
pub struct ModelStatus {
    inner: Mutex<StatusSnapshot>,
}

impl ModelStatus {
    /// A copy of the current status.
    pub fn snapshot(&self) -> StatusSnapshot {
        self.lock().clone()
    }

    /// Forgets the model and the message (nothing loaded).
    pub fn clear(&self) {
        *self.lock() = StatusSnapshot::default();
    }

    /// Marks a load as started.
    pub fn set_loading(&self) {
        self.lock().loading = true;
    }

    /// A model now plays; `notice` says why it is not the one asked for,
    /// if it is not.
    pub fn set_playing(&self, description: ModelDescription, notice: Option<Notice>) {
        *self.lock() = StatusSnapshot { playing: Some(description), notice, loading: false };
    }

    /// A load failed; what played keeps playing.
    pub fn set_error(&self, message: String) {
        let mut status = self.lock();
        status.notice = Some(Notice::Error(message));
        status.loading = false;
    }

    fn lock(&self) -> MutexGuard<'_, StatusSnapshot> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}
