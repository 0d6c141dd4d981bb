//! Test signals and helpers shared by the contract tests.
#![allow(dead_code)]

use std::f64::consts::PI;

use dsp_core::{Engine, EngineConfig};

/// Deterministic uniform noise in [−1, 1) (a tiny LCG; tests only).
pub struct TestNoise(u64);

impl TestNoise {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1))
    }

    pub fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
}

/// A steady harmonic tone: `num_harmonics` partials at 1/k, peak about 0.5.
pub fn harmonic_tone(f0_hz: f64, sample_rate_hz: f64, num_samples: usize, num_harmonics: usize) -> Vec<f32> {
    (0..num_samples)
        .map(|n| {
            let t = n as f64 / sample_rate_hz;
            (1..=num_harmonics)
                .filter(|&k| k as f64 * f0_hz < 0.45 * sample_rate_hz)
                .map(|k| 0.25 / k as f64 * (2.0 * PI * k as f64 * f0_hz * t).sin())
                .sum::<f64>() as f32
        })
        .collect()
}

/// The true pitch of [`voice_like`] at sample `n`, Hz: a slow melody between
/// about 140 and 420 Hz with 5.5 Hz vibrato of ±60 cents.
pub fn voice_f0_hz(n: usize, sample_rate_hz: f64) -> f64 {
    let t = n as f64 / sample_rate_hz;
    let melody_semitones = [0.0, 3.0, 7.0, 12.0, 10.0, 5.0, 14.0, 2.0, -3.0, 9.0];
    let note = (t / 0.45) as usize % melody_semitones.len();
    let base_midi = 52.0 + melody_semitones[note];
    let vibrato = 0.6 * (2.0 * PI * 5.5 * t).sin();
    440.0 * ((base_midi + vibrato - 69.0) / 12.0).exp2()
}

/// A voice-like signal: glottal-like harmonics (−12 dB/octave) shaped by
/// three moving formants, plus breath noise 30 dB down, following
/// [`voice_f0_hz`].
pub fn voice_like(sample_rate_hz: f64, num_samples: usize, seed: u64) -> Vec<f32> {
    let mut noise = TestNoise::new(seed);
    let mut phase = 0.0f64;
    (0..num_samples)
        .map(|n| {
            let t = n as f64 / sample_rate_hz;
            let f0 = voice_f0_hz(n, sample_rate_hz);
            phase += f0 / sample_rate_hz;
            // Formants glide between vowel shapes.
            let formants = [
                (600.0 + 250.0 * (2.0 * PI * 0.7 * t).sin(), 80.0),
                (1400.0 + 500.0 * (2.0 * PI * 0.4 * t).cos(), 120.0),
                (2600.0 + 200.0 * (2.0 * PI * 0.3 * t).sin(), 160.0),
            ];
            let mut sample = 0.0;
            let mut k = 1;
            while k as f64 * f0 < 0.45 * sample_rate_hz && k <= 60 {
                let frequency = k as f64 * f0;
                let resonance: f64 =
                    formants.iter().map(|&(centre, width)| 1.0 / (1.0 + ((frequency - centre) / width).powi(2))).sum();
                let source = 1.0 / (k * k) as f64;
                sample += (0.15 + resonance) * source * (2.0 * PI * k as f64 * phase).sin();
                k += 1;
            }
            (0.4 * sample + 0.012 * noise.next() as f64) as f32
        })
        .collect()
}

/// Runs `input` through `engine` in blocks of `block_size` (mono).
pub fn render_mono(engine: &mut Engine, input: &[f32], block_size: usize) -> Vec<f32> {
    let mut output = input.to_vec();
    for block in output.chunks_mut(block_size) {
        engine.process(&mut [block]);
    }
    output
}

/// A default engine config at `sample_rate_hz` with a decaying-noise reverb
/// impulse response of `ir_seconds`.
pub fn config_with_reverb(sample_rate_hz: f32, max_block: usize, ir_seconds: f32) -> EngineConfig {
    let mut config = EngineConfig::new(sample_rate_hz, max_block);
    let ir_rate = 16_000.0;
    let mut noise = TestNoise::new(99);
    config.reverb_ir = (0..(ir_seconds * ir_rate) as usize)
        .map(|n| 0.05 * noise.next() * (-(n as f32) / (0.3 * ir_rate)).exp())
        .collect();
    config.reverb_ir_rate_hz = ir_rate;
    config
}

