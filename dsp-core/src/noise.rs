//! Filtered noise, after DDSP's `FilteredNoise` synth: per frame, band
//! magnitudes become a zero-phase windowed FIR by frequency sampling, which
//! filters that frame's seeded white noise by FFT convolution; the frames'
//! outputs overlap-add.
//!
//! The filter is designed at the host rate. Bands spread evenly from 0 Hz to
//! the model's Nyquist frequency (its training bandwidth); above it, the
//! response fades to zero over a quarter of that bandwidth instead of ending
//! in a brick wall. The impulse response lasts as long in time as DDSP's
//! `2·(bands − 1)` taps at the model rate, so the frequency resolution is the
//! band spacing at every host rate. It is made causal by a delay of half its
//! length (this module's only latency, mirrored by training). Noise power
//! per hertz is the same at every host rate: the white noise is scaled by
//! `√(host rate / model rate)`.

use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use crate::rng::NoiseRng;

/// The filtered-noise synth. Real-time safe after construction.
pub struct FilteredNoise {
    host_rate_hz: f32,
    model_nyquist_hz: f32,
    noise_gain: f32,
    rng: NoiseRng,
    seed: u64,
    ir_len: usize,
    fft_len: usize,
    max_segment_samples: usize,
    ir_inverse: Arc<dyn ComplexToReal<f32>>,
    forward: Arc<dyn RealToComplex<f32>>,
    inverse: Arc<dyn ComplexToReal<f32>>,
    ir_window: Vec<f32>,
    ir_response: Vec<Complex32>,
    ir_time: Vec<f32>,
    time_buffer: Vec<f32>,
    noise_spectrum: Vec<Complex32>,
    filter_spectrum: Vec<Complex32>,
    scratch: Vec<Complex32>,
    overlap: Vec<f32>,
}

impl FilteredNoise {
    /// A synth at `host_rate_hz` for a model trained at `model_rate_hz` with
    /// `num_bands` bands, rendering segments of at most `max_segment_samples`.
    /// Plans FFTs: allocates, call at preparation time.
    pub fn new(host_rate_hz: f32, model_rate_hz: f32, num_bands: usize, max_segment_samples: usize, seed: u64) -> Self {
        let num_bands = num_bands.max(2);
        let ir_len = (((2 * (num_bands - 1)) as f32 * host_rate_hz / model_rate_hz / 2.0).round() as usize * 2).max(4);
        let fft_len = (max_segment_samples + ir_len).next_power_of_two();
        let mut planner = RealFftPlanner::<f32>::new();
        let ir_inverse = planner.plan_fft_inverse(ir_len);
        let forward = planner.plan_fft_forward(fft_len);
        let inverse = planner.plan_fft_inverse(fft_len);
        let scratch_len = ir_inverse.get_scratch_len().max(forward.get_scratch_len()).max(inverse.get_scratch_len());
        // Symmetric Hann over the IR, as DDSP windows its impulse responses.
        let ir_window = (0..ir_len)
            .map(|n| (0.5 - 0.5 * (2.0 * std::f64::consts::PI * n as f64 / (ir_len - 1) as f64).cos()) as f32)
            .collect();
        Self {
            host_rate_hz,
            model_nyquist_hz: model_rate_hz / 2.0,
            noise_gain: (host_rate_hz / model_rate_hz).sqrt(),
            rng: NoiseRng::new(seed),
            seed,
            ir_len,
            fft_len,
            max_segment_samples,
            ir_response: ir_inverse.make_input_vec(),
            ir_time: ir_inverse.make_output_vec(),
            time_buffer: forward.make_input_vec(),
            noise_spectrum: forward.make_output_vec(),
            filter_spectrum: forward.make_output_vec(),
            scratch: vec![Complex32::new(0.0, 0.0); scratch_len],
            overlap: vec![0.0; fft_len],
            ir_inverse,
            forward,
            inverse,
            ir_window,
        }
    }

