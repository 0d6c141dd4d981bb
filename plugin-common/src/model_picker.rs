//! Choosing a model file in an editor: a path field, a built-in file
//! browser (folders and `.safetensors` files, with the home folder and the
//! system's drives or volumes a click away; no system dialog, which some
//! hosts' event loops do not survive), and the check of the picked file on
//! a thread of its own. Only a file that holds a playable model is handed
//! to the plugin, so a bad pick never interrupts what plays.

use std::path::{Path, PathBuf};

use egui::{Color32, RichText};

use crate::file_check::{CheckOutcome, FileCheck};
use crate::model_file::ModelFile;
use crate::status::Notice;

/// Colour of warnings (and the editors' accent).
pub const ACCENT: Color32 = Color32::from_rgb(242, 170, 60);
/// Colour of errors.
pub const ERROR_COLOR: Color32 = Color32::from_rgb(235, 90, 80);

/// The model-file row of an editor and its state between frames.
pub struct ModelFilePicker {
    /// The path as typed.
    path_text: String,
    /// The browser, while open.
    browser: Option<FileBrowser>,
    /// The last pick's result in this editor (a file is validated before
    /// anything changes).
    load_message: Option<Notice>,
    /// A picked file being validated on a thread of its own.
    checking: Option<FileCheck>,
}

impl ModelFilePicker {
    /// A picker showing `file`'s current path.
    pub fn new(file: &ModelFile) -> Self {
        let path_text = file.path().map(|p| p.display().to_string()).unwrap_or_default();
        Self { path_text, browser: None, load_message: None, checking: None }
    }

    /// Draws the row, the browser when open, and the latest message (this
    /// picker's own first, then `notice`, the loader's). Returns a file
    /// once it has been checked and holds a playable model: the caller
    /// stores it ([`ModelFile::set_path`]) and chooses it.
    pub fn show(&mut self, ui: &mut egui::Ui, notice: Option<&Notice>) -> Option<PathBuf> {
        ui.horizontal(|ui| {
            ui.label("Model file");
            let field = ui.add(
                egui::TextEdit::singleline(&mut self.path_text)
                    .desired_width(ui.available_width() - 170.0)
                    .hint_text("path/to/instrument.safetensors"),
            );
            let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Load").clicked() || entered {
                self.check(PathBuf::from(self.path_text.trim()));
            }
            if ui.button(if self.browser.is_some() { "Close browser" } else { "Browse…" }).clicked() {
                self.browser = match self.browser {
                    Some(_) => None,
                    None => Some(FileBrowser::open(&self.path_text)),
                };
            }
        });
        if let Some(browser) = &mut self.browser {
            if let Some(file) = browser.show(ui) {
                self.path_text = file.display().to_string();
                self.check(file);
            }
        }
        let chosen = self.finish_check(ui);
        match self.load_message.as_ref().or(notice) {
            Some(Notice::Error(message)) => ui.colored_label(ERROR_COLOR, format!("⚠ {message}")),
            Some(Notice::Warning(message)) => ui.colored_label(ACCENT, format!("⚠ {message}")),
            None => ui.label(""),
        };
        chosen
    }

    /// Starts validating `path` on a thread of its own (never on the GUI
    /// or audio thread); a newer pick replaces an unfinished one.
    fn check(&mut self, path: PathBuf) {
        self.checking = Some(FileCheck::start(path));
    }

    /// Takes the verdict of the file being checked, if it has arrived.
    fn finish_check(&mut self, ui: &mut egui::Ui) -> Option<PathBuf> {
        let check = self.checking.as_ref()?;
        let chosen = match check.poll() {
            CheckOutcome::Pending => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("checking {}", check.path().display()));
                });
                return None;
            }
            CheckOutcome::Valid(path) => {
                self.load_message = None;
                self.browser = None;
                Some(path)
            }
            CheckOutcome::Invalid(error) => {
                self.load_message = Some(Notice::Error(format!("{error}; the current model keeps playing")));
                None
            }
        };
        self.checking = None;
        chosen
    }
}

/// A minimal file browser: folders and `.safetensors` files.
struct FileBrowser {
    /// The folder shown.
    folder: PathBuf,
    /// Its folders and `.safetensors` files: name, and whether a folder.
    entries: Vec<(String, bool)>,
    /// The places row: each place and its button text, found once when the
    /// browser opens (not on every repaint).
    places: Vec<(PathBuf, String)>,
}

