//! The loaded checkpoint's path, saved in the host's project with the
//! parameters. The audio thread never reads the path: it watches a change
//! counter (one atomic load) and the model loader reads the path.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use nice_plug::params::persist::PersistentField;

/// The path of the checkpoint chosen as "Loaded File", persisted as a
/// string (`None` until one is loaded).
#[derive(Debug, Default)]
pub struct ModelFile {
    path: Mutex<Option<String>>,
    changes: AtomicU64,
}

impl ModelFile {
    /// The current path. Locks: never on the audio thread.
    pub fn path(&self) -> Option<PathBuf> {
        self.path.lock().unwrap_or_else(|e| e.into_inner()).clone().map(PathBuf::from)
    }

    /// Sets the path (the editor, after validating the file). Locks: never
    /// on the audio thread.
    pub fn set_path(&self, path: PathBuf) {
        PersistentField::set(self, Some(path.to_string_lossy().into_owned()));
    }

    /// How many times the path has been set: a new value means "load it
    /// again". Real-time safe (one atomic load).
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }
}

impl<'a> PersistentField<'a, Option<String>> for ModelFile {
    fn set(&self, new_value: Option<String>) {
        *self.path.lock().unwrap_or_else(|e| e.into_inner()) = new_value;
        self.changes.fetch_add(1, Ordering::AcqRel);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&Option<String>) -> R,
    {
        f(&self.path.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
