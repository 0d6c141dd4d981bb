//! Convolution reverb with an impulse response handed in at preparation time
//! (a checkpoint's learned IR, resampled to the host rate there).
//!
//! Zero added latency and bounded cost per sample: the first
//! `PARTITION_SIZES[0]` taps run as a direct-form FIR; each later range of
//! taps runs as uniformly partitioned overlap-save FFT convolution (UPOLS)
//! whose partition size equals the range's first tap, so every block's output
//! depends only on input blocks already complete when it starts (Gardner's
//! arrangement). Small partitions near the start keep the FIR short; large
//! ones in the tail keep the frequency-domain work per sample low.

use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

use crate::history::HistoryBuffer;
use crate::resample::resample_clip;

/// Partition size of each stage, host samples: stage `s` covers taps
/// `PARTITION_SIZES[s] .. PARTITION_SIZES[s + 1]` (the last one to the end);
/// taps before `PARTITION_SIZES[0]` run as a direct FIR. Each size divides
/// the next. The 4096-sample stage keeps the per-sample work of a long tail
/// at high host rates low (a 3 s tail at 192 kHz is 141 of its partitions,
/// 562 of 1024-sample ones) while its block boundary, two 8192-point FFTs,
/// costs ~33 µs, a tenth of a 64-sample block at 192 kHz (8192-sample
/// partitions: ~58 µs).
const PARTITION_SIZES: [usize; 3] = [64, 512, 4096];

/// The longest impulse response the reverb plays, seconds; longer ones are
/// cut. DDSP's own reverb is 3 s long (48,000 taps at 16 kHz). At this
/// length and 192 kHz the worst callback stays inside the real-time budget
/// (`cargo bench -p ddsp-plugin --bench plugin_cpu`, the callback report).
pub const MAX_IR_SECONDS: f32 = 3.0;

/// One uniformly partitioned stage covering taps `block .. block · (1 + K)`.
///
/// Its work is spread over the samples, not bunched at block boundaries:
/// the next output block is the sum of every IR partition times the input
/// block of its age, and all but the first partition meet input blocks that
/// are already complete. Those products accumulate a share at a time while
/// the current block fills, so a boundary costs one partition's product and
/// the two FFTs, whatever the IR's length.
struct PartitionedStage {
    /// Partition size, host samples.
    block: usize,
    /// Number of IR partitions `K`.
    num_partitions: usize,
    /// The `2 × block` forward FFT, planned at construction.
    forward: Arc<dyn RealToComplex<f32>>,
    /// The `2 × block` inverse FFT, planned at construction.
    inverse: Arc<dyn ComplexToReal<f32>>,
    /// `num_partitions × (block + 1)` spectra of the IR partitions.
    partitions: Vec<Complex32>,
    /// Frequency-domain delay line of input spectra, same layout, a ring;
    /// slot `newest` holds the latest complete block.
    delay_line: Vec<Complex32>,
    newest: usize,
    /// How many delay-line slots hold input since the last reset (at most
    /// `num_partitions`); older slots are stale and skipped, so a reset
    /// need not clear the delay line.
    valid_slots: usize,
    /// The previous input block followed by the current one.
    input_pair: Vec<f32>,
    /// Samples of the current input block received so far.
    fill: usize,
    /// The output for the current block (played as it fills).
    output_block: Vec<f32>,
    /// Partitions `1 ..` of the next output block's spectrum, accumulated
    /// while the current block fills.
    tail_accumulator: Vec<Complex32>,
    /// Partitions accumulated into `tail_accumulator` so far, from 1.
    tail_done: usize,
    /// Scratch: the FFTs' time-domain side (`2 × block`).
    time_buffer: Vec<f32>,
    /// Scratch for the FFTs.
    scratch: Vec<Complex32>,
}

impl PartitionedStage {
    fn new(taps: &[f32], block: usize, planner: &mut RealFftPlanner<f32>) -> Self {
        let num_partitions = taps.len().div_ceil(block);
        let bins = block + 1;
        let forward = planner.plan_fft_forward(2 * block);
        let inverse = planner.plan_fft_inverse(2 * block);
        let mut time_buffer = forward.make_input_vec();
        let mut scratch = vec![Complex32::new(0.0, 0.0); forward.get_scratch_len().max(inverse.get_scratch_len())];
        let mut partitions = vec![Complex32::new(0.0, 0.0); num_partitions * bins];
        for (partition, spectrum) in taps.chunks(block).zip(partitions.chunks_mut(bins)) {
            time_buffer.fill(0.0);
            time_buffer[..partition.len()].copy_from_slice(partition);
            let _ = forward.process_with_scratch(&mut time_buffer, spectrum, &mut scratch);
        }
        Self {
            block,
            num_partitions,
            delay_line: vec![Complex32::new(0.0, 0.0); num_partitions * bins],
            newest: 0,
            valid_slots: 0,
            input_pair: vec![0.0; 2 * block],
            fill: 0,
            output_block: vec![0.0; block],
            tail_accumulator: vec![Complex32::new(0.0, 0.0); bins],
            tail_done: 0,
            partitions,
            forward,
            inverse,
            time_buffer,
            scratch,
        }
    }

