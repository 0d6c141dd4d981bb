//! Level match: keeps the instrument at the loudness of what is played.
//!
//! A model turns the input's loudness into the level its instrument has
//! at that loudness in its training audio, but not exactly: on held-out
//! input the shipped models play 0.5–2.5 dB under it on some notes (the
//! low end of a flute or oboe sung at C4, a viola's quiet notes), and
//! a musician A/B-ing dry and wet hears a level drop, not a timbre
//! change. This stage measures both sides with the same A-weighted meter
//! (the input's loudness, and the instrument's output after its reverb,
//! before dry/wet and output gain) and removes the difference: a slow
//! running average (0.3 s) of the frames' differences in dB, each weighted
//! by how far the input is above [`MIN_TEACHING_LOUDNESS_DB`] (so note
//! bodies count more than their quiet ends), gives a correction (at most
//! ±[`MAX_CORRECTION_DB`]) that scales the instrument. Only voiced frames
//! whose difference is within 12 dB of the correction teach it (not an
//! attack the output's window is still catching up with, nor a reverb tail
//! ringing over a quieter note); between notes and in unvoiced passages it
//! holds. The first frame after a reset starts it from no correction, so
//! an instrument more than 12 dB off its input is left as it plays.
//! Weights and differences are bounded, so a burst of garbage or a
//! fortissimo is forgotten within a second or two, as a power average
//! would not be (40 dB louder outweighs ten thousand times). The model
//! still shapes every note's envelope and its timbre at each loudness; the
//! stage only removes its slow level error.
//!
//! A raise never lifts the instrument over [`RAISE_PEAK_CEILING`]
//! (−1 dBFS): per sample, the gain is capped at the ceiling over the
//! instrument's recent peak (instant attack, 0.3 s release), so a sample
//! leaves no louder than the ceiling or than it came. A full-scale square
//! wave or sweep in, all loudness and little crest, would otherwise push a
//! violin past 0 dBFS. Cuts are never limited.
//!
//! What the musician sets is kept: the target is the input's loudness
//! plus the loudness shift, and the harmonic and noise levels stay plain
//! gains (the output is measured as it would play at 0 dB for both, from
//! their shares of the synth's power, [`crate::synth_power`]). The amount
//! (0 … 1) scales the correction in dB; at 0 the stage passes the sound
//! unchanged.
//!
//! Real-time safe after construction: a few multiply-adds per frame; per
//! sample, one smoothed gain and a peak follower.

use crate::smoothing::{Smoother, GAIN_SMOOTHING_MS};

/// Time constant of the averages, seconds: long enough to leave
/// each note's envelope to the model, short enough to follow a change of
/// register or instrument.
pub const AVERAGING_SECONDS: f32 = 0.3;
/// The largest correction either way, dB.
pub const MAX_CORRECTION_DB: f32 = 12.0;
/// Quieter input frames do not teach the averages, dB (breath, room noise
/// and reverb tails are not notes).
pub const MIN_TEACHING_LOUDNESS_DB: f32 = -50.0;
/// The largest weight of a frame: its loudness above the teaching
/// threshold, dB.
const MAX_WEIGHT_DB: f32 = 60.0;
/// The smallest weight of a teaching frame (one whose loudness shift puts
/// it under the threshold), dB.
const MIN_WEIGHT_DB: f32 = 1.0;
/// A frame whose difference is further than this from the correction
/// teaches nothing, dB: that is an attack the output's window has not
/// caught up with, a reverb tail still ringing over a quieter note, or
/// garbage, not a level error.
const MAX_DEVIATION_DB: f32 = MAX_CORRECTION_DB;
/// A raise stops where the instrument's recent peaks reach this, linear
/// (−1 dBFS).
pub const RAISE_PEAK_CEILING: f32 = 0.891;
/// Linear powers below this count as silence.
const SILENT_POWER: f32 = 1e-12;
/// Output at or below this loudness is silence and teaches nothing, dB.
const SILENT_OUTPUT_DB: f32 = crate::loudness::LOUDNESS_FLOOR_DB + 1.0;

