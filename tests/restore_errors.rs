//! `pgark restore -d` failures: per-entry errors in pg_restore's shape with the
//! restore going on (or stopping with `-e`), the final count, connection failures as
//! one line, corrupt archive data stopping only the affected entry.

use pgark_testkit::{scratch_dir, Cluster};

use crate::restore_support::{ignored_errors, pgark_restore, provisioned, stock_dump, stock_restore};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn restore_errors_are_reported_like_stock_and_counted() {
    if !provisioned(18) {
        return;
    }
    let cluster = Cluster::start(18);
    cluster.load_fixtures("src", &["basic"]);
    let work = scratch_dir();
    let archive = work.path().join("src.dump");
    stock_dump(&cluster, 18, "src", "c", &archive, &[]);
    cluster.create_database("twice_stock");
    cluster.create_database("twice_pgark");
    for db in ["twice_stock", "twice_pgark"] {
        let out = stock_restore(&cluster, 18, &["-d", db], &archive);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    // Everything exists already: every CREATE fails, the restore goes on.
    // Stock names the failing entry only with -v; pgark always does.
    let stock = stock_restore(&cluster, 18, &["-d", "twice_stock", "-v"], &archive);
    let pgark = pgark_restore(&cluster, &["-d", "twice_pgark", "--no-progress"], &archive);
    assert_eq!(stock.status.code(), Some(1));
    assert_eq!(pgark.status.code(), Some(1), "{}", stderr(&pgark));
    let text = stderr(&pgark);
    assert!(ignored_errors(&stock) > 0);
    assert_eq!(ignored_errors(&stock), ignored_errors(&pgark), "stock:\n{}\npgark:\n{text}", stderr(&stock));
    // The same entries fail, in the same shape (program name aside).
    let shape = |s: &str, program: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.starts_with(&format!("{program}: from TOC entry")))
            .map(|l| l.replacen(program, "P", 1))
            .collect()
    };
    assert_eq!(shape(&stderr(&stock), "pg_restore"), shape(&text, "pgark"));
    assert!(text.contains("pgark: error: could not execute query: ERROR:  schema \"basic\" already exists"), "{text}");
    assert!(text.contains("\nCommand was: CREATE SCHEMA basic;"), "{text}");
    let last_line = format!("errors ignored on restore: {}", ignored_errors(&pgark));
    assert!(text.lines().last().is_some_and(|l| l.ends_with(&last_line)), "{text}");

    // -e stops at the first error, exit 1, no count.
    let pgark = pgark_restore(&cluster, &["-d", "twice_pgark", "-e", "--no-progress"], &archive);
    assert_eq!(pgark.status.code(), Some(1));
    let text = stderr(&pgark);
    assert_eq!(text.matches("could not execute query").count(), 1, "{text}");
    assert!(!text.contains("errors ignored"), "{text}");
}

#[test]
fn restore_connection_failures_are_one_line() {
    if !provisioned(18) {
        return;
    }
    let cluster = Cluster::start(18);
    cluster.load_fixtures("src", &["basic"]);
    let work = scratch_dir();
    let archive = work.path().join("src.dump");
    stock_dump(&cluster, 18, "src", "c", &archive, &[]);
    let out = pgark_restore(&cluster, &["-d", "no_such_db", "--no-progress"], &archive);
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("database \"no_such_db\" does not exist"), "{text}");

    for (args, wanted) in [
        (&["-h", "/nonexistent-pgark-dir", "-p", "1", "-d", "x"][..], "/nonexistent-pgark-dir/.s.PGSQL.1\" failed"),
        (&["-h", "127.0.0.1", "-p", "9", "-d", "x"][..], "connection to server at \"127.0.0.1\", port 9 failed"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pgark"))
            .arg("restore")
            .args(args)
            .arg("--no-progress")
            .arg(&archive)
            .env_remove("PGPASSWORD")
            .output()
            .expect("run pgark");
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.contains(wanted), "{text}");
    }
}

/// A directory archive whose biggest data file is cut short: that entry fails with a
/// message naming the entry, everything else is restored, exit 1.
#[test]
fn restore_corrupt_data_stops_only_that_entry() {
    if !provisioned(18) {
        return;
    }
    let cluster = Cluster::start(18);
    cluster.load_fixtures("src", &["basic", "data"]);
    let work = scratch_dir();
    let archive = work.path().join("src.dir");
    stock_dump(&cluster, 18, "src", "d", &archive, &[]);
    let mut files: Vec<_> = std::fs::read_dir(&archive)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".dat.gz"))
        .map(|e| (e.metadata().map(|m| m.len()).unwrap_or(0), e.path()))
        .collect();
    files.sort();
    let (len, biggest) = files.last().cloned().expect("data files");
    let bytes = std::fs::read(&biggest).expect("read");
    std::fs::write(&biggest, &bytes[..(len as usize) / 2]).expect("truncate");
    for jobs in ["1", "2"] {
        let db = format!("corrupt_j{jobs}");
        cluster.create_database(&db);
        let out = pgark_restore(&cluster, &["-d", &db, "-j", jobs, "--no-progress"], &archive);
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(text.contains("could not read data of entry"), "{text}");
        assert_eq!(ignored_errors(&out), 1, "{text}");
        // The other tables are there.
        assert_eq!(cluster.psql(&db, "SELECT count(*) FROM basic.book"), cluster.psql("src", "SELECT count(*) FROM basic.book"));
    }
}

/// `-v` names what is restored in stock's words, in the same order (serial mode);
/// without `-v`, and with stderr not a terminal, a clean restore prints nothing.
#[test]
fn restore_verbose_lines_match_stock_and_quiet_otherwise() {
    if !provisioned(18) {
        return;
    }
    let cluster = Cluster::start(18);
    cluster.load_fixtures("src", &["basic", "large_objects"]);
    let work = scratch_dir();
    let archive = work.path().join("src.dump");
    stock_dump(&cluster, 18, "src", "c", &archive, &[]);
    cluster.create_database("v_stock");
    cluster.create_database("v_pgark");
    cluster.create_database("quiet");
    let stock = stock_restore(&cluster, 18, &["-d", "v_stock", "-v"], &archive);
    let pgark = pgark_restore(&cluster, &["-d", "v_pgark", "-v"], &archive);
    assert!(stock.status.success() && pgark.status.success(), "{}", stderr(&pgark));
    let lines = |s: &str, program: &str| -> Vec<String> {
        s.lines()
            .filter_map(|l| l.strip_prefix(&format!("{program}: ")))
            .filter(|l| {
                ["creating ", "processing data for table ", "executing ", "processing BLOBS", "restored "]
                    .iter()
                    .any(|p| l.starts_with(p))
            })
            .map(str::to_string)
            .collect()
    };
    let stock_lines = lines(&stderr(&stock), "pg_restore");
    assert!(stock_lines.len() > 5, "{}", stderr(&stock));
    assert_eq!(stock_lines, lines(&stderr(&pgark), "pgark"));

    let quiet = pgark_restore(&cluster, &["-d", "quiet"], &archive);
    assert!(quiet.status.success());
    assert_eq!(stderr(&quiet), "");
}
