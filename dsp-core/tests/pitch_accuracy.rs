//! Pitch accuracy: harmonic tones within 5 cents from 41 Hz to 1760 Hz at
//! every supported rate; a vibrato voice-like signal tracked, at the moment
//! each frame stands for, at least as well as the `pitch-detection` crate's
//! McLeod detector on the same frames at their centres; weak-fundamental
//! low notes at their true pitch; note changes followed within 12 ms, and
//! a note ringing into the next not taken for their common period; reed
//! attacks that sound an octave below followed up as they settle, without
//! falling back, a slip back an octave not held by the octave guard, and
//! no other change of timbre taken for one; a period-doubled attack after a
//! rest at the octave of the note before it, and octave leaps across a rest
//! followed; high double-reed notes with a weak fundamental at their pitch,
//! and bright notes of the same pitches too; a bassoon-like attack after a
//! rest at its pitch, not its 5th harmonic, once two periods have sounded;
//! a looped ensemble at its note, not at its loop; a sub-octave that dies
//! within 20 ms not held by the octave guard.

mod common;

use dsp_core::engine::AnalysisConfig;
use dsp_core::pitch::{track_clip, PitchConfig, PitchTracker};
use dsp_core::pitch_units::cents_between;
use pitch_detection::detector::mcleod::McLeodDetector;
use pitch_detection::detector::PitchDetector;

/// (window end, f0, confidence) per frame at 250 frames per second.
fn track(signal: &[f32], sample_rate: f32) -> Vec<(usize, f32, f32)> {
    track_clip(signal, sample_rate, 250.0, PitchConfig::default())
        .into_iter()
        .map(|frame| (frame.end_sample, frame.estimate.f0_hz, frame.estimate.confidence))
        .collect()
}

#[test]
fn harmonic_tones_within_5_cents() {
    for &sample_rate in &[22_050.0f32, 44_100.0, 48_000.0, 96_000.0, 192_000.0] {
        let mut worst = (0.0f32, 0.0f32);
        // E1 (41.2 Hz, a bass guitar's lowest string, which fills the
        // window 1.6 times), G1, then every third semitone from A1 (55 Hz)
        // to A6 (1760 Hz).
        for semitone in [-5, -2].into_iter().chain((0..=60).step_by(3)) {
            let f0 = 55.0 * 2f64.powf(semitone as f64 / 12.0);
            let tone = common::harmonic_tone(f0, sample_rate as f64, (sample_rate * 0.25) as usize, 12);
            let window = PitchTracker::new(sample_rate, PitchConfig::default()).window_samples();
            for (end, estimate_hz, confidence) in track(&tone, sample_rate) {
                if end < window {
                    continue;
                }
                let error = cents_between(estimate_hz, f0 as f32).abs();
                if error > worst.0 {
                    worst = (error, f0 as f32);
                }
                assert!(confidence > 0.9, "{sample_rate} Hz, {f0:.1} Hz: confidence {confidence}");
            }
        }
        assert!(worst.0 < 5.0, "{sample_rate} Hz: worst error {:.2} cents at {:.1} Hz", worst.0, worst.1);
    }
}

struct Scores {
    raw_pitch_accuracy: f32,
    mean_abs_cents: f32,
}

fn score(errors_cents: &[f32]) -> Scores {
    let within = errors_cents.iter().filter(|e| e.abs() <= 50.0).count();
    Scores {
        raw_pitch_accuracy: within as f32 / errors_cents.len() as f32,
        mean_abs_cents: errors_cents.iter().map(|e| e.abs().min(1200.0)).sum::<f32>() / errors_cents.len() as f32,
    }
}

#[test]
fn voice_like_vibrato_at_least_as_accurate_as_the_oracle() {
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        let signal = common::voice_like(sample_rate as f64, (sample_rate * 4.5) as usize, 11);
        let window = PitchTracker::new(sample_rate, PitchConfig::default()).window_samples();
        let mut oracle = McLeodDetector::<f32>::new(window, window / 2);
        let lookahead = (AnalysisConfig::default().lookahead_ms * 1e-3 * sample_rate).round() as usize;
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for (end, estimate_hz, _) in track(&signal, sample_rate) {
            if end < window {
                continue;
            }
            // Ours is judged at the moment the engine says a frame stands
            // for (the lookahead before the window's end), the oracle at
            // its window's centre, where it is most accurate.
            let truth_now = common::voice_f0_hz(end - lookahead, sample_rate as f64) as f32;
            ours.push(cents_between(estimate_hz, truth_now));
            // The oracle gets the same window; its unvoiced answer counts as
            // an octave miss.
            let truth = common::voice_f0_hz(end - window / 2, sample_rate as f64) as f32;
            let oracle_hz = oracle
                .get_pitch(&signal[end - window..end], sample_rate as usize, 0.0, 0.5)
                .map_or(truth * 2.0, |pitch| pitch.frequency);
            theirs.push(cents_between(oracle_hz, truth));
        }
        let (ours, theirs) = (score(&ours), score(&theirs));
        println!(
            "{sample_rate} Hz: ours RPA {:.3} mean {:.2} cents; oracle RPA {:.3} mean {:.2} cents",
            ours.raw_pitch_accuracy, ours.mean_abs_cents, theirs.raw_pitch_accuracy, theirs.mean_abs_cents
        );
        assert!(ours.raw_pitch_accuracy >= theirs.raw_pitch_accuracy, "raw pitch accuracy below the oracle's");
        assert!(ours.mean_abs_cents <= theirs.mean_abs_cents, "mean error above the oracle's");
        assert!(ours.raw_pitch_accuracy > 0.95);
    }
}

