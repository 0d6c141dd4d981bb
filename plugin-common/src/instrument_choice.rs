//! The instrument parameter both plugins share: which model plays, one of
//! `ddsp_model::instruments::BUNDLED_INSTRUMENTS` or the checkpoint file
//! the musician loaded, and how projects and automation from 0.1 keep
//! working as the library grows.
//!
//! Projects save a choice by its id (`"flute"`), so a saved choice survives
//! any change to the list. Host automation does not: a VST3 host records a
//! choice as `index / (count - 1)`, so adding instruments would move every
//! recorded point to another instrument. So the library's parameter has a
//! new id ([`INSTRUMENT_PARAM_ID`]), and 0.1's parameter stays, with its
//! five choices and its mapping, under its old id ([`INSTRUMENT_01_PARAM_ID`]):
//! a lane recorded in 0.1 still drives it, and the instrument that plays is
//! the one chosen last on either ([`InstrumentFollower`]). A project saved
//! by 0.1 opens on the parameter it was saved with ([`migrate_instrument`]).

use std::collections::BTreeMap;

use ddsp_model::instruments::{BundledInstrument, BUNDLED_INSTRUMENTS, DEFAULT_INSTRUMENT};
use nice_plug::plugin::ParamValue;
use nice_plug::prelude::{Enum, EnumParam};

/// The id of the library's instrument parameter (all bundled instruments).
pub const INSTRUMENT_PARAM_ID: &str = "instrument_v2";
/// The id of 0.1's instrument parameter, kept for its recorded automation.
pub const INSTRUMENT_01_PARAM_ID: &str = "instrument";

/// How many instruments ship.
pub const BUNDLED_COUNT: usize = BUNDLED_INSTRUMENTS.len();
/// Choices: the bundled instruments, then the loaded file.
const COUNT: usize = BUNDLED_COUNT + 1;
/// The loaded file's name and id.
const LOADED_FILE: (&str, &str) = ("Loaded File", "loaded-file");

/// Each choice's name or id: the bundled ones in the bundled order, then
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
/// Each choice's id (saved in projects; never changes).
const IDS: [&str; COUNT] = labels(true);

/// A bundled instrument by its index in `BUNDLED_INSTRUMENTS`, or the
/// loaded file (the last). An instrument added to the library is a choice
/// here with no change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstrumentChoice(usize);

impl InstrumentChoice {
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

    /// The choice saved as `id`, if there is one.
    pub fn from_id(id: &str) -> Option<Self> {
        IDS.iter().position(|&known| known == id).map(Self)
    }

    /// The choice a new instance starts with: the default instrument.
    pub fn default_choice() -> Self {
        Self::from_id(DEFAULT_INSTRUMENT).unwrap_or(Self(0))
    }

    /// Its index among the bundled instruments ([`BUNDLED_COUNT`] for the
    /// loaded file).
    pub fn index(self) -> usize {
        self.0
    }

    /// Every choice, in the order the editor lists them.
    pub fn all() -> impl Iterator<Item = Self> {
        (0..COUNT).map(Self)
    }
}

impl Enum for InstrumentChoice {
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

/// 0.1's instrument parameter: its five choices in its order, so the
/// values a host recorded on it keep their meaning. Never changes.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstrumentChoice01 {
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
    /// The checkpoint file loaded in the editor.
    #[id = "loaded-file"]
    #[name = "Loaded File"]
    LoadedFile,
}

impl InstrumentChoice01 {
    /// The library's choice for it (same id).
    pub fn choice(self) -> InstrumentChoice {
        let id = Self::ids().map_or("", |ids| ids[self.to_index()]);
        InstrumentChoice::from_id(id).unwrap_or_else(InstrumentChoice::default_choice)
    }
}

/// The library's instrument parameter, starting on the default instrument.
pub fn instrument_param() -> EnumParam<InstrumentChoice> {
    EnumParam::new("Instrument", InstrumentChoice::default_choice())
}

/// 0.1's instrument parameter, named so a musician tells it from the
/// library's in a host's list. Still automatable: recorded lanes play.
pub fn instrument_01_param() -> EnumParam<InstrumentChoice01> {
    EnumParam::new("Instrument (0.1 automation)", InstrumentChoice01::Violin)
}

/// Which instrument plays, given both parameters: the one that changed
/// last (the library's, when both change in one block). Plain fields, no
/// allocation: real-time safe.
#[derive(Clone, Copy, Debug)]
pub struct InstrumentFollower {
    /// The library parameter's value when last looked at.
    seen: InstrumentChoice,
    /// 0.1's parameter's value when last looked at.
    seen_01: InstrumentChoice01,
    /// What plays.
    playing: InstrumentChoice,
}

impl InstrumentFollower {
    /// Starts on the library parameter's value.
    pub fn new(choice: InstrumentChoice, choice_01: InstrumentChoice01) -> Self {
        Self { seen: choice, seen_01: choice_01, playing: choice }
    }

    /// The instrument to play now, given the parameters' current values.
    /// Real-time safe.
    pub fn follow(&mut self, choice: InstrumentChoice, choice_01: InstrumentChoice01) -> InstrumentChoice {
        if choice_01 != self.seen_01 {
            self.seen_01 = choice_01;
            self.playing = choice_01.choice();
        }
        if choice != self.seen {
            self.seen = choice;
            self.playing = choice;
        }
        self.playing
    }
}

impl Default for InstrumentFollower {
    fn default() -> Self {
        Self::new(InstrumentChoice::default_choice(), InstrumentChoice01::Violin)
    }
}

