//! `cargo xtask eval-instruments`: how the shipped instruments sound on
//! melodies no instrument was trained on, rerunnable by anyone, offline.
//!
//! For every default instrument: a held-out phrase (a seed that neither
//! training nor validation uses) is rendered dry through three SoundFonts of
//! Debian's packages (FluidR3, the training source; MuseScore General and
//! TimGM6mb, other recordings of the same instrument), normalised as the
//! training data is, and played through `ddsp render` at default settings
//! with the instrument and with the plain additive instrument as the
//! baseline. Each output is scored against its input:
//! - multi-scale spectral loss (`ddsp_training::metrics`, DDSP's definition) at
//!   16 kHz, both resampled, the output aligned to the input by the whole
//!   ms lag (within ±20 ms) that gives the smallest loss, no level matching;
//! - loudness L1 and the level offset (median output − input loudness over
//!   the frames where the input sounds), dB;
//! - output pitch accuracy: a reference tracker on the output against the
//!   melody's exact pitch from the MIDI file (notes and pitch bends), over
//!   the frames more than 30 ms inside a sounding note (a pitch change of
//!   more than 0.75 semitone is a new note, as in eval-pitch), leaving out those
//!   where the input recording does not play its note, as eval-pitch does
//!   ([`crate::recorded_note`]: some SoundFont saxophone attacks sound an
//!   octave below it, the FluidR3 voice scoops into it).
//!
//! The start of each FluidR3 melody is kept, with its scored pitch, in
//! `assets/instruments/held-out/` for the test suite (`held_out_excerpt`).
//!
//! The level offset and loudness L1 are also measured with every instrument
//! on the README's sung example melody. The tables go between the markers
//! in `assets/instruments/README.md`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use ddsp_model::instruments::bundled_instrument;
use ddsp_training::analysis::mono_mix;
use ddsp_training::audio_file::read_audio;
use ddsp_training::metrics::{loudness_scores, multi_scale_spectral_loss, pitch_scores, SPECTRAL_RATE_HZ};
use dsp_core::pitch::{track_clip, PitchConfig};
use dsp_core::pitch_units::note_name;
use dsp_core::resample::resample_clip;

use crate::held_out_excerpt::write_excerpt;
use crate::phrases::{
    default_instruments_named, note_held, pitch_track, write_phrases, InstrumentSpec, DEFAULT_INSTRUMENTS,
};
use crate::recorded_note::RecordedNoteCheck;
use crate::soundfont::{normalise, render, SOUNDFONTS, TRAINING_SOUNDFONT};

/// Length of each held-out melody, minutes.
const MELODY_MINUTES: f32 = 0.5;
/// Offset of the held-out seed from the training seed (training uses +0,
/// validation +1000).
const HELD_OUT_SEED_OFFSET: u64 = 2000;
/// Audio the alignment compares, seconds.
const ALIGNMENT_SECONDS: f32 = 10.0;
/// Largest lag the alignment tries, either way, ms.
const MAX_LAG_MS: usize = 20;
/// Pitch frames per second of the output tracker.
const PITCH_FRAME_RATE_HZ: f32 = 100.0;
/// Frames this close to a note's start or end are not scored, ms.
const TRANSITION_MS: usize = 30;
/// Where the whole table goes.
const README: &str = "assets/instruments/README.md";
const BEGIN_MARKER: &str = "<!-- eval-instruments: begin -->";
const END_MARKER: &str = "<!-- eval-instruments: end -->";
/// Where the library's summary goes (one row per instrument).
const PROJECT_README: &str = "README.md";
const LIBRARY_BEGIN_MARKER: &str = "<!-- eval-instruments library: begin -->";
const LIBRARY_END_MARKER: &str = "<!-- eval-instruments library: end -->";

/// One output scored against its input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scores {
    /// Multi-scale spectral loss at 16 kHz, aligned, no level matching.
    pub spectral_loss: f64,
    /// Mean absolute loudness difference, dB.
    pub loudness_l1_db: f64,
    /// Median output − input loudness where the input sounds, dB.
    pub level_offset_db: f64,
    /// Share of scored frames whose output pitch is within 50 cents of the melody's.
    pub pitch_accuracy: f64,
    /// Lag the output was shifted by, ms (positive: the output was late).
    pub lag_ms: f64,
}

