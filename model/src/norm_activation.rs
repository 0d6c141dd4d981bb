//! LayerNorm followed by a leaky ReLU as one candle operation, forward and
//! backward: the second half of every layer of the decoder's stacks.
//!
//! Why our own: candle's fused LayerNorm has no backward pass, and the same
//! maths as tensor operations (`layer_norm_slow`) is about ten operations
//! forward and twenty backward, two of them reductions of the scale's and
//! shift's gradients over every row, which candle runs element by element
//! with index arithmetic. A training step of the small decoder spent more
//! time there than in its matrix products. Here each row is normalised in
//! one pass and the backward pass recomputes the row's statistics from the
//! input instead of keeping them.
//!
//! Per row of `n` values: `x̂ = (x − mean) / √(var + ε)` (variance about the
//! mean, divided by `n`), `y = γ ⊙ x̂ + β`, output `y` where `y > 0`, else
//! `slope · y`.

use candle_core::{CpuStorage, CustomOp3, Device, Layout, Result, Shape, Tensor};

use crate::op_input::contiguous_f32;

const OP_NAME: &str = "layer-norm-leaky-relu";

struct NormActivationOp {
    /// Added to the variance, as Keras' LayerNorm epsilon.
    epsilon: f32,
    /// The leaky ReLU's slope for negative values.
    slope: f32,
}

impl NormActivationOp {
    /// The row's mean and `1 / √(var + ε)`.
    fn statistics(&self, row: &[f32]) -> (f32, f32) {
        let n = row.len() as f32;
        let mean = row.iter().sum::<f32>() / n;
        let variance = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
        (mean, 1.0 / (variance + self.epsilon).sqrt())
    }
}

impl CustomOp3 for NormActivationOp {
    fn name(&self) -> &'static str {
        OP_NAME
    }

    /// `x` `[..., n]`, `γ` `[n]`, `β` `[n]` → `[..., n]`.
    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(s1, l1, OP_NAME)?;
        let (scale, shift) = (contiguous_f32(s2, l2, OP_NAME)?, contiguous_f32(s3, l3, OP_NAME)?);
        let n = scale.len();
        let mut out = vec![0.0f32; x.len()];
        for (row, out_row) in x.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
            let (mean, inverse_deviation) = self.statistics(row);
            for (((o, &v), &g), &b) in out_row.iter_mut().zip(row).zip(scale).zip(shift) {
                let y = g * (v - mean) * inverse_deviation + b;
                *o = if y > 0.0 { y } else { self.slope * y };
            }
        }
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        scale: &Tensor,
        shift: &Tensor,
        _out: &Tensor,
        grad_out: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let x_values = x.detach().flatten_all()?.to_vec1::<f32>()?;
        let scale_values = scale.detach().to_vec1::<f32>()?;
        let shift_values = shift.detach().to_vec1::<f32>()?;
        let grad_values = grad_out.detach().contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        let n = scale_values.len();
        let mut grad_x = vec![0.0f32; x_values.len()];
        let (mut grad_scale, mut grad_shift) = (vec![0.0f32; n], vec![0.0f32; n]);
        let mut grad_normed = vec![0.0f32; n];
        let mut normed = vec![0.0f32; n];
        for ((row, grad_row), grad_x_row) in
            x_values.chunks_exact(n).zip(grad_values.chunks_exact(n)).zip(grad_x.chunks_exact_mut(n))
        {
            let (mean, inverse_deviation) = self.statistics(row);
            let (mut mean_grad, mut mean_grad_normed) = (0.0f32, 0.0f32);
            for j in 0..n {
                normed[j] = (row[j] - mean) * inverse_deviation;
                let y = scale_values[j] * normed[j] + shift_values[j];
                let grad_y = if y > 0.0 { grad_row[j] } else { self.slope * grad_row[j] };
                grad_scale[j] += grad_y * normed[j];
                grad_shift[j] += grad_y;
                grad_normed[j] = grad_y * scale_values[j];
                mean_grad += grad_normed[j];
                mean_grad_normed += grad_normed[j] * normed[j];
            }
            mean_grad /= n as f32;
            mean_grad_normed /= n as f32;
            for j in 0..n {
                grad_x_row[j] = inverse_deviation * (grad_normed[j] - mean_grad - normed[j] * mean_grad_normed);
            }
        }
        let cpu = &Device::Cpu;
        Ok((
            Some(Tensor::from_vec(grad_x, x.shape(), cpu)?),
            Some(Tensor::from_vec(grad_scale, n, cpu)?),
            Some(Tensor::from_vec(grad_shift, n, cpu)?),
        ))
    }
}

/// LayerNorm of `x` `[..., n]` over its last dimension with scale `scale`
/// and shift `shift` (each `[n]`), `epsilon` added to the variance, then a
/// leaky ReLU of slope `slope`; differentiable in all three tensors.
pub fn layer_norm_leaky_relu(x: &Tensor, scale: &Tensor, shift: &Tensor, epsilon: f64, slope: f64) -> Result<Tensor> {
    let n = scale.dims1()?;
    if x.dims().last() != Some(&n) || shift.dims1()? != n {
        candle_core::bail!("norm activation: input {:?} does not fit {n} scales and shifts", x.dims());
    }
    let op = NormActivationOp { epsilon: epsilon as f32, slope: slope as f32 };
    x.contiguous()?.apply_op3(&scale.contiguous()?, &shift.contiguous()?, op)
}
