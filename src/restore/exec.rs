//! `pgark restore -d`: restores an archive into a live database, serially or with N
//! worker connections, as stock pg_restore 18 does (`RestoreArchive`,
//! `restore_toc_entry`, the parallel prefork/parallel/postfork phases), driven by the
//! pure scheduler in [`super::plan`] and the per-entry statements of [`super::sql`].
//!
//! Differences from stock, all about speed, none visible in the restored contents:
//! - Statements of consecutive entries on one connection are pipelined (sent without
//!   waiting for the previous answer, up to [`PIPELINE_DEPTH`] in flight) yet still
//!   sent one query per stock query, so an error affects exactly the statements it
//!   affects in stock. Errors are reported when their answer arrives.
//!   `--exit-on-error` turns pipelining off so nothing runs after the first error.
//! - In the parallel phase the planner gets `jobs * PARALLEL_BATCH` slots; the items
//!   ready at once are shared out among the `jobs` connections, several per
//!   connection, run one after the other with their statements pipelined. Items the
//!   planner lets run together are independent and free of lock conflicts, so only
//!   round trips change (stock waits for every statement of every item). A heavy
//!   item (from [`HEAVY_ITEM`] of stored data of its own or of the tables it is built
//!   on) gets a connection to itself, so nothing waits behind it.
//! - Sessions run with `synchronous_commit = off`; one synchronous commit at the end
//!   flushes the WAL of everything restored before pgark exits successfully.
//! - In the parallel phase, data of a big table (from [`HEAVY_ITEM`] of stored data)
//!   created in this run is loaded with `COPY ... WITH (FREEZE)` after the
//!   `TRUNCATE` stock also sends in the same transaction: rows are stored frozen and
//!   pages all-visible, so the index builds that follow do not dirty and rewrite every
//!   page of the table to set hint bits (measured: the heap scan after the load takes
//!   half the time). The contents are the same; only the rows' `xmin` differs
//!   (frozen), and the table has a visibility map at once.
//! - COPY data is streamed from the archive by a blocking reader thread through a
//!   bounded channel (no temp files); large objects are written with server-side
//!   `lo_put` in chunks instead of libpq's `lo_open`/`lo_write`.
//!
//! - `SET transaction_timeout` is sent only to servers of 17 and later (stock 18
//!   sends it to older servers too and counts the error).
//!
//! Messages use the program name `pgark` where stock prints `pg_restore`; the shape
//! is stock's:
//!
//! ```text
//! pgark: while PROCESSING TOC:
//! pgark: from TOC entry 215; 1259 16386 TABLE t postgres
//! pgark: error: could not execute query: ERROR:  42P07: relation "t" already exists
//! Command was: CREATE TABLE public.t (...
//! ```
//!
//! with two deliberate differences: the `while PROCESSING TOC:` and `from TOC entry
//! ID; TABLEOID OID DESC TAG OWNER` lines are printed always (stock prints them only
//! with `-v`), and a server error carries its SQLSTATE after the severity, as libpq
//! shows it with `VERBOSITY verbose` (`ERROR:  42P07: ...`; stock: `ERROR:  ...`), so
//! scripts can tell failures apart without parsing message text, which the server
//! translates. The final `errors ignored on restore: N` is the command's error, so it
//! reads `pgark: error: errors ignored on restore: N` (stock: a warning), exit status 1
//! as stock.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use bytes::Bytes;
use futures_util::stream::{FuturesOrdered, FuturesUnordered};
use futures_util::{SinkExt, StreamExt};
use pgark_formats::model::{Desc, DumpId, Toc, TocEntry};
use pgark_formats::select::{Plan, Reqs};
use pgark_formats::script::{fill, statements::drop_lo_if_exists, ScriptOptions, SessionState};
use pgark_formats::ArchiveReader;
use tokio::sync::mpsc;
use tokio_postgres::types::Type;

use super::plan::{entries_from_plan, Outcome, Phase, PlanOptions, Planner, Step, WorkItem};
use super::progress::Progress;
use super::sql::{Action, Generator, StatementSplitter};
use crate::conn::{ConnectOptions, Connection};
use crate::{Error, Result};

/// Queries in flight per connection.
pub const PIPELINE_DEPTH: usize = 256;
/// Items one worker connection takes at once in the parallel phase.
pub const PARALLEL_BATCH: usize = 8;
/// Stored data (of the entry, or of the tables an index or constraint is built on)
/// from which a parallel item is heavy: it gets a connection to itself.
const HEAVY_ITEM: u64 = 1 << 20;
/// Bytes per COPY / large-object message.
const CHUNK: usize = 256 * 1024;
/// Chunks buffered between the archive reader thread and a connection.
const CHANNEL_CHUNKS: usize = 4;

/// Everything about `-d` restores that is not entry selection.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    pub jobs: usize,
    pub exit_on_error: bool,
    pub single_transaction: bool,
    pub transaction_size: u32,
    pub verbose: bool,
    pub no_data_for_failed_tables: bool,
    pub create_db: bool,
    pub clean: bool,
    pub progress: bool,
}

