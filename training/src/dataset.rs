//! Training data: audio files decoded, mixed to mono, resampled to the model
//! rate, analysed by `dsp-core`'s engine (the features the plugin computes
//! live), measured for frame targets, and cut into fixed-length examples
//! with a held-out validation split.

use std::path::{Path, PathBuf};

use dsp_core::feature_track::{feature_track, FeatureTrack};
use dsp_core::pitch_units::hz_to_midi;
use dsp_core::resample::resample_clip;
use dsp_core::{AnalysisConfig, DecoderInfo, UserControls};

use crate::analysis::mono_mix;
use crate::audio_file::{read_audio, AudioFileError};
use crate::targets::{measure_targets, FrameTargets};
use ddsp_model::checkpoint::{CheckpointInfo, DatasetStatistics};
use ddsp_model::config::DecoderConfig;

/// Audio file extensions picked up from a directory.
pub const AUDIO_EXTENSIONS: [&str; 5] = ["wav", "flac", "mp3", "ogg", "oga"];
/// Least usable (voiced, audible) audio accepted for training, seconds.
pub const MIN_VOICED_SECONDS: f32 = 10.0;
/// Share of every file held out for validation (its end).
pub const VALIDATION_SHARE: f64 = 0.1;
/// A frame counts as voiced at this confidence or above.
const VOICED_CONFIDENCE: f32 = 0.5;
/// A frame counts as audible at this loudness or above, dB.
const AUDIBLE_DB: f32 = -70.0;

/// Why training data could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// A path given does not exist.
    #[error("{} does not exist", .0.display())]
    Missing(PathBuf),
    /// No audio files were found under the paths given.
    #[error("no audio files ({}) found in {}", AUDIO_EXTENSIONS.join(", "), path_list(.0))]
    NoAudioFiles(Vec<PathBuf>),
    /// A file could not be decoded.
    #[error(transparent)]
    Audio(AudioFileError),
    /// Too little voiced, audible audio to learn an instrument from.
    #[error(
        "only {voiced_seconds:.1} s of the audio is pitched and audible; training needs at least \
         {MIN_VOICED_SECONDS} s (10–20 minutes of one instrument playing is ideal)"
    )]
    TooLittleAudio {
        /// Seconds of pitched, audible audio found.
        voiced_seconds: f32,
    },
}

/// `paths` as a comma-separated list.
fn path_list(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// One prepared file.
#[derive(Clone, Debug)]
pub struct Clip {
    /// Where it came from.
    pub path: PathBuf,
    /// Mono samples at the model rate.
    pub signal: Vec<f32>,
    /// Decoder inputs per frame.
    pub track: FeatureTrack,
    /// Frame targets.
    pub targets: FrameTargets,
}

impl Clip {
    /// First frame of the held-out end of the clip.
    pub fn validation_start_frame(&self) -> usize {
        (self.track.frames.len() as f64 * (1.0 - VALIDATION_SHARE)) as usize
    }

    /// The held-out end of the clip's audio: from the first held-out
    /// frame's synth segment on.
    pub fn validation_audio(&self) -> &[f32] {
        let start = self.track.segment_start_sample(self.validation_start_frame()).max(0.0) as usize;
        &self.signal[start.min(self.signal.len())..]
    }

    /// Features of `count` frames from `first`.
    pub fn frames_of(&self, first: usize, count: usize) -> &[dsp_core::FeatureFrame] {
        &self.track.frames[first..first + count]
    }
}

/// A training or validation example: `frames` frames of clip `clip` from `first_frame`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Example {
    /// Index into [`Dataset::clips`].
    pub clip: usize,
    /// First frame.
    pub first_frame: usize,
}

/// Prepared training data.
#[derive(Clone, Debug)]
pub struct Dataset {
    /// The files.
    pub clips: Vec<Clip>,
    /// Frames per example.
    pub example_frames: usize,
    /// Training examples.
    pub train: Vec<Example>,
    /// Held-out examples (the end of every file).
    pub validation: Vec<Example>,
    /// Pitch and loudness distribution of the voiced frames.
    pub statistics: DatasetStatistics,
    /// Total audio, seconds.
    pub total_seconds: f32,
}

/// Every audio file named by `paths` (files as given, directories searched
/// recursively for [`AUDIO_EXTENSIONS`]), sorted.
pub fn collect_audio_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, DatasetError> {
    // Symbolic links are followed; a link back up the tree is a loop that
    // walkdir reports (and we skip) instead of walking forever.
    fn walk(path: &Path, out: &mut Vec<PathBuf>) {
        let entries = walkdir::WalkDir::new(path).follow_links(true).sort_by_file_name().into_iter();
        for entry in entries.filter_map(Result::ok).filter(|e| e.file_type().is_file()) {
            let is_audio = entry
                .path()
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
            if is_audio {
                out.push(entry.into_path());
            }
        }
    }
    let mut files = Vec::new();
    for path in paths {
        if !path.exists() {
            return Err(DatasetError::Missing(path.clone()));
        }
        if path.is_dir() {
            walk(path, &mut files);
        } else {
            files.push(path.clone());
        }
    }
    if files.is_empty() {
        return Err(DatasetError::NoAudioFiles(paths.to_vec()));
    }
    Ok(files)
}

