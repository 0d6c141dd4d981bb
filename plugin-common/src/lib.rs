//! What the two plugins (the effect, `ddsp-plugin`, and DDSP Synth,
//! `ddsp-synth`) share beside `dsp-core` and `model`: who makes them, how
//! a parameter is built from a range, the instrument parameter and its
//! menu, the glue that runs an editor in a host, and loading model files (the persisted path, the loader thread's
//! request queue, the file check, the editor's picker and the status it
//! shows). A library crate with no plugin exported, so both can link it.

pub mod editor_host;
pub mod file_check;
pub mod instrument_choice;
pub mod instrument_menu;
pub mod load_requests;
pub mod model_file;
pub mod model_picker;
pub mod params;
pub mod status;

/// The vendor both plugins show hosts.
pub const VENDOR: &str = "DDSP Timbre Transfer";
/// The project's address.
pub const URL: &str = "https://example.invalid/ddsp-timbre-transfer";
/// Where to write.
pub const EMAIL: &str = "info@example.invalid";