/// Restores `plan` of the archive read by `reader` into the database `conn` names.
/// Returns the number of errors ignored.
pub fn restore(
    reader: Arc<ArchiveReader>,
    plan: &Plan,
    conn: ConnectOptions,
    sql: ScriptOptions,
    opts: ExecOptions,
) -> Result<usize> {
    // One thread runs the protocol drivers and the executor: every round trip then
    // costs no thread hand-offs (decompression runs on blocking threads).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Restore(format!("could not start the async runtime: {e}")))?;
    let toc = reader.toc();
    let generator = Generator::new(toc, plan.items(), &sql).map_err(|e| Error::Restore(e.0))?;
    // Size estimates of entries with data, asked once (the readers look entries up
    // by scanning the TOC).
    let sizes: HashMap<DumpId, u64> = toc
        .entries
        .iter()
        .filter(|te| te.had_dumper)
        .map(|te| (te.dump_id, reader.size_estimate(te.dump_id).unwrap_or(0)))
        .collect();
    // Stored data of each table (by the TABLE entry its TABLE DATA depends on).
    let mut table_data: HashMap<DumpId, u64> = HashMap::new();
    for te in toc.entries.iter().filter(|te| te.desc == Desc::TableData) {
        let size = sizes.get(&te.dump_id).copied().unwrap_or(0);
        for dep in &te.dependencies {
            let slot = table_data.entry(*dep).or_insert(0);
            *slot = (*slot).max(size);
        }
    }
    let weights: HashMap<DumpId, u64> = toc
        .entries
        .iter()
        .map(|te| {
            let own = sizes.get(&te.dump_id).copied().unwrap_or(0);
            let tables = te.dependencies.iter().filter_map(|d| table_data.get(d)).copied().max().unwrap_or(0);
            (te.dump_id, own.max(tables))
        })
        .filter(|&(_, w)| w > 0)
        .collect();
    let total_bytes: u64 = plan
        .items()
        .iter()
        .filter(|p| p.reqs.data())
        .filter_map(|p| toc.entries.get(p.index))
        .map(|te| sizes.get(&te.dump_id).copied().unwrap_or(0))
        .sum();
    let wanted = plan.items().iter().filter(|p| p.reqs.wants_anything()).count() as u64;
    let progress = if opts.progress { Progress::new(wanted, total_bytes) } else { Progress::disabled() };
    let restorer = Restorer {
        reader: reader.clone(),
        sizes,
        weights,
        toc,
        plan,
        generator,
        opts,
        conn: RefCell::new(conn),
        errors: Cell::new(0),
        last_error_entry: Cell::new(None),
        stage_reported: Cell::new(false),
        failed_tables: RefCell::new(HashSet::new()),
        failed_entries: RefCell::new(HashSet::new()),
        acl_pass_ids: plan
            .items()
            .iter()
            .filter(|p| p.pass == pgark_formats::select::RestorePass::Acl)
            .filter_map(|p| toc.entries.get(p.index).map(|te| te.dump_id))
            .collect(),
        progress,
    };
    let result = runtime.block_on(async {
        let restored = restorer.run().await;
        crate::conn::close_dropped_connections(std::time::Duration::from_secs(5)).await;
        restored
    });
    restorer.progress.finish();
    result?;
    Ok(restorer.errors.get())
}

/// A connection with its session state.
struct Conn {
    client: tokio_postgres::Client,
    state: SessionState,
    /// `--transaction-size` actions since the last commit (leader only).
    txn_count: u32,
    /// Queries of serial phases waiting to be sent.
    pending: Vec<Query>,
    /// `server_version_num` of the server.
    server_version_num: u32,
    /// The leader in `--single-transaction` / `--transaction-size` mode: always in a
    /// transaction block.
    in_outer_txn: bool,
}

/// A query and the entry it belongs to (for error messages).
struct Query {
    entry: Option<DumpId>,
    text: Vec<u8>,
}

/// What running one entry's actions found.
#[derive(Default)]
struct RunResult {
    failed: bool,
}

struct Restorer<'a> {
    reader: Arc<ArchiveReader>,
    /// Stored size of each entry with data.
    sizes: HashMap<DumpId, u64>,
    /// Stored data an entry works through: its own, or (index builds, constraints)
    /// that of the tables it depends on. Entries without any are absent.
    weights: HashMap<DumpId, u64>,
    toc: &'a Toc,
    plan: &'a Plan,
    generator: Generator<'a>,
    opts: ExecOptions,
    conn: RefCell<ConnectOptions>,
    errors: Cell<usize>,
    /// Stock's `lastErrorTE`: "from TOC entry" is printed once per entry.
    last_error_entry: Cell<Option<DumpId>>,
    /// Stock's `lastErrorStage`: "while PROCESSING TOC:" is printed once.
    stage_reported: Cell<bool>,
    /// TABLE entries whose creation failed in this run.
    failed_tables: RefCell<HashSet<DumpId>>,
    /// Entries with at least one error.
    failed_entries: RefCell<HashSet<DumpId>>,
    /// Entries of the ACL pass.
    acl_pass_ids: HashSet<DumpId>,
    progress: Progress,
}

type BoxFuture<'f, T> = Pin<Box<dyn Future<Output = T> + 'f>>;

impl<'a> Restorer<'a> {
    fn weight(&self, id: DumpId) -> u64 {
        self.weights.get(&id).copied().unwrap_or(0)
    }

    fn size_of(&self, te: &TocEntry) -> u64 {
        self.sizes.get(&te.dump_id).copied().unwrap_or(0)
    }

    fn info(&self, msg: &str) {
        if self.opts.verbose {
            self.progress.println(&format!("{}: {msg}", crate::program::name()));
        }
    }

    fn entry_label(te: &TocEntry) -> String {
        format!("{} {}", String::from_utf8_lossy(te.desc.as_bytes()), lossy(te.tag.as_deref()))
    }

