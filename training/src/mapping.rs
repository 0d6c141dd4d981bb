//! The control mapping as candle tensor maths, mirroring `dsp_core::mapping`
//! (same constants, same order of operations) so training and the real-time
//! engine agree. Allocates tensors: never call on the audio thread.

use candle_core::{DType, Result, Tensor};
use dsp_core::mapping::{
    EXP_SIGMOID_EXPONENT, EXP_SIGMOID_MAX, EXP_SIGMOID_THRESHOLD, NOISE_INITIAL_BIAS, NORMALIZE_EPSILON,
};

/// `EXP_SIGMOID_MAX · sigmoid(x)^ln(EXP_SIGMOID_EXPONENT) + EXP_SIGMOID_THRESHOLD`,
/// element-wise (DDSP's `exp_sigmoid`).
pub fn exp_sigmoid(x: &Tensor) -> Result<Tensor> {
    candle_nn::ops::sigmoid(x)?
        .powf(f64::from(EXP_SIGMOID_EXPONENT).ln())?
        .affine(f64::from(EXP_SIGMOID_MAX), f64::from(EXP_SIGMOID_THRESHOLD))
}

/// Overall harmonic amplitude from raw outputs of any shape.
pub fn harmonic_amplitude(raw: &Tensor) -> Result<Tensor> {
    exp_sigmoid(raw)
}

/// Noise band magnitudes from raw outputs of any shape.
pub fn noise_magnitudes(raw: &Tensor) -> Result<Tensor> {
    exp_sigmoid(&raw.affine(1.0, f64::from(NOISE_INITIAL_BIAS))?)
}

/// Harmonic distribution from raw outputs `[..., num_harmonics]` at pitches
/// `f0_hz` `[..., 1]`: exp-sigmoid, zero for every harmonic at or above
/// `nyquist_hz`, normalised to sum 1 over the last dimension.
pub fn harmonic_distribution(raw: &Tensor, f0_hz: &Tensor, nyquist_hz: f32) -> Result<Tensor> {
    let num_harmonics = raw.dim(candle_core::D::Minus1)?;
    let harmonic_numbers = Tensor::arange(1u32, num_harmonics as u32 + 1, raw.device())?.to_dtype(DType::F32)?;
    let frequencies = f0_hz.broadcast_mul(&harmonic_numbers)?;
    let below_nyquist = frequencies.lt(f64::from(nyquist_hz))?.to_dtype(DType::F32)?;
    let distribution = (exp_sigmoid(raw)? * below_nyquist)?;
    let sum = distribution.sum_keepdim(candle_core::D::Minus1)?.maximum(f64::from(NORMALIZE_EPSILON))?;
    distribution.broadcast_div(&sum)
}

#[cfg(test)]
mod tests {
    use candle_core::Device;
    use dsp_core::mapping as reference;

    use super::*;

    /// Deterministic raw values covering the sigmoid's useful range.
    fn raw_values(len: usize, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                ((state >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 16.0
            })
            .collect()
    }

    /// Relative tolerance: candle's sigmoid and powf are computed in a
    /// different order than std's, a few float32 ulps apart.
    fn assert_close(a: f32, b: f32, what: &str) {
        assert!((a - b).abs() <= 1e-5 * b.abs().max(1e-6), "{what}: {a} vs {b}");
    }

    #[test]
    fn scalar_heads_match_dsp_core() -> Result<()> {
        let values = raw_values(4096, 1);
        let tensor = Tensor::from_slice(&values, values.len(), &Device::Cpu)?;
        let amplitudes = harmonic_amplitude(&tensor)?.to_vec1::<f32>()?;
        let noise = noise_magnitudes(&tensor)?.to_vec1::<f32>()?;
        for ((&raw, &amplitude), &magnitude) in values.iter().zip(&amplitudes).zip(&noise) {
            assert_close(amplitude, reference::harmonic_amplitude(raw), "amplitude");
            assert_close(magnitude, reference::noise_magnitude(raw), "noise");
        }
        Ok(())
    }

    #[test]
    fn harmonic_distribution_matches_dsp_core() -> Result<()> {
        let num_frames = 64;
        let num_harmonics = 150;
        let raw = raw_values(num_frames * num_harmonics, 2);
        // Pitches from 30 Hz to 4 kHz, so the Nyquist mask cuts anywhere.
        let f0: Vec<f32> = (0..num_frames).map(|i| 30.0 * 1.08f32.powi(i as i32)).collect();
        let nyquist_hz = 8_000.0;
        let distribution = harmonic_distribution(
            &Tensor::from_slice(&raw, (num_frames, num_harmonics), &Device::Cpu)?,
            &Tensor::from_slice(&f0, (num_frames, 1), &Device::Cpu)?,
            nyquist_hz,
        )?
        .to_vec2::<f32>()?;
        let mut expected = vec![0.0f32; num_harmonics];
        for (frame, row) in distribution.iter().enumerate() {
            let raw_row = &raw[frame * num_harmonics..(frame + 1) * num_harmonics];
            reference::harmonic_distribution(raw_row, f0[frame], nyquist_hz, &mut expected);
            for (k, (&ours, &theirs)) in row.iter().zip(&expected).enumerate() {
                assert!((ours - theirs).abs() <= 1e-6, "frame {frame}, harmonic {k}: {ours} vs {theirs}");
            }
        }
        Ok(())
    }
}
