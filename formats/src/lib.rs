//! pg_dump's archive formats, read and written without a database.
//!
//! The field-by-field specification is `shared/formats/ARCHIVE-FORMAT.md`; this crate
//! depends on no database or async crate, so it can be tested with byte literals and
//! archives made by the stock tools.

pub mod error;
pub mod keywords;
pub mod filter;
pub mod list;
pub mod model;
pub mod quote;
pub mod script;
pub mod select;
pub mod version;

pub use error::{Error, Result};
pub use model::{CatalogId, Desc, DumpId, Header, Section, Toc, TocEntry};
pub use version::ArchiveVersion;
