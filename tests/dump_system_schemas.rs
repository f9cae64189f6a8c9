//! `pgark dump` of what only an explicit selection makes dumpable: `-n pg_catalog`,
//! `-n information_schema`, `-n 'pg_*'`, `-n pg_toast`, `-t pg_catalog.pg_class`,
//! `--table-and-children` on a system table, with and without data, and the
//! cases where the system schemas show through a default dump (changed privileges
//! on pg_catalog objects, a user table inheriting from a table in
//! information_schema). Scripts and warnings are compared with stock pg_dump 18's
//! (run here, on the same database), and `pgark list` of `-Fc` archives with stock
//! `pg_restore -l`, on servers 18, 15 and 14. Also transforms and casts under
//! `--quote-all-identifiers` (the transform sort name quotes the language) and the
//! dependency-loop warnings of a cast and a transform, worded as stock's.

use std::path::Path;
use std::process::{Command, Output};

use pgark_testkit::roundtrip::unified_diff;
use pgark_testkit::{
    available_majors, must, scratch_dir, stock_tool, without_version_lines, Cluster,
};

const KEY: &str = "pgarkSysCatKey0123456789";

/// Objects that make the system schemas show in a default dump.
const SETUP: &str = "
CREATE ROLE syscat_reader;
GRANT SELECT ON pg_catalog.pg_class TO syscat_reader;
GRANT SELECT (relname) ON pg_catalog.pg_class TO syscat_reader;
REVOKE EXECUTE ON FUNCTION pg_catalog.now() FROM PUBLIC;
GRANT USAGE ON TYPE pg_catalog.int4 TO syscat_reader;
GRANT SELECT ON information_schema.tables TO syscat_reader;
COMMENT ON SCHEMA information_schema IS 'the standard views';
CREATE TABLE information_schema.user_in_is (a int PRIMARY KEY);
INSERT INTO information_schema.user_in_is VALUES (1), (2);
CREATE TABLE public.kid (b text) INHERITS (information_schema.user_in_is);
INSERT INTO public.kid VALUES (3, 'three');
CREATE TABLE information_schema.lonely (x int PRIMARY KEY);
INSERT INTO information_schema.lonely VALUES (7);
";

fn dump(cluster: &Cluster, stock: bool, args: &[&str]) -> Output {
    dump_db(cluster, stock, args, "syscat")
}

fn dump_db(cluster: &Cluster, stock: bool, args: &[&str], db: &str) -> Output {
    let mut cmd = if stock {
        Command::new(stock_tool(18, "pg_dump"))
    } else {
        let mut c = Command::new(env!("CARGO_BIN_EXE_pgark"));
        c.arg("dump");
        c
    };
    cluster.apply_env(&mut cmd);
    cmd.args(args).arg(db);
    let what = format!(
        "{} {}",
        if stock { "pg_dump" } else { "pgark dump" },
        args.join(" ")
    );
    must(&mut cmd, &what)
}

