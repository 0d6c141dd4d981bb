//! The DDSP decoder's tensor side, in candle.
//!
//! This crate grows into the decoder network, the checkpoint format, the
//! inference worker and training. Its first piece is [`mapping`]: the control
//! mapping between the decoder's raw outputs and the synth's physical
//! controls, written as differentiable tensor maths that mirror
//! `dsp_core::mapping` exactly, so a model trained through it plays the same
//! in the real-time engine.

pub mod audio_file;
pub mod mapping;
