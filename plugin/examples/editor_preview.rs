//! Opens the plugin's editor in a window of its own, outside any host,
//! while the default instrument follows a sung phrase in real time (so the
//! tuner and the range map move). `scripts/editor-screenshot.sh` runs it
//! under Xvfb to picture the editor for the README.
//!
//! cargo run -p ddsp-plugin --example editor_preview [-- SECONDS]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ddsp_plugin::editor::EditorApp;
use ddsp_plugin::{default_engine, DdspParams, InstrumentChoice, Meters, ModelDescription, ModelOrigin, ModelStatus};

const RATE: f32 = 48_000.0;
const BLOCK: usize = 256;

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
    let mut editor = EditorApp::new(params, status, meters);
    ddsp_e2e::editor_window::show(
        "DDSP Timbre Transfer",
        ddsp_plugin::editor::EDITOR_SIZE,
        seconds,
        running,
        move |ui, setter| editor.draw(ui, setter),
    );
    let _ = audio.join();
}
