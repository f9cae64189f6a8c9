//! Archive data: table jobs run on the worker connections (the leader's own when
//! `-j 1`), each compressing through a [`MemberPipe`]. Directory archives get one file
//! per entry, written by its job as it goes (several at once). Custom and tar archives
//! keep TOC order: jobs deliver into [`spool`](super::spool)s and one writer loop
//! copies entry after entry into the archive, reading BLOBS entries on the leader
//! connection when it reaches them. Directory BLOBS entries are read on the leader too,
//! while the workers run.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use bytes::Bytes;
use pgark_formats::model::{Desc, DumpId, Toc, TocEntry};
use pgark_formats::{ArchiveWriter, CompressionSpec};

use super::pipeline::{Compressor, Delivery, MemberPipe};
use super::plan::job_for_entry;
use super::spool::{SpoolReader, SpoolWriter, Spools};
use super::{produce, DataJob, DataSink, ProduceCx};
use crate::catalog::Session;
use crate::cli::dump::DumpArgs;
use crate::dump::Collected;
use crate::{Error, Result};

/// Everything the data phase of an archive dump reads.
pub struct ArchiveData<'a> {
    pub args: &'a DumpArgs,
    /// The snapshot-holding session (locks; BLOBS entries; table jobs when no workers).
    pub leader: &'a Session,
    /// Worker sessions that imported the leader's snapshot (`-j N`, N > 1).
    pub workers: &'a [Session],
    pub collected: &'a Collected,
    /// The TOC the archive is written with (split parts included).
    pub toc: &'a Toc,
    /// Table jobs in the order workers take them.
    pub jobs: Vec<DataJob>,
    pub compression: CompressionSpec,
    /// Where custom and tar spill entries waiting for their turn.
    pub spill_dir: PathBuf,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Writes the data of every entry with data into `writer`, then returns it for
/// `finish`.
pub async fn write_data(data: ArchiveData<'_>, writer: ArchiveWriter) -> Result<ArchiveWriter> {
    let directory = matches!(writer, ArchiveWriter::Directory(_));
    crate::dump::progress::begin_jobs(&data.jobs);
    let compressor = Compressor::new(data.compression, writer.member_container());
    let writer = Mutex::new(writer);
    let spools = Spools::new(&data.spill_dir);
    let mut readers = HashMap::new();
    let mut spool_writers = HashMap::new();
    if !directory {
        for job in &data.jobs {
            let (w, r) = spools.entry();
            spool_writers.insert(job.dump_id, w);
            readers.insert(job.dump_id, r);
        }
    }
    let entries: HashMap<DumpId, &TocEntry> =
        data.toc.entries.iter().map(|e| (e.dump_id, e)).collect();
    let shared = Shared {
        data: &data,
        entries,
        queue: Mutex::new(data.jobs.iter().cloned().collect()),
        writer: &writer,
        compressor: &compressor,
        spool_writers: Mutex::new(spool_writers),
        directory,
    };
    let sessions: Vec<&Session> = if data.workers.is_empty() {
        vec![data.leader]
    } else {
        data.workers.iter().collect()
    };
    let worker_lock = !data.workers.is_empty();
    let workers = futures_util::future::try_join_all(
        sessions
            .into_iter()
            .map(|session| shared.worker_loop(session, worker_lock)),
    );
    let write_side = async {
        if directory {
            shared.blobs_only().await
        } else {
            shared.in_toc_order(readers).await
        }
    };
    let written = if directory && data.workers.is_empty() {
        // Serial: one connection reads everything anyway, so tables first, then the
        // BLOBS entries, in TOC order as stock (and its `-v` lines) go.
        match workers.await {
            Ok(_) => write_side.await,
            Err(e) => {
                drop(write_side);
                Err(e)
            }
        }
    } else {
        futures_util::future::try_join(workers, write_side)
            .await
            .map(|_| ())
    };
    crate::dump::progress::finish();
    written?;
    drop(shared);
    Ok(writer.into_inner().unwrap_or_else(|p| p.into_inner()))
}

struct Shared<'a, 'd> {
    data: &'a ArchiveData<'d>,
    entries: HashMap<DumpId, &'a TocEntry>,
    queue: Mutex<VecDeque<DataJob>>,
    writer: &'a Mutex<ArchiveWriter>,
    compressor: &'a Compressor,
    spool_writers: Mutex<HashMap<DumpId, SpoolWriter>>,
    directory: bool,
}

