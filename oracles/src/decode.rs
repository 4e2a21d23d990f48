//! decode: STUB
use crate::scenario::Scenario;
/// Generation bounds.
#[derive(Clone, Copy, Debug)]
pub struct DecodeBounds;
/// Decodes bytes.
pub fn decode(_data: &[u8]) -> Scenario {
    Scenario::default()
}
