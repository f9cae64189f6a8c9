//! The `pg_restore -l` listing (`PrintTOCSummary`) and `-L` list files
//! (`SortTocFromFile`), byte for byte as stock prints and reads them.
//!
//! ```text
//! ;
//! ; Archive created at 2026-11-21 04:44:49 UTC
//! ;     dbname: specdb
//! ;     TOC Entries: 27
//! ;     Compression: none
//! ;     Dump Version: 1.16-0
//! ;     Format: CUSTOM
//! ;     Integer: 4 bytes
//! ;     Offset: 8 bytes
//! ;     Dumped from database version: 18.6
//! ;     Dumped by pg_dump version: 18.6
//! ;
//! ;
//! ; Selected TOC Entries:
//! ;
//! 6; 2615 16386 SCHEMA - app postgres
//! ```
//!
//! Entry lines are `dumpId; tableoid oid DESC namespace tag owner` with CR and LF in
//! names turned into spaces, `-` for a missing namespace and nothing for a missing
//! owner; only entries the selection wants are listed (all with `verbose`, which also
//! prints each entry's dependencies).

use crate::model::{ArchiveTime, DumpId, FormatCode, HeaderCompression, Toc};
use crate::select::{Plan, SelectError, UseList};

/// How the `Compression:` header line is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CompressionLabel {
    /// As the pg_restore of the archive's generation prints it: the zlib level
    /// (`-1`, `0`, `1`..`9`) for archives before 1.15, which store a level, and the
    /// algorithm name (`none`, `gzip`, `lz4`, `zstd`) from 1.15 on.
    #[default]
    AsStored,
    /// Always the algorithm name, as pg_restore 16 and later print it for every archive.
    AlgorithmName,
}

/// Listing options beyond the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListOptions {
    /// `-v`: list every entry (special ones too) and add `;\tdepends on:` lines.
    pub verbose: bool,
    pub compression_label: CompressionLabel,
}

/// `sanitize_line`: CR and LF become spaces; a missing value is `-` or empty.
pub fn sanitize_line(value: Option<&[u8]>, want_hyphen: bool) -> Vec<u8> {
    match value {
        None => if want_hyphen { b"-".to_vec() } else { Vec::new() },
        Some(v) => v.iter().map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b }).collect(),
    }
}

/// The `Archive created at` timestamp: the header's broken-down time turned into an
/// instant with C's `mktime` rules in the reader's time zone (`TZ`, else the system
/// zone), then printed as `strftime("%Y-%m-%d %H:%M:%S %Z", localtime(...))`.
/// Archives before 1.4 carry no time; stock then shows the moment it opened the
/// archive, which is what `None` gives.
pub fn format_archive_time(created: Option<&ArchiveTime>) -> String {
    let tz = jiff::tz::TimeZone::system();
    let instant = match created {
        Some(t) => mktime(&tz, t),
        None => Some(jiff::Timestamp::now()),
    };
    let Some(instant) = instant else {
        // mktime failed (-1): stock goes on with time_t -1, one second before the epoch.
        return local_stamp(&tz, jiff::Timestamp::from_second(-1).unwrap_or(jiff::Timestamp::UNIX_EPOCH));
    };
    local_stamp(&tz, instant)
}

fn local_stamp(tz: &jiff::tz::TimeZone, instant: jiff::Timestamp) -> String {
    let info = tz.to_offset_info(instant);
    let local = instant.to_zoned(tz.clone()).datetime();
    format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02} {}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute(),
        local.second(),
        info.abbreviation()
    )
}

