//! The decoder interface the engine calls once per frame, and the additive
//! resynthesis decoder that needs no trained model.

use crate::mapping::{exp_sigmoid_inverse, NOISE_INITIAL_BIAS};
use crate::pitch_units::hz_to_midi;
use crate::wire::{DecoderOutput, FeatureFrame, MAX_HARMONICS, MAX_NOISE_BANDS};

/// The pitch and loudness distribution of a model's training audio (5 %,
/// 50 % and 95 % quantiles), used by auto-adjust and the editor's range
/// display.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DatasetStats {
    /// Pitch quantiles, MIDI note numbers.
    pub pitch_midi_quantiles: [f32; 3],
    /// Loudness quantiles, dB (as [`crate::loudness`] measures).
    pub loudness_db_quantiles: [f32; 3],
}

impl DatasetStats {
    /// Median pitch, MIDI note number.
    pub fn median_pitch_midi(&self) -> f32 {
        self.pitch_midi_quantiles[1]
    }

    /// Median loudness, dB.
    pub fn median_loudness_db(&self) -> f32 {
        self.loudness_db_quantiles[1]
    }
}

/// What the engine must know about a decoder before running it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DecoderInfo {
    /// Control rate the decoder was trained at, Hz (50–250).
    pub frame_rate_hz: f32,
    /// Sample rate of the training audio, Hz: the noise bands span
    /// 0 … half of it, and harmonics are masked at the lower of half of it and
    /// the host's Nyquist frequency.
    pub model_rate_hz: f32,
    /// Harmonics the decoder drives, at most [`MAX_HARMONICS`].
    pub num_harmonics: usize,
    /// Noise bands the decoder drives, at most [`MAX_NOISE_BANDS`].
    pub num_noise_bands: usize,
    /// The training audio's pitch and loudness distribution.
    pub dataset: DatasetStats,
}

/// Whether [`Decoder::receive`] delivered the frame's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeStatus {
    /// `out` holds the output for the frame.
    Ready,
    /// The output is not ready in time; `out` was left as it was (the engine
    /// keeps playing the previous controls and counts a late frame).
    Late,
}

/// A decoder driven by the engine on the audio thread: each frame's features
/// are submitted as soon as the frame is analysed, and its output is
/// received when the synth needs it, `extra_latency_samples` later at the
/// earliest. Implementations must be real-time safe in every method the
/// engine calls: `submit`, `receive` (with `wait == false`) and `reset`.
pub trait Decoder: Send {
    /// Sizes and rates; constant for the decoder's life.
    fn info(&self) -> &DecoderInfo;

    /// Extra output delay, host samples, this decoder needs at `host_rate_hz`
    /// with blocks of up to `max_block_samples`, beyond one hop (0 for a
    /// decoder that computes within `submit`). Counted in the engine's
    /// latency.
    fn extra_latency_samples(&self, host_rate_hz: f32, max_block_samples: usize) -> usize {
        let _ = (host_rate_hz, max_block_samples);
        0
    }

    /// Forgets all state (a new take starts). Real-time safe.
    fn reset(&mut self);

    /// Hands over the (user-controlled) features of frame `frame_index`.
    /// Frames arrive in order. Never blocks. Real-time safe.
    fn submit(&mut self, frame_index: u64, features: &FeatureFrame);

    /// Writes the output for `frame_index` (submitted earlier, received in
    /// order) into `out`. With `wait` false it returns at once, `Late` if
    /// the output is not ready (real-time mode; real-time safe). With `wait`
    /// true it blocks until the output is ready (offline mode: bounces are
    /// deterministic).
    fn receive(&mut self, frame_index: u64, wait: bool, out: &mut DecoderOutput) -> DecodeStatus;
}

/// A decoder that computes each frame within the call: implement this and
/// the [`Decoder`] methods follow.
pub trait SyncDecoder: Send {
    /// Sizes and rates.
    fn info(&self) -> &DecoderInfo;
    /// Forgets all state. Real-time safe.
    fn reset(&mut self);
    /// Decodes one frame into `out`. Real-time safe.
    fn decode(&mut self, features: &FeatureFrame, out: &mut DecoderOutput);
}

/// Outputs a [`Synchronous`] decoder keeps: frames submitted but not yet
/// received. A synchronous decoder adds no latency, so at most two frames
/// are ever pending; four leaves room.
const SYNC_OUTPUTS_KEPT: usize = 4;

/// Runs a [`SyncDecoder`] behind the [`Decoder`] interface: `submit`
/// decodes into a small ring, `receive` hands out the requested frame's
/// output.
pub struct Synchronous<D> {
    decoder: D,
    outputs: [DecoderOutput; SYNC_OUTPUTS_KEPT],
}

impl<D: SyncDecoder> Synchronous<D> {
    /// Wraps `decoder`.
    pub fn new(decoder: D) -> Self {
        let info = *decoder.info();
        Self { decoder, outputs: [DecoderOutput::silent(info.num_harmonics, info.num_noise_bands); SYNC_OUTPUTS_KEPT] }
    }
}

