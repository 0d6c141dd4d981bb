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
    /// The window's power spectrum, bins `0 ..= fft_len / 2` (kept for
    /// [`NsdfPlan::exact_peak`]).
    power: Vec<f32>,
    /// NSDF's denominator `m(τ)` at lags `0 ..= max_lag + 1`: the energy of
    /// the samples that overlap at each lag.
    overlap_energy: Vec<f32>,
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
            power: vec![0.0; fft_len / 2 + 1],
            overlap_energy: vec![0.0; max_lag + 2],
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
        for (bin, power) in self.spectrum.iter_mut().zip(&mut self.power) {
            *power = bin.norm_sqr();
            *bin = Complex32::new(*power, 0.0);
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
            self.overlap_energy[lag] = m;
            self.nsdf[lag] = if m > 1e-12 { 2.0 * self.time_buffer[lag] * scale / m } else { 0.0 };
        }
        true
    }

    /// The NSDF's peak near the key maximum `lag` of the last computed
    /// window, between the lags: (fractional lag, height). The window is
    /// band-limited, so its autocorrelation at any lag is the power
    /// spectrum's cosine sum there: one Newton step on that sum from the
    /// parabola's vertex finds the peak, and the sum's Taylor expansion
    /// gives its height. The parabola through whole lags
    /// ([`parabolic_peak`]) misses a bright note's sharp peak by 0.1 and
    /// more when the period falls halfway between two lags; this is within
    /// a few thousandths wherever it falls, so two peaks' heights can be
    /// compared to a few hundredths. (Partials above half the analysis rate
    /// that the anti-alias filter lets through fold back as other
    /// frequencies, and are interpolated as such.) Real-time safe; one pass
    /// over the spectrum (about 1.7 µs at 48 kHz on our 2-core development machine).
    pub(super) fn exact_peak(&self, lag: usize) -> (f32, f32) {
        let (start, start_height) = parabolic_peak(&self.nsdf, lag);
        if lag == 0 || lag + 1 >= self.nsdf.len() {
            return (start, start_height);
        }
        let start = start as f64;
        let (r, slope, curvature) = cosine_sum_and_derivatives(&self.power, start, self.time_buffer.len() as f64);
        if curvature >= 0.0 {
            return (start as f32, start_height);
        }
        // m(τ) is nearly constant across one lag: the step maximises r.
        let peak = (start - slope / curvature).clamp(lag as f64 - 1.0, lag as f64 + 1.0);
        let step = peak - start;
        let r_at_peak = r + slope * step + 0.5 * curvature * step * step;
        let m = self.overlap_energy_at(peak);
        if m <= 1e-12 {
            return (start as f32, start_height);
        }
        (peak as f32, (2.0 * r_at_peak / m) as f32)
    }

    /// `m(τ)` between whole lags, linearly interpolated.
    fn overlap_energy_at(&self, lag: f64) -> f64 {
        let below = (lag.floor() as usize).min(self.overlap_energy.len() - 2);
        let fraction = lag - below as f64;
        let (a, b) = (self.overlap_energy[below] as f64, self.overlap_energy[below + 1] as f64);
        a + (b - a) * fraction
    }
}

/// Bins whose phases [`cosine_sum_and_derivatives`] turns at once (one
/// AVX register of f32).
const PHASOR_BLOCK: usize = 8;