/// C `mktime`: normalises out-of-range fields, then reads the civil time in `tz`,
/// using `isdst` (when ≥ 0) to choose between DST and standard time as glibc does.
fn mktime(tz: &jiff::tz::TimeZone, t: &ArchiveTime) -> Option<jiff::Timestamp> {
    use jiff::civil::DateTime;
    use jiff::tz::AmbiguousOffset;
    use jiff::{SignedDuration, ToSpan};

    let total_months = i64::from(t.year) + 1900;
    let year = total_months.checked_mul(12)?.checked_add(i64::from(t.mon))?;
    let (y, m) = (year.div_euclid(12), year.rem_euclid(12) + 1);
    let base = DateTime::new(i16::try_from(y).ok()?, i8::try_from(m).ok()?, 1, 0, 0, 0, 0).ok()?;
    let civil = base
        .checked_add((i64::from(t.mday) - 1).days())
        .ok()?
        .checked_add(SignedDuration::from_secs(
            i64::from(t.hour) * 3600 + i64::from(t.min) * 60 + i64::from(t.sec),
        ))
        .ok()?;

    let want_dst = if t.isdst < 0 { None } else { Some(t.isdst > 0) };
    let is_dst = |ts: jiff::Timestamp| tz.to_offset_info(ts).dst().is_dst();
    let at = |offset: jiff::tz::Offset| offset.to_timestamp(civil).ok();

    let candidates: Vec<jiff::tz::Offset> = match tz.to_ambiguous_timestamp(civil).offset() {
        AmbiguousOffset::Unambiguous { offset } => vec![offset],
        AmbiguousOffset::Gap { before, after } => vec![before, after],
        AmbiguousOffset::Fold { before, after } => vec![before, after],
    };
    let first = at(*candidates.first()?)?;
    let Some(want) = want_dst else {
        return Some(first);
    };
    for &offset in &candidates {
        if let Some(ts) = at(offset) {
            if tz.to_offset_info(ts).offset() == offset && is_dst(ts) == want {
                return Some(ts);
            }
        }
    }
    // The requested DST state is not in effect at that time. Like glibc, read the
    // civil time with the offset of the nearest period that has it, probing in
    // glibc's steps (601200 s, up to about 8.5 years either way); in a zone with no
    // such period nearby, take DST to be one hour ahead of standard time.
    let stride: i64 = 601_200;
    let bound: i64 = 536_454_000 / 2 + stride;
    let mut delta = stride;
    while delta < bound {
        for direction in [-1i64, 1] {
            let probe = first.checked_add(SignedDuration::from_secs(delta * direction)).ok()?;
            let info = tz.to_offset_info(probe);
            if info.dst().is_dst() == want {
                return at(info.offset());
            }
        }
        delta += stride;
    }
    let hour = SignedDuration::from_secs(3600);
    if want {
        first.checked_sub(hour).ok()
    } else {
        first.checked_add(hour).ok()
    }
}

/// The format name of the `Format:` line.
fn format_name(format: FormatCode) -> &'static str {
    match format {
        FormatCode::Custom => "CUSTOM",
        FormatCode::Directory => "DIRECTORY",
        FormatCode::Tar => "TAR",
        _ => "UNKNOWN",
    }
}

fn compression_text(compression: HeaderCompression, label: CompressionLabel) -> String {
    match (compression, label) {
        (HeaderCompression::Level(level), CompressionLabel::AsStored) => level.to_string(),
        (c, _) => c.algorithm().name().to_string(),
    }
}

/// Renders `pg_restore -l`. `format` is the format the archive was read as (the
/// header of a directory archive does not tell it apart from tar); `plan` is the
/// selection's decision for `toc` (see `select::plan`).
pub fn render_listing(toc: &Toc, format: FormatCode, plan: &Plan, options: &ListOptions) -> Vec<u8> {
    let h = &toc.header;
    let mut out = Vec::new();
    out.extend_from_slice(b";\n; Archive created at ");
    out.extend_from_slice(format_archive_time(h.created.as_ref()).as_bytes());
    out.extend_from_slice(b"\n;     dbname: ");
    out.extend_from_slice(&sanitize_line(h.database_name.as_deref(), false));
    out.extend_from_slice(format!("\n;     TOC Entries: {}\n", toc.entries.len()).as_bytes());
    out.extend_from_slice(
        format!(";     Compression: {}\n", compression_text(h.compression, options.compression_label)).as_bytes(),
    );
    out.extend_from_slice(
        format!(";     Dump Version: {}.{}-{}\n", h.version.major, h.version.minor, h.version.rev).as_bytes(),
    );
    out.extend_from_slice(format!(";     Format: {}\n", format_name(format)).as_bytes());
    out.extend_from_slice(format!(";     Integer: {} bytes\n", h.int_size).as_bytes());
    out.extend_from_slice(format!(";     Offset: {} bytes\n", h.off_size).as_bytes());
    if let Some(v) = &h.server_version {
        out.extend_from_slice(b";     Dumped from database version: ");
        out.extend_from_slice(v);
        out.push(b'\n');
    }
    if let Some(v) = &h.dump_version {
        out.extend_from_slice(b";     Dumped by pg_dump version: ");
        out.extend_from_slice(v);
        out.push(b'\n');
    }
    out.extend_from_slice(b";\n;\n; Selected TOC Entries:\n;\n");

    for item in plan.items() {
        let entry = &toc.entries[item.index];
        if options.verbose || item.reqs.wants_anything() {
            out.extend_from_slice(
                format!("{}; {} {} ", entry.dump_id, entry.catalog_id.table_oid, entry.catalog_id.oid).as_bytes(),
            );
            out.extend_from_slice(entry.desc.as_bytes());
            out.push(b' ');
            out.extend_from_slice(&sanitize_line(entry.namespace.as_deref(), true));
            out.push(b' ');
            out.extend_from_slice(&sanitize_line(entry.tag.as_deref(), false));
            out.push(b' ');
            out.extend_from_slice(&sanitize_line(entry.owner.as_deref(), false));
            out.push(b'\n');
        }
        if options.verbose && !entry.dependencies.is_empty() {
            out.extend_from_slice(b";\tdepends on:");
            for dep in &entry.dependencies {
                out.extend_from_slice(format!(" {dep}").as_bytes());
            }
            out.push(b'\n');
        }
    }
    out
}

