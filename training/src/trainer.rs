//! The training loop: seeded batches, AdamW with a cosine-decaying rate and
//! gradient clipping, regular checkpoints plus a training-state file to
//! resume from, and a loss history for the report.
//!
//! Two stages, in order:
//! 1. frames: the decoder regresses frame targets measured from the audio
//!    (see `targets` and `frame_loss`); no audio is synthesised, so a step
//!    costs a few milliseconds and most of the learning happens here;
//! 2. audio: end to end through the differentiable harmonic and noise
//!    synths and the learned reverb, with the multi-scale spectral loss on
//!    short crops, polishing what frame targets cannot see (phase-blind
//!    spectral balance, transients, the room).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{VarBuilder, VarMap};
use serde::{Deserialize, Serialize};

use crate::audio_loss::{AudioStage, REVERB_IR_VAR, REVERB_SECONDS};
use crate::dataset::{Dataset, Example};
use crate::frame_loss::{frame_loss, FrameBatchTargets};
use crate::optimizer::{AdamW, AdamWSettings};
use ddsp_model::checkpoint::{save_checkpoint, Checkpoint, CheckpointInfo, DatasetStatistics, MAX_REVERB_SECONDS};
use ddsp_model::config::DecoderConfig;
use ddsp_model::network::RnnFcDecoder;

/// Frames per training example (1 s at 250 Hz, plus the audio stage's
/// extra frame).
pub const EXAMPLE_FRAMES: usize = 252;

/// Frames per sequence in the frame stage (0.4 s at 250 Hz). Measured: the
/// backward pass through the GRU is a chain of small operations, one per
/// frame, and dominates a step, so short windows from random offsets (with
/// a larger batch) learn as much per step at about a third of the cost of
/// whole 1 s examples. Validation still decodes whole examples.
pub const FRAME_STAGE_WINDOW: usize = 100;

/// Everything that decides a training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainSettings {
    /// Network sizes and rates.
    pub config: DecoderConfig,
    /// Instrument name written into the checkpoint.
    pub name: String,
    /// Seed of the initial weights and the batch order.
    pub seed: u64,
    /// Examples per frame-stage batch.
    pub batch_size: usize,
    /// Steps of the frame stage.
    pub frame_steps: usize,
    /// Steps of the audio stage.
    pub audio_steps: usize,
    /// Crops per audio-stage batch.
    pub audio_batch_size: usize,
    /// Peak learning rate of the frame stage.
    pub learning_rate: f64,
    /// Peak learning rate of the audio stage.
    pub audio_learning_rate: f64,
    /// Steps between checkpoints (and validation).
    pub checkpoint_every: usize,
    /// Length of the learned reverb (the instrument's room), seconds: the
    /// longest the instrument rings on after its input stops. Shorter for
    /// dry recordings whose notes stop dead, which a longer room would
    /// outlast. States saved before this setting existed read it as
    /// [`REVERB_SECONDS`].
    #[serde(default = "default_reverb_seconds")]
    pub reverb_seconds: f32,
}

fn default_reverb_seconds() -> f32 {
    REVERB_SECONDS
}

impl TrainSettings {
    /// Defaults for `config`.
    pub fn new(config: DecoderConfig, name: &str) -> Self {
        Self {
            config,
            name: name.to_owned(),
            seed: 1,
            batch_size: 32,
            frame_steps: 1000,
            audio_steps: 150,
            audio_batch_size: 4,
            learning_rate: 2e-3,
            audio_learning_rate: 2e-4,
            checkpoint_every: 250,
            reverb_seconds: REVERB_SECONDS,
        }
    }

