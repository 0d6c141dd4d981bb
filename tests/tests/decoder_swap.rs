//! Swapping decoders while audio runs: lock-free and allocation-free on the
//! audio thread, the old decoder freed by the sender's thread, no click.

use ddsp_e2e::realtime_guard::guarded;
use ddsp_e2e::{sung_melody, test_reverb_ir};
use ddsp_model::checkpoint::{Checkpoint, CheckpointInfo};
use ddsp_model::config::DecoderConfig;
use ddsp_model::streaming::engine_decoder;
use dsp_core::swap::SwapError;
use dsp_core::{AdditiveConfig, AdditiveDecoder, Engine, EngineConfig};

const RATE: f32 = 48_000.0;
const BLOCK: usize = 128;

fn bright() -> AdditiveConfig {
    AdditiveConfig::default()
}

fn dark() -> AdditiveConfig {
    AdditiveConfig { num_harmonics: 60, tilt_db_per_octave: -12.0, noise_level_db: -30.0, ..AdditiveConfig::default() }
}

/// Processes `input` block by block with the guard up around each block;
/// `between(block_index)` runs outside the guard before each block.
fn process(engine: &mut Engine, input: &[f32], mut between: impl FnMut(usize)) -> Vec<f32> {
    let mut output = input.to_vec();
    for (index, block) in output.chunks_mut(BLOCK).enumerate() {
        between(index);
        guarded(|| engine.process(&mut [block]));
    }
    output
}

#[test]
fn additive_swap_is_allocation_free_and_frees_off_thread() {
    let input = sung_melody(RATE as f64, &[57.0, 60.0, 64.0, 62.0], 0.25);
    let mut engine = Engine::new(&EngineConfig::new(RATE, BLOCK), AdditiveDecoder::boxed(bright()));
    let mut sender = engine.connect_slot();
    let swap_block = 150;
    process(&mut engine, &input, |index| {
        if index == swap_block {
            assert!(sender.send(AdditiveDecoder::boxed(dark())).is_ok());
        }
    });
    assert_eq!(engine.decoder_info().num_harmonics, 60, "the new decoder is not playing");
    assert_eq!(sender.free_retired(), 1, "the old decoder did not come back");
}

fn small_checkpoint(seed: u64) -> Checkpoint {
    Checkpoint::initialised(CheckpointInfo::untrained(DecoderConfig::small_size()), seed).unwrap()
}

#[test]
fn model_swap_is_allocation_free_and_frees_off_thread() {
    let input = sung_melody(RATE as f64, &[57.0, 64.0], 0.4);
    let first = engine_decoder(&small_checkpoint(1)).unwrap();
    let mut engine = Engine::new(&EngineConfig::new(RATE, BLOCK), first);
    let mut sender = engine.connect_slot();
    let second = small_checkpoint(2);
    process(&mut engine, &input, |index| {
        if index == 40 {
            // Built here, off the audio thread.
            assert!(sender.send(engine_decoder(&second).unwrap()).is_ok());
        }
    });
    // The retired model comes back to be freed here, not in process().
    assert_eq!(sender.free_retired(), 1);
}

#[test]
fn incompatible_decoders_are_refused_before_reaching_the_engine() {
    let mut engine = Engine::new(&EngineConfig::new(RATE, BLOCK), AdditiveDecoder::boxed(bright()));
    let mut sender = engine.connect_slot();
    let other_rate = AdditiveConfig { frame_rate_hz: 100.0, ..bright() };
    let Err((_, error)) = sender.send(AdditiveDecoder::boxed(other_rate)) else { panic!("accepted") };
    assert!(matches!(error, SwapError::Incompatible(_)), "{error}");
    let other_bands = AdditiveConfig { num_noise_bands: 33, ..bright() };
    assert!(sender.send(AdditiveDecoder::boxed(other_bands)).is_err());
}

fn max_step(signal: &[f32]) -> f32 {
    signal.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max)
}

