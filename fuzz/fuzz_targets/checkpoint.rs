//! Checkpoint files: any bytes are refused with an error or give a
//! checkpoint that builds a decoder and writes back out to bytes that
//! load again.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    ddsp_training::fuzzing::checkpoint_round_trip(bytes);
});
