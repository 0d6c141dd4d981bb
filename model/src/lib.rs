//! The DDSP decoder's side of the product, in candle: the decoder network
//! and its configuration, the versioned checkpoint format, the real-time
//! step that runs the decoder on the audio thread, the control mapping and
//! the harmonic synth as differentiable tensor maths (mirroring `dsp-core`
//! exactly, so a model trained through them plays the same in the real-time
//! engine), resynthesis metrics, audio files, and the `ddsp` command line.

pub mod analysis;
pub mod audio_file;
pub mod checkpoint;
pub mod config;
pub mod evaluate;
pub mod fuzzing;
pub mod gru_sequence;
pub mod instruments;
pub mod mapping;
pub mod metrics;
pub mod network;
pub mod norm_activation;
mod op_input;
pub mod plot;
pub mod streaming;
pub mod synth;
pub mod train;
