//! `pgark dump`: pg_dump's command line → catalog session → TOC → output. Plain
//! output is a restore of the TOC through `pgark_formats::script` (stock's
//! "plain output is a restore of the TOC"), with table data streamed from COPY;
//! archives go through `ArchiveWriter`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use pgark_formats::compress::CompressionAlgorithm;
use pgark_formats::model::{ArchiveTime, Section, Toc, TocEntry};
use pgark_formats::script::ScriptOptions;
use pgark_formats::select::{plan, SectionSet, Selection};
use pgark_formats::{ArchiveFormat, ArchiveVersion, ArchiveWriter, CompressionSpec, WriteOptions};

use crate::catalog::{Isolation, Session, SessionOptions};
use crate::cli::dump::DumpArgs;
use crate::cli::{FormatArg, SectionArg};
use crate::commands::restore::{generate_restrict_key, valid_restrict_key};
use crate::conn::{ConnectOptions, SystemEnv};
use crate::dump::data;
use crate::dump::toc::EmitOptions;
use crate::dump::verbose;
use crate::dump::{build_toc, collect_with_helper, CollectOptions, Collected, HeaderInfo};
use crate::{Error, Result};

/// Runs `pgark dump`.
pub fn run(args: &DumpArgs) -> Result<()> {
    check_options(args)?;
    check_output_target(args)?;
    if args.verbose {
        verbose::enable();
    }
    crate::dump::progress::configure(args.no_progress);
    let format = args.format.unwrap_or(FormatArg::Plain);
    let restrict_key = match (&args.restrict_key, format) {
        (Some(k), _) => Some(k.clone().into_bytes()),
        (None, FormatArg::Plain) => Some(generate_restrict_key()?),
        (None, _) => None,
    };
    if let Some(k) = &restrict_key {
        if !valid_restrict_key(k) {
            return Err(Error::Usage("invalid restrict key".into()));
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Io {
            path: "tokio runtime".into(),
            source: e,
        })?;
    runtime.block_on(async {
        let dumped = dump(args, format, restrict_key).await;
        crate::conn::close_dropped_connections(std::time::Duration::from_secs(5)).await;
        dumped
    })
}

/// The plain-format dump of one database, as `pg_dump -Fp` writes it, into memory:
/// the per-database dump of `pgark dumpall`. `connect` says where to connect (the
/// database included); `args` gives every other option (its format, file and
/// connection fields are not used to connect or to choose where to write). Without
/// `--restrict-key` a key is generated, as pg_dump does.
pub async fn dump_plain_to_vec(args: &DumpArgs, connect: &ConnectOptions) -> Result<Vec<u8>> {
    check_options(args)?;
    let restrict_key = match &args.restrict_key {
        Some(k) => k.clone().into_bytes(),
        None => generate_restrict_key()?,
    };
    if !valid_restrict_key(&restrict_key) {
        return Err(Error::Usage("invalid restrict key".into()));
    }
    let dumped = read_database(args, connect, FormatArg::Plain).await?;
    plain_script(args, &dumped, Some(restrict_key), Vec::new()).await
}

/// pg_dump's checks of option values and combinations, in stock's order and all before
/// connecting, then the options not honoured yet.
pub(crate) fn check_options(args: &DumpArgs) -> Result<()> {
    check_option_values(args)?;
    if args.schema_only && args.data_only {
        return Err(Error::Usage(
            "options -s/--schema-only and -a/--data-only cannot be used together".into(),
        ));
    }
    if args.clean && args.data_only {
        return Err(Error::Usage(
            "options -c/--clean and -a/--data-only cannot be used together".into(),
        ));
    }
    if args.if_exists && !args.clean {
        return Err(Error::Usage(
            "option --if-exists requires option -c/--clean".into(),
        ));
    }
    check_statistics_options(args)?;
    check_data_options(args)?;
    check_parallel_options(args)?;
    check_output_options(args)?;
    reject_unhonoured_options(args)
}

/// The values stock checks while reading its options (`option_parse_int`,
/// `parse_sync_method`), before any combination.
fn check_option_values(args: &DumpArgs) -> Result<()> {
    if args.jobs == Some(0) {
        return Err(Error::Usage(
            "-j/--jobs must be in range 1..2147483647".into(),
        ));
    }
    if args
        .extra_float_digits
        .is_some_and(|d| !(-15..=3).contains(&d))
    {
        return Err(Error::Usage(
            "--extra-float-digits must be in range -15..3".into(),
        ));
    }
    if let Some(method) = args.sync_method.as_deref() {
        if method != "fsync" && method != "syncfs" {
            return Err(Error::Usage(format!("unrecognized sync method: {method}")));
        }
    }
    Ok(())
}

/// Stock's checks of the output that come before it connects: the compression
/// specification (`-Z`) and which tar cannot take.
fn check_output_options(args: &DumpArgs) -> Result<()> {
    let format = args.format.unwrap_or(FormatArg::Plain);
    if let Some(spec) = args.compress.as_deref() {
        let spec = CompressionSpec::parse(spec)?;
        if format == FormatArg::Tar && spec.algorithm != CompressionAlgorithm::None {
            return Err(Error::Usage(
                "compression is not supported by tar archive format".into(),
            ));
        }
    }
    Ok(())
}

/// The output `-f` names (or its absence with `-Fd`), checked as stock's
/// `CreateArchive` checks it before connecting. Only `pgark dump`'s own run checks it:
/// `pgark dumpall` checks its cluster archive's path itself.
fn check_output_target(args: &DumpArgs) -> Result<()> {
    let format = args.format.unwrap_or(FormatArg::Plain);
    match args.file.as_deref() {
        None | Some("-") if format == FormatArg::Directory => {
            Err(Error::Usage("no output directory specified".into()))
        }
        None | Some("-") => Ok(()),
        Some(path) => check_output_path(Path::new(path), format),
    }
}

/// An archive's output path that cannot be created, reported before connecting with
/// the words of stock's `CreateArchive` (which opens it then); nothing is created here.
/// Plain output is opened after connecting, by stock too.
fn check_output_path(path: &Path, format: FormatArg) -> Result<()> {
    let reason = |e: &std::io::Error| crate::commands::restore_options::os_message(e);
    let shown = path.display();
    if format == FormatArg::Directory {
        if let Ok(meta) = std::fs::metadata(path) {
            return match std::fs::read_dir(path).map(|mut entries| entries.next().is_some()) {
                Err(e) if !meta.is_dir() => Err(Error::Usage(format!(
                    "could not open directory \"{shown}\": {}",
                    reason(&e)
                ))),
                Ok(true) => Err(Error::Usage(format!(
                    "directory \"{shown}\" is not empty"
                ))),
                _ => Ok(()),
            };
        }
    }
    let parent_ok = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            std::fs::metadata(parent).is_ok_and(|m| m.is_dir())
        }
        _ => true,
    };
    if parent_ok || format == FormatArg::Plain {
        return Ok(());
    }
    // The path's own error says why (no such directory, or a file in its way).
    let Err(e) = std::fs::metadata(path) else {
        return Ok(());
    };
    let message = match format {
        FormatArg::Directory => format!("could not create directory \"{shown}\": {}", reason(&e)),
        FormatArg::Tar => format!(
            "could not open TOC file \"{shown}\" for output: {}",
            reason(&e)
        ),
        _ => format!("could not open output file \"{shown}\": {}", reason(&e)),
    };
    Err(Error::Usage(message))
}

