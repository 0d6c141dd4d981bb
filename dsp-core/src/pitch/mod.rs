//! Real-time pitch tracking: McLeod's normalised square difference function
//! (McLeod & Wyvill, "A Smarter Way to Find Pitch", 2005) on pre-planned
//! `realfft` plans, with the robustness live voice needs.
//!
//! Why our own: the `pitch-detection` crate plans an FFT inside every call
//! (11–15 allocations per frame), so it cannot run on the audio thread; it
//! serves as the accuracy oracle in our tests instead.
//!
//! Pipeline per frame:
//! 1. The input is low-passed (4th-order Butterworth) and decimated by an
//!    integer factor to an analysis rate of 20–44 kHz, so the FFT costs the
//!    same at 192 kHz as at 48 kHz.
//! 2. NSDF over the last `window_ms` of decimated samples, through one forward
//!    and one inverse real FFT (linear, not circular, correlation).
//! 3. MPM peak picking: the first key maximum within `MPM_CUTOFF` of the
//!    highest one, between the lags of `max_f0_hz` and `min_f0_hz`; then
//!    the mirror check: a pick at least 2.5 times a shorter key maximum
//!    that reads 0.6 or more is no period where the NSDF at their
//!    difference reads 0.2 less than at both (a periodic signal's NSDF is
//!    symmetric about half its period), and the shorter one is taken (a
//!    looped ensemble sample reads more periodic at its loop than at its
//!    note).
//! 4. Subharmonic check: if the NSDF at a longer lag up to six times the
//!    chosen one is clearly higher than at the chosen lag, and the chosen
//!    lag is a whole number of periods of one of that longer lag's 2nd to
//!    6th harmonics, the chosen lag was that harmonic's lobe and the
//!    longer lag is the period (a weak fundamental and one dominant
//!    harmonic, as in a saxophone's or a bassoon's low register, put that
//!    harmonic's lobes within MPM's cutoff of the true period; a signal
//!    truly periodic at the lag is at least as periodic there as at any
//!    longer lag). In an attack, the newest two periods of the longer lag
//!    are tested alone too, for any multiple but the octave below (the
//!    window's older part, still the rest before the note, dilutes long
//!    lags most: a bassoon's low note starting on its 4th or 5th
//!    harmonic). A period other than the octave below must fit twice into
//!    the window.
//! 5. Clean octave check: if the window is perfectly periodic at twice the
//!    chosen lag (exact NSDF ≥ 0.99, read between whole lags from the power
//!    spectrum, not from a parabola), 0.03 more so than at the lag (or
//!    with at most 15 % of the lag's aperiodicity, where the lag reads
//!    0.965–0.98 itself, or 6 % where it reads up to 0.988 once the note
//!    has sounded for `CLEAN_SETTLED_MS`), and the partials between the
//!    lag's harmonics are not fading (or the note has sounded for
//!    `CLEAN_SETTLED_MS`, after which they ebb with its tremolo, not as an
//!    attack's sub-octave dies, or it is past its attack and the tracker
//!    already follows that octave below: a low string's odd partials ebb
//!    with its bow),
//!    the octave below is the note (a double reed's weak fundamental high
//!    in its range, or a bassoon's 2nd harmonic over its G♯3–A♯3). A
//!    clean harmonic check does the same for three or five times a lag
//!    that is not clearly periodic, in the window nor in its newest
//!    periods (margin 0.06), at any pitch: a note
//!    whose 3rd harmonic dominates, which the subharmonic check tries only
//!    below 150 Hz. After either, the recency check and the octave-jump
//!    guard stand aside (a window straddling a change of note can be
//!    perfectly periodic at the two notes' common period too: the
//!    newest-note check still follows the newest note there).
//! 6. Recency check: if the latest few periods at half the chosen lag are
//!    clearly periodic, and no less periodic there than at the lag, the
//!    upper octave wins (a window straddling a note change is otherwise most
//!    periodic at the newest note's lower octave); but not in a settled
//!    note that those periods and the window hear perfectly periodic at
//!    the lag, 0.03 more so than at its half (a weak fundamental whose
//!    even partials swell with its tremolo).
//! 7. Dying sub-octave: in the first `SUB_OCTAVE_ATTACK_MS` of a note, once
//!    the older half of the window was periodic at the chosen lag and the
//!    newer half became clearly more periodic at half of it because the
//!    partials between the upper octave's harmonics faded (not because its
//!    harmonics grew), the upper octave is the note as soon as the newer
//!    half is clearly periodic there and more so than the older half: a reed
//!    attack that sounds an octave below for its first 50–150 ms (period
//!    doubling, as recorded tenor and baritone saxophones do) is followed up
//!    once its newer half has settled, not once the whole window has
//!    forgotten it; in the first 150 ms, at a lower bar when the newer half
//!    is far more periodic there than the older half (the sub-octave died
//!    within the last 20 ms), which also keeps an upper octave already
//!    followed while the newer half stays more periodic there.
//! 8. Octave-jump guard: a jump of an octave away from the previous voiced
//!    pitch is accepted only once it has persisted for
//!    `OCTAVE_CONFIRM_FRAMES`, provided the NSDF still has a strong peak near
//!    the previous pitch; this removes single-frame octave errors on voice
//!    and delays only genuine octave leaps, by two frames. A note younger
//!    than the window is not held: its pitch is the window's reading of an
//!    attack or a change of note; nor is a pitch that itself came by an
//!    octave a frame or two before.
//! 9. Rest memory: in the first 150 ms of a note after a rest, of the
//!    chosen lag and its octave the one nearer the note before the rest
//!    wins unless the window clearly hears the other (see
//!    [`rest_memory`]): a recorded reed's period-doubled attack and a low
//!    string's weak fundamental read alike, and the melody tells them apart.
//! 10. Newest-note check: the full window reports the note that fills most
//!     of it, so for 20–30 ms after a change of note it plays the old note
//!     or the two notes' common period. A second NSDF over the latest
//!     `RECENT_WINDOW_MS` (12 ms) follows a change of a note whose period
//!     fits twice into it (165 Hz and up) within 8–12 ms: a leap once the
//!     full window is not periodic at the new lag, a step (whose two lags
//!     share one NSDF lobe) once the newest samples are clearly more
//!     periodic at their own lag than at the full window's. Where the old
//!     note rings on under the new one, the newest samples are only 0.5–0.9
//!     periodic at the new note, and the full window's lag is a common
//!     period of the two (3–6 of the new note's periods, and some other
//!     number of the last note's but 2): the new note is followed
//!     there too.
//! 11. Refinement at the host rate: the NSDF at three host-rate lags around
//!     the peak, over the latest `REFINE_PERIODS` periods (at least the
//!     recent window, at most the full one), parabolic interpolation, so
//!     decimation costs no accuracy and the pitch is the newest periods' (a
//!     voice's vibrato is followed about 9 ms behind, not 20).

mod nsdf;
mod rest_memory;

use realfft::RealFftPlanner;

use crate::biquad::{Biquad, BUTTERWORTH_4_Q};
use crate::history::HistoryBuffer;
use nsdf::{
    energy_change_db, find_key_maxima, highest_near, highest_nsdf_near, highest_of, host_nsdf, mpm_pick, nsdf_around,
    nsdf_peak_height, parabola_vertex, parabolic_peak, peak_height, window_mean, NsdfPlan, MAX_KEY_MAXIMA,
};
use rest_memory::{level_db, nearer_octave, RestMemory, REST_PROBE_MS};

/// Settings of the pitch tracker.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PitchConfig {
    /// Analysis window, ms; the same at every host rate.
    pub window_ms: f32,
    /// Lowest pitch searched for, Hz.
    pub min_f0_hz: f32,
    /// Highest pitch searched for, Hz.
    pub max_f0_hz: f32,
}

impl Default for PitchConfig {
    fn default() -> Self {
        Self { window_ms: 40.0, min_f0_hz: 40.0, max_f0_hz: 2_000.0 }
    }
}

/// One frame's pitch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PitchEstimate {
    /// Fundamental frequency, Hz; the last voiced value when nothing periodic
    /// is heard.
    pub f0_hz: f32,
    /// NSDF peak height, 0 … 1: how periodic the window is.
    pub confidence: f32,
}