/// The lag in samples (whole ms within ±`max_lag_ms`) at which `output`
/// best follows `input`: the smallest multi-scale spectral loss over their
/// first [`ALIGNMENT_SECONDS`] (the render's lag is the same throughout).
/// Envelope correlation was tried first: attacks that differ in shape
/// pulled it tens of ms off.
pub fn best_lag(input: &[f32], output: &[f32], rate_hz: f32, max_lag_ms: usize) -> isize {
    let step = (rate_hz / 1000.0).round().max(1.0) as isize;
    let input = &input[..input.len().min((ALIGNMENT_SECONDS * rate_hz) as usize)];
    (-(max_lag_ms as isize)..=max_lag_ms as isize)
        .map(|ms| ms * step)
        .map(|lag| (multi_scale_spectral_loss(&shifted(output, lag, input.len()), input), lag))
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.abs().cmp(&b.1.abs())))
        .map_or(0, |(_, lag)| lag)
}

/// `output` shifted earlier by `lag` samples (later when negative), padded
/// with silence to `len`.
fn shifted(output: &[f32], lag: isize, len: usize) -> Vec<f32> {
    (0..len)
        .map(|n| {
            let source = n as isize + lag;
            if source >= 0 {
                output.get(source as usize).copied().unwrap_or(0.0)
            } else {
                0.0
            }
        })
        .collect()
}

/// Scores `output` against `input` (mono, both at `rate_hz`) with the
/// melody's exact pitch `melody_hz` (one value per ms; `None` between notes).
pub fn score(input: &[f32], output: &[f32], rate_hz: f32, melody_hz: &[Option<f32>]) -> Scores {
    let input_16k = resample_clip(input, rate_hz, SPECTRAL_RATE_HZ);
    let output_16k = resample_clip(output, rate_hz, SPECTRAL_RATE_HZ);
    let lag = best_lag(&input_16k, &output_16k, SPECTRAL_RATE_HZ, MAX_LAG_MS);
    let aligned = shifted(&output_16k, lag, input_16k.len());
    let hop = (rate_hz / 250.0).round() as usize;
    let len = input.len().min(output.len());
    let loudness = loudness_scores(&output[..len], &input[..len], rate_hz, hop);
    Scores {
        spectral_loss: multi_scale_spectral_loss(&aligned, &input_16k),
        loudness_l1_db: loudness.l1_db,
        level_offset_db: loudness.level_offset_db,
        pitch_accuracy: pitch_accuracy(input, output, rate_hz, melody_hz),
        lag_ms: lag as f64 * 1000.0 / SPECTRAL_RATE_HZ as f64,
    }
}

/// Share of the steady frames of `melody_hz` (1 ms steps) where a reference
/// tracker on `output` is within 50 cents, leaving out the instants where
/// the `input` recording itself does not play its note: an octave below
/// it, off it or silent ([`crate::recorded_note`]).
fn pitch_accuracy(input: &[f32], output: &[f32], rate_hz: f32, melody_hz: &[Option<f32>]) -> f64 {
    let mut recorded = RecordedNoteCheck::new(input, rate_hz, melody_hz);
    let config = PitchConfig::default();
    let half_window = config.window_ms as f64 / 2000.0 * rate_hz as f64;
    let steady = |ms: usize| note_held(melody_hz, ms, TRANSITION_MS);
    let (mut estimates, mut references, mut voiced) = (Vec::new(), Vec::new(), Vec::new());
    for frame in track_clip(output, rate_hz, PITCH_FRAME_RATE_HZ, config) {
        let centre_ms = ((frame.end_sample as f64 - half_window).max(0.0) * 1000.0 / rate_hz as f64) as usize;
        if let Some(f0) = steady(centre_ms).filter(|_| recorded.is_scored(centre_ms)) {
            estimates.push(frame.estimate.f0_hz);
            references.push(f0);
            voiced.push(true);
        }
    }
    pitch_scores(&estimates, &references, &voiced).raw_pitch_accuracy
}

