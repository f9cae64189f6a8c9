//! `pgark dumpall`: option checks, the connection (database `postgres`, else `template1`,
//! or `-l`), the session setup, the plain-text frame pg_dumpall 18 writes around the
//! globals, and the per-database dumps of a whole-cluster dump, written in-process by
//! pgark's own plain dump with the options stock pg_dumpall passes to pg_dump.
//! With `-F c|d|t -f DIR` (beyond stock) it writes a cluster archive instead: the
//! globals script, one pgark dump archive per database (`-j N` at once) and a
//! manifest, as [`crate::dumpall::archive`] describes.
//!
//! `-v` prints stock's progress lines (`executing QUERY`, `excluding database`,
//! `dumping database`) prefixed `pgark:` as every pgark message is. Stock also prints
//! `running "pg_dump ..."` for each database, and pg_dump's own `-v` lines; pgark runs
//! no program, so it prints neither.

use crate::cli::dump::DumpArgs;
use crate::cli::dumpall::DumpallArgs;
use crate::cli::{Cli, Command as CliCommand, FormatArg};
use crate::commands::restore::{generate_restrict_key, valid_restrict_key};
use crate::conn::{
    is_connection_string, ConnInfo, ConnectOptions, Env, Password, Precedence, SystemEnv,
};
use crate::dumpall::archive::{
    ArchivedDatabase, DatabaseFormat, Manifest, DATABASES_DIR, GLOBALS_FILE, MANIFEST_FILE,
};
use crate::dumpall::{
    excluded_databases, list_databases, write_databases, write_globals, ClusterPart, ClusterText,
    DatabaseDumpRequest, DatabaseDumper, GlobalsOptions, Scope, Session,
};
use crate::{Error, Result};
use clap::Parser;
use futures_util::future::BoxFuture;
use pgark_formats::filter::{parse_filter, FilterCommand, FilterObjectType, FilterOrigin};
use pgark_formats::quote::Encoding;
use pgark_formats::select::SelectError;
use pgark_formats::CompressionSpec;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// What stock runs first on every connection (`ALWAYS_SECURE_SEARCH_PATH_SQL`).
const SECURE_SEARCH_PATH: &str = "SELECT pg_catalog.set_config('search_path', '', false);";

/// Runs `pgark dumpall`; each database of a whole-cluster dump is written by
/// [`OwnDatabaseDumper`].
pub fn run(args: &DumpallArgs) -> Result<()> {
    if args.format.is_some_and(|f| !matches!(f, FormatArg::Plain)) {
        return run_archive(args);
    }
    if args.globals_only || args.roles_only || args.tablespaces_only {
        return run_with(args, None);
    }
    let dumper = OwnDatabaseDumper::new(args)?;
    run_with(args, Some(&dumper))
}

/// pgark's own plain dump of one database, given what stock pg_dumpall's `runPgDump`
/// gives pg_dump: the pass-through options, the connection of the dumpall with the
/// database name replaced, and `--create` / `--clean` as the frame asks.
pub struct OwnDatabaseDumper {
    connect: ConnectOptions,
    options: DumpArgs,
}

impl OwnDatabaseDumper {
    /// The dumper for `args`' connection and pass-through options.
    /// Fails, before anything is dumped, on pass-through options pgark dump refuses.
    pub fn new(args: &DumpallArgs) -> Result<OwnDatabaseDumper> {
        refuse_binary_upgrade(args)?;
        let options = pass_through_options(args)?;
        crate::commands::dump::check_options(&options)?;
        let connect = ConnectOptions::resolve_with(
            &args.connection,
            args.dbname.as_deref(),
            "pg_dump",
            Precedence::ArgumentsWin,
            &SystemEnv,
        )?;
        Ok(OwnDatabaseDumper { connect, options })
    }
}

impl DatabaseDumper for OwnDatabaseDumper {
    fn dump_database<'a>(
        &'a self,
        request: &'a DatabaseDumpRequest,
    ) -> BoxFuture<'a, Result<Vec<u8>>> {
        Box::pin(async move {
            let mut options = self.options.clone();
            options.create = request.create;
            options.clean = request.clean;
            let connect = self.connect.for_database(&request.dbname);
            crate::commands::dump::dump_plain_to_vec(&options, &connect).await
        })
    }
}