    /// An error if a model trained with these settings could not be
    /// loaded: a reverb longer than a model may carry, or shorter than one
    /// sample. Cheap: call before preparing data.
    pub fn check(&self) -> anyhow::Result<()> {
        let shortest_seconds = 1.0 / self.config.model_rate_hz;
        if !(shortest_seconds..=MAX_REVERB_SECONDS).contains(&self.reverb_seconds) {
            anyhow::bail!(
                "a learned reverb of {} ms is outside what a model can carry ({:.3} … {} ms)",
                1000.0 * self.reverb_seconds,
                1000.0 * shortest_seconds,
                1000.0 * MAX_REVERB_SECONDS
            );
        }
        Ok(())
    }

    /// Total steps of both stages.
    pub fn total_steps(&self) -> usize {
        self.frame_steps + self.audio_steps
    }
}

/// One point of the loss history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LossPoint {
    /// Steps done.
    pub step: usize,
    /// Training wall time so far, seconds (summed over resumed runs).
    pub seconds: f64,
    /// `frames` or `audio`.
    pub stage: String,
    /// Mean training loss since the previous point (none at a stage's start).
    pub train_loss: Option<f32>,
    /// Validation loss of the stage's kind at this point.
    pub validation_loss: f32,
}

/// Progress reported after every step.
pub struct StepProgress {
    /// Steps done.
    pub step: usize,
    /// All steps.
    pub total_steps: usize,
    /// This step's loss.
    pub loss: f32,
    /// The stage.
    pub stage: &'static str,
}

/// A training run in progress.
pub struct Trainer {
    settings: TrainSettings,
    varmap: VarMap,
    decoder: RnnFcDecoder,
    optimizer: AdamW,
    step: usize,
    rng_state: u64,
    seconds_before: f64,
    history: Vec<LossPoint>,
    statistics: DatasetStatistics,
}

/// A library error as a training error.
pub(crate) fn candle_error(error: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("training failed: {error}")
}

/// Where the training state of `model_path` lives.
pub fn state_path(model_path: &Path) -> PathBuf {
    let mut name = model_path.file_stem().map(|s| s.to_os_string()).unwrap_or_default();
    name.push(".train-state.safetensors");
    model_path.with_file_name(name)
}

impl Trainer {
    /// A fresh run with weights initialised from the seed; an error if
    /// the settings fail [`TrainSettings::check`].
    pub fn new(settings: TrainSettings, statistics: DatasetStatistics) -> anyhow::Result<Self> {
        settings.check()?;
        let info = CheckpointInfo { dataset: statistics, ..CheckpointInfo::untrained(settings.config.clone()) };
        let initial = Checkpoint::initialised(info, settings.seed)?;
        let mut tensors = initial.tensors;
        tensors
            .insert(REVERB_IR_VAR.to_owned(), AudioStage::initial_reverb(&settings.config, settings.reverb_seconds)?);
        Self::from_tensors(settings, statistics, tensors)
    }

    fn from_tensors(
        settings: TrainSettings,
        statistics: DatasetStatistics,
        tensors: HashMap<String, Tensor>,
    ) -> anyhow::Result<Self> {
        let varmap = VarMap::new();
        let mut named = Vec::new();
        {
            let mut data = varmap.data().lock().map_err(|_| anyhow::anyhow!("variable map poisoned"))?;
            for (name, tensor) in tensors {
                if name.starts_with("adam.") {
                    continue;
                }
                let var = Var::from_tensor(&tensor).map_err(candle_error)?;
                named.push((name.clone(), var.clone()));
                data.insert(name, var);
            }
        }
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let decoder = RnnFcDecoder::new(&settings.config, vb).map_err(candle_error)?;
        let optimizer = AdamW::new(named, AdamWSettings::default()).map_err(candle_error)?;
        let rng_state = settings.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        Ok(Self {
            settings,
            varmap,
            decoder,
            optimizer,
            step: 0,
            rng_state,
            seconds_before: 0.0,
            history: Vec::new(),
            statistics,
        })
    }

