//! `pgark restore -d` failures: per-entry errors in pg_restore's shape with the
//! restore going on (or stopping with `-e`), the final count, connection failures as
//! stock pg_restore words them, corrupt archive data stopping only the affected entry, `-v` lines, the
//! progress line on a terminal only.

use std::path::{Path, PathBuf};

use pgark_testkit::{scratch_dir, Cluster};

use crate::restore_support::{ignored_errors, pgark_restore, provisioned, stock_dump, stock_restore};

/// A cluster whose database `src` holds `fixtures`, and stock pg_dump 18's archive of
/// it in `format` (in the returned scratch directory).
fn source_archive(fixtures: &[&str], format: &str) -> (Cluster, tempfile::TempDir, PathBuf) {
    let cluster = Cluster::start(18);
    cluster.load_fixtures("src", fixtures);
    let work = scratch_dir();
    let archive = work.path().join(format!("src.{format}"));
    stock_dump(&cluster, 18, "src", format, &archive, &[]);
    (cluster, work, archive)
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn restore_errors_are_reported_like_stock_and_counted() {
    if !provisioned(18) {
        return;
    }
    let (cluster, _work, archive) = source_archive(&["basic"], "c");
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
            .filter(|l| {
                l.starts_with(&format!("{program}: from TOC entry")) || *l == format!("{program}: while PROCESSING TOC:")
            })
            .map(|l| l.replacen(program, "P", 1))
            .collect()
    };
    let stock_shape = shape(&stderr(&stock), "pg_restore");
    assert_eq!(stock_shape.first().map(String::as_str), Some("P: while PROCESSING TOC:"));
    assert_eq!(stock_shape, shape(&text, "pgark"));
    // One failing entry in full: stage, entry id / catalog id / desc / tag / owner,
    // the server's error with its SQLSTATE (42P06 duplicate_schema; stock prints no
    // SQLSTATE), the statement.
    let schema_entry = stock_shape
        .iter()
        .find(|l| l.ends_with(" SCHEMA basic postgres"))
        .unwrap_or_else(|| panic!("no SCHEMA basic entry failed in stock: {stock_shape:?}"))
        .replacen("P: ", "pgark: ", 1);
    let expected = format!(
        "{schema_entry}\npgark: error: could not execute query: ERROR:  42P06: schema \"basic\" already exists\n\
         Command was: CREATE SCHEMA basic;\n"
    );
    assert!(text.contains(&expected), "wanted:\n{expected}\nin:\n{text}");
    assert!(
        stderr(&stock).contains("pg_restore: error: could not execute query: ERROR:  schema \"basic\" already exists"),
        "{}",
        stderr(&stock)
    );
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
    let (cluster, _work, archive) = source_archive(&["basic"], "c");
    let out = pgark_restore(&cluster, &["-d", "no_such_db", "--no-progress"], &archive);
    let text = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("database \"no_such_db\" does not exist"), "{text}");

    // A refused password: a role that must give one, over TCP.
    cluster.psql("postgres", "SET password_encryption = 'scram-sha-256'; CREATE ROLE pw_user LOGIN PASSWORD 'right'");
    let hba = cluster.data_dir().join("pg_hba.conf");
    let original_hba = std::fs::read_to_string(&hba).expect("read pg_hba.conf");
    std::fs::write(&hba, format!("host all pw_user 127.0.0.1/32 scram-sha-256\n{original_hba}")).expect("write pg_hba.conf");
    cluster.psql("postgres", "SELECT pg_reload_conf()");
    // The postmaster rereads the file on SIGHUP, shortly after the call returns.
    std::thread::sleep(std::time::Duration::from_millis(700));
    let port = cluster.port().to_string();
    // Each failure as stock pg_restore 18 words it (libpq's hint line after a failed
    // connect() included), program name aside.
    for (args, password, wanted) in [
        (
            &["-h", "/nonexistent-pgark-dir", "-p", "1", "-d", "x"][..],
            None,
            "/nonexistent-pgark-dir/.s.PGSQL.1\" failed",
        ),
        (&["-h", "127.0.0.1", "-p", "9", "-d", "x"][..], None, "connection to server at \"127.0.0.1\", port 9 failed"),
        (
            &["-h", "127.0.0.1", "-p", &port, "-U", "pw_user", "-d", "src"][..],
            Some("wrong"),
            "FATAL:  password authentication failed for user \"pw_user\"",
        ),
    ] {
        let mut pgark = std::process::Command::new(env!("CARGO_BIN_EXE_pgark"));
        pgark.arg("restore").args(args).arg("--no-progress").arg(&archive);
        let mut stock = cluster.tool_of(18, "pg_restore");
        stock.args(args).arg(&archive);
        for cmd in [&mut pgark, &mut stock] {
            cmd.env_remove("PGPASSWORD").env_remove("PGHOST").env_remove("PGPORT").env_remove("PGUSER");
            if let Some(pw) = password {
                cmd.env("PGPASSWORD", pw).env("PGPASSFILE", "/nonexistent-pgark-pgpass");
            }
        }
        let out = pgark.output().expect("run pgark");
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(text.contains(wanted), "{text}");
        assert!(!text.contains("wrong"), "the password was printed: {text}");
        let stock_out = stock.output().expect("run stock pg_restore");
        assert_eq!(stock_out.status.code(), Some(1));
        assert_eq!(text, stderr(&stock_out).replace("pg_restore: ", "pgark: "), "{args:?}");
    }
}

