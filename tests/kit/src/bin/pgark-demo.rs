//! `pgark-demo`: dump a fixture database, restore it into a new database and verify the copy,
//! on a throwaway cluster, printing each step (commands, sizes, timings) and the verdict.
//!
//! It provisions nothing: PostgreSQL must already be under target/pg (scripts/postgres.sh).
//! Exit status: 0 verified equal, 1 the restored database differs, 2 a step could not run.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use pgark_testkit::roundtrip::{
    compare_snapshots, create_database, disk_size, Aspect, CommandTemplate, DatabaseSnapshot,
    RoundTripError,
};
use pgark_testkit::{available_majors, fixtures, scratch_dir, stock_tool, Cluster};

const SOURCE_DB: &str = "demo_source";
const TARGET_DB: &str = "demo_restored";
/// Lines of `pgark list` output shown.
const LIST_LINES_SHOWN: usize = 15;

const USAGE: &str = "\
Usage: pgark-demo [--major N] [--dump-with stock|pgark] [--restore-with stock|pgark] [--keep]

Starts a throwaway PostgreSQL cluster, loads every fixture into one database, dumps it
(custom format), lists the archive with `pgark list`, restores it into a new database and
verifies the copy: schema text (stock pg_dump --schema-only), per-table row counts and
checksums, large objects and sequence values.

  --major N                  PostgreSQL major of the cluster and stock tools (default 18)
  --dump-with stock|pgark    stock pg_dump -Fc (default) or pgark dump -Fc
  --restore-with stock|pgark pgark restore -j 2 (default) or stock pg_restore -j 2
  --keep                     keep the archive and the comparison listings
  -h, --help                 this text

`pgark` is the binary next to this one (target/<profile>/pgark).
Exit status: 0 verified equal, 1 the restored database differs, 2 a step could not run.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    Stock,
    Pgark,
}

#[derive(Debug)]
struct Options {
    major: u32,
    dump_with: Tool,
    restore_with: Tool,
    keep: bool,
}

/// Why the demo stopped before a verdict.
#[derive(Debug)]
enum DemoError {
    Usage(String),
    Step(String),
}

impl From<RoundTripError> for DemoError {
    fn from(err: RoundTripError) -> Self {
        DemoError::Step(err.to_string())
    }
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(DemoError::Usage(message)) | Err(DemoError::Step(message)) => {
            eprintln!("pgark-demo: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(DemoError::Usage(message)) | Err(DemoError::Step(message)) => {
            eprintln!("\npgark-demo: stopped: {message}");
            ExitCode::from(2)
        }
    }
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<Options>, DemoError> {
    let mut options = Options {
        major: 18,
        dump_with: Tool::Stock,
        restore_with: Tool::Pgark,
        keep: false,
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| DemoError::Usage(format!("{name} needs a value")))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--keep" => options.keep = true,
            "--major" => {
                let text = value("--major")?;
                options.major = text.parse().map_err(|_| {
                    DemoError::Usage(format!("--major {text:?} is not a PostgreSQL major number"))
                })?;
            }
            "--dump-with" => options.dump_with = parse_tool("--dump-with", &value("--dump-with")?)?,
            "--restore-with" => {
                options.restore_with = parse_tool("--restore-with", &value("--restore-with")?)?
            }
            other => return Err(DemoError::Usage(format!("unknown argument {other:?}"))),
        }
    }
    let available = available_majors();
    if !available.contains(&options.major) {
        return Err(DemoError::Usage(format!(
            "PostgreSQL {} is not provisioned (available: {available:?}); run scripts/postgres.sh {}",
            options.major, options.major
        )));
    }
    Ok(Some(options))
}

fn parse_tool(flag: &str, value: &str) -> Result<Tool, DemoError> {
    match value {
        "stock" => Ok(Tool::Stock),
        "pgark" => Ok(Tool::Pgark),
        other => Err(DemoError::Usage(format!(
            "{flag} {other:?}: expected stock or pgark"
        ))),
    }
}

