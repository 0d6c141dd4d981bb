//! `ddsp`: the command line of the DDSP timbre-transfer plugin.
//!
//! `ddsp render IN -o OUT.wav` re-synthesizes a recording with the same
//! engine the plugin runs, offline and latency-compensated, so the file
//! equals what a DAW bounce with the same settings plays. `ddsp info MODEL`
//! describes a checkpoint.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use ddsp_model::audio_file::{read_audio, write_wav, AudioClip};
use ddsp_model::checkpoint::{load_checkpoint, Checkpoint};
use ddsp_model::worker::InferenceDecoder;
use dsp_core::pitch_units::midi_to_hz;
use dsp_core::{ranges, render_clip, AdditiveConfig, AdditiveDecoder, Decoder, Engine, EngineConfig, UserControls};
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
    /// Describe a checkpoint: name, sizes, rates and the training range.
    ///
    /// Example: ddsp info my-violin.safetensors
    Info {
        /// The checkpoint (.safetensors).
        model: PathBuf,
    },
}

/// The instrument `render` plays when no checkpoint is given.
const BUILT_IN_MODEL: &str = "additive";

#[derive(Args)]
struct RenderArgs {
    /// The recording to transform (WAV, FLAC, MP3 or Ogg Vorbis).
    input: PathBuf,
    /// Where to write the result (WAV, 32-bit float).
    #[arg(short, long)]
    output: PathBuf,
    /// The instrument: a checkpoint file (.safetensors), or "additive" for
    /// the built-in additive instrument.
    #[arg(short, long, default_value = BUILT_IN_MODEL)]
    model: String,
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
    let clip = read_audio(&args.input).map_err(|e| e.to_string())?;
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
    let mut config = EngineConfig::new(rate, 1024);
    let decoder: Box<dyn Decoder> = if args.model == BUILT_IN_MODEL {
        AdditiveDecoder::boxed(AdditiveConfig::default())
    } else {
        let checkpoint = load_checkpoint(&PathBuf::from(&args.model)).map_err(|e| e.to_string())?;
        config.reverb_ir = checkpoint.reverb_ir.clone();
        config.reverb_ir_rate_hz = checkpoint.info.config.model_rate_hz;
        Box::new(InferenceDecoder::spawn(&checkpoint).map_err(|e| e.to_string())?)
    };
    let mut engine = Engine::new(&config, decoder);
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

fn note_name(midi: f32) -> String {
    const NAMES: [&str; 12] = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
    let rounded = midi.round() as i32;
    format!("{}{} ({:.0} Hz)", NAMES[rounded.rem_euclid(12) as usize], rounded.div_euclid(12) - 1, midi_to_hz(midi))
}

fn describe(checkpoint: &Checkpoint) -> String {
    let info = &checkpoint.info;
    let config = &info.config;
    let parameters: usize = checkpoint.tensors.values().map(|t| t.elem_count()).sum();
    let stats = &info.dataset;
    let [p05, p50, p95] = stats.pitch_midi_quantiles;
    let [l05, l50, l95] = stats.loudness_db_quantiles;
    let reverb = if checkpoint.reverb_ir.is_empty() {
        "none".to_owned()
    } else {
        format!("{:.2} s", checkpoint.reverb_ir.len() as f32 / config.model_rate_hz)
    };
    format!(
        "name:            {}\n\
         author:          {}\n\
         created:         {}\n\
         training:        {}\n\
         decoder:         GRU {} units, {} × {}-wide dense layers per stack, {} parameters\n\
         synth:           {} harmonics, {} noise bands, reverb {}\n\
         rates:           {} frames/s, trained at {} Hz\n\
         pitch range:     {} … {} … {} (5 % / median / 95 %)\n\
         loudness range:  {:.1} … {:.1} … {:.1} dB (5 % / median / 95 %)",
        info.name,
        info.author,
        info.created,
        info.training_note,
        config.gru_units,
        config.mlp_layers,
        config.mlp_units,
        parameters,
        config.num_harmonics,
        config.num_noise_bands,
        reverb,
        config.frame_rate_hz,
        config.model_rate_hz,
        note_name(p05),
        note_name(p50),
        note_name(p95),
        l05,
        l50,
        l95,
    )
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Render(args) => render(args),
        Command::Info { model } => {
            load_checkpoint(model).map(|checkpoint| println!("{}", describe(&checkpoint))).map_err(|e| e.to_string())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
