//! The wet path's reverb: the instrument's reverb mixed at the trained
//! level, and the swap to a new instrument's reverb, whose output fades in
//! over the old one's.

use crate::reverb::Reverb;
use crate::reverb_level::ReverbLevel;
use crate::smoothing::Smoother;

/// The reverb with its level keeping and swap crossfade. Construct at
/// activation; everything else is real-time safe. Reverbs it lets go of are
/// handed to a `retire` callback, never freed here.
pub(super) struct ReverbStage {
    /// The reverb playing.
    reverb: Reverb,
    /// A swapped-in reverb waiting for its decoder's first played sample.
    incoming: Option<Box<Reverb>>,
    /// The previous reverb, fading out after a swap.
    fading: Option<Box<Reverb>>,
    /// The fading reverb's gain now, 1 → 0.
    fading_gain: f32,
    /// Its decrement per sample (the fade lasts the crossfade time).
    fading_step: f32,
    /// Holds the trained level at every reverb setting.
    level: ReverbLevel,
    /// Scratch: the playing reverb's output for one segment.
    wet: Vec<f32>,
    /// Scratch: the fading reverb's output for one segment.
    fading_wet: Vec<f32>,
}

impl ReverbStage {
    /// `reverb` at `sample_rate_hz`, fading over `crossfade_ms` on a swap,
    /// for segments of up to `max_segment_samples`. Allocates.
    pub(super) fn new(reverb: Reverb, sample_rate_hz: f32, crossfade_ms: f32, max_segment_samples: usize) -> Self {
        Self {
            reverb,
            incoming: None,
            fading: None,
            fading_gain: 0.0,
            fading_step: 1.0 / (crossfade_ms * 1e-3 * sample_rate_hz).max(1.0),
            level: ReverbLevel::new(sample_rate_hz),
            wet: vec![0.0; max_segment_samples],
            fading_wet: vec![0.0; max_segment_samples],
        }
    }

    /// Queues `reverb` to take over at the next [`Self::start_swap`]; a
    /// reverb already waiting goes to `retire`.
    pub(super) fn queue(&mut self, reverb: Box<Reverb>, mut retire: impl FnMut(Box<Reverb>)) {
        if let Some(replaced) = self.incoming.replace(reverb) {
            retire(replaced);
        }
    }

    /// Puts a waiting reverb in place and starts fading the old one out (a
    /// reverb still fading from an earlier swap goes to `retire`).
    pub(super) fn start_swap(&mut self, mut retire: impl FnMut(Box<Reverb>)) {
        let Some(mut reverb) = self.incoming.take() else { return };
        if let Some(cut) = self.fading.take() {
            retire(cut);
        }
        // The box that brought the new reverb carries the old one on.
        std::mem::swap(&mut self.reverb, &mut *reverb);
        self.fading = Some(reverb);
        self.fading_gain = 1.0;
    }

    /// Ends a swap at once: the waiting reverb in place, the old ones
    /// handed to `retire`.
    fn finish_swap(&mut self, mut retire: impl FnMut(Box<Reverb>)) {
        self.start_swap(&mut retire);
        if let Some(faded) = self.fading.take() {
            retire(faded);
        }
    }

    /// Forgets all sound (a swap under way is finished first).
    pub(super) fn reset(&mut self, retire: impl FnMut(Box<Reverb>)) {
        self.finish_swap(retire);
        self.reverb.reset();
        self.level.reset();
    }

    /// Adds the reverb to `segment` in place at the mix `reverb_mix` (0 … 1,
    /// stepped once per sample), fading between reverbs during a swap.
    pub(super) fn process(
        &mut self,
        segment: &mut [f32],
        reverb_mix: &mut Smoother,
        mut retire: impl FnMut(Box<Reverb>),
    ) {
        if self.reverb.is_off() && self.fading.is_none() {
            return;
        }
        let wet = &mut self.wet[..segment.len()];
        self.reverb.process(segment, wet);
        if let Some(fading) = &mut self.fading {
            let old_wet = &mut self.fading_wet[..segment.len()];
            fading.process(segment, old_wet);
            for (new, &old) in wet.iter_mut().zip(old_wet.iter()) {
                *new += (old - *new) * self.fading_gain;
                self.fading_gain = (self.fading_gain - self.fading_step).max(0.0);
            }
        }
        for (sample, &reverb) in segment.iter_mut().zip(wet.iter()) {
            *sample = self.level.mix(*sample, reverb, reverb_mix.step());
        }
        if self.fading.is_some() && self.fading_gain == 0.0 {
            self.finish_swap(&mut retire);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn impulse_reverb(gain: f32) -> Reverb {
        Reverb::new(&[gain], 48_000.0, 48_000.0)
    }

    /// A swap fades the old reverb's output into the new one's over the
    /// crossfade, then retires the old reverb; a reverb queued over another
    /// retires the one it replaces.
    #[test]
    fn a_swap_fades_between_reverbs_and_retires_the_old_ones() {
        let mut stage = ReverbStage::new(impulse_reverb(1.0), 48_000.0, 1.0, 64);
        let mut mix = Smoother::new(1.0, 48_000.0, 1.0);
        let mut retired = 0;
        stage.queue(Box::new(impulse_reverb(0.5)), |_| retired += 1);
        stage.queue(Box::new(impulse_reverb(0.0)), |_| retired += 1);
        assert_eq!(retired, 1, "the replaced waiting reverb");
        stage.start_swap(|_| retired += 1);
        let mut outputs = Vec::new();
        for _ in 0..3 {
            let mut segment = [1.0f32; 32];
            stage.process(&mut segment, &mut mix, |_| retired += 1);
            outputs.push(segment);
        }
        // 48 samples of fade: from the old reverb (1.0) to the new (0.0).
        assert!(outputs[0][0] > outputs[0][31] && outputs[0][31] > outputs[1][15], "{outputs:?}");
        assert_eq!(retired, 2, "the faded reverb, once the fade ended");
        assert!(stage.fading.is_none());
    }
}