/// Frames of `signal` (one steady note at `f0_hz`) more than 50 cents
/// off, after the first window: (f0, error in cents) each.
fn misses(signal: &[f32], sample_rate: f32, f0_hz: f32) -> (usize, Vec<(f32, f32)>) {
    let window = PitchTracker::new(sample_rate, PitchConfig::default()).window_samples();
    let frames: Vec<_> = track(signal, sample_rate).into_iter().filter(|&(end, _, _)| end >= window).collect();
    let misses = frames
        .iter()
        .map(|&(_, estimate_hz, _)| (f0_hz, cents_between(estimate_hz, f0_hz)))
        .filter(|&(_, error)| error.abs() > 50.0)
        .collect();
    (frames.len(), misses)
}

/// Low reed notes whose fundamental is 20 dB under the 2nd harmonic, from
/// 70 to 200 Hz, and bassoon-like notes from 55 to 110 Hz whose 4th–8th
/// harmonic dominates: every frame at the true pitch, none an octave or a
/// harmonic up (the dominant harmonic's NSDF lobe is then within MPM's
/// cutoff of the true period's).
#[test]
fn weak_fundamental_low_reeds_tracked_at_their_true_pitch() {
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        // (tone, lowest f0 in Hz, semitones spanned, seed), every second semitone:
        // about 70 Hz (C♯2) to 200 Hz (G3), and 55 Hz (A1) to 110 Hz (A2).
        type Tone = fn(f64, f64, usize, u64) -> Vec<f32>;
        let cases: [(Tone, f64, usize, u64); 2] =
            [(common::weak_fundamental_reed, 70.0, 18, 5), (common::formant_dominated_reed, 55.0, 12, 6)];
        let notes = cases.into_iter().flat_map(|(tone, lowest_hz, span, seed)| {
            (0..=span).step_by(2).map(move |semitone| {
                let f0 = lowest_hz * 2f64.powf(semitone as f64 / 12.0);
                (f0, tone(f0, sample_rate as f64, (sample_rate * 0.5) as usize, seed))
            })
        });
        assert_every_frame_at_its_note(sample_rate, notes);
    }
}

/// Tracks each (f0 in Hz, one steady note) and fails listing every frame
/// more than 50 cents off, after the first window.
fn assert_every_frame_at_its_note(sample_rate: f32, notes: impl IntoIterator<Item = (f64, Vec<f32>)>) {
    let (mut all_misses, mut num_frames) = (Vec::new(), 0);
    for (f0, signal) in notes {
        let (frames, misses) = misses(&signal, sample_rate, f0 as f32);
        num_frames += frames;
        all_misses.extend(misses);
    }
    assert!(all_misses.is_empty(), "{sample_rate} Hz: {} of {num_frames} frames off: {all_misses:?}", all_misses.len());
}

/// Bassoon-like notes from 78 to 147 Hz, every semitone, with the formant
/// at 520 Hz and no vibrato (a sampled note's loop repeats exactly): where
/// the formant sits on the 6th harmonic (87 Hz), or between the 3rd and
/// 4th (139 Hz), so that the NSDF's lobes of the dominant harmonics are
/// within MPM's cutoff of the period and off whole numbers of their own
/// periods, every frame is still at the true pitch. The tracker before the
/// lobe ratios played 87 Hz at its 6th harmonic and 139 Hz 17.5
/// semitones low.
#[test]
fn formant_off_the_dominant_harmonic_tracked_at_the_true_pitch() {
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        let notes = (0..12).map(|semitone| {
            let f0 = 77.78 * 2f64.powf(semitone as f64 / 12.0);
            (f0, common::formant_reed(f0, 520.0, 0.0, sample_rate as f64, (sample_rate * 0.5) as usize, 7))
        });
        assert_every_frame_at_its_note(sample_rate, notes);
    }
}

/// Low notes (82–147 Hz) whose odd harmonics (the fundamental among them) sit 18 dB
/// under the even ones, steady, with no vibrato (a bowed low string with a
/// strong 2nd harmonic, as MuseScore's cello F2 and F♯2): the window is
/// about 0.08 less periodic at the upper octave than at the period, under
/// the 0.1 margin a dying period-doubled attack needs, and every frame is
/// still at the true pitch because those partials hold steady. The tracker
/// before the steady octave margin played every frame an octave up.
#[test]
fn steady_strong_second_harmonic_keeps_the_true_octave() {
    let gain = |m: usize| if m % 2 == 1 { 0.12 / m as f64 } else { 1.0 / m as f64 };
    assert_steady_notes_at_their_pitch(&[82.41, 87.31, 92.5, 98.0, 110.0, 123.47, 130.81, 146.83], gain, 8);
}

/// Notes whose partials between the harmonics (the odd multiples of half
/// the note) start 12 dB under them and die away by 0.5 dB per 10 ms, a
/// faint period doubling: the window is nearly perfectly periodic an
/// octave below, by less than the steady octave margin (the test above),
/// but those partials are fading, so every frame is at the note.
/// Taking the steady margin without looking whether they fade played the
/// octave below for the first 60–70 ms.
#[test]
fn fading_faint_sub_octave_keeps_the_note() {
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        let notes = [208.0, 277.0, 370.0].map(|f0: f64| {
            (f0, common::period_doubled_attack(f0, sample_rate as f64, (sample_rate * 0.4) as usize, -12.0, 0.5, 9))
        });
        assert_every_frame_at_its_note(sample_rate, notes);
    }
}