/// Options pg_dump has whose effect pgark dump does not produce: `--binary-upgrade`
/// and an `--archive-version` it cannot write.
fn reject_unhonoured_options(args: &DumpArgs) -> Result<()> {
    // pg_upgrade's mode: preserved OIDs, binary_upgrade_* calls, extension member
    // statements. pgark writes none of them, and a dump that silently lacks them
    // would break the upgrade that reads it.
    if args.binary_upgrade {
        return Err(Error::NotImplemented {
            what: "pgark dump --binary-upgrade".into(),
        });
    }
    parse_archive_version(args.archive_version.as_deref()).map(|_| ())
}

/// pg_dump 18's checks of the statistics options, worded as stock 18.6.
fn check_statistics_options(args: &DumpArgs) -> Result<()> {
    let conflicts = [
        (args.schema_only && args.statistics_only, "-s/--schema-only", "--statistics-only"),
        (args.data_only && args.statistics_only, "-a/--data-only", "--statistics-only"),
        (args.statistics_only && args.no_statistics, "--statistics-only", "--no-statistics"),
        (args.statistics && args.no_statistics, "--statistics", "--no-statistics"),
        (args.statistics && args.data_only, "-a/--data-only", "--statistics"),
        (args.statistics && args.schema_only, "-s/--schema-only", "--statistics"),
        (args.data_only && args.no_data, "-a/--data-only", "--no-data"),
        (args.schema_only && args.no_schema, "-s/--schema-only", "--no-schema"),
    ];
    match conflicts.iter().find(|(set, _, _)| *set) {
        Some((_, a, b)) => Err(Error::Usage(format!(
            "options {a} and {b} cannot be used together"
        ))),
        None => Ok(()),
    }
}

