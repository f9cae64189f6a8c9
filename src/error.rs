//! pgark's error type. Every error names what failed and where; `main` alone turns
//! errors into messages and exit codes.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    /// A command or option that pgark accepts but does not do yet.
    #[error("{what}: not implemented yet")]
    NotImplemented { what: String },
    /// Bad usage that clap could not catch (conflicting options and the like).
    #[error("{0}")]
    Usage(String),
    /// An archive could not be read or written.
    #[error(transparent)]
    Archive(#[from] pgark_formats::Error),
    /// Entry selection failed: `--strict-names`, a `-L` list or a `--filter` file.
    #[error(transparent)]
    Select(#[from] pgark_formats::select::SelectError),
    /// Connection settings that cannot be used: a malformed connection string or URI, an
    /// unknown service, an invalid option value, unreadable certificates. libpq's wording.
    #[error("{0}")]
    ConnectionOptions(String),
    /// No host accepted the connection: one line per host (and address) tried, in libpq's
    /// shape (`connection to server at "h", port 5432 failed: ...`).
    #[error("{}", failures.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Connect { failures: Vec<crate::conn::ConnectFailure> },
    /// A restore into a database failed, or ended with errors ignored.
    #[error("{0}")]
    Restore(String),
    /// A cluster dump (pg_dumpall) failed: a catalog query, or what it returned.
    #[error("{0}")]
    Dumpall(String),
    /// `pgark dump`: a catalog query failed or returned something unexpected.
    #[error("{0}")]
    Catalog(#[from] crate::catalog::CatalogError),
    /// Reading or writing a file outside an archive.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// The process exit status this error ends with: 2 for usage and not-implemented
    /// (as clap reports usage errors), 1 for everything that went wrong at run time.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::NotImplemented { .. } | Error::Usage(_) => 2,
            _ => 1,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
