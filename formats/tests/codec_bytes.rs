//! Byte-literal tests of the primitive encodings, header and TOC codecs (values from
//! the spec's annotated hexdumps of stock 15.18 / 18.6 archives), and of `-Z` parsing
//! (messages as stock pg_dump 18 prints them).

use pgark_formats::codec::{
    decode_header_and_toc, encode_header_and_toc, read_header, ByteReader, ByteWriter, ExtraKind,
};
use pgark_formats::compress::gzip::{adler32, adler32_combine};
use pgark_formats::model::{CompressionAlgorithm, CustomOffset, FormatCode, HeaderCompression};
use pgark_formats::{ArchiveVersion, CompressionSpec, Error};

fn int_bytes(v: i64) -> Vec<u8> {
    let mut w = ByteWriter::new(Vec::new(), "t", 0);
    w.write_int(v).expect("write");
    w.into_inner()
}

fn reader(bytes: &[u8]) -> ByteReader<&[u8]> {
    ByteReader::new(bytes, "t", 0, Some(bytes.len() as u64))
}

#[test]
fn int_encoding_matches_spec_table() {
    assert_eq!(int_bytes(0), [0, 0, 0, 0, 0]);
    assert_eq!(int_bytes(27), [0, 0x1b, 0, 0, 0]);
    assert_eq!(int_bytes(2584), [0, 0x18, 0x0a, 0, 0]);
    assert_eq!(int_bytes(-1), [1, 1, 0, 0, 0]);
    for v in [0i64, 27, 2584, -1, i64::from(i32::MAX), i64::from(i32::MIN)] {
        assert_eq!(reader(&int_bytes(v)).read_int("x").expect("read"), v);
    }
}

#[test]
fn large_object_oids_use_the_signed_form() {
    let oid = |o: u32| {
        let mut w = ByteWriter::new(Vec::new(), "t", 0);
        w.write_oid_int(o).expect("write");
        w.into_inner()
    };
    assert_eq!(oid(424242), [0, 0x32, 0x79, 0x06, 0]);
    assert_eq!(oid(2_147_483_648), [1, 0, 0, 0, 0x80]);
    assert_eq!(oid(3_000_000_000), [1, 0, 0xa2, 0x2f, 0x4d]);
    for o in [
        1u32,
        424242,
        2_147_483_647,
        2_147_483_648,
        3_000_000_000,
        u32::MAX,
    ] {
        assert_eq!(reader(&oid(o)).read_oid_int("oid").expect("read"), o);
    }
}

#[test]
fn str_null_empty_and_text() {
    let mut w = ByteWriter::new(Vec::new(), "t", 0);
    w.write_str(None).expect("w");
    w.write_str(Some(b"")).expect("w");
    w.write_str(Some(b"heap")).expect("w");
    let bytes = w.into_inner();
    assert_eq!(
        bytes,
        [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, b'h', b'e', b'a', b'p']
    );
    let mut r = reader(&bytes);
    assert_eq!(r.read_str("a").expect("r"), None);
    assert_eq!(r.read_str("b").expect("r"), Some(Vec::new()));
    assert_eq!(r.read_str("c").expect("r"), Some(b"heap".to_vec()));
}

#[test]
fn absurd_str_length_is_rejected_without_allocating() {
    // Length 2^31−1 with five bytes of input: known size → AbsurdLength at offset 0.
    let bytes = [0, 0xff, 0xff, 0xff, 0x7f, b'a', b'b'];
    match reader(&bytes).read_str("tag") {
        Err(Error::AbsurdLength {
            offset: 0,
            length: 2_147_483_647,
            ..
        }) => {}
        other => panic!("expected AbsurdLength, got {other:?}"),
    }
    // Unknown input size (a pipe): read in bounded steps, fails at end of input.
    let mut r = ByteReader::new(&bytes[..], "pipe", 0, None);
    match r.read_str("tag") {
        Err(Error::Truncated { offset: 7, .. }) => {}
        other => panic!("expected Truncated at 7, got {other:?}"),
    }
    // Negative lengths other than −1.
    match reader(&[1, 5, 0, 0, 0]).read_str("tag") {
        Err(Error::AbsurdLength { length: -5, .. }) => {}
        other => panic!("expected AbsurdLength, got {other:?}"),
    }
}

