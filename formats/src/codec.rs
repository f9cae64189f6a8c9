//! Primitive encodings (Int, Str, Offset; spec §1) and the header (§2) and TOC (§3)
//! codecs shared by all three formats.
//!
//! Readers track their byte offset so every error names file and position, and never
//! allocate more than the input can back: a Str length is checked against the known
//! remaining input, and when that is unknown (a pipe) the bytes are read in bounded
//! steps so a bogus length fails at end of input instead of allocating.

use std::io::{self, Read, Write};

use crate::error::{Error, Result};
use crate::model::{
    ArchiveTime, CatalogId, CompressionAlgorithm, CustomOffset, DataLocation, Desc, FormatCode,
    Header, HeaderCompression, Section, TocEntry,
};
use crate::version::ArchiveVersion;

/// The five bytes every custom file and `toc.dat` starts with.
pub const MAGIC: &[u8; 5] = b"PGDMP";

/// Largest Str we accept when the input size is unknown (pg_dump's lengths are C ints).
const MAX_STR_LEN: i64 = i32::MAX as i64;
/// Step in which Str bytes are read when the remaining input size is unknown.
const STR_STEP: usize = 64 * 1024;

/// A reader of the archive primitives that knows where it is.
pub struct ByteReader<R> {
    inner: R,
    pos: u64,
    /// Absolute end of the input when known (file size); lengths beyond it are rejected.
    end: Option<u64>,
    file: String,
    pub int_size: u8,
    pub off_size: u8,
    pub version: ArchiveVersion,
}

impl<R: Read> ByteReader<R> {
    /// `start` is the absolute offset of the first byte `inner` yields; `end` the input's
    /// size if known.
    pub fn new(inner: R, file: impl Into<String>, start: u64, end: Option<u64>) -> Self {
        ByteReader {
            inner,
            pos: start,
            end,
            file: file.into(),
            int_size: 4,
            off_size: 8,
            version: ArchiveVersion::CURRENT,
        }
    }

    pub fn position(&self) -> u64 {
        self.pos
    }

    pub fn file(&self) -> &str {
        &self.file
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Sets the primitive sizes and version from a header read elsewhere.
    pub fn configure(&mut self, header: &Header) {
        self.int_size = header.int_size;
        self.off_size = header.off_size;
        self.version = header.version;
    }

    /// Bytes left before the known end of input, if known.
    pub fn remaining(&self) -> Option<u64> {
        self.end.map(|e| e.saturating_sub(self.pos))
    }

    pub fn corrupt(&self, offset: u64, detail: impl Into<String>) -> Error {
        Error::Corrupt {
            file: self.file.clone(),
            offset,
            detail: detail.into(),
        }
    }

    fn fill(&mut self, buf: &mut [u8], what: &str) -> Result<()> {
        let mut done = 0;
        while done < buf.len() {
            match self.inner.read(&mut buf[done..]) {
                Ok(0) => {
                    return Err(Error::Truncated {
                        file: self.file.clone(),
                        offset: self.pos + done as u64,
                        what: what.to_string(),
                    })
                }
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(&self.file, e)),
            }
        }
        self.pos += buf.len() as u64;
        Ok(())
    }

    /// Reads a byte, or `None` at a clean end of input.
    pub fn read_byte_or_eof(&mut self) -> Result<Option<u8>> {
        let mut b = [0u8; 1];
        loop {
            match self.inner.read(&mut b) {
                Ok(0) => return Ok(None),
                Ok(_) => {
                    self.pos += 1;
                    return Ok(Some(b[0]));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(&self.file, e)),
            }
        }
    }

    pub fn read_byte(&mut self, what: &str) -> Result<u8> {
        let mut b = [0u8; 1];
        self.fill(&mut b, what)?;
        Ok(b[0])
    }

    pub fn read_bytes(&mut self, buf: &mut [u8], what: &str) -> Result<()> {
        self.fill(buf, what)
    }

