//! Live DDSP timbre transfer as a VST3 and CLAP plugin: nice-plug glue around
//! `dsp_core::Engine`.
//!
//! The engine is built (FFTs planned, buffers sized) in `activate`, which also
//! reports its exact latency to the host; `process` only hands the host's
//! buffers and the current parameter values to the engine. Until trained
//! models arrive through the model crate, the engine runs the additive
//! resynthesis decoder, which stays as the fallback instrument.

mod params;

use std::num::NonZeroU32;
use std::sync::Arc;

use dsp_core::{AdditiveConfig, AdditiveDecoder, Engine, EngineConfig};
use nice_plug::prelude::*;

pub use params::DdspParams;

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
        let config = EngineConfig::new(buffer_config.sample_rate, buffer_config.max_buffer_size as usize);
        let mut engine = Engine::new(&config, AdditiveDecoder::boxed(AdditiveConfig::default()));
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
