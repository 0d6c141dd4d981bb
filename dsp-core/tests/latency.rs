//! Latency contract: the dry path is delayed by exactly
//! `latency_samples()`, and each frame's controls sound at exactly the output
//! sample the engine's timing promises (see `dsp_core::engine`).

mod common;

use dsp_core::decoder::{DatasetStats, DecoderInfo, SyncDecoder, Synchronous};
use dsp_core::framer::Framer;
use dsp_core::mapping::{exp_sigmoid_inverse, harmonic_amplitude, SILENT_RAW};
use dsp_core::{AdditiveConfig, AdditiveDecoder, DecoderOutput, Engine, EngineConfig, FeatureFrame, UserControls};

#[test]
fn dry_impulse_lands_exactly_latency_samples_later() {
    for &(sample_rate, block) in
        &[(44_100.0f32, 128usize), (48_000.0, 128), (22_050.0, 7), (96_000.0, 480), (192_000.0, 64)]
    {
        let mut engine =
            Engine::new(&EngineConfig::new(sample_rate, block), AdditiveDecoder::boxed(AdditiveConfig::default()));
        engine.set_controls(UserControls { dry_wet: 0.0, ..UserControls::default() });
        engine.reset();
        let mut input = vec![0.0f32; 3 * engine.latency_samples() + 1000];
        let onset = 333;
        input[onset] = 1.0;
        let output = common::render_mono(&mut engine, &input, block);
        let peak = output.iter().enumerate().max_by(|a, b| a.1.abs().total_cmp(&b.1.abs())).unwrap();
        assert_eq!(peak.0, onset + engine.latency_samples(), "{sample_rate} Hz");
        assert!((peak.1 - 1.0).abs() < 1e-6);
        // Nothing else leaks through.
        assert!(output.iter().enumerate().all(|(n, &x)| n == peak.0 || x.abs() < 1e-6));
    }
}

/// Plays a pure sine at the held default pitch: silent for the first
/// `loud_from_frame` frames, then at amplitude 1.
struct StepDecoder {
    info: DecoderInfo,
    frame: usize,
    loud_from_frame: usize,
}

impl SyncDecoder for StepDecoder {
    fn info(&self) -> &DecoderInfo {
        &self.info
    }

    fn reset(&mut self) {
        self.frame = 0;
    }

    fn decode(&mut self, _features: &FeatureFrame, out: &mut DecoderOutput) {
        self.frame += 1;
        *out = DecoderOutput::silent(1, 2);
        out.amplitude_raw = if self.frame >= self.loud_from_frame { exp_sigmoid_inverse(1.0) } else { SILENT_RAW };
    }
}

#[test]
fn each_frame_sounds_exactly_where_the_latency_says() {
    for &(sample_rate, frame_rate) in &[(48_000.0f32, 250.0f32), (44_100.0, 250.0), (22_050.0, 100.0)] {
        let loud_from_frame = 20;
        let decoder = StepDecoder {
            info: DecoderInfo {
                frame_rate_hz: frame_rate,
                model_rate_hz: sample_rate,
                num_harmonics: 1,
                num_noise_bands: 2,
                dataset: DatasetStats { pitch_midi_quantiles: [57.0; 3], loudness_db_quantiles: [-20.0; 3] },
            },
            frame: 0,
            loud_from_frame,
        };
        let mut engine = Engine::new(&EngineConfig::new(sample_rate, 256), Box::new(Synchronous::new(decoder)));
        // Faint noise: unvoiced (the pitch holds), and not the digital
        // silence the engine answers with silence.
        let mut noise = common::TestNoise::new(3);
        let input: Vec<f32> = (0..(sample_rate * 0.3) as usize).map(|_| 1e-3 * noise.next()).collect();
        let output = common::render_mono(&mut engine, &input, 256);

        // Frame k is complete after b_k input samples; it stands for input
        // sample b_k − 1 − lookahead and must sound at that + latency.
        let framer = Framer::new(sample_rate as f64, frame_rate as f64);
        let boundary = |k: usize| (k as f64 * framer.hop_samples()).ceil() as usize;
        let stands_for = boundary(loud_from_frame) - 1 - engine.lookahead_samples();
        let sounds_at = stands_for + engine.latency_samples();
        let glide_starts_at = boundary(loud_from_frame - 1) + engine.synth_delay_samples();

        // Silent (the harmonic and noise floor amplitudes only, −120 dB)
        // before the glide starts, audible right after.
        let floor = 10.0 * harmonic_amplitude(SILENT_RAW);
        let early = output[..glide_starts_at].iter().map(|x| x.abs()).fold(0.0, f32::max);
        assert!(early <= floor, "{sample_rate} Hz: early sound {early}");
        let rising = output[glide_starts_at..glide_starts_at + 64].iter().map(|x| x.abs()).fold(0.0, f32::max);
        assert!(rising > 100.0 * floor, "{sample_rate} Hz: the glide does not start at {glide_starts_at}");
        // The pure sine at the held pitch, with the analytic phase, reaches
        // full amplitude exactly at `sounds_at` and stays there.
        let f0 = output_pitch(&engine);
        for (n, &sample) in output.iter().enumerate().skip(sounds_at).take(400) {
            let synth_sample = n - engine.synth_delay_samples();
            let expected = (2.0 * std::f64::consts::PI * f0 * (synth_sample + 1) as f64 / sample_rate as f64).sin();
            assert!((sample as f64 - expected).abs() < 1e-3, "{sample_rate} Hz, sample {n}: {sample} vs {expected}");
        }
        // One sample earlier the glide is still below full amplitude.
        let before = sounds_at - 1 - engine.synth_delay_samples();
        let full = (2.0 * std::f64::consts::PI * f0 * (before + 1) as f64 / sample_rate as f64).sin();
        assert!(output[sounds_at - 1].abs() < full.abs() as f32 || full.abs() < 1e-3);
    }
}

/// The pitch silence is played at: the tracker's default, through the
/// controls' MIDI round trip.
fn output_pitch(_engine: &Engine) -> f64 {
    let midi = dsp_core::pitch_units::hz_to_midi(dsp_core::pitch::DEFAULT_F0_HZ);
    dsp_core::pitch_units::midi_to_hz(midi) as f64
}

/// 250 Hz frames: 5.5 ms lookahead + one 4 ms hop (rounded up) = 9.5 ms at
/// 44.1 and 48 kHz, under the 10 ms goal.
#[test]
fn latency_meets_the_target() {
    for (rate, lookahead, hop) in [(44_100.0, 243, 177), (48_000.0, 264, 192)] {
        let engine = Engine::new(&EngineConfig::new(rate, 128), AdditiveDecoder::boxed(AdditiveConfig::default()));
        assert_eq!(engine.latency_samples(), lookahead + hop, "{rate} Hz");
        assert!(engine.latency_samples() as f32 / rate <= 0.010, "{rate} Hz");
    }
}