    /// An Int (§1.2): sign byte (absent in 1.0) + `int_size` little-endian magnitude
    /// bytes. The magnitude must fit 32 bits (bytes beyond are zero), as every value a C
    /// `int` writer produces does.
    pub fn read_int(&mut self, what: &str) -> Result<i64> {
        let start = self.pos;
        let negative = if self.version > ArchiveVersion::V1_0 {
            self.read_byte(what)? != 0
        } else {
            false
        };
        let mut magnitude: u64 = 0;
        for i in 0..self.int_size as u32 {
            let b = self.read_byte(what)?;
            if i < 4 {
                magnitude |= u64::from(b) << (8 * i);
            } else if b != 0 {
                return Err(self.corrupt(start, format!("integer too large in {what}")));
            }
        }
        let v = magnitude as i64;
        Ok(if negative { -v } else { v })
    }

    /// An Int that must fit a C `int`.
    pub fn read_i32(&mut self, what: &str) -> Result<i32> {
        let start = self.pos;
        let v = self.read_int(what)?;
        i32::try_from(v)
            .map_err(|_| self.corrupt(start, format!("integer {v} out of range in {what}")))
    }

    /// A large-object OID passed through Int: signed on the wire, wrapped to `u32` (§1.2).
    pub fn read_oid_int(&mut self, what: &str) -> Result<u32> {
        let start = self.pos;
        let v = self.read_int(what)?;
        if !(-(1i64 << 32)..(1i64 << 32)).contains(&v) {
            return Err(self.corrupt(start, format!("OID {v} out of range in {what}")));
        }
        Ok(v as u32)
    }

    /// A Str (§1.3): `None` for length −1.
    pub fn read_str(&mut self, what: &str) -> Result<Option<Vec<u8>>> {
        let start = self.pos;
        let len = self.read_int(what)?;
        if len == -1 {
            return Ok(None);
        }
        let absurd = |r: &Self| Error::AbsurdLength {
            file: r.file.clone(),
            offset: start,
            length: len,
            what: what.to_string(),
        };
        if !(0..=MAX_STR_LEN).contains(&len) {
            return Err(absurd(self));
        }
        let len = len as u64;
        if let Some(rem) = self.remaining() {
            if len > rem {
                return Err(absurd(self));
            }
            let mut v = vec![0u8; len as usize];
            self.fill(&mut v, what)?;
            return Ok(Some(v));
        }
        // Unknown input size: grow only as bytes arrive.
        let mut v = Vec::with_capacity((len as usize).min(STR_STEP));
        let mut left = len as usize;
        let mut step = [0u8; STR_STEP];
        while left > 0 {
            let n = left.min(STR_STEP);
            self.fill(&mut step[..n], what)?;
            v.extend_from_slice(&step[..n]);
            left -= n;
        }
        Ok(Some(v))
    }

    /// A Str holding decimal text (OIDs, dependency IDs).
    fn read_decimal(&mut self, what: &str) -> Result<Option<u64>> {
        let start = self.pos;
        match self.read_str(what)? {
            None => Ok(None),
            Some(text) => parse_decimal(&text).map(Some).ok_or_else(|| {
                self.corrupt(
                    start,
                    format!(
                        "invalid number \"{}\" in {what}",
                        String::from_utf8_lossy(&text)
                    ),
                )
            }),
        }
    }

