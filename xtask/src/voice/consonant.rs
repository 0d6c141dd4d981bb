//! Unvoiced sounds: fricatives, plosives (closure, burst, aspiration) and
//! the in-breaths between sung phrases, written into a [`Timeline`] as
//! band-passed noise and breath.

use std::ops::{Range, RangeInclusive};

use super::dice::Dice;
use super::timeline::{Timeline, ASPIRATION, FRICATION};
use super::tract::Formant;

/// A noise source's band and loudness.
#[derive(Clone, Copy, Debug)]
struct Hiss {
    /// Band of the noise.
    band: Formant,
    /// RMS, linear (voiced RMS at full effort is 1).
    rms: f64,
}

/// /s/, /ʃ/ and /f/: rough spectral peaks after Stevens (1998), Acoustic Phonetics, ch. 8.
const FRICATIVES: [Hiss; 3] = [
    Hiss { band: Formant::new(6000.0, 3000.0), rms: 0.3 },
    Hiss { band: Formant::new(3000.0, 1800.0), rms: 0.3 },
    Hiss { band: Formant::new(4000.0, 6000.0), rms: 0.1 },
];
/// Bursts of /p/, /t/ and /k/.
const BURSTS: [Hiss; 3] = [
    Hiss { band: Formant::new(1000.0, 1500.0), rms: 0.25 },
    Hiss { band: Formant::new(4000.0, 3000.0), rms: 0.35 },
    Hiss { band: Formant::new(2000.0, 1500.0), rms: 0.3 },
];
/// The noise of an in-breath between sung phrases (its RMS varies by [`IN_BREATH_SPREAD`]).
const IN_BREATH: Hiss = Hiss { band: Formant::new(1800.0, 3000.0), rms: 0.04 };
/// Spread of an in-breath's RMS, as a factor.
const IN_BREATH_SPREAD: RangeInclusive<f64> = 0.5..=1.25;
/// An in-breath's length, ms.
const IN_BREATH_MS: RangeInclusive<usize> = 200..=450;
/// Chance that a consonant is a fricative rather than a plosive.
const FRICATIVE_CHANCE: f64 = 0.6;
/// A plosive's burst length, ms.
const BURST_MS: RangeInclusive<usize> = 5..=12;
/// A plosive's aspiration after the burst, ms (at most a third of the consonant).
const PLOSIVE_ASPIRATION_MS: RangeInclusive<usize> = 10..=35;
/// A plosive's aspiration RMS.
const PLOSIVE_ASPIRATION_RMS: RangeInclusive<f64> = 0.04..=0.1;

/// An unvoiced consonant between voiced stretches.
#[derive(Clone, Copy, Debug)]
pub(super) struct Consonant {
    /// Silence before the noise (a plosive's closure), ms.
    closure_ms: usize,
    /// The noise: a fricative's hiss or a plosive's burst, ms.
    noise_ms: usize,
    /// Breath after a plosive's burst, ms.
    aspiration_ms: usize,
    /// Breath RMS after a plosive's burst.
    aspiration_rms: f64,
    /// The noise's band and peak RMS.
    hiss: Hiss,
    /// A burst (sudden onset, decay) rather than a hiss (fade in, hold, fade out).
    is_burst: bool,
}

impl Consonant {
    /// A fricative or plosive lasting a length drawn from `duration_ms`.
    pub(super) fn random(dice: &mut Dice, duration_ms: RangeInclusive<usize>) -> Self {
        let duration_ms = dice.int(duration_ms);
        if dice.chance(FRICATIVE_CHANCE) {
            let hiss = FRICATIVES[dice.index(FRICATIVES.len())];
            return Self {
                closure_ms: 0,
                noise_ms: duration_ms,
                aspiration_ms: 0,
                aspiration_rms: 0.0,
                hiss,
                is_burst: false,
            };
        }
        let noise_ms = dice.int(BURST_MS);
        let aspiration_ms = dice.int(PLOSIVE_ASPIRATION_MS).min(duration_ms / 3);
        Self {
            closure_ms: duration_ms.saturating_sub(noise_ms + aspiration_ms),
            noise_ms,
            aspiration_ms,
            aspiration_rms: dice.uniform(PLOSIVE_ASPIRATION_RMS),
            hiss: BURSTS[dice.index(BURSTS.len())],
            is_burst: true,
        }
    }

    /// Total length, ms.
    pub(super) fn duration_ms(&self) -> usize {
        self.closure_ms + self.noise_ms + self.aspiration_ms
    }

    /// Writes the consonant from `start_ms`; returns its end, ms.
    pub(super) fn write(&self, timeline: &mut Timeline, start_ms: usize) -> usize {
        let noise = start_ms + self.closure_ms..start_ms + self.closure_ms + self.noise_ms;
        let aspiration = noise.end..noise.end + self.aspiration_ms;
        let rms = self.hiss.rms;
        if self.is_burst {
            timeline.envelope(FRICATION, noise.clone(), 0.0, &[(1, rms), (self.noise_ms - 1, 0.0)]);
        } else {
            let edge_ms = self.noise_ms / 4;
            timeline.envelope(
                FRICATION,
                noise.clone(),
                0.0,
                &[(edge_ms, rms), (self.noise_ms - 2 * edge_ms, rms), (edge_ms, 0.0)],
            );
        }
        for knot in timeline.span_mut(noise) {
            knot.frication_band = self.hiss.band;
        }
        let rise_ms = self.aspiration_ms / 3;
        timeline.envelope(
            ASPIRATION,
            aspiration.clone(),
            0.0,
            &[(rise_ms, self.aspiration_rms), (self.aspiration_ms - rise_ms, 0.0)],
        );
        aspiration.end
    }
}

/// Writes soft breath noise ending shortly before the end of `rest`, if it has room.
pub(super) fn write_in_breath(timeline: &mut Timeline, rest: Range<usize>, dice: &mut Dice) {
    const MARGIN_MS: usize = 50;
    const MIN_MS: usize = 150;
    let room_ms = rest.len().saturating_sub(2 * MARGIN_MS);
    if room_ms < MIN_MS {
        return;
    }
    let len_ms = dice.int(IN_BREATH_MS).min(room_ms);
    let span = rest.end - MARGIN_MS - len_ms..rest.end - MARGIN_MS;
    let rms = IN_BREATH.rms * dice.uniform(IN_BREATH_SPREAD);
    timeline.envelope(FRICATION, span.clone(), 0.0, &[(len_ms * 3 / 5, rms), (len_ms - len_ms * 3 / 5, 0.0)]);
    for knot in timeline.span_mut(span) {
        knot.frication_band = IN_BREATH.band;
    }
}
