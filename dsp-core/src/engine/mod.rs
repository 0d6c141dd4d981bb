//! The engine: input → framer → analysis → user controls → decoder → control
//! mapping → harmonic bank + filtered noise → reverb → level match →
//! dry/wet → output.
//!
//! # Timing
//! Frame `k` is complete once input samples `0 .. b_k` have arrived (see
//! [`crate::framer`]); its pitch and loudness windows end with sample
//! `b_k − 1`. The frame stands for input sample `b_k − 1 − lookahead`, and its
//! controls sound at exactly output sample `b_k − 1 − lookahead + latency`.
//! Frame `k`'s features go to the decoder as soon as it is analysed. The
//! synth segment that glides from frame `k − 1` to frame `k` (synth samples
//! `b_{k−1} .. b_k`, reaching frame `k` on the last one) is rendered when
//! its first sample is due, into a queue that starts with `max_hop + decoder
//! delay` samples of silence; synth sample `s` is output sample
//! `s + max_hop + decoder delay`, so
//! `latency = lookahead + max_hop + decoder delay`. The dry signal is
//! delayed by the same amount. Every shipped decoder (the additive one and
//! the model crate's real-time step) computes inside
//! `submit`, so its delay is 0 and the latency does not depend on the
//! host's block size: 5.5 ms + one 4 ms hop = 9.5 ms at 44.1 and 48 kHz
//! with 250 Hz frames.
//!
//! # Late frames
//! The [`Decoder`] interface also admits a decoder that answers later (it
//! states its extra delay). In real-time mode, an output that has not
//! arrived by its deadline is late: the segment glides on with the
//! previous controls (at the new pitch), and [`Engine::late_frames`] counts
//! it. In offline mode the engine waits for every output, so a bounce is
//! deterministic and equals a real-time run without late frames. Everything
//! is driven
//! by input sample positions, never by block boundaries, so the output does
//! not depend on how the host cuts blocks.
//!
//! # Swapping decoders
//! [`Engine::connect_slot`] returns a [`DecoderSender`]: a decoder sent
//! through it is swapped in at the next frame, lock-free. Frames already
//! submitted to the old decoder play its last output; from the first frame
//! of the new one, the synth controls crossfade over `CROSSFADE_MS`. An
//! instrument sent with its own reverb swaps reverbs at the same moment,
//! the old reverb's output fading into the new one's over the same time. The
//! old parts go back through the slot, to be freed by the sender's thread.
//!
//! # Real time
//! [`Engine::new`] plans every FFT and sizes every buffer; [`Engine::process`],
//! [`Engine::set_controls`] and [`Engine::reset`] never allocate, lock or
//! wait.

mod config;
mod crossfade;
mod gains;
mod offline;
mod reverb_stage;

use std::collections::VecDeque;

pub use config::{AnalysisConfig, EngineConfig};
pub use offline::render_clip;

use crate::controls::FeatureControls;
use crate::decoder::{DecodeStatus, Decoder};
use crate::delay::DelayLine;
use crate::fifo::SampleFifo;
use crate::framer::Framer;
use crate::harmonic::HarmonicBank;
use crate::history::HistoryBuffer;
use crate::level_match::LevelMatch;
use crate::loudness::LoudnessMeter;
use crate::mapping::map_decoder_output;
use crate::noise::FilteredNoise;
use crate::note_out::{NoteFollower, NoteOut};
use crate::pitch::{PitchTracker, DEFAULT_F0_HZ};
use crate::ranges::{self, clamp_f32};
use crate::reverb::Reverb;
use crate::smoothing::{Smoother, GAIN_SMOOTHING_MS};
use crate::swap::{decoder_slot, DecoderSender, DecoderSlot, Retired, SwapRequirements};
use crate::synth_power::SynthPower;
use crate::wire::{DecoderOutput, FeatureFrame, SynthParams, UserControls, MAX_HARMONICS};
use crossfade::ControlCrossfade;
use gains::{level_to_gain, sanitize, GainSmoothers};
use reverb_stage::ReverbStage;

