//! Second-order IIR sections (RBJ audio-EQ cookbook), used for the pitch
//! tracker's anti-alias filter.

/// State magnitudes below this are flushed to zero (−500 dB).
const DENORMAL_GUARD: f32 = 1e-25;

/// One biquad section in transposed direct form II.
#[derive(Clone, Copy, Debug, Default)]
pub struct Biquad {
    b0: f32,
    b1: f32,
    b2: f32,
    a1: f32,
    a2: f32,
    z1: f32,
    z2: f32,
}

impl Biquad {
    /// A low-pass section with corner `cutoff_hz` and quality `q` at
    /// `sample_rate_hz`. Real-time safe.
    pub fn low_pass(sample_rate_hz: f32, cutoff_hz: f32, q: f32) -> Self {
        let w0 = 2.0 * std::f64::consts::PI * cutoff_hz as f64 / sample_rate_hz as f64;
        let alpha = w0.sin() / (2.0 * q as f64);
        let cos_w0 = w0.cos();
        let a0 = 1.0 + alpha;
        let b1 = (1.0 - cos_w0) / a0;
        Self {
            b0: (b1 / 2.0) as f32,
            b1: b1 as f32,
            b2: (b1 / 2.0) as f32,
            a1: (-2.0 * cos_w0 / a0) as f32,
            a2: ((1.0 - alpha) / a0) as f32,
            z1: 0.0,
            z2: 0.0,
        }
    }

    /// Clears the filter's memory. Real-time safe.
    pub fn reset(&mut self) {
        self.z1 = 0.0;
        self.z2 = 0.0;
    }

    /// Filters one sample. Real-time safe.
    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        let y = self.b0 * x + self.z1;
        self.z1 = self.b1 * x - self.a1 * y + self.z2;
        self.z2 = self.b2 * x - self.a2 * y;
        // A decaying state would otherwise sink into denormals, which are
        // slow on x86 wherever flush-to-zero is not set (command line, tests).
        if self.z1.abs() < DENORMAL_GUARD && self.z2.abs() < DENORMAL_GUARD {
            self.z1 = 0.0;
            self.z2 = 0.0;
        }
        y
    }
}

/// Quality factors of the two sections of a 4th-order Butterworth low-pass.
pub const BUTTERWORTH_4_Q: [f32; 2] = [0.541_196_1, 1.306_563];

#[cfg(test)]
mod tests {
    use super::*;

    fn gain_at(frequency_hz: f32) -> f32 {
        let sr = 48_000.0;
        let mut sections = BUTTERWORTH_4_Q.map(|q| Biquad::low_pass(sr, 8_000.0, q));
        // RMS (not peak): at 6 samples per period the samples miss the crest.
        let mut sum_sq = 0.0f64;
        for n in 0..48_000 {
            let x = (2.0 * std::f32::consts::PI * frequency_hz * n as f32 / sr).sin();
            let y = sections.iter_mut().fold(x, |acc, s| s.process(acc));
            if n >= 24_000 {
                sum_sq += (y as f64).powi(2);
            }
        }
        (2.0 * sum_sq / 24_000.0).sqrt() as f32
    }

    #[test]
    fn butterworth_passes_low_and_stops_high() {
        assert!((gain_at(500.0) - 1.0).abs() < 0.01);
        let at_cutoff = gain_at(8_000.0);
        assert!((at_cutoff - std::f32::consts::FRAC_1_SQRT_2).abs() < 0.02, "{at_cutoff}");
        assert!(gain_at(20_000.0) < 0.02);
    }
}
