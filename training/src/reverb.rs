//! Differentiable convolution reverb for training: `dry + dry ∗ ir` with a
//! learned impulse response, as one candle operation on `realfft`
//! (candle has no FFT). Forward and both gradients are FFT products:
//! `∂L/∂dry = g + g ⋆ ir` and `∂L/∂ir = Σ_batch g ⋆ dry` (⋆: correlation).

use candle_core::{CpuStorage, CustomOp2, Layout, Result, Shape, Tensor};
use realfft::num_complex::Complex32;
use realfft::RealFftPlanner;

use ddsp_model::op_input::contiguous_f32;

struct ConvolveOp;

/// FFT helper: spectra of zero-padded signals at one length.
struct Spectra {
    len: usize,
    planner: RealFftPlanner<f32>,
}

impl Spectra {
    fn new(min_len: usize) -> Self {
        Self { len: min_len.next_power_of_two(), planner: RealFftPlanner::new() }
    }

    fn forward(&mut self, signal: &[f32]) -> Vec<Complex32> {
        let fft = self.planner.plan_fft_forward(self.len);
        let mut input = fft.make_input_vec();
        input[..signal.len()].copy_from_slice(signal);
        let mut out = fft.make_output_vec();
        let _ = fft.process(&mut input, &mut out);
        out
    }

    /// Inverse (normalised) of `spectrum`, first `keep` samples.
    fn inverse(&mut self, mut spectrum: Vec<Complex32>, keep: usize) -> Vec<f32> {
        let fft = self.planner.plan_fft_inverse(self.len);
        let last = spectrum.len() - 1;
        spectrum[0].im = 0.0;
        spectrum[last].im = 0.0;
        let mut out = fft.make_output_vec();
        let _ = fft.process(&mut spectrum, &mut out);
        let scale = 1.0 / self.len as f32;
        out.truncate(keep);
        out.iter_mut().for_each(|v| *v *= scale);
        out
    }
}

impl CustomOp2 for ConvolveOp {
    fn name(&self) -> &'static str {
        "reverb"
    }

    fn cpu_fwd(&self, s1: &CpuStorage, l1: &Layout, s2: &CpuStorage, l2: &Layout) -> Result<(CpuStorage, Shape)> {
        let (batch, samples) = l1.shape().dims2()?;
        let (dry, ir) = (contiguous_f32(s1, l1, "reverb")?, contiguous_f32(s2, l2, "reverb")?);
        let mut spectra = Spectra::new(samples + ir.len());
        let ir_spectrum = spectra.forward(ir);
        let mut out = Vec::with_capacity(batch * samples);
        for row in dry.chunks(samples) {
            let product = spectra.forward(row).iter().zip(&ir_spectrum).map(|(a, b)| a * b).collect();
            let wet = spectra.inverse(product, samples);
            out.extend(row.iter().zip(&wet).map(|(d, w)| d + w));
        }
        Ok((CpuStorage::F32(out), Shape::from((batch, samples))))
    }

    fn bwd(&self, dry: &Tensor, ir: &Tensor, _res: &Tensor, grad: &Tensor) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let (batch, samples) = dry.dims2()?;
        let ir_values = ir.to_vec1::<f32>()?;
        let dry_values = dry.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        let grad_values = grad.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        let mut spectra = Spectra::new(samples + ir_values.len());
        let ir_spectrum = spectra.forward(&ir_values);
        let mut grad_dry = Vec::with_capacity(batch * samples);
        let mut grad_ir = vec![0.0f32; ir_values.len()];
        for (g, d) in grad_values.chunks(samples).zip(dry_values.chunks(samples)) {
            let g_spectrum = spectra.forward(g);
            let through_ir =
                spectra.inverse(g_spectrum.iter().zip(&ir_spectrum).map(|(a, b)| a * b.conj()).collect(), samples);
            grad_dry.extend(g.iter().zip(&through_ir).map(|(a, b)| a + b));
            let d_spectrum = spectra.forward(d);
            let lagged =
                spectra.inverse(g_spectrum.iter().zip(&d_spectrum).map(|(a, b)| a * b.conj()).collect(), grad_ir.len());
            grad_ir.iter_mut().zip(&lagged).for_each(|(acc, v)| *acc += v);
        }
        Ok((
            Some(Tensor::from_vec(grad_dry, (batch, samples), dry.device())?),
            Some(Tensor::from_vec(grad_ir, ir_values.len(), ir.device())?),
        ))
    }
}

/// `dry` `[batch, samples]` plus its convolution with `ir` `[taps]`,
/// truncated to `samples`; differentiable in both.
pub fn reverb(dry: &Tensor, ir: &Tensor) -> Result<Tensor> {
    dry.contiguous()?.apply_op2(&ir.contiguous()?, ConvolveOp)
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Var};

    use super::*;

    #[test]
    fn convolves_and_differentiates() -> Result<()> {
        let cpu = &Device::Cpu;
        let dry_values: Vec<f32> = (0..40).map(|n| ((n * 13 % 7) as f32 - 3.0) * 0.1).collect();
        let ir_values = vec![0.0f32, 0.5, -0.25, 0.125];
        let dry = Var::from_tensor(&Tensor::from_vec(dry_values.clone(), (1, 40), cpu)?)?;
        let ir = Var::from_tensor(&Tensor::new(ir_values.as_slice(), cpu)?)?;
        let out = reverb(dry.as_tensor(), ir.as_tensor())?.flatten_all()?.to_vec1::<f32>()?;
        for n in 0..40 {
            let direct: f32 =
                dry_values[n] + (0..4).filter(|&j| j <= n).map(|j| ir_values[j] * dry_values[n - j]).sum::<f32>();
            assert!((out[n] - direct).abs() < 1e-5, "{n}: {} vs {direct}", out[n]);
        }
        let weights = Tensor::from_vec((0..40).map(|n| (n as f32 * 0.3).sin()).collect::<Vec<_>>(), (1, 40), cpu)?;
        let grads = (reverb(dry.as_tensor(), ir.as_tensor())? * &weights)?.sum_all()?.backward()?;
        let grad_ir = grads.get(ir.as_tensor()).expect("ir gradient").to_vec1::<f32>()?;
        let w = weights.flatten_all()?.to_vec1::<f32>()?;
        for (j, &g) in grad_ir.iter().enumerate() {
            let expected: f32 = (j..40).map(|n| w[n] * dry_values[n - j]).sum();
            assert!((g - expected).abs() < 1e-4, "tap {j}: {g} vs {expected}");
        }
        let grad_dry = grads.get(dry.as_tensor()).expect("dry gradient").flatten_all()?.to_vec1::<f32>()?;
        for (m, &g) in grad_dry.iter().enumerate() {
            let expected: f32 = w[m] + (0..4).filter(|&j| m + j < 40).map(|j| w[m + j] * ir_values[j]).sum::<f32>();
            assert!((g - expected).abs() < 1e-4, "sample {m}: {g} vs {expected}");
        }
        Ok(())
    }
}
