//! Seeded synthetic voice clips with an exactly known pitch track: the live
//! input of `cargo xtask eval-pitch`.
//!
//! Why synthesize: a recording's "true" f0 is itself somebody's estimate.
//! Here the source oscillator is driven by a planned f0, so the reference is
//! exact by construction, while the clip keeps what makes live voices hard to
//! track: vibrato, portamento, scoops, breathy onsets, consonants, moving
//! formants, and a fundamental that is strong or weak with vowel and effort.
//!
//! Pipeline: a planner ([`singing::sing`] or [`speech::speak`]) writes
//! control *knots*, one per millisecond (pitch, voicing, effort, breath,
//! consonant noise, vowel formants) into a [`Timeline`](timeline::Timeline);
//! [`render::render`] interpolates them per sample into an additive
//! glottal-like source whose harmonic amplitudes are the source slope times
//! the formant response at k·f0 (as `example_input.rs` does, after Klatt
//! 1980's cascade: −12 dB/octave glottal source, +6 dB/octave lip
//! radiation, the vowel's F1–F3 and fixed F4–F8 resonators), plus
//! aspiration through the same vocal tract and band-passed consonant noise.
//! Harmonic amplitudes are computed once per knot and interpolated, so the
//! cost per sample is one multiply-add per harmonic.
//!
//! Modules: [`tract`] (formants, vowels, registers), [`timeline`] (knots and
//! the shapes planners write), [`singing`] and [`speech`] (the planners),
//! [`consonant`] (unvoiced sounds and breaths), [`pitch`] (vibrato and
//! drift), [`render`](mod@render) and [`noise`] (the synthesis), [`dice`]
//! and [`curve`] (seeded draws, interpolation).

mod consonant;
mod curve;
mod dice;
mod noise;
mod pitch;
mod render;
mod singing;
mod speech;
mod timeline;
mod tract;

use dsp_core::rng::NoiseRng;

use dice::{scramble, Dice};
use pitch::{apply_pitch, Wander};
use render::render;
use singing::sing;
use speech::speak;
use tract::Profile;

/// What is voiced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VoiceStyle {
    /// Sung phrases: scale notes, portamento, vibrato, breaths between phrases.
    Singing,
    /// Spoken phrases: 4–6 syllables a second, declining intonation with pitch accents.
    Speech,
}

/// Vocal register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Register {
    /// Male-like: sung MIDI 43–65, speech 85–220 Hz, male formants.
    Low,
    /// Female-like: sung MIDI 55–79, speech 150–380 Hz, female formants.
    High,
}

/// A synthesized clip and its exact pitch.
pub struct VoiceClip {
    /// Mono samples, peak about -1 dBFS.
    pub samples: Vec<f32>,
    /// Sample rate, Hz.
    pub sample_rate_hz: u32,
    /// The exact f0 the source was driven with, one value per millisecond (Hz), None where the voice is unvoiced (silence, consonants, breath).
    pub f0_hz: Vec<Option<f32>>,
}

/// `seconds` of `style` in `register` at `sample_rate_hz`, from `seed` (same seed, same clip).
///
/// Allocates; about 0.3 s per 30 s at 48 kHz in release builds.
pub fn synthesize(style: VoiceStyle, register: Register, seconds: f32, sample_rate_hz: u32, seed: u64) -> VoiceClip {
    assert!(sample_rate_hz >= MIN_SAMPLE_RATE_HZ, "sample rate {sample_rate_hz} Hz is below {MIN_SAMPLE_RATE_HZ} Hz");
    let profile = Profile::of(register);
    let num_samples = (f64::from(seconds.max(0.0)) * f64::from(sample_rate_hz)).round() as usize;
    // Knot m sits at m ms; the track has one value per knot inside the clip.
    let num_ms = (num_samples as u64 * 1000).div_ceil(u64::from(sample_rate_hz)) as usize;
    let mut dice = Dice::new(seed);
    let drift = [Wander::random(&mut dice), Wander::random(&mut dice)];
    let mut timeline = match style {
        VoiceStyle::Singing => sing(profile, &mut dice, num_ms),
        VoiceStyle::Speech => speak(profile, &mut dice, num_ms),
    };
    // The renderer reads knot m + 1 for every sample inside knot m's millisecond.
    timeline.grow(num_ms + 1);
    apply_pitch(&mut timeline.knots, &drift);
    let f0_hz = timeline.pitch_track(num_ms);
    let mut noise = NoiseRng::new(scramble(seed ^ NOISE_STREAM));
    let mut samples = render(&timeline.knots[..=num_ms], profile, sample_rate_hz, num_samples, &mut noise);
    normalise_peak(&mut samples, PEAK_DBFS);
    VoiceClip { samples, sample_rate_hz, f0_hz }
}