    /// Resumes from the training state at `path` if it exists and was made
    /// with the same settings; `Ok(None)` if there is none.
    pub fn resume(path: &Path, settings: &TrainSettings) -> anyhow::Result<Option<Self>> {
        if !path.exists() {
            return Ok(None);
        }
        let bytes = std::fs::read(path)?;
        let (_, header) = safetensors::SafeTensors::read_metadata(&bytes)
            .map_err(|e| anyhow::anyhow!("training state {} is unreadable: {e}", path.display()))?;
        let metadata = header.metadata().clone().unwrap_or_default();
        let field = |key: &str| {
            metadata.get(key).ok_or_else(|| anyhow::anyhow!("training state {} lacks '{key}'", path.display()))
        };
        let saved: TrainSettings = serde_json::from_str(field("settings")?)?;
        if &saved != settings {
            anyhow::bail!(
                "training state {} was made with other settings; pass --restart to start over",
                path.display()
            );
        }
        let statistics: DatasetStatistics = serde_json::from_str(field("statistics")?)?;
        let tensors = candle_core::safetensors::load_buffer(&bytes, &Device::Cpu).map_err(candle_error)?;
        let mut trainer = Self::from_tensors(settings.clone(), statistics, tensors.clone())?;
        trainer.step = field("step")?.parse()?;
        trainer.rng_state = field("rng_state")?.parse()?;
        trainer.seconds_before = field("seconds")?.parse()?;
        trainer.history = serde_json::from_str(field("history")?)?;
        trainer.optimizer.restore(&tensors, trainer.step as u64).map_err(candle_error)?;
        Ok(Some(trainer))
    }

    /// Chooses how the decoder's layers run (the fused operations unless
    /// told otherwise); for the benchmark against the candle graphs.
    pub fn set_layer_kernels(&mut self, kernels: ddsp_model::network::LayerKernels) {
        self.decoder.set_layer_kernels(kernels);
    }

    /// Steps done.
    pub fn step(&self) -> usize {
        self.step
    }

    /// The loss history.
    pub fn history(&self) -> &[LossPoint] {
        &self.history
    }

    fn next_random(&mut self) -> u64 {
        self.rng_state ^= self.rng_state << 13;
        self.rng_state ^= self.rng_state >> 7;
        self.rng_state ^= self.rng_state << 17;
        self.rng_state
    }

    fn sample_examples(&mut self, examples: &[Example], count: usize) -> Vec<Example> {
        (0..count).map(|_| examples[(self.next_random() % examples.len() as u64) as usize]).collect()
    }

    fn learning_rate(&self) -> f64 {
        let s = &self.settings;
        let (position, peak) = if self.step < s.frame_steps {
            (self.step as f64 / s.frame_steps.max(1) as f64, s.learning_rate)
        } else {
            ((self.step - s.frame_steps) as f64 / s.audio_steps.max(1) as f64, s.audio_learning_rate)
        };
        let warmup_steps = (s.frame_steps / 10).clamp(1, 100) as f64;
        let warmup = ((self.step + 1) as f64 / warmup_steps).min(1.0);
        let cosine = 0.5 * (1.0 + (std::f64::consts::PI * position).cos());
        peak * warmup * (0.05 + 0.95 * cosine)
    }

    fn nyquist_hz(&self) -> f32 {
        0.5 * self.settings.config.model_rate_hz
    }

