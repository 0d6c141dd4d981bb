//! The seeded white-noise source of the filtered-noise synth.
//!
//! Why our own: four lines of xorshift are all the synth needs, and owning
//! them fixes the exact sequence, so renders are identical across versions of
//! any random-number crate.

/// Default seed: every render starts from the same noise.
pub const DEFAULT_NOISE_SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// xorshift64* generator of uniform samples in [−1, 1).
#[derive(Clone, Debug)]
pub struct NoiseRng {
    state: u64,
}

impl NoiseRng {
    /// A generator with `seed` (0 is replaced by [`DEFAULT_NOISE_SEED`]).
    pub fn new(seed: u64) -> Self {
        Self { state: if seed == 0 { DEFAULT_NOISE_SEED } else { seed } }
    }

    /// Next uniform sample in [−1, 1). Real-time safe.
    #[inline]
    pub fn next_sample(&mut self) -> f32 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        let bits = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40;
        bits as f32 * (2.0 / (1u64 << 24) as f32) - 1.0
    }
}
