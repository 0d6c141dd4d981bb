//! Streaming inference beside the audio thread.
//!
//! candle allocates a tensor per operation, so the decoder cannot run inside
//! the host's `process()`. [`InferenceDecoder`] is the audio thread's side: it
//! implements `dsp_core::Decoder` by pushing each frame's features into a
//! lock-free single-producer single-consumer ring (`rtrb`) and popping raw
//! outputs from another. A worker thread it owns runs the model frame by
//! frame. Nothing on the audio side allocates, locks or waits, except
//! `receive` in offline mode, which waits for the frame by design (a bounce
//! must be deterministic).
//!
//! Each request carries a generation number: `reset` on the audio thread only
//! bumps it; the worker starts a fresh GRU state when it sees a new
//! generation, and the audio side drops responses of older generations.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use candle_core::{Device, Tensor};
use dsp_core::decoder::SyncDecoder;
use dsp_core::{DecodeStatus, Decoder as EngineDecoder, DecoderInfo, DecoderOutput, FeatureFrame};

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::config::FeatureScaling;
use crate::network::{Decoder, DecoderState};

/// Frames that can wait in each ring.
const RING_CAPACITY: usize = 64;
/// How long the idle worker sleeps before looking for work again.
const WORKER_POLL: Duration = Duration::from_micros(200);
/// How long offline `receive` sleeps between looks.
const OFFLINE_POLL: Duration = Duration::from_micros(20);
/// Offline `receive` gives up (and reports the frame late) after this long:
/// only a dead worker takes that long.
const OFFLINE_TIMEOUT: Duration = Duration::from_secs(5);
/// The least time, ms, the worker is given per frame whatever the block
/// size: the default model's p99 step is ~0.5 ms on this project's
/// reference machine, plus one poll interval.
const MIN_WORKER_BUDGET_MS: f32 = 2.0;
/// Warm-up steps before a model goes live (first calls allocate caches).
const WARM_UP_FRAMES: usize = 8;

/// GRU size from which streaming inference uses 8-bit weights: there the
/// float32 weights outgrow the L2 cache and the step is memory-bound (the
/// default size runs 3.5× faster, 121 µs instead of 418 µs per frame on the
/// reference machine); below it float32 is as fast and exact.
pub const QUANTIZE_FROM_GRU_UNITS: usize = 256;

/// The candle decoder as a [`SyncDecoder`] for the worker thread (it
/// allocates, so it never runs on the audio thread itself), with 8-bit
/// weights from
/// [`QUANTIZE_FROM_GRU_UNITS`] up (in real time and offline alike, so a
/// bounce equals a live run).
pub struct CandleFrameModel {
    info: DecoderInfo,
    decoder: Decoder,
    state: DecoderState,
    scaling: FeatureScaling,
}

impl CandleFrameModel {
    /// The model in `checkpoint`.
    pub fn new(checkpoint: &Checkpoint) -> Result<Self, CheckpointError> {
        let mut decoder = checkpoint.decoder()?;
        if checkpoint.info.config.gru_units >= QUANTIZE_FROM_GRU_UNITS {
            decoder = decoder.quantized().map_err(|e| CheckpointError::Network(e.to_string()))?;
        }
        let state = decoder.initial_state(1).map_err(|e| CheckpointError::Network(e.to_string()))?;
        Ok(Self { info: decoder_info(checkpoint), decoder, state, scaling: checkpoint.info.config.feature_scaling })
    }

    fn try_step(&mut self, features: &FeatureFrame, out: &mut DecoderOutput) -> candle_core::Result<()> {
        let f0 = Tensor::new(&[[self.scaling.scale_f0(features.f0_hz)]], &Device::Cpu)?;
        let loudness = Tensor::new(&[[self.scaling.scale_loudness(features.loudness_db)]], &Device::Cpu)?;
        let (raw, next) = self.decoder.step(&f0, &loudness, &self.state)?;
        self.state = next;
        let config = self.decoder.config();
        out.num_harmonics = config.num_harmonics;
        out.num_noise_bands = config.num_noise_bands;
        out.amplitude_raw = raw.amplitude.flatten_all()?.to_vec1::<f32>()?[0];
        let harmonics = raw.harmonics.flatten_all()?.to_vec1::<f32>()?;
        out.harmonics_raw[..harmonics.len()].copy_from_slice(&harmonics);
        let noise = raw.noise.flatten_all()?.to_vec1::<f32>()?;
        out.noise_raw[..noise.len()].copy_from_slice(&noise);
        Ok(())
    }
}

impl SyncDecoder for CandleFrameModel {
    fn info(&self) -> &DecoderInfo {
        &self.info
    }

    fn reset(&mut self) {
        if let Ok(state) = self.decoder.initial_state(1) {
            self.state = state;
        }
    }

    fn decode(&mut self, features: &FeatureFrame, out: &mut DecoderOutput) {
        if self.try_step(features, out).is_err() {
            // candle failing on valid shapes would be a bug; play silence
            // and start over rather than stop the worker.
            let config = self.decoder.config();
            *out = DecoderOutput::silent(config.num_harmonics, config.num_noise_bands);
            self.reset();
        }
    }
}