/// `--binary-upgrade` works for the globals (-g, -r, -t keep role and tablespace OIDs,
/// as stock), but pgark dump writes no binary-upgrade dumps of databases, so a
/// whole-cluster dump refuses it rather than write databases without the OIDs
/// pg_upgrade needs.
fn refuse_binary_upgrade(args: &DumpallArgs) -> Result<()> {
    if args.binary_upgrade {
        return Err(Error::NotImplemented {
            what: "pgark dumpall --binary-upgrade of databases (only -g, -r and -t support it)"
                .into(),
        });
    }
    Ok(())
}

/// The pg_dump options stock pg_dumpall passes on (its `pgdumpopts`), as pg_dump's
/// parsed arguments; everything else keeps pg_dump's default.
fn pass_through_options(args: &DumpallArgs) -> Result<DumpArgs> {
    let parsed = Cli::try_parse_from(["pgark", "dump"])
        .map_err(|e| Error::Dumpall(format!("could not build the pg_dump options: {e}")))?;
    let CliCommand::Dump(mut options) = parsed.command else {
        return Err(Error::Dumpall(
            "could not build the pg_dump options: not a dump command line".into(),
        ));
    };
    options.format = Some(FormatArg::Plain);
    options.data_only = args.data_only;
    options.encoding = args.encoding.clone();
    options.file = args.file.clone();
    options.no_owner = args.no_owner;
    options.schema_only = args.schema_only;
    options.superuser = args.superuser.clone();
    options.verbose = args.verbose;
    options.no_privileges = args.no_privileges;
    options.lock_wait_timeout = args.lock_wait_timeout.clone();
    options.connection.role = args.connection.role.clone();
    options.no_sync = args.no_sync;
    options.extra_float_digits = args.extra_float_digits;
    options.rows_per_insert = args.rows_per_insert;
    options.binary_upgrade = args.binary_upgrade;
    options.column_inserts = args.column_inserts;
    options.disable_dollar_quoting = args.disable_dollar_quoting;
    options.disable_triggers = args.disable_triggers;
    options.inserts = args.inserts;
    options.no_table_access_method = args.no_table_access_method;
    options.no_tablespaces = args.no_tablespaces;
    options.quote_all_identifiers = args.quote_all_identifiers;
    options.load_via_partition_root = args.load_via_partition_root;
    options.use_set_session_authorization = args.use_set_session_authorization;
    options.no_comments = args.no_comments;
    options.no_data = args.no_data;
    options.no_policies = args.no_policies;
    options.no_publications = args.no_publications;
    options.no_security_labels = args.no_security_labels;
    options.no_schema = args.no_schema;
    options.no_statistics = args.no_statistics;
    options.no_subscriptions = args.no_subscriptions;
    options.no_toast_compression = args.no_toast_compression;
    options.no_unlogged_table_data = args.no_unlogged_table_data;
    options.on_conflict_do_nothing = args.on_conflict_do_nothing;
    options.statistics = args.statistics;
    options.statistics_only = args.statistics_only;
    options.sequence_data = args.sequence_data;
    options.restrict_key = args.restrict_key.clone();
    Ok(*options)
}

/// Runs `pgark dumpall` with `dumper` writing each database of a whole-cluster dump;
/// without one, only the globals modes (-g, -r, -t) work.
pub fn run_with(args: &DumpallArgs, dumper: Option<&dyn DatabaseDumper>) -> Result<()> {
    let exclude_patterns = exclude_patterns(args)?;
    let scope = check_options(args, &exclude_patterns)?;
    let databases = match (scope, dumper) {
        (Some(_), _) => Databases::None,
        (None, Some(dumper)) => Databases::Plain(dumper),
        (None, None) => {
            return Err(Error::NotImplemented {
                what: "pgark dumpall of whole clusters (use -g, -r or -t for the globals)".into(),
            })
        }
    };
    let restrict_key = restrict_key(args)?;
    let options = globals_options(args, matches!(databases, Databases::Plain(_)));
    let text = run_closing_connections(dump(
        args,
        &exclude_patterns,
        scope.unwrap_or(Scope::Globals),
        databases,
        &options,
        &restrict_key,
    ))??;
    write_output(args.file.as_deref(), !args.no_sync, &text)
}

/// `--restrict-key`, else a fresh key; checked as stock checks it.
fn restrict_key(args: &DumpallArgs) -> Result<Vec<u8>> {
    let restrict_key = match &args.restrict_key {
        Some(key) => key.clone().into_bytes(),
        None => generate_restrict_key()?,
    };
    if !valid_restrict_key(&restrict_key) {
        return Err(Error::Usage("invalid restrict key".into()));
    }
    Ok(restrict_key)
}

