//! Writer → reader round trips of the spec's Appendix A archive in every format,
//! version and compression, and the error cases: corrupt compressed data, truncated
//! files, missing directory members, bad tar checksums, out-of-order tar data, offsets
//! never set, trailing garbage. No database involved.

use std::fs;
use std::io::Read;
use std::path::Path;

use pgark_formats::compress::member::CompressedMember;
use pgark_formats::compress::{CompressionAlgorithm, Container};
use pgark_formats::model::{
    ArchiveTime, CatalogId, CustomOffset, DataLocation, Desc, Section, TocEntry,
};
use pgark_formats::{
    new_header, ArchiveFormat, ArchiveReader, ArchiveVersion, ArchiveWriter, CompressionSpec,
    Error, Toc, WriteOptions,
};

const TABLE_DATA: &[u8] = b"1\tone\n2\ttwo\n3\t\\N\n\\.\n\n\n";
const LO: &[u8] = b"hello large object";

fn entry(dump_id: i32, desc: Desc, section: Section, tag: &str) -> TocEntry {
    TocEntry {
        dump_id,
        had_dumper: false,
        catalog_id: CatalogId::default(),
        tag: Some(tag.as_bytes().to_vec()),
        desc,
        section,
        defn: None,
        drop_stmt: None,
        copy_stmt: None,
        namespace: None,
        tablespace: None,
        table_am: None,
        relkind: 0,
        owner: None,
        with_oids: Some(b"false".to_vec()),
        dependencies: Vec::new(),
        data_location: DataLocation::File(Vec::new()),
    }
}

/// The spec's Appendix A TOC, with the large-object layout of `version`.
fn appendix_a(version: ArchiveVersion, spec: &CompressionSpec) -> Toc {
    let mut e = vec![
        TocEntry {
            defn: Some(b"SET client_encoding = 'UTF8';\n".to_vec()),
            ..entry(10, Desc::Encoding, Section::PreData, "ENCODING")
        },
        TocEntry {
            defn: Some(b"SET standard_conforming_strings = 'on';\n".to_vec()),
            ..entry(11, Desc::StdStrings, Section::PreData, "STDSTRINGS")
        },
        TocEntry {
            defn: Some(b"SELECT pg_catalog.set_config('search_path', '', false);\n".to_vec()),
            ..entry(12, Desc::SearchPath, Section::PreData, "SEARCHPATH")
        },
        TocEntry {
            catalog_id: CatalogId {
                table_oid: 2615,
                oid: 50000,
            },
            defn: Some(b"CREATE SCHEMA w;\n".to_vec()),
            drop_stmt: Some(b"DROP SCHEMA w;\n".to_vec()),
            owner: Some(b"postgres".to_vec()),
            ..entry(1, Desc::Schema, Section::PreData, "w")
        },
        TocEntry {
            catalog_id: CatalogId {
                table_oid: 1259,
                oid: 50001,
            },
            defn: Some(b"CREATE TABLE w.t (id integer, v text);\n".to_vec()),
            drop_stmt: Some(b"DROP TABLE w.t;\n".to_vec()),
            namespace: Some(b"w".to_vec()),
            tablespace: Some(Vec::new()),
            table_am: Some(b"heap".to_vec()),
            relkind: if version >= ArchiveVersion::V1_16 {
                b'r'
            } else {
                0
            },
            owner: Some(b"postgres".to_vec()),
            dependencies: vec![1],
            ..entry(2, Desc::Table, Section::PreData, "t")
        },
        TocEntry {
            had_dumper: true,
            catalog_id: CatalogId {
                table_oid: 0,
                oid: 50001,
            },
            copy_stmt: Some(b"COPY w.t (id, v) FROM stdin;\n".to_vec()),
            namespace: Some(b"w".to_vec()),
            owner: Some(b"postgres".to_vec()),
            dependencies: vec![2],
            ..entry(3, Desc::TableData, Section::Data, "t")
        },
    ];
    if version >= ArchiveVersion::V1_16 {
        e.push(TocEntry {
            catalog_id: CatalogId {
                table_oid: 2613,
                oid: 880001,
            },
            defn: Some(b"880001\n3000000000\n".to_vec()),
            drop_stmt: Some(b"-- dummy".to_vec()),
            owner: Some(b"postgres".to_vec()),
            ..entry(5, Desc::BlobMetadata, Section::Data, "880001..3000000000")
        });
        e.push(TocEntry {
            had_dumper: true,
            owner: Some(b"postgres".to_vec()),
            dependencies: vec![5],
            ..entry(6, Desc::Blobs, Section::Data, "880001..3000000000")
        });
    } else {
        for oid in [880001u32, 3_000_000_000] {
            e.push(TocEntry {
                catalog_id: CatalogId {
                    table_oid: 2613,
                    oid,
                },
                defn: Some(format!("SELECT pg_catalog.lo_create('{oid}');\n").into_bytes()),
                drop_stmt: Some(format!("SELECT pg_catalog.lo_unlink('{oid}');\n").into_bytes()),
                owner: Some(b"postgres".to_vec()),
                ..entry(
                    if oid == 880001 { 5 } else { 7 },
                    Desc::Blob,
                    Section::PreData,
                    &oid.to_string(),
                )
            });
        }
        e.push(TocEntry {
            had_dumper: true,
            ..entry(6, Desc::Blobs, Section::Data, "BLOBS")
        });
    }
    e.push(TocEntry {
        catalog_id: CatalogId {
            table_oid: 1259,
            oid: 50002,
        },
        defn: Some(b"CREATE INDEX t_v_idx ON w.t USING btree (v);\n".to_vec()),
        drop_stmt: Some(b"DROP INDEX w.t_v_idx;\n".to_vec()),
        namespace: Some(b"w".to_vec()),
        tablespace: Some(Vec::new()),
        owner: Some(b"postgres".to_vec()),
        dependencies: vec![2],
        ..entry(4, Desc::Index, Section::PostData, "t_v_idx")
    });
    let created = ArchiveTime {
        sec: 49,
        min: 44,
        hour: 4,
        mday: 21,
        mon: 10,
        year: 126,
        isdst: 0,
    };
    let header = new_header(version, spec, created, b"specdb", b"18.6", b"18.6").expect("header");
    Toc { header, entries: e }
}

