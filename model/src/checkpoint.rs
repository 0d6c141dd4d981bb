//! The checkpoint format: a safetensors file whose metadata map says what the
//! tensors are. See `model/CHECKPOINT.md` for the format and its
//! compatibility policy.
//!
//! Loading validates everything (metadata present, parsable, in range and
//! consistent; every expected tensor present, float32, of the right shape
//! and finite; nothing unexpected) and returns a typed error instead of
//! panicking. Loading allocates and reads files: never on the audio thread.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use safetensors::tensor::{Dtype, SafeTensorError, SafeTensors};
use serde::{Deserialize, Serialize};

use crate::config::{DecoderConfig, FeatureScaling};
use crate::network::RnnFcDecoder;

/// The `format` metadata value of every checkpoint.
pub const FORMAT_NAME: &str = "ddsp-timbre-transfer-checkpoint";
/// The newest format version this build reads and the one it writes.
pub const FORMAT_VERSION: u32 = 1;
/// The `architecture` metadata value of DDSP's RnnFcDecoder.
pub const ARCHITECTURE: &str = "rnn_fc_decoder";
/// Name of the optional reverb impulse response tensor (1-D, at the model
/// rate).
pub const REVERB_IR_TENSOR: &str = "reverb.impulse_response";
/// Longest reverb impulse response accepted, seconds: the longest the
/// real-time reverb plays within its budget at 192 kHz.
pub const MAX_REVERB_SECONDS: f32 = dsp_core::reverb::MAX_IR_SECONDS;
/// Most dense-layer weights (multiply-adds per frame) a decoder may have.
/// Every decoder runs on the audio thread, so its step must fit the
/// real-time budget: at most ~6 % of a core at 250 frames per second, and
/// a worst-case step (p99) within about a quarter of a 64-sample block at
/// 48 kHz (1.33 ms). The step costs ~75 ns per 1,000 weights once they
/// outgrow the L2 cache (default size, 2.27 M weights: 175 µs mean, 261 µs
/// p99 on this project's 2-core reference machine; `cargo bench -p
/// ddsp-model --bench decoder_step`), so the limit sits 30 % above the
/// default size. Checked before any weight is read, so it also bounds what
/// a hostile file can make the loader allocate.
pub const MAX_STEP_WEIGHTS: usize = 3_000_000;
/// Largest checkpoint file read, bytes: the largest decoder allowed
/// (`MAX_STEP_WEIGHTS` float32 weights, plus its LayerNorm vectors and
/// biases) and the longest reverb at 192 kHz fit with room to spare
/// (~20 MB). A larger file is refused before it is read, so a huge or
/// hostile file costs neither memory nor time.
pub const MAX_CHECKPOINT_BYTES: u64 = 64 * 1024 * 1024;

/// The pitch and loudness distribution of the training audio.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatasetStatistics {
    /// 5 %, 50 %, 95 % pitch quantiles, MIDI note numbers.
    pub pitch_midi_quantiles: [f32; 3],
    /// 5 %, 50 %, 95 % loudness quantiles, dB.
    pub loudness_db_quantiles: [f32; 3],
    /// Lowest and highest voiced pitch seen, MIDI note numbers.
    pub pitch_midi_range: [f32; 2],
    /// Lowest and highest loudness seen, dB.
    pub loudness_db_range: [f32; 2],
}

impl DatasetStatistics {
    /// The part the real-time engine uses.
    pub fn to_engine(&self) -> dsp_core::DatasetStats {
        dsp_core::DatasetStats {
            pitch_midi_quantiles: self.pitch_midi_quantiles,
            loudness_db_quantiles: self.loudness_db_quantiles,
        }
    }
}

/// Everything a checkpoint says besides its weights.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckpointInfo {
    /// Sizes, rates and feature scaling.
    pub config: DecoderConfig,
    /// Training audio's pitch and loudness distribution.
    pub dataset: DatasetStatistics,
    /// Instrument name shown to musicians.
    pub name: String,
    /// Who trained it.
    pub author: String,
    /// When it was made (ISO 8601).
    pub created: String,
    /// How it was trained, free text.
    pub training_note: String,
}

