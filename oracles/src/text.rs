//! The `.scn` text format (SPEC section 8). STUB: being written.
use crate::scenario::Scenario;
use std::fmt;

/// A parse error at a 1-based line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, in one line.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Prints a scenario.
pub fn print(_s: &Scenario) -> String {
    String::new()
}

/// Parses a scenario.
pub fn parse(_text: &str) -> Result<Scenario, ParseError> {
    Err(ParseError { line: 1, message: "todo".into() })
}