fn write_archive(
    format: ArchiveFormat,
    path: &Path,
    version: ArchiveVersion,
    spec: CompressionSpec,
    members: bool,
) {
    let toc = appendix_a(version, &spec);
    let options = WriteOptions {
        version: None,
        compression: spec,
        sync: false,
    };
    let mut w = ArchiveWriter::create(format, path, toc, options).expect("create");
    if members {
        let container = w.member_container();
        w.begin_data_members(3).expect("begin");
        for piece in TABLE_DATA.chunks(7) {
            w.write_compressed_member(
                &CompressedMember::compress(&spec, container, piece).expect("member"),
            )
            .expect("write");
        }
    } else {
        w.begin_data(3).expect("begin");
        for piece in TABLE_DATA.chunks(5) {
            w.write_data(piece).expect("write");
        }
    }
    w.end_data().expect("end");
    w.begin_blobs(6).expect("blobs");
    w.start_lo(880001).expect("lo");
    w.write_data(LO).expect("lo data");
    w.end_lo().expect("end lo");
    w.start_lo(3_000_000_000).expect("lo");
    w.end_lo().expect("end lo");
    w.end_blobs().expect("end blobs");
    w.finish().expect("finish");
}

fn read_all(mut r: impl Read) -> Result<Vec<u8>, std::io::Error> {
    let mut v = Vec::new();
    r.read_to_end(&mut v)?;
    Ok(v)
}