fn run(command: &mut Command) -> Result<()> {
    let output = command.output().with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!("{command:?} failed:\n{}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(())
}

/// `ddsp render` of `input` into `output` with `model`, at default settings.
fn render_with(ddsp: &Path, model: &str, input: &Path, output: &Path) -> Result<()> {
    run(Command::new(ddsp).args(["render", "--model", model, "-o"]).arg(output).arg(input))
}

/// The mono mix of the audio file at `path` and its rate, Hz.
fn read_mono(path: &Path) -> Result<(Vec<f32>, f32)> {
    let clip = read_audio(path).with_context(|| format!("reading {}", path.display()))?;
    Ok((mono_mix(&clip), clip.sample_rate_hz as f32))
}

/// Each instrument on the bundled sung melody at default settings:
/// (instrument, level offset dB, loudness L1 dB).
fn sung_input_levels(ddsp: &Path, work: &Path) -> Result<Vec<(&'static str, f64, f64)>> {
    let input_path = Path::new(crate::example_input::PATH);
    let (input, rate_hz) = read_mono(input_path)?;
    let hop = (rate_hz / 250.0).round() as usize;
    let mut rows = Vec::new();
    for spec in &DEFAULT_INSTRUMENTS {
        let output_path = work.join(format!("sung.{}.out.wav", spec.name));
        render_with(ddsp, spec.name, input_path, &output_path)?;
        let (output, _) = read_mono(&output_path)?;
        let len = input.len().min(output.len());
        let loudness = loudness_scores(&output[..len], &input[..len], rate_hz, hop);
        rows.push((spec.display_name, loudness.level_offset_db, loudness.l1_db));
    }
    Ok(rows)
}

/// One row of the table: an instrument on one SoundFont's rendering.
struct Row {
    spec: &'static InstrumentSpec,
    soundfont: &'static str,
    model: Scores,
    additive: Scores,
}

/// Which models are scored: the bundled ones (by name), or checkpoints in
/// a folder (`NAME.safetensors`, as `cargo xtask default-instruments`
/// writes them to `target/instrument-models/` before shipping).
#[derive(Clone, Debug, PartialEq)]
pub enum Models {
    /// The instruments built into `ddsp`.
    Bundled,
    /// Checkpoint files in this folder.
    Folder(PathBuf),
}

impl Models {
    /// What `ddsp render --model` is given for `name`.
    fn model_argument(&self, name: &str) -> String {
        match self {
            Self::Bundled => name.to_owned(),
            Self::Folder(folder) => folder.join(format!("{name}.safetensors")).to_string_lossy().into_owned(),
        }
    }
}

/// The harness's command line: `[--models DIR] [NAME…]`.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalArgs {
    /// The models scored.
    pub models: Models,
    /// Instruments to score (all when empty).
    pub only: Vec<String>,
}

impl EvalArgs {
    /// Parses the words after `eval-instruments`.
    pub fn parse(words: impl IntoIterator<Item = String>) -> Result<Self> {
        let mut args = Self { models: Models::Bundled, only: Vec::new() };
        let mut words = words.into_iter();
        while let Some(word) = words.next() {
            if word == "--models" {
                let folder = words.next().context("--models needs a folder")?;
                args.models = Models::Folder(PathBuf::from(folder));
            } else if DEFAULT_INSTRUMENTS.iter().any(|spec| spec.name == word) {
                args.only.push(word);
            } else {
                bail!("unknown instrument or option '{word}'");
            }
        }
        Ok(args)
    }

    /// Whether the table is the shipped instruments' whole table (the one
    /// the README keeps).
    fn is_whole_shipped_table(&self) -> bool {
        self.models == Models::Bundled && self.only.is_empty()
    }
}

fn evaluate_instrument(ddsp: &Path, spec: &'static InstrumentSpec, models: &Models, work: &Path) -> Result<Vec<Row>> {
    let seed = 1 + spec.gm_program as u64 + HELD_OUT_SEED_OFFSET;
    let smf = write_phrases(spec, MELODY_MINUTES, seed);
    let midi = work.join(format!("{}.mid", spec.name));
    smf.save(&midi)?;
    let melody_hz = pitch_track(&smf);
    let mut rows = Vec::new();
    for (font_name, font, package) in SOUNDFONTS {
        if !Path::new(font).exists() {
            bail!("{font} is missing: apt-get install fluidsynth {package}");
        }
        let stem = format!("{}-{}", spec.name, font_name.replace(' ', "-").to_lowercase());
        let input_path = work.join(format!("{stem}.wav"));
        render(Path::new(font), &midi, &input_path)?;
        normalise(&input_path)?;
        let (input, rate_hz) = read_mono(&input_path)?;
        if font == TRAINING_SOUNDFONT {
            write_excerpt(spec, &input, rate_hz, &melody_hz, TRANSITION_MS)?;
        }
        let mut scores = Vec::new();
        for (label, model) in [(spec.name, models.model_argument(spec.name)), ("additive", "additive".to_owned())] {
            let output_path = work.join(format!("{stem}.{label}.out.wav"));
            render_with(ddsp, &model, &input_path, &output_path)?;
            scores.push(score(&input, &read_mono(&output_path)?.0, rate_hz, &melody_hz));
        }
        rows.push(Row { spec, soundfont: font_name, model: scores[0], additive: scores[1] });
    }
    Ok(rows)
}