/// Most channels the engine processes (the analysis hears their mean).
pub const MAX_CHANNELS: usize = 2;
/// Length of the control crossfade after a decoder swap, ms.
pub const CROSSFADE_MS: f32 = 30.0;
/// No output sample exceeds this magnitude (+12 dBFS), whatever the input,
/// the model and the controls: the last stage clamps to it. A safety net
/// for ears and monitors, far above any level a sane setting reaches, so
/// it never shapes the sound of normal use.
pub const OUTPUT_CEILING: f32 = 4.0;
/// Lowest host rate the engine will run at, Hz.
const MIN_SAMPLE_RATE_HZ: f32 = 8_000.0;
/// Input loudness at or below which the synth is silent, dB: within 1 dB
/// of the loudness floor, so digital silence (and nothing a microphone
/// hears). Silence in means silence out (the reverb rings out, then exact
/// zeros), not the decoder's faint answer to silence, which a spectral
/// comparison with the silent input counts in every bin.
pub const SILENCE_LOUDNESS_DB: f32 = crate::loudness::LOUDNESS_FLOOR_DB + 1.0;

/// A frame analysed and submitted, waiting for its segment to be rendered.
#[derive(Clone, Copy, Debug)]
struct PendingFrame {
    /// The frame's index since the last reset.
    index: u64,
    /// Length of its synth segment, samples (its hop).
    segment_samples: usize,
    /// The pitch it plays, after the user controls, Hz.
    f0_hz: f32,
    /// The input was silent (its loudness at or below
    /// [`SILENCE_LOUDNESS_DB`]): the synth plays nothing.
    silent: bool,
}