/// Legato changes of note between harmonic tones of 165 Hz and up, leaps
/// and steps: the
/// tracker reports the new note within 12 ms of the change (the full 40 ms
/// window alone takes 20–30 ms, half its length), and no frame in between
/// is far from both notes: a window holding 440 Hz then 587 Hz is most
/// periodic at their common period, 147 Hz, which the full window alone
/// reports for several frames.
#[test]
fn note_changes_followed_within_12_ms() {
    const CHANGES_HZ: [(f64, f64); 12] = [
        (220.0, 262.0),
        (262.0, 220.0),
        // Octave leaps up: the window stays periodic at the lower note's
        // period, so the newest periods decide.
        (220.0, 440.0),
        (330.0, 660.0),
        (440.0, 587.0),
        (587.0, 440.0),
        (330.0, 494.0),
        (165.0, 196.0),
        // Steps of a tone and a semitone, whose lags share one NSDF lobe.
        (330.0, 294.0),
        (294.0, 330.0),
        (262.0, 247.0),
        (440.0, 466.0),
    ];
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        for (from_hz, to_hz) in CHANGES_HZ {
            let change = (sample_rate * 0.5) as usize;
            let mut signal = common::harmonic_tone(from_hz, sample_rate as f64, change, 12);
            signal.extend(common::harmonic_tone(to_hz, sample_rate as f64, change, 12));
            let frames = track_clip(&signal, sample_rate, 1000.0, PitchConfig::default());
            for frame in frames.iter().filter(|frame| frame.end_sample > change) {
                let since_ms = (frame.end_sample - change) as f32 * 1e3 / sample_rate;
                let f0_hz = frame.estimate.f0_hz;
                let (low_hz, high_hz) = (from_hz.min(to_hz) as f32, from_hz.max(to_hz) as f32);
                let between = cents_between(f0_hz, low_hz) > -50.0 && cents_between(f0_hz, high_hz) < 50.0;
                let arrived = cents_between(f0_hz, to_hz as f32).abs() < 50.0;
                assert!(
                    between && (arrived || since_ms < 12.0),
                    "{sample_rate} Hz, {from_hz} → {to_hz} Hz: {f0_hz:.1} Hz {since_ms:.0} ms after the change"
                );
            }
        }
    }
}

/// A note that rings on, fading 4 dB per 10 ms, into the next a major
/// third below (a cello's E5 into its C5): the two together are periodic
/// at their common period, two octaves and a third under the old note
/// (131 Hz for E5 and C5), which the full window reads 0.85–0.95 periodic
/// while the newest 12 ms, holding both notes, read 0.5–0.9 at the new
/// one. No frame the default confidence gate lets through from the change
/// on is outside the two notes (the first frames glide between them); the
/// common period was reported for 6–8 frames. The same for a fourth below
/// (TimGM6mb's oboe F♯5 into its C♯5: 185 Hz, four periods of the old
/// note, two octaves and a third under it) from 28 ms on, when the newest
/// 12 ms no longer hold both notes themselves; the common period was
/// reported for 48 ms before the test for it looked at four periods of the
/// note before.
#[test]
fn note_ringing_into_the_next_not_taken_for_their_common_period() {
    let gate = dsp_core::UserControls::default().confidence_threshold;
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        for (from_hz, to_hz, from_ms) in [(659.26, 523.25, 0.0), (329.63, 261.63, 0.0), (739.99, 554.37, 28.0)] {
            let (signal, change) = ringing_into(from_hz, to_hz, sample_rate, 4.0);
            let from = change + (from_ms * 1e-3 * sample_rate) as usize;
            let voiced_after_change = |&(end, _, confidence): &(usize, f32, f32)| end > from && confidence >= gate;
            for (end, f0_hz, _) in track(&signal, sample_rate).into_iter().filter(voiced_after_change) {
                let between = cents_between(f0_hz, to_hz) > -50.0 && cents_between(f0_hz, from_hz) < 50.0;
                assert!(
                    between,
                    "{sample_rate} Hz, {from_hz} → {to_hz} Hz: {f0_hz:.1} Hz {:.0} ms after the change",
                    (end - change) as f32 * 1e3 / sample_rate
                );
            }
        }
    }
}

/// 500 ms of a 12-harmonic tone at `from_hz` that then rings on, fading
/// `fall_db_per_10_ms`, under 500 ms of one at `to_hz`; and the sample
/// where `to_hz` starts.
fn ringing_into(from_hz: f32, to_hz: f32, sample_rate: f32, fall_db_per_10_ms: f64) -> (Vec<f32>, usize) {
    let change = (sample_rate * 0.5) as usize;
    let mut signal = common::harmonic_tone(from_hz as f64, sample_rate as f64, 2 * change, 12);
    let next = common::harmonic_tone(to_hz as f64, sample_rate as f64, change, 12);
    for (n, (sample, next)) in signal[change..].iter_mut().zip(next).enumerate() {
        let fall_db = fall_db_per_10_ms * n as f64 * 100.0 / sample_rate as f64;
        *sample = (*sample as f64 * 10f64.powf(-fall_db / 20.0)) as f32 + next;
    }
    (signal, change)
}

/// A weak-fundamental low reed note played legato after another note: the
/// newest-note check sees its dominant 2nd harmonic first (its 12 ms window
/// is too short for the low period), but once the full window has heard the
/// new note throughout (40 ms), every frame is at the true pitch.
#[test]
fn weak_fundamental_note_after_a_change_settles_at_its_true_pitch() {
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        for (from_hz, to_hz) in [(262.0, 110.0), (330.0, 150.0), (196.0, 175.0), (523.0, 87.0)] {
            let change = (sample_rate * 0.5) as usize;
            let mut signal = common::harmonic_tone(from_hz, sample_rate as f64, change, 12);
            signal.extend(common::weak_fundamental_reed(to_hz, sample_rate as f64, change, 5));
            let settled = change + (0.05 * sample_rate) as usize;
            for frame in track_clip(&signal, sample_rate, 1000.0, PitchConfig::default()) {
                let error = cents_between(frame.estimate.f0_hz, to_hz as f32);
                assert!(
                    frame.end_sample < settled || error.abs() < 50.0,
                    "{sample_rate} Hz, {from_hz} → {to_hz} Hz: {:.1} Hz at sample {}",
                    frame.estimate.f0_hz,
                    frame.end_sample
                );
            }
        }
    }
}