fn check_archive(
    path: &Path,
    format: ArchiveFormat,
    version: ArchiveVersion,
    spec: &CompressionSpec,
) {
    let what = path.display().to_string();
    let r = ArchiveReader::open(path).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(r.format(), format, "{what}");
    assert_eq!(r.header().version, version, "{what}");
    assert_eq!(r.header().compression.algorithm(), spec.algorithm, "{what}");
    let expected = appendix_a(version, spec);
    assert_eq!(r.entries().len(), expected.entries.len(), "{what}");
    for (a, b) in r.entries().iter().zip(&expected.entries) {
        assert_eq!(
            TocEntry {
                data_location: b.data_location.clone(),
                ..a.clone()
            },
            *b,
            "{what}: entry {}",
            b.dump_id
        );
    }
    let data = read_all(r.open_data(3).expect("open")).expect("read");
    assert!(
        data == TABLE_DATA,
        "{what}: table data differs: {:?}",
        String::from_utf8_lossy(&data)
    );
    assert_eq!(
        read_all(r.open_data(2).expect("open")).expect("read"),
        b"",
        "{what}: entry without data"
    );
    let mut blobs = r.open_blobs(6).expect("blobs");
    let mut got = Vec::new();
    while let Some(b) = blobs.next_blob().expect("next") {
        let oid = b.oid;
        got.push((oid, read_all(b.data).expect("lo")));
    }
    assert_eq!(
        got,
        vec![(880001, LO.to_vec()), (3_000_000_000, Vec::new())],
        "{what}"
    );
}

fn specs(version: ArchiveVersion) -> Vec<CompressionSpec> {
    let mut v = vec![
        CompressionSpec::none(),
        CompressionSpec::gzip_default(),
        CompressionSpec::parse("gzip:1").expect("g"),
    ];
    if version >= ArchiveVersion::V1_15 {
        v.push(CompressionSpec::parse("lz4").expect("lz4"));
        v.push(CompressionSpec::parse("lz4:9").expect("lz4"));
        v.push(CompressionSpec::parse("zstd").expect("zstd"));
        v.push(CompressionSpec::parse("zstd:level=1,long").expect("zstd"));
    }
    v
}

#[test]
fn every_format_version_and_compression_round_trips() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut n = 0;
    for version in [
        ArchiveVersion::V1_14,
        ArchiveVersion::V1_15,
        ArchiveVersion::V1_16,
    ] {
        for spec in specs(version) {
            for members in [false, true] {
                for format in [
                    ArchiveFormat::Custom,
                    ArchiveFormat::Directory,
                    ArchiveFormat::Tar,
                ] {
                    if format == ArchiveFormat::Tar && spec.algorithm != CompressionAlgorithm::None
                    {
                        continue;
                    }
                    n += 1;
                    let path = dir.path().join(format!("a{n}"));
                    write_archive(format, &path, version, spec, members);
                    check_archive(&path, format, version, &spec);
                }
            }
        }
    }
    assert!(n > 30);
}

#[test]
fn custom_offsets_are_rewritten_in_place() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("a.dump");
    write_archive(
        ArchiveFormat::Custom,
        &path,
        ArchiveVersion::V1_16,
        CompressionSpec::none(),
        false,
    );
    let bytes = fs::read(&path).expect("read");
    let r = ArchiveReader::open(&path).expect("open");
    for e in r.entries() {
        match e.data_location {
            DataLocation::Custom(CustomOffset::PosSet(p)) => {
                assert!(e.had_dumper);
                let block_type = if e.desc == Desc::Blobs { 3 } else { 1 };
                assert_eq!(bytes[p as usize], block_type);
                assert_eq!(
                    &bytes[p as usize + 1..p as usize + 6],
                    &[0, e.dump_id as u8, 0, 0, 0]
                );
                assert!(r.size_estimate(e.dump_id).expect("estimate") > 0);
            }
            DataLocation::Custom(CustomOffset::NoData) => assert!(!e.had_dumper),
            ref other => panic!("unexpected {other:?}"),
        }
    }
    // No temporary file is left behind.
    assert_eq!(fs::read_dir(dir.path()).expect("ls").count(), 1);
}

