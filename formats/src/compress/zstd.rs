//! zstd frames (spec §7.2), level and long-distance mode as pg_dump sets them; the
//! reader accepts concatenated frames.

use std::cell::RefCell;
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

/// The settings a compression context was made for: level and long-distance mode.
type ContextSettings = (i32, Option<bool>);

thread_local! {
    /// Each compression thread keeps one compression context for its settings: a fresh
    /// context per member allocates and clears its tables each time.
    static CONTEXT: RefCell<Option<(ContextSettings, zstd::bulk::Compressor<'static>)>> =
        const { RefCell::new(None) };
}

/// One complete frame of `data` (a member for concatenation), compressed in one call
/// on the thread's reused context.
pub fn compress_frame(spec: &CompressionSpec, data: &[u8]) -> io::Result<Vec<u8>> {
    let settings = (spec.level, spec.long_distance);
    CONTEXT.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.as_ref().is_none_or(|(s, _)| *s != settings) {
            let mut c = zstd::bulk::Compressor::new(spec.level)?;
            if let Some(long) = spec.long_distance {
                c.set_parameter(zstd::zstd_safe::CParameter::EnableLongDistanceMatching(
                    long,
                ))?;
            }
            *slot = Some((settings, c));
        }
        let Some((_, c)) = slot.as_mut() else {
            return Err(io::Error::other("zstd compression context missing"));
        };
        let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(data.len()));
        c.compress_to_buffer(data, &mut out)?;
        // Members may wait in memory for the archive writer: keep only what they use.
        out.shrink_to_fit();
        Ok(out)
    })
}
