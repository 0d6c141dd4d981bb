//! Loading a plugin crate's library as VST3 in a VST3 host library
//! (vst3-host, without its audio-device and process-isolation parts; its
//! X11 window code loads libxcb at run time, and no window is opened).

pub use vst3_host;
use vst3_host::{Plugin, ProcessMode, Vst3Host};

/// The library `cargo test` built for `lib_name` (`ddsp_plugin`,
/// `ddsp_synth`) loaded as VST3 for `max_block`-sample blocks at
/// `sample_rate_hz`, in offline mode (a bounce) or real time, not yet
/// processing.
pub fn load(lib_name: &str, sample_rate_hz: f32, max_block: usize, offline: bool) -> Plugin {
    let mut host = Vst3Host::builder()
        .sample_rate(sample_rate_hz as f64)
        .block_size(max_block)
        .with_process_isolation(false)
        .build()
        .expect("a VST3 host");
    let mut plugin = host.load_plugin(crate::plugin_library(lib_name)).expect("the plugin loads as VST3");
    plugin.stop_processing().unwrap();
    // The mode first: the setup that `reconfigure` runs is what carries it
    // to the plugin.
    let mode = if offline { ProcessMode::Offline } else { ProcessMode::Realtime };
    plugin.set_process_mode(mode).unwrap();
    plugin.reconfigure(sample_rate_hz as f64, max_block).unwrap();
    plugin
}

/// Starts processing and returns the latency the plugin reports then (a
/// plugin announces it through a restart request, which a host serves).
pub fn start(plugin: &mut Plugin) -> u32 {
    plugin.start_processing().unwrap();
    plugin.service_host_requests().unwrap();
    plugin.latency_samples()
}
