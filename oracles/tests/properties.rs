//! Properties of the decoder and the text format, exercised by `arbtest`
//! under plain `cargo test` (no fuzzer needed).

use arbitrary::Unstructured;
use oracles::{decode, text, DecodeBounds, Op, Scenario};

/// Any bytes decode, without panicking, into a scenario within the bounds:
/// a valid map, at most 128 ops, `release_all` only last.
#[test]
fn decode_never_panics_and_stays_in_bounds() {
    let bounds = DecodeBounds::default();
    arbtest::arbtest(|u: &mut Unstructured| {
        let len = u.arbitrary_len::<u8>()?;
        let data = u.bytes(len)?;
        let s = decode(data);
        assert!(!s.map.ranges().is_empty());
        assert!(s.ops.len() <= bounds.max_ops);
        assert!(s.map.total_bytes() <= u128::from(bounds.max_ram));
        assert!(s.map.span().len() <= bounds.max_span);
        assert!(s.map.nodes().len() <= bounds.max_nodes as usize);
        let releases = s.ops.iter().filter(|op| **op == Op::ReleaseAll).count();
        assert!(releases <= 1);
        if releases == 1 {
            assert_eq!(s.ops.last(), Some(&Op::ReleaseAll));
        }
        Ok(())
    })
    .budget_ms(3_000);
}

/// The same bytes always decode to the same scenario.
#[test]
fn decode_is_deterministic() {
    arbtest::arbtest(|u: &mut Unstructured| {
        let len = u.arbitrary_len::<u8>()?;
        let data = u.bytes(len)?;
        assert_eq!(decode(data), decode(data));
        Ok(())
    })
    .budget_ms(1_000);
}

/// Printing then parsing gives the same scenario, and printing again gives
/// the same text (SPEC section 8).
#[test]
fn text_round_trips_every_decoded_scenario() {
    arbtest::arbtest(|u: &mut Unstructured| {
        let s: Scenario = u.arbitrary()?;
        let printed = text::print(&s);
        let parsed = match text::parse(&printed) {
            Ok(p) => p,
            Err(e) => panic!("printed scenario does not parse: {e}\n{printed}"),
        };
        assert_eq!(parsed, s);
        assert_eq!(text::print(&parsed), printed);
        Ok(())
    })
    .budget_ms(3_000);
}

/// Decoding reaches the edges SPEC section 2 asks for: interleaved nodes,
/// maps near 2^64, sizes near 2^64, zero and non-power-of-two alignments,
/// exclusive reserves, node variants and the hand-off.
#[test]
fn decode_reaches_the_edges() {
    let mut seen = [false; 8];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..20_000 {
        let data: Vec<u8> = (0..512)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let s = decode(&data);
        let nids: Vec<u32> = s.map.ranges().iter().map(|r| r.nid).collect();
        seen[0] |= nids.windows(3).any(|w| w[0] == w[2] && w[0] != w[1]);
        seen[1] |= s.map.span().end() > u64::MAX - (1 << 32);
        for op in &s.ops {
            match op {
                Op::Alloc(r) => {
                    seen[2] |= r.size > u64::MAX / 2;
                    seen[3] |= r.align == 0;
                    seen[4] |= r.align != 0 && !r.align.is_power_of_two();
                }
                Op::Reserve { mode, .. } => seen[5] |= *mode == bootmem::ReserveMode::Exclusive,
                Op::FreeNode { .. } | Op::ReserveNode { .. } => seen[6] = true,
                Op::ReleaseAll => seen[7] = true,
                _ => {}
            }
        }
    }
    assert_eq!(seen, [true; 8]);
}

/// Every decoded scenario encodes to bytes that decode back to it: the
/// decoder has a literal path for every value (`oracles::encode`).
#[test]
fn encode_inverts_decode() {
    arbtest::arbtest(|u: &mut Unstructured| {
        let s: Scenario = u.arbitrary()?;
        let bytes = match oracles::encode(&s) {
            Ok(b) => b,
            Err(e) => panic!("{e}\n{}", text::print(&s)),
        };
        assert_eq!(decode(&bytes), s, "{}", text::print(&s));
        Ok(())
    })
    .budget_ms(3_000);
}

/// Hand-written scenarios within the bounds encode too, and out-of-bound
/// ones are refused with a reason.
#[test]
fn hand_written_scenarios_encode_or_say_why() {
    let within = "
ram start=0x0 end=0x20_0000 nid=5
ram start=0x20_0000 end=0x40_0000 nid=63
reserve_node nid=63 base=0x20_0000 size=0x1000 mode=exclusive
alloc size=0x1 align=0x1_0000_0000 goal=0xffff_ffff_ffff_ffff limit=0x3 nid=5 policy=exact fail=panic
free_alloc index=255 part=middle
release_all
";
    let s = match text::parse(within) {
        Ok(s) => s,
        Err(e) => panic!("{e}"),
    };
    let bytes = oracles::encode(&s).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(decode(&bytes), s);

    let huge = "ram start=0x0 end=0x1_0000_0000_0000 nid=0\n";
    let s = text::parse(huge).unwrap_or_else(|e| panic!("{e}"));
    let err = oracles::encode(&s).err().map(|e| e.to_string());
    assert!(err.is_some_and(|e| e.contains("bytes of RAM")));
}
