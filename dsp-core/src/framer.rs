//! Control-rate framing with exact fractional hops.
//!
//! Frame `k` ends once `ceil(k · sample_rate / frame_rate)` input samples
//! have arrived, computed with integer arithmetic on rates in millihertz, so a
//! hop that is not a whole number of samples (250 Hz at 44.1 kHz = 176.4
//! samples) alternates between its floor and ceiling and never drifts.

/// Counts input samples and says where frame boundaries fall.
#[derive(Clone, Debug)]
pub struct Framer {
    sample_rate_mhz: u64,
    frame_rate_mhz: u64,
    /// `(samples_seen · frame_rate) mod sample_rate`, in millihertz-samples.
    phase: u64,
}

fn to_millihertz(rate_hz: f64) -> u64 {
    (rate_hz * 1000.0).round().max(1.0) as u64
}

impl Framer {
    /// A framer at `sample_rate_hz` producing `frame_rate_hz` frames per second.
    /// `frame_rate_hz` must not exceed `sample_rate_hz`. Real-time safe.
    pub fn new(sample_rate_hz: f64, frame_rate_hz: f64) -> Self {
        let sample_rate_mhz = to_millihertz(sample_rate_hz);
        let frame_rate_mhz = to_millihertz(frame_rate_hz).min(sample_rate_mhz);
        Self { sample_rate_mhz, frame_rate_mhz, phase: 0 }
    }

    /// Forgets all samples seen: the next frame ends one hop from now.
    /// Real-time safe.
    pub fn reset(&mut self) {
        self.phase = 0;
    }

    /// Longest hop in whole samples (the ceiling of the exact hop).
    pub fn max_hop_samples(&self) -> usize {
        self.sample_rate_mhz.div_ceil(self.frame_rate_mhz) as usize
    }

    /// Exact hop in samples (may be fractional).
    pub fn hop_samples(&self) -> f64 {
        self.sample_rate_mhz as f64 / self.frame_rate_mhz as f64
    }

    /// How many more samples complete the current frame (at least 1).
    /// Real-time safe.
    pub fn samples_to_next_frame(&self) -> usize {
        (self.sample_rate_mhz - self.phase).div_ceil(self.frame_rate_mhz) as usize
    }

    /// Consumes `num_samples` samples, at most [`Self::samples_to_next_frame`];
    /// returns true when they complete a frame. Real-time safe.
    pub fn advance(&mut self, num_samples: usize) -> bool {
        debug_assert!(num_samples <= self.samples_to_next_frame());
        self.phase += num_samples as u64 * self.frame_rate_mhz;
        if self.phase >= self.sample_rate_mhz {
            self.phase -= self.sample_rate_mhz;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frame k ends at exactly ceil(k · sr / fr) for every k, whatever the
    /// chunking, over ten minutes of audio (no drift).
    #[test]
    fn boundaries_are_exact_without_drift() {
        for &(sr, fr) in &[(44_100.0, 250.0), (48_000.0, 250.0), (22_050.0, 62.5), (192_000.0, 100.0)] {
            let mut framer = Framer::new(sr, fr);
            let mut samples_seen: u64 = 0;
            let mut frames: u64 = 0;
            let total = (sr * 600.0) as u64;
            let mut chunk = 1;
            while samples_seen < total {
                let n = chunk.min(framer.samples_to_next_frame());
                samples_seen += n as u64;
                if framer.advance(n) {
                    frames += 1;
                    let expected_end = (frames as f64 * sr / fr).ceil() as u64;
                    assert_eq!(samples_seen, expected_end, "frame {frames} at {sr} Hz / {fr} Hz");
                }
                chunk = chunk % 97 + 1;
            }
            assert_eq!(frames, (total as f64 * fr / sr).floor() as u64);
        }
    }

    #[test]
    fn fractional_hop_alternates_floor_and_ceiling() {
        let framer = Framer::new(44_100.0, 250.0);
        assert_eq!(framer.max_hop_samples(), 177);
        assert!((framer.hop_samples() - 176.4).abs() < 1e-9);
    }
}
