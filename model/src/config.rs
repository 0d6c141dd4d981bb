//! The decoder's configuration: every size and scale a checkpoint needs to be
//! rebuilt, serialised as JSON inside the checkpoint.

use serde::{Deserialize, Serialize};

/// How features are scaled to the network's input range, as in DDSP's
/// preprocessing (`f0_scaled = midi / 127`, `ld_scaled = dB / 80 + 1`),
/// generalised to explicit ranges: each maps linearly so that `min` → 0 and
/// `max` → 1 (values outside are not clipped).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureScaling {
    /// Pitch mapped to 0, MIDI note number.
    pub f0_midi_min: f32,
    /// Pitch mapped to 1, MIDI note number.
    pub f0_midi_max: f32,
    /// Loudness mapped to 0, dB.
    pub loudness_db_min: f32,
    /// Loudness mapped to 1, dB.
    pub loudness_db_max: f32,
}

impl Default for FeatureScaling {
    /// DDSP's: MIDI 0 … 127 and −80 … 0 dB.
    fn default() -> Self {
        Self { f0_midi_min: 0.0, f0_midi_max: 127.0, loudness_db_min: -80.0, loudness_db_max: 0.0 }
    }
}

impl FeatureScaling {
    /// Network input for a pitch in Hz.
    pub fn scale_f0(&self, f0_hz: f32) -> f32 {
        (dsp_core::pitch_units::hz_to_midi(f0_hz) - self.f0_midi_min) / (self.f0_midi_max - self.f0_midi_min)
    }

    /// Network input for a loudness in dB.
    pub fn scale_loudness(&self, loudness_db: f32) -> f32 {
        (loudness_db - self.loudness_db_min) / (self.loudness_db_max - self.loudness_db_min)
    }
}

/// Sizes and rates of a decoder (DDSP's `RnnFcDecoder`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecoderConfig {
    /// Width of every dense layer in the input and output stacks.
    pub mlp_units: usize,
    /// Dense → LayerNorm → leaky ReLU layers per stack.
    pub mlp_layers: usize,
    /// GRU hidden size.
    pub gru_units: usize,
    /// Harmonics the decoder drives (at most `dsp_core::MAX_HARMONICS`).
    pub num_harmonics: usize,
    /// Noise bands the decoder drives (at most `dsp_core::MAX_NOISE_BANDS`).
    pub num_noise_bands: usize,
    /// Control rate, Hz (50–250).
    pub frame_rate_hz: f32,
    /// Sample rate of the training audio, Hz.
    pub model_rate_hz: f32,
    /// Feature scaling used in training.
    pub feature_scaling: FeatureScaling,
}

impl DecoderConfig {
    /// The default instrument size: GRU 512, 256-wide stacks of 3 layers,
    /// 100 harmonics, 65 noise bands, 250 frames per second at 48 kHz.
    pub fn default_size() -> Self {
        Self {
            mlp_units: 256,
            mlp_layers: 3,
            gru_units: 512,
            num_harmonics: 100,
            num_noise_bands: 65,
            frame_rate_hz: 250.0,
            model_rate_hz: 48_000.0,
            feature_scaling: FeatureScaling::default(),
        }
    }

    /// A small, fast size: GRU 128, 128-wide stacks of 2 layers.
    pub fn small_size() -> Self {
        Self { mlp_units: 128, mlp_layers: 2, gru_units: 128, ..Self::default_size() }
    }

    /// Outputs of the final dense layer: amplitude, harmonics, noise bands.
    pub fn num_outputs(&self) -> usize {
        1 + self.num_harmonics + self.num_noise_bands
    }

    /// Weights of the dense layers, which is also the multiply-adds of one
    /// streaming step (what its cost grows with): the two input stacks, the
    /// GRU's input and recurrent projections, the output stack and the
    /// final layer. Saturates instead of overflowing on absurd sizes.
    pub fn step_weights(&self) -> usize {
        let (units, layers, gru) = (self.mlp_units, self.mlp_layers, self.gru_units);
        let stack = |in_dim: usize| {
            in_dim
                .saturating_mul(units)
                .saturating_add(layers.saturating_sub(1).saturating_mul(units.saturating_mul(units)))
        };
        let input_stacks = stack(1).saturating_mul(2);
        let gru_weights = gru.saturating_mul(3).saturating_mul((2usize.saturating_mul(units)).saturating_add(gru));
        let out_stack = stack(2usize.saturating_mul(units).saturating_add(gru));
        let dense_out = units.saturating_mul(self.num_outputs());
        input_stacks.saturating_add(gru_weights).saturating_add(out_stack).saturating_add(dense_out)
    }
}
