//! The decoder network, DDSP's `RnnFcDecoder` (ddsp/training/decoders.py):
//! a Dense → LayerNorm → leaky ReLU stack per input (f0, loudness), their
//! outputs concatenated → GRU → the stacks' outputs and the GRU output
//! concatenated (DDSP's skip connection) → an output stack → one dense layer
//! whose outputs split into amplitude, harmonic distribution and noise
//! magnitudes (raw, before the control mapping).
//!
//! Two entry points with the same maths: [`Decoder::forward_sequence`] for
//! whole sequences (training, offline render) and [`Decoder::step`] for one
//! frame with explicit GRU state (streaming). Tensor names, from the `vb.pp`
//! calls: `f0_stack.{i}.dense.{weight,bias}`, `f0_stack.{i}.norm.{weight,bias}`,
//! the same under `loudness_stack` and `out_stack`, `gru.{weight_ih_l0,
//! weight_hh_l0, bias_ih_l0, bias_hh_l0}` and `dense_out.{weight,bias}`.

use candle_core::{Module, Result, Tensor, D};
use candle_nn::{layer_norm, linear, LayerNorm, LayerNormConfig, VarBuilder};

use crate::config::DecoderConfig;

/// Slope of the leaky ReLU for negative inputs (Keras' default, as DDSP).
pub(crate) const LEAKY_RELU_SLOPE: f64 = 0.2;
/// LayerNorm epsilon (Keras' default).
pub(crate) const LAYER_NORM_EPS: f64 = 1e-3;

/// A dense layer `x Wᵀ + b`, tensors named `weight` and `bias` as
/// `candle_nn::Linear`'s.
#[derive(Clone, Debug)]
pub struct Dense {
    /// `[out, in]`.
    weight: Tensor,
    /// `[out]`.
    bias: Tensor,
}

impl Dense {
    /// A layer from `in_dim` to `out_dim` inputs, tensors under `vb`
    /// (initialised as `candle_nn::linear` does when absent).
    pub fn new(in_dim: usize, out_dim: usize, vb: VarBuilder) -> Result<Self> {
        let layer = linear(in_dim, out_dim, vb)?;
        let bias = layer.bias().cloned().ok_or_else(|| candle_core::Error::Msg("linear layer without bias".into()))?;
        Ok(Self::from_tensors(layer.weight().clone(), bias))
    }

    /// A layer from a `[out, in]` weight and an `[out]` bias.
    pub fn from_tensors(weight: Tensor, bias: Tensor) -> Self {
        Self { weight, bias }
    }

    /// The `[out, in]` weight and `[out]` bias, for laying the layer out for
    /// the real-time step.
    pub(crate) fn tensors(&self) -> (&Tensor, &Tensor) {
        (&self.weight, &self.bias)
    }
}

impl Module for Dense {
    /// `x` `[..., in]` → `[..., out]`, every step a matrix product so that
    /// the backward pass is too: the leading dimensions are folded into one
    /// rows dimension (a broadcast product would give the weight a batch
    /// dimension whose gradient candle sums element by element), and the
    /// bias enters as `1 · bias` (its gradient a product with a column of
    /// ones, not a reduction over rows). Exactly `x Wᵀ + b`.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let (in_dim, out_dim) = (self.weight.dim(1)?, self.weight.dim(0)?);
        let mut out_shape = x.dims().to_vec();
        if let Some(last) = out_shape.last_mut() {
            *last = out_dim;
        }
        let rows = x.elem_count() / in_dim.max(1);
        let product = x.reshape((rows, in_dim))?.matmul(&self.weight.t()?)?;
        let bias = Tensor::ones((rows, 1), product.dtype(), product.device())?.matmul(&self.bias.unsqueeze(0)?)?;
        (product + bias)?.reshape(out_shape)
    }
}

fn leaky_relu(x: &Tensor) -> Result<Tensor> {
    x.maximum(&(x * LEAKY_RELU_SLOPE)?)
}

/// How the GRU and the LayerNorm → leaky ReLU halves of the stacks are
/// computed for whole sequences (training and offline decoding), and with
/// them the training synth's harmonic bank (`ddsp_training::synth`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LayerKernels {
    /// One candle operation per GRU sequence and per normalised layer,
    /// forward and backward (`crate::gru_sequence`,
    /// `crate::norm_activation`): what the trainer uses.
    #[default]
    Fused,
    /// Plain candle graphs (about fifteen operations per GRU frame, ten per
    /// LayerNorm): the reference the fused operations are tested and
    /// benchmarked against.
    Graph,
}

