//! The held-out excerpts the test suite plays: the start of each
//! instrument's held-out melody as FluidR3 renders it (the audio
//! `eval-instruments` scores), small enough to ship, with the melody's exact
//! pitch on the frames the harness scores. `ddsp-e2e`'s
//! `held_out_melodies` test plays every bundled instrument over its own
//! excerpt and checks the output's pitch against it, with no SoundFont or
//! synthesizer installed.

use std::path::{Path, PathBuf};

use anyhow::Result;
use dsp_core::resample::resample_clip;

use crate::phrases::{note_held, InstrumentSpec};
use crate::recorded_note::RecordedNoteCheck;

/// Where the excerpts go, relative to the workspace root.
pub const EXCERPT_DIR: &str = "assets/instruments/held-out";
/// Length of each excerpt, seconds.
const EXCERPT_SECONDS: f32 = 8.0;
/// Sample rate the excerpts are stored at, Hz (16-bit mono WAV; 256 kB each).
const EXCERPT_RATE_HZ: u32 = 16_000;
/// Spacing of the reference pitch values, ms.
pub const REFERENCE_STEP_MS: usize = 10;

/// Writes `<EXCERPT_DIR>/<name>.wav` (the first seconds of `input`, mono at
/// `rate_hz`) and `<name>.f0.txt` (the exact pitch every
/// [`REFERENCE_STEP_MS`], 0 where the harness does not score: near a
/// change of note, or where the recording does not play it: an octave
/// below it, off it or silent, [`crate::recorded_note`]).
pub fn write_excerpt(
    spec: &InstrumentSpec,
    input: &[f32],
    rate_hz: f32,
    melody_hz: &[Option<f32>],
    margin_ms: usize,
) -> Result<PathBuf> {
    std::fs::create_dir_all(EXCERPT_DIR)?;
    let len = input.len().min((EXCERPT_SECONDS * rate_hz) as usize);
    let audio = resample_clip(&input[..len], rate_hz, EXCERPT_RATE_HZ as f32);
    let wav = Path::new(EXCERPT_DIR).join(format!("{}.wav", spec.name));
    let format = hound::WavSpec {
        channels: 1,
        sample_rate: EXCERPT_RATE_HZ,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(&wav, format)?;
    for sample in audio {
        writer.write_sample((sample.clamp(-1.0, 1.0) * i16::MAX as f32).round() as i16)?;
    }
    writer.finalize()?;

    let mut recorded = RecordedNoteCheck::new(input, rate_hz, melody_hz);
    let mut text = format!(
        "# {}: exact pitch of the held-out melody every {REFERENCE_STEP_MS} ms from 0, Hz; 0 where not scored\n",
        spec.display_name
    );
    for ms in (0..(EXCERPT_SECONDS * 1000.0) as usize).step_by(REFERENCE_STEP_MS) {
        let f0 = note_held(melody_hz, ms, margin_ms).filter(|_| recorded.is_scored(ms));
        text.push_str(&format!("{:.2}\n", f0.unwrap_or(0.0)));
    }
    std::fs::write(Path::new(EXCERPT_DIR).join(format!("{}.f0.txt", spec.name)), text)?;
    Ok(wav)
}
