//! The control mapping between the decoder's raw outputs and the synth's
//! physical controls, after DDSP (`ddsp/core.py: exp_sigmoid`,
//! `ddsp/synths.py: Harmonic.get_controls, FilteredNoise.get_controls`).
//!
//! These are pure functions, written once: the model crate mirrors them as
//! tensor maths for training and checks parity against them. All real-time
//! safe.

use crate::wire::{DecoderOutput, SynthParams};

/// Exponent of the exp-sigmoid (its output rises as `sigmoid^ln(EXPONENT)`).
pub const EXP_SIGMOID_EXPONENT: f32 = 10.0;
/// Largest value the exp-sigmoid approaches.
pub const EXP_SIGMOID_MAX: f32 = 2.0;
/// Floor added to every exp-sigmoid output, so amplitudes are never zero.
pub const EXP_SIGMOID_THRESHOLD: f32 = 1e-7;
/// Bias added to the raw noise magnitudes before the exp-sigmoid, so that an
/// untrained decoder starts quiet (DDSP's `FilteredNoise(initial_bias=-5)`).
pub const NOISE_INITIAL_BIAS: f32 = -5.0;
/// Smallest sum the harmonic distribution is divided by.
pub const NORMALIZE_EPSILON: f32 = 1e-7;
/// A raw value that every head maps to (almost exactly) its floor.
pub const SILENT_RAW: f32 = -20.0;

/// `EXP_SIGMOID_MAX · sigmoid(x)^ln(EXP_SIGMOID_EXPONENT) + EXP_SIGMOID_THRESHOLD`.
pub fn exp_sigmoid(x: f32) -> f32 {
    let sigmoid = 1.0 / (1.0 + (-x).exp());
    EXP_SIGMOID_MAX * sigmoid.powf(EXP_SIGMOID_EXPONENT.ln()) + EXP_SIGMOID_THRESHOLD
}

/// The raw value whose [`exp_sigmoid`] is `y`; `y` is clamped into the
/// function's open range first. Used by hand-made decoders.
pub fn exp_sigmoid_inverse(y: f32) -> f32 {
    let scaled = ((y - EXP_SIGMOID_THRESHOLD) / EXP_SIGMOID_MAX).clamp(1e-30, 1.0 - 1e-7);
    let sigmoid = scaled.powf(1.0 / EXP_SIGMOID_EXPONENT.ln());
    (sigmoid / (1.0 - sigmoid)).ln()
}

/// Overall harmonic amplitude from its raw output.
pub fn harmonic_amplitude(raw: f32) -> f32 {
    exp_sigmoid(raw)
}

/// Noise band magnitude from its raw output.
pub fn noise_magnitude(raw: f32) -> f32 {
    exp_sigmoid(raw + NOISE_INITIAL_BIAS)
}

/// Harmonic distribution: exp-sigmoid of each raw value, zero for every
/// harmonic at or above `nyquist_hz` at `f0_hz`, then normalised to sum 1.
/// Writes `raw.len()` values into `out`.
pub fn harmonic_distribution(raw: &[f32], f0_hz: f32, nyquist_hz: f32, out: &mut [f32]) {
    let out = &mut out[..raw.len()];
    let mut sum = 0.0;
    for (k, (value, &raw_value)) in out.iter_mut().zip(raw).enumerate() {
        let harmonic_hz = f0_hz * (k + 1) as f32;
        *value = if harmonic_hz < nyquist_hz { exp_sigmoid(raw_value) } else { 0.0 };
        sum += *value;
    }
    let scale = 1.0 / sum.max(NORMALIZE_EPSILON);
    for value in out.iter_mut() {
        *value *= scale;
    }
}

/// Maps a whole decoder output to synth controls at `f0_hz`, masking
/// harmonics at `nyquist_hz` (the lower of the model's and the host's).
pub fn map_decoder_output(raw: &DecoderOutput, f0_hz: f32, nyquist_hz: f32, params: &mut SynthParams) {
    params.f0_hz = f0_hz;
    params.amplitude = harmonic_amplitude(raw.amplitude_raw);
    params.num_harmonics = raw.num_harmonics;
    params.num_noise_bands = raw.num_noise_bands;
    harmonic_distribution(
        &raw.harmonics_raw[..raw.num_harmonics],
        f0_hz,
        nyquist_hz,
        &mut params.harmonic_distribution,
    );
    for (magnitude, &raw_value) in params.noise_magnitudes.iter_mut().zip(&raw.noise_raw[..raw.num_noise_bands]) {
        *magnitude = noise_magnitude(raw_value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_sigmoid_matches_ddsp_definition() {
        // Reference: ddsp.core.exp_sigmoid(0.0) = 2 * 0.5 ** ln(10) + 1e-7.
        let expected = 2.0 * 0.5f32.powf(10f32.ln()) + 1e-7;
        assert!((exp_sigmoid(0.0) - expected).abs() < 1e-7);
        assert!((exp_sigmoid(50.0) - (2.0 + 1e-7)).abs() < 1e-6);
        assert!((exp_sigmoid(-50.0) - 1e-7).abs() < 1e-9);
    }

    #[test]
    fn inverse_round_trips() {
        for &y in &[1e-4f32, 0.01, 0.3, 1.0, 1.9] {
            let back = exp_sigmoid(exp_sigmoid_inverse(y));
            assert!((back - y).abs() / y < 1e-3, "{y} -> {back}");
        }
    }

    #[test]
    fn distribution_masks_at_nyquist_and_sums_to_one() {
        let raw = [0.0f32; 10];
        let mut out = [0.0f32; 10];
        // 1 kHz at a 4 kHz Nyquist: harmonics 1..=3 pass, 4 (exactly 4 kHz) does not.
        harmonic_distribution(&raw, 1000.0, 4000.0, &mut out);
        assert!(out[..3].iter().all(|&v| (v - 1.0 / 3.0).abs() < 1e-6));
        assert!(out[3..].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn silent_raw_is_silent() {
        assert!(harmonic_amplitude(SILENT_RAW) < 2e-7);
        assert!(noise_magnitude(SILENT_RAW) < 2e-7);
    }
}
