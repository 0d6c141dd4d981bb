//! Pictures for the command line, drawn with `plotters`: the training loss
//! curve (SVG: a few lines, so a few kilobytes, sharp at any size) and the
//! analysis of a recording, its spectrogram, f0 with confidence and
//! loudness (PNG: a spectrogram is thousands of cells). Text is measured
//! with the egui default font (no system fonts).

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use ddsp_training::analysis::AnalysisPoint;
use ddsp_training::trainer::LossPoint;

const FONT: &str = "sans-serif";

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, epaint_default_fonts::UBUNTU_LIGHT);
    });
}

fn plot_error(error: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("cannot draw the picture: {error}")
}

/// Draws the loss history as `path` (SVG): one panel per stage, training
/// and validation loss against steps.
pub fn loss_curve_svg(history: &[LossPoint], path: &Path) -> anyhow::Result<()> {
    register_font();
    let root = SVGBackend::new(path, (1200, 450)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let panels = root.split_evenly((1, 2));
    for (panel, stage) in panels.iter().zip(["frames", "audio"]) {
        let points: Vec<&LossPoint> = history.iter().filter(|p| p.stage == stage).collect();
        if points.is_empty() {
            continue;
        }
        let values = points.iter().flat_map(|p| p.train_loss.into_iter().chain([p.validation_loss]));
        let (lo, hi) = values.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let (first, last) = (points[0].step as f32, points[points.len() - 1].step.max(points[0].step + 1) as f32);
        let caption = match stage {
            "frames" => "frame stage: log-amplitude L1 (nepers)",
            _ => "audio stage: multi-scale spectral loss, 16 kHz protocol",
        };
        let mut chart = ChartBuilder::on(panel)
            .caption(caption, (FONT, 20))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(first..last, (lo * 0.95)..(hi * 1.05))
            .map_err(plot_error)?;
        chart
            .configure_mesh()
            .x_desc("step")
            .x_label_formatter(&|step| format!("{step:.0}"))
            .max_light_lines(4)
            .label_style((FONT, 14))
            .draw()
            .map_err(plot_error)?;
        let train: Vec<(f32, f32)> = points.iter().filter_map(|p| p.train_loss.map(|l| (p.step as f32, l))).collect();
        let validation: Vec<(f32, f32)> = points.iter().map(|p| (p.step as f32, p.validation_loss)).collect();
        for (series, color, label) in [(train, BLUE, "training"), (validation, RED, "validation")] {
            chart
                .draw_series(LineSeries::new(series, color.stroke_width(2)))
                .map_err(plot_error)?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .label_font((FONT, 14))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(plot_error)?;
    }
    root.present().map_err(plot_error)
}

/// Draws `path` (PNG): the spectrogram `spectrogram_db[frame][bin]` (bins
/// spanning 0 … `max_hz`, frames spanning the clip) with the f0 track on
/// it (bright where confident), and loudness below.
pub fn analysis_png(
    points: &[AnalysisPoint],
    spectrogram_db: &[Vec<f32>],
    max_hz: f32,
    path: &Path,
) -> anyhow::Result<()> {
    register_font();
    let duration = points.last().map_or(1.0, |p| p.seconds.max(1e-3));
    let root = BitMapBackend::new(path, (1400, 800)).into_drawing_area();
    root.fill(&WHITE).map_err(plot_error)?;
    let (top, bottom) = root.split_vertically(560);
    let mut chart = ChartBuilder::on(&top)
        .caption("spectrogram and f0 (brighter = more confident)", (FONT, 20))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(0f32..duration, 0f32..max_hz)
        .map_err(plot_error)?;
    chart.configure_mesh().y_desc("Hz").label_style((FONT, 14)).disable_mesh().draw().map_err(plot_error)?;
    let num_frames = spectrogram_db.len().max(1);
    let num_bins = spectrogram_db.first().map_or(1, Vec::len).max(1);
    let (frame_s, bin_hz) = (duration / num_frames as f32, max_hz / num_bins as f32);
    let peak = spectrogram_db.iter().flatten().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    chart
        .draw_series(spectrogram_db.iter().enumerate().flat_map(|(f, column)| {
            column.iter().enumerate().map(move |(b, &db)| {
                let level = ((db - peak + 90.0) / 90.0).clamp(0.0, 1.0);
                let shade = (255.0 * (1.0 - level)) as u8;
                let (x, y) = (f as f32 * frame_s, b as f32 * bin_hz);
                Rectangle::new([(x, y), (x + frame_s, y + bin_hz)], RGBColor(shade, shade, shade).filled())
            })
        }))
        .map_err(plot_error)?;
    chart
        .draw_series(points.iter().filter(|p| p.f0_hz < max_hz).map(|p| {
            let color = RGBColor(255, (200.0 * (1.0 - p.confidence)) as u8, 0).mix(0.3 + 0.7 * p.confidence as f64);
            Circle::new((p.seconds, p.f0_hz), 2, color.filled())
        }))
        .map_err(plot_error)?;
    let mut chart = ChartBuilder::on(&bottom)
        .caption("loudness (A-weighted, dB)", (FONT, 20))
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(60)
        .build_cartesian_2d(0f32..duration, -80f32..0f32)
        .map_err(plot_error)?;
    chart.configure_mesh().x_desc("seconds").label_style((FONT, 14)).draw().map_err(plot_error)?;
    chart
        .draw_series(LineSeries::new(
            points.iter().map(|p| (p.seconds, p.loudness_db.max(-80.0))),
            BLUE.stroke_width(2),
        ))
        .map_err(plot_error)?;
    root.present().map_err(plot_error)
}