    async fn run(&self) -> Result<()> {
        self.info("connecting to database for restore");
        let mut leader = self.connect(true).await?;
        if self.opts.single_transaction {
            self.queue(&mut leader, None, b"BEGIN".to_vec());
        }
        if self.opts.clean {
            self.drop_pass(&mut leader).await?;
        }

        let size = |te: &TocEntry| self.size_of(te);
        let entries = entries_from_plan(self.toc, self.plan, size);
        let mut planner = Planner::new(
            entries,
            PlanOptions {
                jobs: if self.opts.jobs > 1 { self.opts.jobs * self.parallel_batch_size() } else { 1 },
                no_data_for_failed_tables: false,
            },
        )
        .map_err(|e| Error::Restore(e.to_string()))?;

        let mut handed_back: Option<Step> = None;
        loop {
            let step = handed_back.take().unwrap_or_else(|| planner.next_step());
            match step {
                Step::Run(item) if item.phase.is_serial() => {
                    self.serial_item(&mut leader, item).await?;
                    planner.complete(item.dump_id, Outcome::Succeeded).map_err(plan_error)?;
                }
                Step::Run(item) => {
                    // The planner hands out the first parallel item before Begin: run
                    // the parallel phase with it.
                    self.flush(&mut leader).await?;
                    handed_back = Some(self.parallel_phase(&mut planner, Some(item)).await?);
                }
                Step::Skip(_) => {}
                Step::Wait => {
                    return Err(Error::Restore("restore scheduler waits with nothing running".into()));
                }
                Step::Begin(Phase::Parallel) => {
                    if self.opts.transaction_size > 0 {
                        self.queue(&mut leader, None, b"COMMIT".to_vec());
                    }
                    self.flush(&mut leader).await?;
                    self.info("entering main parallel loop");
                    handed_back = Some(self.parallel_phase(&mut planner, None).await?);
                    self.info("finished main parallel loop");
                }
                Step::Begin(Phase::Postfork) => {
                    // Stock reconnects the leader here; the session is set up again.
                    leader.state.reset();
                    for q in self.generator.fixed_session_setup(leader.server_version_num) {
                        self.queue(&mut leader, None, q);
                    }
                    if self.opts.transaction_size > 0 {
                        self.queue(&mut leader, None, b"BEGIN".to_vec());
                        leader.txn_count = 0;
                    }
                }
                Step::Begin(_) => {}
                Step::Done => break,
            }
        }
        if self.opts.single_transaction || self.opts.transaction_size > 0 {
            self.queue(&mut leader, None, b"COMMIT".to_vec());
        }
        self.flush(&mut leader).await?;
        // Everything was committed asynchronously: one synchronous commit flushes the WAL.
        leader
            .client
            .batch_execute("SET synchronous_commit = on; SELECT pg_catalog.txid_current()")
            .await
            .map_err(|e| self.fatal("could not flush the restored data", &e))?;
        Ok(())
    }

