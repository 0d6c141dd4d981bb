//! The ranges of every user control, defined once: the engine clamps to them,
//! the plugin's parameters and the editor read them.

use core::ops::RangeInclusive;

/// Input gain, dB.
pub const INPUT_GAIN_DB: RangeInclusive<f32> = -24.0..=24.0;
/// Octave shift, whole octaves.
pub const OCTAVE_SHIFT: RangeInclusive<i32> = -2..=2;
/// Fine pitch shift, semitones.
pub const PITCH_SHIFT_SEMITONES: RangeInclusive<f32> = -12.0..=12.0;
/// Confidence threshold, 0 … 1.
pub const CONFIDENCE_THRESHOLD: RangeInclusive<f32> = 0.0..=1.0;
/// Loudness shift, dB.
pub const LOUDNESS_SHIFT_DB: RangeInclusive<f32> = -24.0..=24.0;
/// Extra attenuation of unvoiced frames, dB.
pub const QUIET_DB: RangeInclusive<f32> = 0.0..=60.0;
/// Auto-adjust amount, 0 … 1.
pub const AUTO_ADJUST: RangeInclusive<f32> = 0.0..=1.0;
/// Autotune amount, 0 … 1.
pub const AUTOTUNE: RangeInclusive<f32> = 0.0..=1.0;
/// Harmonic and noise levels, dB (the bottom of the range means off).
pub const LEVEL_DB: RangeInclusive<f32> = -60.0..=12.0;
/// Reverb mix, 0 … 1.
pub const REVERB_MIX: RangeInclusive<f32> = 0.0..=1.0;
/// Level match amount, 0 … 1.
pub const LEVEL_MATCH: RangeInclusive<f32> = 0.0..=1.0;
/// Dry/wet, 0 … 1.
pub const DRY_WET: RangeInclusive<f32> = 0.0..=1.0;
/// Output gain, dB.
pub const OUTPUT_GAIN_DB: RangeInclusive<f32> = -48.0..=12.0;

/// The MIDI synth's portamento, ms per octave.
pub const PORTAMENTO_MS: RangeInclusive<f32> = 0.0..=2_000.0;
/// The MIDI synth's attack, decay and release times, ms.
pub const ENVELOPE_MS: RangeInclusive<f32> = 0.0..=5_000.0;
/// The MIDI synth's sustain level below the peak, dB.
pub const SUSTAIN_DB: RangeInclusive<f32> = -60.0..=0.0;
/// The MIDI synth's velocity-curve exponent.
pub const VELOCITY_CURVE: RangeInclusive<f32> = 0.25..=4.0;
/// The MIDI synth's pitch-bend range, ± semitones.
pub const BEND_RANGE_SEMITONES: RangeInclusive<i32> = 0..=48;
/// The MIDI synth's vibrato rate, Hz.
pub const VIBRATO_RATE_HZ: RangeInclusive<f32> = 0.1..=12.0;
/// The MIDI synth's vibrato depth at full mod wheel, cents.
pub const VIBRATO_DEPTH_CENTS: RangeInclusive<f32> = 0.0..=200.0;
/// Loudness full pressure adds in the MIDI synth, dB.
pub const PRESSURE_RANGE_DB: RangeInclusive<f32> = 0.0..=24.0;
/// The MIDI synth's pitch of A4, Hz.
pub const TUNING_A4_HZ: RangeInclusive<f32> = 400.0..=480.0;
/// The MIDI synth's output gain, dB.
pub const SYNTH_OUTPUT_GAIN_DB: RangeInclusive<f32> = -60.0..=12.0;

/// Host sample rates the engine accepts, Hz.
pub const SAMPLE_RATE_HZ: RangeInclusive<f32> = 22_050.0..=192_000.0;
/// Control (frame) rates a model may ask for, Hz.
pub const FRAME_RATE_HZ: RangeInclusive<f32> = 50.0..=250.0;

/// Clamps `value` into `range`, mapping NaN to the range's start.
/// Real-time safe.
pub fn clamp_f32(value: f32, range: &RangeInclusive<f32>) -> f32 {
    if value.is_nan() {
        *range.start()
    } else {
        value.clamp(*range.start(), *range.end())
    }
}
