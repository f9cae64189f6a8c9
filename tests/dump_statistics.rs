//! `pgark dump --statistics-only` and `--statistics` against stock pg_dump 18 on an
//! analyzed database, byte for byte after the two header version comment lines, on an
//! 18 server and on a 15 server (stock 18 reads an older server's pg_stats too, without
//! the 17+ range columns and 18's `relallfrozen`); the `-Fc` archives list the same in
//! stock `pg_restore -l`; the statistics option conflicts are refused as stock does;
//! statistics stay out of the default dump.

use std::process::{Command, Output};

use pgark_testkit::roundtrip::unified_diff;
use pgark_testkit::{available_majors, must, run, scratch_dir, stock_listing, stock_tool, without_version_lines, Cluster};

const KEY: &str = "pgarkStatsKey0123456789";

/// Tables with plain, array and range columns (range statistics from 17 on), an
/// expression index (its statistics name columns by number), a partitioned table with
/// a partitioned index, a populated materialized view (its statistics follow the
/// REFRESH) and an unpopulated one. Autovacuum stays off so the statistics cannot move
/// between the stock and the pgark run.
const SCHEMA: &str = "
CREATE SCHEMA st;
CREATE TABLE st.item (
    id integer PRIMARY KEY,
    label text,
    tags text[],
    span int4range,
    \"Odd name\" numeric
) WITH (autovacuum_enabled = false);
INSERT INTO st.item
SELECT i, 'label ' || (i % 17), ARRAY['t' || (i % 5), 't' || (i % 7)],
       int4range(i % 50, i % 50 + 1 + i % 9), (i % 13) * 1.5
FROM generate_series(1, 2000) AS i;
CREATE INDEX item_lower_label ON st.item (lower(label), (id % 10));
CREATE TABLE st.measure (at date NOT NULL, v integer) PARTITION BY RANGE (at);
CREATE TABLE st.measure_2020 PARTITION OF st.measure
    FOR VALUES FROM ('2020-01-01') TO ('2021-01-01') WITH (autovacuum_enabled = false);
CREATE TABLE st.measure_2021 PARTITION OF st.measure
    FOR VALUES FROM ('2021-01-01') TO ('2022-01-01') WITH (autovacuum_enabled = false);
CREATE INDEX measure_at ON st.measure (at);
INSERT INTO st.measure SELECT date '2020-01-01' + (i % 700), i % 31 FROM generate_series(1, 1500) AS i;
CREATE MATERIALIZED VIEW st.label_counts WITH (autovacuum_enabled = false) AS
    SELECT label, count(*) AS n FROM st.item GROUP BY label;
CREATE MATERIALIZED VIEW st.never_filled WITH (autovacuum_enabled = false) AS
    SELECT id FROM st.item WITH NO DATA;
CREATE TABLE st.empty_one (a integer) WITH (autovacuum_enabled = false);
";

fn pgark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pgark"))
}

fn dump_command(cluster: &Cluster, stock: bool) -> Command {
    let mut cmd = if stock {
        Command::new(stock_tool(18, "pg_dump"))
    } else {
        let mut c = pgark();
        c.arg("dump");
        c
    };
    cluster.apply_env(&mut cmd);
    cmd
}

fn plain(cluster: &Cluster, stock: bool, opts: &[&str]) -> String {
    let mut cmd = dump_command(cluster, stock);
    cmd.arg(format!("--restrict-key={KEY}"))
        .args(opts)
        .arg("st");
    let who = if stock { "pg_dump" } else { "pgark dump" };
    without_version_lines(&must(&mut cmd, &format!("{who} {opts:?}")).stdout)
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
    cluster.create_database("st");
    cluster.psql("st", SCHEMA);
    // Outside the schema script's transaction.
    cluster.psql("st", "VACUUM (ANALYZE)");
    let mut failures = Vec::new();
    for opts in [
        &["--statistics-only"][..],
        &["--statistics"],
        &["--statistics", "--section=post-data"],
    ] {
        let (s, o) = (plain(&cluster, true, opts), plain(&cluster, false, opts));
        if s != o {
            failures.push(format!(
                "PG {major} {opts:?}:\n{}",
                unified_diff(&s, &o, "stock", "pgark")
            ));
        }
    }
    // The statistics are really there, and not in the default dump.
    let stats_only = plain(&cluster, false, &["--statistics-only"]);
    assert!(
        stats_only.contains("pg_restore_attribute_stats(") && stats_only.contains("'attnum', "),
        "PG {major}: no attribute statistics in:\n{stats_only}"
    );
    assert!(!plain(&cluster, false, &[]).contains("STATISTICS DATA"));
    let dir = scratch_dir();
    let (stock_path, ours_path) = (dir.path().join("stock.dump"), dir.path().join("pgark.dump"));
    for (stock, path) in [(true, &stock_path), (false, &ours_path)] {
        let mut cmd = dump_command(&cluster, stock);
        cmd.args(["-Fc", "--statistics", "-f"]).arg(path).arg("st");
        must(&mut cmd, "-Fc --statistics");
    }
    let (sl, ol) = (stock_listing(&stock_path), stock_listing(&ours_path));
    if sl != ol {
        failures.push(format!(
            "PG {major} -Fc listing:\n{}",
            unified_diff(&sl, &ol, "stock", "pgark")
        ));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn statistics_match_stock_on_18() {
    check_major(18);
}

#[test]
fn statistics_match_stock_on_15() {
    check_major(15);
}

/// The conflicting combinations stock 18 refuses are refused, with stock's wording.
#[test]
fn statistics_option_conflicts_are_refused() {
    for opts in [
        &["--statistics", "--no-statistics"][..],
        &["--statistics-only", "--no-statistics"],
        &["-s", "--statistics-only"],
        &["-a", "--statistics-only"],
        &["-s", "--statistics"],
        &["-a", "--statistics"],
    ] {
        let mut stock = Command::new(stock_tool(18, "pg_dump"));
        stock.args(opts).arg("nodb");
        let mut ours = pgark();
        ours.arg("dump").args(opts).arg("nodb");
        let (s, o) = (run(&mut stock, "pg_dump"), run(&mut ours, "pgark dump"));
        assert!(!s.status.success() && !o.status.success(), "{opts:?}");
        let message = |out: &Output| {
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .find_map(|l| l.split_once("error: ").map(|(_, m)| m.to_string()))
                .unwrap_or_default()
        };
        assert_eq!(message(&o), message(&s), "{opts:?}");
    }
}
