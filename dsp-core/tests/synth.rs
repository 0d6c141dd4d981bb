//! The MIDI synth with the additive decoder in every voice: notes at their
//! pitch, velocity and pressure to level, chords, stealing without a
//! click, bends, the sustain pedal, the mono modes and block-size
//! invariance.

use dsp_core::pitch::median_voiced_f0_hz;
use dsp_core::pitch_units::{cents_between, midi_to_hz};
use dsp_core::rng::NoiseRng;
use dsp_core::synth::{AdsrSettings, NoteEvent, NoteKey, PolySynth, SynthControls, SynthInstrument, VoiceMode};
use dsp_core::{AdditiveConfig, AdditiveDecoder};
use realfft::RealFftPlanner;

const RATE: f32 = 48_000.0;
const BLOCK: usize = 128;

fn synth(voices: usize, controls: SynthControls) -> PolySynth {
    synth_of(AdditiveConfig::default(), voices, controls)
}

fn synth_of(decoder: AdditiveConfig, voices: usize, controls: SynthControls) -> PolySynth {
    synth_with_reverb(decoder, voices, controls, Vec::new())
}

fn synth_with_reverb(
    decoder: AdditiveConfig,
    voices: usize,
    controls: SynthControls,
    reverb_ir: Vec<f32>,
) -> PolySynth {
    let instrument = SynthInstrument {
        voice_decoders: (0..voices).map(|_| AdditiveDecoder::boxed(decoder)).collect(),
        reverb_ir,
        reverb_ir_rate_hz: RATE,
    };
    let mut synth = PolySynth::new(RATE, vec![instrument], 7).unwrap();
    synth.set_controls(&controls);
    synth
}

fn key(note: u8) -> NoteKey {
    (0, note)
}

fn on(note: u8, velocity: f32) -> NoteEvent {
    NoteEvent::NoteOn { key: key(note), velocity }
}

fn off(note: u8) -> NoteEvent {
    NoteEvent::NoteOff { key: key(note) }
}

/// Renders `seconds` with `events` (sample, event) in `block`-sample
/// blocks, each event handed over at its sample.
fn play(synth: &mut PolySynth, seconds: f32, events: &[(usize, NoteEvent)], block: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; (seconds * RATE) as usize];
    let mut position = 0;
    let mut pending = events.iter().peekable();
    while position < out.len() {
        let end = (position + block).min(out.len());
        let mut at = position;
        while let Some(&&(sample, event)) = pending.peek() {
            if sample >= end {
                break;
            }
            synth.process(&mut out[at..sample.max(at)]);
            at = sample.max(at);
            synth.handle(event);
            pending.next();
        }
        synth.process(&mut out[at..end]);
        position = end;
    }
    out
}

fn rms(signal: &[f32]) -> f32 {
    (signal.iter().map(|x| x * x).sum::<f32>() / signal.len().max(1) as f32).sqrt()
}

/// Median tracked pitch from `from_s` to `to_s`, Hz.
fn median_pitch_hz(signal: &[f32], from_s: f32, to_s: f32) -> f32 {
    let clip = &signal[(from_s * RATE) as usize..(to_s * RATE) as usize];
    let (f0_hz, frames) = median_voiced_f0_hz(clip, RATE, 0.8).expect("voiced frames");
    assert!(frames > 10, "too few voiced frames");
    f0_hz
}

/// Ratio of frequencies a quarter tone apart (roughly).
const QUARTER_TONE: f32 = 1.03;
/// Ratio of frequencies a semitone apart (roughly).
const SEMITONE: f32 = 1.06;

/// A clip's magnitude spectrum (Hann window), one bin per `RATE / len`.
struct Spectrum {
    magnitudes: Vec<f32>,
    len: usize,
}

impl Spectrum {
    fn of(signal: &[f32]) -> Self {
        let len = signal.len();
        let mut windowed: Vec<f32> = signal
            .iter()
            .enumerate()
            .map(|(n, &x)| x * (0.5 - 0.5 * (2.0 * std::f32::consts::PI * n as f32 / len as f32).cos()))
            .collect();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(len);
        let mut out = fft.make_output_vec();
        fft.process(&mut windowed, &mut out).unwrap();
        Self { magnitudes: out.iter().map(|c| c.norm()).collect(), len }
    }