fn run(options: &Options) -> Result<bool, DemoError> {
    let major = options.major;
    let pgark = pgark_binary();
    println!("pgark demo: dump, restore and verify a database on a throwaway PostgreSQL {major} cluster\n");

    step(1, "start a throwaway cluster");
    let started = Instant::now();
    let cluster = Cluster::start(major);
    let version = cluster.psql("postgres", "show server_version");
    detail(&format!(
        "PostgreSQL {version}, port {}, socket dir {} ({})",
        cluster.port(),
        cluster.socket_dir().display(),
        secs(started.elapsed())
    ));

    step(
        2,
        &format!("load every fixture for PostgreSQL {major} into database {SOURCE_DB:?}"),
    );
    let started = Instant::now();
    let applicable = fixtures::for_major(major);
    cluster.create_database(SOURCE_DB);
    for fixture in &applicable {
        let one = Instant::now();
        cluster.psql_file(SOURCE_DB, &fixture.path);
        detail(&format!(
            "{:<16} {:>7}  {}",
            fixture.name,
            secs(one.elapsed()),
            fixture.description
        ));
    }
    let source = DatabaseSnapshot::take(&cluster, SOURCE_DB, major)?;
    let db_size: u64 = cluster
        .psql(
            SOURCE_DB,
            &format!("select pg_database_size('{SOURCE_DB}')"),
        )
        .trim()
        .parse()
        .unwrap_or(0);
    detail(&format!(
        "{} fixtures: {} tables ({} rows), {} large objects, {} sequences; database size {} ({} incl. checksumming)",
        applicable.len(),
        source.tables(),
        source.rows(),
        source.large_objects(),
        source.sequences(),
        human_bytes(db_size),
        secs(started.elapsed())
    ));

    let work = scratch_dir();
    let archive = work.path().join("demo.dump");

    step(3, "dump (custom format)");
    let dump = match options.dump_with {
        Tool::Stock => {
            detail(&format!(
                "NOTE: this dump is made by STOCK pg_dump {major}, not by pgark \
                 (the default while pgark dump is unfinished; --dump-with pgark selects pgark's)."
            ));
            CommandTemplate::stock(major, "pg_dump", &["-Fc", "-f", "{archive}", "{db}"])
        }
        Tool::Pgark => CommandTemplate::new(&pgark, &["dump", "-Fc", "-f", "{archive}", "{db}"]),
    };
    let ran = run_step(
        &dump,
        "dump",
        options.dump_with,
        &cluster,
        SOURCE_DB,
        &archive,
    )?;
    let archive_bytes = disk_size(&archive)?;
    detail(&format!(
        "archive {} ({}) in {}",
        archive.display(),
        human_bytes(archive_bytes),
        secs(ran)
    ));

    step(4, "list the archive with pgark list");
    show_pgark_list(&pgark, &cluster, &archive, major);

    step(5, &format!("restore into a new database {TARGET_DB:?}"));
    let restore = match options.restore_with {
        Tool::Stock => {
            detail(&format!(
                "NOTE: this restore is done by STOCK pg_restore {major}, not by pgark \
                 (chosen with --restore-with stock; the default is pgark restore)."
            ));
            CommandTemplate::stock(major, "pg_restore", &["-j", "2", "-d", "{db}", "{archive}"])
        }
        Tool::Pgark => {
            CommandTemplate::new(&pgark, &["restore", "-j", "2", "-d", "{db}", "{archive}"])
        }
    };
    create_database(&cluster, TARGET_DB)?;
    detail(&format!("created database {TARGET_DB:?} from template0"));
    let ran = run_step(
        &restore,
        "restore",
        options.restore_with,
        &cluster,
        TARGET_DB,
        &archive,
    )?;
    detail(&format!("restored in {}", secs(ran)));

    step(6, &format!("verify {TARGET_DB:?} against {SOURCE_DB:?}"));
    let target = DatabaseSnapshot::take(&cluster, TARGET_DB, major)?;
    let listings = work.path().join("compare");
    let comparison = compare_snapshots(&source, &target, &listings)?;
    let verdict = |aspect: Aspect| {
        if comparison.mismatch(aspect).is_some() {
            "DIFFERENT"
        } else {
            "equal"
        }
    };
    detail(&format!(
        "schema (stock pg_dump {major} --schema-only, {} lines): {}",
        comparison.schema_lines,
        match comparison.mismatch(Aspect::Schema) {
            Some(_) => "DIFFERENT".to_string(),
            None => "identical, diff empty".to_string(),
        }
    ));
    detail(&format!(
        "table data: {} tables, {} rows, count + md5 per table: {}",
        comparison.tables,
        comparison.rows,
        verdict(Aspect::TableData)
    ));
    detail(&format!(
        "large objects: {} (oid, owner, ACL, comment, size, md5): {}",
        comparison.large_objects,
        verdict(Aspect::LargeObjects)
    ));
    detail(&format!(
        "sequences: {} (last_value, is_called): {}",
        comparison.sequences,
        verdict(Aspect::Sequences)
    ));
    detail(&format!("verification took {}", secs(target.elapsed)));

    let tools = format!(
        "dump: {}, restore: {}",
        match options.dump_with {
            Tool::Stock => format!("stock pg_dump {major}"),
            Tool::Pgark => "pgark".to_string(),
        },
        match options.restore_with {
            Tool::Stock => format!("stock pg_restore {major}"),
            Tool::Pgark => "pgark".to_string(),
        }
    );
    if comparison.is_equal() {
        println!("\nRESULT: OK, the restored database equals the source ({tools})");
        if options.keep {
            println!("files kept in {}", work.keep().display());
        }
        Ok(true)
    } else {
        for mismatch in &comparison.mismatches {
            println!("\n{} differs:\n{}", mismatch.aspect, mismatch.diff);
        }
        let kept = work.keep();
        println!("\nRESULT: FAILED, the restored database differs from the source ({tools})");
        println!("archive and full listings kept in {}", kept.display());
        Ok(false)
    }
}

