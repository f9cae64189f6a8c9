//! `list::render_listing` and `list::parse_use_list` on hand-built TOCs. The time zone
//! is fixed to UTC for the whole binary before anything reads it (listing times are
//! compared with stock across zones in compat-tests/tests/list_stock.rs).

use pgark_formats::list::{format_archive_time, parse_use_list, render_listing, CompressionLabel, ListOptions};
use pgark_formats::model::*;
use pgark_formats::select::{plan, SelectError, Selection};
use pgark_formats::version::ArchiveVersion;

fn utc() {
    // Every test of this binary sets the same value, so there is no race to lose.
    std::env::set_var("TZ", "UTC");
}

fn entry(id: DumpId, desc: &str, ns: Option<&str>, tag: &str, owner: Option<&str>, oids: (u32, u32)) -> TocEntry {
    TocEntry {
        dump_id: id,
        had_dumper: false,
        catalog_id: CatalogId { table_oid: oids.0, oid: oids.1 },
        tag: Some(tag.as_bytes().to_vec()),
        desc: Desc::from_bytes(desc.as_bytes()),
        section: Section::PreData,
        defn: Some(b"CREATE x;\n".to_vec()),
        drop_stmt: None,
        copy_stmt: None,
        namespace: ns.map(|n| n.as_bytes().to_vec()),
        tablespace: None,
        table_am: None,
        relkind: 0,
        owner: owner.map(|o| o.as_bytes().to_vec()),
        with_oids: None,
        dependencies: vec![],
        data_location: DataLocation::Custom(CustomOffset::NoData),
    }
}

fn sample(version: ArchiveVersion, compression: HeaderCompression) -> Toc {
    let mut enc = entry(1, "ENCODING", None, "ENCODING", None, (0, 0));
    enc.defn = Some(b"SET client_encoding = 'UTF8';\n".to_vec());
    let mut comment = entry(7, "COMMENT", Some("app"), "TABLE we\nird", Some("postgres"), (0, 0));
    comment.dependencies = vec![6, 5];
    Toc {
        header: Header {
            version,
            int_size: 4,
            off_size: 8,
            format: FormatCode::Custom,
            compression,
            created: Some(ArchiveTime { sec: 9, min: 44, hour: 4, mday: 21, mon: 10, year: 126, isdst: 0 }),
            database_name: Some(b"spec\rdb".to_vec()),
            server_version: Some(b"18.6".to_vec()),
            dump_version: Some(b"18.6".to_vec()),
        },
        entries: vec![
            enc,
            entry(5, "SCHEMA", None, "app", Some("postgres"), (2615, 16386)),
            entry(6, "TABLE", Some("app"), "we\nird", Some("postgres"), (1259, 16390)),
            comment,
            entry(8, "CAST", None, "CAST (a AS b)", None, (2605, 16400)),
        ],
    }
}

const HEADER_18: &str = ";\n; Archive created at 2026-11-21 04:44:09 UTC\n;     dbname: spec db\n;     TOC Entries: 5\n;     Compression: zstd\n;     Dump Version: 1.16-0\n;     Format: DIRECTORY\n;     Integer: 4 bytes\n;     Offset: 8 bytes\n;     Dumped from database version: 18.6\n;     Dumped by pg_dump version: 18.6\n;\n;\n; Selected TOC Entries:\n;\n";

#[test]
fn listing_lines_and_header() {
    utc();
    let toc = sample(ArchiveVersion::V1_16, HeaderCompression::Algorithm(CompressionAlgorithm::Zstd));
    let p = plan(&toc, &Selection::default());
    let out = render_listing(&toc, FormatCode::Directory, &p, &ListOptions::default());
    let expected = format!(
        "{HEADER_18}5; 2615 16386 SCHEMA - app postgres\n6; 1259 16390 TABLE app we ird postgres\n7; 0 0 COMMENT app TABLE we ird postgres\n8; 2605 16400 CAST - CAST (a AS b) \n"
    );
    assert_eq!(String::from_utf8(out).expect("utf8"), expected);
}

#[test]
fn verbose_lists_everything_with_dependencies() {
    utc();
    let toc = sample(ArchiveVersion::V1_16, HeaderCompression::Algorithm(CompressionAlgorithm::Zstd));
    let p = plan(&toc, &Selection { table_names: vec![b"nothing".to_vec()], ..Selection::default() });
    let out = render_listing(&toc, FormatCode::Directory, &p, &ListOptions { verbose: true, ..ListOptions::default() });
    let text = String::from_utf8(out).expect("utf8");
    let body = text.strip_prefix(HEADER_18).expect("header");
    assert_eq!(
        body,
        "1; 0 0 ENCODING - ENCODING \n5; 2615 16386 SCHEMA - app postgres\n6; 1259 16390 TABLE app we ird postgres\n7; 0 0 COMMENT app TABLE we ird postgres\n;\tdepends on: 6 5\n8; 2605 16400 CAST - CAST (a AS b) \n"
    );
}

