//! Pitch memory across rests: in the attack of a note that follows a rest,
//! of the chosen lag and its octave the one nearer the note before the
//! rest wins unless the window clearly hears the other.
//!
//! Why: the first 30–120 ms of a note after a rest are where the octave
//! errors that remained live. Recorded baritone and tenor saxophone
//! attacks are more periodic at twice their period (a period doubling that
//! dies away), and a cello's low strings on MuseScore General nearly as
//! periodic at half their period (a weak fundamental): the window reads
//! both alike, and a rule on the window alone fixed one and broke the
//! other (`docs/pitch.md`). A melody rarely leaps an octave across a rest
//! (5 of the 1,317 notes after a rest in `cargo xtask eval-pitch`'s
//! phrases; 1,190 are within a fourth, 320 repeat the note), so the note
//! before it breaks the tie, as pYIN's hidden Markov model carries its
//! pitch through unvoiced frames.
//!
//! A rest is the input falling [`REST_DROP_DB`] under the note before it
//! (the player stopped), not a few unclear frames at a legato change. The
//! note remembered is the last frame's, but for a release tail an octave
//! off a settled note and less clear than its clearest frame
//! ([`OCTAVE_JUMP_MAX_CLARITY_DROP`]), or quieter and dying away
//! ([`RELEASE_DROP_DB`]): a low string's fundamental and a bassoon's odd
//! partials die first. The window still decides when it is clear: a plain
//! note leaping an octave up is as periodic at its period as at twice it
//! (and at four times it), and one leaping down is not periodic at half
//! its period, so neither is held.
//! The price: a leap of an octave down across a rest to a note whose 2nd
//! harmonic dominates (a low reed's fundamental 20 dB under it) plays the
//! octave above for the attack's [`ATTACK_MS`].

use super::nsdf::parabolic_peak;
use super::{is_near_or_an_octave_off, HALF_SEMITONE_LN};