/// Dense → LayerNorm → leaky ReLU, `num_layers` times (DDSP's `FcStack`).
#[derive(Clone, Debug)]
pub struct FcStack {
    layers: Vec<(Dense, LayerNorm)>,
}

impl FcStack {
    /// A stack from `in_dim` to `units`, tensors under `vb`.
    pub fn new(in_dim: usize, units: usize, num_layers: usize, vb: VarBuilder) -> Result<Self> {
        let norm_config = LayerNormConfig { eps: LAYER_NORM_EPS, ..LayerNormConfig::default() };
        let layers = (0..num_layers)
            .map(|i| {
                let vb = vb.pp(i.to_string());
                let dense = Dense::new(if i == 0 { in_dim } else { units }, units, vb.pp("dense"))?;
                let norm = layer_norm(units, norm_config, vb.pp("norm"))?;
                Ok((dense, norm))
            })
            .collect::<Result<_>>()?;
        Ok(Self { layers })
    }

    /// The layers in order: each dense layer and the LayerNorm after it.
    pub(crate) fn layers(&self) -> &[(Dense, LayerNorm)] {
        &self.layers
    }
}

/// Layer normalisation that gradients pass through: candle's fused
/// LayerNorm operation has no backward pass (it silently stops the
/// gradient), so wherever autograd is tracking, the same maths runs as
/// plain tensor operations; inference keeps the fused, faster kernel.
fn layer_norm_forward(norm: &LayerNorm, x: &Tensor) -> Result<Tensor> {
    let weight = norm.weight();
    let tracking = x.track_op() || weight.track_op() || norm.bias().is_some_and(|b| b.track_op());
    match norm.bias() {
        Some(bias) if tracking => candle_nn::ops::layer_norm_slow(x, weight, bias, LAYER_NORM_EPS as f32),
        _ => norm.forward(x),
    }
}

impl FcStack {
    /// `x` `[..., in]` through every layer, computed as `kernels` says.
    fn forward(&self, x: &Tensor, kernels: LayerKernels) -> Result<Tensor> {
        self.layers.iter().try_fold(x.clone(), |x, (dense, norm)| match (kernels, norm.bias()) {
            (LayerKernels::Fused, Some(bias)) => crate::norm_activation::layer_norm_leaky_relu(
                &dense.forward(&x)?,
                norm.weight(),
                bias,
                LAYER_NORM_EPS,
                LEAKY_RELU_SLOPE,
            ),
            _ => leaky_relu(&layer_norm_forward(norm, &dense.forward(&x)?)?),
        })
    }
}

/// A single-layer GRU in the `reset_after` form shared by PyTorch and Keras:
/// `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`, `h' = (1 − z) ⊙ n + z ⊙ h`.
/// Gate order r, z, n; tensor names as PyTorch's and `candle_nn::GRU`'s.
/// Our own (not `candle_nn::GRU`) so the input projection of a whole
/// sequence runs as one matrix product.
#[derive(Clone, Debug)]
pub struct Gru {
    input: Dense,
    recurrent: Dense,
    hidden: usize,
}

impl Gru {
    /// A GRU from `in_dim` inputs to `hidden` units, tensors under `vb`.
    pub fn new(in_dim: usize, hidden: usize, vb: VarBuilder) -> Result<Self> {
        let init = candle_nn::init::DEFAULT_KAIMING_UNIFORM;
        let zero = candle_nn::Init::Const(0.0);
        Ok(Self {
            input: Dense::from_tensors(
                vb.get_with_hints((3 * hidden, in_dim), "weight_ih_l0", init)?,
                vb.get_with_hints(3 * hidden, "bias_ih_l0", zero)?,
            ),
            recurrent: Dense::from_tensors(
                vb.get_with_hints((3 * hidden, hidden), "weight_hh_l0", init)?,
                vb.get_with_hints(3 * hidden, "bias_hh_l0", zero)?,
            ),
            hidden,
        })
    }

    /// Hidden size.
    pub fn hidden(&self) -> usize {
        self.hidden
    }

    /// The input (`W_ih`, `b_ih`) and recurrent (`W_hh`, `b_hh`) layers.
    pub(crate) fn layers(&self) -> (&Dense, &Dense) {
        (&self.input, &self.recurrent)
    }

    /// `W_ih x + b_ih` for inputs `[..., in_dim]`.
    fn project_input(&self, x: &Tensor) -> Result<Tensor> {
        self.input.forward(x)
    }

