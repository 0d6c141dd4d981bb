//! The normalised square difference function (McLeod & Wyvill 2005) and
//! the peak picking on it: one window length's NSDF through pre-planned
//! real FFTs, its key maxima, MPM's choice among them, and the parabolic
//! interpolation of a peak.

use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

/// A key maximum within this share of the highest one is taken (MPM's `k`).
const MPM_CUTOFF: f32 = 0.8;
/// Mean square below which a window is silence (−100 dBFS).
const SILENCE_POWER: f32 = 1e-10;
/// Most key maxima considered per frame.
pub(super) const MAX_KEY_MAXIMA: usize = 64;

/// One window length's NSDF through pre-planned real FFTs (linear, not
/// circular, correlation). Plans and sizes at construction; `compute` is
/// real-time safe.
pub(super) struct NsdfPlan {
    /// Samples per window (analysis rate).
    pub(super) window_len: usize,
    /// Forward real FFT of `window_len` samples zero-padded past the
    /// longest lag (so the correlation is linear).
    forward: Arc<dyn RealToComplex<f32>>,
    /// Inverse real FFT of the same length.
    inverse: Arc<dyn ComplexToReal<f32>>,
    /// The padded window, then the autocorrelation times the FFT length.
    time_buffer: Vec<f32>,
    /// The window's spectrum, then its power.
    spectrum: Vec<Complex32>,
    /// Scratch for both FFTs.
    scratch: Vec<Complex32>,
    /// NSDF at lags `0 ..= max_lag + 1`, −1 … 1.
    pub(super) nsdf: Vec<f32>,
}

impl NsdfPlan {
    /// Plans the FFTs for `window_len`-sample windows and lags up to
    /// `max_lag`. Allocates.
    pub(super) fn new(planner: &mut RealFftPlanner<f32>, window_len: usize, max_lag: usize) -> Self {
        let fft_len = (window_len + max_lag + 2).next_power_of_two();
        let forward = planner.plan_fft_forward(fft_len);
        let inverse = planner.plan_fft_inverse(fft_len);
        let scratch_len = forward.get_scratch_len().max(inverse.get_scratch_len());
        Self {
            window_len,
            time_buffer: forward.make_input_vec(),
            spectrum: forward.make_output_vec(),
            scratch: vec![Complex32::new(0.0, 0.0); scratch_len],
            nsdf: vec![0.0; max_lag + 2],
            forward,
            inverse,
        }
    }

    /// NSDF of `window` (`window_len` samples) into `nsdf`; false on silence.
    pub(super) fn compute(&mut self, window: &[f32]) -> bool {
        let mean = window_mean(window);
        let mut energy = 0.0f32;
        for (dst, &x) in self.time_buffer.iter_mut().zip(window) {
            *dst = x - mean;
            energy += *dst * *dst;
        }
        if energy / (self.window_len as f32) < SILENCE_POWER || !energy.is_finite() {
            return false;
        }
        self.time_buffer[self.window_len..].fill(0.0);
        let _ = self.forward.process_with_scratch(&mut self.time_buffer, &mut self.spectrum, &mut self.scratch);
        for bin in self.spectrum.iter_mut() {
            *bin = Complex32::new(bin.norm_sqr(), 0.0);
        }
        let _ = self.inverse.process_with_scratch(&mut self.spectrum, &mut self.time_buffer, &mut self.scratch);
        // time_buffer now holds fft_len · r(τ); the window itself is gone, so
        // the running energy term is rebuilt from `window`.
        let scale = 1.0 / self.time_buffer.len() as f32;
        let mut m = 2.0 * energy;
        for lag in 0..self.nsdf.len() {
            if lag > 0 {
                let head = window[lag - 1] - mean;
                let tail = window[self.window_len - lag] - mean;
                m -= head * head + tail * tail;
            }
            self.nsdf[lag] = if m > 1e-12 { 2.0 * self.time_buffer[lag] * scale / m } else { 0.0 };
        }
        true
    }
}

/// Fills `key_maxima` with the highest lag of each positive lobe of `nsdf`
/// after its first zero crossing, from `min_lag` to `max_lag`; returns how
/// many.
pub(super) fn find_key_maxima(
    nsdf: &[f32],
    min_lag: usize,
    max_lag: usize,
    key_maxima: &mut [usize; MAX_KEY_MAXIMA],
) -> usize {
    let end = max_lag + 1;
    let mut lag = 1;
    while lag < end && nsdf[lag] > 0.0 {
        lag += 1;
    }
    let mut count = 0;
    while lag < end && count < MAX_KEY_MAXIMA {
        while lag < end && nsdf[lag] <= 0.0 {
            lag += 1;
        }
        let mut peak = lag;
        while lag < end && nsdf[lag] > 0.0 {
            if nsdf[lag] > nsdf[peak] {
                peak = lag;
            }
            lag += 1;
        }
        if peak < end && peak >= min_lag && nsdf[peak] > 0.0 {
            key_maxima[count] = peak;
            count += 1;
        }
    }
    count
}