/// A parsed `-L` file: the list to select with, plus stock's warnings, one per
/// ignored line (the line as stock shows it, without its final newline), to be
/// printed as `warning: line ignored: <line>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedUseList {
    pub list: UseList,
    pub ignored_lines: Vec<Vec<u8>>,
}

/// C `strtol(s, &end, 10)` narrowed to `int` as stock assigns it to a DumpId:
/// `None` when no digits; saturates at the `long` range, then wraps to 32 bits.
fn strtol_as_dump_id(s: &[u8]) -> Option<DumpId> {
    let mut p = 0;
    while p < s.len() && matches!(s[p], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        p += 1;
    }
    let mut negative = false;
    if p < s.len() && (s[p] == b'+' || s[p] == b'-') {
        negative = s[p] == b'-';
        p += 1;
    }
    let digits_start = p;
    let mut value: i64 = 0;
    let mut overflow = false;
    while p < s.len() && s[p].is_ascii_digit() {
        let d = i64::from(s[p] - b'0');
        match value.checked_mul(10).and_then(|v| if negative { v.checked_sub(d) } else { v.checked_add(d) }) {
            Some(v) => value = v,
            None => overflow = true,
        }
        p += 1;
    }
    if p == digits_start {
        return None;
    }
    if overflow {
        value = if negative { i64::MIN } else { i64::MAX };
    }
    // `DumpId id = strtol(...)`: the conversion keeps the low 32 bits.
    Some(value as i32)
}

/// Parses a `-L` file against the archive it selects from (`SortTocFromFile`):
/// everything from the first `;` of a line is a comment; blank lines are skipped; a
/// line must start (after blanks) with a dump ID. Lines whose ID is missing, ≤ 0,
/// above the archive's largest dump ID, or already listed are ignored with a warning;
/// an ID in range that no entry has is an error.
pub fn parse_use_list(input: &[u8], toc: &Toc) -> Result<ParsedUseList, SelectError> {
    let max_dump_id = toc.entries.iter().map(|e| e.dump_id).max().unwrap_or(0).max(0);
    let present: std::collections::HashSet<DumpId> = toc.entries.iter().map(|e| e.dump_id).collect();
    let mut seen = std::collections::HashSet::new();
    let mut parsed = ParsedUseList::default();
    for raw in input.split_inclusive(|&b| b == b'\n') {
        // The C string ends at a NUL; `len` still counts the bytes read.
        let c_len = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
        let (text, len) = match raw[..c_len].iter().position(|&b| b == b';') {
            Some(semi) => (&raw[..semi], semi),
            None => (&raw[..c_len], raw.len()),
        };
        let blank_prefix = text.iter().take_while(|&&b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')).count();
        if blank_prefix == len {
            continue;
        }
        let id = strtol_as_dump_id(text);
        let Some(id) = id.filter(|&id| id > 0 && id <= max_dump_id && !seen.contains(&id)) else {
            let shown = text.strip_suffix(b"\n").unwrap_or(text);
            parsed.ignored_lines.push(shown.to_vec());
            continue;
        };
        if !present.contains(&id) {
            return Err(SelectError::UseListEntryNotFound(id));
        }
        seen.insert(id);
        parsed.list.ids.push(id);
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize() {
        assert_eq!(sanitize_line(None, true), b"-");
        assert_eq!(sanitize_line(None, false), b"");
        assert_eq!(sanitize_line(Some(b"a\nb\rc"), false), b"a b c");
    }

    #[test]
    fn strtol_narrowing() {
        assert_eq!(strtol_as_dump_id(b"  42abc"), Some(42));
        assert_eq!(strtol_as_dump_id(b"+7"), Some(7));
        assert_eq!(strtol_as_dump_id(b"-3"), Some(-3));
        assert_eq!(strtol_as_dump_id(b"x1"), None);
        assert_eq!(strtol_as_dump_id(b"-"), None);
        assert_eq!(strtol_as_dump_id(b"4294967297"), Some(1));
        assert_eq!(strtol_as_dump_id(b"99999999999999999999999"), Some(-1));
    }
}
