//! Compression of archive data (spec §7): pg_dump's `-Z` syntax ([`CompressionSpec`]),
//! streaming encoders and decoders per algorithm, and independently compressed
//! members that several threads can produce for one stream ([`member`]).
//!
//! Two containers exist per algorithm: the stream inside custom-format chunks
//! (zlib, LZ4 frame, zstd frame, raw) and the directory-format file (gzip file,
//! LZ4 frame, zstd frame, raw).

pub mod deflate_tail;
pub mod gzip;
pub mod lz4;
pub mod member;
pub mod none;
pub mod zstd;

use std::io::{self, Read, Write};

use crate::error::{Error, Result};
pub use crate::model::CompressionAlgorithm;
use crate::model::HeaderCompression;
use crate::version::ArchiveVersion;

/// Where a compressed stream lives: it decides gzip's wrapper (zlib vs gzip file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// Inside a custom archive's chunk framing (zlib for gzip).
    CustomStream,
    /// A directory-format data file (gzip file format for gzip).
    DirectoryFile,
}

/// zstd's level bounds (libzstd 1.5: `ZSTD_minCLevel()`, `ZSTD_maxCLevel()`, default 3).
pub const ZSTD_MIN_LEVEL: i32 = -(1 << 17);
pub const ZSTD_MAX_LEVEL: i32 = 22;
pub const ZSTD_DEFAULT_LEVEL: i32 = 3;

/// A parsed `-Z` / `--compress` value, as pg_dump 16+ understands it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompressionSpec {
    pub algorithm: CompressionAlgorithm,
    /// The level; gzip's default is −1 (zlib's `Z_DEFAULT_COMPRESSION`), lz4's 0 (fast
    /// mode), zstd's 3, none's 0.
    pub level: i32,
    /// zstd `long` (long-distance matching); `None` when not given.
    pub long_distance: Option<bool>,
    /// zstd `workers=N`: parsed and validated, but pg_dump ignores it with a warning
    /// ("compression option \"workers\" is not currently supported by pg_dump").
    pub workers: Option<i32>,
}

impl Default for CompressionSpec {
    fn default() -> Self {
        CompressionSpec::gzip_default()
    }
}

impl CompressionSpec {
    pub const fn none() -> Self {
        CompressionSpec {
            algorithm: CompressionAlgorithm::None,
            level: 0,
            long_distance: None,
            workers: None,
        }
    }
    pub const fn gzip_default() -> Self {
        CompressionSpec {
            algorithm: CompressionAlgorithm::Gzip,
            level: -1,
            long_distance: None,
            workers: None,
        }
    }
    pub fn default_for(algorithm: CompressionAlgorithm) -> Self {
        let level = match algorithm {
            CompressionAlgorithm::None | CompressionAlgorithm::Lz4 => 0,
            CompressionAlgorithm::Gzip => -1,
            CompressionAlgorithm::Zstd => ZSTD_DEFAULT_LEVEL,
        };
        CompressionSpec {
            algorithm,
            level,
            long_distance: None,
            workers: None,
        }
    }

    /// Parses pg_dump's `-Z` syntax: a bare integer (0 = none, 1–9 = gzip level),
    /// `ALGORITHM`, `ALGORITHM:LEVEL` or `ALGORITHM:key[=value],...` with keys `level`,
    /// `long`, `workers`. Errors carry pg_dump's message text (without the
    /// `pg_dump: error: ` prefix).
    pub fn parse(option: &str) -> Result<Self> {
        let (alg_name, detail) = match strtol_whole(option) {
            Some(0) => ("none", None),
            Some(_) => ("gzip", Some(option)),
            None => match option.split_once(':') {
                None => (option, None),
                Some((a, d)) => (a, Some(d)),
            },
        };
        let algorithm = match alg_name {
            "none" => CompressionAlgorithm::None,
            "gzip" => CompressionAlgorithm::Gzip,
            "lz4" => CompressionAlgorithm::Lz4,
            "zstd" => CompressionAlgorithm::Zstd,
            other => {
                return Err(Error::CompressionSpec(format!(
                    "unrecognized compression algorithm: \"{other}\""
                )))
            }
        };
        let mut spec = CompressionSpec::default_for(algorithm);
        if let Some(detail) = detail {
            parse_detail(&mut spec, detail).map_err(invalid)?;
        }
        spec.validate().map_err(invalid)?;
        Ok(spec)
    }

