//! `pgark list ARCHIVE` and `pgark restore -l`: print an archive's table of contents
//! exactly as `pg_restore -l` does, with the restore command's selection options
//! (`-n`, `-t`, `-s`, `--section`, `-L`, ...) deciding which entries appear.

use crate::cli::list::ListArgs;
use crate::cli::restore::RestoreArgs;
use crate::cli::FormatArg;
use crate::commands::restore_options::{load_use_list, report_ignored_lines, selection_from_args};
use crate::{Error, Result};
use pgark_formats::archive::{ArchiveFormat, ArchiveReader};
use pgark_formats::list::{render_listing, ListOptions};
use pgark_formats::model::FormatCode;
use pgark_formats::select::{plan, Selection};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `pgark list ARCHIVE [-F fmt] [-f FILE]`: the listing of plain `pg_restore -l`.
pub fn run_list(args: &ListArgs) -> Result<()> {
    let archive = open_archive(Some(&args.archive), args.format)?;
    let selection = Selection::default();
    let listing = listing_for(&archive, &selection, &ListOptions::default());
    write_output(args.file.as_deref(), &listing)
}

/// `pgark restore -l ...`: the listing with the command line's selection. Option
/// checks (`restore_options::check_restore_args`) are the caller's.
pub fn run_restore_list(args: &RestoreArgs) -> Result<()> {
    let mut selection = selection_from_args(args)?;
    let archive = open_archive(args.archive.as_deref(), args.format)?;
    if let Some(path) = &args.use_list {
        let parsed = load_use_list(path, archive.reader.toc())?;
        report_ignored_lines(&parsed);
        selection.use_list = Some(parsed.list);
    }
    let options = ListOptions { verbose: args.verbose, ..ListOptions::default() };
    let listing = listing_for(&archive, &selection, &options);
    write_output(args.file.as_deref(), &listing)?;
    // Stock checks --strict-names after printing the listing.
    let decided = plan(archive.reader.toc(), &selection);
    decided.check_strict_names(&selection)?;
    Ok(())
}

fn listing_for(archive: &OpenedArchive, selection: &Selection, options: &ListOptions) -> Vec<u8> {
    let toc = archive.reader.toc();
    let format = match archive.reader.format() {
        ArchiveFormat::Custom => FormatCode::Custom,
        ArchiveFormat::Directory => FormatCode::Directory,
        ArchiveFormat::Tar => FormatCode::Tar,
    };
    render_listing(toc, format, &plan(toc, selection), options)
}

/// An opened archive; an archive read from standard input is spooled to a temporary
/// file first (the readers need a file), removed when this is dropped.
pub struct OpenedArchive {
    pub reader: ArchiveReader,
    spooled: Option<PathBuf>,
}

impl Drop for OpenedArchive {
    fn drop(&mut self) {
        if let Some(path) = &self.spooled {
            // Best effort: a leftover temporary file is harmless.
            let _ = std::fs::remove_file(path);
        }
    }
}

fn archive_format(arg: Option<FormatArg>) -> Result<Option<ArchiveFormat>> {
    match arg {
        None => Ok(None),
        Some(FormatArg::Custom) => Ok(Some(ArchiveFormat::Custom)),
        Some(FormatArg::Directory) => Ok(Some(ArchiveFormat::Directory)),
        Some(FormatArg::Tar) => Ok(Some(ArchiveFormat::Tar)),
        Some(FormatArg::Plain) => {
            Err(Error::Usage("archive format \"plain\" is not supported; please use psql".to_string()))
        }
    }
}

/// Opens the archive named on the command line (standard input when `None`),
/// detecting its format unless `-F` names one.
pub fn open_archive(path: Option<&str>, format: Option<FormatArg>) -> Result<OpenedArchive> {
    let format = archive_format(format)?;
    let (path, spooled) = match path {
        Some(p) => (PathBuf::from(p), None),
        None => {
            let spool = spool_stdin()?;
            (spool.clone(), Some(spool))
        }
    };
    let opened = |p: &Path| match format {
        Some(f) => ArchiveReader::open_as(p, f),
        None => ArchiveReader::open(p),
    };
    match opened(&path) {
        Ok(reader) => Ok(OpenedArchive { reader, spooled }),
        Err(e) => {
            if let Some(s) = &spooled {
                let _ = std::fs::remove_file(s);
            }
            Err(e.into())
        }
    }
}

fn spool_stdin() -> Result<PathBuf> {
    let path = std::env::temp_dir().join(format!("pgark-stdin-{}.archive", std::process::id()));
    let io_err = |source| Error::Io { path: path.display().to_string(), source };
    let mut file = std::fs::File::create(&path).map_err(io_err)?;
    let copied = std::io::copy(&mut std::io::stdin().lock(), &mut file);
    if let Err(source) = copied.and_then(|_| file.flush()) {
        let _ = std::fs::remove_file(&path);
        return Err(io_err(source));
    }
    Ok(path)
}

/// Writes to `-f FILE` (`-` or none: standard output).
fn write_output(file: Option<&str>, bytes: &[u8]) -> Result<()> {
    match file {
        None | Some("-") => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)
                .and_then(|_| out.flush())
                .map_err(|source| Error::Io { path: "standard output".to_string(), source })
        }
        Some(path) => std::fs::write(path, bytes).map_err(|source| Error::Io { path: path.to_string(), source }),
    }
}
