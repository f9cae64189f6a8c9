//! No compression: streams are the raw bytes. Custom-format writers still frame them
//! in chunks; this module only fixes the chunk size used when buffering.

/// Bytes buffered before a chunk is emitted (pg_dump's `DEFAULT_IO_BUFFER_SIZE` is 128 KiB
/// in 16+; any non-zero size is readable).
pub const CHUNK_SIZE: usize = 128 * 1024;