/// `lead_in` then a 400 ms note at `f0_hz` whose attack sounds an octave
/// below (partials between its harmonics `start_db` over them, falling
/// `fall_db_per_10_ms`), and the note's first sample.
fn period_doubled_note_after(
    lead_in: Vec<f32>,
    sample_rate: f32,
    f0_hz: f64,
    (start_db, fall_db_per_10_ms): (f64, f64),
) -> (Vec<f32>, usize) {
    let onset = lead_in.len();
    let mut signal = lead_in;
    let note = (sample_rate * 0.4) as usize;
    signal.extend(common::period_doubled_attack(f0_hz, sample_rate as f64, note, start_db, fall_db_per_10_ms, 7));
    (signal, onset)
}

/// Plays [`period_doubled_note_after`] `lead_in` and asserts every frame
/// is at the note once the partials between its harmonics are
/// `settled_db_under` them.
fn assert_period_doubled_note_settles(
    lead_in: Vec<f32>,
    sample_rate: f32,
    f0_hz: f64,
    (start_db, fall_db_per_10_ms): (f64, f64),
    settled_db_under: f64,
    context: &str,
) {
    let (signal, onset) = period_doubled_note_after(lead_in, sample_rate, f0_hz, (start_db, fall_db_per_10_ms));
    let settled_ms = (start_db + settled_db_under) / fall_db_per_10_ms * 10.0;
    let settled = onset + (settled_ms * 1e-3 * sample_rate as f64) as usize;
    let context = format!("{context} (+{start_db} dB, −{fall_db_per_10_ms} dB/10 ms)");
    assert_at_note_after(&signal, sample_rate, f0_hz, (onset, settled), &context);
}

/// Tracks `signal` and asserts every frame ending after sample `settled`
/// is within 50 cents of `f0_hz`, the note that starts at sample `onset`.
fn assert_at_note_after(signal: &[f32], sample_rate: f32, f0_hz: f64, (onset, settled): (usize, usize), context: &str) {
    for (end, tracked_hz, _) in track(signal, sample_rate) {
        assert!(
            end <= settled || cents_between(tracked_hz, f0_hz as f32).abs() < 50.0,
            "{sample_rate} Hz, {context}: {tracked_hz:.1} Hz {:.0} ms into the note",
            (end - onset) as f32 * 1e3 / sample_rate
        );
    }
}

/// A reed attack that sounds an octave below its note for its first tens
/// of ms (partials between the harmonics 4–6 dB above them, falling 2.5 dB
/// per 10 ms, as recorded saxophones' attacks do), played legato after
/// another note: once those partials are 8.5 dB under the harmonics, every
/// frame is at the note (44–52 ms after the change). While the newer half
/// of the window had to be 0.7 periodic at the note, it was 12 ms later
/// (56–64 ms, 10 dB under); the full window alone holds the octave below
/// for 25–30 ms longer than that (88–96 ms).
#[test]
fn period_doubled_attack_followed_up_as_it_settles() {
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        for (from_hz, to_hz) in [(185.0, 208.0), (247.0, 277.0), (330.0, 370.0), (349.0, 392.0), (440.0, 330.0)] {
            for (start_db, fall_db_per_10_ms) in [(6.0, 2.5), (4.0, 2.5)] {
                let lead_in = common::harmonic_tone(from_hz, sample_rate as f64, (sample_rate * 0.3) as usize, 12);
                assert_period_doubled_note_settles(
                    lead_in,
                    sample_rate,
                    to_hz,
                    (start_db, fall_db_per_10_ms),
                    8.5,
                    &format!("{from_hz} → {to_hz} Hz"),
                );
            }
        }
    }
}

/// A reed attack whose sub-octave dies slowly (partials between the
/// harmonics 6 dB above them, falling 1.5 dB per 10 ms), played legato or
/// after a rest: once those partials are 7 dB under the harmonics (87 ms
/// in), every frame is at the note. The pitch fell back an octave for 1–3
/// frames at 92–100 ms, after the dying sub-octave check had followed it
/// up, as MuseScore's baritone saxophone C♯4 did where the window's newer
/// half read 0.70 at the note with a rise of 0.28 over its older half
/// (under both of the check's bars).
#[test]
fn slowly_dying_sub_octave_once_followed_up_stays_up() {
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        let before = common::harmonic_tone(247.0, sample_rate as f64, (sample_rate * 0.3) as usize, 12);
        let mut after_rest = before.clone();
        after_rest.extend(vec![0.0; (sample_rate * 0.1) as usize]);
        for (lead_in, context) in [(before, "legato after 247 Hz"), (after_rest, "after a rest")] {
            assert_period_doubled_note_settles(lead_in, sample_rate, 277.18, (6.0, 1.5), 7.0, context);
        }
    }
}

/// A reed attack whose sub-octave dies over 120 ms (partials between the
/// harmonics 4 dB above them, falling 1 dB per 10 ms), from silence or
/// legato: the tracker slips to the octave below once more for a frame at
/// 176 ms, and from the next frame on every frame is at the note. The
/// octave-jump guard held that slip for 2 more frames as if it were the
/// note, though it had come by an octave itself a frame before.
#[test]
fn octave_slip_after_a_dying_sub_octave_not_held_by_the_octave_guard() {
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        for f0_hz in [220.0, 277.18] {
            let silence = vec![0.0; (sample_rate * 0.3) as usize];
            let legato = common::harmonic_tone(0.89 * f0_hz, sample_rate as f64, (sample_rate * 0.3) as usize, 12);
            for (lead_in, context) in [(silence, "from silence"), (legato, "legato")] {
                assert_period_doubled_note_settles(lead_in, sample_rate, f0_hz, (4.0, 1.0), 13.8, context);
            }
        }
    }
}