/// The globals' options; `drop_databases` when a plain whole-cluster dump with `-c`
/// drops the databases it recreates.
fn globals_options(args: &DumpallArgs, whole_cluster: bool) -> GlobalsOptions {
    GlobalsOptions {
        clean: args.clean,
        if_exists: args.if_exists,
        no_privileges: args.no_privileges,
        no_comments: args.no_comments,
        no_security_labels: args.no_security_labels,
        no_tablespaces: args.no_tablespaces,
        no_role_passwords: args.no_role_passwords,
        binary_upgrade: args.binary_upgrade,
        drop_databases: args.clean && whole_cluster,
    }
}

/// Runs `work` to its end on a current-thread runtime, then lets the connections it
/// dropped close as libpq's PQfinish closes them.
fn run_closing_connections<F: std::future::Future>(work: F) -> Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Dumpall(format!("could not start the async runtime: {e}")))?;
    Ok(runtime.block_on(async {
        let done = work.await;
        crate::conn::close_dropped_connections(std::time::Duration::from_secs(5)).await;
        done
    }))
}

/// What a run writes after the globals.
enum Databases<'a> {
    /// `-g`, `-r`, `-t`: nothing.
    None,
    /// A whole-cluster plain dump: each database's dump follows the globals.
    Plain(&'a dyn DatabaseDumper),
    /// A cluster archive: the databases to dump are listed here, and the globals text
    /// stays in UTF8 (the archive's `globals.sql`).
    Listed(&'a mut ListedDatabases),
}

/// The databases of a cluster archive, and what their dumps connect with.
#[derive(Default)]
struct ListedDatabases {
    /// Whether to list the databases (not with -g, -r, -t).
    wanted: bool,
    /// OID and name, in dump order.
    databases: Vec<(u32, Vec<u8>)>,
    /// A password typed at the prompt, handed to each database's dump (as stock
    /// pg_dumpall puts it in the connection string it gives pg_dump).
    password: Option<Password>,
}

/// `pgark dumpall -F c|d|t -f DIR`: a cluster archive (layout in
/// [`crate::dumpall::archive`]): the globals script, then one archive per database
/// written by pgark dump (`-j N` databases at once), then the manifest.
fn run_archive(args: &DumpallArgs) -> Result<()> {
    let exclude_patterns = exclude_patterns(args)?;
    let scope = check_options(args, &exclude_patterns)?;
    let format = match args.format {
        Some(FormatArg::Custom) => DatabaseFormat::Custom,
        Some(FormatArg::Tar) => DatabaseFormat::Tar,
        _ => DatabaseFormat::Directory,
    };
    let dir = PathBuf::from(args.file.as_deref().unwrap_or_default());
    // Everything that can refuse the options does so before anything is written.
    if scope.is_none() {
        refuse_binary_upgrade(args)?;
    }
    let mut database_options = pass_through_options(args)?;
    database_options.format = args.format;
    database_options.compress = args.compress.clone();
    database_options.connection = args.connection.clone();
    // Every archive holds its database's CREATE DATABASE; restore decides whether to run it.
    database_options.create = true;
    database_options.restrict_key = None;
    crate::commands::dump::check_options(&database_options)?;
    if let Some(compress) = &args.compress {
        CompressionSpec::parse(compress)?;
    }
    let restrict_key = restrict_key(args)?;
    let options = globals_options(args, false);
    create_archive_dir(&dir)?;

    // With -g, -r or -t the archive holds the globals only.
    let mut listed = ListedDatabases {
        wanted: scope.is_none(),
        ..ListedDatabases::default()
    };
    let globals = run_closing_connections(dump(
        args,
        &exclude_patterns,
        scope.unwrap_or(Scope::Globals),
        Databases::Listed(&mut listed),
        &options,
        &restrict_key,
    ))??;
    let globals_path = dir.join(GLOBALS_FILE);
    std::fs::write(&globals_path, &globals).map_err(|source| Error::Io {
        path: format!("could not write file \"{}\"", globals_path.display()),
        source,
    })?;

    let manifest = Manifest {
        format,
        globals: GLOBALS_FILE.to_string(),
        databases: listed
            .databases
            .into_iter()
            .map(|(oid, name)| ArchivedDatabase {
                oid,
                name,
                path: format.archive_path(oid),
            })
            .collect(),
    };
    dump_databases(
        args,
        &database_options,
        &dir,
        &manifest.databases,
        listed.password.as_ref(),
    )?;
    let manifest_path = dir.join(MANIFEST_FILE);
    std::fs::write(&manifest_path, manifest.render()).map_err(|source| Error::Io {
        path: format!("could not write file \"{}\"", manifest_path.display()),
        source,
    })
}

/// Creates the cluster archive's directory (or takes an existing empty one, as pg_dump
/// -F d does) and its `databases` subdirectory.
fn create_archive_dir(dir: &Path) -> Result<()> {
    let shown = dir.display().to_string();
    let empty = std::fs::read_dir(dir).map(|mut d| d.next().is_none());
    match empty {
        Ok(true) => {}
        Ok(false) => {
            return Err(Error::Dumpall(format!(
                "could not create directory \"{shown}\": File exists"
            )))
        }
        Err(_) => std::fs::create_dir(dir).map_err(|source| Error::Io {
            path: format!("could not create directory \"{shown}\""),
            source,
        })?,
    }
    let databases = dir.join(DATABASES_DIR);
    std::fs::create_dir(&databases).map_err(|source| Error::Io {
        path: format!("could not create directory \"{}\"", databases.display()),
        source,
    })
}

/// Dumps every database of the archive with pgark dump, `-j N` at once; the first
/// failure stops new dumps from starting.
fn dump_databases(
    args: &DumpallArgs,
    options: &DumpArgs,
    dir: &Path,
    databases: &[ArchivedDatabase],
    password: Option<&Password>,
) -> Result<()> {
    let jobs = args.jobs.unwrap_or(1).max(1) as usize;
    let next = AtomicUsize::new(0);
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    let failed = || failure.lock().map(|f| f.is_some()).unwrap_or(true);
    let dump_one = |db: &ArchivedDatabase| -> Result<()> {
        if args.verbose {
            eprintln!("{}: dumping database \"{}\"", crate::program::name(), db.shown_name());
        }
        let name = std::str::from_utf8(&db.name).map_err(|_| {
            Error::Dumpall(format!(
                "database name \"{}\" is not valid UTF-8",
                db.shown_name()
            ))
        })?;
        let mut one = options.clone();
        one.file = Some(dir.join(&db.path).display().to_string());
        one.dbname = Some(database_connstr(args, name, password)?);
        // -W prompted once already; the connection string carries the password.
        one.connection.password &= password.is_none();
        one.dbname_positional = None;
        crate::commands::dump::run(&one)
    };
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(databases.len()) {
            scope.spawn(|| loop {
                if failed() {
                    break;
                }
                let Some(db) = databases.get(next.fetch_add(1, Ordering::SeqCst)) else {
                    break;
                };
                if let Err(e) = dump_one(db) {
                    let e = Error::Dumpall(format!(
                        "{e}\npg_dump failed on database \"{}\", exiting",
                        db.shown_name()
                    ));
                    if let Ok(mut slot) = failure.lock() {
                        slot.get_or_insert(e);
                    }
                    break;
                }
            });
        }
    });
    match failure.into_inner() {
        Ok(None) => Ok(()),
        Ok(Some(e)) => Err(e),
        Err(_) => Err(Error::Dumpall("a database dump panicked".into())),
    }
}

