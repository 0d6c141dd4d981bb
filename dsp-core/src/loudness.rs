//! A-weighted loudness, as `shared/design.md` §6 and DDSP's
//! `compute_loudness` define it: periodic-Hann frames of 512 samples at
//! 16 kHz (the same 32 ms at other rates), A-weighted power per FFT bin, mean
//! over bins, `10·log10`, floored at −80 dB.
//!
//! To keep the number independent of the sample rate, the power sum is scaled
//! by `(512 / n_fft)²` and divided by 257 bins (the 16 kHz bin count); at
//! 16 kHz that is exactly the definition above.

use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{RealFftPlanner, RealToComplex};

/// The loudness of silence, and the floor of every measurement, dB.
pub const LOUDNESS_FLOOR_DB: f32 = -80.0;

/// A level in dB as a linear gain. Real-time safe.
pub fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}
/// The window of the reference definition, ms (512 samples at 16 kHz).
pub const REFERENCE_WINDOW_MS: f32 = 32.0;
const REFERENCE_FFT_SIZE: f32 = 512.0;
const REFERENCE_NUM_BINS: f32 = 257.0;

/// A-weighting gain at `frequency_hz`, dB (IEC 61672 / librosa's
/// `A_weighting`), clipped below at −80 dB.
pub fn a_weighting_db(frequency_hz: f32) -> f32 {
    let f_sq = (frequency_hz as f64).powi(2);
    let c = [12194.217f64.powi(2), 20.598997f64.powi(2), 107.65265f64.powi(2), 737.86223f64.powi(2)];
    if f_sq == 0.0 {
        return -80.0;
    }
    let weight = 2.0
        + 20.0
            * (c[0].log10() + 2.0 * f_sq.log10()
                - (f_sq + c[0]).log10()
                - (f_sq + c[1]).log10()
                - 0.5 * (f_sq + c[2]).log10()
                - 0.5 * (f_sq + c[3]).log10());
    (weight as f32).max(-80.0)
}

/// A-weighting at `frequency_hz` as a linear power gain
/// ([`a_weighting_db`]).
pub fn a_weighting_power(frequency_hz: f32) -> f32 {
    10f32.powf(a_weighting_db(frequency_hz) / 10.0)
}

/// Measures the loudness of one window of samples.
pub struct LoudnessMeter {
    fft: Arc<dyn RealToComplex<f32>>,
    window: Vec<f32>,
    /// A-weighting power gain per bin, times the rate normalisation.
    bin_weights: Vec<f32>,
    windowed: Vec<f32>,
    spectrum: Vec<Complex32>,
    scratch: Vec<Complex32>,
}

/// Window length in samples for `window_ms` at `sample_rate_hz` (at least 16).
pub fn window_samples(sample_rate_hz: f32, window_ms: f32) -> usize {
    ((window_ms * 1e-3 * sample_rate_hz).round() as usize).max(16)
}

impl LoudnessMeter {
    /// A meter with a `window_ms` window at `sample_rate_hz`. Plans its FFT:
    /// allocates, call at preparation time.
    pub fn new(sample_rate_hz: f32, window_ms: f32) -> Self {
        let n_fft = window_samples(sample_rate_hz, window_ms);
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n_fft);
        let window = (0..n_fft)
            .map(|n| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / n_fft as f64).cos() as f32)
            .collect();
        let rate_scale = (REFERENCE_FFT_SIZE / n_fft as f32).powi(2) / REFERENCE_NUM_BINS;
        let bin_weights = (0..n_fft / 2 + 1)
            .map(|k| {
                let frequency_hz = k as f32 * sample_rate_hz / n_fft as f32;
                a_weighting_power(frequency_hz) * rate_scale
            })
            .collect();
        Self {
            windowed: fft.make_input_vec(),
            spectrum: fft.make_output_vec(),
            scratch: fft.make_scratch_vec(),
            fft,
            window,
            bin_weights,
        }
    }

    /// The window length in samples.
    pub fn window_samples(&self) -> usize {
        self.window.len()
    }

    /// Loudness in dB of `frame`, whose length must equal
    /// [`Self::window_samples`]. Real-time safe.
    pub fn measure_db(&mut self, frame: &[f32]) -> f32 {
        for ((out, &x), &w) in self.windowed.iter_mut().zip(frame).zip(&self.window) {
            *out = x * w;
        }
        // Sizes come from the plan itself, so the transform cannot fail.
        let _ = self.fft.process_with_scratch(&mut self.windowed, &mut self.spectrum, &mut self.scratch);
        let power: f64 =
            self.spectrum.iter().zip(&self.bin_weights).map(|(bin, &weight)| (bin.norm_sqr() * weight) as f64).sum();
        if power > 0.0 && power.is_finite() {
            ((10.0 * power.log10()) as f32).max(LOUDNESS_FLOOR_DB)
        } else {
            LOUDNESS_FLOOR_DB
        }
    }
}

