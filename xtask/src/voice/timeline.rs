//! The plan between the planners and the renderer: one control [`Knot`] per
//! millisecond in a [`Timeline`], with the shapes (ramps, envelopes, bumps,
//! vowel glides) the planners write, and the effort-to-level rules both
//! planners share.

use std::ops::{Range, RangeInclusive};

use super::curve::{lerp, smoothstep};
use super::tract::{Formant, Vowel};

/// Control knots per second: one per millisecond, the track's resolution.
pub(super) const KNOTS_PER_SECOND: f64 = 1000.0;
/// Voicing counts as on above this fraction of its phrase's peak voicing.
const VOICED_THRESHOLD: f64 = 0.1;
/// Voiced RMS at zero effort, as a fraction of full effort's.
const MIN_LEVEL: f64 = 0.3;
/// Breath grows by this factor from full to no effort: soft notes are breathier.
const SOFT_BREATH_GAIN: f64 = 1.5;
/// Silence before the first phrase, ms.
pub(super) const LEAD_IN_MS: RangeInclusive<usize> = 50..=300;
/// A vowel's glide from the one before, ms.
pub(super) const VOWEL_GLIDE_MS: RangeInclusive<usize> = 30..=50;

/// The controls at one millisecond; the renderer interpolates between knots.
#[derive(Clone, Copy, Debug)]
pub(super) struct Knot {
    /// Planned pitch before vibrato and drift, fractional MIDI note.
    pub(super) pitch_midi: f64,
    /// Vibrato depth: peak deviation, cents.
    pub(super) vibrato_cents: f64,
    /// Vibrato rate, Hz.
    pub(super) vibrato_rate_hz: f64,
    /// The oscillator's f0, Hz: set from the three above by [`apply_pitch`](super::pitch::apply_pitch).
    pub(super) f0_hz: f64,
    /// RMS of the voiced source, linear (before the clip's peak normalisation).
    pub(super) voicing: f64,
    /// Vocal effort in [0, 1]: brightens the source.
    pub(super) effort: f64,
    /// RMS of the formant-shaped breath noise, linear.
    pub(super) aspiration: f64,
    /// RMS of the band-passed consonant noise, linear.
    pub(super) frication: f64,
    /// Band of the consonant noise.
    pub(super) frication_band: Formant,
    /// F1–F3 of the vowel being voiced.
    pub(super) vowel: Vowel,
}

impl Knot {
    /// Silence on `vowel`.
    fn rest(vowel: Vowel) -> Self {
        Self {
            pitch_midi: 60.0,
            vibrato_cents: 0.0,
            vibrato_rate_hz: 5.0,
            f0_hz: 0.0,
            voicing: 0.0,
            effort: 0.5,
            aspiration: 0.0,
            frication: 0.0,
            frication_band: Formant::new(2000.0, 2000.0),
            vowel,
        }
    }
}

/// Accessor of one scalar control of a knot.
pub(super) type Field = fn(&mut Knot) -> &mut f64;
/// The planned pitch, fractional MIDI note.
pub(super) const PITCH: Field = |knot| &mut knot.pitch_midi;
/// The vibrato depth, cents.
pub(super) const VIBRATO: Field = |knot| &mut knot.vibrato_cents;
/// The vibrato rate, Hz.
pub(super) const VIBRATO_RATE: Field = |knot| &mut knot.vibrato_rate_hz;
/// The voiced source's RMS.
pub(super) const VOICING: Field = |knot| &mut knot.voicing;
/// The vocal effort, in [0, 1].
pub(super) const EFFORT: Field = |knot| &mut knot.effort;
/// The breath noise's RMS.
pub(super) const ASPIRATION: Field = |knot| &mut knot.aspiration;
/// The consonant noise's RMS.
pub(super) const FRICATION: Field = |knot| &mut knot.frication;

/// A temporary offset: up over `rise_ms`, held `hold_ms`, back over `return_ms`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Bump {
    /// Time to reach `height`, ms.
    pub(super) rise_ms: usize,
    /// Time at `height`, ms.
    pub(super) hold_ms: usize,
    /// Time back to zero, ms (0: the offset ends with the hold).
    pub(super) return_ms: usize,
    /// Peak offset, in the field's units (semitones for pitch).
    pub(super) height: f64,
}

/// The planned controls and phrase spans.
pub(super) struct Timeline {
    /// One knot per millisecond from 0.
    pub(super) knots: Vec<Knot>,
    /// Each phrase's span, ms: voicing is "on" relative to its phrase's peak.
    pub(super) phrases: Vec<Range<usize>>,
}

impl Timeline {
    /// One silent knot on `vowel`, no phrases.
    pub(super) fn new(vowel: Vowel) -> Self {
        Self { knots: vec![Knot::rest(vowel)], phrases: Vec::new() }
    }

