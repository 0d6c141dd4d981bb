//! The frame-level loss: the decoder's synth controls against the
//! [`FrameTargets`](crate::targets::FrameTargets) measured from the
//! audio. L1 between natural logs (floored at
//! [`LOG_FLOOR`](crate::metrics::LOG_FLOOR)) of every harmonic amplitude
//! below the Nyquist frequency and of every noise band magnitude: the same
//! log-magnitude comparison as the spectral loss's log term, sampled where
//! the synth puts its energy, without synthesising any audio.

use candle_core::{Result, Tensor};

use crate::mapping;
use crate::metrics::LOG_FLOOR;
use ddsp_model::network::RawOutputs;

/// A batch of frame targets as tensors.
pub struct FrameBatchTargets {
    /// Pitch per frame, `[batch, frames, 1]`, Hz.
    pub f0_hz: Tensor,
    /// Harmonic amplitudes `[batch, frames, harmonics]`.
    pub harmonics: Tensor,
    /// 1 for harmonics below the Nyquist frequency, else 0, same shape.
    pub harmonic_mask: Tensor,
    /// Noise magnitudes `[batch, frames, bands]`.
    pub noise: Tensor,
}

/// Synth controls from raw outputs: harmonic amplitudes `[b, f, h]` (overall
/// amplitude times distribution) and noise magnitudes `[b, f, bands]`.
pub fn synth_controls(raw: &RawOutputs, f0_hz: &Tensor, nyquist_hz: f32) -> Result<(Tensor, Tensor)> {
    let amplitude = mapping::harmonic_amplitude(&raw.amplitude)?;
    let distribution = mapping::harmonic_distribution(&raw.harmonics, f0_hz, nyquist_hz)?;
    Ok((distribution.broadcast_mul(&amplitude)?, mapping::noise_magnitudes(&raw.noise)?))
}

fn safe_log(x: &Tensor) -> Result<Tensor> {
    x.maximum(LOG_FLOOR)?.log()
}

/// The loss for `raw` against `targets` (harmonic term plus noise term).
pub fn frame_loss(raw: &RawOutputs, targets: &FrameBatchTargets, nyquist_hz: f32) -> Result<Tensor> {
    let (harmonics, noise) = synth_controls(raw, &targets.f0_hz, nyquist_hz)?;
    let harmonic_error = ((safe_log(&harmonics)? - safe_log(&targets.harmonics)?)?.abs()? * &targets.harmonic_mask)?;
    let harmonic_term = (harmonic_error.sum_all()? / targets.harmonic_mask.sum_all()?.maximum(1.0)?)?;
    let noise_term = (safe_log(&noise)? - safe_log(&targets.noise)?)?.abs()?.mean_all()?;
    harmonic_term + noise_term
}
