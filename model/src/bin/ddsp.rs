//! `ddsp`: the command line of the DDSP timbre-transfer plugin.
//!
//! `ddsp render IN.wav -o OUT.wav` re-synthesizes a recording with the same
//! engine the plugin runs, offline and latency-compensated, so the file
//! equals what a DAW bounce with the same settings plays.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use ddsp_model::audio_file::{read_wav, write_wav, AudioClip};
use dsp_core::{ranges, render_clip, AdditiveConfig, AdditiveDecoder, Engine, EngineConfig, UserControls};
use indicatif::{ProgressBar, ProgressStyle};

/// Real-time neural timbre transfer (DDSP): follow the pitch and loudness of
/// a recording and play them on another instrument.
#[derive(Parser)]
#[command(name = "ddsp", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Timbre-transfer an audio file (offline, same engine as the plugin).
    ///
    /// The input may be mono or stereo at any rate from 22.05 to 192 kHz; the
    /// output is a 32-bit float WAV at the input's rate, aligned sample for
    /// sample with the input (the plugin's latency is compensated).
    ///
    /// Example: ddsp render assets/examples/melody.wav -o melody-out.wav --octave-shift -1
    Render(RenderArgs),
}

#[derive(Args)]
struct RenderArgs {
    /// The recording to transform (WAV).
    input: PathBuf,
    /// Where to write the result (WAV, 32-bit float).
    #[arg(short, long)]
    output: PathBuf,
    /// Whole octaves added to the tracked pitch (−2 … 2).
    #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
    octave_shift: i32,
    /// Fine pitch shift in semitones (−12 … 12).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pitch_shift: f32,
    /// Added to the tracked loudness, dB (−24 … 24).
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    loudness_shift: f32,
    /// Frames with less pitch confidence count as unvoiced (0 … 1).
    #[arg(long, default_value_t = UserControls::default().confidence_threshold)]
    confidence_threshold: f32,
    /// Extra attenuation of unvoiced frames, dB (0 … 60).
    #[arg(long, default_value_t = UserControls::default().quiet_db)]
    quiet: f32,
    /// Move the input toward the instrument's range (0 … 1).
    #[arg(long, default_value_t = 0.0)]
    auto_adjust: f32,
    /// Pull the pitch toward the nearest semitone (0 … 1).
    #[arg(long, default_value_t = 0.0)]
    autotune: f32,
    /// Reverb level (0 … 1; the built-in instrument has no reverb).
    #[arg(long, default_value_t = UserControls::default().reverb_mix)]
    reverb: f32,
    /// 0 = the input only, 1 = the synthesized instrument only.
    #[arg(long, default_value_t = 1.0)]
    dry_wet: f32,
}

impl RenderArgs {
    fn controls(&self) -> UserControls {
        UserControls {
            octave_shift: self.octave_shift,
            pitch_shift_semitones: self.pitch_shift,
            loudness_shift_db: self.loudness_shift,
            confidence_threshold: self.confidence_threshold,
            quiet_db: self.quiet,
            auto_adjust: self.auto_adjust,
            autotune: self.autotune,
            reverb_mix: self.reverb,
            dry_wet: self.dry_wet,
            ..UserControls::default()
        }
    }
}

fn render(args: &RenderArgs) -> Result<(), String> {
    let clip = read_wav(&args.input).map_err(|e| e.to_string())?;
    let rate = clip.sample_rate_hz as f32;
    if !ranges::SAMPLE_RATE_HZ.contains(&rate) {
        return Err(format!(
            "{}: sample rate {} Hz is outside the supported {}–{} Hz",
            args.input.display(),
            clip.sample_rate_hz,
            ranges::SAMPLE_RATE_HZ.start(),
            ranges::SAMPLE_RATE_HZ.end()
        ));
    }
    if clip.channels.len() > 2 {
        return Err(format!(
            "{}: {} channels; the engine takes mono or stereo",
            args.input.display(),
            clip.channels.len()
        ));
    }
    let mut engine = Engine::new(&EngineConfig::new(rate, 1024), AdditiveDecoder::boxed(AdditiveConfig::default()));
    // A file render is a bounce: wait for every decoder output.
    engine.set_offline(true);
    engine.set_controls(args.controls());
    engine.reset();

    let style = ProgressStyle::with_template("rendering {bar:40} {percent:>3}% {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    let progress = ProgressBar::new(1000).with_style(style);
    let channels = render_clip(&mut engine, &clip.channels, |done| progress.set_position((done * 1000.0) as u64));
    progress.finish_and_clear();
    write_wav(&args.output, &AudioClip { channels, sample_rate_hz: clip.sample_rate_hz }).map_err(|e| e.to_string())?;
    eprintln!(
        "wrote {} ({:.2} s at {} Hz; engine latency {} samples, compensated)",
        args.output.display(),
        clip.channels[0].len() as f32 / rate,
        clip.sample_rate_hz,
        engine.latency_samples()
    );
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Render(args) => render(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
