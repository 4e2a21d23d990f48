//! Simpler numbers: the candidates a value is shrunk toward, simplest
//! first. A number is simpler than another when it has fewer set bits:
//! `0x1000` is simpler than `0xfff`, and `0x2000` than `0x2a40`. Among
//! sizes with as many bits the smaller is simpler; among addresses, a page
//! boundary comes first (`0x1000` before `0x1`): round edges are what a
//! person reads at once in a `.scn` file.

use bootmem::PAGE_SIZE;

/// What a number is, which decides what "simpler" means for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Number {
    /// An address (a base, a goal, a limit, a RAM bound).
    Address,
    /// A size or a count.
    Size,
}

/// How complicated `v` is as a `number`: set bits first, then (addresses)
/// whether it is off a page boundary, then size.
pub fn cost(v: u64, number: Number) -> (u32, bool, u64) {
    let off_page = number == Number::Address && v % PAGE_SIZE != 0;
    (v.count_ones(), off_page, v)
}

/// Values strictly simpler than `v` as a `number` ([`cost`]), simplest
/// first: zero, then `v` cut to its top set bits (one, two, ...), each
/// with its round-up neighbour, then `v` halved. Each appears once.
pub fn simpler(v: u64, number: Number) -> Vec<u64> {
    let mut out = vec![0];
    let mut kept = 0u64;
    for bit in (0..64).rev() {
        let unit = 1u64 << bit;
        if v & unit == 0 {
            continue;
        }
        kept |= unit;
        if kept == v {
            break;
        }
        // `kept` ends in `unit`: the next multiple of `unit` above `v`.
        out.push(kept);
        if let Some(up) = kept.checked_add(unit) {
            out.push(up);
        }
    }
    out.push(v / 2);
    let mut seen = Vec::with_capacity(out.len());
    for c in out {
        if cost(c, number) < cost(v, number) && !seen.contains(&c) {
            seen.push(c);
        }
    }
    seen
}

/// Powers of two below `align`, smallest first: simpler alignments.
pub fn smaller_alignments(align: u64) -> Vec<u64> {
    (0..64)
        .map(|bit| 1u64 << bit)
        .take_while(|&a| a < align)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_strictly_simpler_and_simplest_first() {
        let values = [
            0x2a40u64,
            0xfff,
            0x1_0000_0001,
            u64::MAX,
            0x8000_0000_0000_0001,
        ];
        for number in [Number::Address, Number::Size] {
            for v in values {
                let c = simpler(v, number);
                assert_eq!(c.first(), Some(&0), "{v:#x}");
                let simpler_than_v = |&x: &u64| cost(x, number) < cost(v, number);
                assert!(c.iter().all(simpler_than_v), "{v:#x}: {c:x?}");
            }
            assert_eq!(simpler(0, number), Vec::<u64>::new());
        }
    }

    #[test]
    fn round_edges_come_before_ragged_ones() {
        // 0x2a40 = 0b10_1010_0100_0000: cut to 0x2000, up to 0x4000, ...
        let sizes = simpler(0x2a40, Number::Size);
        assert_eq!(&sizes[..5], &[0, 0x2000, 0x4000, 0x2800, 0x3000]);
        // 0xfff cuts to 0x800, 0xc00, ... and rounds up to 0x1000 (one bit).
        assert!(simpler(0xfff, Number::Size).contains(&0x1000));
    }

    #[test]
    fn a_page_boundary_is_the_simpler_address_and_the_bigger_size() {
        assert!(cost(0x1000, Number::Address) < cost(0x1, Number::Address));
        assert!(cost(0x1, Number::Size) < cost(0x1000, Number::Size));
        assert_eq!(simpler(0x1000, Number::Address), vec![0]);
        assert_eq!(simpler(0x1000, Number::Size), vec![0, 0x800]);
    }

    #[test]
    fn a_value_near_the_top_does_not_wrap() {
        let c = simpler(u64::MAX, Number::Address);
        assert!(c.contains(&0x8000_0000_0000_0000));
        assert!(c.iter().all(|&x| x != u64::MAX));
    }

    #[test]
    fn alignments_shrink_through_powers_of_two() {
        assert_eq!(smaller_alignments(8), vec![1, 2, 4]);
        assert!(smaller_alignments(1).is_empty());
    }
}