#[test]
fn custom_without_offsets_is_scanned_and_trailing_garbage_ignored() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("pipe.dump");
    let spec = CompressionSpec::gzip_default();
    let toc = appendix_a(ArchiveVersion::V1_16, &spec);
    let out = fs::File::create(&path).expect("create");
    let mut w = ArchiveWriter::custom_to_stream(
        Box::new(out),
        "pipe",
        toc,
        WriteOptions {
            compression: spec,
            ..Default::default()
        },
    )
    .expect("writer");
    w.begin_data(3).expect("b");
    w.write_data(TABLE_DATA).expect("w");
    w.end_data().expect("e");
    w.begin_blobs(6).expect("b");
    w.start_lo(880001).expect("lo");
    w.write_data(LO).expect("w");
    w.end_lo().expect("e");
    w.start_lo(3_000_000_000).expect("lo");
    w.end_lo().expect("e");
    w.end_blobs().expect("e");
    w.finish().expect("finish");
    let mut bytes = fs::read(&path).expect("read");
    bytes.extend_from_slice(b"\x07garbage after the last block, like pg_dump 18's appended TOC");
    fs::write(&path, &bytes).expect("write");
    let r = ArchiveReader::open(&path).expect("open");
    assert!(r
        .entries()
        .iter()
        .filter(|e| e.had_dumper)
        .all(|e| e.data_location == DataLocation::Custom(CustomOffset::PosNotSet)));
    // Out of TOC order: the blobs first, then the table (found positions are remembered).
    let mut blobs = r.open_blobs(6).expect("blobs");
    let first = blobs.next_blob().expect("next").expect("one");
    assert_eq!(first.oid, 880001);
    assert_eq!(read_all(first.data).expect("lo"), LO);
    assert_eq!(
        read_all(r.open_data(3).expect("open")).expect("data"),
        TABLE_DATA
    );
    assert_eq!(r.size_estimate(3), None);
}

#[test]
fn corrupt_compressed_data_names_file_and_entry() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("c.dump");
    let big: Vec<u8> = (0..200_000u32)
        .flat_map(|i| format!("{i}\trow {i}\n").into_bytes())
        .collect();
    let spec = CompressionSpec::gzip_default();
    let mut w = ArchiveWriter::create(
        ArchiveFormat::Custom,
        &path,
        appendix_a(ArchiveVersion::V1_16, &spec),
        WriteOptions {
            compression: spec,
            sync: false,
            version: None,
        },
    )
    .expect("create");
    w.begin_data(3).expect("b");
    w.write_data(&big).expect("w");
    w.end_data().expect("e");
    w.begin_blobs(6).expect("b");
    w.end_blobs().expect("e");
    w.finish().expect("finish");
    let r = ArchiveReader::open(&path).expect("open");
    let DataLocation::Custom(CustomOffset::PosSet(p)) = r.entry(3).expect("e").data_location else {
        panic!("offset")
    };
    let mut bytes = fs::read(&path).expect("read");
    // Damage the deflate data well inside the first chunk.
    for b in &mut bytes[p as usize + 200..p as usize + 260] {
        *b ^= 0x5a;
    }
    fs::write(&path, &bytes).expect("write");
    let r = ArchiveReader::open(&path).expect("open");
    let err = read_all(r.open_data(3).expect("open")).expect_err("corrupt stream must fail");
    let msg = err.to_string();
    assert!(
        msg.contains("entry 3 (TABLE DATA t)") && msg.contains("c.dump"),
        "{msg}"
    );
}

#[test]
fn truncated_custom_file_is_an_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("t.dump");
    write_archive(
        ArchiveFormat::Custom,
        &path,
        ArchiveVersion::V1_16,
        CompressionSpec::none(),
        false,
    );
    let bytes = fs::read(&path).expect("read");
    let r = ArchiveReader::open(&path).expect("open");
    let DataLocation::Custom(CustomOffset::PosSet(p)) = r.entry(3).expect("e").data_location else {
        panic!("offset")
    };
    // Cut inside the table's data, and inside the TOC.
    fs::write(&path, &bytes[..p as usize + 12]).expect("write");
    match ArchiveReader::open(&path) {
        Err(Error::Corrupt { .. }) => {} // the recorded offset now lies past the end
        Ok(r) => {
            let err = read_all(r.open_data(3).expect("open")).expect_err("truncated");
            assert!(err.to_string().contains("entry 3"), "{err}");
        }
        Err(e) => panic!("unexpected {e}"),
    }
    let data = r.open_data(3);
    drop(data);
    fs::write(&path, &bytes[..200]).expect("write");
    match ArchiveReader::open(&path) {
        Err(Error::Truncated { .. } | Error::AbsurdLength { .. }) => {}
        other => panic!("expected truncation error, got {:?}", other.err()),
    }
    for cut in (0..bytes.len()).step_by(37) {
        fs::write(&path, &bytes[..cut]).expect("write");
        // Every cut is an error or a readable prefix; never a panic or hang.
        if let Ok(r) = ArchiveReader::open(&path) {
            if let Ok(d) = r.open_data(3) {
                let _ = read_all(d);
            }
        }
    }
}