/// Offline loudness track with centred frames (the signal zero-padded by half
/// a window on both sides), one frame every `hop_samples`:
/// `1 + len / hop_samples` frames. Allocates; for metrics and datasets.
pub fn loudness_track_centred(signal: &[f32], sample_rate_hz: f32, window_ms: f32, hop_samples: usize) -> Vec<f32> {
    let mut meter = LoudnessMeter::new(sample_rate_hz, window_ms);
    let n_fft = meter.window_samples();
    let half = n_fft / 2;
    let mut padded = vec![0.0; signal.len() + n_fft];
    padded[half..half + signal.len()].copy_from_slice(signal);
    (0..=signal.len() / hop_samples)
        .map(|frame| meter.measure_db(&padded[frame * hop_samples..frame * hop_samples + n_fft]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn golden_x(num_samples: usize, sample_rate_hz: f32) -> Vec<f32> {
        (0..num_samples)
            .map(|n| {
                let t = n as f32 / sample_rate_hz;
                0.5 * (2.0 * std::f32::consts::PI * 440.0 * t).sin()
                    + 0.25 * (2.0 * std::f32::consts::PI * 880.0 * t).sin()
            })
            .collect()
    }

    fn golden_y(num_samples: usize, sample_rate_hz: f32) -> Vec<f32> {
        (0..num_samples)
            .map(|n| {
                let t = n as f32 / sample_rate_hz;
                (1..=10).map(|k| 0.4 / k as f32 * (2.0 * std::f32::consts::PI * 330.0 * k as f32 * t).sin()).sum()
            })
            .collect()
    }

    fn mean(values: &[f32]) -> f32 {
        values.iter().sum::<f32>() / values.len() as f32
    }

    /// Golden values from `shared/design.md` §6 (reference implementation,
    /// float32): 11.646 dB and 10.590 dB over 251 frames at hop 64. The issue
    /// allows 0.05 dB.
    #[test]
    fn golden_values_at_16k() {
        let x = loudness_track_centred(&golden_x(16_000, 16_000.0), 16_000.0, REFERENCE_WINDOW_MS, 64);
        let y = loudness_track_centred(&golden_y(16_000, 16_000.0), 16_000.0, REFERENCE_WINDOW_MS, 64);
        assert_eq!(x.len(), 251);
        assert!((mean(&x) - 11.646).abs() < 0.05, "x: {}", mean(&x));
        assert!((mean(&y) - 10.590).abs() < 0.05, "y: {}", mean(&y));
    }

    /// The same sound measures the same at other rates (window scaled in time).
    #[test]
    fn rate_independent_for_band_limited_sound() {
        let at_16k =
            mean(&loudness_track_centred(&golden_x(16_000, 16_000.0), 16_000.0, REFERENCE_WINDOW_MS, 64)[20..230]);
        for &sr in &[22_050.0f32, 44_100.0, 48_000.0, 96_000.0] {
            let hop = (64.0 * sr / 16_000.0) as usize;
            let track = loudness_track_centred(&golden_x(sr as usize, sr), sr, REFERENCE_WINDOW_MS, hop);
            let level = mean(&track[20..230]);
            assert!((level - at_16k).abs() < 0.1, "{sr} Hz: {level} vs {at_16k}");
        }
    }

    /// Backs `AdditiveConfig::full_scale_loudness_db`: a full-scale 1 kHz
    /// sine measures 10·log10(128² · 1.5 / 257) = 19.81 dB (Hann main lobe of
    /// a bin-centred sine, A-weighting 0 dB at 1 kHz).
    #[test]
    fn full_scale_1k_sine_measures_19_8_db() {
        let sine: Vec<f32> =
            (0..16_000).map(|n| (2.0 * std::f32::consts::PI * 1000.0 * n as f32 / 16_000.0).sin()).collect();
        let track = loudness_track_centred(&sine, 16_000.0, REFERENCE_WINDOW_MS, 64);
        let level = mean(&track[10..240]);
        assert!((level - 19.81).abs() < 0.05, "{level}");
    }

    #[test]
    fn silence_is_the_floor() {
        let mut meter = LoudnessMeter::new(48_000.0, REFERENCE_WINDOW_MS);
        let frame = vec![0.0; meter.window_samples()];
        assert_eq!(meter.measure_db(&frame), LOUDNESS_FLOOR_DB);
    }

    #[test]
    fn a_weighting_is_zero_at_1k() {
        assert!(a_weighting_db(1000.0).abs() < 0.01);
        assert!((a_weighting_db(100.0) + 19.1).abs() < 0.1);
    }
}
