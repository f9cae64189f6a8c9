//! `pgark dump -E` into multi-byte client encodings (EUC_JP, SJIS, SHIFT_JIS_2004,
//! GB18030, BIG5) and dumps of an EUC_JP database, byte for byte against stock
//! pg_dump 18 (after the two header version comment lines): the server converts, so
//! the bytes and the error for an unmappable character must be stock's.

use std::process::Command;

use pgark_testkit::roundtrip::unified_diff;
use pgark_testkit::{available_majors, scratch_dir, stock_tool, without_version_line_bytes, Cluster};

const KEY: &str = "pgarkEncodingKey0123456";

/// Japanese names, comments and data, in ASCII (`U&` escapes) so that the script loads
/// into a database of any encoding. ソ and 表 end in byte 0x5c (a backslash) in SJIS;
/// `big` holds more data than pgark converts in one round trip.
const JAPANESE_SQL: &str = r#"
CREATE SCHEMA U&"\65E5\672C";
COMMENT ON SCHEMA U&"\65E5\672C" IS U&'\65E5\672C\8A9E\306E\30B9\30AD\30FC\30DE';
CREATE TABLE U&"\65E5\672C".U&"\8868" (U&"\540D\524D" text, n integer DEFAULT 1,
    note text CHECK (note <> U&'\30BD'));
COMMENT ON COLUMN U&"\65E5\672C".U&"\8868".U&"\540D\524D" IS U&'\30BD\30D5\30C8\FF71';
INSERT INTO U&"\65E5\672C".U&"\8868" VALUES
    (U&'\3042\3044\3046 \30BD\8868', 1, U&'\FF71\FF72 tab\0009x'),
    (U&'\8868\793A\FF3C', 2, NULL),
    (NULL, 3, U&'back\005Cslash \30BD');
CREATE TABLE U&"\65E5\672C".big (n integer, t text);
INSERT INTO U&"\65E5\672C".big
    SELECT i, repeat(U&'\30BD\8868\3042', 1 + i % 7) FROM generate_series(1, 12000) i;
CREATE VIEW U&"\65E5\672C".U&"\30D3\30E5\30FC" AS
    SELECT U&"\540D\524D" || U&'\3055\3093' AS U&"\6C0F\540D" FROM U&"\65E5\672C".U&"\8868";
"#;

/// Tables outside what some encodings have: an emoji (four bytes in GB18030, lacking in EUC_JP and
/// SJIS) and か with a combining semi-voiced mark (one character in JIS X 0213, so in
/// EUC_JIS_2004 and SHIFT_JIS_2004).
const EXTRA_SQL: &str = r#"
CREATE TABLE U&"\65E5\672C".x_emoji (t text);
INSERT INTO U&"\65E5\672C".x_emoji VALUES (U&'smile \+01F600');
CREATE TABLE U&"\65E5\672C".x_jis (t text);
INSERT INTO U&"\65E5\672C".x_jis VALUES (U&'\304B\309A \304B'), (U&'\30BD');
"#;

/// Chinese names, comments and data (in BIG5, GBK, EUC_CN, EUC_TW, UHC's hanja).
const CHINESE_SQL: &str = r#"
CREATE SCHEMA U&"\4E2D\6587";
COMMENT ON SCHEMA U&"\4E2D\6587" IS U&'\4E2D\6587\6A21\5F0F';
CREATE TABLE U&"\4E2D\6587".U&"\5B57" (U&"\540D" text, n integer);
INSERT INTO U&"\4E2D\6587".U&"\5B57" VALUES (U&'\4E2D\570B \5B57', 1), (NULL, 2);
"#;

fn pgark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pgark"))
}

fn cluster_18() -> Option<Cluster> {
    if !available_majors().contains(&18) {
        assert!(
            std::env::var_os("CI").is_none(),
            "PostgreSQL 18 is not provisioned"
        );
        eprintln!("skipping: PostgreSQL 18 is not provisioned");
        return None;
    }
    Some(Cluster::start(18))
}