    /// The spectrum of `out`'s steady part: 32,768 samples from 0.4 s,
    /// after every attack has settled.
    fn steady(out: &[f32]) -> Self {
        let start = (0.4 * RATE) as usize;
        Self::of(&out[start..start + 32_768])
    }

    /// Magnitude near `hz` (the peak within ±1 %).
    fn at(&self, hz: f32) -> f32 {
        let bin = |hz: f32| (hz * self.len as f32 / RATE).round() as usize;
        self.magnitudes[bin(hz * 0.99)..=bin(hz * 1.01)].iter().copied().fold(0.0, f32::max)
    }

    /// `hz` stands 10× above the spectrum at `hz × beside`.
    fn stands_out(&self, hz: f32, beside: f32) -> bool {
        self.at(hz) > 10.0 * self.at(hz * beside)
    }

    /// The spectral centroid, Hz.
    fn centroid_hz(&self) -> f32 {
        let bin_hz = RATE / self.len as f32;
        let total: f32 = self.magnitudes.iter().sum();
        self.magnitudes.iter().enumerate().map(|(bin, m)| bin as f32 * bin_hz * m).sum::<f32>() / total
    }
}

#[test]
fn a_note_plays_at_its_pitch() {
    for (note, tuning) in [(57u8, 440.0f32), (69, 440.0), (45, 432.0)] {
        let mut synth = synth(4, SynthControls { tuning_a4_hz: tuning, ..SynthControls::default() });
        let out = play(&mut synth, 1.0, &[(0, on(note, 0.8))], BLOCK);
        let expected = tuning * ((note as f32 - 69.0) / 12.0).exp2();
        let heard = median_pitch_hz(&out, 0.2, 0.9);
        assert!(cents_between(heard, expected).abs() < 5.0, "note {note} at A4 = {tuning}: {heard} Hz");
    }
}

/// No analysis lookahead: the sound starts within a hop of the note-on.
#[test]
fn a_note_sounds_within_one_hop() {
    let mut synth = synth(4, SynthControls { envelope: Default::default(), ..SynthControls::default() });
    let note_at = 1000;
    let out = play(&mut synth, 0.2, &[(note_at, on(60, 1.0))], BLOCK);
    assert!(out[..note_at].iter().all(|&x| x == 0.0), "sound before the note");
    let first = out.iter().position(|&x| x != 0.0).unwrap();
    assert!(first <= note_at + 192, "first sound {} samples after the note-on", first - note_at);
}

#[test]
fn velocity_and_pressure_raise_the_level() {
    let level = |velocity: f32, pressure: f32| {
        let mut synth = synth(2, SynthControls::default());
        let events = [(0, on(60, velocity)), (0, NoteEvent::ChannelPressure { channel: 0, amount: pressure })];
        rms(&play(&mut synth, 0.8, &events, BLOCK)[(0.5 * RATE) as usize..])
    };
    let by_velocity: Vec<f32> = [0.1, 0.4, 0.7, 1.0].iter().map(|&v| level(v, 0.0)).collect();
    assert!(by_velocity.windows(2).all(|w| w[1] > w[0]), "{by_velocity:?}");
    let by_pressure: Vec<f32> = [0.0, 0.5, 1.0].iter().map(|&p| level(0.5, p)).collect();
    assert!(by_pressure.windows(2).all(|w| w[1] > w[0]), "{by_pressure:?}");
}

