//! `cargo xtask eval-pitch`: how well the live pitch tracker follows real
//! input, rerunnable by anyone, offline.
//!
//! Inputs, each with its exact pitch:
//! - held-out phrases (seeds no instrument trains or validates on) for
//!   eleven instruments, the low reeds and brass among them, rendered dry
//!   through the three SoundFonts of Debian's packages at 44.1 and 48 kHz;
//!   the exact pitch comes from the MIDI file (notes and pitch bends); and
//!   for each of them a scale of every note of its range, one at a time,
//!   since a phrase covers only part of a range;
//! - synthesized singing and speech ([`crate::voice`]), low and high
//!   register, at both rates; the exact pitch is the one the glottal source
//!   was driven with.
//!
//! Ours is scored as the plugin runs it: the engine's analysis at 250 Hz with
//! its lookahead (each frame scored at the input moment it stands for), the
//! default confidence gate with its hysteresis deciding voicing. The
//! reference is pYIN (the `pyin` crate, a port of librosa's), which sees
//! the whole clip at once (centred 85 ms frames, Viterbi smoothing): an
//! offline tracker, beside which ours is causal with the engine's lookahead.
//!
//! Scoring, per frame of each tracker against the exact pitch at its time:
//! - voiced reference frames: a note sounds from 30 ms before to 30 ms after
//!   and its pitch stays within 75 cents (onsets, releases and note changes,
//!   where the SoundFont's timing differs from the file's, are left out);
//!   for voice, voiced from 20 ms before to 20 ms after; a voiced instant
//!   where the recording does not play its note ([`crate::recorded_note`]:
//!   it sounds an octave below it, more than 50 cents off it, or nothing)
//!   is left out for both trackers and counted;
//! - unvoiced reference frames (voice only): unvoiced from 20 ms before to
//!   20 ms after. An instrument's notes ring on after their note-off for
//!   as long as the SoundFont's release (up to seconds for strings), so a
//!   MIDI file cannot say when an instrument stops sounding: its false
//!   alarm is not scored;
//! - raw pitch accuracy: voiced frames whose reported pitch is within 50
//!   cents (ours always reports a pitch; pYIN reports none on frames it calls
//!   unvoiced, which count as misses); raw chroma accuracy: the same with
//!   octave errors forgiven; octave errors: voiced frames a whole number of
//!   octaves off (within 50 cents of it), counted per note;
//! - voicing recall: voiced frames called voiced; false alarm: unvoiced
//!   frames called voiced.
//!
//! The tables go to `docs/pitch.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use ddsp_model::config::DecoderConfig;
use ddsp_training::analysis::mono_mix;
use ddsp_training::audio_file::read_audio;
use ddsp_training::dataset::analysis_info;
use ddsp_training::metrics::PitchError;
use dsp_core::controls::VoicingGate;
use dsp_core::engine::AnalysisConfig;
use dsp_core::feature_track::feature_track;
use dsp_core::pitch_units::{cents_between, hz_to_midi, note_name};
use dsp_core::wire::UserControls;
use midly::Smf;
use pyin::{Framing, PYINExecutor, PadMode};

use crate::phrases::{
    default_instrument, note_held, pitch_track, spec, write_phrases, write_scale, InstrumentSpec, SCALE_NOTE_MS,
};
use crate::recorded_note::{Heard, RecordedNoteCheck, OFF_NOTE_CENTS, SUB_OCTAVE_WITHIN_DB};
use crate::soundfont::{normalise, render_at, SOUNDFONTS};
use crate::voice::{synthesize, Register, VoiceStyle};

