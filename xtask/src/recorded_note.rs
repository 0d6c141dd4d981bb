//! Whether a recording sounds the note its MIDI file plays, at an
//! instant: for the harnesses' labels (`eval-pitch`, `eval-instruments`
//! and the held-out excerpts), which score a tracker against the file's
//! notes only where the recording plays them.
//!
//! Where it does not, the file's pitch is not the answer, and both trackers
//! (and the test's output tracker) are left out there, counted:
//! - **an octave below**: some SoundFont samples attack with partials at
//!   the odd multiples of half the note's frequency as strong as, or
//!   stronger than, the note's own harmonics: the FluidR3 (and MuseScore
//!   General) tenor saxophone's E4–G4 and the baritone's C♯4 (F♯4 at
//!   40–100 ms: +2 to +8 dB) for their first ~100 ms, whose waveform is
//!   periodic at twice the note's period and not at the period itself
//!   (NSDF 0.9 against −0.7). No tracker can call that the note's octave
//!   from the audio, pYIN included, and a listener hears the octave below;
//! - **off its note**: the recording's harmonics sit more than 50 cents
//!   (the raw pitch accuracy's tolerance) from the note's and from the
//!   note's before, or the note is silent. FluidR3's "Voice Oohs" scoops
//!   into its notes from 50–150 cents sharp for 40–60 ms; FluidR3's
//!   contrabass has no sample above A3, so its A♯3–C4 sound nothing but
//!   A3's release.
//!
//! The note before ringing on over a new note's attack (a bowed string's
//! release under the next note's first 30–60 ms) is scored: following the
//! new note through it is the tracker's job.

use std::collections::BTreeMap;

use realfft::RealFftPlanner;

use dsp_core::pitch_units::cents_between;

use crate::phrases::note_span;

/// Shortest analysis window, ms (the tracker's).
const MIN_WINDOW_MS: f32 = 40.0;
/// Window length in periods of the note: a Hann window's main lobe (±2 /
/// length) must stay out of the bands a quarter of the note's frequency
/// either side of the sub-octave partials, which lie half the note's
/// frequency from its harmonics: 8 periods.
const WINDOW_PERIODS: f32 = 8.0;
/// The shortest window the off-note check judges by, in periods of the
/// note: the Hann main lobes of neighbouring harmonics (±2 / length) just
/// meet.
const SHORT_WINDOW_PERIODS: f32 = 4.0;
/// Zero padding of the window's FFT (its length over the window's): the
/// partials' peaks are read from bins 1/8 of a main lobe apart.
const FFT_PADDING: usize = 8;
/// Sub-octave partials within this many dB of the note's harmonics mean the
/// recording is (also) an octave below its note. A clean note's sub-octave
/// bands hold leakage and noise only, 15 dB or more below.
pub const SUB_OCTAVE_WITHIN_DB: f32 = -6.0;
/// Harmonics of the note (and sub-octave partials between them) compared.
const NUM_PARTIALS: usize = 8;
/// Partials weaker than the strongest by more than this are left out of
/// the recording's pitch, dB (their peaks may be noise).
const PARTIAL_FLOOR_DB: f32 = 30.0;
/// The recording's pitch is off its note this far from it, cents (the raw
/// pitch accuracy's tolerance).
pub const OFF_NOTE_CENTS: f32 = 50.0;
/// A window quieter than this (RMS, full scale 1) sounds nothing: −100 dB
/// (the renders peak at −1 dBFS; their quietest notes play at −60).
const SILENT_RMS: f32 = 1e-5;
/// Partials read up to this share of the sample rate (under the
/// renderers' anti-aliasing roll-off).
const MAX_PARTIAL_SHARE: f32 = 0.45;

/// How the recording sounds against its note at an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heard {
    /// At its note (or no single note fills the window: not judged).
    AtNote,
    /// At the note before, ringing on over this one's attack: scored as at
    /// its note.
    NoteBefore,
    /// An octave below it (see the module's documentation).
    OctaveBelow,
    /// More than [`OFF_NOTE_CENTS`] from it and from the note before, or
    /// silent there or at the note's middle.
    OffNote,
}

impl Heard {
    /// Whether a tracker is scored against the note here.
    pub fn is_scored(self) -> bool {
        matches!(self, Heard::AtNote | Heard::NoteBefore)
    }
}

