//! Differentiable filtered noise for training: the signal
//! `dsp_core::noise::FilteredNoise` plays at the model rate, as a candle
//! operation. Frame `f`'s band magnitudes make an FIR (a sum of the real
//! synth's single-band impulse responses: its design is linear), which
//! filters frame `f`'s white noise; the frames' outputs overlap-add, with
//! the same causal delay as the real-time synth. The backward pass
//! correlates the output gradient with each frame's noise.

use std::sync::Arc;

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};
use dsp_core::noise::FilteredNoise;
use dsp_core::rng::NoiseRng;

/// Single-band impulse responses of the real-time synth: row `b` is the FIR
/// for band `b` at magnitude 1, all others 0.
#[derive(Clone, Debug)]
pub struct NoiseBasis {
    num_bands: usize,
    ir_len: usize,
    responses: Arc<Vec<f32>>,
}

impl NoiseBasis {
    /// The basis of a `num_bands` synth at `model_rate_hz` (played at that rate).
    pub fn new(model_rate_hz: f32, num_bands: usize) -> Self {
        let mut synth = FilteredNoise::new(model_rate_hz, model_rate_hz, num_bands, 1, 1);
        let ir_len = synth.impulse_response_len();
        let mut responses = Vec::with_capacity(num_bands * ir_len);
        for band in 0..num_bands {
            let mut magnitudes = vec![0.0f32; num_bands];
            magnitudes[band] = 1.0;
            responses.extend(synth.impulse_response(&magnitudes));
        }
        Self { num_bands, ir_len, responses: Arc::new(responses) }
    }
}

struct NoiseSynthOp {
    basis: NoiseBasis,
    hop: usize,
    /// White noise `[batch, frames · hop]`.
    noise: Vec<f32>,
}

impl NoiseSynthOp {
    fn impulse_response(&self, magnitudes: &[f32], out: &mut [f32]) {
        out.fill(0.0);
        for (band, &m) in magnitudes.iter().enumerate() {
            let row = &self.basis.responses[band * self.basis.ir_len..(band + 1) * self.basis.ir_len];
            for (o, &r) in out.iter_mut().zip(row) {
                *o += m * r;
            }
        }
    }
}

impl CustomOp1 for NoiseSynthOp {
    fn name(&self) -> &'static str {
        "filtered-noise"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (batch, frames, bands) = layout.shape().dims3()?;
        let magnitudes = ddsp_model::op_input::contiguous_f32(storage, layout, self.name())?;
        let samples = frames * self.hop;
        let mut out = vec![0.0f32; batch * samples];
        let mut ir = vec![0.0f32; self.basis.ir_len];
        for b in 0..batch {
            let row = &mut out[b * samples..(b + 1) * samples];
            for f in 0..frames {
                self.impulse_response(&magnitudes[(b * frames + f) * bands..(b * frames + f + 1) * bands], &mut ir);
                let segment = f * self.hop;
                for t in 0..self.hop {
                    let x = self.noise[b * samples + segment + t];
                    let reach = (samples - segment - t).min(ir.len());
                    for (o, &h) in row[segment + t..segment + t + reach].iter_mut().zip(&ir) {
                        *o += h * x;
                    }
                }
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((batch, samples))))
    }

    fn bwd(&self, arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        let (batch, frames, bands) = arg.dims3()?;
        let grad = grad_res.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        let samples = frames * self.hop;
        let ir_len = self.basis.ir_len;
        let mut grad_magnitudes = vec![0.0f32; batch * frames * bands];
        let mut correlation = vec![0.0f32; ir_len];
        for b in 0..batch {
            for f in 0..frames {
                correlation.fill(0.0);
                let segment = f * self.hop;
                for t in 0..self.hop {
                    let x = self.noise[b * samples + segment + t];
                    let from = b * samples + segment + t;
                    let reach = (samples - segment - t).min(ir_len);
                    for (c, &g) in correlation[..reach].iter_mut().zip(&grad[from..from + reach]) {
                        *c += g * x;
                    }
                }
                for band in 0..bands {
                    let row = &self.basis.responses[band * ir_len..(band + 1) * ir_len];
                    grad_magnitudes[(b * frames + f) * bands + band] =
                        row.iter().zip(&correlation).map(|(r, c)| r * c).sum();
                }
            }
        }
        Ok(Some(Tensor::from_vec(grad_magnitudes, (batch, frames, bands), arg.device())?))
    }
}

