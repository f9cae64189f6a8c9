//! The round-trip check: dump a source database with one command, restore it into a new
//! database with another, and compare the two databases (schema text, per-table data
//! checksums, large objects, sequence states) with a readable diff of what differs.
//!
//! The dump and restore commands are argv templates, so stock pg_dump/pg_restore, pgark, or a
//! mix of both can be put in the middle. The comparison itself always uses stock tools.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::cluster::{quote_ident, Cluster};
use crate::paths::stock_tool;

/// How many lines of unified diff a mismatch shows; the full files stay on disk.
const DIFF_LINES_SHOWN: usize = 120;

/// Failure to run a step of the check (as opposed to a difference between the databases,
/// which is reported in [`Comparison::mismatches`]).
#[derive(Debug, thiserror::Error)]
pub enum RoundTripError {
    #[error("cannot start {what} ({program}): {source}")]
    Spawn {
        what: String,
        program: String,
        source: std::io::Error,
    },
    #[error("{what} failed ({status}): {command}\n{stderr}")]
    Failed {
        what: String,
        command: String,
        status: std::process::ExitStatus,
        stderr: String,
    },
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A command line with placeholders, run with PGHOST/PGPORT/PGUSER of the cluster set.
///
/// Placeholders, replaced inside any argument: `{archive}` (path of the archive file or
/// directory), `{db}` (the source database for a dump, the target for a restore), `{host}`
/// (socket dir), `{port}`, `{user}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandTemplate {
    pub program: PathBuf,
    pub args: Vec<String>,
}

impl CommandTemplate {
    pub fn new(program: impl Into<PathBuf>, args: &[&str]) -> CommandTemplate {
        CommandTemplate {
            program: program.into(),
            args: args.iter().map(|a| a.to_string()).collect(),
        }
    }

    /// A stock PostgreSQL program of `major`, e.g. `stock(18, "pg_restore", &["-d", "{db}", "{archive}"])`.
    pub fn stock(major: u32, tool: &str, args: &[&str]) -> CommandTemplate {
        CommandTemplate::new(stock_tool(major, tool), args)
    }

    /// The argv with placeholders filled in.
    pub fn render(&self, cluster: &Cluster, db: &str, archive: &Path) -> Vec<String> {
        self.args
            .iter()
            .map(|arg| {
                arg.replace("{archive}", &archive.display().to_string())
                    .replace("{db}", db)
                    .replace("{host}", &cluster.socket_dir().display().to_string())
                    .replace("{port}", &cluster.port().to_string())
                    .replace("{user}", cluster.user())
            })
            .collect()
    }

    /// A copy-pasteable rendering of the filled-in command line.
    pub fn command_line(&self, cluster: &Cluster, db: &str, archive: &Path) -> String {
        shell_words(&self.program, &self.render(cluster, db, archive))
    }

