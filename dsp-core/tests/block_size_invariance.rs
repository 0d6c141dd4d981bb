//! The same input gives the same output whatever the host's block sizes,
//! including blocks that change size on every call.

mod common;

use dsp_core::{AdditiveConfig, AdditiveDecoder, Engine, UserControls};

fn render_with_blocks(sample_rate: f32, input: &[f32], block_sizes: &[usize]) -> Vec<f32> {
    let config = common::config_with_reverb(sample_rate, 4096, 1.0);
    let mut engine = Engine::new(&config, AdditiveDecoder::boxed(AdditiveConfig::default()));
    engine.set_controls(UserControls { octave_shift: 1, autotune: 0.3, dry_wet: 0.8, ..UserControls::default() });
    let mut output = input.to_vec();
    let mut start = 0;
    for &size in block_sizes.iter().cycle() {
        if start >= output.len() {
            break;
        }
        let end = (start + size).min(output.len());
        engine.process(&mut [&mut output[start..end]]);
        start = end;
    }
    output
}

#[test]
fn three_seconds_match_for_every_block_size() {
    for &sample_rate in &[44_100.0f32, 48_000.0] {
        let input = common::voice_like(sample_rate as f64, 3 * sample_rate as usize, 5);
        let reference = render_with_blocks(sample_rate, &input, &[128]);
        assert!(reference.iter().map(|x| x.abs()).fold(0.0, f32::max) > 0.01, "reference is silent");
        for blocks in [&[1usize][..], &[7], &[64], &[480], &[4096], &[1, 300, 17, 4096, 0, 5]] {
            let output = render_with_blocks(sample_rate, &input, blocks);
            let max_difference = reference.iter().zip(&output).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            assert!(max_difference <= 1e-6, "{sample_rate} Hz, blocks {blocks:?}: max difference {max_difference}");
        }
    }
}
