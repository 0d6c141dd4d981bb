//! One voice of the synth: a note's pitch and loudness envelope drive its
//! own decoder (its own GRU state), harmonic bank and filtered noise, one
//! frame at a time.

use crate::decoder::Decoder;
use crate::harmonic::HarmonicBank;
use crate::mapping::map_decoder_output;
use crate::noise::FilteredNoise;
use crate::wire::{DecoderOutput, FeatureFrame, SynthParams, MAX_HARMONICS};

use super::envelope::{AdsrSettings, FeatureEnvelope, Stage};
use super::MIDI_CHANNELS;

/// Which note a voice plays: MIDI channel and note number.
pub type NoteKey = (u8, u8);

/// What every voice needs to know for one frame.
#[derive(Clone, Copy, Debug)]
pub(super) struct FrameContext {
    /// Length of the frame, seconds.
    pub frame_seconds: f32,
    /// The instrument playing (index into each voice's decoders).
    pub instrument: usize,
    /// Pitch of MIDI note 69, Hz.
    pub tuning_a4_hz: f32,
    /// Each MIDI channel's pitch-wheel bend, semitones.
    pub bend_semitones: [f32; MIDI_CHANNELS],
    /// Vibrato for every voice now, semitones.
    pub vibrato_semitones: f32,
    /// Each MIDI channel's pressure as a loudness offset, dB.
    pub pressure_db: [f32; MIDI_CHANNELS],
    /// Each MIDI channel's brightness (CC 74) as a spectral tilt, dB per
    /// octave of harmonic number.
    pub tilt_db_per_octave: [f32; MIDI_CHANNELS],
    /// Spectral tilt per unit of per-note brightness away from 0.5, dB per
    /// octave.
    pub tilt_range_db_per_octave: f32,
    /// Loudness offset per unit of per-note pressure, dB.
    pub pressure_range_db: f32,
    /// Glide speed towards a new note, semitones per second (infinite: a
    /// jump).
    pub glide_semitones_per_s: f32,
    /// The envelope's settings.
    pub adsr: AdsrSettings,
    /// Highest harmonic frequency, Hz.
    pub nyquist_hz: f32,
}

/// A voice. Built at activation; every method after that is real-time safe.
pub(super) struct SynthVoice {
    /// One decoder per instrument, each with this voice's own state.
    decoders: Vec<Box<dyn Decoder>>,
    /// The instrument whose decoder played the last frame.
    instrument: usize,
    /// The voice's oscillator bank.
    harmonic: HarmonicBank,
    /// The voice's filtered noise (its own seed).
    noise: FilteredNoise,
    /// The note's loudness envelope.
    envelope: FeatureEnvelope,
    /// The note it plays or last played.
    pub key: Option<NoteKey>,
    /// The key is down.
    pub held: bool,
    /// The key is up but the sustain pedal holds the note.
    pub sustained: bool,
    /// When its note started, in notes since activation (oldest is
    /// stolen first).
    pub started: u64,
    /// Pitch now, MIDI (glides towards `target_midi`).
    pitch_midi: f32,
    /// The note's pitch, MIDI.
    target_midi: f32,
    /// Per-note pitch bend (MPE), semitones.
    pub note_bend_semitones: f32,
    /// Per-note pressure (polyphonic aftertouch, MPE), 0 … 1.
    pub note_pressure: f32,
    /// Per-note brightness (CLAP note expression), 0 … 1 (0.5 neutral), if
    /// one was sent; else the channel's applies.
    pub note_brightness: Option<f32>,
    /// It produced sound in its last frame (or has a note to play).
    sounding: bool,
    /// Silent frames since its release ended (the noise filter's tail
    /// still rings for a few).
    silent_frames: usize,
    /// Silent frames after which the noise filter's tail has rung out.
    tail_frames: usize,
    /// Frames decoded since the decoder's last reset.
    frame_index: u64,
    /// The decoder's output for the current frame.
    decoder_output: DecoderOutput,
    /// The synth controls mapped from it.
    params: SynthParams,
    /// Harmonic amplitudes for the current frame, linear.
    amplitudes: [f32; MAX_HARMONICS],
    /// Scratch for one frame's samples.
    scratch: Vec<f32>,
}