    /// Runs the command against `cluster`; returns what ran and how long it took.
    pub fn run(
        &self,
        what: &str,
        cluster: &Cluster,
        db: &str,
        archive: &Path,
    ) -> Result<CommandRun, RoundTripError> {
        let argv = self.render(cluster, db, archive);
        let mut cmd = Command::new(&self.program);
        cmd.args(&argv);
        cluster.apply_env(&mut cmd);
        let command_line = shell_words(&self.program, &argv);
        let started = Instant::now();
        let out = output(&mut cmd, what)?;
        let elapsed = started.elapsed();
        if !out.status.success() {
            return Err(RoundTripError::Failed {
                what: what.to_string(),
                command: command_line,
                status: out.status,
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            });
        }
        Ok(CommandRun {
            command_line,
            elapsed,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}

/// One command that ran successfully.
#[derive(Debug, Clone)]
pub struct CommandRun {
    /// Shell-like rendering of the argv, for reports.
    pub command_line: String,
    pub elapsed: Duration,
    /// What it printed on stderr (warnings), possibly empty.
    pub stderr: String,
}

/// A dump command and the restore command that reads its output.
#[derive(Debug, Clone)]
pub struct RoundTrip {
    /// Short label used in file names and reports, e.g. `custom`.
    pub label: String,
    pub dump: CommandTemplate,
    pub restore: CommandTemplate,
    /// Name of the archive (file or directory) inside the work dir.
    pub archive_name: String,
    /// Create the target database (from template0) before restoring; false when the restore
    /// command creates it itself (e.g. `pg_restore -C`).
    pub create_target: bool,
}

/// Result of [`run_round_trip`].
#[derive(Debug)]
pub struct RoundTripReport {
    pub label: String,
    pub archive: PathBuf,
    /// Bytes of the archive (summed over files for a directory archive).
    pub archive_bytes: u64,
    pub dump: CommandRun,
    pub restore: CommandRun,
    pub comparison: Comparison,
}

impl RoundTripReport {
    pub fn is_equal(&self) -> bool {
        self.comparison.is_equal()
    }
}

impl fmt::Display for RoundTripReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "round trip {}:", self.label)?;
        writeln!(
            f,
            "  dump    ({:.2?}): {}",
            self.dump.elapsed, self.dump.command_line
        )?;
        writeln!(
            f,
            "  archive: {} ({} bytes)",
            self.archive.display(),
            self.archive_bytes
        )?;
        writeln!(
            f,
            "  restore ({:.2?}): {}",
            self.restore.elapsed, self.restore.command_line
        )?;
        write!(f, "{}", self.comparison)
    }
}

/// Which part of the databases differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aspect {
    /// `pg_dump --schema-only` text.
    Schema,
    /// Row count and checksum per table.
    TableData,
    /// Large objects: oid, owner, ACL, comment, size and checksum.
    LargeObjects,
    /// Sequence `last_value` and `is_called`.
    Sequences,
}

impl Aspect {
    pub const ALL: [Aspect; 4] = [
        Aspect::Schema,
        Aspect::TableData,
        Aspect::LargeObjects,
        Aspect::Sequences,
    ];

    /// File-name stem for this aspect's listing.
    pub fn file_stem(self) -> &'static str {
        match self {
            Aspect::Schema => "schema.sql",
            Aspect::TableData => "tables.txt",
            Aspect::LargeObjects => "large_objects.txt",
            Aspect::Sequences => "sequences.txt",
        }
    }
}

impl fmt::Display for Aspect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Aspect::Schema => "schema (pg_dump --schema-only)",
            Aspect::TableData => "table data (row count + md5)",
            Aspect::LargeObjects => "large objects",
            Aspect::Sequences => "sequence values",
        })
    }
}

/// One aspect that differs, with both listings kept on disk.
#[derive(Debug, Clone)]
pub struct Mismatch {
    pub aspect: Aspect,
    pub source_file: PathBuf,
    pub target_file: PathBuf,
    /// Unified diff (source -> target), cut after [`DIFF_LINES_SHOWN`] lines.
    pub diff: String,
}

/// Outcome of comparing two databases.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub source_db: String,
    pub target_db: String,
    /// Major of the pg_dump used for the schema text.
    pub client_major: u32,
    /// Lines of the normalised schema dump of the source.
    pub schema_lines: usize,
    /// Tables (and populated materialized views) whose data was checksummed in the source.
    pub tables: usize,
    pub rows: u64,
    pub large_objects: usize,
    pub sequences: usize,
    /// How long reading the target's schema text and checksums took.
    pub target_snapshot_time: Duration,
    pub mismatches: Vec<Mismatch>,
}

impl Comparison {
    pub fn is_equal(&self) -> bool {
        self.mismatches.is_empty()
    }

