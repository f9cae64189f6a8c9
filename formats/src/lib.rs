//! pg_dump's archive formats, read and written without a database.
//!
//! The field-by-field specification is `shared/formats/ARCHIVE-FORMAT.md`; this crate
//! depends on no database or async crate, so it can be tested with byte literals and
//! archives made by the stock tools.
//!
//! Entry points: [`ArchiveReader::open`] (any format; `toc()`, `open_data(dump_id)`,
//! `open_blobs(dump_id)`, `size_estimate`) and [`ArchiveWriter::create`] (custom,
//! directory, tar at 1.14 – 1.16); [`CompressionSpec::parse`] for `-Z` values.
//!
//! # Multi-threaded compression that stock pg_restore reads
//!
//! A table's data may be compressed on several threads as independent
//! [`compress::member::CompressedMember`]s and written in order with
//! `begin_data_members` / `write_compressed_member`. Each algorithm's members are
//! stitched so that stock pg_restore sees what it already reads:
//! gzip members are sync-flushed raw deflate pieces joined into **one** zlib stream
//! (custom) or gzip file (directory) with a combined checksum — pg_restore inflates a
//! single zlib stream and would spin on concatenated ones; lz4 members are complete
//! frames (liblz4's decompression context continues across frames); zstd members are
//! complete frames, and in custom format each sits in chunks of its own because
//! pg_restore discards the rest of a chunk after a frame ends. Tests in
//! `compat-tests/tests/formats_stock.rs` restore such archives with stock pg_restore.

pub mod archive;
pub mod codec;
pub mod compress;
pub mod custom;
pub mod detect;
pub mod directory;
pub mod error;
pub mod filter;
pub mod keywords;
pub mod list;
pub mod model;
pub mod quote;
pub mod script;
pub mod select;
pub mod tar;
pub mod unfinished;
pub mod version;

pub use archive::{new_header, ArchiveFormat, ArchiveReader, ArchiveWriter, Blob, Blobs, DataReader, WriteOptions};
pub use compress::CompressionSpec;
pub use error::{EntryRef, Error, Result};
pub use model::{CatalogId, Desc, DumpId, Header, Section, Toc, TocEntry};
pub use version::ArchiveVersion;
