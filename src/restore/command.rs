//! `pgark restore -d DB`: option checks beyond the common ones, archive opening,
//! entry selection, then [`super::exec::restore`].

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use pgark_formats::script::ScriptOptions;
use pgark_formats::select::plan;
use pgark_formats::{ArchiveFormat, ArchiveReader};

use super::exec::{restore, ExecOptions};
use crate::cli::restore::RestoreArgs;
use crate::cli::FormatArg;
use crate::commands::restore_options::{load_use_list, report_ignored_lines, selection_from_args};
use crate::conn::{ConnectOptions, SystemEnv};
use crate::{Error, Result};

/// Runs a restore into the database `-d` names (options already checked by
/// `check_restore_args`).
pub fn run_database(args: &RestoreArgs) -> Result<()> {
    let mut selection = selection_from_args(args)?;
    let spooled;
    let path = match &args.archive {
        Some(p) => PathBuf::from(p),
        None => {
            spooled = spool_stdin()?;
            spooled.path().to_path_buf()
        }
    };
    let reader = match args.format {
        None => ArchiveReader::open(&path)?,
        Some(FormatArg::Custom) => ArchiveReader::open_as(&path, ArchiveFormat::Custom)?,
        Some(FormatArg::Directory) => ArchiveReader::open_as(&path, ArchiveFormat::Directory)?,
        Some(FormatArg::Tar) => ArchiveReader::open_as(&path, ArchiveFormat::Tar)?,
        Some(FormatArg::Plain) => {
            return Err(Error::Usage("archive format \"p\" is not supported; please use psql".into()))
        }
    };
    let jobs = args.jobs.unwrap_or(1) as usize;
    if jobs > 1 && !reader.supports_parallel_restore() {
        return Err(Error::Restore("parallel restore is not supported with this archive file format".into()));
    }
    let toc = reader.toc();
    if let Some(list_file) = &args.use_list {
        let parsed = load_use_list(list_file, toc)?;
        report_ignored_lines(&parsed);
        selection.use_list = Some(parsed.list);
    }
    let plan = plan(toc, &selection);
    plan.check_strict_names(&selection)?;

    let connect = ConnectOptions::resolve(&args.connection, args.dbname.as_deref(), "pg_restore", &SystemEnv)?;
    let sql = ScriptOptions {
        no_owner: args.no_owner,
        use_set_session_authorization: args.use_set_session_authorization,
        no_tablespaces: args.no_tablespaces,
        no_table_access_method: args.no_table_access_method,
        disable_triggers: args.disable_triggers,
        superuser: args.superuser.as_ref().filter(|s| !s.is_empty()).map(|s| s.clone().into_bytes()),
        role: args.connection.role.as_ref().map(|r| r.clone().into_bytes()),
        enable_row_security: args.enable_row_security,
        clean: args.clean,
        if_exists: args.if_exists,
        create_db: args.create,
        transaction_size: args.transaction_size.unwrap_or(0),
        ..ScriptOptions::default()
    };
    let opts = ExecOptions {
        jobs,
        exit_on_error: args.exit_on_error,
        single_transaction: args.single_transaction,
        transaction_size: args.transaction_size.unwrap_or(0),
        verbose: args.verbose,
        no_data_for_failed_tables: args.no_data_for_failed_tables,
        create_db: args.create,
        clean: args.clean,
        progress: !args.no_progress && !args.verbose && std::io::stderr().is_terminal(),
    };
    let reader = Arc::new(reader);
    let errors = restore(reader.clone(), &plan, connect, sql, opts)?;
    if errors > 0 {
        return Err(Error::Restore(format!("errors ignored on restore: {errors}")));
    }
    Ok(())
}

/// Copies standard input to a temporary file (stock reads archives from a pipe; the
/// readers need a file).
fn spool_stdin() -> Result<tempfile::NamedTempFile> {
    let mut tmp = tempfile::NamedTempFile::new()
        .map_err(|e| Error::Io { path: "temporary file for standard input".into(), source: e })?;
    let mut input = std::io::stdin().lock();
    std::io::copy(&mut input, tmp.as_file_mut()).map_err(|e| Error::Io { path: "standard input".into(), source: e })?;
    Ok(tmp)
}