    /// Opens a connection to the current database and sets the session up.
    async fn connect(&self, leader: bool) -> Result<Conn> {
        let options = self.conn.borrow().clone();
        let Connection { client, mut notices, .. } = options.connect().await?;
        let progress = self.progress.clone();
        tokio::spawn(async move {
            while let Some(notice) = notices.recv().await {
                progress.println(&format!("{}:  {}", notice.severity(), notice.message()));
            }
        });
        let version = client
            .simple_query("SHOW server_version_num")
            .await
            .map_err(|e| self.fatal("could not get the server version", &e))?;
        let server_version_num = version
            .iter()
            .find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).and_then(|v| v.parse().ok()),
                _ => None,
            })
            .unwrap_or(0);
        let mut conn =
            Conn {
            client,
            state: SessionState::default(),
            txn_count: 0,
            pending: Vec::new(),
            server_version_num,
            in_outer_txn: leader && (self.opts.single_transaction || self.opts.transaction_size > 0),
        };
        // libpq-level setup of every stock connection (ConnectDatabase).
        const SECURE_SEARCH_PATH: &str = "SELECT pg_catalog.set_config('search_path', '', false);";
        self.info(&format!("executing {SECURE_SEARCH_PATH}"));
        conn.client
            .batch_execute(SECURE_SEARCH_PATH)
            .await
            .map_err(|e| self.fatal("could not clear search_path", &e))?;
        let mut setup: Vec<Query> = self
            .generator
            .fixed_session_setup(server_version_num)
            .into_iter()
            .map(|text| Query { entry: None, text })
            .collect();
        setup.push(Query { entry: None, text: b"SET synchronous_commit = off".to_vec() });
        self.execute(&conn.client, setup).await?;
        if leader && self.opts.transaction_size > 0 {
            self.queue(&mut conn, None, b"BEGIN".to_vec());
        }
        Ok(conn)
    }

    fn fatal(&self, what: &str, e: &tokio_postgres::Error) -> Error {
        Error::Restore(format!("{what}: {}", describe(e)))
    }

    fn queue(&self, conn: &mut Conn, entry: Option<DumpId>, text: Vec<u8>) {
        conn.pending.push(Query { entry, text });
    }

    /// Sends every queued query of `conn`, pipelined; reports errors. Returns the
    /// entries that had an error.
    async fn flush(&self, conn: &mut Conn) -> Result<HashSet<DumpId>> {
        let queries = std::mem::take(&mut conn.pending);
        self.execute(&conn.client, queries).await
    }

    async fn execute(&self, client: &tokio_postgres::Client, queries: Vec<Query>) -> Result<HashSet<DumpId>> {
        let mut failed = HashSet::new();
        let depth = if self.opts.exit_on_error { 1 } else { PIPELINE_DEPTH };
        let mut in_flight: FuturesOrdered<BoxFuture<'_, (Query, std::result::Result<(), tokio_postgres::Error>)>> =
            FuturesOrdered::new();
        let mut queries = queries.into_iter();
        loop {
            while in_flight.len() < depth {
                let Some(q) = queries.next() else { break };
                let text = match to_text(&q.text) {
                    Ok(t) => t,
                    Err(msg) => {
                        self.entry_error(q.entry, &msg, None)?;
                        if let Some(id) = q.entry {
                            failed.insert(id);
                        }
                        continue;
                    }
                };
                let mut fut: BoxFuture<'_, _> = Box::pin(async move {
                    let r = client.batch_execute(&text).await;
                    (q, r)
                });
                // Poll once so the query is sent now, in order, before the next one.
                match futures_util::poll!(fut.as_mut()) {
                    Poll::Ready(out) => in_flight.push_back(Box::pin(std::future::ready(out))),
                    Poll::Pending => in_flight.push_back(fut),
                }
            }
            let Some((q, r)) = in_flight.next().await else { break };
            if let Err(e) = r {
                if e.as_db_error().is_none() {
                    return Err(self.fatal("connection lost", &e));
                }
                if let Some(id) = q.entry {
                    failed.insert(id);
                }
                self.entry_error(q.entry, &format!("could not execute query: {}", describe(&e)), Some(&q.text))?;
            }
        }
        if !failed.is_empty() {
            let mut tables = self.failed_tables.borrow_mut();
            for id in &failed {
                if self.generator.entry(*id).is_some_and(|te| te.desc == Desc::Table) {
                    tables.insert(*id);
                }
            }
        }
        Ok(failed)
    }

    /// `warn_or_exit_horribly`: prints the error (and the entry, once), counts it, or
    /// stops the restore with `--exit-on-error`.
    fn entry_error(&self, entry: Option<DumpId>, msg: &str, command: Option<&[u8]>) -> Result<()> {
        if !self.stage_reported.replace(true) {
            self.progress.println(&format!("{}: while PROCESSING TOC:", crate::program::name()));
        }
        if let Some(id) = entry {
            self.failed_entries.borrow_mut().insert(id);
            if self.last_error_entry.get() != Some(id) {
                if let Some(te) = self.generator.entry(id) {
                    self.progress.println(&format!(
                        "{}: from TOC entry {}; {} {} {} {} {}",
                        crate::program::name(),
                        te.dump_id,
                        te.catalog_id.table_oid,
                        te.catalog_id.oid,
                        String::from_utf8_lossy(te.desc.as_bytes()),
                        lossy(te.tag.as_deref()),
                        lossy(te.owner.as_deref())
                    ));
                }
                self.last_error_entry.set(Some(id));
            }
        }
        let mut text = msg.to_string();
        if let Some(cmd) = command {
            text.push_str(&format!("\nCommand was: {}", String::from_utf8_lossy(cmd).trim_end_matches('\n')));
        }
        if self.opts.exit_on_error {
            // main prints it as "pgark: error: ..." (the invoked name) and exits 1.
            return Err(Error::Restore(text));
        }
        self.progress.println(&format!("{}: error: {text}", crate::program::name()));
        self.errors.set(self.errors.get() + 1);
        Ok(())
    }

    /// The `--clean` pass: drop statements of wanted entries in reverse order.
    async fn drop_pass(&self, leader: &mut Conn) -> Result<()> {
        for item in self.plan.items().iter().rev() {
            let te = &self.toc.entries[item.index];
            let is_db = matches!(te.desc, Desc::Database | Desc::DatabaseProperties);
            let actions = self.generator.drop_actions(&mut leader.state, item);
            if actions.is_empty() {
                continue;
            }
            let in_txn_size = self.opts.transaction_size > 0;
            if in_txn_size && is_db {
                self.queue(leader, None, b"COMMIT".to_vec());
            }
            for action in actions {
                match action {
                    Action::Sql(text) => self.queue(leader, Some(te.dump_id), text),
                    Action::PerBlobSql(text) => {
                        self.queue(leader, Some(te.dump_id), text);
                        self.count_per_blob_action(leader);
                    }
                    _ => {}
                }
            }
            if in_txn_size {
                if is_db {
                    self.queue(leader, None, b"BEGIN".to_vec());
                    leader.txn_count = 0;
                } else {
                    self.count_txn_actions(leader, 1);
                }
            }
        }
        // The schema a search_path named may be gone now.
        leader.state.reset();
        Ok(())
    }

    /// An item of a serial phase, on the leader; its queries are queued.
    async fn serial_item(&self, leader: &mut Conn, item: WorkItem) -> Result<()> {
        let Some(te) = self.generator.entry(item.dump_id) else {
            return Err(Error::Restore(format!("no TOC entry with dump ID {}", item.dump_id)));
        };
        if item.phase == Phase::Prefork {
            self.info(&format!("processing item {} {}", te.dump_id, Self::entry_label(te)));
        } else if item.phase == Phase::Postfork {
            self.info(&format!("processing missed item {} {}", te.dump_id, Self::entry_label(te)));
        }
        let mut reqs = item.reqs;
        if te.desc == Desc::Warning && reqs.wants_anything() {
            self.progress.println(&format!(
                "{}: warning: warning from original dump file: {}",
                crate::program::name(),
                lossy(te.defn.as_deref())
            ));
        }
        if reqs.data() && self.opts.no_data_for_failed_tables && te.desc == Desc::TableData {
            // The table's outcome must be known.
            self.flush(leader).await?;
            if self.table_failed(te) {
                self.info(&format!("table \"{}\" could not be created, will not restore its data", lossy(te.tag.as_deref())));
                reqs = Reqs::new(reqs.schema(), false, reqs.stats());
            }
        }
        if !reqs.wants_anything() {
            return Ok(());
        }
        let is_db = matches!(te.desc, Desc::Database | Desc::DatabaseProperties);
        if reqs.schema() && is_db && self.opts.transaction_size > 0 {
            self.queue(leader, None, b"COMMIT".to_vec());
        }
        self.log_entry(te, reqs);
        let actions = self
            .generator
            .entry_actions(&mut leader.state, te, reqs, false, false)
            .map_err(|e| Error::Restore(e.0))?;
        let extra = actions.extra_txn_actions;
        self.run_actions(leader, te, actions.actions, true).await?;
        if reqs.data() {
            self.progress.data_entry_done(self.size_of(te));
        }
        if self.opts.transaction_size > 0 {
            self.count_txn_actions(leader, 1 + extra);
        }
        self.progress.entry_done();
        Ok(())
    }

    fn table_failed(&self, data: &TocEntry) -> bool {
        let tables = self.failed_tables.borrow();
        data.dependencies.iter().any(|d| tables.contains(d))
    }

    fn log_entry(&self, te: &TocEntry, reqs: Reqs) {
        if !self.opts.verbose {
            return;
        }
        if reqs.schema() {
            match te.namespace.as_deref() {
                Some(ns) => self.info(&format!(
                    "creating {} \"{}.{}\"",
                    String::from_utf8_lossy(te.desc.as_bytes()),
                    lossy(Some(ns)),
                    lossy(te.tag.as_deref())
                )),
                None => self.info(&format!(
                    "creating {} \"{}\"",
                    String::from_utf8_lossy(te.desc.as_bytes()),
                    lossy(te.tag.as_deref())
                )),
            }
        }
        if reqs.data() {
            if te.had_dumper {
                if matches!(te.desc, Desc::Blobs | Desc::BlobComments) {
                    self.info(&format!("processing {}", String::from_utf8_lossy(te.desc.as_bytes())));
                } else {
                    self.info(&format!(
                        "processing data for table \"{}.{}\"",
                        lossy(te.namespace.as_deref()),
                        lossy(te.tag.as_deref())
                    ));
                }
            } else if !reqs.schema() {
                self.info(&format!("executing {}", Self::entry_label(te)));
            }
        }
    }

    /// Runs an entry's actions on `conn`. SQL is queued (and sent later, pipelined)
    /// when `queue_sql`; COPY, data commands, large objects and reconnections flush
    /// first. Returns whether anything of this entry failed (as far as known).
    async fn run_actions(&self, conn: &mut Conn, te: &TocEntry, actions: Vec<Action>, queue_sql: bool) -> Result<RunResult> {
        let mut result = RunResult::default();
        // Inside the entry's own BEGIN .. COMMIT (TRUNCATE before COPY).
        let mut explicit_txn = false;
        for action in actions {
            match action {
                Action::Sql(text) => {
                    if text == b"BEGIN" {
                        explicit_txn = true;
                    } else if text == b"COMMIT" {
                        explicit_txn = false;
                    }
                    self.queue(conn, Some(te.dump_id), text);
                    if !queue_sql || conn.pending.len() >= PIPELINE_DEPTH * 4 {
                        result.failed |= self.flush(conn).await?.contains(&te.dump_id);
                    }
                }
                Action::PerBlobSql(text) => {
                    self.queue(conn, Some(te.dump_id), text);
                    self.count_per_blob_action(conn);
                    if !queue_sql || conn.pending.len() >= PIPELINE_DEPTH * 4 {
                        result.failed |= self.flush(conn).await?.contains(&te.dump_id);
                    }
                }
                Action::Copy { statement } => {
                    result.failed |= !self.copy(conn, te, &statement, explicit_txn).await?;
                }
                Action::DataCommands => {
                    result.failed |= self.flush(conn).await?.contains(&te.dump_id);
                    result.failed |= !self.data_commands(conn, te).await?;
                }
                Action::LargeObjects { create, drop_first } => {
                    result.failed |= self.flush(conn).await?.contains(&te.dump_id);
                    self.large_objects(conn, te, create, drop_first).await?;
                }
                Action::Reconnect { dbname } => {
                    result.failed |= self.flush(conn).await?.contains(&te.dump_id);
                    let name = String::from_utf8(dbname)
                        .map_err(|_| Error::Restore("database name is not valid UTF-8".into()))?;
                    self.info(&format!("connecting to new database \"{name}\""));
                    let new = self.conn.borrow().for_database(&name);
                    *self.conn.borrow_mut() = new;
                    *conn = self.connect(true).await?;
                }
            }
        }
        if !queue_sql {
            result.failed |= self.flush(conn).await?.contains(&te.dump_id);
        }
        Ok(result)
    }

    /// `IssueCommandPerBlob` in `--transaction-size` mode: each command is an action,
    /// and the leader commits when the batch is full (workers never do: stock's
    /// worker connections have no transaction size).
    fn count_per_blob_action(&self, conn: &mut Conn) {
        if self.opts.transaction_size > 0 && conn.in_outer_txn {
            self.count_txn_actions(conn, 1);
        }
    }

    /// `--transaction-size` on the leader: counts `n` actions and commits when the
    /// batch is full.
    fn count_txn_actions(&self, conn: &mut Conn, n: u32) {
        conn.txn_count += n;
        if conn.txn_count >= self.opts.transaction_size {
            self.queue(conn, None, b"COMMIT".to_vec());
            self.queue(conn, None, b"BEGIN".to_vec());
            conn.txn_count = 0;
        }
    }

    /// Streams the entry's COPY data. Returns false when the entry failed.
    ///
    /// Outside a transaction the COPY is wrapped in BEGIN/COMMIT: the extended
    /// protocol tokio-postgres uses for COPY would otherwise lose errors raised at
    /// the implicit commit (deferred constraints), which stock reports as COPY
    /// failures. A COPY that fails to start leaves tokio-postgres's connection out of
    /// step with the server (the aborted COPY's extra Sync answer), so the connection
    /// is replaced by a fresh one, set up alike, whose transaction (if one was open)
    /// is aborted on purpose so that what follows behaves as on stock's connection.
    async fn copy(&self, conn: &mut Conn, te: &TocEntry, statement: &[u8], in_explicit_txn: bool) -> Result<bool> {
        let text = match to_text(statement) {
            Ok(t) => t,
            Err(msg) => {
                self.entry_error(Some(te.dump_id), &msg, None)?;
                return Ok(false);
            }
        };
        let in_txn = in_explicit_txn || conn.in_outer_txn;
        let wrap = !in_txn;
        if wrap {
            self.queue(conn, None, b"BEGIN".to_vec());
        }
        // Queued queries and the COPY's Parse go out in one round trip.
        let queued = std::mem::take(&mut conn.pending);
        let (flushed, prepared) = tokio::join!(self.execute(&conn.client, queued), conn.client.prepare(&text));
        let earlier_failed = flushed?.contains(&te.dump_id);
        let db_error = |e: &tokio_postgres::Error| -> Result<()> {
            if e.as_db_error().is_none() {
                return Err(self.fatal("connection lost", e));
            }
            self.entry_error(Some(te.dump_id), &format!("could not execute query: {}", describe(e)), Some(statement))
        };
        let prepared = match prepared {
            Ok(p) => p,
            Err(e) => {
                db_error(&e)?;
                if wrap {
                    self.end_wrapped_copy(conn, te, "ROLLBACK").await?;
                }
                return Ok(false);
            }
        };
        let sink = match conn.client.copy_in::<_, Bytes>(&prepared).await {
            Ok(sink) => sink,
            Err(e) => {
                db_error(&e)?;
                drop(prepared);
                self.replace_connection(conn, in_txn).await?;
                return Ok(false);
            }
        };
        let mut sink = Box::pin(sink);
        let (tx, mut rx) = mpsc::channel::<std::result::Result<Bytes, String>>(CHANNEL_CHUNKS);
        let reader = self.reader.clone();
        let dump_id = te.dump_id;
        let feeder = tokio::task::spawn_blocking(move || read_chunks(&reader, dump_id, &tx));
        let mut read_error = None;
        let mut send_error = None;
        while let Some(chunk) = rx.recv().await {
            match chunk {
                Ok(bytes) => {
                    let n = bytes.len() as u64;
                    if let Err(e) = sink.feed(bytes).await {
                        send_error = Some(e);
                        break;
                    }
                    self.progress.add_bytes(n);
                }
                Err(msg) => {
                    read_error = Some(msg);
                    break;
                }
            }
        }
        drop(rx);
        let _ = feeder.await;
        if let Some(msg) = read_error {
            // Dropping the unfinished sink aborts the COPY (CopyFail).
            drop(sink);
            self.entry_error(Some(te.dump_id), &msg, None)?;
            // Let the abort reach the server before the next query.
            let _ = conn.client.batch_execute("").await;
            if wrap {
                self.end_wrapped_copy(conn, te, "ROLLBACK").await?;
            }
            return Ok(false);
        }
        let finished = match send_error {
            Some(e) => Err(e),
            None => sink.as_mut().finish().await.map(|_| ()),
        };
        let ok = match finished {
            Ok(()) => true,
            Err(e) if e.as_db_error().is_some() => {
                self.entry_error(
                    Some(te.dump_id),
                    &format!("COPY failed for table \"{}\": {}", lossy(te.tag.as_deref()), describe(&e)),
                    None,
                )?;
                false
            }
            Err(e) => return Err(self.fatal("connection lost", &e)),
        };
        if wrap {
            if ok {
                return Ok(self.end_wrapped_copy(conn, te, "COMMIT").await? && !earlier_failed);
            }
            self.end_wrapped_copy(conn, te, "ROLLBACK").await?;
        }
        Ok(ok && !earlier_failed)
    }

    /// Ends the transaction around a COPY; an error at COMMIT (deferred constraint
    /// checks) is the COPY's failure, as stock reports it.
    async fn end_wrapped_copy(&self, conn: &mut Conn, te: &TocEntry, how: &str) -> Result<bool> {
        match conn.client.batch_execute(how).await {
            Ok(()) => Ok(true),
            Err(e) if e.as_db_error().is_some() => {
                self.entry_error(
                    Some(te.dump_id),
                    &format!("COPY failed for table \"{}\": {}", lossy(te.tag.as_deref()), describe(&e)),
                    None,
                )?;
                Ok(false)
            }
            Err(e) => Err(self.fatal("connection lost", &e)),
        }
    }

    /// Replaces `conn` by a fresh connection to the same database, set up the same
    /// way; with `abort_txn` a transaction is opened and made to fail (quietly), so
    /// that statements up to the next COMMIT fail as on the old connection.
    async fn replace_connection(&self, conn: &mut Conn, abort_txn: bool) -> Result<()> {
        let mut fresh = self.connect(false).await?;
        fresh.in_outer_txn = conn.in_outer_txn;
        fresh.txn_count = conn.txn_count;
        if abort_txn {
            let _ = fresh.client.batch_execute("BEGIN").await;
            let _ = fresh.client.batch_execute("SELECT pg_catalog.int4div(1, 0)").await;
        }
        *conn = fresh;
        Ok(())
    }

    /// Executes SQL data (INSERT statements, BLOB COMMENTS) statement by statement.
    async fn data_commands(&self, conn: &mut Conn, te: &TocEntry) -> Result<bool> {
        let (tx, mut rx) = mpsc::channel::<std::result::Result<Bytes, String>>(CHANNEL_CHUNKS);
        let reader = self.reader.clone();
        let dump_id = te.dump_id;
        let feeder = tokio::task::spawn_blocking(move || read_chunks(&reader, dump_id, &tx));
        let mut splitter = StatementSplitter::new(self.generator.std_strings());
        let mut ok = true;
        let mut batch = Vec::new();
        while let Some(chunk) = rx.recv().await {
            match chunk {
                Ok(bytes) => {
                    self.progress.add_bytes(bytes.len() as u64);
                    splitter.feed(&bytes, &mut |stmt| batch.push(Query { entry: Some(dump_id), text: stmt }));
                    if batch.len() >= PIPELINE_DEPTH {
                        ok &= self.execute(&conn.client, std::mem::take(&mut batch)).await?.is_empty();
                    }
                }
                Err(msg) => {
                    drop(rx);
                    let _ = feeder.await;
                    self.entry_error(Some(dump_id), &msg, None)?;
                    return Ok(false);
                }
            }
        }
        let _ = feeder.await;
        ok &= self.execute(&conn.client, batch).await?.is_empty();
        Ok(ok)
    }

    /// `StartRestoreLOs` .. `EndRestoreLOs`: each large object is written with
    /// `lo_put` in chunks, inside a transaction unless one is already open.
    async fn large_objects(&self, conn: &mut Conn, te: &TocEntry, create: bool, drop_first: bool) -> Result<()> {
        let outer = self.opts.single_transaction || self.opts.transaction_size > 0;
        let client = &conn.client;
        if !outer {
            client.batch_execute("BEGIN").await.map_err(|e| self.fatal("could not start transaction", &e))?;
        }
        let put = client
            .prepare_typed("SELECT pg_catalog.lo_put($1, $2, $3)", &[Type::OID, Type::INT8, Type::BYTEA])
            .await
            .map_err(|e| self.fatal("could not prepare large-object write", &e))?;
        let (tx, mut rx) = mpsc::channel::<LoMessage>(CHANNEL_CHUNKS);
        let reader = self.reader.clone();
        let dump_id = te.dump_id;
        let feeder = tokio::task::spawn_blocking(move || read_large_objects(&reader, dump_id, &tx));
        let mut count = 0usize;
        let mut offset = 0i64;
        let mut oid = 0u32;
        let mut failure = None;
        while let Some(msg) = rx.recv().await {
            match msg {
                LoMessage::Start(o) => {
                    oid = o;
                    offset = 0;
                    count += 1;
                    if drop_first {
                        let q = String::from_utf8_lossy(&drop_lo_if_exists(oid)).into_owned();
                        if let Err(e) = client.batch_execute(&q).await {
                            failure = Some(format!("could not drop large object {oid}: {}", describe(&e)));
                            break;
                        }
                    }
                    if create {
                        if let Err(e) = client.batch_execute(&format!("SELECT pg_catalog.lo_create('{oid}')")).await {
                            failure = Some(format!("could not create large object {oid}: {}", describe(&e)));
                            break;
                        }
                    }
                }
                LoMessage::Chunk(bytes) => {
                    let n = bytes.len();
                    if let Err(e) = client.execute(&put, &[&oid, &offset, &bytes.as_ref()]).await {
                        failure = Some(format!("could not write to large object {oid}: {}", describe(&e)));
                        break;
                    }
                    offset += n as i64;
                    self.progress.add_bytes(n as u64);
                }
                LoMessage::Error(msg) => {
                    failure = Some(msg);
                    break;
                }
            }
        }
        drop(rx);
        let _ = feeder.await;
        if let Some(msg) = failure {
            // Stock treats large-object failures as fatal.
            return Err(Error::Restore(msg));
        }
        if !outer {
            client.batch_execute("COMMIT").await.map_err(|e| self.fatal("could not commit transaction", &e))?;
        }
        self.info(&format!("restored {count} large object{}", if count == 1 { "" } else { "s" }));
        Ok(())
    }

    /// The parallel phase: `jobs` worker connections, the planner deciding what may
    /// run. The planner is given `jobs * PARALLEL_BATCH` slots: the items ready at
    /// once are shared out among idle connections, up to [`PARALLEL_BATCH`] per
    /// connection, and one connection runs its items one after the other but sends
    /// their statements pipelined (items the planner lets run together are
    /// independent and free of lock conflicts, so only the round trips change).
    /// Returns the step that ended the phase (`Begin(Postfork)` or `Done`), for the
    /// caller to act on.
    async fn parallel_phase(&self, planner: &mut Planner, first: Option<WorkItem>) -> Result<Step> {
        type Batch = (Conn, Vec<(DumpId, Outcome)>);
        let mut idle: Vec<Conn> = Vec::new();
        let mut opened = 0usize;
        let mut queue: std::collections::VecDeque<WorkItem> = std::collections::VecDeque::new();
        let mut running: FuturesUnordered<BoxFuture<'_, Result<Batch>>> = FuturesUnordered::new();
        let mut next: Option<Step> = first.map(Step::Run);
        let batch_limit = self.parallel_batch_size();
        loop {
            let step = match next.take() {
                Some(step) => step,
                None => planner.next_step(),
            };
            match step {
                Step::Run(item) if self.is_acl_pass(item.dump_id) && queue.is_empty() && running.is_empty() => {
                    next = Some(self.acl_pass(planner, item).await?);
                    continue;
                }
                Step::Run(item) => {
                    queue.push_back(item);
                    continue;
                }
                Step::Skip(_) => continue,
                Step::Begin(Phase::Parallel) => continue,
                _ => {}
            }
            // Share out what is ready among the connections that are free.
            while !queue.is_empty() {
                if idle.is_empty() && opened < self.opts.jobs {
                    idle.push(self.connect(false).await?);
                    opened += 1;
                }
                let Some(conn) = idle.pop() else { break };
                let free = idle.len() + 1 + (self.opts.jobs - opened);
                let take = queue.len().div_ceil(free).clamp(1, batch_limit);
                // A heavy item runs alone, so that what waits for it starts as soon as
                // it is done and no light item waits behind it; light items are
                // batched.
                let mut items: Vec<WorkItem> = Vec::with_capacity(take);
                while items.len() < take {
                    let Some(&next) = queue.front() else { break };
                    let heavy = self.weight(next.dump_id) >= HEAVY_ITEM;
                    if heavy && !items.is_empty() {
                        break;
                    }
                    items.push(next);
                    queue.pop_front();
                    if heavy {
                        break;
                    }
                }
                for item in &items {
                    if let Some(te) = self.generator.entry(item.dump_id) {
                        self.info(&format!("launching item {} {}", te.dump_id, Self::entry_label(te)));
                    }
                }
                running.push(Box::pin(self.parallel_batch(conn, items)));
            }
            let phase_over = matches!(step, Step::Begin(Phase::Postfork) | Step::Done);
            if phase_over && running.is_empty() && queue.is_empty() {
                return Ok(step);
            }
            let Some(done) = running.next().await else {
                return Err(Error::Restore("restore scheduler waits with nothing running".into()));
            };
            let (conn, outcomes) = done?;
            for (id, outcome) in outcomes {
                if let Some(te) = self.generator.entry(id) {
                    self.info(&format!("finished item {} {}", te.dump_id, Self::entry_label(te)));
                }
                planner.complete(id, outcome).map_err(plan_error)?;
            }
            idle.push(conn);
        }
    }

    fn is_acl_pass(&self, id: DumpId) -> bool {
        self.acl_pass_ids.contains(&id)
    }

    /// The ACL pass of the parallel phase, in TOC order on one connection, pipelined.
    /// Stock runs ACL entries on all workers at once, so an entry that grants as a
    /// role (SET SESSION AUTHORIZATION) may run before the entry that gives that role
    /// access to the schema, and fail now and then; in TOC order it never does. The
    /// planner is told each entry is done as it hands it out; entries of the next
    /// pass wait until the ACLs ran. Returns the planner's step after the ACL pass.
    async fn acl_pass(&self, planner: &mut Planner, first: WorkItem) -> Result<Step> {
        let mut acl_items = vec![first];
        planner.complete(first.dump_id, Outcome::Succeeded).map_err(plan_error)?;
        let after = loop {
            match planner.next_step() {
                Step::Run(item) if self.is_acl_pass(item.dump_id) => {
                    planner.complete(item.dump_id, Outcome::Succeeded).map_err(plan_error)?;
                    acl_items.push(item);
                }
                Step::Skip(_) => {}
                other => break other,
            }
        };
        let position: HashMap<DumpId, usize> =
            self.toc.entries.iter().enumerate().map(|(i, te)| (te.dump_id, i)).collect();
        acl_items.sort_by_key(|item| position.get(&item.dump_id).copied().unwrap_or(usize::MAX));
        let conn = self.connect(false).await?;
        self.parallel_batch(conn, acl_items).await?;
        Ok(after)
    }

    /// Items per connection at once in the parallel phase (1 with `--exit-on-error`,
    /// where nothing may be sent after a failing statement).
    fn parallel_batch_size(&self) -> usize {
        if self.opts.exit_on_error {
            1
        } else {
            PARALLEL_BATCH
        }
    }

    /// Some items on one worker connection.
    async fn parallel_batch(&self, mut conn: Conn, items: Vec<WorkItem>) -> Result<(Conn, Vec<(DumpId, Outcome)>)> {
        let mut done = Vec::with_capacity(items.len());
        for item in items {
            let te = self
                .generator
                .entry(item.dump_id)
                .ok_or_else(|| Error::Restore(format!("no TOC entry with dump ID {}", item.dump_id)))?;
            let mut reqs = item.reqs;
            if reqs.data() && self.opts.no_data_for_failed_tables && te.desc == Desc::TableData {
                // The table's outcome must be known.
                self.flush(&mut conn).await?;
                if self.table_failed(te) {
                    reqs = Reqs::new(reqs.schema(), false, reqs.stats());
                }
            }
            done.push(item.dump_id);
            if !reqs.wants_anything() {
                continue;
            }
            self.log_entry(te, reqs);
            let truncate = item.truncate_before_copy()
                && te.desc == Desc::TableData
                && !self.table_failed(te)
                && !self.generator.is_load_via_partition_root(te);
            let actions = self
                .generator
                .entry_actions(&mut conn.state, te, reqs, truncate, self.weight(te.dump_id) >= HEAVY_ITEM)
                .map_err(|e| Error::Restore(e.0))?;
            self.run_actions(&mut conn, te, actions.actions, true).await?;
            if reqs.data() {
                self.progress.data_entry_done(self.size_of(te));
            }
            self.progress.entry_done();
        }
        self.flush(&mut conn).await?;
        let failed = self.failed_entries.borrow();
        let outcomes = done
            .into_iter()
            .map(|id| (id, if failed.contains(&id) { Outcome::Failed } else { Outcome::Succeeded }))
            .collect();
        drop(failed);
        Ok((conn, outcomes))
    }
}