#[test]
fn offsets_states() {
    let mut w = ByteWriter::new(Vec::new(), "t", 0);
    w.write_offset(CustomOffset::NoData).expect("w");
    w.write_offset(CustomOffset::PosSet(6321)).expect("w");
    w.write_offset(CustomOffset::PosNotSet).expect("w");
    let bytes = w.into_inner();
    assert_eq!(&bytes[..9], &[3, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(&bytes[9..18], &[2, 0xb1, 0x18, 0, 0, 0, 0, 0, 0]);
    let mut r = reader(&bytes);
    assert_eq!(r.read_offset("o").expect("r"), CustomOffset::NoData);
    assert_eq!(r.read_offset("o").expect("r"), CustomOffset::PosSet(6321));
    assert_eq!(r.read_offset("o").expect("r"), CustomOffset::PosNotSet);
    match reader(&[4, 0, 0, 0, 0, 0, 0, 0, 0]).read_offset("o") {
        Err(Error::Corrupt { detail, .. }) => {
            assert!(detail.contains("unexpected data offset flag 4"), "{detail}")
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

/// Header of the spec's §2.2 hexdump (18.6, custom, -Z0) followed by an empty TOC.
fn header_v18() -> Vec<u8> {
    let mut b = b"PGDMP".to_vec();
    b.extend_from_slice(&[1, 16, 0, 4, 8, 1, 0]);
    for v in [49u8, 44, 4, 21, 10, 126, 0] {
        b.extend_from_slice(&[0, v, 0, 0, 0]);
    }
    for s in [&b"specdb"[..], b"18.6", b"18.6"] {
        b.extend_from_slice(&[0, s.len() as u8, 0, 0, 0]);
        b.extend_from_slice(s);
    }
    b
}

#[test]
fn header_18_parses_and_rewrites_identically() {
    let mut bytes = header_v18();
    assert_eq!(bytes.len(), 0x4c);
    bytes.extend_from_slice(&[0, 0, 0, 0, 0]); // TOC count 0
    let (h, entries, end) = decode_header_and_toc(&bytes, "t", ExtraKind::Offset).expect("decode");
    assert_eq!(h.version, ArchiveVersion::V1_16);
    assert_eq!(h.format, FormatCode::Custom);
    assert_eq!(
        h.compression,
        HeaderCompression::Algorithm(CompressionAlgorithm::None)
    );
    let t = h.created.expect("time");
    assert_eq!(
        (t.sec, t.min, t.hour, t.mday, t.mon, t.year, t.isdst),
        (49, 44, 4, 21, 10, 126, 0)
    );
    assert_eq!(h.database_name.as_deref(), Some(&b"specdb"[..]));
    assert!(entries.is_empty());
    assert_eq!(end, bytes.len() as u64);
    assert_eq!(encode_header_and_toc(&h, &entries).expect("encode"), bytes);
}

#[test]
fn header_14_stores_a_level() {
    let mut bytes = header_v18();
    bytes[6] = 14;
    // 1.14: level Int −1 instead of the algorithm byte.
    bytes.splice(11..12, [1u8, 1, 0, 0, 0]);
    bytes.extend_from_slice(&[0, 0, 0, 0, 0]);
    let (h, _, _) = decode_header_and_toc(&bytes, "t", ExtraKind::FileName).expect("decode");
    assert_eq!(h.version, ArchiveVersion::V1_14);
    assert_eq!(h.compression, HeaderCompression::Level(-1));
    assert_eq!(h.compression.algorithm(), CompressionAlgorithm::Gzip);
    assert_eq!(encode_header_and_toc(&h, &[]).expect("encode"), bytes);
}

#[test]
fn wrong_magic_unsupported_version_and_truncation() {
    let mut bad = header_v18();
    bad[0] = b'X';
    assert!(matches!(
        read_header(&mut reader(&bad)),
        Err(Error::BadMagic { .. })
    ));
    let mut newer = header_v18();
    newer[6] = 17;
    match read_header(&mut reader(&newer)) {
        Err(e @ Error::UnsupportedVersion { .. }) => {
            assert!(e.to_string().contains("unsupported version (1.17)"), "{e}")
        }
        other => panic!("expected UnsupportedVersion, got {other:?}"),
    }
    let mut older = header_v18();
    older[5] = 0;
    assert!(matches!(
        read_header(&mut reader(&older)),
        Err(Error::UnsupportedVersion { .. })
    ));
    let whole = header_v18();
    // A Str running past the known end of input is an absurd length, not a read.
    assert!(matches!(
        read_header(&mut reader(&whole[..0x40])),
        Err(Error::AbsurdLength { offset: 0x3a, .. })
    ));
    for cut in [3, 9, 20] {
        match read_header(&mut reader(&whole[..cut])) {
            Err(Error::Truncated { offset, .. }) => {
                assert!(offset <= cut as u64, "cut {cut}: offset {offset}")
            }
            other => panic!("cut {cut}: expected Truncated, got {other:?}"),
        }
    }
    let mut big_int = header_v18();
    big_int[8] = 33;
    assert!(matches!(
        read_header(&mut reader(&big_int)),
        Err(Error::Corrupt { .. })
    ));
}

#[test]
fn toc_entry_count_beyond_input_is_absurd() {
    let mut bytes = header_v18();
    bytes.extend_from_slice(&[0, 0xff, 0xff, 0xff, 0x7f]);
    assert!(matches!(
        decode_header_and_toc(&bytes, "t", ExtraKind::Offset),
        Err(Error::AbsurdLength { offset: 0x4c, .. })
    ));
    let mut zero_id = header_v18();
    zero_id.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    zero_id.extend_from_slice(&[0; 40]);
    match decode_header_and_toc(&zero_id, "t", ExtraKind::Offset) {
        Err(Error::Corrupt { detail, offset, .. }) => {
            assert!(detail.contains("entry ID 0 out of range"), "{detail}");
            assert_eq!(offset, 0x51);
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn compression_spec_accepts_pg_dump_syntax() {
    let p = |s: &str| CompressionSpec::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    assert_eq!(p("0"), CompressionSpec::none());
    assert_eq!(p("none"), CompressionSpec::none());
    assert_eq!(p("5").level, 5);
    assert_eq!(p("5").algorithm, CompressionAlgorithm::Gzip);
    assert_eq!(p("-1"), CompressionSpec::gzip_default());
    assert_eq!(p("gzip"), CompressionSpec::gzip_default());
    assert_eq!(p("gzip:6").level, 6);
    assert_eq!(p("gzip:level=9").level, 9);
    assert_eq!(p("lz4").level, 0);
    assert_eq!(p("lz4:3").level, 3);
    assert_eq!(p("zstd").level, 3);
    assert_eq!(p("zstd:level=19").level, 19);
    assert_eq!(p("zstd:long").long_distance, Some(true));
    assert_eq!(p("zstd:level=5,long=off").long_distance, Some(false));
    assert_eq!(p("zstd:workers=2").workers, Some(2));
}

#[test]
fn compression_spec_errors_are_stock_messages() {
    // Each message as pg_dump 18 prints it after "pg_dump: error: ".
    let cases = [
        ("bogus", "unrecognized compression algorithm: \"bogus\""),
        ("gzip:12", "invalid compression specification: compression algorithm \"gzip\" expects a compression level between 1 and 9 (default at -1)"),
        ("10", "invalid compression specification: compression algorithm \"gzip\" expects a compression level between 1 and 9 (default at -1)"),
        ("none:3", "invalid compression specification: compression algorithm \"none\" does not accept a compression level"),
        ("lz4:long", "invalid compression specification: compression algorithm \"lz4\" does not support long-distance mode"),
        ("zstd:level", "invalid compression specification: compression option \"level\" requires a value"),
        ("gzip:level=x", "invalid compression specification: value for compression option \"level\" must be an integer"),
        ("gzip:", "invalid compression specification: found empty string where a compression option was expected"),
        ("gzip:,", "invalid compression specification: found empty string where a compression option was expected"),
        ("gzip:foo=1", "invalid compression specification: unrecognized compression option: \"foo\""),
        ("gzip:workers=2", "invalid compression specification: compression algorithm \"gzip\" does not accept a worker count"),
        ("zstd:long=maybe", "invalid compression specification: value for compression option \"long\" must be a Boolean value"),
    ];
    for (input, message) in cases {
        match CompressionSpec::parse(input) {
            Err(e @ Error::CompressionSpec(_)) => assert_eq!(e.to_string(), message, "-Z {input}"),
            other => panic!("-Z {input}: expected an error, got {other:?}"),
        }
    }
}

#[test]
fn compression_spec_header_field_per_version() {
    let lz4 = CompressionSpec::parse("lz4").expect("lz4");
    assert!(lz4.header_compression(ArchiveVersion::V1_14).is_err());
    assert_eq!(
        lz4.header_compression(ArchiveVersion::V1_15).expect("1.15"),
        HeaderCompression::Algorithm(CompressionAlgorithm::Lz4)
    );
    assert_eq!(
        CompressionSpec::parse("gzip:9")
            .expect("g")
            .header_compression(ArchiveVersion::V1_14)
            .expect("1.14"),
        HeaderCompression::Level(9)
    );
}

#[test]
fn adler32_combine_matches_direct_computation() {
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    for split in [0, 1, 5551, 5552, 65521, 99_999, 100_000] {
        let (a, b) = data.split_at(split);
        let combined = adler32_combine(adler32(1, a), adler32(1, b), b.len() as u64);
        assert_eq!(combined, adler32(1, &data), "split at {split}");
    }
    assert_eq!(adler32(1, b"Wikipedia"), 0x11E6_0398);
}

#[test]
fn stream_headers_match_pg_dump() {
    use pgark_formats::compress::{Container, Encoder};
    use std::io::Write;
    let finish = |spec: &str, container: Container| {
        let mut e = Encoder::new(
            &CompressionSpec::parse(spec).expect("spec"),
            container,
            Vec::new(),
        )
        .expect("encoder");
        e.write_all(b"1\tone\n\\.\n\n\n").expect("write");
        e.finish().expect("finish")
    };
    // LZ4 frame with pg_dump's preferences: FLG 0x40, BD 0x40, header checksum 0xc0.
    assert_eq!(
        &finish("lz4", Container::CustomStream)[..7],
        &[0x04, 0x22, 0x4d, 0x18, 0x40, 0x40, 0xc0]
    );
    // zlib stream in custom archives, level visible in the header.
    assert_eq!(&finish("gzip", Container::CustomStream)[..2], &[0x78, 0x9c]);
    assert_eq!(
        &finish("gzip:9", Container::CustomStream)[..2],
        &[0x78, 0xda]
    );
    assert_eq!(&finish("1", Container::CustomStream)[..2], &[0x78, 0x01]);
    // gzip file in directory archives: mtime 0, OS Unix.
    assert_eq!(
        &finish("gzip", Container::DirectoryFile)[..10],
        &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]
    );
    // zstd frame magic.
    assert_eq!(
        &finish("zstd", Container::CustomStream)[..4],
        &[0x28, 0xb5, 0x2f, 0xfd]
    );
}

/// Hand-encodes a one-entry archive of any version 1.1 – 1.16 following the spec's
/// field gates (§2.1, §3.1), independent of the crate's writer.
fn old_archive(minor: u8) -> Vec<u8> {
    let v = |m: u8| minor >= m;
    let mut b = b"PGDMP".to_vec();
    let int = |b: &mut Vec<u8>, x: i32| {
        if minor > 0 {
            b.push(u8::from(x < 0));
        }
        b.extend_from_slice(&x.unsigned_abs().to_le_bytes());
    };
    let s = |b: &mut Vec<u8>, t: Option<&[u8]>| match t {
        None => int(b, -1),
        Some(t) => {
            int(b, t.len() as i32);
            b.extend_from_slice(t);
        }
    };
    b.extend_from_slice(&[1, minor]);
    if minor > 0 {
        b.push(0); // rev
    }
    b.push(4); // intSize
    if v(7) {
        b.push(8); // offSize
    }
    b.push(1); // custom
    if v(15) {
        b.push(1);
    } else if v(4) {
        int(&mut b, -1);
    } else if v(2) {
        b.push(6);
    }
    if v(4) {
        for t in [1, 2, 3, 4, 5, 99, 0] {
            int(&mut b, t);
        }
        s(&mut b, Some(b"olddb"));
    }
    if v(10) {
        s(&mut b, Some(b"9.6"));
        s(&mut b, Some(b"9.6"));
    }
    int(&mut b, 1); // one entry
    int(&mut b, 7); // dumpId
    int(&mut b, 1); // hadDumper
    if v(8) {
        s(&mut b, Some(b"0"));
    }
    s(&mut b, Some(b"16384"));
    s(&mut b, Some(b"t"));
    s(&mut b, Some(b"TABLE DATA"));
    if v(11) {
        int(&mut b, 3);
    }
    s(&mut b, Some(b""));
    s(&mut b, None);
    if v(3) {
        s(&mut b, Some(b"COPY t FROM stdin;\n"));
    }
    if v(6) {
        s(&mut b, Some(b"public"));
    }
    if v(10) {
        s(&mut b, None);
    }
    if v(14) {
        s(&mut b, None);
    }
    if v(16) {
        int(&mut b, 0);
    }
    s(&mut b, Some(b"alice"));
    if v(9) {
        s(&mut b, Some(b"false"));
    }
    if v(5) {
        s(&mut b, Some(b"6"));
        s(&mut b, None);
    }
    if v(7) {
        b.push(1); // offset not set
        b.extend_from_slice(&[0; 8]);
    } else {
        int(&mut b, -1); // offset not set
        int(&mut b, 0); // data size
    }
    b
}

#[test]
fn every_version_from_1_1_reads_with_its_field_gates() {
    // (1.0 has no sign bytes, so its NULL strings and unset offsets cannot be encoded here.)
    for minor in 1..=16u8 {
        let bytes = old_archive(minor);
        let (h, entries, end) = decode_header_and_toc(&bytes, "old", ExtraKind::Offset)
            .unwrap_or_else(|e| panic!("1.{minor}: {e}"));
        assert_eq!(end, bytes.len() as u64, "1.{minor}: all bytes consumed");
        assert_eq!((h.version.major, h.version.minor), (1, minor));
        assert_eq!(h.off_size, if minor >= 7 { 8 } else { 4 }, "1.{minor}");
        assert_eq!(h.database_name.is_some(), minor >= 4, "1.{minor}");
        assert_eq!(h.server_version.is_some(), minor >= 10, "1.{minor}");
        let e = &entries[0];
        assert_eq!(e.dump_id, 7);
        assert!(e.had_dumper);
        assert_eq!(e.catalog_id.oid, 16384);
        assert_eq!(e.desc, pgark_formats::Desc::TableData);
        // Before 1.11 the section comes from the desc.
        assert_eq!(e.section, pgark_formats::Section::Data, "1.{minor}");
        assert_eq!(e.copy_stmt.is_some(), minor >= 3, "1.{minor}");
        assert_eq!(e.namespace.is_some(), minor >= 6, "1.{minor}");
        assert_eq!(e.owner.as_deref(), Some(&b"alice"[..]), "1.{minor}");
        assert_eq!(
            e.dependencies,
            if minor >= 5 { vec![6] } else { vec![] },
            "1.{minor}"
        );
        assert_eq!(
            e.data_location,
            pgark_formats::model::DataLocation::Custom(CustomOffset::PosNotSet),
            "1.{minor}"
        );
    }
}