impl SynthVoice {
    /// A silent voice with one decoder per instrument, for frames of up to
    /// `max_hop_samples`. Allocates.
    pub fn new(
        decoders: Vec<Box<dyn Decoder>>,
        harmonic: HarmonicBank,
        noise: FilteredNoise,
        max_hop_samples: usize,
    ) -> Self {
        let info = *decoders[0].info();
        let tail_frames = noise.impulse_response_len().div_ceil(max_hop_samples.max(1)) + 1;
        Self {
            decoders,
            instrument: 0,
            harmonic,
            noise,
            envelope: FeatureEnvelope::new(crate::loudness::LOUDNESS_FLOOR_DB),
            key: None,
            held: false,
            sustained: false,
            started: 0,
            pitch_midi: 60.0,
            target_midi: 60.0,
            note_bend_semitones: 0.0,
            note_pressure: 0.0,
            note_brightness: None,
            sounding: false,
            silent_frames: 0,
            tail_frames,
            frame_index: 0,
            decoder_output: DecoderOutput::silent(info.num_harmonics, info.num_noise_bands),
            params: SynthParams::silent(440.0, info.num_harmonics, info.num_noise_bands),
            amplitudes: [0.0; MAX_HARMONICS],
            scratch: vec![0.0; max_hop_samples],
        }
    }

    /// Puts `decoder` in place of instrument `index`'s (when the voice has
    /// one for it), leaving the old one in `decoder`. The new one starts
    /// from rest. Real-time safe.
    pub fn swap_decoder(&mut self, index: usize, decoder: &mut Box<dyn Decoder>) {
        if let Some(slot) = self.decoders.get_mut(index) {
            std::mem::swap(slot, decoder);
            slot.reset();
            if self.instrument == index {
                self.frame_index = 0;
            }
        }
    }

    /// Silences the voice at once and forgets its note. Real-time safe.
    pub fn reset(&mut self) {
        self.decoders.iter_mut().for_each(|decoder| decoder.reset());
        self.harmonic.reset();
        self.noise.reset();
        self.envelope = FeatureEnvelope::new(crate::loudness::LOUDNESS_FLOOR_DB);
        self.key = None;
        self.held = false;
        self.sustained = false;
        self.sounding = false;
        self.frame_index = 0;
    }

    /// Plays `key` at `midi` peaking at `peak_db` over silence at
    /// `floor_db`. A voice already sounding keeps its state and glides
    /// (a stolen voice never clicks); `glide` false jumps to the pitch.
    pub fn start(&mut self, key: NoteKey, midi: f32, peak_db: f32, floor_db: f32, order: u64, glide: bool) {
        if !self.sounding {
            self.decoders.iter_mut().for_each(|decoder| decoder.reset());
            self.harmonic.reset();
            self.frame_index = 0;
            self.pitch_midi = midi;
        } else if !glide {
            self.pitch_midi = midi;
        }
        self.target_midi = midi;
        self.envelope.start(peak_db, floor_db);
        self.key = Some(key);
        self.held = true;
        self.sustained = false;
        self.started = order;
        self.note_bend_semitones = 0.0;
        self.note_pressure = 0.0;
        self.note_brightness = None;
        self.sounding = true;
        self.silent_frames = 0;
    }

    /// Moves a held note to `key` at `midi` without a new attack (legato),
    /// gliding there.
    pub fn slide(&mut self, key: NoteKey, midi: f32, peak_db: f32) {
        self.key = Some(key);
        self.target_midi = midi;
        self.envelope.retarget(peak_db);
    }

    /// Ends the note; it sounds on through its release.
    pub fn release(&mut self) {
        self.held = false;
        self.sustained = false;
        self.envelope.release();
    }

    /// Sounding, or about to.
    pub fn is_sounding(&self) -> bool {
        self.sounding
    }

    /// In its release (key up, pedal up), or past it with its noise tail
    /// still ringing.
    pub fn is_releasing(&self) -> bool {
        matches!(self.envelope.stage(), Stage::Release | Stage::Idle)
    }

    /// Loudness now, dB.
    pub fn level_db(&self) -> f32 {
        self.envelope.level_db()
    }

    /// The note's peak loudness, dB.
    pub fn peak_db(&self) -> f32 {
        self.envelope.peak_db()
    }