#[test]
fn a_chord_sounds_every_fundamental() {
    let notes = [48u8, 55, 64, 71];
    let mut synth = synth(8, SynthControls::default());
    let events: Vec<(usize, NoteEvent)> = notes.iter().map(|&n| (0, on(n, 0.8))).collect();
    let out = play(&mut synth, 1.2, &events, BLOCK);
    let spectrum = Spectrum::steady(&out);
    assert_eq!(synth.sounding_voices(), 4);
    for note in notes {
        let f0 = midi_to_hz(note as f32);
        // Each fundamental stands far above the spectrum a quarter tone off.
        let (peak, beside) = (spectrum.at(f0), spectrum.at(f0 * QUARTER_TONE));
        assert!(spectrum.stands_out(f0, QUARTER_TONE), "note {note}: {peak} at {f0} Hz against {beside} beside it");
    }
}

/// The largest sample-to-sample change of `signal`.
fn max_step(signal: &[f32]) -> f32 {
    signal.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max)
}

/// A third note on two voices takes one of them without a step larger
/// than the steady sound's largest (before the steal and after it). Two
/// low voices of three harmonics and no noise keep the steady steps small,
/// so a voice cut or restarted would stand out.
#[test]
fn stealing_a_voice_does_not_click() {
    let pure = AdditiveConfig { num_harmonics: 3, noise_level_db: -120.0, ..AdditiveConfig::default() };
    // No decay: a new note's attack peaks where the old one sustained.
    let envelope = AdsrSettings { sustain_db: 0.0, ..AdsrSettings::default() };
    let mut synth = synth_of(pure, 8, SynthControls { voices: 2, envelope, ..SynthControls::default() });
    let steal_at = (0.8 * RATE) as usize + 55;
    let events = [(0, on(48, 0.7)), (480, on(52, 0.7)), (steal_at, on(55, 0.7))];
    let out = play(&mut synth, 1.4, &events, BLOCK);
    assert_eq!(synth.sounding_voices(), 2);
    let steady = max_step(&out[steal_at - 12_000..steal_at]).max(max_step(&out[steal_at + 9_600..steal_at + 21_600]));
    let around = max_step(&out[steal_at..steal_at + 2_400]);
    assert!(around <= steady, "step {around} at the steal against {steady} steady");
    // The new note is heard, the oldest one is gone (each against the
    // spectrum a semitone above it).
    let spectrum = Spectrum::of(&out[steal_at + 4_800..steal_at + 4_800 + 16_384]);
    let strong = |note: f32| spectrum.stands_out(midi_to_hz(note), SEMITONE);
    assert!(strong(55.0), "the new note");
    assert!(strong(52.0), "the other note");
    assert!(!strong(48.0), "the stolen note");
}

/// The pitch wheel moves every note by its range; a per-note bend moves
/// only its note.
#[test]
fn bends_move_what_they_should() {
    let controls = SynthControls { bend_range_semitones: 2.0, ..SynthControls::default() };
    let mut synth = synth(4, controls);
    let out = play(&mut synth, 1.0, &[(0, on(57, 0.8)), (0, NoteEvent::PitchBend { channel: 0, amount: 0.5 })], BLOCK);
    let heard = median_pitch_hz(&out, 0.2, 0.9);
    assert!(cents_between(heard, midi_to_hz(58.0)).abs() < 5.0, "{heard} Hz");

    let mut synth = self::synth(4, SynthControls::default());
    let events = [(0, on(48, 0.8)), (0, on(64, 0.8)), (0, NoteEvent::NoteBend { key: key(64), semitones: 1.0 })];
    let out = play(&mut synth, 1.2, &events, BLOCK);
    let spectrum = Spectrum::steady(&out);
    let strong = |hz: f32| spectrum.stands_out(hz, QUARTER_TONE);
    assert!(strong(midi_to_hz(48.0)), "the unbent note moved");
    assert!(strong(midi_to_hz(65.0)), "the bent note is not a semitone up");
}