/// The instruments of the harness: the default four; the oboe, whose
/// TimGM6mb D5–F♯5 sit on their 2nd harmonic, and the muted trumpet,
/// whose MuseScore notes are bright enough that the NSDF at whole lags
/// misses their period's peak; and the low reeds, brass and strings where
/// NSDF-family trackers break (the contrabass, which the library leaves out
/// for its tracking, over its whole range down to E1, 41 Hz).
pub const EVAL_INSTRUMENTS: [InstrumentSpec; 13] = [
    default_instrument("violin"),
    default_instrument("flute"),
    default_instrument("oboe"),
    default_instrument("trumpet"),
    default_instrument("muted-trumpet"),
    default_instrument("clarinet"),
    default_instrument("tenor-sax"),
    default_instrument("baritone-sax"),
    spec("bassoon", "Bassoon", 70, (34, 72), 10.0),
    default_instrument("trombone"),
    default_instrument("tuba"),
    default_instrument("cello"),
    spec("contrabass", "Contrabass", 43, (28, 60), 20.0),
];
/// Host rates every input is tracked at, Hz.
const RATES_HZ: [u32; 2] = [44_100, 48_000];
/// Length of each melody and voice clip, minutes.
const CLIP_MINUTES: f32 = 0.5;
/// Offset of the harness's seeds from the training seed (training +0,
/// validation +1000, eval-instruments +2000).
const SEED_OFFSET: u64 = 3000;
/// Frame rate ours is run at, Hz (the shipped instruments').
const FRAME_RATE_HZ: f32 = 250.0;
/// A voiced reference frame is this far from any onset, release or note change, ms.
const STEADY_MARGIN_MS: usize = 30;
/// Margins of the synthesized voice's exact voicing, ms.
const VOICE_MARGIN_MS: usize = 20;
/// pYIN's search range, Hz (ours searches 40–2000 Hz too).
const PYIN_RANGE_HZ: (f64, f64) = (40.0, 2_000.0);
/// pYIN's frame, s (librosa's default is 2048 samples at 22.05 kHz, 93 ms).
const PYIN_FRAME_SECONDS: f64 = 0.085;
/// pYIN's hop, s.
const PYIN_HOP_SECONDS: f64 = 0.01;
/// pYIN's pitch-bin resolution, semitones (librosa's default 0.1 makes its
/// dense Viterbi 6× slower for no change at a 50-cent tolerance).
const PYIN_RESOLUTION: f64 = 0.2;
/// Where the tables go.
const REPORT: &str = "docs/pitch.md";

/// What a reference says of one instant.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Label {
    /// Voiced at this pitch, Hz, away from any change.
    Voiced(f32),
    /// Clearly nothing pitched.
    Unvoiced,
    /// Near a change: not scored.
    Ignored,
    /// Voiced, but the recording sounds an octave below its note
    /// ([`crate::recorded_note`]): not scored, counted.
    OctaveBelow,
    /// Voiced, but the recording sounds off its note, or nothing
    /// ([`crate::recorded_note`]): not scored, counted.
    OffNote,
}

/// How a reference's exact pitch track (one value per ms) is labelled.
#[derive(Clone, Copy, Debug)]
struct LabelRule {
    /// Voiced frames need the same note this far either side, ms.
    voiced_margin_ms: usize,
    /// Unvoiced frames need no voice this far either side, ms (`None`: no
    /// frame is labelled unvoiced).
    unvoiced_margin_ms: Option<usize>,
}

const INSTRUMENT_RULE: LabelRule = LabelRule { voiced_margin_ms: STEADY_MARGIN_MS, unvoiced_margin_ms: None };
const VOICE_RULE: LabelRule =
    LabelRule { voiced_margin_ms: VOICE_MARGIN_MS, unvoiced_margin_ms: Some(VOICE_MARGIN_MS) };

/// The label of `track` (Hz per ms, `None` unvoiced) at `ms`.
fn label(track: &[Option<f32>], ms: usize, rule: LabelRule) -> Label {
    let at = |m: usize| track.get(m).copied().flatten();
    match at(ms) {
        Some(_) => note_held(track, ms, rule.voiced_margin_ms).map_or(Label::Ignored, Label::Voiced),
        None => {
            let Some(margin) = rule.unvoiced_margin_ms else {
                return Label::Ignored;
            };
            let first = ms.saturating_sub(margin);
            let after = (ms + margin).min(track.len().saturating_sub(1));
            if (first..=after).all(|m| at(m).is_none()) {
                Label::Unvoiced
            } else {
                Label::Ignored
            }
        }
    }
}

/// One tracker's answer at an instant.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Answer {
    /// Time the answer stands for, ms.
    time_ms: f64,
    /// Reported pitch, Hz (`None`: no pitch reported).
    f0_hz: Option<f32>,
    /// The tracker's confidence in the pitch, 0–1 (pYIN: its voiced probability).
    confidence: f32,
    /// Whether the tracker calls the instant voiced.
    voiced: bool,
}

/// Counts behind the scores of one tracker on one input.
#[derive(Clone, Debug, Default)]
struct Tally {
    voiced_frames: usize,
    /// Voiced frames left out: the recording sounds an octave below its note.
    octave_below_frames: usize,
    /// Voiced frames left out: the recording sounds off its note, or nothing.
    off_note_frames: usize,
    within: usize,
    within_chroma: usize,
    octave_off: usize,
    voiced_called_voiced: usize,
    unvoiced_frames: usize,
    false_alarms: usize,
    /// Per nearest MIDI note of the reference: (voiced frames, octave errors).
    per_note: BTreeMap<u8, (usize, usize)>,
}

