//! End-to-end tests across the workspace's crates live in `tests/tests/`;
//! this library holds what they share.

/// The allocation guard installs this crate's global allocator: a build
/// that brings its own (nice-plug's `assert_process_allocs`) turns the
/// `realtime-guard` feature off.
#[cfg(feature = "realtime-guard")]
pub mod realtime_guard;

/// A deterministic sung-like test melody: a 1/k harmonic tone with 5.5 Hz
/// vibrato that moves through `notes_midi`, `note_seconds` each.
pub fn sung_melody(sample_rate_hz: f64, notes_midi: &[f64], note_seconds: f64) -> Vec<f32> {
    let num_samples = (notes_midi.len() as f64 * note_seconds * sample_rate_hz) as usize;
    let mut phase = 0.0f64;
    (0..num_samples)
        .map(|n| {
            let t = n as f64 / sample_rate_hz;
            let note = notes_midi[((t / note_seconds) as usize).min(notes_midi.len() - 1)];
            let midi = note + 0.4 * (2.0 * std::f64::consts::PI * 5.5 * t).sin();
            let f0 = 440.0 * ((midi - 69.0) / 12.0).exp2();
            phase += f0 / sample_rate_hz;
            (1..=12)
                .filter(|&k| k as f64 * f0 < 0.45 * sample_rate_hz)
                .map(|k| 0.2 / k as f64 * (2.0 * std::f64::consts::PI * k as f64 * phase).sin())
                .sum::<f64>() as f32
        })
        .collect()
}

/// A decaying-noise reverb impulse response of `seconds` at `rate_hz`.
pub fn test_reverb_ir(seconds: f32, rate_hz: f32) -> Vec<f32> {
    let mut state = 99u64;
    (0..(seconds * rate_hz) as usize)
        .map(|n| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let noise = (state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0;
            0.05 * noise * (-(n as f32) / (0.3 * rate_hz)).exp()
        })
        .collect()
}