/// Stock's `dumpStatistics`: off by default in 18.
fn dump_statistics(args: &DumpArgs) -> bool {
    (args.statistics || args.statistics_only) && !args.no_statistics
}

/// `-j` and `--split-tables-larger-than`. Unlike pg_dump, pgark takes `-j` for every
/// format: directory files are written in parallel, custom and tar data is produced in
/// parallel and written in TOC order; plain output streams on one connection.
fn check_parallel_options(args: &DumpArgs) -> Result<()> {
    if let Some(size) = &args.split_tables_larger_than {
        data::plan::parse_size(size)?;
    }
    Ok(())
}

/// The `--archive-version` values pgark writes; `None` means the default (1.16).
fn parse_archive_version(requested: Option<&str>) -> Result<Option<ArchiveVersion>> {
    match requested {
        None | Some("1.16") => Ok(None),
        Some("1.14") => Ok(Some(ArchiveVersion::V1_14)),
        Some("1.15") => Ok(Some(ArchiveVersion::V1_15)),
        Some(other) => Err(Error::Usage(format!(
            "unsupported archive version \"{other}\" (use 1.14, 1.15 or 1.16)"
        ))),
    }
}

fn dump_schema(args: &DumpArgs) -> bool {
    !args.data_only && !args.no_schema && !args.statistics_only
}

fn dump_data(args: &DumpArgs) -> bool {
    !args.schema_only && !args.no_data && !args.statistics_only
}

async fn dump(args: &DumpArgs, format: FormatArg, restrict_key: Option<Vec<u8>>) -> Result<()> {
    let dbname = args.dbname.as_deref().or(args.dbname_positional.as_deref());
    let connect = ConnectOptions::resolve(&args.connection, dbname, "pg_dump", &SystemEnv)?;
    let dumped = read_database(args, &connect, format).await?;
    match format {
        FormatArg::Plain => {
            let written = write_plain(args, &dumped, restrict_key).await;
            let DumpedDatabase {
                session,
                collected,
                toc,
                ..
            } = dumped;
            // The session is dropped so its connection ends with Terminate
            // (`close_dropped_connections` waits for that).
            drop(session);
            // The process exits right after this dump: freeing the catalog's and the
            // TOC's many small allocations one by one only delays that exit.
            std::mem::forget((collected, toc));
            written
        }
        other => write_archive(args, other, &connect, dumped).await,
    }
}

/// pg_dump's checks of the data options (INSERTs, foreign data).
fn check_data_options(args: &DumpArgs) -> Result<()> {
    if args
        .rows_per_insert
        .is_some_and(|n| n == 0 || n > i32::MAX as u32)
    {
        return Err(Error::Usage(
            "--rows-per-insert must be in range 1..2147483647".into(),
        ));
    }
    if args.schema_only && !args.include_foreign_data.is_empty() {
        return Err(Error::Usage(
            "options -s/--schema-only and --include-foreign-data cannot be used together".into(),
        ));
    }
    if args.jobs.is_some_and(|j| j > 1) && !args.include_foreign_data.is_empty() {
        return Err(Error::Usage(
            "option --include-foreign-data is not supported with parallel backup".into(),
        ));
    }
    if args.on_conflict_do_nothing && insert_options(args).is_none() {
        return Err(Error::Usage(
            "option --on-conflict-do-nothing requires option --inserts, --rows-per-insert, or --column-inserts".into(),
        ));
    }
    Ok(())
}