impl Shared<'_, '_> {
    fn entry(&self, dump_id: DumpId) -> Result<&TocEntry> {
        self.entries
            .get(&dump_id)
            .copied()
            .ok_or_else(|| Error::Usage(format!("internal: no TOC entry with dump ID {dump_id}")))
    }

    fn cx<'c>(
        &'c self,
        session: &'c Session,
        entry: &'c TocEntry,
        worker_lock: bool,
    ) -> ProduceCx<'c> {
        ProduceCx {
            session,
            collected: self.data.collected,
            args: self.data.args,
            entry,
            worker_lock,
        }
    }

    /// One worker: takes jobs until none is left.
    async fn worker_loop(&self, session: &Session, worker_lock: bool) -> Result<()> {
        loop {
            let Some(job) = lock(&self.queue).pop_front() else {
                return Ok(());
            };
            let entry = self.entry(job.dump_id)?;
            let delivery = if self.directory {
                let file = lock(self.writer).open_parallel_data_file(job.dump_id)?;
                Delivery::File(Box::new(file.ok_or_else(|| {
                    Error::Usage("internal: directory writer expected".into())
                })?))
            } else {
                Delivery::Spool(lock(&self.spool_writers).remove(&job.dump_id).ok_or_else(
                    || Error::Usage(format!("internal: no spool for entry {}", job.dump_id)),
                )?)
            };
            let mut pipe = MemberPipe::new(self.compressor, delivery);
            let table = matches!(job.kind, super::JobKind::Table { .. });
            let cx = self.cx(session, entry, worker_lock && table);
            produce(&cx, &job, &mut pipe).await?;
            pipe.finish().await?;
            if worker_lock {
                crate::dump::verbose::finished_item(entry);
            }
        }
    }

    /// Custom and tar: every entry with data, in TOC order.
    async fn in_toc_order(&self, mut readers: HashMap<DumpId, SpoolReader>) -> Result<()> {
        for entry in self.data.toc.entries.iter().filter(|e| e.had_dumper) {
            if entry.desc == Desc::Blobs {
                self.blobs(entry).await?;
                continue;
            }
            let mut reader = readers.remove(&entry.dump_id).ok_or_else(|| {
                Error::Usage(format!("internal: no data job for entry {}", entry.dump_id))
            })?;
            lock(self.writer).begin_data_members(entry.dump_id)?;
            while let Some(member) = reader.next().await? {
                lock(self.writer).write_compressed_member(&member)?;
            }
            lock(self.writer).end_data()?;
        }
        Ok(())
    }

    /// Directory: the BLOBS entries (table files are written by the jobs).
    async fn blobs_only(&self) -> Result<()> {
        for entry in self
            .data
            .toc
            .entries
            .iter()
            .filter(|e| e.had_dumper && e.desc == Desc::Blobs)
        {
            self.blobs(entry).await?;
        }
        Ok(())
    }

    /// One BLOBS entry, read on the leader connection straight into the writer.
    async fn blobs(&self, entry: &TocEntry) -> Result<()> {
        let job = job_for_entry(self.data.collected, entry)?;
        lock(self.writer).begin_blobs(entry.dump_id)?;
        let cx = self.cx(self.data.leader, entry, false);
        let mut sink = WriterSink {
            writer: self.writer,
        };
        produce(&cx, &job, &mut sink).await?;
        lock(self.writer).end_blobs()?;
        Ok(())
    }
}

/// Large objects written straight through the archive writer (compressed inline: large
/// objects are few and small next to table data).
struct WriterSink<'a> {
    writer: &'a Mutex<ArchiveWriter>,
}

impl DataSink for WriterSink<'_> {
    async fn write(&mut self, bytes: Bytes) -> Result<()> {
        Ok(lock(self.writer).write_data(&bytes)?)
    }
    async fn start_lo(&mut self, oid: u32) -> Result<()> {
        Ok(lock(self.writer).start_lo(oid)?)
    }
    async fn end_lo(&mut self) -> Result<()> {
        Ok(lock(self.writer).end_lo()?)
    }
}
