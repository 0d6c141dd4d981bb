//! Offline renders of whole clips through an engine.

use super::{Engine, MAX_CHANNELS};

/// Renders a whole clip offline, latency-compensated: `channels` (1 or 2,
/// equally long) go through `engine` in blocks of its maximum size, followed
/// by `latency_samples()` of silence, and the first `latency_samples()` of
/// output are dropped, so output sample `n` lines up with input sample `n`.
/// The samples are exactly those a host would play (shifted by the
/// latency). Allocates: for command-line renders and tests, not the audio
/// thread. `on_progress` is called with the share done (0–1).
pub fn render_clip(engine: &mut Engine, channels: &[Vec<f32>], mut on_progress: impl FnMut(f32)) -> Vec<Vec<f32>> {
    let latency = engine.latency_samples();
    let len = channels.iter().map(Vec::len).min().unwrap_or(0);
    let mut buffers: Vec<Vec<f32>> = channels
        .iter()
        .take(MAX_CHANNELS)
        .map(|channel| {
            let mut padded = channel[..len].to_vec();
            padded.resize(len + latency, 0.0);
            padded
        })
        .collect();
    let block = engine.max_block_samples;
    let total = len + latency;
    let mut start = 0;
    while start < total {
        let end = (start + block).min(total);
        let mut slices: Vec<&mut [f32]> = buffers.iter_mut().map(|b| &mut b[start..end]).collect();
        engine.process(&mut slices);
        start = end;
        on_progress(start as f32 / total.max(1) as f32);
    }
    for buffer in &mut buffers {
        buffer.drain(..latency);
    }
    buffers
}
