//! AdamW with decoupled weight decay and global gradient-norm clipping.
//!
//! Why our own and not `candle_nn::AdamW`: training must resume after an
//! interruption exactly where it stopped, and candle's optimiser keeps its
//! moment estimates private. Here they are plain named tensors that the
//! training state file stores.

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::{Result, Tensor, Var};

/// Settings of [`AdamW`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamWSettings {
    /// First-moment decay.
    pub beta1: f64,
    /// Second-moment decay.
    pub beta2: f64,
    /// Denominator floor.
    pub epsilon: f64,
    /// Decoupled weight decay per unit of learning rate.
    pub weight_decay: f64,
    /// Gradients are scaled down so their global L2 norm is at most this.
    pub clip_norm: f64,
}

impl Default for AdamWSettings {
    fn default() -> Self {
        Self { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weight_decay: 1e-4, clip_norm: 3.0 }
    }
}

/// The optimiser: named variables with their moment estimates.
pub struct AdamW {
    settings: AdamWSettings,
    vars: Vec<(String, Var)>,
    first_moments: Vec<Tensor>,
    second_moments: Vec<Tensor>,
    steps_taken: u64,
}

impl AdamW {
    /// An optimiser over `vars` (sorted by name for a stable order).
    pub fn new(mut vars: Vec<(String, Var)>, settings: AdamWSettings) -> Result<Self> {
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        let zeros = |v: &Var| v.as_tensor().zeros_like();
        let first_moments = vars.iter().map(|(_, v)| zeros(v)).collect::<Result<_>>()?;
        let second_moments = vars.iter().map(|(_, v)| zeros(v)).collect::<Result<_>>()?;
        Ok(Self { settings, vars, first_moments, second_moments, steps_taken: 0 })
    }

    /// Steps taken so far.
    pub fn steps_taken(&self) -> u64 {
        self.steps_taken
    }

    /// One update at `learning_rate` from `grads`; returns the gradient norm
    /// before clipping. Variables without a gradient are left alone.
    pub fn step(&mut self, grads: &GradStore, learning_rate: f64) -> Result<f64> {
        let mut square_sum = 0.0f64;
        for (_, var) in &self.vars {
            if let Some(grad) = grads.get(var.as_tensor()) {
                square_sum += grad.sqr()?.sum_all()?.to_scalar::<f32>()? as f64;
            }
        }
        let norm = square_sum.sqrt();
        let scale = if norm > self.settings.clip_norm { self.settings.clip_norm / norm } else { 1.0 };
        self.steps_taken += 1;
        let s = &self.settings;
        let t = self.steps_taken as i32;
        let (correction1, correction2) = (1.0 - s.beta1.powi(t), 1.0 - s.beta2.powi(t));
        for (index, (_, var)) in self.vars.iter().enumerate() {
            let Some(grad) = grads.get(var.as_tensor()) else { continue };
            let grad = (grad * scale)?;
            let m = ((&self.first_moments[index] * s.beta1)? + (&grad * (1.0 - s.beta1))?)?;
            let v = ((&self.second_moments[index] * s.beta2)? + (grad.sqr()? * (1.0 - s.beta2))?)?;
            let update = ((&m / correction1)? / ((&v / correction2)?.sqrt()? + s.epsilon)?)?;
            let decayed = (var.as_tensor() * (1.0 - learning_rate * s.weight_decay))?;
            var.set(&(decayed - (update * learning_rate)?)?)?;
            self.first_moments[index] = m;
            self.second_moments[index] = v;
        }
        Ok(norm)
    }

    /// Moment estimates by name (`adam.m.NAME`, `adam.v.NAME`), for the
    /// training state file.
    pub fn state_tensors(&self) -> HashMap<String, Tensor> {
        let mut out = HashMap::new();
        for (index, (name, _)) in self.vars.iter().enumerate() {
            out.insert(format!("adam.m.{name}"), self.first_moments[index].clone());
            out.insert(format!("adam.v.{name}"), self.second_moments[index].clone());
        }
        out
    }

    /// Restores moments written by [`Self::state_tensors`] and the step count.
    pub fn restore(&mut self, tensors: &HashMap<String, Tensor>, steps_taken: u64) -> Result<()> {
        for (index, (name, var)) in self.vars.iter().enumerate() {
            for (prefix, moments) in [("adam.m.", &mut self.first_moments), ("adam.v.", &mut self.second_moments)] {
                let key = format!("{prefix}{name}");
                let tensor =
                    tensors.get(&key).ok_or_else(|| candle_core::Error::Msg(format!("training state lacks {key}")))?;
                if tensor.dims() != var.dims() {
                    candle_core::bail!("training state {key} has shape {:?}, expected {:?}", tensor.dims(), var.dims());
                }
                moments[index] = tensor.clone();
            }
        }
        self.steps_taken = steps_taken;
        Ok(())
    }
}
