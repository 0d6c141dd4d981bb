//! What `ddsp analyze` shows: the plugin's own analysis of a recording
//! (f0, confidence, loudness per frame, with no user controls applied) and a
//! magnitude spectrogram for the picture.

use dsp_core::feature_track::feature_track;
use dsp_core::{AnalysisConfig, UserControls};
use realfft::RealFftPlanner;

use crate::audio_file::AudioClip;
use crate::dataset::analysis_info;
use ddsp_model::config::DecoderConfig;

/// One analysed frame (drawn by `ddsp analyze --plot`).
#[derive(Clone, Copy, Debug)]
pub struct AnalysisPoint {
    /// Time, seconds.
    pub seconds: f32,
    /// Pitch, Hz.
    pub f0_hz: f32,
    /// Pitch confidence, 0–1.
    pub confidence: f32,
    /// Loudness, dB.
    pub loudness_db: f32,
}

/// Frames per second of the analysis (the default instruments' rate).
pub const ANALYSIS_FRAME_RATE_HZ: f32 = 250.0;
/// FFT size of the spectrogram at 48 kHz (scaled with the rate).
const SPECTROGRAM_FFT_AT_48K: usize = 2048;

/// The mean of a clip's channels.
pub fn mono_mix(clip: &AudioClip) -> Vec<f32> {
    let len = clip.channels.iter().map(Vec::len).min().unwrap_or(0);
    let scale = 1.0 / clip.channels.len().max(1) as f32;
    (0..len).map(|n| clip.channels.iter().map(|c| c[n]).sum::<f32>() * scale).collect()
}

/// The engine's analysis of `signal` at `sample_rate_hz`, one point per
/// frame, timed at the centre of the frame's synth segment. Controls are
/// neutral (no confidence gate, no quiet), so these are the raw features.
pub fn analysis_points(signal: &[f32], sample_rate_hz: f32) -> Vec<AnalysisPoint> {
    let info = analysis_info(&DecoderConfig { frame_rate_hz: ANALYSIS_FRAME_RATE_HZ, ..DecoderConfig::small_size() });
    let controls = UserControls { confidence_threshold: 0.0, quiet_db: 0.0, ..UserControls::default() };
    let track = feature_track(signal, sample_rate_hz, &info, AnalysisConfig::default(), controls);
    track
        .frames
        .iter()
        .enumerate()
        .map(|(k, f)| AnalysisPoint {
            seconds: ((track.segment_start_sample(k) + 0.5 * track.hop_samples) / sample_rate_hz as f64).max(0.0)
                as f32,
            f0_hz: f.f0_hz,
            confidence: f.confidence,
            loudness_db: f.loudness_db,
        })
        .collect()
}

/// Magnitude spectrogram in dB, `[frame][bin]`, bins from 0 to `max_hz`,
/// at most 1400 frames (the picture's width).
pub fn spectrogram_db(signal: &[f32], sample_rate_hz: f32, max_hz: f32) -> Vec<Vec<f32>> {
    let fft_size = ((SPECTROGRAM_FFT_AT_48K as f32 * sample_rate_hz / 48_000.0) as usize).next_power_of_two().max(256);
    let hop = (signal.len() / 1400).max(fft_size / 4);
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(fft_size);
    let window: Vec<f32> =
        (0..fft_size).map(|n| 0.5 - 0.5 * (2.0 * std::f32::consts::PI * n as f32 / fft_size as f32).cos()).collect();
    let bins = ((max_hz / sample_rate_hz * fft_size as f32) as usize).min(fft_size / 2);
    let (mut input, mut spectrum) = (fft.make_input_vec(), fft.make_output_vec());
    (0..signal.len().div_ceil(hop))
        .map(|frame| {
            for (n, value) in input.iter_mut().enumerate() {
                *value = signal.get(frame * hop + n).copied().unwrap_or(0.0) * window[n];
            }
            let _ = fft.process(&mut input, &mut spectrum);
            spectrum[..bins].iter().map(|c| 20.0 * (c.norm() + 1e-9).log10()).collect()
        })
        .collect()
}
