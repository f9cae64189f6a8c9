//! Writes tar archives: `toc.dat` first, then data members in TOC order (pg_restore
//! reads tar strictly forward), large objects as `blob_<oid>.dat` followed by the LO TOC
//! member, a placeholder `restore.sql`, and two zero blocks. Each member's header is
//! patched with its size once its data is written (positional write). The file is
//! written under a temporary name and renamed by `finish`.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Write};
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
}

enum Current {
    Idle,
    Data { dump_id: DumpId, member: OpenMember },
    Blobs { dump_id: DumpId, lo_toc: Vec<u8>, lo: Option<OpenMember>, last_oid: Option<u32>, first_expected: Option<u32> },
}

pub struct TarWriter {
    out: BufWriter<File>,
    pos: u64,
    tmp: PathBuf,
    final_path: PathBuf,
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
    pub fn create(path: impl AsRef<Path>, mut toc: Toc, spec: CompressionSpec, sync: bool) -> Result<Self> {
        if spec.algorithm != CompressionAlgorithm::None {
            return Err(Error::Unsupported("compression is not supported by tar archive format".into()));
        }
        check_writable_version(toc.header.version)?;
        toc.header.format = FormatCode::Tar;
        toc.header.compression = spec.header_compression(toc.header.version)?;
        for e in &mut toc.entries {
            e.data_location =
                DataLocation::File(if e.had_dumper { format!("{}.dat", e.dump_id).into_bytes() } else { Vec::new() });
        }
        let final_path = path.as_ref().to_path_buf();
        let label = final_path.display().to_string();
        let tmp = temp_name(&final_path);
        let file = File::create(&tmp).map_err(|e| Error::io(tmp.display(), e))?;
        let mtime = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        let data_order = toc.entries.iter().filter(|e| e.had_dumper).map(|e| e.dump_id).collect();
        let mut w = TarWriter {
            out: BufWriter::with_capacity(256 * 1024, file),
            pos: 0,
            tmp,
            final_path,
            label,
            header: toc.header,
            entries: toc.entries,
            data_order,
            next_data: 0,
            done: HashSet::new(),
            current: Current::Idle,
            mtime,
            finished: false,
            sync,
        };
        let toc_bytes = encode_header_and_toc(&w.header, &w.entries)?;
        w.whole_member("toc.dat", &toc_bytes)?;
        Ok(w)
    }

    fn misuse(&self, what: &str) -> Error {
        Error::Unsupported(format!("{}: {what}", self.label))
    }

    fn raw(&mut self, b: &[u8]) -> Result<()> {
        self.out.write_all(b).map_err(|e| Error::io(self.tmp.display(), e))?;
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
        self.raw(&[0u8; BLOCK])?;
        Ok(OpenMember { header_pos, name, size: 0 })
    }

    fn end_member(&mut self, m: OpenMember) -> Result<()> {
        self.raw(&[0u8; BLOCK][..header::padding(m.size)])?;
        let h = header::build(&m.name, m.size, self.mtime).map_err(|e| self.misuse(&e))?;
        self.out.flush().map_err(|e| Error::io(self.tmp.display(), e))?;
        self.out.get_ref().write_all_at(&h, m.header_pos).map_err(|e| Error::io(self.tmp.display(), e))
    }

    fn take_data_slot(&mut self, dump_id: DumpId, blobs: bool) -> Result<&TocEntry> {
        if !matches!(self.current, Current::Idle) {
            return Err(self.misuse("a data stream is already open"));
        }
        let Some(idx) = self.data_order.iter().position(|&d| d == dump_id) else {
            return match self.entries.iter().find(|e| e.dump_id == dump_id) {
                Some(e) => Err(self.misuse(&format!("{} has no data component (hadDumper 0)", EntryRef::of(e)))),
                None => Err(Error::NoSuchEntry { file: self.label.clone(), dump_id }),
            };
        };
        if idx < self.next_data {
            let written = self.data_order[self.next_data - 1];
            return Err(self.misuse(&format!(
                "tar archives hold data in TOC order: entry {dump_id} comes before entry {written}, which is already written"
            )));
        }
        self.next_data = idx + 1;
        let entry = self.entries.iter().find(|e| e.dump_id == dump_id).ok_or_else(|| self.misuse("entry vanished"))?;
        if (entry.desc == Desc::Blobs) != blobs {
            return Err(self.misuse(&format!("{}: use {} for this entry", EntryRef::of(entry), if blobs { "begin_data" } else { "begin_blobs" })));
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
        let n = buf.len() as u64;
        match &mut self.current {
            Current::Data { member, .. } | Current::Blobs { lo: Some(member), .. } => member.size += n,
            _ => return Err(self.misuse("write_data without an open data stream or large object")),
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
            tag.chars().take_while(char::is_ascii_digit).collect::<String>().parse().ok()
        } else {
            None
        };
        self.current = Current::Blobs { dump_id, lo_toc: Vec::new(), lo: None, last_oid: None, first_expected };
        Ok(())
    }

    pub fn start_lo(&mut self, oid: u32) -> Result<()> {
        match &self.current {
            Current::Blobs { lo: None, last_oid, first_expected, .. } => {
                if last_oid.is_some_and(|l| oid <= l) {
                    return Err(self.misuse("large objects of a tar archive must be written in ascending OID order"));
                }
                if last_oid.is_none() && first_expected.is_some_and(|f| f != oid) {
                    return Err(self.misuse(&format!(
                        "the first large object of a 1.16 tar BLOBS entry must be the OID its tag starts with ({}), not {oid}",
                        first_expected.unwrap_or_default()
                    )));
                }
            }
            _ => return Err(self.misuse("start_lo outside begin_blobs, or previous large object not ended")),
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
            Current::Blobs { lo, last_oid: Some(oid), .. } if lo.is_some() => (lo.take(), *oid),
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
            Current::Blobs { dump_id, lo_toc, lo: None, .. } => {
                let name = if self.header.version >= ArchiveVersion::V1_16 { format!("blobs_{dump_id}.toc") } else { "blobs.toc".into() };
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
        if let Some(e) = self.entries.iter().find(|e| e.had_dumper && !self.done.contains(&e.dump_id)) {
            return Err(self.misuse(&format!("{} has a data component but no data was written", EntryRef::of(e))));
        }
        self.whole_member("restore.sql", RESTORE_SQL)?;
        self.raw(&[0u8; 2 * BLOCK])?;
        self.out.flush().map_err(|e| Error::io(self.tmp.display(), e))?;
        if self.sync {
            self.out.get_ref().sync_all().map_err(|e| Error::io(self.tmp.display(), e))?;
        }
        std::fs::rename(&self.tmp, &self.final_path).map_err(|e| Error::io(self.final_path.display(), e))?;
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
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}
