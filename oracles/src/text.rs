//! The `.scn` text format (SPEC section 8).
//!
//! One memory range or op per line, `verb key=value ...`; `#` starts a
//! comment that runs to the end of the line; blank lines are ignored:
//!
//! ```text
//! # bootfuzz scenario v1
//! ram start=0x1000 end=0x8000_0000 nid=0
//! ram start=0x1_0000_0000 end=0x1_8000_0000 nid=1
//! reserve base=0x1000 size=0x2000 mode=exclusive
//! reserve_node nid=1 base=0x1_0000_0000 size=0x1000 mode=default
//! free base=0x1000 size=0x2000
//! free_node nid=1 base=0x1_0000_0000 size=0x1000
//! alloc size=0x40 align=0x40 goal=0x0 limit=0x0 nid=any policy=prefer fail=null
//! free_alloc index=3 part=all
//! release_all
//! ```
//!
//! Every `ram` line comes before the first op, and together they form a
//! valid [`MemoryMap`]. Every key of a verb is required exactly once, in any
//! order. Numbers are hex with a `0x` prefix or decimal, with `_` separators
//! allowed. [`print`] writes keys in the order above, numbers in lowercase hex
//! grouped by four digits (node ids and indices in decimal), so that
//! `parse(print(s)) == s` and `print(parse(print(s))) == print(s)`.
//!
//! [`parse`] never panics: it is fed fuzzed text.

use crate::scenario::{MapError, MemoryMap, Op, Part, RamRange, Scenario};
use bootmem::{AllocRequest, Nid, NodePolicy, OnFail, Range, ReserveMode, MAX_NODES};
use std::fmt;

/// The comment line [`print`] writes first.
pub const HEADER: &str = "# bootfuzz scenario v1";

/// A parse error at a 1-based line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, in one line.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

fn error(line: usize, message: impl Into<String>) -> ParseError {
    ParseError {
        line,
        message: message.into(),
    }
}

// ---------------------------------------------------------------- printing

/// Prints a scenario: the [`HEADER`] line, the normalized RAM ranges, then
/// one line per op, each line ending in a newline.
pub fn print(s: &Scenario) -> String {
    let mut out = String::new();
    out.push_str(HEADER);
    out.push('\n');
    for r in s.map.ranges() {
        out.push_str(&print_ram(r));
        out.push('\n');
    }
    for op in &s.ops {
        out.push_str(&print_op(op));
        out.push('\n');
    }
    out
}

/// Prints one op as one `.scn` line, without a newline.
pub fn print_op(op: &Op) -> String {
    let verb = op.kind().name();
    match *op {
        Op::Reserve { base, size, mode } => format!(
            "{verb} base={} size={} mode={}",
            hex(base),
            hex(size),
            mode_name(mode)
        ),
        Op::ReserveNode {
            nid,
            base,
            size,
            mode,
        } => format!(
            "{verb} nid={nid} base={} size={} mode={}",
            hex(base),
            hex(size),
            mode_name(mode)
        ),
        Op::Free { base, size } => format!("{verb} base={} size={}", hex(base), hex(size)),
        Op::FreeNode { nid, base, size } => {
            format!("{verb} nid={nid} base={} size={}", hex(base), hex(size))
        }
        Op::Alloc(r) => format!(
            "{verb} size={} align={} goal={} limit={} nid={} policy={} fail={}",
            hex(r.size),
            hex(r.align),
            hex(r.goal),
            hex(r.limit),
            match r.nid {
                Some(nid) => nid.to_string(),
                None => "any".to_string(),
            },
            policy_name(r.policy),
            fail_name(r.on_fail)
        ),
        Op::FreeAlloc { index, part } => format!("{verb} index={index} part={}", part.name()),
        Op::ReleaseAll => verb.to_string(),
    }
}

fn print_ram(r: &RamRange) -> String {
    format!(
        "ram start={} end={} nid={}",
        hex(r.range.start()),
        hex(r.range.end()),
        r.nid
    )
}

