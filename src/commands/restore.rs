//! `pgark restore`: checks the command line as pg_restore does, then dispatches: `-l`
//! lists the archive (`commands::list`), `-f FILE` renders the archive as an SQL
//! script byte for byte as PostgreSQL 18's `pg_restore -f` writes it (`-f -` writes to
//! standard output; this module), `-d` restores into a database (not here).
//!
//! Option checks and entry selection come from `restore_options` (shared with `-l` and
//! `-d`); the rendering itself is `pgark_formats::script`.

use std::io::{BufWriter, Read, Write};

use pgark_formats::list::format_archive_time;
use pgark_formats::script::{render_script, DataSource, ScriptOptions};
use pgark_formats::select::plan;
use pgark_formats::{ArchiveFormat, ArchiveReader, TocEntry};

use crate::cli::restore::RestoreArgs;
use crate::cli::FormatArg;
use crate::commands::list::run_restore_list;
use crate::commands::restore_options::{check_restore_args, load_use_list, report_ignored_lines, selection_from_args};
use crate::{Error, Result};

/// Length of a generated `\restrict` key (stock: 63 random alphanumerics).
const RESTRICT_KEY_LEN: usize = 63;

/// Runs `pgark restore`.
pub fn run(args: &RestoreArgs) -> Result<()> {
    check_restore_args(args)?;
    // A cluster archive (`pgark dumpall -F c|d|t`) is a directory with a manifest.
    if args.archive.as_deref().is_some_and(crate::dumpall::archive::is_cluster_archive) {
        return crate::dumpall::restore::run(args);
    }
    if args.list {
        return run_restore_list(args);
    }
    if args.dbname.is_some() {
        return crate::restore::run_database(args);
    }
    run_script(args)
}

/// The `-f` path: check the restrict key, open the archive, select, render.
pub fn run_script(args: &RestoreArgs) -> Result<()> {
    let restrict_key = match &args.restrict_key {
        Some(key) => key.clone().into_bytes(),
        None => generate_restrict_key()?,
    };
    if !valid_restrict_key(&restrict_key) {
        return Err(Error::Usage("invalid restrict key".into()));
    }
    let mut selection = selection_from_args(args)?;

    let reader = match &args.archive {
        // Stock reads the archive from standard input when no file is named: seeking
        // when it is a regular file (`< archive`), else sequentially, so entries must
        // then come in archive order.
        None if stdin_is_regular_file() => ArchiveReader::open(STDIN_PATH)?,
        None => ArchiveReader::from_stream(Box::new(std::io::stdin()), "standard input")?,
        Some(path) => match args.format {
            None => ArchiveReader::open(path)?,
            Some(FormatArg::Custom) => ArchiveReader::open_as(path, ArchiveFormat::Custom)?,
            Some(FormatArg::Directory) => ArchiveReader::open_as(path, ArchiveFormat::Directory)?,
            Some(FormatArg::Tar) => ArchiveReader::open_as(path, ArchiveFormat::Tar)?,
            Some(FormatArg::Plain) => {
                return Err(Error::Usage("archive format \"p\" is not supported; please use psql".into()))
            }
        },
    };
    let toc = reader.toc();

    if let Some(list_file) = &args.use_list {
        let parsed = load_use_list(list_file, toc)?;
        report_ignored_lines(&parsed);
        selection.use_list = Some(parsed.list);
    }
    let plan = plan(toc, &selection);
    plan.check_strict_names(&selection)?;

    let file_arg = args.file.as_deref().unwrap_or("-");
    let mut options = script_options(args, restrict_key, toc.header.created.as_ref(), file_arg);
    options.schema_requested = selection.dump_schema;
    options.tar_input = reader.format() == ArchiveFormat::Tar;
    let mut source = ArchiveData { reader: &reader };

    let report = if file_arg == "-" {
        let stdout = std::io::stdout();
        let mut out = BufWriter::with_capacity(256 * 1024, stdout.lock());
        let report = render_script(toc, plan.items(), &options, &mut source, &mut out)?;
        out.flush().map_err(|e| Error::Io { path: "standard output".into(), source: e })?;
        report
    } else {
        // Renamed into place once complete: a failure or a signal leaves no
        // half-written script under the name asked for (stock leaves one).
        crate::commands::dump::write_output_file(file_arg, false, |out| {
            render_script(toc, plan.items(), &options, &mut source, out).map_err(Error::from)
        })?
    };
    for warning in &report.warnings {
        crate::program::warn(warning);
    }
    Ok(())
}