/// The engine-facing description of a decoder of `config` not trained yet
/// (its neutral statistics do not matter for analysis without auto-adjust).
pub fn analysis_info(config: &DecoderConfig) -> DecoderInfo {
    DecoderInfo {
        frame_rate_hz: config.frame_rate_hz,
        model_rate_hz: config.model_rate_hz,
        num_harmonics: config.num_harmonics,
        num_noise_bands: config.num_noise_bands,
        dataset: CheckpointInfo::untrained(config.clone()).dataset.to_engine(),
    }
}

/// Decodes `path`, mixes it to mono and resamples it to `rate_hz`, keeping
/// at most `max_seconds`.
pub fn load_mono(path: &Path, rate_hz: f32, max_seconds: f32) -> Result<Vec<f32>, DatasetError> {
    let clip = read_audio(path).map_err(DatasetError::Audio)?;
    let mut mono = mono_mix(&clip);
    mono.truncate((max_seconds as f64 * clip.sample_rate_hz as f64) as usize);
    Ok(resample_clip(&mono, clip.sample_rate_hz as f32, rate_hz))
}

/// Prepares `files` for a decoder of `config`: at most `max_minutes` of
/// audio in all, examples of `example_frames` frames. `on_file` is called
/// after each file with (done, total).
pub fn prepare_dataset(
    files: &[PathBuf],
    config: &DecoderConfig,
    max_minutes: f32,
    example_frames: usize,
    mut on_file: impl FnMut(usize, usize),
) -> Result<Dataset, DatasetError> {
    let rate = config.model_rate_hz;
    let info = analysis_info(config);
    let mut clips = Vec::new();
    let mut seconds_left = max_minutes * 60.0;
    for (done, path) in files.iter().enumerate() {
        if seconds_left <= 0.0 {
            break;
        }
        let signal = load_mono(path, rate, seconds_left)?;
        seconds_left -= signal.len() as f32 / rate;
        let track = feature_track(&signal, rate, &info, AnalysisConfig::default(), UserControls::default());
        let targets = measure_targets(&signal, rate, &track, config.num_harmonics, config.num_noise_bands);
        clips.push(Clip { path: path.clone(), signal, track, targets });
        on_file(done + 1, files.len());
    }
    let voiced = |f: &dsp_core::FeatureFrame| f.confidence >= VOICED_CONFIDENCE && f.loudness_db >= AUDIBLE_DB;
    let voiced_frames: Vec<&dsp_core::FeatureFrame> =
        clips.iter().flat_map(|c| c.track.frames.iter()).filter(|f| voiced(f)).collect();
    let voiced_seconds = voiced_frames.len() as f32 / config.frame_rate_hz;
    if voiced_seconds < MIN_VOICED_SECONDS {
        return Err(DatasetError::TooLittleAudio { voiced_seconds });
    }
    let pitches: Vec<f32> = voiced_frames.iter().map(|f| hz_to_midi(f.f0_hz)).collect();
    let loudness: Vec<f32> = voiced_frames.iter().map(|f| f.loudness_db).collect();
    let statistics = DatasetStatistics {
        pitch_midi_quantiles: quantiles(&pitches),
        loudness_db_quantiles: quantiles(&loudness),
        pitch_midi_range: min_max(&pitches),
        loudness_db_range: min_max(&loudness),
    };
    let (mut train, mut validation) = (Vec::new(), Vec::new());
    for (index, clip) in clips.iter().enumerate() {
        let frames = &clip.track.frames;
        let split = clip.validation_start_frame();
        for (range, list) in [(0..split, &mut train), (split..frames.len(), &mut validation)] {
            let mut first = range.start;
            while first + example_frames <= range.end {
                // Silent stretches teach nothing once the model knows silence.
                if frames[first..first + example_frames].iter().any(|f| f.loudness_db >= AUDIBLE_DB) {
                    list.push(Example { clip: index, first_frame: first });
                }
                first += example_frames;
            }
        }
    }
    let total_seconds = clips.iter().map(|c| c.signal.len()).sum::<usize>() as f32 / rate;
    if train.is_empty() || validation.is_empty() {
        return Err(DatasetError::TooLittleAudio { voiced_seconds });
    }
    Ok(Dataset { clips, example_frames, train, validation, statistics, total_seconds })
}

fn quantiles(values: &[f32]) -> [f32; 3] {
    let mut sorted = values.to_vec();
    sorted.sort_by(f32::total_cmp);
    let at = |q: f32| sorted[((sorted.len() - 1) as f32 * q).round() as usize];
    [at(0.05), at(0.5), at(0.95)]
}

fn min_max(values: &[f32]) -> [f32; 2] {
    values.iter().fold([f32::INFINITY, f32::NEG_INFINITY], |[lo, hi], &v| [lo.min(v), hi.max(v)])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A folder whose subfolder links back to it is walked once: its audio
    /// files found, the loop skipped, no endless walk.
    #[cfg(unix)]
    #[test]
    fn folders_that_link_back_are_walked_once() {
        let root = std::env::temp_dir().join(format!("ddsp-walk-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("takes")).unwrap();
        std::fs::write(root.join("a.wav"), b"").unwrap();
        std::fs::write(root.join("takes/b.FLAC"), b"").unwrap();
        std::fs::write(root.join("notes.txt"), b"").unwrap();
        std::os::unix::fs::symlink(&root, root.join("takes/loop")).unwrap();
        let files = collect_audio_files(std::slice::from_ref(&root)).unwrap();
        assert_eq!(files, vec![root.join("a.wav"), root.join("takes/b.FLAC")]);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