/// Analysis rates are kept at or above this, Hz.
const MIN_ANALYSIS_RATE_HZ: f32 = 20_000.0;
/// Frames an octave jump must persist before it is believed.
const OCTAVE_CONFIRM_FRAMES: u32 = 2;
/// A candidate near the previous pitch must reach this share of the best
/// peak for the guard to hold on to it.
const OCTAVE_GUARD_MIN_SHARE: f32 = 0.8;
/// How much more periodic (NSDF) a multiple of a lag must be for the lag to
/// count as a fraction of the period. A periodic signal with noise has the
/// same NSDF at both, and vibrato lowers the longer lag's. Twice the lag
/// (an octave) needs more: a half-period lobe on a weak fundamental is
/// 0.1–0.2 below the true period's, but recorded attacks with a faint
/// sub-octave (a SoundFont saxophone's) reach 0.05–0.1, and a tracker that
/// follows those plays the octave below. Period tripling and beyond has no
/// such source. Measured with `cargo xtask eval-pitch`: 0.06 for the
/// octave too raised the saxophones' octave errors by 1–3 points; 0.14 and
/// up gave back part of the bassoon's, cello's and singing's gains.
const OCTAVE_MARGIN: f32 = 0.1;
/// The octave margin where the octave below is nearly perfectly periodic
/// (NSDF at least [`STEADY_OCTAVE_MIN_NSDF`]) and the partials between the
/// upper octave's harmonics hold steady across the window: MuseScore's
/// cello F2 and F♯2 are 0.06–0.1 more periodic at their period than at the
/// upper octave for their first 100–200 ms, where the saxophones' dying
/// period doubling needs [`OCTAVE_MARGIN`]. 0.06 took the cello's MuseScore
/// melody from 96.6 to 97.0 % with the saxophones unchanged; applied
/// without the steadiness test it cost the tenor 0.3–0.5 points and the
/// baritone 0.2 (`cargo xtask eval-pitch`).
const STEADY_OCTAVE_MARGIN: f32 = 0.06;
/// Highest pitch of the octave below that [`STEADY_OCTAVE_MARGIN`] serves,
/// Hz (low strings and reeds; applied to the flute's E4 and the tenor's
/// D♯5 it played 0.1–0.2 points of their frames an octave low).
const STEADY_OCTAVE_MAX_F0_HZ: f32 = 150.0;
/// NSDF the octave below needs for [`STEADY_OCTAVE_MARGIN`].
const STEADY_OCTAVE_MIN_NSDF: f32 = 0.97;
/// How far the partials between a lag's harmonics may fall from the
/// window's older half to its newer half and still count as steady, dB.
const STEADY_SUB_OCTAVE_FALL_DB: f32 = 0.5;
/// The octave margin where the octave below is perfectly periodic (exact
/// NSDF at least [`CLEAN_OCTAVE_MIN_NSDF`]) and the partials between the
/// upper octave's harmonics hold steady on average: TimGM6mb's oboe D5–F♯5
/// have their fundamental 20 dB and their 3rd and 5th harmonics 22–29 dB
/// under the 2nd, so the window is 0.93–0.97 periodic at the upper octave
/// and 1.00 at the note. Measured on exact peak heights
/// ([`nsdf::NsdfPlan::exact_peak`]): on the parabola through whole lags a
/// bright note whose period falls between two lags (a muted trumpet's E5)
/// reads 0.1 lower at its period than at its octave below.
const CLEAN_OCTAVE_MARGIN: f32 = 0.03;
/// Where the upper octave itself reads nearly periodic, the octave below
/// wins once its aperiodicity (1 − NSDF) is at most this share of the upper
/// octave's, even within [`CLEAN_OCTAVE_MARGIN`]: FluidR3's and
/// MuseScore's bassoon G♯3–A♯3 have their fundamental 24 dB and their 3rd
/// harmonic 23 dB under the 2nd, so the window reads 0.972–0.979 at the
/// upper octave and 0.997–0.999 at the note, which no additive margin of
/// 0.03 can separate. Measured with `cargo xtask eval-pitch`: 0.15 took
/// those scales' frames an octave off from 6.1–7.2 to 2.7–3.8 %; 0.25 also
/// played 3 frames each of FluidR3's oboe E5, TimGM6mb's flute B5 and the
/// low singing an octave low (0.97–0.99 periodic at the note, 0.999 an
/// octave below, at a note's end).
const CLEAN_OCTAVE_APERIODIC_SHARE: f32 = 0.15;
/// Aperiodicity the upper octave needs for [`CLEAN_OCTAVE_APERIODIC_SHARE`]
/// (the partials between its harmonics hold about 1 % of the power): an
/// attack's faint sub-octave, fading, reads 0.984–0.990 there 200–240 ms
/// in (the `fading_faint_sub_octave_keeps_the_note` test), where the
/// running average of its fall has started again; TimGM6mb's looped
/// bassoon reads 0.9999 at its note and more at the octave below, a ratio
/// of rounding errors.
const CLEAN_OCTAVE_MIN_APERIODICITY: f32 = 0.02;
/// [`CLEAN_OCTAVE_MIN_APERIODICITY`] once the note has settled
/// ([`PitchTracker::is_settled`]), with the share
/// [`CLEAN_SETTLED_APERIODIC_SHARE`]: MuseScore's bassoon G♯3–A♯3,
/// 360–400 ms into a note, read 0.980–0.982 at the upper octave and
/// 0.9993–0.9997 at the note and were played an octave up for 10 frames;
/// the faint sub-octave of the `fading_faint_sub_octave_keeps_the_note`
/// test has faded under 0.01 of aperiodicity by then.
const CLEAN_SETTLED_MIN_APERIODICITY: f32 = 0.012;
/// [`CLEAN_OCTAVE_APERIODIC_SHARE`] where the upper octave's aperiodicity
/// is under [`CLEAN_OCTAVE_MIN_APERIODICITY`] in a settled note: the
/// bassoon's octave below holds 1.5–3.8 % of it, the window of TimGM6mb's
/// flute leaping from B4 to B5 (a note held an octave off counts as the
/// same) 9 % for one frame. Measured with `cargo xtask eval-pitch`: 0.15
/// played that frame an octave low.
const CLEAN_SETTLED_APERIODIC_SHARE: f32 = 0.06;
/// Exact NSDF the octave below needs for [`CLEAN_OCTAVE_MARGIN`].
const CLEAN_OCTAVE_MIN_NSDF: f32 = 0.99;
/// Parabolic NSDF at the octave below under which the exact heights are
/// not worth measuring (the parabola reads at most about 0.15 low).
const CLEAN_OCTAVE_CANDIDATE_NSDF: f32 = 0.8;
/// How far the partials between the upper octave's harmonics may fall from
/// the window's older half to its newer half, on average over frames, for
/// [`CLEAN_OCTAVE_MARGIN`], dB: a dying faint sub-octave (the
/// `fading_faint_sub_octave_keeps_the_note` test's 0.5 dB per 10 ms) falls
/// by 0.4–1.3 dB a frame; a steady oboe note wavers by ±0.6 dB.
const CLEAN_SUB_OCTAVE_MAX_FALL_DB: f32 = 0.6;
/// Weight of each frame's fall in that average.
const CLEAN_FALL_AVERAGE_WEIGHT: f32 = 0.3;
/// A fall or rise larger than this is an onset, not a fading partial: the
/// average starts again, dB.
const CLEAN_FALL_ONSET_DB: f32 = 6.0;
/// NSDF at the chosen lag, over the window (parabolic) or over its newest
/// periods, from which the clean harmonic check does not look further (a
/// note periodic at its lag reads 0.87 and up even where the parabola
/// misses its peak most).
const CLEAN_HARMONIC_MAX_LAG_NSDF: f32 = 0.95;
/// See [`OCTAVE_MARGIN`]: the margin for periods other than even multiples
/// of the lag (which the octave below is periodic at too).
const HARMONIC_MARGIN: f32 = 0.06;
/// Periods other than the octave below are tried only for pitches below
/// this, Hz: a single harmonic dominates where a fixed formant (a
/// bassoon's near 500 Hz) sits on the 3rd harmonic or higher of a low
/// note; on higher notes, chance NSDF peaks at three or five periods cost
/// violin and flute 0.3–0.6 points of accuracy, and a bound of 200 Hz
/// still cost the violin 0.3–0.4 for 0.3–1.2 on the bassoon (`cargo xtask
/// eval-pitch`).
const DOMINANT_HARMONIC_MAX_F0_HZ: f32 = 150.0;
/// Highest harmonic whose lobe the subharmonic check looks for (the period
/// it tries is at most this many times the MPM lag): a bassoon's formant
/// near 500 Hz sits on the 6th harmonic of its F2 (87 Hz). 5 left FluidR3's
/// bassoon at 96.5 % RPA at 48 kHz, 6 gave 97.3 % (`cargo xtask eval-pitch`).
const MAX_SUBHARMONIC: usize = 6;
/// How far from a whole number of a harmonic's periods a lag may be for the
/// subharmonic check to count it as that harmonic's lobe, as a share of
/// the number (each period's peak is pulled by its neighbours: FluidR3's
/// bassoon G2 peaks at 0.955 periods of its 5th harmonic). 0.04 left those
/// notes at their 5th harmonic (`cargo xtask eval-pitch`).
const HARMONIC_LOBE_TOLERANCE: f32 = 0.06;
/// NSDF the subharmonic check needs at a multiple of a lag.
const SUBHARMONIC_MIN_NSDF: f32 = 0.9;
/// How far from exactly a multiple of a lag its lobe may peak, as a share
/// of that multiple.
const SUBHARMONIC_LAG_TOLERANCE: f32 = 0.04;
/// NSDF a shorter key maximum needs for the mirror check
/// ([`shorter_unmirrored_period`]).
const MIRROR_MIN_NSDF: f32 = 0.6;
/// Least ratio of a period to a lag for the mirror check: nearer, the
/// mirror lies on the lag's own lobe.
const MIRROR_MIN_RATIO: f32 = 2.5;
/// How much less periodic than at both a lag and a period the window may
/// read at their difference for the period to be one ([`is_unmirrored`]):
/// the looped ensemble reads 0.15–0.45 less there.
const MIRROR_MAX_DIFF: f32 = 0.2;
/// How much louder than the window's oldest part ([`ONSET_PROBE_SHARE`])
/// the newest two periods of a longer lag must be for the subharmonic
/// check to try that lag over them alone ([`is_newest_more_periodic`]),
/// dB: an attack, even one out of a previous note's tail. Measured with
/// `cargo xtask eval-pitch` and the held-out excerpts: without it, a steady
/// note's newest periods stood in for its window too, and cost TimGM6mb's
/// cello 0.1 points and the muted trumpet at 48 kHz 0.05; at 6 dB, the
/// bassoon instrument's own attacks (2–6 dB over their window's start)
/// kept their 5th harmonic.
const ONSET_RISE_DB: f32 = 2.0;
/// The window's oldest part that [`ONSET_RISE_DB`] compares with, as a
/// share of the window.
const ONSET_PROBE_SHARE: f32 = 0.25;
/// Periods of the upper octave the recency check looks at.
const RECENT_PERIODS: usize = 4;
/// NSDF the recency check needs at the upper octave.
const RECENT_OCTAVE_MIN_NSDF: f32 = 0.85;
/// The newest-note check's window, ms: it follows note changes of pitches
/// whose period fits twice into it.
const RECENT_WINDOW_MS: f32 = 12.0;
/// NSDF the newest-note check needs at its own lag.
const RECENT_SWITCH_NSDF: f32 = 0.9;
/// NSDF the newest-note check needs at its own lag when the full window's
/// lag is a common period of that note and the note before (see
/// [`PitchTracker::is_common_period`]): two ringing notes
/// leave the newest samples 0.5–0.9 periodic at the new one.
const COMMON_PERIOD_MIN_NSDF: f32 = 0.5;
/// How long a pitch must hold to count as a note for the common period
/// test ([`PitchTracker::settled_f0_hz`]), ms: longer than the 1–3
/// transitional frames of a change of note.
const NOTE_MIN_MS: f32 = 50.0;
/// The full window's NSDF at the newest note's lag below which that note
/// is new (a window that has played it throughout, a harmonic of a weak
/// fundamental, is periodic there too).
const FULL_WINDOW_ABSENT_NSDF: f32 = 0.6;
/// How much more periodic the recent window must be at its own lag than at
/// the full window's for a step to a nearby note to be followed.
const RECENT_STEP_MARGIN: f32 = 0.1;
/// Widest interval handled as a step: a major third's natural logarithm
/// (the two lags' lobes merge up to about there; wider intervals, the
/// octave's neighbourhood among them, are leaps).
const STEP_MAX_LN: f32 = 4.0 * std::f32::consts::LN_2 / 12.0;
/// Half a semitone's natural logarithm: lags closer than this are one note.
const HALF_SEMITONE_LN: f32 = 0.5 * std::f32::consts::LN_2 / 12.0;
/// Periods of the chosen lag the host-rate refinement measures over (within
/// the recent and the full window).
const REFINE_PERIODS: usize = 3;
/// How long after a change of note (or silence) the dying sub-octave check
/// runs, ms. The saxophone attacks it is for settle within 50–150 ms; later
/// in a note, a violin's 2nd harmonic swelling with its vibrato (about
/// 300 ms in) looks the same and must not take the pitch up an octave.
const SUB_OCTAVE_ATTACK_MS: f32 = 200.0;
/// NSDF the newer half of the window needs at the upper octave for the
/// check to follow it (its partials between the harmonics about 7 dB under
/// them). Measured with `cargo xtask eval-pitch`, once the sub-octave has
/// been seen dying: 0.75 left the tenor's FluidR3 melody at 98.7 %, 0.7
/// gives 99.0 %, 0.65 99.3 % but took 0.3–0.4 % of speech frames up an
/// octave for 1–4 frames at voice onsets (a vowel's formant moving onto
/// the 2nd harmonic reaches 0.5–0.73 there; 0.7 costs speech 0.1–0.2
/// points).
const SUB_OCTAVE_UPPER_MIN_NSDF: f32 = 0.7;
/// The lower bar at the upper octave, for a newer half that is
/// [`SUB_OCTAVE_CLEAR_RISE`] more periodic there than the older half, in
/// the first [`SUB_OCTAVE_CLEAR_MS`] of a note whose sub-octave was seen
/// dying once its older half held the note alone. A recorded saxophone's
/// sub-octave dies within 10–20 ms, and the newer half reads 0.5–0.7 at
/// the upper octave for the 2–4 frames before it passes
/// [`SUB_OCTAVE_UPPER_MIN_NSDF`], while the older half still reads under
/// 0.2. `cargo xtask eval-pitch`: the tenor saxophone's octave off 0.57–0.90
/// → 0.24–0.28 %. A vowel's formant moving onto its 2nd harmonic reaches
/// 0.5 too, but later in the note or over an older half already near it.
const SUB_OCTAVE_CLEAR_UPPER_MIN_NSDF: f32 = 0.5;
/// How much more periodic at the upper octave than the older half the
/// newer half must be for [`SUB_OCTAVE_CLEAR_UPPER_MIN_NSDF`].
const SUB_OCTAVE_CLEAR_RISE: f32 = 0.3;
/// How long into a note [`SUB_OCTAVE_CLEAR_UPPER_MIN_NSDF`] holds, ms (the
/// synthesized speech's formant moves took the pitch up an octave for 1–3
/// frames 150–200 ms into a note with it).
const SUB_OCTAVE_CLEAR_MS: f32 = 150.0;
/// NSDF at the upper octave up to which the older half sounded an octave
/// below (the partials between the upper octave's harmonics within 2 dB of
/// them). Without it, a bassoon's F♯3 whose odd harmonics dip and recover
/// with its vibrato (older half 0.24–0.29 there) was played an octave up
/// for 7 frames (`cargo xtask eval-pitch`: MuseScore bassoon 97.6 → 97.1 %).
const SUB_OCTAVE_OLDER_MAX_NSDF: f32 = 0.2;
/// How much more periodic at the upper octave the newer half must be than
/// the older half for the check to see the sub-octave dying.
const SUB_OCTAVE_RISE: f32 = 0.2;
/// How much more periodic there the newer half must be for the check to
/// follow the upper octave (a steady note, whose halves are alike, lets go).
const SUB_OCTAVE_KEEP_MARGIN: f32 = 0.05;
/// NSDF the older half needs at the chosen lag (the octave below was the
/// same note's, not another note's).
const SUB_OCTAVE_PAST_NSDF: f32 = 0.8;
/// How far the partials between the upper octave's harmonics must have
/// fallen from the older half to the newer one, dB; its harmonics must have
/// grown by less. A bassoon's 2nd harmonic swelling early in a note raises
/// the newer half's NSDF at the upper octave just as much, by growth.
const SUB_OCTAVE_FALL_DB: f32 = 2.0;
/// How long a note must have held its pitch for the clean checks to take
/// odd partials that ebb for its tremolo rather than a dying sub-octave,
/// ms: a recorded reed's attack sheds its sub-octave within 50–150 ms (see
/// [`SUB_OCTAVE_ATTACK_MS`]), and a slower fade (1 dB per 10 ms from 4 dB
/// over the harmonics, the `slowly_fading_sub_octave_after_a_rest_followed_up`
/// test) is past the clean margin by 240 ms; TimGM6mb's oboe, held with
/// expression, ebbs its odd partials by up to 1.2 dB per 20 ms as its even
/// partials swell, seconds into a note.
const CLEAN_SETTLED_MS: f32 = 300.0;
/// Clarity under which a frame ends the held note (the default confidence
/// gate): a note played again breaks its periodicity between the two, and
/// its attack (a tenor saxophone's F4, period-doubled for 100 ms) is not
/// the held note's tremolo.
const HELD_MIN_CLARITY: f32 = 0.5;
/// Pitch reported before anything voiced was heard, Hz (A3).
pub const DEFAULT_F0_HZ: f32 = 220.0;