/// `v` in lowercase hex with a `0x` prefix and a `_` every four digits from
/// the right: `0x0`, `0xfff`, `0x1_0000`.
fn hex(v: u64) -> String {
    let digits = format!("{v:x}");
    let count = digits.len();
    let mut out = String::with_capacity(2 + count + count / 4);
    out.push_str("0x");
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (count - i) % 4 == 0 {
            out.push('_');
        }
        out.push(c);
    }
    out
}

const MODES: &[(&str, ReserveMode)] = &[
    ("default", ReserveMode::Default),
    ("exclusive", ReserveMode::Exclusive),
];
const POLICIES: &[(&str, NodePolicy)] =
    &[("prefer", NodePolicy::Prefer), ("exact", NodePolicy::Exact)];
const FAILS: &[(&str, OnFail)] = &[("null", OnFail::Null), ("panic", OnFail::Panic)];
const PARTS: &[(&str, Part)] = &[
    ("all", Part::All),
    ("head", Part::Head),
    ("tail", Part::Tail),
    ("middle", Part::Middle),
];

fn mode_name(mode: ReserveMode) -> &'static str {
    match mode {
        ReserveMode::Default => "default",
        ReserveMode::Exclusive => "exclusive",
    }
}

fn policy_name(policy: NodePolicy) -> &'static str {
    match policy {
        NodePolicy::Prefer => "prefer",
        NodePolicy::Exact => "exact",
    }
}

fn fail_name(on_fail: OnFail) -> &'static str {
    match on_fail {
        OnFail::Null => "null",
        OnFail::Panic => "panic",
    }
}

// ----------------------------------------------------------------- parsing

/// Parses a scenario. The first error found is returned, with its 1-based
/// line: a syntax error on the line itself, a memory-map error (empty or
/// overlapping RAM ranges) on the line of the offending `ram` line, and "no
/// ram line" on the last line (line 1 for empty text).
pub fn parse(text: &str) -> Result<Scenario, ParseError> {
    // Each RAM range with the line it came from.
    let mut rams: Vec<(RamRange, usize)> = Vec::new();
    let mut ops: Vec<Op> = Vec::new();
    let mut first_op_line: Option<usize> = None;
    let mut last_line = 1;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        last_line = line;
        let content = raw.split_once('#').map_or(raw, |(before, _)| before);
        let tokens: Vec<&str> = content.split_whitespace().collect();
        let Some((&verb, args)) = tokens.split_first() else {
            continue;
        };
        if verb == "ram" {
            if let Some(op_line) = first_op_line {
                return Err(error(
                    line,
                    format!(
                        "ram: ram line after the first op (line {op_line}); ram lines come first"
                    ),
                ));
            }
            rams.push((parse_ram(args, line)?, line));
        } else {
            ops.push(parse_op_line(verb, args, line)?);
            first_op_line.get_or_insert(line);
        }
    }
    if rams.is_empty() {
        return Err(error(last_line, "no ram line"));
    }
    let ranges: Vec<RamRange> = rams.iter().map(|&(r, _)| r).collect();
    let line_of = |index: usize| rams.get(index).map_or(last_line, |&(_, line)| line);
    let map = MemoryMap::new(&ranges).map_err(|e| match e {
        MapError::Empty { index } => error(line_of(index), "ram: empty range (start == end)"),
        MapError::BadNode { index } => error(
            line_of(index),
            format!("ram: nid must be below {MAX_NODES}"),
        ),
        MapError::Overlap { first, second } => error(
            line_of(second),
            format!("ram: overlaps the ram range at line {}", line_of(first)),
        ),
        MapError::NoRam => error(last_line, "no ram line"),
    })?;
    Ok(Scenario { map, ops })
}