    /// Hidden states `[batch, frames, hidden]` and the final state for
    /// projected inputs `[batch, frames, 3·hidden]` from `h0` `[batch, hidden]`,
    /// computed as `kernels` says.
    fn sequence(&self, projected: &Tensor, h0: &Tensor, kernels: LayerKernels) -> Result<(Tensor, Tensor)> {
        match kernels {
            LayerKernels::Fused => {
                let (weight, bias) = self.recurrent.tensors();
                let states = crate::gru_sequence::gru_sequence(projected, weight, bias, h0)?;
                let last = crate::gru_sequence::final_state(&states, h0)?;
                Ok((states, last))
            }
            LayerKernels::Graph => {
                let num_frames = projected.dim(1)?;
                let mut h = h0.clone();
                let mut hidden_states = Vec::with_capacity(num_frames);
                for frame in 0..num_frames {
                    h = self.step_projected(&projected.narrow(1, frame, 1)?.squeeze(1)?, &h)?;
                    hidden_states.push(h.clone());
                }
                let states = match num_frames {
                    0 => Tensor::zeros((h0.dim(0)?, 0, self.hidden), candle_core::DType::F32, h0.device())?,
                    _ => Tensor::stack(&hidden_states, 1)?,
                };
                Ok((states, h))
            }
        }
    }

    /// One step from a projected input `[batch, 3·hidden]` and state
    /// `[batch, hidden]`.
    fn step_projected(&self, projected: &Tensor, h: &Tensor) -> Result<Tensor> {
        let recurrent = self.recurrent.forward(h)?;
        let x = projected.chunk(3, D::Minus1)?;
        let r = recurrent.chunk(3, D::Minus1)?;
        let reset = candle_nn::ops::sigmoid(&(&x[0] + &r[0])?)?;
        let update = candle_nn::ops::sigmoid(&(&x[1] + &r[1])?)?;
        let candidate = (&x[2] + (reset * &r[2])?)?.tanh()?;
        // h' = (1 − z) ⊙ n + z ⊙ h = n + z ⊙ (h − n)
        &candidate + (update * (h - &candidate)?)?
    }
}

/// The GRU state carried between frames: `[batch, gru_units]`.
#[derive(Clone, Debug)]
pub struct DecoderState {
    /// Hidden state.
    pub h: Tensor,
}

/// Raw decoder outputs for a sequence: each `[batch, frames, n]`.
#[derive(Clone, Debug)]
pub struct RawOutputs {
    /// Raw amplitude, `n = 1`.
    pub amplitude: Tensor,
    /// Raw harmonic distribution, `n = num_harmonics`.
    pub harmonics: Tensor,
    /// Raw noise magnitudes, `n = num_noise_bands`.
    pub noise: Tensor,
}

/// The decoder network, DDSP's `RnnFcDecoder` (named as there, so it is
/// not mistaken for `dsp_core::Decoder`, the engine's decoder interface).
#[derive(Clone, Debug)]
pub struct RnnFcDecoder {
    config: DecoderConfig,
    f0_stack: FcStack,
    loudness_stack: FcStack,
    gru: Gru,
    out_stack: FcStack,
    dense_out: Dense,
    /// How whole sequences are computed.
    kernels: LayerKernels,
}

impl RnnFcDecoder {
    /// Builds the network for `config` with tensors from `vb`.
    pub fn new(config: &DecoderConfig, vb: VarBuilder) -> Result<Self> {
        let units = config.mlp_units;
        Ok(Self {
            f0_stack: FcStack::new(1, units, config.mlp_layers, vb.pp("f0_stack"))?,
            loudness_stack: FcStack::new(1, units, config.mlp_layers, vb.pp("loudness_stack"))?,
            gru: Gru::new(2 * units, config.gru_units, vb.pp("gru"))?,
            out_stack: FcStack::new(2 * units + config.gru_units, units, config.mlp_layers, vb.pp("out_stack"))?,
            dense_out: Dense::new(units, config.num_outputs(), vb.pp("dense_out"))?,
            config: config.clone(),
            kernels: LayerKernels::default(),
        })
    }

    /// The configuration the network was built with.
    pub fn config(&self) -> &DecoderConfig {
        &self.config
    }

    /// The layers, for laying them out for the real-time step: the f0,
    /// loudness and output stacks, the GRU and the final dense layer.
    pub(crate) fn parts(&self) -> (&FcStack, &FcStack, &Gru, &FcStack, &Dense) {
        (&self.f0_stack, &self.loudness_stack, &self.gru, &self.out_stack, &self.dense_out)
    }

