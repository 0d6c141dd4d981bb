//! The plugin as a host sees it: the CLAP library that `cargo test` builds,
//! loaded through a real CLAP host library, activated, asked for its
//! latency and run on audio.

use std::path::PathBuf;

use clack_extensions::latency::PluginLatency;
use clack_host::prelude::*;
use ddsp_plugin::DdspPlugin;
use nice_plug::prelude::ClapPlugin;

struct TestHostShared;

impl SharedHandler<'_> for TestHostShared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {}
}

struct TestHost;

impl HostHandlers for TestHost {
    type Shared<'a> = TestHostShared;
    type MainThread<'a> = ();
    type AudioProcessor<'a> = ();
}

/// The plugin's shared library as `cargo test` built it, next to this test.
fn plugin_library() -> PathBuf {
    let deps = std::env::current_exe().unwrap().parent().unwrap().to_owned();
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(&deps)
        .unwrap()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("libddsp_plugin") && name.ends_with(".so")
        })
        .collect();
    candidates.sort_by_key(|path| std::fs::metadata(path).and_then(|m| m.modified()).ok());
    candidates.pop().expect("cargo test builds the plugin's cdylib beside the test binary")
}

fn sung(sample_rate: f32, seconds: f32) -> Vec<f32> {
    let mut phase = 0.0f64;
    (0..(seconds * sample_rate) as usize)
        .map(|n| {
            let t = n as f64 / sample_rate as f64;
            let midi =
                if t < seconds as f64 / 2.0 { 57.0 } else { 64.0 } + 0.3 * (2.0 * std::f64::consts::PI * 5.5 * t).sin();
            phase += 440.0 * ((midi - 69.0) / 12.0).exp2() / sample_rate as f64;
            (1..=8).map(|k| 0.25 / k as f64 * (2.0 * std::f64::consts::PI * k as f64 * phase).sin()).sum::<f64>() as f32
        })
        .collect()
}

/// Loads the plugin, activates it at `sample_rate` with `block` frames,
/// returns (reported latency, stereo output of `input`). Blocks are handed
/// over at the pace of real time, as a host's audio thread does: the
/// model's inference thread works beside it, and a host that runs faster
/// than real time in real-time mode only gets late (held) frames.
fn run(sample_rate: f32, block: usize, input: &[f32]) -> (u32, [Vec<f32>; 2]) {
    let bundle = unsafe { PluginEntry::load(plugin_library()) }.expect("the plugin library loads");
    let factory = bundle.get_plugin_factory().expect("a plugin factory");
    let id = c"audio.ddsp-timbre-transfer.plugin";
    assert_eq!(id.to_str().unwrap(), DdspPlugin::CLAP_ID);
    assert!(factory.plugin_descriptors().any(|d| d.id() == Some(id)), "plugin id not exported");
    let host_info = HostInfo::new("ddsp tests", "ddsp", "https://example.invalid", "1.0").unwrap();
    let mut instance = PluginInstance::<TestHost>::new(|_| TestHostShared, |_| (), &bundle, id, &host_info).unwrap();
    let configuration = PluginAudioConfiguration {
        sample_rate: sample_rate as f64,
        min_frames_count: 1,
        max_frames_count: block as u32,
    };
    let processor = instance.activate(|_, _| (), configuration).unwrap();
    let handle = instance.plugin_handle();
    let latency = handle.get_extension::<PluginLatency>().expect("the latency extension").get(&handle);

    let mut processor = processor.start_processing().unwrap();
    let mut output = [vec![0.0f32; input.len()], vec![0.0f32; input.len()]];
    let mut input_ports = AudioPorts::with_capacity(2, 1);
    let mut output_ports = AudioPorts::with_capacity(2, 1);
    let events = EventBuffer::new();
    let mut output_events = EventBuffer::new();
    let started = std::time::Instant::now();
    for start in (0..input.len()).step_by(block) {
        let due = std::time::Duration::from_secs_f64(start as f64 / sample_rate as f64);
        std::thread::sleep(due.saturating_sub(started.elapsed()));
        let end = (start + block).min(input.len());
        let mut left_in = input[start..end].to_vec();
        let mut right_in = input[start..end].to_vec();
        let (left_out, right_out) = output.split_at_mut(1);
        let audio_in = input_ports.with_input_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_input_only([
                InputChannel::variable(&mut left_in),
                InputChannel::variable(&mut right_in),
            ]),
        }]);
        let mut audio_out = output_ports.with_output_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_output_only([
                &mut left_out[0][start..end],
                &mut right_out[0][start..end],
            ]),
        }]);
        processor
            .process(
                &audio_in,
                &mut audio_out,
                &InputEvents::from_buffer(&events),
                &mut OutputEvents::from_buffer(&mut output_events),
                None,
                None,
            )
            .unwrap();
    }
    instance.deactivate(processor.stop_processing());
    (latency, output)
}

#[test]
fn reports_the_engine_latency_and_plays_through_a_clap_host() {
    for sample_rate in [44_100.0f32, 48_000.0] {
        let input = sung(sample_rate, 1.0);
        let (latency, [left, right]) = run(sample_rate, 128, &input);
        let engine = ddsp_plugin::default_engine(sample_rate, 128);
        assert_eq!(latency as usize, engine.latency_samples(), "{sample_rate} Hz");
        // The default instrument, behind the inference thread (one block
        // more than a synchronous decoder's 8 ms lookahead + one hop).
        assert_eq!(engine.decoder_info().num_harmonics, 100);
        assert_eq!(latency, if sample_rate == 48_000.0 { 704 } else { 658 }, "{sample_rate} Hz");
        // Both channels carry the re-synthesis, after the latency.
        assert_eq!(left, right);
        let tail = &left[latency as usize + 4800..];
        let rms = (tail.iter().map(|x| x * x).sum::<f32>() / tail.len() as f32).sqrt();
        assert!(rms > 0.01, "{sample_rate} Hz: rms {rms}");
        assert!(left.iter().all(|x| x.is_finite()));
    }
}
