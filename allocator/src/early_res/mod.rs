//! early_res: the x86 early reservation table, as in v2.6.34
//! `kernel/early_res.c` (reference section 4, S8).
//!
//! History (reference sections 0.3 and 4, S4):
//!
//! - 751752789162 (v2.6.25-rc1): x86-64 keeps its early reservations in a
//!   table instead of hard-coded `reserve_bootmem` calls;
//! - c4ba1320b70 "x86 boot: allow overlapping early reserve memory ranges"
//!   (v2.6.27-rc1): `reserve_early_overlap_ok`;
//! - 46cb27f5169 "x86: check range in reserve_early()" (v2.6.30-rc3): empty
//!   reservations are ignored;
//! - 6a1e008a091 "x86: Increase MAX_EARLY_RES; insufficient on 32-bit NUMA"
//!   (v2.6.33-rc2): 32 static slots;
//! - 580e0ad21d6 (v2.6.34-rc1): the code moves to `kernel/early_res.c`;
//!   28b1c57d3c1 "x86: Dynamically increase early_res array size"
//!   (v2.6.34-rc1): the table doubles into free RAM; fb90ef93df6 (v2.6.34):
//!   `free_early_partial`; 08677214e31 (v2.6.34-rc1): `CONFIG_NO_BOOTMEM`,
//!   the bootmem API served from this table;
//! - removed when x86 moved to memblock (2.6.37).
//!
//! Two layers live here, each in its own file:
//!
//! - [`EarlyRes`] (`table.rs`, `find.rs`): the native table and its calls,
//!   with the kernel's names. Where the kernel panics, a [`ResError`] value
//!   is returned instead and the table is left exactly as it was.
//! - [`EarlyResBootMem`] (`layer.rs`): the bootmem-compatible contract of
//!   SPEC section 3 on top of the table, the way 2.6.34's `NO_BOOTMEM`
//!   served `__alloc_bootmem` from it: find, then reserve.

mod entry;
mod find;
mod layer;
mod table;

#[cfg(test)]
mod random_tests;

pub use entry::{Entry, ResError, NAME_LEN};
pub use layer::EarlyResBootMem;
pub use table::{EarlyRes, ENTRY_SIZE, MAX_EARLY_RES_X};