/// Runs the dump or restore command, printing it; a pgark command that says it is not
/// implemented is reported as such.
fn run_step(
    template: &CommandTemplate,
    what: &str,
    tool: Tool,
    cluster: &Cluster,
    db: &str,
    archive: &Path,
) -> Result<Duration, DemoError> {
    if tool == Tool::Pgark && !template.program.is_file() {
        return Err(DemoError::Step(format!(
            "--{what}-with pgark: no pgark binary at {} (build it: cargo build -p pgark)",
            template.program.display()
        )));
    }
    detail(&format!(
        "$ {}",
        template.command_line(cluster, db, archive)
    ));
    match template.run(what, cluster, db, archive) {
        Ok(ran) => {
            for line in ran.stderr.lines() {
                detail(&format!("  stderr: {line}"));
            }
            Ok(ran.elapsed)
        }
        Err(RoundTripError::Failed { status, stderr, .. })
            if tool == Tool::Pgark
                && status.code() == Some(2)
                && stderr.contains("not implemented") =>
        {
            Err(DemoError::Step(format!(
                "pgark {what} is not implemented yet (pgark said: {}); use --{what}-with stock",
                stderr.trim()
            )))
        }
        Err(err) => Err(err.into()),
    }
}

/// Runs `pgark list ARCHIVE` if the binary exists; shows its first lines when it succeeds and
/// whether it matches stock `pg_restore -l`, or why it did not run. Never fakes output.
fn show_pgark_list(pgark: &Path, cluster: &Cluster, archive: &Path, major: u32) {
    if !pgark.is_file() {
        detail(&format!(
            "skipped: no pgark binary at {} (build it: cargo build -p pgark)",
            pgark.display()
        ));
        return;
    }
    let mut cmd = Command::new(pgark);
    cmd.arg("list").arg(archive);
    cluster.apply_env(&mut cmd);
    detail(&format!("$ {} list {}", pgark.display(), archive.display()));
    let started = Instant::now();
    let out = match cmd.output() {
        Ok(out) => out,
        Err(e) => {
            detail(&format!("could not run pgark: {e}"));
            return;
        }
    };
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr.lines().next().unwrap_or("");
        if out.status.code() == Some(2) && stderr.contains("not implemented") {
            detail(&format!("pgark list is not implemented yet ({first})"));
        } else {
            detail(&format!("pgark list failed ({}): {first}", out.status));
        }
        return;
    }
    let listing = String::from_utf8_lossy(&out.stdout);
    let total = listing.lines().count();
    for line in listing.lines().take(LIST_LINES_SHOWN) {
        detail(&format!("| {line}"));
    }
    if total > LIST_LINES_SHOWN {
        detail(&format!("| ... ({} more lines)", total - LIST_LINES_SHOWN));
    }
    detail(&format!("{total} lines in {}", secs(started.elapsed())));
    let stock = Command::new(stock_tool(major, "pg_restore"))
        .arg("-l")
        .arg(archive)
        .output();
    match stock {
        Ok(stock) if stock.status.success() => {
            if stock.stdout == out.stdout {
                detail(&format!("identical to stock pg_restore {major} -l"));
            } else {
                let stock_text = String::from_utf8_lossy(&stock.stdout);
                let line = stock_text
                    .lines()
                    .zip(listing.lines())
                    .position(|(a, b)| a != b)
                    .map_or_else(|| stock_text.lines().count().min(total) + 1, |i| i + 1);
                detail(&format!(
                    "differs from stock pg_restore {major} -l (first difference at line {line})"
                ));
            }
        }
        Ok(stock) => detail(&format!(
            "stock pg_restore -l failed ({}), not compared",
            stock.status
        )),
        Err(e) => detail(&format!("could not run stock pg_restore -l: {e}")),
    }
}

/// The pgark binary built next to this one (target/<profile>/pgark).
fn pgark_binary() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("pgark")))
        .unwrap_or_else(|| PathBuf::from("pgark"))
}

fn step(number: u32, title: &str) {
    println!("[{number}/6] {title}");
}

fn detail(text: &str) {
    println!("      {text}");
}

fn secs(elapsed: Duration) -> String {
    format!("{:.2}s", elapsed.as_secs_f64())
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
