//! `pgark dump` of what only an explicit selection makes dumpable: `-n pg_catalog`,
//! `-n information_schema`, `-n 'pg_*'`, `-n pg_toast`, `-t pg_catalog.pg_class`,
//! `--table-and-children` on a system table, with and without data, and the
//! cases where the system schemas show through a default dump (changed privileges
//! on pg_catalog objects, a user table inheriting from a table in
//! information_schema). Scripts and warnings are compared with stock pg_dump 18's
//! (run here, on the same database), and `pgark list` of `-Fc` archives with stock
//! `pg_restore -l`, on servers 18, 15 and 14.

use std::path::Path;
use std::process::{Command, Output};

use pgark_testkit::roundtrip::unified_diff;
use pgark_testkit::{available_majors, scratch_dir, stock_tool, without_version_lines, Cluster};

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
";

fn must(cmd: &mut Command, what: &str) -> Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn dump(cluster: &Cluster, stock: bool, args: &[&str]) -> Output {
    let mut cmd = if stock {
        Command::new(stock_tool(18, "pg_dump"))
    } else {
        let mut c = Command::new(env!("CARGO_BIN_EXE_pgark"));
        c.arg("dump");
        c
    };
    cluster.apply_env(&mut cmd);
    cmd.args(args).arg("syscat");
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
    let (stock_err, our_err) = (messages(&stock.stderr), messages(&ours.stderr));
    assert!(
        stock_err == our_err,
        "PG {major} {selection:?} messages:\n{}",
        unified_diff(&stock_err, &our_err, "stock", "pgark")
    );
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
        &["-s", "-t", "pg_catalog.pg_class"][..],
    ] {
        compare_script(&cluster, selection);
    }
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