#[test]
fn compression_line_follows_the_archive_generation() {
    utc();
    let old = sample(ArchiveVersion::V1_14, HeaderCompression::Level(-1));
    let p = plan(&old, &Selection::default());
    let text = String::from_utf8(render_listing(&old, FormatCode::Custom, &p, &ListOptions::default())).expect("utf8");
    assert!(text.contains(";     Compression: -1\n;     Dump Version: 1.14-0\n;     Format: CUSTOM\n"), "{text}");
    let opts = ListOptions { compression_label: CompressionLabel::AlgorithmName, ..ListOptions::default() };
    let text = String::from_utf8(render_listing(&old, FormatCode::Tar, &p, &opts)).expect("utf8");
    assert!(text.contains(";     Compression: gzip\n"), "{text}");
    assert!(text.contains(";     Format: TAR\n"), "{text}");
    let none = sample(ArchiveVersion::V1_14, HeaderCompression::Level(0));
    let text = String::from_utf8(render_listing(&none, FormatCode::Custom, &p, &opts)).expect("utf8");
    assert!(text.contains(";     Compression: none\n"), "{text}");
}

#[test]
fn missing_header_fields() {
    utc();
    let mut toc = sample(ArchiveVersion::V1_16, HeaderCompression::Algorithm(CompressionAlgorithm::None));
    toc.header.database_name = None;
    toc.header.server_version = None;
    toc.header.dump_version = None;
    let p = plan(&toc, &Selection::default());
    let text = String::from_utf8(render_listing(&toc, FormatCode::Custom, &p, &ListOptions::default())).expect("utf8");
    assert!(text.contains(";     dbname: \n"), "{text}");
    assert!(text.contains(";     Offset: 8 bytes\n;\n;\n; Selected TOC Entries:\n"), "{text}");
}

#[test]
fn creation_time_normalises_like_mktime() {
    utc();
    // Out-of-range fields roll over as mktime rolls them: 2026-02-30 25:61:61 → 2026-03-03 02:02:01.
    let t = ArchiveTime { sec: 61, min: 61, hour: 25, mday: 30, mon: 1, year: 126, isdst: 0 };
    assert_eq!(format_archive_time(Some(&t)), "2026-03-03 02:02:01 UTC");
    // A DST flag the zone never has: glibc takes DST as one hour ahead of standard time.
    let t = ArchiveTime { sec: 0, min: 0, hour: 12, mday: 1, mon: 6, year: 99, isdst: 1 };
    assert_eq!(format_archive_time(Some(&t)), "1999-07-01 11:00:00 UTC");
}

fn ids_toc() -> Toc {
    let mut toc = sample(ArchiveVersion::V1_16, HeaderCompression::Algorithm(CompressionAlgorithm::None));
    toc.entries.push(entry(12, "TABLE", Some("app"), "last", Some("postgres"), (1259, 1)));
    toc
}

#[test]
fn use_list_syntax() {
    let toc = ids_toc();
    let input = b";\n; Archive created at whatever\n  6; 1259 16390 TABLE app weird postgres\n\n\t5 trailing words\n;7; commented out\n8;\n";
    let parsed = parse_use_list(input, &toc).expect("parses");
    assert_eq!(parsed.list.ids, vec![6, 5, 8]);
    assert!(parsed.ignored_lines.is_empty(), "{:?}", parsed.ignored_lines);
}

#[test]
fn use_list_ignored_lines_and_missing_ids() {
    let toc = ids_toc();
    let input = b"6\n6; again\n0\n-5\n13\nabc\n   \x0b\n+7 x\n";
    let parsed = parse_use_list(input, &toc).expect("parses");
    assert_eq!(parsed.list.ids, vec![6, 7]);
    let shown: Vec<String> = parsed.ignored_lines.iter().map(|l| String::from_utf8_lossy(l).into_owned()).collect();
    assert_eq!(shown, ["6", "0", "-5", "13", "abc", "   \x0b"]);
    // In range (≤ 12) but absent: fatal, as stock.
    let err = parse_use_list(b"5\n10\n", &toc).expect_err("no entry 10");
    assert_eq!(err, SelectError::UseListEntryNotFound(10));
    assert_eq!(err.to_string(), "could not find entry for ID 10");
}
