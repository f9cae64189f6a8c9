//! Writes custom archives: header + TOC (data offsets "not set"), data blocks in the
//! order written, then — on a file — the TOC rewritten in place with each block's
//! position (a positional write at offset 0, never through an append-mode handle).
//! A file is written under a temporary name and renamed by `finish`, so a half-written
//! archive never carries the final name. Non-seekable output keeps offset state 1,
//! which pg_restore handles by scanning.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::{BLOCK_BLOBS, BLOCK_DATA};
use crate::codec::{encode_header_and_toc, write_header, write_toc, ByteWriter};
use crate::compress::member::{CompressedMember, MemberStream};
use crate::compress::{none::CHUNK_SIZE, CompressionSpec, Container, Encoder, SharedBuf};
use crate::error::{EntryRef, Error, Result};
use crate::model::{CustomOffset, DataLocation, DumpId, FormatCode, Header, Toc, TocEntry};

enum Sink {
    File(BufWriter<File>),
    Stream(Box<dyn Write + Send>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::File(f) => f.write(buf),
            Sink::Stream(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::File(f) => f.flush(),
            Sink::Stream(s) => s.flush(),
        }
    }
}

enum Stream {
    Plain(Encoder<SharedBuf>, SharedBuf),
    Members(MemberStream),
}

enum Current {
    Idle,
    Data {
        stream: Stream,
    },
    Blobs {
        lo: Option<(u32, Stream)>,
        last_oid: Option<u32>,
    },
}

pub struct CustomWriter {
    out: ByteWriter<Sink>,
    /// (temporary path, final path) when writing a file.
    paths: Option<(PathBuf, PathBuf)>,
    /// The temporary file's entry for removal on interruption.
    registration: Option<crate::unfinished::Registration>,
    label: String,
    header: Header,
    entries: Vec<TocEntry>,
    toc_len: u64,
    spec: CompressionSpec,
    blocks: HashMap<DumpId, u64>,
    current: Current,
    finished: bool,
    sync: bool,
}

/// Sets the fields the custom format fixes: format code, compression, offsets.
fn prepare(mut toc: Toc, spec: &CompressionSpec) -> Result<Toc> {
    crate::codec::check_writable_version(toc.header.version)?;
    toc.header.format = FormatCode::Custom;
    toc.header.compression = spec.header_compression(toc.header.version)?;
    if toc.header.int_size < 4 || toc.header.off_size < 8 {
        return Err(Error::Unsupported(
            "custom archives are written with integer size ≥ 4 and offset size ≥ 8".into(),
        ));
    }
    for e in &mut toc.entries {
        e.data_location = DataLocation::Custom(if e.had_dumper {
            CustomOffset::PosNotSet
        } else {
            CustomOffset::NoData
        });
    }
    Ok(toc)
}

