//! Handing a new decoder (and the reverb that goes with it) to a running
//! engine without locks, and taking the old ones back to free them off the
//! audio thread (the shape of fundsp's `Slot`): a one-place mailbox carries
//! the newest instrument in, a lock-free ring carries retired parts out.
//!
//! Only the newest instrument matters, so sending never waits for the
//! engine: an instrument the engine has not taken yet is swapped back out
//! of the mailbox and freed by the sender.
//!
//! Hot swapping needs a compatible decoder: the same frame rate, model
//! sample rate and number of noise bands (the engine's framing, latency and
//! noise filters are built for those), and no more latency than the engine
//! was built with. [`DecoderSender::send`] checks this off the audio thread;
//! anything else needs a new engine.

use std::sync::Arc;

use crossbeam_utils::atomic::AtomicCell;

use crate::decoder::{Decoder, DecoderInfo};
use crate::reverb::Reverb;

/// Parts that can wait in the retired ring: what a few swaps retire before
/// the sender frees them (each swap retires at most three).
const RETIRED_CAPACITY: usize = 16;

/// The one-place mailbox. A pointer-sized value, so its swaps are single
/// atomic instructions (checked by a test), never a lock.
type Mailbox = AtomicCell<Option<Box<Instrument>>>;

/// Why a decoder cannot be swapped into the running engine.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SwapError {
    /// Frame rate, model rate or noise bands differ, or it needs more latency:
    /// build a new engine for it.
    #[error("cannot swap this model in while playing: {0}")]
    Incompatible(String),
}

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

/// What one swap hands the engine: a decoder, and the reverb to play it
/// in (`None` keeps the engine's reverb). The reverb must be built for
/// the engine's host rate ([`SwapRequirements::host_rate_hz`]).
pub struct Instrument {
    /// The new decoder, built and warmed up off the audio thread.
    pub decoder: Box<dyn Decoder>,
    /// Its reverb, or `None` to keep the current one.
    pub reverb: Option<Box<Reverb>>,
}

/// A part the engine no longer plays, on its way to be freed.
pub(crate) enum Retired {
    /// The box a swap arrived in, carrying the decoder it replaced.
    Instrument(#[allow(dead_code)] Box<Instrument>),
    /// A reverb replaced or faded out.
    Reverb(#[allow(dead_code)] Box<Reverb>),
}

/// The sending side, kept by whoever loads models (a background or GUI
/// thread).
pub struct DecoderSender {
    /// What a decoder must match to be sent.
    requirements: SwapRequirements,
    /// The one-place mailbox to the engine.
    mailbox: Arc<Mailbox>,
    /// Parts the engine retired, to be freed here.
    retired: rtrb::Consumer<Retired>,
}

/// The engine's side. Real-time safe: moving boxes through the mailbox and
/// the ring neither allocates nor frees.
pub struct DecoderSlot {
    /// The one-place mailbox from the sender.
    mailbox: Arc<Mailbox>,
    /// Parts retired, on their way to be freed by the sender.
    retired: rtrb::Producer<Retired>,
}

/// A connected sender and slot for an engine with `requirements`.
/// Allocates the mailbox and the ring: call at preparation time.
pub fn decoder_slot(requirements: SwapRequirements) -> (DecoderSender, DecoderSlot) {
    let mailbox = Arc::new(Mailbox::new(None));
    let (retired_producer, retired_consumer) = rtrb::RingBuffer::new(RETIRED_CAPACITY);
    (
        DecoderSender { requirements, mailbox: mailbox.clone(), retired: retired_consumer },
        DecoderSlot { mailbox, retired: retired_producer },
    )
}

impl DecoderSender {
    /// Hands `decoder` (built and warmed up by the caller) to the engine,
    /// which swaps it in at its next frame; one sent earlier and not yet
    /// taken is freed here instead. Frees retired decoders first. Never
    /// waits. Returns the decoder with the reason when it cannot be swapped
    /// in.
    pub fn send(&mut self, decoder: Box<dyn Decoder>) -> Result<(), (Box<dyn Decoder>, SwapError)> {
        self.send_instrument(Instrument { decoder, reverb: None })
            .map_err(|(instrument, error)| (instrument.decoder, error))
    }

    /// Queues a decoder together with its reverb; see [`Self::send`]. The
    /// engine fades the old reverb's tail out over the swap's crossfade.
    pub fn send_instrument(&mut self, instrument: Instrument) -> Result<(), (Instrument, SwapError)> {
        self.free_retired();
        if let Err(error) = self.requirements.check(instrument.decoder.as_ref()) {
            return Err((instrument, error));
        }
        // Not taken yet: superseded, and freed on this thread.
        drop(self.mailbox.swap(Some(Box::new(instrument))));
        Ok(())
    }

    /// Frees the decoders and reverbs the engine has retired, on this
    /// thread. Returns how many parts.
    pub fn free_retired(&mut self) -> usize {
        let mut freed = 0;
        while let Ok(part) = self.retired.pop() {
            drop(part);
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
    /// Takes a waiting instrument, if any and if the parts it replaces (its
    /// box carrying the old decoder, a reverb and a reverb still fading)
    /// can be retired. Real-time safe.
    pub(crate) fn take(&mut self) -> Option<Box<Instrument>> {
        if self.retired.slots() < 3 {
            return None;
        }
        self.mailbox.take()
    }

    /// Hands `part` back for freeing off the audio thread. Real-time safe;
    /// the ring has room by construction (checked in `take`).
    pub(crate) fn retire(&mut self, part: Retired) {
        if let Err(rtrb::PushError::Full(part)) = self.retired.push(part) {
            // Unreachable: `take` checked for room. Leaking beats freeing
            // on the audio thread.
            std::mem::forget(part);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AdditiveConfig, AdditiveDecoder};

    fn requirements() -> SwapRequirements {
        SwapRequirements {
            info: *AdditiveDecoder::boxed(AdditiveConfig::default()).info(),
            host_rate_hz: 48_000.0,
            max_block_samples: 128,
            extra_latency_samples: 0,
        }
    }

    fn instrument(num_harmonics: usize) -> Instrument {
        let decoder = AdditiveDecoder::boxed(AdditiveConfig { num_harmonics, ..AdditiveConfig::default() });
        Instrument { decoder, reverb: None }
    }

    /// The mailbox is a plain atomic: handing over never takes a lock.
    #[test]
    fn the_mailbox_is_lock_free() {
        assert!(Mailbox::is_lock_free());
    }

    /// Sending while the engine takes nothing never fails or waits: the
    /// newest instrument replaces the untaken one, which the sender frees,
    /// and the engine then takes only the newest.
    #[test]
    fn the_newest_instrument_replaces_an_untaken_one() {
        let (mut sender, mut slot) = decoder_slot(requirements());
        for num_harmonics in [10, 20, 30, 40, 50, 60] {
            assert!(sender.send_instrument(instrument(num_harmonics)).is_ok());
        }
        let taken = slot.take().expect("an instrument waits");
        assert_eq!(taken.decoder.info().num_harmonics, 60);
        assert!(slot.take().is_none(), "only the newest waits");
    }
}