/// How INSERT data is written, when it is (`--inserts`, `--column-inserts` and
/// `--rows-per-insert` all imply INSERTs; stock's `dump_inserts`).
pub(crate) fn insert_options(args: &DumpArgs) -> Option<crate::dump::inserts::InsertOptions> {
    let rows = match (args.rows_per_insert, args.inserts || args.column_inserts) {
        (Some(n), _) => n,
        (None, true) => 1,
        (None, false) => return None,
    };
    Some(crate::dump::inserts::InsertOptions {
        column_inserts: args.column_inserts,
        rows_per_statement: rows.max(1),
        on_conflict_do_nothing: args.on_conflict_do_nothing,
    })
}

/// One database read for dumping: the snapshot session, its catalog and the TOC built
/// from it.
struct DumpedDatabase {
    session: Session,
    /// How the session was set up (workers repeat it).
    session_options: SessionOptions,
    collected: Collected,
    toc: Toc,
    compression: CompressionSpec,
}

/// Connects, opens the snapshot session, reads the catalog and builds the TOC.
async fn read_database(
    args: &DumpArgs,
    connect: &ConnectOptions,
    format: FormatArg,
) -> Result<DumpedDatabase> {
    // Filter files are read before connecting, as pg_dump reads them with its options.
    let patterns = crate::dump::filter::patterns_from_args(args)?;
    let connection = connect.connect().await?;
    let session_options = SessionOptions {
        isolation: if args.serializable_deferrable {
            Isolation::SerializableDeferrable
        } else {
            Isolation::RepeatableRead
        },
        role: args.connection.role.clone(),
        extra_float_digits: args.extra_float_digits,
        quote_all_identifiers: args.quote_all_identifiers,
        enable_row_security: args.enable_row_security,
        snapshot: args.snapshot.clone(),
        encoding: args
            .encoding
            .as_deref()
            .map(crate::dump::encoding::canonical_name)
            .transpose()?,
    };
    // A single-byte client encoding's table is read before the snapshot transaction; a
    // multi-byte one gets its converting connection.
    let client_encoding = match &session_options.encoding {
        Some(name) => name.clone(),
        None => crate::dump::encoding::database_encoding(&connection.client).await?,
    };
    crate::dump::encoding::prepare(connect, &connection.client, &client_encoding).await?;
    let session = Session::open(connection, &session_options).await?;
    // Stock's connection set-up query, then main()'s first line (FirstNormalObjectId - 1).
    verbose::info("executing SELECT pg_catalog.set_config('search_path', '', false);");
    verbose::info("last built-in OID is 16383");
    let emit = EmitOptions {
        dump_schema: dump_schema(args),
        dump_data: dump_data(args),
        no_comments: args.no_comments,
        binary_upgrade: args.binary_upgrade,
        no_tablespaces: args.no_tablespaces,
        acls_skip: args.no_privileges,
        disable_dollar_quoting: args.disable_dollar_quoting,
        server_version: session.version.0,
        output_create_db: args.create || format != FormatArg::Plain,
        no_toast_compression: args.no_toast_compression,
        dump_inserts: insert_options(args).is_some(),
        load_via_partition_root: args.load_via_partition_root,
    };
    let opts = CollectOptions {
        emit: emit.clone(),
        output_large_objects: args.large_objects
            || (dump_data(args) && !args.no_large_objects && patterns.include_everything()),
        patterns,
        sequence_data: args.sequence_data,
        no_unlogged_table_data: args.no_unlogged_table_data,
        no_publications: args.no_publications,
        no_policies: args.no_policies,
        statistics: dump_statistics(args),
        no_subscriptions: args.no_subscriptions,
        no_security_labels: args.no_security_labels,
    };
    // A second session in the same snapshot runs the costliest catalog query meanwhile
    // (`dump::collect_with_helper`).
    let snapshot = data::snapshot::shared_snapshot(&session, args.snapshot.as_deref()).await?;
    // Only a speed-up: without a second connection (e.g. the server's connection limit)
    // every query runs on the leader. It is opened while the leader starts collecting.
    let helper = {
        let connect = connect.clone();
        let session_options = session_options.clone();
        async move {
            data::snapshot::open_workers(&connect, &session_options, &snapshot, 1)
                .await
                .ok()
                .and_then(|mut sessions| sessions.pop())
        }
    };
    let collected = collect_with_helper(&session, Some(helper), &opts).await?;
    for w in &collected.warnings {
        // A warning's detail and hint lines carry their own level, as stock prints them.
        if w.starts_with("detail: ") || w.starts_with("hint: ") {
            eprintln!("{}: {w}", crate::program::dump_name());
        } else {
            eprintln!("{}: warning: {w}", crate::program::dump_name());
        }
    }
    verbose::saving_steps(
        &collected.facts,
        emit.output_create_db,
        args.quote_all_identifiers,
    );
    let compression = match (&args.compress, format) {
        (Some(c), _) => CompressionSpec::parse(c)?,
        (None, FormatArg::Custom | FormatArg::Directory) => CompressionSpec::gzip_default(),
        (None, _) => CompressionSpec::parse("none")?,
    };
    let header = HeaderInfo {
        created: now_local(),
        database: session.database.clone(),
        server_version: session.version_text.clone(),
        compression,
    };
    // Stock locks in getTables; here right after the catalog is read, before any data:
    // the server takes the locks while the TOC is built (`join` polls the locking
    // first, which sends the LOCK statements).
    let (locked, toc) = futures_util::future::join(
        data::snapshot::lock_tables(
            &session,
            &collected,
            args.lock_wait_timeout.as_deref(),
            args.quote_all_identifiers,
        ),
        async { build_toc(&collected, &emit, &header, args.quote_all_identifiers) },
    )
    .await;
    locked?;
    let mut toc = toc?;
    crate::dump::encoding::convert_toc(
        &mut toc,
        crate::dump::encoding::OutputEncoding::for_client_encoding(&session.encoding)?,
    )
    .await?;
    Ok(DumpedDatabase {
        session,
        session_options,
        collected,
        toc,
        compression,
    })
}