/// The real-time DDSP engine.
pub struct Engine {
    /// Host rate, Hz.
    sample_rate_hz: f32,
    /// Largest chunk processed at once, samples (longer blocks are split).
    max_block_samples: usize,
    /// The decoder playing (the model's real-time step or the additive one).
    decoder: Box<dyn Decoder>,
    /// Where frames complete, in input samples.
    framer: Framer,
    /// Pitch analysis of the mono input.
    pitch: PitchTracker,
    /// Loudness analysis of the mono input.
    loudness: LoudnessMeter,
    /// The latest loudness window of mono input, samples.
    loudness_history: HistoryBuffer,
    /// The user controls applied to each analysed frame.
    feature_controls: FeatureControls,
    /// The harmonic oscillator bank.
    harmonic: HarmonicBank,
    /// The filtered-noise synth.
    noise: FilteredNoise,
    /// The reverb, its level keeping and its swap crossfade. It runs on the
    /// wet signal as it is played, not as it is synthesised, so its work
    /// spreads evenly over the host's callbacks (a frame's segment is
    /// synthesised in one callback).
    reverb: ReverbStage,
    /// Loudness analysis of the instrument as played (after the reverb,
    /// before the level match), for the level match.
    output_loudness: LoudnessMeter,
    /// The latest loudness window of the instrument as played, samples.
    output_history: HistoryBuffer,
    /// Keeps the instrument at the input's loudness.
    level_match: LevelMatch,
    /// The A-weighted power of each frame's synth controls, for the level
    /// match's share of the harmonic and noise levels.
    synth_power: SynthPower,
    /// Per synth sample, in step with `wet_queue`: the A-weighted power its
    /// frame's controls ask for, and the power played after the harmonic
    /// and noise levels (same units), so the level match reads the share
    /// of the segment that is playing, whatever the block sizes.
    synth_power_queues: [SampleFifo; 2],
    /// Scratch for the power queues (a segment's copies, a chunk's pops).
    synth_power_scratch: Vec<f32>,
    /// The loudness the level match hears for the frame just analysed, dB
    /// (`None`: the frame does not teach it).
    level_target_db: Option<f32>,
    /// Wet samples still to play before the first sample of a swapped-in
    /// decoder, when its reverb waits to take over there.
    reverb_swap_in_samples: Option<usize>,
    /// Synthesised wet samples waiting to be played (starts with the synth
    /// delay's silence).
    wet_queue: SampleFifo,
    /// The dry input per channel, delayed by the latency.
    dry_delays: [DelayLine; MAX_CHANNELS],
    /// The sanitised input before the input gain, per channel, delayed by
    /// the latency: what bypass plays.
    bypass_delays: [DelayLine; MAX_CHANNELS],
    /// Scratch: this chunk's sanitised input before the input gain.
    bypass_input: [Vec<f32>; MAX_CHANNELS],
    /// The output stage's per-sample gains.
    gains: GainSmoothers,
    /// Harmonic level, linear gain, smoothed per frame.
    harmonic_level: Smoother,
    /// Noise level, linear gain, smoothed per frame.
    noise_level: Smoother,
    /// The user controls last set.
    controls: UserControls,
    /// How far before the end of its windows a frame stands, samples.
    lookahead_samples: usize,
    /// Delay of the wet queue: one hop plus the decoder's extra delay, samples.
    synth_delay_samples: usize,
    /// Input samples since the last frame completed.
    samples_since_frame: usize,
    /// Frames analysed whose segments are not rendered yet (sized at
    /// construction for every frame that can be pending).
    pending: VecDeque<PendingFrame>,
    /// Index the next frame will get.
    next_frame_index: u64,
    /// Whether every decoder output is waited for (bounces).
    offline: bool,
    /// Harmonics at or above this are silent, Hz (the lower of the host's
    /// and the model's Nyquist frequency).
    nyquist_hz: f32,
    /// Scratch: this chunk's mono mix after the input gain.
    mono: Vec<f32>,
    /// Scratch: this chunk's wet signal.
    wet: Vec<f32>,
    /// Scratch: one synth segment (up to a hop).
    segment: Vec<f32>,
    /// The decoder's last output.
    decoder_output: DecoderOutput,
    /// The synth controls mapped from the decoder's output.
    params: SynthParams,
    /// Scratch: harmonic amplitudes after the crossfade and level, linear.
    harmonic_amplitudes: [f32; MAX_HARMONICS],
    /// The control crossfade after a decoder swap.
    crossfade: ControlCrossfade,
    /// Where swapped-in instruments arrive and retired parts leave.
    slot: Option<DecoderSlot>,
    /// What an instrument must match to be swapped in.
    swap_requirements: SwapRequirements,
    /// The first frame submitted to the current decoder.
    first_frame_of_decoder: u64,
    /// The raw features of the last analysed frame (for meters).
    last_features: FeatureFrame,
    /// Decoder outputs that missed their deadline (real time only).
    late_frames: u64,
    /// Frames analysed since the last reset.
    frames: u64,
    /// Samples processed since the last reset (input and output share the
    /// count).
    samples_processed: u64,
    /// The played pitch as MIDI notes (see [`crate::note_out`]).
    note_out: NoteFollower,
}