impl Tally {
    fn add(&mut self, answer: &Answer, label: Label) {
        match label {
            Label::Ignored => {}
            Label::OctaveBelow => self.octave_below_frames += 1,
            Label::OffNote => self.off_note_frames += 1,
            Label::Unvoiced => {
                self.unvoiced_frames += 1;
                self.false_alarms += usize::from(answer.voiced);
            }
            Label::Voiced(reference_hz) => {
                self.voiced_frames += 1;
                self.voiced_called_voiced += usize::from(answer.voiced);
                let note = self.per_note.entry(hz_to_midi(reference_hz).round().clamp(0.0, 127.0) as u8).or_default();
                note.0 += 1;
                let Some(f0_hz) = answer.f0_hz else {
                    return;
                };
                let error = PitchError::new(f0_hz, reference_hz);
                self.within += usize::from(error.is_within());
                self.within_chroma += usize::from(error.is_chroma_within());
                if error.is_octave_error() {
                    self.octave_off += 1;
                    note.1 += 1;
                }
            }
        }
    }

    fn share(count: usize, total: usize) -> f64 {
        100.0 * count as f64 / total.max(1) as f64
    }

    fn raw_pitch_accuracy(&self) -> f64 {
        Self::share(self.within, self.voiced_frames)
    }

    fn raw_chroma_accuracy(&self) -> f64 {
        Self::share(self.within_chroma, self.voiced_frames)
    }

    fn octave_error_share(&self) -> f64 {
        Self::share(self.octave_off, self.voiced_frames)
    }

    fn voicing_recall(&self) -> f64 {
        Self::share(self.voiced_called_voiced, self.voiced_frames)
    }

    /// False alarm, % (`–` when nothing was labelled unvoiced).
    fn false_alarm(&self) -> String {
        if self.unvoiced_frames == 0 {
            "–".to_string()
        } else {
            format!("{:.1}", Self::share(self.false_alarms, self.unvoiced_frames))
        }
    }

    /// The notes with octave errors on at least 5 % of their frames, worst first.
    fn octave_error_notes(&self) -> String {
        let mut notes: Vec<(u8, usize, usize)> = self
            .per_note
            .iter()
            .filter(|(_, &(frames, errors))| errors > 0 && errors * 20 >= frames)
            .map(|(&note, &(frames, errors))| (note, frames, errors))
            .collect();
        notes.sort_by(|a, b| (b.2 * a.1).cmp(&(a.2 * b.1)));
        let text: Vec<String> = notes
            .iter()
            .take(4)
            .map(|&(note, frames, errors)| format!("{} {}/{}", note_name(note as f32), errors, frames))
            .collect();
        if text.is_empty() {
            "–".to_string()
        } else {
            text.join(", ")
        }
    }
}

/// The millisecond of the exact `track` that `answer` stands for, if the
/// track covers it.
fn track_ms(answer: &Answer, track: &[Option<f32>]) -> Option<usize> {
    let ms = answer.time_ms.round();
    (ms >= 0.0 && (ms as usize) < track.len()).then_some(ms as usize)
}

/// The label of each of `answers` by the exact `track` (Hz per ms); answers
/// outside the track are [`Label::Ignored`].
fn labels(answers: &[Answer], track: &[Option<f32>], rule: LabelRule, check: &mut RecordedNoteCheck) -> Vec<Label> {
    answers
        .iter()
        .map(|answer| match track_ms(answer, track) {
            None => Label::Ignored,
            Some(ms) => match label(track, ms, rule) {
                Label::Voiced(reference_hz) => match check.heard(ms) {
                    Heard::AtNote | Heard::NoteBefore => Label::Voiced(reference_hz),
                    Heard::OctaveBelow => Label::OctaveBelow,
                    Heard::OffNote => Label::OffNote,
                },
                label => label,
            },
        })
        .collect()
}

/// Tallies `answers` by their `labels`.
fn tally_labelled(answers: &[Answer], labels: &[Label]) -> Tally {
    let mut tally = Tally::default();
    for (answer, &label) in answers.iter().zip(labels) {
        tally.add(answer, label);
    }
    tally
}

/// Tallies `answers` against the exact `track` (Hz per ms).
fn tally(answers: &[Answer], track: &[Option<f32>], rule: LabelRule, check: &mut RecordedNoteCheck) -> Tally {
    tally_labelled(answers, &labels(answers, track, rule, check))
}

