//! One-pole parameter smoothing, so automation never steps.

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
        self.current += (self.target - self.current) * self.coefficient;
        // Snap when within float noise, so a settled value is exact.
        if (self.target - self.current).abs() < 1e-6 {
            self.current = self.target;
        }
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
}
