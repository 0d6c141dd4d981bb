//! MIDI out of the live effect: the pitch the engine plays, as notes a host
//! can record or send to another synth. The confidence gate decides where
//! notes start and end; a note's velocity comes from its loudness; the
//! deviation from the note's equal-tempered pitch goes out as pitch bend
//! (±2 semitones, the MIDI default); a pitch that settles more than half a
//! semitone (plus a margin) away, steady for three frames, starts a new
//! note. The frames of a change of note, whose analysis windows hold both
//! notes, move too fast to count as steady, so they never send a note of
//! their own.
//!
//! Each event is timed at the output sample where the frame it comes from
//! sounds, so after the host's latency compensation the notes line up with
//! the input as the resynthesis does. Real-time safe after construction: a
//! queue sized for every frame between two drains.

use crate::pitch_units::hz_to_midi;

/// Pitch-bend range the events assume, ± semitones (the MIDI default).
pub const BEND_RANGE_SEMITONES: f32 = 2.0;
/// How far past half a semitone the pitch must move to change the note,
/// semitones (a margin against vibrato flipping notes).
const NOTE_CHANGE_MARGIN_SEMITONES: f32 = 0.2;
/// Steady frames the pitch must stay on a new note before it counts.
const NOTE_CHANGE_FRAMES: u32 = 3;
/// Most a steady pitch moves from one frame to the next, semitones (vibrato
/// of ±0.5 semitone at 6 Hz moves 0.075 per 4 ms frame).
const STEADY_SEMITONES_PER_FRAME: f32 = 0.15;
/// Smallest bend change sent, semitones (one cent: no flood of events).
const BEND_STEP_SEMITONES: f32 = 0.01;
/// Loudness that maps to velocity 0 and to velocity 1, dB.
const VELOCITY_LOUDNESS_DB: [f32; 2] = [-60.0, -10.0];
/// Most events one frame queues (a note-off, a bend and a note-on).
pub const EVENTS_PER_FRAME: usize = 3;

/// One MIDI event of the effect's note output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NoteOut {
    /// A note starts; velocity 0 … 1.
    NoteOn {
        /// MIDI note number.
        note: u8,
        /// Velocity, 0 … 1.
        velocity: f32,
    },
    /// The note ends.
    NoteOff {
        /// MIDI note number.
        note: u8,
    },
    /// The deviation from the sounding note, semitones (within
    /// ±[`BEND_RANGE_SEMITONES`]).
    PitchBend {
        /// Semitones above (positive) or below the note.
        semitones: f32,
    },
}

/// The note follower and its queue of timed events.
#[derive(Clone, Debug)]
pub struct NoteFollower {
    /// The note sounding, if any.
    note: Option<u8>,
    /// A different note the pitch has stayed on, and for how many frames.
    candidate: Option<(u8, u32)>,
    /// The last bend sent, semitones.
    bend: f32,
    /// The previous frame's pitch, MIDI (NaN after an unvoiced frame).
    last_midi: f32,
    /// Events with the output sample they sound at, a ring, oldest at
    /// `head`.
    queue: Vec<(u64, NoteOut)>,
    /// Index of the oldest queued event.
    head: usize,
    /// Events queued.
    len: usize,
}

impl NoteFollower {
    /// A follower whose queue holds `frames` frames' events (size it for
    /// every frame between two drains). Allocates.
    pub fn new(frames: usize) -> Self {
        Self {
            note: None,
            candidate: None,
            bend: 0.0,
            last_midi: f32::NAN,
            queue: vec![(0, NoteOut::NoteOff { note: 0 }); EVENTS_PER_FRAME * frames.max(1)],
            head: 0,
            len: 0,
        }
    }

    /// Forgets every queued event and starts a new timeline at sample 0;
    /// a note sounding gets its note-off there, so none is left hanging.
    /// Real-time safe.
    pub fn reset(&mut self) {
        let sounding = self.note.take();
        self.candidate = None;
        self.bend = 0.0;
        self.last_midi = f32::NAN;
        self.head = 0;
        self.len = 0;
        if let Some(note) = sounding {
            self.push(0, NoteOut::NoteOff { note });
        }
    }

