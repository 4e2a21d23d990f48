//! The page bitmap shared by the bitmap allocators (rootmem, classic bootmem,
//! bootmem2).
//!
//! One bit per page, as in `mm/bootmem.c` (reference section 1.1): a **set**
//! bit means taken (reserved, allocated, a hole, or the bitmap itself), a
//! **clear** bit means free. Bits are stored in `u64` words, bit `i` in word
//! `i / 64` at position `i % 64`, and every operation works a word at a time.
//!
//! # Index contract
//!
//! Bit indices are `u64` (they are PFN offsets). A bitmap has bits
//! `0..len()`; bits at or past `len()` do not exist. Every range argument is
//! half-open, `[lo, hi)`, and is **clamped** to the bitmap before use:
//! `hi` is lowered to `len()` and `lo` to `hi`, so `lo > hi` is the empty
//! range. No method ever panics on an index, and none ever reads or writes a
//! bit that does not exist:
//!
//! - updates (`set_range`, `clear_range`) change only existing bits;
//! - queries answer about the clamped range only: `any_set` of an empty range
//!   is `false`, `all_set` of an empty range is `true` (vacuously),
//!   `count_clear` counts existing bits only, and the `find_*` methods and
//!   [`ClearRuns`] only ever yield indices below `len()`;
//! - `test(i)` for `i >= len()` is `false`, the same answer as
//!   `any_set(i, i + 1)`.
//!
//! A caller that must not confuse "outside the map" with "free" checks its
//! range against `len()` (or its own memory map) before asking the bitmap.

/// Bits per storage word.
const WORD_BITS: u64 = u64::BITS as u64;

/// A fixed-length bitmap over bits `0..len`, set = taken, clear = free.
///
/// Invariant: the bits of the last word at or past `len` are always clear, so
/// whole-word operations never see phantom bits.
#[derive(Clone, PartialEq, Eq)]
pub struct Bitmap {
    words: Vec<u64>,
    len: u64,
}

impl Bitmap {
    /// A bitmap of `len` bits, all set when `all_set` (bootmem's
    /// initialisation: everything taken until freed) or all clear otherwise.
    ///
    /// Panics only when the host cannot allocate `ceil(len / 64)` words, as
    /// `Vec` does; use [`Bitmap::try_new`] when `len` comes from input.
    pub fn new(len: u64, all_set: bool) -> Bitmap {
        match Bitmap::try_new(len, all_set) {
            Some(map) => map,
            None => panic!("bitmap of {len} bits does not fit in host memory"),
        }
    }

    /// As [`Bitmap::new`], but `None` instead of a panic or an abort when the
    /// `ceil(len / 64)` words cannot be allocated on the host.
    pub fn try_new(len: u64, all_set: bool) -> Option<Bitmap> {
        let nwords = usize::try_from(len.div_ceil(WORD_BITS)).ok()?;
        let mut words = Vec::new();
        words.try_reserve_exact(nwords).ok()?;
        words.resize(nwords, if all_set { u64::MAX } else { 0 });
        let mut map = Bitmap { words, len };
        map.clear_tail();
        Some(map)
    }

    /// Number of bits in the bitmap.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True when the bitmap has no bit at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether bit `i` is set (taken). `false` for `i >= len()`.
    pub fn test(&self, i: u64) -> bool {
        self.any_set(i, i.saturating_add(1))
    }

    /// Sets (takes) every bit of `[lo, hi)`, clamped to the bitmap.
    pub fn set_range(&mut self, lo: u64, hi: u64) {
        for (w, mask) in self.masks(lo, hi) {
            self.words[w] |= mask;
        }
    }

    /// Clears (frees) every bit of `[lo, hi)`, clamped to the bitmap.
    pub fn clear_range(&mut self, lo: u64, hi: u64) {
        for (w, mask) in self.masks(lo, hi) {
            self.words[w] &= !mask;
        }
    }

    /// True when at least one bit of `[lo, hi)`, clamped, is set.
    /// `false` for an empty range.
    pub fn any_set(&self, lo: u64, hi: u64) -> bool {
        self.masks(lo, hi)
            .any(|(w, mask)| self.words[w] & mask != 0)
    }

    /// True when every bit of `[lo, hi)`, clamped, is set.
    /// `true` (vacuously) for an empty range.
    pub fn all_set(&self, lo: u64, hi: u64) -> bool {
        self.masks(lo, hi)
            .all(|(w, mask)| self.words[w] & mask == mask)
    }

    /// Number of clear (free) bits in `[lo, hi)`, clamped.
    pub fn count_clear(&self, lo: u64, hi: u64) -> u64 {
        self.masks(lo, hi)
            .map(|(w, mask)| u64::from((!self.words[w] & mask).count_ones()))
            .sum()
    }

    /// The lowest clear bit in `[from, to)`, clamped, or `None` when every
    /// bit there is set (or the range is empty).
    pub fn find_next_clear(&self, from: u64, to: u64) -> Option<u64> {
        self.find_first(from, to, |word| !word)
    }

