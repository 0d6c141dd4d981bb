//! The host-automatable parameters. Ids are public API: once shipped they
//! never change. Ranges and defaults come from `dsp_core::ranges` and
//! `UserControls::default()`, defined once; the engine smooths every
//! continuous control itself, so these carry no smoothing of their own.

use ddsp_plugin_common::params::{amount, decibels, linear};
use dsp_core::ranges;
use dsp_core::UserControls;
use nice_plug::prelude::*;

use ddsp_plugin_common::instrument_choice::{
    instrument_01_param, instrument_param, InstrumentChoice, InstrumentChoice01,
};
use ddsp_plugin_common::model_file::ModelFile;

/// Every parameter of the plugin.
#[derive(Params)]
pub struct DdspParams {
    /// Gain before analysis and on the dry path, dB.
    #[id = "in_gain"]
    pub input_gain_db: FloatParam,
    /// Whole octaves added to the tracked pitch.
    #[id = "octave"]
    pub octave_shift: IntParam,
    /// Fine pitch shift, semitones.
    #[id = "pitch"]
    pub pitch_shift_semitones: FloatParam,
    /// Frames below this pitch confidence count as unvoiced, 0–1.
    #[id = "conf_thr"]
    pub confidence_threshold: FloatParam,
    /// Added to the tracked loudness, dB.
    #[id = "loud_shift"]
    pub loudness_shift_db: FloatParam,
    /// Extra attenuation of unvoiced frames, dB.
    #[id = "quiet"]
    pub quiet_db: FloatParam,
    /// Move the input toward the model's training range, 0–1.
    #[id = "auto_adj"]
    pub auto_adjust: FloatParam,
    /// Pull toward the nearest semitone, 0–1.
    #[id = "autotune"]
    pub autotune: FloatParam,
    /// Harmonic bank level, dB (bottom of the range: off).
    #[id = "harm_lvl"]
    pub harmonic_level_db: FloatParam,
    /// Filtered noise level, dB (bottom of the range: off).
    #[id = "noise_lvl"]
    pub noise_level_db: FloatParam,
    /// Reverb wet level, 0–1.
    #[id = "reverb"]
    pub reverb_mix: FloatParam,
    /// How much of the level match's correction plays, 0–1 (1: the
    /// instrument at the input's loudness).
    #[id = "lvl_match"]
    pub level_match: FloatParam,
    /// 0 = dry (latency-compensated), 1 = synthesized only.
    #[id = "dry_wet"]
    pub dry_wet: FloatParam,
    /// Output gain, dB.
    #[id = "out_gain"]
    pub output_gain_db: FloatParam,
    /// Which model plays: a bundled instrument or the loaded file. A
    /// switch crossfades (click-free) once the model is ready. Its id is
    /// `ddsp_plugin_common::instrument_choice::INSTRUMENT_PARAM_ID`.
    #[id = "instrument_v2"]
    pub instrument: EnumParam<InstrumentChoice>,
    /// 0.1's instrument parameter (five choices), kept so automation
    /// recorded on it still plays; the instrument chosen last on either
    /// parameter plays (`InstrumentFollower`).
    #[id = "instrument"]
    pub instrument_01: EnumParam<InstrumentChoice01>,
    /// The host's bypass: the input, delayed by the latency, crossfaded in
    /// (the engine keeps listening, so un-bypassing is instant).
    #[id = "bypass"]
    pub bypass: BoolParam,
    /// The loaded checkpoint file, saved with the project.
    #[persist = "model_file"]
    pub model_file: ModelFile,
}

impl Default for DdspParams {
    fn default() -> Self {
        let defaults = UserControls::default();
        Self {
            input_gain_db: decibels("Input Gain", defaults.input_gain_db, &ranges::INPUT_GAIN_DB),
            octave_shift: IntParam::new(
                "Octave Shift",
                defaults.octave_shift,
                IntRange::Linear { min: *ranges::OCTAVE_SHIFT.start(), max: *ranges::OCTAVE_SHIFT.end() },
            )
            .with_unit(" oct"),
            pitch_shift_semitones: FloatParam::new(
                "Pitch Shift",
                defaults.pitch_shift_semitones,
                linear(&ranges::PITCH_SHIFT_SEMITONES),
            )
            .with_unit(" st")
            .with_step_size(0.01)
            .with_value_to_string(formatters::v2s_f32_rounded(2)),
            confidence_threshold: amount(
                "Confidence Threshold",
                defaults.confidence_threshold,
                &ranges::CONFIDENCE_THRESHOLD,
            ),
            loudness_shift_db: decibels("Loudness Shift", defaults.loudness_shift_db, &ranges::LOUDNESS_SHIFT_DB),
            quiet_db: decibels("Quiet", defaults.quiet_db, &ranges::QUIET_DB),
            auto_adjust: amount("Auto-Adjust", defaults.auto_adjust, &ranges::AUTO_ADJUST),
            autotune: amount("Autotune", defaults.autotune, &ranges::AUTOTUNE),
            harmonic_level_db: decibels("Harmonic Level", defaults.harmonic_level_db, &ranges::LEVEL_DB),
            noise_level_db: decibels("Noise Level", defaults.noise_level_db, &ranges::LEVEL_DB),
            reverb_mix: amount("Reverb", defaults.reverb_mix, &ranges::REVERB_MIX),
            level_match: amount("Level Match", defaults.level_match, &ranges::LEVEL_MATCH),
            dry_wet: amount("Dry/Wet", defaults.dry_wet, &ranges::DRY_WET),
            output_gain_db: decibels("Output Gain", defaults.output_gain_db, &ranges::OUTPUT_GAIN_DB),
            instrument: instrument_param(),
            instrument_01: instrument_01_param(),
            bypass: BoolParam::new("Bypass", defaults.bypass).make_bypass(),
            model_file: ModelFile::default(),
        }
    }
}

impl DdspParams {
    /// The current values as engine controls. Real-time safe.
    pub fn user_controls(&self) -> UserControls {
        UserControls {
            input_gain_db: self.input_gain_db.value(),
            octave_shift: self.octave_shift.value(),
            pitch_shift_semitones: self.pitch_shift_semitones.value(),
            confidence_threshold: self.confidence_threshold.value(),
            loudness_shift_db: self.loudness_shift_db.value(),
            quiet_db: self.quiet_db.value(),
            auto_adjust: self.auto_adjust.value(),
            autotune: self.autotune.value(),
            harmonic_level_db: self.harmonic_level_db.value(),
            noise_level_db: self.noise_level_db.value(),
            reverb_mix: self.reverb_mix.value(),
            dry_wet: self.dry_wet.value(),
            level_match: self.level_match.value(),
            output_gain_db: self.output_gain_db.value(),
            bypass: self.bypass.value(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_engine_defaults() {
        assert_eq!(DdspParams::default().user_controls(), UserControls::default());
    }

    #[test]
    fn ids_are_unique_and_stable() {
        let params = DdspParams::default();
        let ids: Vec<String> = params.param_map().into_iter().map(|(id, _, _)| id).collect();
        // Shipped ids: changing any of these breaks saved projects.
        let expected = [
            "in_gain",
            "octave",
            "pitch",
            "conf_thr",
            "loud_shift",
            "quiet",
            "auto_adj",
            "autotune",
            "harm_lvl",
            "noise_lvl",
            "reverb",
            "lvl_match",
            "dry_wet",
            "out_gain",
            "instrument_v2",
            "instrument",
            "bypass",
        ];
        assert_eq!(ids, expected);
    }
}
