//! Reading and writing audio files for the command line (WAV through
//! `hound`), with errors that say what went wrong and where.

use std::fmt;
use std::path::{Path, PathBuf};

/// A decoded clip: one `Vec` per channel, equally long.
#[derive(Clone, Debug, PartialEq)]
pub struct AudioClip {
    /// Samples per channel, nominally within ±1.
    pub channels: Vec<Vec<f32>>,
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
}

/// Why a file could not be read or written.
#[derive(Debug)]
pub enum AudioFileError {
    /// The file could not be opened or decoded.
    Unreadable { path: PathBuf, reason: String },
    /// The file decoded but holds nothing usable.
    Unsupported { path: PathBuf, reason: String },
    /// The output could not be written.
    Unwritable { path: PathBuf, reason: String },
}

impl fmt::Display for AudioFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreadable { path, reason } => write!(f, "cannot read audio file {}: {reason}", path.display()),
            Self::Unsupported { path, reason } => write!(f, "cannot use audio file {}: {reason}", path.display()),
            Self::Unwritable { path, reason } => write!(f, "cannot write audio file {}: {reason}", path.display()),
        }
    }
}

impl std::error::Error for AudioFileError {}

/// Reads a WAV file (8–32-bit integer or 32-bit float PCM, any channel
/// count, any rate).
pub fn read_wav(path: &Path) -> Result<AudioClip, AudioFileError> {
    let unreadable = |reason: String| AudioFileError::Unreadable { path: path.to_owned(), reason };
    let mut reader = hound::WavReader::open(path).map_err(|e| unreadable(e.to_string()))?;
    let spec = reader.spec();
    let num_channels = spec.channels as usize;
    if num_channels == 0 || spec.sample_rate == 0 {
        return Err(AudioFileError::Unsupported {
            path: path.to_owned(),
            reason: "the header declares no channels or a zero sample rate".into(),
        });
    }
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>(),
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            reader.samples::<i32>().map(|s| s.map(|v| v as f32 * scale)).collect::<Result<_, _>>()
        }
    }
    .map_err(|e| unreadable(e.to_string()))?;
    let mut channels = vec![Vec::with_capacity(interleaved.len() / num_channels); num_channels];
    for frame in interleaved.chunks_exact(num_channels) {
        for (channel, &sample) in channels.iter_mut().zip(frame) {
            channel.push(sample);
        }
    }
    Ok(AudioClip { channels, sample_rate_hz: spec.sample_rate })
}

/// Writes `clip` as a 32-bit float WAV file.
pub fn write_wav(path: &Path, clip: &AudioClip) -> Result<(), AudioFileError> {
    let unwritable = |reason: String| AudioFileError::Unwritable { path: path.to_owned(), reason };
    let spec = hound::WavSpec {
        channels: clip.channels.len() as u16,
        sample_rate: clip.sample_rate_hz,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer = hound::WavWriter::create(path, spec).map_err(|e| unwritable(e.to_string()))?;
    let len = clip.channels.iter().map(Vec::len).min().unwrap_or(0);
    for n in 0..len {
        for channel in &clip.channels {
            writer.write_sample(channel[n]).map_err(|e| unwritable(e.to_string()))?;
        }
    }
    writer.finalize().map_err(|e| unwritable(e.to_string()))
}
