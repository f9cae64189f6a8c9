//! `pgark dump` option families against stock pg_dump 18, byte for byte (after the two
//! header version comment lines), on the `basic` and `data` fixtures: full plain dumps
//! with data, selection (-n -N -t -T), content (-s -a -C -O -x -c --if-exists
//! --no-comments --section --quote-all-identifiers), and archives listed by stock
//! `pg_restore -l` and rendered by stock `pg_restore -f`.

use std::process::{Command, Output};

use pgark_testkit::roundtrip::unified_diff;
use pgark_testkit::{available_majors, scratch_dir, stock_tool, Cluster};

const KEY: &str = "pgarkDumpKey0123456789";

/// Option sets stock and pgark must print identically.
const OPTION_SETS: &[&[&str]] = &[
    &[],
    &["--schema-only"],
    &["--data-only"],
    &["-n", "basic"],
    &["-N", "basic"],
    &["-t", "basic.book"],
    &["-T", "basic.book"],
    &["-s", "-T", "basic.author"],
    &["-C"],
    &["-O"],
    &["-x"],
    &["--no-comments"],
    &["-c"],
    &["-c", "--if-exists"],
    &["--section=pre-data"],
    &["--section=data"],
    &["--section=post-data"],
    &["--quote-all-identifiers"],
];

fn pgark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pgark"))
}

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

fn without_version_lines(script: &[u8]) -> String {
    String::from_utf8_lossy(script)
        .split_inclusive('\n')
        .filter(|l| {
            !l.starts_with("-- Dumped from database version ")
                && !l.starts_with("-- Dumped by pg_dump version ")
        })
        .collect()
}

fn plain(cluster: &Cluster, stock: bool, db: &str, opts: &[&str]) -> String {
    let mut cmd = if stock {
        Command::new(stock_tool(18, "pg_dump"))
    } else {
        pgark()
    };
    cluster.apply_env(&mut cmd);
    if !stock {
        cmd.arg("dump");
    }
    cmd.arg(format!("--restrict-key={KEY}")).args(opts).arg(db);
    let who = if stock { "pg_dump" } else { "pgark dump" };
    without_version_lines(&must(&mut cmd, &format!("{who} {opts:?} {db}")).stdout)
}

fn cluster_18() -> Option<Cluster> {
    if !available_majors().contains(&18) {
        assert!(
            std::env::var_os("CI").is_none(),
            "PostgreSQL 18 is not provisioned"
        );
        eprintln!("skipping: PostgreSQL 18 is not provisioned");
        return None;
    }
    Some(Cluster::start(18))
}

