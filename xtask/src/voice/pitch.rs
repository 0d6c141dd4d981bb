//! From planned pitch to the oscillator's f0: vibrato, slow drift, and the
//! MIDI/Hz conversions.

use std::f64::consts::TAU;
use std::ops::RangeInclusive;

use super::dice::Dice;
use super::timeline::{Knot, KNOTS_PER_SECOND};

/// Cents in a semitone.
pub(super) const CENTS_PER_SEMITONE: f64 = 100.0;

/// Each of the two drift components' depth (cents) and rate (Hz): a few cents in all, over seconds.
const DRIFT_CENTS: RangeInclusive<f64> = 2.0..=5.0;
const DRIFT_RATE_HZ: RangeInclusive<f64> = 0.1..=0.5;

/// One slow sinusoidal wander of pitch.
#[derive(Clone, Copy, Debug)]
pub(super) struct Wander {
    /// Peak deviation, cents.
    amplitude_cents: f64,
    /// Rate, Hz.
    rate_hz: f64,
    /// Phase at 0 s, radians.
    phase: f64,
}

impl Wander {
    /// A wander of random depth, rate and phase.
    pub(super) fn random(dice: &mut Dice) -> Self {
        Self {
            amplitude_cents: dice.uniform(DRIFT_CENTS),
            rate_hz: dice.uniform(DRIFT_RATE_HZ),
            phase: dice.uniform(0.0..=TAU),
        }
    }

    /// Deviation at `time_s`, cents.
    fn cents(&self, time_s: f64) -> f64 {
        self.amplitude_cents * (TAU * self.rate_hz * time_s + self.phase).sin()
    }
}

/// Sets each knot's f0 from its planned pitch, the vibrato (phase continuous) and `drift`.
pub(super) fn apply_pitch(knots: &mut [Knot], drift: &[Wander]) {
    let mut vibrato_cycles = 0.0;
    for (m, knot) in knots.iter_mut().enumerate() {
        let time_s = m as f64 / KNOTS_PER_SECOND;
        let drift_cents: f64 = drift.iter().map(|wander| wander.cents(time_s)).sum();
        let cents = knot.vibrato_cents * (TAU * vibrato_cycles).sin() + drift_cents;
        knot.f0_hz = midi_to_hz(knot.pitch_midi + cents / CENTS_PER_SEMITONE);
        vibrato_cycles = (vibrato_cycles + knot.vibrato_rate_hz / KNOTS_PER_SECOND).fract();
    }
}

/// Frequency of fractional MIDI note `midi`, Hz (A4 = 69 = 440 Hz).
fn midi_to_hz(midi: f64) -> f64 {
    440.0 * ((midi - 69.0) / 12.0).exp2()
}

/// Fractional MIDI note of `hz` (A4 = 69 = 440 Hz).
pub(super) fn hz_to_midi(hz: f64) -> f64 {
    69.0 + 12.0 * (hz / 440.0).log2()
}
