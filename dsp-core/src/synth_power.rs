//! The A-weighted power the synth will play for a frame's controls, from
//! the controls alone (no audio): for each harmonic `½·a²` weighted at its
//! frequency, for the filtered noise the A-weighted integral of its
//! response over the white noise's power density.
//!
//! [`crate::level_match`] needs the harmonic and noise shares of the synth's
//! output to tell the user's harmonic and noise levels apart from the
//! model's own level; a measurement of the mixed output cannot separate
//! them, the controls can. Both powers are in the same (linear) units, so
//! their ratio is the synth's harmonic-to-noise share (within 0.5 dB of
//! what the loudness meter hears, see the tests); their scale is not the
//! meter's.
//!
//! Real-time safe after construction: a table look-up per harmonic and two
//! multiply-adds per noise band.

use crate::loudness::a_weighting_power;

/// Entries of the A-weighting table from 0 Hz to the host's Nyquist
/// frequency (linearly interpolated between them).
const TABLE_LEN: usize = 1024;
/// Integration points per band spacing for the noise weights.
const POINTS_PER_BAND: usize = 32;
/// Variance of the synth's uniform white noise on −1 … 1.
const WHITE_NOISE_VARIANCE: f32 = 1.0 / 3.0;

/// Tables for one host rate and one model's noise bands.
#[derive(Clone, Debug)]
pub struct SynthPower {
    /// Host Nyquist frequency, Hz.
    host_nyquist_hz: f32,
    /// A-weighting power gain at `i · host_nyquist_hz / (TABLE_LEN − 1)`.
    a_weights: Vec<f32>,
    /// Per band `b`: the noise power of magnitude 1 in band `b` alone.
    noise_diagonal: Vec<f32>,
    /// Per band `b`: twice the cross power of bands `b` and `b + 1`
    /// (the response interpolates linearly between neighbours).
    noise_cross: Vec<f32>,
}

impl SynthPower {
    /// Tables for the host rate `host_rate_hz` and a model at
    /// `model_rate_hz` with `num_bands` noise bands (spread as
    /// [`crate::noise::FilteredNoise`] spreads them). Allocates: call at
    /// preparation time.
    pub fn new(host_rate_hz: f32, model_rate_hz: f32, num_bands: usize) -> Self {
        let host_nyquist_hz = 0.5 * host_rate_hz;
        let a_weights =
            (0..TABLE_LEN).map(|i| a_weighting_power(i as f32 * host_nyquist_hz / (TABLE_LEN - 1) as f32)).collect();
        let num_bands = num_bands.max(2);
        let last = num_bands - 1;
        let model_nyquist_hz = 0.5 * model_rate_hz;
        let spacing_hz = model_nyquist_hz / last as f32;
        // The filter's response at `position` (in bands) for magnitude 1 in
        // band `b`: a tent, and past the last band the synth's fade over a
        // quarter of the bandwidth (squared).
        let tent = |b: usize, position: f32| {
            if position > last as f32 {
                let fade = 1.0 - ((position - last as f32) / (0.25 * last as f32)).min(1.0);
                return if b == last { fade * fade } else { 0.0 };
            }
            (1.0 - (position - b as f32).abs()).max(0.0)
        };
        // Power density: the white noise's variance, spread over the model's
        // Nyquist band (the synth scales its noise so the density per hertz
        // is the same at every host rate).
        let density = WHITE_NOISE_VARIANCE / model_nyquist_hz;
        let step_hz = spacing_hz / POINTS_PER_BAND as f32;
        let end_hz = host_nyquist_hz.min(1.25 * model_nyquist_hz);
        let num_points = (end_hz / step_hz).ceil() as usize;
        let mut noise_diagonal = vec![0.0; num_bands];
        let mut noise_cross = vec![0.0; num_bands];
        for point in 0..num_points {
            let frequency_hz = (point as f32 + 0.5) * step_hz;
            if frequency_hz >= end_hz {
                break;
            }
            let weight = a_weighting_power(frequency_hz) * density * step_hz;
            let position = frequency_hz / spacing_hz;
            let b = (position as usize).min(last);
            noise_diagonal[b] += weight * tent(b, position).powi(2);
            if b < last {
                noise_diagonal[b + 1] += weight * tent(b + 1, position).powi(2);
                noise_cross[b] += 2.0 * weight * tent(b, position) * tent(b + 1, position);
            }
        }
        Self { host_nyquist_hz, a_weights, noise_diagonal, noise_cross }
    }

