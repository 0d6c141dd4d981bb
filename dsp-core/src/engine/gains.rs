//! The output stage's per-sample gains and the input's sanitising.

use crate::loudness::db_to_gain;
use crate::ranges::{self, clamp_f32};
use crate::smoothing::{Smoother, GAIN_SMOOTHING_MS};
use crate::wire::UserControls;
/// Input samples beyond this magnitude are clipped before analysis.
const MAX_INPUT_MAGNITUDE: f32 = 16.0;
/// Magnitudes below this are flushed to zero (no denormals downstream).
const DENORMAL_FLOOR: f32 = 1e-20;

/// Per-sample gains of the output stage, each smoothed over
/// [`GAIN_SMOOTHING_MS`]. Real-time safe after construction.
pub(super) struct GainSmoothers {
    /// Input gain, linear.
    pub(super) input: Smoother,
    /// Output gain, linear.
    pub(super) output: Smoother,
    /// Share of the wet signal, 0 (dry) … 1 (wet).
    pub(super) dry_wet: Smoother,
    /// Share of the reverb in the wet signal, 0 … 1.
    pub(super) reverb_mix: Smoother,
    /// 0 = playing, 1 = bypassed.
    pub(super) bypass: Smoother,
}

impl GainSmoothers {
    /// All gains at 0 until the first reset; allocates nothing.
    pub(super) fn new(sample_rate_hz: f32) -> Self {
        let smoother = || Smoother::new(GAIN_SMOOTHING_MS, sample_rate_hz, 0.0);
        Self { input: smoother(), output: smoother(), dry_wet: smoother(), reverb_mix: smoother(), bypass: smoother() }
    }

    fn targets(controls: &UserControls) -> [f32; 5] {
        [
            db_to_gain(clamp_f32(controls.input_gain_db, &ranges::INPUT_GAIN_DB)),
            db_to_gain(clamp_f32(controls.output_gain_db, &ranges::OUTPUT_GAIN_DB)),
            clamp_f32(controls.dry_wet, &ranges::DRY_WET),
            clamp_f32(controls.reverb_mix, &ranges::REVERB_MIX),
            if controls.bypass { 1.0 } else { 0.0 },
        ]
    }

    fn all(&mut self) -> [&mut Smoother; 5] {
        [&mut self.input, &mut self.output, &mut self.dry_wet, &mut self.reverb_mix, &mut self.bypass]
    }

    /// Glides every gain to what `controls` ask for.
    pub(super) fn set_targets(&mut self, controls: &UserControls) {
        for (smoother, target) in self.all().into_iter().zip(Self::targets(controls)) {
            smoother.set_target(target);
        }
    }

    /// Jumps every gain to what `controls` ask for.
    pub(super) fn reset(&mut self, controls: &UserControls) {
        for (smoother, target) in self.all().into_iter().zip(Self::targets(controls)) {
            smoother.reset(target);
        }
    }
}

/// Level in dB to gain, with the bottom of [`ranges::LEVEL_DB`] meaning off.
pub(super) fn level_to_gain(db: f32) -> f32 {
    let db = clamp_f32(db, &ranges::LEVEL_DB);
    if db <= *ranges::LEVEL_DB.start() {
        0.0
    } else {
        db_to_gain(db)
    }
}

/// A finite, bounded, denormal-free copy of `x`.
#[inline]
pub(super) fn sanitize(x: f32) -> f32 {
    if !x.is_finite() || x.abs() < DENORMAL_FLOOR {
        0.0
    } else {
        x.clamp(-MAX_INPUT_MAGNITUDE, MAX_INPUT_MAGNITUDE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_flushes_non_finite_and_denormal_input_and_clips_the_rest() {
        assert_eq!(sanitize(f32::NAN), 0.0);
        assert_eq!(sanitize(f32::INFINITY), 0.0);
        assert_eq!(sanitize(1e-30), 0.0);
        assert_eq!(sanitize(100.0), MAX_INPUT_MAGNITUDE);
        assert_eq!(sanitize(-0.25), -0.25);
    }

    #[test]
    fn the_bottom_of_the_level_range_is_off() {
        assert_eq!(level_to_gain(*ranges::LEVEL_DB.start()), 0.0);
        assert!((level_to_gain(0.0) - 1.0).abs() < 1e-6);
        assert!((level_to_gain(-6.0) - 0.501).abs() < 1e-3);
    }
}