    /// The custom format's per-entry Offset (§1.5); before 1.7 a plain Int.
    pub fn read_offset(&mut self, what: &str) -> Result<CustomOffset> {
        let start = self.pos;
        if self.version < ArchiveVersion::V1_7 {
            let v = self.read_int(what)?;
            return Ok(match v {
                v if v < 0 => CustomOffset::PosNotSet,
                0 => CustomOffset::NoData,
                v => CustomOffset::PosSet(v as u64),
            });
        }
        let state = self.read_byte(what)?;
        let mut pos: u64 = 0;
        for i in 0..self.off_size as u32 {
            let b = self.read_byte(what)?;
            if i < 8 {
                pos |= u64::from(b) << (8 * i);
            } else if b != 0 {
                return Err(self.corrupt(start, format!("file offset too large in {what}")));
            }
        }
        match state {
            1 => Ok(CustomOffset::PosNotSet),
            2 => Ok(CustomOffset::PosSet(pos)),
            3 => Ok(CustomOffset::NoData),
            other => Err(self.corrupt(
                start,
                format!("unexpected data offset flag {other} in {what}"),
            )),
        }
    }
}

fn parse_decimal(text: &[u8]) -> Option<u64> {
    if text.is_empty() || text.len() > 20 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// A writer of the archive primitives that counts the bytes it wrote.
pub struct ByteWriter<W> {
    inner: W,
    pos: u64,
    file: String,
    pub int_size: u8,
    pub off_size: u8,
}

impl<W: Write> ByteWriter<W> {
    pub fn new(inner: W, file: impl Into<String>, start: u64) -> Self {
        ByteWriter {
            inner,
            pos: start,
            file: file.into(),
            int_size: 4,
            off_size: 8,
        }
    }

    pub fn position(&self) -> u64 {
        self.pos
    }

    pub fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    pub fn into_inner(self) -> W {
        self.inner
    }

    pub fn write_bytes(&mut self, b: &[u8]) -> Result<()> {
        self.inner
            .write_all(b)
            .map_err(|e| Error::write(&self.file, e))?;
        self.pos += b.len() as u64;
        Ok(())
    }

    pub fn write_byte(&mut self, b: u8) -> Result<()> {
        self.write_bytes(&[b])
    }

    /// Int (§1.2): sign byte + magnitude; values outside ±(2^32−1) are rejected.
    pub fn write_int(&mut self, v: i64) -> Result<()> {
        let magnitude = v.unsigned_abs();
        if magnitude > u64::from(u32::MAX) {
            return Err(Error::Unsupported(format!(
                "{}: integer {v} does not fit an archive Int",
                self.file
            )));
        }
        let mut buf = [0u8; 33];
        buf[0] = u8::from(v < 0);
        for i in 0..self.int_size as usize {
            buf[1 + i] = if i < 8 {
                (magnitude >> (8 * i)) as u8
            } else {
                0
            };
        }
        self.write_bytes(&buf[..1 + self.int_size as usize])
    }

    /// A large-object OID in the signed Int form pg_dump uses (§1.2).
    pub fn write_oid_int(&mut self, oid: u32) -> Result<()> {
        self.write_int(i64::from(oid as i32))
    }

    pub fn write_str(&mut self, s: Option<&[u8]>) -> Result<()> {
        match s {
            None => self.write_int(-1),
            Some(b) => {
                self.write_int(b.len() as i64)?;
                self.write_bytes(b)
            }
        }
    }

    pub fn write_offset(&mut self, o: CustomOffset) -> Result<()> {
        let (state, pos) = match o {
            CustomOffset::PosNotSet => (1u8, 0u64),
            CustomOffset::PosSet(p) => (2, p),
            CustomOffset::NoData => (3, 0),
        };
        self.write_byte(state)?;
        let mut buf = [0u8; 32];
        for (i, b) in buf.iter_mut().enumerate().take(self.off_size as usize) {
            *b = if i < 8 { (pos >> (8 * i)) as u8 } else { 0 };
        }
        self.write_bytes(&buf[..self.off_size as usize])
    }
}

/// Reads the header (§2) and configures the reader's Int/offset sizes and version.
pub fn read_header<R: Read>(r: &mut ByteReader<R>) -> Result<Header> {
    let mut magic = [0u8; 5];
    r.read_bytes(&mut magic, "header magic")?;
    if &magic != MAGIC {
        return Err(Error::BadMagic {
            file: r.file.clone(),
            detail: "did not find magic string in file header".into(),
        });
    }
    let major = r.read_byte("header version")?;
    let minor = r.read_byte("header version")?;
    let rev = if major > 1 || (major == 1 && minor > 0) {
        r.read_byte("header version")?
    } else {
        0
    };
    let version = ArchiveVersion::new(major, minor, rev);
    if version < ArchiveVersion::V1_0
        || (version.major, version.minor)
            > (ArchiveVersion::CURRENT.major, ArchiveVersion::CURRENT.minor)
    {
        return Err(Error::UnsupportedVersion {
            file: r.file.clone(),
            version: format!("{major}.{minor}"),
        });
    }
    r.version = version;
    let at = r.position();
    let int_size = r.read_byte("header integer size")?;
    if int_size == 0 || int_size > 32 {
        return Err(r.corrupt(
            at,
            format!("sanity check on integer size ({int_size}) failed"),
        ));
    }
    r.int_size = int_size;
    let off_size = if version >= ArchiveVersion::V1_7 {
        let at = r.position();
        let o = r.read_byte("header offset size")?;
        if o == 0 || o > 32 {
            return Err(r.corrupt(at, format!("sanity check on offset size ({o}) failed")));
        }
        o
    } else {
        int_size
    };
    r.off_size = off_size;
    let format = FormatCode::from_byte(r.read_byte("header format")?);
    let compression = if version >= ArchiveVersion::V1_15 {
        let at = r.position();
        HeaderCompression::Algorithm(match r.read_byte("header compression algorithm")? {
            0 => CompressionAlgorithm::None,
            1 => CompressionAlgorithm::Gzip,
            2 => CompressionAlgorithm::Lz4,
            3 => CompressionAlgorithm::Zstd,
            other => {
                return Err(r.corrupt(
                    at,
                    format!("invalid compression algorithm {other} in header"),
                ))
            }
        })
    } else if version >= ArchiveVersion::V1_4 {
        HeaderCompression::Level(r.read_i32("header compression level")?)
    } else if version >= ArchiveVersion::V1_2 {
        HeaderCompression::Level(i32::from(r.read_byte("header compression level")?))
    } else {
        HeaderCompression::Level(-1)
    };
    let (created, database_name) = if version >= ArchiveVersion::V1_4 {
        let mut t = [0i32; 7];
        for v in &mut t {
            *v = r.read_i32("header creation time")?;
        }
        let created = ArchiveTime {
            sec: t[0],
            min: t[1],
            hour: t[2],
            mday: t[3],
            mon: t[4],
            year: t[5],
            isdst: t[6],
        };
        (Some(created), r.read_str("header database name")?)
    } else {
        (None, None)
    };
    let (server_version, dump_version) = if version >= ArchiveVersion::V1_10 {
        (
            r.read_str("header server version")?,
            r.read_str("header pg_dump version")?,
        )
    } else {
        (None, None)
    };
    Ok(Header {
        version,
        int_size,
        off_size,
        format,
        compression,
        created,
        database_name,
        server_version,
        dump_version,
    })
}

/// The versions this crate writes.
pub fn check_writable_version(v: ArchiveVersion) -> Result<()> {
    if [
        ArchiveVersion::V1_14,
        ArchiveVersion::V1_15,
        ArchiveVersion::V1_16,
    ]
    .contains(&ArchiveVersion::new(v.major, v.minor, 0))
    {
        Ok(())
    } else {
        Err(Error::Unsupported(format!(
            "writing archive version {v} is not supported (1.14, 1.15 and 1.16 are)"
        )))
    }
}

/// Writes the header (§2). Only versions 1.14 – 1.16 are written.
pub fn write_header<W: Write>(w: &mut ByteWriter<W>, h: &Header) -> Result<()> {
    check_writable_version(h.version)?;
    w.write_bytes(MAGIC)?;
    w.write_bytes(&[
        h.version.major,
        h.version.minor,
        h.version.rev,
        h.int_size,
        h.off_size,
        h.format.to_byte(),
    ])?;
    w.int_size = h.int_size;
    w.off_size = h.off_size;
    match (h.version >= ArchiveVersion::V1_15, h.compression) {
        (true, HeaderCompression::Algorithm(a)) => w.write_byte(match a {
            CompressionAlgorithm::None => 0,
            CompressionAlgorithm::Gzip => 1,
            CompressionAlgorithm::Lz4 => 2,
            CompressionAlgorithm::Zstd => 3,
        })?,
        (false, HeaderCompression::Level(l)) => w.write_int(i64::from(l))?,
        (_, c) => {
            return Err(Error::Unsupported(format!(
                "header compression {c:?} cannot be written in archive version {}",
                h.version
            )))
        }
    }
    let t = h.created.unwrap_or_default();
    for v in [t.sec, t.min, t.hour, t.mday, t.mon, t.year, t.isdst] {
        w.write_int(i64::from(v))?;
    }
    w.write_str(h.database_name.as_deref())?;
    w.write_str(h.server_version.as_deref())?;
    w.write_str(h.dump_version.as_deref())
}

/// What follows each TOC entry (§3.3): custom archives store an Offset, directory and
/// tar archives a file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtraKind {
    Offset,
    FileName,
}

