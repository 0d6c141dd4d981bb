//! The real-time step's layers, laid out the RTNeural way: weights copied
//! once into row-major float32 slices, every buffer sized at construction,
//! one function per layer kind over slices.
//!
//! The matrix-vector products run on candle-core's public CPU kernel
//! `cpu::kernels::VecOps::vec_dot` (SIMD where the CPU has it, chosen once
//! per process). The weights stay float32: candle's 8-bit kernel
//! (`BlockQ8_0::vec_dot`) runs one accumulator chain per row and converts
//! two f16 scales per 32 inputs, and on this project's reference machine
//! it made the default-size step 1.9× slower than float32 (312 against
//! 167 µs per frame, `cargo bench -p ddsp-model --bench decoder_step`),
//! so quantising would cost time and accuracy. LayerNorm,
//! the activations and the GRU gates are a few lines of plain Rust here:
//! candle has them only as tensor operations, and a tensor operation
//! allocates its result, which the audio thread must never do.
//!
//! Every `forward` is real-time safe: no allocation, no lock, no system
//! call. Slices are sized by the constructors, so the indexing below cannot
//! go out of bounds.

use std::sync::Arc;

use candle_core::cpu::kernels::VecOps;
use candle_core::Result;
use candle_nn::LayerNorm;

use crate::network::{Dense, LAYER_NORM_EPS, LEAKY_RELU_SLOPE};

/// `y = W x + b` for one frame. Cloning shares the weights (the voices of
/// one instrument each run their own copy of the step).
#[derive(Clone)]
pub(crate) struct StepDense {
    /// `out × in`, row-major: one row per output. Shared, never written.
    rows: Arc<[f32]>,
    /// One per output. Shared, never written.
    bias: Arc<[f32]>,
    /// Inputs.
    in_dim: usize,
    /// Outputs.
    out_dim: usize,
}

impl StepDense {
    /// The layer of `dense` (a float32 candle layer). Allocates.
    pub(crate) fn new(dense: &Dense) -> Result<Self> {
        let (weight, bias) = dense.tensors();
        let (out_dim, in_dim) = weight.dims2()?;
        let rows = weight.flatten_all()?.to_vec1::<f32>()?;
        let bias = bias.to_vec1::<f32>()?;
        if bias.len() != out_dim {
            return Err(candle_core::Error::Msg(format!("bias of {} for {out_dim} outputs", bias.len())));
        }
        Ok(Self { rows: rows.into(), bias: bias.into(), in_dim, out_dim })
    }

    /// Input width.
    pub(crate) fn in_dim(&self) -> usize {
        self.in_dim
    }

    /// Output width.
    pub(crate) fn out_dim(&self) -> usize {
        self.out_dim
    }

    /// Whether `other` reads the very same weights (not a copy).
    #[cfg(test)]
    pub(crate) fn shares_weights_with(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.rows, &other.rows) && Arc::ptr_eq(&self.bias, &other.bias)
    }

    /// `y = W x + b`; `x` holds `in_dim` values, `y` `out_dim`. Real-time
    /// safe.
    pub(crate) fn forward(&self, x: &[f32], y: &mut [f32]) {
        self.forward_head(&x[..self.in_dim], y);
    }

    /// `y = W[:, ..n] x_head + b` for an input whose first `n` values are
    /// `x_head` (`n ≤ in_dim`): the part of the product a frame can keep
    /// while those inputs stay the same. Real-time safe.
    pub(crate) fn forward_head(&self, x_head: &[f32], y: &mut [f32]) {
        let n = x_head.len().min(self.in_dim);
        for ((out, row), bias) in
            y[..self.out_dim].iter_mut().zip(self.rows.chunks_exact(self.in_dim)).zip(self.bias.iter())
        {
            *out = dot(&row[..n], &x_head[..n]) + bias;
        }
    }

    /// `y += W[:, in_dim − n..] x_tail` for an input whose last `n` values
    /// are `x_tail`: completes [`Self::forward_head`]. Real-time safe.
    pub(crate) fn accumulate_tail(&self, x_tail: &[f32], y: &mut [f32]) {
        let n = x_tail.len().min(self.in_dim);
        for (out, row) in y[..self.out_dim].iter_mut().zip(self.rows.chunks_exact(self.in_dim)) {
            *out += dot(&row[self.in_dim - n..], &x_tail[..n]);
        }
    }
}

/// `a · b` over the shorter of the two, on candle's slice kernel.
#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let mut dot = 0.0f32;
    // SAFETY: `a` and `b` both hold at least `n` values, and `dot` is a
    // valid f32.
    unsafe { <f32 as VecOps>::vec_dot(a.as_ptr(), b.as_ptr(), &mut dot, n) };
    dot
}

