//! Expressive monophonic MIDI phrases for rendering training data: legato
//! and detached notes inside each instrument's playable range, vibrato as
//! pitch bend, dynamics as CC11 (expression) swells, rests between phrases.
//! Seeded, so the same seed writes the same file.
//!
//! Time is kept in milliseconds: one tick is 1 ms (1000 ticks per quarter
//! at one quarter per second).

use dsp_core::pitch_units::hz_to_midi;
use dsp_core::rng::NoiseRng;
use midly::num::{u15, u24, u28, u4, u7};
use midly::{Format, Header, MetaMessage, MidiMessage, PitchBend, Smf, Timing, TrackEvent, TrackEventKind};

/// An instrument of the General MIDI set, as the phrases use it.
#[derive(Clone, Copy, Debug)]
pub struct InstrumentSpec {
    /// File-name stem of the shipped model, e.g. `violin`.
    pub name: &'static str,
    /// Name shown to musicians.
    pub display_name: &'static str,
    /// General MIDI program, 0-based.
    pub gm_program: u8,
    /// Lowest and highest MIDI note written.
    pub note_range: (u8, u8),
    /// Peak vibrato depth, cents.
    pub vibrato_cents: f32,
    /// Length of the learned reverb, ms (`ddsp train --reverb-ms`):
    /// [`LIBRARY_REVERB_MS`] unless the SoundFont's notes stop sooner.
    pub reverb_ms: u16,
}

/// The default instruments: what ships in `assets/instruments/`, in the
/// order of `ddsp_model::instruments::BUNDLED_INSTRUMENTS` (names and
/// ranges agree with it; a test checks). Ranges are each instrument's
/// comfortable sounding range. A table of its own, not read from the
/// model crate's: that one embeds each trained file, so an instrument is
/// trained here before it can be listed there.
pub const DEFAULT_INSTRUMENTS: [InstrumentSpec; 17] = [
    spec("violin", "Violin", 40, (55, 93), 30.0),
    spec("viola", "Viola", 41, (48, 84), 28.0),
    spec("cello", "Cello", 42, (36, 76), 25.0),
    spec("flute", "Flute", 73, (60, 93), 15.0),
    spec("oboe", "Oboe", 68, (58, 91), 12.0),
    spec("clarinet", "Clarinet", 71, (50, 89), 5.0).with_reverb_ms(30),
    spec("bassoon", "Bassoon", 70, (34, 55), 10.0),
    spec("trumpet", "Trumpet", 56, (55, 82), 12.0),
    spec("muted-trumpet", "Muted trumpet", 59, (55, 82), 10.0),
    spec("french-horn", "French horn", 60, (45, 77), 8.0),
    spec("trombone", "Trombone", 57, (40, 72), 10.0),
    spec("tuba", "Tuba", 58, (33, 60), 5.0),
    spec("soprano-sax", "Soprano saxophone", 64, (56, 87), 20.0),
    spec("alto-sax", "Alto saxophone", 65, (49, 80), 20.0),
    spec("tenor-sax", "Tenor saxophone", 66, (44, 75), 20.0),
    spec("baritone-sax", "Baritone saxophone", 67, (36, 69), 15.0),
    spec("voice-oohs", "Voice (ooh)", 53, (48, 76), 25.0),
];

/// The learned room of a library instrument, ms. The SoundFonts' samples
/// are nearly dry and their notes fall to silence within 20–830 ms (the
/// median release from 20 dB under the note, per instrument), so a room as
/// long as the trainer's default for real recordings (250 ms) rings on
/// over that silence, and the decoder learns to fight it: a body, not a
/// hall. Musicians add their own room in the host.
pub const LIBRARY_REVERB_MS: u16 = 60;

/// An [`InstrumentSpec`], positionally (the table above stays one line per
/// instrument), with the library's room, [`LIBRARY_REVERB_MS`].
pub const fn spec(
    name: &'static str,
    display_name: &'static str,
    gm_program: u8,
    note_range: (u8, u8),
    vibrato_cents: f32,
) -> InstrumentSpec {
    InstrumentSpec { name, display_name, gm_program, note_range, vibrato_cents, reverb_ms: LIBRARY_REVERB_MS }
}

