//! The vocal tract: formant resonances, the five vowels and what each
//! register changes (ranges and tract size).

use std::ops::RangeInclusive;

use super::curve::lerp;
use super::pitch::hz_to_midi;
use super::Register;

/// A resonance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Formant {
    /// Centre frequency, Hz.
    pub(super) center_hz: f64,
    /// −3 dB bandwidth, Hz.
    pub(super) bandwidth_hz: f64,
}

impl Formant {
    /// A resonance at `center_hz` with −3 dB bandwidth `bandwidth_hz`.
    pub(super) const fn new(center_hz: f64, bandwidth_hz: f64) -> Self {
        Self { center_hz, bandwidth_hz }
    }

    /// Magnitude response at `frequency_hz` of a two-pole resonator with unit gain at DC (Klatt's cascade
    /// resonator, analogue form).
    fn gain(self, frequency_hz: f64) -> f64 {
        let center_squared = self.center_hz * self.center_hz;
        let detuning = center_squared - frequency_hz * frequency_hz;
        center_squared / (detuning * detuning + (self.bandwidth_hz * frequency_hz).powi(2)).sqrt()
    }

    /// `self` moved a fraction `weight` of the way to `other`.
    pub(super) fn lerp(self, other: Self, weight: f64) -> Self {
        Self {
            center_hz: lerp(self.center_hz, other.center_hz, weight),
            bandwidth_hz: lerp(self.bandwidth_hz, other.bandwidth_hz, weight),
        }
    }
}

/// Formants that change with the vowel: F1–F3.
pub(super) const NUM_VOWEL_FORMANTS: usize = 3;
/// Formants the same for every vowel: F4–F8.
pub(super) const NUM_UPPER_FORMANTS: usize = 5;
/// Vowels of each register: /a/, /e/, /i/, /o/, /u/.
pub(super) const NUM_VOWELS: usize = 5;
/// F1–F3 of one vowel.
pub(super) type Vowel = [Formant; NUM_VOWEL_FORMANTS];

/// What a register changes: ranges and vocal-tract size.
pub(super) struct Profile {
    /// Lowest and highest sung note, MIDI.
    pub(super) sung_midi: RangeInclusive<i32>,
    /// Lowest and highest speaking f0, Hz.
    speech_hz: RangeInclusive<f64>,
    /// /a/, /e/, /i/, /o/, /u/: Peterson & Barney (1952) mean F1–F3; bandwidths after Klatt (1980).
    pub(super) vowels: [Vowel; NUM_VOWELS],
    /// F4–F8, the same for every vowel: a uniform tube's, (2n − 1)·c/4L. Besides their own peaks they lift
    /// F3 and the top of the spectrum to the levels of real vowels (Fant's higher-pole correction).
    pub(super) upper_formants: [Formant; NUM_UPPER_FORMANTS],
}

impl Profile {
    /// The profile of `register`.
    pub(super) fn of(register: Register) -> &'static Self {
        match register {
            Register::Low => &LOW_PROFILE,
            Register::High => &HIGH_PROFILE,
        }
    }

    /// The vocal tract's gain at `frequency_hz` on `vowel`: F1–F3 and the upper formants in cascade.
    pub(super) fn tract_gain(&self, vowel: &Vowel, frequency_hz: f64) -> f64 {
        vowel.iter().chain(&self.upper_formants).map(|formant| formant.gain(frequency_hz)).product()
    }

    /// The speaking range as fractional MIDI notes.
    pub(super) fn speech_midi(&self) -> RangeInclusive<f64> {
        hz_to_midi(*self.speech_hz.start())..=hz_to_midi(*self.speech_hz.end())
    }
}

/// Male-like ranges and formants.
static LOW_PROFILE: Profile = Profile {
    sung_midi: 43..=65,
    speech_hz: 85.0..=220.0,
    vowels: [
        [Formant::new(730.0, 90.0), Formant::new(1090.0, 110.0), Formant::new(2440.0, 160.0)],
        [Formant::new(530.0, 70.0), Formant::new(1840.0, 100.0), Formant::new(2480.0, 150.0)],
        [Formant::new(270.0, 50.0), Formant::new(2290.0, 100.0), Formant::new(3010.0, 160.0)],
        [Formant::new(570.0, 80.0), Formant::new(840.0, 80.0), Formant::new(2410.0, 140.0)],
        [Formant::new(300.0, 60.0), Formant::new(870.0, 80.0), Formant::new(2240.0, 150.0)],
    ],
    upper_formants: [
        Formant::new(3500.0, 250.0),
        Formant::new(4500.0, 300.0),
        Formant::new(5500.0, 400.0),
        Formant::new(6500.0, 500.0),
        Formant::new(7500.0, 600.0),
    ],
};

/// Female-like ranges and formants.
static HIGH_PROFILE: Profile = Profile {
    sung_midi: 55..=79,
    speech_hz: 150.0..=380.0,
    vowels: [
        [Formant::new(850.0, 100.0), Formant::new(1220.0, 120.0), Formant::new(2810.0, 180.0)],
        [Formant::new(610.0, 80.0), Formant::new(2330.0, 110.0), Formant::new(2990.0, 170.0)],
        [Formant::new(310.0, 60.0), Formant::new(2790.0, 110.0), Formant::new(3310.0, 180.0)],
        [Formant::new(590.0, 90.0), Formant::new(920.0, 90.0), Formant::new(2710.0, 160.0)],
        [Formant::new(370.0, 70.0), Formant::new(950.0, 90.0), Formant::new(2670.0, 170.0)],
    ],
    upper_formants: [
        Formant::new(4200.0, 300.0),
        Formant::new(5400.0, 350.0),
        Formant::new(6600.0, 450.0),
        Formant::new(7800.0, 550.0),
        Formant::new(9000.0, 650.0),
    ],
};