impl CheckpointInfo {
    /// Metadata for a decoder not trained yet (training's starting point,
    /// benchmarks, tests): neutral dataset statistics spanning a melodic
    /// range (MIDI 48–72 around 60, −50…−10 dB around −30 dB).
    pub fn untrained(config: DecoderConfig) -> Self {
        Self {
            config,
            dataset: DatasetStatistics {
                pitch_midi_quantiles: [48.0, 60.0, 72.0],
                loudness_db_quantiles: [-50.0, -30.0, -10.0],
                pitch_midi_range: [36.0, 96.0],
                loudness_db_range: [-80.0, 0.0],
            },
            name: "untrained".into(),
            author: String::new(),
            created: String::new(),
            training_note: "untrained weights".into(),
        }
    }
}

/// A validated checkpoint: metadata, weights and the optional reverb.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    /// Metadata.
    pub info: CheckpointInfo,
    /// The decoder's tensors by name (float32, CPU).
    pub tensors: HashMap<String, Tensor>,
    /// Reverb impulse response at `info.config.model_rate_hz`; empty: none.
    pub reverb_ir: Vec<f32>,
}

/// Why a checkpoint could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The file does not exist.
    #[error("checkpoint {} does not exist", .0.display())]
    NotFound(PathBuf),
    /// The file could not be read or written.
    #[error("cannot access checkpoint {}: {reason}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        reason: String,
    },
    /// The file is larger than any checkpoint can be.
    #[error(
        "{} is {} MB, larger than any checkpoint (at most {} MB): not a model file",
        .path.display(),
        .bytes / (1024 * 1024),
        MAX_CHECKPOINT_BYTES / (1024 * 1024)
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size, bytes.
        bytes: u64,
    },
    /// The file is not a safetensors file.
    #[error("not a safetensors checkpoint: {0}")]
    NotSafetensors(String),
    /// The file ends before its header says it should.
    #[error("checkpoint is truncated (incomplete download or copy?): {0}")]
    Truncated(String),
    /// A safetensors file, but not one of ours (format or architecture).
    #[error("not a DDSP timbre-transfer checkpoint: {0}")]
    UnknownFormat(String),
    /// Written by a newer version of the format than this build reads.
    #[error(
        "checkpoint format version {found} is newer than this plugin reads (up to {supported}); update the plugin"
    )]
    NewerVersion {
        /// The file's format version.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// A metadata entry is missing or cannot be parsed.
    #[error("checkpoint metadata '{key}' is unusable: {reason}")]
    BadMetadata {
        /// The metadata key.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A metadata value is outside what the engine can play.
    #[error("checkpoint {what} is {value}, outside the supported {allowed}")]
    OutOfRange {
        /// What the value is.
        what: String,
        /// The value found.
        value: String,
        /// What is supported.
        allowed: String,
    },
    /// An expected tensor is absent.
    #[error("checkpoint lacks the weights '{0}'")]
    MissingTensor(String),
    /// A tensor has the wrong shape or type.
    #[error("checkpoint weights '{name}' are {found}, expected {expected}")]
    TensorShape {
        /// The tensor's name.
        name: String,
        /// The type and shape this decoder needs.
        expected: String,
        /// The type and shape in the file.
        found: String,
    },
    /// A tensor the network does not use.
    #[error("checkpoint holds weights '{0}' this decoder does not use")]
    UnexpectedTensor(String),
    /// A tensor holds NaN or infinity.
    #[error("checkpoint weights '{0}' contain NaN or infinity")]
    NonFiniteWeights(String),
    /// The tensors could not be assembled into a network.
    #[error("checkpoint weights do not form a decoder: {0}")]
    Network(String),
}

fn bad_metadata(key: &str, reason: impl fmt::Display) -> CheckpointError {
    CheckpointError::BadMetadata { key: key.to_owned(), reason: reason.to_string() }
}

fn candle_error(error: candle_core::Error) -> CheckpointError {
    CheckpointError::Network(error.to_string())
}

/// The names and shapes every checkpoint of `config` must hold, from
/// building the network itself (so they cannot drift from its `vb.pp` paths).
pub fn expected_tensor_shapes(config: &DecoderConfig) -> Result<HashMap<String, Vec<usize>>, CheckpointError> {
    let varmap = VarMap::new();
    RnnFcDecoder::new(config, VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu)).map_err(candle_error)?;
    let data = varmap.data().lock().map_err(|_| CheckpointError::Network("weight map poisoned".into()))?;
    Ok(data.iter().map(|(name, var)| (name.clone(), var.dims().to_vec())).collect())
}