    /// A-weighted power of harmonics `amplitudes` (peak amplitude of
    /// harmonic `h + 1`) of `f0_hz`; harmonics at or above the host's Nyquist
    /// frequency count nothing. Real-time safe.
    pub fn harmonic_power(&self, f0_hz: f32, amplitudes: &[f32]) -> f32 {
        let to_index = (TABLE_LEN - 1) as f32 / self.host_nyquist_hz;
        let mut power = 0.0;
        for (h, &amplitude) in amplitudes.iter().enumerate() {
            let position = (h + 1) as f32 * f0_hz * to_index;
            if position.is_nan() || position >= (TABLE_LEN - 1) as f32 {
                break;
            }
            let index = position as usize;
            let frac = position - index as f32;
            let weight = self.a_weights[index] + (self.a_weights[index + 1] - self.a_weights[index]) * frac;
            power += 0.5 * amplitude * amplitude * weight;
        }
        power
    }

    /// A-weighted power of the filtered noise with band `magnitudes` (as
    /// [`crate::noise::FilteredNoise::render_add`] takes them, gain 1).
    /// Real-time safe.
    pub fn noise_power(&self, magnitudes: &[f32]) -> f32 {
        let bands = magnitudes.len().min(self.noise_diagonal.len());
        let mut power = 0.0;
        for b in 0..bands {
            let m = magnitudes[b];
            power += m * m * self.noise_diagonal[b];
            if b + 1 < bands {
                power += m * magnitudes[b + 1] * self.noise_cross[b];
            }
        }
        power
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harmonic::HarmonicBank;
    use crate::loudness::LoudnessMeter;
    use crate::noise::FilteredNoise;

    const MODEL_RATE: f32 = 16_000.0;
    const BANDS: usize = 65;

    /// Mean linear power the loudness meter hears over `signal`'s windows.
    fn metered_power(signal: &[f32], rate: f32) -> f32 {
        let mut meter = LoudnessMeter::new(rate, 32.0);
        let window = meter.window_samples();
        let powers: Vec<f32> =
            signal.chunks_exact(window).skip(1).map(|w| 10f32.powf(meter.measure_db(w) / 10.0)).collect();
        powers.iter().sum::<f32>() / powers.len() as f32
    }

    fn render(rate: f32, f0_hz: f32, amplitudes: &[f32], magnitudes: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let hop = (rate / 250.0) as usize;
        let mut bank = HarmonicBank::new(rate);
        let mut noise = FilteredNoise::new(rate, MODEL_RATE, BANDS, hop, 3);
        let (mut tone, mut hiss) = (vec![0.0; hop * 500], vec![0.0; hop * 500]);
        for (tone, hiss) in tone.chunks_exact_mut(hop).zip(hiss.chunks_exact_mut(hop)) {
            bank.render(f0_hz, amplitudes, tone);
            noise.render_add(magnitudes, 1.0, hiss);
        }
        (tone, hiss)
    }

    /// The share of harmonics and noise the tables predict is the share
    /// the loudness meter hears from the rendered synth, within 0.5 dB,
    /// for a low and a high tone, at 44.1 and 48 kHz.
    #[test]
    fn predicted_share_matches_the_metered_synth() {
        let magnitudes: Vec<f32> = (0..BANDS).map(|b| 0.02 * (1.0 - b as f32 / BANDS as f32) + 0.002).collect();
        for rate in [44_100.0, 48_000.0] {
            let power = SynthPower::new(rate, MODEL_RATE, BANDS);
            for (f0_hz, amplitudes) in [(65.0, vec![0.05, 0.1, 0.08, 0.05, 0.03]), (880.0, vec![0.1, 0.03, 0.01])] {
                let (tone, hiss) = render(rate, f0_hz, &amplitudes, &magnitudes);
                let metered = 10.0 * (metered_power(&tone, rate) / metered_power(&hiss, rate)).log10();
                let predicted =
                    10.0 * (power.harmonic_power(f0_hz, &amplitudes) / power.noise_power(&magnitudes)).log10();
                assert!((metered - predicted).abs() < 0.5, "{rate} Hz, f0 {f0_hz}: {metered} vs {predicted} dB");
            }
        }
    }

    #[test]
    fn harmonics_above_nyquist_count_nothing() {
        let power = SynthPower::new(44_100.0, MODEL_RATE, BANDS);
        assert_eq!(power.harmonic_power(30_000.0, &[1.0]), 0.0);
        assert!(power.harmonic_power(1_000.0, &[1.0]) > 0.4);
    }
}
