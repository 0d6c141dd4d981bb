//! Training and evaluation of DDSP decoders: audio files and data
//! preparation with `dsp-core`'s own analysis, frame-level targets, the
//! control mapping and the harmonic and noise synths as differentiable
//! tensor maths (mirroring `dsp-core` exactly, so a model trained through
//! them plays the same in the real-time engine), losses, the optimizer and
//! training loop, resynthesis metrics and evaluation, and the fuzzing
//! entry points of the file formats.

pub mod analysis;
pub mod audio_file;
pub mod audio_loss;
pub mod dataset;
pub mod evaluate;
pub mod frame_loss;
pub mod fuzzing;
pub mod mapping;
pub mod metrics;
pub mod noise_synth;
pub mod optimizer;
pub mod reverb;
pub mod spectral;
pub mod synth;
pub mod targets;
pub mod trainer;
