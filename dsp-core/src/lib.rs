//! The real-time DDSP core: everything that runs on the host's audio thread.
//!
//! No plugin framework and no neural-network library: analysis (framing,
//! pitch, loudness), feature-domain user controls, the decoder interface,
//! control mapping, synthesis (harmonic bank, filtered noise, reverb) and the
//! [`engine::Engine`] that strings them together. Each public function says
//! whether it is real-time safe; constructors allocate and belong in
//! activation or a background thread.

pub mod biquad;
pub mod controls;
pub mod decoder;
pub mod delay;
pub mod engine;
pub mod feature_track;
pub mod fifo;
pub mod framer;
pub mod harmonic;
pub mod history;
pub mod level_match;
pub mod loudness;
pub mod mapping;
pub mod noise;
pub mod note_out;
pub mod pitch;
pub mod pitch_units;
pub mod ranges;
pub mod resample;
pub mod reverb;
pub mod reverb_level;
pub mod rng;
pub mod smoothing;
pub mod swap;
pub mod synth;
pub mod synth_power;
pub mod wire;

pub use decoder::{AdditiveConfig, AdditiveDecoder, DatasetStats, DecodeStatus, Decoder, DecoderInfo};
pub use engine::{render_clip, AnalysisConfig, Engine, EngineConfig};
pub use wire::{DecoderOutput, FeatureFrame, SynthParams, UserControls, MAX_HARMONICS, MAX_NOISE_BANDS};