    /// Hands every queued event to `emit` at once, then a note-off for the
    /// note sounding, and forgets it: before the follower is dropped (a new
    /// engine takes over). Real-time safe.
    pub fn end(&mut self, mut emit: impl FnMut(u64, NoteOut)) {
        self.drain(u64::MAX, &mut emit);
        if let Some(note) = self.note.take() {
            emit(u64::MAX, NoteOut::NoteOff { note });
        }
        self.reset();
    }

    /// One analysed frame: its pitch after the user controls, whether the
    /// gate calls it voiced, its loudness, and the output sample it sounds
    /// at. Queues the events it implies. Real-time safe.
    pub fn frame(&mut self, sample: u64, f0_hz: f32, voiced: bool, loudness_db: f32) {
        let midi = hz_to_midi(f0_hz);
        let steady = (midi - self.last_midi).abs() < STEADY_SEMITONES_PER_FRAME;
        self.last_midi = if voiced { midi } else { f32::NAN };
        if !voiced || !midi.is_finite() {
            if let Some(note) = self.note.take() {
                self.push(sample, NoteOut::NoteOff { note });
            }
            self.candidate = None;
            return;
        }
        let nearest = midi.round().clamp(0.0, 127.0) as u8;
        let Some(note) = self.note else {
            self.start(sample, nearest, midi, loudness_db);
            return;
        };
        let deviation = midi - note as f32;
        if deviation.abs() > 0.5 + NOTE_CHANGE_MARGIN_SEMITONES && steady {
            let frames = match self.candidate {
                Some((candidate, frames)) if candidate == nearest => frames + 1,
                _ => 1,
            };
            if frames >= NOTE_CHANGE_FRAMES {
                self.push(sample, NoteOut::NoteOff { note });
                self.start(sample, nearest, midi, loudness_db);
                return;
            }
            self.candidate = Some((nearest, frames));
        } else {
            self.candidate = None;
        }
        self.bend_to(sample, deviation);
    }

    /// Hands every queued event sounding before output sample `until` to
    /// `emit`, oldest first. Real-time safe.
    pub fn drain(&mut self, until: u64, mut emit: impl FnMut(u64, NoteOut)) {
        while self.len > 0 && self.queue[self.head].0 < until {
            let (sample, event) = self.queue[self.head];
            self.head = (self.head + 1) % self.queue.len();
            self.len -= 1;
            emit(sample, event);
        }
    }

    fn start(&mut self, sample: u64, note: u8, midi: f32, loudness_db: f32) {
        let [quiet, loud] = VELOCITY_LOUDNESS_DB;
        let velocity = ((loudness_db - quiet) / (loud - quiet)).clamp(0.01, 1.0);
        // The bend first, so the note starts at the pitch played.
        self.bend = f32::NAN;
        self.bend_to(sample, midi - note as f32);
        self.push(sample, NoteOut::NoteOn { note, velocity });
        self.note = Some(note);
        self.candidate = None;
    }

    fn bend_to(&mut self, sample: u64, semitones: f32) {
        let semitones = semitones.clamp(-BEND_RANGE_SEMITONES, BEND_RANGE_SEMITONES);
        if (semitones - self.bend).abs() >= BEND_STEP_SEMITONES || self.bend.is_nan() {
            self.bend = semitones;
            self.push(sample, NoteOut::PitchBend { semitones });
        }
    }