#[test]
fn plain_option_sets_match_stock() {
    let Some(cluster) = cluster_18() else { return };
    cluster.load_fixtures("basic", &["basic"]);
    let mut failures = Vec::new();
    for opts in OPTION_SETS {
        let (s, o) = (
            plain(&cluster, true, "basic", opts),
            plain(&cluster, false, "basic", opts),
        );
        if s != o {
            failures.push(format!(
                "options {opts:?}:\n{}",
                unified_diff(&s, &o, "stock", "pgark")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn full_dump_with_data_matches_stock() {
    let Some(cluster) = cluster_18() else { return };
    cluster.load_fixtures("data", &["data"]);
    let (s, o) = (
        plain(&cluster, true, "data", &[]),
        plain(&cluster, false, "data", &[]),
    );
    assert!(s == o, "{}", unified_diff(&s, &o, "stock", "pgark"));
}

#[test]
fn archives_list_and_render_as_stock() {
    let Some(cluster) = cluster_18() else { return };
    cluster.load_fixtures("basic", &["basic"]);
    let dir = scratch_dir();
    for (format, name) in [("c", "a.dump"), ("d", "a.dir"), ("t", "a.tar")] {
        let stock_path = dir.path().join(format!("stock-{name}"));
        let ours_path = dir.path().join(format!("pgark-{name}"));
        let mut s = Command::new(stock_tool(18, "pg_dump"));
        cluster.apply_env(&mut s);
        s.args(["-F", format, "-f"]).arg(&stock_path).arg("basic");
        must(&mut s, "stock pg_dump archive");
        let mut o = pgark();
        cluster.apply_env(&mut o);
        o.args(["dump", "-F", format, "-f"])
            .arg(&ours_path)
            .arg("basic");
        must(&mut o, "pgark dump archive");
        let listing = |path: &std::path::Path| {
            let mut cmd = Command::new(stock_tool(18, "pg_restore"));
            cmd.arg("-l").arg(path);
            String::from_utf8_lossy(&must(&mut cmd, "pg_restore -l").stdout)
                .lines()
                .filter(|l| !l.starts_with("; Archive created at"))
                .map(|l| match l.split_once(';') {
                    Some((id, rest))
                        if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) =>
                    {
                        format!("ID;{rest}")
                    }
                    _ => l.to_string(),
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        let (sl, ol) = (listing(&stock_path), listing(&ours_path));
        assert!(
            sl == ol,
            "-F{format} listing:\n{}",
            unified_diff(&sl, &ol, "stock", "pgark")
        );
        let render = |path: &std::path::Path| {
            let mut cmd = Command::new(stock_tool(18, "pg_restore"));
            cmd.arg(format!("--restrict-key={KEY}"))
                .args(["-f", "-"])
                .arg(path);
            without_version_lines(&must(&mut cmd, "pg_restore -f").stdout)
        };
        let (sr, or) = (render(&stock_path), render(&ours_path));
        assert!(
            sr == or,
            "-F{format} script:\n{}",
            unified_diff(&sr, &or, "stock", "pgark")
        );
    }
}

/// `--archive-version=1.14` writes archives that pg_restore 15 (which reads at most
/// 1.14) lists and restores; the default 1.16 is refused by it, which shows the option
/// is what makes the difference.
#[test]
fn archive_version_1_14_is_read_by_pg_restore_15() {
    let Some(cluster) = cluster_18() else { return };
    if !available_majors().contains(&15) {
        return;
    }
    cluster.load_fixtures("basic", &["basic"]);
    let dir = scratch_dir();
    for format in ["c", "d", "t"] {
        let old = dir.path().join(format!("v14-{format}"));
        let new = dir.path().join(format!("v16-{format}"));
        for (path, version) in [(&old, "1.14"), (&new, "1.16")] {
            let mut o = pgark();
            cluster.apply_env(&mut o);
            o.args(["dump", "-F", format, "--archive-version", version, "-f"])
                .arg(path)
                .arg("basic");
            must(&mut o, "pgark dump --archive-version");
        }
        let mut list15 = Command::new(stock_tool(15, "pg_restore"));
        list15.arg("-l").arg(&old);
        let listing = must(&mut list15, "pg_restore 15 -l");
        assert!(
            String::from_utf8_lossy(&listing.stdout).contains("Dump Version: 1.14-0"),
            "-F{format}"
        );
        let refused = Command::new(stock_tool(15, "pg_restore"))
            .arg("-l")
            .arg(&new)
            .output()
            .expect("run pg_restore 15");
        assert!(!refused.status.success(), "pg_restore 15 must refuse 1.16 (-F{format})");

        let target = format!("v14_{format}");
        cluster.create_database(&target);
        let mut restore = Command::new(stock_tool(15, "pg_restore"));
        cluster.apply_env(&mut restore);
        restore.args(["--exit-on-error", "-d", &target]).arg(&old);
        must(&mut restore, "pg_restore 15 -d");
        assert_eq!(
            cluster.psql(&target, "SELECT count(*) FROM basic.book"),
            cluster.psql("basic", "SELECT count(*) FROM basic.book"),
            "-F{format}"
        );
    }
}

#[test]
fn archive_version_is_validated() {
    let out = pgark()
        .args(["dump", "-Fc", "--archive-version", "1.9", "-h", "/nonexistent", "nodb"])
        .output()
        .expect("run pgark");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported archive version \"1.9\""));
}

#[test]
fn conflicting_options_are_refused() {
    let out = pgark()
        .args(["dump", "-s", "-a", "nodb"])
        .output()
        .expect("run pgark");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("-s/--schema-only and -a/--data-only cannot be used together"));
}