    /// Forgets all input. Costs a few blocks' worth of clearing, never the
    /// delay line's size.
    fn reset(&mut self) {
        self.valid_slots = 0;
        self.input_pair.fill(0.0);
        self.output_block.fill(0.0);
        self.tail_accumulator.fill(Complex32::new(0.0, 0.0));
        self.tail_done = 0;
        self.fill = 0;
    }

    /// Adds this stage's share of the convolution of `input` to `output`.
    fn process_add(&mut self, input: &[f32], output: &mut [f32]) {
        let mut done = 0;
        while done < input.len() {
            let len = (self.block - self.fill).min(input.len() - done);
            for n in 0..len {
                output[done + n] += self.output_block[self.fill + n];
            }
            self.input_pair[self.block + self.fill..self.block + self.fill + len]
                .copy_from_slice(&input[done..done + len]);
            self.fill += len;
            done += len;
            // The tail's share of the samples received so far.
            self.accumulate_tail(((self.num_partitions - 1) * self.fill).div_ceil(self.block));
            if self.fill == self.block {
                self.complete_block();
            }
        }
    }

    /// Accumulates the next output block's partitions `tail_done + 1 ..=
    /// until`. At the next boundary partition `p` meets the block that is
    /// `p - 1` blocks older than today's newest.
    fn accumulate_tail(&mut self, until: usize) {
        let bins = self.block + 1;
        let until = until.min(self.valid_slots);
        while self.tail_done < until {
            let partition = self.tail_done + 1;
            let age = (self.newest + partition - 1) % self.num_partitions;
            let input = &self.delay_line[age * bins..(age + 1) * bins];
            let filter = &self.partitions[partition * bins..(partition + 1) * bins];
            multiply_add(&mut self.tail_accumulator, input, filter);
            self.tail_done += 1;
        }
    }

    /// The current input block is complete: add its spectrum to the delay
    /// line and compute the next block's output from it (partition 0) and
    /// the tail accumulated meanwhile.
    fn complete_block(&mut self) {
        let bins = self.block + 1;
        self.accumulate_tail(self.num_partitions - 1);
        self.newest = (self.newest + self.num_partitions - 1) % self.num_partitions;
        self.valid_slots = (self.valid_slots + 1).min(self.num_partitions);
        self.time_buffer.copy_from_slice(&self.input_pair);
        let slot = &mut self.delay_line[self.newest * bins..(self.newest + 1) * bins];
        let _ = self.forward.process_with_scratch(&mut self.time_buffer, slot, &mut self.scratch);
        self.input_pair.copy_within(self.block.., 0);
        self.fill = 0;

        let input = &self.delay_line[self.newest * bins..(self.newest + 1) * bins];
        multiply_add(&mut self.tail_accumulator, input, &self.partitions[..bins]);
        let _ = self.inverse.process_with_scratch(&mut self.tail_accumulator, &mut self.time_buffer, &mut self.scratch);
        let scale = 1.0 / (2 * self.block) as f32;
        for (out, &value) in self.output_block.iter_mut().zip(&self.time_buffer[self.block..]) {
            *out = value * scale;
        }
        self.tail_accumulator.fill(Complex32::new(0.0, 0.0));
        self.tail_done = 0;
    }
}

/// `accumulator += input · filter`, bin by bin.
fn multiply_add(accumulator: &mut [Complex32], input: &[Complex32], filter: &[Complex32]) {
    for ((acc, x), h) in accumulator.iter_mut().zip(input).zip(filter) {
        acc.re += x.re * h.re - x.im * h.im;
        acc.im += x.re * h.im + x.im * h.re;
    }
}

/// Zero-latency convolution reverb. An empty impulse response means off.
pub struct Reverb {
    head_reversed: Vec<f32>,
    history: HistoryBuffer,
    stages: Vec<PartitionedStage>,
}