/// Section for archives older than 1.11, derived from desc as pg_restore does.
fn section_from_desc(desc: &Desc) -> Section {
    match desc {
        Desc::Comment | Desc::Acl | Desc::AclLanguage => Section::None,
        Desc::TableData | Desc::Blobs | Desc::BlobComments => Section::Data,
        Desc::Constraint
        | Desc::CheckConstraint
        | Desc::FkConstraint
        | Desc::Index
        | Desc::Rule
        | Desc::Trigger => Section::PostData,
        _ => Section::PreData,
    }
}

/// Reads the TOC (§3) that follows a header.
pub fn read_toc<R: Read>(r: &mut ByteReader<R>, extra: ExtraKind) -> Result<Vec<TocEntry>> {
    let at = r.position();
    let count = r.read_int("TOC entry count")?;
    if count < 0 {
        return Err(Error::AbsurdLength {
            file: r.file.clone(),
            offset: at,
            length: count,
            what: "TOC entry count".into(),
        });
    }
    // An entry takes well over 20 bytes; a count the input cannot hold is corrupt.
    if let Some(rem) = r.remaining() {
        if count as u64 > rem / 20 + 1 {
            return Err(Error::AbsurdLength {
                file: r.file.clone(),
                offset: at,
                length: count,
                what: "TOC entry count".into(),
            });
        }
    }
    let mut entries = Vec::with_capacity((count as usize).min(4096));
    for i in 0..count {
        entries.push(read_entry(r, extra, i)?);
    }
    Ok(entries)
}