impl CustomWriter {
    /// Creates `path` (through a temporary name) and writes header and TOC.
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
        let sink = Sink::File(BufWriter::with_capacity(256 * 1024, file));
        let mut w = Self::start(sink, label, toc, spec)?;
        w.paths = Some((tmp, final_path));
        w.registration = Some(registration);
        w.sync = sync;
        Ok(w)
    }

    /// Writes to a non-seekable stream (stdout, a pipe): offsets stay "not set".
    pub fn to_stream(
        out: Box<dyn Write + Send>,
        label: impl Into<String>,
        toc: Toc,
        spec: CompressionSpec,
    ) -> Result<Self> {
        Self::start(Sink::Stream(out), label.into(), toc, spec)
    }

    fn start(sink: Sink, label: String, toc: Toc, spec: CompressionSpec) -> Result<Self> {
        let toc = prepare(toc, &spec)?;
        let mut out = ByteWriter::new(sink, label.clone(), 0);
        write_header(&mut out, &toc.header)?;
        write_toc(&mut out, &toc.header, &toc.entries)?;
        let toc_len = out.position();
        Ok(CustomWriter {
            out,
            paths: None,
            registration: None,
            label,
            header: toc.header,
            entries: toc.entries,
            toc_len,
            spec,
            blocks: HashMap::new(),
            current: Current::Idle,
            finished: false,
            sync: false,
        })
    }

    fn entry(&self, dump_id: DumpId) -> Result<&TocEntry> {
        self.entries
            .iter()
            .find(|e| e.dump_id == dump_id)
            .ok_or_else(|| Error::NoSuchEntry {
                file: self.label.clone(),
                dump_id,
            })
    }

    fn misuse(&self, what: &str) -> Error {
        Error::Unsupported(format!("{}: {what}", self.label))
    }

    fn begin_block(&mut self, dump_id: DumpId, block_type: u8) -> Result<()> {
        if !matches!(self.current, Current::Idle) {
            return Err(self.misuse("a data stream is already open"));
        }
        let entry = self.entry(dump_id)?;
        if !entry.had_dumper {
            return Err(self.misuse(&format!(
                "{} has no data component (hadDumper 0)",
                EntryRef::of(entry)
            )));
        }
        if self.blocks.contains_key(&dump_id) {
            return Err(self.misuse(&format!("{} already has data", EntryRef::of(entry))));
        }
        self.blocks.insert(dump_id, self.out.position());
        self.out.write_byte(block_type)?;
        self.out.write_int(i64::from(dump_id))
    }

    fn new_stream(&self) -> Result<Stream> {
        let buf = SharedBuf::default();
        Encoder::new(&self.spec, Container::CustomStream, buf.clone())
            .map(|e| Stream::Plain(e, buf))
            .map_err(|e| Error::io(&self.label, e))
    }

    pub fn begin_data(&mut self, dump_id: DumpId) -> Result<()> {
        self.begin_block(dump_id, BLOCK_DATA)?;
        let stream = self.new_stream()?;
        self.current = Current::Data { stream };
        Ok(())
    }

    /// Begins a data stream fed with [`CompressedMember`]s instead of raw bytes.
    pub fn begin_data_members(&mut self, dump_id: DumpId) -> Result<()> {
        self.begin_block(dump_id, BLOCK_DATA)?;
        self.current = Current::Data {
            stream: Stream::Members(MemberStream::new(self.spec, Container::CustomStream)),
        };
        Ok(())
    }

    pub fn write_data(&mut self, buf: &[u8]) -> Result<()> {
        let stream = match &mut self.current {
            Current::Data { stream, .. } => stream,
            Current::Blobs {
                lo: Some((_, stream)),
                ..
            } => stream,
            _ => return Err(self.misuse("write_data without an open data stream or large object")),
        };
        let Stream::Plain(enc, pending) = stream else {
            return Err(Error::Unsupported(format!(
                "{}: this stream takes compressed members",
                self.label
            )));
        };
        enc.write_all(buf).map_err(|e| Error::io(&self.label, e))?;
        if pending.len() >= CHUNK_SIZE {
            let bytes = pending.take();
            emit_chunk(&mut self.out, &bytes)?;
        }
        Ok(())
    }

    pub fn write_compressed_member(&mut self, member: &CompressedMember) -> Result<()> {
        let Current::Data {
            stream: Stream::Members(ms),
            ..
        } = &mut self.current
        else {
            return Err(self.misuse("write_compressed_member needs begin_data_members"));
        };
        let out = &mut self.out;
        // Each call of the callback carries bytes of this member only: one or more chunks
        // of its own (zstd frames must end at a chunk end for pg_restore).
        ms.push(member, &mut |b| emit_chunk(out, b))
    }

    fn end_stream(out: &mut ByteWriter<Sink>, stream: Stream, label: &str) -> Result<()> {
        match stream {
            Stream::Plain(enc, pending) => {
                enc.finish().map_err(|e| Error::io(label, e))?;
                emit_chunk(out, &pending.take())?;
            }
            Stream::Members(ms) => ms.finish(&mut |b| emit_chunk(out, b))?,
        }
        out.write_int(0)
    }

    pub fn end_data(&mut self) -> Result<()> {
        match std::mem::replace(&mut self.current, Current::Idle) {
            Current::Data { stream, .. } => Self::end_stream(&mut self.out, stream, &self.label),
            other => {
                self.current = other;
                Err(self.misuse("end_data without begin_data"))
            }
        }
    }

    pub fn begin_blobs(&mut self, dump_id: DumpId) -> Result<()> {
        self.begin_block(dump_id, BLOCK_BLOBS)?;
        self.current = Current::Blobs {
            lo: None,
            last_oid: None,
        };
        Ok(())
    }

    pub fn start_lo(&mut self, oid: u32) -> Result<()> {
        if oid == 0 {
            return Err(self.misuse("large object OID 0 cannot be stored (it ends the block)"));
        }
        let stream = self.new_stream()?;
        match &mut self.current {
            Current::Blobs {
                lo: lo @ None,
                last_oid,
                ..
            } => {
                *lo = Some((oid, stream));
                *last_oid = Some(oid);
            }
            _ => {
                return Err(
                    self.misuse("start_lo outside begin_blobs, or previous large object not ended")
                )
            }
        }
        self.out.write_oid_int(oid)
    }

    pub fn end_lo(&mut self) -> Result<()> {
        let Current::Blobs { lo, .. } = &mut self.current else {
            return Err(self.misuse("end_lo without start_lo"));
        };
        let Some((_, stream)) = lo.take() else {
            return Err(self.misuse("end_lo without start_lo"));
        };
        Self::end_stream(&mut self.out, stream, &self.label)
    }

    pub fn end_blobs(&mut self) -> Result<()> {
        match &self.current {
            Current::Blobs { lo: None, .. } => {}
            _ => {
                return Err(
                    self.misuse("end_blobs without begin_blobs, or a large object is still open")
                )
            }
        }
        self.current = Current::Idle;
        self.out.write_int(0)
    }

    /// Copies a block body unchanged (everything after type and dump ID through the end
    /// marker, as [`super::CustomReader::raw_block`] returns it). The body must be in this
    /// archive's compression.
    pub fn write_raw_block(
        &mut self,
        dump_id: DumpId,
        block_type: u8,
        body: &mut dyn Read,
    ) -> Result<()> {
        self.begin_block(dump_id, block_type)?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = body.read(&mut buf).map_err(|e| Error::io(&self.label, e))?;
            if n == 0 {
                break;
            }
            self.out.write_bytes(&buf[..n])?;
        }
        Ok(())
    }

    /// Ends the archive: checks every entry with data got it, rewrites the TOC with
    /// block positions (files), flushes, and renames the file into place.
    pub fn finish(mut self) -> Result<()> {
        if !matches!(self.current, Current::Idle) {
            return Err(self.misuse("finish with a data stream still open"));
        }
        if let Some(e) = self
            .entries
            .iter()
            .find(|e| e.had_dumper && !self.blocks.contains_key(&e.dump_id))
        {
            return Err(self.misuse(&format!(
                "{} has a data component but no data was written",
                EntryRef::of(e)
            )));
        }
        self.out
            .get_mut()
            .flush()
            .map_err(|e| Error::write(&self.label, e))?;
        if let Some((tmp, final_path)) = self.paths.clone() {
            for e in &mut self.entries {
                if let Some(&p) = self.blocks.get(&e.dump_id) {
                    e.data_location = DataLocation::Custom(CustomOffset::PosSet(p));
                }
            }
            let bytes = encode_header_and_toc(&self.header, &self.entries)?;
            if bytes.len() as u64 != self.toc_len {
                return Err(self.misuse("rewritten TOC differs in length from the first one"));
            }
            let Sink::File(bw) = self.out.get_mut() else {
                return Err(self.misuse("file sink expected"));
            };
            let file = bw.get_ref();
            file.write_all_at(&bytes, 0)
                .map_err(|e| Error::write(&self.label, e))?;
            if self.sync {
                file.sync_all().map_err(|e| Error::write(&self.label, e))?;
            }
            match self.registration.take() {
                Some(registration) => {
                    crate::unfinished::rename_into_place(registration, &tmp, &final_path)
                }
                None => std::fs::rename(&tmp, &final_path),
            }
            .map_err(|e| Error::io(final_path.display(), e))?;
        }
        self.finished = true;
        Ok(())
    }

    /// The container producers of [`CompressedMember`]s must compress for.
    pub fn member_container(&self) -> Container {
        Container::CustomStream
    }

    pub fn header(&self) -> &Header {
        &self.header
    }
}

impl Drop for CustomWriter {
    fn drop(&mut self) {
        if !self.finished {
            if let Some((tmp, _)) = &self.paths {
                let _ = std::fs::remove_file(tmp);
            }
        }
    }
}

/// Frames `bytes` as chunks (never empty: a zero length ends the stream).
fn emit_chunk(out: &mut ByteWriter<Sink>, bytes: &[u8]) -> Result<()> {
    for piece in bytes.chunks(1 << 30) {
        out.write_int(piece.len() as i64)?;
        out.write_bytes(piece)?;
    }
    Ok(())
}

/// `<name>.pgark-tmp-<pid>` beside the final file.
pub(crate) fn temp_name(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".pgark-tmp-{}", std::process::id()));
    path.with_file_name(name)
}
