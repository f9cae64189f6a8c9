//! `pgark restore -f` against stock `pg_restore -f` of PostgreSQL 18, byte for byte.
//!
//! Archives are made by stock pg_dump 18 (custom, directory, tar) from a database holding
//! every fixture, and by stock pg_dump 15 (archive version 1.14: single BLOBS entry,
//! per-object BLOB entries) from a 15 server; each is rendered by stock pg_restore 18 and
//! by pgark with the same `--restrict-key` and options, and the two scripts must be
//! identical. A failure prints a unified diff of the first difference of every case.
//!
//! Needs the pgark binary: build it first with `cargo build -p pgark`; it is looked up at
//! `<target dir>/debug/pgark` (`$CARGO_TARGET_DIR`, else `<repo>/target`).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use pgark_testkit::{available_majors, first_difference, must, pgark_bin, run, scratch_dir, stock_tool, Cluster};

const KEY: &str = "Sc1ptKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS";

/// A command for `program` in UTC: `-v` scripts print times.
fn utc(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("TZ", "UTC");
    cmd
}

/// Lines whose text legitimately differs between two runs (the current time).
fn mask_clock(script: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(script.len());
    for line in script.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"-- Completed on ") {
            out.extend_from_slice(b"-- Completed on <now>\n");
        } else {
            out.extend_from_slice(line);
        }
    }
    out
}

/// Renders `archive` with stock pg_restore 18 and with pgark (same options and key)
/// into `work`; returns a failure description, or `None` when identical.
fn compare(work: &Path, label: &str, archive: &Path, options: &[&str]) -> Option<String> {
    compare_with(work, label, archive, archive, options)
}

/// Like [`compare`], but stock renders `stock_archive` while pgark renders `archive`
/// (for the one documented difference: stock cannot take tar data out of archive order).
fn compare_with(work: &Path, label: &str, archive: &Path, stock_archive: &Path, options: &[&str]) -> Option<String> {
    let stock_out = work.join("stock.sql");
    let pgark_out = work.join("pgark.sql");
    let _ = std::fs::remove_file(&stock_out);
    let _ = std::fs::remove_file(&pgark_out);
    let key_arg = format!("--restrict-key={KEY}");

    let mut stock = utc(stock_tool(18, "pg_restore"));
    stock.arg("-f").arg(&stock_out).arg(&key_arg).args(options).arg(stock_archive);
    let stock_run = run(&mut stock, "stock pg_restore");
    let mut ours = utc(pgark_bin());
    ours.arg("restore").arg("-f").arg(&pgark_out).arg(&key_arg).args(options).arg(archive);
    let ours_run = run(&mut ours, "pgark restore");

    let case = format!("[{label}] {}", options.join(" "));
    if !stock_run.status.success() {
        // Every case of these tables is one stock renders: a stock failure means the
        // case is broken (and would otherwise pass without comparing anything).
        return Some(format!(
            "{case}: stock pg_restore failed ({}), pgark {}; stock said:\n{}",
            stock_run.status,
            if ours_run.status.success() { "succeeded" } else { "failed too" },
            String::from_utf8_lossy(&stock_run.stderr)
        ));
    }
    if !ours_run.status.success() {
        return Some(format!(
            "{case}: pgark failed ({}):\n{}",
            ours_run.status,
            String::from_utf8_lossy(&ours_run.stderr)
        ));
    }
    if options.contains(&"-v") {
        // -v progress messages: stock's text, pgark's program name.
        let ours_err = String::from_utf8_lossy(&ours_run.stderr).replace("\npgark: ", "\npg_restore: ");
        let ours_err = ours_err.strip_prefix("pgark: ").map(|r| format!("pg_restore: {r}")).unwrap_or(ours_err);
        let stock_err = String::from_utf8_lossy(&stock_run.stderr).into_owned();
        if stock_err != ours_err {
            return Some(format!(
                "{case}: -v messages differ\n{}",
                first_difference(stock_err.as_bytes(), ours_err.as_bytes())
            ));
        }
    }
    let expected = mask_clock(&std::fs::read(&stock_out).unwrap_or_default());
    let actual = mask_clock(&std::fs::read(&pgark_out).unwrap_or_default());
    if expected == actual {
        None
    } else {
        Some(format!("{case}: scripts differ\n{}", first_difference(&expected, &actual)))
    }
}