/// A low reed-like tone with a weak fundamental: the fundamental 20 dB under
/// the 2nd harmonic, harmonics 2…24 at 1/k with the odd ones 10 dB down
/// (the even-heavy spectrum of a saxophone's low register), 5 Hz vibrato of
/// ±15 cents, breath noise 40 dB down. Peak about 0.5.
pub fn weak_fundamental_reed(f0_hz: f64, sample_rate_hz: f64, num_samples: usize, seed: u64) -> Vec<f32> {
    let mut noise = TestNoise::new(seed);
    let mut phase = 0.0f64;
    (0..num_samples)
        .map(|n| {
            let t = n as f64 / sample_rate_hz;
            let f0 = f0_hz * (0.15 / 12.0 * (2.0 * PI * 5.0 * t).sin()).exp2();
            phase += f0 / sample_rate_hz;
            let mut sample = 0.0;
            for k in 1..=24usize {
                if k as f64 * f0 >= 0.45 * sample_rate_hz {
                    break;
                }
                let amplitude = match k {
                    1 => 0.05,
                    _ if k % 2 == 1 => 0.316 / k as f64,
                    _ => 1.0 / k as f64,
                };
                sample += amplitude * (2.0 * PI * k as f64 * phase).sin();
            }
            (0.4 * sample + 0.005 * noise.next() as f64) as f32
        })
        .collect()
}

/// A low double-reed-like tone: harmonics 1…30 shaped by one formant at
/// 480 Hz (the bassoon's), so that for f0 below about 120 Hz the 4th–6th
/// harmonic dominates and the fundamental sits 25–40 dB under it, over a
/// −30 dB floor; 5 Hz vibrato of ±10 cents, breath noise 40 dB down.
pub fn formant_dominated_reed(f0_hz: f64, sample_rate_hz: f64, num_samples: usize, seed: u64) -> Vec<f32> {
    formant_reed(f0_hz, 480.0, 10.0, sample_rate_hz, num_samples, seed)
}

/// Harmonics 1…30 of `f0_hz` shaped by one formant at `formant_hz` (60 Hz
/// wide) over a −30 dB floor, 5 Hz vibrato of ±`vibrato_cents`, breath
/// noise 40 dB down.
pub fn formant_reed(
    f0_hz: f64,
    formant_hz: f64,
    vibrato_cents: f64,
    sample_rate_hz: f64,
    num_samples: usize,
    seed: u64,
) -> Vec<f32> {
    let mut noise = TestNoise::new(seed);
    let mut phase = 0.0f64;
    (0..num_samples)
        .map(|n| {
            let t = n as f64 / sample_rate_hz;
            let f0 = f0_hz * (vibrato_cents / 1200.0 * (2.0 * PI * 5.0 * t).sin()).exp2();
            phase += f0 / sample_rate_hz;
            let mut sample = 0.0;
            for k in 1..=30usize {
                let frequency = k as f64 * f0;
                if frequency >= 0.45 * sample_rate_hz {
                    break;
                }
                let formant = 1.0 / (1.0 + ((frequency - formant_hz) / 60.0).powi(2));
                sample += (0.03 + formant) * (2.0 * PI * k as f64 * phase).sin();
            }
            (0.3 * sample + 0.005 * noise.next() as f64) as f32
        })
        .collect()
}

/// A reed attack that sounds an octave below its note and settles into
/// it: harmonics 1…16 of `f0_hz` at 1/k, plus partials halfway between
/// them (the odd multiples of `f0_hz / 2`) that start `start_db` above
/// their neighbours and fall by `fall_db_per_10_ms` (period doubling dying
/// away, as in recorded tenor and baritone saxophone attacks); breath noise
/// 40 dB down. Peak about 0.5.
pub fn period_doubled_attack(
    f0_hz: f64,
    sample_rate_hz: f64,
    num_samples: usize,
    start_db: f64,
    fall_db_per_10_ms: f64,
    seed: u64,
) -> Vec<f32> {
    let gain = |half_multiple: usize, ms: f64| {
        // The harmonic at or just above this partial.
        let amplitude = 1.0 / half_multiple.div_ceil(2) as f64;
        if half_multiple.is_multiple_of(2) {
            amplitude
        } else {
            amplitude * 10f64.powf((start_db - fall_db_per_10_ms * ms / 10.0) / 20.0)
        }
    };
    partials_tone(0.5 * f0_hz, sample_rate_hz, num_samples, gain, seed)
}

/// Partials at multiples 1…32 of `base_hz` below 45 % of the rate, the m-th
/// at amplitude `gain(m, ms)` at `ms` into the note (a harmonic tone whose
/// balance changes over time; `1/m` is a plain one); breath noise 40 dB
/// down. Peak about 0.5 for gains near 1/m.
pub fn partials_tone(
    base_hz: f64,
    sample_rate_hz: f64,
    num_samples: usize,
    gain: impl Fn(usize, f64) -> f64,
    seed: u64,
) -> Vec<f32> {
    let mut noise = TestNoise::new(seed);
    (0..num_samples)
        .map(|n| {
            let t = n as f64 / sample_rate_hz;
            let sample: f64 = (1..=32usize)
                .filter(|&m| m as f64 * base_hz < 0.45 * sample_rate_hz)
                .map(|m| gain(m, t * 1e3) * (2.0 * PI * m as f64 * base_hz * t).sin())
                .sum();
            (0.2 * sample + 0.005 * noise.next() as f64) as f32
        })
        .collect()
}