/// Clarity from which a frame counts as voiced (the default confidence
/// gate).
const VOICED_MIN_CLARITY: f32 = 0.5;
/// How long a voiced run must last for its pitch to be remembered, ms: a
/// few frames of an attack or a release tail, voiced by chance and perhaps
/// an octave off, are no note to lean to (at 30 ms, a 36 ms run of
/// TimGM6mb's cello an octave low became the reference for its next note).
const MIN_NOTE_MS: f32 = 60.0;
/// How far the input's newest samples must fall under the loudest of the
/// note before them for a rest, dB: the player stopped, as opposed to a
/// change of note whose clarity dips for a few frames (a legato leap to a
/// low weak-fundamental note is unvoiced for 16 ms, at the same level).
const REST_DROP_DB: f32 = 20.0;
/// The newest samples whose level tells a rest, ms.
pub(super) const REST_PROBE_MS: f32 = 10.0;
/// Longest rest across which the pitch before it is remembered, ms: a new
/// phrase after a long pause need not start near the last one's end.
const MAX_REST_MS: f32 = 2_000.0;
/// How long after a rest the memory breaks octave ties, ms: the recorded
/// period doublings and weak-fundamental onsets it is for settle within
/// 120 ms.
const ATTACK_MS: f32 = 150.0;
/// How long after a rest the in-period choice ([`LOWER_IN_PERIOD_MIN_NSDF`])
/// goes on, ms: the bassoon's sub-octave attacks read the note only
/// 0.01–0.03 more periodic than its upper octave 150–200 ms in, before the
/// clean octave check takes over.
const IN_PERIOD_ATTACK_MS: f32 = 250.0;
/// How much less periodic (NSDF) the upper octave may be than the chosen
/// lag and still win when the note before the rest was near it: a reed
/// attack's dying sub-octave (the baritone saxophone's octave-low frames
/// read 0.14–0.3 less periodic at the note). Measured with `cargo xtask
/// eval-pitch` while a rest was any frame under the gate, FluidR3's
/// baritone melody: 0.15 took it from 96.4 to 97.9 %, 0.3 to 99.0 %;
/// MuseScore's from 95.2 to 97.0 and 98.6 %. The tenor's E4–G4 attacks
/// read up to 0.4 less periodic at the note for 80–110 ms: 0.4 took the
/// tenor's frames an octave off from 0.85–1.18 to 0.57–0.90 % and the
/// tenor's and baritone's scales' from 0.49–0.64 to 0.26–0.35 %, for 0.1
/// point of MuseScore's bassoon phrase (octave-up samples the memory
/// leans to) and 0.2–0.3 of the high synthesized singing; 0.5 cost the
/// bassoon 0.2 more and would hold a plain leap an octave down across a
/// rest (the window 0.4 periodic at its upper octave, 0.9 at the note).
const UPPER_MARGIN: f32 = 0.4;
/// NSDF the upper octave needs to win.
const UPPER_MIN_NSDF: f32 = 0.3;
/// How much more periodic the octave below must be than the chosen lag to
/// win when the note before the rest was near it: a weak fundamental. A
/// steady periodic note is a little less periodic at twice its period, so
/// a genuine leap up an octave is never held.
const LOWER_MARGIN: f32 = 0.03;
/// NSDF the octave below needs to win when the window is
/// [`IN_PERIOD_MARGIN`] more periodic two octaves below the chosen lag than
/// at it: the window's period then holds both the lag and its octave below
/// whole, and the note before the rest picks between them. FluidR3's and
/// MuseScore's bassoon G♯3–A♯3 start with a sub-octave (G♯2–A♯2) under a
/// dominant 2nd harmonic: for their first 100 ms the window reads
/// 0.94–1.0 at the sub-octave, 0.89–0.96 at the 2nd harmonic and
/// 0.81–0.95 at the note, whose odd partials the sub-octave's cancel. A
/// steady note leaping an octave up across a rest is no more periodic at
/// four periods than at one; but while the window still holds the rest
/// before it, it can read so (TimGM6mb's violin leaping B4 to B5 across a
/// rest, 25–40 ms into the note), so this waits for the voiced run to
/// fill the window.
const LOWER_IN_PERIOD_MIN_NSDF: f32 = 0.5;
/// How much more periodic than the chosen lag the window must be two
/// octaves below it for [`LOWER_IN_PERIOD_MIN_NSDF`]: the bassoon's
/// G♯3–A♯3 read 0.025–0.030 more periodic there than at their 2nd
/// harmonic 80–200 ms in (0.997 against 0.968), and at [`LOWER_MARGIN`]
/// were played an octave up for 10–25 ms at a time (`cargo xtask
/// eval-pitch`: their scales' frames an octave off 0.37–0.77 % at 0.03,
/// 0.09–0.37 % at 0.02, every other row unchanged).
const IN_PERIOD_MARGIN: f32 = 0.02;
/// How far from exactly half or twice a lag a key maximum may be to count
/// as its octave, and a frame's pitch as the remembered note's octave,
/// natural log (about a semitone).
const OCTAVE_TOLERANCE_LN: f32 = 0.06;
/// How much less clear (NSDF) than the remembered note (its clearest
/// frame) a frame an octave off it, in the same voiced run, may be and
/// still replace it once that note has held [`SETTLED_NOTE_MS`]: a low
/// string's release tail, whose fundamental dies first, reads 0.86–0.90
/// at the upper octave after 0.97–1.00 at the note (MuseScore's and
/// FluidR3's contrabass F1–G♯1), or fades at the note first (FluidR3's
/// E1: 0.97, 0.91, 0.78, then 0.63–0.78 an octave up), and remembered, it
/// took the next note's attack an octave up for 150–240 ms; a leap an
/// octave away is as clear as the note before it once it has sounded for
/// [`MIN_NOTE_MS`].
const OCTAVE_JUMP_MAX_CLARITY_DROP: f32 = 0.05;
/// How far under the loudest of its voiced run a frame an octave off the
/// settled remembered note may be, while the level falls
/// ([`RELEASE_FALL_DB_PER_MS`]), and still replace it, dB: a quieter one
/// is the note's release tail however clear. FluidR3's and MuseScore's
/// bassoon G♯3–A♯3 die away at 0.97–0.99 at the upper octave from 3–5 dB
/// under the note, and remembered, that took the next note's attack an
/// octave up for 150 ms (`cargo xtask eval-pitch`: at 6 dB FluidR3's
/// frames were still remembered).
const RELEASE_DROP_DB: f32 = 3.0;
/// How fast the level must fall for [`RELEASE_DROP_DB`], dB per ms: the
/// bassoon's releases fall 0.2–0.5; a leap to a quieter note holds its
/// level, and a 5 Hz tremolo of ±3 dB falls 0.09 at most.
const RELEASE_FALL_DB_PER_MS: f32 = 0.15;
/// How long the remembered note must have held for
/// [`OCTAVE_JUMP_MAX_CLARITY_DROP`] to keep it, ms: a recorded saxophone's
/// period-doubled attack reads clearer at its octave below (0.98–1.00)
/// for 100–150 ms than its note does at first (0.6–0.95), and the note
/// must replace it (`cargo xtask eval-pitch`: without this bound the
/// tenor's phrases went from 0.24–0.28 to 0.61–0.66 % of frames an
/// octave off).
const SETTLED_NOTE_MS: f32 = 200.0;

