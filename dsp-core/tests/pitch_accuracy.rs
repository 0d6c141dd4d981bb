//! Pitch accuracy: harmonic tones within 5 cents from 55 Hz to 1760 Hz at
//! every supported rate, and a vibrato voice-like signal tracked at least as
//! well as the `pitch-detection` crate's McLeod detector on the same frames.

mod common;

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
        // Every third semitone from A1 (55 Hz) to A6 (1760 Hz).
        for semitone in (0..=60).step_by(3) {
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
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for (end, estimate_hz, _) in track(&signal, sample_rate) {
            if end < window {
                continue;
            }
            // Both judged against the true pitch at the window's centre.
            let truth = common::voice_f0_hz(end - window / 2, sample_rate as f64) as f32;
            ours.push(cents_between(estimate_hz, truth));
            // The oracle gets the same window; its unvoiced answer counts as
            // an octave miss.
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
        let (mut all_misses, mut num_frames) = (Vec::new(), 0);
        // (tone, lowest f0 in Hz, semitones spanned, seed), every second semitone:
        // about 70 Hz (C♯2) to 200 Hz (G3), and 55 Hz (A1) to 110 Hz (A2).
        type Tone = fn(f64, f64, usize, u64) -> Vec<f32>;
        let cases: [(Tone, f64, usize, u64); 2] =
            [(common::weak_fundamental_reed, 70.0, 18, 5), (common::formant_dominated_reed, 55.0, 12, 6)];
        for (tone, lowest_hz, span, seed) in cases {
            for semitone in (0..=span).step_by(2) {
                let f0 = lowest_hz * 2f64.powf(semitone as f64 / 12.0);
                let signal = tone(f0, sample_rate as f64, (sample_rate * 0.5) as usize, seed);
                let (frames, misses) = misses(&signal, sample_rate, f0 as f32);
                num_frames += frames;
                all_misses.extend(misses);
            }
        }
        assert!(
            all_misses.is_empty(),
            "{sample_rate} Hz: {} of {num_frames} frames off: {all_misses:?}",
            all_misses.len()
        );
    }
}
