//! Custom format (`-Fc`, spec §4): header + TOC with per-entry offsets, then data
//! blocks of chunk-framed compressed streams.

pub mod reader;
pub mod stream;
pub mod writer;

pub use reader::{CustomBlobs, CustomReader};
pub use stream::{CustomStreamBlobs, CustomStreamReader};
pub use writer::CustomWriter;

/// Block type byte of table data (§4.2).
pub const BLOCK_DATA: u8 = 1;
/// Block type byte of a large-object block.
pub const BLOCK_BLOBS: u8 = 3;