/// Lowest sample rate accepted, Hz: the voice's harmonics need a few kHz of band.
const MIN_SAMPLE_RATE_HZ: u32 = 4_000;
/// Peak of the normalised clip, dBFS.
const PEAK_DBFS: f32 = -1.0;
/// Mixed into the seed of the noise generator, so noise and plan draw different streams.
const NOISE_STREAM: u64 = 0x6E6F_6973_6500_0001;

/// Scales `samples` so their peak is `peak_dbfs`.
fn normalise_peak(samples: &mut [f32], peak_dbfs: f32) {
    let peak = samples.iter().fold(0.0f32, |peak, sample| peak.max(sample.abs()));
    if peak > 0.0 {
        let scale = 10f32.powf(peak_dbfs / 20.0) / peak;
        samples.iter_mut().for_each(|sample| *sample *= scale);
    }
}

#[cfg(test)]
mod tests {
    use std::ops::{Range, RangeInclusive};

    use super::*;

    /// Every style and register.
    const CASES: [(VoiceStyle, Register); 4] = [
        (VoiceStyle::Singing, Register::Low),
        (VoiceStyle::Singing, Register::High),
        (VoiceStyle::Speech, Register::Low),
        (VoiceStyle::Speech, Register::High),
    ];
    /// Rate of the analysis tests: low enough to keep them fast in debug builds.
    const RATE_HZ: u32 = 16_000;
    /// Length of the analysis tests' clips, s: a few phrases of either style.
    const SECONDS: f32 = 6.0;
    /// Autocorrelation window, ms.
    const WINDOW_MS: usize = 40;
    /// Spacing of the checked points, ms.
    const STEP_MS: usize = 10;

    /// f0 bounds the track must stay within, Hz: the register's notes or speaking range, widened by vibrato,
    /// scoops and drift (at most ~1 semitone).
    fn expected_range_hz(style: VoiceStyle, register: Register) -> RangeInclusive<f32> {
        match (style, register) {
            (VoiceStyle::Singing, Register::Low) => 90.0..=420.0,
            (VoiceStyle::Singing, Register::High) => 170.0..=900.0,
            (VoiceStyle::Speech, Register::Low) => 80.0..=235.0,
            (VoiceStyle::Speech, Register::High) => 140.0..=400.0,
        }
    }

    /// Lags searched by the test's pitch estimate, Hz: the register's whole range, with margin.
    fn search_range_hz(register: Register) -> RangeInclusive<f64> {
        match register {
            Register::Low => 70.0..=500.0,
            Register::High => 130.0..=1000.0,
        }
    }

    /// What the normalised square difference function (McLeod & Wyvill 2005) finds in `WINDOW_MS` of
    /// `samples` centred on `center`.
    struct Periodicity {
        /// The first peak within 90 % of the highest, parabolically interpolated, as a frequency, Hz.
        f0_hz: f64,
        /// The highest value, in [−1, 1]: near 1 for a periodic sound, low for noise.
        clarity: f64,
        /// Mean square of the window.
        power: f64,
    }

    fn periodicity(samples: &[f32], center: usize, lags: Range<usize>) -> Periodicity {
        let window = WINDOW_MS * RATE_HZ as usize / 1000;
        let nsdf: Vec<f64> = lags
            .clone()
            .map(|lag| {
                let start = center - window / 2 - lag / 2;
                let (mut product, mut energy) = (0.0, 0.0);
                for i in start..start + window {
                    let (a, b) = (f64::from(samples[i]), f64::from(samples[i + lag]));
                    product += a * b;
                    energy += a * a + b * b;
                }
                if energy > 0.0 {
                    2.0 * product / energy
                } else {
                    0.0
                }
            })
            .collect();
        let clarity = nsdf.iter().copied().fold(-1.0, f64::max);
        let peak = (1..nsdf.len() - 1)
            .find(|&i| nsdf[i] >= 0.9 * clarity && nsdf[i] >= nsdf[i - 1] && nsdf[i] >= nsdf[i + 1])
            .unwrap_or(0);
        let offset = if peak == 0 {
            0.0
        } else {
            let (left, middle, right) = (nsdf[peak - 1], nsdf[peak], nsdf[peak + 1]);
            let curvature = left - 2.0 * middle + right;
            if curvature < 0.0 {
                0.5 * (left - right) / curvature
            } else {
                0.0
            }
        };
        let period = (lags.start + peak) as f64 + offset;
        let start = center - window / 2;
        let power =
            samples[start..start + window].iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>() / window as f64;
        Periodicity { f0_hz: f64::from(RATE_HZ) / period, clarity, power }
    }