/// The running averages and the gain. See the module documentation.
#[derive(Clone, Debug)]
pub struct LevelMatch {
    /// One-pole coefficient of the averages per frame.
    coefficient: f32,
    /// Mean weight of the teaching frames, dB (0: nothing taught since
    /// the reset).
    mean_weight: f32,
    /// Mean of weight × (input − output) loudness, the output as it would
    /// play at 0 dB harmonic and noise level, dB².
    mean_weighted_difference: f32,
    /// Mean A-weighted synth power the model asks for (0 dB levels).
    synth_power: f32,
    /// Mean A-weighted synth power played (after the harmonic and noise
    /// levels), same units as `synth_power`.
    played_power: f32,
    /// Loudness to match of the latest frames, dB, a ring (NaN: the frame
    /// does not teach): the output measured at a frame's end answers the
    /// input of `delay_frames` frames before.
    recent_targets_db: Vec<f32>,
    /// Where the next target goes in `recent_targets_db`.
    next: usize,
    /// The correction, dB (before the amount).
    correction_db: f32,
    /// The gain applied, linear, per sample.
    gain: Smoother,
    /// Per-sample decay of the peak follower (to 1/e over
    /// [`AVERAGING_SECONDS`]).
    peak_release: f32,
    /// The instrument's recent peak magnitude before the gain, linear.
    output_peak: f32,
}

impl LevelMatch {
    /// A stage stepped once per frame at `frame_rate_hz` and once per
    /// sample at `sample_rate_hz`, whose output measurements answer the
    /// input `delay_frames` frames earlier. Allocates: call at preparation
    /// time.
    pub fn new(frame_rate_hz: f32, sample_rate_hz: f32, delay_frames: usize) -> Self {
        let coefficient = 1.0 - (-1.0 / (AVERAGING_SECONDS * frame_rate_hz.max(1.0))).exp();
        Self {
            coefficient,
            mean_weight: 0.0,
            mean_weighted_difference: 0.0,
            synth_power: 0.0,
            played_power: 0.0,
            recent_targets_db: vec![f32::NAN; delay_frames + 1],
            next: 0,
            correction_db: 0.0,
            gain: Smoother::new(GAIN_SMOOTHING_MS, sample_rate_hz, 1.0),
            peak_release: (-1.0 / (AVERAGING_SECONDS * sample_rate_hz.max(1.0))).exp(),
            output_peak: 0.0,
        }
    }

    /// Forgets everything heard: no correction. Real-time safe.
    pub fn reset(&mut self) {
        (self.mean_weight, self.mean_weighted_difference) = (0.0, 0.0);
        (self.synth_power, self.played_power) = (0.0, 0.0);
        self.recent_targets_db.fill(f32::NAN);
        self.next = 0;
        self.correction_db = 0.0;
        self.gain.reset(1.0);
        self.output_peak = 0.0;
    }

    /// The correction learned so far, dB (before the amount). Real-time safe.
    pub fn correction_db(&self) -> f32 {
        self.correction_db
    }

    /// The loudness to match for an analysed frame of `loudness_db` (the
    /// input's, dB) played with `loudness_shift_db`: `None` when the frame
    /// must not teach (unvoiced, or quieter than
    /// [`MIN_TEACHING_LOUDNESS_DB`]). Real-time safe.
    pub fn target_db(voiced: bool, loudness_db: f32, loudness_shift_db: f32) -> Option<f32> {
        (voiced && loudness_db >= MIN_TEACHING_LOUDNESS_DB).then_some(loudness_db + loudness_shift_db)
    }

