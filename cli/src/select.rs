//! Which backends a command plays against: the `--backend NAME` flag.

use crate::error::CliError;
use clap::builder::PossibleValuesParser;
use oracles::BackendInfo;

/// The clap parser for `--backend`: accepts only registered names, so an
/// unknown one is a usage error (exit 2) that lists the known names.
pub fn name_parser() -> PossibleValuesParser {
    PossibleValuesParser::new(oracles::backends().into_iter().map(|b| b.name))
}

/// The backends named by `names`, in the order given and each once; every
/// registered backend, in registry order, when `names` is empty.
pub fn chosen(names: &[String]) -> Result<Vec<BackendInfo>, CliError> {
    if names.is_empty() {
        return Ok(oracles::backends());
    }
    let mut picked: Vec<BackendInfo> = Vec::with_capacity(names.len());
    for name in names {
        let info = oracles::find_backend(name).ok_or_else(|| CliError::UnknownBackend {
            name: name.clone(),
            known: oracles::backends().iter().map(|b| b.name).collect(),
        })?;
        if !picked.iter().any(|b| b.name == info.name) {
            picked.push(info);
        }
    }
    Ok(picked)
}

/// The names of `backends`, comma-separated, for the start line of a run.
pub fn names(backends: &[BackendInfo]) -> String {
    let names: Vec<&str> = backends.iter().map(|b| b.name).collect();
    names.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_means_every_backend() {
        let all = chosen(&[]).map(|v| v.len()).ok();
        assert_eq!(all, Some(oracles::backends().len()));
    }

    #[test]
    fn repeats_are_dropped_and_unknown_names_refused() {
        let twice = vec!["rootmem".to_string(), "rootmem".to_string()];
        assert_eq!(chosen(&twice).map(|v| v.len()).ok(), Some(1));
        let bad = vec!["nosuch".to_string()];
        let err = chosen(&bad)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("nosuch") && err.contains("rootmem"), "{err}");
    }
}
