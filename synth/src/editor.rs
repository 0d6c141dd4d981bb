//! The synth's editor (egui): the instrument, how notes take voices, the
//! envelope, expression and output, every control a host parameter, how
//! many voices are sounding, and the model file "Loaded File" plays (a
//! typed path or the built-in browser, as in the effect).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ddsp_plugin_common::editor_host::{DrawEditor, EditorHost};
use ddsp_plugin_common::model_picker::{ModelFilePicker, ACCENT};
use ddsp_plugin_common::status::{ModelOrigin, ModelStatus};
use egui::RichText;
use nice_plug::prelude::*;
use nice_plug_egui::widgets::ParamSlider;
use nice_plug_egui::{create_egui_editor, EguiEditor, EguiEditorState, EguiNiceSettings, RepaintNotifier};

use crate::params::SynthParams;
use ddsp_plugin_common::instrument_choice::InstrumentChoice;
use ddsp_plugin_common::instrument_menu::instrument_menu;

/// Logical size of the editor window, points.
pub const EDITOR_SIZE: (u32, u32) = (700, 540);
/// How often the voice count refreshes.
const REFRESH: Duration = Duration::from_millis(100);
/// Width of a parameter slider, points.
const SLIDER_WIDTH: f32 = 140.0;

/// The synth's editor type.
pub type SynthEditor = EguiEditor<EditorHost<SynthEditorApp>>;

/// The editor's size state, shared with the plugin.
pub fn default_state() -> Arc<EguiEditorState> {
    let size: nice_plug::editor::dpi::Size =
        nice_plug::editor::dpi::LogicalSize::new(EDITOR_SIZE.0 as f64, EDITOR_SIZE.1 as f64).into();
    EguiEditorState::from_size(size, 1.0)
}

/// Builds the editor over the plugin's parameters, its count of sounding
/// voices (stored by the audio thread after every block) and the loaded
/// file's status.
pub fn create(
    params: Arc<SynthParams>,
    sounding: Arc<AtomicUsize>,
    status: Arc<ModelStatus>,
    state: Arc<EguiEditorState>,
) -> Option<SynthEditor> {
    let settings = EguiNiceSettings::new().with_tile("DDSP Synth");
    let app = SynthEditorApp::new(params, sounding, status);
    create_egui_editor(state, RepaintNotifier::new(), settings, EditorHost::new(app))
}

/// The editor's state between frames.
pub struct SynthEditorApp {
    params: Arc<SynthParams>,
    sounding: Arc<AtomicUsize>,
    status: Arc<ModelStatus>,
    /// The model-file row.
    picker: ModelFilePicker,
}

impl SynthEditorApp {
    /// An editor over the plugin's shared state.
    pub fn new(params: Arc<SynthParams>, sounding: Arc<AtomicUsize>, status: Arc<ModelStatus>) -> Self {
        let picker = ModelFilePicker::new(&params.model_file);
        Self { params, sounding, status, picker }
    }

    /// Draws the whole editor; parameter changes go through `setter`.
    pub fn draw(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
        ui.ctx().request_repaint_after(REFRESH);
        let params = self.params.clone();
        egui::CentralPanel::default().show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(RichText::new("DDSP Synth").size(20.0).strong());
                ui.add_space(16.0);
                instrument_menu(ui, setter, &params.instrument);
                ui.add_space(16.0);
                let sounding = self.sounding.load(Ordering::Relaxed);
                ui.label(
                    RichText::new(format!("{sounding} of {} voices sounding", params.voices.value())).color(ACCENT),
                );
            });
            ui.separator();
            // One grid for every section, so the columns line up.
            egui::Grid::new("parameters").num_columns(4).spacing([10.0, 6.0]).show(ui, |ui| {
                title(ui, "Voices");
                row(ui, setter, &params.voices, &params.mode);
                row(ui, setter, &params.portamento_ms, &params.bend_range_semitones);
                title(ui, "Envelope");
                row(ui, setter, &params.attack_ms, &params.decay_ms);
                row(ui, setter, &params.sustain_db, &params.release_ms);
                title(ui, "Expression");
                row(ui, setter, &params.velocity_curve, &params.pressure_range_db);
                row(ui, setter, &params.vibrato_rate_hz, &params.vibrato_depth_cents);
                title(ui, "Output");
                row(ui, setter, &params.reverb_mix, &params.output_gain_db);
                ui.label(params.tuning_a4_hz.name());
                ui.add(ParamSlider::for_param(&params.tuning_a4_hz, setter).with_width(SLIDER_WIDTH));
                ui.end_row();
            });
            ui.separator();
            self.loaded_file(ui, setter);
            ui.separator();
            for line in [
                "Envelope: the loudness the instrument hears, so the attack shapes its timbre.",
                "Mod wheel: vibrato. CC 74: brightness. Also followed: pitch wheel, sustain pedal,",
                "channel pressure, MPE per-note bend, pressure and brightness.",
            ] {
                ui.label(RichText::new(line).weak());
            }
        });
    }
}

impl SynthEditorApp {
    /// What "Loaded File" plays, and the row that loads another file (a
    /// checked file is stored and chosen).
    fn loaded_file(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
        let status = self.status.snapshot();
        let playing = match (&status.playing, status.loading) {
            (_, true) => "loading…".to_string(),
            (Some(model), false) => match &model.origin {
                ModelOrigin::File(path) => format!("{} — {}", model.name, path.display()),
                ModelOrigin::Bundled(_) => format!("{} (bundled)", model.name),
            },
            (None, false) => "no file loaded: plays the bundled default instrument".to_string(),
        };
        ui.label(RichText::new(format!("Loaded File: {playing}")).strong());
        if let Some(path) = self.picker.show(ui, status.notice.as_ref()) {
            self.params.model_file.set_path(path);
            let instrument = &self.params.instrument;
            setter.begin_set_parameter(instrument);
            setter.set_parameter(instrument, InstrumentChoice::LOADED_FILE);
            setter.end_set_parameter(instrument);
        }
    }
}

/// A section's title on a row of its own.
fn title(ui: &mut egui::Ui, text: &str) {
    ui.label(RichText::new(text).strong());
    ui.end_row();
}

/// Two parameters, each named and with its slider, on one row.
fn row(ui: &mut egui::Ui, setter: &ParamSetter, left: &impl Param, right: &impl Param) {
    ui.label(left.name());
    ui.add(ParamSlider::for_param(left, setter).with_width(SLIDER_WIDTH));
    ui.label(right.name());
    ui.add(ParamSlider::for_param(right, setter).with_width(SLIDER_WIDTH));
    ui.end_row();
}

impl DrawEditor for SynthEditorApp {
    fn draw(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
        SynthEditorApp::draw(self, ui, setter);
    }
}