fn parse_ram(args: &[&str], line: usize) -> Result<RamRange, ParseError> {
    let [start, end, nid] = fields("ram", args, ["start", "end", "nid"], line)?;
    let start = u64_value("start", start, line)?;
    let end = u64_value("end", end, line)?;
    let nid = nid_value(nid, line)?;
    let range = Range::new(start, end).ok_or_else(|| {
        error(
            line,
            format!("ram: end {} is below start {}", hex(end), hex(start)),
        )
    })?;
    Ok(RamRange { range, nid })
}

fn parse_op_line(verb: &str, args: &[&str], line: usize) -> Result<Op, ParseError> {
    let op = match verb {
        "reserve" => {
            let [base, size, mode] = fields(verb, args, ["base", "size", "mode"], line)?;
            Op::Reserve {
                base: u64_value("base", base, line)?,
                size: u64_value("size", size, line)?,
                mode: enum_value("mode", mode, MODES, line)?,
            }
        }
        "reserve_node" => {
            let [nid, base, size, mode] =
                fields(verb, args, ["nid", "base", "size", "mode"], line)?;
            Op::ReserveNode {
                nid: nid_value(nid, line)?,
                base: u64_value("base", base, line)?,
                size: u64_value("size", size, line)?,
                mode: enum_value("mode", mode, MODES, line)?,
            }
        }
        "free" => {
            let [base, size] = fields(verb, args, ["base", "size"], line)?;
            Op::Free {
                base: u64_value("base", base, line)?,
                size: u64_value("size", size, line)?,
            }
        }
        "free_node" => {
            let [nid, base, size] = fields(verb, args, ["nid", "base", "size"], line)?;
            Op::FreeNode {
                nid: nid_value(nid, line)?,
                base: u64_value("base", base, line)?,
                size: u64_value("size", size, line)?,
            }
        }
        "alloc" => {
            let [size, align, goal, limit, nid, policy, fail] = fields(
                verb,
                args,
                ["size", "align", "goal", "limit", "nid", "policy", "fail"],
                line,
            )?;
            Op::Alloc(AllocRequest {
                size: u64_value("size", size, line)?,
                align: u64_value("align", align, line)?,
                goal: u64_value("goal", goal, line)?,
                limit: u64_value("limit", limit, line)?,
                nid: if nid == "any" {
                    None
                } else {
                    Some(nid_value(nid, line)?)
                },
                policy: enum_value("policy", policy, POLICIES, line)?,
                on_fail: enum_value("fail", fail, FAILS, line)?,
            })
        }
        "free_alloc" => {
            let [index, part] = fields(verb, args, ["index", "part"], line)?;
            Op::FreeAlloc {
                index: u32_value("index", index, line)?,
                part: enum_value("part", part, PARTS, line)?,
            }
        }
        "release_all" => {
            let [] = fields(verb, args, [], line)?;
            Op::ReleaseAll
        }
        _ => return Err(error(line, format!("unknown op '{}'", quoted(verb)))),
    };
    Ok(op)
}

