//! The `pgark dump` data-phase progress line on stderr (a pgark extension; stock
//! pg_dump has none): tables done / total, bytes of data written, and an ETA from the
//! tables' size estimates. Drawn only when stderr is a terminal and `--no-progress` is
//! not given; redrawn at most five times a second; cleared before any other stderr
//! line (`-v` lines, warnings) and at the end. One per process: the data phase of a
//! dump runs once, and `-v` lines printed from anywhere must clear it.
//!
//! Table counts are data jobs: a table split with `--split-tables-larger-than` counts
//! once per part. Sizes are `pg_relation_size` for archives (already read to schedule
//! the jobs) and `relpages` blocks for plain output.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use pgark_formats::model::{Desc, DumpId, Toc};
use pgark_formats::select::Plan;

use crate::catalog::{CatalogError, Session};
use crate::dump::data::{DataJob, DataSink, JobKind};
use crate::restore::progress::{human_bytes, human_duration};

const REDRAW: Duration = Duration::from_millis(200);

/// Whether the line may be shown at all (set once by the command: stderr is a
/// terminal and no `--no-progress`).
static ALLOWED: AtomicBool = AtomicBool::new(false);

static STATE: Mutex<Option<State>> = Mutex::new(None);

struct State {
    total_tables: u64,
    total_estimate: u64,
    /// Size estimate of each table job not finished yet.
    pending: HashMap<DumpId, u64>,
    tables_done: u64,
    estimate_done: u64,
    bytes: u64,
    started: Instant,
    /// When the line was last drawn; `None` when nothing is on screen.
    drawn: Option<Instant>,
}

fn state() -> std::sync::MutexGuard<'static, Option<State>> {
    STATE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Allows the line when stderr is a terminal and `no_progress` is false.
pub fn configure(no_progress: bool) {
    ALLOWED.store(
        !no_progress && std::io::stderr().is_terminal(),
        Ordering::Relaxed,
    );
}

pub fn allowed() -> bool {
    ALLOWED.load(Ordering::Relaxed)
}

/// Starts the data phase with its table jobs (dump ID, estimated bytes); draws the
/// line at once. Does nothing when the line is not allowed.
pub fn begin(tables: impl IntoIterator<Item = (DumpId, u64)>) {
    if !allowed() {
        return;
    }
    let pending: HashMap<DumpId, u64> = tables.into_iter().collect();
    let mut guard = state();
    *guard = Some(State {
        total_tables: pending.len() as u64,
        total_estimate: pending.values().sum(),
        pending,
        tables_done: 0,
        estimate_done: 0,
        bytes: 0,
        started: Instant::now(),
        drawn: None,
    });
    draw(&mut guard, true);
}

/// `relpages × block_size` of each table with a TABLE DATA entry among `tables`
/// (dump ID, table OID): the estimates of a plain dump. Queried only when the line is
/// allowed.
pub async fn relpages_estimates(
    session: &Session,
    tables: &[(DumpId, u32)],
) -> Result<Vec<(DumpId, u64)>, CatalogError> {
    if !allowed() || tables.is_empty() {
        return Ok(tables.iter().map(|&(id, _)| (id, 0)).collect());
    }
    let oids: Vec<String> = tables.iter().map(|(_, oid)| oid.to_string()).collect();
    let rows = session
        .query(&format!(
            "SELECT c.oid, c.relpages::pg_catalog.int8 * \
             pg_catalog.current_setting('block_size')::pg_catalog.int8 AS bytes \
             FROM pg_catalog.pg_class c WHERE c.oid = ANY('{{{}}}'::pg_catalog.oid[])",
            oids.join(",")
        ))
        .await?;
    let mut by_oid = HashMap::new();
    for r in rows.iter() {
        by_oid.insert(r.oid("oid")?, r.i64("bytes")?.max(0) as u64);
    }
    Ok(tables
        .iter()
        .map(|&(id, oid)| (id, by_oid.get(&oid).copied().unwrap_or(0)))
        .collect())
}

/// [`begin`] for a plain dump: the TABLE DATA entries whose data `plan` wants, with
/// [`relpages_estimates`].
pub async fn begin_plain(session: &Session, toc: &Toc, plan: &Plan) -> crate::Result<()> {
    if !allowed() {
        return Ok(());
    }
    let tables: Vec<(DumpId, u32)> = toc
        .entries
        .iter()
        .enumerate()
        .filter(|(i, e)| e.had_dumper && e.desc == Desc::TableData && plan.reqs_of(*i).data())
        .map(|(_, e)| (e.dump_id, e.catalog_id.oid))
        .collect();
    begin(relpages_estimates(session, &tables).await?);
    Ok(())
}

