//! Differentiable harmonic synthesis in candle, for training: the signal
//! `dsp_core::harmonic::HarmonicBank` plays, written as tensor maths so the
//! spectral loss's gradient reaches the decoder through the amplitudes.
//!
//! The same conventions as the real-time bank, sample for sample: frame `k`'s
//! segment glides linearly from frame `k − 1` (the first frame starts at its
//! own pitch and from silence) and reaches frame `k` on its last sample;
//! sample `n` plays at the cumulative phase `Σ_{m ≤ n} f0(m) / rate`; a
//! harmonic is silent on every sample where it would reach the Nyquist
//! frequency. Pitch is an input, never learned, so the phase and the
//! harmonic sines are computed outside autograd, in f64 as the bank does;
//! only the amplitudes carry gradients.

use candle_core::{DType, Device, Result, Tensor, D};

/// Renders harmonic banks: `amplitudes` `[batch, frames, harmonics]`
/// (linear amplitude of harmonic `h + 1` at index `h`, differentiable),
/// `f0_hz[batch][frame]` per-frame pitch, `hop_samples` samples per frame at
/// `sample_rate_hz`. Returns `[batch, frames · hop_samples]`.
pub fn harmonic_synth(
    f0_hz: &[Vec<f32>],
    amplitudes: &Tensor,
    hop_samples: usize,
    sample_rate_hz: f32,
) -> Result<Tensor> {
    let (batch, num_frames, num_harmonics) = amplitudes.dims3()?;
    let num_samples = num_frames * hop_samples;
    let device = amplitudes.device();
    let sines = harmonic_sine_table(f0_hz, num_frames, num_harmonics, hop_samples, sample_rate_hz, device)?;

    // Amplitudes glide from the previous frame's (silence before the first).
    let previous = Tensor::cat(
        &[&Tensor::zeros((batch, 1, num_harmonics), DType::F32, device)?, &amplitudes.narrow(1, 0, num_frames - 1)?],
        1,
    )?;
    let per_sample = |frames: &Tensor| -> Result<Tensor> {
        frames.unsqueeze(2)?.broadcast_as((batch, num_frames, hop_samples, num_harmonics))?.contiguous()?.reshape((
            batch,
            num_samples,
            num_harmonics,
        ))
    };
    let ramp: Vec<f32> = (0..num_samples).map(|n| ((n % hop_samples) + 1) as f32 / hop_samples as f32).collect();
    let ramp = Tensor::from_vec(ramp, (1, num_samples, 1), device)?;
    let (from, to) = (per_sample(&previous)?, per_sample(amplitudes)?);
    let gliding = (&from + (to - &from)?.broadcast_mul(&ramp)?)?;
    (gliding * sines)?.sum(D::Minus1)
}

/// `gate · sin(2π (h + 1) φ(n))` for every sample and harmonic:
/// `[batch, samples, harmonics]`, with the bank's per-sample pitch glide,
/// cumulative phase and Nyquist gate.
fn harmonic_sine_table(
    f0_hz: &[Vec<f32>],
    num_frames: usize,
    num_harmonics: usize,
    hop_samples: usize,
    sample_rate_hz: f32,
    device: &Device,
) -> Result<Tensor> {
    let rate = sample_rate_hz as f64;
    let nyquist = rate / 2.0;
    let num_samples = num_frames * hop_samples;
    let mut table = vec![0.0f32; f0_hz.len() * num_samples * num_harmonics];
    for (sequence, rows) in f0_hz.iter().zip(table.chunks_mut(num_samples * num_harmonics)) {
        if sequence.len() < num_frames {
            candle_core::bail!("{} pitch values for {num_frames} frames", sequence.len());
        }
        let mut phase = 0.0f64;
        for frame in 0..num_frames {
            let target = sequence[frame] as f64;
            let start = if frame == 0 { target } else { sequence[frame - 1] as f64 };
            for step in 1..=hop_samples {
                let f0 = start + (target - start) * step as f64 / hop_samples as f64;
                phase += f0 / rate;
                phase -= phase.floor();
                let row = &mut rows[(frame * hop_samples + step - 1) * num_harmonics..][..num_harmonics];
                for (h, value) in row.iter_mut().enumerate() {
                    let harmonic = (h + 1) as f64;
                    *value = if f0 > 0.0 && harmonic * f0 < nyquist {
                        (2.0 * std::f64::consts::PI * harmonic * phase).sin() as f32
                    } else {
                        0.0
                    };
                }
            }
        }
    }
    Tensor::from_vec(table, (f0_hz.len(), num_samples, num_harmonics), device)
}

#[cfg(test)]
mod tests {
    use candle_core::Var;
    use dsp_core::harmonic::HarmonicBank;

    use super::*;

    /// Pitches that glide across the Nyquist frequency of a 16 kHz model for
    /// some harmonics, and amplitudes that rise and fall.
    fn controls(num_frames: usize, num_harmonics: usize) -> (Vec<f32>, Vec<f32>) {
        let f0: Vec<f32> =
            (0..num_frames).map(|k| 180.0 * (1.0 + 0.15 * k as f32) * if k % 7 == 3 { 1.5 } else { 1.0 }).collect();
        let amplitudes = (0..num_frames * num_harmonics)
            .map(|i| {
                let (k, h) = (i / num_harmonics, i % num_harmonics);
                0.3 / (h + 1) as f32 * (1.0 + 0.5 * ((k * 3 + h) as f32 * 0.7).sin())
            })
            .collect();
        (f0, amplitudes)
    }

    /// Sample for sample the real-time harmonic bank's output.
    #[test]
    fn matches_the_real_time_bank() -> Result<()> {
        let (sample_rate, hop, num_frames, num_harmonics) = (16_000.0f32, 64, 30, 40);
        let (f0, amplitudes) = controls(num_frames, num_harmonics);
        let tensor = Tensor::from_vec(amplitudes.clone(), (1, num_frames, num_harmonics), &Device::Cpu)?;
        let ours =
            harmonic_synth(std::slice::from_ref(&f0), &tensor, hop, sample_rate)?.flatten_all()?.to_vec1::<f32>()?;

        let mut bank = HarmonicBank::new(sample_rate);
        let mut reference = vec![0.0f32; num_frames * hop];
        for (frame, segment) in reference.chunks_mut(hop).enumerate() {
            bank.render(f0[frame], &amplitudes[frame * num_harmonics..(frame + 1) * num_harmonics], segment);
        }
        let max_difference = ours.iter().zip(&reference).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        // f32 tensor sums vs the bank's f64 recurrence: rounding only.
        assert!(max_difference < 1e-5, "max difference {max_difference}");
        assert!(reference.iter().any(|x| x.abs() > 0.1));
        Ok(())
    }

    /// The gradient of a loss on the signal reaches every amplitude that
    /// sounds, finite.
    #[test]
    fn gradients_reach_the_amplitudes() -> Result<()> {
        let (num_frames, num_harmonics) = (8, 10);
        let (f0, amplitudes) = controls(num_frames, num_harmonics);
        let var = Var::from_vec(amplitudes, (1, num_frames, num_harmonics), &Device::Cpu)?;
        let signal = harmonic_synth(&[f0], var.as_tensor(), 32, 16_000.0)?;
        let loss = signal.sqr()?.sum_all()?;
        let gradients = loss.backward()?;
        let gradient = gradients.get(&var).expect("a gradient").flatten_all()?.to_vec1::<f32>()?;
        assert!(gradient.iter().all(|g| g.is_finite()));
        assert!(gradient.iter().filter(|g| g.abs() > 0.0).count() > gradient.len() * 9 / 10);
        Ok(())
    }
}
