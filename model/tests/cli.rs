//! The `ddsp` command line: the main job works, and every bad input gives a
//! clear message and a non-zero exit, never a panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ddsp_model::audio_file::read_audio;
use ddsp_model::checkpoint::{save_checkpoint, Checkpoint, CheckpointInfo};
use ddsp_model::config::DecoderConfig;

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

#[test]
fn info_describes_a_checkpoint() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/format_v1_tiny.safetensors");
    let output = ddsp(&["info", fixture.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    for expected in ["Test Violin", "6 harmonics, 4 noise bands", "250 frames/s", "G4 (392 Hz)"] {
        assert!(stdout.contains(expected), "missing '{expected}' in:\n{stdout}");
    }
}