/// Runs a dump (stock pg_dump 18 or pgark) and returns its raw standard output, or
/// its standard error when it fails.
fn raw_dump(cluster: &Cluster, stock: bool, args: &[&str]) -> Result<Vec<u8>, String> {
    let mut cmd = if stock {
        Command::new(stock_tool(18, "pg_dump"))
    } else {
        let mut c = pgark();
        c.arg("dump");
        c
    };
    cluster.apply_env(&mut cmd);
    if !args.contains(&"-Fc") && !args.contains(&"-Fd") {
        cmd.arg(format!("--restrict-key={KEY}"));
    }
    let out = cmd.args(args).output().expect("run dump");
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// A failure report when the two outputs differ.
fn compare(what: &str, stock: &[u8], ours: &[u8]) -> Option<String> {
    let (s, o) = (without_version_line_bytes(stock), without_version_line_bytes(ours));
    (s != o).then(|| {
        format!(
            "{what}:\n{}",
            unified_diff(
                &String::from_utf8_lossy(&s),
                &String::from_utf8_lossy(&o),
                "stock",
                "pgark"
            )
        )
    })
}

/// Both dumps fail, pgark's error carrying `expected` as stock's does.
fn both_fail(cluster: &Cluster, args: &[&str], expected: &str) {
    let stock = raw_dump(cluster, true, args).expect_err("stock pg_dump fails");
    let ours = raw_dump(cluster, false, args).expect_err("pgark dump fails");
    assert!(stock.contains(expected), "stock {args:?}: {stock}");
    assert!(ours.contains(expected), "pgark {args:?}: {ours}");
}

/// `-E` into multi-byte encodings on a UTF8 database (plain with COPY data and INSERTs,
/// a custom archive rendered by stock pg_restore), an EUC_JP database dumped without
/// and with `-E`, and the server's errors for unmappable characters and encodings it
/// cannot convert into.
#[test]
fn multibyte_client_encodings_match_stock() {
    let Some(cluster) = cluster_18() else {
        return;
    };
    cluster.create_database("mb");
    cluster.psql("mb", JAPANESE_SQL);
    cluster.psql("mb", EXTRA_SQL);
    cluster.create_database("zh");
    cluster.psql("zh", CHINESE_SQL);

    let mut failures = Vec::new();
    let sets: &[&[&str]] = &[
        &["-E", "EUC_JP", "-T", "*.x_*"],
        &["-E", "SJIS", "-T", "*.x_*"],
        &["-E", "sjis", "--inserts", "-T", "*.x_*"],
        &["-E", "EUC_JP", "-a", "--column-inserts", "-T", "*.x_*"],
        &["-E", "SHIFT_JIS_2004", "-t", "*.x_jis"],
        &["-E", "EUC_JIS_2004", "--inserts", "-t", "*.x_jis"],
        &["-E", "GB18030"],
        &["-E", "GB18030", "--rows-per-insert=2"],
    ];
    let chinese: &[&[&str]] = &[
        &["-E", "BIG5"],
        &["-E", "EUC_TW", "--inserts"],
        &["-E", "GBK"],
        &["-E", "UHC"],
    ];
    let runs = sets
        .iter()
        .map(|opts| (*opts, "mb"))
        .chain(chinese.iter().map(|opts| (*opts, "zh")));
    for (opts, db) in runs {
        let args: Vec<&str> = opts.iter().copied().chain([db]).collect();
        let stock = match raw_dump(&cluster, true, &args) {
            Ok(s) => s,
            Err(e) => panic!("stock pg_dump {args:?} failed: {e}"),
        };
        assert!(
            std::str::from_utf8(&stock).is_err(),
            "stock {args:?} is not UTF-8"
        );
        match raw_dump(&cluster, false, &args) {
            Ok(ours) => failures.extend(compare(&format!("{opts:?}"), &stock, &ours)),
            Err(e) => failures.push(format!("{opts:?}: pgark failed: {e}")),
        }
    }

    // A custom archive and a directory dumped by two workers, in SJIS, rendered by
    // stock pg_restore.
    let dir = scratch_dir();
    let render = |stock: bool, format: &[&str]| {
        let path = dir.path().join(format!(
            "{}{}",
            if stock { "stock" } else { "pgark" },
            format.join("")
        ));
        let path_text = path.display().to_string();
        let args: Vec<&str> = format
            .iter()
            .copied()
            .chain(["-E", "SJIS", "-T", "*.x_*", "-f", &path_text, "mb"])
            .collect();
        raw_dump(&cluster, stock, &args).expect("archive dump");
        let out = Command::new(stock_tool(18, "pg_restore"))
            .arg(format!("--restrict-key={KEY}"))
            .args(["-f", "-"])
            .arg(&path)
            .output()
            .expect("run pg_restore");
        assert!(
            out.status.success(),
            "pg_restore: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    for format in [&["-Fc"][..], &["-Fd", "-j", "2"]] {
        failures.extend(compare(
            &format!("{format:?} -E SJIS"),
            &render(true, format),
            &render(false, format),
        ));
    }

    // An EUC_JP database: its encoding is the default client encoding.
    cluster.psql(
        "postgres",
        "CREATE DATABASE eucjp ENCODING 'EUC_JP' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0",
    );
    cluster.psql("eucjp", JAPANESE_SQL);
    for opts in [
        &["eucjp"][..],
        &["--inserts", "eucjp"],
        &["-E", "UTF8", "eucjp"],
        &["-E", "SJIS", "eucjp"],
    ] {
        let stock = raw_dump(&cluster, true, opts).expect("stock pg_dump eucjp");
        match raw_dump(&cluster, false, opts) {
            Ok(ours) => failures.extend(compare(&format!("{opts:?}"), &stock, &ours)),
            Err(e) => failures.push(format!("{opts:?}: pgark failed: {e}")),
        }
    }
    // A SQL_ASCII database converts nothing: its (here UTF-8) bytes pass as they are.
    cluster.psql(
        "postgres",
        "CREATE DATABASE ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0",
    );
    cluster.psql("ascii", "SET client_encoding = 'UTF8'; CREATE TABLE t (v text); INSERT INTO t VALUES (convert_from('\\xe38182c3a9', 'SQL_ASCII'))");
    for opts in [
        &["-E", "SJIS", "ascii"][..],
        &["-E", "LATIN1", "--inserts", "ascii"],
    ] {
        let stock = raw_dump(&cluster, true, opts).expect("stock pg_dump ascii");
        assert!(
            stock.windows(5).any(|w| w == b"\xe3\x81\x82\xc3\xa9"),
            "stock {opts:?} keeps the bytes"
        );
        match raw_dump(&cluster, false, opts) {
            Ok(ours) => failures.extend(compare(&format!("{opts:?}"), &stock, &ours)),
            Err(e) => failures.push(format!("{opts:?}: pgark failed: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The emoji has no EUC_JP or SJIS equivalent (in the data, so COPY and INSERT
    // both fail), the fullwidth backslash none in SHIFT_JIS_2004; the server cannot
    // convert UTF8 into MULE_INTERNAL at all, nor EUC_JP into LATIN1 or BIG5.
    both_fail(
        &cluster,
        &["-E", "EUC_JP", "-t", "*.x_emoji", "mb"],
        "character with byte sequence 0xf0 0x9f 0x98 0x80 in encoding \"UTF8\" has no equivalent in encoding \"EUC_JP\"",
    );
    both_fail(
        &cluster,
        &["-E", "SJIS", "--inserts", "-t", "*.x_emoji", "mb"],
        "has no equivalent in encoding \"SJIS\"",
    );
    both_fail(
        &cluster,
        &["-E", "SHIFT_JIS_2004", "-T", "*.x_*", "mb"],
        "character with byte sequence 0xef 0xbc 0xbc in encoding \"UTF8\" has no equivalent in encoding \"SHIFT_JIS_2004\"",
    );
    both_fail(
        &cluster,
        &["-E", "LATIN1", "eucjp"],
        "invalid client encoding \"LATIN1\" specified",
    );
    both_fail(
        &cluster,
        &["-E", "BIG5", "eucjp"],
        "invalid client encoding \"BIG5\" specified",
    );
    both_fail(
        &cluster,
        &["-E", "MULE_INTERNAL", "mb"],
        "invalid client encoding \"MULE_INTERNAL\" specified",
    );
}
