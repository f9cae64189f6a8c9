//! A format-independent front: open any archive (format detected), get header and
//! TOC, open an entry's data as a streaming, decompressing `Read`, iterate large
//! objects; and write any format through one writer type.
//!
//! Readers open a fresh file handle per `open_data` call, so several entries can be
//! read at once (parallel restore) from one `ArchiveReader` shared by reference.

use std::io::{self, Read, Write};
use std::path::Path;

use crate::compress::member::CompressedMember;
use crate::compress::{CompressionSpec, Container};
use crate::custom::{
    CustomBlobs, CustomReader, CustomStreamBlobs, CustomStreamReader, CustomWriter,
};
use crate::directory::{DirectoryBlobs, DirectoryReader, DirectoryWriter};
use crate::error::{EntryRef, Error, Result};
use crate::model::{ArchiveTime, DumpId, FormatCode, Header, Toc, TocEntry};
use crate::tar::{TarBlobs, TarReader, TarStreamBlobs, TarStreamReader, TarWriter};
use crate::version::ArchiveVersion;

/// An entry's data: decompressed bytes, streamed. Errors name file and entry.
pub type DataReader = Box<dyn Read + Send>;

/// One large object: its OID and its (decompressed) bytes.
pub struct Blob<'a> {
    pub oid: u32,
    pub data: Box<dyn Read + Send + 'a>,
}

/// The three archive formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    Custom,
    Directory,
    Tar,
}

impl ArchiveFormat {
    /// The word pg_restore -l prints in its "Format:" line.
    pub fn list_name(self) -> &'static str {
        match self {
            ArchiveFormat::Custom => "CUSTOM",
            ArchiveFormat::Directory => "DIRECTORY",
            ArchiveFormat::Tar => "TAR",
        }
    }
}

/// Maps any error from a data stream to `Error::Data` naming file and entry.
pub(crate) struct WithContext<R> {
    inner: R,
    file: String,
    entry: EntryRef,
}

impl<R> WithContext<R> {
    pub(crate) fn new(inner: R, file: String, entry: EntryRef) -> Self {
        WithContext { inner, file, entry }
    }
}

impl<R: Read> Read for WithContext<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let detail = match e.get_ref().and_then(|i| i.downcast_ref::<Error>()) {
                Some(Error::Data { .. }) => return e,
                Some(inner) => inner.to_string(),
                None => format!("could not read data: {e}"),
            };
            Error::Data {
                file: self.file.clone(),
                entry: self.entry.clone(),
                detail,
            }
            .into_io()
        })
    }
}

/// An opened archive of any format.
pub enum ArchiveReader {
    Custom(CustomReader),
    Directory(DirectoryReader),
    Tar(TarReader),
    /// A custom archive read from a non-seekable stream: forward only.
    CustomStream(CustomStreamReader),
    /// A tar archive read from a non-seekable stream: forward only.
    TarStream(TarStreamReader),
}

