//! Frame-level training targets measured from the audio at the pitch the
//! decoder is given: per frame, the amplitude of every harmonic below the
//! model's Nyquist frequency and the noise magnitude of every band, in the
//! synth's own units (peak sinusoid amplitude; filter gain on uniform white
//! noise). The decoder learns to predict these directly, a cheap frame-wise
//! regression that gets it close before any audio is synthesised.
//!
//! How: a Hann window of four periods (at least 256 samples) centred on the
//! frame's synth segment, zero-padded to four times its length, one real
//! FFT. Harmonic `h` is read at `h·f0`, the noise floor between harmonics at
//! `(h + ½)·f0`, where a four-period Hann window has zeros for every
//! harmonic, so only noise is left. The noise power under a harmonic (the
//! mean of its two neighbours) is subtracted from its power.

use std::sync::Arc;

use dsp_core::feature_track::FeatureTrack;
use realfft::{RealFftPlanner, RealToComplex};

/// Shortest analysis window, samples.
const MIN_WINDOW_SAMPLES: usize = 256;
/// Longest analysis window, samples (four periods of 47 Hz at 48 kHz).
const MAX_WINDOW_SAMPLES: usize = 4096;
/// Periods of f0 per window.
const PERIODS_PER_WINDOW: f32 = 4.0;
/// Zero-padding factor of the FFT.
const PADDING: usize = 4;
/// Variance of the synth's uniform white noise in [−1, 1).
const NOISE_VARIANCE: f32 = 1.0 / 3.0;

/// Targets for every frame of a clip, row-major `[frames, n]`.
#[derive(Clone, Debug, Default)]
pub struct FrameTargets {
    /// Harmonics per frame.
    pub num_harmonics: usize,
    /// Noise bands per frame.
    pub num_noise_bands: usize,
    /// Peak amplitude of harmonic `h + 1` (0 at or above the Nyquist frequency).
    pub harmonic_amplitudes: Vec<f32>,
    /// Filter magnitude of each noise band.
    pub noise_magnitudes: Vec<f32>,
}

/// FFT plans and buffers for one window length.
struct Analyzer {
    fft: Arc<dyn RealToComplex<f32>>,
    input: Vec<f32>,
    spectrum: Vec<realfft::num_complex::Complex32>,
    power: Vec<f32>,
}

/// Measures [`FrameTargets`] for `signal` (mono, at `sample_rate_hz`, the
/// rate `track` was made at) for a decoder with `num_harmonics` and
/// `num_noise_bands` spanning 0 … `sample_rate_hz / 2`. Uses two threads.
pub fn measure_targets(
    signal: &[f32],
    sample_rate_hz: f32,
    track: &FeatureTrack,
    num_harmonics: usize,
    num_noise_bands: usize,
) -> FrameTargets {
    let num_frames = track.frames.len();
    let mut targets = FrameTargets {
        num_harmonics,
        num_noise_bands,
        harmonic_amplitudes: vec![0.0; num_frames * num_harmonics],
        noise_magnitudes: vec![0.0; num_frames * num_noise_bands],
    };
    let half = num_frames.div_ceil(2).max(1);
    std::thread::scope(|scope| {
        let chunks = targets
            .harmonic_amplitudes
            .chunks_mut(half * num_harmonics)
            .zip(targets.noise_magnitudes.chunks_mut(half * num_noise_bands.max(1)))
            .enumerate();
        for (chunk, (harmonics, noise)) in chunks {
            scope.spawn(move || {
                let mut planner = RealFftPlanner::<f32>::new();
                let mut analyzers: Vec<Option<Analyzer>> = Vec::new();
                let frames = harmonics.chunks_mut(num_harmonics).zip(noise.chunks_mut(num_noise_bands.max(1)));
                for (offset, (harmonic_row, noise_row)) in frames.enumerate() {
                    let frame = chunk * half + offset;
                    let centre = track.segment_start_sample(frame) + 0.5 * track.hop_samples;
                    let f0_hz = track.frames[frame].f0_hz;
                    let window_len = ((PERIODS_PER_WINDOW * sample_rate_hz / f0_hz).round() as usize)
                        .clamp(MIN_WINDOW_SAMPLES, MAX_WINDOW_SAMPLES);
                    let fft_len = (window_len * PADDING).next_power_of_two();
                    let slot = fft_len.trailing_zeros() as usize;
                    if analyzers.len() <= slot {
                        analyzers.resize_with(slot + 1, || None);
                    }
                    let analyzer = analyzers[slot].get_or_insert_with(|| {
                        let fft = planner.plan_fft_forward(fft_len);
                        Analyzer {
                            input: fft.make_input_vec(),
                            spectrum: fft.make_output_vec(),
                            power: vec![0.0; fft_len / 2 + 1],
                            fft,
                        }
                    });
                    measure_frame(analyzer, signal, centre, window_len, f0_hz, sample_rate_hz, harmonic_row, noise_row);
                }
            });
        }
    });
    targets
}