#[test]
fn the_sustain_pedal_holds_notes() {
    let release = SynthControls::default().envelope.release_ms * 1e-3;
    let mut synth = synth(4, SynthControls::default());
    let events = [
        (0, NoteEvent::Sustain { down: true }),
        (0, on(60, 0.8)),
        ((0.3 * RATE) as usize, off(60)),
        ((1.5 * RATE) as usize, NoteEvent::Sustain { down: false }),
    ];
    let out = play(&mut synth, 2.5, &events, BLOCK);
    let level = rms(&out[(0.2 * RATE) as usize..(0.3 * RATE) as usize]);
    let held = rms(&out[(1.3 * RATE) as usize..(1.5 * RATE) as usize]);
    assert!(held > 0.5 * level, "the pedal did not hold: {held} against {level}");
    let after = (1.5 + release + 0.1) * RATE;
    assert!(out[after as usize..].iter().all(|&x| x.abs() < 1e-6), "still sounding after the pedal came up");
    assert_eq!(synth.sounding_voices(), 0);
}

/// Legato with portamento: a second key glides there from the first,
/// without a new attack; releasing it glides back to the first.
#[test]
fn legato_glides_between_held_notes() {
    // 600 ms per octave: the 7 semitones take 350 ms.
    let controls = SynthControls { mode: VoiceMode::Legato, portamento_ms: 600.0, ..SynthControls::default() };
    let mut synth = synth(1, controls);
    let events = [(0, on(57, 0.8)), ((0.5 * RATE) as usize, on(64, 0.8)), ((1.2 * RATE) as usize, off(64))];
    let out = play(&mut synth, 1.8, &events, BLOCK);
    let near = |heard: f32, note: f32| cents_between(heard, midi_to_hz(note)).abs() < 5.0;
    assert!(near(median_pitch_hz(&out, 0.2, 0.45), 57.0));
    assert!(near(median_pitch_hz(&out, 0.95, 1.15), 64.0));
    assert!(near(median_pitch_hz(&out, 1.6, 1.78), 57.0));
    let mid = median_pitch_hz(&out, 0.55, 0.8);
    assert!(mid > midi_to_hz(58.0) && mid < midi_to_hz(63.0), "{mid} Hz mid-glide");
    // No new attack: the level never dips at the second key.
    let window = |s: f32| rms(&out[(s * RATE) as usize..(s * RATE) as usize + 480]);
    assert!(window(0.51) > 0.8 * window(0.45), "the envelope restarted");
}

/// An MPE controller sends each note on its own channel: one channel's
/// pitch wheel bends only its note.
#[test]
fn a_channels_pitch_wheel_bends_only_its_notes() {
    let mut synth = synth(4, SynthControls::default());
    let events = [
        (0, NoteEvent::NoteOn { key: (1, 48), velocity: 0.8 }),
        (0, NoteEvent::NoteOn { key: (2, 64), velocity: 0.8 }),
        (0, NoteEvent::PitchBend { channel: 2, amount: 0.5 }),
    ];
    let out = play(&mut synth, 1.2, &events, BLOCK);
    let spectrum = Spectrum::steady(&out);
    let strong = |hz: f32| spectrum.stands_out(hz, QUARTER_TONE);
    assert!(strong(midi_to_hz(48.0)), "channel 1's note moved");
    assert!(strong(midi_to_hz(65.0)), "channel 2's note is not bent a semitone up");
}

/// Brightness (CC 74 per channel, or per note) tilts the harmonics: the
/// spectral centroid rises with it, and the level stays within 1 dB.
#[test]
fn brightness_tilts_the_spectrum() {
    let pure = AdditiveConfig { noise_level_db: -120.0, ..AdditiveConfig::default() };
    let render = |event: Option<NoteEvent>| {
        let mut synth = synth_of(pure, 2, SynthControls::default());
        let mut events = vec![(0, NoteEvent::NoteOn { key: (3, 57), velocity: 0.8 })];
        events.extend(event.map(|event| (100, event)));
        let out = play(&mut synth, 0.8, &events, BLOCK);
        out[(0.3 * RATE) as usize..(0.3 * RATE) as usize + 16_384].to_vec()
    };
    let neutral = render(None);
    let dark = render(Some(NoteEvent::Brightness { channel: 3, amount: 0.0 }));
    let bright = render(Some(NoteEvent::NoteBrightness { key: (3, 57), amount: 1.0 }));
    let other_channel = render(Some(NoteEvent::Brightness { channel: 4, amount: 1.0 }));
    let centroid_hz = |signal: &[f32]| Spectrum::of(signal).centroid_hz();
    let (dark_hz, neutral_hz, bright_hz) = (centroid_hz(&dark), centroid_hz(&neutral), centroid_hz(&bright));
    assert!(dark_hz < 0.8 * neutral_hz && bright_hz > 1.25 * neutral_hz, "{dark_hz} {neutral_hz} {bright_hz}");
    assert!(other_channel == neutral, "another channel's brightness changed the note");
    for tilted in [&dark, &bright] {
        let ratio = rms(tilted) / rms(&neutral);
        assert!((0.89..1.12).contains(&ratio), "level changed by {ratio}");
    }
}

