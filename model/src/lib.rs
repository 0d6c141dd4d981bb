//! The DDSP decoder's side of the product, in candle: the decoder network
//! and its configuration, the control mapping as tensor maths (mirroring
//! `dsp_core::mapping` exactly, so a model trained through it plays the same
//! in the real-time engine), audio files, and the `ddsp` command line.

pub mod audio_file;
pub mod checkpoint;
pub mod config;
pub mod mapping;
pub mod metrics;
pub mod network;
pub mod worker;