    /// The synth as it plays at a frame's end: the A-weighted power its
    /// controls ask for ([`crate::synth_power`], harmonics plus noise) and
    /// the power played after the harmonic and noise levels (`h·g_h² +
    /// n·g_n²`, same units). Silent frames change nothing. Real-time safe.
    pub fn synth_frame(&mut self, asked: f32, played: f32) {
        if !(asked > 0.0 && asked.is_finite() && played.is_finite()) {
            return;
        }
        let c = self.coefficient;
        self.synth_power += c * (asked - self.synth_power);
        self.played_power += c * (played - self.played_power);
    }

    /// One analysed frame: the loudness to match ([`Self::target_db`];
    /// `None`: the frame does not teach), the output's loudness over the
    /// window that ends now, both dB, and the amount (0 … 1). Real-time safe.
    pub fn frame(&mut self, target_db: Option<f32>, output_db: f32, amount: f32) {
        let len = self.recent_targets_db.len();
        self.recent_targets_db[self.next] = target_db.unwrap_or(f32::NAN);
        self.next = (self.next + 1) % len;
        // The oldest entry, `len − 1` frames back, which the output measured
        // now answers.
        let input_db = self.recent_targets_db[self.next];
        let levels_share = self.played_power / self.synth_power;
        let audible = output_db > SILENT_OUTPUT_DB && output_db.is_finite();
        if input_db.is_finite() && audible && levels_share > SILENT_POWER {
            let weight = (input_db - MIN_TEACHING_LOUDNESS_DB).clamp(MIN_WEIGHT_DB, MAX_WEIGHT_DB);
            let output_at_0_db = output_db - 10.0 * levels_share.log10();
            let difference = input_db - output_at_0_db;
            let deviation_db = (difference - self.correction_db).abs();
            if deviation_db.is_nan() || deviation_db > MAX_DEVIATION_DB {
                return self.set_gain(amount);
            }
            if self.mean_weight == 0.0 {
                // The first teaching frame since the reset: a history of
                // no correction at its weight.
                self.mean_weight = weight;
            }
            let c = self.coefficient;
            self.mean_weight += c * (weight - self.mean_weight);
            self.mean_weighted_difference += c * (weight * difference - self.mean_weighted_difference);
            self.correction_db =
                (self.mean_weighted_difference / self.mean_weight).clamp(-MAX_CORRECTION_DB, MAX_CORRECTION_DB);
        }
        self.set_gain(amount);
    }

    /// Aims the gain at `amount` (0 … 1; not finite: 1) of the correction.
    fn set_gain(&mut self, amount: f32) {
        let amount = if amount.is_finite() { amount.clamp(0.0, 1.0) } else { 1.0 };
        self.gain.set_target(crate::loudness::db_to_gain(amount * self.correction_db));
        if self.output_peak < 1e-20 {
            // No denormals in long silences.
            self.output_peak = 0.0;
        }
    }