/// Writes one CSV row per answer (time, the exact pitch, how the frame is
/// scored, the reported pitch, confidence and voicing, and the error in
/// cents on scored frames), to look into a row's misses frame by frame.
fn write_frames(path: &Path, answers: &[Answer], labels: &[Label], track: &[Option<f32>]) -> Result<()> {
    let mut text = String::from("time_ms,exact_hz,scored,f0_hz,confidence,voiced,error_cents\n");
    for (answer, label) in answers.iter().zip(labels) {
        let exact_hz = track_ms(answer, track).and_then(|ms| track[ms]);
        let scored = match label {
            Label::Voiced(_) => "voiced",
            Label::Unvoiced => "unvoiced",
            Label::Ignored => "-",
            Label::OctaveBelow => "octave-below",
            Label::OffNote => "off-note",
        };
        let error_cents = match (label, answer.f0_hz) {
            (Label::Voiced(reference_hz), Some(f0_hz)) => format!("{:.0}", cents_between(f0_hz, *reference_hz)),
            _ => String::new(),
        };
        text.push_str(&format!(
            "{:.1},{},{scored},{},{:.3},{},{error_cents}\n",
            answer.time_ms,
            exact_hz.map_or(String::new(), |hz| format!("{hz:.2}")),
            answer.f0_hz.map_or(String::new(), |hz| format!("{hz:.2}")),
            answer.confidence,
            u8::from(answer.voiced),
        ));
    }
    std::fs::write(path, text)?;
    Ok(())
}

/// Ours as the plugin runs it: the engine's analysis frames, each at the
/// input moment it stands for, voiced by the default confidence gate.
fn track_ours(signal: &[f32], rate_hz: f32) -> Vec<Answer> {
    let config = DecoderConfig { frame_rate_hz: FRAME_RATE_HZ, ..DecoderConfig::small_size() };
    let info = analysis_info(&config);
    let controls = UserControls::default();
    let features = feature_track(signal, rate_hz, &info, AnalysisConfig::default(), controls);
    let threshold = controls.confidence_threshold;
    let mut gate = VoicingGate::default();
    features
        .frames
        .iter()
        .enumerate()
        .map(|(k, frame)| {
            let voiced = gate.update(frame.confidence, threshold);
            let stands_for = features.segment_start_sample(k) + features.hop_samples - 1.0;
            Answer {
                time_ms: stands_for * 1000.0 / rate_hz as f64,
                f0_hz: Some(frame.f0_hz),
                confidence: frame.confidence,
                voiced,
            }
        })
        .collect()
}

/// pYIN over the whole clip.
fn track_pyin(signal: &[f32], rate_hz: u32) -> Vec<Answer> {
    let frame_length = ((PYIN_FRAME_SECONDS * rate_hz as f64) as usize).next_power_of_two();
    let hop_length = (PYIN_HOP_SECONDS * rate_hz as f64).round() as usize;
    let mut executor = PYINExecutor::new(
        PYIN_RANGE_HZ.0,
        PYIN_RANGE_HZ.1,
        rate_hz,
        frame_length,
        None,
        Some(hop_length),
        Some(PYIN_RESOLUTION),
    );
    let wav: Vec<f64> = signal.iter().map(|&x| x as f64).collect();
    let (times_s, f0_hz, voiced, voiced_probability) =
        executor.pyin(&wav, f64::NAN, Framing::Center(PadMode::Constant(0.0)));
    times_s
        .iter()
        .zip(&f0_hz)
        .zip(&voiced)
        .zip(&voiced_probability)
        .map(|(((&t, &f0), &voiced), &probability)| Answer {
            time_ms: t * 1000.0,
            f0_hz: (voiced && f0.is_finite()).then_some(f0 as f32),
            confidence: probability as f32,
            voiced,
        })
        .collect()
}

/// One input, both trackers' tallies.
struct Row {
    input: String,
    source: String,
    rate_hz: u32,
    ours: Tally,
    pyin: Tally,
}

/// One input's row: ours and pYIN tallied on `signal` against the exact
/// `track`; ours' frames also go to `frames_csv` ([`write_frames`]).
struct Input<'a> {
    /// The row's input and source names.
    names: (String, String),
    /// The clip, mono.
    signal: &'a [f32],
    /// The clip's rate, Hz.
    rate_hz: u32,
    /// The exact pitch, Hz per ms (`None`: unvoiced).
    track: &'a [Option<f32>],
    /// How the exact pitch is labelled.
    rule: LabelRule,
    /// Where ours' frames are written, if anywhere.
    frames_csv: Option<PathBuf>,
}

