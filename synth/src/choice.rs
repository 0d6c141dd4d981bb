//! The synth's instrument parameter: which instrument plays. Its choices
//! are `ddsp_model::instruments::BUNDLED_INSTRUMENTS`, names and ids (the
//! ids saved in projects, the effect's), so an instrument added there is
//! playable here with no change, then "Loaded File", the checkpoint the
//! musician loaded (id `loaded-file`, as in the effect).

use ddsp_model::instruments::{BundledInstrument, BUNDLED_INSTRUMENTS, DEFAULT_INSTRUMENT};
use nice_plug::prelude::Enum;

/// How many instruments ship.
pub const BUNDLED_COUNT: usize = BUNDLED_INSTRUMENTS.len();
/// Choices: the bundled instruments, then the loaded file.
const COUNT: usize = BUNDLED_COUNT + 1;
/// The loaded file's name and id (the effect's).
const LOADED_FILE: (&str, &str) = ("Loaded File", "loaded-file");

/// Each choice's name and id: the bundled ones in the bundled order, then
/// the loaded file.
const fn labels(id: bool) -> [&'static str; COUNT] {
    let mut labels = [""; COUNT];
    let mut index = 0;
    while index < BUNDLED_COUNT {
        let instrument = &BUNDLED_INSTRUMENTS[index];
        labels[index] = if id { instrument.id } else { instrument.name };
        index += 1;
    }
    labels[BUNDLED_COUNT] = if id { LOADED_FILE.1 } else { LOADED_FILE.0 };
    labels
}

/// Each choice's name.
const NAMES: [&str; COUNT] = labels(false);
/// Each choice's id.
const IDS: [&str; COUNT] = labels(true);

/// A bundled instrument by its index in `BUNDLED_INSTRUMENTS` (which is
/// also the synth's instrument index), or the loaded file (the last).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynthInstrumentChoice(usize);

impl SynthInstrumentChoice {
    /// The checkpoint file the musician loaded.
    pub const LOADED_FILE: Self = Self(BUNDLED_COUNT);

    /// The bundled instrument it plays; `None` for the loaded file.
    pub fn bundled(self) -> Option<&'static BundledInstrument> {
        BUNDLED_INSTRUMENTS.get(self.0)
    }

    /// The name musicians see.
    pub fn label(self) -> &'static str {
        NAMES[self.0]
    }

    /// The choice a new instance starts with: the default instrument.
    pub fn default_choice() -> Self {
        Self(IDS.iter().position(|&id| id == DEFAULT_INSTRUMENT).unwrap_or(0))
    }

    /// Its index among the bundled instruments.
    pub fn index(self) -> usize {
        self.0
    }

    /// Every choice, in the order the editor lists them.
    pub fn all() -> impl Iterator<Item = Self> {
        (0..COUNT).map(Self)
    }
}

impl Enum for SynthInstrumentChoice {
    fn variants() -> &'static [&'static str] {
        &NAMES
    }

    fn ids() -> Option<&'static [&'static str]> {
        Some(&IDS)
    }

    fn to_index(self) -> usize {
        self.0
    }

    fn from_index(index: usize) -> Self {
        Self(if index < COUNT { index } else { 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every bundled instrument is a choice under its own name and id, then
    /// the loaded file under the effect's; out of range means the first.
    #[test]
    fn every_bundled_instrument_and_the_loaded_file_are_choices() {
        let ids: Vec<&str> = SynthInstrumentChoice::all().filter_map(|c| c.bundled()).map(|i| i.id).collect();
        let bundled: Vec<&str> = BUNDLED_INSTRUMENTS.iter().map(|i| i.id).collect();
        assert_eq!(ids, bundled);
        assert_eq!(SynthInstrumentChoice::variants()[1], BUNDLED_INSTRUMENTS[1].name);
        assert_eq!(SynthInstrumentChoice::ids().unwrap().last(), Some(&"loaded-file"));
        assert_eq!(SynthInstrumentChoice::all().last(), Some(SynthInstrumentChoice::LOADED_FILE));
        assert_eq!(SynthInstrumentChoice::LOADED_FILE.label(), "Loaded File");
        assert_eq!(SynthInstrumentChoice::LOADED_FILE.bundled().map(|i| i.id), None);
        assert_eq!(SynthInstrumentChoice::default_choice().bundled().unwrap().id, DEFAULT_INSTRUMENT);
        assert_eq!(SynthInstrumentChoice::from_index(COUNT), SynthInstrumentChoice(0));
    }
}