impl InstrumentSpec {
    /// The same instrument trained with a learned reverb of `ms`.
    pub const fn with_reverb_ms(self, ms: u16) -> Self {
        Self { reverb_ms: ms, ..self }
    }
}

/// The default instrument called `name`. Panics on a name not in the
/// table (a programming error: the names are constants).
pub const fn default_instrument(name: &str) -> InstrumentSpec {
    let mut i = 0;
    while i < DEFAULT_INSTRUMENTS.len() {
        if const_str_eq(DEFAULT_INSTRUMENTS[i].name, name) {
            return DEFAULT_INSTRUMENTS[i];
        }
        i += 1;
    }
    panic!("no default instrument of that name")
}

const fn const_str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The default instruments named in `only`, in the default order; all of
/// them when `only` is empty.
pub fn default_instruments_named(only: &[String]) -> impl Iterator<Item = &'static InstrumentSpec> + '_ {
    DEFAULT_INSTRUMENTS.iter().filter(move |spec| only.is_empty() || only.iter().any(|name| name == spec.name))
}

/// Pitch-bend range set by RPN 0 at the start, semitones.
const BEND_RANGE_SEMITONES: f32 = 2.0;
/// Spacing of pitch-bend and expression events, ms.
const CONTROL_STEP_MS: u32 = 10;
const CHANNEL: u8 = 0;

struct Events {
    list: Vec<(u32, u32, TrackEventKind<'static>)>,
}

impl Events {
    fn push(&mut self, time_ms: u32, message: MidiMessage) {
        let order = self.list.len() as u32;
        self.list.push((time_ms, order, TrackEventKind::Midi { channel: u4::new(CHANNEL), message }));
    }

    fn controller(&mut self, time_ms: u32, controller: u8, value: u8) {
        self.push(time_ms, MidiMessage::Controller { controller: u7::new(controller), value: u7::new(value.min(127)) });
    }

