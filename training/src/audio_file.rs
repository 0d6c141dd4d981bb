//! Reading audio files (WAV, FLAC, MP3, Ogg Vorbis through `symphonia`)
//! and writing WAV (through `hound`), with errors that say what went wrong
//! and where.

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
#[derive(Debug, thiserror::Error)]
pub enum AudioFileError {
    /// The file could not be opened or decoded.
    #[error("cannot read audio file {}: {reason}", .path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The file decoded but holds nothing usable.
    #[error("cannot use audio file {}: {reason}", .path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
    /// The output could not be written.
    #[error("cannot write audio file {}: {reason}", .path.display())]
    Unwritable {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// Reads an audio file: WAV, FLAC, MP3 or Ogg Vorbis (through symphonia),
/// any channel count and rate. The format is recognised from the contents,
/// with the file extension as a hint.
pub fn read_audio(path: &Path) -> Result<AudioClip, AudioFileError> {
    let file = std::fs::File::open(path)
        .map_err(|e| AudioFileError::Unreadable { path: path.to_owned(), reason: e.to_string() })?;
    decode_audio(Box::new(file), path)
}

/// Decodes an audio file's bytes held in memory, as [`read_audio`] would
/// the file; `name` (its extension a format hint) names it in errors.
pub fn read_audio_bytes(bytes: Vec<u8>, name: &Path) -> Result<AudioClip, AudioFileError> {
    decode_audio(Box::new(std::io::Cursor::new(bytes)), name)
}

fn decode_audio(source: Box<dyn symphonia::core::io::MediaSource>, path: &Path) -> Result<AudioClip, AudioFileError> {
    // symphonia 0.5 panics on some malformed headers (fuzzing found a WAV
    // whose sample rate is 0: `TimeBase cannot have 0 numerator or
    // denominator`); a damaged file must be an error, not a crash.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decode_with_symphonia(source, path))).unwrap_or_else(
        |_| {
            Err(AudioFileError::Unreadable {
                path: path.to_owned(),
                reason: "the audio decoder failed on this file's contents".into(),
            })
        },
    )
}

fn decode_with_symphonia(
    source: Box<dyn symphonia::core::io::MediaSource>,
    path: &Path,
) -> Result<AudioClip, AudioFileError> {
    use symphonia::core::audio::SampleBuffer;
    use symphonia::core::codecs::DecoderOptions;
    use symphonia::core::errors::Error as SymphoniaError;
    use symphonia::core::formats::FormatOptions;
    use symphonia::core::io::MediaSourceStream;
    use symphonia::core::meta::MetadataOptions;
    use symphonia::core::probe::Hint;

    let unreadable = |reason: String| AudioFileError::Unreadable { path: path.to_owned(), reason };
    let unsupported = |reason: String| AudioFileError::Unsupported { path: path.to_owned(), reason };
    let stream = MediaSourceStream::new(source, Default::default());
    let mut hint = Hint::new();
    if let Some(extension) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(extension);
    }
    let probed = symphonia::default::get_probe()
        .format(&hint, stream, &FormatOptions::default(), &MetadataOptions::default())
        .map_err(|e| unsupported(format!("not a recognised audio format ({e})")))?;
    let mut format = probed.format;
    let track = format.default_track().ok_or_else(|| unsupported("no audio track".into()))?;
    let track_id = track.id;
    let sample_rate_hz =
        track.codec_params.sample_rate.filter(|&rate| rate > 0).ok_or_else(|| unsupported("no sample rate".into()))?;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| unsupported(format!("unsupported codec ({e})")))?;

    let mut channels: Vec<Vec<f32>> = Vec::new();
    loop {
        let packet = match format.next_packet() {
            Ok(packet) => packet,
            Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(SymphoniaError::ResetRequired) => break,
            Err(e) => return Err(unreadable(e.to_string())),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(decoded) => decoded,
            // A damaged packet loses its samples, not the file.
            Err(SymphoniaError::DecodeError(_)) => continue,
            Err(e) => return Err(unreadable(e.to_string())),
        };
        let spec = *decoded.spec();
        let num_channels = spec.channels.count();
        if num_channels == 0 {
            continue;
        }
        if channels.is_empty() {
            channels = vec![Vec::new(); num_channels];
        }
        if num_channels != channels.len() {
            // A stream whose layout changes midway: keep the first layout.
            continue;
        }
        let mut buffer = SampleBuffer::<f32>::new(decoded.capacity() as u64, spec);
        buffer.copy_interleaved_ref(decoded);
        for frame in buffer.samples().chunks_exact(num_channels) {
            for (channel, &sample) in channels.iter_mut().zip(frame) {
                channel.push(sample);
            }
        }
    }
    if channels.is_empty() {
        return Err(unsupported("no audio in the file".into()));
    }
    Ok(AudioClip { channels, sample_rate_hz })
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
