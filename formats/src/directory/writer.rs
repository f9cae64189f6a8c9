//! Writes directory archives. Data files can be written one at a time through the
//! writer, or several at once through independent [`DirectoryDataFile`]s (parallel
//! dump). `toc.dat` is written last, under a temporary name renamed into place, so a
//! directory without `toc.dat` is recognisably unfinished.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::codec::{check_writable_version, encode_header_and_toc};
use crate::compress::member::{CompressedMember, MemberStream};
use crate::compress::{file_suffix, CompressionSpec, Container, Encoder};
use crate::error::{EntryRef, Error, Result};
use crate::model::{DataLocation, Desc, DumpId, FormatCode, Header, Toc, TocEntry};
use crate::version::ArchiveVersion;

type Done = Arc<Mutex<HashSet<DumpId>>>;

enum FileStream {
    Plain(Encoder<BufWriter<File>>),
    Members(MemberStream, BufWriter<File>),
}

/// One data file being written (table data or one large object); `Send`, so it can be
/// filled on another thread. `finish` must be called; dropping it removes the file.
pub struct DirectoryDataFile {
    path: PathBuf,
    label: String,
    stream: Option<FileStream>,
    done: Option<(Done, DumpId)>,
    sync: bool,
}

impl DirectoryDataFile {
    fn create(
        path: PathBuf,
        spec: &CompressionSpec,
        members: bool,
        done: Option<(Done, DumpId)>,
        sync: bool,
    ) -> Result<Self> {
        let label = path.display().to_string();
        let file = crate::unfinished::create_in_directory(&path)
            .map_err(|e| Error::open_output(&label, e))?;
        let w = BufWriter::with_capacity(128 * 1024, file);
        let stream = if members {
            FileStream::Members(MemberStream::new(*spec, Container::DirectoryFile), w)
        } else {
            FileStream::Plain(
                Encoder::new(spec, Container::DirectoryFile, w)
                    .map_err(|e| Error::write(&label, e))?,
            )
        };
        Ok(DirectoryDataFile {
            path,
            label,
            stream: Some(stream),
            done,
            sync,
        })
    }

    pub fn write_data(&mut self, buf: &[u8]) -> Result<()> {
        match &mut self.stream {
            Some(FileStream::Plain(e)) => {
                e.write_all(buf).map_err(|e| Error::write(&self.label, e))
            }
            _ => Err(Error::Unsupported(format!(
                "{}: this file takes compressed members",
                self.label
            ))),
        }
    }

    pub fn write_compressed_member(&mut self, m: &CompressedMember) -> Result<()> {
        match &mut self.stream {
            Some(FileStream::Members(ms, w)) => {
                let label = &self.label;
                ms.push(m, &mut |b| {
                    w.write_all(b).map_err(|e| Error::write(label, e))
                })
            }
            _ => Err(Error::Unsupported(format!(
                "{}: this file takes raw data, not members",
                self.label
            ))),
        }
    }

    /// Ends the compressed stream and closes the file.
    pub fn finish(mut self) -> Result<()> {
        let label = self.label.clone();
        let mut w = match self.stream.take() {
            Some(FileStream::Plain(e)) => e.finish().map_err(|e| Error::write(&label, e))?,
            Some(FileStream::Members(ms, mut w)) => {
                ms.finish(&mut |b| w.write_all(b).map_err(|e| Error::write(&label, e)))?;
                w
            }
            None => return Ok(()),
        };
        w.flush().map_err(|e| Error::write(&label, e))?;
        if self.sync {
            w.get_ref()
                .sync_all()
                .map_err(|e| Error::write(&label, e))?;
        }
        if let Some((done, id)) = &self.done {
            done.lock().unwrap_or_else(|p| p.into_inner()).insert(*id);
        }
        Ok(())
    }
}