    fn bend_cents(&mut self, time_ms: u32, cents: f32) {
        let value = (cents / (BEND_RANGE_SEMITONES * 100.0) * 8192.0).round() as i16;
        self.push(time_ms, MidiMessage::PitchBend { bend: PitchBend::from_int(value) });
    }
}

/// Uniform in [lo, hi).
fn uniform(rng: &mut NoiseRng, lo: f32, hi: f32) -> f32 {
    lo + (hi - lo) * 0.5 * (rng.next_sample() + 1.0)
}

fn chance(rng: &mut NoiseRng, probability: f32) -> bool {
    uniform(rng, 0.0, 1.0) < probability
}

/// When the first note of a file starts, ms.
const FIRST_NOTE_MS: u32 = 200;
/// Notes sounding longer than this get vibrato, ms.
const VIBRATO_MIN_MS: u32 = 350;

/// The start of every file: `spec`'s program, the pitch-bend range and the
/// channel volume.
fn start_events(spec: &InstrumentSpec) -> Events {
    let mut events = Events { list: Vec::new() };
    events.push(0, MidiMessage::ProgramChange { program: u7::new(spec.gm_program) });
    for (controller, value) in [(101, 0), (100, 0), (6, BEND_RANGE_SEMITONES as u8), (38, 0), (7, 110)] {
        events.controller(0, controller, value);
    }
    events
}

/// One note of `key` from `start` (ms) sounding `sounding_ms`, its pitch
/// bend reset at its start, with vibrato when it is long enough.
fn write_note(
    events: &mut Events,
    rng: &mut NoiseRng,
    spec: &InstrumentSpec,
    start: u32,
    sounding_ms: u32,
    key: u8,
    velocity: u8,
) {
    events.bend_cents(start, 0.0);
    events.push(start, MidiMessage::NoteOn { key: u7::new(key), vel: u7::new(velocity) });
    if sounding_ms > VIBRATO_MIN_MS {
        write_vibrato(events, rng, spec, start, sounding_ms);
    }
    // A legato note's off lands with the next note's on (sorted after it).
    events.push(start + sounding_ms, MidiMessage::NoteOff { key: u7::new(key), vel: u7::new(64) });
}

/// Phrases for `spec` lasting about `minutes`, from `seed`.
pub fn write_phrases(spec: &InstrumentSpec, minutes: f32, seed: u64) -> Smf<'static> {
    let mut rng = NoiseRng::new(seed);
    let mut events = start_events(spec);
    let (low, high) = (spec.note_range.0 as f32, spec.note_range.1 as f32);
    let end_ms = (minutes * 60_000.0) as u32;
    let mut time_ms = FIRST_NOTE_MS;
    let mut note = uniform(&mut rng, low, high).round();
    while time_ms < end_ms {
        let num_notes = uniform(&mut rng, 3.0, 11.0) as usize;
        let (start_level, end_level) = (uniform(&mut rng, 35.0, 127.0), uniform(&mut rng, 35.0, 127.0));
        let base_velocity = uniform(&mut rng, 55.0, 115.0);
        let legato_phrase = chance(&mut rng, 0.5);
        let phrase_start = time_ms;
        let mut notes = Vec::with_capacity(num_notes);
        for _ in 0..num_notes {
            let step = match uniform(&mut rng, 0.0, 1.0) {
                p if p < 0.55 => uniform(&mut rng, -2.99, 3.0).trunc(),
                p if p < 0.9 => uniform(&mut rng, -5.99, 6.0).trunc(),
                _ => uniform(&mut rng, -12.99, 13.0).trunc(),
            };
            let mut next = note + step;
            if next < low || next > high {
                next = note - step;
            }
            note = next.clamp(low, high);
            let duration_ms = [140.0, 220.0, 330.0, 500.0, 750.0, 1100.0, 1600.0]
                [(uniform(&mut rng, 0.0, 6.99)) as usize]
                * uniform(&mut rng, 0.85, 1.2);
            let detached = !legato_phrase || chance(&mut rng, 0.2);
            let sounding_ms = if detached { duration_ms * uniform(&mut rng, 0.55, 0.8) } else { duration_ms };
            notes.push((time_ms, sounding_ms as u32, note as u8));
            time_ms += duration_ms as u32;
        }
        let phrase_end = time_ms;
        // Expression: a swell from start to end level, with a bulge in the middle.
        let bulge = uniform(&mut rng, -25.0, 25.0);
        let mut t = phrase_start;
        while t <= phrase_end {
            let x = (t - phrase_start) as f32 / (phrase_end - phrase_start).max(1) as f32;
            let level = start_level + (end_level - start_level) * x + bulge * (std::f32::consts::PI * x).sin();
            events.controller(t, 11, level.clamp(20.0, 127.0) as u8);
            t += 2 * CONTROL_STEP_MS;
        }
        for &(start, sounding_ms, key) in &notes {
            let velocity = (base_velocity + uniform(&mut rng, -12.0, 12.0)).clamp(30.0, 127.0) as u8;
            write_note(&mut events, &mut rng, spec, start, sounding_ms, key, velocity);
        }
        time_ms += if chance(&mut rng, 0.1) { 2000 } else { uniform(&mut rng, 250.0, 1100.0) as u32 };
    }
    events.bend_cents(time_ms, 0.0);
    finish(events, time_ms + 1000)
}

/// Sounding length of each note of [`write_scale`], ms.
pub const SCALE_NOTE_MS: u32 = 500;
/// Rest after each note of [`write_scale`], ms.
const SCALE_REST_MS: u32 = 150;

/// Every note of `spec`'s range once, from the lowest up, detached, at a
/// steady mezzo-forte with the instrument's vibrato (seeded by `seed`):
/// a 30-second phrase's random walk covers only part of a range, so a
/// note the tracker misses can go unheard.
pub fn write_scale(spec: &InstrumentSpec, seed: u64) -> Smf<'static> {
    let mut rng = NoiseRng::new(seed);
    let mut events = start_events(spec);
    events.controller(0, 11, 100);
    let mut time_ms = FIRST_NOTE_MS;
    for key in spec.note_range.0..=spec.note_range.1 {
        write_note(&mut events, &mut rng, spec, time_ms, SCALE_NOTE_MS, key, 90);
        time_ms += SCALE_NOTE_MS + SCALE_REST_MS;
    }
    events.bend_cents(time_ms, 0.0);
    finish(events, time_ms + 1000)
}

