//! The control crossfade after a decoder swap.

use crate::wire::{MAX_HARMONICS, MAX_NOISE_BANDS};

/// Blends synth controls from a snapshot into the live ones over a few
/// frames (after a decoder swap).
/// Real-time safe after construction.
pub(super) struct ControlCrossfade {
    /// Length of a fade, frames.
    num_frames: usize,
    /// Frames of the current fade still to blend.
    frames_left: usize,
    /// A swap happened; the fade starts with the new decoder's first frame.
    pub(super) pending: bool,
    /// Harmonic amplitudes the fade starts from (linear).
    from_harmonics: [f32; MAX_HARMONICS],
    /// Noise band magnitudes the fade starts from (linear).
    from_noise: [f32; MAX_NOISE_BANDS],
    /// Harmonic amplitudes of the last rendered segment (before level gains).
    last_harmonics: [f32; MAX_HARMONICS],
    /// Noise band magnitudes of the last rendered segment (before level gains).
    last_noise: [f32; MAX_NOISE_BANDS],
}

impl ControlCrossfade {
    /// A crossfade lasting `num_frames` frames (at least one).
    pub(super) fn new(num_frames: usize) -> Self {
        Self {
            num_frames: num_frames.max(1),
            frames_left: 0,
            pending: false,
            from_harmonics: [0.0; MAX_HARMONICS],
            from_noise: [0.0; MAX_NOISE_BANDS],
            last_harmonics: [0.0; MAX_HARMONICS],
            last_noise: [0.0; MAX_NOISE_BANDS],
        }
    }

    /// Forgets any fade and the last controls.
    pub(super) fn reset(&mut self) {
        self.frames_left = 0;
        self.pending = false;
        self.last_harmonics = [0.0; MAX_HARMONICS];
        self.last_noise = [0.0; MAX_NOISE_BANDS];
    }

    /// Starts fading from the last rendered controls.
    pub(super) fn start(&mut self) {
        self.from_harmonics = self.last_harmonics;
        self.from_noise = self.last_noise;
        self.frames_left = self.num_frames;
        self.pending = false;
    }

    /// Blends `harmonics` and `noise` (full-capacity arrays, in place) and
    /// remembers the result.
    pub(super) fn apply(&mut self, harmonics: &mut [f32; MAX_HARMONICS], noise: &mut [f32; MAX_NOISE_BANDS]) {
        if self.frames_left > 0 {
            let t = 1.0 - self.frames_left as f32 / (self.num_frames + 1) as f32;
            for (value, &from) in harmonics.iter_mut().zip(&self.from_harmonics) {
                *value = from + (*value - from) * t;
            }
            for (value, &from) in noise.iter_mut().zip(&self.from_noise) {
                *value = from + (*value - from) * t;
            }
            self.frames_left -= 1;
        }
        self.last_harmonics = *harmonics;
        self.last_noise = *noise;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After a start, the controls move from the snapshot to the live ones
    /// in equal steps over the fade's frames, then follow the live ones.
    #[test]
    fn fades_from_the_last_controls_in_equal_steps() {
        let mut fade = ControlCrossfade::new(3);
        let (mut harmonics, mut noise) = ([1.0; MAX_HARMONICS], [1.0; MAX_NOISE_BANDS]);
        fade.apply(&mut harmonics, &mut noise);
        fade.start();
        let mut seen = Vec::new();
        for _ in 0..5 {
            let (mut harmonics, mut noise) = ([5.0; MAX_HARMONICS], [5.0; MAX_NOISE_BANDS]);
            fade.apply(&mut harmonics, &mut noise);
            assert_eq!(harmonics[0], noise[0]);
            seen.push(harmonics[0]);
        }
        assert_eq!(seen, [2.0, 3.0, 4.0, 5.0, 5.0]);
    }
}
