//! One slot of the early reservation table, and the table's errors.

use crate::{PhysAddr, Range};
use std::fmt;

/// Longest name an entry keeps, in bytes: 2.6.34's `char name[15]`, filled
/// by `strncpy(r->name, name, sizeof(r->name) - 1)`, so 14 bytes and a NUL.
/// Longer names are cut (here at a UTF-8 character boundary).
pub const NAME_LEN: usize = 14;

/// An entry's name, stored inline as the kernel stores it in the slot, so
/// that copying the table copies no heap memory.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(super) struct Name {
    bytes: [u8; NAME_LEN],
    len: u8,
}

impl Name {
    /// `name` cut to at most [`NAME_LEN`] bytes.
    pub(super) fn new(name: &str) -> Name {
        let mut len = name.len().min(NAME_LEN);
        while !name.is_char_boundary(len) {
            len -= 1;
        }
        let mut bytes = [0; NAME_LEN];
        bytes[..len].copy_from_slice(&name.as_bytes()[..len]);
        Name {
            bytes,
            // len <= NAME_LEN = 14, so it fits a byte.
            len: len as u8,
        }
    }

    /// The name as text.
    pub(super) fn as_str(&self) -> &str {
        let len = usize::from(self.len).min(NAME_LEN);
        std::str::from_utf8(&self.bytes[..len]).unwrap_or("")
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// One used slot of the table: `struct early_res { u64 start, end; char
/// name[15]; char overlap_ok; }` (v2.6.34 `kernel/early_res.c`).
///
/// `start < end` always: the kernel marks an unused slot with `end == 0`,
/// and here unused slots are simply not in the list. (With E4 planted,
/// [`crate::bugs::Bug::E4EmptyEntry`], an entry may be empty.)
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Entry {
    pub(super) start: PhysAddr,
    pub(super) end: PhysAddr,
    pub(super) name: Name,
    pub(super) overlap_ok: bool,
}

impl Entry {
    /// First reserved byte.
    pub const fn start(&self) -> PhysAddr {
        self.start
    }

    /// One past the last reserved byte.
    pub const fn end(&self) -> PhysAddr {
        self.end
    }

    /// `[start, end)`.
    pub fn range(&self) -> Range {
        Range::new(self.start, self.end).unwrap_or(Range::EMPTY)
    }

    /// The name given at reservation, cut to [`NAME_LEN`] bytes. The entry
    /// that describes a doubled table has an empty name: 28b1c57d3c1 sets
    /// only its `start`, `end` and `overlap_ok`.
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// True when later reservations may overlap this one
    /// (`reserve_early_overlap_ok`, c4ba1320b70).
    pub const fn overlap_ok(&self) -> bool {
        self.overlap_ok
    }

    /// True when the entry shares a byte with `[start, end)`; for an empty
    /// `[x, x)` that is when `x` lies strictly inside the entry. This is
    /// `find_overlapped_early`'s test, `end > r->start && start < r->end`.
    pub(super) const fn overlaps(&self, start: PhysAddr, end: PhysAddr) -> bool {
        end > self.start && start < self.end
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{:#x}, {:#x}) {:?}{}",
            self.start,
            self.end,
            self.name,
            if self.overlap_ok { " overlap_ok" } else { "" }
        )
    }
}

/// Why a native table call did not happen. Each is a kernel `panic()` (or
/// a `WARN`) turned into a value; the call that returns it has changed
/// nothing, not even the table's size or place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResError {
    /// `panic("Overlapping early reservations %llx-%llx %s to %llx-%llx
    /// %s")`: `[start, end)` overlaps `with`, an entry not marked
    /// overlap_ok.
    Overlapping {
        /// Start of the refused reservation.
        start: PhysAddr,
        /// End of the refused reservation.
        end: PhysAddr,
        /// The first entry (in table order) it collides with.
        with: Entry,
    },
    /// `panic("Too many early reservations")`: every slot is used. Since
    /// 28b1c57d3c1 only `reserve_early_overlap_ok`, which does not double
    /// the table, can meet it.
    TooMany,
    /// `panic("can not find more space for early_res array")`: the table
    /// had to double and no free RAM could hold the new one.
    NoSpaceForTable,
    /// `panic("free_early on not reserved area: %llx-%llx!")`: no entry
    /// is exactly `[start, end)`.
    NotReserved {
        /// Start of the refused free.
        start: PhysAddr,
        /// End of the refused free.
        end: PhysAddr,
    },
    /// `WARN_ONCE(start > end, "wrong range")` in `free_early_partial`
    /// (eed63519e3e "x86: Do not free zero sized per cpu areas",
    /// v2.6.34-rc3), which then returns having done nothing.
    WrongRange {
        /// The given start.
        start: PhysAddr,
        /// The given end, below `start`.
        end: PhysAddr,
    },
    /// Not in 2.6.34: a free touched the bytes of the doubled table itself.
    /// The kernel would drop the table's own entry and later hand its
    /// memory out while it is in use; here the free is refused.
    TableInUse,
}

impl fmt::Display for ResError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResError::Overlapping { start, end, with } => write!(
                f,
                "Overlapping early reservations [{start:#x}, {end:#x}) to {with:?}"
            ),
            ResError::TooMany => f.write_str("Too many early reservations"),
            ResError::NoSpaceForTable => f.write_str("can not find more space for early_res array"),
            ResError::NotReserved { start, end } => {
                write!(f, "free_early on not reserved area: [{start:#x}, {end:#x})")
            }
            ResError::WrongRange { start, end } => {
                write!(f, "wrong range [{start:#x}, {end:#x})")
            }
            ResError::TableInUse => f.write_str("free of the early_res table itself"),
        }
    }
}

impl std::error::Error for ResError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cut_to_fourteen_bytes_at_a_character_boundary() {
        assert_eq!(Name::new("BIOS data page").as_str(), "BIOS data page");
        assert_eq!(Name::new("EBDA paranoia area").as_str(), "EBDA paranoia ");
        assert_eq!(Name::new("ééééééé€").as_str(), "ééééééé");
        assert_eq!(Name::new("").as_str(), "");
    }
}
