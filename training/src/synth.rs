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
//!
//! [`harmonic_synth`] is one candle operation, forward and backward: the
//! sines come from the bank's own Chebyshev recurrence sample by sample and
//! are never stored. [`harmonic_synth_graph`], the same maths as tensor
//! operations over a `[batch, samples, harmonics]` table (hundreds of MB
//! per batch at 48 kHz), is the reference it is tested and benchmarked
//! against.

use candle_core::{CpuStorage, CustomOp1, DType, Device, Layout, Result, Shape, Tensor, D};

/// The harmonic synth as one operation on the amplitudes; the pitch, hop
/// and rate are constants of it.
struct HarmonicSynthOp {
    /// Per-frame pitch of each sequence, Hz.
    f0_hz: Vec<Vec<f32>>,
    /// Samples per frame.
    hop_samples: usize,
    /// Sample rate, Hz.
    sample_rate_hz: f64,
}

/// Calls `visit(frame, step, sines)` for every sample of one sequence with
/// per-frame pitch `f0_hz` over `num_frames` frames of `hop_samples` at
/// `sample_rate_hz`, in order: `step` 1…hop within the frame, `sines[h]` the
/// gated `sin(2π (h + 1) φ)` of the first `sines.len()` harmonics, with the
/// bank's per-sample pitch glide, cumulative phase, Nyquist gate and sine
/// recurrence (in f64).
fn for_each_sample(
    f0_hz: &[f32],
    num_frames: usize,
    hop_samples: usize,
    sample_rate_hz: f64,
    sines: &mut [f64],
    mut visit: impl FnMut(usize, usize, &[f64]),
) -> Result<()> {
    if f0_hz.len() < num_frames {
        candle_core::bail!("{} pitch values for {num_frames} frames", f0_hz.len());
    }
    let (hop, nyquist) = (hop_samples as f64, sample_rate_hz / 2.0);
    let mut phase = 0.0f64;
    for frame in 0..num_frames {
        let target = f0_hz[frame] as f64;
        let start = if frame == 0 { target } else { f0_hz[frame - 1] as f64 };
        for step in 1..=hop_samples {
            let f0 = start + (target - start) * step as f64 / hop;
            phase += f0 / sample_rate_hz;
            phase -= phase.floor();
            let (sin, cos) = (2.0 * std::f64::consts::PI * phase).sin_cos();
            // Harmonics strictly below Nyquist: (h + 1) · f0 < nyquist.
            let audible = if f0 > 0.0 { ((nyquist / f0).ceil() as usize).saturating_sub(1) } else { 0 };
            let (mut previous, mut current) = (0.0f64, sin);
            for (h, value) in sines.iter_mut().enumerate() {
                *value = if h < audible { current } else { 0.0 };
                (previous, current) = (current, 2.0 * cos * current - previous);
            }
            visit(frame, step, sines);
        }
    }
    Ok(())
}

impl CustomOp1 for HarmonicSynthOp {
    fn name(&self) -> &'static str {
        "harmonic-synth"
    }

    /// Amplitudes `[batch, frames, harmonics]` → signal `[batch, frames · hop]`.
    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (batch, num_frames, num_harmonics) = layout.shape().dims3()?;
        let amplitudes = ddsp_model::op_input::contiguous_f32(storage, layout, self.name())?;
        let hop = self.hop_samples;
        let mut out = vec![0.0f32; batch * num_frames * hop];
        let mut sines = vec![0.0f64; num_harmonics];
        for b in 0..batch {
            let sequence = &amplitudes[b * num_frames * num_harmonics..][..num_frames * num_harmonics];
            let signal = &mut out[b * num_frames * hop..][..num_frames * hop];
            for_each_sample(&self.f0_hz[b], num_frames, hop, self.sample_rate_hz, &mut sines, |frame, step, sines| {
                let ramp = step as f64 / hop as f64;
                let to = &sequence[frame * num_harmonics..][..num_harmonics];
                let mut sum = 0.0f64;
                for (h, &sine) in sines.iter().enumerate() {
                    let from = if frame == 0 { 0.0 } else { sequence[(frame - 1) * num_harmonics + h] as f64 };
                    sum += (from + (to[h] as f64 - from) * ramp) * sine;
                }
                signal[frame * hop + step - 1] = sum as f32;
            })?;
        }
        Ok((CpuStorage::F32(out), Shape::from((batch, num_frames * hop))))
    }

    /// Each amplitude's gradient: the signal's gradient times its sine over
    /// its own frame (rising ramp) and the next (falling ramp).
    fn bwd(&self, amplitudes: &Tensor, _signal: &Tensor, grad_signal: &Tensor) -> Result<Option<Tensor>> {
        let (batch, num_frames, num_harmonics) = amplitudes.dims3()?;
        let hop = self.hop_samples;
        let grad_values = grad_signal.detach().contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        let mut grad = vec![0.0f64; batch * num_frames * num_harmonics];
        let mut sines = vec![0.0f64; num_harmonics];
        for b in 0..batch {
            let grad_sequence = &mut grad[b * num_frames * num_harmonics..][..num_frames * num_harmonics];
            for_each_sample(&self.f0_hz[b], num_frames, hop, self.sample_rate_hz, &mut sines, |frame, step, sines| {
                let g = grad_values[(b * num_frames + frame) * hop + step - 1] as f64;
                let ramp = step as f64 / hop as f64;
                let (rising, falling) = (g * ramp, g * (1.0 - ramp));
                for (h, &sine) in sines.iter().enumerate() {
                    grad_sequence[frame * num_harmonics + h] += rising * sine;
                    if frame > 0 {
                        grad_sequence[(frame - 1) * num_harmonics + h] += falling * sine;
                    }
                }
            })?;
        }
        let grad: Vec<f32> = grad.into_iter().map(|g| g as f32).collect();
        Ok(Some(Tensor::from_vec(grad, (batch, num_frames, num_harmonics), amplitudes.device())?))
    }
}

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
    let batch = amplitudes.dim(0)?;
    if f0_hz.len() != batch {
        candle_core::bail!("{} pitch sequences for a batch of {batch}", f0_hz.len());
    }
    let op = HarmonicSynthOp { f0_hz: f0_hz.to_vec(), hop_samples, sample_rate_hz: sample_rate_hz as f64 };
    amplitudes.contiguous()?.apply_op1(op)
}

