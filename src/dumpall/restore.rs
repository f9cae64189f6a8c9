//! `pgark restore` of a cluster archive (a directory written by `pgark dumpall -F c|d|t`,
//! recognised by its manifest, see [`super::archive`]): the globals first, then every
//! database, each through the ordinary per-database restore (`restore::run_database`).
//!
//! `pgark restore -d DBNAME [-j N] [--clean [--if-exists]] DIR`:
//! - `-d DBNAME` (a name or a connection string) is where the globals script runs and
//!   the maintenance database from which databases are created (as `pg_restore -C -d`).
//! - The globals script (`globals.sql`) runs statement by statement, as psql would run
//!   it, going on after errors (`-e` stops at the first). `CREATE ROLE` of a role that
//!   already exists (the bootstrap superuser, always) is not an error: the `ALTER ROLE`
//!   that follows it in the script sets its attributes.
//! - Every database but `template1` and `postgres` is created from its archive's
//!   `CREATE DATABASE` entry (with its settings, ACL and comment), as `pg_restore -C`
//!   does; `-C` is implied and may be given. `template1` and `postgres` exist in every
//!   cluster and are restored into as they are, as stock pg_dumpall's scripts do.
//! - `--clean` drops and recreates every database (`template1` and `postgres` too, as
//!   `pg_dumpall -c` does), with `--if-exists` as usual. Roles and tablespaces are not
//!   dropped at restore time (they may own objects in databases the archive does not
//!   hold); a dump taken with `pgark dumpall -c` has the DROPs in its globals script.
//! - `-j N` restores N databases at once (each with one connection). With `--clean`,
//!   the databases some other restore may be connected to (`template1`, `postgres`
//!   and the `-d` database) are restored first, one at a time, so dropping them cannot
//!   meet another connection.
//! - With `-a`, `--no-schema` or `--statistics-only` no globals run and no database is
//!   created: each archive is restored into the existing database of its name.
//! - Every other option (`-O`, `-x`, `-s`, `-n`, `--no-comments`, `-1`, `-v`, ...) applies
//!   to each database's restore. `-L` (a list is per archive) is refused; `-l` lists the
//!   manifest.
//! - `-f FILE` writes one script psql can run to recreate the cluster, shaped as a
//!   plain pg_dumpall script: `globals.sql`, then each database as `pg_restore -f`
//!   renders its archive (with `-C` as above, `\connect` before the others).
//!
//! Every failure is reported as it happens; the restore goes on with the next database
//! and ends with an error naming how many statements and databases failed.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use super::archive::{ArchivedDatabase, Manifest};
use crate::cli::restore::RestoreArgs;
use crate::conn::{is_connection_string, ConnInfo, ConnectOptions, Password, SystemEnv};
use crate::restore::sql::StatementSplitter;
use crate::{Error, Result};

/// SQLSTATE `duplicate_object` (CREATE ROLE of an existing role).
const DUPLICATE_OBJECT: &str = "42710";

