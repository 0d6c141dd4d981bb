//! Feature-domain user controls, applied to every analysis frame before the
//! decoder: octave and fine pitch shift, autotune, auto-adjust, loudness
//! shift, the confidence gate and quiet. All causal (each frame sees only
//! frames before it) and smoothed, so they are safe to automate while audio
//! runs.

use crate::decoder::DatasetStats;
use crate::pitch_units::{hz_to_midi, midi_to_hz};
use crate::ranges::{self, clamp_f32};
use crate::smoothing::Smoother;
use crate::wire::{FeatureFrame, UserControls};

/// Time constant of continuous control smoothing, ms.
const CONTROL_SMOOTHING_MS: f32 = 30.0;
/// Time constant of the unvoiced attenuation ramp, ms.
const GATE_RAMP_MS: f32 = 20.0;
/// Time constant of auto-adjust's running pitch and loudness estimate, s.
const AUTO_ADJUST_MEMORY_S: f32 = 3.0;
/// Voiced frames stay voiced until confidence falls this far below the
/// threshold (voicing hysteresis).
const VOICING_HYSTERESIS: f32 = 0.1;
/// The confidence gate's voicing decision, frame by frame: on at the
/// threshold, off once confidence falls [`VOICING_HYSTERESIS`] below it.
/// Real-time safe.
#[derive(Clone, Copy, Debug, Default)]
pub struct VoicingGate {
    /// Whether the last frame counted as voiced.
    voiced: bool,
}

impl VoicingGate {
    /// Decides the next frame of confidence `confidence` (0 … 1) against
    /// `threshold`; true: voiced.
    pub fn update(&mut self, confidence: f32, threshold: f32) -> bool {
        let hysteresis = if self.voiced { VOICING_HYSTERESIS } else { 0.0 };
        self.voiced = confidence >= threshold - hysteresis;
        self.voiced
    }

    /// Whether the last frame counted as voiced.
    pub fn is_voiced(&self) -> bool {
        self.voiced
    }
}

/// Frames quieter than this do not teach auto-adjust, dB.
const AUTO_ADJUST_MIN_LOUDNESS_DB: f32 = -60.0;
/// Auto-adjust changes its octave only once the estimate is this far (in
/// octaves) past the midpoint between two octaves.
const AUTO_OCTAVE_HYSTERESIS: f32 = 0.15;
/// Lowest loudness handed to the decoder, dB (below the analysis floor, so
/// quiet can attenuate further).
const MIN_LOUDNESS_DB: f32 = -140.0;
/// Pitch limits of the output, Hz.
const MIN_F0_HZ: f32 = 10.0;
const MAX_F0_HZ: f32 = 20_000.0;

/// Applies [`UserControls`] to analysis frames. Construct at preparation
/// time; everything after is real-time safe.
#[derive(Clone, Debug)]
pub struct FeatureControls {
    pitch_shift_semitones: Smoother,
    loudness_shift_db: Smoother,
    autotune: Smoother,
    auto_adjust: Smoother,
    confidence_threshold: Smoother,
    quiet_db: Smoother,
    unvoiced_attenuation_db: Smoother,
    running_pitch_midi: Smoother,
    running_loudness_db: Smoother,
    has_running_estimate: bool,
    auto_octaves: i32,
    voicing: VoicingGate,
    held_f0_hz: f32,
}

impl FeatureControls {
    /// Controls for frames arriving at `frame_rate_hz`, starting from
    /// `controls` already settled.
    pub fn new(frame_rate_hz: f32, controls: &UserControls) -> Self {
        let smoother = |value: f32| Smoother::new(CONTROL_SMOOTHING_MS, frame_rate_hz, value);
        let mut this = Self {
            pitch_shift_semitones: smoother(0.0),
            loudness_shift_db: smoother(0.0),
            autotune: smoother(0.0),
            auto_adjust: smoother(0.0),
            confidence_threshold: smoother(0.0),
            quiet_db: smoother(0.0),
            unvoiced_attenuation_db: Smoother::new(GATE_RAMP_MS, frame_rate_hz, 0.0),
            running_pitch_midi: Smoother::new(AUTO_ADJUST_MEMORY_S * 1e3, frame_rate_hz, 0.0),
            running_loudness_db: Smoother::new(AUTO_ADJUST_MEMORY_S * 1e3, frame_rate_hz, 0.0),
            has_running_estimate: false,
            auto_octaves: 0,
            voicing: VoicingGate::default(),
            held_f0_hz: crate::pitch::DEFAULT_F0_HZ,
        };
        this.reset(controls);
        this
    }

