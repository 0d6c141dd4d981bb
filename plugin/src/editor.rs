//! The editor (egui): every parameter, a tuner-style readout of the input,
//! the model's training range with the live input inside it, the model's
//! metadata, latency and late frames, and checkpoint loading (a typed path
//! or a built-in file browser; no system dialog).
//!
//! Meters are published by the audio thread only while this is open.

use std::sync::Arc;
use std::time::Duration;

use ddsp_plugin_common::editor_host::{DrawEditor, EditorHost};
use dsp_core::pitch_units::{hz_to_midi, note_name};
use egui::{self, Align2, FontId, Pos2, Rect, RichText, Sense, Stroke, StrokeKind, Vec2};
use nice_plug::prelude::*;
use nice_plug_egui::widgets::ParamSlider;
use nice_plug_egui::{create_egui_editor, EguiEditor, EguiEditorState, EguiNiceSettings, RepaintNotifier};

use crate::meters::{MeterReading, Meters};
use crate::params::DdspParams;
use ddsp_plugin_common::instrument_choice::InstrumentChoice;
use ddsp_plugin_common::instrument_menu::instrument_menu;
use ddsp_plugin_common::model_picker::{ModelFilePicker, ACCENT};
use ddsp_plugin_common::status::{ModelDescription, ModelOrigin, ModelStatus, Notice};

/// Logical size of the editor window, points.
pub const EDITOR_SIZE: (u32, u32) = (820, 640);
/// How often open meters refresh.
const METER_REFRESH: Duration = Duration::from_millis(33);
/// Pitch and loudness span of the range map.
const MAP_PITCH_MIDI: (f32, f32) = (24.0, 108.0);
const MAP_LOUDNESS_DB: (f32, f32) = (-90.0, 10.0);

/// The plugin's editor type.
pub type DdspEditor = EguiEditor<EditorHost<EditorApp>>;

/// The editor's size state, shared with the plugin (whose audio thread
/// asks it whether the editor is open).
pub fn default_state() -> Arc<EguiEditorState> {
    EguiEditorState::from_size(egui_size(), 1.0)
}

fn egui_size() -> nice_plug::editor::dpi::Size {
    nice_plug::editor::dpi::LogicalSize::new(EDITOR_SIZE.0 as f64, EDITOR_SIZE.1 as f64).into()
}

/// Builds the editor.
pub fn create(
    params: Arc<DdspParams>,
    status: Arc<ModelStatus>,
    meters: Arc<Meters>,
    state: Arc<EguiEditorState>,
) -> Option<DdspEditor> {
    let settings = EguiNiceSettings::new().with_tile("DDSP Timbre Transfer");
    create_egui_editor(state, RepaintNotifier::new(), settings, EditorHost::new(EditorApp::new(params, status, meters)))
}

/// The editor's state between frames.
pub struct EditorApp {
    params: Arc<DdspParams>,
    status: Arc<ModelStatus>,
    meters: Arc<Meters>,
    /// The model-file row.
    picker: ModelFilePicker,
}

impl EditorApp {
    /// An editor over the plugin's shared state.
    pub fn new(params: Arc<DdspParams>, status: Arc<ModelStatus>, meters: Arc<Meters>) -> Self {
        let picker = ModelFilePicker::new(&params.model_file);
        Self { params, status, meters, picker }
    }

    /// Draws the whole editor; parameter changes go through `setter`.
    pub fn draw(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
        ui.ctx().request_repaint_after(METER_REFRESH);
        let meters = self.meters.read();
        let status = self.status.snapshot();
        egui::CentralPanel::default().show(ui, |ui| {
            self.header(ui, setter, status.playing.as_ref(), status.loading, &meters);
            ui.separator();
            ui.horizontal(|ui| {
                self.tuner(ui, &meters);
                range_map(ui, &self.params, status.playing.as_ref(), &meters);
            });
            ui.separator();
            self.parameters(ui, setter);
            ui.separator();
            self.model_loading(ui, setter, status.notice.as_ref());
        });
    }

