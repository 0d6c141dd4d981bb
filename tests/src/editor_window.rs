//! A plugin editor in a window of its own, outside any host, for previews
//! and screenshots (`scripts/editor-screenshot.sh`): parameter changes go
//! straight to the parameters.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::*;
use nice_plug_egui::baseview::dpi::LogicalSize;
use nice_plug_egui::{EguiWindow, EguiWindowSettings};

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

struct Preview<D> {
    draw: D,
    context: GuiContext,
    deadline: Option<Instant>,
    running: Arc<AtomicBool>,
}

impl<D: FnMut(&mut egui::Ui, &ParamSetter) + Send + 'static> nice_plug_egui::App for Preview<D> {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        (self.draw)(ui, &self.context.param_setter());
        if self.deadline.is_some_and(|deadline| Instant::now() > deadline) {
            self.running.store(false, Ordering::Release);
            std::process::exit(0);
        }
    }
}

/// Opens a `size` window titled `title` drawing the editor with `draw`
/// until it is closed or, with `seconds`, until they have passed (the
/// process then exits); clears `running` either way. Needs a display.
pub fn show(
    title: &str,
    size: (u32, u32),
    seconds: Option<f64>,
    running: Arc<AtomicBool>,
    draw: impl FnMut(&mut egui::Ui, &ParamSetter) + Send + 'static,
) {
    let preview = Preview {
        draw,
        context: GuiContext::new(Arc::new(DirectContext)),
        deadline: seconds.map(|s| Instant::now() + Duration::from_secs_f64(s)),
        running: running.clone(),
    };
    let settings =
        EguiWindowSettings::new().with_title(title).with_size(LogicalSize::new(size.0 as f64, size.1 as f64));
    let window = EguiWindow::create(settings, preview).expect("a window (is DISPLAY set?)");
    let _ = window.run_until_closed();
    running.store(false, Ordering::Release);
}
