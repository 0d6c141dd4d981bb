//! Handing a new decoder to a running engine without locks, and taking the
//! old one back to free it off the audio thread (the shape of fundsp's
//! `Slot`): one lock-free ring carries new decoders in, another carries
//! retired ones out.
//!
//! Hot swapping needs a compatible decoder: the same frame rate, model
//! sample rate and number of noise bands (the engine's framing, latency and
//! noise filters are built for those), and no more latency than the engine
//! was built with. [`DecoderSender::send`] checks this off the audio thread;
//! anything else needs a new engine.

use crate::decoder::{Decoder, DecoderInfo};

/// Decoders that can wait in either ring.
const SLOT_CAPACITY: usize = 4;

/// Why a decoder cannot be swapped into the running engine.
#[derive(Debug, Clone, PartialEq)]
pub enum SwapError {
    /// Frame rate, model rate or noise bands differ, or it needs more latency:
    /// build a new engine for it.
    Incompatible(String),
    /// Decoders are arriving faster than the engine takes them.
    Busy,
}

impl std::fmt::Display for SwapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Incompatible(reason) => write!(f, "cannot swap this model in while playing: {reason}"),
            Self::Busy => write!(f, "a model change is already waiting"),
        }
    }
}

impl std::error::Error for SwapError {}

/// What a swapped-in decoder must match.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SwapRequirements {
    /// The engine's decoder info at construction.
    pub info: DecoderInfo,
    /// Host rate, Hz.
    pub host_rate_hz: f32,
    /// Largest block, samples.
    pub max_block_samples: usize,
    /// Extra decoder latency the engine was built with, samples.
    pub extra_latency_samples: usize,
}

impl SwapRequirements {
    /// Checks `decoder` against the requirements.
    pub fn check(&self, decoder: &dyn Decoder) -> Result<(), SwapError> {
        let (have, want) = (decoder.info(), &self.info);
        let incompatible = |what: String| Err(SwapError::Incompatible(what));
        if have.frame_rate_hz != want.frame_rate_hz {
            return incompatible(format!(
                "frame rate {} Hz, the engine runs {} Hz",
                have.frame_rate_hz, want.frame_rate_hz
            ));
        }
        if have.model_rate_hz != want.model_rate_hz {
            return incompatible(format!(
                "model rate {} Hz, the engine's is {} Hz",
                have.model_rate_hz, want.model_rate_hz
            ));
        }
        if have.num_noise_bands != want.num_noise_bands {
            return incompatible(format!(
                "{} noise bands, the engine has {}",
                have.num_noise_bands, want.num_noise_bands
            ));
        }
        let latency = decoder.extra_latency_samples(self.host_rate_hz, self.max_block_samples);
        if latency > self.extra_latency_samples {
            return incompatible(format!(
                "needs {latency} samples of decoder latency, the engine has {}",
                self.extra_latency_samples
            ));
        }
        Ok(())
    }
}

/// The sending side, kept by whoever loads models (a background or GUI
/// thread).
pub struct DecoderSender {
    requirements: SwapRequirements,
    to_engine: rtrb::Producer<Box<dyn Decoder>>,
    retired: rtrb::Consumer<Box<dyn Decoder>>,
}

/// The engine's side. Real-time safe: moving boxes through rings neither
/// allocates nor frees.
pub struct DecoderSlot {
    from_sender: rtrb::Consumer<Box<dyn Decoder>>,
    retired: rtrb::Producer<Box<dyn Decoder>>,
}

/// A connected sender and slot for an engine with `requirements`.
/// Allocates the rings: call at preparation time.
pub fn decoder_slot(requirements: SwapRequirements) -> (DecoderSender, DecoderSlot) {
    let (to_engine, from_sender) = rtrb::RingBuffer::new(SLOT_CAPACITY);
    // Room for every decoder that can be in flight, so retiring never fails.
    let (retired_producer, retired_consumer) = rtrb::RingBuffer::new(2 * SLOT_CAPACITY + 1);
    (
        DecoderSender { requirements, to_engine, retired: retired_consumer },
        DecoderSlot { from_sender, retired: retired_producer },
    )
}

impl DecoderSender {
    /// Queues `decoder` (built and warmed up by the caller) for the engine,
    /// which swaps it in at its next frame. Frees retired decoders first.
    /// Returns the decoder with the reason when it cannot be swapped in.
    pub fn send(&mut self, decoder: Box<dyn Decoder>) -> Result<(), (Box<dyn Decoder>, SwapError)> {
        self.free_retired();
        if let Err(error) = self.requirements.check(decoder.as_ref()) {
            return Err((decoder, error));
        }
        self.to_engine.push(decoder).map_err(|rtrb::PushError::Full(decoder)| (decoder, SwapError::Busy))
    }

    /// Frees the decoders the engine has retired, on this thread. Returns
    /// how many.
    pub fn free_retired(&mut self) -> usize {
        let mut freed = 0;
        while let Ok(decoder) = self.retired.pop() {
            drop(decoder);
            freed += 1;
        }
        freed
    }

    /// What a decoder must match to be sent.
    pub fn requirements(&self) -> &SwapRequirements {
        &self.requirements
    }
}

impl DecoderSlot {
    /// Takes a waiting decoder, if any and if the old one can be retired.
    /// Real-time safe.
    pub(crate) fn take(&mut self) -> Option<Box<dyn Decoder>> {
        if self.retired.slots() == 0 {
            return None;
        }
        self.from_sender.pop().ok()
    }

    /// Hands `decoder` back for freeing off the audio thread. Real-time
    /// safe; the ring has room by construction (checked in `take`).
    pub(crate) fn retire(&mut self, decoder: Box<dyn Decoder>) {
        if let Err(rtrb::PushError::Full(decoder)) = self.retired.push(decoder) {
            // Unreachable: `take` checked for room. Leaking beats freeing
            // on the audio thread.
            std::mem::forget(decoder);
        }
    }
}