    /// Decoder inputs and frame targets for `examples`.
    /// Decoder inputs and frame targets for `windows`: `frames` frames of
    /// each example from the given offset.
    fn frame_batch(
        &self,
        dataset: &Dataset,
        windows: &[(Example, usize)],
        frames: usize,
    ) -> candle_core::Result<(Tensor, Tensor, FrameBatchTargets)> {
        let config = &self.settings.config;
        let (h, n) = (config.num_harmonics, config.num_noise_bands);
        let b = windows.len();
        let (mut f0, mut f0_scaled, mut loudness) = (Vec::new(), Vec::new(), Vec::new());
        let (mut harmonics, mut mask, mut noise) = (Vec::new(), Vec::new(), Vec::new());
        for (example, offset) in windows {
            let clip = &dataset.clips[example.clip];
            let range = example.first_frame + offset..example.first_frame + offset + frames;
            for frame in &clip.track.frames[range.clone()] {
                f0.push(frame.f0_hz);
                f0_scaled.push(config.feature_scaling.scale_f0(frame.f0_hz));
                loudness.push(config.feature_scaling.scale_loudness(frame.loudness_db));
                for k in 0..h {
                    mask.push(if (k + 1) as f32 * frame.f0_hz < self.nyquist_hz() { 1.0f32 } else { 0.0 });
                }
            }
            harmonics.extend_from_slice(&clip.targets.harmonic_amplitudes[range.start * h..range.end * h]);
            noise.extend_from_slice(&clip.targets.noise_magnitudes[range.start * n..range.end * n]);
        }
        let cpu = &Device::Cpu;
        Ok((
            Tensor::from_vec(f0_scaled, (b, frames, 1), cpu)?,
            Tensor::from_vec(loudness, (b, frames, 1), cpu)?,
            FrameBatchTargets {
                f0_hz: Tensor::from_vec(f0, (b, frames, 1), cpu)?,
                harmonics: Tensor::from_vec(harmonics, (b, frames, h), cpu)?,
                harmonic_mask: Tensor::from_vec(mask, (b, frames, h), cpu)?,
                noise: Tensor::from_vec(noise, (b, frames, n), cpu)?,
            },
        ))
    }

    fn frame_stage_loss(
        &self,
        dataset: &Dataset,
        windows: &[(Example, usize)],
        frames: usize,
    ) -> candle_core::Result<Tensor> {
        let (f0_scaled, loudness, targets) = self.frame_batch(dataset, windows, frames)?;
        let state = self.decoder.initial_state(windows.len())?;
        let (raw, _) = self.decoder.forward_sequence(&f0_scaled, &loudness, &state)?;
        frame_loss(&raw, &targets, self.nyquist_hz())
    }

    fn reverb_ir(&self) -> anyhow::Result<Tensor> {
        let data = self.varmap.data().lock().map_err(|_| anyhow::anyhow!("variable map poisoned"))?;
        Ok(data.get(REVERB_IR_VAR).ok_or_else(|| anyhow::anyhow!("no reverb variable"))?.as_tensor().clone())
    }

    /// The frame-stage loss on whole `examples`, or with `audio` the audio
    /// stage's (crops and noise picked by `seed`).
    fn whole_example_loss(
        &self,
        dataset: &Dataset,
        examples: &[Example],
        audio: Option<&AudioStage>,
        seed: u64,
    ) -> anyhow::Result<Tensor> {
        match audio {
            Some(stage) => stage.loss(&self.decoder, &self.reverb_ir()?, dataset, examples, seed),
            None => {
                let windows: Vec<(Example, usize)> = examples.iter().map(|&e| (e, 0)).collect();
                self.frame_stage_loss(dataset, &windows, dataset.example_frames).map_err(candle_error)
            }
        }
    }

    /// Mean validation loss of the frame stage, or with `audio` of the audio stage.
    pub fn validation_loss(&mut self, dataset: &Dataset, audio: Option<&AudioStage>) -> anyhow::Result<f32> {
        let examples = &dataset.validation[..dataset.validation.len().min(64)];
        let mut total = 0.0;
        let chunk_size = if audio.is_some() { self.settings.audio_batch_size } else { self.settings.batch_size };
        let chunks: Vec<&[Example]> = examples.chunks(chunk_size).collect();
        for chunk in &chunks {
            total += self.whole_example_loss(dataset, chunk, audio, 0)?.to_scalar::<f32>().map_err(candle_error)?;
        }
        Ok(total / chunks.len().max(1) as f32)
    }