/// [`begin`] for an archive: its table jobs with their scheduling sizes.
pub fn begin_jobs(jobs: &[DataJob]) {
    begin(
        jobs.iter()
            .filter(|j| matches!(j.kind, JobKind::Table { .. }))
            .map(|j| (j.dump_id, j.size)),
    );
}

/// `n` more bytes of data written.
pub fn add_bytes(n: u64) {
    if !allowed() {
        return;
    }
    let mut guard = state();
    if let Some(s) = guard.as_mut() {
        s.bytes += n;
    }
    draw(&mut guard, false);
}

/// The data job filling entry `dump_id` is done (other entries are ignored).
pub fn table_done(dump_id: DumpId) {
    if !allowed() {
        return;
    }
    let mut guard = state();
    let mut last = false;
    if let Some(s) = guard.as_mut() {
        if let Some(estimate) = s.pending.remove(&dump_id) {
            s.tables_done += 1;
            s.estimate_done += estimate;
            last = s.pending.is_empty();
        }
    }
    // The last table is always shown done, however soon after the previous draw.
    draw(&mut guard, last);
}

/// Ends the data phase: removes the line.
pub fn finish() {
    if !allowed() {
        return;
    }
    let mut guard = state();
    if let Some(mut s) = guard.take() {
        if s.drawn.take().is_some() {
            let _ = std::io::stderr().write_all(b"\r\x1b[2K");
        }
    }
}

/// Prints a line on stderr, clearing the progress line first (it is redrawn at the
/// next event).
pub fn print_line(line: &str) {
    let mut guard = state();
    let mut stderr = std::io::stderr().lock();
    if let Some(s) = guard.as_mut() {
        if s.drawn.take().is_some() {
            let _ = stderr.write_all(b"\r\x1b[2K");
        }
    }
    let _ = writeln!(stderr, "{line}");
}

/// A [`DataSink`] counting the bytes that pass through it for the progress line.
pub struct Counting<'s, S> {
    inner: &'s mut S,
}

impl<'s, S> Counting<'s, S> {
    pub fn new(inner: &'s mut S) -> Self {
        Counting { inner }
    }
}

impl<S: DataSink + Send> DataSink for Counting<'_, S> {
    async fn write(&mut self, bytes: Bytes) -> crate::Result<()> {
        add_bytes(bytes.len() as u64);
        self.inner.write(bytes).await
    }
    async fn start_lo(&mut self, oid: u32) -> crate::Result<()> {
        self.inner.start_lo(oid).await
    }
    async fn end_lo(&mut self) -> crate::Result<()> {
        self.inner.end_lo().await
    }
}

fn draw(guard: &mut Option<State>, force: bool) {
    let Some(s) = guard.as_mut() else { return };
    let now = Instant::now();
    if !force && s.drawn.is_some_and(|t| now.duration_since(t) < REDRAW) {
        return;
    }
    let line = s.line(now);
    let _ = write!(std::io::stderr(), "\r\x1b[2K{line}");
    s.drawn = Some(now);
}

impl State {
    fn line(&self, now: Instant) -> String {
        let elapsed = now.duration_since(self.started).as_secs_f64();
        let (done, total) = (self.estimate_done, self.total_estimate);
        let share = match (done.min(total) * 100).checked_div(total) {
            Some(percent) => format!(" ({percent}% of estimated size)"),
            None => String::new(),
        };
        let eta = if done > 0 && total > done && elapsed > 0.0 {
            let rate = done as f64 / elapsed;
            format!(", ETA {}", human_duration((total - done) as f64 / rate))
        } else {
            String::new()
        };
        format!(
            "dumping: {}/{} tables, {} written{share}{eta}",
            self.tables_done,
            self.total_tables,
            human_bytes(self.bytes)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_shows_tables_bytes_and_eta() {
        let started = Instant::now();
        let s = State {
            total_tables: 4,
            total_estimate: 4096,
            pending: HashMap::new(),
            tables_done: 1,
            estimate_done: 1024,
            bytes: 3 << 20,
            started,
            drawn: None,
        };
        assert_eq!(
            s.line(started + Duration::from_secs(2)),
            "dumping: 1/4 tables, 3.0 MB written (25% of estimated size), ETA 6s"
        );
    }
}