impl Engine {
    /// An engine running `decoder` with `config`. Plans FFTs and sizes every
    /// buffer: allocates, call at activation or from a background thread.
    pub fn new(config: &EngineConfig, decoder: Box<dyn Decoder>) -> Self {
        // Run at the true rate, whatever it is (a clamped rate would detune
        // everything); rates outside 22.05–192 kHz work but are not tested.
        let sample_rate_hz =
            if config.sample_rate_hz.is_finite() { config.sample_rate_hz.max(MIN_SAMPLE_RATE_HZ) } else { 48_000.0 };
        let max_block_samples = config.max_block_samples.max(1);
        let info = *decoder.info();
        let frame_rate_hz = clamp_f32(info.frame_rate_hz, &ranges::FRAME_RATE_HZ);
        let framer = Framer::new(sample_rate_hz as f64, frame_rate_hz as f64);
        let max_hop = framer.max_hop_samples();
        let analysis = &config.analysis;
        let loudness = LoudnessMeter::new(sample_rate_hz, analysis.loudness_window_ms);
        let pitch = PitchTracker::new(sample_rate_hz, analysis.pitch);
        let longest_window = loudness.window_samples().max(pitch.window_samples());
        let lookahead_samples = ((analysis.lookahead_ms * 1e-3 * sample_rate_hz).round() as usize).min(longest_window);
        let synth_delay_samples = max_hop + decoder.extra_latency_samples(sample_rate_hz, max_block_samples);
        let latency = lookahead_samples + synth_delay_samples;
        let controls = UserControls::default();
        let min_hop = (framer.hop_samples().floor() as usize).max(1);
        let swap_requirements = SwapRequirements {
            info,
            host_rate_hz: sample_rate_hz,
            max_block_samples,
            extra_latency_samples: synth_delay_samples - max_hop,
        };
        let max_pending_frames = synth_delay_samples / min_hop + 4;
        // The instrument measured at a frame's end plays the frames up to
        // one synth delay earlier.
        let loudness_window_samples = loudness.window_samples();
        let level_match_delay_frames = (synth_delay_samples as f64 / framer.hop_samples()).round() as usize;
        // The wet queue and the synth power queues beside it.
        let synth_queue_samples = synth_delay_samples + 2 * max_hop;
        let mut engine = Self {
            sample_rate_hz,
            max_block_samples,
            framer,
            loudness_history: HistoryBuffer::new(loudness.window_samples()),
            loudness,
            pitch,
            feature_controls: FeatureControls::new(frame_rate_hz, &controls),
            harmonic: HarmonicBank::new(sample_rate_hz),
            noise: FilteredNoise::new(
                sample_rate_hz,
                info.model_rate_hz,
                info.num_noise_bands,
                max_hop,
                config.noise_seed,
            ),
            reverb: ReverbStage::new(
                Reverb::new(&config.reverb_ir, config.reverb_ir_rate_hz, sample_rate_hz),
                sample_rate_hz,
                CROSSFADE_MS,
                max_hop,
            ),
            output_history: HistoryBuffer::new(loudness_window_samples),
            output_loudness: LoudnessMeter::new(sample_rate_hz, analysis.loudness_window_ms),
            level_match: LevelMatch::new(frame_rate_hz, sample_rate_hz, level_match_delay_frames),
            synth_power: SynthPower::new(sample_rate_hz, info.model_rate_hz, info.num_noise_bands),
            level_target_db: None,
            synth_power_queues: [0; 2].map(|_| SampleFifo::new(synth_queue_samples)),
            synth_power_scratch: vec![0.0; max_hop.max(max_block_samples)],
            reverb_swap_in_samples: None,
            wet_queue: SampleFifo::new(synth_queue_samples),
            dry_delays: [DelayLine::new(latency), DelayLine::new(latency)],
            bypass_delays: [DelayLine::new(latency), DelayLine::new(latency)],
            bypass_input: [vec![0.0; max_block_samples], vec![0.0; max_block_samples]],
            gains: GainSmoothers::new(sample_rate_hz),
            harmonic_level: Smoother::new(GAIN_SMOOTHING_MS, frame_rate_hz, 1.0),
            noise_level: Smoother::new(GAIN_SMOOTHING_MS, frame_rate_hz, 1.0),
            controls,
            lookahead_samples,
            synth_delay_samples,
            samples_since_frame: 0,
            pending: VecDeque::with_capacity(max_pending_frames),
            next_frame_index: 0,
            offline: false,
            nyquist_hz: 0.5 * sample_rate_hz.min(info.model_rate_hz),
            mono: vec![0.0; max_block_samples],
            wet: vec![0.0; max_block_samples],
            segment: vec![0.0; max_hop],
            decoder_output: DecoderOutput::silent(info.num_harmonics, info.num_noise_bands),
            params: SynthParams::silent(DEFAULT_F0_HZ, info.num_harmonics, info.num_noise_bands),
            harmonic_amplitudes: [0.0; MAX_HARMONICS],
            crossfade: ControlCrossfade::new((CROSSFADE_MS * 1e-3 * frame_rate_hz).ceil() as usize),
            slot: None,
            swap_requirements,
            first_frame_of_decoder: 0,
            last_features: FeatureFrame::silent(DEFAULT_F0_HZ),
            late_frames: 0,
            frames: 0,
            samples_processed: 0,
            // Every frame a process call analyses, and those whose events
            // wait a synth delay for their sample.
            note_out: NoteFollower::new((max_block_samples + synth_delay_samples) / min_hop + 2),
            decoder,
        };
        engine.reset();
        engine
    }

