//! One-pole parameter smoothing, so automation never steps.

/// Time constant of the engine's and the synth's gain smoothing (output
/// and input gain, dry/wet, reverb mix, harmonic and noise level, level
/// match), ms: no zipper noise, and a change heard at once.
pub const GAIN_SMOOTHING_MS: f32 = 20.0;

/// Moves exponentially toward a target, one step per call.
#[derive(Clone, Copy, Debug)]
pub struct Smoother {
    coefficient: f32,
    current: f32,
    target: f32,
}

impl Smoother {
    /// A smoother reaching ~63 % of a step after `time_constant_ms` when
    /// stepped at `step_rate_hz`, starting settled at `value`. Real-time safe.
    pub fn new(time_constant_ms: f32, step_rate_hz: f32, value: f32) -> Self {
        let steps = (time_constant_ms * 1e-3 * step_rate_hz).max(1e-6);
        Self { coefficient: 1.0 - (-1.0 / steps).exp(), current: value, target: value }
    }

    /// Sets where to move to. Real-time safe.
    pub fn set_target(&mut self, target: f32) {
        self.target = target;
    }

    /// Jumps to `value` and stays there. Real-time safe.
    pub fn reset(&mut self, value: f32) {
        self.current = value;
        self.target = value;
    }

    /// The current value, without stepping.
    pub fn value(&self) -> f32 {
        self.current
    }

    /// Steps once and returns the new value. Real-time safe.
    #[inline]
    pub fn step(&mut self) -> f32 {
        let next = self.current + (self.target - self.current) * self.coefficient;
        // Snap when within float noise, so a settled value is exact. Near
        // 1.0 an f32 step smaller than half an ulp leaves the value where it
        // was (stuck ~3e-5 short of the target with a 20 ms time constant at
        // 48 kHz): that snaps too.
        self.current = if next == self.current || (self.target - next).abs() < 1e-6 { self.target } else { next };
        self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reaches_63_percent_after_one_time_constant() {
        let mut smoother = Smoother::new(10.0, 1000.0, 0.0);
        smoother.set_target(1.0);
        let value = (0..10).map(|_| smoother.step()).last().unwrap();
        assert!((value - 0.632).abs() < 0.02, "{value}");
        let settled = (0..1000).map(|_| smoother.step()).last().unwrap();
        assert_eq!(settled, 1.0);
    }

    /// Slow smoothing at audio rate settles exactly too, both ways (toward
    /// 1.0 the f32 steps would stall ~3e-5 short).
    #[test]
    fn slow_smoothing_settles_exactly() {
        for (from, to) in [(0.0, 1.0), (1.0, 0.0), (0.25, 0.5)] {
            let mut smoother = Smoother::new(20.0, 48_000.0, from);
            smoother.set_target(to);
            let settled = (0..48_000).map(|_| smoother.step()).last().unwrap();
            assert_eq!(settled, to, "{from} → {to}");
        }
    }
}