fn score(input: Input) -> Result<Row> {
    let Input { names: (input, source), signal, rate_hz, track, rule, frames_csv } = input;
    let mut check = RecordedNoteCheck::new(signal, rate_hz as f32, track);
    let answers = track_ours(signal, rate_hz as f32);
    let ours_labels = labels(&answers, track, rule, &mut check);
    if let Some(path) = frames_csv {
        write_frames(&path, &answers, &ours_labels, track)?;
    }
    let ours = tally_labelled(&answers, &ours_labels);
    let pyin = tally(&track_pyin(signal, rate_hz), track, rule, &mut check);
    Ok(Row { input, source, rate_hz, ours, pyin })
}

/// What an instrument plays for the harness.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Clip {
    /// A held-out 30-second phrase.
    Melody,
    /// Every note of its range once ([`write_scale`]).
    Scale,
}

impl Clip {
    /// The exact performance, seeded apart from training and validation.
    fn write(self, spec: &InstrumentSpec) -> Smf<'static> {
        let seed = 1 + spec.gm_program as u64 + SEED_OFFSET;
        match self {
            Clip::Melody => write_phrases(spec, CLIP_MINUTES, seed),
            Clip::Scale => write_scale(spec, seed),
        }
    }

    /// The row's input name for `spec`, and the files' stem.
    fn names(self, spec: &InstrumentSpec) -> (String, String) {
        match self {
            Clip::Melody => (spec.display_name.to_string(), spec.name.to_string()),
            Clip::Scale => (format!("{}, scale", spec.display_name), format!("{}-scale", spec.name)),
        }
    }
}

fn instrument_rows(spec: &InstrumentSpec, clip: Clip, work: &Path) -> Result<Vec<Row>> {
    let smf = clip.write(spec);
    let (input, stem) = clip.names(spec);
    let midi = work.join(format!("{stem}.mid"));
    smf.save(&midi)?;
    let track = pitch_track(&smf);
    let mut rows = Vec::new();
    for (font_name, font, package) in SOUNDFONTS {
        if !Path::new(font).exists() {
            bail!("{font} is missing: apt-get install fluidsynth {package}");
        }
        for rate_hz in RATES_HZ {
            let stem = format!("{stem}-{}-{rate_hz}", font_name.replace(' ', "-").to_lowercase());
            let wav = work.join(format!("{stem}.wav"));
            render_at(Path::new(font), &midi, &wav, rate_hz)?;
            normalise(&wav)?;
            let clip = read_audio(&wav)?;
            let signal = mono_mix(&clip);
            rows.push(score(Input {
                names: (input.clone(), font_name.to_string()),
                signal: &signal,
                rate_hz,
                track: &track,
                rule: INSTRUMENT_RULE,
                frames_csv: Some(work.join(format!("{stem}.ours.csv"))),
            })?);
        }
    }
    Ok(rows)
}

fn voice_rows(work: &Path) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for (style, style_name) in [(VoiceStyle::Singing, "Singing"), (VoiceStyle::Speech, "Speech")] {
        for (register, register_name) in [(Register::Low, "low"), (Register::High, "high")] {
            // The same performance at every rate.
            let seed = SEED_OFFSET + rows.len() as u64;
            for rate_hz in RATES_HZ {
                let clip = synthesize(style, register, CLIP_MINUTES * 60.0, rate_hz, seed);
                let stem = format!("{style_name}-{register_name}-{rate_hz}").to_lowercase();
                rows.push(score(Input {
                    names: (format!("{style_name}, {register_name}"), "synthesized".to_string()),
                    signal: &clip.samples,
                    rate_hz: clip.sample_rate_hz,
                    track: &clip.f0_hz,
                    rule: VOICE_RULE,
                    frames_csv: Some(work.join(format!("{stem}.ours.csv"))),
                })?);
            }
        }
    }
    Ok(rows)
}

fn table(rows: &[Row]) -> String {
    let mut text = String::from(
        "| input | source | rate | voiced frames | left out: an octave below | left out: off its note | RPA ours | RPA pYIN | RCA ours | RCA pYIN | octave off, ours | octave off, pYIN | recall ours | recall pYIN | false alarm ours | false alarm pYIN | notes an octave off (ours) |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for row in rows {
        let (o, p) = (&row.ours, &row.pyin);
        text.push_str(&format!(
            "| {} | {} | {:.1} kHz | {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} | {:.2} | {:.1} | {:.1} | {} | {} | {} |\n",
            row.input,
            row.source,
            row.rate_hz as f32 / 1000.0,
            o.voiced_frames,
            o.octave_below_frames,
            o.off_note_frames,
            o.raw_pitch_accuracy(),
            p.raw_pitch_accuracy(),
            o.raw_chroma_accuracy(),
            p.raw_chroma_accuracy(),
            o.octave_error_share(),
            p.octave_error_share(),
            o.voicing_recall(),
            p.voicing_recall(),
            o.false_alarm(),
            p.false_alarm(),
            o.octave_error_notes(),
        ));
    }
    text
}