/// For `Plugin::filter_state`: a state saved before the library's parameter
/// existed opens on the instrument it was saved with (0.1's parameter's
/// value, copied to the library's). Other states are left as they are.
pub fn migrate_instrument(params: &mut BTreeMap<String, ParamValue>) {
    if params.contains_key(INSTRUMENT_PARAM_ID) {
        return;
    }
    if let Some(ParamValue::String(id)) = params.get(INSTRUMENT_01_PARAM_ID) {
        if InstrumentChoice::from_id(id).is_some() {
            let id = id.clone();
            params.insert(INSTRUMENT_PARAM_ID.to_owned(), ParamValue::String(id));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every bundled instrument is a choice under its own name and id, then
    /// the loaded file; out of range means the first.
    #[test]
    fn every_bundled_instrument_and_the_loaded_file_are_choices() {
        let ids: Vec<&str> = InstrumentChoice::all().filter_map(|c| c.bundled()).map(|i| i.id).collect();
        let bundled: Vec<&str> = BUNDLED_INSTRUMENTS.iter().map(|i| i.id).collect();
        assert_eq!(ids, bundled);
        assert_eq!(InstrumentChoice::variants()[1], BUNDLED_INSTRUMENTS[1].name);
        assert_eq!(InstrumentChoice::ids().unwrap().last(), Some(&"loaded-file"));
        assert_eq!(InstrumentChoice::all().last(), Some(InstrumentChoice::LOADED_FILE));
        assert_eq!(InstrumentChoice::LOADED_FILE.label(), "Loaded File");
        assert_eq!(InstrumentChoice::LOADED_FILE.bundled().map(|i| i.id), None);
        assert_eq!(InstrumentChoice::default_choice().bundled().unwrap().id, DEFAULT_INSTRUMENT);
        assert_eq!(InstrumentChoice::from_index(COUNT), InstrumentChoice(0));
    }

    /// The library parameter's choices in their order. A VST3 host records
    /// a choice as `index / (count - 1)`, so once a version with this list is
    /// released, the list is fixed: a longer library gets a new parameter
    /// beside this one, as 0.1's five choices did.
    #[test]
    fn the_library_parameter_keeps_its_choices() {
        assert_eq!(
            InstrumentChoice::ids().unwrap(),
            [
                "violin",
                "viola",
                "cello",
                "flute",
                "oboe",
                "clarinet",
                "bassoon",
                "trumpet",
                "muted-trumpet",
                "french-horn",
                "trombone",
                "tuba",
                "soprano-sax",
                "alto-sax",
                "tenor-sax",
                "baritone-sax",
                "voice-oohs",
                "loaded-file"
            ]
        );
    }

    /// 0.1's ids and order, which its recorded automation depends on, and
    /// each maps to the library's choice of the same id.
    #[test]
    fn the_0_1_parameter_keeps_its_choices_and_maps_by_id() {
        assert_eq!(InstrumentChoice01::ids().unwrap(), ["violin", "flute", "trumpet", "tenor-sax", "loaded-file"]);
        for (index, id) in InstrumentChoice01::ids().unwrap().iter().enumerate() {
            let choice = InstrumentChoice01::from_index(index).choice();
            assert_eq!(InstrumentChoice::ids().unwrap()[choice.to_index()], *id);
        }
    }

    /// The parameter that changed last decides; both at once: the library's.
    #[test]
    fn the_instrument_chosen_last_on_either_parameter_plays() {
        let by_id = |id| InstrumentChoice::from_id(id).unwrap();
        let mut follower = InstrumentFollower::new(by_id("violin"), InstrumentChoice01::Violin);
        assert_eq!(follower.follow(by_id("violin"), InstrumentChoice01::Violin), by_id("violin"));
        assert_eq!(follower.follow(by_id("violin"), InstrumentChoice01::Trumpet), by_id("trumpet"));
        // Nothing changed: the 0.1 lane's choice holds.
        assert_eq!(follower.follow(by_id("violin"), InstrumentChoice01::Trumpet), by_id("trumpet"));
        assert_eq!(follower.follow(by_id("flute"), InstrumentChoice01::Trumpet), by_id("flute"));
        assert_eq!(follower.follow(by_id("violin"), InstrumentChoice01::LoadedFile), by_id("violin"));
        assert_eq!(follower.follow(by_id("violin"), InstrumentChoice01::TenorSax), by_id("tenor-sax"));
    }

    /// A 0.1 state gains the library's parameter with its saved choice; a
    /// state that has it, or an unknown id, is left alone.
    #[test]
    fn states_without_the_library_parameter_take_the_0_1_choice() {
        let string = |s: &str| ParamValue::String(s.to_owned());
        let mut old = BTreeMap::from([(INSTRUMENT_01_PARAM_ID.to_owned(), string("flute"))]);
        migrate_instrument(&mut old);
        assert!(matches!(old.get(INSTRUMENT_PARAM_ID), Some(ParamValue::String(id)) if id == "flute"));

        let mut new = BTreeMap::from([
            (INSTRUMENT_01_PARAM_ID.to_owned(), string("flute")),
            (INSTRUMENT_PARAM_ID.to_owned(), string("trumpet")),
        ]);
        migrate_instrument(&mut new);
        assert!(matches!(new.get(INSTRUMENT_PARAM_ID), Some(ParamValue::String(id)) if id == "trumpet"));

        let mut unknown = BTreeMap::from([(INSTRUMENT_01_PARAM_ID.to_owned(), string("kazoo"))]);
        migrate_instrument(&mut unknown);
        assert!(!unknown.contains_key(INSTRUMENT_PARAM_ID));
    }
}
