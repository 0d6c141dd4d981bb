//! The instrument parameter: which model plays. The bundled instruments by
//! name, or the checkpoint file the musician loaded. A host parameter, so
//! a song can automate a switch from flute to violin.

use ddsp_model::instruments::{bundled_instrument, BundledInstrument, DEFAULT_INSTRUMENT};
use nice_plug::prelude::Enum;

/// The instrument choice. Variant ids are saved in projects and never
/// change; new instruments are added before `LoadedFile`'s id-stable slot
/// (order may change, ids may not).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstrumentChoice {
    /// The bundled violin.
    #[id = "violin"]
    #[name = "Violin"]
    Violin,
    /// The bundled flute.
    #[id = "flute"]
    #[name = "Flute"]
    Flute,
    /// The bundled trumpet.
    #[id = "trumpet"]
    #[name = "Trumpet"]
    Trumpet,
    /// The bundled tenor saxophone.
    #[id = "tenor-sax"]
    #[name = "Tenor Sax"]
    TenorSax,
    /// The checkpoint file loaded in the editor (saved with the project).
    #[id = "loaded-file"]
    #[name = "Loaded File"]
    LoadedFile,
}

impl InstrumentChoice {
    /// The bundled instrument this choice plays; `None` for a loaded file.
    pub fn bundled(self) -> Option<&'static BundledInstrument> {
        let id = match self {
            Self::Violin => "violin",
            Self::Flute => "flute",
            Self::Trumpet => "trumpet",
            Self::TenorSax => "tenor-sax",
            Self::LoadedFile => return None,
        };
        bundled_instrument(id)
    }

    /// The name musicians see.
    pub fn label(self) -> &'static str {
        Self::variants()[self.to_index()]
    }

    /// The choice a new instance starts with: the default instrument.
    pub fn default_choice() -> Self {
        Self::all().into_iter().find(|choice| choice.bundled().is_some_and(|i| i.id == DEFAULT_INSTRUMENT)).unwrap()
    }

    /// Every choice, in the order the editor lists them.
    pub fn all() -> [Self; 5] {
        [Self::Violin, Self::Flute, Self::Trumpet, Self::TenorSax, Self::LoadedFile]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ddsp_model::instruments::BUNDLED_INSTRUMENTS;

    #[test]
    fn every_bundled_instrument_has_a_choice_with_its_id() {
        for instrument in &BUNDLED_INSTRUMENTS {
            let choice =
                InstrumentChoice::all().into_iter().find(|c| c.bundled().is_some_and(|b| b.id == instrument.id));
            assert!(choice.is_some(), "{} cannot be chosen", instrument.id);
        }
        assert_eq!(InstrumentChoice::default_choice().bundled().unwrap().id, DEFAULT_INSTRUMENT);
    }

    #[test]
    fn ids_are_stable() {
        // Saved in projects: changing any of these breaks them.
        assert_eq!(InstrumentChoice::ids().unwrap(), ["violin", "flute", "trumpet", "tenor-sax", "loaded-file"]);
    }
}
