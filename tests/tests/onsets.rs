//! Onset timing through every bundled instrument: detached sung notes
//! played offline through the engine the plugin and `ddsp render` build,
//! the output moved back by the reported latency, then each note's onset
//! (its 1 ms RMS envelope reaching a tenth of the note's peak) and rise
//! (a tenth to nine tenths) compared with the input's. The lookahead decides
//! where a frame's sound lands against the dry signal, so this is what
//! shows a lookahead the instruments were not trained with (their onsets
//! land late) or a smeared attack.
//!
//! Measuring other models or another lookahead (ignored test; with
//! DDSP_PITCH_AUDIO, also each model's resynthesis scores on those files,
//! the way `ddsp eval` computes them):
//! DDSP_ONSET_MODELS=dir DDSP_LOOKAHEAD_MS=8 DDSP_PITCH_AUDIO=a.wav,b.wav \
//!   cargo test --release -p ddsp-e2e --test onsets -- --ignored --nocapture

use ddsp_e2e::{rms, sung_melody};
use ddsp_model::checkpoint::Checkpoint;
use ddsp_model::engine::model_engine_config;
use ddsp_model::instruments::BUNDLED_INSTRUMENTS;
use ddsp_model::streaming::engine_decoder;
use ddsp_training::evaluate::{compare, resynthesis_controls};
use dsp_core::{render_clip, AnalysisConfig, Engine, UserControls};

const RATE: f32 = 48_000.0;
/// Envelope resolution: 1 ms.
const ENVELOPE_SAMPLES: usize = 48;
const NOTE_SECONDS: f64 = 0.4;
const REST_SECONDS: f64 = 0.3;
const ATTACK_SECONDS: f64 = 0.01;

/// Detached notes around `center_midi`, each with a 10 ms attack and a rest
/// after it; returns the signal and each note's first sample.
fn detached_notes(center_midi: f64) -> (Vec<f32>, Vec<usize>) {
    let mut signal = vec![0.0f32; (REST_SECONDS * RATE as f64) as usize];
    let mut starts = Vec::new();
    for offset in [0.0, 4.0, -3.0, 7.0, 2.0, -5.0] {
        starts.push(signal.len());
        let note = sung_melody(RATE as f64, &[center_midi + offset], NOTE_SECONDS);
        let attack = ATTACK_SECONDS * RATE as f64;
        signal.extend(note.iter().enumerate().map(|(n, x)| x * (n as f64 / attack).min(1.0) as f32));
        signal.extend(std::iter::repeat_n(0.0, (REST_SECONDS * RATE as f64) as usize));
    }
    (signal, starts)
}

/// (onset, rise) of the note in `signal[from..to]`, ms: the first envelope
/// frame at a tenth of the note's peak, measured from `from`, and from
/// there to nine tenths.
fn onset_and_rise_ms(signal: &[f32], from: usize, to: usize) -> (f32, f32) {
    let envelope: Vec<f32> = signal[from..to].chunks(ENVELOPE_SAMPLES).map(rms).collect();
    let peak = envelope.iter().copied().fold(0.0, f32::max);
    let first = |share: f32| envelope.iter().position(|&e| e >= share * peak).unwrap_or(envelope.len()) as f32;
    let ms_per_frame = 1e3 * ENVELOPE_SAMPLES as f32 / RATE;
    (first(0.1) * ms_per_frame, (first(0.9) - first(0.1)) * ms_per_frame)
}

/// `input` at `rate` through `checkpoint` offline with the analysis
/// lookahead `lookahead_ms` and `controls`, latency-compensated.
fn render(checkpoint: &Checkpoint, input: &[f32], rate: f32, lookahead_ms: f32, controls: UserControls) -> Vec<f32> {
    let mut config = model_engine_config(checkpoint, rate, 1024);
    config.analysis = AnalysisConfig { lookahead_ms, ..AnalysisConfig::default() };
    let mut engine = Engine::new(&config, engine_decoder(checkpoint).unwrap());
    engine.set_offline(true);
    engine.set_controls(controls);
    engine.reset();
    render_clip(&mut engine, &[input.to_vec()], |_| {}).remove(0)
}

/// Median onset lag of the output against the input, and median rise of
/// each, ms, for `checkpoint` with the analysis lookahead `lookahead_ms`.
fn onset_timing(checkpoint: &Checkpoint, lookahead_ms: f32) -> (f32, f32, f32) {
    let center = checkpoint.info.dataset.pitch_midi_quantiles[1].round() as f64;
    let (input, starts) = detached_notes(center);
    let output = render(checkpoint, &input, RATE, lookahead_ms, UserControls::default());
    let (mut lags, mut rises_in, mut rises_out) = (Vec::new(), Vec::new(), Vec::new());
    // Each window spans the note and most of its rest (the tail decays
    // there), starting a little before the note.
    let lead = (0.05 * RATE) as usize;
    for &start in &starts {
        let (from, to) = (start - lead, start + ((NOTE_SECONDS + 0.5 * REST_SECONDS) * RATE as f64) as usize);
        let (onset_in, rise_in) = onset_and_rise_ms(&input, from, to);
        let (onset_out, rise_out) = onset_and_rise_ms(&output, from, to);
        lags.push(onset_out - onset_in);
        rises_in.push(rise_in);
        rises_out.push(rise_out);
    }
    (median(&mut lags), median(&mut rises_in), median(&mut rises_out))
}

