//! The engines the product plays a checkpoint with: the plugin's (real
//! time) and `ddsp render`'s (offline), both with the model's real-time
//! step inside `process()` and the checkpoint's reverb; and the MIDI
//! synth's instruments, one step per voice.

use dsp_core::decoder::Synchronous;
use dsp_core::synth::SynthInstrument;
use dsp_core::{AdditiveConfig, AdditiveDecoder, Decoder, Engine, EngineConfig, UserControls};

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::streaming::{engine_decoder, StreamingDecoder};

/// An engine that plays `checkpoint` at `sample_rate_hz` in blocks of up
/// to `max_block_samples`, with the checkpoint's reverb, the model's
/// real-time step running inside `process()`: how the plugin and `ddsp
/// render` build theirs. Allocates: never on the audio thread.
pub fn model_engine(
    checkpoint: &Checkpoint,
    sample_rate_hz: f32,
    max_block_samples: usize,
) -> Result<Engine, CheckpointError> {
    let config = model_engine_config(checkpoint, sample_rate_hz, max_block_samples);
    Ok(Engine::new(&config, engine_decoder(checkpoint)?))
}

/// The engine configuration [`model_engine`] uses for `checkpoint`: the
/// host's rate and block, the checkpoint's reverb at its model rate.
/// Allocates (copies the reverb).
pub fn model_engine_config(checkpoint: &Checkpoint, sample_rate_hz: f32, max_block_samples: usize) -> EngineConfig {
    let mut config = EngineConfig::new(sample_rate_hz, max_block_samples);
    config.reverb_ir = checkpoint.reverb_ir.clone();
    config.reverb_ir_rate_hz = checkpoint.info.config.model_rate_hz;
    config
}

/// Block size of offline renders.
const OFFLINE_BLOCK_SAMPLES: usize = 1024;

/// [`model_engine`] in offline mode (every frame waited for) with
/// `controls`, in 1024-sample blocks: what `ddsp render` plays.
pub fn offline_engine(
    checkpoint: &Checkpoint,
    sample_rate_hz: f32,
    controls: UserControls,
) -> Result<Engine, CheckpointError> {
    Ok(into_offline(model_engine(checkpoint, sample_rate_hz, OFFLINE_BLOCK_SAMPLES)?, controls))
}

/// The plain additive instrument (no model) in offline mode with
/// `controls`: `ddsp render --model additive` and `ddsp eval`'s baseline.
pub fn additive_offline_engine(sample_rate_hz: f32, controls: UserControls) -> Engine {
    let config = EngineConfig::new(sample_rate_hz, OFFLINE_BLOCK_SAMPLES);
    into_offline(Engine::new(&config, AdditiveDecoder::boxed(AdditiveConfig::default())), controls)
}

/// A file render is a bounce: every decoder output is waited for.
fn into_offline(mut engine: Engine, controls: UserControls) -> Engine {
    engine.set_offline(true);
    engine.set_controls(controls);
    engine.reset();
    engine
}

/// `checkpoint` as the MIDI synth plays it: `voices` real-time steps on one
/// copy of the weights (each voice its own GRU state), and the
/// checkpoint's reverb. Allocates: never on the audio thread.
pub fn synth_instrument(checkpoint: &Checkpoint, voices: usize) -> Result<SynthInstrument, CheckpointError> {
    let step = StreamingDecoder::new(checkpoint)?;
    let voice_decoders = (0..voices).map(|_| Box::new(Synchronous::new(step.voice())) as Box<dyn Decoder>).collect();
    Ok(SynthInstrument {
        voice_decoders,
        reverb_ir: checkpoint.reverb_ir.clone(),
        reverb_ir_rate_hz: checkpoint.info.config.model_rate_hz,
    })
}
