//! `ddsp`: the command line of the DDSP timbre-transfer plugin.
//!
//! `ddsp render IN -o OUT.wav` re-synthesizes a recording with the same
//! engine the plugin runs, offline and latency-compensated, so the file
//! equals what a DAW bounce with the same settings plays. `ddsp info MODEL`
//! describes a checkpoint.

mod plot;
mod report;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// mimalloc instead of the system allocator: training allocates and frees
/// tensors of several MB many times a step, and glibc hands such blocks back
/// to the kernel on every free, so each step paid for hundreds of thousands
/// of page faults (measured: 4.1 s of system time in 11 s of training; the
/// small decoder's step 40 % faster without them). The training-step
/// benchmark uses the same allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Args, Parser, Subcommand};
use ddsp_model::checkpoint::{load_checkpoint, Checkpoint};
use ddsp_model::config::DecoderConfig;
use ddsp_model::engine::{additive_offline_engine, offline_engine};
use ddsp_model::instruments::{bundled_instrument, Family, BUNDLED_INSTRUMENTS, DEFAULT_INSTRUMENT};
use ddsp_training::analysis::AnalysisPoint;
use ddsp_training::analysis::{analysis_points, mono_mix, spectrogram_db};
use ddsp_training::audio_file::{read_audio, write_wav, AudioClip};
use ddsp_training::dataset::{collect_audio_files, prepare_dataset};
use ddsp_training::evaluate::{compare, evaluate, resynthesis_controls, Resynthesis};
use ddsp_training::trainer::{state_path, TrainSettings, Trainer, EXAMPLE_FRAMES};
use dsp_core::pitch_units::{hz_to_midi, midi_to_hz, note_name};
use dsp_core::resample::resample_clip;
use dsp_core::{ranges, render_clip, UserControls};
use indicatif::{ProgressBar, ProgressStyle};

use crate::plot::analysis_png;
use crate::report::training_report;

/// Real-time neural timbre transfer (DDSP): follow the pitch and loudness of
/// a recording and play them on another instrument.
#[derive(Parser)]
#[command(name = "ddsp", version, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Timbre-transfer an audio file (offline, same engine as the plugin).
    ///
    /// The input may be mono or stereo at any rate from 8 to 192 kHz; the
    /// output is a 32-bit float WAV at the input's rate, aligned sample for
    /// sample with the input (the plugin's latency is compensated). Below
    /// 22.05 kHz (telephone and 16 kHz speech or datasets) the file is
    /// resampled to 48 kHz for the engine and the result back to the input's
    /// rate.
    ///
    /// Example: ddsp render assets/examples/melody.wav -o melody-out.wav --octave-shift -1
    Render(RenderArgs),
    /// Train an instrument from recordings of it (10–20 minutes is ideal).
    ///
    /// Decodes every file (WAV, FLAC, MP3, Ogg, at any rate from 8 kHz up;
    /// directories are searched), resamples to the model rate, analyses it
    /// with the plugin's own pitch and loudness tracker, holds out the end
    /// of every file for validation,
    /// and trains in two stages: a fast frame-level stage against harmonic
    /// and noise levels measured from the audio, then an end-to-end stage
    /// through the synth with the multi-scale spectral loss. Writes the model
    /// every --checkpoint-every steps, a training state beside it (an
    /// interrupted run resumes from it when started again with the same
    /// settings), a loss curve (MODEL.loss.svg) and a report.
    ///
    /// Example: ddsp train recordings/ -o my-violin.safetensors --name "My violin"
    Train(TrainArgs),
    /// Measure how well a model resynthesises recordings it never saw.
    ///
    /// Each file is played through the plugin's engine with the model
    /// (offline, the model's own reverb fully in, no shifts) and compared
    /// with itself: multi-scale spectral loss, loudness L1 (dB), and f0 L1
    /// (semitones) and raw pitch accuracy (within 50 cents) of the output's
    /// pitch against the input's voiced frames. The built-in additive
    /// instrument is measured on the same files as a baseline.
    ///
    /// Example: ddsp eval --model my-violin.safetensors held-out/*.wav
    Eval {
        /// The model to evaluate (a checkpoint file or a bundled instrument name).
        #[arg(short, long)]
        model: String,
        /// Recordings of the instrument (any format `render` reads).
        #[arg(required = true)]
        audio: Vec<PathBuf>,
    },
    /// Show what the plugin hears in a recording: f0, confidence and loudness
    /// over time (the plugin's own analysis), and a spectrogram.
    ///
    /// Example: ddsp analyze take.wav --csv take.csv --plot take.png
    Analyze {
        /// The recording.
        input: PathBuf,
        /// Write frames as CSV: seconds, f0_hz, confidence, loudness_db.
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Draw the spectrogram, f0 and loudness into a PNG.
        #[arg(long)]
        plot: Option<PathBuf>,
    },
    /// Describe a checkpoint: name, sizes, rates and the training range.
    /// Without one, list the bundled instruments by family, each with its
    /// range.
    ///
    /// Example: ddsp info my-violin.safetensors
    Info {
        /// The checkpoint (.safetensors) or a bundled instrument's name.
        model: Option<String>,
    },
}

