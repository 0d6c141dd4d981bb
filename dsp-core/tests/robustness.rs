//! Hostile input: NaN, ±inf, denormals, huge values and silence give finite,
//! bounded output, and the engine recovers when normal input returns.

mod common;

use dsp_core::{AdditiveConfig, AdditiveDecoder, Engine, UserControls};

/// An engine with a 1 s reverb at `dry_wet` (0 dry … 1 synthesized).
fn engine(sample_rate: f32, dry_wet: f32) -> Engine {
    let config = common::config_with_reverb(sample_rate, 512, 1.0);
    let mut engine = Engine::new(&config, AdditiveDecoder::boxed(AdditiveConfig::default()));
    engine.set_controls(UserControls { dry_wet, ..UserControls::default() });
    engine.reset();
    engine
}

fn rms(signal: &[f32]) -> f32 {
    (signal.iter().map(|x| x * x).sum::<f32>() / signal.len() as f32).sqrt()
}

#[test]
fn hostile_input_gives_finite_output_and_recovers() {
    let sample_rate = 48_000.0;
    let one_second = sample_rate as usize;
    let voice = common::voice_like(sample_rate as f64, 2 * one_second, 3);
    // The recovery is judged on the synthesized sound alone: a half-dry
    // mix's level depends on the phase between the dry voice and the synth
    // at its pitch, which the garbage leaves different for good.
    let reference = common::render_mono(&mut engine(sample_rate, 1.0), &voice, 512);

    let garbage_kinds: [Box<dyn Fn(usize) -> f32>; 5] = [
        Box::new(|_| f32::NAN),
        Box::new(|n| if n % 2 == 0 { f32::INFINITY } else { f32::NEG_INFINITY }),
        Box::new(|n| if n % 3 == 0 { 1e-39 } else { -1e-42 }),
        Box::new(|n| if n % 2 == 0 { 1e30 } else { -1e30 }),
        Box::new(|n| if n % 7 == 0 { f32::NAN } else { ((n * 7919) % 2000) as f32 / 1000.0 - 1.0 }),
    ];
    for (kind, garbage) in garbage_kinds.iter().enumerate() {
        let mut input: Vec<f32> = (0..one_second / 2).map(garbage).collect();
        input.extend_from_slice(&voice);
        let [_, output] = [0.5, 1.0].map(|dry_wet| {
            let output = common::render_mono(&mut engine(sample_rate, dry_wet), &input, 512);
            assert!(output.iter().all(|x| x.is_finite()), "kind {kind}: non-finite output");
            // Sanitised input is clipped to ±16; the output stays well bounded.
            let peak = output.iter().map(|x| x.abs()).fold(0.0, f32::max);
            assert!(peak < 40.0, "kind {kind}: peak {peak}");
            output
        });
        // Within a second of normal input the sound is the voice's sound
        // again: the last second's level matches a clean run's.
        let tail = &output[output.len() - one_second..];
        let clean_tail = &reference[reference.len() - one_second..];
        let ratio = rms(tail) / rms(clean_tail);
        assert!((0.8..1.25).contains(&ratio), "kind {kind}: level ratio {ratio}");
    }
}

/// Digital silence in is digital silence out: from the start, and after a
/// note once the reverb (1 s here) has rung out; not the decoder's faint
/// answer to silence (the additive decoder's floor reaches −100 dBFS).
#[test]
fn silence_gives_exact_silence() {
    let sample_rate = 44_100.0;
    let one_second = sample_rate as usize;
    let mut engine = engine(sample_rate, 1.0);
    engine.set_controls(UserControls::default());
    let mut input = vec![0.0; one_second];
    input.extend(common::voice_like(sample_rate as f64, one_second, 9));
    input.extend(vec![0.0; 3 * one_second]);
    let output = common::render_mono(&mut engine, &input, 333);
    assert!(output[..one_second].iter().all(|&x| x == 0.0), "sound before the note");
    assert!(output[one_second..2 * one_second].iter().any(|&x| x != 0.0), "the note is not played");
    // The note's end, the analysis lookahead and window, then the reverb.
    let rung_out = 2 * one_second + engine.latency_samples() + (1.2 * sample_rate) as usize;
    let loudest = output[rung_out..].iter().map(|x| x.abs()).fold(0.0, f32::max);
    assert!(loudest == 0.0, "{loudest} after the reverb rang out");
}

/// Every gain at its top and a full-scale overdriven square in: the output
/// stops at the ceiling (the dry path alone would reach 16 × 15.8 × 4).
#[test]
fn output_never_exceeds_the_ceiling() {
    let sample_rate = 48_000.0;
    let config = common::config_with_reverb(sample_rate, 512, 1.0);
    let mut engine = Engine::new(&config, AdditiveDecoder::boxed(AdditiveConfig::default()));
    let top = |range: &std::ops::RangeInclusive<f32>| *range.end();
    engine.set_controls(UserControls {
        input_gain_db: top(&dsp_core::ranges::INPUT_GAIN_DB),
        output_gain_db: top(&dsp_core::ranges::OUTPUT_GAIN_DB),
        harmonic_level_db: top(&dsp_core::ranges::LEVEL_DB),
        noise_level_db: top(&dsp_core::ranges::LEVEL_DB),
        dry_wet: 0.5,
        ..UserControls::default()
    });
    engine.reset();
    let square: Vec<f32> = (0..sample_rate as usize).map(|n| if (n / 200) % 2 == 0 { 1e6 } else { -1e6 }).collect();
    let output = common::render_mono(&mut engine, &square, 512);
    let peak = output.iter().map(|x| x.abs()).fold(0.0, f32::max);
    assert_eq!(peak, dsp_core::engine::OUTPUT_CEILING, "peak {peak}");
}
