//! `pgark dump`'s data path (issue 6): one snapshot shared by parallel workers (TPC-B
//! invariant under a running pgbench), `-j 2` in every format restored by stock
//! pg_restore 18, and big tables split into block ranges restored by stock pg_restore
//! `-j 2`/`-j 4` and by pgark restore without losing a row.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use pgark_testkit::roundtrip::{run_round_trip_from, CommandTemplate, DatabaseSnapshot, RoundTrip};
use pgark_testkit::{available_majors, must, scratch_dir, stock_tool, Cluster};

fn pgark_bin() -> &'static str {
    env!("CARGO_BIN_EXE_pgark")
}

fn cluster_18() -> Option<Cluster> {
    if !available_majors().contains(&18) {
        eprintln!("PostgreSQL 18 not provisioned; skipping");
        return None;
    }
    Some(Cluster::start(18))
}

fn pgark_dump(cluster: &Cluster, args: &[&str], db: &str) {
    let mut cmd = Command::new(pgark_bin());
    cluster.apply_env(&mut cmd);
    cmd.arg("dump").args(args).arg(db);
    must(&mut cmd, &format!("pgark dump {args:?} {db}"));
}

fn stock_restore(cluster: &Cluster, args: &[&str], db: &str, archive: &Path) {
    cluster.create_database(db);
    let mut cmd = cluster.tool("pg_restore");
    cmd.args(args)
        .args(["--exit-on-error", "-d", db])
        .arg(archive);
    must(&mut cmd, &format!("pg_restore {args:?} into {db}"));
}

fn pgark_restore(cluster: &Cluster, args: &[&str], db: &str, archive: &Path) {
    cluster.create_database(db);
    let mut cmd = Command::new(pgark_bin());
    cluster.apply_env(&mut cmd);
    cmd.arg("restore")
        .args(args)
        .args(["--exit-on-error", "-d", db])
        .arg(archive);
    must(&mut cmd, &format!("pgark restore {args:?} into {db}"));
}

/// The TPC-B sums: accounts, tellers, branches, history deltas.
fn tpcb_sums(cluster: &Cluster, db: &str) -> Vec<String> {
    cluster
        .psql(
            db,
            "SELECT (SELECT coalesce(sum(abalance), 0) FROM pgbench_accounts), \
                    (SELECT coalesce(sum(tbalance), 0) FROM pgbench_tellers), \
                    (SELECT coalesce(sum(bbalance), 0) FROM pgbench_branches), \
                    (SELECT coalesce(sum(delta), 0) FROM pgbench_history), \
                    (SELECT count(*) FROM pgbench_history)",
        )
        .split('|')
        .map(str::to_string)
        .collect()
}

/// A pgbench run that is stopped (by its PID) when dropped.
struct Load(Child);