/// The memory's durations at one host rate.
#[derive(Clone, Copy)]
struct Durations {
    /// A remembered note's shortest length, host samples ([`MIN_NOTE_MS`]).
    min_note_samples: usize,
    /// A rest's longest remembered length, host samples ([`MAX_REST_MS`]).
    max_rest_samples: usize,
    /// The attack the memory serves, host samples ([`ATTACK_MS`]).
    attack_samples: usize,
    /// The attack the in-period choice serves, host samples
    /// ([`IN_PERIOD_ATTACK_MS`]).
    in_period_attack_samples: usize,
    /// A settled remembered note's shortest hold, host samples
    /// ([`SETTLED_NOTE_MS`]).
    settled_note_samples: usize,
    /// Host samples per millisecond.
    samples_per_ms: f32,
}

/// What the tracker remembers across a rest. Real-time safe.
pub(super) struct RestMemory {
    /// Its durations in host samples.
    durations: Durations,
    /// The pitch of the last voiced frame at least [`MIN_NOTE_MS`] into its
    /// voiced run (but for a less clear octave jump, see
    /// [`OCTAVE_JUMP_MAX_CLARITY_DROP`]), Hz; `None` before any.
    last_voiced_f0_hz: Option<f32>,
    /// The clearest of the remembered note's frames, from its first one
    /// [`MIN_NOTE_MS`] into the voiced run on (its frames an octave off
    /// included), NSDF 0 … 1: a release tail's clarity fades frame by
    /// frame, and each frame's own would let its upper octave in. The
    /// price: a legato leap an octave away within the run to a note more
    /// than [`OCTAVE_JUMP_MAX_CLARITY_DROP`] less clear than the note's
    /// clearest frame is not remembered.
    remembered_clarity: f32,
    /// Whether the remembered note ([`RestMemory::last_voiced_f0_hz`]) is
    /// of the current voiced run.
    remembered_in_run: bool,
    /// Host samples the remembered note has held (within half a semitone,
    /// or an octave off).
    remembered_held_samples: usize,
    /// The pitch before the rest that the current voiced run followed, Hz;
    /// `None` when it followed no rest, or one too long.
    before_rest_f0_hz: Option<f32>,
    /// Host samples since the last voiced frame.
    gap_samples: usize,
    /// Host samples since the current voiced run began; `None` in a gap
    /// (frames under the gate, or in a rest).
    run_samples: Option<usize>,
    /// The loudest newest-samples level of the last voiced run, dB.
    run_peak_db: f32,
    /// The newest-samples level of the last frame observed, dB.
    last_level_db: f32,
    /// Host samples since that frame.
    level_age_samples: usize,
    /// Whether the input has fallen [`REST_DROP_DB`] under that level since
    /// the last voiced run that lasted [`MIN_NOTE_MS`] (a rest, not a dip in
    /// clarity).
    rested: bool,
}

impl RestMemory {
    /// The memory at `host_rate_hz`, empty.
    pub(super) fn new(host_rate_hz: f32) -> Self {
        let samples = |ms: f32| (ms * 1e-3 * host_rate_hz).round() as usize;
        Self::empty(Durations {
            min_note_samples: samples(MIN_NOTE_MS),
            max_rest_samples: samples(MAX_REST_MS),
            attack_samples: samples(ATTACK_MS),
            in_period_attack_samples: samples(IN_PERIOD_ATTACK_MS),
            settled_note_samples: samples(SETTLED_NOTE_MS),
            samples_per_ms: host_rate_hz * 1e-3,
        })
    }

