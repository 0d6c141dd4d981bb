//! The decoder's inputs for a whole clip, for training and evaluation: the
//! real [`Engine`] runs over the clip offline with a recording decoder in
//! place of a model, so a model learns from exactly the features (analysis,
//! lookahead, confidence gate and all) the plugin will feed it live.

use std::sync::mpsc;

use crate::decoder::{DecoderInfo, SyncDecoder, Synchronous};
use crate::engine::{AnalysisConfig, Engine, EngineConfig};
use crate::wire::{DecoderOutput, FeatureFrame, UserControls};

/// Block size the clip is processed in (any size gives the same frames).
const BLOCK_SAMPLES: usize = 4096;

/// Per-frame decoder inputs of a clip and where each frame's synth segment
/// lies in it.
#[derive(Clone, Debug)]
pub struct FeatureTrack {
    /// Features as the decoder receives them, one per frame.
    pub frames: Vec<FeatureFrame>,
    /// Samples per frame (fractional at rates the frame rate does not divide).
    pub hop_samples: f64,
    /// The analysis lookahead, samples.
    pub lookahead_samples: usize,
}

impl FeatureTrack {
    /// First sample of frame `index`'s synth segment in the clip's own
    /// timeline (negative for the first frames: the segment starts before the
    /// clip). After latency compensation the engine plays frame `index`'s
    /// controls over `[start, start + hop)`.
    pub fn segment_start_sample(&self, index: usize) -> f64 {
        index as f64 * self.hop_samples - self.lookahead_samples as f64
    }
}

struct Recorder {
    info: DecoderInfo,
    frames: mpsc::Sender<FeatureFrame>,
}

impl SyncDecoder for Recorder {
    fn info(&self) -> &DecoderInfo {
        &self.info
    }

    fn reset(&mut self) {}

    fn decode(&mut self, features: &FeatureFrame, out: &mut DecoderOutput) {
        let _ = self.frames.send(*features);
        *out = DecoderOutput::silent(self.info.num_harmonics, self.info.num_noise_bands);
    }
}

/// The features a decoder described by `info` receives for `signal` (mono,
/// at `sample_rate_hz`) with `analysis` and `controls`: one frame per
/// segment that starts inside the clip. Allocates; offline only.
pub fn feature_track(
    signal: &[f32],
    sample_rate_hz: f32,
    info: &DecoderInfo,
    analysis: AnalysisConfig,
    controls: UserControls,
) -> FeatureTrack {
    let (sender, receiver) = mpsc::channel();
    let recorder = Recorder { info: *info, frames: sender };
    let mut config = EngineConfig::new(sample_rate_hz, BLOCK_SAMPLES);
    config.analysis = analysis;
    let mut engine = Engine::new(&config, Box::new(Synchronous::new(recorder)));
    engine.set_offline(true);
    engine.set_controls(controls);
    let hop_samples = sample_rate_hz as f64 / info.frame_rate_hz as f64;
    let lookahead_samples = engine.lookahead_samples();
    // Frames whose segment starts inside the clip need the clip plus the
    // lookahead and one hop of silence.
    let tail = lookahead_samples + hop_samples.ceil() as usize + 1;
    let mut block = vec![0.0f32; BLOCK_SAMPLES];
    for start in (0..signal.len() + tail).step_by(BLOCK_SAMPLES) {
        let end = (start + BLOCK_SAMPLES).min(signal.len() + tail);
        for (n, sample) in block[..end - start].iter_mut().enumerate() {
            *sample = signal.get(start + n).copied().unwrap_or(0.0);
        }
        engine.process(&mut [&mut block[..end - start]]);
    }
    drop(engine);
    let track = FeatureTrack { frames: Vec::new(), hop_samples, lookahead_samples };
    let num_frames = (0..).take_while(|&k| track.segment_start_sample(k) < signal.len() as f64).count();
    FeatureTrack { frames: receiver.try_iter().take(num_frames).collect(), ..track }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decoder::DatasetStats;

    fn info() -> DecoderInfo {
        DecoderInfo {
            frame_rate_hz: 250.0,
            model_rate_hz: 48_000.0,
            num_harmonics: 60,
            num_noise_bands: 65,
            dataset: DatasetStats {
                pitch_midi_quantiles: [48.0, 60.0, 72.0],
                loudness_db_quantiles: [-50.0, -30.0, -10.0],
            },
        }
    }

    /// A 440 Hz tone in the second half of a clip: frames cover the clip;
    /// loudness rises in the frames around the one whose segment holds the
    /// onset (the analysis windows reach the lookahead past the segment).
    #[test]
    fn frames_cover_the_clip_and_line_up_with_segments() {
        let sr = 48_000.0;
        let mut signal = vec![0.0f32; 48_000];
        for (n, sample) in signal.iter_mut().enumerate().skip(24_000) {
            *sample = 0.5 * (2.0 * std::f32::consts::PI * 440.0 * n as f32 / sr).sin();
        }
        let track = feature_track(&signal, sr, &info(), AnalysisConfig::default(), UserControls::default());
        let expected = (48_000.0 + track.lookahead_samples as f64) / track.hop_samples;
        assert_eq!(track.frames.len(), expected.ceil() as usize);
        let loud = |k: usize| track.frames[k].loudness_db;
        // Frame k's windows end with sample (k + 1) · hop − 1; it stands for
        // the lookahead before that.
        let last_silent = (24_000.0 / track.hop_samples) as usize - 1;
        assert!(loud(last_silent) < -70.0, "{}", loud(last_silent));
        assert!(loud(last_silent + 1) > -70.0, "{}", loud(last_silent + 1));
        let onset_frame = ((24_000.0 + track.lookahead_samples as f64) / track.hop_samples) as usize;
        assert!(onset_frame > last_silent);
        assert!(loud(onset_frame + 4) > loud(last_silent) + 40.0);
        let late = track.frames[track.frames.len() - 20];
        assert!((late.f0_hz - 440.0).abs() < 2.0, "{late:?}");
    }
}
