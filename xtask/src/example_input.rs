//! The README's example input: a few seconds of a sung-like monophonic
//! melody, synthesized here so its origin and licence are ours (the
//! project's licence). Glottal-like harmonics through moving vowel formants,
//! vibrato, swells and a little breath: close to what a voice gives the
//! plugin, and fully reproducible.

use std::f64::consts::PI;
use std::path::Path;

/// Where the example lives, relative to the workspace root.
pub const PATH: &str = "assets/examples/melody.wav";
const SAMPLE_RATE: u32 = 44_100;
/// (MIDI note, seconds) of "Frère Jacques"' first two bars, sung slowly.
const MELODY: [(f64, f64); 8] =
    [(60.0, 0.5), (62.0, 0.5), (64.0, 0.5), (60.0, 0.5), (60.0, 0.5), (62.0, 0.5), (64.0, 0.5), (60.0, 0.9)];

/// Writes the example as 16-bit mono WAV at 44.1 kHz.
pub fn write(path: &Path) -> Result<(), hound::Error> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec)?;
    let rate = SAMPLE_RATE as f64;
    let mut phase = 0.0f64;
    let mut noise_state = 0x1234_5678u32;
    let mut note_start = 0.0;
    for &(midi, seconds) in &MELODY {
        let num_samples = (seconds * rate) as usize;
        for n in 0..num_samples {
            let t_note = n as f64 / rate;
            let t = note_start + t_note;
            // Vibrato fades in after the attack.
            let vibrato = 0.3 * (t_note / 0.25).min(1.0) * (2.0 * PI * 5.5 * t).sin();
            let f0 = 440.0 * ((midi + vibrato - 69.0) / 12.0).exp2();
            phase += f0 / rate;
            // Swell in, hold, and release at the end of each note.
            let envelope = (t_note / 0.04).min(1.0) * ((seconds - t_note) / 0.06).clamp(0.0, 1.0);
            let formants =
                [(700.0 + 200.0 * (1.3 * t).sin(), 90.0), (1200.0 + 300.0 * (0.9 * t).cos(), 120.0), (2600.0, 180.0)];
            let mut voiced = 0.0;
            let mut k = 1;
            while k as f64 * f0 < 0.45 * rate && k <= 40 {
                let frequency = k as f64 * f0;
                let resonance: f64 = formants.iter().map(|&(c, w)| 1.0 / (1.0 + ((frequency - c) / w).powi(2))).sum();
                voiced += (0.1 + resonance) / (k * k) as f64 * (2.0 * PI * k as f64 * phase).sin();
                k += 1;
            }
            noise_state = noise_state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let breath = ((noise_state >> 8) as f64 / (1u32 << 24) as f64 - 0.5) * 0.01;
            let sample = 0.45 * envelope * voiced + breath * envelope;
            writer.write_sample((sample.clamp(-1.0, 1.0) * 32_767.0) as i16)?;
        }
        note_start += seconds;
    }
    writer.finalize()
}