/// The connection string pg_dumpall's `runPgDump` gives pg_dump for `database`: the
/// `-d` string's settings, `-h -p -U` over them (pg_dumpall's precedence), the
/// database name last.
fn database_connstr(
    args: &DumpallArgs,
    database: &str,
    password: Option<&Password>,
) -> Result<String> {
    let mut info = match args.dbname.as_deref() {
        Some(d) if is_connection_string(d) => ConnInfo::parse(d)?,
        _ => ConnInfo::default(),
    };
    let given = [
        ("host", args.connection.host.as_deref()),
        ("port", args.connection.port.as_deref()),
        ("user", args.connection.username.as_deref()),
    ];
    for (name, value) in given {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            info.set(name, value)?;
        }
    }
    info.set("dbname", database)?;
    if let Some(password) = password {
        info.set("password", password.expose())?;
    }
    Ok(crate::dumpall::restore::render_conninfo(&info))
}

/// The `--exclude-database` patterns plus the `exclude database` lines of `--filter`
/// files (stock's `read_dumpall_filters`: nothing else may be filtered).
fn exclude_patterns(args: &DumpallArgs) -> Result<Vec<String>> {
    let mut patterns = args.exclude_database.clone();
    for arg in &args.filter {
        let input = if arg == "-" {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map_err(|source| {
                Error::Io {
                    path: format!("could not read from filter file \"{arg}\""),
                    source,
                }
            })?;
            bytes
        } else {
            std::fs::read(arg).map_err(|source| Error::Io {
                path: format!("could not open filter file \"{arg}\""),
                source,
            })?
        };
        let origin = FilterOrigin::from_arg(arg);
        for item in parse_filter(&input, &origin)? {
            let refuse = |message: String| {
                let origin = match &origin {
                    FilterOrigin::File(name) => format!("file \"{name}\""),
                    FilterOrigin::StandardInput => "standard input".to_string(),
                };
                Error::Select(SelectError::Filter {
                    origin,
                    line: item.line,
                    message,
                })
            };
            if item.command == FilterCommand::Include {
                return Err(refuse(format!(
                    "include filter for \"{}\" is not allowed",
                    item.object_type.name()
                )));
            }
            if item.object_type != FilterObjectType::Database {
                return Err(refuse("unsupported filter object".into()));
            }
            patterns.push(String::from_utf8_lossy(&item.pattern).into_owned());
        }
    }
    Ok(patterns)
}