/// The selection a plain dump renders: stock's `ProcessArchiveRestoreOptions` with the
/// dump options copied into restore options.
fn selection(args: &DumpArgs) -> Selection {
    Selection {
        dump_schema: dump_schema(args),
        dump_data: dump_data(args),
        dump_statistics: dump_statistics(args),
        sections: if args.section.is_empty() {
            SectionSet::ALL
        } else {
            SectionSet::from_sections(
                &args
                    .section
                    .iter()
                    .map(|s| match s {
                        SectionArg::PreData => Section::PreData,
                        SectionArg::Data => Section::Data,
                        SectionArg::PostData => Section::PostData,
                    })
                    .collect::<Vec<_>>(),
            )
        },
        create_db: args.create,
        acls_skip: args.no_privileges,
        no_comments: args.no_comments,
        no_policies: args.no_policies,
        no_publications: args.no_publications,
        no_security_labels: args.no_security_labels,
        no_subscriptions: args.no_subscriptions,
        sequence_data: args.sequence_data,
        binary_upgrade: args.binary_upgrade,
        ..Selection::default()
    }
}

async fn write_plain(
    args: &DumpArgs,
    dumped: &DumpedDatabase,
    restrict_key: Option<Vec<u8>>,
) -> Result<()> {
    match args.file.as_deref() {
        None | Some("-") => {
            let w = BufWriter::new(std::io::stdout());
            let mut w = plain_script(args, dumped, restrict_key, w).await?;
            w.flush().map_err(write_err("standard output"))?;
        }
        Some(path) if pgark_formats::archive::is_special_file(Path::new(path)) => {
            // A device or FIFO is written in place (a rename would replace the node).
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| pgark_formats::Error::open_output(path, e))?;
            let mut w = plain_script(args, dumped, restrict_key, BufWriter::new(f)).await?;
            w.flush().map_err(write_err(path))?;
        }
        Some(path) => {
            let (unfinished, file) = UnfinishedFile::beside(Path::new(path))?;
            let w = plain_script(args, dumped, restrict_key, BufWriter::new(file)).await?;
            let f = w.into_inner().map_err(|e| write_err(path)(e.into_error()))?;
            if !args.no_sync {
                f.sync_all().map_err(write_err(path))?;
            }
            unfinished.rename_into_place()?;
        }
    }
    Ok(())
}

