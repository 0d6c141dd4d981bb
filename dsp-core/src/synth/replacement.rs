//! Replacing one of a running synth's instruments (a model file the
//! musician loaded) without allocating or freeing on the audio thread.
//!
//! The loader copies the synth's [`SynthShape`] at activation, builds the
//! new instrument's parts with [`SynthShape::prepare`] (its decoders and its
//! reverb at the host rate: the allocations), and hands them over; the audio
//! thread swaps them in with [`PolySynth::replace_instrument`], which leaves
//! the old parts in their place to be handed back and freed where they came
//! from. A slot is only replaced while it is silent (not the instrument
//! playing, its reverb faded out), so no voice or tail is cut.

use super::{PolySynth, SynthError, SynthInstrument};
use crate::decoder::{DatasetStats, Decoder, DecoderInfo};
use crate::reverb::Reverb;

/// What a synth's instruments must match, copied off the synth at
/// activation so another thread can prepare instruments for it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SynthShape {
    /// Host rate, Hz.
    pub sample_rate_hz: f32,
    /// Voices built (one decoder each per instrument).
    pub num_voices: usize,
    /// What every decoder's frame rate, model rate and noise bands must
    /// equal (the first instrument's description).
    pub info: DecoderInfo,
}

impl SynthShape {
    /// Whether a decoder described by `other` can play in this synth: the
    /// same frame rate, model rate and noise bands (the voices' framing and
    /// noise filters are built for those).
    pub fn fits(&self, other: &DecoderInfo) -> bool {
        other.frame_rate_hz == self.info.frame_rate_hz
            && other.model_rate_hz == self.info.model_rate_hz
            && other.num_noise_bands == self.info.num_noise_bands
    }

    /// Whether `instrument` can play in a synth of this shape: a decoder
    /// for every voice, each one fitting ([`Self::fits`]).
    pub fn check(&self, instrument: &SynthInstrument) -> Result<(), SynthError> {
        if instrument.voice_decoders.len() < self.num_voices {
            return Err(SynthError::MissingDecoders(self.num_voices));
        }
        if !instrument.voice_decoders.iter().all(|decoder| self.fits(decoder.info())) {
            return Err(SynthError::Mismatched);
        }
        Ok(())
    }

    /// `instrument`'s parts, ready to swap into a synth of this shape.
    /// Allocates (the reverb): never on the audio thread.
    pub fn prepare(&self, instrument: SynthInstrument) -> Result<InstrumentParts, SynthError> {
        self.check(&instrument)?;
        let mut voice_decoders = instrument.voice_decoders;
        voice_decoders.truncate(self.num_voices);
        let dataset = voice_decoders[0].info().dataset;
        let reverb = Reverb::new(&instrument.reverb_ir, instrument.reverb_ir_rate_hz, self.sample_rate_hz);
        Ok(InstrumentParts { voice_decoders, reverb, dataset })
    }
}

/// One instrument's parts in a synth: after a swap, the parts it replaced.
/// Dropping it frees them: off the audio thread.
pub struct InstrumentParts {
    /// One decoder per voice.
    voice_decoders: Vec<Box<dyn Decoder>>,
    /// Its reverb, at the synth's host rate.
    reverb: Reverb,
    /// Its training statistics (the velocity and envelope scale).
    dataset: DatasetStats,
}

impl InstrumentParts {
    /// The training statistics of the instrument these parts play.
    pub fn dataset(&self) -> DatasetStats {
        self.dataset
    }
}

impl PolySynth {
    /// What instruments for this synth must match. Real-time safe.
    pub fn shape(&self) -> SynthShape {
        SynthShape { sample_rate_hz: self.sample_rate_hz, num_voices: self.voices.len(), info: self.info }
    }

    /// Whether instrument `index` is silent: not the one playing and its
    /// reverb tail faded out. Real-time safe.
    pub fn is_instrument_silent(&self, index: usize) -> bool {
        index < self.reverbs.len() && index != self.instrument && self.fading_weights[index] == 0.0
    }

    /// Swaps `parts` in as instrument `index` when that instrument is
    /// silent (see [`Self::is_instrument_silent`]); `parts` then holds the
    /// parts it replaced. Returns whether it swapped. Parts prepared for
    /// another shape are refused. Real-time safe: moves, no allocation.
    pub fn replace_instrument(&mut self, index: usize, parts: &mut InstrumentParts) -> bool {
        if !self.is_instrument_silent(index) || parts.voice_decoders.len() != self.voices.len() {
            return false;
        }
        for (voice, decoder) in self.voices.iter_mut().zip(&mut parts.voice_decoders) {
            voice.swap_decoder(index, decoder);
        }
        std::mem::swap(&mut self.reverbs[index], &mut parts.reverb);
        self.reverbs[index].reset();
        std::mem::swap(&mut self.datasets[index], &mut parts.dataset);
        true
    }
}
