//! Reads custom archives from a named, seekable file. Each `open_data` call opens its
//! own file handle, so several entries can be read at once (parallel restore).
//! Entries whose offset was never recorded (pipe output, pg_dump 18's append-mode
//! rewrite) are found by scanning blocks forward as pg_restore does (§4.4); found
//! positions are remembered. Bytes after the last block are never looked at unless a
//! block is still missing.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{BLOCK_BLOBS, BLOCK_DATA};
use crate::archive::{Blob, DataReader, WithContext};
use crate::codec::{read_header, read_toc, ByteReader, ExtraKind};
use crate::compress::{decoder, Container};
use crate::error::{EntryRef, Error, Result};
use crate::model::{
    CompressionAlgorithm, CustomOffset, DataLocation, Desc, DumpId, FormatCode, Toc, TocEntry,
};

type FileReader = ByteReader<BufReader<File>>;

pub struct CustomReader {
    path: PathBuf,
    label: String,
    toc: Toc,
    /// Offset of the first byte after the TOC (where the first block starts).
    data_start: u64,
    file_size: u64,
    scan: Mutex<ScanState>,
}

#[derive(Default)]
struct ScanState {
    /// Block positions learned by scanning.
    found: HashMap<DumpId, u64>,
    /// Where the next scan continues (0 = not started).
    scanned_to: u64,
}

