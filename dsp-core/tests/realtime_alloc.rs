//! Real-time contract: `Engine::process` and `Engine::set_controls` never
//! allocate or free. The global allocator of this test binary aborts the
//! process on any allocation made while the guard is up.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write;

use dsp_core::{AdditiveConfig, AdditiveDecoder, Engine, UserControls};

struct AbortingAllocator;

thread_local! {
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

fn abort_if_guarded() {
    if GUARDED.with(Cell::get) {
        GUARDED.with(|g| g.set(false));
        let _ = std::io::stderr().write_all(b"allocation or free inside the real-time guard\n");
        std::process::abort();
    }
}

unsafe impl GlobalAlloc for AbortingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        abort_if_guarded();
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        abort_if_guarded();
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        abort_if_guarded();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: AbortingAllocator = AbortingAllocator;

/// Runs `f` with the guard up.
fn guarded<R>(f: impl FnOnce() -> R) -> R {
    GUARDED.with(|g| g.set(true));
    let result = f();
    GUARDED.with(|g| g.set(false));
    result
}

#[test]
fn process_never_allocates_at_any_rate_or_block_size() {
    for &sample_rate in &[22_050.0f32, 44_100.0, 48_000.0, 96_000.0, 192_000.0] {
        let mut input = common::voice_like(sample_rate as f64, (sample_rate * 1.5) as usize, 1);
        // Hostile samples too: the sanitising path must not allocate either.
        input[1000] = f32::NAN;
        input[2000] = f32::INFINITY;
        input[3000] = 1e-39;
        let config = common::config_with_reverb(sample_rate, 4096, 1.5);
        let mut engine = Engine::new(&config, AdditiveDecoder::boxed(AdditiveConfig::default()));
        for &block_size in &[1usize, 7, 64, 480, 4096] {
            let mut buffer = input.clone();
            let mut controls = UserControls::default();
            guarded(|| {
                for (index, block) in buffer.chunks_mut(block_size).enumerate() {
                    // Automation between blocks, every control moving.
                    controls.octave_shift = (index % 5) as i32 - 2;
                    controls.pitch_shift_semitones = (index % 24) as f32 - 12.0;
                    controls.auto_adjust = (index % 2) as f32;
                    controls.autotune = 0.5;
                    controls.dry_wet = 0.7;
                    engine.set_controls(controls);
                    engine.process(&mut [block]);
                }
                engine.reset();
            });
        }
    }
}

#[test]
fn stereo_process_never_allocates() {
    let config = common::config_with_reverb(48_000.0, 512, 1.5);
    let mut engine = Engine::new(&config, AdditiveDecoder::boxed(AdditiveConfig::default()));
    let input = common::voice_like(48_000.0, 48_000, 2);
    let (mut left, mut right) = (input.clone(), input);
    guarded(|| {
        for (l, r) in left.chunks_mut(512).zip(right.chunks_mut(512)) {
            engine.process(&mut [l, r]);
        }
    });
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
