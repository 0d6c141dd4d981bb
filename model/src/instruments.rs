//! The default instruments, built into the program: trained by
//! `cargo xtask default-instruments` (see `assets/README.md`) and embedded
//! at compile time, so the plugin and `ddsp render` play them with no files
//! to install and no paths to configure.

use crate::checkpoint::{parse_checkpoint, Checkpoint, CheckpointError};

/// A shipped instrument.
#[derive(Clone, Copy, Debug)]
pub struct BundledInstrument {
    /// Stable identifier (the `--model` name, the asset's file stem and the
    /// id saved in projects).
    pub id: &'static str,
    /// Name shown to musicians.
    pub name: &'static str,
    /// The family it is listed under.
    pub family: Family,
    /// Lowest and highest MIDI note it was trained on (its comfortable
    /// sounding range; it plays outside it, less like itself).
    pub range_midi: (u8, u8),
    /// The checkpoint file's bytes.
    pub bytes: &'static [u8],
}

/// The families the instruments are listed under, in listing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    /// Bowed strings.
    Strings,
    /// Flutes and reeds other than saxophones.
    Woodwinds,
    /// Brass.
    Brass,
    /// Saxophones.
    Saxophones,
    /// Sung voices.
    Voices,
}

impl Family {
    /// Every family, in listing order.
    pub const ALL: [Family; 5] =
        [Family::Strings, Family::Woodwinds, Family::Brass, Family::Saxophones, Family::Voices];

    /// Its bundled instruments, in listing order.
    pub fn members(self) -> impl Iterator<Item = &'static BundledInstrument> {
        BUNDLED_INSTRUMENTS.iter().filter(move |instrument| instrument.family == self)
    }

    /// The family's name as musicians read it.
    pub fn name(self) -> &'static str {
        match self {
            Family::Strings => "Strings",
            Family::Woodwinds => "Woodwinds",
            Family::Brass => "Brass",
            Family::Saxophones => "Saxophones",
            Family::Voices => "Voices",
        }
    }
}

/// A [`BundledInstrument`] embedding `assets/instruments/<id>.safetensors`.
macro_rules! bundled {
    ($id:literal, $name:literal, $family:ident, $low:literal..=$high:literal) => {
        BundledInstrument {
            id: $id,
            name: $name,
            family: Family::$family,
            range_midi: ($low, $high),
            bytes: include_bytes!(concat!("../../assets/instruments/", $id, ".safetensors")),
        }
    };
}

/// Every shipped instrument, in the order musicians see them: by family,
/// high to low within one.
pub const BUNDLED_INSTRUMENTS: [BundledInstrument; 17] = [
    bundled!("violin", "Violin", Strings, 55..=93),
    bundled!("viola", "Viola", Strings, 48..=84),
    bundled!("cello", "Cello", Strings, 36..=76),
    bundled!("flute", "Flute", Woodwinds, 60..=93),
    bundled!("oboe", "Oboe", Woodwinds, 58..=91),
    bundled!("clarinet", "Clarinet", Woodwinds, 50..=89),
    bundled!("bassoon", "Bassoon", Woodwinds, 34..=55),
    bundled!("trumpet", "Trumpet", Brass, 55..=82),
    bundled!("muted-trumpet", "Muted trumpet", Brass, 55..=82),
    bundled!("french-horn", "French horn", Brass, 45..=77),
    bundled!("trombone", "Trombone", Brass, 40..=72),
    bundled!("tuba", "Tuba", Brass, 33..=60),
    bundled!("soprano-sax", "Soprano saxophone", Saxophones, 56..=87),
    bundled!("alto-sax", "Alto saxophone", Saxophones, 49..=80),
    bundled!("tenor-sax", "Tenor saxophone", Saxophones, 44..=75),
    bundled!("baritone-sax", "Baritone saxophone", Saxophones, 36..=69),
    bundled!("voice-oohs", "Voice (ooh)", Voices, 48..=76),
];

/// The instrument played when none is chosen.
pub const DEFAULT_INSTRUMENT: &str = "violin";

/// The shipped instrument `id`, if there is one.
pub fn bundled_instrument(id: &str) -> Option<&'static BundledInstrument> {
    BUNDLED_INSTRUMENTS.iter().find(|instrument| instrument.id == id)
}

impl BundledInstrument {
    /// Parses and validates the embedded checkpoint. Allocates: never on
    /// the audio thread.
    pub fn checkpoint(&self) -> Result<Checkpoint, CheckpointError> {
        parse_checkpoint(self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shipped instrument loads, is named as listed, carries its
    /// training statistics, and can be hot-swapped with every other (same
    /// frame rate, model rate and noise bands).
    #[test]
    fn every_bundled_instrument_loads_and_they_are_interchangeable() {
        let first = BUNDLED_INSTRUMENTS[0].checkpoint().unwrap();
        for instrument in &BUNDLED_INSTRUMENTS {
            let checkpoint = instrument.checkpoint().unwrap();
            assert_eq!(checkpoint.info.name, instrument.name);
            assert_ne!(checkpoint.info.dataset.pitch_midi_quantiles, [48.0, 60.0, 72.0], "untrained statistics");
            let (a, b) = (&checkpoint.info.config, &first.info.config);
            assert_eq!(
                (a.frame_rate_hz, a.model_rate_hz, a.num_noise_bands),
                (b.frame_rate_hz, b.model_rate_hz, b.num_noise_bands)
            );
        }
        assert!(bundled_instrument(DEFAULT_INSTRUMENT).is_some());
        let total: usize = BUNDLED_INSTRUMENTS.iter().map(|i| i.bytes.len()).sum();
        assert!(total < 25_000_000, "{total} bytes of instruments");
    }

    /// Everything `assets/` ships (models, their logs and curves, the
    /// held-out excerpts, the example) stays under 25 MB.
    #[test]
    fn assets_stay_under_25_mb() {
        let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets");
        let total: u64 = walkdir::WalkDir::new(&assets)
            .into_iter()
            .filter_map(Result::ok)
            .filter_map(|entry| entry.metadata().ok())
            .filter(|metadata| metadata.is_file())
            .map(|metadata| metadata.len())
            .sum();
        assert!(total > 1_000_000, "assets/ not found at {}", assets.display());
        assert!(total < 25_000_000, "{total} bytes in assets/");
    }
}