/// A reed attack whose sub-octave dies within 20 ms (partials between the
/// harmonics 6 dB above them, falling 6 dB per 10 ms), played legato after
/// another note: every frame is at the note 40–56 ms after the change. The
/// octave-jump guard held the octave below that the window first reads for
/// two more frames (8 ms), though that pitch was younger than the window.
#[test]
fn quickly_dying_sub_octave_not_held_by_the_octave_guard() {
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        for (from_hz, to_hz, followed_ms) in [(349.0, 392.0, 40.0), (139.0, 156.0, 52.0), (110.0, 123.5, 56.0)] {
            let lead_in = common::harmonic_tone(from_hz, sample_rate as f64, (sample_rate * 0.3) as usize, 12);
            let (signal, onset) = period_doubled_note_after(lead_in, sample_rate, to_hz, (6.0, 6.0));
            let followed = onset + (followed_ms * 1e-3 * sample_rate) as usize;
            assert_at_note_after(&signal, sample_rate, to_hz, (onset, followed), &format!("{from_hz} → {to_hz} Hz"));
        }
    }
}

/// A note a semitone above one held for 600 ms (a chromatic scale, legato)
/// whose attack has a faint sub-octave, 12 dB under its harmonics and
/// fading by 0.5 dB per 10 ms: once the step is followed, every frame is
/// at the note. Its attack is not the held note's tremolo; counted from
/// the held note (which a step of a semitone, gliding by less from frame
/// to frame, did not end), it looked settled, and the clean octave check
/// played 247 → 262 Hz an octave low 40 ms in (as it did 10–20 ms of
/// TimGM6mb's flute and MuseScore's tenor saxophone scales, `cargo xtask
/// eval-pitch`). (587 → 622 Hz goes an octave low at 40 ms, and 440 → 466
/// Hz at 48 kHz for 3 frames at 144 ms, with or without that: steps of a
/// semitone do not restart the dying sub-octave check's attack.)
#[test]
fn faint_sub_octave_a_semitone_above_a_held_note_keeps_the_note() {
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        for from_hz in [247.0, 330.0, 392.0] {
            let to_hz = from_hz * 2f64.powf(1.0 / 12.0);
            let lead_in = common::harmonic_tone(from_hz, sample_rate as f64, (sample_rate * 0.6) as usize, 12);
            let onset = lead_in.len();
            let mut signal = lead_in;
            let note = (sample_rate * 0.4) as usize;
            signal.extend(common::period_doubled_attack(to_hz, sample_rate as f64, note, -12.0, 0.5, 7));
            // A step of a semitone is followed within 25 ms.
            let changed = onset + (0.025 * sample_rate) as usize;
            let context = format!("{from_hz} → {to_hz:.0} Hz");
            assert_at_note_after(&signal, sample_rate, to_hz, (onset, changed), &context);
        }
    }
}

/// A note whose 2nd harmonic swells early on (a bassoon's, from 12 dB under
/// the fundamental to 6 dB over it in 60 ms) stays at its pitch: the window's
/// newer half is then as much more periodic at the upper octave as a dying
/// sub-octave makes it, but by growth of the harmonics, not by a fall of the
/// partials between them.
#[test]
fn second_harmonic_swell_early_in_a_note_keeps_its_octave() {
    const SWELL_DB: f64 = 24.0;
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        for (from_hz, to_hz) in [(147.0, 123.0), (294.0, 330.0), (175.0, 156.0)] {
            let change = (sample_rate * 0.3) as usize;
            let mut signal = common::harmonic_tone(from_hz, sample_rate as f64, change, 12);
            // The 2nd harmonic from −12 dB to +6 dB against the fundamental.
            let swell = |k: usize, ms: f64| match k {
                2 => 10f64.powf((-12.0 + SWELL_DB * (ms / 60.0).min(1.0)) / 20.0),
                _ => 1.0 / k as f64,
            };
            let note = (sample_rate * 0.4) as usize;
            signal.extend(common::partials_tone(to_hz, sample_rate as f64, note, swell, 3));
            let (_, misses) = misses(&signal[change..], sample_rate, to_hz as f32);
            assert!(misses.is_empty(), "{sample_rate} Hz, {from_hz} → {to_hz} Hz: {misses:?}");
        }
    }
}

/// A note that turns hollow later on (its odd harmonics fading by 8 dB in
/// 40 ms, 300 ms in, under a strong 2nd harmonic: a violin's balance moving
/// with its vibrato and bow) stays at its pitch: the dying sub-octave check
/// looks only at the first 200 ms of a note, where attacks settle.
#[test]
fn timbre_change_late_in_a_note_keeps_its_octave() {
    const FADE_DB: f64 = 10.0;
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        for f0_hz in [247.0, 440.0, 880.0] {
            let hollowing = |k: usize, ms: f64| match k {
                2 => 1.0,
                _ if !k.is_multiple_of(2) => {
                    10f64.powf(-FADE_DB * ((ms - 300.0) / 40.0).clamp(0.0, 1.0) / 20.0) / k as f64
                }
                _ => 1.0 / k as f64,
            };
            let signal = common::partials_tone(f0_hz, sample_rate as f64, (sample_rate * 0.6) as usize, hollowing, 4);
            let (_, misses) = misses(&signal, sample_rate, f0_hz as f32);
            assert!(misses.is_empty(), "{sample_rate} Hz, {f0_hz} Hz: {misses:?}");
        }
    }
}