impl ArchiveReader {
    /// Opens `path`, detecting its format.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let format = crate::detect::detect(path.as_ref())?;
        Self::open_as(path, format)
    }

    /// Opens `path` as the given format (pg_restore `-F`).
    pub fn open_as(path: impl AsRef<Path>, format: ArchiveFormat) -> Result<Self> {
        Ok(match format {
            ArchiveFormat::Custom => ArchiveReader::Custom(CustomReader::open(path)?),
            ArchiveFormat::Directory => ArchiveReader::Directory(DirectoryReader::open(path)?),
            ArchiveFormat::Tar => ArchiveReader::Tar(TarReader::open(path)?),
        })
    }

    /// Reads an archive from a non-seekable stream (pg_restore reading stdin): custom or
    /// tar, detected from the first bytes. Entries must then be read in archive order.
    pub fn from_stream(mut input: Box<dyn Read + Send>, label: &str) -> Result<Self> {
        let mut start = vec![0u8; crate::tar::BLOCK];
        let mut got = 0;
        while got < start.len() {
            match input.read(&mut start[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(label, e)),
            }
        }
        start.truncate(got);
        let format = crate::detect::detect_bytes(&start).map_err(|detail| Error::BadMagic {
            file: label.into(),
            detail,
        })?;
        let whole: Box<dyn Read + Send> = Box::new(io::Cursor::new(start).chain(input));
        Ok(match format {
            ArchiveFormat::Custom => {
                ArchiveReader::CustomStream(CustomStreamReader::new(whole, label)?)
            }
            ArchiveFormat::Tar => ArchiveReader::TarStream(TarStreamReader::new(whole, label)?),
            ArchiveFormat::Directory => {
                return Err(Error::Unsupported(format!(
                    "{label}: a directory archive cannot be read from a stream"
                )))
            }
        })
    }

    pub fn format(&self) -> ArchiveFormat {
        match self {
            ArchiveReader::Custom(_) | ArchiveReader::CustomStream(_) => ArchiveFormat::Custom,
            ArchiveReader::Directory(_) => ArchiveFormat::Directory,
            ArchiveReader::Tar(_) | ArchiveReader::TarStream(_) => ArchiveFormat::Tar,
        }
    }

    pub fn toc(&self) -> &Toc {
        match self {
            ArchiveReader::Custom(r) => r.toc(),
            ArchiveReader::Directory(r) => r.toc(),
            ArchiveReader::Tar(r) => r.toc(),
            ArchiveReader::CustomStream(r) => r.toc(),
            ArchiveReader::TarStream(r) => r.toc(),
        }
    }

    pub fn header(&self) -> &Header {
        &self.toc().header
    }

    pub fn entries(&self) -> &[TocEntry] {
        &self.toc().entries
    }

    pub fn entry(&self, dump_id: DumpId) -> Option<&TocEntry> {
        self.entries().iter().find(|e| e.dump_id == dump_id)
    }

    /// The entry's data, decompressed while read (empty for entries without data).
    /// Large-object entries (BLOBS) are read with [`ArchiveReader::open_blobs`].
    pub fn open_data(&self, dump_id: DumpId) -> Result<DataReader> {
        match self {
            ArchiveReader::Custom(r) => r.open_data(dump_id),
            ArchiveReader::Directory(r) => r.open_data(dump_id),
            ArchiveReader::Tar(r) => r.open_data(dump_id),
            ArchiveReader::CustomStream(r) => r.open_data(dump_id),
            ArchiveReader::TarStream(r) => r.open_data(dump_id),
        }
    }

    /// The large objects of a BLOBS entry (both the ≤ 1.15 single-entry and the 1.16
    /// grouped layouts).
    pub fn open_blobs(&self, dump_id: DumpId) -> Result<Blobs<'_>> {
        Ok(match self {
            ArchiveReader::Custom(r) => Blobs::Custom(r.open_blobs(dump_id)?),
            ArchiveReader::Directory(r) => Blobs::Directory(r.open_blobs(dump_id)?),
            ArchiveReader::Tar(r) => Blobs::Tar(r.open_blobs(dump_id)?),
            ArchiveReader::CustomStream(r) => Blobs::CustomStream(r.open_blobs(dump_id)?),
            ArchiveReader::TarStream(r) => Blobs::TarStream(r.open_blobs(dump_id)?),
        })
    }

    /// Estimated stored size of the entry's data, for scheduling (largest first).
    pub fn size_estimate(&self, dump_id: DumpId) -> Option<u64> {
        match self {
            ArchiveReader::Custom(r) => r.size_estimate(dump_id),
            ArchiveReader::Directory(r) => r.size_estimate(dump_id),
            ArchiveReader::Tar(r) => r.size_estimate(dump_id),
            ArchiveReader::CustomStream(_) | ArchiveReader::TarStream(_) => None,
        }
    }

    /// Whether entries can be read concurrently and in any order (pg_restore `-j`):
    /// custom files and directories yes, tar no (stock refuses parallel tar restore).
    pub fn supports_parallel_restore(&self) -> bool {
        matches!(self, ArchiveReader::Custom(_) | ArchiveReader::Directory(_))
    }

    /// Whether entries can be read in any order (false for streams: forward only).
    pub fn is_seekable(&self) -> bool {
        !matches!(
            self,
            ArchiveReader::CustomStream(_) | ArchiveReader::TarStream(_)
        )
    }
}