#[allow(clippy::too_many_arguments)]
fn measure_frame(
    analyzer: &mut Analyzer,
    signal: &[f32],
    centre: f64,
    window_len: usize,
    f0_hz: f32,
    sample_rate_hz: f32,
    harmonics: &mut [f32],
    noise: &mut [f32],
) {
    let start = (centre - 0.5 * window_len as f64).round() as i64;
    let mut window_sum = 0.0f32;
    let mut window_square_sum = 0.0f32;
    analyzer.input.fill(0.0);
    for n in 0..window_len {
        let w = 0.5 - 0.5 * (2.0 * std::f32::consts::PI * n as f32 / window_len as f32).cos();
        window_sum += w;
        window_square_sum += w * w;
        let index = start + n as i64;
        if index >= 0 && (index as usize) < signal.len() {
            analyzer.input[n] = w * signal[index as usize];
        }
    }
    let _ = analyzer.fft.process(&mut analyzer.input, &mut analyzer.spectrum);
    for (power, bin) in analyzer.power.iter_mut().zip(&analyzer.spectrum) {
        *power = bin.norm_sqr();
    }
    let fft_len = analyzer.input.len();
    let nyquist_hz = 0.5 * sample_rate_hz;
    let bin_hz = sample_rate_hz / fft_len as f32;
    let power_at = |frequency_hz: f32| -> f32 {
        let position = (frequency_hz / bin_hz).min((analyzer.power.len() - 1) as f32);
        let index = (position as usize).min(analyzer.power.len() - 2);
        let frac = position - index as f32;
        analyzer.power[index] * (1.0 - frac) + analyzer.power[index + 1] * frac
    };
    // Noise floor between harmonics: (h + ½)·f0 for h = 0, 1, …
    let num_mids = ((nyquist_hz / f0_hz - 0.5).floor().max(0.0) as usize + 1).min(4 * MAX_WINDOW_SAMPLES);
    let mids: Vec<f32> = (0..num_mids).map(|h| power_at((h as f32 + 0.5) * f0_hz)).collect();
    let amplitude_scale = 2.0 / window_sum;
    for (h, amplitude) in harmonics.iter_mut().enumerate() {
        let frequency = (h + 1) as f32 * f0_hz;
        *amplitude = if frequency < nyquist_hz {
            let floor = 0.5 * (mids[h.min(num_mids - 1)] + mids[(h + 1).min(num_mids - 1)]);
            (power_at(frequency) - floor).max(0.0).sqrt() * amplitude_scale
        } else {
            0.0
        };
    }
    // Band b sits at b / (bands − 1) of the Nyquist frequency; the noise
    // power there is interpolated between the nearest mid-points.
    let noise_scale = 1.0 / (NOISE_VARIANCE * window_square_sum);
    let last_band = noise.len().saturating_sub(1).max(1) as f32;
    for (b, magnitude) in noise.iter_mut().enumerate() {
        let frequency = b as f32 / last_band * nyquist_hz;
        let position = (frequency / f0_hz - 0.5).clamp(0.0, (num_mids - 1) as f32);
        let index = position as usize;
        let next = (index + 1).min(num_mids - 1);
        let frac = position - index as f32;
        let power = mids[index] * (1.0 - frac) + mids[next] * frac;
        *magnitude = (power * noise_scale).sqrt();
    }
}

#[cfg(test)]
mod tests {
    use dsp_core::noise::FilteredNoise;
    use dsp_core::wire::FeatureFrame;

    use super::*;

    fn track_at(f0_hz: f32, num_frames: usize) -> FeatureTrack {
        FeatureTrack {
            frames: vec![FeatureFrame { f0_hz, confidence: 1.0, loudness_db: -20.0 }; num_frames],
            hop_samples: 192.0,
            lookahead_samples: 0,
        }
    }

    /// Known harmonic amplitudes come back within 0.3 dB.
    #[test]
    fn measures_harmonic_amplitudes() {
        let (sr, f0) = (48_000.0f32, 220.0f32);
        let amplitudes = [0.3f32, 0.1, 0.05, 0.02];
        let signal: Vec<f32> = (0..48_000)
            .map(|n| {
                amplitudes
                    .iter()
                    .enumerate()
                    .map(|(h, a)| a * (2.0 * std::f32::consts::PI * (h + 1) as f32 * f0 * n as f32 / sr).sin())
                    .sum()
            })
            .collect();
        let track = track_at(f0, 250);
        let targets = measure_targets(&signal, sr, &track, 10, 65);
        let row = &targets.harmonic_amplitudes[100 * 10..101 * 10];
        for (h, &expected) in amplitudes.iter().enumerate() {
            let error_db = 20.0 * (row[h] / expected).log10();
            assert!(error_db.abs() < 0.3, "harmonic {} measured {} expected {expected}", h + 1, row[h]);
        }
        assert!(row[5] < 1e-3 * amplitudes[0], "{row:?}");
    }

    /// The synth's own filtered noise at known band magnitudes is measured
    /// back within 1.5 dB on average.
    #[test]
    fn measures_the_synths_noise_magnitudes() {
        let sr = 48_000.0;
        let mut magnitudes = [0.0f32; 65];
        for (b, m) in magnitudes.iter_mut().enumerate() {
            *m = 0.02 * (1.0 - b as f32 / 80.0);
        }
        let mut noise = FilteredNoise::new(sr, sr, 65, 192, 11);
        let mut signal = vec![0.0f32; 192 * 500];
        for segment in signal.chunks_mut(192) {
            noise.render_add(&magnitudes, 1.0, segment);
        }
        let track = track_at(300.0, 500);
        let targets = measure_targets(&signal, sr, &track, 10, 65);
        for band in [5usize, 20, 40, 60] {
            let mean: f32 = (50..450).map(|k| targets.noise_magnitudes[k * 65 + band]).sum::<f32>() / 400.0;
            let error_db = 20.0 * (mean / magnitudes[band]).log10();
            assert!(error_db.abs() < 1.5, "band {band}: {mean} vs {}", magnitudes[band]);
        }
    }
}