/// A note after a rest whose attack sounds an octave below and fades more
/// slowly (partials between its harmonics from 2–4 dB over them, falling
/// 1–1.5 dB per 10 ms, as FluidR3's baritone saxophone's C♯4 does): every
/// frame is at the note once those partials are 10 dB under the harmonics.
/// The newer half of the window is periodic enough at the note only 10–30
/// ms after its rise over the older half was clearest; a check that needs
/// both at once holds the octave below until they are 14–16 dB under.
#[test]
fn slowly_fading_sub_octave_after_a_rest_followed_up() {
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        for f0_hz in [330.0, 392.0] {
            for (start_db, fall_db_per_10_ms) in [(4.0, 1.0), (2.0, 1.0), (4.0, 1.5)] {
                let rest = vec![0.0; (sample_rate * 0.3) as usize];
                let context = format!("{f0_hz} Hz after a rest");
                assert_period_doubled_note_settles(
                    rest,
                    sample_rate,
                    f0_hz,
                    (start_db, fall_db_per_10_ms),
                    10.0,
                    &context,
                );
            }
        }
    }
}

/// A phrase: `before_hz` for 300 ms, 100 ms of silence, then `note`
/// (samples of the note after the rest). Returns the signal and the
/// note's first sample.
fn after_a_rest(before_hz: f64, sample_rate: f32, note: Vec<f32>) -> (Vec<f32>, usize) {
    let mut signal = common::harmonic_tone(before_hz, sample_rate as f64, (sample_rate * 0.3) as usize, 12);
    signal.extend(vec![0.0; (sample_rate * 0.1) as usize]);
    let onset = signal.len();
    signal.extend(note);
    (signal, onset)
}

/// Milliseconds into the note (from `onset`) of every frame the default
/// confidence gate lets through that is more than 50 cents off `f0_hz`.
fn voiced_misses(signal: &[f32], sample_rate: f32, onset: usize, f0_hz: f64) -> Vec<f32> {
    let gate = dsp_core::UserControls::default().confidence_threshold;
    track(signal, sample_rate)
        .into_iter()
        .filter(|&(end, tracked_hz, confidence)| {
            end > onset && confidence >= gate && cents_between(tracked_hz, f0_hz as f32).abs() > 50.0
        })
        .map(|(end, _, _)| (end - onset) as f32 * 1e3 / sample_rate)
        .collect()
}

/// A note after a rest whose attack is periodic at twice its period
/// (partials between its harmonics 6–9 dB under them, fading by 0.5–1 dB
/// per 10 ms: FluidR3's and MuseScore's baritone saxophone F3–A3 read
/// like this), following the same note or one a step below: every frame
/// the gate lets through is at the note. Without the note before the rest
/// to lean to, the tracker plays the octave below for the first 20–50 ms
/// (the window alone reads a period-doubled attack and a weak fundamental
/// alike).
#[test]
fn period_doubled_attack_after_a_rest_keeps_the_octave_of_the_note_before() {
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        for f0_hz in [175.0, 208.0, 247.0] {
            for (start_db, fall_db_per_10_ms) in [(-6.0, 1.0), (-9.0, 0.5)] {
                for before_hz in [f0_hz * 2f64.powf(-2.0 / 12.0), f0_hz] {
                    let attack = common::period_doubled_attack(
                        f0_hz,
                        sample_rate as f64,
                        (sample_rate * 0.4) as usize,
                        start_db,
                        fall_db_per_10_ms,
                        7,
                    );
                    let (signal, onset) = after_a_rest(before_hz, sample_rate, attack);
                    let misses = voiced_misses(&signal, sample_rate, onset, f0_hz);
                    assert!(
                        misses.is_empty(),
                        "{sample_rate} Hz, {before_hz:.0} Hz, rest, {f0_hz} Hz ({start_db} dB, \
                         −{fall_db_per_10_ms} dB/10 ms): off at {misses:?} ms"
                    );
                }
            }
        }
    }
}

/// Plain notes leaping an octave up or down across a rest: every frame the
/// gate lets through is at the new note (the memory of the note before the
/// rest never holds a leap the window clearly hears).
#[test]
fn octave_leaps_across_a_rest_are_followed() {
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        for f0_hz in [82.0, 147.0, 220.0, 440.0] {
            for (before_hz, note_hz) in [(f0_hz, 2.0 * f0_hz), (2.0 * f0_hz, f0_hz)] {
                let note = common::harmonic_tone(note_hz, sample_rate as f64, (sample_rate * 0.3) as usize, 12);
                let (signal, onset) = after_a_rest(before_hz, sample_rate, note);
                let misses = voiced_misses(&signal, sample_rate, onset, note_hz);
                assert!(misses.is_empty(), "{sample_rate} Hz, {before_hz} → {note_hz} Hz: off at {misses:?} ms");
            }
        }
    }
}

/// D5–F♯5 (587–740 Hz) double-reed notes whose fundamental sits 20 dB
/// under the 2nd harmonic and whose 3rd and 5th sit 22 and 24 dB under it,
/// steady (TimGM6mb's oboe): the window is only about 0.04 less periodic at
/// the upper octave than at the note, and every frame is still at the note.
/// And bright notes of the same pitches stay at theirs: a muted trumpet's
/// (every harmonic at one level up to 4 kHz, then falling 12 dB an
/// octave) and a sawtooth's (1/m up to 45 % of the rate). Read on whole
/// lags, a bright note's period looks 0.1 less periodic than its octave
/// below where it falls between two lags. The tracker before the clean
/// octave check played every frame of the reed an octave up; that check
/// on parabolic heights played the bright notes an octave down.
#[test]
fn weak_fundamental_high_reeds_and_bright_notes_tracked_at_their_true_pitch() {
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        let len = (sample_rate * 0.5) as usize;
        let notes = [587.33, 622.25, 659.26, 698.46, 739.99].into_iter().flat_map(|f0: f64| {
            let reed = |m: usize, _ms: f64| {
                if m % 2 == 1 {
                    0.5 * 10f64.powf(-(20.0 + (m - 1) as f64) / 20.0)
                } else {
                    2.0 / (m * m) as f64
                }
            };
            let muted_trumpet = move |m: usize, _ms: f64| 0.3 * (4000.0 / (m as f64 * f0)).min(1.0).powi(2);
            let sawtooth = |m: usize, _ms: f64| 1.0 / m as f64;
            [
                (f0, common::partials_tone(f0, sample_rate as f64, len, reed, 10)),
                (f0, common::partials_tone(f0, sample_rate as f64, len, muted_trumpet, 11)),
                (f0, common::partials_tone(f0, sample_rate as f64, len, sawtooth, 12)),
            ]
        });
        assert_every_frame_at_its_note(sample_rate, notes);
    }
}

