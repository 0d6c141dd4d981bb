//! The synth's instrument parameter: which bundled instrument plays. Its
//! choices are `ddsp_model::instruments::BUNDLED_INSTRUMENTS`, names and
//! ids (the ids saved in projects, the effect's), so an instrument added
//! there is playable here with no change.

use ddsp_model::instruments::{BundledInstrument, BUNDLED_INSTRUMENTS, DEFAULT_INSTRUMENT};
use nice_plug::prelude::Enum;

/// How many instruments ship.
const COUNT: usize = BUNDLED_INSTRUMENTS.len();

/// Each bundled instrument's name, in the bundled order.
const NAMES: [&str; COUNT] = {
    let mut names = [""; COUNT];
    let mut index = 0;
    while index < COUNT {
        names[index] = BUNDLED_INSTRUMENTS[index].name;
        index += 1;
    }
    names
};

/// Each bundled instrument's id, in the bundled order.
const IDS: [&str; COUNT] = {
    let mut ids = [""; COUNT];
    let mut index = 0;
    while index < COUNT {
        ids[index] = BUNDLED_INSTRUMENTS[index].id;
        index += 1;
    }
    ids
};

/// A bundled instrument, by its index in `BUNDLED_INSTRUMENTS` (which is
/// also the synth's instrument index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynthInstrumentChoice(usize);

impl SynthInstrumentChoice {
    /// The bundled instrument it plays.
    pub fn bundled(self) -> &'static BundledInstrument {
        &BUNDLED_INSTRUMENTS[self.0]
    }

    /// The choice a new instance starts with: the default instrument.
    pub fn default_choice() -> Self {
        Self(IDS.iter().position(|&id| id == DEFAULT_INSTRUMENT).unwrap_or(0))
    }

    /// Its index among the bundled instruments.
    pub fn index(self) -> usize {
        self.0
    }

    /// Every choice, in the bundled order.
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

    /// Every bundled instrument is a choice under its own name and id; out
    /// of range means the first.
    #[test]
    fn every_bundled_instrument_is_a_choice() {
        let ids: Vec<&str> = SynthInstrumentChoice::all().map(|c| c.bundled().id).collect();
        let bundled: Vec<&str> = BUNDLED_INSTRUMENTS.iter().map(|i| i.id).collect();
        assert_eq!(ids, bundled);
        assert_eq!(SynthInstrumentChoice::variants()[1], BUNDLED_INSTRUMENTS[1].name);
        assert_eq!(SynthInstrumentChoice::default_choice().bundled().id, DEFAULT_INSTRUMENT);
        assert_eq!(SynthInstrumentChoice::from_index(COUNT), SynthInstrumentChoice(0));
    }
}