enum LoMessage {
    Start(u32),
    Chunk(Bytes),
    Error(String),
}

/// Reads an entry's data in chunks into `tx` (on a blocking thread).
fn read_chunks(reader: &ArchiveReader, dump_id: DumpId, tx: &mpsc::Sender<std::result::Result<Bytes, String>>) {
    let mut data = match reader.open_data(dump_id) {
        Ok(d) => d,
        Err(e) => {
            let _ = tx.blocking_send(Err(format!("could not read data of entry {dump_id}: {e}")));
            return;
        }
    };
    loop {
        let mut buf = vec![0u8; CHUNK];
        match fill(&mut data, &mut buf) {
            Ok(0) => return,
            Ok(n) => {
                buf.truncate(n);
                if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = tx.blocking_send(Err(format!("could not read data of entry {dump_id}: {}", io_detail(&e))));
                return;
            }
        }
    }
}

/// Reads the large objects of a BLOBS entry into `tx` (on a blocking thread).
fn read_large_objects(reader: &ArchiveReader, dump_id: DumpId, tx: &mpsc::Sender<LoMessage>) {
    let mut blobs = match reader.open_blobs(dump_id) {
        Ok(b) => b,
        Err(e) => {
            let _ = tx.blocking_send(LoMessage::Error(format!("could not read large objects of entry {dump_id}: {e}")));
            return;
        }
    };
    loop {
        let mut blob = match blobs.next_blob() {
            Ok(Some(b)) => b,
            Ok(None) => return,
            Err(e) => {
                let _ = tx.blocking_send(LoMessage::Error(format!("could not read large objects of entry {dump_id}: {e}")));
                return;
            }
        };
        if tx.blocking_send(LoMessage::Start(blob.oid)).is_err() {
            return;
        }
        loop {
            let mut buf = vec![0u8; CHUNK];
            match fill(&mut blob.data, &mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    buf.truncate(n);
                    if tx.blocking_send(LoMessage::Chunk(Bytes::from(buf))).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(LoMessage::Error(format!(
                        "could not read large object {} of entry {dump_id}: {}",
                        blob.oid,
                        io_detail(&e)
                    )));
                    return;
                }
            }
        }
    }
}

