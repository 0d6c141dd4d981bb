//! The `ddsp` command line: the main job works, and every bad input gives a
//! clear message and a non-zero exit, never a panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ddsp_model::checkpoint::{save_checkpoint, Checkpoint, CheckpointInfo};
use ddsp_model::config::DecoderConfig;
use ddsp_training::audio_file::{read_audio, write_wav, AudioClip};

fn ddsp(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ddsp")).args(args).output().expect("the ddsp binary runs")
}

fn example() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/examples/melody.wav").display().to_string()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ddsp-cli-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Fails unless the command failed cleanly with `needle` in its message.
fn assert_clean_failure(output: &Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "succeeded: {stderr}");
    assert!(!stderr.contains("panicked"), "panicked: {stderr}");
    assert!(stderr.contains(needle), "message lacks '{needle}': {stderr}");
}

/// `ddsp --help` says what the program does (not the library's
/// description).
#[test]
fn help_says_what_the_program_does() {
    let output = ddsp(&["--help"]);
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("timbre transfer"), "{help}");
    assert!(!help.contains("candle"), "{help}");
}

#[test]
fn renders_the_example_aligned_with_its_input() {
    let out = temp("example-out.wav");
    let output = ddsp(&["render", &example(), "-o", out.to_str().unwrap(), "--octave-shift", "-1"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let input = read_audio(Path::new(&example())).unwrap();
    let rendered = read_audio(&out).unwrap();
    assert_eq!(rendered.sample_rate_hz, input.sample_rate_hz);
    assert_eq!(rendered.channels[0].len(), input.channels[0].len());
    assert!(rendered.channels[0].iter().any(|x| x.abs() > 0.01), "silent render");
}

#[test]
fn renders_with_a_checkpoint() {
    let model = temp("untrained.safetensors");
    let mut checkpoint = Checkpoint::initialised(CheckpointInfo::untrained(DecoderConfig::small_size()), 1).unwrap();
    checkpoint.reverb_ir = vec![0.0, 0.2, 0.1, 0.05];
    save_checkpoint(&model, &checkpoint).unwrap();
    let out = temp("checkpoint-out.wav");
    let output = ddsp(&["render", &example(), "-o", out.to_str().unwrap(), "--model", model.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(read_audio(&out).unwrap().channels[0].iter().all(|x| x.is_finite()));
}

#[test]
fn missing_input() {
    let output = ddsp(&["render", "/nonexistent/take.wav", "-o", temp("x.wav").to_str().unwrap()]);
    assert_clean_failure(&output, "/nonexistent/take.wav");
}

#[test]
fn unreadable_audio() {
    let fake = temp("not-audio.wav");
    std::fs::write(&fake, b"this is a text file wearing a .wav name").unwrap();
    let output = ddsp(&["render", fake.to_str().unwrap(), "-o", temp("y.wav").to_str().unwrap()]);
    assert_clean_failure(&output, "not a recognised audio format");
}

#[test]
fn wrong_model_files() {
    let out = temp("z.wav");
    let output =
        ddsp(&["render", &example(), "-o", out.to_str().unwrap(), "--model", "/nonexistent/violin.safetensors"]);
    assert_clean_failure(&output, "does not exist");
    let corrupt = temp("corrupt.safetensors");
    std::fs::write(&corrupt, b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":").unwrap();
    let output = ddsp(&["render", &example(), "-o", out.to_str().unwrap(), "--model", corrupt.to_str().unwrap()]);
    assert_clean_failure(&output, "checkpoint");
    // An audio file handed in as a model.
    let output = ddsp(&["info", &example()]);
    assert_clean_failure(&output, "not a safetensors checkpoint");
}

#[test]
fn unwritable_output() {
    let output = ddsp(&["render", &example(), "-o", "/nonexistent/dir/out.wav"]);
    assert_clean_failure(&output, "cannot write");
}

/// Without a checkpoint, `info` lists every bundled instrument under its
/// family with its range; `render --help` names each.
#[test]
fn info_lists_the_bundled_instruments() {
    let output = ddsp(&["info"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    for expected in ["Strings", "violin", "Violin", "G3–A6", "(default)", "Saxophones", "tenor-sax"] {
        assert!(stdout.contains(expected), "missing '{expected}' in:\n{stdout}");
    }
    let help = String::from_utf8_lossy(&ddsp(&["render", "--help"]).stdout).into_owned();
    for instrument in ddsp_model::instruments::BUNDLED_INSTRUMENTS {
        assert!(stdout.contains(instrument.id), "info misses {}", instrument.id);
        assert!(help.contains(instrument.id), "render --help misses {}", instrument.id);
    }
}

#[test]
fn info_describes_a_checkpoint() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../model/tests/fixtures/format_v1_tiny.safetensors");
    let output = ddsp(&["info", fixture.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    for expected in ["Test Violin", "6 harmonics, 4 noise bands", "250 frames/s", "G4 (392 Hz)"] {
        assert!(stdout.contains(expected), "missing '{expected}' in:\n{stdout}");
    }
}

/// `seconds` of mono audio at 16 kHz from `sample`, written to `name`.
fn wav(name: &str, seconds: f32, sample: impl Fn(f32) -> f32) -> String {
    let path = temp(name);
    let samples = (0..(seconds * 16_000.0) as usize).map(|n| sample(n as f32 / 16_000.0)).collect();
    write_wav(&path, &AudioClip { channels: vec![samples], sample_rate_hz: 16_000 }).unwrap();
    path.display().to_string()
}

fn tone(t: f32) -> f32 {
    let f0 = if (t * 2.0) as i32 % 2 == 0 { 220.0 } else { 330.0 };
    (1..=8).map(|h| 0.3 / h as f32 * (2.0 * std::f32::consts::PI * f0 * h as f32 * t).sin()).sum()
}

/// Telephone-band and 16 kHz files render (through the engine at 48 kHz)
/// to a file at their own rate and length that carries the tone; below
/// 8 kHz is refused cleanly.
#[test]
fn renders_low_rate_files_at_their_own_rate() {
    let input = wav("low-rate.wav", 2.0, tone);
    let clip = read_audio(Path::new(&input)).unwrap();
    for rate in [8_000u32, 16_000] {
        let source = temp(&format!("low-rate-{rate}.wav"));
        let resampled = dsp_core::resample::resample_clip(&clip.channels[0], 16_000.0, rate as f32);
        write_wav(&source, &AudioClip { channels: vec![resampled.clone()], sample_rate_hz: rate }).unwrap();
        let out = temp(&format!("low-rate-{rate}-out.wav"));
        let output = ddsp(&["render", source.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert!(output.status.success(), "{rate} Hz: {}", String::from_utf8_lossy(&output.stderr));
        let rendered = read_audio(&out).unwrap();
        assert_eq!(rendered.sample_rate_hz, rate);
        assert_eq!(rendered.channels[0].len(), resampled.len());
        let tail = &rendered.channels[0][rate as usize / 2..];
        let rms = (tail.iter().map(|x| x * x).sum::<f32>() / tail.len() as f32).sqrt();
        assert!(rms > 0.01, "{rate} Hz: silent ({rms})");
    }
    let too_low = temp("too-low.wav");
    write_wav(&too_low, &AudioClip { channels: vec![vec![0.0; 4_000]], sample_rate_hz: 4_000 }).unwrap();
    let out = temp("too-low-out.wav");
    assert_clean_failure(
        &ddsp(&["render", too_low.to_str().unwrap(), "-o", out.to_str().unwrap()]),
        "outside the supported 8000",
    );
}

#[test]
fn train_rejects_bad_data_cleanly() {
    let model = temp("never.safetensors");
    let model = model.to_str().unwrap();
    assert_clean_failure(&ddsp(&["train", "/nonexistent/takes", "-o", model]), "does not exist");
    let fake = temp("not-audio-train.wav");
    std::fs::write(&fake, b"text, not audio").unwrap();
    assert_clean_failure(&ddsp(&["train", fake.to_str().unwrap(), "-o", model]), "not a recognised audio format");
    let silence = wav("silence.wav", 20.0, |_| 0.0);
    assert_clean_failure(&ddsp(&["train", &silence, "-o", model]), "pitched and audible");
    let short = wav("short.wav", 3.0, tone);
    assert_clean_failure(&ddsp(&["train", &short, "-o", model]), "pitched and audible");
    let empty_dir = temp("no-audio-here");
    std::fs::create_dir_all(&empty_dir).unwrap();
    assert_clean_failure(&ddsp(&["train", empty_dir.to_str().unwrap(), "-o", model]), "no audio files");
    assert_clean_failure(&ddsp(&["train", &short, "-o", model, "--size", "huge"]), "unknown --size");
    for reverb_ms in ["0", "5000", "NaN"] {
        let args = ["train", &short, "-o", model, "--reverb-ms", reverb_ms];
        assert_clean_failure(&ddsp(&args), "outside what a model can carry");
    }
    assert!(!Path::new(model).exists());
}

#[test]
fn train_writes_a_model_its_loss_curve_and_a_report() {
    let take = wav("take.wav", 16.0, tone);
    let model = temp("cli-trained.safetensors");
    let output = ddsp(&[
        "train",
        &take,
        "-o",
        model.to_str().unwrap(),
        "--frame-steps",
        "3",
        "--audio-steps",
        "1",
        "--name",
        "Test tone",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("held-out resynthesis"), "{stderr}");
    assert_eq!(ddsp_model::checkpoint::load_checkpoint(&model).unwrap().info.name, "Test tone");
    assert!(model.with_file_name("cli-trained.loss.svg").exists());
    assert!(model.with_file_name("cli-trained.train-state.safetensors").exists());
    // The trained model renders and evaluates.
    let output = ddsp(&["eval", "--model", model.to_str().unwrap(), &take]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("spectral loss"));
}

#[test]
fn eval_and_analyze_reject_bad_inputs_cleanly() {
    let take = wav("eval-take.wav", 2.0, tone);
    assert_clean_failure(&ddsp(&["eval", "--model", "/nonexistent/m.safetensors", &take]), "does not exist");
    assert_clean_failure(&ddsp(&["eval", "--model", &example(), &take]), "not a safetensors checkpoint");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../model/tests/fixtures/format_v1_tiny.safetensors");
    assert_clean_failure(
        &ddsp(&["eval", "--model", fixture.to_str().unwrap(), "/nonexistent/x.wav"]),
        "does not exist",
    );
    let blip = wav("blip.wav", 0.2, tone);
    assert_clean_failure(&ddsp(&["eval", "--model", fixture.to_str().unwrap(), &blip]), "shorter than a second");
    assert_clean_failure(&ddsp(&["analyze", "/nonexistent/x.wav"]), "cannot read audio file");
}

#[test]
fn analyze_writes_csv_and_a_picture() {
    let (csv, png) = (temp("analysis.csv"), temp("analysis.png"));
    let output = ddsp(&["analyze", &example(), "--csv", csv.to_str().unwrap(), "--plot", png.to_str().unwrap()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "seconds,f0_hz,confidence,loudness_db");
    assert!(lines.len() > 1000, "{} frames", lines.len());
    // The example sings C4–E4.
    let f0: f32 = lines[500].split(',').nth(1).unwrap().parse().unwrap();
    assert!((250.0..340.0).contains(&f0), "{f0}");
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000);
}

/// `ddsp render` with no model plays the bundled default instrument, and
/// its file equals the engine's own offline render, sample for sample.
#[test]
fn render_equals_the_engines_offline_render_of_the_default_instrument() {
    use ddsp_model::engine::offline_engine;
    use ddsp_model::instruments::{bundled_instrument, DEFAULT_INSTRUMENT};
    use dsp_core::{render_clip, UserControls};

    let out = temp("default-instrument.wav");
    let output = ddsp(&["render", &example(), "-o", out.to_str().unwrap(), "--octave-shift", "1"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let rendered = read_audio(&out).unwrap();

    let input = read_audio(Path::new(&example())).unwrap();
    let checkpoint = bundled_instrument(DEFAULT_INSTRUMENT).unwrap().checkpoint().unwrap();
    let controls = UserControls { octave_shift: 1, dry_wet: 1.0, ..UserControls::default() };
    let mut engine = offline_engine(&checkpoint, input.sample_rate_hz as f32, controls).unwrap();
    let expected = render_clip(&mut engine, &input.channels, |_| {});
    assert_eq!(rendered.channels, expected);
    let rms = (expected[0].iter().map(|x| x * x).sum::<f32>() / expected[0].len() as f32).sqrt();
    assert!(rms > 0.01, "rms {rms}");
}
