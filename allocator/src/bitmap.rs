//! bitmap: STUB
