//! Level match through the whole engine: the additive instrument, which on
//! its own plays the voice-like input about 5 dB under its loudness, comes
//! out at the input's loudness; the harmonic and noise levels still lower
//! it as plain gains; at amount 0 nothing changes.

mod common;

use dsp_core::loudness::loudness_track_centred;
use dsp_core::{AdditiveConfig, AdditiveDecoder, Engine, UserControls};

const RATE: f32 = 48_000.0;
/// The loudness frames compared, one per 4 ms.
const HOP: usize = 192;

/// Median of output minus input loudness, dB, over the frames louder than
/// −50 dB after the first second, at `controls`.
fn median_level_offset_db(controls: UserControls) -> f32 {
    let config = common::config_with_reverb(RATE, 512, 0.25);
    let mut engine = Engine::new(&config, AdditiveDecoder::boxed(AdditiveConfig::default()));
    engine.set_controls(controls);
    engine.reset();
    let input = common::voice_like(RATE as f64, 6 * RATE as usize, 4);
    let output = common::render_mono(&mut engine, &input, 512);
    let latency = engine.latency_samples();
    let input_db = loudness_track_centred(&input[..input.len() - latency], RATE, 32.0, HOP);
    let output_db = loudness_track_centred(&output[latency..], RATE, 32.0, HOP);
    let first = RATE as usize / HOP;
    let mut offsets: Vec<f32> = input_db[first..]
        .iter()
        .zip(&output_db[first..])
        .filter(|(input, _)| **input > -50.0)
        .map(|(input, output)| output - input)
        .collect();
    offsets.sort_by(f32::total_cmp);
    offsets[offsets.len() / 2]
}

#[test]
fn the_instrument_plays_at_the_input_level() {
    let wet = UserControls { dry_wet: 1.0, ..UserControls::default() };
    let model_level = median_level_offset_db(UserControls { level_match: 0.0, ..wet });
    assert!(model_level < -3.0, "the additive instrument alone: {model_level} dB");
    let matched = median_level_offset_db(wet);
    assert!(matched.abs() < 1.0, "matched: {matched} dB");
    let half = median_level_offset_db(UserControls { level_match: 0.5, ..wet });
    assert!((half - 0.5 * model_level).abs() < 1.0, "half: {half} dB, alone {model_level} dB");
}

/// Harmonic and noise level 6 dB down lower the matched output by 6 dB;
/// the loudness shift raises it by its amount.
#[test]
fn levels_and_loudness_shift_still_move_the_level() {
    let wet = UserControls { dry_wet: 1.0, ..UserControls::default() };
    let matched = median_level_offset_db(wet);
    let lowered = median_level_offset_db(UserControls { harmonic_level_db: -6.0, noise_level_db: -6.0, ..wet });
    assert!((lowered - matched + 6.0).abs() < 1.0, "levels -6 dB: {lowered} dB against {matched} dB");
    let shifted = median_level_offset_db(UserControls { loudness_shift_db: 6.0, ..wet });
    assert!((shifted - matched - 6.0).abs() < 1.5, "shift +6 dB: {shifted} dB against {matched} dB");
}
