//! `pgark list` and `pgark restore -l` against stock `pg_restore -l`, byte for byte.
//!
//! For PostgreSQL 18 and 15 (each when provisioned), a cluster is loaded with every
//! applicable fixture and dumped by that major's stock pg_dump as custom (18: with
//! `--statistics`), custom `-Z0`, directory and tar archives (1.16 and 1.14
//! archives). Each archive is listed by the same major's stock pg_restore and by
//! pgark — plain, with selection options (`-n -N -t -I -P -T -s -a --section -x
//! --no-comments -C -v`, 18's statistics and `--filter` options), with a reordered,
//! partly commented `-L` list, with `--strict-names` failures, and in several time
//! zones — and standard output, exit status and messages (program name aside) must
//! be identical.
//!
//! Needs the pgark binary: build it first with `cargo build -p pgark` (the workspace
//! build does); it is looked up at `<target dir>/debug/pgark` (`$CARGO_TARGET_DIR`,
//! else `<repo>/target`).

use pgark_formats::archive::ArchiveReader;
use pgark_formats::model::Desc;
use pgark_testkit::{available_majors, first_difference, pgark_bin, run, scratch_dir, stock_tool, Cluster};
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One listing command line: the options after `-l`.
struct Variant {
    label: String,
    args: Vec<OsString>,
}

fn v(label: &str, args: &[&str]) -> Variant {
    Variant { label: label.to_string(), args: args.iter().map(OsString::from).collect() }
}

/// Messages with the program name replaced, so stock's and pgark's compare.
fn messages(stderr: &[u8], program: &str) -> String {
    String::from_utf8_lossy(stderr).replace(&format!("{program}: "), "PROGRAM: ")
}

struct Checker {
    major: u32,
    pgark: PathBuf,
    failures: Vec<String>,
    checked: usize,
}

impl Checker {
    /// Lists `archive` with `pg_restore -l ARGS` and `pgark restore -l ARGS` (or
    /// `pgark list` when `as_list_command`) under time zone `tz`; records differences.
    fn compare(&mut self, archive: &Path, variant: &Variant, tz: &str, as_list_command: bool) {
        self.checked += 1;
        let mut stock = Command::new(stock_tool(self.major, "pg_restore"));
        stock.env("TZ", tz).arg("-l").args(&variant.args).arg(archive);
        let stock_out = run(&mut stock, "stock pg_restore -l");
        let mut ours = Command::new(&self.pgark);
        ours.env("TZ", tz);
        if as_list_command {
            ours.arg("list").arg(archive);
        } else {
            ours.args(["restore", "-l"]).args(&variant.args).arg(archive);
        }
        let our_out = run(&mut ours, "pgark");
        let context = format!(
            "pg {} {} [{}] TZ={tz}{}",
            self.major,
            archive.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            variant.label,
            if as_list_command { " (pgark list)" } else { "" }
        );
        if stock_out.stdout != our_out.stdout {
            self.failures.push(format!("{context}: listings differ; {}", first_difference(&stock_out.stdout, &our_out.stdout)));
        }
        if stock_out.status.success() != our_out.status.success() {
            self.failures.push(format!(
                "{context}: stock exit {:?}, pgark exit {:?}; pgark said: {}",
                stock_out.status.code(),
                our_out.status.code(),
                String::from_utf8_lossy(&our_out.stderr)
            ));
        }
        let (stock_msg, our_msg) = (messages(&stock_out.stderr, "pg_restore"), messages(&our_out.stderr, "pgark"));
        if stock_msg != our_msg {
            self.failures.push(format!("{context}: messages differ:\n  stock: {stock_msg:?}\n  pgark: {our_msg:?}"));
        }
    }
}

/// Names from the archive to select with: the first entry tag of each desc.
fn first_tag(archive: &Path, desc: Desc) -> Option<OsString> {
    let reader = ArchiveReader::open(archive).unwrap_or_else(|e| panic!("pgark cannot read {}: {e}", archive.display()));
    reader.toc().entries.iter().find(|e| e.desc == desc).and_then(|e| e.tag.clone()).map(OsString::from_vec)
}

/// A hostile relation name (with a newline) when the fixtures have one.
fn hostile_table(archive: &Path) -> Option<OsString> {
    let reader = ArchiveReader::open(archive).unwrap_or_else(|e| panic!("pgark cannot read {}: {e}", archive.display()));
    reader
        .toc()
        .entries
        .iter()
        .find(|e| e.desc == Desc::Table && e.tag.as_deref().is_some_and(|t| t.contains(&b'\n')))
        .and_then(|e| e.tag.clone())
        .map(OsString::from_vec)
}

