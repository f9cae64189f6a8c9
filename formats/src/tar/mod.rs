//! Tar format (`-Ft`, spec §6): ustar members `toc.dat`, `<dumpId>.dat`,
//! `blob_<oid>.dat`, the large-object TOC, `restore.sql`, then two zero blocks.

pub mod header;
pub mod reader;
pub mod stream;
pub mod writer;

pub use reader::{TarBlobs, TarReader};
pub use stream::{TarStreamBlobs, TarStreamReader};
pub use writer::TarWriter;

/// Tar block size.
pub const BLOCK: usize = 512;
