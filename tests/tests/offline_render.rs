//! The command line's offline render: sample-aligned with the input, equal
//! to the streaming engine's output shifted by the reported latency, and a
//! re-synthesis that follows the input's pitch.

use std::path::Path;

use ddsp_training::audio_file::read_audio;
use dsp_core::pitch::{track_clip, PitchConfig};
use dsp_core::pitch_units::cents_between;
use dsp_core::{render_clip, AdditiveConfig, AdditiveDecoder, Engine, EngineConfig, UserControls};

fn example() -> (Vec<f32>, f32) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/examples/melody.wav");
    let clip = read_audio(&path).expect("the example input ships in assets/examples");
    (clip.channels[0].clone(), clip.sample_rate_hz as f32)
}

fn engine(sample_rate: f32, max_block: usize, controls: UserControls) -> Engine {
    let mut engine =
        Engine::new(&EngineConfig::new(sample_rate, max_block), AdditiveDecoder::boxed(AdditiveConfig::default()));
    engine.set_controls(controls);
    engine.reset();
    engine
}

#[test]
fn offline_render_is_the_streaming_output_shifted_by_the_latency() {
    let (input, rate) = example();
    let controls = UserControls { dry_wet: 0.6, ..UserControls::default() };
    let mut offline_engine = engine(rate, 1024, controls);
    let offline = render_clip(&mut offline_engine, std::slice::from_ref(&input), |_| {}).remove(0);
    assert_eq!(offline.len(), input.len());

    let mut streaming_engine = engine(rate, 128, controls);
    let latency = streaming_engine.latency_samples();
    let mut streamed = input.clone();
    streamed.resize(input.len() + latency, 0.0);
    for block in streamed.chunks_mut(128) {
        streaming_engine.process(&mut [block]);
    }
    assert_eq!(&streamed[latency..], &offline[..]);
}

/// Pitch per frame at 250 Hz: (f0, confidence).
fn pitch_track(signal: &[f32], rate: f32) -> Vec<(f32, f32)> {
    track_clip(signal, rate, 250.0, PitchConfig::default())
        .into_iter()
        .map(|frame| (frame.estimate.f0_hz, frame.estimate.confidence))
        .collect()
}

#[test]
fn rendered_example_follows_the_input_an_octave_down() {
    let (input, rate) = example();
    let mut engine = engine(rate, 1024, UserControls { octave_shift: -1, ..UserControls::default() });
    let output = render_clip(&mut engine, std::slice::from_ref(&input), |_| {}).remove(0);
    let input_track = pitch_track(&input, rate);
    let output_track = pitch_track(&output, rate);
    let (mut voiced, mut within_50_cents) = (0, 0);
    for (&(f0_in, conf_in), &(f0_out, conf_out)) in input_track.iter().zip(&output_track) {
        if conf_in > 0.9 && conf_out > 0.5 {
            voiced += 1;
            if cents_between(f0_out, f0_in / 2.0).abs() < 50.0 {
                within_50_cents += 1;
            }
        }
    }
    // Note changes smear over one analysis window on each side; everything
    // else must be in tune.
    let share = within_50_cents as f32 / voiced as f32;
    assert!(voiced > input_track.len() / 2, "only {voiced} voiced frames");
    assert!(share > 0.9, "{within_50_cents} of {voiced} frames within 50 cents");
}