/// Checks every value the engine depends on.
fn validate_info(info: &CheckpointInfo) -> Result<(), CheckpointError> {
    let config = &info.config;
    let out_of_range = |what: &str, value: String, allowed: &str| CheckpointError::OutOfRange {
        what: what.to_owned(),
        value,
        allowed: allowed.to_owned(),
    };
    if !dsp_core::ranges::FRAME_RATE_HZ.contains(&config.frame_rate_hz) {
        return Err(out_of_range("frame rate", format!("{} Hz", config.frame_rate_hz), "50–250 Hz"));
    }
    if !(8_000.0..=192_000.0).contains(&config.model_rate_hz) {
        return Err(out_of_range("model sample rate", format!("{} Hz", config.model_rate_hz), "8–192 kHz"));
    }
    if !(1..=dsp_core::MAX_HARMONICS).contains(&config.num_harmonics) {
        return Err(out_of_range("number of harmonics", config.num_harmonics.to_string(), "1–160"));
    }
    if !(2..=dsp_core::MAX_NOISE_BANDS).contains(&config.num_noise_bands) {
        return Err(out_of_range("number of noise bands", config.num_noise_bands.to_string(), "2–128"));
    }
    for (what, value, max) in [
        ("MLP width", config.mlp_units, 4096),
        ("MLP depth", config.mlp_layers, 16),
        ("GRU size", config.gru_units, 4096),
    ] {
        if !(1..=max).contains(&value) {
            return Err(out_of_range(what, value.to_string(), &format!("1–{max}")));
        }
    }
    let step_weights = config.step_weights();
    if step_weights > MAX_STEP_WEIGHTS {
        return Err(out_of_range(
            "decoder size",
            format!("{step_weights} weights"),
            &format!("at most {MAX_STEP_WEIGHTS} weights, what the audio thread runs in time"),
        ));
    }
    let scaling = &config.feature_scaling;
    let increasing = |a: f32, b: f32| a.is_finite() && b.is_finite() && a < b;
    if !increasing(scaling.f0_midi_min, scaling.f0_midi_max)
        || !increasing(scaling.loudness_db_min, scaling.loudness_db_max)
    {
        return Err(out_of_range("feature scaling", format!("{scaling:?}"), "finite, increasing ranges"));
    }
    let stats = &info.dataset;
    let ordered = |values: &[f32]| values.iter().all(|v| v.is_finite()) && values.windows(2).all(|w| w[0] <= w[1]);
    if !ordered(&stats.pitch_midi_quantiles)
        || !ordered(&stats.loudness_db_quantiles)
        || !ordered(&stats.pitch_midi_range)
        || !ordered(&stats.loudness_db_range)
    {
        return Err(out_of_range("dataset statistics", format!("{stats:?}"), "finite, ascending quantiles and ranges"));
    }
    Ok(())
}

fn metadata_value<'a>(metadata: &'a HashMap<String, String>, key: &str) -> Result<&'a str, CheckpointError> {
    metadata.get(key).map(String::as_str).ok_or_else(|| bad_metadata(key, "missing"))
}

fn parse_json<T: for<'de> Deserialize<'de>>(
    metadata: &HashMap<String, String>,
    key: &str,
) -> Result<T, CheckpointError> {
    serde_json::from_str(metadata_value(metadata, key)?).map_err(|e| bad_metadata(key, e))
}

fn parse_number<T: std::str::FromStr>(metadata: &HashMap<String, String>, key: &str) -> Result<T, CheckpointError>
where
    T::Err: fmt::Display,
{
    metadata_value(metadata, key)?.parse().map_err(|e| bad_metadata(key, e))
}