impl Write for DirectoryDataFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_data(buf).map_err(Error::into_io)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for DirectoryDataFile {
    fn drop(&mut self) {
        if self.stream.is_some() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

enum Current {
    Idle,
    Data(DirectoryDataFile),
    Blobs {
        dump_id: DumpId,
        lo_toc: BufWriter<File>,
        lo_toc_label: String,
        lo: Option<(u32, DirectoryDataFile)>,
    },
}

pub struct DirectoryWriter {
    dir: PathBuf,
    label: String,
    header: Header,
    entries: Vec<TocEntry>,
    spec: CompressionSpec,
    started: Mutex<HashSet<DumpId>>,
    done: Done,
    current: Current,
    sync: bool,
    /// The directory's entry for removal of its files on interruption.
    registration: Option<crate::unfinished::Registration>,
}

/// Stock's `could not create directory "%s": %m`.
fn cannot_create(label: &str, e: &io::Error) -> Error {
    Error::Unsupported(format!(
        "could not create directory \"{label}\": {}",
        crate::error::os_text(e)
    ))
}

impl DirectoryWriter {
    /// Creates the directory (mode 0700; an existing empty directory is accepted).
    pub fn create(
        dir: impl AsRef<Path>,
        mut toc: Toc,
        spec: CompressionSpec,
        sync: bool,
    ) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        let label = dir.display().to_string();
        check_writable_version(toc.header.version)?;
        toc.header.format = FormatCode::Tar;
        toc.header.compression = spec.header_compression(toc.header.version)?;
        for e in &mut toc.entries {
            e.data_location = DataLocation::File(super::toc_file_name(e, toc.header.version));
        }
        let created = match fs::read_dir(&dir) {
            Ok(mut it) => {
                if it.next().is_some() {
                    return Err(Error::Unsupported(format!(
                        "could not create directory \"{label}\": File exists"
                    )));
                }
                false
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::DirBuilder::new()
                    .mode(0o700)
                    .create(&dir)
                    .map_err(|e| cannot_create(&label, &e))?;
                true
            }
            // Stock's opendir failure (e.g. ENOTDIR for a plain file).
            Err(e) => {
                return Err(Error::Unsupported(format!(
                    "could not open directory \"{label}\": {}",
                    crate::error::os_text(&e)
                )))
            }
        };
        let registration = crate::unfinished::register_directory(&dir, created)
            .map_err(|e| Error::io(&label, e))?;
        Ok(DirectoryWriter {
            dir,
            label,
            header: toc.header,
            entries: toc.entries,
            spec,
            started: Mutex::new(HashSet::new()),
            done: Arc::new(Mutex::new(HashSet::new())),
            current: Current::Idle,
            sync,
            registration: Some(registration),
        })
    }

    fn misuse(&self, what: &str) -> Error {
        Error::Unsupported(format!("{}: {what}", self.label))
    }

    fn data_entry(&self, dump_id: DumpId, blobs: bool) -> Result<&TocEntry> {
        let entry = self
            .entries
            .iter()
            .find(|e| e.dump_id == dump_id)
            .ok_or_else(|| Error::NoSuchEntry {
                file: self.label.clone(),
                dump_id,
            })?;
        if !entry.had_dumper {
            return Err(self.misuse(&format!(
                "{} has no data component (hadDumper 0)",
                EntryRef::of(entry)
            )));
        }
        if (entry.desc == Desc::Blobs) != blobs {
            return Err(self.misuse(&format!(
                "{}: use {} for this entry",
                EntryRef::of(entry),
                if blobs { "begin_data" } else { "begin_blobs" }
            )));
        }
        if !self
            .started
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(dump_id)
        {
            return Err(self.misuse(&format!("{} already has data", EntryRef::of(entry))));
        }
        Ok(entry)
    }

    /// An independent writer for one table-data entry's file (parallel dump).
    pub fn open_data_file(&self, dump_id: DumpId, members: bool) -> Result<DirectoryDataFile> {
        self.data_entry(dump_id, false)?;
        let path = self
            .dir
            .join(format!("{dump_id}.dat{}", file_suffix(self.spec.algorithm)));
        DirectoryDataFile::create(
            path,
            &self.spec,
            members,
            Some((self.done.clone(), dump_id)),
            self.sync,
        )
    }

    fn idle(&self) -> Result<()> {
        match self.current {
            Current::Idle => Ok(()),
            _ => Err(self.misuse("a data stream is already open")),
        }
    }

    pub fn begin_data(&mut self, dump_id: DumpId) -> Result<()> {
        self.idle()?;
        self.current = Current::Data(self.open_data_file(dump_id, false)?);
        Ok(())
    }

    pub fn begin_data_members(&mut self, dump_id: DumpId) -> Result<()> {
        self.idle()?;
        self.current = Current::Data(self.open_data_file(dump_id, true)?);
        Ok(())
    }

    pub fn write_data(&mut self, buf: &[u8]) -> Result<()> {
        match &mut self.current {
            Current::Data(f)
            | Current::Blobs {
                lo: Some((_, f)), ..
            } => f.write_data(buf),
            _ => Err(self.misuse("write_data without an open data stream or large object")),
        }
    }

    pub fn write_compressed_member(&mut self, m: &CompressedMember) -> Result<()> {
        match &mut self.current {
            Current::Data(f) => f.write_compressed_member(m),
            _ => Err(self.misuse("write_compressed_member without begin_data_members")),
        }
    }

    pub fn end_data(&mut self) -> Result<()> {
        match std::mem::replace(&mut self.current, Current::Idle) {
            Current::Data(f) => f.finish(),
            other => {
                self.current = other;
                Err(self.misuse("end_data without begin_data"))
            }
        }
    }

    pub fn begin_blobs(&mut self, dump_id: DumpId) -> Result<()> {
        self.idle()?;
        let entry = self.data_entry(dump_id, true)?;
        let DataLocation::File(name) = &entry.data_location else {
            return Err(self.misuse("no LO TOC name"));
        };
        let path = self.dir.join(String::from_utf8_lossy(name).as_ref());
        let lo_toc_label = path.display().to_string();
        let f = crate::unfinished::create_in_directory(&path)
            .map_err(|e| Error::open_output(&lo_toc_label, e))?;
        self.current = Current::Blobs {
            dump_id,
            lo_toc: BufWriter::new(f),
            lo_toc_label,
            lo: None,
        };
        Ok(())
    }

    pub fn start_lo(&mut self, oid: u32) -> Result<()> {
        let path = self.dir.join(format!(
            "blob_{oid}.dat{}",
            file_suffix(self.spec.algorithm)
        ));
        let (spec, sync) = (self.spec, self.sync);
        match &mut self.current {
            Current::Blobs { lo: lo @ None, .. } => {
                *lo = Some((
                    oid,
                    DirectoryDataFile::create(path, &spec, false, None, sync)?,
                ));
                Ok(())
            }
            _ => {
                Err(self.misuse("start_lo outside begin_blobs, or previous large object not ended"))
            }
        }
    }

    pub fn end_lo(&mut self) -> Result<()> {
        let Current::Blobs {
            lo_toc,
            lo_toc_label,
            lo,
            ..
        } = &mut self.current
        else {
            return Err(self.misuse("end_lo without start_lo"));
        };
        let Some((oid, f)) = lo.take() else {
            return Err(self.misuse("end_lo without start_lo"));
        };
        f.finish()?;
        writeln!(lo_toc, "{oid} blob_{oid}.dat").map_err(|e| Error::write(lo_toc_label.as_str(), e))
    }

    pub fn end_blobs(&mut self) -> Result<()> {
        match std::mem::replace(&mut self.current, Current::Idle) {
            Current::Blobs {
                dump_id,
                mut lo_toc,
                lo_toc_label,
                lo: None,
            } => {
                lo_toc.flush().map_err(|e| Error::write(&lo_toc_label, e))?;
                if self.sync {
                    lo_toc
                        .get_ref()
                        .sync_all()
                        .map_err(|e| Error::write(&lo_toc_label, e))?;
                }
                self.done
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(dump_id);
                Ok(())
            }
            other => {
                self.current = other;
                Err(self.misuse("end_blobs without begin_blobs, or a large object is still open"))
            }
        }
    }

    /// Writes `toc.dat` (last), after checking every entry with data got it.
    pub fn finish(mut self) -> Result<()> {
        self.idle()?;
        let done = self.done.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(e) = self
            .entries
            .iter()
            .find(|e| e.had_dumper && !done.contains(&e.dump_id))
        {
            return Err(self.misuse(&format!(
                "{} has a data component but no data was written",
                EntryRef::of(e)
            )));
        }
        let bytes = encode_header_and_toc(&self.header, &self.entries)?;
        let final_path = self.dir.join("toc.dat");
        let tmp = self
            .dir
            .join(format!("toc.dat.pgark-tmp-{}", std::process::id()));
        let label = final_path.display().to_string();
        let mut f = crate::unfinished::create_in_directory(&tmp)
            .map_err(|e| Error::open_output(&label, e))?;
        let written = f
            .write_all(&bytes)
            .and_then(|()| if self.sync { f.sync_all() } else { Ok(()) })
            .map_err(|e| Error::write(&label, e))
            .and_then(|()| {
                match self.registration.take() {
                    Some(registration) => {
                        crate::unfinished::rename_into_place(registration, &tmp, &final_path)
                    }
                    None => fs::rename(&tmp, &final_path),
                }
                .map_err(|e| Error::io(final_path.display(), e))
            });
        if let Err(e) = written {
            // A partial toc.dat must not stay beside the data files.
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        if self.sync {
            File::open(&self.dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| Error::write(&self.label, e))?;
        }
        Ok(())
    }

    pub fn member_container(&self) -> Container {
        Container::DirectoryFile
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn version(&self) -> ArchiveVersion {
        self.header.version
    }
}
