//! The data half of `pgark dump`: the rows of TABLE DATA entries and the contents of
//! BLOBS entries, read under the dump's one snapshot on one or several connections and
//! written into any output format with bounded memory.
//!
//! One owner per concern:
//! * [`produce`] (this file) — **the dispatch**: which producer yields the bytes of one
//!   data job. COPY ([`copy`]) and large objects ([`large_objects`]) live here; other
//!   producers (INSERT statements) hook into the `match` of [`produce`].
//! * [`snapshot`] — the leader's ACCESS SHARE locks, its exported snapshot, and worker
//!   sessions that import it (`-j N`).
//! * [`plan`] — which entries get data jobs, their sizes (largest first), and the
//!   splitting of big tables into block-range parts (`--split-tables-larger-than`),
//!   including the TOC layout of those parts (see `formats/README.md`).
//! * [`pipeline`] — cutting a job's byte stream into blocks compressed on the rayon
//!   pool, delivered in order, so a COPY never waits for compression of its own bytes.
//! * [`spool`] — holding finished-but-not-yet-writable entries of custom and tar
//!   archives (written in TOC order) within a memory cap, spilling beyond it to an
//!   unlinked temporary file beside the output.
//! * [`archive`] — running the jobs on the workers into custom, tar and directory
//!   writers.
//! * [`plain`] — feeding data into the synchronous script renderer, streamed.

pub mod archive;
pub mod copy;
pub mod encoded;
pub mod inserts;
pub mod large_objects;
pub mod pipeline;
pub mod plain;
pub mod plan;
pub mod snapshot;
pub mod spool;

use std::future::Future;

use bytes::Bytes;
use pgark_formats::model::TocEntry;

use crate::catalog::Session;
use crate::cli::dump::DumpArgs;
use crate::commands::dump::insert_options;
use crate::dump::Collected;
use crate::Result;

pub use plan::{BlockRange, DataJob, JobKind};

/// Where a producer puts the data of one job: raw bytes of the entry's data stream
/// (COPY text with its `\.` terminator, or SQL), or for BLOBS entries one stream per
/// large object between `start_lo` and `end_lo`.
pub trait DataSink {
    fn write(&mut self, bytes: Bytes) -> impl Future<Output = Result<()>> + Send;
    fn start_lo(&mut self, oid: u32) -> impl Future<Output = Result<()>> + Send;
    fn end_lo(&mut self) -> impl Future<Output = Result<()>> + Send;
}

/// What a producer may read: the connection (inside the dump's snapshot), the catalog,
/// the command line, and the TOC entry being filled.
pub struct ProduceCx<'a> {
    /// The leader's or a worker's session, inside the dump's snapshot.
    pub session: &'a Session,
    pub collected: &'a Collected,
    pub args: &'a DumpArgs,
    pub entry: &'a TocEntry,
    /// A parallel worker re-locks the table with `NOWAIT` before reading it (stock's
    /// `lockTableForWorker`): if someone queued an ACCESS EXCLUSIVE lock after the
    /// leader's, waiting could deadlock, so the dump fails instead.
    pub worker_lock: bool,
}

impl ProduceCx<'_> {
    pub fn client(&self) -> &tokio_postgres::Client {
        &self.session.connection.client
    }
}

/// Produces the data of one job into `sink` through [`produce_converted`], with the
/// job's `-v` line and the progress line's counts (`dump::verbose`, `dump::progress`).
pub async fn produce<S: DataSink + Send>(
    cx: &ProduceCx<'_>,
    job: &DataJob,
    sink: &mut S,
) -> Result<()> {
    crate::dump::verbose::data_job_starts(cx, job);
    let mut counting = crate::dump::progress::Counting::new(sink);
    produce_converted(cx, job, &mut counting).await?;
    crate::dump::progress::table_done(job.dump_id);
    Ok(())
}

/// **The dispatch**: produces the data of one job into `sink`. Every output (plain
/// script, custom, tar, directory) gets its data through here.
///
/// To add a producer (e.g. INSERT statements for `--inserts`), add one arm before the
/// COPY arm, keyed on the job and `cx.args`.
async fn produce_converted<S: DataSink + Send>(
    cx: &ProduceCx<'_>,
    job: &DataJob,
    sink: &mut S,
) -> Result<()> {
    // Table data in the dump's client encoding (`dump::encoding`).
    if matches!(job.kind, JobKind::Table { .. }) {
        let encoding = crate::dump::encoding::OutputEncoding::for_client_encoding(
            &cx.collected.facts.encoding,
        )?;
        if let Some(converter) = encoding.converter() {
            let mut converting = encoded::EncodingSink::new(sink, converter);
            produce_as_is(cx, job, &mut converting).await?;
            return converting.finish().await;
        }
    }
    produce_as_is(cx, job, sink).await
}

async fn produce_as_is<S: DataSink + Send>(
    cx: &ProduceCx<'_>,
    job: &DataJob,
    sink: &mut S,
) -> Result<()> {
    match &job.kind {
        JobKind::LargeObjects { oids } => large_objects::produce(cx, oids, sink).await,
        JobKind::SplitAnchor => copy::produce_empty(sink).await,
        // --inserts, --column-inserts, --rows-per-insert: INSERT statements.
        JobKind::Table { .. } if insert_options(cx.args).is_some() => {
            inserts::produce(cx, sink).await
        }
        JobKind::Table { table_oid, range } => {
            let foreign = cx
                .collected
                .catalog
                .table_by_oid(*table_oid)
                .is_some_and(|t| t.relkind == b'f');
            let read = copy::produce(cx, *table_oid, *range, sink);
            crate::dump::inserts::reading_foreign_table(cx.client(), foreign, read).await
        }
    }
}