/// Reads the metadata map into a [`CheckpointInfo`], checking format,
/// version, architecture and the redundant summary entries.
fn parse_info(metadata: &HashMap<String, String>) -> Result<CheckpointInfo, CheckpointError> {
    let format = metadata.get("format").map(String::as_str).unwrap_or("(none)");
    if format != FORMAT_NAME {
        return Err(CheckpointError::UnknownFormat(format!("format '{format}', expected '{FORMAT_NAME}'")));
    }
    let version: u32 = parse_number(metadata, "format_version")?;
    if version > FORMAT_VERSION {
        return Err(CheckpointError::NewerVersion { found: version, supported: FORMAT_VERSION });
    }
    if version == 0 {
        return Err(bad_metadata("format_version", "0 is not a version"));
    }
    let architecture = metadata_value(metadata, "architecture")?;
    if architecture != ARCHITECTURE {
        return Err(CheckpointError::UnknownFormat(format!(
            "architecture '{architecture}', expected '{ARCHITECTURE}'"
        )));
    }
    let config: DecoderConfig = parse_json(metadata, "config")?;
    let scaling: FeatureScaling = parse_json(metadata, "feature_scaling")?;
    // The summary entries repeat the config for tools that read metadata
    // only; they must agree with it.
    let summary_matches = scaling == config.feature_scaling
        && parse_number::<f32>(metadata, "model_rate_hz")? == config.model_rate_hz
        && parse_number::<f32>(metadata, "frame_rate_hz")? == config.frame_rate_hz
        && parse_number::<usize>(metadata, "num_harmonics")? == config.num_harmonics
        && parse_number::<usize>(metadata, "num_noise_bands")? == config.num_noise_bands;
    if !summary_matches {
        return Err(bad_metadata("config", "the summary entries disagree with the config"));
    }
    let text = |key: &str| metadata_value(metadata, key).map(str::to_owned);
    let info = CheckpointInfo {
        dataset: parse_json(metadata, "dataset_statistics")?,
        name: text("name")?,
        author: text("author")?,
        created: text("created")?,
        training_note: text("training_note")?,
        config,
    };
    validate_info(&info)?;
    Ok(info)
}

fn format_shape(dtype: Dtype, shape: &[usize]) -> String {
    format!("{dtype:?} {shape:?}")
}