/// Stock's option checks, in stock's order; returns the globals scope (`None` for a
/// whole-cluster dump).
fn check_options(args: &DumpallArgs, exclude_patterns: &[String]) -> Result<Option<Scope>> {
    let hint = format!("\nHint: {}", crate::program::current().try_help(crate::program::Tool::Dumpall));
    if !exclude_patterns.is_empty()
        && (args.globals_only || args.roles_only || args.tablespaces_only)
    {
        return Err(Error::Usage(format!(
            "option --exclude-database cannot be used together with -g/--globals-only, -r/--roles-only, or -t/--tablespaces-only{hint}"
        )));
    }
    if args.globals_only && args.roles_only {
        return Err(Error::Usage(format!(
            "options -g/--globals-only and -r/--roles-only cannot be used together{hint}"
        )));
    }
    if args.globals_only && args.tablespaces_only {
        return Err(Error::Usage(format!(
            "options -g/--globals-only and -t/--tablespaces-only cannot be used together{hint}"
        )));
    }
    if args.if_exists && !args.clean {
        return Err(Error::Usage(
            "option --if-exists requires option -c/--clean".into(),
        ));
    }
    if args.roles_only && args.tablespaces_only {
        return Err(Error::Usage(format!(
            "options -r/--roles-only and -t/--tablespaces-only cannot be used together{hint}"
        )));
    }
    let archive = args.format.is_some_and(|f| !matches!(f, FormatArg::Plain));
    if args.jobs.is_some() && !archive {
        return Err(Error::Usage(format!(
            "option -j/--jobs requires a cluster archive format (-F c, -F d or -F t){hint}"
        )));
    }
    if args.jobs == Some(0) {
        return Err(Error::Usage(
            "-j/--jobs must be in range 1..2147483647".into(),
        ));
    }
    if archive && args.file.as_deref().is_none_or(|f| f == "-") {
        return Err(Error::Usage(format!(
            "a cluster archive (-F c, -F d or -F t) needs an output directory: -f DIRECTORY{hint}"
        )));
    }
    if args.compress.is_some() && !archive {
        return Err(Error::Usage(format!(
            "option -Z/--compress requires a cluster archive format (-F c, -F d or -F t){hint}"
        )));
    }
    Ok(if args.globals_only {
        Some(Scope::Globals)
    } else if args.roles_only {
        Some(Scope::Roles)
    } else if args.tablespaces_only {
        Some(Scope::Tablespaces)
    } else {
        None
    })
}