/// Restores (or, with `-l`, lists) the cluster archive `args.archive` names.
pub fn run(args: &RestoreArgs) -> Result<()> {
    let dir = args
        .archive
        .as_deref()
        .ok_or_else(|| Error::Usage("no cluster archive directory specified".into()))?;
    let manifest = Manifest::read(Path::new(dir))?;
    if args.list {
        print!("{}", list(&manifest));
        return Ok(());
    }
    if args.use_list.is_some() {
        return Err(Error::Usage(
            "option -L/--use-list cannot be used with a cluster archive (a list belongs to one database's archive)".into(),
        ));
    }
    if let Some(file) = &args.file {
        return write_script(args, Path::new(dir), &manifest, file);
    }
    let maintenance = args
        .dbname
        .as_deref()
        .ok_or_else(|| Error::Usage("one of -d/--dbname and -f/--file must be specified".into()))?;
    let objects_only = args.data_only || args.no_schema || args.statistics_only;

    let (mut globals_errors, mut password) = (0, None);
    if !objects_only {
        info(args, "restoring globals");
        (globals_errors, password) =
            restore_globals(args, &Path::new(dir).join(&manifest.globals))?;
    }

    let maintenance_name = database_of(maintenance)?;
    let (first, rest): (Vec<&ArchivedDatabase>, Vec<&ArchivedDatabase>) =
        manifest.databases.iter().partition(|db| {
            args.clean
                && (db.is_builtin()
                    || Some(db.name.as_slice()) == maintenance_name.as_deref().map(str::as_bytes))
        });
    let failed = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    let restore_one = |db: &ArchivedDatabase| {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        info(args, &format!("restoring database \"{}\"", db.shown_name()));
        if let Err(e) = restore_database(
            args,
            Path::new(dir),
            db,
            maintenance,
            maintenance_name.as_deref(),
            password.as_ref(),
            objects_only,
        ) {
            eprintln!(
                "{}: error: restore of database \"{}\" failed: {e}",
                crate::program::name(),
                db.shown_name()
            );
            if args.exit_on_error {
                stop.store(true, Ordering::SeqCst);
            }
            failed
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(db.shown_name());
        }
    };
    for db in first {
        restore_one(db);
    }
    let jobs = args.jobs.unwrap_or(1).max(1) as usize;
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(rest.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(db) = rest.get(i) else { break };
                restore_one(db);
            });
        }
    });

    let failed = failed.into_inner().unwrap_or_else(|p| p.into_inner());
    if globals_errors > 0 || !failed.is_empty() {
        let mut what = Vec::new();
        if globals_errors > 0 {
            what.push(format!("errors ignored in the globals: {globals_errors}"));
        }
        if !failed.is_empty() {
            let names: Vec<String> = failed.iter().map(|n| format!("\"{n}\"")).collect();
            what.push(format!("databases with errors: {}", names.join(", ")));
        }
        return Err(Error::Restore(what.join("; ")));
    }
    Ok(())
}

/// `-f FILE` of a cluster archive: one script a psql restore of the whole cluster can
/// run, shaped as a plain `pg_dumpall` script: the globals script, then each database
/// under a `-- Database "NAME" dump` header, rendered as `pg_restore -f` renders its
/// archive, with `-C` as the `-d` restore would use it (`\connect` lines before the
/// databases restored into as they are).
/// A file is written under a temporary name and renamed into place once complete
/// (`commands::dump::write_output_file`), unlike stock's in-place writing.
fn write_script(args: &RestoreArgs, dir: &Path, manifest: &Manifest, file: &str) -> Result<()> {
    if file == "-" {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        write_script_to(args, dir, manifest, "standard output", &mut out)?;
        return out.flush().map_err(|source| Error::Io {
            path: "could not write to output file \"standard output\"".into(),
            source,
        });
    }
    crate::commands::dump::write_output_file(file, false, |out| {
        write_script_to(args, dir, manifest, file, out)
    })
}

/// The script of `write_script` into `out`; `shown` names the output in errors.
fn write_script_to(
    args: &RestoreArgs,
    dir: &Path,
    manifest: &Manifest,
    shown: &str,
    out: &mut dyn Write,
) -> Result<()> {
    let io = |source: std::io::Error| Error::Io {
        path: format!("could not write to output file \"{shown}\""),
        source,
    };
    let objects_only = args.data_only || args.no_schema || args.statistics_only;
    if !objects_only {
        let path = dir.join(&manifest.globals);
        let globals = std::fs::read(&path).map_err(|source| Error::Io {
            path: format!("could not read globals script \"{}\"", path.display()),
            source,
        })?;
        out.write_all(&globals).map_err(io)?;
    }
    for db in &manifest.databases {
        let mut header = b"--\n-- Database \"".to_vec();
        header.extend(
            db.name
                .iter()
                .map(|&c| if c == b'\n' || c == b'\r' { b' ' } else { c }),
        );
        header.extend_from_slice(b"\" dump\n--\n\n");
        let create = !objects_only && (args.clean || !db.is_builtin());
        if !create {
            let connect = pgark_formats::quote::psql_meta_connect(&db.name).map_err(|_| {
                Error::Restore(format!(
                    "database name \"{}\" contains a newline or carriage return",
                    db.shown_name()
                ))
            })?;
            header.extend_from_slice(&connect);
            header.push(b'\n');
        }
        out.write_all(&header).map_err(io)?;
        let part = tempfile::NamedTempFile::new().map_err(|source| Error::Io {
            path: "temporary file for a database's script".into(),
            source,
        })?;
        let mut one = args.clone();
        one.archive = Some(dir.join(&db.path).display().to_string());
        one.file = Some(part.path().display().to_string());
        one.create = create;
        one.format = None;
        crate::commands::restore::run_script(&one)?;
        let mut text = std::fs::File::open(part.path()).map_err(|source| Error::Io {
            path: part.path().display().to_string(),
            source,
        })?;
        std::io::copy(&mut text, out).map_err(io)?;
    }
    Ok(())
}

