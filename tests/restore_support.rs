//! Shared helpers of the `restore_*` tests: run stock pg_restore and `pgark restore`
//! into fresh databases of one cluster and compare the results with the kit's check
//! (stock `pg_dump --schema-only`, per-table checksums, large objects, sequences).

use std::path::Path;
use std::process::{Command, Output};

use pgark_testkit::roundtrip::{compare_databases, Comparison};
use pgark_testkit::{available_majors, Cluster};

/// Whether `major` is provisioned; in CI a missing major fails instead of skipping.
pub fn provisioned(major: u32) -> bool {
    if available_majors().contains(&major) {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("PostgreSQL {major} is not provisioned (run scripts/postgres.sh {major})");
    }
    eprintln!("skipping: PostgreSQL {major} is not provisioned");
    false
}

pub fn pgark(cluster: &Cluster) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgark"));
    cluster.apply_env(&mut cmd);
    cmd
}

/// Stock pg_dump of `dump_major` writes `db` to `archive` in `format` (c, d, t).
pub fn stock_dump(cluster: &Cluster, dump_major: u32, db: &str, format: &str, archive: &Path, extra: &[&str]) {
    let out = cluster
        .tool_of(dump_major, "pg_dump")
        .args(["-F", format, "-f"])
        .arg(archive)
        .args(extra)
        .arg(db)
        .output()
        .expect("run pg_dump");
    assert!(out.status.success(), "pg_dump failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// Runs stock pg_restore (of the cluster's major, or 18 for newer archives) with
/// `args` + archive.
pub fn stock_restore(cluster: &Cluster, restore_major: u32, args: &[&str], archive: &Path) -> Output {
    cluster.tool_of(restore_major, "pg_restore").args(args).arg(archive).output().expect("run pg_restore")
}

pub fn pgark_restore(cluster: &Cluster, args: &[&str], archive: &Path) -> Output {
    pgark(cluster).arg("restore").args(args).arg(archive).output().expect("run pgark restore")
}

/// Restores `archive` with stock pg_restore into `stock_db` and with pgark into
/// `pgark_db` (both created empty first unless `create` is false), same `args`;
/// returns both outputs and the comparison of the two databases.
pub struct SideBySide {
    pub stock: Output,
    pub pgark: Output,
    pub comparison: Comparison,
}

#[allow(clippy::too_many_arguments)]
pub fn side_by_side(
    cluster: &Cluster,
    restore_major: u32,
    archive: &Path,
    stock_db: &str,
    pgark_db: &str,
    args: &[&str],
    create: bool,
    listing_dir: &Path,
) -> SideBySide {
    if create {
        cluster.create_database(stock_db);
        cluster.create_database(pgark_db);
    }
    let mut stock_args = vec!["-d", stock_db];
    stock_args.extend_from_slice(args);
    let stock = stock_restore(cluster, restore_major, &stock_args, archive);
    let mut pgark_args = vec!["-d", pgark_db, "--no-progress"];
    pgark_args.extend_from_slice(args);
    let pgark = pgark_restore(cluster, &pgark_args, archive);
    std::fs::create_dir_all(listing_dir).expect("listing dir");
    let comparison =
        compare_databases(cluster, stock_db, pgark_db, cluster.major().max(restore_major), listing_dir)
            .expect("compare databases");
    SideBySide { stock, pgark, comparison }
}

impl SideBySide {
    /// Panics unless both tools exited alike and the databases are equal.
    pub fn assert_same(&self, what: &str) {
        let text = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(
            self.stock.status.code(),
            self.pgark.status.code(),
            "{what}: exit codes differ\nstock stderr:\n{}\npgark stderr:\n{}",
            text(&self.stock),
            text(&self.pgark)
        );
        assert_eq!(
            ignored_errors(&self.stock),
            ignored_errors(&self.pgark),
            "{what}: numbers of ignored errors differ\nstock stderr:\n{}\npgark stderr:\n{}",
            text(&self.stock),
            text(&self.pgark)
        );
        assert!(
            self.comparison.is_equal(),
            "{what}: databases differ\n{}\npgark stderr:\n{}",
            self.comparison,
            text(&self.pgark)
        );
    }
}

/// The database name for a case label.
pub fn db_name(prefix: &str, label: &str) -> String {
    let mut name = format!("{prefix}_{label}");
    name.retain(|c| c.is_ascii_alphanumeric() || c == '_');
    name.truncate(60);
    name
}

/// N of "errors ignored on restore: N" (0 when absent).
pub fn ignored_errors(out: &Output) -> usize {
    let text = String::from_utf8_lossy(&out.stderr);
    text.lines()
        .filter_map(|l| l.split("errors ignored on restore: ").nth(1))
        .filter_map(|n| n.trim().parse().ok())
        .next_back()
        .unwrap_or(0)
}