/// G♯3–B3 (208–247 Hz) double-reed notes whose 2nd harmonic dominates,
/// the fundamental 24 dB, the 3rd 21 dB and the 5th 30 dB under it, the
/// 4th 20 dB (a bassoon's high register, FluidR3's and MuseScore's
/// G♯3–A♯3): the window reads about 0.975 at the upper octave and 1.0 at
/// the note, within the clean octave check's additive margin, and every
/// frame is still at the note. The tracker before the aperiodicity share
/// played every frame an octave up.
#[test]
fn weak_fundamental_reed_with_a_nearly_periodic_upper_octave_tracked_at_its_note() {
    let gain = |m: usize| match m {
        2 => 1.0,
        1 => 10f64.powf(-24.0 / 20.0),
        3 => 10f64.powf(-21.0 / 20.0),
        4 => 0.1,
        5 => 10f64.powf(-30.0 / 20.0),
        _ => 0.1 / (m * m) as f64,
    };
    assert_steady_notes_at_their_pitch(&[207.65, 220.0, 233.08, 246.94], gain, 14);
}

/// G♯3–A♯3 double-reed notes held for a second whose odd partials sit
/// 25–29 dB under the 2nd harmonic (MuseScore's bassoon 360–400 ms into
/// its G♯3): the window reads about 0.985 at the upper octave and 0.999 at
/// the note, too nearly periodic at the upper octave for the clean octave
/// check's aperiodicity share while the note is young (an attack's fading
/// sub-octave reads so), and every frame from 400 ms on, the note settled,
/// is at the note. The tracker before the settled floor played every frame
/// an octave up.
#[test]
fn settled_weak_fundamental_reed_with_faint_odd_partials_tracked_at_its_note() {
    let gain = |m: usize| match m {
        2 => 1.0,
        1 | 3 => 10f64.powf(-25.0 / 20.0),
        4 => 0.1,
        5 => 10f64.powf(-29.0 / 20.0),
        _ => 0.1 / (m * m) as f64,
    };
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        let settled = (sample_rate * 0.4) as usize;
        let mut misses = Vec::new();
        for f0 in [207.65, 220.0, 233.08] {
            let signal = common::partials_tone(
                f0,
                sample_rate as f64,
                sample_rate as usize,
                move |m: usize, _ms: f64| gain(m),
                15,
            );
            misses.extend(
                track(&signal, sample_rate)
                    .into_iter()
                    .filter(|&(end, estimate_hz, _)| {
                        end >= settled && cents_between(estimate_hz, f0 as f32).abs() > 50.0
                    })
                    .map(|(end, estimate_hz, _)| (f0, end, estimate_hz)),
            );
        }
        assert!(misses.is_empty(), "{sample_rate} Hz: {} frames off: {misses:?}", misses.len());
    }
}

/// Low bowed notes (F♯1–G♯1, 46–52 Hz) with a weak fundamental, 22 dB
/// under a dominant 2nd harmonic, whose odd partials ebb by 6 dB and back
/// between 150 and 450 ms while the note swells (FluidR3's contrabass: its
/// 3rd harmonic from 13 to 19 dB under the 2nd and back): the window is
/// perfectly periodic at the note and 0.05–0.08 less at the upper octave,
/// and the partials between the upper octave's harmonics fall as a dying
/// sub-octave's do. Every frame is at the note: past the attack, the clean
/// octave check keeps the octave the tracker is following. Before, it did
/// so only once the note had settled (300 ms), and the tracker played 12
/// of 423 frames at 44.1 kHz an octave up as the odd partials ebbed.
#[test]
fn low_weak_fundamental_note_whose_odd_partials_ebb_keeps_its_octave() {
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        let notes = [46.25, 49.0, 51.91].map(|f0: f64| {
            let gain = |m: usize, ms: f64| {
                let ebb_db = 6.0 * (1.0 - ((ms - 300.0) / 150.0).abs()).max(0.0);
                let swell_db = 6.0 * (ms / 250.0).min(1.0);
                let db = match m {
                    1 => -22.0,
                    2 => 0.0,
                    3 => -13.0 - ebb_db,
                    4 => -4.0,
                    5 => -22.0 - ebb_db,
                    7 => -12.0 - ebb_db,
                    8 => -7.0,
                    _ => -25.0 - m as f64,
                };
                10f64.powf((db + swell_db - 6.0) / 20.0)
            };
            (f0, common::partials_tone(f0, sample_rate as f64, (sample_rate * 0.6) as usize, gain, 15))
        });
        assert_every_frame_at_its_note(sample_rate, notes);
    }
}

/// Half-second notes of `notes_hz`, the m-th partial at `gain(m)`, at 44.1
/// and 48 kHz: every frame at its note ([`assert_every_frame_at_its_note`]).
fn assert_steady_notes_at_their_pitch(notes_hz: &[f64], gain: impl Fn(usize) -> f64 + Copy, seed: u64) {
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        let len = (sample_rate * 0.5) as usize;
        let notes = notes_hz.iter().map(|&f0| {
            (f0, common::partials_tone(f0, sample_rate as f64, len, move |m: usize, _ms: f64| gain(m), seed))
        });
        assert_every_frame_at_its_note(sample_rate, notes);
    }
}