    /// Total delay from input to output, samples: what the host must be told.
    /// The dry path is delayed by exactly this much.
    pub fn latency_samples(&self) -> usize {
        self.lookahead_samples + self.synth_delay_samples
    }

    /// Delay from the end of a frame's analysis windows to the moment the
    /// frame stands for, samples.
    pub fn lookahead_samples(&self) -> usize {
        self.lookahead_samples
    }

    /// Delay between a synth sample being rendered and played, samples
    /// (`latency_samples() − lookahead_samples()`).
    pub fn synth_delay_samples(&self) -> usize {
        self.synth_delay_samples
    }

    /// The host sample rate the engine runs at, Hz.
    pub fn sample_rate_hz(&self) -> f32 {
        self.sample_rate_hz
    }

    /// The decoder's sizes and rates.
    pub fn decoder_info(&self) -> &crate::decoder::DecoderInfo {
        self.decoder.info()
    }

    /// The latest frame of analysis (before user controls), for meters.
    pub fn last_features(&self) -> FeatureFrame {
        self.last_features
    }

    /// Frames whose decoder output came too late and were held.
    pub fn late_frames(&self) -> u64 {
        self.late_frames
    }

    /// Connects a decoder slot and returns its sending side; a previously
    /// connected sender stops reaching this engine. Allocates: call at
    /// activation, not on the audio thread.
    pub fn connect_slot(&mut self) -> DecoderSender {
        let (sender, slot) = decoder_slot(self.swap_requirements);
        self.slot = Some(slot);
        sender
    }

    /// Offline mode (a DAW bounce, a command-line render): wait for every
    /// decoder output instead of holding late ones. Real-time safe to call,
    /// but `process` then blocks on the decoder: only for offline hosts.
    pub fn set_offline(&mut self, offline: bool) {
        self.offline = offline;
    }

    /// True in offline mode ([`Self::set_offline`]).
    pub fn is_offline(&self) -> bool {
        self.offline
    }

    /// Frames processed since the last reset.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Samples processed since the last reset. Real-time safe.
    pub fn samples_processed(&self) -> u64 {
        self.samples_processed
    }

    /// Hands the note events that sound before output sample `until`
    /// (counted since the last reset) to `emit`, with their samples: the
    /// pitch the engine plays as MIDI, each event at the output sample
    /// where its frame's controls sound. Real-time safe.
    pub fn drain_note_events(&mut self, until: u64, emit: impl FnMut(u64, NoteOut)) {
        self.note_out.drain(until, emit);
    }

    /// Hands every queued note event to `emit` at once and ends the note
    /// sounding: before this engine is replaced, so no note is left
    /// hanging. Real-time safe.
    pub fn end_notes(&mut self, emit: impl FnMut(u64, NoteOut)) {
        self.note_out.end(emit);
    }

    /// Sets the user controls from the next sample on (smoothed where
    /// continuous). Real-time safe.
    pub fn set_controls(&mut self, controls: UserControls) {
        self.controls = controls;
        self.gains.set_targets(&controls);
        self.harmonic_level.set_target(level_to_gain(controls.harmonic_level_db));
        self.noise_level.set_target(level_to_gain(controls.noise_level_db));
    }

