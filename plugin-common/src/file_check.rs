//! Checking a model file the musician picked, off the GUI thread: reading
//! and validating a checkpoint takes up to a few hundred milliseconds for
//! the largest file allowed, which would freeze the editor (and, in some
//! hosts, the host's own windows) if done while drawing.

use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, TryRecvError};

use ddsp_model::checkpoint::load_checkpoint;

/// A file being checked on a thread of its own. Dropping it abandons the
/// result (the thread finishes and exits on its own).
pub struct FileCheck {
    /// The file being checked.
    path: PathBuf,
    /// The thread's verdict, once it has one.
    verdict: Receiver<Result<(), String>>,
}

/// What [`FileCheck::poll`] found.
#[derive(Debug, PartialEq)]
pub enum CheckOutcome {
    /// Still reading or validating.
    Pending,
    /// The file holds a model this plugin plays.
    Valid(PathBuf),
    /// Why it does not.
    Invalid(String),
}

impl FileCheck {
    /// Starts checking `path` on a new thread. Allocates and spawns: call
    /// from the GUI, never the audio thread.
    pub fn start(path: PathBuf) -> Self {
        let (sender, verdict) = channel();
        let checked = path.clone();
        // Should the thread not start, its sender is dropped with the
        // closure and `poll` reports the check as failed.
        let _ = std::thread::Builder::new().name("ddsp model file check".into()).spawn(move || {
            let _ = sender.send(load_checkpoint(&checked).map(|_| ()).map_err(|error| error.to_string()));
        });
        Self { path, verdict }
    }

    /// The file being checked.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// The verdict if it has arrived. Never blocks.
    pub fn poll(&self) -> CheckOutcome {
        match self.verdict.try_recv() {
            Ok(Ok(())) => CheckOutcome::Valid(self.path.clone()),
            Ok(Err(reason)) => CheckOutcome::Invalid(reason),
            Err(TryRecvError::Empty) => CheckOutcome::Pending,
            Err(TryRecvError::Disconnected) => CheckOutcome::Invalid("the file could not be checked".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use ddsp_model::checkpoint::{save_checkpoint, Checkpoint, CheckpointInfo};
    use ddsp_model::config::DecoderConfig;

    use super::*;

    /// Polls until the verdict arrives (a generous bound: a stuck check
    /// fails the test instead of hanging it).
    fn verdict(check: &FileCheck) -> CheckOutcome {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match check.poll() {
                CheckOutcome::Pending if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
                outcome => return outcome,
            }
        }
    }

    #[test]
    fn valid_and_invalid_files_get_their_verdicts() {
        let dir = std::env::temp_dir().join(format!("ddsp-file-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let model = dir.join("model.safetensors");
        let checkpoint = Checkpoint::initialised(CheckpointInfo::untrained(DecoderConfig::small_size()), 1).unwrap();
        save_checkpoint(&model, &checkpoint).unwrap();
        let garbage = dir.join("garbage.safetensors");
        std::fs::write(&garbage, b"not a checkpoint").unwrap();

        assert_eq!(verdict(&FileCheck::start(model.clone())), CheckOutcome::Valid(model));
        let CheckOutcome::Invalid(reason) = verdict(&FileCheck::start(garbage)) else { panic!("garbage accepted") };
        assert!(reason.contains("safetensors"), "{reason}");
        let CheckOutcome::Invalid(reason) = verdict(&FileCheck::start(dir.join("missing.safetensors"))) else {
            panic!("a missing file accepted")
        };
        assert!(reason.contains("does not exist"), "{reason}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
