//! The synth's host-automatable parameters. Ids are public API: once
//! shipped they never change. Ranges come from `dsp_core::ranges` and
//! defaults from `dsp_core::synth::SynthControls::default()`, defined once;
//! the synth glides every continuous control itself (per frame or per
//! sample), so these carry no smoothing of their own.

use std::ops::RangeInclusive;

use ddsp_plugin_common::instrument_choice::{
    instrument_01_param, instrument_param, InstrumentChoice, InstrumentChoice01,
};
use ddsp_plugin_common::model_file::ModelFile;
use ddsp_plugin_common::params::{amount, decibels, linear};
use dsp_core::ranges;
use dsp_core::synth::{AdsrSettings, SynthControls, VoiceMode, MAX_VOICES};
use nice_plug::prelude::*;

/// How notes take voices, as a host parameter.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModeChoice {
    /// Every note its own voice.
    #[id = "poly"]
    #[name = "Poly"]
    Poly,
    /// One voice, last-note priority, each note a new attack.
    #[id = "mono"]
    #[name = "Mono"]
    Mono,
    /// One voice; overlapping notes glide without a new attack.
    #[id = "legato"]
    #[name = "Legato"]
    Legato,
}

impl ModeChoice {
    fn mode(self) -> VoiceMode {
        match self {
            Self::Poly => VoiceMode::Poly,
            Self::Mono => VoiceMode::Mono,
            Self::Legato => VoiceMode::Legato,
        }
    }
}

/// Every parameter of the synth.
#[derive(Params)]
pub struct SynthParams {
    /// Which instrument plays: a bundled one or the loaded file (id
    /// `ddsp_plugin_common::instrument_choice::INSTRUMENT_PARAM_ID`).
    #[id = "instrument_v2"]
    pub instrument: EnumParam<InstrumentChoice>,
    /// 0.1's instrument parameter (five choices), kept so automation
    /// recorded on it still plays; the instrument chosen last on either
    /// parameter plays (`InstrumentFollower`).
    #[id = "instrument"]
    pub instrument_01: EnumParam<InstrumentChoice01>,
    /// The checkpoint file "Loaded File" plays, saved with the project.
    /// Not a host parameter.
    #[persist = "model_file"]
    pub model_file: ModelFile,
    /// Voices playing at once in poly mode.
    #[id = "voices"]
    pub voices: IntParam,
    /// Poly, mono or legato.
    #[id = "mode"]
    pub mode: EnumParam<ModeChoice>,
    /// Glide time per octave in the mono modes, ms.
    #[id = "portamento"]
    pub portamento_ms: FloatParam,
    /// Attack time, ms.
    #[id = "attack"]
    pub attack_ms: FloatParam,
    /// Decay time, ms.
    #[id = "decay"]
    pub decay_ms: FloatParam,
    /// Sustain level below the peak, dB.
    #[id = "sustain"]
    pub sustain_db: FloatParam,
    /// Release time, ms.
    #[id = "release"]
    pub release_ms: FloatParam,
    /// Velocity curve exponent (1 linear, below 1 louder soft notes).
    #[id = "vel_curve"]
    pub velocity_curve: FloatParam,
    /// Pitch-bend range, ± semitones.
    #[id = "bend_range"]
    pub bend_range_semitones: IntParam,
    /// Vibrato rate, Hz.
    #[id = "vib_rate"]
    pub vibrato_rate_hz: FloatParam,
    /// Vibrato depth at full mod wheel, cents.
    #[id = "vib_depth"]
    pub vibrato_depth_cents: FloatParam,
    /// Loudness full pressure adds, dB.
    #[id = "pressure"]
    pub pressure_range_db: FloatParam,
    /// Pitch of A4, Hz.
    #[id = "tuning"]
    pub tuning_a4_hz: FloatParam,
    /// Reverb mix, 0–1.
    #[id = "reverb"]
    pub reverb_mix: FloatParam,
    /// Output gain, dB.
    #[id = "out_gain"]
    pub output_gain_db: FloatParam,
}

fn milliseconds(name: &str, default: f32, range: &RangeInclusive<f32>) -> FloatParam {
    let range = FloatRange::Skewed { min: *range.start(), max: *range.end(), factor: FloatRange::skew_factor(-2.0) };
    FloatParam::new(name, default, range).with_unit(" ms").with_value_to_string(formatters::v2s_f32_rounded(0))
}

