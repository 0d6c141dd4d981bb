//! The wire types: one `Copy`, fixed-capacity record per boundary of the
//! pipeline (features → decoder → synth), defined once and shared by the
//! engine, training and tests.
//!
//! All of them are plain data: creating, copying and reading them is real-time
//! safe.

/// Most harmonics a synth parameter frame can carry (the checkpoint decides how
/// many are used).
pub const MAX_HARMONICS: usize = 160;

/// Most filtered-noise bands a synth parameter frame can carry.
pub const MAX_NOISE_BANDS: usize = 128;

/// One control-rate analysis frame of the input: what the decoder hears.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeatureFrame {
    /// Fundamental frequency in Hz. Always finite and positive: unvoiced frames
    /// carry the last voiced pitch (or a default) so the synth never glides to 0.
    pub f0_hz: f32,
    /// Pitch confidence (periodicity), 0 (noise) … 1 (perfectly periodic).
    pub confidence: f32,
    /// A-weighted loudness in dB, floored at [`crate::loudness::LOUDNESS_FLOOR_DB`].
    pub loudness_db: f32,
}

impl FeatureFrame {
    /// A silent frame at `f0_hz` with no confidence.
    pub const fn silent(f0_hz: f32) -> Self {
        Self { f0_hz, confidence: 0.0, loudness_db: crate::loudness::LOUDNESS_FLOOR_DB }
    }
}

/// The decoder's raw (pre-nonlinearity) outputs for one frame, as in DDSP's
/// `RnnFcDecoder` heads. [`crate::mapping`] turns them into [`SynthParams`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DecoderOutput {
    /// Raw overall harmonic amplitude (before exp-sigmoid).
    pub amplitude_raw: f32,
    /// Raw harmonic distribution; the first `num_harmonics` entries are used.
    pub harmonics_raw: [f32; MAX_HARMONICS],
    /// Raw noise band magnitudes; the first `num_noise_bands` entries are used.
    pub noise_raw: [f32; MAX_NOISE_BANDS],
    /// Number of valid entries in `harmonics_raw`, at most [`MAX_HARMONICS`].
    pub num_harmonics: usize,
    /// Number of valid entries in `noise_raw`, at most [`MAX_NOISE_BANDS`].
    pub num_noise_bands: usize,
}

impl DecoderOutput {
    /// An output with the given sizes (clamped to the capacities) whose raw
    /// values map to silence.
    pub fn silent(num_harmonics: usize, num_noise_bands: usize) -> Self {
        Self {
            amplitude_raw: crate::mapping::SILENT_RAW,
            harmonics_raw: [0.0; MAX_HARMONICS],
            noise_raw: [crate::mapping::SILENT_RAW; MAX_NOISE_BANDS],
            num_harmonics: num_harmonics.min(MAX_HARMONICS),
            num_noise_bands: num_noise_bands.min(MAX_NOISE_BANDS),
        }
    }
}

/// Physical synthesizer controls for one frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SynthParams {
    /// Fundamental frequency of the harmonic bank, Hz.
    pub f0_hz: f32,
    /// Overall linear amplitude of the harmonic bank (sum of all harmonics).
    pub amplitude: f32,
    /// Share of `amplitude` per harmonic (harmonic `k + 1` at index `k`);
    /// sums to 1 over the audible harmonics, or to 0 when none is audible.
    pub harmonic_distribution: [f32; MAX_HARMONICS],
    /// Linear magnitude response of the noise filter per band, bands spread
    /// evenly from 0 Hz to the model's Nyquist frequency.
    pub noise_magnitudes: [f32; MAX_NOISE_BANDS],
    /// Number of valid entries in `harmonic_distribution`.
    pub num_harmonics: usize,
    /// Number of valid entries in `noise_magnitudes`.
    pub num_noise_bands: usize,
}

impl SynthParams {
    /// Silence at `f0_hz` with the given sizes (clamped to the capacities).
    pub fn silent(f0_hz: f32, num_harmonics: usize, num_noise_bands: usize) -> Self {
        Self {
            f0_hz,
            amplitude: 0.0,
            harmonic_distribution: [0.0; MAX_HARMONICS],
            noise_magnitudes: [0.0; MAX_NOISE_BANDS],
            num_harmonics: num_harmonics.min(MAX_HARMONICS),
            num_noise_bands: num_noise_bands.min(MAX_NOISE_BANDS),
        }
    }
}

/// Everything a musician (or the host's automation) sets. Plain values; the
/// engine clamps them to the ranges in [`crate::ranges`] and smooths the
/// continuous ones, so any value is safe to hand in at any block.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UserControls {
    /// Gain applied to the input before analysis and on the dry path, dB.
    pub input_gain_db: f32,
    /// Whole octaves added to the tracked pitch, −2 … +2.
    pub octave_shift: i32,
    /// Fine pitch shift, semitones, −12 … +12.
    pub pitch_shift_semitones: f32,
    /// Frames whose pitch confidence is below this (0 … 1) count as unvoiced.
    pub confidence_threshold: f32,
    /// Added to the tracked loudness before the decoder, dB, −24 … +24.
    pub loudness_shift_db: f32,
    /// Extra attenuation of unvoiced frames, dB, 0 … 60.
    pub quiet_db: f32,
    /// 0 … 1: how far to move the input toward the model's training range
    /// (octaves of pitch, dB of loudness), from a causal running estimate.
    pub auto_adjust: f32,
    /// 0 … 1: how far to pull the pitch toward the nearest equal-tempered
    /// semitone.
    pub autotune: f32,
    /// Level of the harmonic bank, dB.
    pub harmonic_level_db: f32,
    /// Level of the filtered noise, dB.
    pub noise_level_db: f32,
    /// Reverb wet level, 0 … 1 (linear, added to the synth signal).
    pub reverb_mix: f32,
    /// 0 = dry only (delayed by the latency), 1 = synthesized only.
    pub dry_wet: f32,
    /// 0 … 1: how much of the level match's correction to apply (in dB):
    /// at 1 the instrument plays at the input's loudness (plus the loudness
    /// shift), at 0 at the level the model gives it. See
    /// [`crate::level_match`].
    pub level_match: f32,
    /// Gain applied to the final output, dB.
    pub output_gain_db: f32,
    /// Bypass: the output crossfades (20 ms) to the untouched input,
    /// delayed by the latency, so the track stays in time; the engine keeps
    /// analysing, so the sound is back at once when bypass ends.
    pub bypass: bool,
}

impl Default for UserControls {
    fn default() -> Self {
        Self {
            input_gain_db: 0.0,
            octave_shift: 0,
            pitch_shift_semitones: 0.0,
            confidence_threshold: 0.5,
            loudness_shift_db: 0.0,
            quiet_db: 20.0,
            auto_adjust: 0.0,
            autotune: 0.0,
            harmonic_level_db: 0.0,
            noise_level_db: 0.0,
            reverb_mix: 0.3,
            dry_wet: 1.0,
            level_match: 1.0,
            output_gain_db: 0.0,
            bypass: false,
        }
    }
}