/// Streaming pitch tracker. Construct at preparation time; `push` and
/// `estimate` are real-time safe.
pub struct PitchTracker {
    /// Host samples per analysis sample.
    decimation: usize,
    /// The analysis rate (host rate / `decimation`), Hz.
    analysis_rate_hz: f32,
    /// The host rate, Hz.
    host_rate_hz: f32,
    /// Anti-alias low-pass before decimation (two biquads, 4th order).
    anti_alias: [Biquad; 2],
    /// Host samples since the last decimated one.
    decimation_phase: usize,
    /// The latest full window of analysis-rate samples.
    decimated: HistoryBuffer,
    /// The latest full window of host-rate samples (for the refinement).
    host: HistoryBuffer,
    /// The full window, analysis samples.
    window_len: usize,
    /// The shortest lag searched (`max_f0_hz`), analysis samples.
    min_lag: usize,
    /// The longest lag searched (`min_f0_hz`), analysis samples.
    max_lag: usize,
    /// The NSDF of the full window.
    full: NsdfPlan,
    /// The NSDF of the newest-note check's window.
    recent: NsdfPlan,
    /// The full window's key maxima, lags (analysis samples).
    key_maxima: [usize; MAX_KEY_MAXIMA],
    /// The recent window's key maxima, lags (analysis samples).
    recent_key_maxima: [usize; MAX_KEY_MAXIMA],
    /// The last pitch reported voiced (or the default), Hz.
    previous_f0_hz: f32,
    /// Whether anything voiced has been heard since the last reset.
    has_voiced: bool,
    /// Frames an octave jump has persisted.
    octave_jump_frames: u32,
    /// Frames since the reported pitch last moved by a major third or more
    /// (an octave among them) from one frame to the next.
    frames_at_octave: usize,
    /// Host samples since the reported pitch last moved to another note (an
    /// octave move does not count) or the input fell silent.
    note_age_samples: usize,
    /// The pitch the held note started at, Hz: every reported pitch within
    /// half a semitone of it (or of its octaves), with a clarity of at least
    /// [`HELD_MIN_CLARITY`], is the same note.
    held_f0_hz: f32,
    /// Host samples the held note has lasted (see
    /// [`PitchTracker::is_settled`]); unlike `note_age_samples`, a semitone
    /// step starts a new note even when the pitch glides there.
    held_samples: usize,
    /// The last note held for [`NOTE_MIN_MS`] before the held note, Hz;
    /// `None` before any (see [`PitchTracker::settled_f0_hz`]).
    note_before_f0_hz: Option<f32>,
    /// Whether the window has shown this note's sub-octave dying (see
    /// [`PitchTracker::follow_dying_sub_octave`]).
    sub_octave_dying: bool,
    /// Whether the sub-octave was seen dying once the window's older half
    /// held this note alone (the note at least half a window old): at a
    /// change of note, the older half holds the note before, and the
    /// newer half can read much more periodic at the new note's upper
    /// octave without any sub-octave dying.
    sub_octave_dying_in_note: bool,
    /// Whether the dying sub-octave check followed the upper octave on the
    /// last frame.
    sub_octave_followed: bool,
    /// Running average of how far the partials between the upper octave's
    /// harmonics fell from the window's older half to its newer half over
    /// the frames the clean octave check has looked at, dB; `None` when it
    /// starts again (see [`PitchTracker::clean_octave_below`]).
    clean_fall_db: Option<f32>,
    /// The pitch before the last rest, for the attack after it (see
    /// [`rest_memory`]).
    rest_memory: RestMemory,
    /// The newest samples whose level tells a rest
    /// ([`rest_memory::REST_PROBE_MS`]), analysis samples.
    rest_probe_len: usize,
}