impl CustomReader {
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let label = path.display().to_string();
        let file = File::open(&path).map_err(|e| Error::io(&label, e))?;
        let file_size = file.metadata().map_err(|e| Error::io(&label, e))?.len();
        let mut r = ByteReader::new(BufReader::new(file), label.clone(), 0, Some(file_size));
        let header = read_header(&mut r)?;
        if header.format != FormatCode::Custom {
            return Err(Error::Corrupt {
                file: label,
                offset: 10,
                detail: format!(
                    "expected format (1) differs from format found in file ({})",
                    header.format.to_byte()
                ),
            });
        }
        let entries = read_toc(&mut r, ExtraKind::Offset)?;
        let data_start = r.position();
        Ok(CustomReader {
            path,
            label,
            toc: Toc { header, entries },
            data_start,
            file_size,
            scan: Mutex::new(ScanState::default()),
        })
    }

    pub fn toc(&self) -> &Toc {
        &self.toc
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Offset of the first data block (the byte after the TOC).
    pub fn data_start(&self) -> u64 {
        self.data_start
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

    fn algorithm(&self) -> CompressionAlgorithm {
        self.toc.header.compression.algorithm()
    }

    fn open_at(&self, pos: u64) -> Result<FileReader> {
        let mut f = File::open(&self.path).map_err(|e| Error::io(&self.label, e))?;
        f.seek(SeekFrom::Start(pos))
            .map_err(|e| Error::io(&self.label, e))?;
        let mut r = ByteReader::new(
            BufReader::with_capacity(64 * 1024, f),
            self.label.clone(),
            pos,
            Some(self.file_size),
        );
        r.configure(&self.toc.header);
        Ok(r)
    }

    /// Position of the entry's block, `None` when the entry has no data.
    fn locate(&self, entry: &TocEntry) -> Result<Option<u64>> {
        match entry.data_location {
            DataLocation::Custom(CustomOffset::NoData) => Ok(None),
            DataLocation::Custom(CustomOffset::PosSet(p)) => {
                if p < self.data_start || p >= self.file_size {
                    return Err(Error::Corrupt {
                        file: self.label.clone(),
                        offset: p,
                        detail: format!("{}: data offset outside the file", EntryRef::of(entry)),
                    });
                }
                Ok(Some(p))
            }
            DataLocation::Custom(CustomOffset::PosNotSet) => self.scan_for(entry).map(Some),
            DataLocation::File(_) => Err(Error::Unsupported(format!(
                "{}: not a custom-format entry",
                EntryRef::of(entry)
            ))),
        }
    }

    fn scan_for(&self, entry: &TocEntry) -> Result<u64> {
        let mut state = self.scan.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(&p) = state.found.get(&entry.dump_id) {
            return Ok(p);
        }
        if state.scanned_to == 0 {
            state.scanned_to = self.data_start;
        }
        let mut r = self.open_at(state.scanned_to)?;
        loop {
            let block_pos = r.position();
            let Some(block_type) = r.read_byte_or_eof()? else {
                return Err(Error::BlockNotFound {
                    file: self.label.clone(),
                    entry: EntryRef::of(entry),
                });
            };
            let id = r.read_i32("data block dump ID")?;
            match block_type {
                BLOCK_DATA => skip_chunks(&mut r)?,
                BLOCK_BLOBS => loop {
                    if r.read_oid_int("large object OID")? == 0 {
                        break;
                    }
                    skip_chunks(&mut r)?;
                },
                other => {
                    return Err(r.corrupt(
                        block_pos,
                        format!("unrecognized data block type ({other}) while searching archive"),
                    ))
                }
            }
            state.found.entry(id).or_insert(block_pos);
            state.scanned_to = r.position();
            if id == entry.dump_id {
                return Ok(block_pos);
            }
        }
    }

    /// Opens the block of `entry`, checks its type and dump ID, and returns the reader
    /// positioned at the block body.
    fn open_block(&self, entry: &TocEntry, expected_type: u8) -> Result<Option<FileReader>> {
        let Some(pos) = self.locate(entry)? else {
            return Ok(None);
        };
        let mut r = self.open_at(pos)?;
        let block_type = r.read_byte("data block type")?;
        let id = r.read_i32("data block dump ID")?;
        if id != entry.dump_id {
            return Err(r.corrupt(
                pos,
                format!(
                    "found unexpected block ID ({id}) when reading data -- expected {}",
                    entry.dump_id
                ),
            ));
        }
        if block_type != expected_type {
            return Err(r.corrupt(
                pos,
                format!(
                    "{}: data block type {block_type}, expected {expected_type}",
                    EntryRef::of(entry)
                ),
            ));
        }
        Ok(Some(r))
    }

    /// The entry's table data, decompressed as it is read.
    pub fn open_data(&self, dump_id: DumpId) -> Result<DataReader> {
        let entry = self.entry(dump_id)?;
        if entry.desc == Desc::Blobs {
            return Err(Error::Unsupported(format!(
                "{}: large objects are read with open_blobs",
                EntryRef::of(entry)
            )));
        }
        let Some(r) = self.open_block(entry, BLOCK_DATA)? else {
            return Ok(Box::new(io::empty()));
        };
        let chunks = ChunkReader::new(r);
        let dec = decoder(self.algorithm(), Container::CustomStream, chunks)
            .map_err(|e| Error::io(&self.label, e))?;
        Ok(Box::new(WithContext::new(
            dec,
            self.label.clone(),
            EntryRef::of(entry),
        )))
    }

    /// The large objects of a BLOBS entry.
    pub fn open_blobs(&self, dump_id: DumpId) -> Result<CustomBlobs> {
        let entry = self.entry(dump_id)?;
        let r = self.open_block(entry, BLOCK_BLOBS)?;
        Ok(CustomBlobs {
            chunks: r.map(ChunkReader::new),
            algorithm: self.algorithm(),
            label: self.label.clone(),
            entry: EntryRef::of(entry),
            started: false,
        })
    }

    /// The raw block (type byte, then the body bytes after the dump ID, through the end
    /// marker), for copying a block unchanged into another archive.
    pub fn raw_block(&self, dump_id: DumpId) -> Result<Option<(u8, u64, DataReader)>> {
        let entry = self.entry(dump_id)?;
        let Some(pos) = self.locate(entry)? else {
            return Ok(None);
        };
        let mut r = self.open_at(pos)?;
        let block_type = r.read_byte("data block type")?;
        r.read_i32("data block dump ID")?;
        let body_start = r.position();
        match block_type {
            BLOCK_DATA => skip_chunks(&mut r)?,
            BLOCK_BLOBS => {
                while r.read_oid_int("large object OID")? != 0 {
                    skip_chunks(&mut r)?;
                }
            }
            other => return Err(r.corrupt(pos, format!("unrecognized data block type ({other})"))),
        }
        let len = r.position() - body_start;
        let f = self.open_at(body_start)?.into_inner();
        Ok(Some((block_type, len, Box::new(f.take(len)))))
    }

    /// Estimated data size: distance to the next recorded block (or to the end of the
    /// file), as pg_restore estimates it; `None` without recorded offsets.
    pub fn size_estimate(&self, dump_id: DumpId) -> Option<u64> {
        let entry = self.entry(dump_id).ok()?;
        let DataLocation::Custom(CustomOffset::PosSet(p)) = entry.data_location else {
            return None;
        };
        let next = self
            .toc
            .entries
            .iter()
            .filter_map(|e| match e.data_location {
                DataLocation::Custom(CustomOffset::PosSet(q)) if q > p => Some(q),
                _ => None,
            })
            .min()
            .unwrap_or(self.file_size);
        Some(next.saturating_sub(p))
    }
}

fn skip_chunks(r: &mut FileReader) -> Result<()> {
    loop {
        let at = r.position();
        let len = r.read_int("data chunk length")?;
        if len == 0 {
            return Ok(());
        }
        if len < 0 {
            return Err(Error::AbsurdLength {
                file: r.file().to_string(),
                offset: at,
                length: len,
                what: "data chunk length".into(),
            });
        }
        r.skip_file(len as u64, "data chunk")?;
    }
}

/// The payload of a chunk-framed stream (§4.2): Int length + bytes, until Int 0.
pub(crate) struct ChunkReader<R> {
    r: ByteReader<R>,
    left: u64,
    done: bool,
}

impl<R: Read> ChunkReader<R> {
    pub(crate) fn new(r: ByteReader<R>) -> Self {
        ChunkReader {
            r,
            left: 0,
            done: false,
        }
    }

    fn next_chunk(&mut self) -> Result<()> {
        while self.left == 0 && !self.done {
            let at = self.r.position();
            let len = self.r.read_int("data chunk length")?;
            if len == 0 {
                self.done = true;
            } else if len < 0 || self.r.remaining().is_some_and(|rem| len as u64 > rem) {
                return Err(Error::AbsurdLength {
                    file: self.r.file().to_string(),
                    offset: at,
                    length: len,
                    what: "data chunk length".into(),
                });
            } else {
                self.left = len as u64;
            }
        }
        Ok(())
    }

    /// Skips to the end marker of the current stream.
    pub(crate) fn drain(&mut self) -> Result<()> {
        let mut scratch = [0u8; 8192];
        while !self.done {
            self.next_chunk()?;
            while self.left > 0 {
                let k = self.left.min(scratch.len() as u64) as usize;
                let n = self.r.read_some(&mut scratch[..k], "data chunk")?;
                self.left -= n as u64;
            }
        }
        Ok(())
    }

    /// Marks the current stream as ended (nothing to drain).
    pub(crate) fn mark_done(&mut self) {
        self.left = 0;
        self.done = true;
    }

    /// Starts the next stream of the same block (large objects).
    pub(crate) fn restart(&mut self) {
        self.left = 0;
        self.done = false;
    }

    pub(crate) fn byte_reader(&mut self) -> &mut ByteReader<R> {
        &mut self.r
    }
}

impl<R: Read> Read for ChunkReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.next_chunk().map_err(Error::into_io)?;
        if self.done {
            return Ok(0);
        }
        let k = (buf.len() as u64).min(self.left) as usize;
        let n = self
            .r
            .read_some(&mut buf[..k], "data chunk")
            .map_err(Error::into_io)?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// The large objects of one BLOBS block, in archive order.
pub struct CustomBlobs {
    chunks: Option<ChunkReader<BufReader<File>>>,
    algorithm: CompressionAlgorithm,
    label: String,
    entry: EntryRef,
    started: bool,
}

impl CustomBlobs {
    /// The next large object, or `None` after the last. Any unread rest of the previous
    /// one is skipped.
    pub fn next_blob(&mut self) -> Result<Option<Blob<'_>>> {
        let oid = {
            let Some(chunks) = self.chunks.as_mut() else {
                return Ok(None);
            };
            if self.started {
                chunks.drain()?;
            }
            chunks.byte_reader().read_oid_int("large object OID")?
        };
        if oid == 0 {
            self.chunks = None;
            return Ok(None);
        }
        let Some(chunks) = self.chunks.as_mut() else {
            return Ok(None);
        };
        self.started = true;
        chunks.restart();
        let dec = decoder(self.algorithm, Container::CustomStream, chunks)
            .map_err(|e| Error::io(&self.label, e))?;
        let entry = EntryRef {
            tag: format!("{} (large object {oid})", self.entry.tag),
            ..self.entry.clone()
        };
        Ok(Some(Blob {
            oid,
            data: Box::new(WithContext::new(dec, self.label.clone(), entry)),
        }))
    }
}
