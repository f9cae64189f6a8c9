//! Independently compressed members of one data stream, so several threads can
//! compress pieces of one table and a single writer stitches them together in order.
//!
//! What stock pg_restore accepts (checked against `compress_*.c` and by tests that run
//! stock pg_restore 16–18 on such archives):
//! * gzip: pg_restore inflates exactly one zlib stream per custom-format data stream and
//!   would spin on a second one, so members are not separate streams. Each member is a
//!   raw deflate piece ending in a sync flush (byte aligned, no final block); the
//!   writer emits one zlib (or gzip-file) header, the pieces in order, an empty final
//!   block and a trailer whose Adler-32 (CRC-32 for gzip files) is combined from the
//!   members' checksums. The result is one ordinary deflate stream (pigz's technique).
//! * lz4: each member is a complete LZ4 frame; pg_restore's LZ4F decompression context
//!   starts a new frame after each end mark, in custom chunks and directory files.
//! * zstd: each member is a complete zstd frame. Directory files may concatenate frames
//!   freely; in custom format pg_restore drops the rest of a chunk after a frame ends,
//!   so the writer puts every member in chunks of its own.
//! * none: members are raw bytes.

use crc32fast::Hasher as Crc32;

use super::{gzip, lz4, zstd, CompressionAlgorithm, CompressionSpec, Container};
use crate::error::{Error, Result};

/// One independently compressed piece, made by [`CompressedMember::compress`] on any
/// thread and handed to a writer's `write_compressed_member` in stream order.
#[derive(Debug, Clone)]
pub struct CompressedMember {
    algorithm: CompressionAlgorithm,
    container: Container,
    bytes: Vec<u8>,
    raw_len: u64,
    /// Adler-32 (custom stream) or CRC-32 (directory file) of the raw bytes; gzip only.
    check: u32,
}

impl CompressedMember {
    /// Compresses `data` as one member for a stream of `spec` in `container`.
    pub fn compress(spec: &CompressionSpec, container: Container, data: &[u8]) -> Result<Self> {
        let err =
            |e: std::io::Error| Error::Unsupported(format!("compressing a member failed: {e}"));
        let (bytes, check) = match spec.algorithm {
            CompressionAlgorithm::None => (data.to_vec(), 0),
            CompressionAlgorithm::Gzip => {
                let check = match container {
                    Container::CustomStream => gzip::adler32(1, data),
                    Container::DirectoryFile => crc32fast::hash(data),
                };
                (gzip::deflate_sync_flushed(spec, data).map_err(err)?, check)
            }
            CompressionAlgorithm::Lz4 => (lz4::compress_frame(spec, data).map_err(err)?, 0),
            CompressionAlgorithm::Zstd => (zstd::compress_frame(spec, data).map_err(err)?, 0),
        };
        Ok(CompressedMember {
            algorithm: spec.algorithm,
            container,
            bytes,
            raw_len: data.len() as u64,
            check,
        })
    }

    /// Like [`CompressedMember::compress`], taking the buffer: for algorithm "none" the
    /// buffer itself becomes the member, without a copy.
    pub fn compress_owned(
        spec: &CompressionSpec,
        container: Container,
        data: Vec<u8>,
    ) -> Result<Self> {
        if spec.algorithm != CompressionAlgorithm::None {
            return Self::compress(spec, container, &data);
        }
        Ok(CompressedMember {
            algorithm: spec.algorithm,
            container,
            raw_len: data.len() as u64,
            bytes: data,
            check: 0,
        })
    }

    /// Separates the compressed bytes from what describes them, so the bytes can be
    /// kept elsewhere (a spool file) and the member rebuilt with [`MemberShape::rejoin`].
    pub fn into_parts(self) -> (MemberShape, Vec<u8>) {
        (
            MemberShape {
                algorithm: self.algorithm,
                container: self.container,
                raw_len: self.raw_len,
                check: self.check,
            },
            self.bytes,
        )
    }