/// Engine-side information for a checkpoint.
pub fn decoder_info(checkpoint: &Checkpoint) -> DecoderInfo {
    let config = &checkpoint.info.config;
    DecoderInfo {
        frame_rate_hz: config.frame_rate_hz,
        model_rate_hz: config.model_rate_hz,
        num_harmonics: config.num_harmonics,
        num_noise_bands: config.num_noise_bands,
        dataset: checkpoint.info.dataset.to_engine(),
    }
}

#[derive(Clone, Copy)]
struct Request {
    generation: u32,
    index: u64,
    features: FeatureFrame,
}

#[derive(Clone, Copy)]
struct Response {
    generation: u32,
    index: u64,
    output: DecoderOutput,
}

/// The audio thread's side of an inference worker; implements the engine's
/// decoder interface. Dropping it stops and joins the worker thread, so drop
/// it off the audio thread.
pub struct InferenceDecoder {
    info: DecoderInfo,
    requests: rtrb::Producer<Request>,
    responses: rtrb::Consumer<Response>,
    generation: u32,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl InferenceDecoder {
    /// Builds the model in `checkpoint`, warms it up and starts its worker.
    /// Allocates and spawns a thread: call off the audio thread.
    pub fn spawn(checkpoint: &Checkpoint) -> Result<Self, CheckpointError> {
        let model = CandleFrameModel::new(checkpoint)?;
        Self::spawn_with(Box::new(model))
            .map_err(|e| CheckpointError::Network(format!("cannot start the inference thread: {e}")))
    }

    /// Starts a worker running `model` (which may allocate: it runs on the
    /// worker thread).
    pub fn spawn_with(mut model: Box<dyn SyncDecoder>) -> std::io::Result<Self> {
        let info = *model.info();
        // Single-threaded matrix products: the host needs the other cores.
        // This is a threshold of this library's own copy of gemm, so it
        // touches nothing outside the plugin.
        gemm_common::gemm::set_threading_threshold(usize::MAX);
        let mut scratch = DecoderOutput::silent(info.num_harmonics, info.num_noise_bands);
        for frame in 0..WARM_UP_FRAMES {
            let features = FeatureFrame { f0_hz: 220.0 + frame as f32, confidence: 1.0, loudness_db: -30.0 };
            model.decode(&features, &mut scratch);
        }
        model.reset();

        let (requests, mut worker_requests) = rtrb::RingBuffer::<Request>::new(RING_CAPACITY);
        let (mut worker_responses, responses) = rtrb::RingBuffer::<Response>::new(RING_CAPACITY);
        let stop = Arc::new(AtomicBool::new(false));
        let worker_stop = stop.clone();
        let silent = DecoderOutput::silent(info.num_harmonics, info.num_noise_bands);
        let thread = std::thread::Builder::new().name("ddsp-inference".into()).spawn(move || {
            let mut generation = 0u32;
            let mut output = silent;
            while !worker_stop.load(Ordering::Acquire) {
                let Ok(request) = worker_requests.pop() else {
                    std::thread::sleep(WORKER_POLL);
                    continue;
                };
                if request.generation != generation {
                    generation = request.generation;
                    model.reset();
                }
                model.decode(&request.features, &mut output);
                let mut response = Response { generation, index: request.index, output };
                // Wait for room rather than lose a frame; the audio side
                // drains every block.
                while let Err(rtrb::PushError::Full(back)) = worker_responses.push(response) {
                    if worker_stop.load(Ordering::Acquire) {
                        return;
                    }
                    response = back;
                    std::thread::sleep(WORKER_POLL);
                }
            }
        })?;
        Ok(Self { info, requests, responses, generation: 0, stop, thread: Some(thread) })
    }
}

impl EngineDecoder for InferenceDecoder {
    fn info(&self) -> &DecoderInfo {
        &self.info
    }

    fn extra_latency_samples(&self, host_rate_hz: f32, max_block_samples: usize) -> usize {
        max_block_samples.max((MIN_WORKER_BUDGET_MS * 1e-3 * host_rate_hz).ceil() as usize)
    }

    fn reset(&mut self) {
        self.generation = self.generation.wrapping_add(1);
    }

    fn submit(&mut self, frame_index: u64, features: &FeatureFrame) {
        // A full ring means the worker is far behind; the frame is dropped
        // and will be reported late.
        let _ = self.requests.push(Request { generation: self.generation, index: frame_index, features: *features });
    }

    fn receive(&mut self, frame_index: u64, wait: bool, out: &mut DecoderOutput) -> DecodeStatus {
        let deadline = if wait { Some(Instant::now() + OFFLINE_TIMEOUT) } else { None };
        loop {
            while let Ok(response) = self.responses.peek() {
                if response.generation != self.generation || response.index < frame_index {
                    let _ = self.responses.pop();
                    continue;
                }
                if response.index > frame_index {
                    // This frame's request was dropped; later ones are here.
                    return DecodeStatus::Late;
                }
                *out = response.output;
                let _ = self.responses.pop();
                return DecodeStatus::Ready;
            }
            match deadline {
                Some(deadline) if Instant::now() < deadline => std::thread::sleep(OFFLINE_POLL),
                _ => return DecodeStatus::Late,
            }
        }
    }
}

impl Drop for InferenceDecoder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