fn read_entry<R: Read>(r: &mut ByteReader<R>, extra: ExtraKind, index: i64) -> Result<TocEntry> {
    let v = r.version;
    let at = r.position();
    let what = |field: &str| format!("TOC entry #{} {field}", index + 1);
    let dump_id = r.read_i32(&what("dump ID"))?;
    if dump_id <= 0 {
        return Err(r.corrupt(
            at,
            format!("entry ID {dump_id} out of range -- perhaps a corrupt TOC"),
        ));
    }
    let what = |field: &str| format!("TOC entry {dump_id} {field}");
    let had_dumper = r.read_int(&what("hadDumper"))? != 0;
    let oid_at = r.position();
    let table_oid = if v >= ArchiveVersion::V1_8 {
        r.read_decimal(&what("table OID"))?.unwrap_or(0)
    } else {
        0
    };
    let oid = r.read_decimal(&what("OID"))?.unwrap_or(0);
    let (table_oid, oid) = match (u32::try_from(table_oid), u32::try_from(oid)) {
        (Ok(t), Ok(o)) => (t, o),
        _ => return Err(r.corrupt(oid_at, format!("OID out of range in TOC entry {dump_id}"))),
    };
    let tag = r.read_str(&what("tag"))?;
    let desc_at = r.position();
    let desc = Desc::from_bytes(
        &r.read_str(&what("desc"))?
            .ok_or_else(|| r.corrupt(desc_at, format!("NULL desc in TOC entry {dump_id}")))?,
    );
    let section = if v >= ArchiveVersion::V1_11 {
        let at = r.position();
        let s = r.read_i32(&what("section"))?;
        Section::from_int(s)
            .ok_or_else(|| r.corrupt(at, format!("invalid section {s} in TOC entry {dump_id}")))?
    } else {
        section_from_desc(&desc)
    };
    let defn = r.read_str(&what("defn"))?;
    let drop_stmt = r.read_str(&what("dropStmt"))?;
    let copy_stmt = if v >= ArchiveVersion::V1_3 {
        r.read_str(&what("copyStmt"))?
    } else {
        None
    };
    let namespace = if v >= ArchiveVersion::V1_6 {
        r.read_str(&what("namespace"))?
    } else {
        None
    };
    let tablespace = if v >= ArchiveVersion::V1_10 {
        r.read_str(&what("tablespace"))?
    } else {
        None
    };
    let table_am = if v >= ArchiveVersion::V1_14 {
        r.read_str(&what("tableam"))?
    } else {
        None
    };
    let relkind = if v >= ArchiveVersion::V1_16 {
        let at = r.position();
        let k = r.read_int(&what("relkind"))?;
        u8::try_from(k)
            .map_err(|_| r.corrupt(at, format!("invalid relkind {k} in TOC entry {dump_id}")))?
    } else {
        0
    };
    let owner = r.read_str(&what("owner"))?;
    let with_oids = if v >= ArchiveVersion::V1_9 {
        r.read_str(&what("withOids"))?
    } else {
        None
    };
    let mut dependencies = Vec::new();
    if v >= ArchiveVersion::V1_5 {
        loop {
            let at = r.position();
            match r.read_decimal(&what("dependency"))? {
                None => break,
                Some(d) => dependencies.push(i32::try_from(d).map_err(|_| {
                    r.corrupt(
                        at,
                        format!("dependency ID {d} out of range in TOC entry {dump_id}"),
                    )
                })?),
            }
        }
    }
    let data_location = match extra {
        ExtraKind::Offset => {
            let o = r.read_offset(&what("data offset"))?;
            if v < ArchiveVersion::V1_7 {
                r.read_int(&what("data size"))?;
            }
            DataLocation::Custom(o)
        }
        ExtraKind::FileName => {
            DataLocation::File(r.read_str(&what("file name"))?.unwrap_or_default())
        }
    };
    Ok(TocEntry {
        dump_id,
        had_dumper,
        catalog_id: CatalogId { table_oid, oid },
        tag,
        desc,
        section,
        defn,
        drop_stmt,
        copy_stmt,
        namespace,
        tablespace,
        table_am,
        relkind,
        owner,
        with_oids,
        dependencies,
        data_location,
    })
}

