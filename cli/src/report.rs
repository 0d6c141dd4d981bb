//! What `ddsp train` says when it finishes: the loss history, the
//! resynthesis metrics of the held-out audio (through the real engine), and
//! the loss curve as a picture beside the model (`MODEL.loss.svg`).

use std::path::{Path, PathBuf};

use ddsp_training::dataset::Dataset;
use ddsp_training::evaluate::evaluate;
use ddsp_training::trainer::Trainer;

use crate::plot::loss_curve_svg;

/// Where the loss curve of `model_path` is drawn.
pub fn loss_curve_path(model_path: &Path) -> PathBuf {
    let mut name = model_path.file_stem().map(|s| s.to_os_string()).unwrap_or_default();
    name.push(".loss.svg");
    model_path.with_file_name(name)
}

/// Draws the loss curve and returns a text report of the run so far.
pub fn training_report(trainer: &Trainer, dataset: &Dataset, model_path: &Path) -> anyhow::Result<String> {
    let mut lines = vec![format!(
        "wrote {} after {} steps, {:.0} s of training",
        model_path.display(),
        trainer.step(),
        trainer.seconds()
    )];
    lines.push("loss history (frame stage: log-amplitude L1; audio stage: multi-scale spectral loss up to 8 kHz, as the 16 kHz protocol measures it):".into());
    for point in trainer.history() {
        lines.push(format!(
            "  step {:>5} {:>6.0} s  {:<6} train {:>7}  validation {:.4}",
            point.step,
            point.seconds,
            point.stage,
            point.train_loss.map_or("-".to_owned(), |l| format!("{l:.4}")),
            point.validation_loss
        ));
    }
    let curve = loss_curve_path(model_path);
    loss_curve_svg(trainer.history(), &curve)?;
    lines.push(format!("loss curve: {}", curve.display()));

    // The held-out end of every file, played through the engine.
    let checkpoint = trainer.checkpoint("report")?;
    let rate = checkpoint.info.config.model_rate_hz;
    let held_out: Vec<f32> = dataset.clips.iter().flat_map(|clip| clip.validation_audio().iter().copied()).collect();
    let result = evaluate(&checkpoint, &held_out, rate, |_| {})?;
    lines.push(format!(
        "held-out resynthesis ({:.0} s): spectral loss {:.3}, loudness L1 {:.2} dB, f0 L1 {:.3} semitones, raw pitch accuracy {:.1} %",
        result.seconds,
        result.spectral_loss,
        result.loudness_l1_db,
        result.pitch.f0_l1_semitones,
        100.0 * result.pitch.raw_pitch_accuracy
    ));
    Ok(lines.join("\n"))
}
