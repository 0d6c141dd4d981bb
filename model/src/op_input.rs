//! The inputs of our custom candle operations as plain slices (the model
//! crate's fused layers and the training crate's synth share it).

use candle_core::{CpuStorage, Layout, Result};

/// The `f32` values of `storage` under `layout`, which must be contiguous
/// (every operation makes its inputs so before applying itself); `op`
/// names the operation in the error.
pub fn contiguous_f32<'a>(storage: &'a CpuStorage, layout: &Layout, op: &str) -> Result<&'a [f32]> {
    let (start, end) =
        layout.contiguous_offsets().ok_or_else(|| candle_core::Error::Msg(format!("{op}: non-contiguous input")))?;
    Ok(&storage.as_slice::<f32>()?[start..end])
}