    /// Queues an event; a full queue (unreachable when sized for the
    /// frames between drains) drops the oldest.
    fn push(&mut self, sample: u64, event: NoteOut) {
        let capacity = self.queue.len();
        if self.len == capacity {
            self.head = (self.head + 1) % capacity;
            self.len -= 1;
        }
        self.queue[(self.head + self.len) % capacity] = (sample, event);
        self.len += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pitch_units::midi_to_hz;

    fn drain_all(follower: &mut NoteFollower) -> Vec<(u64, NoteOut)> {
        let mut events = Vec::new();
        follower.drain(u64::MAX, |sample, event| events.push((sample, event)));
        events
    }

    fn notes_on(events: &[(u64, NoteOut)]) -> Vec<u8> {
        events
            .iter()
            .filter_map(|(_, e)| match e {
                NoteOut::NoteOn { note, .. } => Some(*note),
                _ => None,
            })
            .collect()
    }

    /// Voicing starts and ends notes; a pitch a few cents off is a bend;
    /// vibrato of ±40 cents stays one note; a step of two semitones is a
    /// new note, without one for the frames in between.
    #[test]
    fn notes_follow_the_gate_and_the_pitch() {
        let mut follower = NoteFollower::new(100);
        let mut sample = 0;
        let mut frame = |follower: &mut NoteFollower, midi: f32, voiced: bool| {
            follower.frame(sample, midi_to_hz(midi), voiced, -20.0);
            sample += 192;
        };
        frame(&mut follower, 60.0, false);
        for n in 0..50 {
            frame(&mut follower, 60.1 + 0.4 * (n as f32 * 0.5).sin(), true);
        }
        // A change of note: two frames in between, then the new note.
        frame(&mut follower, 60.9, true);
        frame(&mut follower, 61.6, true);
        for _ in 0..20 {
            frame(&mut follower, 62.0, true);
        }
        frame(&mut follower, 62.0, false);
        let events = drain_all(&mut follower);
        assert_eq!(notes_on(&events), [60, 62]);
        let offs = events.iter().filter(|(_, e)| matches!(e, NoteOut::NoteOff { .. })).count();
        assert_eq!(offs, 2);
        assert!(matches!(events[0].1, NoteOut::PitchBend { semitones } if (semitones - 0.1).abs() < 1e-3));
        assert!(matches!(events.last().unwrap().1, NoteOut::NoteOff { note: 62 }));
        assert!(events.windows(2).all(|w| w[0].0 <= w[1].0), "out of order");
    }

    /// A reset or the end of the follower never leaves a note hanging.
    #[test]
    fn reset_and_end_close_the_sounding_note() {
        let mut follower = NoteFollower::new(100);
        follower.frame(500, midi_to_hz(60.0), true, -20.0);
        follower.reset();
        assert_eq!(drain_all(&mut follower), [(0, NoteOut::NoteOff { note: 60 })]);
        follower.frame(500, midi_to_hz(62.0), true, -20.0);
        let mut ended = Vec::new();
        follower.end(|_, event| ended.push(event));
        assert_eq!(notes_on(&ended.iter().map(|&e| (0, e)).collect::<Vec<_>>()), [62]);
        assert_eq!(ended.last(), Some(&NoteOut::NoteOff { note: 62 }));
        assert!(drain_all(&mut follower).is_empty());
    }

    /// Loudness sets velocity; events come out only once their sample is
    /// reached.
    #[test]
    fn velocity_follows_loudness_and_events_wait_for_their_sample() {
        let mut follower = NoteFollower::new(100);
        follower.frame(1_000, midi_to_hz(57.0), true, -15.0);
        let mut early = Vec::new();
        follower.drain(1_000, |_, event| early.push(event));
        assert!(early.is_empty());
        let velocity = |events: Vec<(u64, NoteOut)>| {
            events.iter().find_map(|(_, e)| match e {
                NoteOut::NoteOn { velocity, .. } => Some(*velocity),
                _ => None,
            })
        };
        let loud = velocity(drain_all(&mut follower)).unwrap();
        let mut quiet = NoteFollower::new(100);
        quiet.frame(0, midi_to_hz(57.0), true, -45.0);
        assert!(loud > velocity(drain_all(&mut quiet)).unwrap());
    }
}
