//! # oracles: everything that judges
//!
//! Bytes from any engine become a [`Scenario`] through [`decode`], the only
//! way bytes become a scenario. [`run`] plays the scenario against every
//! backend of the [`registry`], each beside its own reference model
//! ([`model::Model`]), and returns the [`Finding`]s. [`text`] prints and
//! parses scenarios as `.scn` files. The contract judged here is
//! `shared/SPEC.md`.

pub mod bare;
pub mod bug_kinds;
pub mod check;
pub mod coverage;
pub mod decode;
pub mod differential;
pub mod encode;
pub mod finding;
pub mod fuzz;
pub mod guard;
pub mod minimize;
pub mod model;
pub mod mutate;
pub mod native;
pub mod prng;
pub mod registry;
pub mod run;
pub mod scenario;
pub mod scene;
pub mod text;
pub mod watch;

pub use decode::{decode, decode_with, DecodeBounds};
pub use encode::{encode, EncodeError};
pub use finding::{Finding, FindingKind, Signature};
pub use registry::{backends, find_backend, BackendInfo};
pub use run::{run, run_watched, run_with_bugs, Report};
pub use scenario::{MemoryMap, Op, OpKind, Part, RamRange, Scenario};