/// [`harmonic_synth`] as plain candle tensor operations: the reference.
pub fn harmonic_synth_graph(
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
/// `[batch, samples, harmonics]` ([`for_each_sample`]'s sines, stored).
fn harmonic_sine_table(
    f0_hz: &[Vec<f32>],
    num_frames: usize,
    num_harmonics: usize,
    hop_samples: usize,
    sample_rate_hz: f32,
    device: &Device,
) -> Result<Tensor> {
    let num_samples = num_frames * hop_samples;
    let mut table = vec![0.0f32; f0_hz.len() * num_samples * num_harmonics];
    let mut sines = vec![0.0f64; num_harmonics];
    for (sequence, rows) in f0_hz.iter().zip(table.chunks_mut(num_samples * num_harmonics)) {
        for_each_sample(sequence, num_frames, hop_samples, sample_rate_hz as f64, &mut sines, |frame, step, sines| {
            let row = &mut rows[(frame * hop_samples + step - 1) * num_harmonics..][..num_harmonics];
            for (value, &sine) in row.iter_mut().zip(sines) {
                *value = sine as f32;
            }
        })?;
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

    /// The fused operation and the tensor graph give the same signal and the
    /// same amplitude gradients (to 1e-4 of the gradient's scale), for two
    /// sequences whose pitches cross the Nyquist frequency for some harmonics.
    #[test]
    fn fused_synth_matches_the_graph_forward_and_backward() -> Result<()> {
        let (num_frames, num_harmonics, hop) = (20, 30, 48);
        let (f0, amplitudes) = controls(num_frames, num_harmonics);
        let f0 = vec![f0.clone(), f0.iter().map(|f| f * 0.7).collect()];
        let both: Vec<f32> = amplitudes.iter().chain(amplitudes.iter().rev()).copied().collect();
        let var = Var::from_vec(both, (2, num_frames, num_harmonics), &Device::Cpu)?;
        let weights: Vec<f32> = (0..2 * num_frames * hop).map(|n| (n as f32 * 0.37).sin()).collect();
        let weights = Tensor::from_vec(weights, (2, num_frames * hop), &Device::Cpu)?;
        let mut runs = Vec::new();
        for synth in [harmonic_synth, harmonic_synth_graph] {
            let signal = synth(&f0, var.as_tensor(), hop, 16_000.0)?;
            let gradient = (&signal * &weights)?.sum_all()?.backward()?.get(&var).expect("a gradient").clone();
            runs.push((signal, gradient));
        }
        let max_difference = |a: &Tensor, b: &Tensor| -> Result<f32> { (a - b)?.abs()?.max_all()?.to_scalar() };
        assert!(max_difference(&runs[0].0, &runs[1].0)? < 1e-5, "signals differ");
        let scale = runs[1].1.abs()?.max_all()?.to_scalar::<f32>()?.max(1.0);
        let difference = max_difference(&runs[0].1, &runs[1].1)?;
        assert!(difference <= 1e-4 * scale, "gradients differ by {difference} (scale {scale})");
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
