//! A whole GRU sequence as one candle operation, forward and backward.
//!
//! Why our own: as a candle graph, a GRU step is about fifteen small tensor
//! operations (chunks, sums, sigmoids, products) and its backward pass twice
//! that, each with its own allocation and graph bookkeeping, so a training
//! step of the small decoder spent most of its time on per-operation
//! overhead rather than arithmetic. Here a step is one matrix product (the
//! recurrent projection, on candle's matmul) and one plain loop over the
//! gates, which the forward pass keeps; the backward pass runs the
//! recurrence backwards from them with one matrix product per step and
//! forms the weight gradient as one large product at the end.
//!
//! The maths is PyTorch's `reset_after` GRU, as `network::Gru`'s per-frame
//! graph: with the projected input `p = W_ih x + b_ih` and the recurrent
//! projection `q = W_hh h + b_hh`, each split into (r, z, n) parts,
//! `r = σ(p_r + q_r)`, `z = σ(p_z + q_z)`, `n = tanh(p_n + r ⊙ q_n)`,
//! `h' = n + z ⊙ (h − n)`.

use std::sync::Mutex;

use candle_core::{CpuStorage, CustomOp3, Device, Layout, Result, Shape, Tensor};

use crate::op_input::contiguous_f32;

const OP_NAME: &str = "gru-sequence";

/// The operation: the initial state is a constant of it (training starts
/// every sequence from zeros; no gradient flows to it).
struct GruSequenceOp {
    /// `[batch, hidden]`, row-major.
    initial_state: Vec<f32>,
    /// What the forward pass leaves for the backward pass, per sequence,
    /// frame and unit: the reset, update and candidate gates and the
    /// candidate's recurrent part `q_n` (`[batch, frames, 4, hidden]`).
    /// A lock only because candle hands operations around as `Arc`s; it is
    /// taken once per pass.
    gates: Mutex<Vec<f32>>,
}

/// Offsets of each saved quantity within a frame's `4 · hidden` values.
const RESET: usize = 0;
const UPDATE: usize = 1;
const CANDIDATE: usize = 2;
const RECURRENT_CANDIDATE: usize = 3;

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// One frame of one sequence, from its projected input `p` and recurrent
/// projection `q` (each `3·hidden`, parts r, z, n) and the previous state
/// `h`: writes the next state into `next` and the gates into `gates`
/// (`4·hidden`, see [`GruSequenceOp::gates`]).
fn step_state(p: &[f32], q: &[f32], h: &[f32], next: &mut [f32], gates: &mut [f32]) {
    let hidden = h.len();
    for j in 0..hidden {
        let reset = sigmoid(p[j] + q[j]);
        let update = sigmoid(p[hidden + j] + q[hidden + j]);
        let candidate = (p[2 * hidden + j] + reset * q[2 * hidden + j]).tanh();
        next[j] = candidate + update * (h[j] - candidate);
        gates[RESET * hidden + j] = reset;
        gates[UPDATE * hidden + j] = update;
        gates[CANDIDATE * hidden + j] = candidate;
        gates[RECURRENT_CANDIDATE * hidden + j] = q[2 * hidden + j];
    }
}

/// `rows · weightᵀ + bias` for row-major `rows` `[count, in]`, as a row-major
/// vector `[count, out]` (candle's matmul).
fn project(rows: &[f32], count: usize, weight_t: &Tensor, bias: &Tensor) -> Result<Vec<f32>> {
    let in_dim = weight_t.dim(0)?;
    Tensor::from_slice(rows, (count, in_dim), &Device::Cpu)?
        .matmul(weight_t)?
        .broadcast_add(bias)?
        .flatten_all()?
        .to_vec1()
}