/// The autocorrelation whose power spectrum (bins `0 ..= fft_len / 2`) is
/// `power`, at the fractional `lag`, with its first and second derivatives
/// in the lag: the real inverse DFT's cosine sum, scaled as `r(τ)`. The
/// phases turn [`PHASOR_BLOCK`] bins at a time, each block's from one
/// running phasor (in f64, so 128 turns stay exact), so the bins of a block
/// are independent work in f32 lanes.
fn cosine_sum_and_derivatives(power: &[f32], lag: f64, fft_len: f64) -> (f64, f64, f64) {
    let radians_per_bin = std::f64::consts::TAU * lag / fft_len;
    let offsets: [(f64, f64); PHASOR_BLOCK] = std::array::from_fn(|offset| (radians_per_bin * offset as f64).sin_cos());
    let (block_sin, block_cos) = (radians_per_bin * PHASOR_BLOCK as f64).sin_cos();
    let (mut cos, mut sin) = (1.0f64, 0.0f64);
    let mut sum = [0.0f32; PHASOR_BLOCK];
    let mut slope = [0.0f32; PHASOR_BLOCK];
    let mut curvature = [0.0f32; PHASOR_BLOCK];
    let mut bins: [f32; PHASOR_BLOCK] = std::array::from_fn(|offset| offset as f32);
    let blocks = power.chunks_exact(PHASOR_BLOCK);
    let rest = blocks.remainder();
    for powers in blocks {
        let bin_cos: [f32; PHASOR_BLOCK] = std::array::from_fn(|j| (cos * offsets[j].1 - sin * offsets[j].0) as f32);
        let bin_sin: [f32; PHASOR_BLOCK] = std::array::from_fn(|j| (sin * offsets[j].1 + cos * offsets[j].0) as f32);
        for j in 0..PHASOR_BLOCK {
            let weighted = powers[j] * bins[j];
            sum[j] += powers[j] * bin_cos[j];
            slope[j] -= weighted * bin_sin[j];
            curvature[j] -= weighted * bins[j] * bin_cos[j];
            bins[j] += PHASOR_BLOCK as f32;
        }
        (cos, sin) = (cos * block_cos - sin * block_sin, sin * block_cos + cos * block_sin);
    }
    let total = |lanes: [f32; PHASOR_BLOCK]| lanes.iter().map(|&lane| lane as f64).sum::<f64>();
    let (mut sum, mut slope, mut curvature) = (total(sum), total(slope), total(curvature));
    let first_rest = power.len() - rest.len();
    for (offset, &p) in rest.iter().enumerate() {
        let k = (first_rest + offset) as f64;
        let (bin_sin, bin_cos) = (radians_per_bin * k).sin_cos();
        sum += p as f64 * bin_cos;
        slope -= p as f64 * k * bin_sin;
        curvature -= p as f64 * k * k * bin_cos;
    }
    // Bins 1 … N/2 − 1 stand for their mirror images too: twice the sum,
    // less the two bins that have none.
    let last = power.len() - 1;
    let (last_sin, last_cos) = (radians_per_bin * last as f64).sin_cos();
    let (first_power, last_power) = (power[0] as f64, power[last] as f64);
    let k = last as f64;
    sum = 2.0 * sum - first_power - last_power * last_cos;
    slope = 2.0 * slope + last_power * k * last_sin;
    curvature = 2.0 * curvature + last_power * k * k * last_cos;
    let radians_per_lag = std::f64::consts::TAU / fft_len;
    (sum / fft_len, slope * radians_per_lag / fft_len, curvature * radians_per_lag * radians_per_lag / fft_len)
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

/// The NSDF of `window` (minus `mean`) at the lags `center − 1 … center + 1`.
pub(super) fn nsdf_around(window: &[f32], mean: f32, center: usize) -> [f32; 3] {
    [center - 1, center, center + 1].map(|lag| host_nsdf(window, mean, lag))
}

/// The lag among `center − 1 … center + 1` where `window` (minus `mean`)
/// is most periodic, and its NSDF.
pub(super) fn highest_nsdf_near(window: &[f32], mean: f32, center: usize) -> (usize, f32) {
    highest_of(center, nsdf_around(window, mean, center))
}

/// The lag among `center − 1 … center + 1` whose value in `around` (see
/// [`nsdf_around`]) is highest, and that value.
pub(super) fn highest_of(center: usize, around: [f32; 3]) -> (usize, f32) {
    (center - 1..=center + 1).zip(around).fold((center, f32::MIN), |a, b| if b.1 > a.1 { b } else { a })
}

/// Height of the NSDF peak at the middle of `around` (see [`nsdf_around`]),
/// the highest of the three lags: the vertex of the parabola through them
/// (a peak between two lags reads up to a few hundredths low on either),
/// or the middle's own value where a neighbour is higher.
pub(super) fn peak_height(around: [f32; 3]) -> f32 {
    if around[1] >= around[0] && around[1] >= around[2] {
        parabola_vertex(around).1
    } else {
        around[1]
    }
}

/// [`peak_height`] of `window` (minus `mean`) at `center`.
pub(super) fn nsdf_peak_height(window: &[f32], mean: f32, center: usize) -> f32 {
    peak_height(nsdf_around(window, mean, center))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A bright note (every harmonic up to 40 % of the rate at the same
    /// level, as a muted trumpet's) whose period is `period` samples, `len`
    /// samples long.
    fn bright_note(period: f64, len: usize) -> Vec<f32> {
        let harmonics = (0.4 * period) as usize;
        (0..len)
            .map(|n| {
                let phase = std::f64::consts::TAU * n as f64 / period;
                (1..=harmonics).map(|k| (k as f64 * phase + 0.3 * k as f64).sin()).sum::<f64>() as f32
            })
            .collect()
    }

    /// Where a bright note's period falls halfway between two lags, the
    /// parabola through whole lags reads its peak far too low, and its
    /// octave below (a whole number of lags) nearly right; the exact peak
    /// reads both alike, at the period.
    #[test]
    fn exact_peak_reads_a_sharp_peak_between_lags() {
        let (window_len, max_lag) = (882, 551);
        let mut plan = NsdfPlan::new(&mut RealFftPlanner::new(), window_len, max_lag);
        for period in [33.5, 37.25, 50.5] {
            assert!(plan.compute(&bright_note(period, window_len)));
            let mut key_maxima = [0; MAX_KEY_MAXIMA];
            let count = find_key_maxima(&plan.nsdf, 2, max_lag, &mut key_maxima);
            let near = |target: f64| {
                key_maxima[..count].iter().copied().min_by_key(|&lag| (lag as f64 - target).abs() as usize).unwrap()
            };
            let (lag, octave_below) = (near(period), near(2.0 * period));
            let (position, height) = plan.exact_peak(lag);
            let (below_position, below_height) = plan.exact_peak(octave_below);
            assert!((position as f64 - period).abs() < 0.01, "{period}: peak at {position}");
            assert!((below_position as f64 - 2.0 * period).abs() < 0.01, "{period}: below at {below_position}");
            assert!(height > 0.99 && (height - below_height).abs() < 0.005, "{period}: {height} and {below_height}");
            if period.fract() == 0.5 {
                let parabolic = parabolic_peak(&plan.nsdf, lag).1;
                assert!(parabolic < height - 0.05, "{period}: the parabola read {parabolic}, exact {height}");
            }
        }
    }
}