/// The harness's command line: `[REPORT] [NAME…]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EvalPitchArgs {
    /// Where the tables go (`None`: [`REPORT`]).
    pub report: Option<PathBuf>,
    /// Inputs to score: instrument names of [`EVAL_INSTRUMENTS`] or `voice`
    /// (all when empty). A partial run prints its tables and writes no
    /// report; ours' frames are in the work folder either way.
    pub only: Vec<String>,
}

impl EvalPitchArgs {
    /// Parses the words after `eval-pitch`.
    pub fn parse(words: impl IntoIterator<Item = String>) -> Result<Self> {
        let mut args = Self::default();
        for word in words {
            if word == VOICE_INPUT || EVAL_INSTRUMENTS.iter().any(|spec| spec.name == word) {
                args.only.push(word);
            } else if word.starts_with('-') || args.report.is_some() {
                bail!("unknown input or option '{word}'");
            } else {
                args.report = Some(PathBuf::from(word));
            }
        }
        Ok(args)
    }

    fn includes(&self, input: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|name| name == input)
    }
}

/// The name that selects the synthesized voice clips in [`EvalPitchArgs`].
const VOICE_INPUT: &str = "voice";

/// Runs the harness and writes the tables to the report (only printed for
/// a partial run).
pub fn eval_pitch(args: &EvalPitchArgs) -> Result<()> {
    let report_path = args.report.as_deref().unwrap_or(Path::new(REPORT));
    let stem = report_path.file_stem().map_or("pitch".into(), |s| s.to_string_lossy());
    let work = PathBuf::from("target/eval-pitch").join(stem.as_ref());
    std::fs::create_dir_all(&work)?;
    let mut instrument_table = Vec::new();
    let mut scale_table = Vec::new();
    for spec in EVAL_INSTRUMENTS.iter().filter(|spec| args.includes(spec.name)) {
        instrument_table.extend(instrument_rows(spec, Clip::Melody, &work)?);
        scale_table.extend(instrument_rows(spec, Clip::Scale, &work)?);
        println!("{}: done", spec.name);
    }
    let voice_table = if args.includes(VOICE_INPUT) { voice_rows(&work)? } else { Vec::new() };
    let worst = instrument_table
        .iter()
        .chain(&scale_table)
        .chain(&voice_table)
        .min_by(|a, b| a.ours.raw_pitch_accuracy().total_cmp(&b.ours.raw_pitch_accuracy()));
    let mut report = format!(
        "# Pitch tracking on held-out input\n\n\
         Written by `cargo xtask eval-pitch` (see `xtask/src/eval_pitch.rs` for the protocol). RPA: raw pitch accuracy, % of voiced frames within 50 cents; RCA: the same with octave errors forgiven; octave off: % of voiced frames a whole number of octaves off; recall and false alarm: the voicing decision, %; left out: voiced frames where the recording itself does not play its note, scored for neither tracker: where it sounds an octave below it (partials at the odd multiples of half its frequency within {} dB of its harmonics over at least 40 ms and 8 periods of one note, as some SoundFont saxophone attacks are for ~100 ms), or off it (its partials' peaks in that window, weighted by their power, more than {} cents from its harmonics and not at the note before, as FluidR3's voice scoops into its notes, or the note silent: FluidR3's contrabass has no sample above A3). Ours runs causally as the plugin does ({:.1} ms lookahead, default confidence gate); pYIN sees the whole clip.\n\n\
         ## Instruments (30-second held-out phrases)\n\n",
        -SUB_OCTAVE_WITHIN_DB,
        OFF_NOTE_CENTS,
        AnalysisConfig::default().lookahead_ms
    );
    report.push_str(&table(&instrument_table));
    report.push_str(&format!(
        "\n## Instruments, every note of their range ({} ms each, lowest first)\n\n\
         A 30-second phrase wanders over part of a range (the bassoon's stays within C2–F♯3 but for three short notes, of B♭1–C5), so these \
         scales make sure every note is heard once.\n\n",
        SCALE_NOTE_MS
    ));
    report.push_str(&table(&scale_table));
    report.push_str("\n## Voice (30-second synthesized clips, exact pitch)\n\n");
    report.push_str(&table(&voice_table));
    if let Some(row) = worst {
        report.push_str(&format!(
            "\nLowest RPA of ours: {:.1} % ({}, {}, {:.1} kHz).\n",
            row.ours.raw_pitch_accuracy(),
            row.input,
            row.source,
            row.rate_hz as f32 / 1000.0
        ));
    }
    println!("{report}");
    println!("ours' frames: {}/*.ours.csv", work.display());
    if args.only.is_empty() {
        std::fs::write(report_path, report)?;
        println!("wrote {}", report_path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sine at `hz`, `seconds` long at `rate_hz`, peak 0.5.
    fn sine(hz: f32, rate_hz: u32, seconds: f32) -> Vec<f32> {
        (0..(seconds * rate_hz as f32) as usize)
            .map(|n| (2.0 * std::f32::consts::PI * hz * n as f32 / rate_hz as f32).sin() * 0.5)
            .collect()
    }

    #[test]
    fn labels_leave_out_changes_and_release_tails() {
        // 100 ms silence, 200 ms at 220 Hz, 200 ms at 247 Hz (legato), 600 ms silence.
        let track: Vec<Option<f32>> = std::iter::repeat_n(None, 100)
            .chain(std::iter::repeat_n(Some(220.0), 200))
            .chain(std::iter::repeat_n(Some(247.0), 200))
            .chain(std::iter::repeat_n(None, 600))
            .collect();
        let rule = INSTRUMENT_RULE;
        assert_eq!(label(&track, 50, rule), Label::Ignored, "30 ms before the onset");
        assert_eq!(label(&track, 110, rule), Label::Ignored, "just after the onset");
        assert_eq!(label(&track, 200, rule), Label::Voiced(220.0));
        assert_eq!(label(&track, 290, rule), Label::Ignored, "near the note change");
        assert_eq!(label(&track, 400, rule), Label::Voiced(247.0));
        assert_eq!(label(&track, 950, rule), Label::Ignored, "an instrument may still ring");
        assert_eq!(label(&track, 950, VOICE_RULE), Label::Unvoiced);
        assert_eq!(label(&track, 510, VOICE_RULE), Label::Ignored, "just after the voice");
    }

    #[test]
    fn tallies_count_octave_errors_per_note_and_voicing() {
        let track: Vec<Option<f32>> =
            std::iter::repeat_n(Some(165.0), 1000).chain(std::iter::repeat_n(None, 1000)).collect();
        let answers: Vec<Answer> = (0..200)
            .map(|k| {
                let time_ms = 10.0 * k as f64;
                let (f0_hz, voiced) = match k {
                    0..50 => (330.0, true),
                    50..100 => (166.0, k % 2 == 0),
                    _ => (165.0, k == 150),
                };
                Answer { time_ms, f0_hz: Some(f0_hz), confidence: 1.0, voiced }
            })
            .collect();
        let note = sine(165.0, 16_000, 2.0);
        let tally = tally(&answers, &track, VOICE_RULE, &mut RecordedNoteCheck::new(&note, 16_000.0, &track));
        // Frames at 20 … 970 ms are voiced (20 ms margins), 1020 … 1990 ms unvoiced.
        assert_eq!(tally.voiced_frames, 96);
        assert_eq!(tally.octave_off, 48);
        assert!((tally.raw_chroma_accuracy() - 100.0).abs() < 1e-9);
        assert_eq!(tally.within, 48);
        assert_eq!(tally.voiced_called_voiced, 48 + 24);
        assert_eq!(tally.unvoiced_frames, 98);
        assert_eq!(tally.false_alarms, 1);
        assert_eq!(tally.octave_error_notes(), "E3 48/96");
    }

    #[test]
    fn arguments_name_a_report_and_the_inputs_to_score() {
        let parse = |words: &[&str]| EvalPitchArgs::parse(words.iter().map(|word| word.to_string()));
        assert_eq!(parse(&[]).unwrap(), EvalPitchArgs::default());
        let args = parse(&["baritone-sax", "target/pitch.md", "voice"]).unwrap();
        assert_eq!(args.report, Some(PathBuf::from("target/pitch.md")));
        assert_eq!(args.only, ["baritone-sax", "voice"]);
        assert!(args.includes("voice") && args.includes("baritone-sax") && !args.includes("violin"));
        assert!(EvalPitchArgs::default().includes("violin"));
        assert!(parse(&["--all"]).is_err());
        assert!(parse(&["a.md", "b.md"]).is_err());
    }

    /// The frames' CSV says per frame what was scored and by how much it missed.
    #[test]
    fn frames_are_written_with_their_label_and_error() {
        let track: Vec<Option<f32>> = std::iter::repeat_n(Some(220.0), 100).chain([None]).collect();
        let answer = |time_ms, f0_hz| Answer { time_ms, f0_hz: Some(f0_hz), confidence: 0.9, voiced: true };
        let answers = [answer(50.0, 440.0), answer(100.0, 220.0)];
        let labels = [Label::Voiced(220.0), Label::Ignored];
        let path = std::env::temp_dir().join(format!("eval-pitch-frames-{}.csv", std::process::id()));
        write_frames(&path, &answers, &labels, &track).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "time_ms,exact_hz,scored,f0_hz,confidence,voiced,error_cents");
        assert_eq!(lines[1], "50.0,220.00,voiced,440.00,0.900,1,1200");
        assert_eq!(lines[2], "100.0,,-,220.00,0.900,1,");
    }

    /// pYIN through the crate finds a plain tone, so the reference column means something.
    #[test]
    fn pyin_reference_tracks_a_tone() {
        let rate_hz = 16_000;
        let signal = sine(196.0, rate_hz, 1.0);
        let answers = track_pyin(&signal, rate_hz);
        let track = vec![Some(196.0f32); 1000];
        let tally = tally(&answers, &track, VOICE_RULE, &mut RecordedNoteCheck::new(&signal, rate_hz as f32, &track));
        assert!(tally.raw_pitch_accuracy() > 90.0, "{}", tally.raw_pitch_accuracy());
        assert_eq!(tally.octave_below_frames + tally.off_note_frames, 0);
    }

    /// A recording that sounds an octave below its note for its first half
    /// second (partials between the note's harmonics as strong as they):
    /// those frames are left out, counted, and the rest scored.
    #[test]
    fn instants_an_octave_below_their_note_are_left_out() {
        let rate_hz = 16_000.0;
        let note_hz = 330.0;
        let signal: Vec<f32> = (0..16_000)
            .map(|n| {
                let t = n as f32 / rate_hz;
                let partial = |f: f32| (2.0 * std::f32::consts::PI * f * t).sin();
                let note: f32 = (1..=6).map(|k| partial(k as f32 * note_hz) / k as f32).sum();
                let below: f32 = (0..6).map(|k| partial((k as f32 + 0.5) * note_hz) / (k + 1) as f32).sum();
                0.2 * (note + if n < 8_000 { below } else { 0.0 })
            })
            .collect();
        let track = vec![Some(note_hz); 1000];
        let answers: Vec<Answer> = (0..100)
            .map(|k| Answer { time_ms: 10.0 * k as f64, f0_hz: Some(note_hz), confidence: 1.0, voiced: true })
            .collect();
        let tally = tally(&answers, &track, VOICE_RULE, &mut RecordedNoteCheck::new(&signal, rate_hz, &track));
        // 20 … 970 ms are voiced; the 40 ms windows centred before 480 ms
        // hold only the doubled half, after 520 ms only the clean one.
        assert!((45..=50).contains(&tally.octave_below_frames), "{}", tally.octave_below_frames);
        assert_eq!(tally.voiced_frames + tally.octave_below_frames, 96);
        assert_eq!(tally.off_note_frames, 0);
        assert_eq!(tally.within, tally.voiced_frames);
    }

    /// A recording a semitone sharp of its note for its first half second
    /// (a sample's scoop), then at it, then silent (a key with no sample):
    /// the sharp and silent frames are left out as off the note, counted,
    /// and the rest scored.
    #[test]
    fn instants_off_their_note_are_left_out() {
        let rate_hz = 16_000;
        let note_hz = 330.0;
        let mut signal = sine(note_hz * (1.0f32 / 12.0).exp2(), rate_hz, 0.5);
        signal.extend(sine(note_hz, rate_hz, 0.5));
        signal.extend(vec![0.0; 8_000]);
        let track = vec![Some(note_hz); 1500];
        let answers: Vec<Answer> = (0..150)
            .map(|k| Answer { time_ms: 10.0 * k as f64, f0_hz: Some(note_hz), confidence: 1.0, voiced: true })
            .collect();
        let tally = tally(&answers, &track, VOICE_RULE, &mut RecordedNoteCheck::new(&signal, rate_hz as f32, &track));
        // 20 … 1470 ms are voiced; the 40 ms windows centred before 480 ms
        // hold only the sharp note, from 520 to 980 ms only the true one.
        let left_out = tally.octave_below_frames + tally.off_note_frames;
        assert!((93..=100).contains(&left_out), "{left_out}");
        assert!(tally.off_note_frames >= 93, "{}", tally.off_note_frames);
        assert_eq!(tally.voiced_frames + left_out, 146);
        assert_eq!(tally.within, tally.voiced_frames);
    }
}