impl Reverb {
    /// A reverb with `impulse_response` recorded at `ir_rate_hz`, running at
    /// `host_rate_hz`, cut to [`MAX_IR_SECONDS`]. Resamples and transforms
    /// the IR: allocates, call at preparation time.
    pub fn new(impulse_response: &[f32], ir_rate_hz: f32, host_rate_hz: f32) -> Self {
        // A corrupt IR must not silence the wet path: non-finite taps are 0.
        // Beyond the cap the work per sample would outgrow the budget.
        let max_taps = (MAX_IR_SECONDS * ir_rate_hz) as usize;
        let finite: Vec<f32> =
            impulse_response.iter().take(max_taps).map(|&t| if t.is_finite() { t } else { 0.0 }).collect();
        let mut taps = resample_clip(&finite, ir_rate_hz, host_rate_hz);
        // Trailing silence costs work and adds nothing.
        let last_audible = taps.iter().rposition(|&t| t.abs() > 1e-7).map_or(0, |i| i + 1);
        taps.truncate(last_audible);
        let head_len = PARTITION_SIZES[0].min(taps.len());
        let mut planner = RealFftPlanner::<f32>::new();
        let mut stages = Vec::new();
        for (index, &block) in PARTITION_SIZES.iter().enumerate() {
            let end = PARTITION_SIZES.get(index + 1).copied().unwrap_or(usize::MAX).min(taps.len());
            if end > block {
                stages.push(PartitionedStage::new(&taps[block..end], block, &mut planner));
            }
        }
        Self {
            head_reversed: taps[..head_len].iter().rev().copied().collect(),
            history: HistoryBuffer::new(PARTITION_SIZES[0]),
            stages,
        }
    }

    /// A reverb that is off.
    pub fn off() -> Self {
        Self::new(&[], 1.0, 1.0)
    }

    /// True when there is no impulse response.
    pub fn is_off(&self) -> bool {
        self.head_reversed.is_empty()
    }

    /// Clears the reverb's tail. Real-time safe, and bounded: it clears a
    /// few blocks of state, never the whole delay line.
    pub fn reset(&mut self) {
        self.history.clear();
        self.stages.iter_mut().for_each(PartitionedStage::reset);
    }

