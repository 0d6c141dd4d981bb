//! The noise sources' filters: a band-pass for consonant noise and a cascade
//! of formant resonators for breath, each scaled to about unit RMS.

use std::f64::consts::{PI, TAU};

use super::tract::{Formant, Profile, Vowel, NUM_UPPER_FORMANTS, NUM_VOWEL_FORMANTS};

/// Highest noise-band centre, as a fraction of the sample rate.
const MAX_BAND_CENTER: f64 = 0.42;

/// A band-pass biquad (RBJ cookbook, 0 dB peak) scaled so uniform white noise in [−1, 1) comes out at about
/// unit RMS.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct NoiseBand {
    /// Feed-forward gain (b1 = 0, b2 = −b0), normalised by a0 and including the unit-RMS scale.
    b0: f64,
    /// Feedback coefficients, normalised by a0.
    a1: f64,
    a2: f64,
    /// Transposed direct form II state.
    z1: f64,
    z2: f64,
}

impl NoiseBand {
    /// Retunes to `band`, keeping the state (bands move slowly).
    pub(super) fn tune(&mut self, band: Formant, rate_hz: f64) {
        let center_hz = band.center_hz.min(MAX_BAND_CENTER * rate_hz);
        let bandwidth_hz = band.bandwidth_hz.min(2.0 * center_hz);
        let omega = TAU * center_hz / rate_hz;
        let alpha = omega.sin() * bandwidth_hz / (2.0 * center_hz);
        let a0 = 1.0 + alpha;
        // Noise power through a resonance of −3 dB bandwidth B is σ²·πB/rate; σ² of uniform noise is 1/3.
        let unit_rms = (3.0 * rate_hz / (PI * bandwidth_hz)).sqrt();
        self.b0 = alpha / a0 * unit_rms;
        self.a1 = -2.0 * omega.cos() / a0;
        self.a2 = (1.0 - alpha) / a0;
    }

    /// Filters one sample (transposed direct form II; b1 = 0, b2 = −b0).
    pub(super) fn process(&mut self, input: f32) -> f64 {
        let input = f64::from(input);
        let output = self.b0 * input + self.z1;
        self.z1 = self.z2 - self.a1 * output;
        self.z2 = -self.b0 * input - self.a2 * output;
        output
    }
}

/// Klatt's (1980) digital two-pole resonator: unit gain at DC, a peak of about centre / bandwidth.
#[derive(Clone, Copy, Debug, Default)]
struct Resonator {
    /// y[n] = a·x[n] + b·y[n−1] + c·y[n−2].
    a: f64,
    b: f64,
    c: f64,
    /// The last two outputs.
    y1: f64,
    y2: f64,
}

impl Resonator {
    /// Retunes to `formant`, keeping the state (formants move slowly); passes through one too high to realise.
    fn tune(&mut self, formant: Formant, rate_hz: f64) {
        if formant.center_hz >= MAX_BAND_CENTER * rate_hz {
            (self.a, self.b, self.c) = (1.0, 0.0, 0.0);
            return;
        }
        let radius = (-PI * formant.bandwidth_hz / rate_hz).exp();
        self.c = -radius * radius;
        self.b = 2.0 * radius * (TAU * formant.center_hz / rate_hz).cos();
        self.a = 1.0 - self.b - self.c;
    }

    /// Filters one sample.
    fn process(&mut self, input: f64) -> f64 {
        let output = self.a * input + self.b * self.y1 + self.c * self.y2;
        (self.y2, self.y1) = (self.y1, output);
        output
    }
}

/// Resonators of the breath cascade: the vowel's and the upper formants.
const NUM_FORMANTS: usize = NUM_VOWEL_FORMANTS + NUM_UPPER_FORMANTS;

/// Aspiration: white noise through the same vocal tract as the voice, scaled to about unit RMS.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct BreathFilter {
    /// F1–F3 of the vowel, then the upper formants, in cascade.
    resonators: [Resonator; NUM_FORMANTS],
    /// Scale to unit RMS for uniform noise in [−1, 1).
    gain: f64,
}

impl BreathFilter {
    /// Retunes to `vowel` of `profile`, keeping the state (formants move slowly).
    pub(super) fn tune(&mut self, profile: &Profile, vowel: &Vowel, rate_hz: f64) {
        let formants = vowel.iter().chain(&profile.upper_formants);
        for (resonator, formant) in self.resonators.iter_mut().zip(formants.clone()) {
            resonator.tune(*formant, rate_hz);
        }
        // The tract's noise bandwidth: unit gain up to F1, then each peak's power times its equivalent
        // bandwidth, π/2 · B (separate peaks). Uniform noise in [−1, 1) has variance 1/3 over rate / 2.
        let peaks_hz: f64 = formants
            .filter(|formant| formant.center_hz < MAX_BAND_CENTER * rate_hz)
            .map(|formant| profile.tract_gain(vowel, formant.center_hz).powi(2) * PI / 2.0 * formant.bandwidth_hz)
            .sum();
        let noise_bandwidth_hz = vowel[0].center_hz + peaks_hz;
        self.gain = (3.0 * rate_hz / 2.0 / noise_bandwidth_hz).sqrt();
    }

    /// Filters one sample of uniform noise in [−1, 1).
    pub(super) fn process(&mut self, input: f32) -> f64 {
        self.gain * self.resonators.iter_mut().fold(f64::from(input), |signal, resonator| resonator.process(signal))
    }
}
