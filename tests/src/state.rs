//! nice-plug's saved state as CLAP hosts keep it (a little-endian length,
//! then JSON), read and edited by the plugins' host tests: which
//! instrument, which model file.

/// The plugin's saved state with instrument `instrument_id` and, if given,
/// model file `path`.
pub fn state_with(state: &[u8], instrument_id: &str, path: Option<&std::path::Path>) -> Vec<u8> {
    let mut json = state_json(state);
    json["params"]["instrument_v2"] = serde_json::json!({ "string": instrument_id });
    if let Some(path) = path {
        let field = serde_json::to_string(&Some(path.display().to_string())).unwrap();
        json["fields"]["model_file"] = serde_json::json!(field);
    }
    state_bytes(&json)
}

/// The JSON inside nice-plug's CLAP state (after its little-endian length).
pub fn state_json(state: &[u8]) -> serde_json::Value {
    serde_json::from_slice(&state[8..]).unwrap()
}

/// nice-plug's CLAP state holding `json`: a little-endian length, then the
/// JSON.
pub fn state_bytes(json: &serde_json::Value) -> Vec<u8> {
    let body = serde_json::to_vec(json).unwrap();
    let mut bytes = (body.len() as u64).to_le_bytes().to_vec();
    bytes.extend(body);
    bytes
}