/// Answers, per ms of one recording, how it sounds against its note.
/// Allocates; for the harnesses only.
pub struct RecordedNoteCheck<'a> {
    /// The recording, mono.
    signal: &'a [f32],
    /// Its sample rate, Hz.
    rate_hz: f32,
    /// Its exact pitch, Hz per ms (`None`: no note).
    track: &'a [Option<f32>],
    /// FFT plans by length.
    planner: RealFftPlanner<f32>,
    /// Answers already computed, by ms.
    answers: BTreeMap<usize, Heard>,
}

/// The power spectrum of one window of the recording around an instant.
struct Spectrum {
    /// Power per bin.
    power: Vec<f32>,
    /// Bin spacing, Hz.
    bin_hz: f32,
    /// The note at the instant, Hz.
    note_hz: f32,
    /// The recording's sample rate, Hz.
    rate_hz: f32,
    /// Whether the window is the full one ([`WINDOW_PERIODS`]), which the
    /// sub-octave check needs, or a shorter one early or late in a note.
    full_window: bool,
}

impl<'a> RecordedNoteCheck<'a> {
    /// A check over `signal` at `rate_hz`, whose exact pitch is `track`.
    pub fn new(signal: &'a [f32], rate_hz: f32, track: &'a [Option<f32>]) -> Self {
        Self { signal, rate_hz, track, planner: RealFftPlanner::new(), answers: BTreeMap::new() }
    }

    /// How the window centred on `ms` (at least 40 ms and 8 periods of its
    /// note, all on that note) sounds against the note: off it where the
    /// window or the note's middle is silent; an octave below it where its
    /// partials at the odd multiples of half the note's frequency are
    /// within [`SUB_OCTAVE_WITHIN_DB`] of those at its harmonics (also
    /// where a note a semitone or more off, or the note before, puts its
    /// harmonics there); else off it where its pitch
    /// ([`Spectrum::sounding_cents`]) is more than [`OFF_NOTE_CENTS`] away,
    /// unless that is the note before. At its note where no single note
    /// fills the window.
    pub fn heard(&mut self, ms: usize) -> Heard {
        if let Some(&answer) = self.answers.get(&ms) {
            return answer;
        }
        // The note's first and last ms, found once for the three uses.
        let span = note_span(self.track, ms);
        let answer = match span.and_then(|span| self.spectrum(ms, span)) {
            None => Heard::AtNote,
            Some(None) => Heard::OffNote,
            Some(Some(_)) if span.is_some_and(|span| self.is_note_silent(span)) => Heard::OffNote,
            Some(Some(spectrum)) if spectrum.sub_octave_db().is_some_and(|db| db >= SUB_OCTAVE_WITHIN_DB) => {
                Heard::OctaveBelow
            }
            Some(Some(spectrum)) => {
                let cents = spectrum.sounding_cents();
                let sounding_hz = spectrum.note_hz * (cents / 1200.0).exp2();
                let is_near = |hz: f32| cents_between(sounding_hz, hz).abs() <= OFF_NOTE_CENTS;
                if cents.abs() <= OFF_NOTE_CENTS {
                    Heard::AtNote
                } else if span.and_then(|span| self.note_before_hz(span)).is_some_and(is_near) {
                    Heard::NoteBefore
                } else {
                    Heard::OffNote
                }
            }
        };
        self.answers.insert(ms, answer);
        answer
    }

    /// Whether the recording plays its note at `ms` or the note before
    /// rings on there ([`Self::heard`]): a tracker is scored there.
    pub fn is_scored(&mut self, ms: usize) -> bool {
        self.heard(ms).is_scored()
    }

    /// Whether the 40 ms at the middle of the note spanning `(first, last)`
    /// ms are silent: a key the SoundFont has no sample for.
    fn is_note_silent(&self, (first, last): (usize, usize)) -> bool {
        let len = (MIN_WINDOW_MS * 1e-3 * self.rate_hz) as usize;
        let start = (((first + last) as f32 * 0.5e-3 * self.rate_hz) as usize).saturating_sub(len / 2);
        self.signal.get(start..start + len).is_some_and(is_silent)
    }

    /// The last note `track` sounds before the one spanning `(first, _)`
    /// ms, Hz (across a rest: its release may ring on).
    fn note_before_hz(&self, (first, _): (usize, usize)) -> Option<f32> {
        self.track[..first].iter().rev().find_map(|&hz| hz)
    }

