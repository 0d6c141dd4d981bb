//! Resynthesis evaluation: play a recording of the instrument through the
//! real engine with a model (offline, exactly as `ddsp render` does) and
//! compare the result with the recording, using the metrics of
//! [`crate::metrics`]: multi-scale spectral loss, loudness L1, and f0 L1 /
//! raw pitch accuracy of the output's pitch against the input's.

use ddsp_model::checkpoint::{Checkpoint, CheckpointError};
use ddsp_model::engine::offline_engine;
use dsp_core::pitch::{track_clip, PitchConfig};
use dsp_core::{render_clip, UserControls};

use crate::metrics::{loudness_l1_db, multi_scale_spectral_loss, pitch_scores, PitchScores};

/// Frame rate of the pitch comparison, Hz.
const PITCH_FRAME_RATE_HZ: f32 = 100.0;
/// Reference frames at or above this confidence count as voiced.
const VOICED_CONFIDENCE: f32 = 0.5;

/// How close a resynthesis is to its input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Resynthesis {
    /// Seconds compared.
    pub seconds: f32,
    /// Multi-scale spectral loss (lower is better).
    pub spectral_loss: f64,
    /// Mean absolute loudness difference, dB.
    pub loudness_l1_db: f64,
    /// Pitch of the output against the input's.
    pub pitch: PitchScores,
}

/// The controls of a resynthesis: the instrument alone, with its own
/// reverb fully in (as it was trained), nothing shifted.
pub fn resynthesis_controls() -> UserControls {
    UserControls { dry_wet: 1.0, reverb_mix: 1.0, ..UserControls::default() }
}

/// Compares `output` with `input` (mono, equally long, at `sample_rate_hz`).
pub fn compare(input: &[f32], output: &[f32], sample_rate_hz: f32) -> Resynthesis {
    let len = input.len().min(output.len());
    let (input, output) = (&input[..len], &output[..len]);
    let hop = (sample_rate_hz / PITCH_FRAME_RATE_HZ).round() as usize;
    let reference = track_clip(input, sample_rate_hz, PITCH_FRAME_RATE_HZ, PitchConfig::default());
    let estimate = track_clip(output, sample_rate_hz, PITCH_FRAME_RATE_HZ, PitchConfig::default());
    let voiced: Vec<bool> = reference.iter().map(|f| f.estimate.confidence >= VOICED_CONFIDENCE).collect();
    let f0 = |track: &[dsp_core::pitch::TrackedFrame]| track.iter().map(|f| f.estimate.f0_hz).collect::<Vec<f32>>();
    Resynthesis {
        seconds: len as f32 / sample_rate_hz,
        spectral_loss: multi_scale_spectral_loss(output, input),
        loudness_l1_db: loudness_l1_db(output, input, sample_rate_hz, hop),
        pitch: pitch_scores(&f0(&estimate), &f0(&reference), &voiced),
    }
}

/// Resynthesises `input` (mono, at `sample_rate_hz`) with `checkpoint` and
/// compares; `on_progress` hears the share rendered (0–1). Allocates and
/// runs the model: offline only.
pub fn evaluate(
    checkpoint: &Checkpoint,
    input: &[f32],
    sample_rate_hz: f32,
    on_progress: impl FnMut(f32),
) -> Result<Resynthesis, CheckpointError> {
    let mut engine = offline_engine(checkpoint, sample_rate_hz, resynthesis_controls())?;
    let output = render_clip(&mut engine, &[input.to_vec()], on_progress);
    Ok(compare(input, &output[0], sample_rate_hz))
}