/// An I/O error's message, unwrapping the archive error it may carry.
fn io_detail(e: &std::io::Error) -> String {
    match e.get_ref() {
        Some(inner) => inner.to_string(),
        None => e.to_string(),
    }
}

/// A server error as libpq shows it with `VERBOSITY verbose` (SQLSTATE included,
/// source location left out).
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            // libpq's VERBOSITY verbose shape: the SQLSTATE after the severity.
            let mut s = format!("{}:  {}: {}", db.severity(), db.code().code(), db.message());
            if let Some(d) = db.detail() {
                s.push_str(&format!("\nDETAIL:  {d}"));
            }
            if let Some(h) = db.hint() {
                s.push_str(&format!("\nHINT:  {h}"));
            }
            s
        }
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        }
    }
}

/// SQL text as the driver needs it. tokio-postgres sends `&str`, so SQL that is not
/// UTF-8 (archives in other encodings with non-ASCII names) cannot be sent.
fn to_text(sql: &[u8]) -> std::result::Result<String, String> {
    String::from_utf8(sql.to_vec()).map_err(|_| {
        format!(
            "statement is not valid UTF-8 (pgark restore -d sends SQL as UTF-8): {}",
            String::from_utf8_lossy(sql)
        )
    })
}

fn lossy(b: Option<&[u8]>) -> String {
    String::from_utf8_lossy(b.unwrap_or(b"")).into_owned()
}

fn plan_error(e: super::plan::PlanError) -> Error {
    Error::Restore(e.to_string())
}
