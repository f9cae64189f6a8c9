//! Writes tar archives: `toc.dat` first, then data members in TOC order (pg_restore
//! reads tar strictly forward), large objects as `blob_<oid>.dat` followed by the LO TOC
//! member, a placeholder `restore.sql`, and two zero blocks. In a file, each member's
//! header is patched with its size once its data is written (positional write), and the
//! file is written under a temporary name renamed by `finish`. On a non-seekable stream
//! (stdout) each member is spooled to an unlinked temporary file first, as pg_dump does.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::header;
use super::BLOCK;
use crate::codec::{check_writable_version, encode_header_and_toc};
use crate::compress::member::CompressedMember;
use crate::compress::{CompressionAlgorithm, CompressionSpec, Container};
use crate::custom::writer::temp_name;
use crate::error::{EntryRef, Error, Result};
use crate::model::{DataLocation, Desc, DumpId, FormatCode, Header, Toc, TocEntry};
use crate::version::ArchiveVersion;

/// pg_restore never reads `restore.sql`; this placeholder says how to restore instead.
const RESTORE_SQL: &[u8] = b"--\n-- This archive was written by pgark. Restore it with pg_restore;\n-- this file is a placeholder and contains no restore script.\n--\n";

struct OpenMember {
    header_pos: u64,
    name: String,
    size: u64,
    /// Stream output: the member's data, spooled until its size is known.
    spool: Option<BufWriter<File>>,
}

enum Out {
    File(BufWriter<File>),
    Stream(Box<dyn Write + Send>),
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Out::File(f) => f.write(buf),
            Out::Stream(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Out::File(f) => f.flush(),
            Out::Stream(s) => s.flush(),
        }
    }
}