impl FileBrowser {
    fn open(typed: &str) -> Self {
        let typed = Path::new(typed.trim());
        let start = if typed.is_dir() {
            Some(typed.to_path_buf())
        } else {
            typed.parent().filter(|p| p.is_dir()).map(Path::to_path_buf)
        };
        let places: Vec<(PathBuf, String)> = places()
            .into_iter()
            .map(|place| {
                let label = place_label(&place);
                (place, label)
            })
            .collect();
        let folder = start
            .or_else(std::env::home_dir)
            .or_else(|| places.first().map(|(place, _)| place.clone()))
            .unwrap_or_default();
        let mut browser = Self { folder, entries: Vec::new(), places };
        browser.refresh();
        browser
    }

    fn refresh(&mut self) {
        let mut entries: Vec<(String, bool)> = std::fs::read_dir(&self.folder)
            .map(|read| {
                read.filter_map(Result::ok)
                    .filter_map(|entry| {
                        let name = entry.file_name().to_string_lossy().into_owned();
                        let is_dir = entry.path().is_dir();
                        let wanted = is_dir || name.ends_with(".safetensors");
                        (wanted && !name.starts_with('.')).then_some((name, is_dir))
                    })
                    .collect()
            })
            .unwrap_or_default();
        entries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.to_lowercase().cmp(&b.0.to_lowercase())));
        self.entries = entries;
    }

    /// Shows the browser; returns a file when one is picked.
    fn show(&mut self, ui: &mut egui::Ui) -> Option<PathBuf> {
        let mut picked = None;
        let mut go_to = None;
        ui.horizontal_wrapped(|ui| {
            for (place, label) in &self.places {
                if ui.small_button(label).clicked() {
                    go_to = Some(place.clone());
                }
            }
        });
        ui.label(RichText::new(self.folder.display().to_string()).monospace());
        egui::ScrollArea::vertical().max_height(110.0).show(ui, |ui| {
            if let Some(parent) = self.folder.parent() {
                if ui.selectable_label(false, "📁 ..").clicked() {
                    go_to = Some(parent.to_path_buf());
                }
            }
            for (name, is_dir) in &self.entries {
                let label = if *is_dir { format!("📁 {name}") } else { format!("🎻 {name}") };
                if ui.selectable_label(false, label).clicked() {
                    let path = self.folder.join(name);
                    if *is_dir {
                        go_to = Some(path);
                    } else {
                        picked = Some(path);
                    }
                }
            }
        });
        if let Some(folder) = go_to {
            self.folder = folder;
            self.refresh();
        }
        picked
    }
}

/// Where the browser can jump: the home folder, then every drive or
/// volume the system shows (Windows drive letters, macOS volumes, Linux's
/// root and removable media), those that exist.
fn places() -> Vec<PathBuf> {
    let mut places: Vec<PathBuf> = std::env::home_dir().into_iter().collect();
    if cfg!(windows) {
        places.extend((b'A'..=b'Z').map(|letter| PathBuf::from(format!("{}:\\", letter as char))));
    } else {
        places.push(PathBuf::from("/"));
        let mounts = if cfg!(target_os = "macos") { vec![PathBuf::from("/Volumes")] } else { media_folders() };
        for mounts in mounts {
            if let Ok(read) = std::fs::read_dir(&mounts) {
                let mut found: Vec<PathBuf> = read.filter_map(Result::ok).map(|entry| entry.path()).collect();
                found.sort();
                places.extend(found);
            }
        }
    }
    places.retain(|place| place.is_dir());
    places.dedup();
    places
}

/// Linux's folders of mounted media: `/media/USER`, `/run/media/USER`, `/mnt`.
fn media_folders() -> Vec<PathBuf> {
    let user = std::env::var_os("USER").unwrap_or_default();
    vec![Path::new("/media").join(&user), Path::new("/run/media").join(&user), PathBuf::from("/mnt")]
}

/// A place's button text: its last component, or the whole path for a root.
fn place_label(place: &Path) -> String {
    if std::env::home_dir().as_deref() == Some(place) {
        return "🏠 Home".to_string();
    }
    match place.file_name() {
        Some(name) => format!("💾 {}", name.to_string_lossy()),
        None => format!("💾 {}", place.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The browser can always reach the home folder and a root, and every
    /// place it offers exists.
    #[test]
    fn places_hold_home_and_a_root_that_exist() {
        let places = places();
        assert!(places.iter().all(|place| place.is_dir()), "{places:?}");
        if let Some(home) = std::env::home_dir().filter(|home| home.is_dir()) {
            assert_eq!(places.first(), Some(&home));
        }
        assert!(places.iter().any(|place| place.parent().is_none()), "no root among {places:?}");
        assert_eq!(place_label(Path::new("/")), "💾 /");
    }
}