/// Writes the TOC (§3) at the version of `header` (1.14 – 1.16).
pub fn write_toc<W: Write>(
    w: &mut ByteWriter<W>,
    header: &Header,
    entries: &[TocEntry],
) -> Result<()> {
    let v = header.version;
    check_writable_version(v)?;
    w.write_int(entries.len() as i64)?;
    for e in entries {
        w.write_int(i64::from(e.dump_id))?;
        w.write_int(i64::from(e.had_dumper))?;
        w.write_str(Some(e.catalog_id.table_oid.to_string().as_bytes()))?;
        w.write_str(Some(e.catalog_id.oid.to_string().as_bytes()))?;
        w.write_str(e.tag.as_deref())?;
        w.write_str(Some(e.desc.as_bytes()))?;
        w.write_int(i64::from(e.section.to_int()))?;
        w.write_str(e.defn.as_deref())?;
        w.write_str(e.drop_stmt.as_deref())?;
        w.write_str(e.copy_stmt.as_deref())?;
        w.write_str(e.namespace.as_deref())?;
        w.write_str(e.tablespace.as_deref())?;
        w.write_str(e.table_am.as_deref())?;
        if v >= ArchiveVersion::V1_16 {
            w.write_int(i64::from(e.relkind))?;
        }
        w.write_str(e.owner.as_deref())?;
        w.write_str(Some(e.with_oids.as_deref().unwrap_or(b"false")))?;
        for d in &e.dependencies {
            w.write_str(Some(d.to_string().as_bytes()))?;
        }
        w.write_str(None)?;
        match &e.data_location {
            DataLocation::Custom(o) => w.write_offset(*o)?,
            DataLocation::File(name) => w.write_str(Some(name))?,
        }
    }
    Ok(())
}