/// An anonymous temporary file (created and unlinked at once).
fn spool_file() -> std::io::Result<File> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let path = std::env::temp_dir().join(format!(
        "pgark-tar-spool-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(f)
}

enum Current {
    Idle,
    Data {
        dump_id: DumpId,
        member: OpenMember,
    },
    Blobs {
        dump_id: DumpId,
        lo_toc: Vec<u8>,
        lo: Option<OpenMember>,
        last_oid: Option<u32>,
        first_expected: Option<u32>,
    },
}

pub struct TarWriter {
    out: Out,
    pos: u64,
    /// (temporary, final) paths when writing a file.
    paths: Option<(PathBuf, PathBuf)>,
    /// The temporary file's entry for removal on interruption.
    registration: Option<crate::unfinished::Registration>,
    label: String,
    header: Header,
    entries: Vec<TocEntry>,
    /// Dump IDs of entries with data, in TOC order, and how far writing has got.
    data_order: Vec<DumpId>,
    next_data: usize,
    done: HashSet<DumpId>,
    current: Current,
    mtime: u64,
    finished: bool,
    sync: bool,
}

impl TarWriter {
    pub fn create(
        path: impl AsRef<Path>,
        toc: Toc,
        spec: CompressionSpec,
        sync: bool,
    ) -> Result<Self> {
        let final_path = path.as_ref().to_path_buf();
        let label = final_path.display().to_string();
        let tmp = temp_name(&final_path);
        let (file, registration) =
            crate::unfinished::create_temp(&tmp).map_err(|e| Error::open_output(&label, e))?;
        let mut w = Self::start(
            Out::File(BufWriter::with_capacity(256 * 1024, file)),
            label,
            toc,
            spec,
        )?;
        w.paths = Some((tmp, final_path));
        w.registration = Some(registration);
        w.sync = sync;
        w.write_toc()?;
        Ok(w)
    }

    /// Writes to a non-seekable stream (stdout); members are spooled to temporary files.
    pub fn to_stream(
        out: Box<dyn Write + Send>,
        label: impl Into<String>,
        toc: Toc,
        spec: CompressionSpec,
    ) -> Result<Self> {
        let mut w = Self::start(Out::Stream(out), label.into(), toc, spec)?;
        w.write_toc()?;
        Ok(w)
    }

    fn start(out: Out, label: String, mut toc: Toc, spec: CompressionSpec) -> Result<Self> {
        if spec.algorithm != CompressionAlgorithm::None {
            return Err(Error::Unsupported(
                "compression is not supported by tar archive format".into(),
            ));
        }
        check_writable_version(toc.header.version)?;
        toc.header.format = FormatCode::Tar;
        toc.header.compression = spec.header_compression(toc.header.version)?;
        for e in &mut toc.entries {
            e.data_location = DataLocation::File(if e.had_dumper {
                format!("{}.dat", e.dump_id).into_bytes()
            } else {
                Vec::new()
            });
        }
        let mtime = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let data_order = toc
            .entries
            .iter()
            .filter(|e| e.had_dumper)
            .map(|e| e.dump_id)
            .collect();
        Ok(TarWriter {
            out,
            pos: 0,
            paths: None,
            registration: None,
            label,
            header: toc.header,
            entries: toc.entries,
            data_order,
            next_data: 0,
            done: HashSet::new(),
            current: Current::Idle,
            mtime,
            finished: false,
            sync: false,
        })
    }

    fn write_toc(&mut self) -> Result<()> {
        let toc_bytes = encode_header_and_toc(&self.header, &self.entries)?;
        self.whole_member("toc.dat", &toc_bytes)
    }

    fn misuse(&self, what: &str) -> Error {
        Error::Unsupported(format!("{}: {what}", self.label))
    }

    fn raw(&mut self, b: &[u8]) -> Result<()> {
        self.out
            .write_all(b)
            .map_err(|e| Error::write(&self.label, e))?;
        self.pos += b.len() as u64;
        Ok(())
    }

    fn whole_member(&mut self, name: &str, data: &[u8]) -> Result<()> {
        let h = header::build(name, data.len() as u64, self.mtime).map_err(|e| self.misuse(&e))?;
        self.raw(&h)?;
        self.raw(data)?;
        self.raw(&[0u8; BLOCK][..header::padding(data.len() as u64)])
    }

    fn start_member(&mut self, name: String) -> Result<OpenMember> {
        let header_pos = self.pos;
        if let Out::Stream(_) = self.out {
            let spool = spool_file().map_err(|e| Error::io("temporary spool file", e))?;
            return Ok(OpenMember {
                header_pos,
                name,
                size: 0,
                spool: Some(BufWriter::with_capacity(128 * 1024, spool)),
            });
        }
        self.raw(&[0u8; BLOCK])?;
        Ok(OpenMember {
            header_pos,
            name,
            size: 0,
            spool: None,
        })
    }

    fn end_member(&mut self, m: OpenMember) -> Result<()> {
        let h = header::build(&m.name, m.size, self.mtime).map_err(|e| self.misuse(&e))?;
        if let Some(spool) = m.spool {
            let mut f = spool
                .into_inner()
                .map_err(|e| Error::io("temporary spool file", e.into_error()))?;
            f.seek(SeekFrom::Start(0))
                .map_err(|e| Error::io("temporary spool file", e))?;
            self.raw(&h)?;
            let copied =
                std::io::copy(&mut f, &mut self.out).map_err(|e| Error::write(&self.label, e))?;
            self.pos += copied;
            return self.raw(&[0u8; BLOCK][..header::padding(m.size)]);
        }
        self.raw(&[0u8; BLOCK][..header::padding(m.size)])?;
        self.out.flush().map_err(|e| Error::write(&self.label, e))?;
        let Out::File(f) = &self.out else {
            return Err(self.misuse("file output expected"));
        };
        f.get_ref()
            .write_all_at(&h, m.header_pos)
            .map_err(|e| Error::write(&self.label, e))
    }

    fn take_data_slot(&mut self, dump_id: DumpId, blobs: bool) -> Result<&TocEntry> {
        if !matches!(self.current, Current::Idle) {
            return Err(self.misuse("a data stream is already open"));
        }
        let Some(idx) = self.data_order.iter().position(|&d| d == dump_id) else {
            return match self.entries.iter().find(|e| e.dump_id == dump_id) {
                Some(e) => Err(self.misuse(&format!(
                    "{} has no data component (hadDumper 0)",
                    EntryRef::of(e)
                ))),
                None => Err(Error::NoSuchEntry {
                    file: self.label.clone(),
                    dump_id,
                }),
            };
        };
        if idx < self.next_data {
            let written = self.data_order[self.next_data - 1];
            return Err(self.misuse(&format!(
                "tar archives hold data in TOC order: entry {dump_id} comes before entry {written}, which is already written"
            )));
        }
        self.next_data = idx + 1;
        let entry = self
            .entries
            .iter()
            .find(|e| e.dump_id == dump_id)
            .ok_or_else(|| self.misuse("entry vanished"))?;
        if (entry.desc == Desc::Blobs) != blobs {
            return Err(self.misuse(&format!(
                "{}: use {} for this entry",
                EntryRef::of(entry),
                if blobs { "begin_data" } else { "begin_blobs" }
            )));
        }
        Ok(entry)
    }

    pub fn begin_data(&mut self, dump_id: DumpId) -> Result<()> {
        self.take_data_slot(dump_id, false)?;
        let member = self.start_member(format!("{dump_id}.dat"))?;
        self.current = Current::Data { dump_id, member };
        Ok(())
    }

    /// Tar data is uncompressed, so members are raw bytes; accepted for API symmetry.
    pub fn begin_data_members(&mut self, dump_id: DumpId) -> Result<()> {
        self.begin_data(dump_id)
    }

    pub fn write_data(&mut self, buf: &[u8]) -> Result<()> {
        let label = self.label.clone();
        let member = match &mut self.current {
            Current::Data { member, .. }
            | Current::Blobs {
                lo: Some(member), ..
            } => member,
            _ => return Err(self.misuse("write_data without an open data stream or large object")),
        };
        member.size += buf.len() as u64;
        if let Some(spool) = &mut member.spool {
            return spool
                .write_all(buf)
                .map_err(|e| Error::io(format!("{label} (spool)"), e));
        }
        self.raw(buf)
    }

    /// Tar data is uncompressed: only members of algorithm "none" (raw bytes) fit.
    pub fn write_compressed_member(&mut self, m: &CompressedMember) -> Result<()> {
        if m.algorithm() != CompressionAlgorithm::None {
            return Err(self.misuse("tar archives hold uncompressed data only"));
        }
        self.write_data(m.bytes())
    }

    pub fn end_data(&mut self) -> Result<()> {
        match std::mem::replace(&mut self.current, Current::Idle) {
            Current::Data { dump_id, member } => {
                self.end_member(member)?;
                self.done.insert(dump_id);
                Ok(())
            }
            other => {
                self.current = other;
                Err(self.misuse("end_data without begin_data"))
            }
        }
    }

    pub fn begin_blobs(&mut self, dump_id: DumpId) -> Result<()> {
        let tag = self.take_data_slot(dump_id, true)?.tag.clone();
        // 1.16 pg_restore starts at the member named after the tag's first OID.
        let first_expected = if self.header.version >= ArchiveVersion::V1_16 {
            let tag = String::from_utf8_lossy(tag.as_deref().unwrap_or_default()).into_owned();
            tag.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .ok()
        } else {
            None
        };
        self.current = Current::Blobs {
            dump_id,
            lo_toc: Vec::new(),
            lo: None,
            last_oid: None,
            first_expected,
        };
        Ok(())
    }

    pub fn start_lo(&mut self, oid: u32) -> Result<()> {
        match &self.current {
            Current::Blobs {
                lo: None,
                last_oid,
                first_expected,
                ..
            } => {
                if last_oid.is_some_and(|l| oid <= l) {
                    return Err(self.misuse(
                        "large objects of a tar archive must be written in ascending OID order",
                    ));
                }
                if last_oid.is_none() && first_expected.is_some_and(|f| f != oid) {
                    return Err(self.misuse(&format!(
                        "the first large object of a 1.16 tar BLOBS entry must be the OID its tag starts with ({}), not {oid}",
                        first_expected.unwrap_or_default()
                    )));
                }
            }
            _ => {
                return Err(
                    self.misuse("start_lo outside begin_blobs, or previous large object not ended")
                )
            }
        }
        let m = self.start_member(format!("blob_{oid}.dat"))?;
        if let Current::Blobs { lo, last_oid, .. } = &mut self.current {
            *lo = Some(m);
            *last_oid = Some(oid);
        }
        Ok(())
    }

    pub fn end_lo(&mut self) -> Result<()> {
        let (m, oid) = match &mut self.current {
            Current::Blobs {
                lo,
                last_oid: Some(oid),
                ..
            } if lo.is_some() => (lo.take(), *oid),
            _ => return Err(self.misuse("end_lo without start_lo")),
        };
        if let Some(m) = m {
            self.end_member(m)?;
        }
        if let Current::Blobs { lo_toc, .. } = &mut self.current {
            lo_toc.extend_from_slice(format!("{oid} blob_{oid}.dat\n").as_bytes());
        }
        Ok(())
    }

    pub fn end_blobs(&mut self) -> Result<()> {
        match std::mem::replace(&mut self.current, Current::Idle) {
            Current::Blobs {
                dump_id,
                lo_toc,
                lo: None,
                ..
            } => {
                let name = if self.header.version >= ArchiveVersion::V1_16 {
                    format!("blobs_{dump_id}.toc")
                } else {
                    "blobs.toc".into()
                };
                self.whole_member(&name, &lo_toc)?;
                self.done.insert(dump_id);
                Ok(())
            }
            other => {
                self.current = other;
                Err(self.misuse("end_blobs without begin_blobs, or a large object is still open"))
            }
        }
    }

    pub fn finish(mut self) -> Result<()> {
        if !matches!(self.current, Current::Idle) {
            return Err(self.misuse("finish with a data stream still open"));
        }
        if let Some(e) = self
            .entries
            .iter()
            .find(|e| e.had_dumper && !self.done.contains(&e.dump_id))
        {
            return Err(self.misuse(&format!(
                "{} has a data component but no data was written",
                EntryRef::of(e)
            )));
        }
        self.whole_member("restore.sql", RESTORE_SQL)?;
        self.raw(&[0u8; 2 * BLOCK])?;
        self.out.flush().map_err(|e| Error::write(&self.label, e))?;
        if let (Out::File(f), Some((tmp, final_path))) = (&self.out, &self.paths) {
            if self.sync {
                f.get_ref()
                    .sync_all()
                    .map_err(|e| Error::write(&self.label, e))?;
            }
            match self.registration.take() {
                Some(registration) => {
                    crate::unfinished::rename_into_place(registration, tmp, final_path)
                }
                None => std::fs::rename(tmp, final_path),
            }
            .map_err(|e| Error::io(final_path.display(), e))?;
        }
        self.finished = true;
        Ok(())
    }

    pub fn member_container(&self) -> Container {
        Container::DirectoryFile
    }

    pub fn header(&self) -> &Header {
        &self.header
    }
}

impl Drop for TarWriter {
    fn drop(&mut self) {
        if !self.finished {
            if let Some((tmp, _)) = &self.paths {
                let _ = std::fs::remove_file(tmp);
            }
        }
    }
}