/// Delayed vibrato that fades in over the note.
fn write_vibrato(events: &mut Events, rng: &mut NoiseRng, spec: &InstrumentSpec, start: u32, sounding_ms: u32) {
    let rate_hz = uniform(rng, 4.5, 6.5);
    let depth_cents = spec.vibrato_cents * uniform(rng, 0.4, 1.0);
    let delay_ms = uniform(rng, 120.0, 300.0) as u32;
    let mut t = delay_ms;
    while t + CONTROL_STEP_MS < sounding_ms {
        let fade = ((t - delay_ms) as f32 / 300.0).min(1.0);
        let phase = 2.0 * std::f32::consts::PI * rate_hz * (t - delay_ms) as f32 * 1e-3;
        events.bend_cents(start + t, depth_cents * fade * phase.sin());
        t += CONTROL_STEP_MS;
    }
}

/// Pitch change that counts as a change of note in a pitch track,
/// semitones (vibrato and bends stay below it).
const NOTE_CHANGE_SEMITONES: f32 = 0.75;

/// The pitch of `track` (Hz per ms, `None` between notes) at `ms`, if one
/// note holds from `margin_ms` before to `margin_ms` after it.
pub fn note_held(track: &[Option<f32>], ms: usize, margin_ms: usize) -> Option<f32> {
    let f0_hz = track.get(ms).copied().flatten()?;
    let same_note = |m| is_same_note(track, m, f0_hz);
    (ms.checked_sub(margin_ms)?..=ms + margin_ms).all(same_note).then_some(f0_hz)
}

/// Whether `track` (Hz per ms) sounds the note of `f0_hz` at `ms`.
fn is_same_note(track: &[Option<f32>], ms: usize, f0_hz: f32) -> bool {
    track.get(ms).copied().flatten().is_some_and(|f| (hz_to_midi(f) - hz_to_midi(f0_hz)).abs() < NOTE_CHANGE_SEMITONES)
}

/// The first and last ms of the note `track` (Hz per ms) sounds at `ms`;
/// `None` where none sounds.
pub fn note_span(track: &[Option<f32>], ms: usize) -> Option<(usize, usize)> {
    let f0_hz = track.get(ms).copied().flatten()?;
    let first = (0..ms).rev().find(|&m| !is_same_note(track, m, f0_hz)).map_or(0, |m| m + 1);
    let last = (ms + 1..track.len()).find(|&m| !is_same_note(track, m, f0_hz)).map_or(track.len() - 1, |m| m - 1);
    Some((first, last))
}

/// The exact pitch the phrases of `smf` ask for, one value per ms (Hz;
/// `None` where no note sounds): the sounding note's key plus the current
/// pitch bend. A legato note's off, which follows the next note's on, ends
/// nothing.
pub fn pitch_track(smf: &Smf) -> Vec<Option<f32>> {
    let (mut track, mut time_ms) = (Vec::new(), 0usize);
    let (mut key, mut bend_cents) = (None::<u8>, 0.0f32);
    for event in smf.tracks.iter().flatten() {
        let next = time_ms + event.delta.as_int() as usize;
        let f0 = key.map(|k| 440.0 * 2f32.powf((k as f32 - 69.0 + bend_cents / 100.0) / 12.0));
        track.resize(next, f0);
        time_ms = next;
        if let TrackEventKind::Midi { message, .. } = event.kind {
            match message {
                MidiMessage::NoteOn { key: k, vel } if vel.as_int() > 0 => key = Some(k.as_int()),
                MidiMessage::NoteOn { key: k, .. } | MidiMessage::NoteOff { key: k, .. } if key == Some(k.as_int()) => {
                    key = None;
                }
                MidiMessage::PitchBend { bend } => {
                    bend_cents = bend.as_int() as f32 / 8192.0 * BEND_RANGE_SEMITONES * 100.0;
                }
                _ => {}
            }
        }
    }
    track
}