#[test]
fn missing_directory_member_names_the_entry() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("d");
    let spec = CompressionSpec::gzip_default();
    write_archive(
        ArchiveFormat::Directory,
        &path,
        ArchiveVersion::V1_16,
        spec,
        false,
    );
    fs::remove_file(path.join("3.dat.gz")).expect("rm");
    let r = ArchiveReader::open(&path).expect("open");
    match r.open_data(3) {
        Err(e @ Error::MissingMember { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("3.dat") && msg.contains("entry 3 (TABLE DATA t)"),
                "{msg}"
            );
        }
        other => panic!("expected MissingMember, got {:?}", other.err()),
    }
    // The actual suffix wins over the header: an uncompressed file is found and read raw.
    fs::write(path.join("3.dat"), TABLE_DATA).expect("write");
    assert_eq!(
        read_all(r.open_data(3).expect("open")).expect("read"),
        TABLE_DATA
    );
    // A directory without toc.dat is not an archive.
    fs::remove_file(path.join("toc.dat")).expect("rm");
    assert!(matches!(
        ArchiveReader::open(&path),
        Err(Error::BadMagic { .. })
    ));
}

#[test]
fn directory_writer_refuses_a_non_empty_directory_and_incomplete_data() {
    let dir = tempfile::tempdir().expect("tmp");
    fs::write(dir.path().join("x"), b"x").expect("write");
    let spec = CompressionSpec::none();
    let opts = WriteOptions {
        compression: spec,
        sync: false,
        version: None,
    };
    assert!(ArchiveWriter::create(
        ArchiveFormat::Directory,
        dir.path(),
        appendix_a(ArchiveVersion::V1_16, &spec),
        opts
    )
    .is_err());
    let path = dir.path().join("d");
    let mut w = ArchiveWriter::create(
        ArchiveFormat::Directory,
        &path,
        appendix_a(ArchiveVersion::V1_16, &spec),
        opts,
    )
    .expect("create");
    w.begin_data(3).expect("b");
    w.end_data().expect("e");
    let err = w.finish().expect_err("BLOBS entry has no data");
    assert!(err.to_string().contains("entry 6 (BLOBS"), "{err}");
    assert!(
        !path.join("toc.dat").exists(),
        "an incomplete archive must not get a toc.dat"
    );
}