    pub fn mismatch(&self, aspect: Aspect) -> Option<&Mismatch> {
        self.mismatches.iter().find(|m| m.aspect == aspect)
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = |aspect: Aspect| {
            if self.mismatch(aspect).is_some() {
                "DIFFERENT"
            } else {
                "equal"
            }
        };
        writeln!(
            f,
            "  compare {} -> {} (schema text by pg_dump {}):",
            self.source_db, self.target_db, self.client_major
        )?;
        writeln!(
            f,
            "    schema:        {} ({} lines)",
            verdict(Aspect::Schema),
            self.schema_lines
        )?;
        writeln!(
            f,
            "    table data:    {} ({} tables, {} rows checksummed)",
            verdict(Aspect::TableData),
            self.tables,
            self.rows
        )?;
        writeln!(
            f,
            "    large objects: {} ({})",
            verdict(Aspect::LargeObjects),
            self.large_objects
        )?;
        writeln!(
            f,
            "    sequences:     {} ({})",
            verdict(Aspect::Sequences),
            self.sequences
        )?;
        for mismatch in &self.mismatches {
            writeln!(f, "  {} differs; full listings kept:", mismatch.aspect)?;
            writeln!(f, "    {}", mismatch.source_file.display())?;
            writeln!(f, "    {}", mismatch.target_file.display())?;
            writeln!(f, "{}", mismatch.diff)?;
        }
        Ok(())
    }
}

/// Dumps `source_db` with `plan.dump`, restores into `target_db` with `plan.restore`, and
/// compares the two databases. Files (archive, listings) go to `work_dir`; keep that
/// directory when the report is not equal.
pub fn run_round_trip(
    cluster: &Cluster,
    source_db: &str,
    target_db: &str,
    plan: &RoundTrip,
    client_major: u32,
    work_dir: &Path,
) -> Result<RoundTripReport, RoundTripError> {
    let source = DatabaseSnapshot::take(cluster, source_db, client_major)?;
    run_round_trip_from(cluster, &source, target_db, plan, work_dir)
}

/// Like [`run_round_trip`] with the source already snapshotted, so several round trips of
/// one source database pay for its checksums once. The source must not change in between.
pub fn run_round_trip_from(
    cluster: &Cluster,
    source: &DatabaseSnapshot,
    target_db: &str,
    plan: &RoundTrip,
    work_dir: &Path,
) -> Result<RoundTripReport, RoundTripError> {
    let archive = work_dir.join(&plan.archive_name);
    let dump = plan.dump.run(
        &format!("dump ({})", plan.label),
        cluster,
        &source.db,
        &archive,
    )?;
    let archive_bytes = disk_size(&archive)?;
    if plan.create_target {
        create_database(cluster, target_db)?;
    }
    let restore = plan.restore.run(
        &format!("restore ({})", plan.label),
        cluster,
        target_db,
        &archive,
    )?;
    let target = DatabaseSnapshot::take(cluster, target_db, source.client_major)?;
    let comparison = compare_snapshots(
        source,
        &target,
        &work_dir.join(format!("{}.compare", plan.label)),
    )?;
    Ok(RoundTripReport {
        label: plan.label.clone(),
        archive,
        archive_bytes,
        dump,
        restore,
        comparison,
    })
}

/// Compares two databases of one cluster; see [`compare_snapshots`].
pub fn compare_databases(
    cluster: &Cluster,
    source_db: &str,
    target_db: &str,
    client_major: u32,
    listing_dir: &Path,
) -> Result<Comparison, RoundTripError> {
    let source = DatabaseSnapshot::take(cluster, source_db, client_major)?;
    let target = DatabaseSnapshot::take(cluster, target_db, client_major)?;
    compare_snapshots(&source, &target, listing_dir)
}

