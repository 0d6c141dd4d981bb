//! The default instruments, built into the program: trained by
//! `cargo xtask default-instruments` (see `assets/README.md`) and embedded
//! at compile time, so the plugin and `ddsp render` play them with no files
//! to install and no paths to configure.

use crate::checkpoint::{parse_checkpoint, Checkpoint, CheckpointError};

/// A shipped instrument.
#[derive(Clone, Copy, Debug)]
pub struct BundledInstrument {
    /// Stable identifier (the `--model` name and the asset's file stem).
    pub id: &'static str,
    /// Name shown to musicians.
    pub name: &'static str,
    /// The checkpoint file's bytes.
    pub bytes: &'static [u8],
}

/// A [`BundledInstrument`] embedding `assets/instruments/<id>.safetensors`.
macro_rules! bundled {
    ($id:literal, $name:literal) => {
        BundledInstrument {
            id: $id,
            name: $name,
            bytes: include_bytes!(concat!("../../assets/instruments/", $id, ".safetensors")),
        }
    };
}

/// Every shipped instrument, in the order musicians see them.
pub const BUNDLED_INSTRUMENTS: [BundledInstrument; 4] = [
    bundled!("violin", "Violin"),
    bundled!("flute", "Flute"),
    bundled!("trumpet", "Trumpet"),
    bundled!("tenor-sax", "Tenor saxophone"),
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
}
