//! What is fixed while an engine runs: the analysis settings (shared with
//! training) and the engine's configuration.

use crate::loudness::REFERENCE_WINDOW_MS;
use crate::pitch::PitchConfig;
use crate::rng::DEFAULT_NOISE_SEED;

/// How the input is analysed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AnalysisConfig {
    /// Pitch tracker settings.
    pub pitch: PitchConfig,
    /// Loudness window, ms (32 ms is the reference definition).
    pub loudness_window_ms: f32,
    /// How far before the end of its windows a frame stands, ms. Part of the
    /// latency; training uses the same value, so the decoder learns what the
    /// plugin plays. The wet path is synthesised as soon as a frame is
    /// analysed whatever this is; it decides which input moment a frame
    /// stands for, and so where the dry path and the host's delay
    /// compensation put the wet sound. The output's pitch follows the
    /// tracked f0 directly, so its alignment with the input depends on this
    /// and on how soon the tracker answers: it follows a voice's vibrato
    /// about 9 ms behind and a change of note in 8–11 ms (165 Hz and up),
    /// so 5.5 ms puts the output pitch 3–5 ms behind the input; with 8 ms
    /// the latency would be 12 ms. Onsets: the 32 ms loudness window puts
    /// them 4–5 ms late (`tests/tests/onsets.rs`).
    pub lookahead_ms: f32,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        Self { pitch: PitchConfig::default(), loudness_window_ms: REFERENCE_WINDOW_MS, lookahead_ms: 5.5 }
    }
}

/// Everything fixed while the engine runs; changing any of it means building
/// a new engine (the plugin does so on activation).
#[derive(Clone, Debug, PartialEq)]
pub struct EngineConfig {
    /// Host sample rate, Hz (22.05–192 kHz supported and tested).
    pub sample_rate_hz: f32,
    /// Largest block `process` will be handed (larger ones are split).
    pub max_block_samples: usize,
    /// Analysis settings.
    pub analysis: AnalysisConfig,
    /// Reverb impulse response (empty: no reverb) and its sample rate, Hz.
    pub reverb_ir: Vec<f32>,
    /// Sample rate of `reverb_ir`, Hz.
    pub reverb_ir_rate_hz: f32,
    /// Seed of the noise synth.
    pub noise_seed: u64,
}

impl EngineConfig {
    /// Defaults at `sample_rate_hz` with blocks of up to `max_block_samples`.
    pub fn new(sample_rate_hz: f32, max_block_samples: usize) -> Self {
        Self {
            sample_rate_hz,
            max_block_samples,
            analysis: AnalysisConfig::default(),
            reverb_ir: Vec::new(),
            reverb_ir_rate_hz: sample_rate_hz,
            noise_seed: DEFAULT_NOISE_SEED,
        }
    }
}