fn median(values: &mut [f32]) -> f32 {
    values.sort_by(f32::total_cmp);
    values[values.len() / 2]
}

/// Every bundled instrument's onsets land between 2 ms early and 8 ms late
/// against the input's once the latency is compensated. Measured with the
/// 5.5 ms lookahead they were trained with: violin +4, viola +6, cello +7,
/// flute +3, clarinet +1, trumpet and muted trumpet +1, French horn +5,
/// trombone +4, soprano and alto sax +1, tenor sax +4 ms; the first four
/// models played with 8 ms landed 2–3 ms earlier. The bowed strings are
/// the late ones because their attacks are: their 10–90 % rises are 44–168
/// ms (the cello's bow takes 168 ms to full level, so its tenth comes
/// later), the winds' 15–36 ms (the trumpets reach their plateau in 24 ms
/// and their 90 % only on a later swell, 89 ms). The onset follows the 32
/// ms loudness window, which the shorter lookahead did not change. Oboe
/// +0 ms; the tuba +5 ms (+10 ms when it was trained with a 250 ms room);
/// the bassoon +11 ms, under its own bound (see [`SLOW_ATTACKS`]).
#[test]
fn bundled_instruments_keep_onsets_in_place() {
    for instrument in BUNDLED_INSTRUMENTS {
        let checkpoint = instrument.checkpoint().unwrap();
        let (lag, rise_in, rise_out) = onset_timing(&checkpoint, AnalysisConfig::default().lookahead_ms);
        println!("{}: onset lag {lag:+.0} ms, rise {rise_in:.0} ms in, {rise_out:.0} ms out", instrument.name);
        let latest_ms = SLOW_ATTACKS.iter().find(|(id, _)| *id == instrument.id).map_or(8.0, |&(_, ms)| ms);
        assert!((-2.0..=latest_ms).contains(&lag), "{}: onsets land {lag:+.0} ms off", instrument.name);
    }
}

/// Instruments whose recorded attack puts their tenth of peak later than
/// 8 ms, and the latest they may land, ms. FluidR3's bassoon takes 6 ms
/// from a hundredth to a tenth of its peak and 220 ms from there to nine
/// tenths (the median over its held-out melody's notes after a rest; the
/// tuba's 5 and 90 ms, the clarinet's 14 and 50 ms); the model plays 8 and
/// 108 ms on the same melody, so its tenth comes 11 ms after a sung 10 ms
/// attack's. A bound of its own, so a regression still fails.
const SLOW_ATTACKS: [(&str, f32); 1] = [("bassoon", 13.0)];

#[test]
#[ignore = "a measurement over other models or lookaheads; see the command above"]
fn onset_timing_survey() {
    let lookahead_ms = std::env::var("DDSP_LOOKAHEAD_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(AnalysisConfig::default().lookahead_ms);
    let dir = std::env::var("DDSP_ONSET_MODELS").expect("DDSP_ONSET_MODELS: a folder of .safetensors files");
    let mut paths: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths.into_iter().filter(|p| p.extension().is_some_and(|e| e == "safetensors")) {
        let checkpoint = ddsp_model::checkpoint::load_checkpoint(&path).unwrap();
        let (lag, rise_in, rise_out) = onset_timing(&checkpoint, lookahead_ms);
        println!(
            "{} at {lookahead_ms} ms lookahead: onset lag {lag:+.0} ms, rise {rise_in:.0} ms in, {rise_out:.0} ms out",
            path.display()
        );
        for audio in std::env::var("DDSP_PITCH_AUDIO").unwrap_or_default().split(',').filter(|a| !a.is_empty()) {
            let clip = ddsp_training::audio_file::read_audio(std::path::Path::new(audio)).unwrap();
            let rate = clip.sample_rate_hz as f32;
            let input = &clip.channels[0];
            let output = render(&checkpoint, input, rate, lookahead_ms, resynthesis_controls());
            let scores = compare(input, &output, rate);
            println!(
                "  {audio}: spectral loss {:.3}, loudness L1 {:.2} dB, f0 L1 {:.3} st, RPA {:.1} %",
                scores.spectral_loss,
                scores.loudness_l1_db,
                scores.pitch.f0_l1_semitones,
                100.0 * scores.pitch.raw_pitch_accuracy
            );
        }
    }
}