    /// Delay of the filter's centre, host samples.
    pub fn delay_samples(&self) -> usize {
        self.ir_len / 2
    }

    /// Restarts the noise sequence from its seed and clears the tail.
    /// Real-time safe.
    pub fn reset(&mut self) {
        self.rng = NoiseRng::new(self.seed);
        self.overlap.fill(0.0);
    }

    /// Magnitude of the filter at `frequency_hz` from linearly interpolated
    /// band magnitudes.
    fn response_at(&self, magnitudes: &[f32], frequency_hz: f32) -> f32 {
        let last = magnitudes.len() - 1;
        let position = frequency_hz / self.model_nyquist_hz * last as f32;
        if position >= last as f32 {
            let fade_width = 0.25 * last as f32;
            let fade = 1.0 - ((position - last as f32) / fade_width).min(1.0);
            return magnitudes[last] * fade * fade;
        }
        let index = position as usize;
        let frac = position - index as f32;
        magnitudes[index] + (magnitudes[index + 1] - magnitudes[index]) * frac
    }

    /// Adds `out.len()` samples (at most `max_segment_samples`) of noise
    /// filtered by `magnitudes` (at least two bands) times `gain`.
    /// Real-time safe.
    pub fn render_add(&mut self, magnitudes: &[f32], gain: f32, out: &mut [f32]) {
        let num_samples = out.len().min(self.max_segment_samples);
        if magnitudes.len() < 2 {
            return;
        }
        self.design_filter(magnitudes, gain);
        for (n, sample) in self.time_buffer.iter_mut().enumerate() {
            *sample = if n < num_samples { self.rng.next_sample() } else { 0.0 };
        }
        let _ = self.forward.process_with_scratch(&mut self.time_buffer, &mut self.noise_spectrum, &mut self.scratch);
        for (noise, filter) in self.noise_spectrum.iter_mut().zip(&self.filter_spectrum) {
            *noise *= *filter;
        }
        let _ = self.inverse.process_with_scratch(&mut self.noise_spectrum, &mut self.time_buffer, &mut self.scratch);
        let scale = 1.0 / self.fft_len as f32;
        for (acc, &value) in self.overlap.iter_mut().zip(&self.time_buffer) {
            *acc += value * scale;
        }
        for (sample, &value) in out[..num_samples].iter_mut().zip(&self.overlap) {
            *sample += value;
        }
        self.overlap.copy_within(num_samples.., 0);
        let len = self.overlap.len();
        self.overlap[len - num_samples..].fill(0.0);
    }

    /// Length of the FIR, host samples.
    pub fn impulse_response_len(&self) -> usize {
        self.ir_len
    }

    /// The causal FIR (`impulse_response_len()` taps) the synth filters its
    /// white noise with for `magnitudes` at gain 1. The design is linear in
    /// the magnitudes, so training builds its differentiable copy of this
    /// synth from the responses of single bands. Allocates: for training
    /// and tests, not the audio thread.
    pub fn impulse_response(&mut self, magnitudes: &[f32]) -> Vec<f32> {
        self.design_impulse_response(magnitudes, 1.0);
        self.time_buffer[..self.ir_len].to_vec()
    }

    /// Builds the causal windowed FIR for `magnitudes` and stores its
    /// spectrum in `filter_spectrum`.
    fn design_filter(&mut self, magnitudes: &[f32], gain: f32) {
        self.design_impulse_response(magnitudes, gain);
        let _ = self.forward.process_with_scratch(&mut self.time_buffer, &mut self.filter_spectrum, &mut self.scratch);
    }

