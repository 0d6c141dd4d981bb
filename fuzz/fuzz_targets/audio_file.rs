//! Audio files handed to `ddsp`: any bytes, under any of the extensions it
//! reads, decode to an error or to a clip with equally long channels.
#![no_main]

use std::sync::Once;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    // The decoder catches symphonia's panics on malformed headers and
    // turns them into errors; libFuzzer's hook would abort on those caught
    // panics too. A panic that escapes still fails the run (libfuzzer-sys
    // aborts on it after the hook).
    static QUIET_HOOK: Once = Once::new();
    QUIET_HOOK.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    ddsp_training::fuzzing::audio_file_decodes(bytes);
});
