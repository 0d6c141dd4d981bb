//! Keeps the instrument's level where the model was trained at every reverb
//! setting, so the reverb control changes the room, not the loudness.
//!
//! A model is trained with its learned impulse response fully in
//! (`dry + wet`), and the response learns more than a room: it also shapes
//! and carries level (measured on the shipped instruments: up to 7.5 dB of
//! their level at the lowest harmonics, averaged over 200–500 Hz). Turning
//! the reverb down to `mix` would play `dry + mix · wet`, quieter by that
//! much. Here slow running averages of the powers of `dry` and `wet` and
//! of their product give the power of `dry + m · wet` for any `m`
//! (`P_d + 2m·C + m²·P_w`), and the output is scaled by `√(P(1) / P(mix))`:
//! the level of the trained setting, with the balance of the chosen one.
//! At `mix = 1` the gain is exactly 1.
//!
//! Real-time safe: a few multiply-adds, one division and one square root
//! per sample; no allocation.

/// Time constant of the power averages, seconds: long enough to average
/// over notes, short enough to follow a change of instrument or register.
pub const AVERAGING_SECONDS: f32 = 0.3;
/// The largest gain applied, linear (+12 dB).
pub const MAX_GAIN: f32 = 4.0;
/// Powers below this are taken as silence (and flushed to zero, so long
/// silences never reach denormal numbers).
const SILENT_POWER: f32 = 1e-20;

/// The running averages. See the module documentation.
#[derive(Clone, Debug)]
pub struct ReverbLevel {
    /// One-pole coefficient of the averages per sample.
    coefficient: f32,
    /// Mean `dry²`, linear power.
    dry_power: f32,
    /// Mean `wet²`, linear power.
    wet_power: f32,
    /// Mean `dry · wet`, linear power.
    cross_power: f32,
}

impl ReverbLevel {
    /// Averages for a stream at `sample_rate_hz`. Allocates nothing.
    pub fn new(sample_rate_hz: f32) -> Self {
        let coefficient = 1.0 - (-1.0 / (AVERAGING_SECONDS * sample_rate_hz.max(1.0))).exp();
        Self { coefficient, dry_power: 0.0, wet_power: 0.0, cross_power: 0.0 }
    }

    /// Forgets everything heard. Real-time safe.
    pub fn reset(&mut self) {
        (self.dry_power, self.wet_power, self.cross_power) = (0.0, 0.0, 0.0);
    }

    /// One output sample from the dry synth sample `dry`, the reverb's wet
    /// sample `wet` and the reverb control `mix` (0 … 1). Real-time safe.
    pub fn mix(&mut self, dry: f32, wet: f32, mix: f32) -> f32 {
        let c = self.coefficient;
        self.dry_power += c * (dry * dry - self.dry_power);
        self.wet_power += c * (wet * wet - self.wet_power);
        self.cross_power += c * (dry * wet - self.cross_power);
        for power in [&mut self.dry_power, &mut self.wet_power] {
            if *power < SILENT_POWER {
                *power = 0.0;
            }
        }
        if self.cross_power.abs() < SILENT_POWER {
            self.cross_power = 0.0;
        }
        let out = dry + mix * wet;
        if mix >= 1.0 {
            return out;
        }
        let power_at = |m: f32| self.dry_power + 2.0 * m * self.cross_power + m * m * self.wet_power;
        let (trained, chosen) = (power_at(1.0), power_at(mix));
        if trained <= SILENT_POWER || chosen <= SILENT_POWER {
            return out;
        }
        out * (trained / chosen).sqrt().min(MAX_GAIN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: f32 = 48_000.0;

    /// A tone and a "reverb" that boosts it: the wet is the dry, 0.5 ms late,
    /// twice as loud, plus an unrelated tone (the room).
    fn signals(len: usize) -> (Vec<f32>, Vec<f32>) {
        let tone = |n: usize, f: f32| (2.0 * std::f32::consts::PI * f * n as f32 / RATE).sin();
        let dry: Vec<f32> = (0..len).map(|n| 0.2 * tone(n, 196.0)).collect();
        let wet = (0..len)
            .map(|n| 2.0 * dry.get(n.wrapping_sub(24)).copied().unwrap_or(0.0) + 0.05 * tone(n, 613.0))
            .collect();
        (dry, wet)
    }

    fn rms_db(x: &[f32]) -> f32 {
        10.0 * (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).log10()
    }

    /// At every reverb setting the level settles at the fully-in level,
    /// within 0.2 dB; at 1 the output is exactly `dry + wet`.
    #[test]
    fn every_setting_plays_at_the_trained_level() {
        let (dry, wet) = signals(RATE as usize * 3);
        let render = |mix: f32| -> Vec<f32> {
            let mut level = ReverbLevel::new(RATE);
            dry.iter().zip(&wet).map(|(&d, &w)| level.mix(d, w, mix)).collect()
        };
        let full = render(1.0);
        assert!(full.iter().zip(dry.iter().zip(&wet)).all(|(&o, (&d, &w))| o == d + w));
        let settled = RATE as usize * 2..RATE as usize * 3;
        let reference = rms_db(&full[settled.clone()]);
        for mix in [0.0, 0.3, 0.7] {
            let level = rms_db(&render(mix)[settled.clone()]);
            assert!((level - reference).abs() < 0.2, "mix {mix}: {level:.2} dB vs {reference:.2} dB");
            let plain: Vec<f32> = dry.iter().zip(&wet).map(|(d, w)| d + mix * w).collect();
            assert!(rms_db(&plain[settled.clone()]) < reference - 1.5, "the test's reverb carries level");
        }
    }

    /// Silence stays silence and the averages never go denormal.
    #[test]
    fn silence_is_silent_and_flushes() {
        let mut level = ReverbLevel::new(RATE);
        for _ in 0..1000 {
            level.mix(0.5, 0.2, 0.3);
        }
        for _ in 0..RATE as usize * 60 {
            assert_eq!(level.mix(0.0, 0.0, 0.3), 0.0);
        }
        for power in [level.dry_power, level.wet_power, level.cross_power] {
            assert!(power == 0.0 || power.is_normal(), "{power}");
        }
    }
}