/// A `-L` file made from stock's own listing: entry lines in reverse order, every
/// third one commented out, plus lines stock ignores with a warning.
fn use_list_file(checker: &Checker, archive: &Path, dir: &Path) -> PathBuf {
    let out = run(Command::new(stock_tool(checker.major, "pg_restore")).env("TZ", "UTC").arg("-l").arg(archive), "pg_restore -l");
    let text = out.stdout;
    let mut entries: Vec<&[u8]> = text.split(|&b| b == b'\n').filter(|l| !l.is_empty() && l[0] != b';').collect();
    entries.reverse();
    let mut list = Vec::new();
    list.extend_from_slice(b"; reordered by list_stock.rs\n\n");
    for (i, line) in entries.iter().enumerate() {
        if i % 3 == 1 {
            list.push(b';');
        } else if i % 5 == 2 {
            list.extend_from_slice(b"   \t");
        }
        list.extend_from_slice(line);
        list.push(b'\n');
    }
    if let Some(first) = entries.first() {
        // The same entry again: ignored with a warning.
        list.extend_from_slice(first);
        list.push(b'\n');
    }
    list.extend_from_slice(b"not a number\n0\n-4\n99999999\n\t\n");
    let path = dir.join(format!("{}.list", archive.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()));
    std::fs::write(&path, list).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

fn check_major(major: u32) {
    let pgark = pgark_bin();
    let cluster = Cluster::start(major);
    cluster.load_all_fixtures("src");
    cluster.psql("src", "ANALYZE");
    let dir = scratch_dir();
    let dump = |name: &str, args: &[&str]| -> PathBuf {
        let path = dir.path().join(name);
        let mut cmd = cluster.tool("pg_dump");
        cmd.args(args).arg("-f").arg(&path).arg("src");
        let out = run(&mut cmd, "pg_dump");
        assert!(out.status.success(), "pg_dump {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        path
    };
    let mut archives = vec![
        if major >= 18 { dump("custom.dump", &["-Fc", "--statistics"]) } else { dump("custom.dump", &["-Fc"]) },
        dump("custom_z0.dump", &["-Fc", "-Z0"]),
        dump("dir.d", &["-Fd"]),
        dump("archive.tar", &["-Ft"]),
    ];
    if major >= 18 {
        archives.push(dump("dir_stats.d", &["-Fd", "--statistics", "-Z", "zstd"]));
    }
    let mut checker = Checker { major, pgark, failures: Vec::new(), checked: 0 };
    let missing_list = v("-L missing file", &["-L", "/nonexistent/list.txt"]);

    let filter = dir.path().join("filter.txt");
    std::fs::write(&filter, "# tables of schema basic\ninclude table book\ninclude schema basic\nexclude schema data\n")
        .expect("write filter file");
    // Filter files stock rejects, or whose patterns it keeps verbatim (quotes, spacing).
    let filter_cases: Vec<(&str, &str)> = vec![
        ("filter-spacing", "  INCLUDE   Table   book   # comment\n\ninclude index  book_title_idx\n"),
        ("filter-quoted", "include table \"book\"\ninclude schema basic\n"),
        ("filter-function", "include function describe ( integer )\n"),
        ("filter-bad-command", "# x\nincludes table book\n"),
        ("filter-bad-type", "include view book\n"),
        ("filter-not-allowed", "include schema basic\nexclude table book\n"),
        ("filter-no-pattern", "include table   \n"),
        ("filter-open-quote", "include table \"book\n\n"),
        ("filter-table-data", "include table_data book\n"),
    ];
    let filter_files: Vec<(String, PathBuf)> = filter_cases
        .iter()
        .map(|(name, text)| {
            let path = dir.path().join(format!("{name}.txt"));
            std::fs::write(&path, text).expect("write filter file");
            (name.to_string(), path)
        })
        .collect();

    for archive in &archives {
        let mut variants = vec![
            v("plain", &[]),
            v("-n basic", &["-n", "basic"]),
            v("-n basic -n kinds", &["-n", "basic", "-n", "kinds"]),
            v("-N basic", &["-N", "basic"]),
            v("-t book", &["-t", "book"]),
            v("-t author -t tag", &["-t", "author", "-t", "tag"]),
            v("-n basic -t book", &["-n", "basic", "-t", "book"]),
            v("-I book_title_idx", &["-I", "book_title_idx"]),
            v("-s", &["-s"]),
            v("-a", &["-a"]),
            v("--section=pre-data", &["--section=pre-data"]),
            v("--section=data", &["--section=data"]),
            v("--section=post-data", &["--section", "post-data"]),
            v("--section=data -t book", &["--section=data", "-t", "book"]),
            v("-x", &["-x"]),
            v("--no-comments", &["--no-comments"]),
            v("-C", &["-C"]),
            v("-C -n basic", &["-C", "-n", "basic"]),
            v("-v", &["-v"]),
            v("-v -t book", &["-v", "-t", "book"]),
            v("--no-publications --no-subscriptions --no-security-labels", &["--no-publications", "--no-subscriptions", "--no-security-labels"]),
            v("--strict-names -t book", &["--strict-names", "-t", "book"]),
            v("--strict-names -t no_such_table", &["--strict-names", "-t", "no_such_table"]),
            v("--strict-names -n basic -n no_such_schema", &["--strict-names", "-n", "basic", "-n", "no_such_schema"]),
            v("--strict-names -I no_such_index", &["--strict-names", "-I", "no_such_index"]),
        ];
        for (desc, flag) in [
            (Desc::Function, "-P"),
            (Desc::Procedure, "-P"),
            (Desc::Aggregate, "-P"),
            (Desc::Trigger, "-T"),
            (Desc::MaterializedView, "-t"),
            (Desc::Sequence, "-t"),
            (Desc::View, "-t"),
            (Desc::Index, "-I"),
        ] {
            if let Some(name) = first_tag(archive, desc.clone()) {
                variants.push(Variant {
                    label: format!("{flag} {}", name.to_string_lossy()),
                    args: vec![OsString::from(flag), name],
                });
            }
        }
        if let Some(name) = hostile_table(archive) {
            variants.push(Variant { label: "-t <name with newline>".into(), args: vec!["-t".into(), name] });
        }
        if major >= 18 {
            variants.extend([
                v("--statistics-only", &["--statistics-only"]),
                v("--no-statistics", &["--no-statistics"]),
                v("--no-schema", &["--no-schema"]),
                v("--no-data", &["--no-data"]),
                v("--no-policies", &["--no-policies"]),
                v("-s --statistics-only (conflict)", &["-s", "--statistics-only"]),
                v("-I book_title_idx --statistics-only", &["-I", "book_title_idx", "--statistics-only"]),
                Variant { label: "--filter".into(), args: vec!["--filter".into(), filter.clone().into_os_string()] },
                v("--filter missing file", &["--filter", "/nonexistent/filter.txt"]),
            ]);
            for (name, path) in &filter_files {
                variants.push(Variant { label: name.clone(), args: vec!["--filter".into(), path.clone().into_os_string()] });
            }
        }
        let list = use_list_file(&checker, archive, dir.path());
        for extra in [&[][..], &["-n", "basic"][..], &["-t", "book"][..], &["-a"][..]] {
            let mut args: Vec<OsString> = vec!["-L".into(), list.clone().into_os_string()];
            args.extend(extra.iter().map(OsString::from));
            variants.push(Variant { label: format!("-L reordered {}", extra.join(" ")), args });
        }

        variants.push(Variant { label: missing_list.label.clone(), args: missing_list.args.clone() });
        for variant in &variants {
            checker.compare(archive, variant, "UTC", false);
        }
        for tz in ["UTC", "Europe/Berlin", "Australia/Sydney", "America/New_York", "Asia/Tokyo"] {
            checker.compare(archive, &v("plain", &[]), tz, true);
        }
    }

    assert!(checker.checked > 100, "only {} comparisons ran", checker.checked);
    assert!(
        checker.failures.is_empty(),
        "{} of {} listings differ from stock pg_restore {major}:\n\n{}",
        checker.failures.len(),
        checker.checked,
        checker.failures.join("\n\n")
    );
}

fn major_available(major: u32) -> bool {
    let ok = available_majors().contains(&major);
    if !ok {
        eprintln!("PostgreSQL {major} is not provisioned (scripts/postgres.sh {major}); skipping");
    }
    ok
}

#[test]
fn listings_match_stock_pg_restore_18() {
    if major_available(18) {
        check_major(18);
    }
}

#[test]
fn listings_match_stock_pg_restore_15() {
    if major_available(15) {
        check_major(15);
    }
}
