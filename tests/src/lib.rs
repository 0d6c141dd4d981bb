//! End-to-end tests across the workspace's crates live in `tests/tests/`;
//! this library holds what they share.

pub mod clap_host;
pub mod editor_window;
/// The allocation guard installs this crate's global allocator: a build
/// that brings its own (nice-plug's `assert_process_allocs`) turns the
/// `realtime-guard` feature off.
#[cfg(feature = "realtime-guard")]
pub mod realtime_guard;
pub mod state;
pub mod vst3;

/// A deterministic sung-like test melody: a 1/k harmonic tone with 5.5 Hz
/// vibrato that moves through `notes_midi`, `note_seconds` each.
pub fn sung_melody(sample_rate_hz: f64, notes_midi: &[f64], note_seconds: f64) -> Vec<f32> {
    let num_samples = (notes_midi.len() as f64 * note_seconds * sample_rate_hz) as usize;
    let mut phase = 0.0f64;
    (0..num_samples)
        .map(|n| {
            let t = n as f64 / sample_rate_hz;
            let note = notes_midi[((t / note_seconds) as usize).min(notes_midi.len() - 1)];
            let midi = note + 0.4 * (2.0 * std::f64::consts::PI * 5.5 * t).sin();
            let f0 = 440.0 * ((midi - 69.0) / 12.0).exp2();
            phase += f0 / sample_rate_hz;
            (1..=12)
                .filter(|&k| k as f64 * f0 < 0.45 * sample_rate_hz)
                .map(|k| 0.2 / k as f64 * (2.0 * std::f64::consts::PI * k as f64 * phase).sin())
                .sum::<f64>() as f32
        })
        .collect()
}

/// A decaying-noise reverb impulse response of `seconds` at `rate_hz`.
pub fn test_reverb_ir(seconds: f32, rate_hz: f32) -> Vec<f32> {
    let mut rng = CaseRng::new(99);
    (0..(seconds * rate_hz) as usize)
        .map(|n| 0.05 * rng.between(-1.0, 1.0) as f32 * (-(n as f32) / (0.3 * rate_hz)).exp())
        .collect()
}

/// Root mean square of `signal` (0 for an empty one).
pub fn rms(signal: &[f32]) -> f32 {
    (signal.iter().map(|x| x * x).sum::<f32>() / signal.len().max(1) as f32).sqrt()
}

/// Seeded choices for randomised test cases (splitmix64). Why our own: a
/// seed must name the same case in every version, whatever happens to a
/// random-number crate's sequences.
#[derive(Clone, Debug)]
pub struct CaseRng {
    state: u64,
}

impl CaseRng {
    /// A generator whose sequence is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize
    }

    /// Uniform in [`low`, `high`).
    pub fn between(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }
}

/// Input a host, a cable or a musician may throw at the plugin.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Torture {
    /// Digital silence.
    Silence,
    /// Full-scale DC (+1).
    Dc,
    /// Full-scale uniform white noise.
    WhiteNoise,
    /// A 110 Hz sine driven 20 dB into clipping: a full-scale square.
    ClippedSquare,
    /// A full-scale exponential sine sweep from 20 Hz to 20 kHz (or 0.45 of
    /// the rate, if lower).
    Sweep,
    /// Every sample NaN.
    NaN,
    /// Every sample +inf.
    PositiveInfinity,
    /// Every sample −inf.
    NegativeInfinity,
    /// Subnormal floats of random sign and size.
    Denormals,
    /// Random bit patterns: NaNs, infinities, huge, tiny and normal values.
    Garbage,
}

impl Torture {
    /// Every kind, in a fixed order.
    pub const ALL: [Torture; 10] = [
        Torture::Silence,
        Torture::Dc,
        Torture::WhiteNoise,
        Torture::ClippedSquare,
        Torture::Sweep,
        Torture::NaN,
        Torture::PositiveInfinity,
        Torture::NegativeInfinity,
        Torture::Denormals,
        Torture::Garbage,
    ];

    /// `num_samples` of this input at `sample_rate_hz`, from `seed`.
    pub fn signal(self, sample_rate_hz: f64, num_samples: usize, seed: u64) -> Vec<f32> {
        let mut rng = CaseRng::new(seed);
        let top_hz = 20_000.0f64.min(0.45 * sample_rate_hz);
        let duration_s = num_samples as f64 / sample_rate_hz;
        let mut phase = 0.0f64;
        (0..num_samples)
            .map(|n| {
                let t = n as f64 / sample_rate_hz;
                match self {
                    Torture::Silence => 0.0,
                    Torture::Dc => 1.0,
                    Torture::WhiteNoise => rng.between(-1.0, 1.0) as f32,
                    Torture::ClippedSquare => {
                        (10.0 * (2.0 * std::f64::consts::PI * 110.0 * t).sin()).clamp(-1.0, 1.0) as f32
                    }
                    Torture::Sweep => {
                        let f_hz = 20.0 * (top_hz / 20.0).powf(t / duration_s);
                        phase += f_hz / sample_rate_hz;
                        (2.0 * std::f64::consts::PI * phase).sin() as f32
                    }
                    Torture::NaN => f32::NAN,
                    Torture::PositiveInfinity => f32::INFINITY,
                    Torture::NegativeInfinity => f32::NEG_INFINITY,
                    Torture::Denormals => {
                        let bits = (rng.next_u64() as u32) & 0x807F_FFFF; // exponent 0
                        f32::from_bits(bits | 1)
                    }
                    Torture::Garbage => f32::from_bits(rng.next_u64() as u32),
                }
            })
            .collect()
    }
}

/// The shared library `cargo test` built for the plugin crate whose library
/// is `lib_name` (`ddsp_plugin`, `ddsp_synth`), next to the running test:
/// `lib….so` on Linux, `lib….dylib` on macOS, `….dll` on Windows; the
/// newest if several.
pub fn plugin_library(lib_name: &str) -> std::path::PathBuf {
    use std::env::consts::{DLL_PREFIX, DLL_SUFFIX};
    let deps = std::env::current_exe().unwrap().parent().unwrap().to_owned();
    let mut candidates: Vec<std::path::PathBuf> = std::fs::read_dir(&deps)
        .unwrap()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with(&format!("{DLL_PREFIX}{lib_name}")) && name.ends_with(DLL_SUFFIX)
        })
        .collect();
    candidates.sort_by_key(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok());
    candidates.pop().unwrap_or_else(|| {
        panic!("cargo test builds the plugin's cdylib ({DLL_PREFIX}{lib_name}*{DLL_SUFFIX}) beside the test binary")
    })
}
