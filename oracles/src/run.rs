//! run: STUB
use crate::check::Finding;
use crate::registry::BackendInfo;
use crate::scenario::Scenario;

/// What playing one scenario found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// At most one finding per backend, in backend order.
    pub findings: Vec<Finding>,
}

/// Plays `scenario` against each backend beside its own model.
pub fn run(_scenario: &Scenario, _backends: &[BackendInfo]) -> Report {
    Report::default()
}