/// `-l` of a cluster archive: the manifest as a listing.
fn list(manifest: &Manifest) -> String {
    let mut out = String::from(";\n; pgark cluster archive\n;\n");
    out.push_str(&format!("; Format: {:?}\n", manifest.format));
    out.push_str(&format!("; Globals: {}\n", manifest.globals));
    out.push_str(&format!("; Databases: {}\n;\n", manifest.databases.len()));
    for db in &manifest.databases {
        out.push_str(&format!("{} {} {:?}\n", db.oid, db.path, db.shown_name()));
    }
    out
}

fn info(args: &RestoreArgs, message: &str) {
    if args.verbose {
        eprintln!("{}: {message}", crate::program::name());
    }
}

/// The database a `-d` value names (`None` when a connection string names none).
fn database_of(dbname: &str) -> Result<Option<String>> {
    if is_connection_string(dbname) {
        Ok(ConnInfo::parse(dbname)?.get("dbname").map(str::to_string))
    } else {
        Ok(Some(dbname.to_string()))
    }
}

/// A connection string for `database` (else the `-d` value's own database) with
/// everything else of the `-d` value `dbname` (host, port, user, ... when it is a
/// connection string), and the password typed at the first prompt, so each database's
/// restore does not prompt again.
fn connstr_for(
    dbname: &str,
    database: Option<&str>,
    password: Option<&Password>,
) -> Result<String> {
    let mut info = if is_connection_string(dbname) {
        ConnInfo::parse(dbname)?
    } else {
        let mut info = ConnInfo::default();
        info.set("dbname", dbname)?;
        info
    };
    if let Some(database) = database {
        info.set("dbname", database)?;
    }
    if let Some(password) = password {
        info.set("password", password.expose())?;
    }
    Ok(render_conninfo(&info))
}

