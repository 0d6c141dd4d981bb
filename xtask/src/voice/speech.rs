//! The speech planner: phrases of syllables at 4–6 a second, each an
//! optional unvoiced consonant then a voiced part, over a declining pitch
//! with pitch accents and a final rise or fall; pauses between phrases.

use std::ops::RangeInclusive;

use super::consonant::Consonant;
use super::curve::lerp;
use super::dice::Dice;
use super::timeline::{
    breath_of, level_of, Bump, Timeline, ASPIRATION, EFFORT, LEAD_IN_MS, PITCH, VOICING, VOWEL_GLIDE_MS,
};
use super::tract::{Profile, NUM_VOWELS};

const SYLLABLES_PER_SECOND: RangeInclusive<f64> = 4.0..=6.0;
const SYLLABLES_PER_PHRASE: RangeInclusive<usize> = 3..=12;
/// A syllable's length relative to the phrase's mean.
const SYLLABLE_SPREAD: RangeInclusive<f64> = 0.75..=1.25;
/// A phrase's last syllable is this much longer.
const FINAL_LENGTHENING: f64 = 1.3;
const VOICED_MS: RangeInclusive<usize> = 60..=300;
/// Chance that a syllable starts with an unvoiced consonant.
const SPOKEN_CONSONANT_CHANCE: f64 = 0.6;
const SPOKEN_CONSONANT_MS: RangeInclusive<usize> = 30..=150;
const PAUSE_MS: RangeInclusive<usize> = 200..=800;
/// Where a phrase starts within the speaking range (0 bottom, 1 top), in semitones.
const PHRASE_START_IN_RANGE: RangeInclusive<f64> = 0.35..=0.6;
const DECLINATION_SEMITONES: RangeInclusive<f64> = 2.0..=4.0;
/// Chance that a syllable carries a pitch accent (each phrase has at least one).
const ACCENT_CHANCE: f64 = 0.25;
/// Chance that an accent rises (else it falls).
const RISING_ACCENT_CHANCE: f64 = 0.75;
const ACCENT_SEMITONES: RangeInclusive<f64> = 2.0..=6.0;
const ACCENT_RISE_MS: RangeInclusive<usize> = 100..=250;
/// Chance that a phrase ends rising, like a question.
const QUESTION_CHANCE: f64 = 0.25;
const STRESSED_EFFORT: RangeInclusive<f64> = 0.7..=1.0;
const UNSTRESSED_EFFORT: RangeInclusive<f64> = 0.25..=0.65;
const ACCENT_DELAY_MS: RangeInclusive<usize> = 0..=40;
const ACCENT_HOLD_MS: RangeInclusive<usize> = 0..=60;
const ACCENT_RETURN_MS: RangeInclusive<usize> = 150..=400;
/// A question's final rise: length (ms) and size (semitones).
const QUESTION_RISE_MS: usize = 200;
const QUESTION_RISE_SEMITONES: RangeInclusive<f64> = 3.0..=6.0;
/// A statement's final fall: length (ms) and size (semitones).
const FINAL_FALL_MS: usize = 250;
const FINAL_FALL_SEMITONES: RangeInclusive<f64> = 1.0..=3.0;
/// Voicing between two syllables with no consonant between dips to this fraction of the next one's.
const SYLLABLE_DIP: f64 = 0.4;
const SYLLABLE_ATTACK_MS: RangeInclusive<usize> = 10..=30;
const SYLLABLE_DECAY_MS: RangeInclusive<usize> = 15..=40;
/// The fade of a phrase's last syllable, ms.
const PHRASE_FINAL_DECAY_MS: RangeInclusive<usize> = 50..=120;
/// Breath RMS relative to voiced RMS, per phrase.
const SPOKEN_BREATHINESS: RangeInclusive<f64> = 0.03..=0.08;
/// Breath at a syllable's onset from silence, relative to its sustained breath.
const SPOKEN_ONSET_BREATH_GAIN: f64 = 3.0;

/// One planned spoken syllable.
#[derive(Clone, Copy, Debug)]
struct Syllable {
    /// The unvoiced consonant before the voiced part, if any.
    consonant: Option<Consonant>,
    /// Voiced part (vowel and voiced consonants), ms.
    voiced_ms: usize,
    /// Vocal effort in [0, 1]: stressed syllables are louder and brighter.
    effort: f64,
    /// Pitch accent: delay into the voiced part (ms) and its shape.
    accent: Option<(usize, Bump)>,
}

/// Plans spoken phrases until `total_ms`.
pub(super) fn speak(profile: &Profile, dice: &mut Dice, total_ms: usize) -> Timeline {
    let mut timeline = Timeline::new(profile.vowels[0]);
    let mut cursor_ms = dice.int(LEAD_IN_MS);
    while cursor_ms < total_ms {
        let utterance = plan_utterance(dice);
        cursor_ms = write_utterance(&mut timeline, cursor_ms, &utterance, profile, dice) + dice.int(PAUSE_MS);
    }
    timeline
}