    /// The memory with `durations`, empty.
    fn empty(durations: Durations) -> Self {
        Self {
            durations,
            last_voiced_f0_hz: None,
            remembered_clarity: 0.0,
            remembered_in_run: false,
            remembered_held_samples: 0,
            before_rest_f0_hz: None,
            gap_samples: 0,
            run_samples: None,
            run_peak_db: f32::NEG_INFINITY,
            last_level_db: f32::NEG_INFINITY,
            level_age_samples: 0,
            rested: false,
        }
    }

    /// Forgets everything heard.
    pub(super) fn reset(&mut self) {
        *self = Self::empty(self.durations);
    }

    /// Counts `samples` more host samples heard.
    pub(super) fn advance(&mut self, samples: usize) {
        self.gap_samples = self.gap_samples.saturating_add(samples);
        self.remembered_held_samples = self.remembered_held_samples.saturating_add(samples);
        self.run_samples = self.run_samples.map(|run| run.saturating_add(samples));
        self.level_age_samples = self.level_age_samples.saturating_add(samples);
    }

    /// The pitch the octave choice leans to now, Hz: in a rest of a
    /// remembered length, or in the attack of the note after one, the
    /// pitch before it. `None` otherwise.
    pub(super) fn reference_f0_hz(&self) -> Option<f32> {
        match self.run_samples {
            None => self.remembered_f0_hz(),
            Some(run) => self.before_rest_f0_hz.filter(|_| run < self.durations.in_period_attack_samples),
        }
    }

    /// Whether the memory is in a rest or the first [`ATTACK_MS`] of the
    /// note after it, where all of [`nearer_octave`]'s choices serve (after
    /// that, until [`IN_PERIOD_ATTACK_MS`], only the in-period one).
    pub(super) fn in_attack(&self) -> bool {
        self.run_samples.is_none_or(|run| run < self.durations.attack_samples)
    }

    /// Host samples since the current voiced run began; 0 in a gap.
    pub(super) fn run_samples(&self) -> usize {
        self.run_samples.unwrap_or(0)
    }

    /// Records the frame just reported: `f0_hz` at `clarity`, with the
    /// input's newest samples at `level_db` ([`level_db`]).
    pub(super) fn observe(&mut self, f0_hz: f32, clarity: f32, level_db: f32) {
        let elapsed_ms = self.level_age_samples.max(1) as f32 / self.durations.samples_per_ms;
        let falling = self.last_level_db - level_db >= RELEASE_FALL_DB_PER_MS * elapsed_ms;
        self.last_level_db = level_db;
        self.level_age_samples = 0;
        let resting = level_db <= self.run_peak_db - REST_DROP_DB;
        self.rested |= resting;
        if clarity < VOICED_MIN_CLARITY || resting {
            self.run_samples = None;
            return;
        }
        if self.run_samples.is_none() {
            self.before_rest_f0_hz = self.remembered_f0_hz();
            self.remembered_in_run = false;
            self.run_samples = Some(0);
            self.run_peak_db = level_db;
        }
        self.run_peak_db = self.run_peak_db.max(level_db);
        // Until the run is a note, the rest goes on: an attack's first
        // voiced frame or two, then a dip, still follow it.
        if self.run_samples.is_some_and(|run| run >= self.durations.min_note_samples) {
            let releasing = falling && level_db < self.run_peak_db - RELEASE_DROP_DB;
            if !self.is_release_octave_jump(f0_hz, clarity, releasing) {
                // A frame or two an octave off within a held note (a
                // bassoon's G♯3 read at its 2nd harmonic mid-note) do not
                // start it again, or its release tail would replace it.
                let same_note = self.remembered_in_run
                    && self
                        .last_voiced_f0_hz
                        .is_some_and(|hz| is_near_or_an_octave_off((f0_hz / hz).ln().abs(), HALF_SEMITONE_LN));
                if !same_note {
                    self.remembered_held_samples = 0;
                    self.remembered_clarity = 0.0;
                }
                self.last_voiced_f0_hz = Some(f0_hz);
                self.remembered_clarity = self.remembered_clarity.max(clarity);
                self.remembered_in_run = true;
            }
            self.rested = false;
        }
        self.gap_samples = 0;
    }

