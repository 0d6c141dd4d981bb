//! The MIDI instrument: notes drive the decoder directly. A note's pitch
//! (with bend, glide and vibrato) is the f0 the decoder hears, its velocity
//! and a feature-domain envelope the loudness, and confidence is 1; the
//! decoder's controls play the same harmonic bank and filtered noise the
//! effect plays, one set per voice, into one shared reverb.
//!
//! # Timing
//! Frames fall every hop of the instruments' frame rate, counted in output
//! samples from the last reset, whatever the host's blocks. A frame's
//! segment is synthesised when its first sample is due, from the notes and
//! controls as they are then, gliding from the previous frame's controls
//! to the new ones over the hop. An event therefore sounds from the first
//! frame boundary at or after its sample: no analysis lookahead and no
//! reported latency, at most one hop (4 ms at 250 Hz) before the glide to
//! it starts. Events are applied at their sample, so the output does not
//! depend on how the host cuts blocks.
//!
//! # Voices
//! Every voice (up to [`MAX_VOICES`]) is built at activation with one
//! decoder per instrument (weights shared, state its own), so switching
//! instruments and starting notes never allocate. A note takes a silent
//! voice, else the quietest releasing one, else the oldest: a taken voice
//! keeps its phase and glides to the new note over one hop, so stealing
//! never clicks. Mono and legato modes play one voice with last-note
//! priority and portamento; legato does not restart the envelope.
//!
//! # Real time
//! [`PolySynth::new`] allocates everything; [`PolySynth::process`],
//! [`PolySynth::handle`], [`PolySynth::set_controls`],
//! [`PolySynth::set_instrument`], [`PolySynth::replace_instrument`] and
//! [`PolySynth::reset`] never allocate, free, lock or wait.

mod envelope;
mod replacement;
mod voice;

pub use envelope::{AdsrSettings, FeatureEnvelope, Stage};
pub use replacement::{InstrumentParts, SynthShape};
pub use voice::NoteKey;

use crate::decoder::{DatasetStats, Decoder, DecoderInfo};
use crate::framer::Framer;
use crate::harmonic::HarmonicBank;
use crate::loudness::{db_to_gain, LOUDNESS_FLOOR_DB};
use crate::noise::FilteredNoise;
use crate::ranges::{self, clamp_f32};
use crate::reverb::Reverb;
use crate::reverb_level::ReverbLevel;
use crate::smoothing::{Smoother, GAIN_SMOOTHING_MS};
use voice::{FrameContext, SynthVoice};

/// Most voices a synth can play at once.
pub const MAX_VOICES: usize = 16;
/// Silence below a note's quietest training loudness, dB: where a
/// release ends.
const FLOOR_BELOW_DATASET_DB: f32 = 30.0;
/// Length of the reverb crossfade on an instrument switch, ms.
const REVERB_CROSSFADE_MS: f32 = 30.0;
/// Notes the mono modes remember for last-note priority.
const NOTE_STACK: usize = 16;
/// MIDI channels, each with its own pitch wheel, pressure and brightness.
pub(super) const MIDI_CHANNELS: usize = 16;
/// Spectral tilt at full or no brightness, ± dB per octave of harmonic
/// number.
const BRIGHTNESS_TILT_DB_PER_OCTAVE: f32 = 6.0;

/// How notes take voices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum VoiceMode {
    /// Every note its own voice, up to the voice count.
    #[default]
    Poly,
    /// One voice, last-note priority; each note restarts the envelope
    /// (from where it is) and glides by the portamento time.
    Mono,
    /// One voice; notes played while another is held glide there without
    /// a new attack.
    Legato,
}

