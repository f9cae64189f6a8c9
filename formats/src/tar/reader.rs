//! Reads tar archives from a file: the member headers are indexed once (data is
//! skipped by seeking), so members can then be opened by name, each with its own
//! handle. Large objects follow pg_restore's member-order rules (§6.5).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::header::{self, HeaderProblem};
use super::BLOCK;
use crate::archive::{Blob, DataReader, WithContext};
use crate::codec::{read_header, read_toc, ByteReader, ExtraKind};
use crate::error::{EntryRef, Error, Result};
use crate::model::{DataLocation, Desc, DumpId, FormatCode, Toc, TocEntry};
use crate::version::ArchiveVersion;

/// One member: name, data offset and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub offset: u64,
    pub size: u64,
}

pub struct TarReader {
    path: PathBuf,
    label: String,
    toc: Toc,
    members: Vec<Member>,
    by_name: HashMap<String, usize>,
}

/// Indexes the members of a tar file.
pub fn index_members(file: &mut File, label: &str) -> Result<Vec<Member>> {
    let file_size = file.metadata().map_err(|e| Error::io(label, e))?.len();
    let mut r = BufReader::new(&mut *file);
    let mut members = Vec::new();
    let mut pos: u64 = 0;
    let mut block = [0u8; BLOCK];
    loop {
        if pos + BLOCK as u64 > file_size {
            if pos < file_size && members.is_empty() {
                return Err(Error::BadMagic {
                    file: label.to_string(),
                    detail: "input file does not appear to be a valid archive (too short)".into(),
                });
            }
            break; // a missing end-of-archive marker is tolerated
        }
        r.read_exact(&mut block).map_err(|e| Error::io(label, e))?;
        match header::parse(&block, members.is_empty()) {
            Ok(h) => {
                let offset = pos + BLOCK as u64;
                if h.size > file_size.saturating_sub(offset) {
                    return Err(Error::Truncated {
                        file: label.to_string(),
                        offset: file_size,
                        what: format!(
                            "tar member \"{}\" ({} bytes at offset {offset})",
                            h.name, h.size
                        ),
                    });
                }
                let padded = h.size + header::padding(h.size) as u64;
                members.push(Member {
                    name: h.name,
                    offset,
                    size: h.size,
                });
                pos = offset + padded;
                r.seek(SeekFrom::Start(pos))
                    .map_err(|e| Error::io(label, e))?;
            }
            Err(HeaderProblem::Zero) => {
                if members.is_empty() {
                    return Err(Error::BadMagic {
                        file: label.to_string(),
                        detail: "input file does not appear to be a valid archive".into(),
                    });
                }
                pos += BLOCK as u64;
            }
            Err(HeaderProblem::BadMagic) => {
                return Err(Error::BadMagic {
                    file: label.to_string(),
                    detail: "input file does not appear to be a valid archive".into(),
                })
            }
            Err(HeaderProblem::BadChecksum { stored, computed }) => {
                if members.is_empty() {
                    return Err(Error::BadMagic {
                        file: label.to_string(),
                        detail: "input file does not appear to be a valid archive".into(),
                    });
                }
                return Err(Error::Corrupt {
                    file: label.to_string(),
                    offset: pos,
                    detail: format!(
                        "corrupt tar header found (stored checksum {}, computed {computed})",
                        stored.map_or("invalid".to_string(), |s| s.to_string())
                    ),
                });
            }
            Err(HeaderProblem::BadSize) => {
                return Err(Error::Corrupt {
                    file: label.to_string(),
                    offset: pos + 124,
                    detail: "invalid size in tar header".into(),
                })
            }
        }
    }
    Ok(members)
}