/// LayerNorm (mean removed, scaled and shifted) over one frame. Cloning
/// shares the weights.
#[derive(Clone)]
struct StepLayerNorm {
    /// Scale per value (LayerNorm's gamma). Shared, never written.
    weight: Arc<[f32]>,
    /// Shift per value (LayerNorm's beta). Shared, never written.
    bias: Arc<[f32]>,
}

impl StepLayerNorm {
    fn new(norm: &LayerNorm) -> Result<Self> {
        let weight = norm.weight().to_vec1::<f32>()?;
        let bias = match norm.bias() {
            Some(bias) => bias.to_vec1::<f32>()?,
            None => vec![0.0; weight.len()],
        };
        Ok(Self { weight: weight.into(), bias: bias.into() })
    }

    /// Normalises `x` in place, then applies the leaky ReLU that follows
    /// every LayerNorm of an `FcStack`. Real-time safe.
    fn forward_leaky_relu(&self, x: &mut [f32]) {
        let x = &mut x[..self.weight.len()];
        let n = x.len() as f32;
        let mean = x.iter().sum::<f32>() / n;
        let variance = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
        let scale = 1.0 / (variance + LAYER_NORM_EPS as f32).sqrt();
        let slope = LEAKY_RELU_SLOPE as f32;
        for ((v, w), b) in x.iter_mut().zip(self.weight.iter()).zip(self.bias.iter()) {
            let normed = (*v - mean) * scale * w + b;
            *v = if normed >= 0.0 { normed } else { normed * slope };
        }
    }
}

/// Dense → LayerNorm → leaky ReLU, repeated (DDSP's `FcStack`), with its two
/// working buffers. Cloning shares the weights and copies the buffers.
#[derive(Clone)]
pub(crate) struct StepStack {
    /// Each dense layer and the LayerNorm after it.
    layers: Vec<(StepDense, StepLayerNorm)>,
    /// Working buffers the layers write into in turn (widest layer).
    ping: Vec<f32>,
    /// See `ping`.
    pong: Vec<f32>,
    /// [`Self::forward_split`]'s kept part of the first layer: its product
    /// with the input's head, plus the bias.
    head_part: Vec<f32>,
    /// `head_part` holds the current head's product.
    head_part_valid: bool,
}

impl StepStack {
    /// The stack of `layers` (the candle stack's). Allocates.
    pub(crate) fn new(layers: &[(Dense, LayerNorm)]) -> Result<Self> {
        let layers = layers
            .iter()
            .map(|(dense, norm)| Ok((StepDense::new(dense)?, StepLayerNorm::new(norm)?)))
            .collect::<Result<Vec<_>>>()?;
        let width = layers.iter().map(|(dense, _)| dense.out_dim()).max().unwrap_or(0);
        Ok(Self {
            layers,
            ping: vec![0.0; width],
            pong: vec![0.0; width],
            head_part: vec![0.0; width],
            head_part_valid: false,
        })
    }

    /// Output width.
    pub(crate) fn out_dim(&self) -> usize {
        self.layers.last().map_or(0, |(dense, _)| dense.out_dim())
    }

    /// Input width.
    pub(crate) fn in_dim(&self) -> usize {
        self.layers.first().map_or(0, |(dense, _)| dense.in_dim())
    }

    /// Runs the stack on `x`, writing [`Self::out_dim`] values to `y`.
    /// Real-time safe.
    pub(crate) fn forward(&mut self, x: &[f32], y: &mut [f32]) {
        if let Some((first, _)) = self.layers.first() {
            first.forward(x, &mut self.pong);
        }
        self.finish(y);
    }

    /// Runs the stack on `x`, whose first `head_len` values are unchanged
    /// since the previous call unless `head_changed` (the first call after
    /// construction or a reset must say they changed). Changed, the first
    /// layer runs whole, as [`Self::forward`] does; unchanged, its product
    /// with the head is taken from the previous such call (computed on the
    /// first one), so only the tail's columns are multiplied. A stream that
    /// changes every frame pays nothing extra. Real-time safe.
    pub(crate) fn forward_split(&mut self, x: &[f32], head_len: usize, head_changed: bool, y: &mut [f32]) {
        if let Some((first, _)) = self.layers.first() {
            let (head, tail) = x.split_at(head_len.min(x.len()));
            if head_changed {
                self.head_part_valid = false;
                first.forward(x, &mut self.pong);
            } else {
                if !self.head_part_valid {
                    first.forward_head(head, &mut self.head_part);
                    self.head_part_valid = true;
                }
                let width = first.out_dim();
                self.pong[..width].copy_from_slice(&self.head_part[..width]);
                first.accumulate_tail(tail, &mut self.pong);
            }
        }
        self.finish(y);
    }

