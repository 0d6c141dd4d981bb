//! The audio thread asking a loader thread for a model, without waiting.
//!
//! The audio thread says what it wants (a small `Copy` value: an
//! instrument choice, a loaded file's change counter) through
//! [`RequestPort::follow`]: when it differs from the last request, it goes
//! into a lock-free ring and the loader is unparked. The loader thread
//! ([`LoaderThread::spawn`]) sleeps until then (no timed wake-ups), handles
//! only the newest request, and marks it settled. Offline processing (a
//! bounce) may wait for that with [`RequestPort::wait_until_settled`], so
//! a bounce switches models at the same sample every time; real-time
//! processing never waits.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Requests that fit in the ring before the audio thread retries.
const REQUEST_CAPACITY: usize = 16;
/// How long an offline render waits for a model before going on without.
const OFFLINE_LOAD_TIMEOUT: Duration = Duration::from_secs(30);

/// What a loader thread does.
pub trait LoadWorker<W>: Send + 'static {
    /// Handles `wanted` (the newest request): reads, builds and hands over.
    fn load(&mut self, wanted: W);
    /// Frees what the audio thread handed back. Called before each request
    /// and when the thread ends.
    fn free_retired(&mut self);
}

/// One request in the ring.
#[derive(Clone, Copy, Debug)]
struct Request<W> {
    /// Counts requests from 1; the loader marks the newest it handled.
    serial: u64,
    /// What the audio thread wants.
    wanted: W,
}

/// State shared by the port and the loader thread.
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

/// The audio thread's side. [`Self::follow`] and [`Self::is_settled`] are
/// real-time safe.
pub struct RequestPort<W> {
    /// Requests to the loader.
    requests: rtrb::Producer<Request<W>>,
    /// Shared with the loader.
    shared: Arc<Shared>,
    /// The loader, to unpark.
    loader_thread: std::thread::Thread,
    /// The last request sent.
    wanted: W,
    /// Its serial number.
    serial: u64,
}

impl<W: Copy + PartialEq> RequestPort<W> {
    /// Asks for `wanted` if it differs from the last request. Returns true
    /// when a request went out (or is still to go: a full ring retries on
    /// the next call). Real-time safe; unparking the loader is one futex
    /// call, made only when what is wanted changes.
    pub fn follow(&mut self, wanted: W) -> bool {
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

    /// True once every request has been handled. Real-time safe.
    pub fn is_settled(&self) -> bool {
        self.shared.delivered.load(Ordering::Acquire) >= self.serial
    }

    /// Offline processing only: waits until every request has been handled
    /// (at most `OFFLINE_LOAD_TIMEOUT`, should the loader be gone). Blocks:
    /// never in real-time mode.
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
}

/// The loader thread. Dropping it stops and joins the thread (which frees
/// whatever it still holds): on the main thread, at deactivation.
pub struct LoaderThread {
    /// Shared with the port; carries the stop flag.
    shared: Arc<Shared>,
    /// The thread, joined on drop.
    thread: Option<JoinHandle<()>>,
}

impl LoaderThread {
    /// Starts `worker` on a thread named `name`, with `initial` counted as
    /// already handled (what activation built). Allocates and spawns: call
    /// at activation.
    pub fn spawn<W, L>(name: &str, initial: W, mut worker: L) -> std::io::Result<(Self, RequestPort<W>)>
    where
        W: Copy + Send + 'static,
        L: LoadWorker<W>,
    {
        let (producer, mut consumer) = rtrb::RingBuffer::<Request<W>>::new(REQUEST_CAPACITY);
        let shared = Arc::new(Shared {
            delivered: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            wake: Mutex::new(()),
            settled: Condvar::new(),
        });
        let loader_shared = shared.clone();
        let thread = std::thread::Builder::new().name(name.into()).spawn(move || {
            let shared = loader_shared;
            while !shared.stop.load(Ordering::Acquire) {
                worker.free_retired();
                // Only the newest request matters: earlier ones are superseded.
                let mut latest = None;
                while let Ok(request) = consumer.pop() {
                    latest = Some(request);
                }
                match latest {
                    Some(request) => {
                        worker.load(request.wanted);
                        shared.delivered.store(request.serial, Ordering::Release);
                        let _guard = shared.wake.lock().unwrap_or_else(PoisonError::into_inner);
                        shared.settled.notify_all();
                    }
                    // Sleeps until the audio thread asks for something or
                    // the loader is stopped (both unpark it): no timed
                    // wake-ups. What the audio thread hands back meanwhile
                    // waits here until then.
                    None => std::thread::park(),
                }
            }
            worker.free_retired();
        })?;
        let port = RequestPort {
            requests: producer,
            shared: shared.clone(),
            loader_thread: thread.thread().clone(),
            wanted: initial,
            serial: 0,
        };
        Ok((Self { shared, thread: Some(thread) }, port))
    }
}

impl Drop for LoaderThread {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    struct Recorder {
        loaded: mpsc::Sender<u32>,
    }

    impl LoadWorker<u32> for Recorder {
        fn load(&mut self, wanted: u32) {
            let _ = self.loaded.send(wanted);
        }

        fn free_retired(&mut self) {}
    }

    /// A changed wish reaches the loader once; an unchanged one sends
    /// nothing; the port reports when the loader has handled it.
    #[test]
    fn requests_reach_the_loader_and_settle() {
        let (sender, loaded) = mpsc::channel();
        let (loader, mut port) = LoaderThread::spawn("test loader", 0u32, Recorder { loaded: sender }).unwrap();
        assert!(!port.follow(0), "the initial wish is already handled");
        assert!(port.is_settled());
        assert!(port.follow(7));
        port.wait_until_settled();
        assert!(port.is_settled());
        assert_eq!(loaded.recv_timeout(Duration::from_secs(10)), Ok(7));
        assert!(!port.follow(7));
        drop(loader);
        assert!(loaded.try_recv().is_err(), "nothing else was loaded");
    }
}
