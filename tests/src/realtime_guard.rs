//! An allocator that aborts the process on any allocation, reallocation or
//! free made by a thread while its real-time guard is up. Every test binary
//! of this crate links it; the guard is down unless [`guarded`] raises it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write;

struct AbortingAllocator;

thread_local! {
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

fn abort_if_guarded() {
    // `try_with`: during thread teardown the flag may be gone; nothing is
    // guarded then.
    if GUARDED.try_with(Cell::get).unwrap_or(false) {
        let _ = GUARDED.try_with(|g| g.set(false));
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

/// Runs `f` on this thread with the guard up: any allocation or free inside
/// aborts the process. Other threads are unaffected.
pub fn guarded<R>(f: impl FnOnce() -> R) -> R {
    GUARDED.with(|g| g.set(true));
    let result = f();
    GUARDED.with(|g| g.set(false));
    result
}
