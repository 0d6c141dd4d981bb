//! The DDSP decoder's inference side, in candle: the decoder network and its
//! configuration, the versioned checkpoint format, the real-time step that
//! runs the decoder on the audio thread, the bundled instruments, and the
//! engines the plugin and `ddsp render` play a checkpoint with. Training
//! lives in `ddsp-training`, the command line in `ddsp-cli`.

pub mod checkpoint;
pub mod config;
pub mod engine;
pub mod gru_sequence;
pub mod instruments;
pub mod network;
pub mod norm_activation;
pub mod op_input;
pub mod streaming;
