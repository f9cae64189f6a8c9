//! Reads a custom archive from a non-seekable stream (stdin), as pg_restore does:
//! blocks are found by reading forward; a block already passed cannot be read again
//! ("out-of-order restore request"). One data stream is open at a time: opening the
//! next entry skips whatever the previous reader left unread, and that reader then
//! fails instead of returning another entry's bytes.

use std::collections::HashSet;
use std::io::{self, Read};
use std::sync::{Arc, Mutex, MutexGuard};

use super::reader::ChunkReader;
use super::{BLOCK_BLOBS, BLOCK_DATA};
use crate::archive::{Blob, DataReader, WithContext};
use crate::codec::{read_header, read_toc, ByteReader, ExtraKind};
use crate::compress::{decoder, Container};
use crate::error::{EntryRef, Error, Result};
use crate::model::{
    CompressionAlgorithm, CustomOffset, DataLocation, Desc, DumpId, FormatCode, Toc, TocEntry,
};

type Input = Box<dyn Read + Send>;

struct State {
    chunks: ChunkReader<Input>,
    /// Incremented by every open; readers of older generations fail.
    generation: u64,
    /// Block type of the block the stream is inside, if any.
    pending: Option<u8>,
    passed: HashSet<DumpId>,
}

pub struct CustomStreamReader {
    label: String,
    toc: Toc,
    state: Arc<Mutex<State>>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

impl CustomStreamReader {
    /// Reads header and TOC from `input`; data is read on demand, forward only.
    pub fn new(input: Input, label: impl Into<String>) -> Result<Self> {
        let label = label.into();
        let mut r = ByteReader::new(input, label.clone(), 0, None);
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
        let mut chunks = ChunkReader::new(r);
        chunks.mark_done();
        let state = State {
            chunks,
            generation: 0,
            pending: None,
            passed: HashSet::new(),
        };
        Ok(CustomStreamReader {
            label,
            toc: Toc { header, entries },
            state: Arc::new(Mutex::new(state)),
        })
    }

    pub fn toc(&self) -> &Toc {
        &self.toc
    }

    fn entry(&self, dump_id: DumpId) -> Result<&TocEntry> {
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

    /// Skips the rest of the block the stream is in.
    fn finish_pending(st: &mut State) -> Result<()> {
        match st.pending.take() {
            Some(BLOCK_DATA) => st.chunks.drain(),
            Some(_) => {
                st.chunks.drain()?;
                while st.chunks.byte_reader().read_oid_int("large object OID")? != 0 {
                    st.chunks.restart();
                    st.chunks.drain()?;
                }
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Positions the stream inside `entry`'s block; `false` if the entry has no data.
    fn seek_block(&self, st: &mut State, entry: &TocEntry, expected: u8) -> Result<bool> {
        if matches!(
            entry.data_location,
            DataLocation::Custom(CustomOffset::NoData)
        ) {
            return Ok(false);
        }
        Self::finish_pending(st)?;
        st.generation += 1;
        if st.passed.contains(&entry.dump_id) {
            return Err(Error::OutOfOrder {
                file: self.label.clone(),
                member: format!("data block {}", entry.dump_id),
                entry: EntryRef::of(entry),
            });
        }
        loop {
            let r = st.chunks.byte_reader();
            let at = r.position();
            let Some(block_type) = r.read_byte_or_eof()? else {
                return Err(Error::BlockNotFound {
                    file: self.label.clone(),
                    entry: EntryRef::of(entry),
                });
            };
            let id = r.read_i32("data block dump ID")?;
            if block_type != BLOCK_DATA && block_type != BLOCK_BLOBS {
                return Err(r.corrupt(
                    at,
                    format!("unrecognized data block type ({block_type}) while searching archive"),
                ));
            }
            if id == entry.dump_id {
                st.passed.insert(id);
                if block_type != expected {
                    return Err(r.corrupt(
                        at,
                        format!(
                            "{}: data block type {block_type}, expected {expected}",
                            EntryRef::of(entry)
                        ),
                    ));
                }
                if block_type == BLOCK_DATA {
                    st.chunks.restart();
                }
                st.pending = Some(block_type);
                return Ok(true);
            }
            st.pending = Some(block_type);
            if block_type == BLOCK_DATA {
                st.chunks.restart();
            }
            Self::finish_pending(st)?;
            st.passed.insert(id);
        }
    }

    pub fn open_data(&self, dump_id: DumpId) -> Result<DataReader> {
        let entry = self.entry(dump_id)?;
        if entry.desc == Desc::Blobs {
            return Err(Error::Unsupported(format!(
                "{}: large objects are read with open_blobs",
                EntryRef::of(entry)
            )));
        }
        let mut st = lock(&self.state);
        if !self.seek_block(&mut st, entry, BLOCK_DATA)? {
            return Ok(Box::new(io::empty()));
        }
        let raw = StreamChunks {
            state: self.state.clone(),
            generation: st.generation,
            entry: EntryRef::of(entry),
        };
        drop(st);
        let dec = decoder(self.algorithm(), Container::CustomStream, raw)
            .map_err(|e| Error::io(&self.label, e))?;
        Ok(Box::new(WithContext::new(
            dec,
            self.label.clone(),
            EntryRef::of(entry),
        )))
    }

    pub fn open_blobs(&self, dump_id: DumpId) -> Result<CustomStreamBlobs> {
        let entry = self.entry(dump_id)?;
        let mut st = lock(&self.state);
        let found = self.seek_block(&mut st, entry, BLOCK_BLOBS)?;
        Ok(CustomStreamBlobs {
            state: self.state.clone(),
            generation: st.generation,
            finished: !found,
            algorithm: self.algorithm(),
            label: self.label.clone(),
            entry: EntryRef::of(entry),
        })
    }
}

/// The chunk payload of the current stream, through the shared state.
struct StreamChunks {
    state: Arc<Mutex<State>>,
    generation: u64,
    entry: EntryRef,
}

impl Read for StreamChunks {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut st = lock(&self.state);
        if st.generation != self.generation {
            return Err(Error::Unsupported(format!(
                "{}: its data stream was closed by opening another entry (the input cannot seek)",
                self.entry
            ))
            .into_io());
        }
        st.chunks.read(buf)
    }
}

/// Large objects of a BLOBS block read from a stream.
pub struct CustomStreamBlobs {
    state: Arc<Mutex<State>>,
    generation: u64,
    finished: bool,
    algorithm: CompressionAlgorithm,
    label: String,
    entry: EntryRef,
}

impl CustomStreamBlobs {
    pub fn next_blob(&mut self) -> Result<Option<Blob<'_>>> {
        if self.finished {
            return Ok(None);
        }
        let mut st = lock(&self.state);
        if st.generation != self.generation {
            return Err(Error::Unsupported(format!(
                "{}: closed by opening another entry (the input cannot seek)",
                self.entry
            )));
        }
        st.chunks.drain()?;
        let oid = st.chunks.byte_reader().read_oid_int("large object OID")?;
        if oid == 0 {
            st.pending = None;
            self.finished = true;
            return Ok(None);
        }
        st.chunks.restart();
        drop(st);
        let entry = EntryRef {
            tag: format!("{} (large object {oid})", self.entry.tag),
            ..self.entry.clone()
        };
        let raw = StreamChunks {
            state: self.state.clone(),
            generation: self.generation,
            entry: entry.clone(),
        };
        let dec = decoder(self.algorithm, Container::CustomStream, raw)
            .map_err(|e| Error::io(&self.label, e))?;
        Ok(Some(Blob {
            oid,
            data: Box::new(WithContext::new(dec, self.label.clone(), entry)),
        }))
    }
}