/// Filtered noise for `magnitudes` `[batch, frames, bands]` at `hop`
/// samples per frame: `[batch, frames · hop]`, differentiable in the
/// magnitudes. Each batch row draws its noise from `seeds[row]`.
pub fn filtered_noise(magnitudes: &Tensor, basis: &NoiseBasis, hop: usize, seeds: &[u64]) -> Result<Tensor> {
    let (batch, frames, bands) = magnitudes.dims3()?;
    if bands != basis.num_bands || seeds.len() != batch {
        candle_core::bail!("filtered_noise: {bands} bands for a {}-band basis, {} seeds", basis.num_bands, seeds.len());
    }
    let samples = frames * hop;
    let mut noise = Vec::with_capacity(batch * samples);
    for &seed in seeds {
        let mut rng = NoiseRng::new(seed);
        noise.extend((0..samples).map(|_| rng.next_sample()));
    }
    magnitudes.contiguous()?.apply_op1(NoiseSynthOp { basis: basis.clone(), hop, noise })
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Var};

    use super::*;

    /// Equal to the real-time synth on the same noise, frame for frame.
    #[test]
    fn matches_the_real_time_synth() -> Result<()> {
        let (rate, bands, hop, frames) = (48_000.0f32, 65usize, 192usize, 12usize);
        let seed = 99;
        let magnitudes: Vec<f32> = (0..frames * bands).map(|i| 0.01 + 0.02 * ((i * 31 % 17) as f32 / 17.0)).collect();
        let mut reference = FilteredNoise::new(rate, rate, bands, hop, seed);
        let mut expected = vec![0.0f32; frames * hop];
        for (f, segment) in expected.chunks_mut(hop).enumerate() {
            reference.render_add(&magnitudes[f * bands..(f + 1) * bands], 1.0, segment);
        }
        let tensor = Tensor::from_vec(magnitudes, (1, frames, bands), &Device::Cpu)?;
        let ours =
            filtered_noise(&tensor, &NoiseBasis::new(rate, bands), hop, &[seed])?.flatten_all()?.to_vec1::<f32>()?;
        let peak = expected.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        for (n, (a, b)) in ours.iter().zip(&expected).enumerate() {
            assert!((a - b).abs() < 1e-4 * peak.max(1e-3), "sample {n}: {a} vs {b}");
        }
        Ok(())
    }

    /// Gradients agree with finite differences (the op is linear, so exactly).
    #[test]
    fn gradient_matches_finite_differences() -> Result<()> {
        let (bands, hop, frames) = (9usize, 16usize, 4usize);
        let basis = NoiseBasis::new(8_000.0, bands);
        let cpu = &Device::Cpu;
        let values: Vec<f32> = (0..frames * bands).map(|i| 0.1 + (i % 5) as f32 * 0.05).collect();
        let weights = Tensor::from_vec(
            (0..frames * hop).map(|n| (n as f32 * 0.21).cos()).collect::<Vec<_>>(),
            (1, frames * hop),
            cpu,
        )?;
        let objective =
            |m: &Tensor| -> Result<Tensor> { (filtered_noise(m, &basis, hop, &[5])? * &weights)?.sum_all() };
        let var = Var::from_tensor(&Tensor::from_vec(values.clone(), (1, frames, bands), cpu)?)?;
        let grads = objective(var.as_tensor())?.backward()?;
        let analytic = grads.get(var.as_tensor()).expect("gradient").flatten_all()?.to_vec1::<f32>()?;
        for index in [0usize, 7, 20, 35] {
            let mut plus = values.clone();
            plus[index] += 0.01;
            let f = |v: Vec<f32>| -> Result<f32> {
                objective(&Tensor::from_vec(v, (1, frames, bands), cpu)?)?.to_scalar::<f32>()
            };
            let numeric = (f(plus)? - f(values.clone())?) / 0.01;
            assert!(
                (numeric - analytic[index]).abs() < 1e-3 * (1.0 + numeric.abs()),
                "{index}: {numeric} vs {}",
                analytic[index]
            );
        }
        Ok(())
    }
}