/// Dumps `db` with stock pg_dump of the cluster's major into custom, directory and tar
/// archives under `dir`; returns (label, path) pairs.
fn dump_all_formats(cluster: &Cluster, db: &str, dir: &Path, extra: &[&str]) -> Vec<(String, PathBuf)> {
    let mut archives = Vec::new();
    for (label, letter, name) in [("custom", "c", "dump.custom"), ("directory", "d", "dump.dir"), ("tar", "t", "dump.tar")] {
        let path = dir.join(name);
        let mut cmd = cluster.tool("pg_dump");
        cmd.arg("-F").arg(letter).arg("-f").arg(&path).args(extra).arg("-d").arg(db);
        must(&mut cmd, &format!("pg_dump {} -F{letter}", cluster.major()));
        archives.push((format!("{label} {}", cluster.major()), path));
    }
    archives
}

/// A `-L` list made from stock's listing: every other entry, in reverse order, plus a
/// comment line and a blank line.
fn make_use_list(archive: &Path, path: &Path) {
    let mut cmd = utc(stock_tool(18, "pg_restore"));
    cmd.arg("-l").arg(archive);
    let listing = must(&mut cmd, "pg_restore -l");
    let entries: Vec<&[u8]> = listing
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty() && !l.starts_with(b";"))
        .collect();
    let mut list = b"; chosen by script_stock.rs\n\n".to_vec();
    for line in entries.iter().step_by(2).rev() {
        list.extend_from_slice(line);
        list.push(b'\n');
    }
    std::fs::write(path, list).expect("write list file");
}

fn report(failures: Vec<String>, cases: usize) {
    if failures.is_empty() {
        return;
    }
    let mut text = format!("{} of {cases} cases differ from stock pg_restore 18:\n\n", failures.len());
    for f in failures.iter().take(15) {
        text.push_str(f);
        text.push('\n');
    }
    if failures.len() > 15 {
        text.push_str(&format!("... and {} more\n", failures.len() - 15));
    }
    panic!("{text}");
}

/// Every fixture that loads on `major` except the bulky `data` one, which
/// [`script_matches_stock_for_bulk_data`] renders with fewer option sets (the debug
/// binary takes seconds per run on it).
fn load_all_but_bulk_data(cluster: &Cluster, db: &str) {
    let fixtures: Vec<_> = pgark_testkit::fixtures::for_major(cluster.major())
        .into_iter()
        .filter(|f| f.name != "data")
        .collect();
    cluster.load_fixture_files(db, &fixtures);
}

