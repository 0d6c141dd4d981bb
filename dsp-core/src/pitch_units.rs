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

/// Pitch difference in cents between two frequencies. Real-time safe.
#[inline]
pub fn cents_between(a_hz: f32, b_hz: f32) -> f32 {
    1200.0 * (a_hz / b_hz).log2()
}
