//! pgark as a drop-in for the stock tools: run through links named `pg_dump`,
//! `pg_restore` and `pg_dumpall`, typical script command lines give what stock 18's
//! give (outputs, exit codes, the shape of stderr), `--version` parses as stock's, and
//! bad options fail as stock's getopt makes them fail. `pgark dump ...` keeps clap's
//! errors (exit 2) and `pgark:` messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pgark_testkit::{scratch_dir, stock_tool, without_version_lines, Cluster};

use crate::restore_support::provisioned;

const KEY: &str = "multicallkey";

/// A directory of links named after the stock tools (and one with a suffix), all
/// pointing at the pgark binary under test.
struct Links {
    dir: tempfile::TempDir,
}

impl Links {
    fn new() -> Links {
        let dir = scratch_dir();
        for name in ["pg_dump", "pg_restore", "pg_dumpall", "pg_dump-18"] {
            std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_pgark"), dir.path().join(name))
                .expect("symlink to pgark");
        }
        Links { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("run {cmd:?}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// stderr with the program path as invoked replaced by `ARGV0` (getopt prints argv[0]
/// whole, and stock's and the link's paths differ).
fn stderr_shape(out: &Output, argv0: &Path) -> String {
    text(&out.stderr).replace(&argv0.display().to_string(), "ARGV0")
}

/// The first match of `(\d+)\.(\d+)` in `s`, as a script's version parser takes it.
fn first_version(s: &str) -> Option<(u32, u32)> {
    let digits = |t: &str| t.chars().take_while(char::is_ascii_digit).count();
    let mut rest = s;
    while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
        let from = &rest[start..];
        let major_len = digits(from);
        let after = &from[major_len..];
        if let Some(minor_text) = after.strip_prefix('.').filter(|m| digits(m) > 0) {
            let minor = &minor_text[..digits(minor_text)];
            return Some((from[..major_len].parse().ok()?, minor.parse().ok()?));
        }
        rest = after;
    }
    None
}

/// Bad command lines (no server needed): the same stderr, with argv[0] masked, and
/// the same exit status (1) as stock's, per tool.
#[test]
fn bad_options_fail_as_stock() {
    if !provisioned(18) {
        return;
    }
    let links = Links::new();
    let common: Vec<Vec<&str>> = vec![
        vec!["--foo"],
        vec!["--foo=bar"],
        vec!["-y"],
        vec!["-s", "-y"],
        vec!["a", "b", "c"],
        vec!["-s", "-V"],
        vec!["--file"],
        vec!["--rows-per"],
    ];
    let cases: [(&str, Vec<Vec<&str>>); 3] = [
        (
            "pg_dump",
            vec![
                vec!["-j"],
                vec!["-j", "abc"],
                vec!["-Fx"],
                vec!["--lock-wait-timeout"],
                vec!["-s", "-a"],
            ],
        ),
        (
            "pg_restore",
            vec![vec!["-j"], vec!["-n"], vec!["-f", "-", "-s", "-a"]],
        ),
        // pg_dumpall's -j is a pgark extension (cluster archives): not compared.
        (
            "pg_dumpall",
            vec![
                vec!["-g", "-r"],
                vec!["--if-exists"],
                vec!["--lock-wait-timeout"],
            ],
        ),
    ];
    let mut failures = Vec::new();
    for (tool, own) in cases {
        let stock = stock_tool(18, tool);
        let ours = links.path(tool);
        for args in common.iter().chain(own.iter()) {
            let stock_out = run(Command::new(&stock).args(args).env_remove("PGDATABASE"));
            let ours_out = run(Command::new(&ours).args(args).env_remove("PGDATABASE"));
            assert_eq!(
                stock_out.status.code(),
                Some(1),
                "stock {tool} {args:?} did not fail with 1"
            );
            let (s, o) = (
                stderr_shape(&stock_out, &stock),
                stderr_shape(&ours_out, &ours),
            );
            if s != o || ours_out.status.code() != Some(1) {
                failures.push(format!(
                    "{tool} {args:?}: exit {:?}\n  stock: {s:?}\n  ours:  {o:?}",
                    ours_out.status.code()
                ));
            }
        }
    }
    // An ambiguous abbreviation: getopt's shape; the same possibilities (stock lists
    // them in its option table's order, pgark in its own).
    for tool in ["pg_dump", "pg_restore", "pg_dumpall"] {
        let stock = stock_tool(18, tool);
        let ours = links.path(tool);
        let stock_out = run(Command::new(&stock).arg("--no-s"));
        let ours_out = run(Command::new(&ours).arg("--no-s"));
        let sorted = |shape: String| {
            let (head, tail) = shape.split_once("possibilities: ").unwrap_or((&shape, ""));
            let (list, rest) = tail.split_once('\n').unwrap_or((tail, ""));
            let mut names: Vec<&str> = list.split(' ').collect();
            names.sort_unstable();
            format!("{head}possibilities: {}\n{rest}", names.join(" "))
        };
        let (s, o) = (
            sorted(stderr_shape(&stock_out, &stock)),
            sorted(stderr_shape(&ours_out, &ours)),
        );
        if s != o || ours_out.status.code() != Some(1) {
            failures.push(format!("{tool} --no-s:\n  stock: {s:?}\n  ours:  {o:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // A suffixed link prints under its own name, as stock's get_progname does.
    let suffixed = links.path("pg_dump-18");
    let out = run(Command::new(&suffixed).arg("--foo"));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr_shape(&out, &suffixed),
        "ARGV0: unrecognized option '--foo'\npg_dump-18: hint: Try \"pg_dump-18 --help\" for more information.\n"
    );

    // pgark's own command line keeps clap's usage errors: exit 2, clap's wording.
    let out = run(Command::new(env!("CARGO_BIN_EXE_pgark")).args(["dump", "--foo"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("error: unexpected argument '--foo' found"),
        "{}",
        text(&out.stderr)
    );
    let out = run(Command::new(env!("CARGO_BIN_EXE_pgark")).args(["dumpall", "-g", "-r"]));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "pgark: error: options -g/--globals-only and -r/--roles-only cannot be used together\n\
         pgark: hint: Try \"pgark dumpall --help\" for more information.\n"
    );
}

/// Every option stock's `--help` lists is in the link's `--help` (so accepted by the
/// link's command line), but `--version`, which stock takes only as the first argument
/// and the links too.
#[test]
fn help_lists_every_stock_option() {
    if !provisioned(18) {
        return;
    }
    let links = Links::new();
    let options = |out: Output| -> Vec<String> {
        let mut found: Vec<String> = text(&out.stdout)
            .split(|c: char| c.is_whitespace() || ",=[]/()".contains(c))
            .filter(|w| w.starts_with('-') && w.len() > 1 && w != &"--version" && w != &"-V")
            .map(|w| w.to_string())
            .collect();
        found.sort();
        found.dedup();
        found
    };
    for tool in ["pg_dump", "pg_restore", "pg_dumpall"] {
        let stock = options(run(Command::new(stock_tool(18, tool)).arg("--help")));
        let ours = options(run(Command::new(links.path(tool)).arg("--help")));
        assert!(stock.len() > 20, "{tool}: {stock:?}");
        let missing: Vec<&String> = stock.iter().filter(|o| !ours.contains(o)).collect();
        assert!(missing.is_empty(), "{tool} --help lacks {missing:?}");
    }
}

/// `--version` and `-V`: stock's line with a pgark marker; the version a script parses
/// with `(\d+)\.(\d+)` (or as the third word) is stock 18's.
#[test]
fn version_parses_as_stock() {
    if !provisioned(18) {
        return;
    }
    let links = Links::new();
    for tool in ["pg_dump", "pg_restore", "pg_dumpall"] {
        let stock = text(&run(Command::new(stock_tool(18, tool)).arg("--version")).stdout);
        for flag in ["--version", "-V"] {
            let out = run(Command::new(links.path(tool)).arg(flag));
            assert!(out.status.success(), "{tool} {flag}");
            let ours = text(&out.stdout);
            assert_eq!(ours.lines().count(), 1, "{ours}");
            assert!(ours.starts_with(&format!("{tool} (PostgreSQL) ")), "{ours}");
            assert!(ours.contains("(pgark "), "{ours}");
            assert_eq!(
                first_version(&ours),
                first_version(&stock),
                "{tool} {flag}: {ours} vs {stock}"
            );
            assert_eq!(
                ours.split(' ').nth(2),
                stock.trim_end().split(' ').nth(2),
                "{ours}"
            );
        }
        let help = run(Command::new(links.path(tool)).arg("--help"));
        assert!(help.status.success());
        assert!(
            text(&help.stdout).contains(&format!("Usage: {tool} ")),
            "{}",
            text(&help.stdout)
        );
    }
}

/// Typical script lines against a cluster, each run once through the links and once
/// with the stock tools: `pg_dump -Fc -f x db`, `pg_restore -l x`, `pg_restore -d db2 x`,
/// `pg_dumpall -g`, `pg_dump db > out.sql` restored with psql, and a missing database.
#[test]
fn script_invocations_work_as_stock() {
    if !provisioned(18) {
        return;
    }
    let cluster = Cluster::start(18);
    cluster.load_fixtures("src", &["basic"]);
    let links = Links::new();
    let work = scratch_dir();
    let ours = |tool: &str| {
        let mut cmd = Command::new(links.path(tool));
        cluster.apply_env(&mut cmd);
        cmd
    };
    let ok = |mut cmd: Command| -> Output {
        let out = run(&mut cmd);
        assert!(out.status.success(), "{cmd:?}: {}", text(&out.stderr));
        out
    };
    let archive = work.path().join("x.dump");

    // pg_dump -Fc -f x db; pg_restore -l x equals stock pg_restore -l of the same archive.
    let mut cmd = ours("pg_dump");
    cmd.args(["-Fc", "-f"]).arg(&archive).arg("src");
    ok(cmd);
    let mut cmd = ours("pg_restore");
    cmd.arg("-l").arg(&archive);
    let our_list = ok(cmd);
    let mut cmd = cluster.tool("pg_restore");
    cmd.arg("-l").arg(&archive);
    let stock_list = ok(cmd);
    assert_eq!(text(&our_list.stdout), text(&stock_list.stdout));

    // pg_restore -d db2 x: db2 then dumps (by stock) as src does.
    cluster.create_database("db2");
    let mut cmd = ours("pg_restore");
    cmd.args(["-d", "db2"]).arg(&archive);
    ok(cmd);
    let stock_dump = |db: &str| {
        let mut cmd = cluster.tool("pg_dump");
        cmd.args(["--restrict-key", KEY, db]);
        without_version_lines(&ok(cmd).stdout)
    };
    let src_script = stock_dump("src");
    assert_eq!(
        stock_dump("db2"),
        src_script,
        "db2 restored by the pg_restore link"
    );

    // pg_dump db > out.sql: stock's script; psql restores it.
    let mut cmd = ours("pg_dump");
    cmd.args(["--restrict-key", KEY, "src"]);
    let script = ok(cmd);
    assert_eq!(without_version_lines(&script.stdout), src_script);
    let script_path = work.path().join("out.sql");
    std::fs::write(&script_path, &script.stdout).expect("write out.sql");
    cluster.create_database("db3");
    cluster.psql_file("db3", &script_path);
    assert_eq!(stock_dump("db3"), src_script, "db3 restored with psql");

    // pg_dumpall -g: stock's output, byte for byte.
    let mut cmd = ours("pg_dumpall");
    cmd.args(["-g", "--restrict-key", KEY]);
    let globals = ok(cmd);
    let mut cmd = cluster.tool("pg_dumpall");
    cmd.args(["-g", "--restrict-key", KEY]);
    assert_eq!(text(&globals.stdout), text(&ok(cmd).stdout));

    // A missing database: the same message under the tool's name, exit 1.
    let missing: [(&str, Vec<String>); 2] = [
        ("pg_dump", vec!["no_such_db".into()]),
        (
            "pg_restore",
            vec![
                "-d".into(),
                "no_such_db".into(),
                archive.display().to_string(),
            ],
        ),
    ];
    for (tool, args) in missing {
        let stock = run(cluster.tool(tool).args(&args));
        let our = run(ours(tool).args(&args));
        assert_eq!(stock.status.code(), Some(1));
        assert_eq!(our.status.code(), Some(1), "{tool}: {}", text(&our.stderr));
        assert_eq!(text(&our.stderr), text(&stock.stderr), "{tool} {args:?}");
    }
    // pgark's own command line: the same message under `pgark`, exit 1.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgark"));
    cluster.apply_env(&mut cmd);
    let our = run(cmd.args(["dump", "no_such_db"]));
    let stock = run(cluster.tool("pg_dump").arg("no_such_db"));
    assert_eq!(our.status.code(), Some(1));
    assert_eq!(
        text(&our.stderr),
        text(&stock.stderr).replacen("pg_dump: ", "pgark: ", 1)
    );
}