/// `println!` that never panics: output piped into `head` and closed early
/// is not an error worth a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// Positions of a progress bar that follows a share done (0–1).
const PROGRESS_STEPS: u64 = 1000;

/// A progress bar of `len` positions drawn with `template`.
fn progress_bar(template: &str, len: u64) -> ProgressBar {
    ProgressBar::new(len)
        .with_style(ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()))
}

/// The plain additive instrument built into the engine (no model).
const ADDITIVE_MODEL: &str = "additive";

/// `--model`'s help: every bundled instrument's id, so the list is never
/// out of date.
fn model_help() -> String {
    let ids: Vec<&str> = BUNDLED_INSTRUMENTS.iter().map(|i| i.id).collect();
    format!(
        "The instrument: a bundled one ({}; `ddsp info` lists them with their ranges), a checkpoint file \
         (.safetensors) from `ddsp train`, or \"{ADDITIVE_MODEL}\" for the plain additive instrument",
        ids.join(", ")
    )
}

/// The bundled instruments under their families, one line each: id, name
/// and range.
fn list_instruments() -> String {
    let mut lines = vec!["Bundled instruments (ddsp render --model ID):".to_string()];
    for family in Family::ALL {
        let mut members = family.members().peekable();
        if members.peek().is_none() {
            continue;
        }
        lines.push(family.name().to_string());
        for instrument in members {
            let (low, high) = instrument.range_midi;
            let default = if instrument.id == DEFAULT_INSTRUMENT { "  (default)" } else { "" };
            lines.push(format!(
                "  {:<14} {:<18} {}–{}{default}",
                instrument.id,
                instrument.name,
                note_name(low as f32),
                note_name(high as f32)
            ));
        }
    }
    lines.join("\n")
}

/// A checkpoint named by `model`: a bundled instrument's id, or a file.
/// `None` for the additive instrument.
fn load_model(model: &str) -> Result<Option<Checkpoint>, String> {
    if model == ADDITIVE_MODEL {
        return Ok(None);
    }
    if let Some(instrument) = bundled_instrument(model) {
        return instrument.checkpoint().map(Some).map_err(|e| format!("bundled instrument '{model}': {e}"));
    }
    let path = PathBuf::from(model);
    if !path.exists() && !model.contains('.') && !model.contains('/') {
        let names: Vec<&str> = BUNDLED_INSTRUMENTS.iter().map(|i| i.id).collect();
        return Err(format!(
            "no instrument '{model}': use one of {}, {ADDITIVE_MODEL}, or a .safetensors file",
            names.join(", ")
        ));
    }
    load_checkpoint(&path).map(Some).map_err(|e| e.to_string())
}

#[derive(Args)]
struct RenderArgs {
    /// The recording to transform (WAV, FLAC, MP3 or Ogg Vorbis).
    input: PathBuf,
    /// Where to write the result (WAV, 32-bit float).
    #[arg(short, long)]
    output: PathBuf,
    /// The instrument (the list: see `model_help`).
    #[arg(short, long, default_value = DEFAULT_INSTRUMENT, help = model_help())]
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
    /// Keep the instrument at the input's loudness (0 … 1; 0: the level
    /// the model gives it).
    #[arg(long, default_value_t = UserControls::default().level_match)]
    level_match: f32,
}