/// A4–D5 (440–587 Hz) notes whose 3rd harmonic dominates, the fundamental
/// and the 2nd 14 dB under it (a synthesized oboe near its formant): the
/// window is about 0.86 periodic at a third of the period, within MPM's
/// cutoff, and every frame is still at the note, though the subharmonic
/// check tries a third of the period only below 150 Hz. The tracker
/// before the clean harmonic check played every frame an octave and a
/// fifth up.
#[test]
fn dominant_third_harmonic_above_150_hz_tracked_at_the_true_pitch() {
    let gain = |m: usize| match m {
        3 => 1.0,
        6 => 0.3,
        1 | 2 => 0.2,
        4 => 0.15,
        _ => 0.1 / m as f64,
    };
    assert_steady_notes_at_their_pitch(&[440.0, 493.88, 523.25, 587.33], gain, 13);
}

/// D5–F♯5 (587–740 Hz) double-reed notes with a weak fundamental, held,
/// with a 5 Hz tremolo from 300 ms on that swells the even partials by
/// ±3 dB and ebbs the odd ones by half as much (TimGM6mb's oboe played with
/// expression): the odd partials' share swings between 6.5 and 15.5 dB
/// under the even ones', so the window stays perfectly periodic at the note
/// and, as the even partials swell, comes within the recency check's
/// octave margin of the note at the upper octave, while the partials
/// between the upper octave's harmonics fall as a dying sub-octave's do.
/// Every frame is at the note. Without the settled note's clean octave
/// check the tracker played 19 of 723 frames at 44.1 kHz an octave up, on
/// the swells; without its clean recency test, 28.
#[test]
fn weak_fundamental_reed_with_tremolo_stays_at_its_note() {
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        let notes = [587.33, 659.26, 739.99].map(|f0: f64| {
            let gain = |m: usize, ms: f64| {
                // The tremolo grows in from 300 to 400 ms, as a player's does.
                let depth_db = 3.0 * ((ms - 300.0) / 100.0).clamp(0.0, 1.0);
                let swell_db = -depth_db * (std::f64::consts::TAU * 5.0 * ms * 1e-3).cos();
                if m.is_multiple_of(2) {
                    return 10f64.powf(swell_db / 20.0) * 2.0 / (m * m) as f64;
                }
                // Odd partials at 1, 0.7, 0.5 of the fundamental, their energy
                // (1.74 of the fundamental's) 11 dB under the even ones' (0.27)
                // and ebbing by half as much as those swell.
                let fundamental = (0.27 * 10f64.powf(-1.1) / 1.74).sqrt() * 10f64.powf(-swell_db / 40.0);
                fundamental * [1.0, 0.7, 0.5].get(m / 2).copied().unwrap_or(0.0)
            };
            (f0, common::partials_tone(f0, sample_rate as f64, sample_rate as usize, gain, 14))
        });
        assert_every_frame_at_its_note(sample_rate, notes);
    }
}

/// Bassoon-like low notes (92–104 Hz, their 5th harmonic on the 480 Hz
/// formant; 117–131 Hz, their 4th) after a rest, as a bassoon's low
/// register starts: every frame the gate lets through is at the note once
/// the note has sounded for two of its periods and 2 ms more. The full
/// window's older part still holds the rest, which leaves out more of the
/// samples its NSDF compares at the period than at the dominant harmonic's
/// period; without the test over the newest two periods, the tracker
/// played the 5th harmonic until 28–32 ms into the note, and while that
/// test left out the 4th (an even multiple, like the octave below), the
/// 4th until 20–32 ms.
#[test]
fn dominant_harmonic_attack_after_a_rest_tracked_at_the_true_pitch() {
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        for f0_hz in [92.5, 98.0, 103.8, 116.5, 123.5, 130.8] {
            let note = common::formant_dominated_reed(f0_hz, sample_rate as f64, (sample_rate * 0.3) as usize, 9);
            let (signal, onset) = after_a_rest(f0_hz, sample_rate, note);
            let two_periods_ms = 2e3 / f0_hz as f32 + 2.0;
            let late: Vec<f32> = voiced_misses(&signal, sample_rate, onset, f0_hz)
                .into_iter()
                .filter(|&ms| ms > two_periods_ms)
                .collect();
            assert!(late.is_empty(), "{sample_rate} Hz, {f0_hz} Hz after a rest: off at {late:?} ms");
        }
    }
}

/// A 165 Hz note whose waveform repeats exactly only every four of its
/// periods, as a sampled ensemble's loop does (noise 5 dB under the tone,
/// looped with it: FluidR3's "Voice Oohs" E3): the window is about 0.75
/// periodic at the note and perfectly periodic at the loop, 41 Hz, which
/// it holds 1.6 times. Every frame is at the note; the subharmonic check
/// takes a dominant harmonic other than the 2nd only from a period the
/// window holds twice. Without that bound the tracker played 115 of 116
/// frames two octaves down.
#[test]
fn looped_ensemble_tracked_at_its_note_not_its_loop() {
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        let loop_len = (4.0 * sample_rate / 165.0).round() as usize;
        let f0_hz = 4.0 * sample_rate as f64 / loop_len as f64;
        let mut noise = common::TestNoise::new(4);
        let tone = common::harmonic_tone(f0_hz, sample_rate as f64, loop_len, 12);
        let one_loop: Vec<f32> = tone.iter().map(|&x| x + 0.22 * noise.next()).collect();
        let note: Vec<f32> = one_loop.iter().copied().cycle().take((sample_rate * 0.5) as usize).collect();
        assert_every_frame_at_its_note(sample_rate, [(f0_hz, note)]);
    }
}