    /// The power spectrum of the window centred on `ms`, in the note
    /// spanning `(first, last)` ms: at least
    /// [`MIN_WINDOW_MS`] and [`WINDOW_PERIODS`] of the note, or where the
    /// note has not lasted (or will not last) half that either side, the
    /// longest that fits in it, down to [`SHORT_WINDOW_PERIODS`] (a low
    /// note's first 100 ms, where a sample may scoop into it); `Some(None)`
    /// where the window is silent, `None` where no window fits.
    fn spectrum(&mut self, ms: usize, (first, last): (usize, usize)) -> Option<Option<Spectrum>> {
        let note_hz = self.track.get(ms).copied().flatten()?;
        let full_ms = MIN_WINDOW_MS.max(WINDOW_PERIODS * 1e3 / note_hz);
        let fits_ms = (ms - first).min(last - ms);
        let full_window = fits_ms as f32 >= (0.5 * full_ms).ceil();
        let window_ms = if full_window { full_ms } else { 2.0 * fits_ms as f32 };
        if window_ms < MIN_WINDOW_MS.max(SHORT_WINDOW_PERIODS * 1e3 / note_hz) {
            return None;
        }
        let window_len = (window_ms * 1e-3 * self.rate_hz).round() as usize;
        let start = ((ms as f32 * 1e-3 * self.rate_hz) as usize).checked_sub(window_len / 2)?;
        let samples = self.signal.get(start..start + window_len)?;
        if is_silent(samples) {
            return Some(None);
        }
        let fft = self.planner.plan_fft_forward((FFT_PADDING * window_len).next_power_of_two());
        let mut input = fft.make_input_vec();
        for (n, (dst, &x)) in input.iter_mut().zip(samples).enumerate() {
            let hann = 0.5 - 0.5 * (2.0 * std::f32::consts::PI * n as f32 / window_len as f32).cos();
            *dst = x * hann;
        }
        let mut bins = fft.make_output_vec();
        fft.process(&mut input, &mut bins).ok()?;
        let power = bins.iter().map(|c| c.norm_sqr()).collect();
        let bin_hz = self.rate_hz / fft.len() as f32;
        Some(Some(Spectrum { power, bin_hz, note_hz, rate_hz: self.rate_hz, full_window }))
    }
}

/// Whether `samples` are quieter than [`SILENT_RMS`].
fn is_silent(samples: &[f32]) -> bool {
    let mean_square = samples.iter().map(|x| x * x).sum::<f32>() / samples.len().max(1) as f32;
    mean_square.sqrt() < SILENT_RMS
}

impl Spectrum {
    /// Energy at the odd multiples of half the note against that at its
    /// harmonics, dB (bands a quarter of the note either side); `None`
    /// where the harmonics hold none, or the window is too short to tell
    /// the bands apart.
    fn sub_octave_db(&self) -> Option<f32> {
        if !self.full_window {
            return None;
        }
        let band = |centre_hz: f32| -> f32 {
            let low = ((centre_hz - 0.25 * self.note_hz) / self.bin_hz).ceil().max(0.0) as usize;
            let high = (((centre_hz + 0.25 * self.note_hz) / self.bin_hz).floor() as usize).min(self.power.len() - 1);
            self.power.get(low..=high).map_or(0.0, |bins| bins.iter().sum())
        };
        let harmonics: f32 = (1..=NUM_PARTIALS).map(|k| band(k as f32 * self.note_hz)).sum();
        let sub_octave: f32 = (0..NUM_PARTIALS).map(|k| band((k as f32 + 0.5) * self.note_hz)).sum();
        (harmonics > 0.0).then(|| 10.0 * (sub_octave / harmonics).log10())
    }