impl CustomOp3 for GruSequenceOp {
    fn name(&self) -> &'static str {
        OP_NAME
    }

    /// `projected` `[batch, frames, 3·hidden]`, `W_hh` `[3·hidden, hidden]`,
    /// `b_hh` `[3·hidden]` → hidden states `[batch, frames, hidden]`.
    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (batch, frames, gates) = l1.shape().dims3()?;
        let hidden = gates / 3;
        let projected = contiguous_f32(s1, l1, OP_NAME)?;
        let weight_t =
            Tensor::from_slice(contiguous_f32(s2, l2, OP_NAME)?, (gates, hidden), &Device::Cpu)?.t()?.contiguous()?;
        let bias = Tensor::from_slice(contiguous_f32(s3, l3, OP_NAME)?, gates, &Device::Cpu)?;
        let mut states = vec![0.0f32; batch * frames * hidden];
        let mut saved = vec![0.0f32; batch * frames * 4 * hidden];
        let mut h = self.initial_state.clone();
        for frame in 0..frames {
            let recurrent = project(&h, batch, &weight_t, &bias)?;
            for b in 0..batch {
                let at = b * frames + frame;
                let p = &projected[at * gates..][..gates];
                let out = &mut states[at * hidden..][..hidden];
                let frame_gates = &mut saved[at * 4 * hidden..][..4 * hidden];
                step_state(p, &recurrent[b * gates..][..gates], &h[b * hidden..][..hidden], out, frame_gates);
                h[b * hidden..][..hidden].copy_from_slice(out);
            }
        }
        *self.gates.lock().map_err(|_| candle_core::Error::Msg("gru sequence: poisoned".into()))? = saved;
        Ok((CpuStorage::F32(states), Shape::from((batch, frames, hidden))))
    }

    fn bwd(
        &self,
        projected: &Tensor,
        weight: &Tensor,
        _bias: &Tensor,
        states: &Tensor,
        grad_states: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (batch, frames, gates) = projected.dims3()?;
        let hidden = gates / 3;
        let weight = weight.detach();
        let saved = self.gates.lock().map_err(|_| candle_core::Error::Msg("gru sequence: poisoned".into()))?;
        if saved.len() != batch * frames * 4 * hidden {
            candle_core::bail!("gru sequence: backward pass without its forward pass");
        }
        let state_values = states.detach().flatten_all()?.to_vec1::<f32>()?;
        let grad_values = grad_states.detach().contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        // Each frame's previous state, [batch, frames, hidden].
        let mut previous = vec![0.0f32; batch * frames * hidden];
        for b in 0..batch {
            for frame in 0..frames {
                let source = match frame {
                    0 => &self.initial_state[b * hidden..][..hidden],
                    _ => &state_values[(b * frames + frame - 1) * hidden..][..hidden],
                };
                previous[(b * frames + frame) * hidden..][..hidden].copy_from_slice(source);
            }
        }
        // Gradients of the gates' pre-activations: through p (r, z, n) and
        // through q (r, z, and r ⊙ for n).
        let mut grad_projected = vec![0.0f32; batch * frames * gates];
        let mut grad_recurrent = vec![0.0f32; batch * frames * gates];
        let mut carried = vec![0.0f32; batch * hidden];
        let mut frame_grad_recurrent = vec![0.0f32; batch * gates];
        let mut grad_bias = vec![0.0f32; gates];
        for frame in (0..frames).rev() {
            for b in 0..batch {
                let at = b * frames + frame;
                let g = &saved[at * 4 * hidden..][..4 * hidden];
                let h = &previous[at * hidden..][..hidden];
                let dp = &mut grad_projected[at * gates..][..gates];
                let dq = &mut frame_grad_recurrent[b * gates..][..gates];
                let carry = &mut carried[b * hidden..][..hidden];
                for j in 0..hidden {
                    let reset = g[RESET * hidden + j];
                    let update = g[UPDATE * hidden + j];
                    let candidate = g[CANDIDATE * hidden + j];
                    let dh = grad_values[at * hidden + j] + carry[j];
                    let d_candidate = dh * (1.0 - update) * (1.0 - candidate * candidate);
                    let d_update = dh * (h[j] - candidate) * update * (1.0 - update);
                    let d_reset = d_candidate * g[RECURRENT_CANDIDATE * hidden + j] * reset * (1.0 - reset);
                    dp[j] = d_reset;
                    dp[hidden + j] = d_update;
                    dp[2 * hidden + j] = d_candidate;
                    dq[j] = d_reset;
                    dq[hidden + j] = d_update;
                    dq[2 * hidden + j] = d_candidate * reset;
                    // The direct path h → h'; the path through q is added below.
                    carry[j] = dh * update;
                }
                grad_recurrent[at * gates..][..gates].copy_from_slice(dq);
                grad_bias.iter_mut().zip(dq.iter()).for_each(|(sum, d)| *sum += d);
            }
            let through_weight =
                Tensor::from_slice(&frame_grad_recurrent, (batch, gates), &Device::Cpu)?.matmul(&weight)?;
            for (c, g) in carried.iter_mut().zip(through_weight.flatten_all()?.to_vec1::<f32>()?) {
                *c += g;
            }
        }
        let grad_recurrent = Tensor::from_vec(grad_recurrent, (batch * frames, gates), &Device::Cpu)?;
        let previous = Tensor::from_vec(previous, (batch * frames, hidden), &Device::Cpu)?;
        let grad_weight = grad_recurrent.t()?.matmul(&previous)?;
        let grad_bias = Tensor::from_vec(grad_bias, gates, &Device::Cpu)?;
        let grad_projected = Tensor::from_vec(grad_projected, (batch, frames, gates), &Device::Cpu)?;
        Ok((Some(grad_projected), Some(grad_weight), Some(grad_bias)))
    }
}

/// The GRU's hidden states `[batch, frames, hidden]` for the projected
/// inputs `projected` (`W_ih x + b_ih`, `[batch, frames, 3·hidden]`) from
/// `initial_state` `[batch, hidden]`, with the recurrent weight `weight`
/// `[3·hidden, hidden]` and bias `bias` `[3·hidden]`. Differentiable in the
/// projected inputs and the recurrent weight and bias, not in the initial
/// state.
pub fn gru_sequence(projected: &Tensor, weight: &Tensor, bias: &Tensor, initial_state: &Tensor) -> Result<Tensor> {
    let (batch, _, gates) = projected.dims3()?;
    if gates % 3 != 0 || initial_state.dims() != [batch, gates / 3] || weight.dims() != [gates, gates / 3] {
        candle_core::bail!(
            "gru sequence: projected {:?}, weight {:?}, initial state {:?} do not fit",
            projected.dims(),
            weight.dims(),
            initial_state.dims()
        );
    }
    let op = GruSequenceOp { initial_state: initial_state.flatten_all()?.to_vec1()?, gates: Mutex::new(Vec::new()) };
    projected.contiguous()?.apply_op3(&weight.contiguous()?, &bias.contiguous()?, op)
}

/// The last frame's state of `states` `[batch, frames, hidden]`, or
/// `initial_state` for an empty sequence.
pub fn final_state(states: &Tensor, initial_state: &Tensor) -> Result<Tensor> {
    match states.dim(1)? {
        0 => Ok(initial_state.clone()),
        frames => states.narrow(1, frames - 1, 1)?.squeeze(1),
    }
}