/// Writes the file `-f PATH` names, for the commands that produce one whole output
/// (`pgark restore -f`, `pgark dumpall -f`): a device or FIFO is written in place; a
/// regular file is written under a temporary name beside `path` (removed on failure or
/// interruption, `pgark_formats::unfinished`), synced when `sync`, then renamed into
/// place, so a file under its final name is always complete. Stock writes `-f` files
/// in place and leaves them half-written when it fails.
pub(crate) fn write_output_file<T>(
    path: &str,
    sync: bool,
    write: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    let open_err = |source| Error::Io {
        path: format!("could not open output file \"{path}\""),
        source,
    };
    let write_err = |source| Error::Io {
        path: format!("could not write to output file \"{path}\""),
        source,
    };
    if pgark_formats::archive::is_special_file(Path::new(path)) {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(open_err)?;
        let mut out = BufWriter::with_capacity(256 * 1024, file);
        let written = write(&mut out)?;
        out.flush().map_err(write_err)?;
        return Ok(written);
    }
    let (unfinished, file) = UnfinishedFile::beside(Path::new(path))?;
    let mut out = BufWriter::with_capacity(256 * 1024, file);
    let written = write(&mut out)?;
    let file = out.into_inner().map_err(|e| write_err(e.into_error()))?;
    if sync {
        file.sync_all().map_err(write_err)?;
    }
    drop(file);
    unfinished.rename_into_place()?;
    Ok(written)
}

/// A write error on the output file `path`, worded as stock's.
fn write_err(path: &str) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| pgark_formats::Error::write(path, e).into()
}

/// A plain script being written under a temporary name beside its final path: renamed
/// into place when complete, removed when the dump fails or the process is interrupted
/// (`pgark_formats::unfinished`), so a script file under its final name is always whole.
struct UnfinishedFile {
    tmp: std::path::PathBuf,
    target: std::path::PathBuf,
    registration: Option<pgark_formats::unfinished::Registration>,
}

impl UnfinishedFile {
    /// Creates `<name>.pgark-tmp-<pid>` beside `target`, open for writing.
    fn beside(target: &Path) -> Result<(Self, File)> {
        let mut name = target
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push(format!(".pgark-tmp-{}", std::process::id()));
        let tmp = target.with_file_name(name);
        let (file, registration) = pgark_formats::unfinished::create_temp(&tmp)
            .map_err(|e| pgark_formats::Error::open_output(target.display(), e))?;
        let unfinished = UnfinishedFile {
            tmp,
            target: target.to_path_buf(),
            registration: Some(registration),
        };
        Ok((unfinished, file))
    }

    fn rename_into_place(mut self) -> Result<()> {
        let registration = self
            .registration
            .take()
            .ok_or_else(|| Error::Usage("internal: the temporary file was renamed".into()))?;
        pgark_formats::unfinished::rename_into_place(registration, &self.tmp, &self.target)
            .map_err(|e| Error::Io {
                path: self.target.display().to_string(),
                source: e,
            })
    }
}