    /// Whether `f0_hz` at `clarity` is an octave off the note remembered in
    /// this voiced run, settled ([`SETTLED_NOTE_MS`]), and
    /// [`OCTAVE_JUMP_MAX_CLARITY_DROP`] less clear or `releasing` (the level
    /// falling, [`RELEASE_DROP_DB`] under the run's loudest): a release
    /// tail's upper octave, not the note.
    fn is_release_octave_jump(&self, f0_hz: f32, clarity: f32, releasing: bool) -> bool {
        let settled = self.remembered_in_run && self.remembered_held_samples >= self.durations.settled_note_samples;
        let Some(remembered_hz) = self.last_voiced_f0_hz.filter(|_| settled) else {
            return false;
        };
        let octave_off = ((f0_hz / remembered_hz).ln().abs() - std::f32::consts::LN_2).abs() < OCTAVE_TOLERANCE_LN;
        octave_off && (releasing || clarity < self.remembered_clarity - OCTAVE_JUMP_MAX_CLARITY_DROP)
    }

    /// The note before the current gap, if the gap is a rest short enough
    /// to remember across.
    fn remembered_f0_hz(&self) -> Option<f32> {
        self.last_voiced_f0_hz.filter(|_| self.rested && self.gap_samples <= self.durations.max_rest_samples)
    }
}

/// Level of `samples`, dB (mean square; silence reads about −200).
pub(super) fn level_db(samples: &[f32]) -> f32 {
    let power = samples.iter().map(|x| x * x).sum::<f32>() / samples.len().max(1) as f32;
    10.0 * (power + 1e-20).log10()
}