    /// Lags (samples) for `register`.
    fn lags(register: Register) -> Range<usize> {
        let range = search_range_hz(register);
        let rate = f64::from(RATE_HZ);
        (rate / range.end()).floor() as usize..(rate / range.start()).ceil() as usize + 1
    }

    /// Runs of equal voicing in `track`: (voiced, span in ms).
    fn stretches(track: &[Option<f32>]) -> Vec<(bool, Range<usize>)> {
        let mut runs: Vec<(bool, Range<usize>)> = Vec::new();
        for (ms, value) in track.iter().enumerate() {
            match runs.last_mut() {
                Some((voiced, span)) if *voiced == value.is_some() => span.end = ms + 1,
                _ => runs.push((value.is_some(), ms..ms + 1)),
            }
        }
        runs
    }

    /// Points every `STEP_MS` inside `span` whose whole analysis (window and longest lag) stays inside it.
    fn check_points(span: &Range<usize>, lags: &Range<usize>) -> impl Iterator<Item = usize> {
        let margin_ms = WINDOW_MS / 2 + (lags.end * 1000 / RATE_HZ as usize) / 2 + 1;
        (span.start + margin_ms..span.end.saturating_sub(margin_ms)).step_by(STEP_MS)
    }

    #[test]
    fn same_seed_gives_the_same_clip_and_another_seed_another() {
        for (style, register) in CASES {
            let first = synthesize(style, register, 2.0, RATE_HZ, 7);
            let again = synthesize(style, register, 2.0, RATE_HZ, 7);
            let other = synthesize(style, register, 2.0, RATE_HZ, 8);
            assert!(first.samples == again.samples && first.f0_hz == again.f0_hz, "{style:?} {register:?}");
            assert!(first.samples != other.samples && first.f0_hz != other.f0_hz, "{style:?} {register:?}");
        }
    }

    #[test]
    fn track_spans_the_clip_with_voiced_and_unvoiced_parts_in_the_register_range() {
        for (style, register) in CASES {
            let clip = synthesize(style, register, SECONDS, RATE_HZ, 3);
            assert_eq!(clip.sample_rate_hz, RATE_HZ);
            assert_eq!(clip.samples.len(), (SECONDS * RATE_HZ as f32) as usize);
            assert_eq!(clip.f0_hz.len(), (SECONDS * 1000.0) as usize);
            let voiced: Vec<f32> = clip.f0_hz.iter().flatten().copied().collect();
            let voiced_fraction = voiced.len() as f32 / clip.f0_hz.len() as f32;
            // Rests, pauses and consonants leave a fifth or more unvoiced; phrases most of the rest voiced.
            assert!((0.3..=0.85).contains(&voiced_fraction), "{style:?} {register:?}: {voiced_fraction} voiced");
            let range = expected_range_hz(style, register);
            let (lowest, highest) = voiced.iter().fold((f32::MAX, 0.0f32), |(lo, hi), &f| (lo.min(f), hi.max(f)));
            assert!(range.contains(&lowest) && range.contains(&highest), "{style:?} {register:?}: {lowest}–{highest}");
            // The pitch moves: at least 3 semitones between the extremes.
            assert!(highest / lowest > 1.19, "{style:?} {register:?}: {lowest}–{highest}");
        }
    }

    /// What the test's pitch estimate finds in a clip of `style` and `register`.
    struct Analysis {
        /// At points inside voiced stretches longer than 100 ms: (tracked f0 in Hz, what the sound shows).
        voiced: Vec<(f64, Periodicity)>,
        /// At points inside unvoiced stretches.
        unvoiced: Vec<Periodicity>,
    }

