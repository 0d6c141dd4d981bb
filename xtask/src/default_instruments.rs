//! `cargo xtask default-instruments`: reproduces every shipped instrument
//! from scratch: phrases → SoundFont audio → `ddsp train` → `ddsp eval` on
//! held-out audio (other melodies, another SoundFont) → `assets/instruments/`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::phrases::default_instruments_named;

/// Where shipped instruments live, relative to the workspace root.
const ASSETS_DIR: &str = "assets/instruments";
/// Training settings of the shipped instruments (see `ddsp train --help`).
const TRAIN_ARGS: [&str; 8] = ["--size", "small", "--frame-steps", "1000", "--audio-steps", "800", "--seed", "1"];

fn run(command: &mut Command) -> Result<String> {
    let output = command.output().with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!("{command:?} failed:\n{}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)))
}

/// Builds the instruments named in `only` (all when empty).
pub fn build(only: &[String]) -> Result<()> {
    run(Command::new("cargo").args(["build", "--release", "--locked", "-p", "ddsp-cli", "--bin", "ddsp"]))?;
    let ddsp = PathBuf::from("target/release/ddsp");
    std::fs::create_dir_all(ASSETS_DIR)?;
    let work = PathBuf::from("target/instrument-models");
    std::fs::create_dir_all(&work)?;
    for spec in default_instruments_named(only) {
        let (train_wav, validation_wav) = crate::render_instrument_audio(spec)?;
        let model = work.join(format!("{}.safetensors", spec.name));
        let mut train_args: Vec<String> = TRAIN_ARGS.iter().map(|arg| arg.to_string()).collect();
        train_args.extend(["--reverb-ms".to_owned(), spec.reverb_ms.to_string()]);
        let started = Instant::now();
        let report = run(Command::new(&ddsp)
            .arg("train")
            .arg(&train_wav)
            .arg("-o")
            .arg(&model)
            .args(["--name", spec.display_name, "--restart"])
            .args(&train_args))?;
        let seconds = started.elapsed().as_secs_f32();
        let evaluation = run(Command::new(&ddsp).arg("eval").arg("--model").arg(&model).arg(&validation_wav))?;
        let target = Path::new(ASSETS_DIR).join(format!("{}.safetensors", spec.name));
        std::fs::copy(&model, &target)?;
        let curve = work.join(format!("{}.loss.svg", spec.name));
        if curve.exists() {
            std::fs::copy(&curve, Path::new(ASSETS_DIR).join(format!("{}.loss.svg", spec.name)))?;
        }
        let text = format!(
            "# {} ({})\n\ntrained with: ddsp train {} -o {} --name \"{}\" {}\nwall time (data preparation + training): {:.0} s\n\n{}\n\nheld-out evaluation (other melodies, MuseScore General SoundFont):\n{}",
            spec.display_name,
            spec.name,
            train_wav.display(),
            model.display(),
            spec.display_name,
            train_args.join(" "),
            seconds,
            report.trim(),
            evaluation.trim()
        );
        std::fs::write(Path::new(ASSETS_DIR).join(format!("{}.txt", spec.name)), &text)?;
        println!("{text}\n");
    }
    Ok(())
}