    /// The rest of the stack after the first layer's product is in `pong`.
    fn finish(&mut self, y: &mut [f32]) {
        let width = self.out_dim();
        let (mut current, mut next) = (&mut self.ping, &mut self.pong);
        for (index, (dense, norm)) in self.layers.iter().enumerate() {
            if index > 0 {
                dense.forward(current, next);
            }
            norm.forward_leaky_relu(&mut next[..dense.out_dim()]);
            std::mem::swap(&mut current, &mut next);
        }
        y[..width].copy_from_slice(&current[..width]);
    }
}

/// A GRU step in the `reset_after` form of [`crate::network::Gru`], with its
/// projections' buffers. Cloning shares the weights and copies the buffers.
#[derive(Clone)]
pub(crate) struct StepGru {
    /// `W_ih`, `b_ih`: input → the three gates.
    input: StepDense,
    /// `W_hh`, `b_hh`: state → the three gates.
    recurrent: StepDense,
    /// The input projection of the current frame (`3 × hidden`).
    projected: Vec<f32>,
    /// The recurrent projection of the current frame (`3 × hidden`).
    recurrent_out: Vec<f32>,
    /// State size.
    hidden: usize,
}

impl StepGru {
    /// The GRU of `input` (`W_ih`, `b_ih`) and `recurrent` (`W_hh`, `b_hh`).
    /// Allocates.
    pub(crate) fn new(input: &Dense, recurrent: &Dense) -> Result<Self> {
        let input = StepDense::new(input)?;
        let recurrent = StepDense::new(recurrent)?;
        let hidden = recurrent.in_dim();
        if input.out_dim() != 3 * hidden || recurrent.out_dim() != 3 * hidden {
            return Err(candle_core::Error::Msg("GRU projections are not three gates wide".into()));
        }
        Ok(Self { projected: vec![0.0; 3 * hidden], recurrent_out: vec![0.0; 3 * hidden], input, recurrent, hidden })
    }

    /// Hidden size.
    pub(crate) fn hidden(&self) -> usize {
        self.hidden
    }

    /// Input width.
    pub(crate) fn in_dim(&self) -> usize {
        self.input.in_dim()
    }

    /// Advances the state `h` (updated in place) by one input `x`:
    /// `r = σ(x_r + h_r)`, `z = σ(x_z + h_z)`, `n = tanh(x_n + r ⊙ h_n)`,
    /// `h' = n + z ⊙ (h − n)`. The input's projection is kept from the
    /// previous call unless `x_changed` (the first call after construction
    /// or a reset must say it changed). Real-time safe.
    pub(crate) fn forward(&mut self, x: &[f32], x_changed: bool, h: &mut [f32]) {
        if x_changed {
            self.input.forward(x, &mut self.projected);
        }
        self.recurrent.forward(h, &mut self.recurrent_out);
        let hidden = self.hidden;
        let (x_r, rest) = self.projected.split_at(hidden);
        let (x_z, x_n) = rest.split_at(hidden);
        let (h_r, rest) = self.recurrent_out.split_at(hidden);
        let (h_z, h_n) = rest.split_at(hidden);
        for (i, state) in h[..hidden].iter_mut().enumerate() {
            let reset = sigmoid(x_r[i] + h_r[i]);
            let update = sigmoid(x_z[i] + h_z[i]);
            let candidate = (x_n[i] + reset * h_n[i]).tanh();
            *state = candidate + update * (*state - candidate);
        }
    }
}

/// The logistic function, written out: candle's is a tensor operation.
#[inline]
fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Module, Tensor};

    use super::*;

    fn dense(out_dim: usize, in_dim: usize, seed: u64) -> Result<Dense> {
        let mut state = seed;
        let mut next = move || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.2
        };
        let weight: Vec<f32> = (0..out_dim * in_dim).map(|_| next()).collect();
        let bias: Vec<f32> = (0..out_dim).map(|_| next()).collect();
        Ok(Dense::from_tensors(
            Tensor::from_vec(weight, (out_dim, in_dim), &Device::Cpu)?,
            Tensor::from_vec(bias, out_dim, &Device::Cpu)?,
        ))
    }

    /// The layer equals candle's matmul to float rounding.
    #[test]
    fn dense_layers_match_candle() -> Result<()> {
        for (in_dim, out_dim) in [(1, 64), (64, 96), (256, 166)] {
            let layer = dense(out_dim, in_dim, in_dim as u64)?;
            let x: Vec<f32> = (0..in_dim).map(|i| ((i * 7) % 13) as f32 / 13.0 - 0.4).collect();
            let input = Tensor::from_vec(x.clone(), (1, in_dim), &Device::Cpu)?;
            let expected = layer.forward(&input)?.flatten_all()?.to_vec1::<f32>()?;
            let step = StepDense::new(&layer)?;
            let mut y = vec![0.0; out_dim];
            step.forward(&x, &mut y);
            for (a, b) in y.iter().zip(&expected) {
                assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "{in_dim}→{out_dim}: {a} vs {b}");
            }
        }
        Ok(())
    }
}
