//! The engine's contract with a decoder that can miss its deadline (the
//! `Decoder` trait allows one that answers from elsewhere): a late output is
//! held, never silent, and counted.

mod common;

use common::harmonic_tone;
use dsp_core::{
    AdditiveConfig, AdditiveDecoder, DecodeStatus, Decoder, DecoderInfo, DecoderOutput, Engine, EngineConfig,
    FeatureFrame,
};

/// The additive decoder, reporting every `late_every`-th frame late.
struct SometimesLate {
    inner: Box<dyn Decoder>,
    late_every: u64,
}

impl Decoder for SometimesLate {
    fn info(&self) -> &DecoderInfo {
        self.inner.info()
    }

    fn reset(&mut self) {
        self.inner.reset();
    }

    fn submit(&mut self, frame_index: u64, features: &FeatureFrame) {
        self.inner.submit(frame_index, features);
    }

    fn receive(&mut self, frame_index: u64, wait: bool, out: &mut DecoderOutput) -> DecodeStatus {
        if frame_index % self.late_every == self.late_every - 1 {
            return DecodeStatus::Late;
        }
        self.inner.receive(frame_index, wait, out)
    }
}

#[test]
fn late_outputs_are_held_and_counted_never_silent() {
    let rate = 48_000.0;
    let decoder = SometimesLate { inner: AdditiveDecoder::boxed(AdditiveConfig::default()), late_every: 7 };
    let mut engine = Engine::new(&EngineConfig::new(rate, 128), Box::new(decoder));
    let mut signal = harmonic_tone(220.0, rate as f64, rate as usize, 8);
    for block in signal.chunks_mut(128) {
        engine.process(&mut [block]);
    }
    let frames = engine.frames();
    assert!(engine.late_frames() >= frames / 7 - 2 && engine.late_frames() <= frames / 7 + 1, "{frames} frames");
    // After the attack, every 5 ms of output carries sound.
    let window = (0.005 * rate) as usize;
    let start = engine.latency_samples() + (0.1 * rate) as usize;
    for (index, chunk) in signal[start..].chunks_exact(window).enumerate() {
        let rms = (chunk.iter().map(|x| x * x).sum::<f32>() / window as f32).sqrt();
        assert!(rms > 0.01, "silence in window {index} (rms {rms})");
    }
}