#[test]
fn tar_checksum_corruption_and_out_of_order_data() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("t.tar");
    let spec = CompressionSpec::none();
    write_archive(
        ArchiveFormat::Tar,
        &path,
        ArchiveVersion::V1_16,
        spec,
        false,
    );
    let good = fs::read(&path).expect("read");
    // Damage the second member's header (3.dat), past toc.dat.
    let r = pgark_formats::tar::TarReader::open(&path).expect("open");
    let m = r
        .members()
        .iter()
        .find(|m| m.name == "3.dat")
        .expect("member")
        .clone();
    let mut bad = good.clone();
    bad[m.offset as usize - 512 + 5] ^= 1;
    fs::write(&path, &bad).expect("write");
    match ArchiveReader::open(&path) {
        Err(Error::Corrupt { detail, offset, .. }) => {
            assert!(detail.contains("corrupt tar header"), "{detail}");
            assert_eq!(offset, m.offset - 512);
        }
        other => panic!("expected Corrupt, got {:?}", other.err()),
    }
    // Not a tar at all.
    fs::write(&path, [7u8; 1024]).expect("write");
    assert!(matches!(
        ArchiveReader::open(&path),
        Err(Error::BadMagic { .. })
    ));
    // Missing end-of-archive blocks are tolerated.
    fs::write(&path, &good[..good.len() - 1024]).expect("write");
    assert_eq!(
        read_all(
            ArchiveReader::open(&path)
                .expect("open")
                .open_data(3)
                .expect("d")
        )
        .expect("r"),
        TABLE_DATA
    );
    // Writing data out of TOC order is refused (pg_restore reads tar strictly forward).
    let mut w = ArchiveWriter::create(
        ArchiveFormat::Tar,
        dir.path().join("o.tar"),
        appendix_a(ArchiveVersion::V1_16, &spec),
        WriteOptions {
            compression: spec,
            sync: false,
            version: None,
        },
    )
    .expect("create");
    w.begin_blobs(6).expect("b");
    w.end_blobs().expect("e");
    let err = w.begin_data(3).expect_err("out of order");
    assert!(err.to_string().contains("TOC order"), "{err}");
    // Tar takes no compression; 1.14 takes no lz4/zstd.
    let gz = CompressionSpec::gzip_default();
    assert!(ArchiveWriter::create(
        ArchiveFormat::Tar,
        dir.path().join("g.tar"),
        appendix_a(ArchiveVersion::V1_16, &gz),
        WriteOptions {
            compression: gz,
            sync: false,
            version: None
        }
    )
    .is_err());
    let zstd = CompressionSpec::parse("zstd").expect("z");
    let err = ArchiveWriter::create(
        ArchiveFormat::Custom,
        dir.path().join("z.dump"),
        appendix_a(ArchiveVersion::V1_16, &zstd),
        WriteOptions {
            compression: zstd,
            sync: false,
            version: Some(ArchiveVersion::V1_14),
        },
    )
    .err()
    .expect("1.14 has no zstd");
    assert!(err.to_string().contains("only gzip or none"), "{err}");
}

#[test]
fn members_decode_as_one_stream() {
    let data: Vec<u8> = (0..50_000u32)
        .flat_map(|i| format!("{i}\tvalue {}\n", i % 97).into_bytes())
        .collect();
    for alg in ["gzip", "gzip:9", "lz4", "zstd"] {
        let spec = CompressionSpec::parse(alg).expect("spec");
        for container in [Container::CustomStream, Container::DirectoryFile] {
            let members: Vec<_> = data
                .chunks(10_000)
                .map(|c| CompressedMember::compress(&spec, container, c).expect("compress"))
                .collect();
            let dir = tempfile::tempdir().expect("tmp");
            let path = dir.path().join("m");
            let format = if container == Container::CustomStream {
                ArchiveFormat::Custom
            } else {
                ArchiveFormat::Directory
            };
            let mut toc = appendix_a(ArchiveVersion::V1_16, &spec);
            toc.entries.retain(|e| e.desc != Desc::Blobs);
            let mut w = ArchiveWriter::create(
                format,
                &path,
                toc,
                WriteOptions {
                    compression: spec,
                    sync: false,
                    version: None,
                },
            )
            .expect("create");
            w.begin_data_members(3).expect("b");
            for m in &members {
                w.write_compressed_member(m).expect("w");
            }
            w.end_data().expect("e");
            w.finish().expect("f");
            let r = ArchiveReader::open(&path).expect("open");
            assert!(
                read_all(r.open_data(3).expect("d")).expect("r") == data,
                "{alg} {container:?}: data differs"
            );
        }
    }
}

#[test]
fn detection_rejects_text_dumps_and_short_files() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("x.sql");
    fs::write(&path, b"--\n-- PostgreSQL database dump\n--\n").expect("write");
    match ArchiveReader::open(&path) {
        Err(e @ Error::BadMagic { .. }) => {
            assert!(e.to_string().contains("text format dump"), "{e}")
        }
        other => panic!("expected BadMagic, got {:?}", other.err()),
    }
    fs::write(&path, b"PGD").expect("write");
    match ArchiveReader::open(&path) {
        Err(e) => assert!(e.to_string().contains("too short"), "{e}"),
        Ok(_) => panic!("short file accepted"),
    }
}