/// The player's settings. Values outside their ranges (`crate::ranges`,
/// the voices to the synth's count) are clamped.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SynthControls {
    /// Voices playing at once in poly mode, 1 … the synth's voice count.
    pub voices: usize,
    /// How notes take voices.
    pub mode: VoiceMode,
    /// Glide time from one note to the next in the mono modes, ms per 12
    /// semitones (0: a jump; [`ranges::PORTAMENTO_MS`]).
    pub portamento_ms: f32,
    /// The loudness envelope.
    pub envelope: AdsrSettings,
    /// Velocity to loudness: the peak sits at `velocity^curve` of the way
    /// from the instrument's quiet to its loud playing (1 linear, 0.25 … 4).
    pub velocity_curve: f32,
    /// Pitch-bend range, ± semitones (0 … 48).
    pub bend_range_semitones: f32,
    /// Vibrato rate, Hz (0.1 … 12).
    pub vibrato_rate_hz: f32,
    /// Vibrato depth with the mod wheel fully up, cents (0 … 200).
    pub vibrato_depth_cents: f32,
    /// Loudness added by full pressure (channel or per note), dB (0 … 24).
    pub pressure_range_db: f32,
    /// Pitch of A4 (MIDI 69), Hz (400 … 480).
    pub tuning_a4_hz: f32,
    /// Reverb mix, 0 … 1 (the level stays the trained one at every mix).
    pub reverb_mix: f32,
    /// Output gain, dB (−60 … +12).
    pub output_gain_db: f32,
}

impl Default for SynthControls {
    fn default() -> Self {
        Self {
            voices: 8,
            mode: VoiceMode::Poly,
            portamento_ms: 0.0,
            envelope: AdsrSettings::default(),
            velocity_curve: 1.0,
            bend_range_semitones: 2.0,
            vibrato_rate_hz: 5.5,
            vibrato_depth_cents: 40.0,
            pressure_range_db: 12.0,
            tuning_a4_hz: 440.0,
            reverb_mix: 0.3,
            output_gain_db: 0.0,
        }
    }
}

/// A MIDI-style event, applied at the sample it is handed over at.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NoteEvent {
    /// A key goes down.
    NoteOn {
        /// Channel and note number.
        key: NoteKey,
        /// 0 … 1 (0 counts as a note-off, as in MIDI).
        velocity: f32,
    },
    /// A key comes up.
    NoteOff {
        /// Channel and note number.
        key: NoteKey,
    },
    /// A MIDI channel's pitch wheel, −1 … 1 of the bend range (MPE
    /// controllers send one channel per note).
    PitchBend {
        /// MIDI channel, 0 … 15.
        channel: u8,
        /// −1 … 1 of the bend range.
        amount: f32,
    },
    /// The mod wheel.
    ModWheel {
        /// 0 … 1 of the vibrato depth.
        amount: f32,
    },
    /// The sustain pedal.
    Sustain {
        /// The pedal is down.
        down: bool,
    },
    /// A MIDI channel's brightness (CC 74, MPE's timbre), 0 … 1, 0.5
    /// neutral: a spectral tilt of the harmonics.
    Brightness {
        /// MIDI channel, 0 … 15.
        channel: u8,
        /// 0 … 1.
        amount: f32,
    },
    /// One note's brightness (CLAP note expression), 0 … 1, 0.5 neutral.
    NoteBrightness {
        /// Channel and note number.
        key: NoteKey,
        /// 0 … 1.
        amount: f32,
    },
    /// A MIDI channel's pressure, 0 … 1.
    ChannelPressure {
        /// MIDI channel, 0 … 15.
        channel: u8,
        /// 0 … 1.
        amount: f32,
    },
    /// Polyphonic aftertouch or MPE pressure of one note.
    NotePressure {
        /// Channel and note number.
        key: NoteKey,
        /// 0 … 1.
        amount: f32,
    },
    /// Per-note pitch bend (MPE, CLAP note tuning).
    NoteBend {
        /// Channel and note number.
        key: NoteKey,
        /// Semitones.
        semitones: f32,
    },
    /// Every note released (the pedal too).
    AllNotesOff,
    /// Every voice silenced at once (MIDI's All Sound Off, a host's choke).
    AllSoundOff,
}

/// One instrument as the synth plays it: one decoder per voice (its own
/// state, weights shared as the maker likes) and its reverb.
pub struct SynthInstrument {
    /// One decoder per voice, all with the same info.
    pub voice_decoders: Vec<Box<dyn Decoder>>,
    /// Reverb impulse response (empty: none) at `reverb_ir_rate_hz`.
    pub reverb_ir: Vec<f32>,
    /// Sample rate of `reverb_ir`, Hz.
    pub reverb_ir_rate_hz: f32,
}

/// Why instruments cannot play together in one synth.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SynthError {
    /// No instrument, or an instrument without a decoder per voice.
    #[error("the synth needs at least one instrument with a decoder for each of its {0} voices")]
    MissingDecoders(usize),
    /// Frame rate, model rate or noise bands differ between instruments.
    #[error("instruments with different frame rates, model rates or noise bands cannot share a synth")]
    Mismatched,
}