    /// Returns to silence, as after construction, keeping the controls
    /// (settled). Real-time safe.
    pub fn reset(&mut self) {
        let info = *self.decoder.info();
        self.framer.reset();
        self.pitch.reset();
        self.loudness_history.clear();
        self.feature_controls.reset(&self.controls);
        self.harmonic.reset();
        self.noise.reset();
        let slot = &mut self.slot;
        self.reverb.reset(|reverb| retire_reverb(slot, reverb));
        self.reverb_swap_in_samples = None;
        self.output_history.clear();
        self.level_match.reset();
        self.level_target_db = None;
        self.wet_queue.reset_with_zeros(self.synth_delay_samples);
        for queue in &mut self.synth_power_queues {
            queue.reset_with_zeros(self.synth_delay_samples);
        }
        self.dry_delays.iter_mut().for_each(DelayLine::clear);
        self.bypass_delays.iter_mut().for_each(DelayLine::clear);
        self.gains.reset(&self.controls);
        self.harmonic_level.reset(level_to_gain(self.controls.harmonic_level_db));
        self.noise_level.reset(level_to_gain(self.controls.noise_level_db));
        self.decoder.reset();
        self.decoder_output = DecoderOutput::silent(info.num_harmonics, info.num_noise_bands);
        self.params = SynthParams::silent(DEFAULT_F0_HZ, info.num_harmonics, info.num_noise_bands);
        self.last_features = FeatureFrame::silent(DEFAULT_F0_HZ);
        self.samples_since_frame = 0;
        self.pending.clear();
        self.next_frame_index = 0;
        self.first_frame_of_decoder = 0;
        self.crossfade.reset();
        self.late_frames = 0;
        self.frames = 0;
        self.samples_processed = 0;
        self.note_out.reset();
    }

    /// Processes one block in place: `channels` holds 1 or 2 equally long
    /// channels of input and receives the output. Any length is accepted.
    /// Real-time safe.
    pub fn process(&mut self, channels: &mut [&mut [f32]]) {
        let num_channels = channels.len().min(MAX_CHANNELS);
        if num_channels == 0 {
            return;
        }
        let len = channels[..num_channels].iter().map(|c| c.len()).min().unwrap_or(0);
        let mut start = 0;
        while start < len {
            let end = (start + self.max_block_samples).min(len);
            self.process_chunk(channels, num_channels, start, end);
            start = end;
        }
    }

    fn process_chunk(&mut self, channels: &mut [&mut [f32]], num_channels: usize, start: usize, end: usize) {
        let len = end - start;
        // Input gain, sanitised mono for analysis and sanitised dry copies
        // (with and without the input gain, for dry/wet and bypass).
        for n in 0..len {
            let gain = self.gains.input.step();
            let mut sum = 0.0;
            for (channel, bypass_input) in channels[..num_channels].iter_mut().zip(&mut self.bypass_input) {
                let raw = sanitize(channel[start + n]);
                bypass_input[n] = raw;
                let x = raw * gain;
                channel[start + n] = x;
                sum += x;
            }
            self.mono[n] = sum / num_channels as f32;
        }
        for (channel, delay) in channels[..num_channels].iter_mut().zip(&mut self.dry_delays) {
            delay.process(&mut channel[start..end]);
        }
        for (bypass_input, delay) in self.bypass_input[..num_channels].iter_mut().zip(&mut self.bypass_delays) {
            delay.process(&mut bypass_input[..len]);
        }

        // Wet path, frame by frame.
        let mut done = 0;
        while done < len {
            let take = self.framer.samples_to_next_frame().min(len - done);
            let input = &self.mono[done..done + take];
            self.pitch.push(input);
            self.loudness_history.push(input);
            self.samples_since_frame += take;
            self.samples_processed += take as u64;
            let frame_done = self.framer.advance(take);
            if frame_done {
                self.analyse_frame();
            }
            self.render_until(take);
            self.wet_queue.pop(&mut self.wet[done..done + take]);
            self.play_reverb(done, take);
            self.match_level(done, take, frame_done);
            done += take;
        }

        // Output stage.
        for n in 0..len {
            let dry_wet = self.gains.dry_wet.step();
            let gain = self.gains.output.step();
            let bypass = self.gains.bypass.step();
            let wet = self.wet[n] * dry_wet;
            for (channel, bypass_input) in channels[..num_channels].iter_mut().zip(&self.bypass_input) {
                let played = (channel[start + n] * (1.0 - dry_wet) + wet) * gain;
                let played = if played.is_finite() { played } else { 0.0 };
                // Exactly `played` when not bypassed, exactly the input when
                // bypassed (both finite).
                let out = played * (1.0 - bypass) + bypass_input[n] * bypass;
                channel[start + n] = out.clamp(-OUTPUT_CEILING, OUTPUT_CEILING);
            }
        }
    }