impl<D: SyncDecoder> Decoder for Synchronous<D> {
    fn info(&self) -> &DecoderInfo {
        self.decoder.info()
    }

    fn reset(&mut self) {
        self.decoder.reset();
    }

    fn submit(&mut self, frame_index: u64, features: &FeatureFrame) {
        let slot = (frame_index % SYNC_OUTPUTS_KEPT as u64) as usize;
        self.decoder.decode(features, &mut self.outputs[slot]);
    }

    fn receive(&mut self, frame_index: u64, _wait: bool, out: &mut DecoderOutput) -> DecodeStatus {
        *out = self.outputs[(frame_index % SYNC_OUTPUTS_KEPT as u64) as usize];
        DecodeStatus::Ready
    }
}

/// Settings of the [`AdditiveDecoder`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdditiveConfig {
    /// Control rate, Hz.
    pub frame_rate_hz: f32,
    /// Bandwidth reference rate, Hz (noise bands span half of it).
    pub model_rate_hz: f32,
    /// Number of harmonics.
    pub num_harmonics: usize,
    /// Number of noise bands.
    pub num_noise_bands: usize,
    /// Spectral tilt of the harmonics, dB per octave (−6 gives a sawtooth-like
    /// 1/k spectrum).
    pub tilt_db_per_octave: f32,
    /// Noise level relative to the harmonic amplitude, dB.
    pub noise_level_db: f32,
    /// Loudness that maps to a harmonic amplitude of 1, dB (a full-scale
    /// 1 kHz sine measures about 19.8 dB).
    pub full_scale_loudness_db: f32,
}

impl Default for AdditiveConfig {
    fn default() -> Self {
        Self {
            frame_rate_hz: 250.0,
            model_rate_hz: 48_000.0,
            num_harmonics: 100,
            num_noise_bands: 65,
            tilt_db_per_octave: -6.0,
            noise_level_db: -36.0,
            full_scale_loudness_db: 19.8,
        }
    }
}

/// A useful decoder with no learned weights: amplitude follows loudness, the
/// harmonic spectrum is fixed with a configurable tilt, and a little noise
/// adds breath. The plugin falls back to it when no model is loaded.
pub struct AdditiveDecoder {
    config: AdditiveConfig,
    info: DecoderInfo,
    harmonics_raw: [f32; MAX_HARMONICS],
}

impl AdditiveDecoder {
    /// The decoder behind the engine's [`Decoder`] interface.
    pub fn boxed(config: AdditiveConfig) -> Box<dyn Decoder> {
        Box::new(Synchronous::new(Self::new(config)))
    }

    /// A decoder with `config` (sizes clamped to the wire capacities).
    pub fn new(config: AdditiveConfig) -> Self {
        let num_harmonics = config.num_harmonics.clamp(1, MAX_HARMONICS);
        let num_noise_bands = config.num_noise_bands.clamp(2, MAX_NOISE_BANDS);
        let mut harmonics_raw = [0.0; MAX_HARMONICS];
        for (k, raw) in harmonics_raw.iter_mut().enumerate().take(num_harmonics) {
            let level_db = config.tilt_db_per_octave * ((k + 1) as f32).log2();
            *raw = exp_sigmoid_inverse(10f32.powf(level_db / 20.0));
        }
        let info = DecoderInfo {
            frame_rate_hz: config.frame_rate_hz,
            model_rate_hz: config.model_rate_hz,
            num_harmonics,
            num_noise_bands,
            // No training audio: the range any melodic input sits in.
            dataset: DatasetStats {
                pitch_midi_quantiles: [hz_to_midi(80.0), hz_to_midi(300.0), hz_to_midi(1200.0)],
                loudness_db_quantiles: [-50.0, -20.0, 0.0],
            },
        };
        Self { config, info, harmonics_raw }
    }
}

impl SyncDecoder for AdditiveDecoder {
    fn info(&self) -> &DecoderInfo {
        &self.info
    }

    fn reset(&mut self) {}

    fn decode(&mut self, features: &FeatureFrame, out: &mut DecoderOutput) {
        let amplitude = 10f32.powf((features.loudness_db - self.config.full_scale_loudness_db) / 20.0).min(1.0);
        out.amplitude_raw = exp_sigmoid_inverse(amplitude);
        out.num_harmonics = self.info.num_harmonics;
        out.num_noise_bands = self.info.num_noise_bands;
        out.harmonics_raw[..self.info.num_harmonics].copy_from_slice(&self.harmonics_raw[..self.info.num_harmonics]);
        let noise = amplitude * 10f32.powf(self.config.noise_level_db / 20.0);
        let noise_raw = exp_sigmoid_inverse(noise) - NOISE_INITIAL_BIAS;
        out.noise_raw[..self.info.num_noise_bands].fill(noise_raw);
    }
}
