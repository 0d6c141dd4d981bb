//! Training: data preparation with `dsp-core`'s own analysis, frame-level
//! targets, the differentiable synth and losses, and the training loop.

pub mod audio_loss;
pub mod dataset;
pub mod frame_loss;
pub mod noise_synth;
pub mod optimizer;
pub mod report;
pub mod reverb;
pub mod spectral;
pub mod targets;
pub mod trainer;
