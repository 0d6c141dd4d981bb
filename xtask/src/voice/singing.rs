//! The singing planner: phrases of scale notes joined by portamento or
//! consonants, with breathy onsets, scoops, delayed vibrato, vowel changes
//! and melismas, and rests with in-breaths between phrases.

use std::ops::{Range, RangeInclusive};

use super::consonant::{write_in_breath, Consonant};
use super::dice::Dice;
use super::pitch::CENTS_PER_SEMITONE;
use super::timeline::{
    breath_of, level_of, Timeline, ASPIRATION, EFFORT, LEAD_IN_MS, PITCH, VIBRATO, VIBRATO_RATE, VOICING,
    VOWEL_GLIDE_MS,
};
use super::tract::{Profile, NUM_VOWELS};

const NOTES_PER_PHRASE: RangeInclusive<usize> = 3..=10;
/// Length of one beat of a phrase, ms: notes last half a beat to two beats.
const BEAT_MS: RangeInclusive<f64> = 300.0..=600.0;
const NOTE_BEATS: [f64; 5] = [0.5, 1.0, 1.0, 1.5, 2.0];
const NOTE_MS: RangeInclusive<f64> = 150.0..=1200.0;
/// Chance that a note is joined to the next by portamento (otherwise a consonant separates them).
const LEGATO_CHANCE: f64 = 0.65;
const GLIDE_MS: RangeInclusive<usize> = 40..=150;
/// Release before a consonant, ms.
const DETACHED_RELEASE_MS: RangeInclusive<usize> = 40..=80;
/// Release at a phrase's end, ms.
const PHRASE_RELEASE_MS: RangeInclusive<usize> = 80..=150;
const SUNG_CONSONANT_MS: RangeInclusive<usize> = 30..=120;
const REST_MS: RangeInclusive<usize> = 300..=1200;
/// Chance of an audible in-breath during a rest.
const IN_BREATH_CHANCE: f64 = 0.4;
const VIBRATO_RATE_HZ: RangeInclusive<f64> = 4.5..=6.5;
const VIBRATO_DEPTH_CENTS: RangeInclusive<f64> = 20.0..=80.0;
/// Vibrato starts this long after a note's onset, ms.
const VIBRATO_DELAY_MS: RangeInclusive<usize> = 180..=260;
const VIBRATO_FADE_MS: RangeInclusive<usize> = 150..=300;
/// Breath RMS relative to voiced RMS, per phrase.
const SUNG_BREATHINESS: RangeInclusive<f64> = 0.04..=0.12;
/// Breath before voicing at a fresh onset, ms.
const BREATH_LEAD_MS: RangeInclusive<usize> = 10..=40;
/// Voicing's rise at a fresh onset, ms.
const VOICE_ONSET_MS: RangeInclusive<usize> = 20..=60;
/// Breath RMS at a fresh onset, relative to the note's voiced RMS.
const ONSET_BREATH: RangeInclusive<f64> = 0.2..=0.5;
/// Chance that a fresh onset scoops up to its note.
const SCOOP_CHANCE: f64 = 0.4;
const SCOOP_CENTS: RangeInclusive<f64> = 30.0..=80.0;
const SCOOP_MS: RangeInclusive<usize> = 60..=120;
/// Chance that a legato note keeps the previous vowel (a melisma).
const MELISMA_CHANCE: f64 = 0.5;
/// Intonation error of a sung note, semitones.
const INTONATION_SEMITONES: RangeInclusive<f64> = -0.08..=0.08;
/// A phrase's mean effort, and a note's departure from it.
const PHRASE_EFFORT: RangeInclusive<f64> = 0.3..=0.9;
const NOTE_EFFORT_SPREAD: RangeInclusive<f64> = -0.15..=0.15;
/// A note's vibrato rate around its phrase's, Hz.
const VIBRATO_RATE_SPREAD_HZ: RangeInclusive<f64> = -0.2..=0.2;

/// How a note ends.
#[derive(Clone, Copy, Debug)]
enum Join {
    /// Glides into the next note over `glide_ms`.
    Legato { glide_ms: usize },
    /// Fades out over `release_ms`, then `consonant`.
    Detached { release_ms: usize, consonant: Consonant },
    /// Fades out over `release_ms`: the phrase's last note.
    End { release_ms: usize },
}

