//! Random scenarios for the page-at-a-time model checks: a small xorshift
//! generator (no crate needed), random maps, calls and requests.

use super::model::{PageModel, N};
use super::{r, req, P};
use crate::{AllocRequest, BootMem, Nid, NodePolicy, OnFail, Outcome, Range, ReserveMode};

/// A xorshift64 generator; the same seed gives the same scenarios.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    /// The next raw value.
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A value in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// An address near a page boundary of the model's space, or wild.
    pub(crate) fn addr(&mut self) -> u64 {
        match self.below(8) {
            0 => u64::MAX - self.below(3 * P),
            1 => self.next(),
            _ => (self.below(N + 2) * P)
                .wrapping_add(self.below(3))
                .wrapping_sub(1),
        }
    }

    /// A size: 0, huge, sub-page, or up to `most_pages` pages give or take
    /// a byte or two.
    pub(crate) fn size(&mut self, most_pages: u64) -> u64 {
        match self.below(8) {
            0 => 0,
            1 => u64::MAX - self.below(3),
            2 => self.below(3 * P),
            _ => self.below(most_pages) * P + self.below(3),
        }
    }

    /// The target of a random reserve or free: a node or none, then an
    /// address and a size of up to `most_pages` pages.
    pub(crate) fn target(&mut self, most_pages: u64) -> Target {
        let nid = [None, Some(0), Some(1), Some(2)][self.below(4) as usize];
        let (base, size) = (self.addr(), self.size(most_pages));
        Target { nid, base, size }
    }

    /// A random small map of `shape`: ranges in order, often touching,
    /// edges often off page boundaries, nodes 0..3, inside the model's
    /// pages.
    pub(crate) fn map(&mut self, shape: MapShape) -> Vec<(Range, Nid)> {
        let mut map = Vec::new();
        let mut at = self.below(3) * P + self.below(2) * 0x800;
        for _ in 0..1 + self.below(shape.ranges) {
            let len = (1 + self.below(shape.pages)) * P + self.below(2) * 0x800;
            let one_page = shape.one_page_at_zero && at == 0 && self.below(4) == 0;
            let len = if one_page { P } else { len };
            let end = at + len;
            if end > N * P {
                break;
            }
            map.push((r(at, end), self.below(3) as Nid));
            at = end + self.below(3) * P * self.below(2);
        }
        map
    }

    /// A random request: any size (sometimes a few thirds of a page), any
    /// alignment (invalid ones included), goals and limits near page
    /// boundaries or wild, a node (70: one without RAM) or none, either
    /// policy, either failure.
    pub(crate) fn request(&mut self, most_pages: u64) -> AllocRequest {
        let mut q = req(
            self.size(most_pages),
            [0, 1, 3, 64, P, 2 * P, 4 * P, 1 << 63][self.below(8) as usize],
        );
        if self.below(8) == 0 {
            q.size = 1 + self.below(20) * P / 3;
        }
        q.goal = [0, 0, self.addr(), self.below(N) * P][self.below(4) as usize];
        q.limit = [0, 0, self.addr(), self.below(N) * P + self.below(2)][self.below(4) as usize];
        self.node_and_failure(q)
    }

    /// `q` with a random node (70: one without RAM) or none, policy and
    /// failure.
    pub(crate) fn node_and_failure(&mut self, mut q: AllocRequest) -> AllocRequest {
        q.nid = [None, Some(0), Some(1), Some(2), Some(70)][self.below(5) as usize];
        q.policy = if self.below(3) == 0 {
            NodePolicy::Exact
        } else {
            NodePolicy::Prefer
        };
        q.on_fail = if self.below(2) == 0 {
            OnFail::Null
        } else {
            OnFail::Panic
        };
        q
    }
}

/// The shape of [`Rng::map`]'s maps.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MapShape {
    /// At most this many ranges.
    pub(crate) ranges: u64,
    /// Each of at most this many pages (plus half a page, sometimes).
    pub(crate) pages: u64,
    /// Sometimes a one-page range at page 0, which holds no bitmap.
    pub(crate) one_page_at_zero: bool,
}

/// The target of a random reserve or free.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target {
    /// The node of a `_node` call, or `None` for the plain call.
    pub(crate) nid: Option<Nid>,
    /// Start of the range.
    pub(crate) base: u64,
    /// Bytes in the range.
    pub(crate) size: u64,
}

impl Target {
    /// Draws a mode, then reserves the target in `backend` and in `model`;
    /// returns both outcomes, the backend's first.
    pub(crate) fn reserve(
        self,
        rng: &mut Rng,
        backend: &mut dyn BootMem,
        model: &mut impl PageModel,
    ) -> (Outcome<()>, Outcome<()>) {
        let Target { nid, base, size } = self;
        let excl = rng.below(2) == 0;
        let mode = if excl {
            ReserveMode::Exclusive
        } else {
            ReserveMode::Default
        };
        let got = match nid {
            None => backend.reserve(base, size, mode),
            Some(n) => backend.reserve_node(n, base, size, mode),
        };
        (got, model.reserve(nid, base, size, excl))
    }

    /// Frees the target in `backend` and in `model`; returns both
    /// outcomes, the backend's first.
    pub(crate) fn free(
        self,
        backend: &mut dyn BootMem,
        model: &mut impl PageModel,
    ) -> (Outcome<()>, Outcome<()>) {
        let Target { nid, base, size } = self;
        let got = match nid {
            None => backend.free(base, size),
            Some(n) => backend.free_node(n, base, size),
        };
        (got, model.free(nid, base, size))
    }
}