    /// The recording's pitch, cents from the note: the mean of its first
    /// [`NUM_PARTIALS`] partials' offsets from the note's harmonics (each
    /// the spectrum's peak within half the note either side of its
    /// harmonic, below [`MAX_PARTIAL_SHARE`] of the rate), weighted by
    /// their power, over those within [`PARTIAL_FLOOR_DB`] of the
    /// strongest. Per-partial peaks, not a search over candidate pitches
    /// summing the power at their harmonics: a 40 ms window's lobes are
    /// narrow against a high harmonic's offset, so such a sum can peak at
    /// a pitch that catches one strong partial by chance (a cello's E5
    /// 20 cents sharp read 215 cents sharp).
    fn sounding_cents(&self) -> f32 {
        let log_power = |bin: usize| (self.power[bin] + f32::MIN_POSITIVE).ln();
        let partials: Vec<(f32, f32)> = (1..=NUM_PARTIALS)
            .map(|k| k as f32)
            .take_while(|&k| (k + 0.5) * self.note_hz < MAX_PARTIAL_SHARE * self.rate_hz)
            .filter_map(|k| {
                let low = ((k - 0.5) * self.note_hz / self.bin_hz).ceil() as usize;
                let high = (((k + 0.5) * self.note_hz / self.bin_hz).floor() as usize).min(self.power.len() - 2);
                let peak = (low.max(1)..=high).max_by(|&a, &b| self.power[a].total_cmp(&self.power[b]))?;
                // Parabolic interpolation of the log power.
                let (before, at, after) = (log_power(peak - 1), log_power(peak), log_power(peak + 1));
                let curvature = before - 2.0 * at + after;
                let shift = if curvature < 0.0 { (0.5 * (before - after) / curvature).clamp(-0.5, 0.5) } else { 0.0 };
                let hz = (peak as f32 + shift) * self.bin_hz;
                Some((self.power[peak], cents_between(hz, k * self.note_hz)))
            })
            .collect();
        let strongest = partials.iter().map(|&(power, _)| power).fold(0.0, f32::max);
        let floor = strongest * 10f32.powf(-PARTIAL_FLOOR_DB / 10.0);
        let (weighted, total) = partials
            .iter()
            .filter(|&&(power, _)| power >= floor)
            .fold((0.0, 0.0), |(weighted, total), &(power, cents)| (weighted + power * cents, total + power));
        if total > 0.0 {
            weighted / total
        } else {
            0.0
        }
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
        assert_eq!(RecordedNoteCheck::new(&tone(&harmonics, rate_hz), rate_hz, &track).heard(250), Heard::AtNote);
    }

    #[test]
    fn a_clean_note_is_at_its_octave_and_a_period_doubled_one_is_not() {
        let rate_hz = 48_000.0;
        let note_hz = 370.0;
        let harmonics: Vec<(f32, f32)> = (1..=8).map(|k| (k as f32 * note_hz, 1.0 / k as f32)).collect();
        let clean = tone(&harmonics, rate_hz);
        let track = vec![Some(note_hz); 500];
        assert_eq!(RecordedNoteCheck::new(&clean, rate_hz, &track).heard(250), Heard::AtNote);
        // The same note with partials between its harmonics 3 dB down.
        let mut doubled = harmonics.clone();
        doubled.extend((0..8).map(|k| ((k as f32 + 0.5) * note_hz, 0.7 / (k as f32 + 1.0))));
        let doubled = tone(&doubled, rate_hz);
        assert_eq!(RecordedNoteCheck::new(&doubled, rate_hz, &track).heard(250), Heard::OctaveBelow);
        // As the octave below, the same recording is its note.
        let track_below = vec![Some(note_hz / 2.0); 500];
        assert_eq!(RecordedNoteCheck::new(&doubled, rate_hz, &track_below).heard(250), Heard::AtNote);
    }

    fn harmonics(note_hz: f32, gain: impl Fn(usize) -> f32) -> Vec<(f32, f32)> {
        (1..=12).map(|k| (k as f32 * note_hz, gain(k))).collect()
    }

    /// A note sounding 60 cents or more from the file's (a sample's scoop,
    /// or the note before ringing on) is off it; within 30 cents, at it,
    /// at low and high pitches and whichever harmonic is strongest.
    #[test]
    fn a_recording_is_off_its_note_past_50_cents() {
        let rate_hz = 44_100.0;
        for note_hz in [41.2, 98.0, 207.65, 349.2, 1046.5] {
            let track = vec![Some(note_hz); 500];
            for (cents, heard) in [(-120.0, Heard::OffNote), (-60.0, Heard::OffNote), (-30.0, Heard::AtNote)]
                .into_iter()
                .chain([(0.0, Heard::AtNote), (30.0, Heard::AtNote), (60.0, Heard::OffNote), (150.0, Heard::OffNote)])
            {
                let sounding_hz = note_hz * (cents / 1200.0f32).exp2();
                let plain = tone(&harmonics(sounding_hz, |k| 1.0 / k as f32), rate_hz);
                // Fundamental 24 dB and odd harmonics 22 dB under the 2nd
                // (FluidR3's bassoon G♯3).
                let even = tone(&harmonics(sounding_hz, |k| if k % 2 == 0 { 1.0 / k as f32 } else { 0.04 }), rate_hz);
                for signal in [plain, even] {
                    let answer = RecordedNoteCheck::new(&signal, rate_hz, &track).heard(250);
                    // A low note a semitone off has harmonics in the
                    // sub-octave bands from its 4th up: left out either way.
                    let expected = if answer == Heard::OctaveBelow && heard == Heard::OffNote { answer } else { heard };
                    assert_eq!(answer, expected, "{note_hz} Hz sounding {cents} cents off");
                }
            }
        }
    }