impl PitchTracker {
    /// A tracker for input at `host_rate_hz`. Plans FFTs and sizes buffers:
    /// allocates, call at preparation time.
    pub fn new(host_rate_hz: f32, config: PitchConfig) -> Self {
        let decimation = ((host_rate_hz / MIN_ANALYSIS_RATE_HZ).floor() as usize).max(1);
        let analysis_rate_hz = host_rate_hz / decimation as f32;
        let window_len = (config.window_ms * 1e-3 * analysis_rate_hz).round() as usize;
        let min_lag = ((analysis_rate_hz / config.max_f0_hz).floor() as usize).max(2);
        let max_lag = ((analysis_rate_hz / config.min_f0_hz).ceil() as usize).min(window_len - 2);
        let mut planner = RealFftPlanner::<f32>::new();
        let recent_len = ((RECENT_WINDOW_MS * 1e-3 * analysis_rate_hz).round() as usize).min(window_len);
        let cutoff_hz = 0.4 * analysis_rate_hz;
        Self {
            decimation,
            analysis_rate_hz,
            host_rate_hz,
            anti_alias: BUTTERWORTH_4_Q.map(|q| Biquad::low_pass(host_rate_hz, cutoff_hz, q)),
            decimation_phase: 0,
            decimated: HistoryBuffer::new(window_len),
            host: HistoryBuffer::new(window_len * decimation),
            window_len,
            min_lag,
            max_lag,
            full: NsdfPlan::new(&mut planner, window_len, max_lag),
            recent: NsdfPlan::new(&mut planner, recent_len, (recent_len / 2).min(max_lag)),
            key_maxima: [0; MAX_KEY_MAXIMA],
            recent_key_maxima: [0; MAX_KEY_MAXIMA],
            previous_f0_hz: DEFAULT_F0_HZ,
            has_voiced: false,
            octave_jump_frames: 0,
            frames_at_octave: 0,
            note_age_samples: 0,
            held_f0_hz: DEFAULT_F0_HZ,
            held_samples: 0,
            note_before_f0_hz: None,
            sub_octave_dying: false,
            sub_octave_dying_in_note: false,
            sub_octave_followed: false,
            clean_fall_db: None,
            rest_memory: RestMemory::new(host_rate_hz),
            rest_probe_len: ((REST_PROBE_MS * 1e-3 * analysis_rate_hz).round() as usize).clamp(1, window_len),
        }
    }

    /// Window length in host samples.
    pub fn window_samples(&self) -> usize {
        self.window_len * self.decimation
    }

    /// Forgets everything heard. Real-time safe.
    pub fn reset(&mut self) {
        self.anti_alias.iter_mut().for_each(Biquad::reset);
        self.decimation_phase = 0;
        self.decimated.clear();
        self.host.clear();
        self.previous_f0_hz = DEFAULT_F0_HZ;
        self.has_voiced = false;
        self.octave_jump_frames = 0;
        self.frames_at_octave = 0;
        self.note_age_samples = 0;
        self.held_samples = 0;
        self.note_before_f0_hz = None;
        self.sub_octave_dying = false;
        self.sub_octave_dying_in_note = false;
        self.sub_octave_followed = false;
        self.clean_fall_db = None;
        self.rest_memory.reset();
    }

    /// Feeds host-rate samples (finite values expected). Real-time safe.
    pub fn push(&mut self, samples: &[f32]) {
        self.note_age_samples = self.note_age_samples.saturating_add(samples.len());
        self.held_samples = self.held_samples.saturating_add(samples.len());
        self.rest_memory.advance(samples.len());
        self.host.push(samples);
        if self.decimation == 1 {
            self.decimated.push(samples);
            return;
        }
        for &sample in samples {
            let filtered = self.anti_alias.iter_mut().fold(sample, |acc, section| section.process(acc));
            self.decimation_phase += 1;
            if self.decimation_phase == self.decimation {
                self.decimation_phase = 0;
                self.decimated.push(&[filtered]);
            }
        }
    }

    /// Pitch of the latest window. Real-time safe.
    pub fn estimate(&mut self) -> PitchEstimate {
        let estimate = self.estimate_window();
        let newest_db = level_db(self.decimated.latest(self.rest_probe_len));
        self.rest_memory.observe(estimate.f0_hz, estimate.confidence, newest_db);
        estimate
    }

    /// [`PitchTracker::estimate`] before the rest memory hears it.
    fn estimate_window(&mut self) -> PitchEstimate {
        let unvoiced = PitchEstimate { f0_hz: self.previous_f0_hz, confidence: 0.0 };
        if !self.full.compute(self.decimated.latest(self.window_len)) {
            // Silence: no note rings into the next.
            self.note_age_samples = 0;
            self.held_samples = 0;
            self.note_before_f0_hz = None;
            return unvoiced;
        }
        let num_maxima = find_key_maxima(&self.full.nsdf, self.min_lag, self.max_lag, &mut self.key_maxima);
        let key_maxima = self.key_maxima;
        let key_maxima = &key_maxima[..num_maxima];
        let Some((lag, best)) = mpm_pick(&self.full.nsdf, key_maxima) else {
            return unvoiced;
        };
        let lag = shorter_unmirrored_period(&self.full.nsdf, lag, key_maxima);
        let sub_octave_steady = self.is_sub_octave_steady(lag);
        let window = Some(self.decimated.latest(self.window_len));
        let mut lag =
            prefer_full_period(&self.full.nsdf, window, lag, key_maxima, self.analysis_rate_hz, sub_octave_steady);
        let clean_octave_below = self.clean_octave_below(lag, key_maxima);
        let clean_period = clean_octave_below.or_else(|| self.clean_harmonic_period(lag, key_maxima));
        lag = match clean_period {
            // The recency check's newest periods hear the same upper octave
            // as the full window, with a margin too small to decide on.
            Some(period) => period,
            None => self.prefer_recent_upper_octave(lag, sub_octave_steady),
        };
        lag = match (self.follow_dying_sub_octave(lag), clean_octave_below) {
            // Evidence of their own: the guard's confirmation would hold the
            // other octave for two more frames.
            (Some(upper), _) => {
                self.octave_jump_frames = 0;
                upper
            }
            (None, Some(_)) => {
                self.octave_jump_frames = 0;
                lag
            }
            (None, None) => self.guard_octave_jump(lag, key_maxima, best, sub_octave_steady),
        };
        if let Some(reference_f0_hz) = self.rest_memory.reference_f0_hz() {
            let window_heard = self.rest_memory.run_samples() >= self.window_samples();
            let in_attack = self.rest_memory.in_attack();
            lag = nearer_octave(
                &self.full.nsdf,
                lag,
                key_maxima,
                self.analysis_rate_hz,
                reference_f0_hz,
                window_heard,
                in_attack,
            );
        }
        let (coarse_lag, refine_len) = match self.follow_newest_note(lag, sub_octave_steady) {
            Some(recent_lag) => (parabolic_peak(&self.recent.nsdf, recent_lag).0, self.recent.window_len),
            None => (
                parabolic_peak(&self.full.nsdf, lag).0,
                (REFINE_PERIODS * lag).clamp(self.recent.window_len, self.window_len),
            ),
        };
        let (host_lag, clarity) =
            self.refine_at_host_rate(coarse_lag * self.decimation as f32, refine_len * self.decimation);
        let f0_hz = self.host_rate_hz / host_lag;
        if !f0_hz.is_finite() || host_lag <= 0.0 {
            return unvoiced;
        }
        let interval_ln = (f0_hz / self.previous_f0_hz).ln().abs();
        if !self.has_voiced || !is_near_or_an_octave_off(interval_ln, 2.0 * HALF_SEMITONE_LN) {
            self.note_age_samples = 0;
        }
        let held = clarity >= HELD_MIN_CLARITY
            && is_near_or_an_octave_off((f0_hz / self.held_f0_hz).ln().abs(), HALF_SEMITONE_LN);
        if !self.has_voiced || !held {
            self.end_held_note(f0_hz);
        }
        self.frames_at_octave = if interval_ln < STEP_MAX_LN { self.frames_at_octave.saturating_add(1) } else { 0 };
        self.previous_f0_hz = f0_hz;
        self.has_voiced = true;
        PitchEstimate { f0_hz, confidence: clarity.clamp(0.0, 1.0) }
    }

