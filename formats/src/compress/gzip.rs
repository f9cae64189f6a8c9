//! gzip compression: zlib streams (RFC 1950) inside custom archives, gzip files
//! (RFC 1952, as zlib's `gzopen` writes them: mtime 0, OS Unix) in directory archives.

use std::io::{Read, Write};

use flate2::{Compression, GzBuilder};

use super::CompressionSpec;

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

/// Adler-32 of `data` continuing from `adler` (start with 1).
pub fn adler32(mut adler: u32, data: &[u8]) -> u32 {
    const BASE: u32 = 65521;
    const NMAX: usize = 5552;
    let mut a = adler & 0xffff;
    let mut b = adler >> 16;
    for block in data.chunks(NMAX) {
        for &byte in block {
            a += u32::from(byte);
            b += a;
        }
        a %= BASE;
        b %= BASE;
    }
    adler = (b << 16) | a;
    adler
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

/// Raw deflate of `data` ending in a sync flush (byte aligned, no final block), so that
/// such pieces concatenate into one valid deflate stream.
pub fn deflate_sync_flushed(spec: &CompressionSpec, data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut c = flate2::Compress::new(level(spec), false);
    let mut out = Vec::with_capacity(data.len() / 2 + 1024);
    while (c.total_in() as usize) < data.len() {
        if out.capacity() - out.len() < 1024 {
            out.reserve(64 * 1024);
        }
        c.compress_vec(
            &data[c.total_in() as usize..],
            &mut out,
            flate2::FlushCompress::None,
        )
        .map_err(std::io::Error::other)?;
    }
    // zlib: a flush is complete when it returns with output space left.
    loop {
        if out.capacity() - out.len() < 1024 {
            out.reserve(64 * 1024);
        }
        c.compress_vec(&[], &mut out, flate2::FlushCompress::Sync)
            .map_err(std::io::Error::other)?;
        if out.len() < out.capacity() {
            break;
        }
    }
    Ok(out)
}

/// An empty final deflate block (fixed Huffman, end-of-block only), byte aligned input.
pub const FINAL_EMPTY_BLOCK: [u8; 2] = [0x03, 0x00];

/// Reads a whole small gzip/zlib input (tests).
pub fn read_all<R: Read>(mut r: R) -> std::io::Result<Vec<u8>> {
    let mut v = Vec::new();
    r.read_to_end(&mut v)?;
    Ok(v)
}
