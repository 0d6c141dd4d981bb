//! Bypass: the output becomes the untouched input, delayed by the latency
//! (the track stays in time), and the engine keeps listening meanwhile, so
//! when bypass ends it plays exactly what it would have played had it never
//! been bypassed.

mod common;

use dsp_core::{AdditiveConfig, AdditiveDecoder, Engine, UserControls};

const RATE: f32 = 48_000.0;
const BLOCK: usize = 256;

fn engine() -> Engine {
    let config = common::config_with_reverb(RATE, BLOCK, 1.0);
    let mut engine = Engine::new(&config, AdditiveDecoder::boxed(AdditiveConfig::default()));
    // Input and output gains that bypass must not apply.
    engine.set_controls(UserControls { input_gain_db: 6.0, output_gain_db: -3.0, ..UserControls::default() });
    engine.reset();
    engine
}

/// Renders `input`, bypassed from block `from` until block `to`.
fn render(engine: &mut Engine, input: &[f32], from: usize, to: usize) -> Vec<f32> {
    let mut output = input.to_vec();
    let normal = UserControls { input_gain_db: 6.0, output_gain_db: -3.0, ..UserControls::default() };
    for (index, block) in output.chunks_mut(BLOCK).enumerate() {
        engine.set_controls(UserControls { bypass: (from..to).contains(&index), ..normal });
        engine.process(&mut [block]);
    }
    output
}

#[test]
fn bypass_plays_the_delayed_input_and_returns_seamlessly() {
    let one_second = RATE as usize;
    let input = common::voice_like(RATE as f64, 3 * one_second, 5);
    let mut never = engine();
    let reference = render(&mut never, &input, 0, 0);
    let mut bypassed = engine();
    let latency = bypassed.latency_samples();
    // Bypassed from 0.5 s to 1.5 s (block indices).
    let (from, to) = (one_second / 2 / BLOCK, 3 * one_second / 2 / BLOCK);
    let output = render(&mut bypassed, &input, from, to);

    // Once the 20 ms smoothing has settled (well within 0.4 s), the output
    // is the input, latency samples later, to the bit.
    let settled = from * BLOCK + (0.4 * RATE) as usize;
    for n in settled..to * BLOCK {
        assert_eq!(output[n].to_bits(), input[n - latency].to_bits(), "sample {n}");
    }
    // Before bypass and once it has faded out again, exactly the engine
    // that was never bypassed.
    assert_eq!(&output[..from * BLOCK], &reference[..from * BLOCK]);
    let back = to * BLOCK + (0.4 * RATE) as usize;
    assert_eq!(&output[back..], &reference[back..]);
    // The crossfades are smooth: no step larger than the signals' own.
    let max_step = |s: &[f32]| s.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max);
    let largest = max_step(&input).max(max_step(&reference));
    assert!(max_step(&output) <= 1.2 * largest, "{} against {largest}", max_step(&output));
}