    /// Starts a new held note at `f0_hz`, remembering the one ending if it
    /// was a note ([`PitchTracker::settled_f0_hz`]).
    fn end_held_note(&mut self, f0_hz: f32) {
        if let Some(settled_f0_hz) = self.settled_f0_hz() {
            self.note_before_f0_hz = Some(settled_f0_hz);
        }
        self.held_f0_hz = f0_hz;
        self.held_samples = 0;
    }

    /// The latest note held for [`NOTE_MIN_MS`], at the pitch last reported
    /// in it (`previous_f0_hz`: the held note's start may be its octave),
    /// Hz: the held note once it has lasted that long, else the note before
    /// it; `None` before any.
    fn settled_f0_hz(&self) -> Option<f32> {
        if self.has_voiced && self.held_samples as f32 >= NOTE_MIN_MS * 1e-3 * self.host_rate_hz {
            Some(self.previous_f0_hz)
        } else {
            self.note_before_f0_hz
        }
    }

    /// Newest-note check: the full window goes on reporting the note that
    /// fills most of it for about half its length after a note change, or
    /// a common multiple of the two notes' periods (a window holding 440 Hz
    /// then 587 Hz is periodic at 147 Hz). When the latest
    /// [`RECENT_WINDOW_MS`] are clearly periodic at a lag of their own that
    /// is not `lag`'s note, that lag is the note being played now: for a
    /// step of up to a major third (the two lags share one lobe of the full
    /// window's NSDF) once the newest samples are clearly more periodic
    /// there than at `lag`; for a leap once the full window is not periodic
    /// there (it is where that lag is a harmonic of a weak fundamental,
    /// which the full window rejected on purpose). Newest samples only
    /// somewhat periodic ([`COMMON_PERIOD_MIN_NSDF`]) at a lag that `lag`
    /// spans three to [`MAX_SUBHARMONIC`] times are followed where `lag` is
    /// the common period of that note and the note before, two notes
    /// ringing together ([`PitchTracker::is_common_period`]). `None`: `lag`
    /// stands.
    fn follow_newest_note(&mut self, lag: usize, sub_octave_steady: bool) -> Option<usize> {
        if !self.recent.compute(self.decimated.latest(self.recent.window_len)) {
            return None;
        }
        let nsdf = &self.recent.nsdf;
        let recent_max_lag = (self.recent.window_len / 2).min(self.max_lag);
        let num_maxima = find_key_maxima(nsdf, self.min_lag, recent_max_lag, &mut self.recent_key_maxima);
        let key_maxima = &self.recent_key_maxima[..num_maxima];
        let (recent_lag, _) = mpm_pick(nsdf, key_maxima)?;
        let recent_lag =
            prefer_full_period(nsdf, None, recent_lag, key_maxima, self.analysis_rate_hz, sub_octave_steady);
        let interval_ln = (recent_lag as f32 / lag as f32).ln().abs();
        if interval_ln < HALF_SEMITONE_LN {
            return None;
        }
        let height = parabolic_peak(nsdf, recent_lag).1;
        let multiple = whole_multiple(lag as f32, recent_lag as f32);
        let recent_f0_hz = self.analysis_rate_hz / recent_lag as f32;
        let continuing = (recent_f0_hz / self.previous_f0_hz).ln().abs() < HALF_SEMITONE_LN;
        if height < RECENT_SWITCH_NSDF {
            // The octave below is the recency check's and the octave guard's.
            let common_period = multiple.is_some_and(|multiple| {
                multiple >= 3
                    && height >= COMMON_PERIOD_MIN_NSDF
                    && self.is_common_period(lag, multiple, height, recent_max_lag)
            });
            return common_period.then_some(recent_lag);
        }
        // An octave below that the full window hears more periodic than the
        // newest samples hear the note is a steady note's own period (see
        // `STEADY_OCTAVE_MARGIN`), not a change's common period.
        let full_hears_it_better = multiple == Some(2) && parabolic_peak(&self.full.nsdf, lag).1 > height;
        if multiple.is_some() && continuing && !full_hears_it_better {
            // Already following the newest note: the full window's multiple of
            // it is the change's common period. (A steady note cannot hold this
            // check at a multiple of its own: the full window takes a multiple
            // only where the lag itself is 0.1 less periodic, about 0.9 at most,
            // and the recent window hears the same periods.)
            return Some(recent_lag);
        }
        if multiple == Some(2) {
            // The upper octave of the full window's pitch is the recency
            // check's and the octave guard's to decide (the first frames of
            // a weak-fundamental note look the same).
            return None;
        }
        if interval_ln < STEP_MAX_LN && lag < recent_max_lag {
            // A step to a nearby note: the two lags share one NSDF lobe in
            // the full window, which is periodic near both; the newest
            // samples decide, once clearly more periodic at their own lag.
            return (height >= highest_near(nsdf, lag) + RECENT_STEP_MARGIN).then_some(recent_lag);
        }
        (highest_near(&self.full.nsdf, recent_lag) < FULL_WINDOW_ABSENT_NSDF).then_some(recent_lag)
    }

    /// Whether the full window's `lag`, `multiple` times the newest-note
    /// check's lag (NSDF `height` there), is the common period of the note
    /// now sounding and the note before while both ring (a cello's E5
    /// ringing into its C5, 5 and 4 periods in 130 Hz), not a low note that
    /// the newest samples, too short to hold its period, hear at a
    /// harmonic: `lag` is a different whole multiple, other than 2, of the
    /// settled note's period ([`PitchTracker::settled_f0_hz`]),
    /// which the newest samples hear less periodic than their own lag.
    fn is_common_period(&self, lag: usize, multiple: usize, height: f32, recent_max_lag: usize) -> bool {
        let Some(settled_f0_hz) = self.settled_f0_hz() else {
            return false;
        };
        let settled_lag = self.analysis_rate_hz / settled_f0_hz;
        let Some(settled_multiple) = whole_multiple(lag as f32, settled_lag) else {
            return false;
        };
        let settled_lag = settled_lag.round() as usize;
        // An octave above `lag` is its own note, reported at the other
        // octave, not a note before it. Two octaves above is the common
        // period of a fourth too (TimGM6mb's oboe F♯5 ringing into its C♯5:
        // 185 Hz, played for 12 frames while this left 4 out).
        settled_multiple != 2
            && settled_multiple != multiple
            && (self.min_lag..recent_max_lag).contains(&settled_lag)
            && highest_near(&self.recent.nsdf, settled_lag) < height
    }

    /// Recency check: a window that straddles a note change can be most
    /// periodic at the lower octave of its newest note; when the latest
    /// `RECENT_PERIODS` periods at half of `lag` are clearly periodic, and
    /// those same samples are not clearly more periodic at `lag` (the
    /// subharmonic check's test, so the two never disagree), the upper
    /// octave is the pitch being played now.
    fn prefer_recent_upper_octave(&self, lag: usize, sub_octave_steady: bool) -> usize {
        let half = lag / 2;
        if half < self.min_lag.max(2) {
            return lag;
        }
        let recent_len = ((RECENT_PERIODS + 1) * (half + 1)).min(self.window_len);
        let recent = self.decimated.latest(recent_len);
        let mean = window_mean(recent);
        let (best_lag, best_value) = highest_nsdf_near(recent, mean, half);
        if best_value < RECENT_OCTAVE_MIN_NSDF {
            return lag;
        }
        let around_lag = nsdf_around(recent, mean, lag);
        let (_, at_lag) = highest_of(lag, around_lag);
        if is_subharmonic_more_periodic(best_value, at_lag, Some(sub_octave_steady))
            || self.is_recent_clean_at(lag, around_lag, best_lag, recent, mean)
        {
            lag
        } else {
            best_lag
        }
    }

