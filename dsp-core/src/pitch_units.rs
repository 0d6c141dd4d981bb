//! Conversions between hertz and MIDI note numbers (A4 = 440 Hz = note 69).

/// MIDI note number (fractional) of `f0_hz`. Real-time safe.
#[inline]
pub fn hz_to_midi(f0_hz: f32) -> f32 {
    69.0 + 12.0 * (f0_hz.max(1e-3) / 440.0).log2()
}

/// Frequency in Hz of MIDI note `midi` (fractional). Real-time safe.
#[inline]
pub fn midi_to_hz(midi: f32) -> f32 {
    440.0 * ((midi - 69.0) / 12.0).exp2()
}

/// Names of the pitch classes, from C.
const NOTE_NAMES: [&str; 12] = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];

/// Scientific name of the MIDI note nearest `midi` (60 is C4, 69 is A4).
/// Allocates: for displays and reports, not the audio thread.
pub fn note_name(midi: f32) -> String {
    let nearest = midi.round() as i32;
    format!("{}{}", NOTE_NAMES[nearest.rem_euclid(12) as usize], nearest.div_euclid(12) - 1)
}

/// Pitch difference in cents between two frequencies. Real-time safe.
#[inline]
pub fn cents_between(a_hz: f32, b_hz: f32) -> f32 {
    1200.0 * (a_hz / b_hz).log2()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn note_names_round_to_the_nearest_note() {
        assert_eq!(note_name(69.0), "A4");
        assert_eq!(note_name(60.4), "C4");
        assert_eq!(note_name(52.0), "E3");
        assert_eq!(note_name(66.0), "F#4");
        assert_eq!(note_name(-1.0), "B-2");
    }
}