/// Large objects of one BLOBS entry, in archive order.
pub enum Blobs<'a> {
    Custom(CustomBlobs),
    Directory(DirectoryBlobs<'a>),
    Tar(TarBlobs<'a>),
    CustomStream(CustomStreamBlobs),
    TarStream(TarStreamBlobs),
}

impl Blobs<'_> {
    /// The next large object, `None` after the last.
    pub fn next_blob(&mut self) -> Result<Option<Blob<'_>>> {
        match self {
            Blobs::Custom(b) => b.next_blob(),
            Blobs::Directory(b) => b.next_blob(),
            Blobs::Tar(b) => b.next_blob(),
            Blobs::CustomStream(b) => b.next_blob(),
            Blobs::TarStream(b) => b.next_blob(),
        }
    }
}

/// How an archive is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteOptions {
    /// Archive version to write (1.14, 1.15 or 1.16); `None` keeps the header's.
    pub version: Option<ArchiveVersion>,
    pub compression: CompressionSpec,
    /// fsync files before renaming them into place (pg_dump's default; `--no-sync` off).
    pub sync: bool,
}

impl Default for WriteOptions {
    fn default() -> Self {
        WriteOptions {
            version: None,
            compression: CompressionSpec::gzip_default(),
            sync: true,
        }
    }
}

/// A header for a new archive. `created` is the local time broken down C-style.
pub fn new_header(
    version: ArchiveVersion,
    compression: &CompressionSpec,
    created: ArchiveTime,
    database_name: &[u8],
    server_version: &[u8],
    dump_version: &[u8],
) -> Result<Header> {
    crate::codec::check_writable_version(version)?;
    Ok(Header {
        version,
        int_size: 4,
        off_size: 8,
        format: FormatCode::Custom,
        compression: compression.header_compression(version)?,
        created: Some(created),
        database_name: Some(database_name.to_vec()),
        server_version: Some(server_version.to_vec()),
        dump_version: Some(dump_version.to_vec()),
    })
}

/// A writer of any format. Call sequence: for each entry with data, in TOC order,
/// `begin_data` → `write_data`* → `end_data` (or `begin_data_members` →
/// `write_compressed_member`* → `end_data`), or for BLOBS entries `begin_blobs` →
/// (`start_lo` → `write_data`* → `end_lo`)* → `end_blobs`; then `finish`.
/// Dropping a writer without `finish` removes the partial file.
pub enum ArchiveWriter {
    Custom(CustomWriter),
    Directory(DirectoryWriter),
    Tar(TarWriter),
}

/// Whether `path` exists as something other than a regular file or directory (a
/// device, a FIFO): such targets are written in place, never through a temporary name.
pub fn is_special_file(path: &Path) -> bool {
    std::fs::metadata(path)
        .map(|m| !m.is_file() && !m.is_dir())
        .unwrap_or(false)
}

macro_rules! each {
    ($self:ident, $w:ident => $e:expr) => {
        match $self {
            ArchiveWriter::Custom($w) => $e,
            ArchiveWriter::Directory($w) => $e,
            ArchiveWriter::Tar($w) => $e,
        }
    };
}

