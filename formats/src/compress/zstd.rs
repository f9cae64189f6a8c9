//! zstd frames (spec §7.2), level and long-distance mode as pg_dump sets them; the
//! reader accepts concatenated frames.

use std::io::{self, BufRead, BufReader, Read, Write};

use super::CompressionSpec;

pub fn encoder<W: Write>(
    spec: &CompressionSpec,
    w: W,
) -> io::Result<zstd::stream::write::Encoder<'static, W>> {
    let mut e = zstd::stream::write::Encoder::new(w, spec.level)?;
    if let Some(long) = spec.long_distance {
        e.long_distance_matching(long)?;
    }
    Ok(e)
}

/// Reads zstd frames; window sizes up to 2^27 (libzstd's default limit, and what
/// `zstd:long` uses). An empty input is an empty stream (pg_dump leaves the file of an
/// empty large object empty).
pub enum ZstdReader<R: Read> {
    Pending(Option<BufReader<R>>),
    Active(Box<zstd::stream::read::Decoder<'static, BufReader<R>>>),
    Empty,
}

pub fn decoder<R: Read>(r: R) -> io::Result<ZstdReader<R>> {
    Ok(ZstdReader::Pending(Some(BufReader::with_capacity(
        zstd::zstd_safe::DCtx::in_size(),
        r,
    ))))
}

impl<R: Read> Read for ZstdReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let ZstdReader::Pending(pending) = self {
            let Some(mut input) = pending.take() else {
                return Ok(0);
            };
            if input.fill_buf()?.is_empty() {
                *self = ZstdReader::Empty;
                return Ok(0);
            }
            let mut d = zstd::stream::read::Decoder::with_buffer(input)?;
            d.window_log_max(27)?;
            *self = ZstdReader::Active(Box::new(d));
        }
        match self {
            ZstdReader::Active(d) => d.read(buf),
            _ => Ok(0),
        }
    }
}

/// One complete frame of `data` (a member for concatenation).
pub fn compress_frame(spec: &CompressionSpec, data: &[u8]) -> io::Result<Vec<u8>> {
    let mut e = encoder(spec, Vec::with_capacity(data.len() / 3 + 64))?;
    e.write_all(data)?;
    e.finish()
}