/// Reads float32 little-endian data into a `Vec<f32>`.
fn f32_values(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

/// Maps safetensors' parse errors onto ours.
fn classify_parse_error(error: SafeTensorError, file_len: usize, header_len: Option<usize>) -> CheckpointError {
    match error {
        SafeTensorError::InvalidHeaderLength => match header_len {
            Some(n) if n < 100_000_000 && n + 8 > file_len => {
                CheckpointError::Truncated(format!("header of {n} bytes, file of {file_len}"))
            }
            _ => CheckpointError::NotSafetensors("implausible header length".into()),
        },
        SafeTensorError::MetadataIncompleteBuffer => {
            CheckpointError::Truncated(format!("the tensor data does not fill the {file_len}-byte file as declared"))
        }
        SafeTensorError::HeaderTooSmall => CheckpointError::NotSafetensors(format!("only {file_len} bytes")),
        other => CheckpointError::NotSafetensors(other.to_string()),
    }
}

/// Parses and validates checkpoint bytes.
pub fn parse_checkpoint(bytes: &[u8]) -> Result<Checkpoint, CheckpointError> {
    let header_len = bytes.get(..8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as usize);
    let safetensors = SafeTensors::deserialize(bytes).map_err(|e| classify_parse_error(e, bytes.len(), header_len))?;
    let (_, raw_metadata) =
        SafeTensors::read_metadata(bytes).map_err(|e| classify_parse_error(e, bytes.len(), header_len))?;
    let metadata =
        raw_metadata.metadata().clone().ok_or_else(|| CheckpointError::UnknownFormat("no metadata map".into()))?;
    let info = parse_info(&metadata)?;

    let expected = expected_tensor_shapes(&info.config)?;
    let mut tensors = HashMap::with_capacity(expected.len());
    let mut names: Vec<&str> = expected.keys().map(String::as_str).collect();
    names.sort_unstable();
    for name in names {
        let view = safetensors.tensor(name).map_err(|_| CheckpointError::MissingTensor(name.to_owned()))?;
        let shape = &expected[name];
        if view.dtype() != Dtype::F32 || view.shape() != shape.as_slice() {
            return Err(CheckpointError::TensorShape {
                name: name.to_owned(),
                expected: format_shape(Dtype::F32, shape),
                found: format_shape(view.dtype(), view.shape()),
            });
        }
        let values = f32_values(view.data());
        if values.iter().any(|v| !v.is_finite()) {
            return Err(CheckpointError::NonFiniteWeights(name.to_owned()));
        }
        let tensor = Tensor::from_vec(values, shape.as_slice(), &Device::Cpu).map_err(candle_error)?;
        tensors.insert(name.to_owned(), tensor);
    }

    let mut reverb_ir = Vec::new();
    for name in safetensors.names() {
        if name == REVERB_IR_TENSOR {
            let view = safetensors.tensor(name).map_err(|e| CheckpointError::NotSafetensors(e.to_string()))?;
            let max_len = (MAX_REVERB_SECONDS * info.config.model_rate_hz) as usize;
            if view.dtype() != Dtype::F32 || view.shape().len() != 1 || view.shape()[0] > max_len {
                return Err(CheckpointError::TensorShape {
                    name: name.to_owned(),
                    expected: format!("F32 [n ≤ {max_len}]"),
                    found: format_shape(view.dtype(), view.shape()),
                });
            }
            reverb_ir = f32_values(view.data());
            if reverb_ir.iter().any(|v| !v.is_finite()) {
                return Err(CheckpointError::NonFiniteWeights(name.to_owned()));
            }
        } else if !expected.contains_key(name) {
            return Err(CheckpointError::UnexpectedTensor(name.to_owned()));
        }
    }
    Ok(Checkpoint { info, tensors, reverb_ir })
}

/// Loads and validates the checkpoint at `path`.
pub fn load_checkpoint(path: &Path) -> Result<Checkpoint, CheckpointError> {
    let access_error = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => CheckpointError::NotFound(path.to_owned()),
        _ => CheckpointError::Io { path: path.to_owned(), reason: e.to_string() },
    };
    let file = std::fs::File::open(path).map_err(access_error)?;
    let declared = file.metadata().map_err(access_error)?.len();
    if declared > MAX_CHECKPOINT_BYTES {
        return Err(CheckpointError::TooLarge { path: path.to_owned(), bytes: declared });
    }
    // Read at most one byte past the limit, whatever the file does meanwhile.
    let mut bytes = Vec::with_capacity(declared as usize);
    std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_CHECKPOINT_BYTES + 1), &mut bytes)
        .map_err(access_error)?;
    if bytes.len() as u64 > MAX_CHECKPOINT_BYTES {
        return Err(CheckpointError::TooLarge { path: path.to_owned(), bytes: bytes.len() as u64 });
    }
    parse_checkpoint(&bytes)
}

fn json<T: Serialize>(key: &str, value: &T) -> Result<String, CheckpointError> {
    serde_json::to_string(value).map_err(|e| bad_metadata(key, e))
}

/// The metadata map for `info`, in the current format version.
fn metadata_map(info: &CheckpointInfo) -> Result<HashMap<String, String>, CheckpointError> {
    let config = &info.config;
    Ok(HashMap::from([
        ("format".to_owned(), FORMAT_NAME.to_owned()),
        ("format_version".to_owned(), FORMAT_VERSION.to_string()),
        ("architecture".to_owned(), ARCHITECTURE.to_owned()),
        ("config".to_owned(), json("config", config)?),
        ("feature_scaling".to_owned(), json("feature_scaling", &config.feature_scaling)?),
        ("dataset_statistics".to_owned(), json("dataset_statistics", &info.dataset)?),
        ("model_rate_hz".to_owned(), config.model_rate_hz.to_string()),
        ("frame_rate_hz".to_owned(), config.frame_rate_hz.to_string()),
        ("num_harmonics".to_owned(), config.num_harmonics.to_string()),
        ("num_noise_bands".to_owned(), config.num_noise_bands.to_string()),
        ("name".to_owned(), info.name.clone()),
        ("author".to_owned(), info.author.clone()),
        ("created".to_owned(), info.created.clone()),
        ("training_note".to_owned(), info.training_note.clone()),
    ]))
}