    /// pg's `validate_compress_specification`.
    fn validate(&self) -> Result<(), String> {
        let name = self.algorithm.name();
        let (min, max, default) = match self.algorithm {
            CompressionAlgorithm::Gzip => (1, 9, -1),
            CompressionAlgorithm::Lz4 => (1, 12, 0),
            CompressionAlgorithm::Zstd => (ZSTD_MIN_LEVEL, ZSTD_MAX_LEVEL, ZSTD_DEFAULT_LEVEL),
            CompressionAlgorithm::None => {
                if self.level != 0 {
                    return Err(format!(
                        "compression algorithm \"{name}\" does not accept a compression level"
                    ));
                }
                (1, 1, 0)
            }
        };
        if (self.level < min || self.level > max) && self.level != default {
            return Err(format!(
                "compression algorithm \"{name}\" expects a compression level between {min} and {max} (default at {default})"
            ));
        }
        if self.workers.is_some() && self.algorithm != CompressionAlgorithm::Zstd {
            return Err(format!(
                "compression algorithm \"{name}\" does not accept a worker count"
            ));
        }
        if self.long_distance.is_some() && self.algorithm != CompressionAlgorithm::Zstd {
            return Err(format!(
                "compression algorithm \"{name}\" does not support long-distance mode"
            ));
        }
        Ok(())
    }

    /// How the header records this compression at `version` (1.14: level Int, 1.15+:
    /// algorithm byte). 1.14 knows only gzip and none.
    pub fn header_compression(&self, version: ArchiveVersion) -> Result<HeaderCompression> {
        if version >= ArchiveVersion::V1_15 {
            return Ok(HeaderCompression::Algorithm(self.algorithm));
        }
        match self.algorithm {
            CompressionAlgorithm::None => Ok(HeaderCompression::Level(0)),
            CompressionAlgorithm::Gzip => Ok(HeaderCompression::Level(self.level)),
            other => Err(Error::Unsupported(format!(
                "compression \"{}\" cannot be stored in archive version {version}: it supports only gzip or none",
                other.name()
            ))),
        }
    }
}

impl std::str::FromStr for CompressionSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        CompressionSpec::parse(s)
    }
}

fn invalid(detail: String) -> Error {
    Error::CompressionSpec(format!("invalid compression specification: {detail}"))
}

/// C `strtol(s, &end, 10)` with `*end == '\0'` required: optional leading whitespace and
/// sign, at least one digit, nothing after. Out-of-range values saturate like strtol.
fn strtol_whole(s: &str) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v = digits.bytes().fold(0i64, |acc, b| {
        acc.saturating_mul(10).saturating_add(i64::from(b - b'0'))
    });
    Some(if neg { -v } else { v })
}

/// strtol into a C int (pg assigns the long to an int).
fn strtol_int(s: &str) -> Option<i32> {
    strtol_whole(s).map(|v| v as i32)
}

/// pg's `parse_compress_specification` after the algorithm is known.
fn parse_detail(spec: &mut CompressionSpec, detail: &str) -> Result<(), String> {
    if let Some(level) = strtol_int(detail) {
        spec.level = level;
        return Ok(());
    }
    for item in detail.split(',') {
        let (keyword, value) = match item.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (item, None),
        };
        if keyword.is_empty() {
            return Err("found empty string where a compression option was expected".into());
        }
        let integer = |value: Option<&str>| -> Result<i32, String> {
            let v = value
                .ok_or_else(|| format!("compression option \"{keyword}\" requires a value"))?;
            strtol_int(v).ok_or_else(|| {
                format!("value for compression option \"{keyword}\" must be an integer")
            })
        };
        match keyword {
            "level" => spec.level = integer(value)?,
            "workers" => spec.workers = Some(integer(value)?),
            "long" => {
                spec.long_distance =
                    Some(match value.map(str::to_ascii_lowercase).as_deref() {
                        None | Some("yes" | "on" | "1") => true,
                        Some("no" | "off" | "0") => false,
                        Some(_) => return Err(format!(
                            "value for compression option \"{keyword}\" must be a Boolean value"
                        )),
                    })
            }
            other => return Err(format!("unrecognized compression option: \"{other}\"")),
        }
    }
    Ok(())
}

/// A streaming compressor for one data stream; `finish` writes the trailer.
pub struct Encoder<W: Write> {
    inner: EncoderKind<W>,
}