/// Mono: releasing the newest of three held keys returns to the one
/// before, at its sustain level (not a sustain below it each time); keys
/// released while in poly mode are forgotten, so a later mono note ends
/// when released.
#[test]
fn mono_returns_to_held_keys_at_their_level() {
    let envelope = AdsrSettings { sustain_db: -12.0, ..AdsrSettings::default() };
    let controls = SynthControls { mode: VoiceMode::Mono, envelope, ..SynthControls::default() };
    let mut mono = synth(1, controls);
    let s = |seconds: f32| (seconds * RATE) as usize;
    let events = [(0, on(57, 0.8)), (s(0.6), on(60, 0.8)), (s(1.2), on(64, 0.8)), (s(1.8), off(64)), (s(2.4), off(60))];
    let out = play(&mut mono, 3.2, &events, BLOCK);
    let window = |seconds: f32| rms(&out[s(seconds)..s(seconds) + 4_800]);
    let first = window(0.45);
    let returned = window(3.0);
    assert!(cents_between(median_pitch_hz(&out, 2.7, 3.15), midi_to_hz(57.0)).abs() < 5.0);
    assert!(returned > 0.7 * first, "back on the first key at {returned} against {first}");

    let mut switched = synth(1, controls);
    switched.handle(on(57, 0.8));
    switched.set_controls(&SynthControls { mode: VoiceMode::Poly, ..controls });
    switched.handle(off(57));
    switched.set_controls(&controls);
    let out = play(&mut switched, 2.0, &[(s(0.5), on(60, 0.8)), (s(0.8), off(60))], BLOCK);
    assert!(rms(&out[s(1.6)..]) < 1e-5, "a key released in poly mode still holds the mono voice");
}

/// The same notes give the same output whatever the host's block sizes,
/// with a reverb playing.
#[test]
fn output_does_not_depend_on_block_size() {
    let events = [
        (100, on(60, 0.8)),
        (7_777, on(64, 0.5)),
        (12_000, NoteEvent::PitchBend { channel: 0, amount: -0.3 }),
        (20_001, off(60)),
        (30_000, NoteEvent::ModWheel { amount: 1.0 }),
    ];
    let reverb: Vec<f32> =
        (0..12_000).map(|n| 0.05 * ((n * 7919 % 997) as f32 / 997.0 - 0.5) * (-(n as f32) / 3_000.0).exp()).collect();
    let render = |block: usize| {
        let mut synth = synth_with_reverb(AdditiveConfig::default(), 4, SynthControls::default(), reverb.clone());
        play(&mut synth, 1.0, &events, block)
    };
    let reference = render(128);
    for block in [1, 64, 441, 4096] {
        assert!(render(block) == reference, "{block}-sample blocks differ");
    }
}