    impl Analysis {
        fn of(style: VoiceStyle, register: Register) -> Self {
            let clip = synthesize(style, register, SECONDS, RATE_HZ, 11);
            let lags = lags(register);
            let samples_per_ms = RATE_HZ as usize / 1000;
            let at = |ms: usize| periodicity(&clip.samples, ms * samples_per_ms, lags.clone());
            let (mut voiced, mut unvoiced) = (Vec::new(), Vec::new());
            for (is_voiced, span) in stretches(&clip.f0_hz) {
                if is_voiced && span.len() > 100 {
                    voiced.extend(check_points(&span, &lags).map(|ms| (f64::from(clip.f0_hz[ms].unwrap()), at(ms))));
                } else if !is_voiced {
                    unvoiced.extend(check_points(&span, &lags).map(at));
                }
            }
            Self { voiced, unvoiced }
        }

        /// The median power of the voiced points.
        fn median_voiced_power(&self) -> f64 {
            let mut powers: Vec<f64> = self.voiced.iter().map(|(_, found)| found.power).collect();
            powers.sort_by(f64::total_cmp);
            powers[powers.len() / 2]
        }
    }

    #[test]
    fn voiced_sound_is_periodic_at_the_tracked_f0() {
        for (style, register) in CASES {
            let analysis = Analysis::of(style, register);
            let num_checked = analysis.voiced.len();
            assert!(num_checked >= 100, "{style:?} {register:?}: {num_checked} voiced points");
            // 3 % is about half a semitone: octave and fifth errors are far outside it. Glides and the fastest
            // vibrato move f0 by more than that within the 40 ms window, hence 90 % rather than all.
            let num_agreeing = analysis
                .voiced
                .iter()
                .filter(|(tracked_hz, found)| (found.f0_hz / tracked_hz - 1.0).abs() <= 0.03)
                .count();
            let agreement = num_agreeing as f64 / num_checked as f64;
            assert!(agreement >= 0.9, "{style:?} {register:?}: {agreement} of {num_checked} points agree");
        }
    }

    #[test]
    fn unvoiced_sound_is_quiet_or_aperiodic() {
        let mut num_audible = 0;
        for (style, register) in CASES {
            let analysis = Analysis::of(style, register);
            let median_voiced_power = analysis.median_voiced_power();
            let mut num_passing = 0;
            for found in &analysis.unvoiced {
                let relative_power = found.power / median_voiced_power;
                num_audible += usize::from(relative_power > 1e-3);
                // A clear pitch scores above 0.8, noise well below; a periodic residue (the tail of a release,
                // under 10 % of the phrase's peak voicing) stays 13 dB or more under the voice.
                if found.clarity < 0.5 || relative_power * found.clarity < 0.05 {
                    num_passing += 1;
                }
            }
            let num_checked = analysis.unvoiced.len();
            assert!(num_checked >= 50, "{style:?} {register:?}: {num_checked} unvoiced points");
            let fraction = num_passing as f64 / num_checked as f64;
            assert!(fraction >= 0.95, "{style:?} {register:?}: {fraction} of {num_checked} unvoiced points pass");
        }
        // Consonants and breaths, not only silence, were checked.
        assert!(num_audible >= 20, "{num_audible} audible unvoiced points");
    }

    #[test]
    fn peak_is_minus_one_dbfs() {
        let clip = synthesize(VoiceStyle::Speech, Register::High, 2.0, RATE_HZ, 5);
        let peak = clip.samples.iter().fold(0.0f32, |peak, sample| peak.max(sample.abs()));
        assert!((20.0 * peak.log10() - PEAK_DBFS).abs() < 1e-3, "peak {peak}");
    }

    #[test]
    #[ignore = "timing: run with --release"]
    fn thirty_seconds_at_48_khz_render_quickly() {
        // Low singing is the costliest: the most harmonics below the band's top.
        let start = std::time::Instant::now();
        let clip = synthesize(VoiceStyle::Singing, Register::Low, 30.0, 48_000, 1);
        let elapsed = start.elapsed();
        eprintln!("30 s at 48 kHz in {elapsed:?}");
        assert_eq!(clip.samples.len(), 30 * 48_000);
        assert!(elapsed.as_secs_f64() < 2.0);
    }
}