fn table(rows: &[Row]) -> String {
    let mut text = String::from(
        "| instrument | held-out audio | spectral loss (16 kHz) | additive baseline | loudness L1 | level offset | output pitch accuracy | lag |\n\
         |---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in rows {
        text.push_str(&format!(
            "| {} | {} | {:.2} | {:.2} | {:.1} dB | {:+.1} dB | {:.1} % | {:+.1} ms |\n",
            row.spec.display_name,
            row.soundfont,
            row.model.spectral_loss,
            row.additive.spectral_loss,
            row.model.loudness_l1_db,
            row.model.level_offset_db,
            100.0 * row.model.pitch_accuracy,
            row.model.lag_ms,
        ));
    }
    text
}

/// The library at a glance: one row per instrument with its family and
/// range, its spectral loss on FluidR3 against the additive baseline, and
/// the spread of its level offset and output pitch accuracy over the three
/// SoundFonts.
fn library_table(rows: &[Row]) -> String {
    let mut text = String::from(
        "| family | instrument | `--model` | range | spectral loss, FluidR3 (additive) | level offset | output pitch accuracy |\n\
         |---|---|---|---|---:|---:|---:|\n",
    );
    // Each instrument's rows are consecutive (one per SoundFont).
    for own in rows.chunk_by(|a, b| a.spec.name == b.spec.name) {
        let spec = own[0].spec;
        let family = bundled_instrument(spec.name).map_or("", |i| i.family.name());
        let spread = |value: fn(&Scores) -> f64| {
            let values = own.iter().map(|row| value(&row.model));
            (values.clone().fold(f64::MAX, f64::min), values.fold(f64::MIN, f64::max))
        };
        let (offset_low, offset_high) = spread(|s| s.level_offset_db);
        let (pitch_low, pitch_high) = spread(|s| 100.0 * s.pitch_accuracy);
        let fluid = own.iter().find(|row| row.soundfont == SOUNDFONTS[0].0).unwrap_or(&own[0]);
        text.push_str(&format!(
            "| {family} | {} | `{}` | {}–{} | {:.2} ({:.2}) | {offset_low:+.1} … {offset_high:+.1} dB | {pitch_low:.1} … {pitch_high:.1} % |\n",
            spec.display_name,
            spec.name,
            note_name(spec.note_range.0 as f32),
            note_name(spec.note_range.1 as f32),
            fluid.model.spectral_loss,
            fluid.additive.spectral_loss,
        ));
    }
    text
}

/// `readme` with the text between `begin` and `end` replaced by `body`
/// (the markers appended when missing).
fn with_section(readme: &str, (begin_marker, end_marker): (&str, &str), body: &str) -> String {
    let section = format!("{begin_marker}\n{body}{end_marker}");
    match (readme.find(begin_marker), readme.find(end_marker)) {
        (Some(begin), Some(end)) if end > begin => {
            format!("{}{section}{}", &readme[..begin], &readme[end + end_marker.len()..])
        }
        _ => format!("{}\n{section}\n", readme.trim_end()),
    }
}

/// `readme` with the whole table's section replaced by `body`.
fn with_table(readme: &str, body: &str) -> String {
    with_section(readme, (BEGIN_MARKER, END_MARKER), body)
}