/// The polyphonic synth. Build at activation.
pub struct PolySynth {
    /// Host rate, Hz.
    sample_rate_hz: f32,
    /// Highest harmonic frequency, Hz (the lower of the model's and the
    /// host's Nyquist frequencies).
    nyquist_hz: f32,
    /// The first instrument's decoder description: what every instrument's
    /// frame rate, model rate and noise bands equal.
    info: DecoderInfo,
    /// Every voice, playing or not.
    voices: Vec<SynthVoice>,
    /// Each instrument's training statistics.
    datasets: Vec<DatasetStats>,
    /// Each instrument's reverb.
    reverbs: Vec<Reverb>,
    /// The instrument playing.
    instrument: usize,
    /// Each instrument's reverb weight while it fades out after a switch
    /// (→ 0); the playing instrument's entry is unused, its weight is what
    /// the others leave of 1, so any series of switches crossfades.
    fading_weights: Vec<f32>,
    /// The reverb fade's step per sample.
    fading_step: f32,
    /// Holds the trained level at every reverb mix.
    reverb_level: ReverbLevel,
    /// Where frames fall.
    framer: Framer,
    /// The current frame's synthesised samples (up to a hop).
    segment: Vec<f32>,
    /// Samples in the current frame's segment.
    segment_len: usize,
    /// Samples of the current segment already played.
    segment_played: usize,
    /// Scratch: the reverbs' mixed output for one chunk (up to a hop).
    wet: Vec<f32>,
    /// Scratch: one reverb's output for one chunk (up to a hop).
    one_wet: Vec<f32>,
    /// Scratch: the fading reverbs' summed weight per sample of a chunk.
    fading_total: Vec<f32>,
    /// The player's settings, clamped.
    controls: SynthControls,
    /// Output gain, linear, stepped per sample.
    output_gain: Smoother,
    /// Reverb mix, 0 … 1, stepped per sample.
    reverb_mix: Smoother,
    /// Each MIDI channel's pitch wheel, −1 … 1.
    bend: [f32; MIDI_CHANNELS],
    /// Mod wheel, 0 … 1.
    mod_wheel: f32,
    /// Each MIDI channel's pressure, 0 … 1.
    pressure: [f32; MIDI_CHANNELS],
    /// Each MIDI channel's brightness, 0 … 1 (0.5 neutral).
    brightness: [f32; MIDI_CHANNELS],
    /// Sustain pedal down.
    sustain: bool,
    /// Vibrato phase, cycles (0 … 1).
    vibrato_phase: f32,
    /// Notes started since activation (the voices' ages).
    notes_started: u64,
    /// Keys held, oldest first (the mono modes' last-note priority).
    note_stack: [NoteKey; NOTE_STACK],
    /// Keys in `note_stack`.
    stack_len: usize,
}