/// A phrase's syllables.
fn plan_utterance(dice: &mut Dice) -> Vec<Syllable> {
    let period_ms = 1000.0 / dice.uniform(SYLLABLES_PER_SECOND);
    let num_syllables = dice.int(SYLLABLES_PER_PHRASE);
    let forced_accent = dice.index(num_syllables);
    (0..num_syllables)
        .map(|i| {
            let lengthening = if i + 1 == num_syllables { FINAL_LENGTHENING } else { 1.0 };
            let duration_ms = (period_ms * dice.uniform(SYLLABLE_SPREAD) * lengthening) as usize;
            let longest_consonant_ms =
                (duration_ms / 2).clamp(*SPOKEN_CONSONANT_MS.start(), *SPOKEN_CONSONANT_MS.end());
            let consonant = dice
                .chance(SPOKEN_CONSONANT_CHANCE)
                .then(|| Consonant::random(dice, *SPOKEN_CONSONANT_MS.start()..=longest_consonant_ms));
            let consonant_ms = consonant.map_or(0, |consonant| consonant.duration_ms());
            let voiced_ms = duration_ms.saturating_sub(consonant_ms).clamp(*VOICED_MS.start(), *VOICED_MS.end());
            let accented = i == forced_accent || dice.chance(ACCENT_CHANCE);
            let effort = dice.uniform(if accented { STRESSED_EFFORT } else { UNSTRESSED_EFFORT });
            let accent = accented.then(|| (dice.int(ACCENT_DELAY_MS), random_accent(dice)));
            Syllable { consonant, voiced_ms, effort, accent }
        })
        .collect()
}

/// A rise-and-return (or fall-and-return) of 2–6 semitones.
fn random_accent(dice: &mut Dice) -> Bump {
    let sign = if dice.chance(RISING_ACCENT_CHANCE) { 1.0 } else { -1.0 };
    Bump {
        rise_ms: dice.int(ACCENT_RISE_MS),
        hold_ms: dice.int(ACCENT_HOLD_MS),
        return_ms: dice.int(ACCENT_RETURN_MS),
        height: sign * dice.uniform(ACCENT_SEMITONES),
    }
}

/// Writes `syllables` from `start_ms`: declining pitch with accents, each voiced part's envelope and vowel;
/// returns the phrase's end, ms.
fn write_utterance(
    timeline: &mut Timeline,
    start_ms: usize,
    syllables: &[Syllable],
    profile: &Profile,
    dice: &mut Dice,
) -> usize {
    let total_ms: usize = syllables.iter().map(|s| s.voiced_ms + s.consonant.map_or(0, |c| c.duration_ms())).sum();
    let range = profile.speech_midi();
    let first_midi = lerp(*range.start(), *range.end(), dice.uniform(PHRASE_START_IN_RANGE));
    let declination = dice.uniform(DECLINATION_SEMITONES);
    timeline.ramp(PITCH, start_ms..start_ms + total_ms, first_midi, first_midi - declination);
    let breathiness = dice.uniform(SPOKEN_BREATHINESS);
    let mut cursor_ms = start_ms;
    for (i, syllable) in syllables.iter().enumerate() {
        if let Some(consonant) = syllable.consonant {
            cursor_ms = consonant.write(timeline, cursor_ms);
        }
        let span = cursor_ms..cursor_ms + syllable.voiced_ms;
        let level = level_of(syllable.effort);
        let breath = level * breath_of(syllable.effort, breathiness);
        let connected_before = i > 0 && syllable.consonant.is_none();
        let (from, onset_breath) =
            if connected_before { (SYLLABLE_DIP * level, breath) } else { (0.0, SPOKEN_ONSET_BREATH_GAIN * breath) };
        let (to, end_breath, decay_ms) = match syllables.get(i + 1) {
            Some(next) if next.consonant.is_none() => {
                (SYLLABLE_DIP * level_of(next.effort), breath, dice.int(SYLLABLE_DECAY_MS))
            }
            Some(_) => (0.0, 0.0, dice.int(SYLLABLE_DECAY_MS)),
            None => (0.0, 0.0, dice.int(PHRASE_FINAL_DECAY_MS)),
        };
        let attack_ms = dice.int(SYLLABLE_ATTACK_MS).min(span.len() / 3);
        let decay_ms = decay_ms.min(span.len() / 2);
        let hold_ms = span.len() - attack_ms - decay_ms;
        timeline.envelope(VOICING, span.clone(), from, &[(attack_ms, level), (hold_ms, level), (decay_ms, to)]);
        let stages = [(attack_ms, onset_breath), (hold_ms, breath), (decay_ms, end_breath)];
        let breath_from = if connected_before { timeline.value(ASPIRATION, span.start - 1) } else { 0.0 };
        timeline.envelope(ASPIRATION, span.clone(), breath_from, &stages);
        timeline.hold(EFFORT, span.clone(), syllable.effort);
        if let Some((delay_ms, accent)) = syllable.accent {
            timeline.add_bump(PITCH, span.start + delay_ms, accent);
        }
        timeline.glide_vowel(span.clone(), dice.int(VOWEL_GLIDE_MS), profile.vowels[dice.index(NUM_VOWELS)]);
        cursor_ms = span.end;
    }
    let ending = if dice.chance(QUESTION_CHANCE) {
        Bump { rise_ms: QUESTION_RISE_MS, hold_ms: 0, return_ms: 0, height: dice.uniform(QUESTION_RISE_SEMITONES) }
    } else {
        Bump { rise_ms: FINAL_FALL_MS, hold_ms: 0, return_ms: 0, height: -dice.uniform(FINAL_FALL_SEMITONES) }
    };
    timeline.add_bump(PITCH, cursor_ms.saturating_sub(ending.rise_ms), ending);
    for knot in &mut timeline.knots[start_ms..cursor_ms] {
        knot.pitch_midi = knot.pitch_midi.clamp(*range.start(), *range.end());
    }
    timeline.phrases.push(start_ms..cursor_ms);
    cursor_ms
}