    /// One frame: analyse, apply the user controls, submit to the decoder.
    fn analyse_frame(&mut self) {
        let segment_samples = self.samples_since_frame;
        self.samples_since_frame = 0;
        self.frames += 1;

        let loudness_db = self.loudness.measure_db(self.loudness_history.latest(self.loudness.window_samples()));
        let pitch = self.pitch.estimate();
        self.last_features = FeatureFrame { f0_hz: pitch.f0_hz, confidence: pitch.confidence, loudness_db };
        let index = self.next_frame_index;
        self.next_frame_index += 1;
        self.swap_in_waiting_decoder(index);
        let info = *self.decoder.info();
        let features = self.feature_controls.process(&self.last_features, &self.controls, &info.dataset);
        self.level_target_db = LevelMatch::target_db(
            self.feature_controls.is_voiced(),
            loudness_db,
            self.feature_controls.loudness_shift_db(),
        );
        self.decoder.submit(index, &features);
        // The frame stands for input sample `samples_processed − 1 −
        // lookahead` and sounds `latency` later.
        let sounds_at =
            (self.samples_processed + (self.latency_samples() - self.lookahead_samples) as u64).saturating_sub(1);
        self.note_out.frame(sounds_at, features.f0_hz, self.feature_controls.is_voiced(), features.loudness_db);
        // The queue is sized in `new` for every frame that can be pending;
        // dropping the oldest keeps the timeline should that ever fail.
        if self.pending.len() == self.pending.capacity() {
            self.pending.pop_front();
        }
        // NaN loudness counts as silence.
        let silent =
            self.last_features.loudness_db.partial_cmp(&SILENCE_LOUDNESS_DB) != Some(std::cmp::Ordering::Greater);
        self.pending.push_back(PendingFrame { index, segment_samples, f0_hz: features.f0_hz, silent });
    }

    /// Swaps in a decoder waiting in the slot, if any, from frame `index` on.
    fn swap_in_waiting_decoder(&mut self, index: u64) {
        let Some(slot) = &mut self.slot else { return };
        let Some(mut instrument) = slot.take() else { return };
        instrument.decoder.reset();
        // The box that brought the new decoder carries the old one away.
        std::mem::swap(&mut self.decoder, &mut instrument.decoder);
        if let Some(reverb) = instrument.reverb.take() {
            self.reverb.queue(reverb, |replaced| slot.retire(Retired::Reverb(replaced)));
        }
        slot.retire(Retired::Instrument(instrument));
        self.first_frame_of_decoder = index;
        self.crossfade.pending = true;
    }

    /// Renders pending frames until `num_samples` of wet signal are queued.
    fn render_until(&mut self, num_samples: usize) {
        while self.wet_queue.len() < num_samples {
            let Some(frame) = self.pending.pop_front() else {
                // Unreachable by the latency arithmetic; silence keeps time.
                let missing = num_samples - self.wet_queue.len();
                self.segment[..missing].fill(0.0);
                self.wet_queue.push(&self.segment[..missing]);
                for queue in &mut self.synth_power_queues {
                    queue.push(&self.segment[..missing]);
                }
                return;
            };
            // Frames submitted to a swapped-out decoder hold its last output.
            if frame.index >= self.first_frame_of_decoder {
                if self.crossfade.pending {
                    self.crossfade.start();
                    // An earlier swap still on its way keeps its moment.
                    self.reverb_swap_in_samples.get_or_insert(self.wet_queue.len());
                }
                if self.decoder.receive(frame.index, self.offline, &mut self.decoder_output) == DecodeStatus::Late {
                    self.late_frames += 1;
                }
            }
            map_decoder_output(&self.decoder_output, frame.f0_hz, self.nyquist_hz, &mut self.params);
            if frame.silent {
                self.params.amplitude = 0.0;
                self.params.noise_magnitudes.fill(0.0);
            }
            self.render_segment(frame.segment_samples);
        }
    }

