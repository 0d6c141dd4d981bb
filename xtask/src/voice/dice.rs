//! Seeded randomness: the planner's draws and the seed scrambler.

use std::ops::RangeInclusive;

use dsp_core::rng::NoiseRng;

use super::curve::lerp;

/// SplitMix64's finaliser: nearby seeds give unrelated streams.
pub(super) fn scramble(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The planner's random draws, all from one [`NoiseRng`] stream.
pub(super) struct Dice(NoiseRng);

impl Dice {
    /// The stream of `seed`.
    pub(super) fn new(seed: u64) -> Self {
        Self(NoiseRng::new(scramble(seed)))
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (f64::from(self.0.next_sample()) + 1.0) / 2.0
    }

    /// Uniform in `range`.
    pub(super) fn uniform(&mut self, range: RangeInclusive<f64>) -> f64 {
        lerp(*range.start(), *range.end(), self.unit())
    }

    /// Uniform integer in `range`.
    pub(super) fn int(&mut self, range: RangeInclusive<usize>) -> usize {
        range.start() + self.index(range.end() - range.start() + 1)
    }

    /// Uniform in 0..`len`.
    pub(super) fn index(&mut self, len: usize) -> usize {
        ((self.unit() * len as f64) as usize).min(len.saturating_sub(1))
    }

    /// True with `probability`.
    pub(super) fn chance(&mut self, probability: f64) -> bool {
        self.unit() < probability
    }

    /// One of `items`, uniformly.
    pub(super) fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.index(items.len())]
    }
}