#[derive(Args)]
struct TrainArgs {
    /// Audio files or directories of them.
    #[arg(required = true)]
    audio: Vec<PathBuf>,
    /// Where to write the model (.safetensors).
    #[arg(short, long)]
    output: PathBuf,
    /// Instrument name stored in the model (default: the output's file name).
    #[arg(long)]
    name: Option<String>,
    /// Network size: "small" (GRU 128, fast, 1 MB) or "default" (GRU 512).
    #[arg(long, default_value = "small")]
    size: String,
    /// Use at most this many minutes of the audio.
    #[arg(long, default_value_t = 20.0)]
    max_audio_minutes: f32,
    /// Steps of the frame-level stage.
    #[arg(long, default_value_t = TrainSettings::new(DecoderConfig::small_size(), "").frame_steps)]
    frame_steps: usize,
    /// Steps of the end-to-end audio stage.
    #[arg(long, default_value_t = TrainSettings::new(DecoderConfig::small_size(), "").audio_steps)]
    audio_steps: usize,
    /// Peak learning rate.
    #[arg(long, default_value_t = TrainSettings::new(DecoderConfig::small_size(), "").learning_rate)]
    learning_rate: f64,
    /// Peak learning rate of the audio stage.
    #[arg(long, default_value_t = TrainSettings::new(DecoderConfig::small_size(), "").audio_learning_rate)]
    audio_learning_rate: f64,
    /// Seed of the initial weights and the batch order.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Steps between checkpoints (and validation).
    #[arg(long, default_value_t = TrainSettings::new(DecoderConfig::small_size(), "").checkpoint_every)]
    checkpoint_every: usize,
    /// Length of the learned reverb (the instrument's room), ms: the
    /// longest the instrument rings on after its input stops. Shorter for
    /// dry recordings whose notes stop dead, which a longer room would
    /// outlast; longer (up to 3000) for recordings in a reverberant hall.
    #[arg(long, default_value_t = 1000.0 * TrainSettings::new(DecoderConfig::small_size(), "").reverb_seconds)]
    reverb_ms: f32,
    /// Stop after this many minutes of training even if steps remain (the
    /// model so far is written; run again to continue).
    #[arg(long)]
    minutes: Option<f32>,
    /// Ignore an existing training state and start over.
    #[arg(long)]
    restart: bool,
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
            level_match: self.level_match,
            ..UserControls::default()
        }
    }
}

/// Lowest input rate `ddsp render` takes, Hz.
const MIN_RENDER_RATE_HZ: f32 = 8_000.0;
/// The engine's rate for inputs below its own range, Hz.
const LOW_RATE_ENGINE_HZ: f32 = 48_000.0;

fn render(args: &RenderArgs) -> Result<(), String> {
    let clip = read_audio(&args.input).map_err(|e| e.to_string())?;
    let input_rate = clip.sample_rate_hz as f32;
    if !(MIN_RENDER_RATE_HZ..=*ranges::SAMPLE_RATE_HZ.end()).contains(&input_rate) {
        return Err(format!(
            "{}: sample rate {} Hz is outside the supported {}–{} Hz",
            args.input.display(),
            clip.sample_rate_hz,
            MIN_RENDER_RATE_HZ,
            ranges::SAMPLE_RATE_HZ.end()
        ));
    }
    // The engine runs at the input's rate where it can, otherwise at 48 kHz
    // between two resamplings.
    let rate = if ranges::SAMPLE_RATE_HZ.contains(&input_rate) { input_rate } else { LOW_RATE_ENGINE_HZ };
    if clip.channels.len() > 2 {
        return Err(format!(
            "{}: {} channels; the engine takes mono or stereo",
            args.input.display(),
            clip.channels.len()
        ));
    }
    let mut engine = match load_model(&args.model)? {
        Some(checkpoint) => offline_engine(&checkpoint, rate, args.controls()).map_err(|e| e.to_string())?,
        None => additive_offline_engine(rate, args.controls()),
    };

    let progress = progress_bar("rendering {bar:40} {percent:>3}% {elapsed}", PROGRESS_STEPS);
    let show_progress = |done: f32| progress.set_position((done * PROGRESS_STEPS as f32) as u64);
    let num_samples = clip.channels[0].len();
    let channels = if rate == input_rate {
        render_clip(&mut engine, &clip.channels, show_progress)
    } else {
        let input: Vec<Vec<f32>> = clip.channels.iter().map(|c| resample_clip(c, input_rate, rate)).collect();
        let rendered = render_clip(&mut engine, &input, show_progress);
        rendered
            .iter()
            .map(|channel| {
                let mut channel = resample_clip(channel, rate, input_rate);
                channel.resize(num_samples, 0.0);
                channel
            })
            .collect()
    };
    progress.finish_and_clear();
    write_wav(&args.output, &AudioClip { channels, sample_rate_hz: clip.sample_rate_hz }).map_err(|e| e.to_string())?;
    eprintln!(
        "wrote {} ({:.2} s at {} Hz; engine at {rate} Hz, latency {} samples, compensated)",
        args.output.display(),
        num_samples as f32 / input_rate,
        clip.sample_rate_hz,
        engine.latency_samples()
    );
    Ok(())
}