/// Serialises `checkpoint` (validated first) to safetensors bytes.
pub fn checkpoint_bytes(checkpoint: &Checkpoint) -> Result<Vec<u8>, CheckpointError> {
    validate_info(&checkpoint.info)?;
    let mut tensors: Vec<(String, Tensor)> =
        checkpoint.tensors.iter().map(|(name, tensor)| (name.clone(), tensor.clone())).collect();
    if !checkpoint.reverb_ir.is_empty() {
        let ir = Tensor::from_slice(&checkpoint.reverb_ir, checkpoint.reverb_ir.len(), &Device::Cpu)
            .map_err(candle_error)?;
        tensors.push((REVERB_IR_TENSOR.to_owned(), ir));
    }
    tensors.sort_by(|a, b| a.0.cmp(&b.0));
    safetensors::tensor::serialize(tensors, Some(metadata_map(&checkpoint.info)?))
        .map_err(|e| CheckpointError::Network(e.to_string()))
}

/// Writes `checkpoint` to `path` (through a temporary file, so a crash never
/// leaves half a checkpoint under the final name).
pub fn save_checkpoint(path: &Path, checkpoint: &Checkpoint) -> Result<(), CheckpointError> {
    let bytes = checkpoint_bytes(checkpoint)?;
    let io_error = |e: std::io::Error| CheckpointError::Io { path: path.to_owned(), reason: e.to_string() };
    let temporary = path.with_extension("safetensors.partial");
    std::fs::write(&temporary, bytes).map_err(io_error)?;
    std::fs::rename(&temporary, path).map_err(io_error)
}

/// Reproducible initial weights for `config`: every dense and GRU weight
/// and bias uniform in ±`scale`/√fan-in (fan-in: the weight's input width;
/// scale 1 is PyTorch's default initialisation), LayerNorm gains 1 and
/// offsets 0, drawn from a xorshift generator seeded with `seed`.
pub fn initial_tensors(
    config: &DecoderConfig,
    seed: u64,
    scale: f32,
) -> Result<HashMap<String, Tensor>, CheckpointError> {
    let shapes = expected_tensor_shapes(config)?;
    let mut names: Vec<&String> = shapes.keys().collect();
    names.sort();
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut tensors = HashMap::with_capacity(names.len());
    for name in names {
        let shape = &shapes[name];
        let count: usize = shape.iter().product();
        let values: Vec<f32> = if name.ends_with("norm.weight") {
            vec![1.0; count]
        } else if name.ends_with("norm.bias") {
            vec![0.0; count]
        } else {
            // A bias takes the fan-in of its layer's weight.
            let weight_name = name.replace("bias", "weight");
            let fan_in = shapes.get(&weight_name).and_then(|s| s.last()).copied().unwrap_or(count);
            let bound = scale / (fan_in.max(1) as f32).sqrt();
            (0..count)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    ((state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * bound
                })
                .collect()
        };
        tensors.insert(name.clone(), Tensor::from_vec(values, shape.as_slice(), &Device::Cpu).map_err(candle_error)?);
    }
    Ok(tensors)
}

impl Checkpoint {
    /// A checkpoint with freshly initialised (untrained) weights for
    /// `config`, reproducible from `seed` ([`initial_tensors`] at scale 1);
    /// training starts here.
    pub fn initialised(info: CheckpointInfo, seed: u64) -> Result<Self, CheckpointError> {
        let tensors = initial_tensors(&info.config, seed, 1.0)?;
        Ok(Self { info, tensors, reverb_ir: Vec::new() })
    }

    /// Builds the decoder network from the weights.
    pub fn decoder(&self) -> Result<RnnFcDecoder, CheckpointError> {
        let vb = VarBuilder::from_tensors(self.tensors.clone(), DType::F32, &Device::Cpu);
        RnnFcDecoder::new(&self.info.config, vb).map_err(candle_error)
    }
}