    /// Writes the convolution of `input` with the impulse response into
    /// `wet` (same length). Real-time safe.
    pub fn process(&mut self, input: &[f32], wet: &mut [f32]) {
        if self.is_off() {
            wet.fill(0.0);
            return;
        }
        let head_len = self.head_reversed.len();
        for (&x, out) in input.iter().zip(wet.iter_mut()) {
            self.history.push(&[x]);
            let recent = self.history.latest(head_len);
            *out = recent.iter().zip(&self.head_reversed).map(|(a, b)| a * b).sum();
        }
        for stage in &mut self.stages {
            stage.process_add(input, wet);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn direct_convolution(signal: &[f32], ir: &[f32]) -> Vec<f32> {
        (0..signal.len()).map(|n| (0..ir.len().min(n + 1)).map(|t| ir[t] * signal[n - t]).sum()).collect()
    }

    /// Equals direct convolution, with zero latency, for any chunking.
    #[test]
    fn matches_direct_convolution() {
        let ir = decaying_noise(5000, 1500.0);
        let signal: Vec<f32> = (0..9000).map(|n| (n * 104_729 % 997) as f32 / 997.0 - 0.5).collect();
        let expected = direct_convolution(&signal, &ir);
        let wet = process_in_uneven_chunks(&mut Reverb::new(&ir, 48_000.0, 48_000.0), &signal);
        let max_error = expected.iter().zip(&wet).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(max_error < 1e-4, "max error {max_error}");
    }

    /// `signal` convolved with `ir` through one large FFT, for IRs too long
    /// to check against the direct sum in a debug build.
    fn fft_convolution(signal: &[f32], ir: &[f32]) -> Vec<f32> {
        let len = (signal.len() + ir.len()).next_power_of_two();
        let mut planner = RealFftPlanner::<f64>::new();
        let (forward, inverse) = (planner.plan_fft_forward(len), planner.plan_fft_inverse(len));
        let spectrum = |x: &[f32]| {
            let mut padded = vec![0.0f64; len];
            padded.iter_mut().zip(x).for_each(|(p, &v)| *p = v as f64);
            let mut out = forward.make_output_vec();
            forward.process(&mut padded, &mut out).unwrap();
            out
        };
        let mut product: Vec<_> = spectrum(signal).iter().zip(&spectrum(ir)).map(|(a, b)| a * b).collect();
        let mut out = vec![0.0f64; len];
        inverse.process(&mut product, &mut out).unwrap();
        out[..signal.len()].iter().map(|v| (v / len as f64) as f32).collect()
    }

    fn decaying_noise(len: usize, decay_samples: f32) -> Vec<f32> {
        (0..len).map(|n| ((n * 7919 % 1000) as f32 / 1000.0 - 0.5) * (-(n as f32) / decay_samples).exp()).collect()
    }

    fn process_in_uneven_chunks(reverb: &mut Reverb, signal: &[f32]) -> Vec<f32> {
        let mut wet = vec![0.0f32; signal.len()];
        let mut start = 0;
        let mut chunk = 1;
        while start < signal.len() {
            let end = (start + chunk).min(signal.len());
            reverb.process(&signal[start..end], &mut wet[start..end]);
            start = end;
            chunk = chunk * 7 % 1201 + 1;
        }
        wet
    }

    /// A tail long enough for every stage (the 4096-sample partitions
    /// included, whose products are spread over the samples) still equals
    /// the convolution, for any chunking.
    #[test]
    fn long_tails_match_the_convolution() {
        let ir = decaying_noise(40_000, 12_000.0);
        let signal: Vec<f32> = (0..60_000usize).map(|n| (n * 104_729 % 997) as f32 / 997.0 - 0.5).collect();
        let expected = fft_convolution(&signal, &ir);
        let wet = process_in_uneven_chunks(&mut Reverb::new(&ir, 48_000.0, 48_000.0), &signal);
        let max_error = expected.iter().zip(&wet).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(max_error < 1e-3, "max error {max_error}");
    }

    /// After a reset nothing of the old input sounds: the output is the
    /// same, to the bit, as a new reverb's, though the reset leaves the
    /// frequency-domain delay line as it was.
    #[test]
    fn reset_forgets_all_input() {
        let ir = decaying_noise(20_000, 6_000.0);
        let signal: Vec<f32> = (0..30_000).map(|n| ((n * 31) % 17) as f32 / 17.0 - 0.5).collect();
        let mut used = Reverb::new(&ir, 48_000.0, 48_000.0);
        process_in_uneven_chunks(&mut used, &signal);
        used.reset();
        let after_reset = process_in_uneven_chunks(&mut used, &signal[..25_000]);
        let fresh = process_in_uneven_chunks(&mut Reverb::new(&ir, 48_000.0, 48_000.0), &signal[..25_000]);
        assert!(after_reset == fresh);
    }

    /// An impulse response longer than the cap plays cut at the cap.
    #[test]
    fn impulse_responses_are_cut_at_the_cap() {
        let rate = 4_000.0;
        let max_taps = (MAX_IR_SECONDS * rate) as usize;
        let ir = vec![0.25f32; max_taps + 2_000];
        let mut impulse = vec![0.0f32; ir.len() + 100];
        impulse[0] = 1.0;
        let wet = process_in_uneven_chunks(&mut Reverb::new(&ir, rate, rate), &impulse);
        assert!(wet[..max_taps].iter().all(|&v| (v - 0.25).abs() < 1e-5));
        assert!(wet[max_taps..].iter().all(|&v| v.abs() < 1e-5));
    }

    /// An IR recorded at 16 kHz keeps its timing at 48 kHz: a reflection
    /// 100 samples (6.25 ms) in lands 300 host samples in.
    #[test]
    fn ir_is_resampled_to_the_host_rate() {
        let mut ir = vec![0.0f32; 400];
        ir[100] = 1.0;
        let mut reverb = Reverb::new(&ir, 16_000.0, 48_000.0);
        let mut impulse = vec![0.0f32; 2000];
        impulse[0] = 1.0;
        let mut wet = vec![0.0f32; 2000];
        reverb.process(&impulse, &mut wet);
        let peak = wet.iter().enumerate().max_by(|a, b| a.1.abs().total_cmp(&b.1.abs())).unwrap().0;
        assert_eq!(peak, 300);
    }

    #[test]
    fn non_finite_taps_are_dropped() {
        let mut reverb = Reverb::new(&[0.5, f32::NAN, f32::INFINITY, 0.25], 48_000.0, 48_000.0);
        let mut wet = [0.0f32; 4];
        reverb.process(&[1.0, 0.0, 0.0, 0.0], &mut wet);
        assert_eq!(wet, [0.5, 0.0, 0.0, 0.25]);
    }

    #[test]
    fn empty_ir_is_off() {
        let mut reverb = Reverb::off();
        let mut wet = [1.0f32; 4];
        reverb.process(&[1.0; 4], &mut wet);
        assert_eq!(wet, [0.0; 4]);
    }
}
