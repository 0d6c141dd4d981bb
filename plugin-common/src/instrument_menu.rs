//! The editors' instrument menu: the bundled instruments under their
//! family's heading, each with the pitch range it was trained on, then the
//! loaded file. Picking one sets the instrument parameter as a host
//! gesture, so the host records it.

use ddsp_model::instruments::Family;
use dsp_core::pitch_units::note_name;
use egui::RichText;
use nice_plug::prelude::{EnumParam, ParamSetter};

use crate::instrument_choice::InstrumentChoice;

/// Width of the closed menu, points.
const MENU_WIDTH_POINTS: f32 = 170.0;

/// The menu entry of a bundled instrument: its name and its range
/// (`"Violin  G3–A6"`), or the choice's name.
pub fn menu_entry(choice: InstrumentChoice) -> String {
    match choice.bundled() {
        Some(instrument) => {
            let (low, high) = instrument.range_midi;
            format!("{}  {}–{}", instrument.name, note_name(low as f32), note_name(high as f32))
        }
        None => choice.label().to_owned(),
    }
}

/// Draws the menu over `param`. Runs on the editor's thread.
pub fn instrument_menu(ui: &mut egui::Ui, setter: &ParamSetter, param: &EnumParam<InstrumentChoice>) {
    let current = param.value();
    let pick = |ui: &mut egui::Ui, choice: InstrumentChoice| {
        if ui.selectable_label(choice == current, menu_entry(choice)).clicked() && choice != current {
            setter.begin_set_parameter(param);
            setter.set_parameter(param, choice);
            setter.end_set_parameter(param);
        }
    };
    egui::ComboBox::from_id_salt("instrument").selected_text(current.label()).width(MENU_WIDTH_POINTS).show_ui(
        ui,
        |ui| {
            for family in Family::ALL {
                let mut members = family.members().filter_map(|i| InstrumentChoice::from_id(i.id)).peekable();
                if members.peek().is_none() {
                    continue;
                }
                ui.label(RichText::new(family.name()).small().weak());
                for choice in members {
                    pick(ui, choice);
                }
            }
            ui.separator();
            pick(ui, InstrumentChoice::LOADED_FILE);
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use ddsp_model::instruments::BUNDLED_INSTRUMENTS;

    /// The bundled list is already grouped: each family's instruments sit
    /// together, families in listing order, so the menu's order is the
    /// parameter's.
    #[test]
    fn bundled_instruments_are_listed_family_by_family() {
        let families: Vec<Family> = BUNDLED_INSTRUMENTS.iter().map(|i| i.family).collect();
        assert!(families.windows(2).all(|pair| pair[0] <= pair[1]), "{families:?}");
    }

    #[test]
    fn entries_name_the_range() {
        let violin = InstrumentChoice::from_id("violin").unwrap();
        assert_eq!(menu_entry(violin), "Violin  G3–A6");
        assert_eq!(menu_entry(InstrumentChoice::LOADED_FILE), "Loaded File");
    }
}
