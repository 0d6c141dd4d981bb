//! A fixed-capacity record of the most recent samples, readable as one
//! contiguous slice (every sample is written twice, `capacity` apart).

/// The last `capacity` samples pushed, oldest first.
#[derive(Clone, Debug)]
pub struct HistoryBuffer {
    data: Vec<f32>,
    capacity: usize,
    write_pos: usize,
}

impl HistoryBuffer {
    /// A buffer of `capacity` zeros. Allocates: call at preparation time.
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self { data: vec![0.0; 2 * capacity], capacity, write_pos: 0 }
    }

    /// Fills the history with zeros. Real-time safe.
    pub fn clear(&mut self) {
        self.data.fill(0.0);
        self.write_pos = 0;
    }

    /// Appends samples, dropping the oldest. Real-time safe.
    pub fn push(&mut self, samples: &[f32]) {
        for &sample in samples {
            self.data[self.write_pos] = sample;
            self.data[self.write_pos + self.capacity] = sample;
            self.write_pos += 1;
            if self.write_pos == self.capacity {
                self.write_pos = 0;
            }
        }
    }

    /// The latest `len` samples (at most the capacity), oldest first.
    /// Real-time safe.
    pub fn latest(&self, len: usize) -> &[f32] {
        let len = len.min(self.capacity);
        let end = self.write_pos + self.capacity;
        &self.data[end - len..end]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_is_contiguous_across_wrap() {
        let mut history = HistoryBuffer::new(5);
        history.push(&[1.0, 2.0, 3.0, 4.0]);
        history.push(&[5.0, 6.0, 7.0]);
        assert_eq!(history.latest(5), &[3.0, 4.0, 5.0, 6.0, 7.0]);
        assert_eq!(history.latest(2), &[6.0, 7.0]);
    }
}
