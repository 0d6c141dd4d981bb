//! Live readings for the editor, published by the audio thread only while
//! the editor is open (a handful of relaxed atomic stores per block).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use dsp_core::Engine;
use nice_plug::prelude::AtomicF32;

/// The latest readings. Every method is real-time safe.
#[derive(Debug, Default)]
pub struct Meters {
    f0_hz: AtomicF32,
    confidence: AtomicF32,
    loudness_db: AtomicF32,
    late_frames: AtomicU64,
    latency_samples: AtomicU32,
    sample_rate_hz: AtomicF32,
}

/// One reading of [`Meters`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MeterReading {
    /// Tracked input pitch, Hz (before any shift).
    pub f0_hz: f32,
    /// Pitch confidence, 0–1.
    pub confidence: f32,
    /// Input loudness, dB.
    pub loudness_db: f32,
    /// Frames whose model output came late since activation (held, not
    /// silent).
    pub late_frames: u64,
    /// Latency reported to the host, samples.
    pub latency_samples: u32,
    /// Host sample rate, Hz.
    pub sample_rate_hz: f32,
}

impl MeterReading {
    /// Latency in milliseconds.
    pub fn latency_ms(&self) -> f32 {
        if self.sample_rate_hz > 0.0 {
            1e3 * self.latency_samples as f32 / self.sample_rate_hz
        } else {
            0.0
        }
    }
}

impl Meters {
    /// Publishes `engine`'s latest analysis and counters, with
    /// `late_frames` counted since activation.
    pub fn publish(&self, engine: &Engine, late_frames: u64) {
        let features = engine.last_features();
        self.f0_hz.store(features.f0_hz, Ordering::Relaxed);
        self.confidence.store(features.confidence, Ordering::Relaxed);
        self.loudness_db.store(features.loudness_db, Ordering::Relaxed);
        self.late_frames.store(late_frames, Ordering::Relaxed);
        self.publish_latency(engine);
    }

    /// Publishes the latency and rate of `engine` (also done at
    /// activation, editor open or not).
    pub fn publish_latency(&self, engine: &Engine) {
        self.latency_samples.store(engine.latency_samples() as u32, Ordering::Relaxed);
        self.sample_rate_hz.store(engine.sample_rate_hz(), Ordering::Relaxed);
    }

    /// The latest readings.
    pub fn read(&self) -> MeterReading {
        MeterReading {
            f0_hz: self.f0_hz.load(Ordering::Relaxed),
            confidence: self.confidence.load(Ordering::Relaxed),
            loudness_db: self.loudness_db.load(Ordering::Relaxed),
            late_frames: self.late_frames.load(Ordering::Relaxed),
            latency_samples: self.latency_samples.load(Ordering::Relaxed),
            sample_rate_hz: self.sample_rate_hz.load(Ordering::Relaxed),
        }
    }
}
