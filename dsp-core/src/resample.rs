//! Offline sample-rate conversion of whole clips (reverb impulse responses at
//! preparation time, datasets), through `rubato`'s synchronous FFT resampler.

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

/// `signal` at `from_hz` resampled to `to_hz`; the resampler's delay is
/// trimmed, so the output starts where the input does and lasts as long.
/// Rates are rounded to whole hertz. Allocates: never call on the audio
/// thread.
pub fn resample_clip(signal: &[f32], from_hz: f32, to_hz: f32) -> Vec<f32> {
    let (from, to) = (from_hz.round() as usize, to_hz.round() as usize);
    if from == to || signal.is_empty() {
        return signal.to_vec();
    }
    let resampled = Fft::<f32>::new(from, to, 1024, 1, FixedSync::Input)
        .ok()
        .zip(InterleavedSlice::new(signal, 1, signal.len()).ok())
        .and_then(|(mut resampler, input)| resampler.process_all(&input, signal.len(), None).ok());
    match resampled {
        Some(output) => output.take_data(),
        // Rates outside rubato's range never reach here (the engine clamps
        // rates), but a clip must never be lost: fall back to linear
        // interpolation.
        None => linear_resample(signal, from_hz, to_hz),
    }
}

fn linear_resample(signal: &[f32], from_hz: f32, to_hz: f32) -> Vec<f32> {
    let ratio = from_hz as f64 / to_hz as f64;
    let len = (signal.len() as f64 / ratio).round() as usize;
    (0..len)
        .map(|n| {
            let position = n as f64 * ratio;
            let index = position.floor() as usize;
            let frac = (position - index as f64) as f32;
            let a = signal.get(index).copied().unwrap_or(0.0);
            let b = signal.get(index + 1).copied().unwrap_or(0.0);
            a + (b - a) * frac
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sine_keeps_its_frequency_and_length() {
        let tone: Vec<f32> =
            (0..16_000).map(|n| (2.0 * std::f32::consts::PI * 1000.0 * n as f32 / 16_000.0).sin()).collect();
        let out = resample_clip(&tone, 16_000.0, 48_000.0);
        assert!((out.len() as i64 - 48_000).abs() <= 1, "{}", out.len());
        for (n, &sample) in out.iter().enumerate().take(47_000).skip(1000) {
            let expected = (2.0 * std::f32::consts::PI * 1000.0 * n as f32 / 48_000.0).sin();
            assert!((sample - expected).abs() < 1e-2, "sample {n}: {sample} vs {expected}");
        }
    }
}