impl Default for SynthParams {
    fn default() -> Self {
        let defaults = SynthControls::default();
        let envelope = defaults.envelope;
        Self {
            instrument: instrument_param(),
            instrument_01: instrument_01_param(),
            model_file: ModelFile::default(),
            voices: IntParam::new(
                "Voices",
                defaults.voices as i32,
                IntRange::Linear { min: 1, max: MAX_VOICES as i32 },
            ),
            mode: EnumParam::new("Mode", ModeChoice::Poly),
            portamento_ms: milliseconds("Portamento", defaults.portamento_ms, &ranges::PORTAMENTO_MS),
            attack_ms: milliseconds("Attack", envelope.attack_ms, &ranges::ENVELOPE_MS),
            decay_ms: milliseconds("Decay", envelope.decay_ms, &ranges::ENVELOPE_MS),
            sustain_db: decibels("Sustain", envelope.sustain_db, &ranges::SUSTAIN_DB),
            release_ms: milliseconds("Release", envelope.release_ms, &ranges::ENVELOPE_MS),
            velocity_curve: FloatParam::new(
                "Velocity Curve",
                defaults.velocity_curve,
                FloatRange::Skewed {
                    min: *ranges::VELOCITY_CURVE.start(),
                    max: *ranges::VELOCITY_CURVE.end(),
                    factor: FloatRange::skew_factor(-1.5),
                },
            )
            .with_value_to_string(formatters::v2s_f32_rounded(2)),
            bend_range_semitones: IntParam::new(
                "Bend Range",
                defaults.bend_range_semitones as i32,
                IntRange::Linear {
                    min: *ranges::BEND_RANGE_SEMITONES.start(),
                    max: *ranges::BEND_RANGE_SEMITONES.end(),
                },
            )
            .with_unit(" st"),
            vibrato_rate_hz: FloatParam::new(
                "Vibrato Rate",
                defaults.vibrato_rate_hz,
                linear(&ranges::VIBRATO_RATE_HZ),
            )
            .with_unit(" Hz")
            .with_value_to_string(formatters::v2s_f32_rounded(2)),
            vibrato_depth_cents: FloatParam::new(
                "Vibrato Depth",
                defaults.vibrato_depth_cents,
                linear(&ranges::VIBRATO_DEPTH_CENTS),
            )
            .with_unit(" ct")
            .with_value_to_string(formatters::v2s_f32_rounded(0)),
            pressure_range_db: decibels("Pressure Range", defaults.pressure_range_db, &ranges::PRESSURE_RANGE_DB),
            tuning_a4_hz: FloatParam::new("A4 Tuning", defaults.tuning_a4_hz, linear(&ranges::TUNING_A4_HZ))
                .with_unit(" Hz")
                .with_step_size(0.1)
                .with_value_to_string(formatters::v2s_f32_rounded(1)),
            reverb_mix: amount("Reverb", defaults.reverb_mix, &ranges::REVERB_MIX),
            output_gain_db: decibels("Output Gain", defaults.output_gain_db, &ranges::SYNTH_OUTPUT_GAIN_DB),
        }
    }
}

impl SynthParams {
    /// The current values as synth controls. Real-time safe.
    pub fn controls(&self) -> SynthControls {
        SynthControls {
            voices: self.voices.value().max(1) as usize,
            mode: self.mode.value().mode(),
            portamento_ms: self.portamento_ms.value(),
            envelope: AdsrSettings {
                attack_ms: self.attack_ms.value(),
                decay_ms: self.decay_ms.value(),
                sustain_db: self.sustain_db.value(),
                release_ms: self.release_ms.value(),
            },
            velocity_curve: self.velocity_curve.value(),
            bend_range_semitones: self.bend_range_semitones.value() as f32,
            vibrato_rate_hz: self.vibrato_rate_hz.value(),
            vibrato_depth_cents: self.vibrato_depth_cents.value(),
            pressure_range_db: self.pressure_range_db.value(),
            tuning_a4_hz: self.tuning_a4_hz.value(),
            reverb_mix: self.reverb_mix.value(),
            output_gain_db: self.output_gain_db.value(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_synth_defaults() {
        assert_eq!(SynthParams::default().controls(), SynthControls::default());
    }
}
