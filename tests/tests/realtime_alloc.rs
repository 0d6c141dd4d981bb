//! Real-time contract: `Engine::process`, `Engine::set_controls` and
//! `Engine::reset` never allocate or free on the audio thread, with the
//! additive decoder and with a trained model's real-time step (float32 and
//! 8-bit layouts) running inside `process()`. The allocator of this crate's
//! test binaries aborts on any allocation inside the guard.

use ddsp_e2e::realtime_guard::guarded;
use ddsp_e2e::{sung_melody, test_reverb_ir};
use ddsp_model::checkpoint::{Checkpoint, CheckpointInfo};
use ddsp_model::config::DecoderConfig;
use ddsp_model::streaming::engine_decoder;
use dsp_core::{AdditiveConfig, AdditiveDecoder, Decoder, Engine, EngineConfig, UserControls};

fn config(sample_rate: f32, max_block: usize) -> EngineConfig {
    let mut config = EngineConfig::new(sample_rate, max_block);
    config.reverb_ir = test_reverb_ir(1.5, 16_000.0);
    config.reverb_ir_rate_hz = 16_000.0;
    config
}

fn hostile_melody(sample_rate: f32, seconds: f64) -> Vec<f32> {
    let mut input = sung_melody(sample_rate as f64, &[55.0, 62.0, 67.0], seconds / 3.0);
    input[1000] = f32::NAN;
    input[2000] = f32::INFINITY;
    input[3000] = 1e-39;
    input
}

/// Runs `input` through `engine` in `block_size` blocks with every control
/// automated between blocks, then resets it, all inside the guard; returns
/// the frames processed.
fn process_guarded(engine: &mut Engine, input: &[f32], block_size: usize) -> u64 {
    let mut buffer = input.to_vec();
    let mut controls = UserControls::default();
    guarded(|| {
        for (index, block) in buffer.chunks_mut(block_size).enumerate() {
            controls.octave_shift = (index % 5) as i32 - 2;
            controls.pitch_shift_semitones = (index % 24) as f32 - 12.0;
            controls.auto_adjust = (index % 2) as f32;
            controls.autotune = 0.5;
            controls.dry_wet = 0.7;
            engine.set_controls(controls);
            engine.process(&mut [block]);
        }
        let frames = engine.frames();
        engine.reset();
        frames
    })
}

#[test]
fn additive_engine_never_allocates_at_any_rate_or_block_size() {
    for &sample_rate in &[22_050.0f32, 44_100.0, 48_000.0, 96_000.0, 192_000.0] {
        let input = hostile_melody(sample_rate, 1.5);
        let mut engine = Engine::new(&config(sample_rate, 4096), AdditiveDecoder::boxed(AdditiveConfig::default()));
        for &block_size in &[1usize, 7, 64, 480, 4096] {
            process_guarded(&mut engine, &input, block_size);
        }
    }
}

#[test]
fn stereo_never_allocates() {
    let mut engine = Engine::new(&config(48_000.0, 512), AdditiveDecoder::boxed(AdditiveConfig::default()));
    let input = hostile_melody(48_000.0, 1.0);
    let (mut left, mut right) = (input.clone(), input);
    guarded(|| {
        for (l, r) in left.chunks_mut(512).zip(right.chunks_mut(512)) {
            engine.process(&mut [l, r]);
        }
    });
}

#[test]
fn model_engine_never_allocates_on_the_audio_thread() {
    // Both layouts of the real-time step: float32 (small) and 8-bit (default
    // size).
    for config_of_size in [DecoderConfig::small_size(), DecoderConfig::default_size()] {
        let checkpoint = Checkpoint::initialised(CheckpointInfo::untrained(config_of_size), 1).unwrap();
        for &(sample_rate, block_size) in &[(48_000.0f32, 128usize), (44_100.0, 7), (96_000.0, 480)] {
            let decoder: Box<dyn Decoder> = engine_decoder(&checkpoint).unwrap();
            let mut engine = Engine::new(&config(sample_rate, 512), decoder);
            let frames = process_guarded(&mut engine, &hostile_melody(sample_rate, 0.5), block_size);
            assert!(frames > 100, "{frames} frames");
            assert_eq!(engine.late_frames(), 0, "the step runs inside process(): never late");
        }
    }
}

/// Helper for `the_guard_catches_allocations`: allocates inside the guard.
#[test]
#[ignore = "run by the_guard_catches_allocations in a child process; it aborts"]
fn allocating_inside_the_guard() {
    guarded(|| std::hint::black_box(vec![1u8; 64]));
}

/// The guard itself works: a child process that allocates inside it dies.
#[test]
fn the_guard_catches_allocations() {
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "allocating_inside_the_guard", "--test-threads=1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(!status.success(), "an allocation inside the guard went unnoticed");
}

/// The synth with a trained model's steps in its voices: notes, an
/// instrument replaced in a silent slot (a loaded file arriving) and
/// switched to, all inside the guard; the parts it gives back are freed
/// outside.
#[test]
fn synth_replaces_an_instrument_without_allocating() {
    use dsp_core::synth::{NoteEvent, PolySynth};
    let checkpoint = Checkpoint::initialised(CheckpointInfo::untrained(DecoderConfig::small_size()), 1).unwrap();
    let instrument = || ddsp_model::engine::synth_instrument(&checkpoint, 4).unwrap();
    let mut synth = PolySynth::new(48_000.0, vec![instrument(), instrument()], 5).unwrap();
    let mut parts = synth.shape().prepare(instrument()).unwrap();
    let mut block = vec![0.0f32; 128];
    let swapped = guarded(|| {
        synth.handle(NoteEvent::NoteOn { key: (0, 60), velocity: 0.8 });
        for _ in 0..100 {
            synth.process(&mut block);
        }
        let swapped = synth.replace_instrument(1, &mut parts);
        synth.set_instrument(1);
        synth.handle(NoteEvent::NoteOn { key: (0, 64), velocity: 0.8 });
        for _ in 0..100 {
            synth.process(&mut block);
        }
        swapped
    });
    assert!(swapped, "the silent slot was not replaced");
    assert!(block.iter().all(|x| x.is_finite()));
    drop(parts);
}