impl TarReader {
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let label = path.display().to_string();
        let mut file = File::open(&path).map_err(|e| Error::io(&label, e))?;
        let members = index_members(&mut file, &label)?;
        let mut by_name = HashMap::new();
        for (i, m) in members.iter().enumerate() {
            by_name.entry(m.name.clone()).or_insert(i);
        }
        let Some(&toc_idx) = by_name.get("toc.dat") else {
            return Err(Error::BadMagic {
                file: label,
                detail: "could not find header for file \"toc.dat\" in tar archive".into(),
            });
        };
        let m = &members[toc_idx];
        file.seek(SeekFrom::Start(m.offset))
            .map_err(|e| Error::io(&label, e))?;
        let toc_label = format!("{label}:toc.dat");
        let mut r = ByteReader::new(
            BufReader::new(file.take(m.size)),
            toc_label.clone(),
            0,
            Some(m.size),
        );
        let header = read_header(&mut r)?;
        if header.format != FormatCode::Tar {
            return Err(Error::Corrupt {
                file: toc_label,
                offset: 10,
                detail: format!(
                    "expected format (3) differs from format found in file ({})",
                    header.format.to_byte()
                ),
            });
        }
        let entries = read_toc(&mut r, ExtraKind::FileName)?;
        Ok(TarReader {
            path,
            label,
            toc: Toc { header, entries },
            members,
            by_name,
        })
    }

    pub fn toc(&self) -> &Toc {
        &self.toc
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn members(&self) -> &[Member] {
        &self.members
    }

    pub(crate) fn entry(&self, dump_id: DumpId) -> Result<&TocEntry> {
        self.toc
            .entries
            .iter()
            .find(|e| e.dump_id == dump_id)
            .ok_or_else(|| Error::NoSuchEntry {
                file: self.label.clone(),
                dump_id,
            })
    }

    fn open_member(&self, m: &Member, entry: EntryRef) -> Result<DataReader> {
        let mut f = File::open(&self.path).map_err(|e| Error::io(&self.label, e))?;
        f.seek(SeekFrom::Start(m.offset))
            .map_err(|e| Error::io(&self.label, e))?;
        let r = BufReader::with_capacity(64 * 1024, f).take(m.size);
        Ok(Box::new(WithContext::new(
            r,
            format!("{}:{}", self.label, m.name),
            entry,
        )))
    }

    fn member_for(&self, entry: &TocEntry) -> Result<Option<&Member>> {
        match &entry.data_location {
            DataLocation::File(name) if name.is_empty() => Ok(None),
            DataLocation::File(name) => {
                let name = String::from_utf8_lossy(name).into_owned();
                match self.by_name.get(&name) {
                    Some(&i) => Ok(Some(&self.members[i])),
                    None => Err(Error::MissingMember {
                        file: self.label.clone(),
                        member: name,
                        entry: EntryRef::of(entry),
                    }),
                }
            }
            DataLocation::Custom(_) => Err(Error::Unsupported(format!(
                "{}: not a tar-format entry",
                EntryRef::of(entry)
            ))),
        }
    }

    /// The entry's data (tar members are never compressed).
    pub fn open_data(&self, dump_id: DumpId) -> Result<DataReader> {
        let entry = self.entry(dump_id)?;
        if entry.desc == Desc::Blobs {
            return Err(Error::Unsupported(format!(
                "{}: large objects are read with open_blobs",
                EntryRef::of(entry)
            )));
        }
        match self.member_for(entry)? {
            None => Ok(Box::new(io::empty())),
            Some(m) => self.open_member(m, EntryRef::of(entry)),
        }
    }

    /// The large objects of a BLOBS entry: 1.16 starts at `blob_<first OID of the tag>.dat`,
    /// older archives at the first `blob_` member; both continue through the contiguous
    /// run of `blob_` members.
    pub fn open_blobs(&self, dump_id: DumpId) -> Result<TarBlobs<'_>> {
        let entry = self.entry(dump_id)?;
        let start = if self.toc.header.version >= ArchiveVersion::V1_16 {
            let tag =
                String::from_utf8_lossy(entry.tag.as_deref().unwrap_or_default()).into_owned();
            let first: String = tag.chars().take_while(char::is_ascii_digit).collect();
            let name = format!("blob_{first}.dat");
            match self.by_name.get(&name) {
                Some(&i) => i,
                None => {
                    return Err(Error::MissingMember {
                        file: self.label.clone(),
                        member: name,
                        entry: EntryRef::of(entry),
                    })
                }
            }
        } else {
            match self
                .members
                .iter()
                .position(|m| m.name.starts_with("blob_"))
            {
                Some(i) => i,
                None => self.members.len(),
            }
        };
        Ok(TarBlobs {
            reader: self,
            entry: EntryRef::of(entry),
            next: start,
        })
    }

    pub fn size_estimate(&self, dump_id: DumpId) -> Option<u64> {
        let entry = self.entry(dump_id).ok()?;
        self.member_for(entry).ok()?.map(|m| m.size)
    }
}

/// The large objects of one BLOBS entry of a tar archive.
pub struct TarBlobs<'a> {
    reader: &'a TarReader,
    entry: EntryRef,
    next: usize,
}

impl TarBlobs<'_> {
    pub fn next_blob(&mut self) -> Result<Option<Blob<'_>>> {
        let Some(m) = self.reader.members.get(self.next) else {
            return Ok(None);
        };
        let Some(rest) = m.name.strip_prefix("blob_") else {
            return Ok(None);
        };
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let oid: u32 = digits.parse().map_err(|_| Error::Corrupt {
            file: self.reader.label.clone(),
            offset: m.offset,
            detail: format!(
                "{}: invalid large object member name \"{}\"",
                self.entry, m.name
            ),
        })?;
        self.next += 1;
        let data = self.reader.open_member(m, self.entry.clone())?;
        Ok(Some(Blob { oid, data }))
    }
}
