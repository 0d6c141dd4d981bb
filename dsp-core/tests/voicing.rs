//! Voicing on speech-like input: syllables (voiced vowels) separated by
//! unvoiced fricatives and stops, through the tracker and the default
//! confidence gate with its hysteresis, as the engine runs them. Each
//! vowel must switch voicing on once and off once: no chatter inside a
//! vowel or a fricative.

mod common;

use std::f64::consts::PI;

use dsp_core::controls::FeatureControls;
use dsp_core::decoder::DatasetStats;
use dsp_core::pitch::{track_clip, PitchConfig};
use dsp_core::wire::{FeatureFrame, UserControls};

const FRAME_RATE_HZ: f32 = 250.0;

/// One syllable: `voiced_ms` of a vowel on a falling pitch from `f0_hz`,
/// then `unvoiced_ms` of fricative noise (band-passed around `hiss_hz`).
struct Syllable {
    f0_hz: f64,
    voiced_ms: f64,
    unvoiced_ms: f64,
    hiss_hz: f64,
}

/// Speech-like input: breathy glottal-like vowels (breath about 25 dB
/// down, more at the onset) on a falling pitch, between fricatives of
/// several colours at −12 dB.
fn speech_like(sample_rate_hz: f64, syllables: &[Syllable]) -> Vec<f32> {
    let mut noise = common::TestNoise::new(7);
    let mut out = Vec::new();
    let mut phase = 0.0f64;
    for syllable in syllables {
        let voiced = (syllable.voiced_ms * 1e-3 * sample_rate_hz) as usize;
        for n in 0..voiced {
            let t = n as f64 / sample_rate_hz;
            let f0 = syllable.f0_hz * (1.0 - 0.4 * t);
            phase += f0 / sample_rate_hz;
            // A quick onset and a long release into the breath, where the
            // periodicity fades slowly through the gate's threshold.
            let envelope = (t / 0.03).min(1.0) * ((voiced - n) as f64 / sample_rate_hz / 0.08).min(1.0).powi(2);
            let mut sample = 0.0;
            let mut k = 1;
            while k as f64 * f0 < 0.45 * sample_rate_hz && k <= 40 {
                let frequency = k as f64 * f0;
                let formants = [(700.0, 90.0), (1200.0, 120.0), (2600.0, 180.0)];
                let resonance: f64 = formants.iter().map(|&(c, w)| 1.0 / (1.0 + ((frequency - c) / w).powi(2))).sum();
                sample += (0.1 + resonance) / (k * k) as f64 * (2.0 * PI * k as f64 * phase).sin();
                k += 1;
            }
            // Breathy throughout, more so at the onset.
            let breath = (0.012 + 0.02 * (1.0 - (t / 0.06).min(1.0))) * noise.next() as f64;
            out.push((0.4 * envelope * sample + breath) as f32);
        }
        // A two-pole resonator around the fricative's colour.
        let unvoiced = (syllable.unvoiced_ms * 1e-3 * sample_rate_hz) as usize;
        let r = 0.9f64;
        let c = 2.0 * r * (2.0 * PI * syllable.hiss_hz / sample_rate_hz).cos();
        let (mut y1, mut y2) = (0.0f64, 0.0f64);
        for _ in 0..unvoiced {
            let y = noise.next() as f64 + c * y1 - r * r * y2;
            (y2, y1) = (y1, y);
            out.push((0.05 * y) as f32);
        }
    }
    out
}

#[test]
fn speech_like_alternation_switches_voicing_once_per_syllable() {
    let colours = [1500.0, 2500.0, 4000.0, 6000.0];
    let syllables: Vec<Syllable> = (0..16)
        .map(|i| Syllable {
            f0_hz: 110.0 + 15.0 * (i % 7) as f64,
            voiced_ms: 120.0 + 20.0 * (i % 5) as f64,
            unvoiced_ms: 60.0 + 15.0 * (i % 4) as f64,
            hiss_hz: colours[i % colours.len()],
        })
        .collect();
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        let signal = speech_like(sample_rate as f64, &syllables);
        let user = UserControls::default();
        let mut controls = FeatureControls::new(FRAME_RATE_HZ, &user);
        let dataset =
            DatasetStats { pitch_midi_quantiles: [48.0, 60.0, 72.0], loudness_db_quantiles: [-50.0, -30.0, -10.0] };
        let mut switches_on = 0;
        let mut was_voiced = false;
        for frame in track_clip(&signal, sample_rate, FRAME_RATE_HZ, PitchConfig::default()) {
            let raw =
                FeatureFrame { f0_hz: frame.estimate.f0_hz, confidence: frame.estimate.confidence, loudness_db: -20.0 };
            controls.process(&raw, &user, &dataset);
            let voiced = controls.is_voiced();
            switches_on += usize::from(voiced && !was_voiced);
            was_voiced = voiced;
        }
        assert_eq!(
            switches_on,
            syllables.len(),
            "{sample_rate} Hz: voicing switched on {switches_on} times for {} vowels",
            syllables.len()
        );
    }
}
