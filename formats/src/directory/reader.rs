//! Reads directory archives. Files are found as pg_restore finds them: a name that
//! already ends in `.gz`/`.lz4`/`.zst` is used as is, otherwise the exact name, then
//! those suffixes in that order; the actual suffix decides the decompressor.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::archive::{Blob, DataReader, WithContext};
use crate::codec::{read_header, read_toc, ByteReader, ExtraKind};
use crate::compress::{algorithm_from_suffix, decoder, CompressionAlgorithm, Container};
use crate::error::{EntryRef, Error, Result};
use crate::model::{DataLocation, Desc, DumpId, FormatCode, Toc, TocEntry};

pub struct DirectoryReader {
    dir: PathBuf,
    label: String,
    toc: Toc,
    /// Position in `toc.entries` of each dump ID: entries are looked up once per
    /// data file opened, which with thousands of tables must not scan the TOC.
    by_id: HashMap<DumpId, usize>,
}

/// Longest line accepted in a large-object TOC file.
const MAX_LO_TOC_LINE: usize = 4096;

impl DirectoryReader {
    pub fn open(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        let label = dir.display().to_string();
        let Some((path, algorithm)) = discover(&dir, "toc.dat") else {
            return Err(Error::BadMagic {
                file: label.clone(),
                detail: format!("directory \"{label}\" does not appear to be a valid archive (\"toc.dat\" does not exist)"),
            });
        };
        let toc_label = path.display().to_string();
        let file = File::open(&path).map_err(|e| Error::io(&toc_label, e))?;
        let size = file.metadata().map_err(|e| Error::io(&toc_label, e))?.len();
        let end = (algorithm == CompressionAlgorithm::None).then_some(size);
        let input = decoder(algorithm, Container::DirectoryFile, BufReader::new(file))
            .map_err(|e| Error::io(&toc_label, e))?;
        let mut r = ByteReader::new(input, toc_label.clone(), 0, end);
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
        // The first entry of a dump ID wins, as a front-to-back scan would find it.
        let mut by_id = HashMap::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            by_id.entry(entry.dump_id).or_insert(index);
        }
        Ok(DirectoryReader {
            dir,
            label,
            toc: Toc { header, entries },
            by_id,
        })
    }

    pub fn toc(&self) -> &Toc {
        &self.toc
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn entry(&self, dump_id: DumpId) -> Result<&TocEntry> {
        self.by_id
            .get(&dump_id)
            .and_then(|&index| self.toc.entries.get(index))
            .ok_or_else(|| Error::NoSuchEntry {
                file: self.label.clone(),
                dump_id,
            })
    }

    fn file_name(entry: &TocEntry) -> Result<Option<String>> {
        match &entry.data_location {
            DataLocation::File(name) if name.is_empty() => Ok(None),
            DataLocation::File(name) => {
                let name = String::from_utf8(name.clone()).map_err(|_| {
                    Error::Unsupported(format!("{}: file name is not UTF-8", EntryRef::of(entry)))
                })?;
                if name.contains('/') || name == ".." {
                    return Err(Error::Unsupported(format!(
                        "{}: file name \"{name}\" leaves the archive directory",
                        EntryRef::of(entry)
                    )));
                }
                Ok(Some(name))
            }
            DataLocation::Custom(_) => Err(Error::Unsupported(format!(
                "{}: not a directory-format entry",
                EntryRef::of(entry)
            ))),
        }
    }

    fn open_file(&self, name: &str, entry: &TocEntry) -> Result<Box<dyn Read + Send>> {
        let Some((path, algorithm)) = discover(&self.dir, name) else {
            return Err(Error::MissingMember {
                file: self.label.clone(),
                member: name.to_string(),
                entry: EntryRef::of(entry),
            });
        };
        let label = path.display().to_string();
        let file = File::open(&path).map_err(|e| Error::io(&label, e))?;
        let dec = decoder(
            algorithm,
            Container::DirectoryFile,
            BufReader::with_capacity(64 * 1024, file),
        )
        .map_err(|e| Error::io(&label, e))?;
        Ok(Box::new(WithContext::new(dec, label, EntryRef::of(entry))))
    }

    pub fn open_data(&self, dump_id: DumpId) -> Result<DataReader> {
        let entry = self.entry(dump_id)?;
        if entry.desc == Desc::Blobs {
            return Err(Error::Unsupported(format!(
                "{}: large objects are read with open_blobs",
                EntryRef::of(entry)
            )));
        }
        match Self::file_name(entry)? {
            None => Ok(Box::new(io::empty())),
            Some(name) => self.open_file(&name, entry),
        }
    }

    /// Reads the entry's large-object TOC (one `"<oid> <file>"` line per object).
    pub fn open_blobs(&self, dump_id: DumpId) -> Result<DirectoryBlobs<'_>> {
        let entry = self.entry(dump_id)?;
        let mut list = Vec::new();
        if let Some(name) = Self::file_name(entry)? {
            let mut r = BufReader::new(self.open_file(&name, entry)?);
            let mut line = Vec::new();
            loop {
                line.clear();
                let n = (&mut r)
                    .take(MAX_LO_TOC_LINE as u64 + 1)
                    .read_until(b'\n', &mut line)
                    .map_err(|e| Error::io(&self.label, e))?;
                if n == 0 {
                    break;
                }
                let bad = || Error::Data {
                    file: format!("{}/{name}", self.label),
                    entry: EntryRef::of(entry),
                    detail: format!(
                        "invalid line in large object TOC file: \"{}\"",
                        String::from_utf8_lossy(&line).trim_end()
                    ),
                };
                if n > MAX_LO_TOC_LINE {
                    return Err(bad());
                }
                let text = std::str::from_utf8(&line)
                    .map_err(|_| bad())?
                    .trim_end_matches(['\n', '\r']);
                let mut parts = text.split_whitespace();
                let (Some(oid), Some(file), None) = (parts.next(), parts.next(), parts.next())
                else {
                    return Err(bad());
                };
                let oid: u32 = oid.parse().map_err(|_| bad())?;
                if file.contains('/') {
                    return Err(bad());
                }
                list.push((oid, file.to_string()));
            }
        }
        Ok(DirectoryBlobs {
            reader: self,
            entry: entry.clone(),
            list: list.into_iter(),
        })
    }

    /// The data file's size (BLOBS: LO TOC size × 1024, as pg_restore estimates).
    pub fn size_estimate(&self, dump_id: DumpId) -> Option<u64> {
        let entry = self.entry(dump_id).ok()?;
        let name = Self::file_name(entry).ok()??;
        let (path, _) = discover(&self.dir, &name)?;
        let len = std::fs::metadata(path).ok()?.len();
        Some(if entry.desc == Desc::Blobs {
            len.saturating_mul(1024)
        } else {
            len
        })
    }
}

