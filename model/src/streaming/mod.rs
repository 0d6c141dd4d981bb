//! The decoder's real-time step: a loaded checkpoint turned into a streaming
//! network that runs one frame inside the host's `process()`, on the audio
//! thread, allocation-free, lock-free and without system calls.
//!
//! candle loads and validates the checkpoint and builds the network (the
//! same [`crate::network::RnnFcDecoder`] that trains and runs whole sequences);
//! [`StreamingDecoder::new`] then copies its weights once into the layout of
//! [`layers`] and sizes the GRU state and every scratch buffer. Per frame,
//! the matrix-vector products run on candle-core's slice kernel. A
//! candle step through tensors would allocate ~170 times per frame and, on
//! a 2-core machine, ask `num_cpus` (which reads `/proc/cpuinfo`) inside
//! every matmul: neither belongs on an audio thread.
//!
//! Parity with candle's forward is tested over 1,000 streamed frames
//! (`tests/streaming.rs`). Every checkpoint runs this way: the loader
//! refuses decoders larger than `checkpoint::MAX_STEP_WEIGHTS`, so no model
//! needs a thread of its own.

mod layers;

use dsp_core::decoder::{SyncDecoder, Synchronous};
use dsp_core::{DecoderInfo, DecoderOutput, FeatureFrame};

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::config::FeatureScaling;
use crate::network::RnnFcDecoder;
use layers::{StepDense, StepGru, StepStack};

/// A checkpoint's decoder as a real-time step. Construction allocates (call
/// it off the audio thread); [`SyncDecoder::decode`] and
/// [`SyncDecoder::reset`] are real-time safe. [`StreamingDecoder::voice`]
/// gives another step on the same weights (shared, not copied) with its own
/// state, for the voices of a polyphonic synth.
#[derive(Clone)]
pub struct StreamingDecoder {
    /// Engine-side sizes and rates.
    info: DecoderInfo,
    /// Feature scaling the network was trained with.
    scaling: FeatureScaling,
    /// Scaled f0 (1 value) → `mlp_units`.
    f0_stack: StepStack,
    /// Scaled loudness (1 value) → `mlp_units`.
    loudness_stack: StepStack,
    /// The recurrent layer; its state lives at the end of `head_in`.
    gru: StepGru,
    /// `[stacks, GRU state]` → `mlp_units`.
    out_stack: StepStack,
    /// `mlp_units` → amplitude, harmonics and noise bands (raw).
    dense_out: StepDense,
    /// The output stack's input, `[f0 stack, loudness stack, GRU state]`:
    /// the first part is also the GRU's input, and the last `gru_units`
    /// values are the GRU state carried between frames.
    head_in: Vec<f32>,
    /// The output stack's output (`mlp_units`).
    head_out: Vec<f32>,
    /// The final layer's outputs: amplitude, harmonics, noise bands.
    raw: Vec<f32>,
    /// The scaled features of the previous frame (their bits), or `None`
    /// after a reset. While they stay the same (a held note), so do the
    /// input stacks' outputs, the GRU's input projection and the output
    /// stack's product with the stacks: a frame then computes only what
    /// the GRU state changes, about 40 % of the multiply-adds.
    last_features: Option<(u32, u32)>,
}

impl StreamingDecoder {
    /// The step for `checkpoint`. Allocates: never on the audio thread.
    pub fn new(checkpoint: &Checkpoint) -> Result<Self, CheckpointError> {
        Self::from_network(&checkpoint.decoder()?, decoder_info(checkpoint))
    }

    /// The step for a float32 candle `network` whose sizes `info` repeats.
    /// Allocates.
    pub fn from_network(network: &RnnFcDecoder, info: DecoderInfo) -> Result<Self, CheckpointError> {
        let error = |e: candle_core::Error| CheckpointError::Network(e.to_string());
        let (f0_stack, loudness_stack, gru, out_stack, dense_out) = network.parts();
        let (gru_input, gru_recurrent) = gru.layers();
        let step = Self {
            info,
            scaling: network.config().feature_scaling,
            f0_stack: StepStack::new(f0_stack.layers()).map_err(error)?,
            loudness_stack: StepStack::new(loudness_stack.layers()).map_err(error)?,
            gru: StepGru::new(gru_input, gru_recurrent).map_err(error)?,
            out_stack: StepStack::new(out_stack.layers()).map_err(error)?,
            dense_out: StepDense::new(dense_out).map_err(error)?,
            head_in: Vec::new(),
            head_out: Vec::new(),
            raw: Vec::new(),
            last_features: None,
        };
        step.sized()
    }

    /// Another step on the same weights (shared) with its own, fresh GRU
    /// state and buffers. Allocates the buffers only (a few kB).
    pub fn voice(&self) -> Self {
        let mut voice = self.clone();
        voice.reset_state();
        voice
    }