    /// The clean octave check's test on the newest periods, for the recency
    /// check: in a settled note ([`PitchTracker::is_settled`]), `recent`
    /// (minus `mean`; `around_lag` its [`nsdf_around`] `lag`) is perfectly
    /// periodic at `lag` (peak NSDF at least
    /// [`CLEAN_OCTAVE_MIN_NSDF`]), [`CLEAN_OCTAVE_MARGIN`] more so than at
    /// `half`, and so is the whole window (exact peak): a note with a weak
    /// fundamental whose even partials swell with its tremolo (TimGM6mb's
    /// oboe D5), not a leap to its upper octave, whose newest periods are
    /// as periodic at twice its period as at the period.
    fn is_recent_clean_at(&self, lag: usize, around_lag: [f32; 3], half: usize, recent: &[f32], mean: f32) -> bool {
        if !self.is_settled() {
            return false;
        }
        let at_lag = peak_height(around_lag);
        at_lag >= CLEAN_OCTAVE_MIN_NSDF
            && at_lag >= nsdf_peak_height(recent, mean, half) + CLEAN_OCTAVE_MARGIN
            && self.full.exact_peak(lag).1 >= CLEAN_OCTAVE_MIN_NSDF
    }

    /// Clean octave check: when the window is perfectly periodic (exact NSDF
    /// at least [`CLEAN_OCTAVE_MIN_NSDF`]) at the octave below `lag`, at
    /// least [`CLEAN_OCTAVE_MARGIN`] more so than at `lag`, and the partials
    /// between `lag`'s harmonics (the octave below's odd harmonics) are not
    /// fading on average, the note has settled ([`PitchTracker::is_settled`])
    /// or the tracker is following that octave past the attack
    /// ([`PitchTracker::is_following_past_attack`]), that octave below is
    /// the note: a weak fundamental high in a double reed's range, not a
    /// reed attack's dying period doubling. `None`: `lag` stands.
    fn clean_octave_below(&mut self, lag: usize, key_maxima: &[usize]) -> Option<usize> {
        let fall_db = self.clean_octave_fall_db(lag, key_maxima);
        self.clean_fall_db = fall_db.map(|(fall_db, _)| match self.clean_fall_db {
            Some(average) => average + CLEAN_FALL_AVERAGE_WEIGHT * (fall_db - average),
            None => fall_db,
        });
        let period = fall_db?.1;
        (self.is_following_past_attack(period)
            || self.is_settled()
            || self.clean_fall_db? < CLEAN_SUB_OCTAVE_MAX_FALL_DB)
            .then_some(period)
    }

    /// Whether the note is past its attack ([`SUB_OCTAVE_ATTACK_MS`], when
    /// the dying sub-octave check stops) and the last frame reported
    /// `period` (analysis samples), within half a semitone: there the clean
    /// octave check keeps the octave it is following whether or not the
    /// partials between the upper octave's harmonics fall. A dying
    /// sub-octave is the attack's, and one the tracker has already
    /// followed up from is not `period`; a low bowed string's odd partials
    /// ebb with its bow well past the attack (FluidR3's contrabass F♯1–G♯1,
    /// 0.998 periodic at the note and 0.93 at the upper octave 250–300 ms
    /// in, played an octave up until the note had settled).
    fn is_following_past_attack(&self, period: usize) -> bool {
        let period_f0_hz = self.analysis_rate_hz / period as f32;
        self.is_past_attack() && (period_f0_hz / self.previous_f0_hz).ln().abs() < HALF_SEMITONE_LN
    }

    /// Whether the note has sounded for longer than
    /// [`SUB_OCTAVE_ATTACK_MS`] since its change of note (or silence).
    fn is_past_attack(&self) -> bool {
        self.note_age_samples as f32 > SUB_OCTAVE_ATTACK_MS * 1e-3 * self.host_rate_hz
    }

    /// For [`PitchTracker::clean_octave_below`]: when the window is clean at
    /// the octave below `lag`, how far the partials between `lag`'s
    /// harmonics fell from its older half to its newer half, dB, and that
    /// octave below's lag; `None` otherwise, or at an onset.
    fn clean_octave_fall_db(&self, lag: usize, key_maxima: &[usize]) -> Option<(f32, usize)> {
        let period =
            key_maxima.iter().copied().find(|&period| period > lag && harmonic_lobe_ratio(lag, period) == Some(2.0))?;
        let settled = self.is_settled();
        if !self.is_clean_period(lag, period, |at_upper| clean_octave_margin(at_upper, settled), &mut None) {
            return None;
        }
        let (older, newer) = self.window_halves();
        if lag + 2 > older.len() {
            return None;
        }
        let (_, between_db) = energy_change_db((older, window_mean(older)), (newer, window_mean(newer)), lag);
        (between_db.abs() <= CLEAN_FALL_ONSET_DB).then_some((-between_db, period))
    }

    /// Clean harmonic check: when `lag` is not clearly periodic (NSDF under
    /// [`CLEAN_HARMONIC_MAX_LAG_NSDF`] over the window and over its newest
    /// [`RECENT_PERIODS`] periods) and the window is
    /// perfectly periodic (exact NSDF at least [`CLEAN_OCTAVE_MIN_NSDF`]) at
    /// three or five times `lag`, [`HARMONIC_MARGIN`] more so than at
    /// `lag`, that longer lag is the period, at any pitch: a note whose 3rd
    /// or 5th harmonic dominates (an oboe's B4 near its formant). The
    /// subharmonic check tries these only below
    /// [`DOMINANT_HARMONIC_MAX_F0_HZ`], where NSDF heights read from whole
    /// lags are safe from chance peaks; a perfectly periodic window has
    /// none. `None`: `lag` stands.
    fn clean_harmonic_period(&self, lag: usize, key_maxima: &[usize]) -> Option<usize> {
        if parabolic_peak(&self.full.nsdf, lag).1 >= CLEAN_HARMONIC_MAX_LAG_NSDF {
            return None;
        }
        // Nor in its newest periods: a window that straddles a change of
        // note is perfectly periodic at the two notes' common period (F5
        // then C6: three C6 periods), and its newest periods hear the new
        // note alone.
        let recent = self.decimated.latest(((RECENT_PERIODS + 1) * (lag + 1)).min(self.window_len));
        if highest_nsdf_near(recent, window_mean(recent), lag).1 >= CLEAN_HARMONIC_MAX_LAG_NSDF {
            return None;
        }
        let mut at_lag = None;
        key_maxima.iter().copied().filter(|&period| period > lag).find(|&period| {
            let odd_multiple =
                harmonic_lobe_ratio(lag, period).is_some_and(|ratio| ratio.fract() == 0.0 && ratio % 2.0 == 1.0);
            odd_multiple && self.is_clean_period(lag, period, |_| HARMONIC_MARGIN, &mut at_lag)
        })
    }

    /// The clean checks' test: the window is perfectly periodic at `period`
    /// (exact NSDF at least [`CLEAN_OCTAVE_MIN_NSDF`]) and `margin` (of the
    /// NSDF at `lag`) more so than at `lag`. The exact heights are measured
    /// only where the parabola makes them worth it; `at_lag` keeps the
    /// lag's between calls for one frame.
    fn is_clean_period(
        &self,
        lag: usize,
        period: usize,
        margin: impl Fn(f32) -> f32,
        at_lag: &mut Option<f32>,
    ) -> bool {
        if parabolic_peak(&self.full.nsdf, period).1 < CLEAN_OCTAVE_CANDIDATE_NSDF {
            return false;
        }
        let (_, at_period) = self.full.exact_peak(period);
        if at_period < CLEAN_OCTAVE_MIN_NSDF {
            return false;
        }
        let at_lag = *at_lag.get_or_insert_with(|| self.full.exact_peak(lag).1);
        at_period >= at_lag + margin(at_lag)
    }

    /// Whether the note has held its pitch (within half a semitone, or an
    /// octave off) for longer than [`CLEAN_SETTLED_MS`]: odd partials that
    /// ebb are then its tremolo, not a dying sub-octave.
    fn is_settled(&self) -> bool {
        self.held_samples as f32 > CLEAN_SETTLED_MS * 1e-3 * self.host_rate_hz
    }

    /// Whether the partials halfway between `lag`'s harmonics (the odd
    /// multiples of the octave below) are as strong in the window's newer
    /// half as in its older half, within [`STEADY_SUB_OCTAVE_FALL_DB`]: a
    /// note whose octave below is its own (a cello's low string with a
    /// strong 2nd harmonic), not an attack's period doubling dying away.
    fn is_sub_octave_steady(&self, lag: usize) -> bool {
        let (older, newer) = self.window_halves();
        if lag + 2 > older.len() || self.analysis_rate_hz / (2 * lag) as f32 > STEADY_OCTAVE_MAX_F0_HZ {
            return false;
        }
        let (_, between_db) = energy_change_db((older, window_mean(older)), (newer, window_mean(newer)), lag);
        between_db > -STEADY_SUB_OCTAVE_FALL_DB
    }

    /// The analysis window's older and newer halves.
    fn window_halves(&self) -> (&[f32], &[f32]) {
        self.decimated.latest(self.window_len).split_at(self.window_len / 2)
    }