/// The octave of `lag` (analysis samples; `key_maxima` the window's NSDF
/// key maxima, `nsdf` the NSDF) nearer `reference_f0_hz` when the window
/// does not clearly hear `lag` instead (see [`UPPER_MARGIN`],
/// [`LOWER_MARGIN`] and, once the window has heard only the note
/// (`window_heard`), [`LOWER_IN_PERIOD_MIN_NSDF`]); `lag` otherwise.
pub(super) fn nearer_octave(
    nsdf: &[f32],
    lag: usize,
    key_maxima: &[usize],
    analysis_rate_hz: f32,
    reference_f0_hz: f32,
    window_heard: bool,
    in_attack: bool,
) -> usize {
    let distance_ln = |at: usize| (analysis_rate_hz / at as f32 / reference_f0_hz).ln().abs();
    // The key maximum nearest `target` (a lag), within the tolerance.
    let key_maximum_near = |target: f32| {
        key_maxima
            .iter()
            .copied()
            .map(|at| (at, (at as f32 / target).ln().abs()))
            .filter(|&(_, off_ln)| off_ln < OCTAVE_TOLERANCE_LN)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(at, _)| at)
    };
    let octave_of = |ratio: f32| key_maximum_near(lag as f32 * ratio).filter(|&at| distance_ln(at) < distance_ln(lag));
    let height = |at: usize| parabolic_peak(nsdf, at).1;
    let at_lag = height(lag);
    if let Some(upper) = octave_of(0.5).filter(|_| in_attack) {
        let at_upper = height(upper);
        if at_upper >= UPPER_MIN_NSDF && at_upper >= at_lag - UPPER_MARGIN {
            return upper;
        }
    }
    let Some(lower) = octave_of(2.0) else {
        return lag;
    };
    let at_lower = height(lower);
    let two_octaves_below = key_maximum_near(lower as f32 * 2.0);
    let in_period = window_heard && two_octaves_below.is_some_and(|at| height(at) >= at_lag + IN_PERIOD_MARGIN);
    if (in_attack && at_lower >= at_lag + LOWER_MARGIN) || (in_period && at_lower >= LOWER_IN_PERIOD_MIN_NSDF) {
        lower
    } else {
        lag
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE_HZ: f32 = 1_000.0;

    /// Feeds `ms` of frames of 4 ms at `clarity` and `level_db`.
    fn frames(memory: &mut RestMemory, ms: usize, f0_hz: f32, clarity: f32, level_db: f32) {
        for _ in 0..ms / 4 {
            memory.advance(4);
            memory.observe(f0_hz, clarity, level_db);
        }
    }

    const SILENT_DB: f32 = -200.0;

    #[test]
    fn remembers_the_note_before_a_rest_through_the_next_attack() {
        let mut memory = RestMemory::new(RATE_HZ);
        frames(&mut memory, 200, 220.0, 0.9, -20.0);
        assert_eq!(memory.reference_f0_hz(), None, "a held note is no rest");
        frames(&mut memory, 100, 220.0, 0.0, SILENT_DB);
        assert_eq!(memory.reference_f0_hz(), Some(220.0));
        frames(&mut memory, 100, 110.0, 0.9, -20.0);
        assert_eq!(memory.reference_f0_hz(), Some(220.0), "the attack's own frames are not the reference");
        assert!(memory.in_attack());
        frames(&mut memory, 60, 110.0, 0.9, -20.0);
        assert!(!memory.in_attack(), "past the attack");
        assert_eq!(memory.reference_f0_hz(), Some(220.0), "the in-period choice's attack goes on");
        frames(&mut memory, 100, 110.0, 0.9, -20.0);
        assert_eq!(memory.reference_f0_hz(), None, "past the in-period choice's attack");
    }

    #[test]
    fn a_rest_is_a_fall_in_level_not_in_clarity() {
        let mut memory = RestMemory::new(RATE_HZ);
        frames(&mut memory, 200, 220.0, 0.9, -20.0);
        frames(&mut memory, 16, 220.0, 0.2, -22.0);
        assert_eq!(memory.reference_f0_hz(), None, "a legato change's unclear frames");
        frames(&mut memory, 100, 110.0, 0.9, -20.0);
        frames(&mut memory, 100, 110.0, 0.9, -45.0);
        assert_eq!(memory.reference_f0_hz(), Some(110.0), "a release still heard as periodic");
    }

    #[test]
    fn remembers_notes_not_stray_frames_nor_across_a_long_pause() {
        let mut memory = RestMemory::new(RATE_HZ);
        frames(&mut memory, 200, 220.0, 0.9, -20.0);
        frames(&mut memory, 100, 220.0, 0.0, SILENT_DB);
        frames(&mut memory, 8, 440.0, 0.6, -20.0);
        frames(&mut memory, 20, 440.0, 0.3, SILENT_DB);
        assert_eq!(memory.reference_f0_hz(), Some(220.0), "8 ms voiced an octave up is no note");
        frames(&mut memory, 2_100, 220.0, 0.0, SILENT_DB);
        assert_eq!(memory.reference_f0_hz(), None);
        frames(&mut memory, 4, 330.0, 0.9, -20.0);
        assert_eq!(memory.reference_f0_hz(), None, "a pause of 2.1 s is forgotten");
        memory.reset();
        frames(&mut memory, 100, 220.0, 0.0, SILENT_DB);
        assert_eq!(memory.reference_f0_hz(), None, "nothing voiced since the reset");
    }

    #[test]
    fn a_release_tail_an_octave_up_is_not_the_note() {
        let mut memory = RestMemory::new(RATE_HZ);
        frames(&mut memory, 400, 49.0, 0.99, -10.0);
        frames(&mut memory, 100, 98.0, 0.88, -16.0);
        frames(&mut memory, 100, 98.0, 0.0, SILENT_DB);
        assert_eq!(memory.reference_f0_hz(), Some(49.0), "the note, not its release's upper octave");
        frames(&mut memory, 100, 52.0, 0.97, -10.0);
        frames(&mut memory, 200, 104.0, 0.9, -11.0);
        frames(&mut memory, 100, 104.0, 0.0, SILENT_DB);
        assert_eq!(memory.reference_f0_hz(), Some(104.0), "a period-doubled attack, clearer than its note");
        frames(&mut memory, 400, 52.0, 0.99, -10.0);
        frames(&mut memory, 200, 104.0, 0.97, -14.0);
        frames(&mut memory, 100, 104.0, 0.0, SILENT_DB);
        assert_eq!(memory.reference_f0_hz(), Some(104.0), "a leap an octave up, as clear as the note before");
        frames(&mut memory, 400, 52.0, 0.99, -10.0);
        release_tail_then_rest(&mut memory, 104.0);
        assert_eq!(memory.reference_f0_hz(), Some(52.0), "a release tail an octave up, as clear, dying 0.25 dB/ms");
        frames(&mut memory, 400, 52.0, 0.99, -10.0);
        frames(&mut memory, 8, 104.0, 0.98, -10.0);
        frames(&mut memory, 100, 52.0, 0.99, -10.0);
        release_tail_then_rest(&mut memory, 104.0);
        assert_eq!(memory.reference_f0_hz(), Some(52.0), "the same, after two frames an octave up mid-note");
        // FluidR3's contrabass E1: its release fades in clarity at the note
        // (0.97, 0.91, 0.78), then rings on an octave up at 0.63–0.78,
        // within the clarity drop of the last frame at the note.
        frames(&mut memory, 400, 41.2, 0.99, -10.0);
        for clarity in [0.97, 0.91, 0.78] {
            frames(&mut memory, 4, 41.2, clarity, -11.0);
        }
        frames(&mut memory, 120, 82.4, 0.76, -14.0);
        frames(&mut memory, 100, 82.4, 0.0, SILENT_DB);
        assert_eq!(memory.reference_f0_hz(), Some(41.2), "a release tail whose clarity fades frame by frame");
    }

    /// 100 ms of `f0_hz` as clear as a held note (0.98), dying by 0.25 dB/ms
    /// from 4 dB under a note at −10 dB, then a rest.
    fn release_tail_then_rest(memory: &mut RestMemory, f0_hz: f32) {
        for frame in 0..25 {
            memory.advance(4);
            memory.observe(f0_hz, 0.98, -14.0 - frame as f32);
        }
        frames(memory, 100, f0_hz, 0.0, SILENT_DB);
    }

    /// An NSDF with peaks of `heights` at lags 10, 20 and 40.
    fn nsdf_with(heights: [f32; 3]) -> Vec<f32> {
        let mut nsdf = vec![0.0; 50];
        for (lag, height) in [10, 20, 40].into_iter().zip(heights) {
            nsdf[lag] = height;
        }
        nsdf
    }

    #[test]
    fn the_nearer_octave_wins_a_close_call_only() {
        let maxima = [10, 20, 40];
        // Lag 20 is 50 Hz at this rate; 10 is 100 Hz, 40 is 25 Hz.
        let choose =
            |heights, reference| nearer_octave(&nsdf_with(heights), 20, &maxima, RATE_HZ, reference, true, true);
        assert_eq!(choose([0.8, 0.9, 0.5], 95.0), 10, "a dying sub-octave");
        assert_eq!(choose([0.55, 0.9, 0.5], 95.0), 10, "a tenor's E4 attack, 0.35 less periodic at the note");
        assert_eq!(choose([0.4, 0.9, 0.5], 95.0), 20, "clearly the lower note: a leap down");
        assert_eq!(choose([0.8, 0.9, 0.5], 50.0), 20, "the reference is the lag's own note");
        assert_eq!(choose([0.2, 0.85, 0.92], 26.0), 40, "a weak fundamental");
        assert_eq!(choose([0.2, 0.95, 0.93], 26.0), 20, "a leap up is as periodic at its period");
        // The lag 10 (100 Hz) after a note near 50 Hz, the window periodic
        // at 40 (25 Hz): both 10 and 20 are whole fractions of its period.
        let choose_at_10 = |heights| nearer_octave(&nsdf_with(heights), 10, &maxima, RATE_HZ, 48.0, true, true);
        assert_eq!(choose_at_10([0.89, 0.81, 0.94]), 20, "a sub-octave cancelling the note's odd partials");
        let late = nearer_octave(&nsdf_with([0.968, 0.985, 0.997]), 10, &maxima, RATE_HZ, 48.0, true, false);
        assert_eq!(late, 20, "the same 150 ms in, 0.029 more periodic");
        let early = nearer_octave(&nsdf_with([0.89, 0.81, 0.94]), 10, &maxima, RATE_HZ, 48.0, false, true);
        assert_eq!(early, 10, "the window still holding the rest");
        assert_eq!(choose_at_10([0.95, 0.94, 0.93]), 10, "a steady note leaping an octave up");
        assert_eq!(choose_at_10([0.9, 0.4, 0.96]), 10, "the octave below not periodic itself");
    }
}