    /// Chooses how whole sequences are computed (the fused operations
    /// unless told otherwise); for tests and benchmarks against the graph.
    pub fn set_layer_kernels(&mut self, kernels: LayerKernels) {
        self.kernels = kernels;
    }

    /// How whole sequences are computed.
    pub fn layer_kernels(&self) -> LayerKernels {
        self.kernels
    }

    /// A fresh (zero) GRU state for `batch` sequences.
    pub fn initial_state(&self, batch: usize) -> Result<DecoderState> {
        let device = self.dense_out.bias.device();
        Ok(DecoderState { h: Tensor::zeros((batch, self.gru.hidden()), candle_core::DType::F32, device)? })
    }

    /// Whole sequences: scaled features `f0`, `loudness` `[batch, frames, 1]`
    /// from `state` → raw outputs `[batch, frames, n]` and the final state.
    pub fn forward_sequence(
        &self,
        f0_scaled: &Tensor,
        loudness_scaled: &Tensor,
        state: &DecoderState,
    ) -> Result<(RawOutputs, DecoderState)> {
        let f0 = self.f0_stack.forward(f0_scaled, self.kernels)?;
        let loudness = self.loudness_stack.forward(loudness_scaled, self.kernels)?;
        let inputs = Tensor::cat(&[&f0, &loudness], D::Minus1)?;
        let projected = self.gru.project_input(&inputs)?;
        let (rnn, h) = self.gru.sequence(&projected, &state.h, self.kernels)?;
        let raw = self.output_head(&Tensor::cat(&[&inputs, &rnn], D::Minus1)?)?;
        Ok((raw, DecoderState { h }))
    }

    /// One frame: scaled features `[batch, 1]` each → raw outputs
    /// `[batch, 1, n]` and the next state. The same maths as
    /// [`Self::forward_sequence`] on a one-frame sequence.
    ///
    /// The returned state is detached from any autograd history, so a
    /// stream of steps never grows a graph.
    pub fn step(
        &self,
        f0_scaled: &Tensor,
        loudness_scaled: &Tensor,
        state: &DecoderState,
    ) -> Result<(RawOutputs, DecoderState)> {
        let (raw, next) = self.forward_sequence(&f0_scaled.unsqueeze(1)?, &loudness_scaled.unsqueeze(1)?, state)?;
        Ok((raw, DecoderState { h: next.h.detach() }))
    }