/// pg_restore's file discovery; returns the path found and its algorithm.
pub(crate) fn discover(dir: &Path, name: &str) -> Option<(PathBuf, CompressionAlgorithm)> {
    if let Some(alg) = algorithm_from_suffix(name) {
        let p = dir.join(name);
        return p.is_file().then_some((p, alg));
    }
    [
        ("", CompressionAlgorithm::None),
        (".gz", CompressionAlgorithm::Gzip),
        (".lz4", CompressionAlgorithm::Lz4),
        (".zst", CompressionAlgorithm::Zstd),
    ]
    .into_iter()
    .map(|(suffix, alg)| (dir.join(format!("{name}{suffix}")), alg))
    .find(|(p, _)| p.is_file())
}

/// The large objects of a BLOBS entry, in LO TOC order.
pub struct DirectoryBlobs<'a> {
    reader: &'a DirectoryReader,
    entry: TocEntry,
    list: std::vec::IntoIter<(u32, String)>,
}

impl DirectoryBlobs<'_> {
    pub fn next_blob(&mut self) -> Result<Option<Blob<'_>>> {
        let Some((oid, name)) = self.list.next() else {
            return Ok(None);
        };
        let data = self.reader.open_file(&name, &self.entry)?;
        Ok(Some(Blob { oid, data }))
    }
}