    fn header(
        &self,
        ui: &mut egui::Ui,
        setter: &ParamSetter,
        playing: Option<&ModelDescription>,
        loading: bool,
        meters: &MeterReading,
    ) {
        ui.horizontal(|ui| {
            ui.label(RichText::new("DDSP Timbre Transfer").size(20.0).strong());
            ui.add_space(16.0);
            instrument_menu(ui, setter, &self.params.instrument);
            if loading {
                ui.spinner();
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.label(format!("late frames {}", meters.late_frames));
                ui.separator();
                ui.label(format!("latency {:.1} ms ({} samples)", meters.latency_ms(), meters.latency_samples));
            });
        });
        if let Some(model) = playing {
            let origin = match &model.origin {
                ModelOrigin::Bundled(_) => "bundled".to_string(),
                ModelOrigin::File(path) => path.display().to_string(),
            };
            ui.label(RichText::new(format!("{} — {origin}", model.name)).strong());
            let mut details = vec![format!(
                "{} harmonics, GRU {}, {} frames/s",
                model.num_harmonics, model.gru_units, model.frame_rate_hz
            )];
            details.extend(
                [&model.author, &model.created, &model.training_note].into_iter().filter(|s| !s.is_empty()).cloned(),
            );
            ui.label(RichText::new(details.join(" · ")).small());
        }
    }

    fn tuner(&self, ui: &mut egui::Ui, meters: &MeterReading) {
        ui.vertical(|ui| {
            ui.set_width(260.0);
            let voiced = meters.confidence >= self.params.confidence_threshold.value() && meters.f0_hz > 0.0;
            let (note, cents) = if voiced { note_and_cents(meters.f0_hz) } else { ("—".into(), 0.0) };
            let color = if voiced { ui.visuals().strong_text_color() } else { ui.visuals().weak_text_color() };
            ui.label(RichText::new(note).size(48.0).strong().color(color));
            ui.label(if voiced {
                format!("{cents:+.0} cents · {:.1} Hz", meters.f0_hz)
            } else {
                "no pitch".to_string()
            });
            ui.add(egui::ProgressBar::new(meters.confidence.clamp(0.0, 1.0)).text(format!(
                "confidence {:.0} % (gate {:.0} %)",
                100.0 * meters.confidence,
                100.0 * self.params.confidence_threshold.value()
            )));
            let level = (meters.loudness_db - MAP_LOUDNESS_DB.0) / (MAP_LOUDNESS_DB.1 - MAP_LOUDNESS_DB.0);
            ui.add(
                egui::ProgressBar::new(level.clamp(0.0, 1.0))
                    .text(format!("input loudness {:.1} dB", meters.loudness_db.max(MAP_LOUDNESS_DB.0))),
            );
        });
    }

    fn parameters(&self, ui: &mut egui::Ui, setter: &ParamSetter) {
        let p = &self.params;
        ui.columns(2, |columns| {
            parameter_grid(&mut columns[0], "pitch and level", |ui| {
                slider_row(ui, setter, &p.input_gain_db);
                slider_row(ui, setter, &p.octave_shift);
                slider_row(ui, setter, &p.pitch_shift_semitones);
                slider_row(ui, setter, &p.autotune);
                slider_row(ui, setter, &p.confidence_threshold);
                slider_row(ui, setter, &p.loudness_shift_db);
                slider_row(ui, setter, &p.auto_adjust);
            });
            parameter_grid(&mut columns[1], "synth and mix", |ui| {
                slider_row(ui, setter, &p.quiet_db);
                slider_row(ui, setter, &p.harmonic_level_db);
                slider_row(ui, setter, &p.noise_level_db);
                slider_row(ui, setter, &p.reverb_mix);
                slider_row(ui, setter, &p.level_match);
                slider_row(ui, setter, &p.dry_wet);
                slider_row(ui, setter, &p.output_gain_db);
            });
        });
    }

    fn model_loading(&mut self, ui: &mut egui::Ui, setter: &ParamSetter, notice: Option<&Notice>) {
        if let Some(path) = self.picker.show(ui, notice) {
            self.params.model_file.set_path(path);
            let instrument = &self.params.instrument;
            setter.begin_set_parameter(instrument);
            setter.set_parameter(instrument, InstrumentChoice::LOADED_FILE);
            setter.end_set_parameter(instrument);
        }
    }
}

impl DrawEditor for EditorApp {
    fn draw(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
        EditorApp::draw(self, ui, setter);
    }
}

/// A two-column grid (names, sliders) of parameter rows, laid out alike
/// in both columns of the editor.
fn parameter_grid(ui: &mut egui::Ui, id: &str, rows: impl FnOnce(&mut egui::Ui)) {
    egui::Grid::new(id).num_columns(2).spacing([8.0, 6.0]).show(ui, rows);
}

fn slider_row<P: Param>(ui: &mut egui::Ui, setter: &ParamSetter, param: &P) {
    ui.label(param.name());
    ui.add(ParamSlider::for_param(param, setter).with_width(170.0));
    ui.end_row();
}

