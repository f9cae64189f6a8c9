//! Stock pg_dump -> stock restore round trips of all fixtures, in the four formats, for every
//! provisioned major; and proof that the check notices differences.

use std::time::Instant;

use pgark_compat_tests::{compare_databases, run_matrix, run_round_trip, Aspect, StockFormat};
use pgark_testkit::{available_majors, scratch_dir, Cluster};

/// Whether `major` is provisioned; in CI (CI set) a missing major fails instead of skipping.
fn provisioned(major: u32) -> bool {
    if available_majors().contains(&major) {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("PostgreSQL {major} is not provisioned (run scripts/postgres.sh {major})");
    }
    eprintln!("skipping: PostgreSQL {major} is not provisioned");
    false
}

fn stock_formats_round_trip(major: u32) {
    if !provisioned(major) {
        return;
    }
    let started = Instant::now();
    let cluster = Cluster::start(major);
    let work = scratch_dir();
    let plans: Vec<_> = StockFormat::ALL
        .iter()
        .map(|f| f.stock_round_trip(major))
        .collect();
    let run = run_matrix(&cluster, &plans, major, work.path())
        .unwrap_or_else(|e| panic!("PostgreSQL {major}: {e}"));
    eprintln!("{}  total {:.1?}", run.summary(), started.elapsed());
    if !run.all_equal() {
        let kept = work.keep();
        let details: String = run
            .reports
            .iter()
            .filter(|r| !r.is_equal())
            .map(|r| r.to_string())
            .collect();
        panic!(
            "PostgreSQL {major}: stock round trip differs (files kept in {}):\n{details}",
            kept.display()
        );
    }
    assert!(
        run.reports.iter().all(|r| r.comparison.tables > 0),
        "no tables were compared:\n{}",
        run.summary()
    );
}

#[test]
fn stock_round_trip_pg14() {
    stock_formats_round_trip(14);
}

#[test]
fn stock_round_trip_pg15() {
    stock_formats_round_trip(15);
}

#[test]
fn stock_round_trip_pg16() {
    stock_formats_round_trip(16);
}

#[test]
fn stock_round_trip_pg17() {
    stock_formats_round_trip(17);
}

#[test]
fn stock_round_trip_pg18() {
    stock_formats_round_trip(18);
}

/// A small database of its own (not the fixtures), restored faithfully, then changed in the
/// target in one way per aspect; each change must show up as that aspect's mismatch.
#[test]
fn check_reports_each_kind_of_difference() {
    let major = *available_majors()
        .last()
        .expect("no PostgreSQL provisioned (run scripts/postgres.sh)");
    let cluster = Cluster::start(major);
    cluster.create_database("src");
    cluster.psql(
        "src",
        "CREATE TABLE items (id int PRIMARY KEY, label text);
         CREATE INDEX items_label ON items (label);
         INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 50) g;
         CREATE SEQUENCE counter;
         SELECT setval('counter', 17);
         SELECT lo_from_bytea(424242, 'large object bytes');",
    );
    let work = scratch_dir();
    let plan = StockFormat::Custom.stock_round_trip(major);
    let mutations: [(Aspect, &str, &str); 5] = [
        (
            Aspect::TableData,
            "UPDATE items SET label = 'changed' WHERE id = 7",
            "-public.items|r|50|",
        ),
        (
            Aspect::Schema,
            "DROP INDEX items_label",
            "-CREATE INDEX items_label ON public.items USING btree (label);",
        ),
        (
            Aspect::Sequences,
            "SELECT setval('counter', 18)",
            "+public.counter|18|true",
        ),
        (
            Aspect::LargeObjects,
            "SELECT lo_put(424242, 0, 'L')",
            "-424242|owner=postgres",
        ),
        (
            Aspect::TableData,
            "DELETE FROM items WHERE id = 50",
            "+public.items|r|49|",
        ),
    ];
    for (index, (aspect, change, expected_line)) in mutations.iter().enumerate() {
        let dir = work.path().join(format!("case{index}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let target = format!("dst{index}");
        let report =
            run_round_trip(&cluster, "src", &target, &plan, major, &dir).expect("round trip runs");
        assert!(
            report.is_equal(),
            "faithful restore must compare equal:\n{report}"
        );
        cluster.psql(&target, change);
        let after = compare_databases(&cluster, "src", &target, major, &dir.join("after"))
            .expect("compare runs");
        let mismatch = after
            .mismatch(*aspect)
            .unwrap_or_else(|| panic!("`{change}` not reported as {aspect}:\n{after}"));
        assert_eq!(
            after.mismatches.len(),
            1,
            "only {aspect} should differ after `{change}`:\n{after}"
        );
        assert!(
            mismatch.diff.contains(expected_line),
            "diff for `{change}` lacks {expected_line:?}:\n{}",
            mismatch.diff
        );
        assert!(mismatch.source_file.is_file() && mismatch.target_file.is_file());
        assert!(after.to_string().contains("DIFFERENT"));
    }
}

/// A restore command that fails is an error of the check, not a silent pass.
#[test]
fn failing_restore_command_is_an_error() {
    let major = *available_majors()
        .last()
        .expect("no PostgreSQL provisioned (run scripts/postgres.sh)");
    let cluster = Cluster::start(major);
    cluster.create_database("src");
    cluster.psql("src", "CREATE TABLE t (a int)");
    let work = scratch_dir();
    let mut plan = StockFormat::Custom.stock_round_trip(major);
    plan.restore.args = vec!["-d".into(), "{db}".into(), "{archive}.missing".into()];
    let err = run_round_trip(&cluster, "src", "dst", &plan, major, work.path())
        .expect_err("restore must fail");
    let text = err.to_string();
    assert!(
        text.contains("restore (custom) failed") && text.contains("dump.custom.missing"),
        "{text}"
    );
}

/// The schema text can come from a newer client than the server (pg_dump 18 against the
/// oldest provisioned major), as the check's `client_major` promises.
#[test]
fn schema_text_from_a_newer_pg_dump() {
    let majors = available_majors();
    let (Some(&oldest), Some(&newest)) = (majors.first(), majors.last()) else {
        panic!("no PostgreSQL provisioned (run scripts/postgres.sh)");
    };
    let cluster = Cluster::start(oldest);
    cluster.create_database("src");
    cluster.psql(
        "src",
        "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text);
         INSERT INTO t (v) VALUES ('a'), ('b');",
    );
    let work = scratch_dir();
    let plan = StockFormat::Tar.stock_round_trip(oldest);
    let report =
        run_round_trip(&cluster, "src", "dst", &plan, newest, work.path()).expect("round trip");
    assert!(report.is_equal(), "{report}");
    assert_eq!(report.comparison.client_major, newest);
    assert_eq!(
        (
            report.comparison.tables,
            report.comparison.rows,
            report.comparison.sequences
        ),
        (1, 2, 1)
    );
}