#[test]
fn script_matches_stock_pg_restore_18_for_every_option() {
    let cluster = Cluster::start(18);
    load_all_but_bulk_data(&cluster, "src");
    let dir = scratch_dir();
    let archives = dump_all_formats(&cluster, "src", dir.path(), &[]);
    let list_file = dir.path().join("use.list");
    make_use_list(&archives[0].1, &list_file);
    let list_arg = list_file.display().to_string();

    let option_sets: Vec<Vec<&str>> = vec![
        vec![],
        vec!["-s"],
        vec!["-a"],
        vec!["--section=pre-data"],
        vec!["--section=data"],
        vec!["--section=post-data"],
        vec!["--section=pre-data", "--section=post-data"],
        vec!["-t", "book"],
        vec!["-t", "book", "-t", "everything", "-x"],
        vec!["-n", "basic"],
        vec!["-n", "kinds", "-t", "everything"],
        vec!["-N", "basic", "-N", "kinds"],
        vec!["-I", "book_title_idx"],
        vec!["-P", "float8_diff(double precision, double precision)"],
        vec!["-T", "everything everything_touch"],
        vec!["-L", &list_arg],
        vec!["-O"],
        vec!["-x"],
        vec!["--no-comments"],
        vec!["--no-publications"],
        vec!["--no-subscriptions"],
        vec!["--no-security-labels"],
        vec!["--no-tablespaces"],
        vec!["--no-policies"],
        vec!["-c"],
        vec!["-c", "--if-exists"],
        vec!["-C"],
        vec!["-C", "-c", "--if-exists"],
        vec!["-a", "--disable-triggers"],
        vec!["-a", "--disable-triggers", "-S", "pgark_owner", "--use-set-session-authorization"],
        vec!["--use-set-session-authorization"],
        vec!["-1"],
        vec!["-v"],
        vec!["-v", "-C", "-c"],
        vec!["--role=pgark_owner"],
        vec!["--enable-row-security"],
        vec!["--no-table-access-method"],
        vec!["--transaction-size=7"],
        vec!["--transaction-size=1", "-c", "--if-exists", "-C"],
        vec!["-O", "-x", "--no-comments", "-c", "--if-exists"],
    ];

    let mut failures = Vec::new();
    let mut cases = 0;
    for (label, archive) in &archives {
        for options in &option_sets {
            cases += 1;
            // Stock reads tar archives front to back only and fails when a -L list asks
            // for data out of archive order; pgark reads tar members in any order
            // (DIFFERENCES.md). The oracle for that case is stock's rendering of the
            // same database's custom archive, whose script is identical.
            let stock_archive = if label.starts_with("tar") && options.first() == Some(&"-L") {
                &archives[0].1
            } else {
                archive
            };
            if let Some(f) = compare_with(dir.path(), label, archive, stock_archive, options) {
                failures.push(f);
            }
        }
    }
    report(failures, cases);
}

#[test]
fn script_matches_stock_for_bulk_data() {
    let cluster = Cluster::start(18);
    cluster.load_fixtures("src", &["data"]);
    let dir = scratch_dir();
    let archives = dump_all_formats(&cluster, "src", dir.path(), &[]);
    let option_sets: Vec<Vec<&str>> = vec![vec![], vec!["-a", "--disable-triggers"], vec!["--transaction-size=50", "-c"]];
    let mut failures = Vec::new();
    let mut cases = 0;
    for (label, archive) in &archives {
        for options in &option_sets {
            cases += 1;
            if let Some(f) = compare(dir.path(), label, archive, options) {
                failures.push(f);
            }
        }
    }
    report(failures, cases);
}

#[test]
fn script_matches_stock_for_statistics_archives() {
    let cluster = Cluster::start(18);
    cluster.load_fixtures("src", &["basic", "kinds", "partitions"]);
    cluster.psql("src", "ANALYZE");
    let dir = scratch_dir();
    let archives = dump_all_formats(&cluster, "src", dir.path(), &["--statistics"]);
    let option_sets: Vec<Vec<&str>> = vec![
        vec![],
        vec!["--statistics-only"],
        vec!["--no-statistics"],
        vec!["-s"],
        vec!["-a"],
        vec!["--section=post-data"],
        vec!["-v"],
        vec!["--transaction-size=3"],
    ];
    let mut failures = Vec::new();
    let mut cases = 0;
    for (label, archive) in &archives {
        for options in &option_sets {
            cases += 1;
            if let Some(f) = compare(dir.path(), label, archive, options) {
                failures.push(f);
            }
        }
    }
    report(failures, cases);
}

#[test]
fn script_matches_stock_for_pg_dump_15_archives() {
    if !available_majors().contains(&15) {
        eprintln!("PostgreSQL 15 not provisioned: skipping (run scripts/postgres.sh 15)");
        return;
    }
    let cluster = Cluster::start(15);
    load_all_but_bulk_data(&cluster, "src");
    let dir = scratch_dir();
    let archives = dump_all_formats(&cluster, "src", dir.path(), &[]);
    let option_sets: Vec<Vec<&str>> = vec![
        vec![],
        vec!["-s"],
        vec!["-a"],
        vec!["-c", "--if-exists"],
        vec!["-c"],
        vec!["-C", "-c"],
        vec!["-O", "-x"],
        vec!["-v"],
        vec!["-1"],
        vec!["--transaction-size=5"],
        vec!["--use-set-session-authorization"],
    ];
    let mut failures = Vec::new();
    let mut cases = 0;
    for (label, archive) in &archives {
        for options in &option_sets {
            cases += 1;
            if let Some(f) = compare(dir.path(), label, archive, options) {
                failures.push(f);
            }
        }
    }
    report(failures, cases);
}