#[test]
fn readers_are_shareable_and_writers_movable_across_threads() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<ArchiveReader>();
    send::<ArchiveWriter>();
    send::<pgark_formats::directory::DirectoryDataFile>();
    send::<CompressedMember>();
}

#[test]
fn streams_read_forward_and_refuse_out_of_order_requests() {
    let dir = tempfile::tempdir().expect("tmp");
    for version in [ArchiveVersion::V1_14, ArchiveVersion::V1_16] {
        for (format, spec) in [
            (ArchiveFormat::Custom, CompressionSpec::gzip_default()),
            (ArchiveFormat::Custom, CompressionSpec::none()),
            (ArchiveFormat::Tar, CompressionSpec::none()),
        ] {
            let path = dir
                .path()
                .join(format!("s-{version}-{format:?}-{}", spec.algorithm.name()));
            write_archive(format, &path, version, spec, false);
            let what = path.display().to_string();
            let open = || {
                ArchiveReader::from_stream(Box::new(fs::File::open(&path).expect("open")), "stdin")
                    .expect("stream")
            };
            // In order: table data, then large objects.
            let r = open();
            assert_eq!(r.format(), format, "{what}");
            assert!(!r.is_seekable() && !r.supports_parallel_restore());
            assert!(
                read_all(r.open_data(3).expect("data")).expect("read") == TABLE_DATA,
                "{what}"
            );
            let mut blobs = r.open_blobs(6).expect("blobs");
            let mut got = Vec::new();
            while let Some(b) = blobs.next_blob().expect("next") {
                let oid = b.oid;
                got.push((oid, read_all(b.data).expect("lo")));
            }
            assert_eq!(
                got,
                vec![(880001, LO.to_vec()), (3_000_000_000, Vec::new())],
                "{what}"
            );
            drop(blobs);
            // Backwards: refused with the entry named.
            match r.open_data(3) {
                Err(e @ Error::OutOfOrder { .. }) => {
                    assert!(e.to_string().contains("entry 3 (TABLE DATA t)"), "{e}")
                }
                other => panic!("{what}: expected OutOfOrder, got {:?}", other.err()),
            }
            // A reader left behind by a later open fails instead of reading other bytes.
            let r = open();
            let mut stale = r.open_data(3).expect("data");
            let mut first = [0u8; 2];
            stale.read_exact(&mut first).expect("two bytes");
            let mut blobs = r.open_blobs(6).expect("blobs");
            assert_eq!(
                blobs.next_blob().expect("next").expect("lo").oid,
                880001,
                "{what}"
            );
            drop(blobs);
            assert!(read_all(stale).is_err(), "{what}: stale reader must fail");
        }
    }
}

#[test]
fn tar_written_to_a_stream_reads_back() {
    let dir = tempfile::tempdir().expect("tmp");
    for version in [ArchiveVersion::V1_14, ArchiveVersion::V1_16] {
        let spec = CompressionSpec::none();
        let path = dir.path().join(format!("stream-{version}.tar"));
        let out = fs::File::create(&path).expect("create");
        let mut w = ArchiveWriter::to_stream(
            ArchiveFormat::Tar,
            Box::new(out),
            "stdout",
            appendix_a(version, &spec),
            WriteOptions {
                compression: spec,
                sync: false,
                version: None,
            },
        )
        .expect("writer");
        w.begin_data(3).expect("b");
        w.write_data(TABLE_DATA).expect("w");
        w.end_data().expect("e");
        w.begin_blobs(6).expect("b");
        w.start_lo(880001).expect("lo");
        w.write_data(LO).expect("w");
        w.end_lo().expect("e");
        w.start_lo(3_000_000_000).expect("lo");
        w.end_lo().expect("e");
        w.end_blobs().expect("e");
        w.finish().expect("finish");
        check_archive(&path, ArchiveFormat::Tar, version, &spec);
        // Same bytes as the file writer, apart from member mtimes.
        let file = dir.path().join(format!("file-{version}.tar"));
        write_archive(ArchiveFormat::Tar, &file, version, spec, false);
        assert_eq!(
            fs::metadata(&file).expect("m").len(),
            fs::metadata(&path).expect("m").len()
        );
    }
}