/// Hostile playing never panics and never leaves the output ceiling: any
/// note, velocity and controller value (NaN and infinities among them),
/// controls far outside their ranges, every mode, in random block sizes.
#[test]
fn hostile_events_and_controls_stay_finite() {
    let hostile = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -1e9, 1e9, -0.5, 0.0, 0.3, 1.0, 2.0];
    for seed in 1..=4u64 {
        // The synth's own seeded generator, mapped to [0, 1).
        let mut rng = NoiseRng::new(seed);
        let mut random = || 0.5 * (rng.next_sample() + 1.0);
        let mut synth = synth(16, SynthControls::default());
        let mut out = vec![0.0f32; 4096];
        for _ in 0..300 {
            let pick = |r: f32| hostile[(r * hostile.len() as f32) as usize % hostile.len()];
            let value = pick(random());
            let note = (random() * 128.0) as u8;
            let key = ((random() * 16.0) as u8, note);
            let channel = key.0;
            let event = match (random() * 14.0) as u32 {
                0..=2 => NoteEvent::NoteOn { key, velocity: value },
                3..=4 => NoteEvent::NoteOff { key },
                5 => NoteEvent::PitchBend { channel, amount: value },
                6 => NoteEvent::NoteBend { key, semitones: value * 100.0 },
                7 => NoteEvent::NotePressure { key, amount: value },
                8 => NoteEvent::ChannelPressure { channel, amount: value },
                9 if random() < 0.5 => NoteEvent::Brightness { channel, amount: value },
                9 => NoteEvent::NoteBrightness { key, amount: value },
                10 => NoteEvent::AllNotesOff,
                11 => NoteEvent::AllSoundOff,
                12 => NoteEvent::ModWheel { amount: value },
                _ => NoteEvent::Sustain { down: random() > 0.5 },
            };
            synth.handle(event);
            if random() < 0.1 {
                let mode = [VoiceMode::Poly, VoiceMode::Mono, VoiceMode::Legato][(random() * 3.0) as usize % 3];
                synth.set_controls(&SynthControls {
                    voices: (random() * 40.0) as usize,
                    mode,
                    portamento_ms: pick(random()) * 1e3,
                    envelope: AdsrSettings {
                        attack_ms: pick(random()) * 1e3,
                        decay_ms: pick(random()),
                        sustain_db: pick(random()) * 100.0,
                        release_ms: pick(random()) * 1e3,
                    },
                    velocity_curve: pick(random()),
                    bend_range_semitones: pick(random()) * 100.0,
                    vibrato_rate_hz: pick(random()),
                    vibrato_depth_cents: pick(random()) * 1e4,
                    pressure_range_db: pick(random()) * 100.0,
                    tuning_a4_hz: pick(random()) * 1e3,
                    reverb_mix: pick(random()),
                    output_gain_db: pick(random()) * 100.0,
                });
            }
            let len = (random() * 600.0) as usize;
            synth.process(&mut out[..len]);
            assert!(out[..len].iter().all(|x| x.is_finite() && x.abs() <= 4.0), "seed {seed}");
        }
    }
}

/// Switching instruments three times within 10 ms (and back to the first)
/// never clicks: each reverb fades out from the weight it had, however the
/// switches overlap, and one switched back to while fading goes on from
/// there.
#[test]
fn quick_instrument_switches_crossfade_the_reverbs() {
    let pure = AdditiveConfig { num_harmonics: 3, noise_level_db: -120.0, ..AdditiveConfig::default() };
    let instruments = (0..3)
        .map(|index| SynthInstrument {
            voice_decoders: (0..2).map(|_| AdditiveDecoder::boxed(pure)).collect(),
            reverb_ir: (0..9_600)
                .map(|n| {
                    let noise = ((n * (7919 + 104 * index) % 997) as f32 / 997.0 - 0.5) * 0.3;
                    noise * (-(n as f32) / 4_000.0).exp()
                })
                .collect(),
            reverb_ir_rate_hz: RATE,
        })
        .collect();
    let mut synth = PolySynth::new(RATE, instruments, 3).unwrap();
    synth.set_controls(&SynthControls { reverb_mix: 1.0, ..SynthControls::default() });
    synth.handle(on(57, 0.8));
    let switch_at = (0.6 * RATE) as usize;
    let mut out = vec![0.0f32; (1.0 * RATE) as usize];
    let mut position = 0;
    for (at, instrument) in [(switch_at, 1), (switch_at + 240, 2), (switch_at + 480, 0), (out.len(), 0)] {
        synth.process(&mut out[position..at]);
        synth.set_instrument(instrument);
        position = at;
    }
    let steady = max_step(&out[switch_at - 9_600..switch_at]).max(max_step(&out[switch_at + 4_800..]));
    let around = max_step(&out[switch_at..switch_at + 2_400]);
    // A reverb switched in mid-note hears the note start abruptly, so its
    // white-noise test room rings a little brighter for a moment (1.4×
    // measured); a tail cut off instead is a click (5× before the fades
    // were weights).
    assert!(around <= 1.5 * steady, "step {around} at the switches against {steady} steady");
}