    fn render_segment(&mut self, segment_len: usize) {
        let params = &self.params;
        let harmonic_gain = self.harmonic_level.step();
        let noise_gain = self.noise_level.step();
        let mut harmonics = [0.0f32; MAX_HARMONICS];
        for (value, &share) in harmonics.iter_mut().zip(&params.harmonic_distribution[..params.num_harmonics]) {
            let amplitude = params.amplitude * share;
            *value = if amplitude.is_finite() { amplitude } else { 0.0 };
        }
        let mut noise = params.noise_magnitudes;
        noise[params.num_noise_bands..].fill(0.0);
        self.crossfade.apply(&mut harmonics, &mut noise);
        for (amplitude, &value) in self.harmonic_amplitudes.iter_mut().zip(&harmonics) {
            *amplitude = value * harmonic_gain;
        }
        let num_harmonics = MAX_HARMONICS - harmonics.iter().rev().take_while(|&&v| v == 0.0).count();
        let harmonic_power = self.synth_power.harmonic_power(params.f0_hz, &harmonics[..num_harmonics]);
        let noise_power = self.synth_power.noise_power(&noise[..params.num_noise_bands]);
        let powers = [
            harmonic_power + noise_power,
            harmonic_power * harmonic_gain * harmonic_gain + noise_power * noise_gain * noise_gain,
        ];
        for (queue, power) in self.synth_power_queues.iter_mut().zip(powers) {
            let copies = &mut self.synth_power_scratch[..segment_len];
            copies.fill(power);
            queue.push(copies);
        }
        let segment = &mut self.segment[..segment_len];
        self.harmonic.render(params.f0_hz, &self.harmonic_amplitudes[..num_harmonics], segment);
        self.noise.render_add(&noise[..params.num_noise_bands], noise_gain, segment);
        self.wet_queue.push(segment);
    }

    /// Measures the `len` wet samples at `start` of this chunk (after the
    /// reverb) and scales them by the level match; a frame that ended with
    /// them then updates the match, for the samples after it.
    fn match_level(&mut self, start: usize, len: usize, frame_done: bool) {
        let mut powers = [0.0; 2];
        for (queue, power) in self.synth_power_queues.iter_mut().zip(&mut powers) {
            let popped = &mut self.synth_power_scratch[..len];
            queue.pop(popped);
            *power = popped.last().copied().unwrap_or(0.0);
        }
        let wet = &mut self.wet[start..start + len];
        self.output_history.push(wet);
        for sample in wet {
            *sample = self.level_match.apply(*sample);
        }
        if frame_done {
            self.level_match.synth_frame(powers[0], powers[1]);
            let window = self.output_history.latest(self.output_loudness.window_samples());
            let output_db = self.output_loudness.measure_db(window);
            self.level_match.frame(self.level_target_db.take(), output_db, self.controls.level_match);
        }
    }

    /// Adds the reverb to the `len` wet samples at `start` of this chunk,
    /// swapping reverbs at the swapped-in decoder's first sample.
    fn play_reverb(&mut self, start: usize, len: usize) {
        let slot = &mut self.slot;
        let mut done = 0;
        if let Some(swap_in) = self.reverb_swap_in_samples {
            if swap_in < len {
                self.reverb.process(&mut self.wet[start..start + swap_in], &mut self.gains.reverb_mix, |reverb| {
                    retire_reverb(slot, reverb)
                });
                self.reverb.start_swap(|reverb| retire_reverb(slot, reverb));
                self.reverb_swap_in_samples = None;
                done = swap_in;
            } else {
                self.reverb_swap_in_samples = Some(swap_in - len);
            }
        }
        self.reverb.process(&mut self.wet[start + done..start + len], &mut self.gains.reverb_mix, |reverb| {
            retire_reverb(slot, reverb)
        });
    }
}

/// Hands `reverb` back through `slot` to be freed off the audio thread.
/// Without a slot no reverb was ever swapped in, so none reaches here.
fn retire_reverb(slot: &mut Option<DecoderSlot>, reverb: Box<Reverb>) {
    if let Some(slot) = slot {
        slot.retire(Retired::Reverb(reverb));
    }
}
