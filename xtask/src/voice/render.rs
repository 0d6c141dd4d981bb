//! The renderer: knots interpolated per sample into an additive glottal-like
//! source shaped by the vocal tract, plus breath and consonant noise.

use std::f64::consts::TAU;
use std::ops::Range;

use dsp_core::rng::NoiseRng;

use super::curve::{lerp, smoothstep};
use super::noise::{BreathFilter, NoiseBand};
use super::timeline::{Knot, KNOTS_PER_SECOND};
use super::tract::Profile;

/// Most harmonics summed per sample: bounds the cost at low f0.
const MAX_HARMONICS: usize = 80;
/// Harmonics fade out between these fractions of the sample rate, so none pops in or out as f0 moves.
const HARMONIC_FADE: Range<f64> = 0.40..0.45;
/// Glottal source slope at mid effort, dB/octave (Klatt 1980).
const GLOTTAL_SLOPE_DB_PER_OCTAVE: f64 = -12.0;
/// How much the slope changes from no to full effort, dB/octave: louder is brighter.
const EFFORT_SLOPE_SPAN_DB_PER_OCTAVE: f64 = 6.0;
/// Lip radiation, dB/octave.
const RADIATION_DB_PER_OCTAVE: f64 = 6.0;

/// Renders `num_samples` at `rate_hz` from `knots` (knot m at m ms; they must reach past the last sample).
pub(super) fn render(
    knots: &[Knot],
    profile: &Profile,
    rate_hz: u32,
    num_samples: usize,
    noise: &mut NoiseRng,
) -> Vec<f32> {
    let rate_hz = f64::from(rate_hz);
    let samples_per_knot = rate_hz / KNOTS_PER_SECOND;
    let mut harmonics = HarmonicBlock::new();
    let mut breath = BreathFilter::default();
    let mut hiss = NoiseBand::default();
    let mut block = None;
    let mut phase_cycles = 0.0f64;
    (0..num_samples)
        .map(|n| {
            let position = n as f64 / samples_per_knot;
            let m = position as usize;
            let weight = position - m as f64;
            let (from, to) = (&knots[m], &knots[m + 1]);
            if block != Some(m) {
                harmonics.enter(knots, m, m > 0 && block == Some(m - 1), profile, rate_hz);
                breath.tune(profile, &from.vowel, rate_hz);
                hiss.tune(from.frication_band, rate_hz);
                block = Some(m);
            }
            // The instantaneous f0 is linear between knots, so at each knot it is exactly the tracked value.
            let f0_hz = lerp(from.f0_hz, to.f0_hz, weight);
            phase_cycles = (phase_cycles + f0_hz / rate_hz).fract();
            let voiced = harmonics.sample(phase_cycles, weight);
            let aspiration = lerp(from.aspiration, to.aspiration, weight) * breath.process(noise.next_sample());
            let frication = lerp(from.frication, to.frication, weight) * hiss.process(noise.next_sample());
            (voiced + aspiration + frication) as f32
        })
        .collect()
}

/// Harmonic amplitudes at both ends of the current 1 ms block.
struct HarmonicBlock {
    /// Amplitudes at the block's first knot.
    start: [f64; MAX_HARMONICS],
    /// Amplitudes at the next knot.
    end: [f64; MAX_HARMONICS],
    /// Harmonics with a non-zero amplitude at either end.
    num_harmonics: usize,
    /// Non-zero harmonics at the next knot.
    num_end: usize,
}

impl HarmonicBlock {
    fn new() -> Self {
        Self { start: [0.0; MAX_HARMONICS], end: [0.0; MAX_HARMONICS], num_harmonics: 0, num_end: 0 }
    }

    /// Moves to the block from knot `m` to `m + 1`; `follows` when it is the one after the current block.
    fn enter(&mut self, knots: &[Knot], m: usize, follows: bool, profile: &Profile, rate_hz: f64) {
        let num_start = if follows {
            std::mem::swap(&mut self.start, &mut self.end);
            self.num_end
        } else {
            harmonic_gains(&knots[m], profile, rate_hz, &mut self.start)
        };
        self.num_end = harmonic_gains(&knots[m + 1], profile, rate_hz, &mut self.end);
        self.num_harmonics = num_start.max(self.num_end);
    }

    /// The voiced source at `phase_cycles`, a fraction `weight` into the block.
    fn sample(&self, phase_cycles: f64, weight: f64) -> f64 {
        let (sin_1, cos_1) = (TAU * phase_cycles).sin_cos();
        // sin((k + 1)θ) = 2 cos θ · sin kθ − sin((k − 1)θ): one multiply-add per harmonic.
        let twice_cos = 2.0 * cos_1;
        let (mut sin_previous, mut sin_k) = (0.0, sin_1);
        let mut sum = 0.0;
        for (start, end) in self.start[..self.num_harmonics].iter().zip(&self.end[..self.num_harmonics]) {
            sum += lerp(*start, *end, weight) * sin_k;
            (sin_previous, sin_k) = (sin_k, twice_cos * sin_k - sin_previous);
        }
        sum
    }
}

/// Fills `gains` with each harmonic's amplitude at `knot`, the source slope times the formant response at
/// k·f0, faded out near the top of the band, scaled so their sum has RMS `knot.voicing`; returns how many
/// are non-zero.
fn harmonic_gains(knot: &Knot, profile: &Profile, rate_hz: f64, gains: &mut [f64; MAX_HARMONICS]) -> usize {
    gains.fill(0.0);
    if knot.voicing <= 0.0 {
        return 0;
    }
    let slope_db_per_octave =
        GLOTTAL_SLOPE_DB_PER_OCTAVE + EFFORT_SLOPE_SPAN_DB_PER_OCTAVE * (knot.effort - 0.5) + RADIATION_DB_PER_OCTAVE;
    // Amplitude ∝ k^exponent falls by `slope` dB per doubling of k.
    let exponent = slope_db_per_octave / (20.0 * 2f64.log10());
    let fade_end_hz = HARMONIC_FADE.end * rate_hz;
    let fade_len_hz = (HARMONIC_FADE.end - HARMONIC_FADE.start) * rate_hz;
    let mut num_harmonics = 0;
    let mut power = 0.0;
    for (index, gain) in gains.iter_mut().enumerate() {
        let number = (index + 1) as f64;
        let frequency_hz = number * knot.f0_hz;
        let fade = (fade_end_hz - frequency_hz) / fade_len_hz;
        if fade <= 0.0 {
            break;
        }
        *gain = number.powf(exponent) * profile.tract_gain(&knot.vowel, frequency_hz) * smoothstep(fade.min(1.0));
        power += *gain * *gain / 2.0;
        num_harmonics = index + 1;
    }
    if power <= 0.0 {
        return 0;
    }
    let scale = knot.voicing / power.sqrt();
    gains[..num_harmonics].iter_mut().for_each(|gain| *gain *= scale);
    num_harmonics
}