#[test]
fn restrict_key_is_random_unless_given_and_validated_like_stock() {
    let cluster = Cluster::start(18);
    cluster.load_fixtures("src", &["basic"]);
    let dir = scratch_dir();
    let archive = dir.path().join("basic.dump");
    let mut cmd = cluster.tool("pg_dump");
    cmd.arg("-Fc").arg("-f").arg(&archive).arg("-d").arg("src");
    must(&mut cmd, "pg_dump -Fc");

    // Two runs without --restrict-key: each script uses one 63-character alphanumeric
    // key for \restrict and \unrestrict, and the runs' keys differ.
    let mut keys = Vec::new();
    for _ in 0..2 {
        let mut cmd = utc(pgark_bin());
        cmd.arg("restore").arg("-f").arg("-").arg(&archive);
        let out = must(&mut cmd, "pgark restore -f -");
        let text = String::from_utf8(out.stdout).expect("utf8 script");
        let restrict: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("\\restrict ")).collect();
        let unrestrict: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("\\unrestrict ")).collect();
        assert_eq!(restrict.len(), 1, "one \\restrict line:\n{text}");
        assert_eq!(unrestrict, restrict, "\\unrestrict uses the same key");
        let key = restrict[0].to_string();
        assert_eq!(key.len(), 63, "key length: {key:?}");
        assert!(key.bytes().all(|b| b.is_ascii_alphanumeric()), "key characters: {key:?}");
        keys.push(key);
    }
    assert_ne!(keys[0], keys[1], "keys must be random");

    // Invalid keys are refused by both, with stock's message.
    for bad in ["", "bad-key", "with space", "semi;colon"] {
        let mut stock = utc(stock_tool(18, "pg_restore"));
        stock.arg("-f").arg("-").arg(format!("--restrict-key={bad}")).arg(&archive);
        let stock_run = run(&mut stock, "stock pg_restore");
        let mut ours = utc(pgark_bin());
        ours.arg("restore").arg("-f").arg("-").arg(format!("--restrict-key={bad}")).arg(&archive);
        let ours_run = run(&mut ours, "pgark restore");
        assert!(!stock_run.status.success(), "stock accepted {bad:?}");
        assert!(!ours_run.status.success(), "pgark accepted {bad:?}");
        let stock_err = String::from_utf8_lossy(&stock_run.stderr);
        let ours_err = String::from_utf8_lossy(&ours_run.stderr);
        assert!(stock_err.contains("invalid restrict key"), "stock said {stock_err}");
        assert!(ours_err.contains("invalid restrict key"), "pgark said {ours_err}");
        assert!(ours_run.stdout.is_empty(), "nothing written for {bad:?}");
    }

    // An archive on standard input (a regular file, seekable; and a pipe, read in
    // archive order) renders as from a named file, for stock and pgark alike.
    for (label, piped) in [("stdin file", false), ("stdin pipe", true)] {
        let render = |program: &Path, pre: &[&str]| -> Vec<u8> {
            let mut cmd = utc(program);
            cmd.args(pre).arg("-f").arg("-").arg(format!("--restrict-key={KEY}"));
            if piped {
                let bytes = std::fs::read(&archive).expect("read archive");
                cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
                let mut child = cmd.spawn().expect("spawn");
                let mut stdin = child.stdin.take().expect("stdin");
                let writer = std::thread::spawn(move || {
                    use std::io::Write;
                    let _ = stdin.write_all(&bytes);
                });
                let out = child.wait_with_output().expect("wait");
                writer.join().expect("writer thread");
                assert!(out.status.success(), "{label}: {} failed", program.display());
                out.stdout
            } else {
                cmd.stdin(std::fs::File::open(&archive).expect("open archive"));
                must(&mut cmd, label).stdout
            }
        };
        let stock = render(&stock_tool(18, "pg_restore"), &[]);
        let ours = render(&pgark_bin(), &["restore"]);
        assert!(stock.len() > 1000, "{label}: stock wrote a script");
        assert!(stock == ours, "{label}: scripts differ\n{}", first_difference(&stock, &ours));
    }

    // `-f -` and `-f FILE` write the same bytes.
    let file = dir.path().join("out.sql");
    let mut to_file = utc(pgark_bin());
    to_file.arg("restore").arg("-f").arg(&file).arg(format!("--restrict-key={KEY}")).arg(&archive);
    must(&mut to_file, "pgark restore -f FILE");
    let mut to_stdout = utc(pgark_bin());
    to_stdout.arg("restore").arg("-f").arg("-").arg(format!("--restrict-key={KEY}")).arg(&archive);
    let out = must(&mut to_stdout, "pgark restore -f -");
    assert_eq!(std::fs::read(&file).expect("read out.sql"), out.stdout);
}

