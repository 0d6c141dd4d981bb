//! The audio stage's loss: decoder → synth controls → differentiable
//! harmonic synth + filtered noise → learned reverb → multi-scale spectral
//! loss against the recorded audio of the same frames.
//!
//! Each example is decoded whole (so the GRU has warmed up for half of it),
//! and [`CROP_FRAMES`] frames from its second half are synthesised (from a
//! random offset when examples are longer than two crops; with the 1 s
//! examples of `ddsp train`, the second half exactly). The
//! synth starts one frame early and that frame's samples are dropped, so
//! the crop begins mid-note as the real-time synth would be, not fading in
//! from silence.

use candle_core::{Device, Tensor};

use crate::dataset::{Dataset, Example};
use crate::frame_loss::synth_controls;
use crate::noise_synth::{filtered_noise, NoiseBasis};
use crate::reverb::reverb;
use crate::spectral::protocol_spectral_loss;
use crate::synth::{harmonic_synth, harmonic_synth_graph};
use crate::trainer::candle_error;
use ddsp_model::config::DecoderConfig;
use ddsp_model::network::LayerKernels;
use ddsp_model::network::RnnFcDecoder;

/// Name of the learned reverb's variable: the checkpoint's reverb tensor.
pub const REVERB_IR_VAR: &str = ddsp_model::checkpoint::REVERB_IR_TENSOR;
/// Length of the learned reverb unless the settings ask for another,
/// seconds.
pub const REVERB_SECONDS: f32 = 0.25;
/// Frames synthesised per crop (0.5 s at 250 Hz).
pub const CROP_FRAMES: usize = 125;

/// What the audio stage keeps between steps.
pub struct AudioStage {
    basis: NoiseBasis,
    hop: usize,
    nyquist_hz: f32,
    model_rate_hz: f32,
}

impl AudioStage {
    /// The stage for `config` over `dataset`, whose model rate must be a
    /// whole multiple of the frame rate.
    pub fn new(config: &DecoderConfig, dataset: &Dataset) -> anyhow::Result<Self> {
        let hop = config.model_rate_hz / config.frame_rate_hz;
        if hop.fract() != 0.0 {
            anyhow::bail!("training needs a model rate that is a whole multiple of the frame rate (hop {hop})");
        }
        if dataset.example_frames < 2 * CROP_FRAMES + 2 {
            anyhow::bail!("examples of {} frames are too short for {CROP_FRAMES}-frame crops", dataset.example_frames);
        }
        Ok(Self {
            basis: NoiseBasis::new(config.model_rate_hz, config.num_noise_bands),
            hop: hop as usize,
            nyquist_hz: 0.5 * config.model_rate_hz,
            model_rate_hz: config.model_rate_hz,
        })
    }

    /// The learned reverb's starting point, `seconds` long (at least one
    /// tap): a faint exponentially decaying noise tail (−60 dB at the
    /// start, −120 dB at the end), no direct path.
    pub fn initial_reverb(config: &DecoderConfig, seconds: f32) -> anyhow::Result<Tensor> {
        let taps = ((seconds * config.model_rate_hz) as usize).max(1);
        let mut rng = dsp_core::rng::NoiseRng::new(7);
        let values: Vec<f32> = (0..taps)
            .map(|n| if n == 0 { 0.0 } else { 1e-3 * (-6.9 * n as f32 / taps as f32).exp() * rng.next_sample() })
            .collect();
        Tensor::from_vec(values, taps, &Device::Cpu).map_err(candle_error)
    }

    /// The loss on `examples`; `seed` picks the crops and the noise.
    pub fn loss(
        &self,
        decoder: &RnnFcDecoder,
        reverb_ir: &Tensor,
        dataset: &Dataset,
        examples: &[Example],
        seed: u64,
    ) -> anyhow::Result<Tensor> {
        let config = decoder.config();
        let frames = dataset.example_frames;
        let (b, h) = (examples.len(), self.hop);
        let cpu = &Device::Cpu;
        let span = frames - 2 * CROP_FRAMES - 1;
        let crop_first = |i: usize| frames / 2 - 1 + ((seed >> (i % 8 * 8)) as usize % span.max(1)).min(span);
        let (mut f0_scaled, mut loudness, mut f0_hz) = (Vec::new(), Vec::new(), Vec::new());
        let mut crop_f0 = Vec::with_capacity(b);
        let mut target = Vec::with_capacity(b * CROP_FRAMES * h);
        let mut offsets = Vec::with_capacity(b);
        for (i, example) in examples.iter().enumerate() {
            let clip = &dataset.clips[example.clip];
            let track = &clip.frames_of(example.first_frame, frames);
            for frame in track.iter() {
                f0_hz.push(frame.f0_hz);
                f0_scaled.push(config.feature_scaling.scale_f0(frame.f0_hz));
                loudness.push(config.feature_scaling.scale_loudness(frame.loudness_db));
            }
            let first = crop_first(i);
            offsets.push(first);
            crop_f0.push(track[first..first + CROP_FRAMES + 1].iter().map(|f| f.f0_hz).collect::<Vec<f32>>());
            let start = clip.track.segment_start_sample(example.first_frame + first + 1).round() as i64;
            target.extend((0..CROP_FRAMES * h).map(|n| {
                let index = start + n as i64;
                if index >= 0 {
                    clip.signal.get(index as usize).copied().unwrap_or(0.0)
                } else {
                    0.0
                }
            }));
        }
        let run = || -> candle_core::Result<Tensor> {
            let f0_scaled = Tensor::from_vec(f0_scaled, (b, frames, 1), cpu)?;
            let loudness = Tensor::from_vec(loudness, (b, frames, 1), cpu)?;
            let f0 = Tensor::from_vec(f0_hz, (b, frames, 1), cpu)?;
            let (raw, _) = decoder.forward_sequence(&f0_scaled, &loudness, &decoder.initial_state(b)?)?;
            let (harmonics, noise) = synth_controls(&raw, &f0, self.nyquist_hz)?;
            let crop = |t: &Tensor| -> candle_core::Result<Tensor> {
                let rows = offsets
                    .iter()
                    .enumerate()
                    .map(|(i, &first)| t.narrow(0, i, 1)?.narrow(1, first, CROP_FRAMES + 1))
                    .collect::<candle_core::Result<Vec<_>>>()?;
                Tensor::cat(&rows, 0)
            };
            let synth = match decoder.layer_kernels() {
                LayerKernels::Fused => harmonic_synth,
                LayerKernels::Graph => harmonic_synth_graph,
            };
            let harmonic = synth(&crop_f0, &crop(&harmonics)?, h, self.model_rate_hz)?;
            let seeds: Vec<u64> = (0..b as u64).map(|i| seed.wrapping_add(i).wrapping_mul(0x9E37_79B9) | 1).collect();
            let noise = filtered_noise(&crop(&noise)?, &self.basis, h, &seeds)?;
            let dry = (harmonic + noise)?.narrow(1, h, CROP_FRAMES * h)?;
            let wet = reverb(&dry, reverb_ir)?;
            let target = Tensor::from_vec(target, (b, CROP_FRAMES * h), cpu)?;
            protocol_spectral_loss(&wet, &target, self.model_rate_hz)
        };
        run().map_err(candle_error)
    }
}
