//! An editor as nice-plug-egui runs it in a host: it keeps the host's GUI
//! context while the window is open and draws with that context's
//! parameter setter.

use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::ParamSetter;
use nice_plug_egui::NiceEguiApp;

/// An editor's drawing.
pub trait DrawEditor: Send + 'static {
    /// Draws one frame of the editor; parameter changes go through
    /// `setter`.
    fn draw(&mut self, ui: &mut egui::Ui, setter: &ParamSetter);
}

/// `editor` hosted: the app nice-plug-egui's `create_egui_editor` takes.
pub struct EditorHost<D> {
    /// The editor.
    editor: D,
    /// The host's GUI context while the window is open.
    gui_context: Option<GuiContext>,
}

impl<D> EditorHost<D> {
    /// `editor`, not yet opened.
    pub fn new(editor: D) -> Self {
        Self { editor, gui_context: None }
    }
}

impl<D: DrawEditor> NiceEguiApp for EditorHost<D> {
    fn build(
        &mut self,
        _egui_ctx: egui::Context,
        nice_gui_ctx: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        self.gui_context = Some(nice_gui_ctx);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        let Some(context) = self.gui_context.clone() else { return };
        self.editor.draw(ui, &context.param_setter());
    }

    fn editor_closed(&mut self) {
        self.gui_context = None;
    }
}