    /// Writes the causal windowed FIR for `magnitudes` into `time_buffer`
    /// (zero past its length).
    fn design_impulse_response(&mut self, magnitudes: &[f32], gain: f32) {
        let bin_hz = self.host_rate_hz / self.ir_len as f32;
        let level = gain * self.noise_gain;
        for k in 0..self.ir_response.len() {
            let response = self.response_at(magnitudes, k as f32 * bin_hz) * level;
            self.ir_response[k] = Complex32::new(response, 0.0);
        }
        let _ = self.ir_inverse.process_with_scratch(&mut self.ir_response, &mut self.ir_time, &mut self.scratch);
        // ir_time is the zero-phase response times ir_len, centred on sample
        // 0; rotate it to the middle and window it.
        let half = self.ir_len / 2;
        let scale = 1.0 / self.ir_len as f32;
        self.time_buffer.fill(0.0);
        for n in 0..self.ir_len {
            let source = (n + self.ir_len - half) % self.ir_len;
            self.time_buffer[n] = self.ir_time[source] * scale * self.ir_window[n];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn band_power(signal: &[f32], sr: f32, lo_hz: f32, hi_hz: f32) -> f32 {
        // Goertzel-free check: a plain DFT over a few bins is enough here.
        let n = signal.len();
        let mut power = 0.0;
        let k_lo = (lo_hz / sr * n as f32) as usize;
        let k_hi = (hi_hz / sr * n as f32) as usize;
        for k in k_lo..k_hi {
            let (mut re, mut im) = (0.0f64, 0.0f64);
            for (t, &x) in signal.iter().enumerate() {
                let angle = -2.0 * std::f64::consts::PI * (k * t) as f64 / n as f64;
                re += x as f64 * angle.cos();
                im += x as f64 * angle.sin();
            }
            power += (re * re + im * im) as f32;
        }
        power / (k_hi - k_lo).max(1) as f32
    }

    /// `num_segments` consecutive segments of `segment_samples` each.
    fn render_segments(
        noise: &mut FilteredNoise,
        magnitudes: &[f32],
        segment_samples: usize,
        num_segments: usize,
    ) -> Vec<f32> {
        let mut out = vec![0.0f32; segment_samples * num_segments];
        for segment in out.chunks_mut(segment_samples) {
            noise.render_add(magnitudes, 1.0, segment);
        }
        out
    }

    #[test]
    fn follows_the_band_magnitudes() {
        // Low half of the bands open, high half closed.
        let sr = 48_000.0;
        let mut magnitudes = [0.0f32; 65];
        magnitudes[..20].fill(1.0);
        let mut noise = FilteredNoise::new(sr, 48_000.0, 65, 192, 7);
        let out = render_segments(&mut noise, &magnitudes, 192, 24);
        let low = band_power(&out[1024..], sr, 1_000.0, 5_000.0);
        let high = band_power(&out[1024..], sr, 12_000.0, 20_000.0);
        assert!(low > 1000.0 * high, "low {low} high {high}");
    }

    /// A 16 kHz model played at 48 kHz: flat bands fill 0–8 kHz, the
    /// response fades out by 10 kHz, nothing is left near the host's Nyquist.
    #[test]
    fn fades_out_above_the_model_bandwidth() {
        let sr = 48_000.0;
        let magnitudes = [1.0f32; 65];
        let mut noise = FilteredNoise::new(sr, 16_000.0, 65, 192, 5);
        let out = render_segments(&mut noise, &magnitudes, 192, 24);
        let inside = band_power(&out[1024..], sr, 2_000.0, 6_000.0);
        let above = band_power(&out[1024..], sr, 12_000.0, 22_000.0);
        assert!(inside > 1000.0 * above, "inside {inside} above {above}");
    }

    #[test]
    fn is_deterministic_after_reset() {
        let magnitudes = [0.5f32; 65];
        let mut noise = FilteredNoise::new(44_100.0, 16_000.0, 65, 177, 3);
        let mut first = vec![0.0f32; 500];
        noise.render_add(&magnitudes, 1.0, &mut first[..177]);
        noise.reset();
        let mut second = vec![0.0f32; 500];
        noise.render_add(&magnitudes, 1.0, &mut second[..177]);
        assert_eq!(first, second);
    }
}