impl ArchiveWriter {
    /// Creates an archive at `path` with the given TOC. Format code, compression field
    /// and each entry's data location are set by the writer; custom and tar files get
    /// header and TOC written now, directories get `toc.dat` at `finish`.
    pub fn create(
        format: ArchiveFormat,
        path: impl AsRef<Path>,
        mut toc: Toc,
        options: WriteOptions,
    ) -> Result<Self> {
        if let Some(v) = options.version {
            toc.header.version = v;
        }
        let path = path.as_ref();
        if format != ArchiveFormat::Directory && is_special_file(path) {
            // A device or FIFO (`-f /dev/null`) is written in place: a temporary name
            // renamed over it would replace the device node itself.
            let out = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| Error::open_output(path.display(), e))?;
            let label = path.display().to_string();
            return Self::to_stream(format, Box::new(out), &label, toc, options);
        }
        Ok(match format {
            ArchiveFormat::Custom => ArchiveWriter::Custom(CustomWriter::create(
                path,
                toc,
                options.compression,
                options.sync,
            )?),
            ArchiveFormat::Directory => ArchiveWriter::Directory(DirectoryWriter::create(
                path,
                toc,
                options.compression,
                options.sync,
            )?),
            ArchiveFormat::Tar => ArchiveWriter::Tar(TarWriter::create(
                path,
                toc,
                options.compression,
                options.sync,
            )?),
        })
    }

    /// A custom archive written to a non-seekable stream (stdout).
    pub fn custom_to_stream(
        out: Box<dyn Write + Send>,
        label: &str,
        toc: Toc,
        options: WriteOptions,
    ) -> Result<Self> {
        Self::to_stream(ArchiveFormat::Custom, out, label, toc, options)
    }

    /// A custom or tar archive written to a non-seekable stream (pg_dump -Fc/-Ft to
    /// stdout): custom offsets stay "not set", tar members are spooled to temporary files.
    pub fn to_stream(
        format: ArchiveFormat,
        out: Box<dyn Write + Send>,
        label: &str,
        mut toc: Toc,
        options: WriteOptions,
    ) -> Result<Self> {
        if let Some(v) = options.version {
            toc.header.version = v;
        }
        match format {
            ArchiveFormat::Custom => Ok(ArchiveWriter::Custom(CustomWriter::to_stream(
                out,
                label,
                toc,
                options.compression,
            )?)),
            ArchiveFormat::Tar => Ok(ArchiveWriter::Tar(TarWriter::to_stream(
                out,
                label,
                toc,
                options.compression,
            )?)),
            ArchiveFormat::Directory => Err(Error::Unsupported(format!(
                "{label}: a directory archive cannot be written to a stream"
            ))),
        }
    }

    pub fn begin_data(&mut self, dump_id: DumpId) -> Result<()> {
        each!(self, w => w.begin_data(dump_id))
    }
    pub fn write_data(&mut self, buf: &[u8]) -> Result<()> {
        each!(self, w => w.write_data(buf))
    }
    pub fn end_data(&mut self) -> Result<()> {
        each!(self, w => w.end_data())
    }
    /// Begins a data stream fed with independently compressed members (multi-threaded
    /// compression); see [`crate::compress::member`].
    pub fn begin_data_members(&mut self, dump_id: DumpId) -> Result<()> {
        each!(self, w => w.begin_data_members(dump_id))
    }
    pub fn write_compressed_member(&mut self, member: &CompressedMember) -> Result<()> {
        each!(self, w => w.write_compressed_member(member))
    }
    /// The container members must be compressed for ([`CompressedMember::compress`]).
    pub fn member_container(&self) -> Container {
        each!(self, w => w.member_container())
    }
    /// Directory archives only: an independent, `Send` writer of one table-data entry's
    /// file taking [`CompressedMember`]s, so several entries can be written at once
    /// (parallel dump). `None` for custom and tar, whose data goes through this writer
    /// in TOC order.
    pub fn open_parallel_data_file(
        &self,
        dump_id: DumpId,
    ) -> Result<Option<crate::directory::DirectoryDataFile>> {
        match self {
            ArchiveWriter::Directory(w) => w.open_data_file(dump_id, true).map(Some),
            ArchiveWriter::Custom(_) | ArchiveWriter::Tar(_) => Ok(None),
        }
    }
    pub fn begin_blobs(&mut self, dump_id: DumpId) -> Result<()> {
        each!(self, w => w.begin_blobs(dump_id))
    }
    pub fn start_lo(&mut self, oid: u32) -> Result<()> {
        each!(self, w => w.start_lo(oid))
    }
    pub fn end_lo(&mut self) -> Result<()> {
        each!(self, w => w.end_lo())
    }
    pub fn end_blobs(&mut self) -> Result<()> {
        each!(self, w => w.end_blobs())
    }
    pub fn header(&self) -> &Header {
        each!(self, w => w.header())
    }
    /// Completes the archive and gives it its final name.
    pub fn finish(self) -> Result<()> {
        each!(self, w => w.finish())
    }
}

/// `io::Write` into the open data stream or large object.
impl Write for ArchiveWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_data(buf).map_err(Error::into_io)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