    /// Dying sub-octave check: early in a note, a lag whose window was
    /// periodic there in its older half and became clearly more periodic at
    /// half of it in its newer half, because the partials between that upper
    /// octave's harmonics faded, is the attack's period doubling settling
    /// into its note: once the newer half is periodic enough at the upper
    /// octave, that is followed, for as long as the newer half stays more
    /// periodic there than the older half (until the full window agrees).
    /// Periodic enough: [`SUB_OCTAVE_UPPER_MIN_NSDF`], or
    /// [`SUB_OCTAVE_CLEAR_UPPER_MIN_NSDF`] early in a note whose newer half
    /// rose far over its older half there or on the frame after one that
    /// followed it. `None`: `lag` stands.
    fn follow_dying_sub_octave(&mut self, lag: usize) -> Option<usize> {
        let half = lag / 2;
        let split = self.window_len / 2;
        // Each half must hold two periods of `lag`.
        if self.is_past_attack() || half < self.min_lag.max(2) || 2 * lag + 2 > split {
            self.sub_octave_dying = false;
            self.sub_octave_followed = false;
            return None;
        }
        let (older, newer) = self.window_halves();
        let (older_mean, newer_mean) = (window_mean(older), window_mean(newer));
        let (upper, newer_at_upper) = highest_nsdf_near(newer, newer_mean, half);
        let (_, older_at_upper) = highest_nsdf_near(older, older_mean, half);
        let (_, older_at_lag) = highest_nsdf_near(older, older_mean, lag);
        // Seen once in the note, the sub-octave stays dying: the newer half
        // becomes periodic enough at the upper octave 10–30 ms after its rise
        // over the older half was clearest, and by then the older half has
        // caught up. (The energy split is only needed until then.)
        if !self.sub_octave_dying
            && older_at_upper <= SUB_OCTAVE_OLDER_MAX_NSDF
            && newer_at_upper >= older_at_upper + SUB_OCTAVE_RISE
            && older_at_lag >= SUB_OCTAVE_PAST_NSDF
        {
            let (harmonics_db, between_db) = energy_change_db((older, older_mean), (newer, newer_mean), upper);
            self.sub_octave_dying = between_db <= -SUB_OCTAVE_FALL_DB && harmonics_db < -between_db;
            self.sub_octave_dying_in_note = self.note_age_samples >= split * self.decimation;
        }
        let rise = newer_at_upper - older_at_upper;
        let early = (self.note_age_samples as f32) < SUB_OCTAVE_CLEAR_MS * 1e-3 * self.host_rate_hz;
        let on_lower_bar = early && newer_at_upper >= SUB_OCTAVE_CLEAR_UPPER_MIN_NSDF;
        let clear = self.sub_octave_dying_in_note && on_lower_bar && rise >= SUB_OCTAVE_CLEAR_RISE;
        let settled = rise >= SUB_OCTAVE_KEEP_MARGIN && newer_at_upper >= SUB_OCTAVE_UPPER_MIN_NSDF;
        // Once followed, the upper octave is kept on the lower bar: the
        // newer half can dip under the higher one for a frame while its
        // rise over the older half has already shrunk under the clear one
        // (a baritone saxophone's C♯4, 0.70 there with a rise of 0.28).
        let kept = self.sub_octave_followed && on_lower_bar && rise >= SUB_OCTAVE_KEEP_MARGIN;
        let following = self.sub_octave_dying && (settled || clear || kept) && older_at_lag >= SUB_OCTAVE_PAST_NSDF;
        self.sub_octave_followed = following;
        following.then_some(upper)
    }

    /// Applies the octave-jump guard to the MPM choice `lag`.
    fn guard_octave_jump(&mut self, lag: usize, key_maxima: &[usize], best: f32, sub_octave_steady: bool) -> usize {
        // A pitch is held against an octave jump only once a whole window
        // has heard its note: before that, it is the window's reading of an
        // attack or a change of note (a period-doubled reed attack, the two
        // notes' common period), no better than the jump, and holding it
        // kept a baritone saxophone's legato steps an octave low for 4–6
        // more frames (`cargo xtask eval-pitch`).
        if !self.has_voiced || self.note_age_samples < self.window_samples() {
            return lag;
        }
        let previous_lag = self.analysis_rate_hz / self.previous_f0_hz;
        let ratio = lag as f32 / previous_lag;
        let is_octave_jump = (ratio - 0.5).abs() < 0.03 || (ratio - 2.0).abs() < 0.12;
        // Nor is a pitch that itself moved there by an octave a frame or
        // two ago: the jump back is as likely (MuseScore's baritone
        // saxophone B3, whose window reads its octave below for 2 frames
        // 100 ms into the note, was held there for 2 more).
        if !is_octave_jump || self.frames_at_octave < OCTAVE_CONFIRM_FRAMES as usize {
            self.octave_jump_frames = 0;
            return lag;
        }
        self.octave_jump_frames += 1;
        if self.octave_jump_frames > OCTAVE_CONFIRM_FRAMES {
            return lag;
        }
        let held = key_maxima
            .iter()
            .copied()
            .filter(|&candidate| self.full.nsdf[candidate] >= OCTAVE_GUARD_MIN_SHARE * best)
            .min_by(|&a, &b| {
                let distance = |l: usize| (l as f32 / previous_lag).ln().abs();
                distance(a).total_cmp(&distance(b))
            })
            .filter(|&candidate| (candidate as f32 / previous_lag).ln().abs() < 0.06);
        match held {
            // A jump down to a lag the subharmonic check proves is the
            // period (the previous pitch was its upper octave, as on the
            // first frames of a low note, before its window held two
            // periods) needs no confirmation.
            Some(candidate)
                if lag > candidate
                    && is_subharmonic_more_periodic(
                        parabolic_peak(&self.full.nsdf, candidate).1,
                        parabolic_peak(&self.full.nsdf, lag).1,
                        Some(sub_octave_steady),
                    ) =>
            {
                self.octave_jump_frames = 0;
                lag
            }
            Some(candidate) => candidate,
            None => lag,
        }
    }

    /// Parabolic peak of the host-rate NSDF near `approx_lag` (host samples).
    fn refine_at_host_rate(&self, approx_lag: f32, window_len: usize) -> (f32, f32) {
        let window = self.host.latest(window_len);
        // As long as the full window's NSDF: a bass guitar's low E (41 Hz)
        // fills 40 ms 1.6 times.
        let max_lag = window.len() - 2;
        let mean = window_mean(window);
        let nsdf_at = |lag| host_nsdf(window, mean, lag);
        let mut center = (approx_lag.round() as usize).clamp(2, max_lag - 1);
        let mut values = [nsdf_at(center - 1), nsdf_at(center), nsdf_at(center + 1)];
        // Walk uphill (at most a few steps: the coarse lag is already close).
        for _ in 0..4 {
            if values[0] > values[1] && center > 2 {
                center -= 1;
                values = [nsdf_at(center - 1), values[0], values[1]];
            } else if values[2] > values[1] && center + 2 < max_lag {
                center += 1;
                values = [values[1], values[2], nsdf_at(center + 1)];
            } else {
                break;
            }
        }
        let (offset, peak) = parabola_vertex(values);
        (center as f32 + offset, peak)
    }
}

/// Subharmonic check: the shortest longer lag whose key maximum is clearly
/// periodic and a margin ([`OCTAVE_MARGIN`], [`HARMONIC_MARGIN`]) more
/// periodic than `lag`, with `lag` on one of its harmonic lobes (see
/// [`harmonic_lobe_ratio`]), is the period: `lag` was a lobe of the one
/// harmonic that dominates the spectrum (the 2nd of a weak-fundamental
/// reed, the 3rd to 6th of a bassoon's low notes, whose formant sits near
/// 500 Hz). The lobe may be the harmonic's first period or a later one
/// (four fifths of a low G's period, where its 5th harmonic dominates).
/// `window`: the full window's analysis samples, for the attack test
/// ([`is_newest_more_periodic`]) and to hold periods other than the octave
/// below to half its length; `None` for the newest-note check's window,
/// whose NSDF ends there anyway.
fn prefer_full_period(
    nsdf: &[f32],
    window: Option<&[f32]>,
    lag: usize,
    key_maxima: &[usize],
    analysis_rate_hz: f32,
    sub_octave_steady: bool,
) -> usize {
    // Interpolated heights: at high pitches the integer lags miss a
    // short period's peak by more than a multiple's.
    let height = |at: usize| parabolic_peak(nsdf, at).1;
    let at_lag = height(lag);
    key_maxima
        .iter()
        .copied()
        .filter(|&period| period > lag)
        .find(|&period| {
            let Some(ratio) = harmonic_lobe_ratio(lag, period) else {
                return false;
            };
            // A signal periodic at the octave below is periodic at every
            // even multiple of the lag too: those need the octave's margin.
            let octave = ratio.fract() == 0.0 && ratio % 2.0 == 0.0;
            // A dominant harmonic other than the 2nd is told from its own
            // note by two periods at least (a window holding less of a
            // longer lag compares too few samples there: an ensemble's
            // sample loop, periodic at four of its notes' periods, reads
            // more periodic at that loop than at the note).
            let fits_twice = window.is_none_or(|window| 2 * period <= window.len());
            if ratio != 2.0 && (analysis_rate_hz / period as f32 > DOMINANT_HARMONIC_MAX_F0_HZ || !fits_twice) {
                return false;
            }
            is_subharmonic_more_periodic(at_lag, height(period), octave.then_some(sub_octave_steady))
                || (ratio != 2.0 && window.is_some_and(|window| is_newest_more_periodic(window, lag, period, octave)))
        })
        .unwrap_or(lag)
}