    /// Forgets all history; continuous controls jump to `controls`.
    /// Real-time safe.
    pub fn reset(&mut self, controls: &UserControls) {
        self.pitch_shift_semitones.reset(clamp_f32(controls.pitch_shift_semitones, &ranges::PITCH_SHIFT_SEMITONES));
        self.loudness_shift_db.reset(clamp_f32(controls.loudness_shift_db, &ranges::LOUDNESS_SHIFT_DB));
        self.autotune.reset(clamp_f32(controls.autotune, &ranges::AUTOTUNE));
        self.auto_adjust.reset(clamp_f32(controls.auto_adjust, &ranges::AUTO_ADJUST));
        self.confidence_threshold.reset(clamp_f32(controls.confidence_threshold, &ranges::CONFIDENCE_THRESHOLD));
        self.quiet_db.reset(clamp_f32(controls.quiet_db, &ranges::QUIET_DB));
        self.unvoiced_attenuation_db.reset(0.0);
        self.has_running_estimate = false;
        self.auto_octaves = 0;
        self.voicing = VoicingGate::default();
        self.held_f0_hz = crate::pitch::DEFAULT_F0_HZ;
    }

    fn set_targets(&mut self, controls: &UserControls) {
        self.pitch_shift_semitones
            .set_target(clamp_f32(controls.pitch_shift_semitones, &ranges::PITCH_SHIFT_SEMITONES));
        self.loudness_shift_db.set_target(clamp_f32(controls.loudness_shift_db, &ranges::LOUDNESS_SHIFT_DB));
        self.autotune.set_target(clamp_f32(controls.autotune, &ranges::AUTOTUNE));
        self.auto_adjust.set_target(clamp_f32(controls.auto_adjust, &ranges::AUTO_ADJUST));
        self.confidence_threshold.set_target(clamp_f32(controls.confidence_threshold, &ranges::CONFIDENCE_THRESHOLD));
        self.quiet_db.set_target(clamp_f32(controls.quiet_db, &ranges::QUIET_DB));
    }

    /// Whether the last frame counted as voiced.
    pub fn is_voiced(&self) -> bool {
        self.voicing.is_voiced()
    }

    /// The loudness shift applied to the last frame (smoothed), dB.
    /// Real-time safe.
    pub fn loudness_shift_db(&self) -> f32 {
        self.loudness_shift_db.value()
    }

    /// Applies `controls` to one analysis frame; `dataset` is the model's
    /// training range (for auto-adjust). Real-time safe.
    pub fn process(&mut self, raw: &FeatureFrame, controls: &UserControls, dataset: &DatasetStats) -> FeatureFrame {
        self.set_targets(controls);
        let pitch_shift = self.pitch_shift_semitones.step();
        let loudness_shift = self.loudness_shift_db.step();
        let autotune = self.autotune.step();
        let auto_adjust = self.auto_adjust.step();
        let threshold = self.confidence_threshold.step();
        let quiet = self.quiet_db.step();

        let voiced = self.voicing.update(raw.confidence, threshold);
        if voiced && raw.f0_hz.is_finite() && raw.f0_hz > 0.0 {
            self.held_f0_hz = raw.f0_hz;
        }
        self.unvoiced_attenuation_db.set_target(if voiced { 0.0 } else { quiet });
        let attenuation = self.unvoiced_attenuation_db.step();

        let input_pitch_midi = hz_to_midi(self.held_f0_hz);
        self.track_running_estimate(input_pitch_midi, raw.loudness_db);
        let (auto_octaves, auto_loudness_db) = self.auto_adjustment(dataset, auto_adjust);

        let octave_shift = controls.octave_shift.clamp(*ranges::OCTAVE_SHIFT.start(), *ranges::OCTAVE_SHIFT.end());
        let mut pitch_midi = input_pitch_midi + 12.0 * (octave_shift + auto_octaves) as f32 + pitch_shift;
        pitch_midi += autotune * (pitch_midi.round() - pitch_midi);

        FeatureFrame {
            f0_hz: midi_to_hz(pitch_midi).clamp(MIN_F0_HZ, MAX_F0_HZ),
            confidence: raw.confidence,
            loudness_db: (raw.loudness_db + loudness_shift + auto_loudness_db - attenuation).max(MIN_LOUDNESS_DB),
        }
    }

    /// Running mean of the voiced, audible input's pitch and loudness.
    fn track_running_estimate(&mut self, pitch_midi: f32, loudness_db: f32) {
        if !self.is_voiced() || loudness_db < AUTO_ADJUST_MIN_LOUDNESS_DB {
            return;
        }
        if !self.has_running_estimate {
            self.running_pitch_midi.reset(pitch_midi);
            self.running_loudness_db.reset(loudness_db);
            self.has_running_estimate = true;
        }
        self.running_pitch_midi.set_target(pitch_midi);
        self.running_loudness_db.set_target(loudness_db);
        self.running_pitch_midi.step();
        self.running_loudness_db.step();
    }

