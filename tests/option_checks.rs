//! Option values and combinations stock pg_dump and pg_restore 18 reject before they
//! connect or read an archive: run through links named after the stock tools, pgark
//! rejects them too, before connecting, with stock's stderr and exit status. Every
//! command line points at an unreachable server (`-h` a missing socket directory), so
//! an option accepted by mistake shows as a connection error, and no cluster is needed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pgark_testkit::{scratch_dir, stock_tool};

use crate::restore_support::provisioned;

/// A socket directory that does not exist.
const NO_SERVER: &str = "/nonexistent-pgark-option-checks";

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("run {cmd:?}: {e}"))
}

/// stderr with the program path as invoked replaced by `ARGV0` (getopt prints argv[0]
/// whole, and stock's and the link's paths differ).
fn stderr_shape(out: &Output, argv0: &Path) -> String {
    String::from_utf8_lossy(&out.stderr).replace(&argv0.display().to_string(), "ARGV0")
}

/// Runs `tool` (stock 18's, then pgark's through a link of that name) with each
/// command line, and lists every difference in stderr or exit status.
fn differences(tool: &str, link: &PathBuf, command_lines: &[Vec<&str>]) -> Vec<String> {
    let stock = stock_tool(18, tool);
    let mut failures = Vec::new();
    for args in command_lines {
        let command = |program: &Path| {
            let mut cmd = Command::new(program);
            cmd.arg("-h").arg(NO_SERVER).args(args);
            for var in ["PGDATABASE", "PGHOST", "PGPORT", "PGUSER", "PGSERVICE"] {
                cmd.env_remove(var);
            }
            cmd
        };
        let stock_out = run(&mut command(&stock));
        let ours_out = run(&mut command(link));
        let (s, o) = (
            stderr_shape(&stock_out, &stock),
            stderr_shape(&ours_out, link),
        );
        // The case itself must be one stock rejects without trying to connect.
        assert!(
            stock_out.status.code() == Some(1) && !s.contains(NO_SERVER),
            "stock {tool} {args:?} is not an option error: {s:?}"
        );
        if s != o || ours_out.status.code() != stock_out.status.code() {
            failures.push(format!(
                "{tool} {args:?}: exit {:?}\n  stock: {s:?}\n  ours:  {o:?}",
                ours_out.status.code()
            ));
        }
    }
    failures
}

#[test]
fn bad_option_values_are_rejected_before_connecting() {
    if !provisioned(18) {
        return;
    }
    let links = scratch_dir();
    for name in ["pg_dump", "pg_restore"] {
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_pgark"), links.path().join(name))
            .expect("symlink to pgark");
    }
    let out_dir = scratch_dir();
    let archive = out_dir.path().join("empty.dump");
    std::fs::write(&archive, b"").expect("write an empty archive");
    let archive = archive.to_str().expect("utf-8 path");
    let non_empty_dir = out_dir.path().to_str().expect("utf-8 path");
    let under_a_file = format!("{archive}/x");
    let missing_filter = out_dir.path().join("missing-filter");
    let missing_filter = format!("--filter={}", missing_filter.display());

    // pg_dump's -j with a non-directory format is a pgark extension: not compared.
    let dump: Vec<Vec<&str>> = vec![
        vec!["-Z", "foo"],
        vec!["--compress=bogus"],
        vec!["--compress=zstd:foo"],
        vec!["--compress=gzip:level=99"],
        vec!["--compress=zstd:level=99"],
        vec!["--compress=lz4:level=20"],
        vec!["--compress=lz4:long"],
        vec!["--compress=zstd:workers=x"],
        vec!["--compress=none:5"],
        vec!["-Z", "10"],
        vec!["-F", "tar", "-Z", "5"],
        vec!["--extra-float-digits=20"],
        vec!["--extra-float-digits=-16"],
        vec!["--extra-float-digits=x"],
        vec!["-j", "0"],
        vec!["-j", "x"],
        vec!["--rows-per-insert=0"],
        vec!["--rows-per-insert=2147483648"],
        vec!["--sync-method=x"],
        vec!["-F", "x"],
        vec!["-Fd"],
        vec!["-Z", "gzip:9", "-Fd"],
        vec!["--no-data", "--data-only"],
        vec!["--no-schema", "--schema-only"],
        vec!["--statistics-only", "--no-statistics"],
        vec!["--data-only", "--statistics-only"],
        vec!["-c", "-a"],
        vec!["--if-exists"],
        vec!["-s", "--include-foreign-data=x"],
        vec!["--on-conflict-do-nothing"],
        vec!["-Fc", "-f", "/nonexistent-pgark-dir/x"],
        vec!["-Ft", "-f", "/nonexistent-pgark-dir/x"],
        vec!["-Fd", "-f", "/nonexistent-pgark-dir/x"],
        vec!["-Fc", "-f", &under_a_file],
        vec!["-Fd", "-f", archive],
        vec!["-Fd", "-f", non_empty_dir],
    ];
    let restore: Vec<Vec<&str>> = vec![
        vec!["-j", "0", archive],
        vec!["--transaction-size=0", "-d", "x", archive],
        vec!["-d", "x", "-f", "y", archive],
        vec!["-e", "-d", "x", "-f", "y", archive],
        vec![&missing_filter, archive],
        vec!["-1", "-j", "2", "-d", "x", archive],
        vec!["-C", "-1", "-d", "x", archive],
        vec!["--no-data", "--data-only", "-d", "x", archive],
        vec![archive],
    ];
    let mut failures = differences("pg_dump", &links.path().join("pg_dump"), &dump);
    failures.extend(differences(
        "pg_restore",
        &links.path().join("pg_restore"),
        &restore,
    ));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