/// A synth of two instruments with `voices` voices, each instrument the
/// additive decoder with `harmonics[i]` harmonics and no reverb.
fn two_instruments(voices: usize, harmonics: [usize; 2]) -> PolySynth {
    let instruments = harmonics
        .iter()
        .map(|&num_harmonics| SynthInstrument {
            voice_decoders: (0..voices)
                .map(|_| AdditiveDecoder::boxed(AdditiveConfig { num_harmonics, ..AdditiveConfig::default() }))
                .collect(),
            reverb_ir: Vec::new(),
            reverb_ir_rate_hz: RATE,
        })
        .collect();
    PolySynth::new(RATE, instruments, 11).unwrap()
}

/// Another instrument swapped into a silent slot plays exactly as a synth
/// built with it; the playing slot and one whose reverb still fades are
/// refused; the parts handed back are the old instrument's.
#[test]
fn a_silent_instrument_is_replaced_by_another() {
    let notes = [(0, on(57, 0.8)), ((0.3 * RATE) as usize, off(57))];
    let mut expected = two_instruments(4, [10, 3]);
    expected.set_instrument(1);
    let expected = play(&mut expected, 0.6, &notes, BLOCK);

    let mut synth = two_instruments(4, [10, 10]);
    let replacement = SynthInstrument {
        voice_decoders: (0..4)
            .map(|_| AdditiveDecoder::boxed(AdditiveConfig { num_harmonics: 3, ..AdditiveConfig::default() }))
            .collect(),
        reverb_ir: Vec::new(),
        reverb_ir_rate_hz: RATE,
    };
    let mut parts = synth.shape().prepare(replacement).unwrap();
    assert!(!synth.replace_instrument(0, &mut parts), "the playing instrument was replaced");
    assert!(synth.replace_instrument(1, &mut parts));
    synth.set_instrument(1);
    synth.reset();
    assert_eq!(play(&mut synth, 0.6, &notes, BLOCK), expected);
    // Just switched away from: its reverb is still fading.
    synth.set_instrument(0);
    assert!(!synth.is_instrument_silent(1));
    assert!(!synth.replace_instrument(1, &mut parts));
    play(&mut synth, 0.1, &[], BLOCK);
    assert!(synth.is_instrument_silent(1));
    // The parts handed back play the replaced 10-harmonic instrument.
    assert!(synth.replace_instrument(1, &mut parts));
    synth.set_instrument(1);
    synth.reset();
    let mut ten = two_instruments(4, [10, 10]);
    ten.set_instrument(1);
    assert_eq!(play(&mut synth, 0.6, &notes, BLOCK), play(&mut ten, 0.6, &notes, BLOCK));
}

/// Instruments another synth could not play are refused before the audio
/// thread sees them: other noise bands, or too few voices.
#[test]
fn mismatched_instruments_are_refused() {
    let synth = two_instruments(4, [10, 10]);
    let instrument = |voices: usize, num_noise_bands: usize| SynthInstrument {
        voice_decoders: (0..voices)
            .map(|_| AdditiveDecoder::boxed(AdditiveConfig { num_noise_bands, ..AdditiveConfig::default() }))
            .collect(),
        reverb_ir: Vec::new(),
        reverb_ir_rate_hz: RATE,
    };
    let bands = AdditiveConfig::default().num_noise_bands;
    assert!(synth.shape().prepare(instrument(4, bands + 1)).is_err());
    assert!(synth.shape().prepare(instrument(3, bands)).is_err());
    assert!(synth.shape().prepare(instrument(6, bands)).is_ok());
}