    /// Whole octaves and dB that move the running estimate toward the
    /// dataset's medians, scaled by `amount`.
    fn auto_adjustment(&mut self, dataset: &DatasetStats, amount: f32) -> (i32, f32) {
        if !self.has_running_estimate {
            return (0, 0.0);
        }
        let octaves_off = (dataset.median_pitch_midi() - self.running_pitch_midi.value()) / 12.0;
        if (octaves_off - self.auto_octaves as f32).abs() > 0.5 + AUTO_OCTAVE_HYSTERESIS {
            self.auto_octaves = octaves_off.round() as i32;
        }
        let loudness_off = dataset.median_loudness_db() - self.running_loudness_db.value();
        ((amount * self.auto_octaves as f32).round() as i32, amount * loudness_off)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATS: DatasetStats =
        DatasetStats { pitch_midi_quantiles: [60.0, 72.0, 84.0], loudness_db_quantiles: [-40.0, -20.0, -5.0] };

    fn voiced(f0_hz: f32, loudness_db: f32) -> FeatureFrame {
        FeatureFrame { f0_hz, confidence: 0.95, loudness_db }
    }

    fn settle(controls: &mut FeatureControls, frame: FeatureFrame, user: &UserControls, frames: usize) -> FeatureFrame {
        (0..frames).map(|_| controls.process(&frame, user, &STATS)).last().unwrap()
    }

    #[test]
    fn octave_and_fine_shift_move_the_pitch() {
        let user = UserControls { octave_shift: -1, pitch_shift_semitones: 2.0, ..UserControls::default() };
        let mut controls = FeatureControls::new(250.0, &user);
        let out = settle(&mut controls, voiced(440.0, -20.0), &user, 100);
        assert!((hz_to_midi(out.f0_hz) - (69.0 - 12.0 + 2.0)).abs() < 1e-3);
    }

    #[test]
    fn autotune_pulls_to_the_nearest_semitone() {
        let user = UserControls { autotune: 1.0, ..UserControls::default() };
        let mut controls = FeatureControls::new(250.0, &user);
        let out = settle(&mut controls, voiced(midi_to_hz(60.3), -20.0), &user, 10);
        assert!((hz_to_midi(out.f0_hz) - 60.0).abs() < 1e-3);
    }

    #[test]
    fn unvoiced_frames_hold_pitch_and_ramp_down() {
        let user = UserControls { confidence_threshold: 0.5, quiet_db: 30.0, ..UserControls::default() };
        let mut controls = FeatureControls::new(250.0, &user);
        settle(&mut controls, voiced(300.0, -20.0), &user, 10);
        let breath = FeatureFrame { f0_hz: 1234.0, confidence: 0.1, loudness_db: -20.0 };
        let first = controls.process(&breath, &user, &STATS);
        assert!((first.f0_hz - 300.0).abs() < 1e-3);
        // Ramps, does not jump.
        assert!(first.loudness_db < -20.0 && first.loudness_db > -30.0, "{}", first.loudness_db);
        let later = settle(&mut controls, breath, &user, 100);
        assert!((later.loudness_db - (-50.0)).abs() < 0.1);
    }

    #[test]
    fn auto_adjust_moves_by_octaves_and_toward_the_dataset_loudness() {
        let user = UserControls { auto_adjust: 1.0, ..UserControls::default() };
        let mut controls = FeatureControls::new(250.0, &user);
        // Input two octaves below the dataset median, 20 dB quieter.
        let out = settle(&mut controls, voiced(midi_to_hz(48.3), -40.0), &user, 5000);
        assert!((hz_to_midi(out.f0_hz) - 72.3).abs() < 1e-2, "{}", hz_to_midi(out.f0_hz));
        assert!((out.loudness_db - (-20.0)).abs() < 0.5, "{}", out.loudness_db);
    }

    #[test]
    fn controls_are_smoothed() {
        let mut user = UserControls::default();
        let mut controls = FeatureControls::new(250.0, &user);
        settle(&mut controls, voiced(440.0, -20.0), &user, 10);
        user.loudness_shift_db = 12.0;
        let first = controls.process(&voiced(440.0, -20.0), &user, &STATS);
        assert!(first.loudness_db > -20.0 && first.loudness_db < -10.0);
    }

    /// Voicing starts at the threshold and holds through dips within the
    /// hysteresis.
    #[test]
    fn voicing_holds_through_dips_within_the_hysteresis() {
        let mut gate = VoicingGate::default();
        let decisions: Vec<bool> = [0.2, 0.45, 0.5, 0.41, 0.39, 0.45].iter().map(|&c| gate.update(c, 0.5)).collect();
        assert_eq!(decisions, [false, false, true, true, false, false]);
    }
}