/// Splits `args` into the values of `keys`, in the order of `keys`: every
/// token must be `key=value` with a known key, each key exactly once.
fn fields<'a, const N: usize>(
    verb: &str,
    args: &[&'a str],
    keys: [&'static str; N],
    line: usize,
) -> Result<[&'a str; N], ParseError> {
    let mut values: [Option<&'a str>; N] = [None; N];
    for &token in args {
        let Some((key, value)) = token.split_once('=') else {
            return Err(error(
                line,
                format!("{verb}: '{}' is not key=value", quoted(token)),
            ));
        };
        let Some(slot) = keys
            .iter()
            .position(|&k| k == key)
            .and_then(|i| values.get_mut(i))
        else {
            return Err(error(
                line,
                format!("{verb}: unknown key '{}'", quoted(key)),
            ));
        };
        if slot.is_some() {
            return Err(error(line, format!("{verb}: duplicate key '{key}'")));
        }
        *slot = Some(value);
    }
    let mut out: [&'a str; N] = [""; N];
    for ((out, value), key) in out.iter_mut().zip(values).zip(keys) {
        match value {
            Some(value) => *out = value,
            None => return Err(error(line, format!("{verb}: missing key '{key}'"))),
        }
    }
    Ok(out)
}

/// Why a string is not a number.
enum NumberError {
    /// Not a number at all.
    Malformed,
    /// A well-formed number that does not fit in 64 bits.
    Overflow,
}

/// Parses `0x` hex or decimal, `_` separators allowed anywhere after the
/// prefix (decimal must start with a digit). At least one digit is required.
fn parse_number(s: &str) -> Result<u64, NumberError> {
    let (digits, radix) = match s.strip_prefix("0x") {
        Some(rest) => (rest, 16),
        None if s.starts_with(|c: char| c.is_ascii_digit()) => (s, 10),
        None => return Err(NumberError::Malformed),
    };
    let mut value: u64 = 0;
    let mut seen_digit = false;
    let mut overflow = false;
    for c in digits.chars() {
        if c == '_' {
            continue;
        }
        let digit = c.to_digit(radix).ok_or(NumberError::Malformed)?;
        seen_digit = true;
        if !overflow {
            match value
                .checked_mul(u64::from(radix))
                .and_then(|v| v.checked_add(u64::from(digit)))
            {
                Some(v) => value = v,
                None => overflow = true,
            }
        }
    }
    match (seen_digit, overflow) {
        (false, _) => Err(NumberError::Malformed),
        (true, true) => Err(NumberError::Overflow),
        (true, false) => Ok(value),
    }
}

fn u64_value(key: &str, value: &str, line: usize) -> Result<u64, ParseError> {
    parse_number(value).map_err(|e| number_error(key, value, e, 64, line))
}

fn u32_value(key: &str, value: &str, line: usize) -> Result<u32, ParseError> {
    let wide = parse_number(value).map_err(|e| number_error(key, value, e, 32, line))?;
    u32::try_from(wide).map_err(|_| number_error(key, value, NumberError::Overflow, 32, line))
}

fn nid_value(value: &str, line: usize) -> Result<Nid, ParseError> {
    let nid = u32_value("nid", value, line)?;
    if nid >= MAX_NODES {
        return Err(error(
            line,
            format!("nid: {nid} is not a node id (must be below {MAX_NODES})"),
        ));
    }
    Ok(nid)
}

fn number_error(key: &str, value: &str, e: NumberError, bits: u32, line: usize) -> ParseError {
    let what = match e {
        NumberError::Malformed => "is not a number".to_string(),
        NumberError::Overflow => format!("does not fit in {bits} bits"),
    };
    error(line, format!("{key}: '{}' {what}", quoted(value)))
}

fn enum_value<T: Copy>(
    key: &str,
    value: &str,
    names: &[(&str, T)],
    line: usize,
) -> Result<T, ParseError> {
    match names.iter().find(|&&(name, _)| name == value) {
        Some(&(_, v)) => Ok(v),
        None => {
            let choices: Vec<&str> = names.iter().map(|&(name, _)| name).collect();
            Err(error(
                line,
                format!(
                    "{key}: '{}' is not one of {}",
                    quoted(value),
                    choices.join(", ")
                ),
            ))
        }
    }
}

/// Input text as it appears inside a message: control characters escaped
/// and long tokens shortened, so that a message stays one readable line.
fn quoted(s: &str) -> String {
    const MAX_CHARS: usize = 40;
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == MAX_CHARS {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ram(start: u64, end: u64, nid: Nid) -> RamRange {
        RamRange {
            range: Range::new(start, end).expect("valid test range"),
            nid,
        }
    }

    /// A scenario with every op and every enum value.
    fn sample() -> Scenario {
        let map = MemoryMap::new(&[
            ram(0x1_0000_0000, 0x1_8000_0000, 1),
            ram(0x1000, 0x8000_0000, 0),
            ram(0x8000_0000, 0x9000_0000, 0), // merges with the previous one
            ram(0xffff_ffff_ffff_0000, u64::MAX, 63),
        ])
        .expect("valid test map");
        let alloc = AllocRequest {
            size: 0x1000,
            align: 0x1000,
            goal: 0,
            limit: 0,
            nid: None,
            policy: NodePolicy::Prefer,
            on_fail: OnFail::Null,
        };
        let ops = vec![
            Op::Reserve {
                base: 0x1000,
                size: 0x2000,
                mode: ReserveMode::Default,
            },
            Op::Reserve {
                base: 0x1000,
                size: 0x2000,
                mode: ReserveMode::Exclusive,
            },
            Op::ReserveNode {
                nid: 1,
                base: 0x1_0000_0000,
                size: 0x1000,
                mode: ReserveMode::Default,
            },
            Op::ReserveNode {
                nid: 63,
                base: u64::MAX,
                size: u64::MAX,
                mode: ReserveMode::Exclusive,
            },
            Op::Free {
                base: 0x1000,
                size: 0x2000,
            },
            Op::FreeNode {
                nid: 1,
                base: 0x1_0000_0000,
                size: 0x1000,
            },
            Op::Alloc(alloc),
            Op::Alloc(AllocRequest {
                size: 0x40,
                align: 0x40,
                goal: 0x1_0000_0000,
                limit: 0xfff,
                nid: Some(3),
                policy: NodePolicy::Exact,
                on_fail: OnFail::Panic,
            }),
            Op::Alloc(AllocRequest {
                nid: Some(0),
                policy: NodePolicy::Exact,
                ..alloc
            }),
            Op::Alloc(AllocRequest {
                on_fail: OnFail::Panic,
                ..alloc
            }),
            Op::FreeAlloc {
                index: 3,
                part: Part::All,
            },
            Op::FreeAlloc {
                index: 0,
                part: Part::Head,
            },
            Op::FreeAlloc {
                index: u32::MAX,
                part: Part::Tail,
            },
            Op::FreeAlloc {
                index: 7,
                part: Part::Middle,
            },
            Op::ReleaseAll,
        ];
        Scenario { map, ops }
    }

    const SAMPLE_TEXT: &str = "\
# bootfuzz scenario v1
ram start=0x1000 end=0x9000_0000 nid=0
ram start=0x1_0000_0000 end=0x1_8000_0000 nid=1
ram start=0xffff_ffff_ffff_0000 end=0xffff_ffff_ffff_ffff nid=63
reserve base=0x1000 size=0x2000 mode=default
reserve base=0x1000 size=0x2000 mode=exclusive
reserve_node nid=1 base=0x1_0000_0000 size=0x1000 mode=default
reserve_node nid=63 base=0xffff_ffff_ffff_ffff size=0xffff_ffff_ffff_ffff mode=exclusive
free base=0x1000 size=0x2000
free_node nid=1 base=0x1_0000_0000 size=0x1000
alloc size=0x1000 align=0x1000 goal=0x0 limit=0x0 nid=any policy=prefer fail=null
alloc size=0x40 align=0x40 goal=0x1_0000_0000 limit=0xfff nid=3 policy=exact fail=panic
alloc size=0x1000 align=0x1000 goal=0x0 limit=0x0 nid=0 policy=exact fail=null
alloc size=0x1000 align=0x1000 goal=0x0 limit=0x0 nid=any policy=prefer fail=panic
free_alloc index=3 part=all
free_alloc index=0 part=head
free_alloc index=4294967295 part=tail
free_alloc index=7 part=middle
release_all
";

    fn parse_err(text: &str) -> ParseError {
        match parse(text) {
            Ok(s) => panic!("expected an error, parsed {s:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn text_prints_exactly() {
        assert_eq!(print(&sample()), SAMPLE_TEXT);
    }

    #[test]
    fn text_round_trips() {
        let s = sample();
        let printed = print(&s);
        let parsed = parse(&printed).expect("printed text parses");
        assert_eq!(parsed, s);
        assert_eq!(print(&parsed), printed);
        for op in &s.ops {
            let line = print_op(op);
            assert!(!line.contains('\n'));
            let one = parse(&format!("ram start=0 end=0x1000 nid=0\n{line}\n")).expect("op parses");
            assert_eq!(one.ops, vec![*op]);
        }
    }

    #[test]
    fn text_hex_groups_by_four() {
        assert_eq!(hex(0), "0x0");
        assert_eq!(hex(0xfff), "0xfff");
        assert_eq!(hex(0x1000), "0x1000");
        assert_eq!(hex(0x1_0000), "0x1_0000");
        assert_eq!(hex(0x1_0000_0000), "0x1_0000_0000");
        assert_eq!(hex(u64::MAX), "0xffff_ffff_ffff_ffff");
    }

    #[test]
    fn text_accepts_loose_input() {
        // Keys in any order, separators anywhere, decimal, upper-case hex
        // digits, comments, blank lines, CRLF, tabs.
        let text = "\r\n  # leading comment\r\n\
            ram nid=1 end=0x1_8000_0000 start=4_294_967_296 # trailing\r\n\
            \tram   start=0x_10_00_ end=2147483648 nid=0\r\n\
            \n\
            alloc fail=panic policy=exact nid=3 limit=0 goal=0x0 size=64 align=0x4_0\n\
            free_alloc part=middle index=0x10\n";
        let s = parse(text).expect("loose input parses");
        assert_eq!(
            s.map.ranges(),
            &[
                ram(0x1000, 0x8000_0000, 0),
                ram(0x1_0000_0000, 0x1_8000_0000, 1)
            ]
        );
        assert_eq!(
            s.ops,
            vec![
                Op::Alloc(AllocRequest {
                    size: 64,
                    align: 64,
                    goal: 0,
                    limit: 0,
                    nid: Some(3),
                    policy: NodePolicy::Exact,
                    on_fail: OnFail::Panic,
                }),
                Op::FreeAlloc {
                    index: 16,
                    part: Part::Middle
                },
            ]
        );
        let s = parse("ram start=0xABCD_ef00 end=18446744073709551615 nid=0").expect("parses");
        assert_eq!(s.map.ranges(), &[ram(0xabcd_ef00, u64::MAX, 0)]);
    }

    #[test]
    fn text_numbers() {
        let ok = |s: &str| parse_number(s).ok();
        assert_eq!(ok("0x0"), Some(0));
        assert_eq!(ok("0x1_0000_0000"), Some(1 << 32));
        assert_eq!(ok("0x_1__0_"), Some(0x10));
        assert_eq!(ok("0xffff_ffff_ffff_ffff"), Some(u64::MAX));
        assert_eq!(ok("0x0000_0000_0000_0000_0001"), Some(1));
        assert_eq!(ok("4096"), Some(4096));
        assert_eq!(ok("1_000_000"), Some(1_000_000));
        assert_eq!(ok("18446744073709551615"), Some(u64::MAX));
        for bad in [
            "", "0x", "0x_", "_1", "-1", "+1", "0xg", "1x0", "0X10", "1.0", "ä",
        ] {
            assert!(
                matches!(parse_number(bad), Err(NumberError::Malformed)),
                "{bad:?}"
            );
        }
        for big in [
            "0x1_0000_0000_0000_0000",
            "18446744073709551616",
            "99999999999999999999999",
        ] {
            assert!(
                matches!(parse_number(big), Err(NumberError::Overflow)),
                "{big:?}"
            );
        }
        // A bad digit beats an overflow.
        assert!(matches!(
            parse_number("0xffff_ffff_ffff_ffff_fz"),
            Err(NumberError::Malformed)
        ));
    }

    #[test]
    fn text_errors_name_the_line() {
        const RAM: &str = "ram start=0x1000 end=0x8000_0000 nid=0\n";
        let cases: &[(&str, usize, &str)] = &[
            // (text after the ram line, line, message)
            ("\n\nreserv base=0 size=0 mode=default\n", 4, "unknown op 'reserv'"),
            ("setup\n", 2, "unknown op 'setup'"),
            (
                "# c\n\n\n\n\nalloc size=0x40 goal=0 limit=0 nid=any policy=prefer fail=null\n",
                7,
                "alloc: missing key 'align'",
            ),
            (
                "free base=0 size=0 base=0x1000\n",
                2,
                "free: duplicate key 'base'",
            ),
            ("free base=0 size=0 nid=0\n", 2, "free: unknown key 'nid'"),
            ("free base=0 size\n", 2, "free: 'size' is not key=value"),
            ("release_all now=1\n", 2, "release_all: unknown key 'now'"),
            ("\n\nfree base=0 size=0xZZ\n", 4, "size: '0xZZ' is not a number"),
            (
                "free base=0x1_0000_0000_0000_0000 size=0\n",
                2,
                "base: '0x1_0000_0000_0000_0000' does not fit in 64 bits",
            ),
            (
                "free_alloc index=0x1_0000_0000 part=all\n",
                2,
                "index: '0x1_0000_0000' does not fit in 32 bits",
            ),
            (
                "free_alloc index=0x1_0000_0000_0000_0000 part=all\n",
                2,
                "index: '0x1_0000_0000_0000_0000' does not fit in 32 bits",
            ),
            (
                "free_alloc index=1 part=some\n",
                2,
                "part: 'some' is not one of all, head, tail, middle",
            ),
            (
                "reserve base=0 size=0 mode=Default\n",
                2,
                "mode: 'Default' is not one of default, exclusive",
            ),
            (
                "alloc size=1 align=1 goal=0 limit=0 nid=64 policy=prefer fail=null\n",
                2,
                "nid: 64 is not a node id (must be below 64)",
            ),
            (
                "alloc size=1 align=1 goal=0 limit=0 nid=none policy=prefer fail=null\n",
                2,
                "nid: 'none' is not a number",
            ),
            (
                "free_node nid=100 base=0 size=0\n",
                2,
                "nid: 100 is not a node id (must be below 64)",
            ),
            (
                "ram start=0 end=0x1000 nid=64\n",
                2,
                "nid: 64 is not a node id (must be below 64)",
            ),
            (
                "ram start=0 end=0x1000 nid=0x1_0000_0000\n",
                2,
                "nid: '0x1_0000_0000' does not fit in 32 bits",
            ),
            (
                "release_all\n\nram start=0x9000_0000 end=0xa000_0000 nid=0\n",
                4,
                "ram: ram line after the first op (line 2); ram lines come first",
            ),
            (
                "ram start=0x9000_0000 end=0xa000_0000 nid=1\n# c\nram start=0x7fff_f000 end=0x9000_0000 nid=1\n",
                4,
                "ram: overlaps the ram range at line 1",
            ),
            (
                "ram start=0x9000_0000 end=0x9000_0000 nid=1\n",
                2,
                "ram: empty range (start == end)",
            ),
            (
                "ram start=0x9000_0000 end=0x8000_0000 nid=1\n",
                2,
                "ram: end 0x8000_0000 is below start 0x9000_0000",
            ),
        ];
        for &(rest, line, message) in cases {
            let e = parse_err(&format!("{RAM}{rest}"));
            assert_eq!(
                e,
                ParseError {
                    line,
                    message: message.to_string()
                },
                "{rest:?}"
            );
        }
    }

    #[test]
    fn text_overlap_is_reported_at_the_later_line() {
        // The later line is the offending one, whatever the address order.
        let text = "ram start=0x4000 end=0x8000 nid=0\n\
                    ram start=0x10000 end=0x20000 nid=1\n\
                    ram start=0 end=0x5000 nid=2\n";
        let e = parse_err(text);
        assert_eq!(e.line, 3);
        assert_eq!(e.message, "ram: overlaps the ram range at line 1");
    }

    #[test]
    fn text_needs_ram() {
        assert_eq!(
            parse_err(""),
            ParseError {
                line: 1,
                message: "no ram line".into()
            }
        );
        assert_eq!(parse_err("\n\n# only a comment\n").line, 3);
        assert_eq!(parse_err("# c\nrelease_all\n").line, 2);
        assert_eq!(
            parse_err("# c\nrelease_all\n").to_string(),
            "line 2: no ram line"
        );
    }

    #[test]
    fn text_error_display() {
        let e = parse_err("ram start=0 end=1 nid=0\nalloc size=1\n");
        assert_eq!(e.to_string(), "line 2: alloc: missing key 'align'");
    }

    #[test]
    fn text_quotes_input_tamely() {
        let long = "x".repeat(1000);
        let e = parse_err(&format!("{long}\n"));
        assert!(e.message.len() < 80, "{}", e.message);
        let e = parse_err("ram start=0x\u{7}1 end=1 nid=0\n");
        assert_eq!(e.message, "start: '0x\\u{7}1' is not a number");
    }

    /// xorshift64*: a tiny deterministic generator for the no-panic test.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            if n == 0 {
                0
            } else {
                (self.next() % n as u64) as usize
            }
        }
    }

    const DICTIONARY: &[&str] = &[
        " ",
        "\n",
        "\r\n",
        "\t",
        "#",
        "=",
        "_",
        "0x",
        "0",
        "1",
        "f",
        "Z",
        "é",
        "\u{0}",
        "ram",
        "alloc",
        "free",
        "release_all",
        "reserve_node",
        "nid=",
        "nid=any",
        "size=",
        "index=",
        "part=tail",
        "mode=exclusive",
        "0xffff_ffff_ffff_ffff",
        "0x1_0000_0000_0000_0000",
        "18446744073709551616",
        "4294967296",
        "64",
        "ram start=0 end=0x1000 nid=0\n",
        "\nrelease_all\n",
    ];

    fn mutate(rng: &mut Rng, text: &str) -> String {
        let mut bytes = text.as_bytes().to_vec();
        for _ in 0..1 + rng.below(4) {
            let len = bytes.len();
            let at = rng.below(len + 1);
            match rng.below(6) {
                0 => bytes.truncate(at),
                1 => {
                    let end = (at + rng.below(16)).min(len);
                    bytes.drain(at..end);
                }
                2 => {
                    let word = DICTIONARY[rng.below(DICTIONARY.len())];
                    bytes.splice(at..at, word.bytes());
                }
                3 => {
                    if at < len {
                        bytes[at] = rng.next() as u8;
                    }
                }
                4 => {
                    let end = (at + rng.below(64)).min(len);
                    let copy = bytes[at..end].to_vec();
                    let to = rng.below(len + 1);
                    bytes.splice(to..to, copy);
                }
                _ => {
                    // Swap two lines.
                    let s = String::from_utf8_lossy(&bytes).into_owned();
                    let mut lines: Vec<&str> = s.lines().collect();
                    if lines.len() > 1 {
                        let a = rng.below(lines.len());
                        let b = rng.below(lines.len());
                        lines.swap(a, b);
                    }
                    bytes = lines.join("\n").into_bytes();
                }
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[test]
    fn text_never_panics_and_round_trips_what_it_accepts() {
        let seeds = [SAMPLE_TEXT.to_string(), print(&sample())];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut accepted = 0;
        for i in 0..4000 {
            let seed = &seeds[i % seeds.len()];
            let text = mutate(&mut rng, seed);
            match parse(&text) {
                Ok(s) => {
                    accepted += 1;
                    let printed = print(&s);
                    let again = parse(&printed).expect("printed text parses");
                    assert_eq!(again, s, "{text:?}");
                    assert_eq!(print(&again), printed);
                }
                Err(e) => {
                    assert!(
                        e.line >= 1 && e.line <= text.lines().count().max(1),
                        "{e} {text:?}"
                    );
                    assert!(
                        !e.message.contains('\n') && !e.message.contains('\r'),
                        "{e}"
                    );
                }
            }
        }
        // Some mutants stay valid (comments, whitespace, merged lines).
        assert!(accepted > 0);
    }
}