    /// Makes knots exist before `end_ms`; new ones continue the last one's pitch, effort and vowel, silent.
    pub(super) fn grow(&mut self, end_ms: usize) {
        let last = self.knots[self.knots.len() - 1];
        let silent = Knot { voicing: 0.0, aspiration: 0.0, frication: 0.0, ..last };
        if end_ms > self.knots.len() {
            self.knots.resize(end_ms, silent);
        }
    }

    /// The knots of `span`, grown as needed.
    pub(super) fn span_mut(&mut self, span: Range<usize>) -> &mut [Knot] {
        self.grow(span.end);
        &mut self.knots[span]
    }

    /// `field` at `at_ms` (the last knot's beyond the end).
    pub(super) fn value(&self, field: Field, at_ms: usize) -> f64 {
        let mut knot = self.knots[at_ms.min(self.knots.len() - 1)];
        *field(&mut knot)
    }

    /// Sets `field` over `span` along a smoothstep from `from` to `to`.
    pub(super) fn ramp(&mut self, field: Field, span: Range<usize>, from: f64, to: f64) {
        let len_ms = span.len();
        self.envelope(field, span, from, &[(len_ms, to)]);
    }

    /// Sets `field` to `value` over `span`.
    pub(super) fn hold(&mut self, field: Field, span: Range<usize>, value: f64) {
        self.envelope(field, span, value, &[]);
    }

    /// Sets `field` over `span` from `from` through smoothstep ramps of (length ms, target), cut at the span's
    /// end, then holds the level reached.
    pub(super) fn envelope(&mut self, field: Field, span: Range<usize>, from: f64, stages: &[(usize, f64)]) {
        let (mut start_ms, mut level) = (span.start, from);
        for &(len_ms, to) in stages {
            let end_ms = (start_ms + len_ms).min(span.end);
            let (stage_from, stage_len_ms) = (level, len_ms.max(1) as f64);
            for (i, knot) in self.span_mut(start_ms..end_ms).iter_mut().enumerate() {
                *field(knot) = lerp(stage_from, to, smoothstep(i as f64 / stage_len_ms));
            }
            level = lerp(stage_from, to, smoothstep((end_ms - start_ms) as f64 / stage_len_ms));
            start_ms = end_ms;
        }
        for knot in self.span_mut(start_ms..span.end) {
            *field(knot) = level;
        }
    }

    /// Adds `bump` to `field` from `start_ms`.
    pub(super) fn add_bump(&mut self, field: Field, start_ms: usize, bump: Bump) {
        let hold_start = start_ms + bump.rise_ms;
        let return_start = hold_start + bump.hold_ms;
        let end_ms = return_start + bump.return_ms;
        for (i, knot) in self.span_mut(start_ms..end_ms).iter_mut().enumerate() {
            let ms = start_ms + i;
            let weight = if ms < hold_start {
                smoothstep((ms - start_ms) as f64 / bump.rise_ms as f64)
            } else if ms < return_start {
                1.0
            } else {
                1.0 - smoothstep((ms - return_start) as f64 / bump.return_ms as f64)
            };
            *field(knot) += bump.height * weight;
        }
    }

    /// Glides the vowel over `span` from the one before it to `to` in `glide_ms`, then holds it.
    pub(super) fn glide_vowel(&mut self, span: Range<usize>, glide_ms: usize, to: Vowel) {
        let from = self.knots[span.start.saturating_sub(1).min(self.knots.len() - 1)].vowel;
        for (i, knot) in self.span_mut(span).iter_mut().enumerate() {
            let weight = smoothstep(i as f64 / glide_ms.max(1) as f64);
            knot.vowel = std::array::from_fn(|f| from[f].lerp(to[f], weight));
        }
    }

    /// One value per ms for the first `num_ms` knots: the oscillator's f0 where voicing is above
    /// [`VOICED_THRESHOLD`] of its phrase's peak, None elsewhere.
    pub(super) fn pitch_track(&self, num_ms: usize) -> Vec<Option<f32>> {
        let mut track = vec![None; num_ms];
        for phrase in &self.phrases {
            let knots = &self.knots[phrase.clone()];
            let peak = knots.iter().map(|knot| knot.voicing).fold(0.0, f64::max);
            for (m, knot) in phrase.clone().zip(knots).take_while(|&(m, _)| m < num_ms) {
                if knot.voicing > VOICED_THRESHOLD * peak {
                    track[m] = Some(knot.f0_hz as f32);
                }
            }
        }
        track
    }
}

/// Voiced RMS at `effort`.
pub(super) fn level_of(effort: f64) -> f64 {
    lerp(MIN_LEVEL, 1.0, effort)
}

/// Breath noise RMS relative to voiced RMS at `effort`, given a phrase's `breathiness`.
pub(super) fn breath_of(effort: f64, breathiness: f64) -> f64 {
    breathiness * (1.0 + SOFT_BREATH_GAIN * (1.0 - effort))
}