/// The rendering options a command line asks for.
fn script_options(
    args: &RestoreArgs,
    restrict_key: Vec<u8>,
    created: Option<&pgark_formats::model::ArchiveTime>,
    output_name: &str,
) -> ScriptOptions {
    ScriptOptions {
        restrict_key: Some(restrict_key),
        verbose: args.verbose,
        started_on: Some(format_archive_time(created)),
        completed_on: Some(|| format_archive_time(None)),
        single_transaction: args.single_transaction,
        transaction_size: args.transaction_size.unwrap_or(0),
        create_db: args.create,
        clean: args.clean,
        if_exists: args.if_exists,
        no_owner: args.no_owner,
        use_set_session_authorization: args.use_set_session_authorization,
        no_tablespaces: args.no_tablespaces,
        no_table_access_method: args.no_table_access_method,
        disable_triggers: args.disable_triggers,
        // Stock ignores an empty -S.
        superuser: args.superuser.as_ref().filter(|s| !s.is_empty()).map(|s| s.clone().into_bytes()),
        role: args.connection.role.as_ref().map(|r| r.clone().into_bytes()),
        enable_row_security: args.enable_row_security,
        quote_all_identifiers: false,
        print_data_locations: true,
        output_name: if output_name == "-" { "standard output".into() } else { output_name.into() },
        progress: if args.verbose { Some(|message| eprintln!("{}: {message}", crate::program::name())) } else { None },
        schema_requested: true,
        tar_input: false,
    }
}

/// `valid_restrict_key`: non-empty and only ASCII letters and digits.
pub fn valid_restrict_key(key: &[u8]) -> bool {
    !key.is_empty() && key.iter().all(u8::is_ascii_alphanumeric)
}

/// A fresh random key of 63 characters from `[A-Za-z0-9]`, drawn from the operating
/// system's CSPRNG (rejection sampling keeps the 62 symbols equally likely).
pub fn generate_restrict_key() -> Result<Vec<u8>> {
    const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut key = Vec::with_capacity(RESTRICT_KEY_LEN);
    let mut pool = [0u8; 128];
    while key.len() < RESTRICT_KEY_LEN {
        getrandom::fill(&mut pool).map_err(|e| Error::Usage(format!("could not generate restrict key: {e}")))?;
        for &b in &pool {
            // 248 = 4 * 62: bytes at or above it would favour the first symbols.
            if b < 248 && key.len() < RESTRICT_KEY_LEN {
                key.push(ALPHABET[usize::from(b % 62)]);
            }
        }
    }
    Ok(key)
}

/// Standard input as a path the archive readers can open (and reopen) for seeking.
const STDIN_PATH: &str = "/dev/stdin";

/// Whether standard input is a regular file, hence seekable like a named archive.
fn stdin_is_regular_file() -> bool {
    std::fs::metadata(STDIN_PATH).map(|m| m.is_file()).unwrap_or(false)
}

/// Entry data straight from an opened archive.
struct ArchiveData<'a> {
    reader: &'a ArchiveReader,
}

impl DataSource for ArchiveData<'_> {
    fn entry_data(&mut self, entry: &TocEntry) -> pgark_formats::Result<Option<Box<dyn Read + '_>>> {
        let reader = self.reader.open_data(entry.dump_id)?;
        Ok(Some(reader))
    }

    fn large_objects(
        &mut self,
        entry: &TocEntry,
        each: &mut dyn FnMut(u32, &mut dyn Read) -> pgark_formats::Result<()>,
    ) -> pgark_formats::Result<()> {
        let mut blobs = self.reader.open_blobs(entry.dump_id)?;
        while let Some(mut blob) = blobs.next_blob()? {
            each(blob.oid, &mut blob.data)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_valid_and_distinct() {
        let a = generate_restrict_key().expect("key");
        let b = generate_restrict_key().expect("key");
        assert_eq!(a.len(), 63);
        assert!(valid_restrict_key(&a));
        assert_ne!(a, b);
    }

    #[test]
    fn key_validation() {
        assert!(valid_restrict_key(b"abcXYZ019"));
        assert!(!valid_restrict_key(b""));
        assert!(!valid_restrict_key(b"a b"));
        assert!(!valid_restrict_key(b"a-b"));
        assert!(!valid_restrict_key(b"a\nb"));
        assert!(!valid_restrict_key("é".as_bytes()));
    }
}
