//! Plugin state from a host's project, through the plugin's own CLAP
//! entry point in this process (clack-host as the host): any bytes are
//! refused or load without a crash, and a state that loads saves, loads
//! into a fresh instance and saves again to the same bytes.
#![no_main]

use std::sync::OnceLock;

use clack_extensions::state::PluginState;
use clack_host::entry::EntryDescriptor;
use clack_host::prelude::*;
use libfuzzer_sys::fuzz_target;

struct Shared;

impl SharedHandler<'_> for Shared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}

struct Host;

impl HostHandlers for Host {
    type Shared<'a> = Shared;
    type MainThread<'a> = ();
    type AudioProcessor<'a> = ();
}

fn entry() -> &'static PluginEntry {
    static ENTRY: OnceLock<PluginEntry> = OnceLock::new();
    ENTRY.get_or_init(|| {
        // The plugin's exported entry, linked into this binary.
        let descriptor = unsafe { &*(&raw const ddsp_plugin::clap_entry).cast::<EntryDescriptor>() };
        unsafe { PluginEntry::load_from_raw(descriptor, c"/ddsp-plugin-fuzz") }.expect("the entry initialises")
    })
}

fn instance() -> PluginInstance<Host> {
    let info = HostInfo::new("ddsp fuzz", "ddsp", "https://example.invalid", "1.0").unwrap();
    PluginInstance::<Host>::new(|_| Shared, |_| (), entry(), c"audio.ddsp-timbre-transfer.plugin", &info)
        .expect("an instance")
}

fn load(instance: &mut PluginInstance<Host>, bytes: &[u8]) -> bool {
    let handle = instance.plugin_handle();
    handle.get_extension::<PluginState>().unwrap().load(&handle, &mut &bytes[..]).is_ok()
}

fn save(instance: &mut PluginInstance<Host>) -> Vec<u8> {
    let handle = instance.plugin_handle();
    let mut bytes = Vec::new();
    handle.get_extension::<PluginState>().unwrap().save(&handle, &mut bytes).unwrap();
    bytes
}

fuzz_target!(|bytes: &[u8]| {
    let mut first = instance();
    if !load(&mut first, bytes) {
        return;
    }
    let saved = save(&mut first);
    let mut second = instance();
    assert!(load(&mut second, &saved), "a saved state does not load");
    assert_eq!(save(&mut second), saved, "save → load → save changed the state");
});