impl Join {
    fn release_ms(&self) -> usize {
        match *self {
            Self::Legato { .. } => 0,
            Self::Detached { release_ms, .. } | Self::End { release_ms } => release_ms,
        }
    }
}

/// One planned sung note.
#[derive(Clone, Copy, Debug)]
struct Note {
    /// Target pitch, fractional MIDI note.
    midi: f64,
    /// Length including its release, ms.
    duration_ms: usize,
    /// Vocal effort in [0, 1].
    effort: f64,
    /// How it ends.
    join: Join,
}

/// What stays the same over a sung phrase.
struct SungPhrase<'a> {
    /// The register's ranges and vowels.
    profile: &'a Profile,
    /// Vibrato rate, Hz.
    vibrato_rate_hz: f64,
    /// Full vibrato depth, cents.
    vibrato_cents: f64,
    /// Breath RMS relative to voiced RMS at full effort.
    breathiness: f64,
}

/// Plans sung phrases until `total_ms`.
pub(super) fn sing(profile: &Profile, dice: &mut Dice, total_ms: usize) -> Timeline {
    let scale = diatonic_scale(profile.sung_midi.clone(), dice.index(12) as i32);
    let mut timeline = Timeline::new(profile.vowels[0]);
    let mut cursor_ms = dice.int(LEAD_IN_MS);
    while cursor_ms < total_ms {
        let melody = plan_melody(&scale, dice);
        cursor_ms = write_sung_phrase(&mut timeline, cursor_ms, &melody, profile, dice);
        let rest = cursor_ms..cursor_ms + dice.int(REST_MS);
        if dice.chance(IN_BREATH_CHANCE) {
            write_in_breath(&mut timeline, rest.clone(), dice);
        }
        cursor_ms = rest.end;
    }
    timeline
}

/// The notes of the major scale on pitch class `tonic` inside `range`, MIDI.
fn diatonic_scale(range: RangeInclusive<i32>, tonic: i32) -> Vec<f64> {
    const MAJOR: [i32; 7] = [0, 2, 4, 5, 7, 9, 11];
    range.filter(|note| MAJOR.contains(&(note - tonic).rem_euclid(12))).map(f64::from).collect()
}

/// A phrase's notes: mostly steps along `scale`, sometimes leaps.
fn plan_melody(scale: &[f64], dice: &mut Dice) -> Vec<Note> {
    const STEPS: [i32; 8] = [0, 1, -1, 1, -1, 2, -2, 1];
    const LEAPS: [i32; 6] = [3, -3, 4, -4, 5, -5];
    const LEAP_CHANCE: f64 = 0.15;
    let num_notes = dice.int(NOTES_PER_PHRASE);
    let beat_ms = dice.uniform(BEAT_MS);
    let phrase_effort = dice.uniform(PHRASE_EFFORT);
    let top = scale.len() as i32 - 1;
    let mut degree = (scale.len() / 4 + dice.index(scale.len() / 2)) as i32;
    (0..num_notes)
        .map(|i| {
            let last = i + 1 == num_notes;
            let step = if dice.chance(LEAP_CHANCE) { dice.pick(&LEAPS) } else { dice.pick(&STEPS) };
            // Turn back at the edges of the range.
            degree = if (0..=top).contains(&(degree + step)) { degree + step } else { (degree - step).clamp(0, top) };
            let beats = dice.pick(&NOTE_BEATS) * if last { 2.0 } else { 1.0 };
            let join = if last {
                Join::End { release_ms: dice.int(PHRASE_RELEASE_MS) }
            } else if dice.chance(LEGATO_CHANCE) {
                Join::Legato { glide_ms: dice.int(GLIDE_MS) }
            } else {
                let release_ms = dice.int(DETACHED_RELEASE_MS);
                Join::Detached { release_ms, consonant: Consonant::random(dice, SUNG_CONSONANT_MS) }
            };
            Note {
                midi: scale[degree as usize] + dice.uniform(INTONATION_SEMITONES),
                duration_ms: (beat_ms * beats).clamp(*NOTE_MS.start(), *NOTE_MS.end()) as usize,
                effort: (phrase_effort + dice.uniform(NOTE_EFFORT_SPREAD)).clamp(0.05, 1.0),
                join,
            }
        })
        .collect()
}