    pub fn algorithm(&self) -> CompressionAlgorithm {
        self.algorithm
    }
    pub fn container(&self) -> Container {
        self.container
    }
    pub fn compressed_len(&self) -> usize {
        self.bytes.len()
    }
    pub fn raw_len(&self) -> u64 {
        self.raw_len
    }
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// Everything of a [`CompressedMember`] but its bytes.
#[derive(Debug, Clone, Copy)]
pub struct MemberShape {
    algorithm: CompressionAlgorithm,
    container: Container,
    raw_len: u64,
    check: u32,
}

impl MemberShape {
    /// The member again, with the bytes [`CompressedMember::into_parts`] gave.
    pub fn rejoin(self, bytes: Vec<u8>) -> CompressedMember {
        CompressedMember {
            algorithm: self.algorithm,
            container: self.container,
            bytes,
            raw_len: self.raw_len,
            check: self.check,
        }
    }
}

/// Stitches members into one stream; used by the writers.
pub(crate) struct MemberStream {
    spec: CompressionSpec,
    container: Container,
    started: bool,
    any_member: bool,
    adler: u32,
    crc: Crc32,
    total: u64,
}

impl MemberStream {
    pub(crate) fn new(spec: CompressionSpec, container: Container) -> Self {
        MemberStream {
            spec,
            container,
            started: false,
            any_member: false,
            adler: 1,
            crc: Crc32::new(),
            total: 0,
        }
    }

    fn start(&mut self, out: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()> {
        if !self.started {
            self.started = true;
            if self.spec.algorithm == CompressionAlgorithm::Gzip {
                match self.container {
                    Container::CustomStream => out(&gzip::zlib_header(&self.spec))?,
                    Container::DirectoryFile => out(&gzip::gzip_header(&self.spec))?,
                }
            }
        }
        Ok(())
    }

    /// Emits one member; `out` receives byte runs that belong to this member only.
    pub(crate) fn push(
        &mut self,
        m: &CompressedMember,
        out: &mut dyn FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        if m.algorithm != self.spec.algorithm || m.container != self.container {
            return Err(Error::Unsupported(format!(
                "compressed member ({} for {:?}) does not match the stream ({} for {:?})",
                m.algorithm.name(),
                m.container,
                self.spec.algorithm.name(),
                self.container
            )));
        }
        self.start(out)?;
        if self.spec.algorithm == CompressionAlgorithm::Gzip {
            match self.container {
                Container::CustomStream => {
                    self.adler = gzip::adler32_combine(self.adler, m.check, m.raw_len)
                }
                Container::DirectoryFile => {
                    let mut c = std::mem::replace(&mut self.crc, Crc32::new());
                    c.combine(&Crc32::new_with_initial_len(m.check, m.raw_len));
                    self.crc = c;
                }
            }
        }
        self.total += m.raw_len;
        self.any_member = true;
        if !m.bytes.is_empty() {
            out(&m.bytes)?;
        }
        Ok(())
    }

    /// Ends the stream (gzip: final block + trailer; others: an empty frame if no member).
    pub(crate) fn finish(mut self, out: &mut dyn FnMut(&[u8]) -> Result<()>) -> Result<()> {
        match self.spec.algorithm {
            CompressionAlgorithm::Gzip => {
                self.start(out)?;
                let mut tail = gzip::FINAL_EMPTY_BLOCK.to_vec();
                match self.container {
                    Container::CustomStream => tail.extend_from_slice(&self.adler.to_be_bytes()),
                    Container::DirectoryFile => {
                        tail.extend_from_slice(&self.crc.clone().finalize().to_le_bytes());
                        tail.extend_from_slice(&(self.total as u32).to_le_bytes());
                    }
                }
                out(&tail)
            }
            CompressionAlgorithm::Lz4 | CompressionAlgorithm::Zstd if !self.any_member => {
                let empty = CompressedMember::compress(&self.spec.clone(), self.container, &[])?;
                self.push(&empty, out)
            }
            _ => Ok(()),
        }
    }
}
