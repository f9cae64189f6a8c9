//! Whole-cluster `pgark dumpall` against stock pg_dumpall 18, byte for byte. The frame
//! (globals, DROP DATABASE with -c, the database list with template1 first,
//! `--exclude-database`, headers and `\connect`) is tested with a [`DatabaseDumper`]
//! that runs stock pg_dump 18 exactly as pg_dumpall does, so any difference is the
//! frame's; the `pgark` binary, with pgark's own per-database dump, is tested on
//! fixtures pgark dumps as stock does, and its output is restored with psql into an
//! empty cluster to check every database and the globals come back.

use std::path::Path;
use std::process::Command;

use clap::Parser;
use futures_util::future::BoxFuture;
use pgark::cli::{Cli, Command as PgarkCommand};
use pgark::dumpall::{DatabaseDumpRequest, DatabaseDumper};
use pgark_testkit::roundtrip::{compare_snapshots, unified_diff, DatabaseSnapshot};
use pgark_testkit::{available_majors, scratch_dir, without_version_lines, Cluster};

const KEY: &str = "pgarkClusterKey42";

/// Stock pg_dump 18 with pg_dumpall's arguments for one database.
struct StockPgDump<'a> {
    cluster: &'a Cluster,
}

impl DatabaseDumper for StockPgDump<'_> {
    fn dump_database<'a>(
        &'a self,
        request: &'a DatabaseDumpRequest,
    ) -> BoxFuture<'a, pgark::Result<Vec<u8>>> {
        Box::pin(async move {
            let mut cmd = self.cluster.tool_of(18, "pg_dump");
            cmd.args(["--restrict-key", KEY, "-Fp"]);
            if request.clean {
                cmd.arg("--clean");
            }
            if request.create {
                cmd.arg("--create");
            }
            cmd.arg("-d").arg(&request.dbname);
            let out = cmd
                .output()
                .map_err(|e| pgark::Error::Dumpall(format!("pg_dump: {e}")))?;
            if !out.status.success() {
                return Err(pgark::Error::Dumpall(
                    String::from_utf8_lossy(&out.stderr).into_owned(),
                ));
            }
            Ok(out.stdout)
        })
    }
}