    /// The next sample of the instrument (before the gain) scaled by the
    /// gain, a raise capped at the peak ceiling. Real-time safe.
    #[inline]
    pub fn apply(&mut self, sample: f32) -> f32 {
        let magnitude = sample.abs();
        self.output_peak *= self.peak_release;
        if magnitude > self.output_peak && magnitude.is_finite() {
            self.output_peak = magnitude;
        }
        let gain = self.gain.step();
        if gain > 1.0 && self.output_peak > 0.0 {
            sample * gain.min((RAISE_PEAK_CEILING / self.output_peak).max(1.0))
        } else {
            sample * gain
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME_RATE: f32 = 250.0;
    const RATE: f32 = 48_000.0;

    /// Runs 1000 frames of steady input and output loudness with a synth
    /// whose harmonics have 10 times the noise's power, at the given
    /// harmonic and noise level gains; returns the settled gain in dB.
    fn settle(stage: &mut LevelMatch, input_db: Option<f32>, output_db: f32, levels: (f32, f32), amount: f32) -> f32 {
        for _ in 0..1000 {
            stage.synth_frame(1.1, levels.0 * levels.0 + 0.1 * levels.1 * levels.1);
            stage.frame(input_db, output_db, amount);
            for _ in 0..192 {
                stage.apply(1e-3);
            }
        }
        20.0 * (stage.apply(1e-3) / 1e-3).log10()
    }

    #[test]
    fn a_quiet_instrument_is_brought_to_the_input_level() {
        let mut stage = LevelMatch::new(FRAME_RATE, RATE, 1);
        let gain_db = settle(&mut stage, Some(-10.0), -12.5, (1.0, 1.0), 1.0);
        assert!((gain_db - 2.5).abs() < 0.01, "{gain_db}");
        let mut loud = LevelMatch::new(FRAME_RATE, RATE, 1);
        let gain_db = settle(&mut loud, Some(-20.0), -8.5, (1.0, 1.0), 1.0);
        assert!((gain_db + 11.5).abs() < 0.01, "{gain_db}");
    }

    /// An instrument more than 12 dB off its input (a checkpoint trained
    /// on other levels) is left as it plays: those frames look like
    /// attacks or reverb tails.
    #[test]
    fn an_instrument_far_off_is_left_as_it_plays() {
        let mut stage = LevelMatch::new(FRAME_RATE, RATE, 1);
        assert_eq!(settle(&mut stage, Some(-20.0), -3.0, (1.0, 1.0), 1.0), 0.0);
    }

    /// The first attack, where the output's window is still filling (38 dB
    /// under the input), moves the correction by less than 1 dB (by 1.3 dB
    /// if the frames more than 12 dB off taught it).
    #[test]
    fn the_first_attack_does_not_swing_the_correction() {
        let mut stage = LevelMatch::new(FRAME_RATE, RATE, 0);
        for output_db in [-49.0, -40.0, -30.0, -20.0, -15.0, -12.0, -11.0] {
            stage.synth_frame(1.0, 1.0);
            stage.frame(Some(-11.0), output_db, 1.0);
            assert!(stage.correction_db().abs() < 1.0, "{output_db}: {}", stage.correction_db());
        }
    }

    #[test]
    fn the_amount_scales_the_correction_in_db() {
        let mut stage = LevelMatch::new(FRAME_RATE, RATE, 1);
        let half = settle(&mut stage, Some(-10.0), -14.0, (1.0, 1.0), 0.5);
        assert!((half - 2.0).abs() < 0.01, "{half}");
        let off = settle(&mut stage, Some(-10.0), -14.0, (1.0, 1.0), 0.0);
        assert_eq!(off, 0.0);
    }

    /// A raise stops where the instrument would pass −1 dBFS, sample by
    /// sample: a 6 dB raise lifts a quiet note fully, a loud one only to
    /// the ceiling, and never a sample louder than it came; a cut is never
    /// capped.
    #[test]
    fn a_raise_stops_short_of_full_scale() {
        let mut stage = LevelMatch::new(FRAME_RATE, RATE, 0);
        settle(&mut stage, Some(-10.0), -16.0, (1.0, 1.0), 1.0);
        assert!((stage.correction_db() - 6.0).abs() < 0.01, "{}", stage.correction_db());
        let quiet = stage.apply(0.2);
        assert!((quiet / 0.2 - 1.995).abs() < 0.01, "{quiet}");
        let loud: Vec<f32> = [0.6, -0.7, 0.3, 0.95, 0.5].iter().map(|&x| stage.apply(x)).collect();
        assert!(loud.iter().all(|y| y.abs() <= RAISE_PEAK_CEILING.max(0.95) + 1e-6), "{loud:?}");
        assert!((loud[0] - RAISE_PEAK_CEILING).abs() < 1e-6 && loud[3] == 0.95, "{loud:?}");
        let mut stage = LevelMatch::new(FRAME_RATE, RATE, 0);
        let cut = settle(&mut stage, Some(-10.0), -6.0, (1.0, 1.0), 1.0);
        assert!((cut + 4.0).abs() < 0.01, "{cut}");
        assert!((stage.apply(0.8) / 0.8 - 0.631).abs() < 0.01);
    }

    /// Silence, unvoiced frames and quiet input hold the correction.
    #[test]
    fn rests_hold_the_correction() {
        let mut stage = LevelMatch::new(FRAME_RATE, RATE, 0);
        settle(&mut stage, Some(-10.0), -13.0, (1.0, 1.0), 1.0);
        let quiet = LevelMatch::target_db(true, -60.0, 0.0);
        assert_eq!(quiet, None);
        assert_eq!(LevelMatch::target_db(false, -10.0, 0.0), None);
        assert_eq!(LevelMatch::target_db(true, -10.0, 6.0), Some(-4.0));
        for (input, output) in [(None, -30.0), (quiet, -70.0), (Some(-10.0), -80.0)] {
            let held = settle(&mut stage, input, output, (1.0, 1.0), 1.0);
            assert!((held - 3.0).abs() < 0.01, "{input:?} {output}: {held}");
        }
    }

    /// Turning the harmonics and the noise down by the same 6 dB (half
    /// the amplitude) lowers the output by 6 dB: the stage does not undo the levels the user
    /// sets. With the harmonics (10 times the noise's power) 6 dB down
    /// alone, the measured drop is 10·log10(1.1 / (0.25 + 0.1)) dB, and it
    /// is kept too.
    #[test]
    fn harmonic_and_noise_levels_stay_plain_gains() {
        let mut stage = LevelMatch::new(FRAME_RATE, RATE, 1);
        let both = settle(&mut stage, Some(-10.0), -10.0 + 20.0 * 0.5f32.log10(), (0.5, 0.5), 1.0);
        assert!(both.abs() < 0.01, "{both}");
        let mut stage = LevelMatch::new(FRAME_RATE, RATE, 1);
        let drop_db = 10.0 * (1.1f32 / (0.25 + 0.1)).log10();
        let harmonics = settle(&mut stage, Some(-10.0), -10.0 - drop_db, (0.5, 1.0), 1.0);
        assert!(harmonics.abs() < 0.01, "{harmonics}");
    }

    /// The output measured now is compared with the input `delay_frames`
    /// back: after the input stops teaching, the output still answers
    /// it for three frames, and then nothing changes.
    #[test]
    fn the_output_answers_the_input_a_delay_earlier() {
        let mut stage = LevelMatch::new(FRAME_RATE, RATE, 3);
        settle(&mut stage, Some(-10.0), -12.0, (1.0, 1.0), 1.0);
        assert!((stage.correction_db() - 2.0).abs() < 0.01, "{}", stage.correction_db());
        let mut corrections = Vec::new();
        for _ in 0..6 {
            stage.frame(None, -16.0, 1.0);
            corrections.push(stage.correction_db());
        }
        assert!(corrections[0] > 2.03 && corrections[1] > corrections[0] && corrections[2] > corrections[1]);
        assert!(corrections[3..].iter().all(|&c| c == corrections[2]), "{corrections:?}");
        stage.reset();
        assert_eq!(stage.correction_db(), 0.0);
        assert_eq!(stage.apply(0.5), 0.5);
    }

    #[test]
    fn non_finite_values_change_nothing() {
        let mut stage = LevelMatch::new(FRAME_RATE, RATE, 0);
        settle(&mut stage, Some(-10.0), -11.0, (1.0, 1.0), 1.0);
        stage.synth_frame(f32::NAN, 1.0);
        stage.frame(Some(f32::NAN), f32::INFINITY, f32::NAN);
        stage.frame(Some(-10.0), f32::NAN, 1.0);
        assert!((stage.correction_db() - 1.0).abs() < 0.01);
        assert!(stage.apply(0.5).is_finite());
    }
}