impl Drop for UnfinishedFile {
    fn drop(&mut self) {
        // Still registered: not renamed into place.
        if self.registration.is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Renders the plain script of a read database into `w` and gives `w` back. Table
/// data is streamed from the snapshot connection while the script is written
/// (`dump::data::plain`).
async fn plain_script<W: Write + Send + 'static>(
    args: &DumpArgs,
    dumped: &DumpedDatabase,
    restrict_key: Option<Vec<u8>>,
    w: W,
) -> Result<W> {
    let DumpedDatabase {
        session,
        collected,
        toc,
        ..
    } = dumped;
    let sel = selection(args);
    let p = plan(toc, &sel);
    let name = args.file.clone().unwrap_or_else(|| "-".into());
    let options = ScriptOptions {
        restrict_key,
        create_db: args.create,
        clean: args.clean,
        if_exists: args.if_exists,
        no_owner: args.no_owner,
        use_set_session_authorization: args.use_set_session_authorization,
        no_tablespaces: args.no_tablespaces,
        no_table_access_method: args.no_table_access_method,
        disable_triggers: args.disable_triggers,
        superuser: args.superuser.clone().map(String::into_bytes),
        // pg_dump runs as --role but never writes SET ROLE into its script (its
        // restore options carry no role), unlike pg_restore --role.
        enable_row_security: args.enable_row_security,
        quote_all_identifiers: args.quote_all_identifiers,
        output_name: name,
        schema_requested: sel.dump_schema,
        progress: verbose::enabled().then_some(verbose::script_line as fn(&str)),
        ..ScriptOptions::default()
    };
    data::plain::render(args, session, collected, toc, p, options, w).await
}

/// INSERT statements of one TABLE DATA entry into `sink` (`dumpTableData_insert`).
pub(crate) async fn insert_data(
    args: &DumpArgs,
    session: &Session,
    collected: &Collected,
    e: &TocEntry,
    opts: &crate::dump::inserts::InsertOptions,
    sink: &mut (dyn FnMut(&[u8]) -> Result<()> + Send),
) -> Result<()> {
    let catalog = &collected.catalog;
    let quoter = pgark_formats::quote::Quoter {
        encoding: crate::dump::encoding::text_encoding(&collected.facts.encoding),
        std_strings: collected.facts.std_strings,
        quote_all_identifiers: args.quote_all_identifiers,
    };
    let oid = e.catalog_id.oid;
    let data = crate::objects::table_data::by_dump_id(catalog, e.dump_id);
    let target = match data.and_then(|d| d.load_via_root) {
        Some(root) => catalog.table_by_oid(root),
        None => catalog.table_by_oid(oid),
    }
    .map(|t| quoter.qualified(Some(t.schema.as_bytes()), t.name.as_bytes()))
    .ok_or_else(|| Error::Usage(format!("table with OID {oid} vanished from the catalog")))?;
    let table = crate::dump::inserts::InsertTable::from_catalog(catalog, &quoter, oid, target)
        .ok_or_else(|| Error::Usage(format!("table with OID {oid} vanished from the catalog")))?;
    crate::dump::inserts::write_inserts(&session.connection.client, &table, opts, &quoter, sink)
        .await
}

/// `--archive-version`: 1.16 (the default, as pg_dump 17/18 write), or 1.14/1.15 for
/// pg_restore 12–15 / 16. The older versions keep large objects in one BLOB entry per
/// object plus a single BLOBS entry: the TOC is rewritten into that layout
/// (`dump::lo_layout`) and the one BLOBS entry reads every large object.
fn archive_version(
    requested: Option<&str>,
    toc: &mut Toc,
    collected: &mut Collected,
) -> Result<Option<ArchiveVersion>> {
    let Some(version) = parse_archive_version(requested)? else {
        return Ok(None);
    };
    if version < ArchiveVersion::V1_16 {
        if let Some(legacy) = crate::dump::lo_layout::to_pre_1_16(toc) {
            crate::dump::lo_layout::merge_groups(&mut collected.catalog, &legacy);
        }
    }
    Ok(Some(version))
}

/// Writes an archive: the TOC (with split-table parts added), then the data of every
/// entry through `dump::data::archive` on the leader's snapshot or, with `-j N`, on
/// N worker sessions that imported it.
async fn write_archive(
    args: &DumpArgs,
    format: FormatArg,
    connect: &ConnectOptions,
    dumped: DumpedDatabase,
) -> Result<()> {
    let DumpedDatabase {
        session,
        session_options,
        mut collected,
        mut toc,
        compression,
    } = dumped;
    let af = match format {
        FormatArg::Custom => ArchiveFormat::Custom,
        FormatArg::Directory => ArchiveFormat::Directory,
        FormatArg::Tar => ArchiveFormat::Tar,
        FormatArg::Plain => return Err(Error::Usage("plain format is not an archive".into())),
    };
    let version = archive_version(args.archive_version.as_deref(), &mut toc, &mut collected)?;
    keep_required_entries(args, &mut toc);
    let wopts = WriteOptions {
        version,
        compression,
        sync: !args.no_sync,
    };
    let jobs_wanted = args.jobs.unwrap_or(1).max(1) as usize;
    let split_above = args
        .split_tables_larger_than
        .as_deref()
        .map(data::plan::parse_size)
        .transpose()?;
    // A serial dump reads tables in TOC order, as stock does (its `-v` lines follow).
    let schedule = if jobs_wanted > 1 {
        data::plan::Schedule::LargestFirst
    } else {
        data::plan::Schedule::TocOrder
    };
    let jobs = data::plan::table_jobs(&session, &collected, &mut toc, split_above, schedule).await?;
    let worker_count = jobs_wanted.min(jobs.len());
    let workers = if worker_count > 1 {
        let snapshot = data::snapshot::shared_snapshot(&session, args.snapshot.as_deref()).await?;
        let workers =
            data::snapshot::open_workers(connect, &session_options, &snapshot, worker_count)
                .await?;
        verbose::worker_connections(workers.len());
        workers
    } else {
        Vec::new()
    };
    let (writer, spill_dir) = match args.file.as_deref() {
        None | Some("-") if af == ArchiveFormat::Directory => {
            return Err(Error::Usage("no output directory specified".into()));
        }
        None | Some("-") => (
            ArchiveWriter::to_stream(
                af,
                Box::new(std::io::stdout()),
                "standard output",
                toc.clone(),
                wopts,
            )?,
            std::env::temp_dir(),
        ),
        Some(path) => (
            ArchiveWriter::create(af, path, toc.clone(), wopts)?,
            spill_dir_for(Path::new(path)),
        ),
    };
    let writer = data::archive::write_data(
        data::archive::ArchiveData {
            args,
            leader: &session,
            workers: &workers,
            collected: &collected,
            toc: &toc,
            jobs,
            compression,
            spill_dir,
        },
        writer,
    )
    .await?;
    if af == ArchiveFormat::Tar && verbose::enabled() {
        let sel = Selection {
            create_db: true,
            ..selection(args)
        };
        let options = ScriptOptions {
            disable_triggers: args.disable_triggers,
            schema_requested: sel.dump_schema,
            output_name: "restore.sql".into(),
            ..ScriptOptions::default()
        };
        verbose::tar_restore_script_lines(&toc, &plan(&toc, &sel), &options)?;
    }
    writer.finish()?;
    Ok(())
}

/// Stock's `WriteToc` stores only the entries its own dump options mark as required
/// (`ProcessArchiveRestoreOptions` with the dump options as restore options, `--create`
/// always on for archives): e.g. extension configuration tables' data is left out with
/// `-s`, other sections' entries with `--section`, matviews' REFRESH with `-a`. Entries
/// are matched by dump ID afterwards, so the kept ones keep theirs (gaps included).
fn keep_required_entries(args: &DumpArgs, toc: &mut Toc) {
    let sel = Selection {
        create_db: true,
        ..selection(args)
    };
    let p = plan(toc, &sel);
    let mut index = 0;
    toc.entries.retain(|_| {
        let keep = !p.reqs_of(index).is_none();
        index += 1;
        keep
    });
}

/// The directory an archive file is written in (where custom and tar spill data
/// waiting for its turn).
fn spill_dir_for(path: &Path) -> std::path::PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    }
}

/// The current local time broken down as C's `localtime` (the archive header's
/// creation time).
fn now_local() -> ArchiveTime {
    let tz = jiff::tz::TimeZone::system();
    let now = jiff::Timestamp::now();
    let zoned = now.to_zoned(tz.clone());
    let dt = zoned.datetime();
    let isdst = i32::from(tz.to_offset_info(now).dst().is_dst());
    ArchiveTime {
        sec: i32::from(dt.second()),
        min: i32::from(dt.minute()),
        hour: i32::from(dt.hour()),
        mday: i32::from(dt.day()),
        mon: i32::from(dt.month()) - 1,
        year: i32::from(dt.year()) - 1900,
        isdst,
    }
}
