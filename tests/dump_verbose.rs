//! `pgark dump -v`: stderr equals stock pg_dump 18 -v's, line for line, in every
//! output format (serial dumps); the data-phase progress line appears on a terminal
//! only (not with `--no-progress`, not when stderr is a pipe).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use pgark_testkit::{scratch_dir, Cluster};

use crate::restore_support::provisioned;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn pgark_dump(cluster: &Cluster, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgark"));
    cluster.apply_env(&mut cmd);
    cmd.arg("dump").args(args).output().expect("run pgark dump")
}

/// Every `-v` line of stock pg_dump 18, byte for byte: the catalog steps, the special
/// entries, `dumping contents of table`, `saving large objects`, and the archiver's
/// lines where stock prints them (plain output; a tar archive's `restore.sql`).
#[test]
fn dump_verbose_lines_equal_stock() {
    if !provisioned(18) {
        return;
    }
    let cluster = Cluster::start(18);
    cluster.load_fixtures("src", &["basic", "large_objects"]);
    let work = scratch_dir();
    let mut failures = Vec::new();
    let variants: [(&str, &[&str]); 6] = [
        ("p", &[]),
        ("p", &["-C", "-c"]),
        ("c", &[]),
        ("d", &[]),
        ("t", &[]),
        ("c", &["-s"]),
    ];
    for (n, (format, extra)) in variants.iter().enumerate() {
        let stock_path = work.path().join(format!("stock{n}.{format}"));
        let ours_path = work.path().join(format!("pgark{n}.{format}"));
        let mut stock = cluster.tool_of(18, "pg_dump");
        stock
            .args(["-v", "-F", format, "-f"])
            .arg(&stock_path)
            .args(*extra)
            .arg("src");
        let stock = stock.output().expect("run pg_dump");
        assert!(stock.status.success(), "{}", stderr(&stock));
        let ours_file = ours_path.display().to_string();
        let mut args = vec!["-v", "-F", format, "-f", &ours_file];
        args.extend_from_slice(extra);
        args.push("src");
        let ours = pgark_dump(&cluster, &args);
        assert!(ours.status.success(), "{}", stderr(&ours));
        assert!(stderr(&stock).contains("pg_dump: reading dependency data\n"));
        if stderr(&stock) != stderr(&ours) {
            failures.push(format!(
                "-F{format} {extra:?}:\n{}",
                pgark_testkit::roundtrip::unified_diff(
                    &stderr(&stock),
                    &stderr(&ours),
                    "pg_dump -v",
                    "pgark dump -v"
                )
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Through a real pseudo-terminal (util-linux `script`): the progress line is drawn on
/// stderr and erased at the end; nothing with `--no-progress`, nothing when stderr is
/// a pipe although stdout is the terminal.
#[test]
fn dump_progress_line_only_on_a_terminal() {
    if !provisioned(18) {
        return;
    }
    let script = Path::new("/usr/bin/script");
    if !script.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "util-linux script is needed for the terminal test"
        );
        eprintln!("skipping: no /usr/bin/script");
        return;
    }
    let cluster = Cluster::start(18);
    cluster.load_fixtures("src", &["basic"]);
    let work = scratch_dir();
    let quote = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', "'\\''"));
    let under_terminal = |name: &str, extra: &str| -> String {
        let archive = work.path().join(format!("{name}.dump"));
        let command = format!(
            "{} dump -Fc -f {} {extra} src",
            quote(Path::new(env!("CARGO_BIN_EXE_pgark"))),
            quote(&archive)
        );
        let mut cmd = Command::new(script);
        cluster.apply_env(&mut cmd);
        let out = cmd
            .args(["-qfec", &command, "/dev/null"])
            .stdin(Stdio::null())
            .output()
            .expect("run script");
        let transcript = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{command}: {transcript}{}",
            stderr(&out)
        );
        assert!(archive.exists(), "{command}: no archive");
        transcript
    };
    let bar = under_terminal("tty_bar", "");
    assert!(
        bar.contains("dumping: ") && bar.contains("/3 tables, ") && bar.contains(" written"),
        "{bar:?}"
    );
    assert!(bar.contains("dumping: 3/3 tables, "), "{bar:?}");
    assert!(bar.ends_with("\r\x1b[2K"), "{bar:?}");
    let none = under_terminal("tty_no_progress", "--no-progress");
    assert_eq!(none, "");
    let log = work.path().join("stderr.txt");
    let piped = under_terminal("tty_piped", &format!("2>{}", quote(&log)));
    assert_eq!(piped, "");
    assert_eq!(std::fs::read_to_string(&log).expect("stderr file"), "");
}