/// Messages without the program-name prefix (`pg_dump: `, `pgark: `, ...), which is
/// not what this test is about.
fn messages(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .map(|l| match l.split_once(": ") {
            Some((prog, rest)) if prog.starts_with("pg_dump") || prog.starts_with("pgark") => {
                rest.to_string()
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A table of contents without its DumpIds (pgark numbers objects it never reads
/// differently) and the header lines that name the tool and the time.
fn listing(program: &Path, subcommand: Option<&str>, archive: &Path) -> String {
    let mut cmd = Command::new(program);
    match subcommand {
        Some(sub) => cmd.arg(sub),
        None => cmd.arg("-l"),
    };
    cmd.arg(archive);
    String::from_utf8_lossy(&must(&mut cmd, "listing").stdout)
        .lines()
        .filter(|l| !l.starts_with(';'))
        .map(|l| match l.split_once(';') {
            Some((id, rest)) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
                format!("ID;{rest}")
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn compare_script(cluster: &Cluster, selection: &[&str]) {
    let key = format!("--restrict-key={KEY}");
    let mut args = vec![key.as_str()];
    args.extend_from_slice(selection);
    let (stock, ours) = (dump(cluster, true, &args), dump(cluster, false, &args));
    let (stock_sql, our_sql) = (
        without_version_lines(&stock.stdout),
        without_version_lines(&ours.stdout),
    );
    let major = cluster.major();
    assert!(
        stock_sql == our_sql,
        "PG {major} {selection:?}:\n{}",
        unified_diff(&stock_sql, &our_sql, "stock", "pgark")
    );
    compare_stderr(major, selection, &stock, &ours);
}

fn compare_stderr(major: u32, selection: &[&str], stock: &Output, ours: &Output) {
    let (stock_err, our_err) = (messages(&stock.stderr), messages(&ours.stderr));
    assert!(
        stock_err == our_err,
        "PG {major} {selection:?} messages:\n{}",
        unified_diff(&stock_err, &our_err, "stock", "pgark")
    );
}

fn compare_messages(cluster: &Cluster, selection: &[&str]) {
    let (stock, ours) = (
        dump(cluster, true, selection),
        dump(cluster, false, selection),
    );
    compare_stderr(cluster.major(), selection, &stock, &ours);
}

fn compare_listing(cluster: &Cluster, selection: &[&str]) {
    let dir = scratch_dir();
    let (stock_path, our_path) = (dir.path().join("s.dump"), dir.path().join("o.dump"));
    for (stock, path) in [(true, &stock_path), (false, &our_path)] {
        let p = path.to_string_lossy().into_owned();
        let mut args = vec!["-Fc", "-f", p.as_str()];
        args.extend_from_slice(selection);
        dump(cluster, stock, &args);
    }
    let stock = listing(&stock_tool(18, "pg_restore"), None, &stock_path);
    let ours = listing(
        Path::new(env!("CARGO_BIN_EXE_pgark")),
        Some("list"),
        &our_path,
    );
    assert!(
        stock == ours,
        "PG {} -Fc {selection:?} listing:\n{}",
        cluster.major(),
        unified_diff(&stock, &ours, "stock pg_restore -l", "pgark list")
    );
}

fn start(major: u32) -> Option<Cluster> {
    if !available_majors().contains(&major) {
        assert!(
            std::env::var_os("CI").is_none(),
            "PostgreSQL {major} is not provisioned"
        );
        eprintln!("skipping: PostgreSQL {major} is not provisioned");
        return None;
    }
    let cluster = Cluster::start(major);
    cluster.create_database("syscat");
    cluster.psql("syscat", SETUP);
    Some(cluster)
}

/// The selections every major is checked with.
fn check_common(cluster: &Cluster) {
    for selection in [
        &[][..],
        &["-n", "pg_catalog"][..],
        &["-n", "information_schema"][..],
        &["-t", "pg_catalog.pg_class"][..],
        &["-t", "public.kid"][..],
    ] {
        compare_script(cluster, selection);
    }
    compare_listing(cluster, &["-n", "pg_catalog"]);
}

#[test]
fn system_schemas_match_stock_on_18() {
    let Some(cluster) = start(18) else { return };
    check_common(&cluster);
    for selection in [
        &["-a", "-n", "pg_catalog"][..],
        &["-s", "-n", "information_schema"][..],
        &["-n", "pg_*"][..],
        &["-n", "pg_toast"][..],
        &["--table-and-children=pg_catalog.pg_class"][..],
        &["-t", "information_schema.user_in_is"][..],
        &["--table-and-children=information_schema.user_in_is"][..],
        &["-t", "information_schema.lonely"][..],
        &["-s", "-t", "pg_catalog.pg_class"][..],
    ] {
        compare_script(&cluster, selection);
    }
    // The typtype warnings come after the "saving" lines (the verbose script has
    // DumpIds and times in its comments: only the messages are compared).
    compare_messages(&cluster, &["-v", "-s", "-n", "pg_catalog"]);
    compare_listing(&cluster, &["-t", "pg_catalog.pg_class"]);
    compare_listing(&cluster, &["-n", "information_schema"]);
}

#[test]
fn system_schemas_match_stock_on_15() {
    let Some(cluster) = start(15) else { return };
    check_common(&cluster);
}

#[test]
fn system_schemas_match_stock_on_14() {
    let Some(cluster) = start(14) else { return };
    check_common(&cluster);
}

/// Two transforms of one type whose order depends on the language name's quoting
/// ("b pl" sorts first as `"b pl"` against `apl`, last against `"apl"`), casts, and
/// two loops stock cannot repair: a cast whose function's SQL body uses the cast, and
/// a transform whose FROM SQL function is declared with TRANSFORM FOR TYPE.
const TRANSFORMS: &str = "
CREATE SCHEMA tq;
CREATE TYPE tq.pair AS (a integer, b integer);
CREATE FUNCTION tq.h() RETURNS language_handler LANGUAGE c
    AS '$libdir/plpgsql', 'plpgsql_call_handler';
CREATE LANGUAGE \"b pl\" HANDLER tq.h;
CREATE LANGUAGE apl HANDLER tq.h;
CREATE FUNCTION tq.fromsql(internal) RETURNS internal LANGUAGE internal IMMUTABLE STRICT
    AS 'int4recv';
CREATE TRANSFORM FOR tq.pair LANGUAGE \"b pl\" (FROM SQL WITH FUNCTION tq.fromsql(internal));
CREATE TRANSFORM FOR tq.pair LANGUAGE apl (FROM SQL WITH FUNCTION tq.fromsql(internal));
CREATE FUNCTION tq.pair_sum(p tq.pair) RETURNS integer LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT (p).a + (p).b $$;
CREATE CAST (tq.pair AS integer) WITH FUNCTION tq.pair_sum(tq.pair);
CREATE CAST (tq.pair AS text) WITH INOUT;
CREATE OR REPLACE FUNCTION tq.pair_sum(p tq.pair) RETURNS integer LANGUAGE sql IMMUTABLE STRICT
    BEGIN ATOMIC SELECT (p).a + (p).b + (ROW(0, 0)::tq.pair)::integer * 0; END;
CREATE FUNCTION tq.g(internal) RETURNS internal LANGUAGE apl IMMUTABLE AS 'body';
CREATE TRANSFORM FOR integer LANGUAGE apl (FROM SQL WITH FUNCTION tq.g(internal));
CREATE OR REPLACE FUNCTION tq.g(internal) RETURNS internal LANGUAGE apl IMMUTABLE
    TRANSFORM FOR TYPE integer AS 'body';
";

/// Messages with DumpIds masked: pgark numbers the objects it reads, and it does not
/// read the built-in objects stock numbers before casts and transforms.
fn without_dump_ids(messages: &str) -> String {
    messages
        .split("(ID ")
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part.to_string()
            } else {
                let digits = part.bytes().take_while(u8::is_ascii_digit).count();
                format!("(ID _{}", &part[digits..])
            }
        })
        .collect()
}

#[test]
fn transforms_casts_and_their_loop_warnings_match_stock_on_18() {
    if !available_majors().contains(&18) {
        assert!(
            std::env::var_os("CI").is_none(),
            "PostgreSQL 18 is not provisioned"
        );
        return;
    }
    let cluster = Cluster::start(18);
    cluster.create_database("tq");
    cluster.psql("tq", TRANSFORMS);
    let key = format!("--restrict-key={KEY}");
    for quote_all in [false, true] {
        let mut args = vec![key.as_str()];
        if quote_all {
            args.push("--quote-all-identifiers");
        }
        let (stock, ours) = (
            dump_db(&cluster, true, &args, "tq"),
            dump_db(&cluster, false, &args, "tq"),
        );
        let (stock_sql, our_sql) = (
            without_version_lines(&stock.stdout),
            without_version_lines(&ours.stdout),
        );
        assert!(
            stock_sql == our_sql,
            "{args:?}:\n{}",
            unified_diff(&stock_sql, &our_sql, "stock", "pgark")
        );
        // Without quoting, `"b pl"` sorts before `apl`; with it, `"apl"` first.
        let pair_languages: Vec<&str> = our_sql
            .lines()
            .filter(|l| l.starts_with("CREATE TRANSFORM FOR") && l.contains("pair"))
            .filter_map(|l| l.split(" LANGUAGE ").nth(1))
            .filter_map(|rest| rest.split(" (").next())
            .collect();
        let expected: &[&str] = if quote_all {
            &["\"apl\"", "\"b pl\""]
        } else {
            &["\"b pl\"", "apl"]
        };
        assert_eq!(pair_languages, expected, "transforms of tq.pair");
        let (stock_err, our_err) = (
            without_dump_ids(&messages(&stock.stderr)),
            without_dump_ids(&messages(&ours.stderr)),
        );
        assert!(
            stock_err == our_err,
            "{args:?} messages:\n{}",
            unified_diff(&stock_err, &our_err, "stock", "pgark")
        );
        assert!(
            our_err.contains(" lang ") && our_err.contains("could not resolve dependency loop"),
            "no transform loop warning:\n{our_err}"
        );
    }
}