/// Connection settings as a `key='value' ...` connection string.
pub(crate) fn render_conninfo(info: &ConnInfo) -> String {
    info.iter()
        .map(|(key, value)| format!("{key}={}", conninfo_value(value)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A value in a `key=value` connection string: single-quoted, `'` and `\` escaped.
fn conninfo_value(value: &str) -> String {
    let mut out = String::from("'");
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// Restores one database's archive: created from the maintenance database, or (for
/// template1 and postgres without `--clean`, and with `-a`) restored into as it is.
fn restore_database(
    args: &RestoreArgs,
    dir: &Path,
    db: &ArchivedDatabase,
    maintenance: &str,
    maintenance_name: Option<&str>,
    password: Option<&Password>,
    objects_only: bool,
) -> Result<()> {
    let name = String::from_utf8(db.name.clone()).map_err(|_| {
        Error::Restore(format!(
            "database name \"{}\" is not valid UTF-8",
            db.shown_name()
        ))
    })?;
    let create = !objects_only && (args.clean || !db.is_builtin());
    let connect_to = if !create {
        connstr_for(maintenance, Some(&name), password)?
    } else if maintenance_name == Some(name.as_str()) {
        // A database cannot be dropped from a connection to itself.
        let other = if name == "template1" {
            "postgres"
        } else {
            "template1"
        };
        connstr_for(maintenance, Some(other), password)?
    } else {
        connstr_for(maintenance, None, password)?
    };
    let mut one = args.clone();
    one.archive = Some(dir.join(&db.path).display().to_string());
    one.dbname = Some(connect_to);
    // -W prompted once already; the connection string carries the password.
    one.connection.password &= password.is_none();
    one.create = create;
    one.jobs = None;
    one.format = None;
    crate::restore::run_database(&one)
}

/// Runs the globals script on the `-d` database; returns how many statements failed,
/// and the password typed at a prompt, if any.
fn restore_globals(args: &RestoreArgs, path: &Path) -> Result<(usize, Option<Password>)> {
    let script = std::fs::read(path).map_err(|source| Error::Io {
        path: format!("could not read globals script \"{}\"", path.display()),
        source,
    })?;
    let statements = script_statements(&script);
    let dbname = args.dbname.as_deref();
    let connect = ConnectOptions::resolve(&args.connection, dbname, "pg_restore", &SystemEnv)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Restore(format!("could not start the async runtime: {e}")))?;
    let work = async {
        let connection = connect.connect().await?;
        let client = connection.client;
        if let Some(role) = &args.connection.role {
            let mut sql = b"SET ROLE ".to_vec();
            pgark_formats::quote::Quoter::default().push_ident(&mut sql, role.as_bytes());
            client
                .batch_execute(&String::from_utf8_lossy(&sql))
                .await
                .map_err(|e| Error::Restore(format!("could not set role: {e}")))?;
        }
        let mut errors = 0;
        for statement in statements {
            let text = String::from_utf8(statement)
                .map_err(|_| Error::Restore("the globals script is not valid UTF-8".into()))?;
            let Err(e) = client.batch_execute(&text).await else {
                continue;
            };
            let db = e.as_db_error();
            let existing_role = db.is_some_and(|d| d.code().code() == DUPLICATE_OBJECT)
                && text.trim_start().starts_with("CREATE ROLE ");
            let reason = match db {
                Some(d) => format!("{}:  {}", d.severity(), d.message()),
                None => e.to_string(),
            };
            let message = format!(
                "could not execute query: {reason}\nCommand was: {}",
                text.trim()
            );
            if existing_role {
                info(args, &format!("{reason} (its attributes are set next)"));
                continue;
            }
            if args.exit_on_error {
                return Err(Error::Restore(message));
            }
            eprintln!("{}: error: {message}", crate::program::name());
            errors += 1;
        }
        Ok((errors, connect.prompted_password()))
    };
    let outcome = runtime.block_on(async {
        let outcome = work.await;
        crate::conn::close_dropped_connections(std::time::Duration::from_secs(5)).await;
        outcome
    });
    outcome
}

/// The SQL statements of a globals script, without psql's `\restrict` /
/// `\unrestrict` lines (meta-commands, only ever at the start of a statement) and
/// comment lines between statements.
fn script_statements(script: &[u8]) -> Vec<Vec<u8>> {
    // The script sets standard_conforming_strings itself; pgark writes it on.
    let std_strings = !script
        .windows(b"SET standard_conforming_strings = off;".len())
        .any(|w| w == b"SET standard_conforming_strings = off;");
    let mut splitter = StatementSplitter::new(std_strings);
    let mut statements = Vec::new();
    for line in script.split_inclusive(|&b| b == b'\n') {
        let at_start = splitter.rest().iter().all(u8::is_ascii_whitespace);
        // psql's meta-commands, and comment lines between statements.
        if at_start && (line.first() == Some(&b'\\') || line.trim_ascii_start().starts_with(b"--"))
        {
            continue;
        }
        splitter.feed(line, &mut |statement| statements.push(statement));
    }
    statements
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_skip_meta_commands_but_not_quoted_text() {
        let script = b"--\n-- header\n--\n\n\\restrict KEY\n\nSET x = 1;\n\
            COMMENT ON ROLE a IS 'line\n\\unrestrict KEY\nstill; quoted';\n\
            CREATE ROLE \"b;c\";\n\\unrestrict KEY\n\n--\n-- end\n--\n\n";
        let statements: Vec<String> = script_statements(script)
            .into_iter()
            .map(|s| String::from_utf8(s).expect("utf8"))
            .collect();
        assert_eq!(statements.len(), 3, "{statements:#?}");
        assert!(statements[0].ends_with("SET x = 1;"));
        assert!(statements[1].contains("\\unrestrict KEY\nstill; quoted';"));
        assert_eq!(statements[2].trim(), "CREATE ROLE \"b;c\";");
    }

    #[test]
    fn connection_strings_get_the_database() {
        assert_eq!(
            connstr_for("postgres", Some("my 'db'"), None).expect("connstr"),
            "dbname='my \\'db\\''"
        );
        let s = connstr_for("host=/tmp port=5433 dbname=x", Some("y\\z"), None).expect("connstr");
        assert_eq!(s, "dbname='y\\\\z' host='/tmp' port='5433'");
        let password = Password::new("p'w");
        assert_eq!(
            connstr_for("postgres", None, Some(&password)).expect("connstr"),
            "dbname='postgres' password='p\\'w'"
        );
        assert_eq!(database_of("host=/tmp").expect("db"), None);
        assert_eq!(
            database_of("postgres").expect("db").as_deref(),
            Some("postgres")
        );
    }
}
