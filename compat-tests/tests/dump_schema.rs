//! `pgark dump` against stock pg_dump 18, live: for every fixture on servers 15 and 18
//! (and 14, 16, 17 when provisioned),
//! `pgark dump --schema-only -Fp --restrict-key=K` must equal stock
//! `pg_dump --schema-only -Fp --restrict-key=K` byte for byte once the two header
//! version comment lines are removed, so must the whole plain dump with data, and
//! `pg_restore -l` of pgark's `-Fc` archive must
//! equal `pg_restore -l` of stock's (dump IDs and the creation time left out).
//!
//! Fixtures whose object kinds pgark does not emit yet are listed in [`KNOWN_FAILING`]
//! with the reason; they must still fail (so the list cannot go stale), every other
//! fixture must pass.

use std::path::Path;
use std::process::{Command, Output};

use pgark_testkit::{
    available_majors, fixtures, pgark_bin, scratch_dir, stock_tool, without_version_lines, Cluster,
};

const KEY: &str = "DumpKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU";

/// (server major, fixture, why pgark's output still differs).
const KNOWN_FAILING: &[(u32, &str, &str)] = &[];

fn must(cmd: &mut Command, what: &str) -> Output {
    cmd.env("TZ", "UTC");
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

/// `pg_restore -l` output without the creation time, the version lines and dump IDs.
fn normalized_listing(listing: &[u8]) -> String {
    String::from_utf8_lossy(listing)
        .lines()
        .filter(|l| {
            !l.starts_with("; Archive created at")
                && !l.starts_with(";     Dumped by pg_dump version")
        })
        .map(|l| match l.split_once(';') {
            Some((id, rest)) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
                format!("ID;{rest}")
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn first_difference(a: &str, b: &str) -> String {
    let (al, bl): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let i = al
        .iter()
        .zip(&bl)
        .position(|(x, y)| x != y)
        .unwrap_or(al.len().min(bl.len()));
    let lo = i.saturating_sub(3);
    format!(
        "first difference at line {}:\n--- stock\n{}\n+++ pgark\n{}",
        i + 1,
        al[lo..(i + 6).min(al.len())].join("\n"),
        bl[lo..(i + 6).min(bl.len())].join("\n")
    )
}

/// Runs both comparisons for one database; `Err` describes the first mismatch.
fn compare(cluster: &Cluster, db: &str, dir: &Path) -> Result<(), String> {
    let mut stock = Command::new(stock_tool(18, "pg_dump"));
    cluster.apply_env(&mut stock);
    stock.args(["--schema-only", "-Fp", &format!("--restrict-key={KEY}"), db]);
    let stock_out = must(&mut stock, &format!("stock pg_dump -s {db}"));
    let mut ours = Command::new(pgark_bin());
    cluster.apply_env(&mut ours);
    ours.args([
        "dump",
        "--schema-only",
        "-Fp",
        &format!("--restrict-key={KEY}"),
        db,
    ]);
    let ours_out = must(&mut ours, &format!("pgark dump -s {db}"));
    let (s, o) = (
        without_version_lines(&stock_out.stdout),
        without_version_lines(&ours_out.stdout),
    );
    if s != o {
        std::fs::write(dir.join(format!("{db}.stock.sql")), &s).ok();
        std::fs::write(dir.join(format!("{db}.pgark.sql")), &o).ok();
        return Err(format!(
            "plain schema differs: {}",
            first_difference(&s, &o)
        ));
    }
    // The whole dump, data included (COPY rows, sequence values, large objects).
    let mut stock = Command::new(stock_tool(18, "pg_dump"));
    cluster.apply_env(&mut stock);
    stock.args(["-Fp", &format!("--restrict-key={KEY}"), db]);
    let stock_full =
        without_version_lines(&must(&mut stock, &format!("stock pg_dump {db}")).stdout);
    let mut ours = Command::new(pgark_bin());
    cluster.apply_env(&mut ours);
    ours.args(["dump", "-Fp", &format!("--restrict-key={KEY}"), db]);
    let ours_full = without_version_lines(&must(&mut ours, &format!("pgark dump {db}")).stdout);
    if stock_full != ours_full {
        std::fs::write(dir.join(format!("{db}.full.stock.sql")), &stock_full).ok();
        std::fs::write(dir.join(format!("{db}.full.pgark.sql")), &ours_full).ok();
        return Err(format!(
            "full plain dump differs: {}",
            first_difference(&stock_full, &ours_full)
        ));
    }
    let stock_archive = dir.join(format!("{db}.stock.dump"));
    let ours_archive = dir.join(format!("{db}.pgark.dump"));
    let mut stock = Command::new(stock_tool(18, "pg_dump"));
    cluster.apply_env(&mut stock);
    stock.args(["-Fc", "-f"]).arg(&stock_archive).arg(db);
    must(&mut stock, &format!("stock pg_dump -Fc {db}"));
    let mut ours = Command::new(pgark_bin());
    cluster.apply_env(&mut ours);
    ours.args(["dump", "-Fc", "-f"]).arg(&ours_archive).arg(db);
    must(&mut ours, &format!("pgark dump -Fc {db}"));
    let list = |archive: &Path| {
        let mut cmd = Command::new(stock_tool(18, "pg_restore"));
        cmd.arg("-l").arg(archive);
        normalized_listing(&must(&mut cmd, "pg_restore -l").stdout)
    };
    let (sl, ol) = (list(&stock_archive), list(&ours_archive));
    if sl != ol {
        return Err(format!(
            "pg_restore -l differs: {}",
            first_difference(&sl, &ol)
        ));
    }
    Ok(())
}

fn check_major(major: u32) {
    if !available_majors().contains(&major) {
        assert!(
            std::env::var_os("CI").is_none(),
            "PostgreSQL {major} is not provisioned"
        );
        eprintln!("skipping: PostgreSQL {major} is not provisioned");
        return;
    }
    let cluster = Cluster::start(major);
    let dir = scratch_dir();
    let mut failures = Vec::new();
    for fixture in fixtures::for_major(major) {
        let db = fixture.name.clone();
        cluster.load_fixture_files(&db, std::slice::from_ref(&fixture));
        let known = KNOWN_FAILING
            .iter()
            .find(|(m, f, _)| *m == major && *f == fixture.name);
        match (compare(&cluster, &db, dir.path()), known) {
            (Ok(()), None) => eprintln!("PG {major} {db}: identical"),
            (Ok(()), Some(_)) => failures.push(format!(
                "PG {major} {db}: now identical to stock; remove it from KNOWN_FAILING"
            )),
            (Err(e), None) => failures.push(format!("PG {major} {db}: {e}")),
            (Err(e), Some((_, _, why))) => eprintln!(
                "PG {major} {db}: known difference ({why}): {}",
                e.lines().next().unwrap_or("")
            ),
        }
    }
    if !failures.is_empty() {
        let kept = dir.keep();
        panic!(
            "outputs kept in {}\n{}",
            kept.display(),
            failures.join("\n\n")
        );
    }
}

#[test]
fn schema_matches_stock_on_18() {
    check_major(18);
}

#[test]
fn schema_matches_stock_on_15() {
    check_major(15);
}

#[test]
fn schema_matches_stock_on_14() {
    check_major(14);
}

#[test]
fn schema_matches_stock_on_16() {
    check_major(16);
}

#[test]
fn schema_matches_stock_on_17() {
    check_major(17);
}