    /// The gradient's L2 norm for every variable (0 where none reaches it,
    /// NaN where it is not finite) on one batch of the frame stage, or with
    /// `audio` of the audio stage. For diagnostics and tests.
    pub fn gradient_norms(&self, dataset: &Dataset, audio: Option<&AudioStage>) -> anyhow::Result<Vec<(String, f32)>> {
        let examples = &dataset.train[..dataset.train.len().min(4)];
        let loss = self.whole_example_loss(dataset, examples, audio, 3)?;
        let grads = loss.backward().map_err(candle_error)?;
        let data = self.varmap.data().lock().map_err(|_| anyhow::anyhow!("variable map poisoned"))?;
        let mut norms = Vec::new();
        for (name, var) in data.iter() {
            let norm = match grads.get(var.as_tensor()) {
                Some(grad) => grad
                    .sqr()
                    .and_then(|g| g.sum_all())
                    .and_then(|g| g.to_scalar::<f32>())
                    .map_err(candle_error)?
                    .sqrt(),
                None => 0.0,
            };
            norms.push((name.clone(), if norm.is_finite() { norm } else { f32::NAN }));
        }
        norms.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(norms)
    }

    /// One optimisation step of the current stage (a batch, its loss, the
    /// gradients and the AdamW update); returns the batch's loss. `run`'s
    /// inner step, public for the training-step benchmark.
    pub fn train_step(&mut self, dataset: &Dataset, audio_stage: &AudioStage) -> anyhow::Result<f32> {
        let learning_rate = self.learning_rate();
        let loss = if self.step >= self.settings.frame_steps {
            let examples = self.sample_examples(&dataset.train, self.settings.audio_batch_size);
            let offset_seed = self.next_random();
            audio_stage.loss(&self.decoder, &self.reverb_ir()?, dataset, &examples, offset_seed)?
        } else {
            let examples = self.sample_examples(&dataset.train, self.settings.batch_size);
            let window = FRAME_STAGE_WINDOW.min(dataset.example_frames);
            let windows: Vec<(Example, usize)> = examples
                .into_iter()
                .map(|e| (e, (self.next_random() % (dataset.example_frames - window + 1) as u64) as usize))
                .collect();
            self.frame_stage_loss(dataset, &windows, window).map_err(candle_error)?
        };
        let value = loss.to_scalar::<f32>().map_err(candle_error)?;
        if !value.is_finite() {
            anyhow::bail!("the loss became {value} at step {}; try a lower --learning-rate", self.step);
        }
        let grads = loss.backward().map_err(candle_error)?;
        self.optimizer.step(&grads, learning_rate).map_err(candle_error)?;
        self.step += 1;
        Ok(value)
    }