impl Drop for Load {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Issue 6 point 1: while pgbench writes at full speed, ten consecutive
/// `pgark dump -Fd -j 2` runs, each restored, satisfy the TPC-B invariant.
#[test]
fn tpcb_invariant_holds_for_parallel_dumps_under_load() {
    let Some(cluster) = cluster_18() else { return };
    cluster.create_database("bank");
    let mut init = cluster.tool("pgbench");
    init.args(["-i", "-s", "1", "-q", "bank"]);
    must(&mut init, "pgbench -i");
    let mut bench = cluster.tool("pgbench");
    bench
        .args(["-c", "2", "-T", "3600", "-n", "bank"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _load = Load(bench.spawn().expect("start pgbench"));
    // Let the load get going so the first dump already sees moving balances.
    while cluster.psql("bank", "SELECT count(*) FROM pgbench_history") == "0" {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let work = scratch_dir();
    let mut history_rows = Vec::new();
    for run in 0..10 {
        let dir = work.path().join(format!("bank{run}.dir"));
        let dir_arg = dir.display().to_string();
        pgark_dump(&cluster, &["-Fd", "-j", "2", "-f", &dir_arg], "bank");
        let target = format!("bank_copy{run}");
        stock_restore(&cluster, &["-j", "2"], &target, &dir);
        let sums = tpcb_sums(&cluster, &target);
        assert_eq!(sums.len(), 5, "sums of {target}: {sums:?}");
        assert!(
            sums[0] == sums[1] && sums[1] == sums[2] && sums[2] == sums[3],
            "dump {run}: TPC-B invariant broken (accounts, tellers, branches, history, \
             history rows): {sums:?}"
        );
        history_rows.push(sums[4].clone());
        cluster.psql("postgres", &format!("DROP DATABASE {target}"));
    }
    // The dumps really were taken under load: the history kept growing.
    history_rows.dedup();
    assert!(
        history_rows.len() > 1,
        "pgbench wrote nothing between dumps: {history_rows:?}"
    );
}

/// Issue 6 point 2/3: every format written with `-j 2` (and plain, streamed) restores
/// identically through stock pg_restore 18 / psql.
#[test]
fn parallel_dumps_of_every_format_restore_identically_with_stock_tools() {
    let Some(cluster) = cluster_18() else { return };
    cluster.load_fixtures("src", &["basic", "data", "large_objects", "partitions"]);
    let source = DatabaseSnapshot::take(&cluster, "src", 18).expect("snapshot of src");
    let work = scratch_dir();
    let pgark_dump = |format: &str| {
        CommandTemplate::new(
            pgark_bin(),
            &["dump", format, "-j", "2", "-f", "{archive}", "{db}"],
        )
    };
    let restore_archive = |extra: &[&str]| {
        let mut args = extra.to_vec();
        args.extend(["--exit-on-error", "-d", "{db}", "{archive}"]);
        CommandTemplate::stock(18, "pg_restore", &args)
    };
    let plans = [
        (
            "custom",
            "-Fc",
            "dump.custom",
            restore_archive(&["-j", "2"]),
        ),
        (
            "directory",
            "-Fd",
            "dump.dir",
            restore_archive(&["-j", "2"]),
        ),
        ("tar", "-Ft", "dump.tar", restore_archive(&[])),
        (
            "plain",
            "-Fp",
            "dump.sql",
            CommandTemplate::stock(
                18,
                "psql",
                &[
                    "-X",
                    "-q",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-o",
                    "/dev/null",
                    "-d",
                    "{db}",
                    "-f",
                    "{archive}",
                ],
            ),
        ),
    ];
    let mut failures = Vec::new();
    for (label, format, archive_name, restore) in plans {
        let dir = work.path().join(label);
        std::fs::create_dir_all(&dir).expect("work dir");
        let plan = RoundTrip {
            label: label.to_string(),
            dump: pgark_dump(format),
            restore,
            archive_name: archive_name.to_string(),
            create_target: true,
        };
        let report = run_round_trip_from(&cluster, &source, &format!("dst_{label}"), &plan, &dir)
            .unwrap_or_else(|e| panic!("round trip {label}: {e}"));
        if !report.is_equal() {
            failures.push(report.to_string());
        }
    }
    if !failures.is_empty() {
        let _kept = work.keep();
        panic!("round trips differ:\n{}", failures.join("\n"));
    }
}

/// Rows of each split table: count and an order-independent checksum.
fn table_fingerprint(cluster: &Cluster, db: &str) -> String {
    cluster.psql(
        db,
        "SELECT 'wide', count(*), sum(hashtext(w::text)::bigint) FROM split.wide w \
         UNION ALL SELECT 'narrow', count(*), sum(hashtext(n::text)::bigint) FROM split.narrow n \
         UNION ALL SELECT 'small', count(*), sum(hashtext(s::text)::bigint) FROM split.small s \
         ORDER BY 1",
    )
}

/// TABLE DATA entries per table tag in stock `pg_restore -l` of an archive.
fn table_data_entries(archive: &Path, tag: &str) -> usize {
    let out = must(
        Command::new(stock_tool(18, "pg_restore"))
            .arg("-l")
            .arg(archive),
        "pg_restore -l",
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(&format!("TABLE DATA split {tag} ")))
        .count()
}

/// Issue 6 point 4: tables split with a tiny threshold are restored completely by stock
/// pg_restore -j 2 and -j 4 and by pgark restore, repeatedly.
#[test]
fn split_tables_restore_every_row_with_stock_and_pgark_restore() {
    let Some(cluster) = cluster_18() else { return };
    cluster.create_database("src");
    cluster.psql(
        "src",
        "CREATE SCHEMA split; \
         CREATE TABLE split.wide (id int PRIMARY KEY, t text, j jsonb, b bytea, n numeric); \
         INSERT INTO split.wide SELECT i, repeat(md5(i::text), 3), \
           jsonb_build_object('i', i, 's', md5(i::text)), decode(md5(i::text), 'hex'), i * 1.5 \
           FROM generate_series(1, 6000) i; \
         CREATE TABLE split.narrow (id bigint, v int); \
         INSERT INTO split.narrow SELECT i, i % 97 FROM generate_series(1, 20000) i; \
         DELETE FROM split.narrow WHERE id % 7 = 0; \
         CREATE INDEX ON split.narrow (v); \
         CREATE TABLE split.small (id int PRIMARY KEY); INSERT INTO split.small VALUES (1), (2), (3); \
         ALTER TABLE split.narrow ADD FOREIGN KEY (v) REFERENCES split.small (id) NOT VALID",
    );
    let expected = table_fingerprint(&cluster, "src");
    let work = scratch_dir();
    let custom = work.path().join("split.custom");
    let directory = work.path().join("split.dir");
    for (format, archive) in [("-Fc", &custom), ("-Fd", &directory)] {
        let path = archive.display().to_string();
        pgark_dump(
            &cluster,
            &[
                format,
                "-j",
                "2",
                "--split-tables-larger-than=64kB",
                "-f",
                &path,
            ],
            "src",
        );
        assert!(
            table_data_entries(archive, "wide") > 3,
            "{format}: split.wide was not split"
        );
        assert!(
            table_data_entries(archive, "narrow") > 3,
            "{format}: split.narrow was not split"
        );
        assert_eq!(
            table_data_entries(archive, "small"),
            1,
            "{format}: small table split"
        );
    }
    let mut restored = 0;
    for round in 0..2 {
        for (label, archive) in [("custom", &custom), ("dir", &directory)] {
            for jobs in ["2", "4"] {
                let db = format!("stock_{label}_j{jobs}_{round}");
                stock_restore(&cluster, &["-j", jobs], &db, archive);
                assert_eq!(table_fingerprint(&cluster, &db), expected, "{db}");
                cluster.psql("postgres", &format!("DROP DATABASE {db}"));
                restored += 1;
            }
            let db = format!("pgark_{label}_{round}");
            pgark_restore(&cluster, &["-j", "4"], &db, archive);
            assert_eq!(table_fingerprint(&cluster, &db), expected, "{db}");
            cluster.psql("postgres", &format!("DROP DATABASE {db}"));
            restored += 1;
        }
    }
    // Serial restores read the parts in TOC order, after the anchor.
    stock_restore(&cluster, &[], "stock_serial", &custom);
    assert_eq!(table_fingerprint(&cluster, "stock_serial"), expected);
    assert_eq!(restored, 12);
}

/// `--lock-wait-timeout`: the leader's ACCESS SHARE lock waits at most that long behind
/// a conflicting lock (stock's `statement_timeout` around the LOCK TABLE batch); then
/// the dump fails with the server's timeout error instead of hanging.
#[test]
fn lock_wait_timeout_bounds_the_wait_for_table_locks() {
    let Some(cluster) = cluster_18() else { return };
    cluster.create_database("locked");
    cluster.psql(
        "locked",
        "CREATE TABLE held (id int); INSERT INTO held VALUES (1)",
    );
    let mut holder = cluster.tool("psql");
    holder
        .args([
            "-X",
            "-d",
            "locked",
            "-c",
            "BEGIN; LOCK TABLE held IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(600);",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _holder = Load(holder.spawn().expect("start the lock holder"));
    while cluster.psql(
        "locked",
        "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND granted \
         AND relation = 'held'::regclass",
    ) != "1"
    {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let mut dump = Command::new(pgark_bin());
    cluster.apply_env(&mut dump);
    dump.args([
        "dump",
        "--lock-wait-timeout=300ms",
        "-f",
        "/dev/null",
        "locked",
    ]);
    let out = dump.output().expect("run pgark dump");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("statement timeout"), "{err}");
    assert!(
        err.contains("LOCK TABLE public.held IN ACCESS SHARE MODE"),
        "{err}"
    );
}
