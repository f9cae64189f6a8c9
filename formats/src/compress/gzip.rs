//! gzip compression: zlib streams (RFC 1950) inside custom archives, gzip files
//! (RFC 1952, as zlib's `gzopen` writes them: mtime 0, OS Unix) in directory archives.

use std::cell::RefCell;
use std::io::{Read, Write};

use flate2::{Compression, GzBuilder};

use super::{deflate_tail, CompressionSpec};

/// zlib level from a spec level (−1 = zlib's default, 6).
pub fn level(spec: &CompressionSpec) -> Compression {
    if (0..=9).contains(&spec.level) {
        Compression::new(spec.level as u32)
    } else {
        Compression::default()
    }
}

pub fn zlib_encoder<W: Write>(spec: &CompressionSpec, w: W) -> flate2::write::ZlibEncoder<W> {
    flate2::write::ZlibEncoder::new(w, level(spec))
}

pub fn gzip_encoder<W: Write>(spec: &CompressionSpec, w: W) -> flate2::write::GzEncoder<W> {
    GzBuilder::new()
        .mtime(0)
        .operating_system(3)
        .write(w, level(spec))
}

/// The two-byte zlib header zlib writes for a level (FLEVEL bits + check bits).
pub fn zlib_header(spec: &CompressionSpec) -> [u8; 2] {
    match spec.level {
        0 | 1 => [0x78, 0x01],
        2..=5 => [0x78, 0x5e],
        7..=9 => [0x78, 0xda],
        _ => [0x78, 0x9c],
    }
}

/// The 10-byte gzip file header zlib's `gzopen` writes (no name, mtime 0, OS Unix).
pub fn gzip_header(spec: &CompressionSpec) -> [u8; 10] {
    let xfl = match spec.level {
        1 => 4,
        9 => 2,
        _ => 0,
    };
    [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3]
}

/// Decompresses one zlib stream; bytes after its end are ignored (as pg_restore does).
pub type ZlibStreamReader<R> = flate2::read::ZlibDecoder<R>;

/// Decompresses a gzip file of one or more members (zlib's `gzread` accepts both).
pub type GzipFileReader<R> = flate2::read::MultiGzDecoder<R>;

/// Adler-32 of `data` continuing from `adler` (start with 1); libdeflate's vectorised
/// implementation.
pub fn adler32(adler: u32, data: &[u8]) -> u32 {
    let mut a = libdeflater::Adler32::with_initial(adler);
    a.update(data);
    a.sum()
}

/// Adler-32 of `A || B` from adler(A), adler(B) and len(B) (zlib's `adler32_combine`).
pub fn adler32_combine(adler1: u32, adler2: u32, len2: u64) -> u32 {
    const BASE: u64 = 65521;
    let rem = len2 % BASE;
    let mut sum1 = u64::from(adler1 & 0xffff);
    let mut sum2 = (rem * sum1) % BASE;
    sum1 += u64::from(adler2 & 0xffff) + BASE - 1;
    sum2 += u64::from(adler1 >> 16) + u64::from(adler2 >> 16) + BASE - rem;
    if sum1 >= BASE {
        sum1 -= BASE;
    }
    if sum1 >= BASE {
        sum1 -= BASE;
    }
    if sum2 >= BASE << 1 {
        sum2 -= BASE << 1;
    }
    if sum2 >= BASE {
        sum2 -= BASE;
    }
    (sum1 | (sum2 << 16)) as u32
}

/// libdeflate's level when no level is given (zlib's default, −1). libdeflate's levels
/// are not zlib's: its level 4 already compresses table data (COPY text) at least as
/// well as zlib's default level 6, at about 1.3x zlib-rs's speed (benches/compress).
pub const LIBDEFLATE_DEFAULT_LEVEL: i32 = 4;

/// libdeflate's level for a spec level: 1–9 as given, zlib's default (−1) as
/// [`LIBDEFLATE_DEFAULT_LEVEL`].
pub fn libdeflate_level(spec: &CompressionSpec) -> i32 {
    if (1..=9).contains(&spec.level) {
        spec.level
    } else {
        LIBDEFLATE_DEFAULT_LEVEL
    }
}

/// A compression thread's libdeflate state, kept between members.
struct Libdeflate {
    level: i32,
    compressor: libdeflater::Compressor,
    /// Output space for the worst case, reused: a fresh buffer of that size per member
    /// would be mapped and faulted in each time.
    scratch: Vec<u8>,
}

thread_local! {
    /// One per compression thread: libdeflate's tables are several hundred KiB, too
    /// much to allocate per member.
    static LIBDEFLATE: RefCell<Option<Libdeflate>> = const { RefCell::new(None) };
}

/// Raw deflate of `data` ending in a sync flush (byte aligned, no final block), so that
/// such pieces concatenate into one valid deflate stream. libdeflate compresses the
/// whole buffer (faster than zlib at the same level, and smaller); its final block is
/// then made non-final ([`deflate_tail::unfinalize`]).
pub fn deflate_sync_flushed(spec: &CompressionSpec, data: &[u8]) -> std::io::Result<Vec<u8>> {
    if data.is_empty() {
        return Ok(deflate_tail::EMPTY_PIECE.to_vec());
    }
    let level = libdeflate_level(spec);
    LIBDEFLATE.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.as_ref().is_none_or(|state| state.level != level) {
            let lvl = libdeflater::CompressionLvl::new(level).map_err(|e| {
                std::io::Error::other(format!("libdeflate compression level {level}: {e:?}"))
            })?;
            *slot = Some(Libdeflate {
                level,
                compressor: libdeflater::Compressor::new(lvl),
                scratch: Vec::new(),
            });
        }
        let Some(state) = slot.as_mut() else {
            return Err(std::io::Error::other("libdeflate compressor missing"));
        };
        let bound = state.compressor.deflate_compress_bound(data.len());
        state.scratch.clear();
        state.scratch.resize(bound, 0);
        let n = state
            .compressor
            .deflate_compress(data, &mut state.scratch)
            .map_err(|e| std::io::Error::other(format!("libdeflate: {e:?}")))?;
        state.scratch.truncate(n);
        deflate_tail::unfinalize(&mut state.scratch).map_err(std::io::Error::other)?;
        // An exact copy: members may wait in memory for the archive writer.
        Ok(state.scratch.clone())
    })
}

/// An empty final deflate block (fixed Huffman, end-of-block only), byte aligned input.
pub const FINAL_EMPTY_BLOCK: [u8; 2] = [0x03, 0x00];

/// Reads a whole small gzip/zlib input (tests).
pub fn read_all<R: Read>(mut r: R) -> std::io::Result<Vec<u8>> {
    let mut v = Vec::new();
    r.read_to_end(&mut v)?;
    Ok(v)
}