    /// The lowest set bit in `[from, to)`, clamped, or `None` when every bit
    /// there is clear (or the range is empty).
    pub fn find_next_set(&self, from: u64, to: u64) -> Option<u64> {
        self.find_first(from, to, |word| word)
    }

    /// The maximal runs of clear bits inside `[lo, hi)`, clamped, in
    /// ascending order, each as a half-open `(start, end)` pair. A run that
    /// continues past the clamped range is cut at its edge.
    pub fn clear_runs(&self, lo: u64, hi: u64) -> ClearRuns<'_> {
        let hi = hi.min(self.len);
        ClearRuns {
            map: self,
            pos: lo.min(hi),
            hi,
        }
    }

    /// The lowest bit of `[from, to)` (clamped) whose bit in `pick(word)` is
    /// set: `pick` selects set bits (identity) or clear bits (negation).
    ///
    /// A tight word loop: this is the hot path of every scan (the oracle
    /// reads the whole free map after each failed call).
    fn find_first(&self, from: u64, to: u64, pick: impl Fn(u64) -> u64) -> Option<u64> {
        let hi = to.min(self.len);
        let lo = from.min(hi);
        if lo >= hi {
            return None;
        }
        // Word indices fit in usize: `try_new` allocated that many words.
        let (first, last) = ((lo / WORD_BITS) as usize, ((hi - 1) / WORD_BITS) as usize);
        let words = self.words.get(first..=last)?;
        let head_mask = !bits_below(lo % WORD_BITS);
        for (i, &word) in words.iter().enumerate() {
            let mut hits = pick(word);
            if i == 0 {
                hits &= head_mask;
            }
            if hits != 0 {
                let bit = (first + i) as u64 * WORD_BITS + u64::from(hits.trailing_zeros());
                return (bit < hi).then_some(bit);
            }
        }
        None
    }

    /// The words touched by `[lo, hi)` clamped to the bitmap, each with the
    /// mask of the range's bits inside it.
    fn masks(&self, lo: u64, hi: u64) -> WordMasks {
        let hi = hi.min(self.len);
        let lo = lo.min(hi);
        WordMasks {
            word: lo / WORD_BITS,
            lo,
            hi,
        }
    }

    /// Restores the invariant that bits at or past `len` are clear.
    fn clear_tail(&mut self) {
        let used = self.len % WORD_BITS;
        if let (Some(last), true) = (self.words.last_mut(), used != 0) {
            *last &= bits_below(used);
        }
    }
}

impl std::fmt::Debug for Bitmap {
    /// Prints the length and the clear runs, which is what a reader of a
    /// failing test wants to see (a million-bit word dump is not).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bitmap")
            .field("len", &self.len)
            .field(
                "clear_runs",
                &self.clear_runs(0, self.len).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Iterator over the maximal clear runs of a bitmap range, made by
/// [`Bitmap::clear_runs`]. Yields `(start, end)` half-open pairs, ascending,
/// non-empty, and separated by at least one set bit.
#[derive(Clone, Debug)]
pub struct ClearRuns<'a> {
    map: &'a Bitmap,
    pos: u64,
    hi: u64,
}

impl Iterator for ClearRuns<'_> {
    type Item = (u64, u64);

    fn next(&mut self) -> Option<(u64, u64)> {
        let start = self.map.find_next_clear(self.pos, self.hi)?;
        let end = self.map.find_next_set(start, self.hi).unwrap_or(self.hi);
        self.pos = end;
        Some((start, end))
    }
}

/// Iterator over `(word index, mask)` for a range already clamped to the
/// bitmap (`lo <= hi <= len`), so every word index is in bounds.
struct WordMasks {
    word: u64,
    lo: u64,
    hi: u64,
}

impl Iterator for WordMasks {
    type Item = (usize, u64);

    fn next(&mut self) -> Option<(usize, u64)> {
        let first_bit = self.word.checked_mul(WORD_BITS)?;
        if first_bit >= self.hi || self.lo >= self.hi {
            return None;
        }
        let from = self.lo.max(first_bit) - first_bit;
        let to = (self.hi - first_bit).min(WORD_BITS);
        let mask = bits_below(to) & !bits_below(from);
        // The word index fits in usize: `try_new` allocated that many words.
        let index = self.word as usize;
        self.word += 1;
        Some((index, mask))
    }
}