/// Evaluates every default instrument and writes the table.
/// Runs the harness. Only the bundled instruments' whole table is written
/// into the README; other runs print theirs.
pub fn eval_instruments(args: &EvalArgs) -> Result<()> {
    run(Command::new("cargo").args(["build", "--release", "--locked", "-p", "ddsp-cli", "--bin", "ddsp"]))?;
    let ddsp = PathBuf::from("target/release/ddsp");
    let work = PathBuf::from("target/eval-instruments");
    std::fs::create_dir_all(&work)?;
    let mut rows = Vec::new();
    for spec in default_instruments_named(&args.only) {
        rows.extend(evaluate_instrument(&ddsp, spec, &args.models, &work)?);
        println!("{}: done", spec.name);
    }
    if !args.is_whole_shipped_table() {
        println!("{}", table(&rows));
        return Ok(());
    }
    let mut body = format!(
        "Measured by `cargo xtask eval-instruments` on {:.0}-second held-out melodies (see `xtask/src/eval_instruments.rs`), every instrument at default settings:\n\n{}",
        MELODY_MINUTES * 60.0,
        table(&rows)
    );
    body.push_str(&format!(
        "\nOn sung input (`{}`, the README's example), at default settings:\n\n| instrument | level offset | loudness L1 |\n|---|---:|---:|\n",
        crate::example_input::PATH
    ));
    for (instrument, offset, l1) in sung_input_levels(&ddsp, &work)? {
        body.push_str(&format!("| {instrument} | {offset:+.1} dB | {l1:.1} dB |\n"));
    }
    println!("{body}");
    let readme = std::fs::read_to_string(README).unwrap_or_default();
    std::fs::write(README, with_table(&readme, &body))?;
    println!("wrote {README}");
    let library = library_table(&rows);
    println!("{library}");
    let project = std::fs::read_to_string(PROJECT_README)?;
    std::fs::write(PROJECT_README, with_section(&project, (LIBRARY_BEGIN_MARKER, LIBRARY_END_MARKER), &library))?;
    println!("wrote {PROJECT_README}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_choose_models_and_instruments() {
        let words = |text: &str| text.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
        let all = EvalArgs::parse(words("")).unwrap();
        assert!(all.is_whole_shipped_table());
        let some = EvalArgs::parse(words("--models target/instrument-models violin")).unwrap();
        assert_eq!(some.models, Models::Folder(PathBuf::from("target/instrument-models")));
        assert_eq!(some.only, ["violin"]);
        assert!(!some.is_whole_shipped_table());
        assert_eq!(some.models.model_argument("violin"), "target/instrument-models/violin.safetensors");
        assert_eq!(Models::Bundled.model_argument("flute"), "flute");
        assert!(EvalArgs::parse(words("contrabass")).is_err());
        assert!(EvalArgs::parse(words("--models")).is_err());
    }

    fn tone(len: usize, rate_hz: f32, f0_hz: f32) -> Vec<f32> {
        (0..len)
            .map(|n| {
                let t = n as f32 / rate_hz;
                let envelope = 0.5 + 0.4 * (2.0 * std::f32::consts::PI * 1.3 * t).sin();
                envelope * (2.0 * std::f32::consts::PI * f0_hz * t).sin()
            })
            .collect()
    }

    /// On a pair that needs no alignment, the harness's spectral loss is
    /// exactly `metrics.rs`'s on the same pair at 16 kHz.
    #[test]
    fn spectral_loss_is_the_metrics_definition() {
        let rate = 48_000.0;
        let input = tone(96_000, rate, 330.0);
        let output: Vec<f32> = input.iter().enumerate().map(|(n, v)| v * 0.8 + 0.01 * ((n % 7) as f32 - 3.0)).collect();
        let melody = vec![Some(330.0f32); 2000];
        let scores = score(&input, &output, rate, &melody);
        assert_eq!(scores.lag_ms, 0.0);
        let expected = multi_scale_spectral_loss(
            &resample_clip(&output, rate, SPECTRAL_RATE_HZ),
            &resample_clip(&input, rate, SPECTRAL_RATE_HZ),
        );
        assert_eq!(scores.spectral_loss, expected);
        assert!((scores.level_offset_db - 20.0 * 0.8f64.log10()).abs() < 0.3, "{}", scores.level_offset_db);
        assert!(scores.pitch_accuracy > 0.95, "{}", scores.pitch_accuracy);
    }

    /// An output 12 ms late is found 12 ms late.
    #[test]
    fn alignment_finds_a_delay() {
        let rate = SPECTRAL_RATE_HZ;
        let input = tone(32_000, rate, 220.0);
        let delay = (0.012 * rate) as usize;
        let output: Vec<f32> = std::iter::repeat_n(0.0, delay).chain(input.iter().copied()).collect();
        assert_eq!(best_lag(&input, &output, rate, MAX_LAG_MS), delay as isize);
    }

    #[test]
    fn the_table_replaces_its_own_section_only() {
        let readme = format!("# Instruments\n\nintro\n\n{BEGIN_MARKER}\nold\n{END_MARKER}\n\nafter\n");
        let updated = with_table(&readme, "new\n");
        assert_eq!(updated, format!("# Instruments\n\nintro\n\n{BEGIN_MARKER}\nnew\n{END_MARKER}\n\nafter\n"));
        assert!(with_table("# Instruments\n", "new\n").ends_with(&format!("{BEGIN_MARKER}\nnew\n{END_MARKER}\n")));
    }
}