/// The largest sample-to-sample step around the swap stays within 20 % of
/// the largest step of either instrument playing steadily: a click (a jump
/// in level or phase) would exceed it many times over.
#[test]
fn swap_does_not_click() {
    let input = sung_melody(RATE as f64, &[57.0], 2.0);
    let mut engine = Engine::new(&EngineConfig::new(RATE, BLOCK), AdditiveDecoder::boxed(bright()));
    let mut sender = engine.connect_slot();
    let swap_block = (1.0 * RATE) as usize / BLOCK;
    let output = process(&mut engine, &input, |index| {
        if index == swap_block {
            assert!(sender.send(AdditiveDecoder::boxed(dark())).is_ok());
        }
    });
    let at = |seconds: f32| (seconds * RATE) as usize + engine.latency_samples();
    let swap = swap_block * BLOCK + engine.latency_samples();
    let steady_bright = max_step(&output[at(0.5)..at(0.95)]);
    let steady_dark = max_step(&output[at(1.3)..at(1.75)]);
    let around_swap = max_step(&output[swap - 2400..swap + 4800]);
    println!("max step: bright {steady_bright}, dark {steady_dark}, around the swap {around_swap}");
    assert!(around_swap <= 1.2 * steady_bright.max(steady_dark), "click: {around_swap}");
    // And the timbre did change.
    assert!((steady_bright - steady_dark).abs() > 0.1 * steady_bright);
}

/// An instrument sent with its own reverb: swapped without allocating on
/// the audio thread, the new room heard afterwards, the old reverb's tail
/// faded rather than cut (no click), and both old parts freed by the
/// sender.
#[test]
fn reverb_swaps_with_its_decoder_without_a_click() {
    let input = sung_melody(RATE as f64, &[57.0], 2.0);
    let mut config = EngineConfig::new(RATE, BLOCK);
    config.reverb_ir = test_reverb_ir(0.4, RATE);
    config.reverb_ir_rate_hz = RATE;
    let controls = dsp_core::UserControls { reverb_mix: 1.0, dry_wet: 1.0, ..Default::default() };
    let run = |decoder: AdditiveConfig, swap_reverb: Option<Vec<f32>>| {
        let mut engine = Engine::new(&config, AdditiveDecoder::boxed(bright()));
        engine.set_controls(controls);
        engine.reset();
        let mut sender = engine.connect_slot();
        let swap_block = (1.0 * RATE) as usize / BLOCK;
        let output = process(&mut engine, &input, |index| {
            if index == swap_block {
                let reverb = swap_reverb.as_ref().map(|ir| Box::new(dsp_core::reverb::Reverb::new(ir, RATE, RATE)));
                let instrument = dsp_core::swap::Instrument { decoder: AdditiveDecoder::boxed(decoder), reverb };
                assert!(sender.send_instrument(instrument).is_ok());
            }
        });
        (output, sender.free_retired(), swap_block * BLOCK + engine.latency_samples())
    };
    let (kept, kept_freed, swap) = run(bright(), None);
    let (swapped, swapped_freed, _) = run(bright(), Some(test_reverb_ir(0.1, RATE)));
    let (new_decoder, _, _) = run(dark(), None);
    assert_eq!(kept_freed, 1, "only the decoder");
    assert_eq!(swapped_freed, 2, "the decoder and the old reverb");
    // Same decoder both times: before the swap identical (the swapped
    // frame sounds up to a lookahead before `swap`), after it the room
    // differs.
    let before = swap - 2400;
    assert!(kept[..before] == swapped[..before], "the swap reached back in time");
    let after = swap + (0.2 * RATE) as usize;
    let difference = kept[after..].iter().zip(&swapped[after..]).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(difference > 1e-3, "the new reverb is not playing: {difference}");
    // The rooms' difference fades in: in the first millisecond after the
    // swap it stays under a tenth of what it is once the fade is over (a
    // cut would put all of it there at once).
    let change: Vec<f32> = kept.iter().zip(&swapped).map(|(a, b)| (a - b).abs()).collect();
    let start = change.iter().position(|&d| d > 0.0).unwrap();
    // The rooms swap at the new decoder's first sample, though the reverb
    // runs as the wet signal is played and the decoder as it is
    // synthesised (the fade's first sample is still all old room).
    let decoder_start = kept.iter().zip(&new_decoder).position(|(a, b)| a != b).unwrap();
    assert_eq!(start, decoder_start + 1, "the room and the decoder swap at different samples");
    let peak = |from_ms: f32, to_ms: f32| {
        let at = |ms: f32| start + (ms * 1e-3 * RATE) as usize;
        change[at(from_ms)..at(to_ms)].iter().fold(0.0f32, |a, &b| a.max(b))
    };
    let (fading_in, faded) = (peak(0.0, 1.0), peak(40.0, 80.0));
    assert!(fading_in < 0.1 * faded, "reverb cut: {fading_in} in the first ms, {faded} after the fade");
    let steady = max_step(&swapped[swap - 24_000..swap - 2400]).max(max_step(&swapped[after..]));
    let around_swap = max_step(&swapped[swap - 2400..swap + 4800]);
    assert!(around_swap <= 1.2 * steady, "click: {around_swap} against {steady}");
}