    /// Renders one frame of `out.len()` samples and adds it to `out`.
    /// Real-time safe.
    pub fn render_add(&mut self, context: &FrameContext, out: &mut [f32]) {
        if !self.sounding {
            return;
        }
        if context.instrument != self.instrument {
            self.instrument = context.instrument.min(self.decoders.len() - 1);
            self.decoders[self.instrument].reset();
            self.frame_index = 0;
        }
        let step = context.glide_semitones_per_s * context.frame_seconds;
        let distance = self.target_midi - self.pitch_midi;
        self.pitch_midi =
            if distance.abs() <= step { self.target_midi } else { self.pitch_midi + step.copysign(distance) };
        let channel = self.key.map_or(0, |(channel, _)| channel as usize % MIDI_CHANNELS);
        let midi =
            self.pitch_midi + self.note_bend_semitones + context.bend_semitones[channel] + context.vibrato_semitones;
        let f0_hz = (context.tuning_a4_hz * ((midi - 69.0) / 12.0).exp2()).clamp(20.0, context.nyquist_hz);
        let loudness_db = self.envelope.step(context.frame_seconds, &context.adsr)
            + context.pressure_db[channel].max(self.note_pressure * context.pressure_range_db);
        let features = FeatureFrame { f0_hz, confidence: 1.0, loudness_db };
        let decoder = &mut self.decoders[self.instrument];
        decoder.submit(self.frame_index, &features);
        decoder.receive(self.frame_index, false, &mut self.decoder_output);
        self.frame_index += 1;
        map_decoder_output(&self.decoder_output, f0_hz, context.nyquist_hz, &mut self.params);
        // The last frame of a release glides to silence, then the voice
        // rests (no decoder, no synth) until its next note.
        let ended = self.envelope.stage() == Stage::Idle;
        let amplitude = if ended || !self.params.amplitude.is_finite() { 0.0 } else { self.params.amplitude };
        let num_harmonics = self.params.num_harmonics;
        for (value, &share) in self.amplitudes.iter_mut().zip(&self.params.harmonic_distribution[..num_harmonics]) {
            *value = amplitude * share;
        }
        let tilt_db_per_octave = match self.note_brightness {
            Some(brightness) => (brightness - 0.5) * 2.0 * context.tilt_range_db_per_octave,
            None => context.tilt_db_per_octave[channel],
        };
        tilt(&mut self.amplitudes[..num_harmonics], tilt_db_per_octave);
        let noise_gain = if ended { 0.0 } else { 1.0 };
        let scratch = &mut self.scratch[..out.len()];
        self.harmonic.render(f0_hz, &self.amplitudes[..num_harmonics], scratch);
        self.noise.render_add(&self.params.noise_magnitudes[..self.params.num_noise_bands], noise_gain, scratch);
        for (sum, &sample) in out.iter_mut().zip(scratch.iter()) {
            *sum += sample;
        }
        if ended {
            self.silent_frames += 1;
            if self.silent_frames > self.tail_frames {
                self.sounding = false;
                self.key = None;
            }
        }
    }
}

/// Tilts harmonic amplitudes by `db_per_octave` of harmonic number,
/// keeping their power (the sum of squares): brightness moves the balance,
/// not the level. Real-time safe.
fn tilt(amplitudes: &mut [f32], db_per_octave: f32) {
    if db_per_octave == 0.0 || !db_per_octave.is_finite() {
        return;
    }
    // A harmonic `log2(k + 1)` octaves above the fundamental gains that
    // many times `db_per_octave`: a factor (k + 1)^e.
    let exponent = db_per_octave / (20.0 * std::f32::consts::LOG10_2);
    let power = |amplitudes: &[f32]| amplitudes.iter().map(|a| a * a).sum::<f32>();
    let before = power(amplitudes);
    for (index, amplitude) in amplitudes.iter_mut().enumerate() {
        *amplitude *= ((index + 1) as f32).powf(exponent);
    }
    let after = power(amplitudes);
    if after > 0.0 && before.is_finite() {
        let scale = (before / after).sqrt();
        amplitudes.iter_mut().for_each(|amplitude| *amplitude *= scale);
    }
}