/// A word with bits `0..n` set, for `n <= 64`.
fn bits_below(n: u64) -> u64 {
    if n >= WORD_BITS {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference answers computed one bit at a time.
    fn naive_clear(map: &Bitmap, lo: u64, hi: u64) -> Vec<u64> {
        (lo..hi.min(map.len())).filter(|&i| !map.test(i)).collect()
    }

    fn naive_set(map: &Bitmap, lo: u64, hi: u64) -> Vec<u64> {
        (lo..hi.min(map.len())).filter(|&i| map.test(i)).collect()
    }

    /// A small xorshift generator, so the randomised test needs no crate.
    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn a_new_bitmap_is_all_set_or_all_clear_and_has_no_phantom_bits() {
        let set = Bitmap::new(70, true);
        assert_eq!(set.len(), 70);
        assert!(set.all_set(0, 70));
        assert_eq!(set.count_clear(0, 70), 0);
        assert_eq!(set.words[1], bits_below(6), "bits past len stay clear");
        let clear = Bitmap::new(70, false);
        assert_eq!(clear.count_clear(0, 70), 70);
        assert!(!clear.any_set(0, 70));
        assert!(Bitmap::new(0, true).is_empty());
    }

    #[test]
    fn set_and_clear_ranges_change_exactly_their_bits_across_word_edges() {
        let mut map = Bitmap::new(200, false);
        map.set_range(60, 130);
        assert_eq!(naive_set(&map, 0, 200), (60..130).collect::<Vec<_>>());
        map.clear_range(63, 65);
        assert!(!map.test(63) && !map.test(64));
        assert!(map.test(62) && map.test(65));
        assert_eq!(map.count_clear(0, 200), 200 - 70 + 2);
    }

    #[test]
    fn any_and_all_set_answer_for_the_range_only() {
        let mut map = Bitmap::new(128, false);
        map.set_range(64, 128);
        assert!(map.all_set(64, 128));
        assert!(!map.all_set(63, 128));
        assert!(map.any_set(63, 65));
        assert!(!map.any_set(0, 64));
    }

    #[test]
    fn find_next_skips_whole_words_and_stops_at_the_range_end() {
        let mut map = Bitmap::new(1000, true);
        map.clear_range(777, 778);
        assert_eq!(map.find_next_clear(0, 1000), Some(777));
        assert_eq!(map.find_next_clear(0, 777), None);
        assert_eq!(map.find_next_clear(778, 1000), None);
        assert_eq!(map.find_next_set(777, 1000), Some(778));
        assert_eq!(map.find_next_set(777, 778), None);
    }

    #[test]
    fn clear_runs_are_maximal_and_cut_at_the_range_edges() {
        let mut map = Bitmap::new(300, true);
        map.clear_range(10, 20);
        map.clear_range(63, 129);
        map.clear_range(250, 300);
        let runs: Vec<_> = map.clear_runs(0, 300).collect();
        assert_eq!(runs, vec![(10, 20), (63, 129), (250, 300)]);
        let cut: Vec<_> = map.clear_runs(15, 100).collect();
        assert_eq!(cut, vec![(15, 20), (63, 100)]);
        assert_eq!(map.clear_runs(20, 63).count(), 0);
    }

    #[test]
    fn out_of_range_indices_are_clamped_never_a_panic() {
        let mut map = Bitmap::new(100, false);
        map.set_range(90, u64::MAX);
        assert!(map.all_set(90, 100));
        assert_eq!(map.words[1], bits_below(36) & !bits_below(26));
        assert!(!map.test(100));
        assert!(!map.test(u64::MAX));
        assert!(!map.any_set(100, u64::MAX));
        assert!(map.all_set(100, u64::MAX), "empty range: vacuously all set");
        assert_eq!(map.count_clear(0, u64::MAX), 90);
        assert_eq!(map.find_next_clear(95, u64::MAX), None);
        assert_eq!(map.find_next_set(u64::MAX, 5), None);
        map.clear_range(u64::MAX - 1, u64::MAX);
        map.clear_range(50, 10);
        assert!(map.all_set(90, 100));
        assert_eq!(map.clear_runs(u64::MAX, u64::MAX).count(), 0);
    }

    #[test]
    fn an_unallocatable_bitmap_is_refused_not_aborted() {
        assert!(Bitmap::try_new(u64::MAX, true).is_none());
    }

    #[test]
    fn word_at_a_time_answers_match_bit_at_a_time_answers() {
        let mut seed = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..300 {
            let len = xorshift(&mut seed) % 400;
            let mut map = Bitmap::new(len, xorshift(&mut seed) % 2 == 0);
            for _ in 0..8 {
                let lo = xorshift(&mut seed) % (len + 10);
                let hi = xorshift(&mut seed) % (len + 10);
                if xorshift(&mut seed) % 2 == 0 {
                    map.set_range(lo, hi);
                } else {
                    map.clear_range(lo, hi);
                }
            }
            let lo = xorshift(&mut seed) % (len + 10);
            let hi = xorshift(&mut seed) % (len + 10);
            let clear = naive_clear(&map, lo, hi);
            let set = naive_set(&map, lo, hi);
            assert_eq!(map.count_clear(lo, hi), clear.len() as u64);
            assert_eq!(map.find_next_clear(lo, hi), clear.first().copied());
            assert_eq!(map.find_next_set(lo, hi), set.first().copied());
            assert_eq!(map.any_set(lo, hi), !set.is_empty());
            assert_eq!(map.all_set(lo, hi), clear.is_empty());
            let runs: u64 = map.clear_runs(lo, hi).map(|(s, e)| e - s).sum();
            assert_eq!(runs, clear.len() as u64);
        }
    }
}