/// A custom archive whose biggest data block is overwritten in the middle: that entry
/// fails with an error naming it, everything else is restored, exit 1.
#[test]
fn restore_corrupt_custom_data_block_stops_only_that_entry() {
    if !provisioned(18) {
        return;
    }
    let (cluster, _work, archive) = source_archive(&["basic", "data"], "c");
    // Where each entry's data starts; the biggest block ends where the next begins.
    let reader = pgark_formats::ArchiveReader::open(&archive).expect("open archive");
    let mut starts: Vec<(u64, pgark_formats::model::DumpId)> = reader
        .entries()
        .iter()
        .filter_map(|te| match te.data_location {
            pgark_formats::model::DataLocation::Custom(pgark_formats::model::CustomOffset::PosSet(at)) => {
                Some((at, te.dump_id))
            }
            _ => None,
        })
        .collect();
    starts.sort();
    let mut bytes = std::fs::read(&archive).expect("read archive");
    let ends: Vec<u64> = starts.iter().skip(1).map(|s| s.0).chain([bytes.len() as u64]).collect();
    let (len, start, victim) = starts
        .iter()
        .zip(&ends)
        .map(|(&(start, id), &end)| (end - start, start, id))
        .max()
        .expect("entries with data");
    assert!(len > 4096, "biggest data block is only {len} bytes");
    let middle = (start + len / 2) as usize;
    for b in &mut bytes[middle..middle + 512] {
        *b = 0xA5;
    }
    std::fs::write(&archive, &bytes).expect("write archive");
    let victim_te = reader.entry(victim).expect("victim entry");
    let victim_table = format!(
        "{}.{}",
        String::from_utf8_lossy(victim_te.namespace.as_deref().unwrap_or(b"")),
        String::from_utf8_lossy(victim_te.tag.as_deref().unwrap_or(b""))
    );
    restore_with_one_failed_entry(&cluster, &archive, "corrupt_custom", |db, text| {
        assert!(text.contains(&format!("pgark: from TOC entry {victim}; ")), "{text}");
        // None of the damaged table's rows.
        assert_eq!(cluster.psql(db, &format!("SELECT count(*) FROM {victim_table}")), "0", "{text}");
    });
}

/// Restores `archive` with -j 1 and -j 2 into new databases `{prefix}_j{N}`: exit 1,
/// exactly one error, the tables of the `basic` fixture all there; then `check(db,
/// stderr)`.
fn restore_with_one_failed_entry(cluster: &Cluster, archive: &Path, prefix: &str, check: impl Fn(&str, &str)) {
    for jobs in ["1", "2"] {
        let db = format!("{prefix}_j{jobs}");
        cluster.create_database(&db);
        let out = pgark_restore(cluster, &["-d", &db, "-j", jobs, "--no-progress"], archive);
        let text = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert_eq!(ignored_errors(&out), 1, "{text}");
        assert_eq!(cluster.psql(&db, "SELECT count(*) FROM basic.book"), cluster.psql("src", "SELECT count(*) FROM basic.book"));
        check(&db, &text);
    }
}

/// A directory archive whose biggest data file is cut short: that entry fails with a
/// message naming the entry, everything else is restored, exit 1.
#[test]
fn restore_corrupt_data_stops_only_that_entry() {
    if !provisioned(18) {
        return;
    }
    let (cluster, _work, archive) = source_archive(&["basic", "data"], "d");
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
    restore_with_one_failed_entry(&cluster, &archive, "corrupt", |_, text| {
        assert!(text.contains("could not read data of entry"), "{text}");
    });
}

/// `-v` names what is restored in stock's words, in the same order (serial mode);
/// without `-v`, and with stderr not a terminal, a clean restore prints nothing.
#[test]
fn restore_verbose_lines_match_stock_and_quiet_otherwise() {
    if !provisioned(18) {
        return;
    }
    let (cluster, _work, archive) = source_archive(&["basic", "large_objects"], "c");
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

/// Through a real pseudo-terminal (util-linux `script`): the progress line appears on
/// stderr; not with `--no-progress`, and not when stderr is a pipe even though
/// stdout is the terminal.
#[test]
fn restore_progress_line_only_on_a_terminal() {
    if !provisioned(18) {
        return;
    }
    let script = Path::new("/usr/bin/script");
    if !script.exists() {
        assert!(std::env::var_os("CI").is_none(), "util-linux script is needed for the terminal test");
        eprintln!("skipping: no /usr/bin/script");
        return;
    }
    let (cluster, work, archive) = source_archive(&["basic"], "c");
    let quote = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', "'\\''"));
    let under_terminal = |db: &str, extra: &str| -> String {
        cluster.create_database(db);
        let command =
            format!("{} restore -d {db} {extra} {}", quote(Path::new(env!("CARGO_BIN_EXE_pgark"))), quote(&archive));
        let mut cmd = std::process::Command::new(script);
        cluster.apply_env(&mut cmd);
        let out = cmd
            .args(["-qfec", &command, "/dev/null"])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run script");
        let transcript = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{command}: {transcript}{}", stderr(&out));
        assert_eq!(cluster.psql(db, "SELECT count(*) FROM basic.book"), cluster.psql("src", "SELECT count(*) FROM basic.book"));
        transcript
    };
    let bar = under_terminal("tty_bar", "");
    assert!(bar.contains("restoring: ") && bar.contains(" entries, ") && bar.contains(" of data sent"), "{bar:?}");
    // The line is erased at the end.
    assert!(bar.ends_with("\r\x1b[2K"), "{bar:?}");
    let none = under_terminal("tty_no_progress", "--no-progress");
    assert_eq!(none, "");
    let log = work.path().join("stderr.txt");
    let piped = under_terminal("tty_piped", &format!("2>{}", quote(&log)));
    assert_eq!(piped, "");
    assert_eq!(std::fs::read_to_string(&log).expect("stderr file"), "");
}