/// Compares two snapshots aspect by aspect. Both listings of every aspect are written to
/// `listing_dir/{source,target}.<aspect file>`, so a mismatch can be inspected in full.
pub fn compare_snapshots(
    source: &DatabaseSnapshot,
    target: &DatabaseSnapshot,
    listing_dir: &Path,
) -> Result<Comparison, RoundTripError> {
    std::fs::create_dir_all(listing_dir).map_err(|source| RoundTripError::Io {
        action: "create",
        path: listing_dir.to_path_buf(),
        source,
    })?;
    let mut mismatches = Vec::new();
    for aspect in Aspect::ALL {
        let (left, right) = (source.text(aspect), target.text(aspect));
        let source_file = listing_dir.join(format!("source.{}", aspect.file_stem()));
        let target_file = listing_dir.join(format!("target.{}", aspect.file_stem()));
        write_file(&source_file, left)?;
        write_file(&target_file, right)?;
        if left != right {
            mismatches.push(Mismatch {
                aspect,
                diff: unified_diff(
                    left,
                    right,
                    &format!("{} (source)", source.db),
                    &format!("{} (target)", target.db),
                ),
                source_file,
                target_file,
            });
        }
    }
    Ok(Comparison {
        source_db: source.db.clone(),
        target_db: target.db.clone(),
        client_major: source.client_major,
        schema_lines: source.schema.lines().count(),
        tables: source.tables.lines().count(),
        rows: source.rows,
        large_objects: source.large_objects.lines().count(),
        sequences: source.sequences.lines().count(),
        target_snapshot_time: target.elapsed,
        mismatches,
    })
}

/// `CREATE DATABASE name TEMPLATE template0` with stock psql.
pub fn create_database(cluster: &Cluster, name: &str) -> Result<(), RoundTripError> {
    psql(
        cluster,
        "postgres",
        &format!("CREATE DATABASE {} TEMPLATE template0;", quote_ident(name)),
    )?;
    Ok(())
}

/// A unified diff of two texts (3 lines of context), cut after a fixed number of lines.
pub fn unified_diff(left: &str, right: &str, left_name: &str, right_name: &str) -> String {
    let diff = similar::TextDiff::from_lines(left, right);
    let full = diff
        .unified_diff()
        .context_radius(3)
        .header(left_name, right_name)
        .to_string();
    let total = full.lines().count();
    if total <= DIFF_LINES_SHOWN {
        return full;
    }
    let mut shown: String = full
        .lines()
        .take(DIFF_LINES_SHOWN)
        .flat_map(|l| [l, "\n"])
        .collect();
    shown.push_str(&format!(
        "... ({} more diff lines)\n",
        total - DIFF_LINES_SHOWN
    ));
    shown
}

/// Everything compared about one database, each aspect as deterministic text.
#[derive(Debug, Clone)]
pub struct DatabaseSnapshot {
    pub db: String,
    /// Major of the pg_dump that produced the schema text.
    pub client_major: u32,
    /// How long taking the snapshot took.
    pub elapsed: Duration,
    schema: String,
    tables: String,
    rows: u64,
    large_objects: String,
    sequences: String,
}