    /// Trains until all steps are done, `stop_after_step` is reached, or
    /// `deadline` passes, writing the model to `model_path` (and the
    /// training state beside it) every `checkpoint_every` steps and when it
    /// stops.
    pub fn run(
        &mut self,
        dataset: &Dataset,
        model_path: &Path,
        deadline: Option<Instant>,
        stop_after_step: Option<usize>,
        mut on_step: impl FnMut(&StepProgress),
    ) -> anyhow::Result<()> {
        let started = Instant::now();
        let total = self.settings.total_steps();
        let audio_stage = AudioStage::new(&self.settings.config, dataset)?;
        let mut loss_sum = 0.0f64;
        let mut loss_count = 0usize;
        while self.step < total {
            if deadline.is_some_and(|d| Instant::now() >= d) || stop_after_step.is_some_and(|s| self.step >= s) {
                break;
            }
            let in_audio_stage = self.step >= self.settings.frame_steps;
            let value = self.train_step(dataset, &audio_stage)?;
            loss_sum += value as f64;
            loss_count += 1;
            let stage = if in_audio_stage { "audio" } else { "frames" };
            on_step(&StepProgress { step: self.step, total_steps: total, loss: value, stage });
            let stage_ends = self.step == self.settings.frame_steps || self.step == total;
            if self.step.is_multiple_of(self.settings.checkpoint_every.max(1)) || stage_ends {
                let validation_loss = self.validation_loss(dataset, in_audio_stage.then_some(&audio_stage))?;
                self.history.push(LossPoint {
                    step: self.step,
                    seconds: self.seconds_before + started.elapsed().as_secs_f64(),
                    stage: stage.to_owned(),
                    train_loss: Some((loss_sum / loss_count.max(1) as f64) as f32),
                    validation_loss,
                });
                (loss_sum, loss_count) = (0.0, 0);
                if self.step == self.settings.frame_steps && self.settings.audio_steps > 0 {
                    // The audio stage's starting point, for the report.
                    let validation_loss = self.validation_loss(dataset, Some(&audio_stage))?;
                    self.history.push(LossPoint {
                        step: self.step,
                        seconds: self.seconds_before + started.elapsed().as_secs_f64(),
                        stage: "audio".to_owned(),
                        train_loss: None,
                        validation_loss,
                    });
                }
                self.save(model_path, self.seconds_before + started.elapsed().as_secs_f64())?;
            }
        }
        self.save(model_path, self.seconds_before + started.elapsed().as_secs_f64())?;
        self.seconds_before += started.elapsed().as_secs_f64();
        Ok(())
    }

    /// Training wall time so far, seconds.
    pub fn seconds(&self) -> f64 {
        self.seconds_before
    }

    /// The current weights as a checkpoint.
    pub fn checkpoint(&self, training_note: &str) -> anyhow::Result<Checkpoint> {
        let data = self.varmap.data().lock().map_err(|_| anyhow::anyhow!("variable map poisoned"))?;
        let mut tensors = HashMap::new();
        let mut reverb_ir = Vec::new();
        for (name, var) in data.iter() {
            if name == REVERB_IR_VAR {
                reverb_ir = var.as_tensor().to_vec1::<f32>().map_err(candle_error)?;
            } else {
                tensors.insert(name.clone(), var.as_tensor().detach());
            }
        }
        let info = CheckpointInfo {
            config: self.settings.config.clone(),
            dataset: self.statistics,
            name: self.settings.name.clone(),
            author: "ddsp train".into(),
            created: String::new(),
            training_note: training_note.to_owned(),
        };
        Ok(Checkpoint { info, tensors, reverb_ir })
    }

    fn save(&self, model_path: &Path, seconds: f64) -> anyhow::Result<()> {
        let note = format!(
            "ddsp train: {} frame steps + {} audio steps of {}, seed {}, {:.0} s of training",
            self.settings.frame_steps.min(self.step),
            self.step.saturating_sub(self.settings.frame_steps),
            self.settings.total_steps(),
            self.settings.seed,
            seconds
        );
        save_checkpoint(model_path, &self.checkpoint(&note)?)?;
        let mut tensors: HashMap<String, Tensor> = self.optimizer.state_tensors();
        for (name, var) in self.varmap.data().lock().map_err(|_| anyhow::anyhow!("variable map poisoned"))?.iter() {
            tensors.insert(name.clone(), var.as_tensor().detach());
        }
        let metadata: HashMap<String, String> = [
            ("settings", serde_json::to_string(&self.settings)?),
            ("statistics", serde_json::to_string(&self.statistics)?),
            ("step", self.step.to_string()),
            ("rng_state", self.rng_state.to_string()),
            ("seconds", seconds.to_string()),
            ("history", serde_json::to_string(&self.history)?),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let path = state_path(model_path);
        let temporary = path.with_extension("partial");
        let mut sorted: Vec<(String, Tensor)> = tensors.into_iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        std::fs::write(&temporary, safetensors::tensor::serialize(sorted, Some(metadata))?)?;
        std::fs::rename(&temporary, &path)?;
        Ok(())
    }
}