/// Serialises header + TOC into memory (used to size and rewrite the custom TOC).
pub fn encode_header_and_toc(header: &Header, entries: &[TocEntry]) -> Result<Vec<u8>> {
    let mut w = ByteWriter::new(Vec::new(), "<memory>", 0);
    write_header(&mut w, header)?;
    write_toc(&mut w, header, entries)?;
    Ok(w.into_inner())
}

/// Reads header and TOC from a byte slice (tests, fuzzing).
pub fn decode_header_and_toc(
    bytes: &[u8],
    file: &str,
    extra: ExtraKind,
) -> Result<(Header, Vec<TocEntry>, u64)> {
    let mut r = ByteReader::new(bytes, file, 0, Some(bytes.len() as u64));
    let header = read_header(&mut r)?;
    let entries = read_toc(&mut r, extra)?;
    Ok((header, entries, r.position()))
}

impl<R: Read> ByteReader<R> {
    /// Reads up to `buf.len()` bytes; a premature end of input is a `Truncated` error.
    pub fn read_some(&mut self, buf: &mut [u8], what: &str) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match self.inner.read(buf) {
                Ok(0) => {
                    return Err(Error::Truncated {
                        file: self.file.clone(),
                        offset: self.pos,
                        what: what.to_string(),
                    })
                }
                Ok(n) => {
                    self.pos += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(&self.file, e)),
            }
        }
    }

    /// Skips `n` bytes by reading them (bounded buffer).
    pub fn skip(&mut self, mut n: u64, what: &str) -> Result<()> {
        if let Some(rem) = self.remaining() {
            if n > rem {
                return Err(Error::Truncated {
                    file: self.file.clone(),
                    offset: self.end.unwrap_or(0),
                    what: what.to_string(),
                });
            }
        }
        let mut scratch = [0u8; 8192];
        while n > 0 {
            let k = n.min(scratch.len() as u64) as usize;
            let got = self.read_some(&mut scratch[..k], what)?;
            n -= got as u64;
        }
        Ok(())
    }
}

impl ByteReader<std::io::BufReader<std::fs::File>> {
    /// Skips `n` bytes of a file, seeking when that beats reading through the buffer.
    pub fn skip_file(&mut self, n: u64, what: &str) -> Result<()> {
        if n < 64 * 1024 {
            return self.skip(n, what);
        }
        if let Some(rem) = self.remaining() {
            if n > rem {
                return Err(Error::Truncated {
                    file: self.file.clone(),
                    offset: self.end.unwrap_or(0),
                    what: what.to_string(),
                });
            }
        }
        let delta = i64::try_from(n)
            .map_err(|_| self.corrupt(self.pos, format!("skip too large in {what}")))?;
        self.inner
            .seek_relative(delta)
            .map_err(|e| Error::io(&self.file, e))?;
        self.pos += n;
        Ok(())
    }
}
