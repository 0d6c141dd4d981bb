//! Whether a recording sounds an octave below the note its MIDI file
//! plays, at an instant: for eval-pitch's labels.
//!
//! Some SoundFont samples do: the FluidR3 (and MuseScore General) tenor
//! saxophone's E4–G4 and the baritone's C♯4 attack with partials at the odd
//! multiples of half the note's frequency as strong as, or stronger than,
//! the note's own harmonics (F♯4 at 40–100 ms: +2 to +8 dB) for their first
//! ~100 ms, and their waveform is periodic at twice the note's period and
//! not at the period itself (NSDF 0.9 against −0.7). No tracker can call
//! that the note's octave from the audio, pYIN included, and a listener
//! hears the octave below; eval-pitch leaves such instants out of both
//! trackers' scores and reports how many there were.

use std::collections::BTreeMap;

use realfft::RealFftPlanner;

use crate::phrases::note_held;

/// Shortest analysis window, ms (the tracker's).
const MIN_WINDOW_MS: f32 = 40.0;
/// Window length in periods of the note: a Hann window's main lobe (±2 /
/// length) must stay out of the bands a quarter of the note's frequency
/// either side of the sub-octave partials, which lie half the note's
/// frequency from its harmonics: 8 periods.
const WINDOW_PERIODS: f32 = 8.0;
/// Sub-octave partials within this many dB of the note's harmonics mean the
/// recording is (also) an octave below its note. A clean note's sub-octave
/// bands hold leakage and noise only, 15 dB or more below.
pub const SUB_OCTAVE_WITHIN_DB: f32 = -6.0;
/// Harmonics of the note (and sub-octave partials between them) compared.
const NUM_PARTIALS: usize = 8;

/// Answers, per ms of one recording, whether it sounds an octave below its
/// note. Allocates; for the harness only.
pub struct SubOctaveCheck<'a> {
    /// The recording, mono.
    signal: &'a [f32],
    /// Its sample rate, Hz.
    rate_hz: f32,
    /// Its exact pitch, Hz per ms (`None`: no note).
    track: &'a [Option<f32>],
    /// FFT plans by length.
    planner: RealFftPlanner<f32>,
    /// Answers already computed, by ms.
    answers: BTreeMap<usize, bool>,
}

impl<'a> SubOctaveCheck<'a> {
    /// A check over `signal` at `rate_hz`, whose exact pitch is `track`.
    pub fn new(signal: &'a [f32], rate_hz: f32, track: &'a [Option<f32>]) -> Self {
        Self { signal, rate_hz, track, planner: RealFftPlanner::new(), answers: BTreeMap::new() }
    }

    /// Whether the window centred on `ms` (at least 40 ms and 8 periods of
    /// its note, all on that note) has partials at the odd multiples of half
    /// the note's frequency within [`SUB_OCTAVE_WITHIN_DB`] of those at its
    /// harmonics. False where no single note fills the window.
    pub fn sounds_an_octave_below(&mut self, ms: usize) -> bool {
        if let Some(&answer) = self.answers.get(&ms) {
            return answer;
        }
        let answer = self.sub_octave_db(ms).is_some_and(|db| db >= SUB_OCTAVE_WITHIN_DB);
        self.answers.insert(ms, answer);
        answer
    }

    /// Energy at the odd multiples of half the note at `ms` against that at
    /// its harmonics, dB; `None` where no single note fills the window.
    fn sub_octave_db(&mut self, ms: usize) -> Option<f32> {
        let note_hz = self.track.get(ms).copied().flatten()?;
        let window_ms = MIN_WINDOW_MS.max(WINDOW_PERIODS * 1e3 / note_hz);
        note_held(self.track, ms, (0.5 * window_ms).ceil() as usize)?;
        let window_len = (window_ms * 1e-3 * self.rate_hz).round() as usize;
        let start = (ms as f32 * 1e-3 * self.rate_hz) as usize - window_len / 2;
        let samples = self.signal.get(start..start + window_len)?;
        let fft = self.planner.plan_fft_forward((2 * window_len).next_power_of_two());
        let mut input = fft.make_input_vec();
        for (n, (dst, &x)) in input.iter_mut().zip(samples).enumerate() {
            let hann = 0.5 - 0.5 * (2.0 * std::f32::consts::PI * n as f32 / window_len as f32).cos();
            *dst = x * hann;
        }
        let mut spectrum = fft.make_output_vec();
        fft.process(&mut input, &mut spectrum).ok()?;
        let bin_hz = self.rate_hz / fft.len() as f32;
        let band = |centre_hz: f32| -> f32 {
            let low = ((centre_hz - 0.25 * note_hz) / bin_hz).ceil().max(0.0) as usize;
            let high = (((centre_hz + 0.25 * note_hz) / bin_hz).floor() as usize).min(spectrum.len() - 1);
            spectrum.get(low..=high).map_or(0.0, |bins| bins.iter().map(|c| c.norm_sqr()).sum())
        };
        let harmonics: f32 = (1..=NUM_PARTIALS).map(|k| band(k as f32 * note_hz)).sum();
        let sub_octave: f32 = (0..NUM_PARTIALS).map(|k| band((k as f32 + 0.5) * note_hz)).sum();
        (harmonics > 0.0).then(|| 10.0 * (sub_octave / harmonics).log10())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(partials_hz: &[(f32, f32)], rate_hz: f32) -> Vec<f32> {
        (0..(rate_hz as usize / 2))
            .map(|n| {
                let t = n as f32 / rate_hz;
                partials_hz.iter().map(|&(f, a)| a * (2.0 * std::f32::consts::PI * f * t).sin()).sum()
            })
            .collect()
    }

    /// Low notes too: a clean 65 Hz note's harmonics, 65 Hz apart, would
    /// leak into the sub-octave bands through a 40 ms window.
    #[test]
    fn a_clean_low_note_is_at_its_octave() {
        let rate_hz = 48_000.0;
        let note_hz = 65.0;
        let harmonics: Vec<(f32, f32)> = (1..=12).map(|k| (k as f32 * note_hz, 1.0 / k as f32)).collect();
        let track = vec![Some(note_hz); 500];
        assert!(!SubOctaveCheck::new(&tone(&harmonics, rate_hz), rate_hz, &track).sounds_an_octave_below(250));
    }

    #[test]
    fn a_clean_note_is_at_its_octave_and_a_period_doubled_one_is_not() {
        let rate_hz = 48_000.0;
        let note_hz = 370.0;
        let harmonics: Vec<(f32, f32)> = (1..=8).map(|k| (k as f32 * note_hz, 1.0 / k as f32)).collect();
        let clean = tone(&harmonics, rate_hz);
        let track = vec![Some(note_hz); 500];
        assert!(!SubOctaveCheck::new(&clean, rate_hz, &track).sounds_an_octave_below(250));
        // The same note with partials between its harmonics 3 dB down.
        let mut doubled = harmonics.clone();
        doubled.extend((0..8).map(|k| ((k as f32 + 0.5) * note_hz, 0.7 / (k as f32 + 1.0))));
        let doubled = tone(&doubled, rate_hz);
        assert!(SubOctaveCheck::new(&doubled, rate_hz, &track).sounds_an_octave_below(250));
        // As the octave below, the same recording is its note.
        let track_below = vec![Some(note_hz / 2.0); 500];
        assert!(!SubOctaveCheck::new(&doubled, rate_hz, &track_below).sounds_an_octave_below(250));
    }
}
