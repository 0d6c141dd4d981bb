//! Opens the plugin's editor in a window of its own, outside any host,
//! while the default instrument follows a sung phrase in real time (so the
//! tuner and the range map move). `scripts/editor-screenshot.sh` runs it
//! under Xvfb to picture the editor for the README.
//!
//! cargo run -p ddsp-plugin --example editor_preview [-- SECONDS]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ddsp_plugin::editor::EditorApp;
use ddsp_plugin::{default_engine, DdspParams, InstrumentChoice, Meters, ModelDescription, ModelOrigin, ModelStatus};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;
use nice_plug_egui::baseview::dpi::LogicalSize;
use nice_plug_egui::{EguiWindow, EguiWindowSettings};

const RATE: f32 = 48_000.0;
const BLOCK: usize = 256;

/// Parameter changes go straight to the parameters (there is no host).
struct DirectContext;

impl GuiContextInner for DirectContext {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }
    unsafe fn raw_begin_set_parameter(&self, _param: ParamPtr) {}
    unsafe fn raw_set_parameter_normalized(&self, param: ParamPtr, normalized: f32) {
        // SAFETY: `param` points into the parameters the editor was given,
        // which outlive the window.
        unsafe { param._internal_set_normalized_value(normalized) };
    }
    unsafe fn raw_end_set_parameter(&self, _param: ParamPtr) {}
    fn get_state(&self) -> PluginState {
        PluginState { version: String::new(), params: BTreeMap::new(), fields: BTreeMap::new() }
    }
    fn set_state(&self, _state: PluginState) {}
    fn request_restart(&self) {}
}

struct Preview {
    editor: EditorApp,
    context: GuiContext,
    deadline: Option<Instant>,
    running: Arc<AtomicBool>,
}

impl nice_plug_egui::App for Preview {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        self.editor.draw(ui, &self.context.param_setter());
        if self.deadline.is_some_and(|deadline| Instant::now() > deadline) {
            self.running.store(false, Ordering::Release);
            std::process::exit(0);
        }
    }
}

/// The plugin's audio path, paced like a host: the default instrument on a
/// looping sung phrase, publishing meters.
fn play(meters: Arc<Meters>, running: Arc<AtomicBool>) {
    let phrase = ddsp_e2e::sung_melody(RATE as f64, &[57.0, 60.0, 64.0, 62.0, 60.0], 0.8);
    let mut engine = default_engine(RATE, BLOCK);
    let mut block = vec![0.0f32; BLOCK];
    let started = Instant::now();
    let mut position = 0usize;
    let mut processed = 0usize;
    while running.load(Ordering::Acquire) {
        for sample in block.iter_mut() {
            *sample = phrase[position];
            position = (position + 1) % phrase.len();
        }
        engine.process(&mut [&mut block]);
        meters.publish(&engine, engine.late_frames());
        processed += BLOCK;
        let due = Duration::from_secs_f64(processed as f64 / RATE as f64);
        std::thread::sleep(due.saturating_sub(started.elapsed()));
    }
}

fn main() {
    let seconds: Option<f64> = std::env::args().nth(1).and_then(|s| s.parse().ok());
    let params = Arc::new(DdspParams::default());
    let status = Arc::new(ModelStatus::default());
    let meters = Arc::new(Meters::default());
    let violin = InstrumentChoice::default_choice().bundled().unwrap();
    status.set_playing(ModelDescription::new(&violin.checkpoint().unwrap(), ModelOrigin::Bundled(violin.id)), None);
    let running = Arc::new(AtomicBool::new(true));
    let audio = {
        let (meters, running) = (meters.clone(), running.clone());
        std::thread::spawn(move || play(meters, running))
    };
    let preview = Preview {
        editor: EditorApp::new(params, status, meters),
        context: GuiContext::new(Arc::new(DirectContext)),
        deadline: seconds.map(|s| Instant::now() + Duration::from_secs_f64(s)),
        running: running.clone(),
    };
    let (width, height) = ddsp_plugin::editor::EDITOR_SIZE;
    let settings = EguiWindowSettings::new()
        .with_title("DDSP Timbre Transfer")
        .with_size(LogicalSize::new(width as f64, height as f64));
    let window = EguiWindow::create(settings, preview).expect("a window (is DISPLAY set?)");
    let _ = window.run_until_closed();
    running.store(false, Ordering::Release);
    let _ = audio.join();
}
