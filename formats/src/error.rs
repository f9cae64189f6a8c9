//! The crate's one error type: every variant says what and where (file, offset, entry).

use std::fmt;

use thiserror::Error;

use crate::model::DumpId;

/// Which TOC entry an error is about: dump ID, desc and tag, as pg_restore names entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRef {
    pub dump_id: DumpId,
    pub desc: String,
    pub tag: String,
}

impl fmt::Display for EntryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "entry {} ({} {})", self.dump_id, self.desc, self.tag)
    }
}

impl EntryRef {
    pub fn of(entry: &crate::model::TocEntry) -> Self {
        EntryRef {
            dump_id: entry.dump_id,
            desc: String::from_utf8_lossy(entry.desc.as_bytes()).into_owned(),
            tag: String::from_utf8_lossy(entry.tag.as_deref().unwrap_or_default()).into_owned(),
        }
    }
}

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// An output file could not be written (stock's `could not write to output file:
    /// %m`, here with the file named; `-` and standard output are not named).
    #[error(
        "could not write to output file{}: {}",
        output_name(path),
        os_text(source)
    )]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// An output file could not be created (stock's `could not open output file "%s": %m`).
    #[error("could not open output file \"{path}\": {}", os_text(source))]
    OpenOutput {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The input ended inside a field.
    #[error("{file}: unexpected end of file at offset {offset} while reading {what}")]
    Truncated {
        file: String,
        offset: u64,
        what: String,
    },
    /// The first bytes are not `PGDMP` (or, for tar, not a valid tar header).
    #[error("{file}: {detail}")]
    BadMagic { file: String, detail: String },
    /// Archive version outside 1.0 ..= 1.16.
    #[error("{file}: unsupported version ({version}) in file header")]
    UnsupportedVersion { file: String, version: String },
    /// A length field larger than the input could hold, or negative.
    #[error("{file}: invalid length {length} at offset {offset} while reading {what}")]
    AbsurdLength {
        file: String,
        offset: u64,
        length: i64,
        what: String,
    },
    /// Any other malformed field in the header, TOC or framing.
    #[error("{file}: {detail} at offset {offset}")]
    Corrupt {
        file: String,
        offset: u64,
        detail: String,
    },
    /// An entry's data could not be read: corrupt compressed stream, bad chunk, I/O.
    #[error("{file}: {entry}: {detail}")]
    Data {
        file: String,
        entry: EntryRef,
        detail: String,
    },
    /// A directory archive lacks a file the TOC names.
    #[error("{file}: {entry}: could not open file \"{member}\": no such file (also tried .gz, .lz4, .zst)")]
    MissingMember {
        file: String,
        member: String,
        entry: EntryRef,
    },
    /// A tar archive (read as a stream) holds an entry's member before one already read.
    #[error("{file}: {entry}: restoring data out of order is not supported in this archive format: member \"{member}\" was already passed")]
    OutOfOrder {
        file: String,
        member: String,
        entry: EntryRef,
    },
    /// A custom archive has no data block for an entry that should have one.
    #[error("{file}: {entry}: could not find block ID {} in archive", entry.dump_id)]
    BlockNotFound { file: String, entry: EntryRef },
    /// The caller asked for a dump ID the TOC does not have.
    #[error("{file}: no TOC entry with dump ID {dump_id}")]
    NoSuchEntry { file: String, dump_id: DumpId },
    /// A `-Z` value pg_dump would reject; the text is pg_dump's own message.
    #[error("{0}")]
    CompressionSpec(String),
    /// A request the chosen archive version/format cannot represent, or writer misuse.
    #[error("{0}")]
    Unsupported(String),
    /// A fatal condition while rendering a SQL script, worded as pg_restore words it
    /// (`don't know how to set owner for object type ...`, `invalid ENCODING item: ...`).
    #[error("{0}")]
    Script(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl fmt::Display, source: std::io::Error) -> Self {
        // An io::Error that already carries one of our errors (from a data reader) is
        // unwrapped so the message is not doubled.
        if source.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            let kind = source.kind();
            return match source.into_inner().map(|b| b.downcast::<Error>()) {
                Some(Ok(e)) => *e,
                Some(Err(other)) => Error::Io {
                    path: path.to_string(),
                    source: std::io::Error::new(kind, other),
                },
                None => Error::Io {
                    path: path.to_string(),
                    source: kind.into(),
                },
            };
        }
        Error::Io {
            path: path.to_string(),
            source,
        }
    }

    /// A failed write to the output file `path`; an `io::Error` that only carries one of
    /// this crate's errors is unwrapped, as in [`Error::io`].
    pub fn write(path: impl fmt::Display, source: std::io::Error) -> Self {
        if source.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            return Error::io(path, source);
        }
        Error::Write {
            path: path.to_string(),
            source,
        }
    }

    /// A failed creation of the output file `path`.
    pub fn open_output(path: impl fmt::Display, source: std::io::Error) -> Self {
        Error::OpenOutput {
            path: path.to_string(),
            source,
        }
    }

    /// Wraps this error as an `io::Error` so `Read` implementations can return it.
    pub(crate) fn into_io(self) -> std::io::Error {
        std::io::Error::other(self)
    }
}

/// An I/O error as C's `%m` words it: Rust's text without its " (os error N)" tail.
pub(crate) fn os_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(cut) if text.ends_with(')') => text[..cut].to_string(),
        _ => text,
    }
}

/// ` "path"` for a named output file; nothing for standard output.
fn output_name(path: &str) -> String {
    if path.is_empty() || path == "-" || path == "standard output" {
        String::new()
    } else {
        format!(" \"{path}\"")
    }
}
