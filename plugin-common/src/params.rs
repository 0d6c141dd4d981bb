//! Host parameters built from the ranges in `dsp_core::ranges`.

use std::ops::RangeInclusive;

use nice_plug::prelude::*;

/// A linear parameter range over `range`.
pub fn linear(range: &RangeInclusive<f32>) -> FloatRange {
    FloatRange::Linear { min: *range.start(), max: *range.end() }
}

/// An amount over `range` (0 … 1), shown and typed as a percentage.
pub fn amount(name: &str, default: f32, range: &RangeInclusive<f32>) -> FloatParam {
    FloatParam::new(name, default, linear(range))
        .with_unit(" %")
        .with_value_to_string(formatters::v2s_f32_percentage(0))
        .with_string_to_value(formatters::s2v_f32_percentage())
}

/// A level in dB over `range`, in steps of 0.1 dB.
pub fn decibels(name: &str, default: f32, range: &RangeInclusive<f32>) -> FloatParam {
    FloatParam::new(name, default, linear(range))
        .with_unit(" dB")
        .with_step_size(0.1)
        .with_value_to_string(formatters::v2s_f32_rounded(1))
}