#[test]
fn script_matches_stock_for_odd_names_encodings_and_string_styles() {
    let cluster = Cluster::start(18);
    let dir = scratch_dir();
    // A database name that needs the complex `\connect` form with -C.
    let odd = "Tëst \"db\" it's";
    cluster.load_fixtures(odd, &["basic", "hostile_names"]);
    // standard_conforming_strings off: the archive says so, literals double backslashes.
    cluster.psql("postgres", "CREATE DATABASE oldstrings TEMPLATE template0");
    cluster.psql("postgres", "ALTER DATABASE oldstrings SET standard_conforming_strings = off");
    cluster.psql(
        "oldstrings",
        "CREATE ROLE \"back\\slash o'wner\" NOLOGIN; CREATE SCHEMA s; \
         CREATE TABLE s.\"T\\1\" (v text DEFAULT 'a\\b'); ALTER TABLE s.\"T\\1\" OWNER TO \"back\\slash o'wner\"; \
         INSERT INTO s.\"T\\1\" VALUES (E'x\\\\y'), ('q''t');",
    );
    // A single-byte encoding.
    cluster.psql("postgres", "CREATE DATABASE latin ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
    cluster.psql(
        "latin",
        "CREATE SCHEMA \"café\"; CREATE TABLE \"café\".\"crème\" (\"prénom\" text); \
         INSERT INTO \"café\".\"crème\" VALUES ('brûlée');",
    );

    let option_sets: Vec<Vec<&str>> = vec![
        vec![],
        vec!["-C"],
        vec!["-C", "-c", "--if-exists", "--transaction-size=2"],
        vec!["--use-set-session-authorization"],
        vec!["-a", "--disable-triggers", "-S", "back\\slash o'wner"],
        vec!["-O", "--role=back\\slash o'wner"],
    ];
    let mut failures = Vec::new();
    let mut cases = 0;
    for db in [odd, "oldstrings", "latin"] {
        let sub = dir.path().join(format!("db{cases}"));
        std::fs::create_dir(&sub).expect("mkdir");
        let archives = dump_all_formats(&cluster, db, &sub, &[]);
        // The cases really exercise what they are about.
        let mut cmd = utc(pgark_bin());
        cmd.arg("restore").arg("-f").arg("-").arg("-C").arg(&archives[0].1);
        let script = String::from_utf8_lossy(&must(&mut cmd, "pgark restore -C").stdout).into_owned();
        let expected = match db {
            "latin" => "SET client_encoding = 'LATIN1';",
            "oldstrings" => "SET escape_string_warning = off;",
            _ => "\\connect -reuse-previous=on \"dbname='T",
        };
        assert!(script.contains(expected), "{db}: script lacks {expected:?}:\n{script}");
        for (label, archive) in &archives {
            for options in &option_sets {
                cases += 1;
                if let Some(f) = compare(&sub, &format!("{label} {db}"), archive, options) {
                    failures.push(f);
                }
            }
        }
    }
    report(failures, cases);
}