impl PolySynth {
    /// A synth at `sample_rate_hz` playing `instruments` (the first one to
    /// start with), with as many voices as each has decoders (at most
    /// [`MAX_VOICES`]). Allocates: call at activation.
    pub fn new(sample_rate_hz: f32, instruments: Vec<SynthInstrument>, noise_seed: u64) -> Result<Self, SynthError> {
        let num_voices = instruments.first().map_or(0, |i| i.voice_decoders.len()).min(MAX_VOICES);
        let num_instruments = instruments.len();
        if num_voices == 0 || instruments.iter().any(|i| i.voice_decoders.len() < num_voices) {
            return Err(SynthError::MissingDecoders(num_voices));
        }
        let info: DecoderInfo = *instruments[0].voice_decoders[0].info();
        let shape = SynthShape { sample_rate_hz, num_voices, info };
        if !instruments.iter().flat_map(|i| &i.voice_decoders).all(|d| shape.fits(d.info())) {
            return Err(SynthError::Mismatched);
        }
        let framer = Framer::new(sample_rate_hz as f64, info.frame_rate_hz as f64);
        let max_hop = framer.max_hop_samples();
        let datasets = instruments.iter().map(|i| i.voice_decoders[0].info().dataset).collect();
        let reverbs =
            instruments.iter().map(|i| Reverb::new(&i.reverb_ir, i.reverb_ir_rate_hz, sample_rate_hz)).collect();
        let mut per_voice: Vec<Vec<Box<dyn Decoder>>> = (0..num_voices).map(|_| Vec::new()).collect();
        for instrument in instruments {
            for (voice, decoder) in per_voice.iter_mut().zip(instrument.voice_decoders) {
                voice.push(decoder);
            }
        }
        let voices = per_voice
            .into_iter()
            .enumerate()
            .map(|(index, decoders)| {
                let seed = noise_seed.wrapping_add((index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let noise = FilteredNoise::new(sample_rate_hz, info.model_rate_hz, info.num_noise_bands, max_hop, seed);
                SynthVoice::new(decoders, HarmonicBank::new(sample_rate_hz), noise, max_hop)
            })
            .collect();
        let controls = SynthControls::default();
        let mut synth = Self {
            sample_rate_hz,
            nyquist_hz: (sample_rate_hz / 2.0).min(info.model_rate_hz / 2.0),
            info,
            voices,
            datasets,
            reverbs,
            instrument: 0,
            fading_weights: vec![0.0; num_instruments],
            fading_step: 1.0 / (REVERB_CROSSFADE_MS * 1e-3 * sample_rate_hz).max(1.0),
            reverb_level: ReverbLevel::new(sample_rate_hz),
            framer,
            segment: vec![0.0; max_hop],
            segment_len: 0,
            segment_played: 0,
            wet: vec![0.0; max_hop],
            one_wet: vec![0.0; max_hop],
            fading_total: vec![0.0; max_hop],
            controls,
            // Both step once per output sample.
            output_gain: Smoother::new(GAIN_SMOOTHING_MS, sample_rate_hz, 1.0),
            reverb_mix: Smoother::new(GAIN_SMOOTHING_MS, sample_rate_hz, controls.reverb_mix),
            bend: [0.0; MIDI_CHANNELS],
            mod_wheel: 0.0,
            pressure: [0.0; MIDI_CHANNELS],
            brightness: [0.5; MIDI_CHANNELS],
            sustain: false,
            vibrato_phase: 0.0,
            notes_started: 0,
            note_stack: [(0, 0); NOTE_STACK],
            stack_len: 0,
        };
        synth.reset();
        Ok(synth)
    }

    /// Voices built (the most that can sound at once).
    pub fn num_voices(&self) -> usize {
        self.voices.len()
    }

    /// Voices sounding now (notes held or releasing).
    pub fn sounding_voices(&self) -> usize {
        self.voices.iter().filter(|v| v.is_sounding()).count()
    }

    /// Number of instruments it can switch between.
    pub fn num_instruments(&self) -> usize {
        self.reverbs.len()
    }

    /// Silence: every voice, the reverb and the controllers at rest, the
    /// settings kept (settled). Real-time safe.
    pub fn reset(&mut self) {
        self.voices.iter_mut().for_each(SynthVoice::reset);
        self.reverbs.iter_mut().for_each(Reverb::reset);
        self.fading_weights.fill(0.0);
        self.reverb_level.reset();
        self.framer.reset();
        self.segment_len = 0;
        self.segment_played = 0;
        self.output_gain.reset(db_to_gain(self.controls.output_gain_db));
        self.reverb_mix.reset(self.controls.reverb_mix);
        self.bend = [0.0; MIDI_CHANNELS];
        self.mod_wheel = 0.0;
        self.pressure = [0.0; MIDI_CHANNELS];
        self.brightness = [0.5; MIDI_CHANNELS];
        self.sustain = false;
        self.vibrato_phase = 0.0;
        self.stack_len = 0;
    }

    /// New settings, heard from the next frame (gains glide per sample).
    /// Real-time safe.
    pub fn set_controls(&mut self, controls: &SynthControls) {
        let c = controls;
        let bend_range = *ranges::BEND_RANGE_SEMITONES.start() as f32..=*ranges::BEND_RANGE_SEMITONES.end() as f32;
        self.controls = SynthControls {
            voices: c.voices.clamp(1, self.voices.len()),
            mode: c.mode,
            portamento_ms: clamp_f32(c.portamento_ms, &ranges::PORTAMENTO_MS),
            envelope: AdsrSettings {
                attack_ms: clamp_f32(c.envelope.attack_ms, &ranges::ENVELOPE_MS),
                decay_ms: clamp_f32(c.envelope.decay_ms, &ranges::ENVELOPE_MS),
                sustain_db: clamp_f32(c.envelope.sustain_db, &ranges::SUSTAIN_DB),
                release_ms: clamp_f32(c.envelope.release_ms, &ranges::ENVELOPE_MS),
            },
            velocity_curve: clamp_f32(c.velocity_curve, &ranges::VELOCITY_CURVE),
            bend_range_semitones: clamp_f32(c.bend_range_semitones, &bend_range),
            vibrato_rate_hz: clamp_f32(c.vibrato_rate_hz, &ranges::VIBRATO_RATE_HZ),
            vibrato_depth_cents: clamp_f32(c.vibrato_depth_cents, &ranges::VIBRATO_DEPTH_CENTS),
            pressure_range_db: clamp_f32(c.pressure_range_db, &ranges::PRESSURE_RANGE_DB),
            tuning_a4_hz: clamp_f32(c.tuning_a4_hz, &ranges::TUNING_A4_HZ),
            reverb_mix: clamp_f32(c.reverb_mix, &ranges::REVERB_MIX),
            output_gain_db: clamp_f32(c.output_gain_db, &ranges::SYNTH_OUTPUT_GAIN_DB),
        };
        self.output_gain.set_target(db_to_gain(self.controls.output_gain_db));
        self.reverb_mix.set_target(self.controls.reverb_mix);
        // Voices beyond a lowered count end their notes.
        let mono = self.controls.mode != VoiceMode::Poly;
        let playing = if mono { 1 } else { self.controls.voices };
        for voice in &mut self.voices[playing..] {
            if voice.held || voice.sustained {
                voice.release();
            }
        }
    }

    /// Switches to instrument `index` from the next frame (its reverb fades
    /// in over the old one's). Out-of-range indices are ignored. Real-time
    /// safe.
    pub fn set_instrument(&mut self, index: usize) {
        if index == self.instrument || index >= self.reverbs.len() {
            return;
        }
        if self.fading_weights[index] == 0.0 {
            // Its tail from when it last played is long gone.
            self.reverbs[index].reset();
        }
        // The outgoing reverb keeps the weight it had; the incoming one's
        // becomes what the others leave of 1, as it was.
        let others: f32 =
            self.fading_weights.iter().enumerate().filter(|&(i, _)| i != self.instrument).map(|(_, w)| w).sum();
        self.fading_weights[self.instrument] = (1.0 - others).max(0.0);
        self.fading_weights[index] = 0.0;
        self.instrument = index;
    }

    /// Applies `event` now: it sounds from the next frame boundary.
    /// Real-time safe.
    pub fn handle(&mut self, event: NoteEvent) {
        let finite = |v: f32, lo: f32, hi: f32| if v.is_finite() { v.clamp(lo, hi) } else { 0.0 };
        match event {
            NoteEvent::NoteOn { key, velocity } if velocity > 0.0 => self.note_on(key, finite(velocity, 0.0, 1.0)),
            NoteEvent::NoteOn { key, .. } | NoteEvent::NoteOff { key } => self.note_off(key),
            NoteEvent::PitchBend { channel, amount } => {
                self.bend[channel as usize % MIDI_CHANNELS] = finite(amount, -1.0, 1.0)
            }
            NoteEvent::ModWheel { amount } => self.mod_wheel = finite(amount, 0.0, 1.0),
            NoteEvent::Brightness { channel, amount } => {
                self.brightness[channel as usize % MIDI_CHANNELS] =
                    if amount.is_finite() { amount.clamp(0.0, 1.0) } else { 0.5 }
            }
            NoteEvent::NoteBrightness { key, amount } => {
                if let Some(voice) = self.voice_playing(key) {
                    voice.note_brightness = amount.is_finite().then(|| amount.clamp(0.0, 1.0));
                }
            }
            NoteEvent::ChannelPressure { channel, amount } => {
                self.pressure[channel as usize % MIDI_CHANNELS] = finite(amount, 0.0, 1.0)
            }
            NoteEvent::Sustain { down } => {
                self.sustain = down;
                if !down {
                    self.voices.iter_mut().filter(|v| v.sustained).for_each(SynthVoice::release);
                }
            }
            NoteEvent::NotePressure { key, amount } => {
                if let Some(voice) = self.voice_playing(key) {
                    voice.note_pressure = finite(amount, 0.0, 1.0);
                }
            }
            NoteEvent::NoteBend { key, semitones } => {
                if let Some(voice) = self.voice_playing(key) {
                    voice.note_bend_semitones = finite(semitones, -96.0, 96.0);
                }
            }
            NoteEvent::AllNotesOff => {
                self.sustain = false;
                self.stack_len = 0;
                self.voices.iter_mut().filter(|v| v.held || v.sustained).for_each(SynthVoice::release);
            }
            NoteEvent::AllSoundOff => {
                self.sustain = false;
                self.stack_len = 0;
                self.voices.iter_mut().for_each(SynthVoice::reset);
            }
        }
    }

    /// Writes the next `out.len()` samples of the synth's output.
    /// Real-time safe.
    pub fn process(&mut self, out: &mut [f32]) {
        let mut done = 0;
        while done < out.len() {
            if self.segment_played == self.segment_len {
                self.synthesise_frame();
            }
            let take = (self.segment_len - self.segment_played).min(out.len() - done);
            let chunk = &mut out[done..done + take];
            chunk.copy_from_slice(&self.segment[self.segment_played..self.segment_played + take]);
            self.segment_played += take;
            self.play_reverb(chunk);
            for sample in chunk.iter_mut() {
                let value = *sample * self.output_gain.step();
                *sample = if value.is_finite() { value.clamp(-OUTPUT_CEILING, OUTPUT_CEILING) } else { 0.0 };
            }
            done += take;
        }
    }

    /// The voice sounding `key`, if any.
    fn voice_playing(&mut self, key: NoteKey) -> Option<&mut SynthVoice> {
        self.voices.iter_mut().find(|v| v.is_sounding() && v.key == Some(key))
    }

    /// The note's peak loudness (velocity over the instrument's quiet to
    /// loud playing) and silence floor, dB.
    fn note_levels(&self, velocity: f32) -> (f32, f32) {
        let [quiet, _, loud] = self.datasets[self.instrument].loudness_db_quantiles;
        let peak = quiet + (loud - quiet) * velocity.powf(self.controls.velocity_curve);
        (peak, (quiet - FLOOR_BELOW_DATASET_DB).max(LOUDNESS_FLOOR_DB))
    }

    fn note_on(&mut self, key: NoteKey, velocity: f32) {
        let (peak_db, floor_db) = self.note_levels(velocity);
        let midi = key.1 as f32;
        self.notes_started += 1;
        let order = self.notes_started;
        // Held keys are remembered in every mode, so a switch to a mono
        // mode knows what is still down.
        self.push_held(key);
        if self.controls.mode == VoiceMode::Poly {
            let playing = self.controls.voices.min(self.voices.len());
            let voices = &mut self.voices[..playing];
            // The same key again, a silent voice, the quietest releasing
            // one, else the oldest.
            let index = voices
                .iter()
                .position(|v| v.is_sounding() && v.key == Some(key))
                .or_else(|| voices.iter().position(|v| !v.is_sounding()))
                .or_else(|| {
                    (0..playing)
                        .filter(|&i| voices[i].is_releasing())
                        .min_by(|&a, &b| voices[a].level_db().total_cmp(&voices[b].level_db()))
                })
                .or_else(|| (0..playing).min_by_key(|&i| voices[i].started))
                .unwrap_or(0);
            voices[index].start(key, midi, peak_db, floor_db, order, false);
            return;
        }
        let voice = &mut self.voices[0];
        let playing_held = voice.is_sounding() && voice.held;
        if self.controls.mode == VoiceMode::Legato && playing_held {
            voice.slide(key, midi, peak_db);
        } else {
            let glide = voice.is_sounding() && self.controls.portamento_ms > 0.0;
            voice.start(key, midi, peak_db, floor_db, order, glide);
        }
    }

    fn note_off(&mut self, key: NoteKey) {
        let sustain = self.sustain;
        let end = |voice: &mut SynthVoice| {
            if sustain {
                voice.held = false;
                voice.sustained = true;
            } else {
                voice.release();
            }
        };
        self.remove_held(key);
        if self.controls.mode == VoiceMode::Poly {
            if let Some(voice) = self.voices.iter_mut().find(|v| v.held && v.key == Some(key)) {
                end(voice);
            }
            return;
        }
        let voice = &mut self.voices[0];
        if !voice.held || voice.key != Some(key) {
            return;
        }
        // Back to the last key still held, gliding, without a new attack.
        if self.stack_len > 0 {
            let previous = self.note_stack[self.stack_len - 1];
            let peak_db = voice.peak_db();
            voice.slide(previous, previous.1 as f32, peak_db);
        } else {
            end(voice);
        }
    }

    fn push_held(&mut self, key: NoteKey) {
        self.remove_held(key);
        if self.stack_len == NOTE_STACK {
            self.note_stack.copy_within(1.., 0);
            self.stack_len -= 1;
        }
        self.note_stack[self.stack_len] = key;
        self.stack_len += 1;
    }

    fn remove_held(&mut self, key: NoteKey) {
        if let Some(position) = self.note_stack[..self.stack_len].iter().position(|&k| k == key) {
            self.note_stack.copy_within(position + 1..self.stack_len, position);
            self.stack_len -= 1;
        }
    }

    /// Synthesises the next frame's segment from every sounding voice.
    fn synthesise_frame(&mut self) {
        let len = self.framer.samples_to_next_frame();
        self.framer.advance(len);
        let frame_seconds = len as f32 / self.sample_rate_hz;
        self.vibrato_phase = (self.vibrato_phase + self.controls.vibrato_rate_hz * frame_seconds).fract();
        let vibrato_semitones = self.mod_wheel
            * self.controls.vibrato_depth_cents
            * 0.01
            * (2.0 * std::f32::consts::PI * self.vibrato_phase).sin();
        let glide_semitones_per_s = match self.controls.mode {
            VoiceMode::Poly => f32::INFINITY,
            _ if self.controls.portamento_ms <= 0.0 => f32::INFINITY,
            _ => 12.0 / (self.controls.portamento_ms * 1e-3),
        };
        let context = FrameContext {
            frame_seconds,
            instrument: self.instrument,
            tuning_a4_hz: self.controls.tuning_a4_hz,
            bend_semitones: self.bend.map(|amount| amount * self.controls.bend_range_semitones),
            vibrato_semitones,
            pressure_db: self.pressure.map(|amount| amount * self.controls.pressure_range_db),
            tilt_db_per_octave: self.brightness.map(|amount| (amount - 0.5) * 2.0 * BRIGHTNESS_TILT_DB_PER_OCTAVE),
            tilt_range_db_per_octave: BRIGHTNESS_TILT_DB_PER_OCTAVE,
            pressure_range_db: self.controls.pressure_range_db,
            glide_semitones_per_s,
            adsr: self.controls.envelope,
            nyquist_hz: self.nyquist_hz,
        };
        let segment = &mut self.segment[..len];
        segment.fill(0.0);
        for voice in &mut self.voices {
            voice.render_add(&context, segment);
        }
        self.segment_len = len;
        self.segment_played = 0;
    }

    /// Adds the reverb to `chunk` in place at the trained level: the
    /// playing instrument's, with those switched away from fading out.
    fn play_reverb(&mut self, chunk: &mut [f32]) {
        let len = chunk.len();
        let (wet, one_wet, total) = (&mut self.wet[..len], &mut self.one_wet[..len], &mut self.fading_total[..len]);
        wet.fill(0.0);
        total.fill(0.0);
        for (index, weight) in self.fading_weights.iter_mut().enumerate() {
            if index == self.instrument || *weight == 0.0 {
                continue;
            }
            self.reverbs[index].process(chunk, one_wet);
            for ((mixed, sum), &sample) in wet.iter_mut().zip(total.iter_mut()).zip(one_wet.iter()) {
                *mixed += *weight * sample;
                *sum += *weight;
                *weight = (*weight - self.fading_step).max(0.0);
            }
        }
        self.reverbs[self.instrument].process(chunk, one_wet);
        for ((mixed, &sum), &sample) in wet.iter_mut().zip(total.iter()).zip(one_wet.iter()) {
            *mixed += (1.0 - sum) * sample;
        }
        for (sample, &reverb) in chunk.iter_mut().zip(wet.iter()) {
            *sample = self.reverb_level.mix(*sample, reverb, self.reverb_mix.step());
        }
    }
}

/// No output sample exceeds this magnitude (+12 dBFS), as in the effect.
const OUTPUT_CEILING: f32 = crate::engine::OUTPUT_CEILING;