fn train(args: &TrainArgs) -> Result<(), String> {
    let config = match args.size.as_str() {
        "small" => DecoderConfig::small_size(),
        "default" => DecoderConfig::default_size(),
        other => return Err(format!("unknown --size '{other}': use small or default")),
    };
    let name = args.name.clone().unwrap_or_else(|| {
        args.output.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "instrument".into())
    });
    let settings = TrainSettings {
        seed: args.seed,
        frame_steps: args.frame_steps,
        audio_steps: args.audio_steps,
        learning_rate: args.learning_rate,
        audio_learning_rate: args.audio_learning_rate,
        checkpoint_every: args.checkpoint_every.max(1),
        reverb_seconds: args.reverb_ms / 1000.0,
        ..TrainSettings::new(config, &name)
    };
    settings.check().map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let files = collect_audio_files(&args.audio).map_err(|e| e.to_string())?;
    let progress = progress_bar("analysing audio {bar:40} {pos}/{len} files {elapsed}", files.len() as u64);
    let dataset = prepare_dataset(&files, &settings.config, args.max_audio_minutes, EXAMPLE_FRAMES, |done, _| {
        progress.set_position(done as u64)
    })
    .map_err(|e| e.to_string())?;
    progress.finish_and_clear();
    eprintln!(
        "{:.1} minutes of audio from {} file(s): {} training and {} validation examples of {:.1} s (prepared in {:.0} s)",
        dataset.total_seconds / 60.0,
        dataset.clips.len(),
        dataset.train.len(),
        dataset.validation.len(),
        EXAMPLE_FRAMES as f32 / settings.config.frame_rate_hz,
        started.elapsed().as_secs_f32()
    );
    let state = state_path(&args.output);
    let resumed = if args.restart { None } else { Trainer::resume(&state, &settings).map_err(|e| e.to_string())? };
    let mut trainer = match resumed {
        Some(trainer) => {
            eprintln!("resuming from step {} ({})", trainer.step(), state.display());
            trainer
        }
        None => Trainer::new(settings.clone(), dataset.statistics).map_err(|e| e.to_string())?,
    };
    let deadline = args.minutes.map(|m| std::time::Instant::now() + std::time::Duration::from_secs_f32(m * 60.0));
    let progress =
        progress_bar("training {bar:40} {pos}/{len} steps {elapsed}<{eta} {msg}", settings.total_steps() as u64);
    progress.set_position(trainer.step() as u64);
    trainer
        .run(&dataset, &args.output, deadline, None, |step| {
            progress.set_position(step.step as u64);
            progress.set_message(format!("{} loss {:.3}", step.stage, step.loss));
        })
        .map_err(|e| e.to_string())?;
    progress.finish_and_clear();
    let report = training_report(&trainer, &dataset, &args.output).map_err(|e| e.to_string())?;
    eprintln!("{report}");
    Ok(())
}

fn print_resynthesis(label: &str, r: &Resynthesis) {
    say!(
        "  {label:<22} spectral loss {:>7.3}   loudness L1 {:>5.2} dB   f0 L1 {:>5.3} st   RPA {:>5.1} %",
        r.spectral_loss,
        r.loudness_l1_db,
        r.pitch.f0_l1_semitones,
        100.0 * r.pitch.raw_pitch_accuracy
    );
}

