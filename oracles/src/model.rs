//! model: STUB
/// The model.
pub struct Model;