/// MPM's pick: the first key maximum within [`MPM_CUTOFF`] of the highest,
/// and that highest value.
pub(super) fn mpm_pick(nsdf: &[f32], key_maxima: &[usize]) -> Option<(usize, f32)> {
    let best = key_maxima.iter().map(|&lag| nsdf[lag]).reduce(f32::max)?;
    let lag = key_maxima.iter().copied().find(|&lag| nsdf[lag] >= MPM_CUTOFF * best)?;
    Some((lag, best))
}

/// The highest of `nsdf` at `lag − 1 … lag + 1` (a lobe's height without
/// interpolation; `lag` ≥ 1 and `lag + 1` inside `nsdf`).
pub(super) fn highest_near(nsdf: &[f32], lag: usize) -> f32 {
    nsdf[lag - 1..=lag + 1].iter().copied().fold(f32::MIN, f32::max)
}

/// The lag among `center − 1 … center + 1` where `window` (minus `mean`)
/// is most periodic, and its NSDF.
pub(super) fn highest_nsdf_near(window: &[f32], mean: f32, center: usize) -> (usize, f32) {
    (center - 1..=center + 1)
        .map(|candidate| (candidate, host_nsdf(window, mean, candidate)))
        .fold((center, f32::MIN), |a, b| if b.1 > a.1 { b } else { a })
}

/// Mean of `window`.
pub(super) fn window_mean(window: &[f32]) -> f32 {
    window.iter().sum::<f32>() / window.len() as f32
}

/// Over the samples of `window` minus `mean` that lie `lag` apart (a, b):
/// (Σ a·b, Σ a² + b²).
fn lagged_sums(window: &[f32], mean: f32, lag: usize) -> (f32, f32) {
    let (mut cross, mut energy) = (0.0f32, 0.0f32);
    for (&a, &b) in window.iter().zip(&window[lag..]) {
        let (a, b) = (a - mean, b - mean);
        cross += a * b;
        energy += a * a + b * b;
    }
    (cross, energy)
}

/// NSDF of `window` minus `mean` at one integer lag (any rate).
pub(super) fn host_nsdf(window: &[f32], mean: f32, lag: usize) -> f32 {
    let (cross, energy) = lagged_sums(window, mean, lag);
    if energy > 1e-12 {
        2.0 * cross / energy
    } else {
        0.0
    }
}

/// Energy of `window` minus `mean` split at one lag, over the samples
/// `lag` apart: (the part that repeats after `lag`, Σ (a + b)², the part
/// that inverts, Σ (a − b)²). The first holds the harmonics of the lag's
/// frequency, the second the partials halfway between them; their
/// difference over their sum is the NSDF at `lag`.
fn repeating_and_inverting_energy(window: &[f32], mean: f32, lag: usize) -> (f32, f32) {
    let (cross, energy) = lagged_sums(window, mean, lag);
    (energy + 2.0 * cross, energy - 2.0 * cross)
}

/// How each part of [`repeating_and_inverting_energy`] at `lag` changed
/// from `older` to `newer` (each a window and its mean), dB: (the
/// harmonics', the partials' halfway between them).
pub(super) fn energy_change_db(older: (&[f32], f32), newer: (&[f32], f32), lag: usize) -> (f32, f32) {
    let (older_harmonics, older_between) = repeating_and_inverting_energy(older.0, older.1, lag);
    let (newer_harmonics, newer_between) = repeating_and_inverting_energy(newer.0, newer.1, lag);
    let change_db =
        |newer: f32, older: f32| 10.0 * (newer.max(f32::MIN_POSITIVE) / older.max(f32::MIN_POSITIVE)).log10();
    (change_db(newer_harmonics, older_harmonics), change_db(newer_between, older_between))
}

/// Vertex of the parabola through three equally spaced values: (offset from
/// the middle in −0.5 … 0.5, height).
pub(super) fn parabola_vertex([left, middle, right]: [f32; 3]) -> (f32, f32) {
    let denominator = left - 2.0 * middle + right;
    if denominator.abs() < 1e-12 {
        return (0.0, middle);
    }
    let offset = (0.5 * (left - right) / denominator).clamp(-0.5, 0.5);
    (offset, middle - 0.25 * (left - right) * offset)
}

/// Parabolic peak of `values` around index `at`: (fractional index, height).
pub(super) fn parabolic_peak(values: &[f32], at: usize) -> (f32, f32) {
    if at == 0 || at + 1 >= values.len() {
        return (at as f32, values[at]);
    }
    let (offset, height) = parabola_vertex([values[at - 1], values[at], values[at + 1]]);
    (at as f32 + offset, height)
}
