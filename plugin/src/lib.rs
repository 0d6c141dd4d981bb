//! Live DDSP timbre transfer as a VST3 and CLAP plugin: nice-plug glue around
//! `dsp_core::Engine`.
//!
//! The engine is built (FFTs planned, buffers sized) in `activate`, which also
//! reports its exact latency to the host; `process` only hands the host's
//! buffers and the current parameter values to the engine. The engine plays
//! the bundled default instrument (the model crate's inference worker runs
//! it beside the audio thread); should it ever fail to load, the additive
//! resynthesis decoder plays instead, never silence. Offline processing (a
//! bounce) waits for every model output, so bounces are deterministic.

mod params;

use std::num::NonZeroU32;
use std::sync::Arc;

use ddsp_model::evaluate::model_engine;
use ddsp_model::instruments::{bundled_instrument, DEFAULT_INSTRUMENT};
use dsp_core::{AdditiveConfig, AdditiveDecoder, Engine, EngineConfig};
use nice_plug::prelude::*;

pub use params::DdspParams;

/// The engine the plugin starts with at `sample_rate_hz` and blocks of up
/// to `max_block_samples`: the default instrument, or the additive one if
/// the default cannot be loaded. Allocates: call in `activate`.
pub fn default_engine(sample_rate_hz: f32, max_block_samples: usize) -> Engine {
    bundled_instrument(DEFAULT_INSTRUMENT)
        .and_then(|instrument| instrument.checkpoint().ok())
        .and_then(|checkpoint| model_engine(&checkpoint, sample_rate_hz, max_block_samples).ok())
        .unwrap_or_else(|| {
            let config = EngineConfig::new(sample_rate_hz, max_block_samples);
            Engine::new(&config, AdditiveDecoder::boxed(AdditiveConfig::default()))
        })
}

/// The plugin instance.
pub struct DdspPlugin {
    params: Arc<DdspParams>,
    /// Built in `activate`; `None` before the first activation.
    engine: Option<Engine>,
}

impl Default for DdspPlugin {
    fn default() -> Self {
        Self { params: Arc::new(DdspParams::default()), engine: None }
    }
}

impl Plugin for DdspPlugin {
    const NAME: &'static str = "DDSP Timbre Transfer";
    const VENDOR: &'static str = "DDSP Timbre Transfer";
    const URL: &'static str = "https://example.invalid/ddsp-timbre-transfer";
    const EMAIL: &'static str = "info@example.invalid";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(2),
            main_output_channels: NonZeroU32::new(2),
            ..AudioIOLayout::const_default()
        },
        AudioIOLayout {
            main_input_channels: NonZeroU32::new(1),
            main_output_channels: NonZeroU32::new(1),
            ..AudioIOLayout::const_default()
        },
    ];

    // Parameter changes split the block at the event, so automation lands on
    // the sample it was written for.
    const SAMPLE_ACCURATE_AUTOMATION: bool = true;

    type SysExMessage = ();
    type BackgroundTask = ();
    type Editor = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn activate(
        &mut self,
        _audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let mut engine = default_engine(buffer_config.sample_rate, buffer_config.max_buffer_size as usize);
        engine.set_offline(buffer_config.process_mode == ProcessMode::Offline);
        engine.set_controls(self.params.user_controls());
        engine.reset();
        context.set_latency_samples(engine.latency_samples() as u32);
        self.engine = Some(engine);
        true
    }

    fn reset(&mut self) {
        if let Some(engine) = &mut self.engine {
            engine.reset();
        }
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        _context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let Some(engine) = &mut self.engine else {
            return ProcessStatus::Normal;
        };
        engine.set_controls(self.params.user_controls());
        engine.process(buffer.as_slice());
        ProcessStatus::Normal
    }
}

impl ClapPlugin for DdspPlugin {
    const CLAP_ID: &'static str = "audio.ddsp-timbre-transfer.plugin";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("Follows the pitch and loudness of what you play and re-synthesizes it as another instrument");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[ClapFeature::AudioEffect, ClapFeature::Stereo, ClapFeature::Mono];
}

impl Vst3Plugin for DdspPlugin {
    const VST3_CLASS_ID: [u8; 16] = *b"DdspTimbreXfer01";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] = &[Vst3SubCategory::Fx, Vst3SubCategory::Synth];
}

nice_export_clap!(DdspPlugin);
nice_export_vst3!(DdspPlugin);
