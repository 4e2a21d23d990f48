//! How an allocation request is searched for: the stage order of SPEC
//! section 4, and the page shape a page-granular backend looks for.

use crate::range::pfn_up;
use crate::{AllocRequest, Nid, NodePolicy, Outcome, Pfn, PhysAddr, PAGE_SHIFT, PAGE_SIZE};

/// One placement stage of SPEC section 4: where to look, and from where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stage {
    /// `Some(n)`: only on node `n`; `None`: on any node.
    pub(crate) nid: Option<Nid>,
    /// The lowest start allowed, as the request's goal (0 = none); how it
    /// rounds, and that page 0 is never handed out, is the backend's.
    pub(crate) goal: PhysAddr,
}

impl Stage {
    /// The stages that apply to `req`, in order: on the node from the goal,
    /// any node from the goal, on the node from anywhere, any node from
    /// anywhere. No node skips the on-node stages; policy `Exact` with a
    /// node skips the any-node stages (`Exact` without a node has no node
    /// to be exact about and acts as `Prefer`, as memblock's `exact_nid`
    /// does with `NUMA_NO_NODE`); a zero goal drops the repeated stages 3
    /// and 4.
    pub(crate) fn plan(req: &AllocRequest) -> Vec<Stage> {
        let any_node = !(req.nid.is_some() && req.policy == NodePolicy::Exact);
        let mut goals = vec![req.goal];
        if req.goal != 0 {
            goals.push(0);
        }
        let mut out = Vec::with_capacity(4);
        for goal in goals {
            if let Some(nid) = req.nid {
                out.push(Stage {
                    nid: Some(nid),
                    goal,
                });
            }
            if any_node {
                out.push(Stage { nid: None, goal });
            }
        }
        out
    }

    /// The lowest start PFN the stage allows a page-granular backend:
    /// `PFN_UP(goal)`, and never page 0 (SPEC section 4, `a >= PAGE_SIZE`).
    /// `None` for a goal past the last page start: the stage is not skipped,
    /// it simply has no placement.
    pub(crate) fn first_pfn(self) -> Option<Pfn> {
        Some(pfn_up(self.goal)?.max(1))
    }
}

/// What an allocation needs from a page bitmap, in pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fit {
    /// Pages touched: `[a, page_up(a + size))` for a page-aligned `a`.
    pub(crate) pages: u64,
    /// Start alignment in PFNs: `max(align, PAGE_SIZE) / PAGE_SIZE`.
    pub(crate) step: u64,
    /// Exclusive bound on the end PFN that keeps `a + size <= limit`
    /// (`u64::MAX` without a limit).
    pub(crate) end_cap: Pfn,
}

impl Fit {
    /// The page shape of `req`: `Invalid` for the arguments every backend
    /// refuses ([`AllocRequest::validate`]), and the request's failure when
    /// its limit is below its size, so that nothing can ever be feasible.
    pub(crate) fn of(req: &AllocRequest) -> Outcome<Fit> {
        req.validate()?;
        let pages = req.size.div_ceil(PAGE_SIZE);
        let step = req.align.max(PAGE_SIZE) >> PAGE_SHIFT;
        let end_cap = if req.limit == 0 {
            u64::MAX
        } else {
            // a + size <= limit  <=>  a / PAGE_SIZE <= (limit - size) / PAGE_SIZE
            let last_start = req.limit.checked_sub(req.size).ok_or(req.failure())? >> PAGE_SHIFT;
            last_start.saturating_add(pages)
        };
        Ok(Fit {
            pages,
            step,
            end_cap,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{on, req, P};
    use crate::{Error, OnFail};

    #[test]
    fn the_stages_of_each_kind_of_request() {
        let stage = |nid, goal| Stage { nid, goal };
        let mut prefer = on(3, NodePolicy::Prefer, req(P, P));
        prefer.goal = 5 * P;
        let all = vec![
            stage(Some(3), 5 * P),
            stage(None, 5 * P),
            stage(Some(3), 0),
            stage(None, 0),
        ];
        assert_eq!(Stage::plan(&prefer), all);
        let exact = AllocRequest {
            policy: NodePolicy::Exact,
            ..prefer
        };
        assert_eq!(Stage::plan(&exact), vec![all[0], all[2]]);
        let no_node = AllocRequest { nid: None, ..exact };
        assert_eq!(Stage::plan(&no_node), vec![all[1], all[3]]);
        assert_eq!(Stage::plan(&req(P, P)), vec![stage(None, 0)]);
        assert_eq!(stage(None, 0).first_pfn(), Some(1), "never page 0");
        assert_eq!(stage(None, P + 1).first_pfn(), Some(2));
        assert_eq!(stage(None, u64::MAX).first_pfn(), None);
    }

    #[test]
    fn the_fit_bounds_the_end_by_the_limit() {
        let mut q = req(P + 100, 64);
        assert_eq!(
            Fit::of(&q),
            Ok(Fit {
                pages: 2,
                step: 1,
                end_cap: u64::MAX
            })
        );
        q.limit = 4 * P + 100;
        assert_eq!(Fit::of(&q).map(|f| f.end_cap), Ok(5));
        q.limit = P;
        assert_eq!(Fit::of(&q), Err(Error::NoMem), "limit below size");
        q.on_fail = OnFail::Panic;
        assert_eq!(Fit::of(&q), Err(Error::Panic));
        assert_eq!(Fit::of(&req(0, P)), Err(Error::Invalid));
        assert_eq!(Fit::of(&req(P, 3)), Err(Error::Invalid));
    }
}
