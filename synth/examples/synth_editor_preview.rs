//! Opens the synth's editor in a window of its own, outside any host,
//! while the default instrument plays a looping four-note chord in real
//! time (so the voice count moves). `scripts/editor-screenshot.sh --synth`
//! runs it under Xvfb to picture the editor for the README.
//!
//! cargo run -p ddsp-synth --example synth_editor_preview [-- SECONDS]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ddsp_plugin_common::status::ModelStatus;
use ddsp_synth::editor::{SynthEditorApp, EDITOR_SIZE};
use ddsp_synth::{bundled_synth, SynthParams};
use dsp_core::synth::NoteEvent;
use nice_plug::prelude::Enum;

const RATE: f32 = 48_000.0;
const BLOCK: usize = 256;
/// The chord, MIDI notes, arpeggiated into place this many blocks apart.
const CHORD: [u8; 4] = [55, 59, 62, 67];
const ARPEGGIO_BLOCKS: usize = 20;

/// The synth's audio path, paced like a host: the chord, arpeggiated into
/// place and held, publishing the voice count.
fn play(params: Arc<SynthParams>, sounding: Arc<AtomicUsize>, running: Arc<AtomicBool>) {
    let mut synth = bundled_synth(RATE).expect("the bundled instruments");
    let mut block = vec![0.0f32; BLOCK];
    let started = Instant::now();
    let mut index = 0usize;
    while running.load(Ordering::Acquire) {
        synth.set_controls(&params.controls());
        synth.set_instrument(params.instrument.value().to_index());
        for (order, &note) in CHORD.iter().enumerate() {
            if index == order * ARPEGGIO_BLOCKS {
                synth.handle(NoteEvent::NoteOn { key: (0, note), velocity: 0.8 });
            }
        }
        synth.process(&mut block);
        sounding.store(synth.sounding_voices(), Ordering::Relaxed);
        index += 1;
        let due = Duration::from_secs_f64((index * BLOCK) as f64 / RATE as f64);
        std::thread::sleep(due.saturating_sub(started.elapsed()));
    }
}

fn main() {
    let seconds: Option<f64> = std::env::args().nth(1).and_then(|s| s.parse().ok());
    let params = Arc::new(SynthParams::default());
    let sounding = Arc::new(AtomicUsize::new(0));
    let running = Arc::new(AtomicBool::new(true));
    let audio = {
        let (params, sounding, running) = (params.clone(), sounding.clone(), running.clone());
        std::thread::spawn(move || play(params, sounding, running))
    };
    let mut editor = SynthEditorApp::new(params, sounding, Arc::new(ModelStatus::default()));
    ddsp_e2e::editor_window::show("DDSP Synth", EDITOR_SIZE, seconds, running, move |ui, setter| {
        editor.draw(ui, setter)
    });
    let _ = audio.join();
}