    /// A low note whose sample scoops up from 150 cents flat over its first
    /// 80 ms (TimGM6mb's contrabass: 40–60 ms) is off it there, judged by a
    /// window shorter than the full 8 periods, and at it later.
    #[test]
    fn a_low_note_scooping_into_its_pitch_is_off_it_early() {
        let rate_hz = 44_100.0;
        let note_hz = 55.0f32;
        let track: Vec<Option<f32>> = [None; 200].into_iter().chain([Some(note_hz); 800]).collect();
        let mut phase = 0.0f32;
        let signal: Vec<f32> = (0..44_100)
            .map(|n| {
                let ms = n as f32 * 1e3 / rate_hz - 200.0;
                if ms < 0.0 {
                    return 0.0;
                }
                let cents = -150.0 * (1.0 - ms / 80.0).max(0.0);
                phase += note_hz * (cents / 1200.0).exp2() / rate_hz;
                (1..=12).map(|k| (2.0 * std::f32::consts::PI * k as f32 * phase).sin() / k as f32).sum::<f32>() * 0.2
            })
            .collect();
        let mut check = RecordedNoteCheck::new(&signal, rate_hz, &track);
        // 8 periods of 55 Hz are 145 ms: the full window fits from 273 ms.
        assert_eq!(check.heard(240), Heard::OffNote);
        assert_eq!(check.heard(600), Heard::AtNote);
    }

    /// A key the SoundFont has no sample for sounds nothing: off its note
    /// throughout, also while the note before still rings.
    #[test]
    fn a_silent_note_is_off_it() {
        let rate_hz = 48_000.0;
        let track = vec![Some(233.08); 500];
        assert_eq!(RecordedNoteCheck::new(&[0.0; 24_000], rate_hz, &track).heard(250), Heard::OffNote);
        // A3 for 500 ms, then A♯3, which sounds nothing but A3's last 100 ms.
        let track: Vec<Option<f32>> = [Some(220.0); 500].into_iter().chain([Some(233.08); 500]).collect();
        let mut signal = tone(&harmonics(220.0, |k| 1.0 / k as f32), rate_hz);
        signal.extend(tone(&harmonics(220.0, |k| 1.0 / k as f32), rate_hz).iter().take(4_800));
        signal.resize(48_000, 0.0);
        let mut check = RecordedNoteCheck::new(&signal, rate_hz, &track);
        assert_eq!(check.heard(560), Heard::OffNote);
        assert_eq!(check.heard(250), Heard::AtNote);
    }

    /// The note before ringing on over a new note's attack is scored: the
    /// tracker must follow the new note through it.
    #[test]
    fn the_note_before_ringing_on_is_scored() {
        let rate_hz = 44_100.0;
        let track: Vec<Option<f32>> = [Some(196.0); 500].into_iter().chain([Some(207.65); 500]).collect();
        let old = tone(&harmonics(196.0, |k| 1.0 / k as f32), rate_hz);
        let new = tone(&harmonics(207.65, |k| 1.0 / k as f32), rate_hz);
        // The old note fades over the new one's first 200 ms, 20 dB louder
        // at first.
        let ring = (0.2 * rate_hz) as usize;
        let signal: Vec<f32> = old
            .iter()
            .copied()
            .chain(new.iter().enumerate().map(|(n, &x)| {
                let fade = 1.0 - (n as f32 / ring as f32).min(1.0);
                0.1 * x + fade * old[n]
            }))
            .collect();
        let mut check = RecordedNoteCheck::new(&signal, rate_hz, &track);
        assert_eq!(check.heard(550), Heard::NoteBefore);
        assert!(check.is_scored(550));
        assert_eq!(check.heard(850), Heard::AtNote);
    }
}
