//! A fixed-capacity single-thread sample queue: the rendered wet signal waits
//! here between its frame's render time and its output time.

/// First-in first-out queue of samples with a fixed capacity.
#[derive(Clone, Debug)]
pub struct SampleFifo {
    data: Vec<f32>,
    read_pos: usize,
    len: usize,
}

impl SampleFifo {
    /// An empty queue holding up to `capacity` samples. Allocates.
    pub fn new(capacity: usize) -> Self {
        Self { data: vec![0.0; capacity.max(1)], read_pos: 0, len: 0 }
    }

    /// Number of queued samples.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Empties the queue and queues `num_zeros` zeros. Real-time safe.
    pub fn reset_with_zeros(&mut self, num_zeros: usize) {
        self.read_pos = 0;
        self.len = 0;
        self.data.fill(0.0);
        self.len = num_zeros.min(self.data.len());
    }

    /// Queues `samples`. The engine sizes the queue so they always fit;
    /// should they not, the samples past the capacity are dropped (on the
    /// audio thread, a short gap beats a panic, which would take the host
    /// down). Real-time safe.
    pub fn push(&mut self, samples: &[f32]) {
        let capacity = self.data.len();
        let samples = &samples[..samples.len().min(capacity - self.len)];
        let mut write_pos = (self.read_pos + self.len) % capacity;
        for &sample in samples {
            self.data[write_pos] = sample;
            write_pos += 1;
            if write_pos == capacity {
                write_pos = 0;
            }
        }
        self.len += samples.len();
    }

    /// Dequeues `out.len()` samples into `out`. The engine always has that
    /// many queued; should it not, the rest of `out` is filled with silence
    /// (never a panic on the audio thread). Real-time safe.
    pub fn pop(&mut self, out: &mut [f32]) {
        let available = out.len().min(self.len);
        let (out, missing) = out.split_at_mut(available);
        missing.fill(0.0);
        let capacity = self.data.len();
        for sample in out.iter_mut() {
            *sample = self.data[self.read_pos];
            self.read_pos += 1;
            if self.read_pos == capacity {
                self.read_pos = 0;
            }
        }
        self.len -= out.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_across_wrap() {
        let mut fifo = SampleFifo::new(4);
        fifo.reset_with_zeros(1);
        fifo.push(&[1.0, 2.0]);
        let mut out = [9.0; 2];
        fifo.pop(&mut out);
        assert_eq!(out, [0.0, 1.0]);
        fifo.push(&[3.0, 4.0, 5.0]);
        let mut out = [0.0; 4];
        fifo.pop(&mut out);
        assert_eq!(out, [2.0, 3.0, 4.0, 5.0]);
        assert!(fifo.is_empty());
    }

    /// Misuse cannot panic: what does not fit is dropped, what is missing
    /// comes out as silence, and the queue stays usable.
    #[test]
    fn overflow_and_underflow_do_not_panic() {
        let mut fifo = SampleFifo::new(3);
        fifo.push(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(fifo.len(), 3);
        let mut out = [9.0; 5];
        fifo.pop(&mut out);
        assert_eq!(out, [1.0, 2.0, 3.0, 0.0, 0.0]);
        assert!(fifo.is_empty());
        fifo.push(&[6.0]);
        let mut out = [9.0; 1];
        fifo.pop(&mut out);
        assert_eq!(out, [6.0]);
    }
}