enum EncoderKind<W: Write> {
    None(W),
    Zlib(flate2::write::ZlibEncoder<W>),
    Gzip(flate2::write::GzEncoder<W>),
    Lz4(::lz4::Encoder<W>),
    Zstd(::zstd::stream::write::Encoder<'static, W>),
}

impl<W: Write> Encoder<W> {
    pub fn new(spec: &CompressionSpec, container: Container, w: W) -> io::Result<Self> {
        let inner = match (spec.algorithm, container) {
            (CompressionAlgorithm::None, _) => EncoderKind::None(w),
            (CompressionAlgorithm::Gzip, Container::CustomStream) => {
                EncoderKind::Zlib(gzip::zlib_encoder(spec, w))
            }
            (CompressionAlgorithm::Gzip, Container::DirectoryFile) => {
                EncoderKind::Gzip(gzip::gzip_encoder(spec, w))
            }
            (CompressionAlgorithm::Lz4, _) => EncoderKind::Lz4(lz4::encoder(spec, w)?),
            (CompressionAlgorithm::Zstd, _) => EncoderKind::Zstd(zstd::encoder(spec, w)?),
        };
        Ok(Encoder { inner })
    }

    /// Ends the stream and returns the underlying writer.
    pub fn finish(self) -> io::Result<W> {
        match self.inner {
            EncoderKind::None(w) => Ok(w),
            EncoderKind::Zlib(e) => e.finish(),
            EncoderKind::Gzip(e) => e.finish(),
            EncoderKind::Lz4(e) => {
                let (w, r) = e.finish();
                r.map(|()| w)
            }
            EncoderKind::Zstd(e) => e.finish(),
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.inner {
            EncoderKind::None(w) => w.write(buf),
            EncoderKind::Zlib(e) => e.write(buf),
            EncoderKind::Gzip(e) => e.write(buf),
            EncoderKind::Lz4(e) => e.write(buf),
            EncoderKind::Zstd(e) => e.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        // Flushing a compressor mid-stream would add sync markers; the streams are
        // only ever ended with `finish`.
        Ok(())
    }
}

/// A streaming decompressor over `r`. Truncated or corrupt input is an error, never
/// a silently short stream.
pub fn decoder<'a, R: Read + Send + 'a>(
    algorithm: CompressionAlgorithm,
    container: Container,
    r: R,
) -> io::Result<Box<dyn Read + Send + 'a>> {
    Ok(match (algorithm, container) {
        (CompressionAlgorithm::None, _) => Box::new(r),
        (CompressionAlgorithm::Gzip, Container::CustomStream) => {
            Box::new(gzip::ZlibStreamReader::new(r))
        }
        (CompressionAlgorithm::Gzip, Container::DirectoryFile) => {
            Box::new(gzip::GzipFileReader::new(r))
        }
        (CompressionAlgorithm::Lz4, _) => Box::new(lz4::decoder(r)),
        (CompressionAlgorithm::Zstd, _) => Box::new(zstd::decoder(r)?),
    })
}

/// The directory-format file suffix of an algorithm (§7.3).
pub fn file_suffix(algorithm: CompressionAlgorithm) -> &'static str {
    match algorithm {
        CompressionAlgorithm::None => "",
        CompressionAlgorithm::Gzip => ".gz",
        CompressionAlgorithm::Lz4 => ".lz4",
        CompressionAlgorithm::Zstd => ".zst",
    }
}

/// The algorithm a file name's suffix implies (pg_restore's discovery), if any.
pub fn algorithm_from_suffix(name: &str) -> Option<CompressionAlgorithm> {
    if name.ends_with(".gz") {
        Some(CompressionAlgorithm::Gzip)
    } else if name.ends_with(".lz4") {
        Some(CompressionAlgorithm::Lz4)
    } else if name.ends_with(".zst") {
        Some(CompressionAlgorithm::Zstd)
    } else {
        None
    }
}

/// A byte buffer an encoder writes into while its owner drains it (liblz4's encoder
/// offers no mutable access to its writer).
#[derive(Clone, Default)]
pub struct SharedBuf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl SharedBuf {
    pub fn len(&self) -> usize {
        self.0.lock().map(|v| v.len()).unwrap_or(0)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Takes the buffered bytes, leaving the buffer empty.
    pub fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("buffer lock poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
