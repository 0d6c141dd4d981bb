//! Interpolation shared by the planners, the vocal tract and the renderer.

/// `from` moved a fraction `weight` of the way to `to`.
pub(super) fn lerp(from: f64, to: f64, weight: f64) -> f64 {
    from + (to - from) * weight
}

/// 3w² − 2w³ on [0, 1]: a ramp with zero slope at both ends.
pub(super) fn smoothstep(weight: f64) -> f64 {
    let weight = weight.clamp(0.0, 1.0);
    weight * weight * (3.0 - 2.0 * weight)
}