/// Writes `melody` from `start_ms`; returns the phrase's end, ms.
fn write_sung_phrase(
    timeline: &mut Timeline,
    start_ms: usize,
    melody: &[Note],
    profile: &Profile,
    dice: &mut Dice,
) -> usize {
    let phrase = SungPhrase {
        profile,
        vibrato_rate_hz: dice.uniform(VIBRATO_RATE_HZ),
        vibrato_cents: dice.uniform(VIBRATO_DEPTH_CENTS),
        breathiness: dice.uniform(SUNG_BREATHINESS),
    };
    let mut cursor_ms = start_ms;
    let mut glide_ms = None;
    for note in melody {
        write_sung_note(timeline, cursor_ms..cursor_ms + note.duration_ms, note, glide_ms, &phrase, dice);
        cursor_ms += note.duration_ms;
        glide_ms = None;
        match note.join {
            Join::Legato { glide_ms: next_glide_ms } => glide_ms = Some(next_glide_ms),
            Join::Detached { consonant, .. } => cursor_ms = consonant.write(timeline, cursor_ms),
            Join::End { .. } => {}
        }
    }
    timeline.phrases.push(start_ms..cursor_ms);
    cursor_ms
}

/// Writes `note` over `span`: a glide from the previous note over `glide_ms` if legato, else a breathy onset;
/// vibrato fading in; a release unless it is legato into the next.
fn write_sung_note(
    timeline: &mut Timeline,
    span: Range<usize>,
    note: &Note,
    glide_ms: Option<usize>,
    phrase: &SungPhrase,
    dice: &mut Dice,
) {
    let duration_ms = span.len();
    let previous_ms = span.start.saturating_sub(1);
    let level = level_of(note.effort);
    let breath = level * breath_of(note.effort, phrase.breathiness);
    timeline.hold(VIBRATO_RATE, span.clone(), phrase.vibrato_rate_hz + dice.uniform(VIBRATO_RATE_SPREAD_HZ));
    let attack_ms = match glide_ms {
        Some(glide_ms) => {
            let glide_ms = glide_ms.min(duration_ms / 2);
            for (field, to) in [(PITCH, note.midi), (EFFORT, note.effort), (VOICING, level), (ASPIRATION, breath)] {
                let from = timeline.value(field, previous_ms);
                timeline.envelope(field, span.clone(), from, &[(glide_ms, to)]);
            }
            glide_ms
        }
        None => {
            let lead_ms = dice.int(BREATH_LEAD_MS).min(duration_ms / 5);
            let onset_ms = dice.int(VOICE_ONSET_MS).min(duration_ms / 4);
            let scoop = if dice.chance(SCOOP_CHANCE) { dice.uniform(SCOOP_CENTS) / CENTS_PER_SEMITONE } else { 0.0 };
            timeline.envelope(PITCH, span.clone(), note.midi - scoop, &[(dice.int(SCOOP_MS), note.midi)]);
            timeline.hold(EFFORT, span.clone(), note.effort);
            timeline.envelope(VOICING, span.clone(), 0.0, &[(lead_ms, 0.0), (onset_ms, level)]);
            let onset_breath = level * dice.uniform(ONSET_BREATH);
            timeline.envelope(ASPIRATION, span.clone(), 0.0, &[(lead_ms, onset_breath), (onset_ms, breath)]);
            lead_ms + onset_ms
        }
    };
    // At most 2/5 of the note, so attack and release never overlap.
    let release_ms = note.join.release_ms().min(duration_ms * 2 / 5);
    let release = span.end - release_ms..span.end;
    timeline.ramp(VOICING, release.clone(), level, 0.0);
    timeline.ramp(ASPIRATION, release, breath, 0.0);

    let vibrato_from = if glide_ms.is_some() { timeline.value(VIBRATO, previous_ms) } else { 0.0 };
    let delay_ms = dice.int(VIBRATO_DELAY_MS).saturating_sub(attack_ms);
    let fade_ms = dice.int(VIBRATO_FADE_MS);
    let stages = [(attack_ms, 0.0), (delay_ms, 0.0), (fade_ms, phrase.vibrato_cents)];
    timeline.envelope(VIBRATO, span.clone(), vibrato_from, &stages);

    let vowel = if glide_ms.is_some() && dice.chance(MELISMA_CHANCE) {
        timeline.knots[previous_ms].vowel
    } else {
        phrase.profile.vowels[dice.index(NUM_VOWELS)]
    };
    timeline.glide_vowel(span, dice.int(VOWEL_GLIDE_MS), vowel);
}