/// Connects, sets the session up and renders the whole output (pg_dumpall's own text in
/// UTF8 until the end, where it is converted to the client encoding; the databases'
/// dumps come in the client encoding already).
async fn dump(
    args: &DumpallArgs,
    exclude_patterns: &[String],
    scope: Scope,
    databases: Databases<'_>,
    options: &GlobalsOptions,
    restrict_key: &[u8],
) -> Result<Vec<u8>> {
    let env = SystemEnv;
    let conn_options = ConnectOptions::resolve_with(
        &args.connection,
        args.dbname.as_deref(),
        "pg_dumpall",
        Precedence::ArgumentsWin,
        &env,
    )?;
    let connection = match &args.database {
        Some(db) => conn_options.for_database(db).connect().await.map_err(|e| {
            Error::Dumpall(format!("{e}\ncould not connect to database \"{db}\""))
        })?,
        None => match conn_options.for_database("postgres").connect().await {
            Ok(c) => c,
            Err(_) => conn_options.for_database("template1").connect().await.map_err(|e| {
                Error::Dumpall(format!(
                    "{e}\ncould not connect to databases \"postgres\" or \"template1\"\nPlease specify an alternative database."
                ))
            })?,
        },
    };
    let role_catalog = if options.no_role_passwords {
        "pg_roles"
    } else {
        "pg_authid"
    };
    let mut session = Session::open(connection, role_catalog, args.verbose).await?;
    check_server_version(&session).await?;
    session.rows(SECURE_SEARCH_PATH).await?;
    let excluded = excluded_databases(&session, exclude_patterns).await?;

    let server_encoding = session
        .setting("server_encoding")
        .await?
        .unwrap_or_default();
    let server_encoding = Encoding::from_name(&server_encoding).unwrap_or(Encoding::SqlAscii);
    // -E wins; else libpq's client_encoding: the -d connection string, then PGCLIENTENCODING.
    let from_connstr = args
        .dbname
        .as_deref()
        .filter(|d| is_connection_string(d))
        .and_then(|d| ConnInfo::parse(d).ok())
        .and_then(|info| info.get("client_encoding").map(str::to_string));
    let from_libpq = from_connstr
        .or_else(|| env.var("PGCLIENTENCODING"))
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case("auto"));
    let requested = args.encoding.clone().or(from_libpq);
    // libpq's default client encoding is the database's.
    let encoding = match (&databases, requested) {
        (Databases::Listed(_), _) => Encoding::Utf8,
        (_, Some(name)) => client_encoding(&session, &name).await?,
        (_, None) => server_encoding,
    };
    if let Some(role) = &args.connection.role {
        let mut sql = b"SET ROLE ".to_vec();
        session.quoter.push_ident(&mut sql, role.as_bytes());
        session.command(&String::from_utf8_lossy(&sql)).await?;
    }
    if args.quote_all_identifiers {
        session.command("SET quote_all_identifiers = true").await?;
        session.quoter.quote_all_identifiers = true;
    }

    let mut out = Vec::new();
    out.extend_from_slice(b"--\n-- PostgreSQL database cluster dump\n--\n\n");
    if args.verbose {
        out.extend_from_slice(
            format!(
                "-- Started on {}\n\n",
                pgark_formats::list::format_archive_time(None)
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(b"\\restrict ");
    out.extend_from_slice(restrict_key);
    out.extend_from_slice(b"\n\nSET default_transaction_read_only = off;\n\n");
    out.extend_from_slice(format!("SET client_encoding = '{}';\n", encoding.name()).as_bytes());
    if session.quoter.std_strings {
        out.extend_from_slice(b"SET standard_conforming_strings = on;\n");
    } else {
        out.extend_from_slice(
            b"SET standard_conforming_strings = off;\nSET escape_string_warning = off;\n",
        );
    }
    out.push(b'\n');
    // Stock writes no globals when the dump is to hold no schema.
    if !args.data_only && !args.statistics_only && !args.no_schema {
        write_globals(&session, scope, options, &mut out).await?;
    }
    out.extend_from_slice(b"\\unrestrict ");
    out.extend_from_slice(restrict_key);
    out.extend_from_slice(b"\n\n");
    let mut cluster = ClusterText::default();
    cluster.frame().append(&mut out);
    match databases {
        Databases::Plain(dumper) => {
            write_databases(&session, dumper, &excluded, args.clean, &mut cluster).await?
        }
        Databases::Listed(listed) if listed.wanted => {
            listed.databases = list_databases(&session, &excluded).await?;
            listed.password = conn_options.prompted_password();
        }
        Databases::None | Databases::Listed(_) => {}
    }
    let out = cluster.frame();
    if args.verbose {
        out.extend_from_slice(
            format!(
                "-- Completed on {}\n\n",
                pgark_formats::list::format_archive_time(None)
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(b"--\n-- PostgreSQL database cluster dump complete\n--\n\n");
    // pg_dumpall's own text is converted here; each database's dump is already in the
    // client encoding (its per-database dump was asked for it).
    let mut text = Vec::new();
    for part in cluster.into_parts() {
        match part {
            ClusterPart::Frame(frame) => {
                text.extend(to_client_encoding(&session, server_encoding, encoding, frame).await?)
            }
            ClusterPart::Database(dump) => text.extend(dump),
        }
    }
    Ok(text)
}

/// The newest server major pgark dumpall reads (as pg_dumpall 18).
const NEWEST_SERVER_MAJOR: u32 = 18;
/// The oldest server stock pg_dumpall 18 reads (9.2).
const OLDEST_SERVER_VERSION: u32 = 90200;

/// pg_dumpall refuses servers of a newer major (their catalogs may have changed) and
/// older than 9.2.
async fn check_server_version(session: &Session) -> Result<()> {
    let version = session.server_version;
    if version < OLDEST_SERVER_VERSION || version / 10000 > NEWEST_SERVER_MAJOR {
        let shown = session.setting("server_version").await?.unwrap_or_default();
        return Err(Error::Dumpall(format!(
            "aborting because of server version mismatch\nDETAIL:  server version: {}; pgark dumpall version: {NEWEST_SERVER_MAJOR}",
            String::from_utf8_lossy(&shown)
        )));
    }
    Ok(())
}

/// `-E` / PGCLIENTENCODING: the encoding's canonical name, checked the way libpq's
/// `PQsetClientEncoding` checks it, by setting it on the server (then back to UTF8, the
/// session's working encoding).
async fn client_encoding(session: &Session, name: &str) -> Result<Encoding> {
    let invalid = || Error::Dumpall(format!("invalid client encoding \"{name}\" specified"));
    let encoding = Encoding::from_name(name.as_bytes()).ok_or_else(invalid)?;
    let set = format!("SET client_encoding = '{}'", encoding.name());
    session
        .client
        .batch_execute(&set)
        .await
        .map_err(|_| invalid())?;
    session
        .client
        .batch_execute("SET client_encoding = 'UTF8'")
        .await
        .map_err(|e| Error::Dumpall(format!("could not reset the client encoding: {e}")))?;
    Ok(encoding)
}

/// The dump text in the client encoding: the server converts it when it is not UTF8
/// and not plain ASCII (conversion errors are stock's: a character with no equivalent).
/// A SQL_ASCII database converts nothing, so its bytes stay as they are.
async fn to_client_encoding(
    session: &Session,
    server_encoding: Encoding,
    encoding: Encoding,
    text: Vec<u8>,
) -> Result<Vec<u8>> {
    if matches!(encoding, Encoding::Utf8 | Encoding::SqlAscii)
        || server_encoding == Encoding::SqlAscii
        || text.is_ascii()
    {
        return Ok(text);
    }
    let text = String::from_utf8(text)
        .map_err(|_| Error::Dumpall("dump text is not valid UTF-8".into()))?;
    let row = session
        .client
        .query_one(
            "SELECT pg_catalog.convert_to($1, $2)",
            &[&text, &encoding.name()],
        )
        .await
        .map_err(|e| {
            Error::Dumpall(match e.as_db_error() {
                Some(db) => format!("query failed: {}:  {}", db.severity(), db.message()),
                None => format!("query failed: {e}"),
            })
        })?;
    row.try_get::<_, Vec<u8>>(0).map_err(|e| {
        Error::Dumpall(format!(
            "could not convert the dump to {}: {e}",
            encoding.name()
        ))
    })
}

/// `-f FILE` or standard output. A file is written under a temporary name and renamed
/// into place (`commands::dump::write_output_file`): a failure or a signal never leaves
/// a half-written script under its name, as stock's in-place writing can.
fn write_output(file: Option<&str>, sync: bool, text: &[u8]) -> Result<()> {
    match file {
        Some(path) => crate::commands::dump::write_output_file(path, sync, |out| {
            out.write_all(text).map_err(|source| Error::Io {
                path: format!("could not write to output file \"{path}\""),
                source,
            })
        }),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text)
                .and_then(|()| stdout.flush())
                .map_err(|source| Error::Io {
                    path: "standard output".into(),
                    source,
                })
        }
    }
}