fn frame_matches_stock(major: u32) {
    if !available_majors().contains(&major) || !available_majors().contains(&18) {
        eprintln!("skipping: PostgreSQL {major} or 18 is not provisioned");
        return;
    }
    let cluster = Cluster::start(major);
    cluster.load_fixtures("fx", &["privileges", "hostile_names"]);
    cluster.create_database("pgark da \"odd\" name");
    cluster.create_database("excluded_one");
    cluster.create_database("Excluded_Two");
    cluster.psql(
        "postgres",
        "CREATE TABLE in_postgres (id int); INSERT INTO in_postgres VALUES (1)",
    );
    let work = scratch_dir();
    let filter = work.path().join("exclude.filter");
    std::fs::write(
        &filter,
        "# databases to leave out\nexclude database excluded*\nexclude database \"Excluded_Two\"\n",
    )
    .expect("write filter file");
    let filter = filter.display().to_string();
    let option_sets: &[&[&str]] = &[
        &[],
        &["-c"],
        &["-c", "--if-exists"],
        &[
            "--exclude-database",
            "excluded*",
            "--exclude-database",
            "\"Excluded_Two\"",
        ],
        &["--exclude-database", "*", "-c"],
        &["--filter", &filter],
    ];
    let mut failures = Vec::new();
    for (i, options) in option_sets.iter().enumerate() {
        let stock_file = work.path().join(format!("stock{i}.sql"));
        let ours_file = work.path().join(format!("pgark{i}.sql"));
        let mut stock = cluster.tool_of(18, "pg_dumpall");
        stock
            .args(["--restrict-key", KEY])
            .args(*options)
            .arg("-f")
            .arg(&stock_file);
        let stock_out = stock.output().expect("run pg_dumpall");
        assert!(
            stock_out.status.success(),
            "pg_dumpall: {}",
            String::from_utf8_lossy(&stock_out.stderr)
        );

        let port = cluster.port().to_string();
        let socket = cluster.socket_dir().display().to_string();
        let ours_path = ours_file.display().to_string();
        let mut argv = vec![
            "pgark",
            "dumpall",
            "-h",
            &socket,
            "-p",
            &port,
            "-U",
            "postgres",
            "--restrict-key",
            KEY,
        ];
        argv.extend_from_slice(options);
        argv.extend(["-f", &ours_path]);
        let PgarkCommand::Dumpall(args) = Cli::parse_from(&argv).command else {
            panic!("not a dumpall command line")
        };
        let dumper = StockPgDump { cluster: &cluster };
        if let Err(e) = pgark::commands::dumpall::run_with(&args, Some(&dumper)) {
            failures.push(format!("server {major} {options:?}: pgark failed: {e}"));
            continue;
        }
        let stock_text = std::fs::read(&stock_file).expect("stock output");
        let ours_text = std::fs::read(&ours_file).expect("pgark output");
        // The comparison covers the databases, not only the globals.
        let fx_dumped = String::from_utf8_lossy(&stock_text).contains("-- Database \"fx\" dump");
        assert_eq!(fx_dumped, !options.contains(&"*"), "{options:?}");
        if stock_text != ours_text {
            failures.push(format!(
                "server {major} {options:?}:\n{}",
                unified_diff(
                    &String::from_utf8_lossy(&stock_text),
                    &String::from_utf8_lossy(&ours_text),
                    "pg_dumpall",
                    "pgark dumpall"
                )
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn cluster_frame_matches_stock_on_18() {
    frame_matches_stock(18);
}

#[test]
fn cluster_frame_matches_stock_on_15() {
    frame_matches_stock(15);
}

/// A pass-through option pgark dump does not honour yet is refused by name before
/// anything is dumped (exit 2), not silently dropped from every database's dump: for
/// each pass-through option `pgark dump` refuses, `pgark dumpall` (plain and cluster
/// archive) refuses it with the same message. `--binary-upgrade` is refused by dumpall
/// itself for databases.
#[test]
fn whole_cluster_refuses_unhonoured_pass_through_option() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_pgark"))
            .args(args)
            .env("PGHOST", "/nonexistent")
            .output()
            .expect("run pgark")
    };
    let candidates: &[&[&str]] = &[
        &["--inserts"],
        &["--column-inserts"],
        &["--rows-per-insert", "2"],
        &["--inserts", "--on-conflict-do-nothing"],
        &["--load-via-partition-root"],
        &["--statistics"],
        &["--statistics-only"],
        &["--no-toast-compression"],
        &["--lock-wait-timeout", "1s"],
    ];
    let work = scratch_dir();
    let archive = work.path().join("archive").display().to_string();
    for options in candidates {
        let dump = run(&[&["dump"][..], options].concat());
        let dump_err = String::from_utf8_lossy(&dump.stderr).into_owned();
        if dump.status.code() != Some(2) || !dump_err.contains("not implemented yet") {
            continue;
        }
        for prefix in [
            &["dumpall"][..],
            &["dumpall", "-F", "d", "-f", &archive][..],
        ] {
            let out = run(&[prefix, options].concat());
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{prefix:?} {options:?}: {stderr}"
            );
            assert_eq!(stderr, dump_err.as_str(), "{prefix:?} {options:?}");
        }
        assert!(
            !Path::new(&archive).exists(),
            "nothing is written before the checks"
        );
    }
    let out = run(&["dumpall", "--binary-upgrade"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--binary-upgrade of databases"));
}

/// Runs the `pgark` binary against `cluster` and returns its standard output.
fn pgark_dumpall(cluster: &Cluster, options: &[&str]) -> Vec<u8> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgark"));
    cluster.apply_env(&mut cmd);
    cmd.arg("dumpall").args(options);
    let out = cmd.output().expect("run pgark dumpall");
    assert!(
        out.status.success(),
        "pgark dumpall {options:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn connectable_databases(cluster: &Cluster) -> Vec<String> {
    cluster
        .psql(
            "postgres",
            "SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname",
        )
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn whole_cluster_dump_matches_stock_and_restores_on_18() {
    whole_cluster_dump_matches_stock_and_restores(18);
}

#[test]
fn whole_cluster_dump_matches_stock_and_restores_on_15() {
    whole_cluster_dump_matches_stock_and_restores(15);
}

/// `pgark dumpall` (pgark's own per-database dump) of a `major` server equals stock
/// pg_dumpall 18 but for the version lines, and psql 18 restores it into an empty
/// cluster of the same major with every database and the globals as they were.
fn whole_cluster_dump_matches_stock_and_restores(major: u32) {
    if !available_majors().contains(&major) || !available_majors().contains(&18) {
        eprintln!("skipping: PostgreSQL {major} or 18 is not provisioned");
        return;
    }
    let source = Cluster::start(major);
    // A policy's role list prints in role-OID order and a restore creates roles in name
    // order (as any pg_dumpall script does), so the fixture's roles are created here in
    // name order first; the fixture skips roles that exist.
    source.psql(
        "postgres",
        "CREATE ROLE pgark_admin NOLOGIN; CREATE ROLE pgark_auditor NOLOGIN; \
         CREATE ROLE pgark_owner NOLOGIN; CREATE ROLE pgark_reader NOLOGIN; \
         CREATE ROLE pgark_tenant NOLOGIN; CREATE ROLE pgark_writer NOLOGIN",
    );
    source.load_fixtures("fx_basic", &["basic", "partitions"]);
    source.load_fixtures("fx privileges", &["privileges"]);
    source.psql(
        "postgres",
        "CREATE TABLE in_postgres (id int PRIMARY KEY, note text); \
         INSERT INTO in_postgres VALUES (1, 'kept'), (2, NULL)",
    );
    let work = scratch_dir();

    let mut failures = Vec::new();
    for options in [&[][..], &["-c", "--if-exists"][..]] {
        let stock_file = work.path().join("stock.sql");
        let mut stock = source.tool_of(18, "pg_dumpall");
        stock
            .args(["--restrict-key", KEY])
            .args(options)
            .arg("-f")
            .arg(&stock_file);
        let stock_out = stock.output().expect("run pg_dumpall");
        assert!(
            stock_out.status.success(),
            "pg_dumpall: {}",
            String::from_utf8_lossy(&stock_out.stderr)
        );
        let stock_text = without_version_lines(&std::fs::read(&stock_file).expect("stock output"));
        let mut argv = vec!["--restrict-key", KEY];
        argv.extend_from_slice(options);
        let ours = pgark_dumpall(&source, &argv);
        let ours_text = without_version_lines(&ours);
        assert!(stock_text.contains("-- Database \"fx privileges\" dump"));
        assert!(stock_text.contains("COPY public.in_postgres"));
        if stock_text != ours_text {
            failures.push(format!(
                "{options:?}:\n{}",
                unified_diff(&stock_text, &ours_text, "pg_dumpall", "pgark dumpall")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));

    let script = work.path().join("pgark.sql");
    std::fs::write(&script, pgark_dumpall(&source, &[])).expect("write pgark dump");
    let target = Cluster::start(major);
    // Not ON_ERROR_STOP: the dump's CREATE ROLE of the bootstrap superuser fails on
    // any cluster, as with stock dumps.
    let mut restore = target.tool_of(18, "psql");
    restore
        .args(["-X", "-q", "-d", "postgres", "-f"])
        .arg(&script);
    let restored = restore.output().expect("run psql");
    assert!(
        restored.status.success(),
        "psql -f: {}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let errors: Vec<&str> = std::str::from_utf8(&restored.stderr)
        .expect("psql messages")
        .lines()
        .filter(|l| l.contains("ERROR"))
        .collect();
    // Stock pg_dump 18 scripts set transaction_timeout, which servers before 17 lack.
    let expected = |l: &&str| {
        l.contains("role \"postgres\" already exists")
            || (major < 17
                && l.contains("unrecognized configuration parameter \"transaction_timeout\""))
    };
    assert!(errors.iter().all(expected), "{errors:#?}");

    let databases = connectable_databases(&source);
    assert_eq!(databases, connectable_databases(&target));
    for db in &databases {
        let before = DatabaseSnapshot::take(&source, db, 18).expect("snapshot source");
        let after = DatabaseSnapshot::take(&target, db, 18).expect("snapshot target");
        let comparison =
            compare_snapshots(&before, &after, &work.path().join(db)).expect("compare snapshots");
        assert!(
            comparison.is_equal(),
            "database {db} differs after restore: {:#?}",
            comparison.mismatches
        );
    }
    let globals =
        |cluster: &Cluster| pgark_dumpall(cluster, &["--globals-only", "--restrict-key", KEY]);
    let (before, after) = (globals(&source), globals(&target));
    assert!(
        before == after,
        "globals differ after restore:\n{}",
        unified_diff(
            &String::from_utf8_lossy(&before),
            &String::from_utf8_lossy(&after),
            "source",
            "target"
        )
    );
}

/// `-v` of a whole-cluster dump: every progress line stock pg_dumpall 18 prints
/// (`executing ...`, `excluding database ...`, `dumping database ...`), in stock's order,
/// prefixed `pgark:`. Stock's `running "pg_dump ..."` lines and pg_dump's own lines are
/// left out: pgark runs no program for each database.
#[test]
fn whole_cluster_verbose_lines_match_stock() {
    if !available_majors().contains(&18) {
        eprintln!("skipping: PostgreSQL 18 is not provisioned");
        return;
    }
    let cluster = Cluster::start(18);
    cluster.load_fixtures("fx_basic", &["basic"]);
    cluster.create_database("left out");
    let options = [
        "-v",
        "-c",
        "--exclude-database",
        "left*",
        "--restrict-key",
        KEY,
    ];
    let mut stock = cluster.tool_of(18, "pg_dumpall");
    stock.args(options);
    let stock = stock.output().expect("run pg_dumpall");
    assert!(
        stock.status.success(),
        "{}",
        String::from_utf8_lossy(&stock.stderr)
    );
    let mut ours = Command::new(env!("CARGO_BIN_EXE_pgark"));
    cluster.apply_env(&mut ours);
    ours.arg("dumpall").args(options);
    let ours = ours.output().expect("run pgark dumpall");
    assert!(
        ours.status.success(),
        "{}",
        String::from_utf8_lossy(&ours.stderr)
    );
    // A message's continuation lines (a multi-line query) go with its first line.
    let mut keep = false;
    let stock_lines: Vec<String> = String::from_utf8_lossy(&stock.stderr)
        .lines()
        .filter(|l| {
            if l.starts_with("pg_dumpall: ") || l.starts_with("pg_dump: ") {
                keep = l.starts_with("pg_dumpall: ") && !l.starts_with("pg_dumpall: running ");
            }
            keep
        })
        .map(|l| l.replacen("pg_dumpall: ", "pgark: ", 1))
        .collect();
    assert!(
        stock_lines
            .iter()
            .any(|l| l == "pgark: dumping database \"fx_basic\""),
        "{stock_lines:#?}"
    );
    assert!(stock_lines
        .iter()
        .any(|l| l == "pgark: excluding database \"left out\""));
    // pgark dump's own lines (if any) are not compared, as pg_dump's are not.
    let mut keep = true;
    let ours_lines: Vec<String> = String::from_utf8_lossy(&ours.stderr)
        .lines()
        .filter(|l| {
            if l.starts_with("pgark: ") || l.starts_with("pg_dump: ") {
                keep = l.starts_with("pgark: ");
            }
            keep
        })
        .map(str::to_string)
        .collect();
    let (s, o) = (stock_lines.join("\n"), ours_lines.join("\n"));
    assert!(
        s == o,
        "{}",
        unified_diff(&s, &o, "pg_dumpall -v", "pgark dumpall -v")
    );
}

/// Stock pg_dumpall 18 options not covered above, on a whole-cluster dump: the output
/// of `pgark dumpall` with each set equals stock's but for the version lines (the
/// databases are dumped by pgark's own code with the options stock passes to pg_dump).
#[test]
fn whole_cluster_options_match_stock() {
    if !available_majors().contains(&18) {
        eprintln!("skipping: PostgreSQL 18 is not provisioned");
        return;
    }
    let cluster = Cluster::start(18);
    cluster.psql(
        "postgres",
        "CREATE ROLE pgark_admin NOLOGIN; CREATE ROLE pgark_auditor NOLOGIN; \
         CREATE ROLE pgark_owner NOLOGIN; CREATE ROLE pgark_reader NOLOGIN; \
         CREATE ROLE pgark_tenant NOLOGIN; CREATE ROLE pgark_writer NOLOGIN; \
         CREATE ROLE pgark_super SUPERUSER NOLOGIN PASSWORD 'secret'",
    );
    cluster.load_fixtures("fx_basic", &["basic", "partitions"]);
    cluster.load_fixtures("fx privileges", &["privileges"]);
    let options_fixture = pgark_testkit::fixtures::parse(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/dumpall_fixtures/options.sql"),
    );
    cluster.load_fixture_files("fx_options", &[options_fixture]);
    // Options that do not interact are grouped to keep the test short.
    let option_sets: &[&[&str]] = &[
        &["-a"],
        &["-a", "--disable-triggers"],
        &["--quote-all-identifiers"],
        &["--role", "pgark_super"],
        &[
            "-s",
            "--no-role-passwords",
            "--use-set-session-authorization",
        ],
        &[
            "-O",
            "--no-comments",
            "--no-publications",
            "--no-subscriptions",
            "--no-security-labels",
        ],
        &[
            "-x",
            "--no-tablespaces",
            "--no-unlogged-table-data",
            "--sequence-data",
            "--no-policies",
        ],
        &[
            "--no-data",
            "--no-statistics",
            "--disable-dollar-quoting",
            "--no-table-access-method",
        ],
        &["--no-schema", "--extra-float-digits", "2"],
        &["-E", "UTF8", "-l", "template1"],
        // fx_basic holds characters LATIN1 lacks (stock fails on them too).
        &["-E", "LATIN1", "--exclude-database", "fx_basic"],
        &["-c", "--if-exists", "-O", "-x"],
    ];
    let mut failures = Vec::new();
    for options in option_sets {
        let mut stock = cluster.tool_of(18, "pg_dumpall");
        stock.args(["--restrict-key", KEY]).args(*options);
        let stock_out = stock.output().expect("run pg_dumpall");
        assert!(
            stock_out.status.success(),
            "pg_dumpall {options:?}: {}",
            String::from_utf8_lossy(&stock_out.stderr)
        );
        let mut argv = vec!["--restrict-key", KEY];
        argv.extend_from_slice(options);
        let mut ours = Command::new(env!("CARGO_BIN_EXE_pgark"));
        cluster.apply_env(&mut ours);
        let ours_out = ours.arg("dumpall").args(&argv).output().expect("run pgark");
        if !ours_out.status.success() {
            failures.push(format!(
                "{options:?}: pgark failed: {}",
                String::from_utf8_lossy(&ours_out.stderr)
            ));
            continue;
        }
        let (stock_text, ours_text) = (
            without_version_lines(&stock_out.stdout),
            without_version_lines(&ours_out.stdout),
        );
        assert!(stock_text.contains("-- Database \"fx_options\" dump"));
        if stock_text != ours_text {
            failures.push(format!(
                "{options:?}:\n{}",
                unified_diff(&stock_text, &ours_text, "pg_dumpall", "pgark dumpall")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
