//! A fixed integer delay: the dry path waits here for the wet path.

/// Delays a signal by a whole number of samples.
#[derive(Clone, Debug)]
pub struct DelayLine {
    buffer: Vec<f32>,
    pos: usize,
}

impl DelayLine {
    /// A delay of `delay_samples`, filled with silence. Allocates.
    pub fn new(delay_samples: usize) -> Self {
        Self { buffer: vec![0.0; delay_samples], pos: 0 }
    }

    /// The delay in samples.
    pub fn delay_samples(&self) -> usize {
        self.buffer.len()
    }

    /// Fills the line with silence. Real-time safe.
    pub fn clear(&mut self) {
        self.buffer.fill(0.0);
        self.pos = 0;
    }

    /// Delays `samples` in place. Real-time safe.
    pub fn process(&mut self, samples: &mut [f32]) {
        if self.buffer.is_empty() {
            return;
        }
        for sample in samples {
            core::mem::swap(sample, &mut self.buffer[self.pos]);
            self.pos += 1;
            if self.pos == self.buffer.len() {
                self.pos = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impulse_comes_out_delay_samples_later() {
        let mut line = DelayLine::new(3);
        let mut signal = [1.0, 0.0, 0.0, 0.0, 0.0];
        line.process(&mut signal[..2]);
        line.process(&mut signal[2..]);
        assert_eq!(signal, [0.0, 0.0, 0.0, 1.0, 0.0]);
    }
}
