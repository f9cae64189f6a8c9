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
use std::process::Command;

use pgark_testkit::{
    available_majors, first_difference, fixtures, must, pgark_bin, scratch_dir, stock_listing,
    stock_tool, without_version_lines, Cluster,
};

const KEY: &str = "DumpKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU";

/// (server major, fixture, why pgark's output still differs).
const KNOWN_FAILING: &[(u32, &str, &str)] = &[];

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
            first_difference(s.as_bytes(), o.as_bytes())
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
            first_difference(stock_full.as_bytes(), ours_full.as_bytes())
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
    let (sl, ol) = (stock_listing(&stock_archive), stock_listing(&ours_archive));
    if sl != ol {
        return Err(format!(
            "pg_restore -l differs: {}",
            first_difference(sl.as_bytes(), ol.as_bytes())
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