fn finish(mut events: Events, end_ms: u32) -> Smf<'static> {
    events.list.sort_by_key(|&(time, order, _)| (time, order));
    let mut track = Vec::with_capacity(events.list.len() + 2);
    track.push(TrackEvent { delta: u28::new(0), kind: TrackEventKind::Meta(MetaMessage::Tempo(u24::new(1_000_000))) });
    let mut last = 0;
    for (time, _, kind) in events.list {
        track.push(TrackEvent { delta: u28::new(time - last), kind });
        last = time;
    }
    track.push(TrackEvent { delta: u28::new(end_ms - last), kind: TrackEventKind::Meta(MetaMessage::EndOfTrack) });
    Smf { header: Header::new(Format::SingleTrack, Timing::Metrical(u15::new(1000))), tracks: vec![track] }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ddsp_model::instruments::BUNDLED_INSTRUMENTS;

    /// What is trained is what ships: the same instruments in the same
    /// order, under the same names, over the same ranges.
    #[test]
    fn the_default_instruments_are_the_bundled_ones() {
        let trained: Vec<_> = DEFAULT_INSTRUMENTS.iter().map(|s| (s.name, s.display_name, s.note_range)).collect();
        let shipped: Vec<_> = BUNDLED_INSTRUMENTS.iter().map(|i| (i.id, i.name, i.range_midi)).collect();
        assert_eq!(trained, shipped);
        assert_eq!(default_instrument("cello").gm_program, 42);
    }

    #[test]
    fn same_seed_same_file_and_notes_stay_in_range() {
        let spec = &DEFAULT_INSTRUMENTS[0];
        let (mut a, mut b) = (Vec::new(), Vec::new());
        write_phrases(spec, 0.5, 3).write_std(&mut a).unwrap();
        write_phrases(spec, 0.5, 3).write_std(&mut b).unwrap();
        assert_eq!(a, b);
        let smf = write_phrases(spec, 0.5, 3);
        let keys = note_on_keys(&smf);
        assert!(keys.len() > 20);
        assert!(keys.iter().all(|&k| (55..=93).contains(&k)));
    }

    /// The keys of `smf`'s note-ons, in order.
    fn note_on_keys(smf: &Smf) -> Vec<u8> {
        smf.tracks[0]
            .iter()
            .filter_map(|e| match e.kind {
                TrackEventKind::Midi { message: MidiMessage::NoteOn { key, .. }, .. } => Some(key.as_int()),
                _ => None,
            })
            .collect()
    }

    /// The scale plays every note of the range once, lowest first, and the
    /// pitch track hears each one.
    #[test]
    fn the_scale_plays_the_whole_range_in_order() {
        let spec = default_instrument("cello");
        let smf = write_scale(&spec, 3);
        let keys = note_on_keys(&smf);
        assert_eq!(keys, (spec.note_range.0..=spec.note_range.1).collect::<Vec<_>>());
        let track = pitch_track(&smf);
        for (n, key) in keys.iter().enumerate() {
            let middle_ms = (FIRST_NOTE_MS + n as u32 * (SCALE_NOTE_MS + SCALE_REST_MS) + SCALE_NOTE_MS / 2) as usize;
            let heard = hz_to_midi(note_held(&track, middle_ms, 30).expect("a held note"));
            assert!((heard - *key as f32).abs() < 0.5, "key {key} heard as {heard}");
        }
    }

    /// The pitch track follows notes and bends: a note, silence after it,
    /// and a bend of 100 cents heard as a semitone up.
    #[test]
    fn pitch_track_follows_notes_and_bends() {
        let mut events = Events { list: Vec::new() };
        events.push(10, MidiMessage::NoteOn { key: u7::new(69), vel: u7::new(100) });
        events.bend_cents(50, 100.0);
        events.push(100, MidiMessage::NoteOn { key: u7::new(72), vel: u7::new(100) });
        events.push(100, MidiMessage::NoteOff { key: u7::new(69), vel: u7::new(64) });
        events.push(150, MidiMessage::NoteOff { key: u7::new(72), vel: u7::new(64) });
        let track = pitch_track(&finish(events, 200));
        assert_eq!(track[5], None);
        assert!((track[20].unwrap() - 440.0).abs() < 1e-3);
        assert!((track[60].unwrap() - 440.0 * 2f32.powf(1.0 / 12.0)).abs() < 0.05);
        assert!((track[120].unwrap() - 440.0 * 2f32.powf(4.0 / 12.0)).abs() < 0.1);
        assert_eq!(track[160], None);
        assert!(track.len() >= 200);
    }
}