fn eval(model: &str, audio: &[PathBuf]) -> Result<(), String> {
    let checkpoint = load_model(model)?.ok_or("eval needs a trained model, not the additive instrument")?;
    let files = collect_audio_files(audio).map_err(|e| e.to_string())?;
    for path in files {
        let clip = read_audio(&path).map_err(|e| e.to_string())?;
        let rate = clip.sample_rate_hz as f32;
        let mono = mono_mix(&clip);
        if mono.len() < rate as usize {
            return Err(format!("{}: shorter than a second; nothing to measure", path.display()));
        }
        let progress = progress_bar("evaluating {bar:40} {percent:>3}% {elapsed}", PROGRESS_STEPS);
        let ours =
            evaluate(&checkpoint, &mono, rate, |done| progress.set_position((done * PROGRESS_STEPS as f32) as u64))
                .map_err(|e| e.to_string())?;
        progress.finish_and_clear();
        let mut additive = additive_offline_engine(rate, resynthesis_controls());
        let baseline = compare(&mono, &render_clip(&mut additive, std::slice::from_ref(&mono), |_| {})[0], rate);
        say!("{} ({:.1} s at {} Hz):", path.display(), ours.seconds, clip.sample_rate_hz);
        print_resynthesis(&checkpoint.info.name, &ours);
        print_resynthesis("built-in additive", &baseline);
    }
    Ok(())
}

fn analyze(input: &Path, csv: Option<&Path>, plot: Option<&Path>) -> Result<(), String> {
    let clip = read_audio(input).map_err(|e| e.to_string())?;
    let rate = clip.sample_rate_hz as f32;
    let mono = mono_mix(&clip);
    if mono.is_empty() {
        return Err(format!("{}: no samples", input.display()));
    }
    let points = analysis_points(&mono, rate);
    let voiced: Vec<&AnalysisPoint> = points.iter().filter(|p| p.confidence >= 0.5).collect();
    say!(
        "{}: {:.2} s at {} Hz, {} frames, {:.0} % voiced",
        input.display(),
        mono.len() as f32 / rate,
        clip.sample_rate_hz,
        points.len(),
        100.0 * voiced.len() as f32 / points.len().max(1) as f32
    );
    if !voiced.is_empty() {
        let mut pitches: Vec<f32> = voiced.iter().map(|p| hz_to_midi(p.f0_hz)).collect();
        pitches.sort_by(f32::total_cmp);
        let loudest = points.iter().map(|p| p.loudness_db).fold(f32::NEG_INFINITY, f32::max);
        say!(
            "pitch {} … {} (median {}), loudest {:.1} dB",
            note_and_hz(pitches[0]),
            note_and_hz(pitches[pitches.len() - 1]),
            note_and_hz(pitches[pitches.len() / 2]),
            loudest
        );
    }
    if let Some(path) = csv {
        let mut text = String::from("seconds,f0_hz,confidence,loudness_db\n");
        for p in &points {
            text.push_str(&format!("{:.4},{:.2},{:.3},{:.2}\n", p.seconds, p.f0_hz, p.confidence, p.loudness_db));
        }
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        say!("wrote {}", path.display());
    }
    if let Some(path) = plot {
        let max_hz = (0.5 * rate).min(8_000.0);
        analysis_png(&points, &spectrogram_db(&mono, rate, max_hz), max_hz, path).map_err(|e| e.to_string())?;
        say!("wrote {}", path.display());
    }
    Ok(())
}

/// `midi`'s nearest note and its frequency, e.g. `A4 (440 Hz)`.
fn note_and_hz(midi: f32) -> String {
    format!("{} ({:.0} Hz)", note_name(midi), midi_to_hz(midi))
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
        note_and_hz(p05),
        note_and_hz(p50),
        note_and_hz(p95),
        l05,
        l50,
        l95,
    )
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Render(args) => render(args),
        Command::Train(args) => train(args),
        Command::Analyze { input, csv, plot } => analyze(input, csv.as_deref(), plot.as_deref()),
        Command::Eval { model, audio } => eval(model, audio),
        Command::Info { model: None } => {
            say!("{}", list_instruments());
            Ok(())
        }
        Command::Info { model: Some(model) } => load_model(model).and_then(|checkpoint| {
            let checkpoint = checkpoint.ok_or("the additive instrument has no checkpoint")?;
            say!("{}", describe(&checkpoint));
            Ok(())
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