/// Note name with octave and the offset from it in cents, for `f0_hz`.
pub fn note_and_cents(f0_hz: f32) -> (String, f32) {
    let midi = hz_to_midi(f0_hz);
    (note_name(midi), 100.0 * (midi - midi.round()))
}

/// The model's training range (full range faint, 5–95 % strong, median
/// cross) in pitch × loudness, with the live input (hollow) and the input
/// as the model hears it after the shifts (filled).
fn range_map(ui: &mut egui::Ui, params: &DdspParams, model: Option<&ModelDescription>, meters: &MeterReading) {
    let (response, painter) = ui.allocate_painter(Vec2::new(500.0, 200.0), Sense::hover());
    let rect = response.rect;
    painter.rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
    let to_screen = |midi: f32, db: f32| {
        let x = (midi - MAP_PITCH_MIDI.0) / (MAP_PITCH_MIDI.1 - MAP_PITCH_MIDI.0);
        let y = (db - MAP_LOUDNESS_DB.0) / (MAP_LOUDNESS_DB.1 - MAP_LOUDNESS_DB.0);
        Pos2::new(rect.left() + x.clamp(0.0, 1.0) * rect.width(), rect.bottom() - y.clamp(0.0, 1.0) * rect.height())
    };
    let text_color = ui.visuals().weak_text_color();
    for octave in 1..=8 {
        let midi = 12.0 * (octave + 1) as f32;
        let x = to_screen(midi, 0.0).x;
        painter.line_segment([Pos2::new(x, rect.top()), Pos2::new(x, rect.bottom())], Stroke::new(0.5, text_color));
        painter.text(
            Pos2::new(x + 2.0, rect.bottom() - 2.0),
            Align2::LEFT_BOTTOM,
            format!("C{octave}"),
            FontId::proportional(10.0),
            text_color,
        );
    }
    painter.text(
        rect.left_top() + Vec2::new(4.0, 2.0),
        Align2::LEFT_TOP,
        "loudness (dB, up) against pitch (right)",
        FontId::proportional(10.0),
        text_color,
    );
    if let Some(model) = model {
        let data = &model.dataset;
        let full = Rect::from_two_pos(
            to_screen(data.pitch_midi_range[0], data.loudness_db_range[0]),
            to_screen(data.pitch_midi_range[1], data.loudness_db_range[1]),
        );
        painter.rect_filled(full, 2.0, ACCENT.gamma_multiply(0.12));
        let core = Rect::from_two_pos(
            to_screen(data.pitch_midi_quantiles[0], data.loudness_db_quantiles[0]),
            to_screen(data.pitch_midi_quantiles[2], data.loudness_db_quantiles[2]),
        );
        painter.rect_filled(core, 2.0, ACCENT.gamma_multiply(0.3));
        painter.rect_stroke(core, 2.0, Stroke::new(1.0, ACCENT), StrokeKind::Inside);
        let median = to_screen(data.pitch_midi_quantiles[1], data.loudness_db_quantiles[1]);
        painter.line_segment([median - Vec2::X * 5.0, median + Vec2::X * 5.0], Stroke::new(1.5, ACCENT));
        painter.line_segment([median - Vec2::Y * 5.0, median + Vec2::Y * 5.0], Stroke::new(1.5, ACCENT));
        painter.text(
            core.left_top() + Vec2::new(2.0, -2.0),
            Align2::LEFT_BOTTOM,
            format!("{} trained here", model.name),
            FontId::proportional(11.0),
            ACCENT,
        );
    }
    if meters.confidence >= params.confidence_threshold.value() && meters.f0_hz > 0.0 {
        let midi = hz_to_midi(meters.f0_hz);
        let input = to_screen(midi, meters.loudness_db);
        let shifted_midi = midi + 12.0 * params.octave_shift.value() as f32 + params.pitch_shift_semitones.value();
        let heard = to_screen(shifted_midi, meters.loudness_db + params.loudness_shift_db.value());
        let live = ui.visuals().strong_text_color();
        painter.circle_stroke(input, 5.0, Stroke::new(1.5, live));
        painter.line_segment([input, heard], Stroke::new(1.0, live));
        painter.circle_filled(heard, 5.0, live);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_names_and_cents() {
        let (name, cents) = note_and_cents(440.0);
        assert_eq!(name, "A4");
        assert!(cents.abs() < 1e-3);
        let (name, cents) = note_and_cents(261.63 * 2f32.powf(0.2 / 12.0));
        assert_eq!(name, "C4");
        assert!((cents - 20.0).abs() < 0.5, "{cents}");
        assert_eq!(note_and_cents(440.0 * 2f32.powf(-0.45 / 12.0) / 8.0).0, "A1");
    }
}
