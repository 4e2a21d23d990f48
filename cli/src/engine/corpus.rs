//! The engine's in-memory corpus: the inputs that each reached a semantic
//! feature ([`oracles::coverage`]) no earlier input reached, and the set of
//! features reached so far.

use crate::artifacts::write_new;
use crate::error::CliError;
use crate::hash::fnv1a64;
use oracles::coverage::Feature;
use oracles::Scenario;
use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;

/// One kept input: its bytes (what every engine replays) and the scenario
/// they decode to (what the mutator works on).
#[derive(Clone, Debug)]
pub struct Entry {
    /// The raw input.
    pub data: Vec<u8>,
    /// `oracles::decode(&data)`.
    pub scenario: Scenario,
}

/// The corpus and its coverage.
#[derive(Debug, Default)]
pub struct Corpus {
    entries: Vec<Entry>,
    features: HashSet<Feature>,
    /// Where each kept input is also written, if anywhere.
    save: Option<PathBuf>,
}

impl Corpus {
    /// An empty corpus; kept inputs are also written to `save` (created if
    /// missing) under the 16-hex FNV-1a hash of their bytes.
    pub fn new(save: Option<PathBuf>) -> Result<Corpus, CliError> {
        if let Some(dir) = &save {
            fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
        }
        Ok(Corpus {
            entries: Vec::new(),
            features: HashSet::new(),
            save,
        })
    }

    /// The kept inputs, in the order they joined.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// How many features have been reached.
    pub fn feature_count(&self) -> usize {
        self.features.len()
    }

    /// Whether no kept input reached `feature` yet.
    pub fn is_new(&self, feature: &Feature) -> bool {
        !self.features.contains(feature)
    }

    /// Keeps `entry` if it reached a feature not reached before; returns
    /// whether it was kept.
    pub fn offer(&mut self, entry: Entry, features: &[Feature]) -> Result<bool, CliError> {
        let mut new = false;
        for f in features {
            new |= self.features.insert(*f);
        }
        if !new {
            return Ok(false);
        }
        if let Some(dir) = &self.save {
            let path = dir.join(format!("{:016x}", fnv1a64(&entry.data)));
            write_new(&path, &entry.data)?;
        }
        self.entries.push(entry);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oracles::coverage::What;
    use oracles::OpKind;

    fn feature(what: What) -> Feature {
        Feature {
            backend: "rootmem",
            op: OpKind::Alloc,
            what,
            hits: 1,
        }
    }

    #[test]
    fn an_input_joins_only_with_a_new_feature() -> Result<(), CliError> {
        let mut corpus = Corpus::new(None)?;
        let entry = Entry {
            data: vec![1, 2, 3],
            scenario: oracles::decode(&[1, 2, 3]),
        };
        let packed = feature(What::Packed);
        assert!(corpus.offer(entry.clone(), &[packed])?);
        assert!(!corpus.offer(entry.clone(), &[packed])?);
        assert!(!corpus.offer(entry.clone(), &[])?);
        assert!(corpus.offer(entry, &[packed, feature(What::MetadataFull)])?);
        assert_eq!((corpus.entries().len(), corpus.feature_count()), (2, 2));
        assert!(!corpus.is_new(&packed));
        Ok(())
    }
}