/// The subharmonic check over the newest two periods of `period` in
/// `window` (analysis samples), in an attack (the newest periods
/// [`ONSET_RISE_DB`] louder than the window's start) whose dominant
/// harmonic is not the 2nd. While the window's older part still holds the
/// rest or the tail before the note, its NSDF leaves out more of the pairs
/// of samples it compares at the period than at the harmonic's lag, and
/// reads the period up to 0.3 less periodic than it is for as long as
/// 30 ms; the newest two periods are all note. (Not for the octave below
/// the lag: a reed attack's dying sub-octave is as periodic there, and
/// those newest periods hear it at its clearest. Four and six times the
/// lag (`even`) are tested, with the octave's margin over half the period
/// too: MuseScore's bassoon G♯2–B2 start on their 4th harmonic, while a
/// period-doubled attack, whose 2nd harmonic's lag the window may pick,
/// is periodic at four times that lag, its sub-octave, and about as
/// periodic at twice it, its note.)
fn is_newest_more_periodic(window: &[f32], lag: usize, period: usize, even: bool) -> bool {
    let Some(start) = window.len().checked_sub(2 * period + 2) else {
        return false;
    };
    let newest = &window[start..];
    let oldest = &window[..(window.len() as f32 * ONSET_PROBE_SHARE) as usize];
    if level_db(newest) < level_db(oldest) + ONSET_RISE_DB {
        return false;
    }
    let mean = window_mean(newest);
    let at_period = nsdf_peak_height(newest, mean, period);
    is_subharmonic_more_periodic(nsdf_peak_height(newest, mean, lag), at_period, None)
        && (!even || is_subharmonic_more_periodic(nsdf_peak_height(newest, mean, period / 2), at_period, Some(false)))
}

/// `lag` (MPM's pick), unless a shorter key maximum at least
/// [`MIRROR_MIN_NSDF`] periodic shows that `lag` is no period
/// ([`is_unmirrored`]): then the first such key maximum. A looped ensemble
/// sample (FluidR3's "Voice Oohs" E3, a chorus scooping into its note)
/// reads 0.8–0.95 at its loop, 3.0–3.4 of its note's periods, and 0.6–0.8
/// at its note for its first 100 ms, which MPM's cutoff takes for a note
/// near 53 Hz.
// Not inlined: inlined into the frame's estimate it read 13–20 % slower
// in the bench (a layout effect; the check itself is a few comparisons).
#[inline(never)]
fn shorter_unmirrored_period(nsdf: &[f32], lag: usize, key_maxima: &[usize]) -> usize {
    key_maxima
        .iter()
        .copied()
        .take_while(|&shorter| shorter < lag)
        .filter(|&shorter| nsdf[shorter] >= MIRROR_MIN_NSDF)
        .find(|&shorter| is_unmirrored(nsdf, lag, shorter))
        .unwrap_or(lag)
}

/// Whether `period`, at least [`MIRROR_MIN_RATIO`] times `lag`, is no
/// period of the window: the NSDF of a signal periodic at `period` is
/// symmetric about half of it, so it reads at `period − lag` what it reads
/// at `lag`, and a note drifting in pitch reads less at longer lags, so at
/// least about what it reads at `period`. Reading more than
/// [`MIRROR_MAX_DIFF`] under both there, the window is periodic at `lag`
/// and only by chance (a sample's loop) more so at `period`.
fn is_unmirrored(nsdf: &[f32], period: usize, lag: usize) -> bool {
    if (period as f32) < MIRROR_MIN_RATIO * lag as f32 {
        return false;
    }
    highest_near(nsdf, period - lag) < nsdf[lag].min(nsdf[period]) - MIRROR_MAX_DIFF
}

/// The whole number (2 … [`MAX_SUBHARMONIC`]) of `short_lag`s that
/// `long_lag` spans, within [`SUBHARMONIC_LAG_TOLERANCE`]; `None` when it
/// spans none.
fn whole_multiple(long_lag: f32, short_lag: f32) -> Option<usize> {
    let multiple = (long_lag / short_lag).round();
    ((2.0..=MAX_SUBHARMONIC as f32).contains(&multiple)
        && (long_lag / (multiple * short_lag) - 1.0).abs() < SUBHARMONIC_LAG_TOLERANCE)
        .then_some(multiple as usize)
}

/// `period / lag` as `k / j` (`k` = 2 … [`MAX_SUBHARMONIC`], `j` = 1 …
/// `k` − 1) when `lag` is within [`HARMONIC_LOBE_TOLERANCE`] of `j`
/// periods of `period`'s `k`-th harmonic: where `period`'s NSDF has a
/// lobe when that harmonic dominates. `None` otherwise.
fn harmonic_lobe_ratio(lag: usize, period: usize) -> Option<f32> {
    (2..=MAX_SUBHARMONIC).find_map(|k| {
        let harmonic_periods = lag as f32 * k as f32 / period as f32;
        let j = harmonic_periods.round();
        (j >= 1.0 && j < k as f32 && (harmonic_periods - j).abs() < HARMONIC_LOBE_TOLERANCE * j).then_some(k as f32 / j)
    })
}

/// How much more periodic than the upper octave (NSDF `at_upper`) the
/// octave below must be for the clean octave check: [`CLEAN_OCTAVE_MARGIN`],
/// or less where the upper octave is nearly, but clearly not, periodic
/// itself ([`CLEAN_OCTAVE_APERIODIC_SHARE`]; in a `settled` note also a
/// little nearer periodic, [`CLEAN_SETTLED_APERIODIC_SHARE`]).
fn clean_octave_margin(at_upper: f32, settled: bool) -> f32 {
    let aperiodicity = 1.0 - at_upper;
    if aperiodicity >= CLEAN_OCTAVE_MIN_APERIODICITY {
        CLEAN_OCTAVE_MARGIN.min((1.0 - CLEAN_OCTAVE_APERIODIC_SHARE) * aperiodicity)
    } else if settled && aperiodicity >= CLEAN_SETTLED_MIN_APERIODICITY {
        (1.0 - CLEAN_SETTLED_APERIODIC_SHARE) * aperiodicity
    } else {
        CLEAN_OCTAVE_MARGIN
    }
}

/// Whether an interval (`interval_ln`, the absolute natural log of a
/// frequency ratio) is within `near_ln` of unison or within half a
/// semitone of an octave: the same note, or its octave.
fn is_near_or_an_octave_off(interval_ln: f32, near_ln: f32) -> bool {
    interval_ln < near_ln || (interval_ln - std::f32::consts::LN_2).abs() < HALF_SEMITONE_LN
}

/// Whether a signal with NSDF `at_lag` at some lag and `at_multiple` at a
/// longer lag is periodic at the longer lag, not the shorter: clearly
/// periodic there, and clearly more so than at the shorter lag (a window
/// straddling a note change can be somewhat more periodic at a long lag by
/// chance). `octave`: `Some` when the longer lag is an even multiple, with
/// whether the partials between the shorter lag's harmonics hold steady
/// ([`PitchTracker::is_sub_octave_steady`]).
fn is_subharmonic_more_periodic(at_lag: f32, at_multiple: f32, octave: Option<bool>) -> bool {
    let margin = match octave {
        Some(true) if at_multiple >= STEADY_OCTAVE_MIN_NSDF => STEADY_OCTAVE_MARGIN,
        Some(_) => OCTAVE_MARGIN,
        None => HARMONIC_MARGIN,
    };
    at_multiple >= SUBHARMONIC_MIN_NSDF && at_multiple >= at_lag + margin
}

/// One frame of an offline pitch track.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrackedFrame {
    /// Input samples consumed when the frame completed (its window ends at
    /// the sample before).
    pub end_sample: usize,
    /// The frame's estimate.
    pub estimate: PitchEstimate,
}

/// Tracks the pitch of a whole clip frame by frame, exactly as the engine
/// does live at `frame_rate_hz`. Allocates: for datasets, analysis and tests.
pub fn track_clip(signal: &[f32], sample_rate_hz: f32, frame_rate_hz: f32, config: PitchConfig) -> Vec<TrackedFrame> {
    let mut tracker = PitchTracker::new(sample_rate_hz, config);
    let mut framer = crate::framer::Framer::new(sample_rate_hz as f64, frame_rate_hz as f64);
    let mut frames = Vec::new();
    let mut position = 0;
    while position < signal.len() {
        let take = framer.samples_to_next_frame().min(signal.len() - position);
        tracker.push(&signal[position..position + take]);
        position += take;
        if framer.advance(take) {
            frames.push(TrackedFrame { end_sample: position, estimate: tracker.estimate() });
        }
    }
    frames
}

/// The median pitch of a whole clip's confidently voiced frames (tracked
/// at 100 frames per second with confidence above `min_confidence`), Hz,
/// and how many frames that was; `None` if none. Allocates: for tests and
/// reports.
pub fn median_voiced_f0_hz(signal: &[f32], sample_rate_hz: f32, min_confidence: f32) -> Option<(f32, usize)> {
    let mut f0_hz: Vec<f32> = track_clip(signal, sample_rate_hz, 100.0, PitchConfig::default())
        .iter()
        .filter(|frame| frame.estimate.confidence > min_confidence)
        .map(|frame| frame.estimate.f0_hz)
        .collect();
    f0_hz.sort_by(f32::total_cmp);
    Some((*f0_hz.get(f0_hz.len() / 2)?, f0_hz.len()))
}
