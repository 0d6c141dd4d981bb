//! Renders MIDI files to WAV with the `fluidsynth` program and a SoundFont
//! from Debian's packages. Why a subprocess and not a Rust SoundFont
//! synth: fluidsynth is the reference player of these SoundFonts (it reads
//! the compressed `.sf3` of the held-out set too), and data preparation is
//! offline, so its cost is irrelevant.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// Rate every training and validation file is rendered at, Hz.
pub const RENDER_RATE_HZ: u32 = 48_000;

/// The SoundFont the default instruments learn from (Debian `fluid-soundfont-gm`).
pub const TRAINING_SOUNDFONT: &str = "/usr/share/sounds/sf2/FluidR3_GM.sf2";
/// Other recordings of the same instruments, for held-out validation
/// (Debian `musescore-general-soundfont`).
pub const VALIDATION_SOUNDFONT: &str = "/usr/share/sounds/sf3/MuseScore_General.sf3";

/// The SoundFonts held-out melodies are rendered through: name, path,
/// Debian package.
pub const SOUNDFONTS: [(&str, &str, &str); 3] = [
    ("FluidR3", TRAINING_SOUNDFONT, "fluid-soundfont-gm"),
    ("MuseScore General", VALIDATION_SOUNDFONT, "musescore-general-soundfont"),
    ("TimGM6mb", "/usr/share/sounds/sf2/TimGM6mb.sf2", "timgm6mb-soundfont"),
];

/// Renders `midi` with `soundfont` into `wav` (mono-summable stereo, 16
/// bit, [`RENDER_RATE_HZ`]); dry: the synth's reverb and chorus are off.
pub fn render(soundfont: &Path, midi: &Path, wav: &Path) -> Result<()> {
    render_at(soundfont, midi, wav, RENDER_RATE_HZ)
}

/// [`render`] at `rate_hz`.
pub fn render_at(soundfont: &Path, midi: &Path, wav: &Path, rate_hz: u32) -> Result<()> {
    for (path, package) in
        [(soundfont, "the SoundFont's Debian package"), (Path::new("/usr/bin/fluidsynth"), "fluidsynth")]
    {
        if !path.exists() {
            bail!("{} is missing: install {package} (apt-get install fluidsynth fluid-soundfont-gm musescore-general-soundfont)", path.display());
        }
    }
    let status = Command::new("fluidsynth")
        .args(["-n", "-i", "-q", "-g", "0.5", "-o", "synth.reverb.active=0", "-o", "synth.chorus.active=0"])
        .args(["-r", &rate_hz.to_string(), "-F"])
        .arg(wav)
        .arg(soundfont)
        .arg(midi)
        .status()
        .context("running fluidsynth")?;
    if !status.success() {
        bail!("fluidsynth failed on {} ({status})", midi.display());
    }
    Ok(())
}

/// Peak level rendered files are normalised to, dBFS.
pub const PEAK_DBFS: f32 = -1.0;

/// Scales the 16-bit WAV at `path` so its peak sits at [`PEAK_DBFS`]:
/// General MIDI renders come out 20–30 dB below a typical recording, and the
/// model's loudness range should match what musicians feed it.
pub fn normalise(path: &Path) -> Result<()> {
    let mut reader = hound::WavReader::open(path)?;
    let spec = reader.spec();
    let samples: Vec<i16> = reader.samples::<i16>().collect::<Result<_, _>>()?;
    let peak = samples.iter().map(|&s| (s as i32).abs()).max().unwrap_or(0).max(1) as f32;
    let gain = 10f32.powf(PEAK_DBFS / 20.0) * i16::MAX as f32 / peak;
    let mut writer = hound::WavWriter::create(path, spec)?;
    for sample in samples {
        writer.write_sample((sample as f32 * gain).round().clamp(i16::MIN as f32, i16::MAX as f32) as i16)?;
    }
    writer.finalize()?;
    Ok(())
}

/// Where generated data lives: ignored by git, reproducible by the xtask.
pub fn data_dir() -> PathBuf {
    PathBuf::from("target/instrument-data")
}