    fn output_head(&self, x: &Tensor) -> Result<RawOutputs> {
        let out = self.dense_out.forward(&self.out_stack.forward(x, self.kernels)?)?;
        let harmonics = self.config.num_harmonics;
        Ok(RawOutputs {
            amplitude: out.narrow(D::Minus1, 0, 1)?,
            harmonics: out.narrow(D::Minus1, 1, harmonics)?,
            noise: out.narrow(D::Minus1, 1 + harmonics, self.config.num_noise_bands)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{DType, Device};
    use candle_nn::VarMap;

    use super::*;

    fn random_features(batch: usize, num_frames: usize, seed: u64) -> Result<(Tensor, Tensor)> {
        let mut state = seed;
        let mut next = move || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 40) as f32 / (1u64 << 24) as f32
        };
        let f0: Vec<f32> = (0..batch * num_frames).map(|_| 0.3 + 0.4 * next()).collect();
        let loudness: Vec<f32> = (0..batch * num_frames).map(|_| next()).collect();
        Ok((
            Tensor::from_vec(f0, (batch, num_frames, 1), &Device::Cpu)?,
            Tensor::from_vec(loudness, (batch, num_frames, 1), &Device::Cpu)?,
        ))
    }

    /// Whole-sequence forward and frame-by-frame steps agree on 500 frames.
    #[test]
    fn sequence_and_step_agree() -> Result<()> {
        let decoder = seeded_decoder(&DecoderConfig::small_size(), 3, 6f32.sqrt())?;
        let (f0, loudness) = random_features(1, 500, 7)?;
        let (sequence, _) = decoder.forward_sequence(&f0, &loudness, &decoder.initial_state(1)?)?;
        let sequence = Tensor::cat(&[&sequence.amplitude, &sequence.harmonics, &sequence.noise], D::Minus1)?;

        let mut state = decoder.initial_state(1)?;
        let mut max_difference = 0.0f32;
        for frame in 0..500 {
            let (out, next) = decoder.step(
                &f0.narrow(1, frame, 1)?.squeeze(1)?,
                &loudness.narrow(1, frame, 1)?.squeeze(1)?,
                &state,
            )?;
            state = next;
            let stepped = Tensor::cat(&[&out.amplitude, &out.harmonics, &out.noise], D::Minus1)?;
            let reference = sequence.narrow(1, frame, 1)?;
            let difference = (stepped - reference)?.abs()?.max_all()?.to_scalar::<f32>()?;
            max_difference = max_difference.max(difference);
        }
        assert!(max_difference <= 1e-5, "max difference {max_difference}");
        Ok(())
    }

    /// The fused operations and the candle graphs agree on the outputs
    /// and on every weight's gradient (a weighted sum of all outputs as the
    /// loss, 3 sequences of 60 frames), to 1e-4 of the gradient's scale.
    #[test]
    fn fused_layers_match_the_graph_forward_and_backward() -> Result<()> {
        let config = DecoderConfig {
            mlp_units: 16,
            mlp_layers: 1,
            gru_units: 24,
            num_harmonics: 10,
            num_noise_bands: 5,
            ..DecoderConfig::small_size()
        };
        let varmap = VarMap::new();
        let tensors = crate::checkpoint::initial_tensors(&config, 11, 6f32.sqrt())
            .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
        for (name, tensor) in tensors {
            varmap.data().lock().unwrap().insert(name, candle_core::Var::from_tensor(&tensor)?);
        }
        let mut decoder = RnnFcDecoder::new(&config, VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu))?;
        let (f0, loudness) = random_features(3, 60, 13)?;
        let loss_weights =
            random_features(3, 60 * config.num_outputs(), 17)?.1.reshape((3, 60, config.num_outputs()))?;
        let mut runs = Vec::new();
        for kernels in [LayerKernels::Fused, LayerKernels::Graph] {
            decoder.set_layer_kernels(kernels);
            let (raw, last) = decoder.forward_sequence(&f0, &loudness, &decoder.initial_state(3)?)?;
            let out = Tensor::cat(&[&raw.amplitude, &raw.harmonics, &raw.noise], D::Minus1)?;
            let grads = (&out * &loss_weights)?.sum_all()?.backward()?;
            runs.push((out, last.h, grads));
        }
        let max_difference = |a: &Tensor, b: &Tensor| -> Result<f32> { (a - b)?.abs()?.max_all()?.to_scalar() };
        assert!(max_difference(&runs[0].0, &runs[1].0)? <= 1e-5, "outputs differ");
        assert!(max_difference(&runs[0].1, &runs[1].1)? <= 1e-5, "final states differ");
        for (name, var) in varmap.data().lock().unwrap().iter() {
            let fused = runs[0].2.get(var.as_tensor()).expect("fused gradient");
            let graph = runs[1].2.get(var.as_tensor()).expect("graph gradient");
            let scale = graph.abs()?.max_all()?.to_scalar::<f32>()?.max(1.0);
            let difference = max_difference(fused, graph)?;
            assert!(difference <= 1e-4 * scale, "{name}: gradients differ by {difference} (scale {scale})");
        }
        Ok(())
    }

    /// A decoder with reproducible weights at `scale` × PyTorch's default
    /// initialisation scale (√6: Kaiming-uniform, candle's GRU default).
    fn seeded_decoder(config: &DecoderConfig, seed: u64, scale: f32) -> Result<RnnFcDecoder> {
        let tensors = crate::checkpoint::initial_tensors(config, seed, scale)
            .map_err(|e| candle_core::Error::Msg(e.to_string()))?;
        RnnFcDecoder::new(config, VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu))
    }

    /// The tensor names a checkpoint must hold, for the default size.
    #[test]
    fn tensor_names_follow_the_module_paths() -> Result<()> {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        RnnFcDecoder::new(&DecoderConfig::default_size(), vb)?;
        let data = varmap.data().lock().unwrap();
        for name in [
            "f0_stack.0.dense.weight",
            "loudness_stack.2.norm.bias",
            "gru.weight_hh_l0",
            "out_stack.0.dense.weight",
            "dense_out.bias",
        ] {
            assert!(data.contains_key(name), "missing {name}");
        }
        assert_eq!(data["gru.weight_ih_l0"].dims(), &[1536, 512]);
        assert_eq!(data["out_stack.0.dense.weight"].dims(), &[256, 1024]);
        assert_eq!(data["dense_out.weight"].dims(), &[166, 256]);
        Ok(())
    }
}
