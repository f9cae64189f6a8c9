//! The crate's one error type: every variant says what and where.

use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A fatal condition while rendering a SQL script, worded as pg_restore words it
    /// (`don't know how to set owner for object type ...`, `invalid ENCODING item: ...`).
    #[error("{0}")]
    Script(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