    /// Checks that the layers chain and sizes the buffers.
    fn sized(mut self) -> Result<Self, CheckpointError> {
        let stacks_width = self.f0_stack.out_dim() + self.loudness_stack.out_dim();
        let head_width = stacks_width + self.gru.hidden();
        let num_outputs = 1 + self.info.num_harmonics + self.info.num_noise_bands;
        let chained = self.f0_stack.in_dim() == 1
            && self.loudness_stack.in_dim() == 1
            && self.gru.in_dim() == stacks_width
            && self.out_stack.in_dim() == head_width
            && self.dense_out.in_dim() == self.out_stack.out_dim()
            && self.dense_out.out_dim() == num_outputs
            && self.info.num_harmonics <= dsp_core::MAX_HARMONICS
            && self.info.num_noise_bands <= dsp_core::MAX_NOISE_BANDS;
        if !chained {
            return Err(CheckpointError::Network("the layers' sizes do not chain into a decoder".into()));
        }
        self.head_in = vec![0.0; head_width];
        self.head_out = vec![0.0; self.out_stack.out_dim()];
        self.raw = vec![0.0; num_outputs];
        Ok(self)
    }

    /// Runs one frame of scaled features into `self.raw`, advancing the GRU
    /// state. Real-time safe.
    fn step(&mut self, f0_scaled: f32, loudness_scaled: f32) {
        let units = self.f0_stack.out_dim();
        let stacks_width = units + self.loudness_stack.out_dim();
        let features = (f0_scaled.to_bits(), loudness_scaled.to_bits());
        let changed = self.last_features != Some(features);
        self.last_features = Some(features);
        let (inputs, state) = self.head_in.split_at_mut(stacks_width);
        if changed {
            self.f0_stack.forward(&[f0_scaled], &mut inputs[..units]);
            self.loudness_stack.forward(&[loudness_scaled], &mut inputs[units..]);
        }
        self.gru.forward(inputs, changed, state);
        self.out_stack.forward_split(&self.head_in, stacks_width, changed, &mut self.head_out);
        self.dense_out.forward(&self.head_out, &mut self.raw);
    }

    /// A fresh take: zero GRU state, nothing kept from earlier frames.
    fn reset_state(&mut self) {
        self.head_in.fill(0.0);
        self.last_features = None;
    }
}

impl SyncDecoder for StreamingDecoder {
    fn info(&self) -> &DecoderInfo {
        &self.info
    }

    fn reset(&mut self) {
        self.reset_state();
    }

    fn decode(&mut self, features: &FeatureFrame, out: &mut DecoderOutput) {
        self.step(self.scaling.scale_f0(features.f0_hz), self.scaling.scale_loudness(features.loudness_db));
        let (num_harmonics, num_noise_bands) = (self.info.num_harmonics, self.info.num_noise_bands);
        if !self.raw.iter().chain(&self.head_in).all(|v| v.is_finite()) {
            // Only non-finite features get here (the weights are checked
            // finite at load): play silence and start from a clean state
            // rather than carry NaN in the GRU forever.
            *out = DecoderOutput::silent(num_harmonics, num_noise_bands);
            self.reset();
            return;
        }
        out.num_harmonics = num_harmonics;
        out.num_noise_bands = num_noise_bands;
        out.amplitude_raw = self.raw[0];
        out.harmonics_raw[..num_harmonics].copy_from_slice(&self.raw[1..1 + num_harmonics]);
        out.noise_raw[..num_noise_bands].copy_from_slice(&self.raw[1 + num_harmonics..]);
    }
}

/// The engine's decoder for `checkpoint`: its [`StreamingDecoder`], run
/// synchronously inside `process()` (no latency beyond the engine's own, no
/// thread). Allocates: never on the audio thread.
pub fn engine_decoder(checkpoint: &Checkpoint) -> Result<Box<dyn dsp_core::Decoder>, CheckpointError> {
    Ok(Box::new(Synchronous::new(StreamingDecoder::new(checkpoint)?)))
}

/// Engine-side information for a checkpoint.
pub fn decoder_info(checkpoint: &Checkpoint) -> DecoderInfo {
    let config = &checkpoint.info.config;
    DecoderInfo {
        frame_rate_hz: config.frame_rate_hz,
        model_rate_hz: config.model_rate_hz,
        num_harmonics: config.num_harmonics,
        num_noise_bands: config.num_noise_bands,
        dataset: checkpoint.info.dataset.to_engine(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::CheckpointInfo;
    use crate::config::DecoderConfig;

    /// A voice reads its model's weights, it does not copy them.
    #[test]
    fn voices_share_the_weights() {
        let checkpoint = Checkpoint::initialised(CheckpointInfo::untrained(DecoderConfig::small_size()), 1).unwrap();
        let step = StreamingDecoder::new(&checkpoint).unwrap();
        let voice = step.voice();
        assert!(voice.dense_out.shares_weights_with(&step.dense_out));
        assert!(!StreamingDecoder::new(&checkpoint).unwrap().dense_out.shares_weights_with(&step.dense_out));
    }
}