/// Per-table digests, large objects and sequences in one psql session. The helper functions
/// live in pg_temp, so they leave no trace in the database's schema.
const DATA_QUERIES: &str = r#"
SET client_min_messages = warning;
CREATE FUNCTION pg_temp.pgark_table_digest(rel regclass) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE n bigint; h text;
BEGIN
  -- (t.*) and not t: a column named t would win over the table alias. The subquery turns
  -- each row into text once (sorting on the expression would convert it twice).
  EXECUTE format('SELECT count(*), md5(coalesce(string_agg(r, E''\n'' ORDER BY r COLLATE "C"), '''')) '
                 'FROM (SELECT (t.*)::text AS r FROM ONLY %s t) AS rows_as_text', rel)
    INTO n, h;
  RETURN n || '|' || h;
END $f$;
CREATE FUNCTION pg_temp.pgark_sequence_state(rel regclass) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE v bigint; c boolean;
BEGIN
  EXECUTE format('SELECT last_value, is_called FROM %s', rel) INTO v, c;
  RETURN v || '|' || c;
END $f$;
\echo @tables
SELECT format('%s.%s|%s|%s', quote_ident(n.nspname), quote_ident(c.relname), c.relkind,
              CASE WHEN c.relkind = 'm' AND NOT c.relispopulated THEN 'not populated'
                   ELSE pg_temp.pgark_table_digest(c.oid) END)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C";
\echo @large_objects
SELECT format('%s|owner=%s|acl=%s|comment=%s|bytes=%s|md5=%s', m.oid, pg_get_userbyid(m.lomowner),
              coalesce(m.lomacl::text, '-'), coalesce(obj_description(m.oid, 'pg_largeobject'), '-'),
              length(lo_get(m.oid)), md5(lo_get(m.oid)))
FROM pg_largeobject_metadata m ORDER BY m.oid;
\echo @sequences
SELECT format('%s.%s|%s', quote_ident(n.nspname), quote_ident(c.relname), pg_temp.pgark_sequence_state(c.oid))
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C";
"#;

impl DatabaseSnapshot {
    /// Reads the schema text (stock pg_dump of `client_major`), per-table checksums, large
    /// objects and sequence states of `db`.
    pub fn take(
        cluster: &Cluster,
        db: &str,
        client_major: u32,
    ) -> Result<DatabaseSnapshot, RoundTripError> {
        let started = Instant::now();
        let schema = schema_text(cluster, db, client_major)?;
        let data = psql(cluster, db, DATA_QUERIES)?;
        let mut sections: [String; 3] = Default::default();
        let mut current = None;
        for line in data.lines() {
            match line {
                "@tables" => current = Some(0),
                "@large_objects" => current = Some(1),
                "@sequences" => current = Some(2),
                _ => {
                    if let Some(index) = current {
                        sections[index].push_str(line);
                        sections[index].push('\n');
                    }
                }
            }
        }
        let [tables, large_objects, sequences] = sections;
        // Lines are name|relkind|count|md5.
        let rows = tables
            .lines()
            .filter_map(|l| l.split('|').nth(2))
            .filter_map(|n| n.parse::<u64>().ok())
            .sum();
        Ok(DatabaseSnapshot {
            db: db.to_string(),
            client_major,
            elapsed: started.elapsed(),
            schema,
            tables,
            rows,
            large_objects,
            sequences,
        })
    }

    /// Tables (and materialized views) checksummed.
    pub fn tables(&self) -> usize {
        self.tables.lines().count()
    }

    /// Rows over all checksummed tables.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    pub fn large_objects(&self) -> usize {
        self.large_objects.lines().count()
    }

    pub fn sequences(&self) -> usize {
        self.sequences.lines().count()
    }

    /// The listing of one aspect, as compared.
    pub fn text(&self, aspect: Aspect) -> &str {
        match aspect {
            Aspect::Schema => &self.schema,
            Aspect::TableData => &self.tables,
            Aspect::LargeObjects => &self.large_objects,
            Aspect::Sequences => &self.sequences,
        }
    }
}

/// Stock `pg_dump --schema-only` text without the lines that differ between equal databases.
fn schema_text(cluster: &Cluster, db: &str, client_major: u32) -> Result<String, RoundTripError> {
    let program = stock_tool(client_major, "pg_dump");
    let mut cmd = Command::new(&program);
    cmd.args(["--schema-only", "-d", db]);
    cluster.apply_env(&mut cmd);
    let what = format!("pg_dump {client_major} --schema-only {db}");
    let out = output(&mut cmd, &what)?;
    if !out.status.success() {
        return Err(RoundTripError::Failed {
            what,
            command: shell_words(&program, &["--schema-only".into(), "-d".into(), db.into()]),
            status: out.status,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    Ok(normalise_schema(&String::from_utf8_lossy(&out.stdout)))
}

/// Drops `-- Dumped from database version`, `-- Dumped by pg_dump version` and the
/// `\restrict KEY` / `\unrestrict KEY` lines (random per run since 17.6 / 18.0).
pub fn normalise_schema(dump: &str) -> String {
    dump.lines()
        .filter(|line| {
            !(line.starts_with("-- Dumped from database version")
                || line.starts_with("-- Dumped by pg_dump version")
                || line.starts_with("\\restrict ")
                || line.starts_with("\\unrestrict "))
        })
        .flat_map(|line| [line, "\n"])
        .collect()
}

/// Runs SQL through stock psql of the cluster's major (`-X -q -At -v ON_ERROR_STOP=1`),
/// feeding it on stdin so psql meta-commands work; returns stdout.
fn psql(cluster: &Cluster, db: &str, sql: &str) -> Result<String, RoundTripError> {
    use std::io::Write;
    let program = stock_tool(cluster.major(), "psql");
    let mut cmd = Command::new(&program);
    cmd.args(["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", db]);
    cluster.apply_env(&mut cmd);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let what = format!("psql -d {db}");
    let mut child = cmd.spawn().map_err(|source| RoundTripError::Spawn {
        what: what.clone(),
        program: program.display().to_string(),
        source,
    })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(sql.as_bytes())
            .map_err(|source| RoundTripError::Io {
                action: "write SQL to",
                path: program.clone(),
                source,
            })?;
    }
    let out = child
        .wait_with_output()
        .map_err(|source| RoundTripError::Io {
            action: "wait for",
            path: program.clone(),
            source,
        })?;
    if !out.status.success() {
        return Err(RoundTripError::Failed {
            what,
            command: format!("{} -d {db} <<SQL\n{sql}\nSQL", program.display()),
            status: out.status,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn output(cmd: &mut Command, what: &str) -> Result<std::process::Output, RoundTripError> {
    cmd.stdin(Stdio::null());
    cmd.output().map_err(|source| RoundTripError::Spawn {
        what: what.to_string(),
        program: cmd.get_program().to_string_lossy().into_owned(),
        source,
    })
}

/// Size of a file, or the sum of the files in a directory (one level deep, as archives are).
pub fn disk_size(path: &Path) -> Result<u64, RoundTripError> {
    let meta = std::fs::metadata(path).map_err(|source| RoundTripError::Io {
        action: "stat",
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Ok(meta.len());
    }
    let entries = std::fs::read_dir(path).map_err(|source| RoundTripError::Io {
        action: "list",
        path: path.to_path_buf(),
        source,
    })?;
    let mut total = 0;
    for entry in entries {
        let entry = entry.map_err(|source| RoundTripError::Io {
            action: "list",
            path: path.to_path_buf(),
            source,
        })?;
        total += disk_size(&entry.path())?;
    }
    Ok(total)
}

fn write_file(path: &Path, text: &str) -> Result<(), RoundTripError> {
    std::fs::write(path, text).map_err(|source| RoundTripError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    })
}

/// A copy-pasteable rendering of a command line.
fn shell_words(program: &Path, args: &[String]) -> String {
    let mut line = quote_word(&program.display().to_string());
    for arg in args {
        line.push(' ');
        line.push_str(&quote_word(arg));
    }
    line
}

fn quote_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_schema_drops_only_the_volatile_lines() {
        let dump = "--\n-- Dumped from database version 18.6\n-- Dumped by pg_dump version 18.6\n\
                    \\restrict abc123\nCREATE TABLE t (a int);\n\\unrestrict abc123\n";
        assert_eq!(normalise_schema(dump), "--\nCREATE TABLE t (a int);\n");
    }

    #[test]
    fn unified_diff_shows_changed_lines_and_is_cut() {
        let diff = unified_diff("a\nb\nc\n", "a\nB\nc\n", "left", "right");
        assert!(diff.contains("-b\n+B\n"), "{diff}");
        let left: String = (0..1000).map(|i| format!("{i}\n")).collect();
        let right: String = (0..1000).map(|i| format!("x{i}\n")).collect();
        let diff = unified_diff(&left, &right, "l", "r");
        assert!(diff.lines().count() <= DIFF_LINES_SHOWN + 1);
        assert!(diff.ends_with("more diff lines)\n"), "{diff}");
    }

    #[test]
    fn shell_words_quotes_what_needs_it() {
        let line = shell_words(
            Path::new("/bin/pg_dump"),
            &["-Fc".into(), "my db".into(), "it's".into()],
        );
        assert_eq!(line, "/bin/pg_dump -Fc 'my db' 'it'\\''s'");
    }
}
