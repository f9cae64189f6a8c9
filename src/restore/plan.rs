//! Restore scheduling: which archive entry is restored next, and on which
//! connection, following stock pg_restore 18 (`pg_backup_archiver.c`) decision for
//! decision. Pure: no I/O, no database, no async; an executor drives it.
//!
//! # Modes
//!
//! With `jobs == 1` (stock's serial mode, also used for script output) entries are
//! restored one at a time in three passes over the TOC: main, ACL, post-ACL, each in
//! TOC order, skipping entries that are not required. Dependencies are not consulted;
//! the archive's order is trusted.
//!
//! With `jobs > 1` (stock's parallel mode) there are three phases:
//!
//! 1. **Prefork** (`restore_toc_entries_prefork`): the leader connection restores, in
//!    TOC order, every main-pass PRE_DATA entry and every main-pass SECTION_NONE entry
//!    met before the first DATA or POST_DATA entry. Everything else goes to the
//!    pending list. Dependencies are not checked here either.
//! 2. **Parallel** (`restore_toc_entries_parallel`): an entry is ready when all its
//!    dependencies present in the archive are done and it belongs to the current
//!    pass. Ready entries sit in a max-heap on (estimated size, then lower dump ID);
//!    the first heap node, in the heap's *array* order, with no lock conflict with a
//!    running entry is dispatched (so a smaller entry can overtake a larger one when
//!    the root conflicts, exactly as stock does). Entries that are not required are
//!    completed on the spot ([`Step::Skip`]). When nothing is ready and no worker is
//!    busy, the pass advances main → ACL → post-ACL.
//! 3. **Postfork** (`restore_toc_entries_postfork`): whatever is still pending (cycles,
//!    a main-pass entry waiting for an ACL, ...) is restored serially, in TOC order,
//!    on the leader connection, ignoring passes.
//!
//! Before all that, dependencies are fixed up (`fix_dependencies`): a POST_DATA
//! entry's dependency on a TABLE becomes a dependency on that table's TABLE DATA (so
//! indexes and constraints wait for the data) and the entry inherits the data's size
//! estimate; dependencies on dump IDs absent from the archive are dropped from the
//! count; each POST_DATA entry other than an INDEX records the TABLE / TABLE DATA
//! entries among its dependencies as *lock dependencies*: two entries conflict when
//! one's lock dependencies meet the other's dependencies.
//!
//! # Driving it
//!
//! ```text
//! loop {
//!     match planner.next_step() {
//!         Step::Run(item)   => start item on the leader (serial phases) or an idle
//!                              worker (parallel phase); later: planner.complete(..)
//!         Step::Skip(id)    => log "skipping item"; ask again
//!         Step::Wait        => wait for a running item, then planner.complete(..)
//!         Step::Begin(Phase::Parallel) => commit, disconnect the leader, start workers
//!         Step::Begin(Phase::Postfork) => stop workers, reconnect the leader
//!         Step::Done        => break
//!     }
//! }
//! ```

use std::cmp::Ordering;
use std::collections::HashMap;

use pgark_formats::model::{Desc, DumpId, Section, Toc, TocEntry};
use pgark_formats::select::Plan;
pub use pgark_formats::select::{Reqs, RestorePass};
use thiserror::Error;

#[cfg(test)]
mod tests;

/// The pass after `pass`, `None` after the last (stock's `restorePass++`).
fn following_pass(pass: RestorePass) -> Option<RestorePass> {
    match pass {
        RestorePass::Main => Some(RestorePass::Acl),
        RestorePass::Acl => Some(RestorePass::PostAcl),
        RestorePass::PostAcl => None,
    }
}

/// What the planner needs to know about one archive entry. Selection (`reqs`) and
/// the pass are decided elsewhere (the selection module) and taken as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanEntry {
    pub dump_id: DumpId,
    pub desc: Desc,
    pub section: Section,
    /// The entry's dependencies as stored in the archive (may name absent IDs).
    pub dependencies: Vec<DumpId>,
    /// Which parts are selected for restore (nothing, or only `special`, means
    /// the entry is not required).
    pub reqs: Reqs,
    pub pass: RestorePass,
    /// Estimated size of the entry's data in bytes (stock's `dataLength`: the data
    /// block's length in a custom archive, the data file's size in a directory one;
    /// 0 when unknown or without data).
    pub data_length: u64,
}

impl PlanEntry {
    /// The planner's view of an archive entry.
    pub fn from_toc(
        entry: &TocEntry,
        reqs: Reqs,
        pass: RestorePass,
        data_length: u64,
    ) -> PlanEntry {
        PlanEntry {
            dump_id: entry.dump_id,
            desc: entry.desc.clone(),
            section: entry.section,
            dependencies: entry.dependencies.clone(),
            reqs,
            pass,
            data_length,
        }
    }
}

/// The planner's input for a whole archive: every entry of `toc` in the selection
/// plan's processing order (archive order, or `-L` order with unlisted entries
/// first), with the plan's parts and passes; `data_length` gives each entry's size
/// estimate (custom: distance to the next data block; directory: file size).
pub fn entries_from_plan(
    toc: &Toc,
    plan: &Plan,
    data_length: impl Fn(&TocEntry) -> u64,
) -> Vec<PlanEntry> {
    plan.items()
        .iter()
        .filter_map(|item| {
            let entry = toc.entries.get(item.index)?;
            Some(PlanEntry::from_toc(
                entry,
                item.reqs,
                item.pass,
                data_length(entry),
            ))
        })
        .collect()
}

/// Restore options that change scheduling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// `-j N`; 1 is serial. The caller passes 1 when not restoring into a database
    /// (stock restores serially then, whatever `-j` says).
    pub jobs: usize,
    /// `--no-data-for-failed-tables`.
    pub no_data_for_failed_tables: bool,
}

/// Serial (`jobs == 1`) or parallel (`jobs > 1`) restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Serial,
    Parallel,
}

/// Where the restore is. `Serial` is the only phase of serial mode; parallel mode
/// goes `Prefork` → `Parallel` → `Postfork`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Serial mode: the single connection restores everything.
    Serial,
    /// Parallel mode, before the workers start: the leader restores pre-data.
    Prefork,
    /// Parallel mode: workers restore, at most `jobs` entries at once.
    Parallel,
    /// Parallel mode, after the workers stop: the leader restores leftovers.
    Postfork,
}

impl Phase {
    /// True for the phases in which the leader restores one entry at a time.
    pub fn is_serial(self) -> bool {
        !matches!(self, Phase::Parallel)
    }
}

/// One entry to restore now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkItem {
    pub dump_id: DumpId,
    /// The parts to restore. In the prefork and postfork phases this may want
    /// nothing (`!reqs.wants_anything()`): stock calls `restore_toc_entry` on every
    /// entry it reaches there, which then restores nothing (a WARNING entry still
    /// prints its warning).
    pub reqs: Reqs,
    pub phase: Phase,
    /// For a TABLE DATA entry: its TABLE was created without error earlier in this
    /// run (stock's `te->created`), so the table is known to be empty.
    pub table_created: bool,
}

impl WorkItem {
    /// Stock's `use_truncate`: in the parallel phase, data for a table created in
    /// this run is loaded inside a transaction that starts with `TRUNCATE TABLE
    /// ONLY`, so that with `wal_level = minimal` the COPY is not WAL-logged. The
    /// executor must additionally skip this for "load via partition root" data
    /// (defn starting `-- load via partition root `, or a COPY statement that
    /// targets another table).
    pub fn truncate_before_copy(&self) -> bool {
        self.phase == Phase::Parallel && self.table_created
    }
}

/// How restoring an entry went, as reported by the executor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every statement of the entry succeeded.
    Succeeded,
    /// At least one statement failed and the restore goes on (errors are only
    /// counted without `--exit-on-error`). For a TABLE this is stock's "could not
    /// be created": with `--no-data-for-failed-tables` its data is then skipped.
    Failed,
}

/// What the executor does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Restore this entry, then report it with [`Planner::complete`]. In serial
    /// phases nothing else is handed out until then.
    Run(WorkItem),
    /// The entry is not required; it was completed without running (stock logs
    /// "skipping item"). Ask again.
    Skip(DumpId),
    /// Nothing can start until a running entry completes (or, in the parallel
    /// phase, all `jobs` workers are busy).
    Wait,
    /// A phase boundary in parallel mode: `Parallel` after prefork (commit and
    /// disconnect the leader, start the workers), `Postfork` after the parallel
    /// phase (stop the workers, reconnect the leader).
    Begin(Phase),
    /// Everything has been restored or skipped.
    Done,
}

/// An input the planner cannot work with, or an executor report that does not fit.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlanError {
    #[error("restore plan: invalid number of parallel jobs: 0")]
    NoJobs,
    #[error("restore plan: entry has invalid dump ID {0} (dump IDs are greater than 0)")]
    BadDumpId(DumpId),
    #[error("restore plan: dump ID {0} is used by more than one entry")]
    DuplicateDumpId(DumpId),
    /// Stock: "bad table dumpId for TABLE DATA item".
    #[error("restore plan: TABLE DATA entry {data_id} names bad table dump ID {table_id}")]
    BadTableDumpId { data_id: DumpId, table_id: DumpId },
    #[error("restore plan: no entry with dump ID {0}")]
    UnknownEntry(DumpId),
    #[error("restore plan: entry {0} reported complete but it is not running")]
    NotRunning(DumpId),
}

/// Changes a POST_DATA entry's dependencies on a TABLE into dependencies on that
/// table's TABLE DATA, and raises the entry's `data_length` to the largest
/// `data_length` of the TABLE DATA entries it now depends on (stock's
/// `repoint_table_dependencies`), so that index builds and constraint checks wait
/// for the data and the biggest of them start first. A table's TABLE DATA is the
/// TABLE DATA entry whose first dependency is the table (the last such entry in TOC
/// order wins); the TABLE itself need not be in the archive.
pub fn repoint_table_dependencies(entries: &mut [PlanEntry]) -> Result<(), PlanError> {
    index_by_dump_id(entries)?;
    let table_data = table_data_index(entries)?;
    repoint(entries, &table_data);
    Ok(())
}

/// Dump ID → position, checking that IDs are positive and unique.
fn index_by_dump_id(entries: &[PlanEntry]) -> Result<HashMap<DumpId, usize>, PlanError> {
    let mut by_id = HashMap::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        if entry.dump_id <= 0 {
            return Err(PlanError::BadDumpId(entry.dump_id));
        }
        if by_id.insert(entry.dump_id, index).is_some() {
            return Err(PlanError::DuplicateDumpId(entry.dump_id));
        }
    }
    Ok(by_id)
}

/// Stock's `tableDataId`: table dump ID → position of its TABLE DATA entry.
fn table_data_index(entries: &[PlanEntry]) -> Result<HashMap<DumpId, usize>, PlanError> {
    let max_dump_id = entries.iter().map(|e| e.dump_id).max().unwrap_or(0);
    let mut table_data = HashMap::new();
    for (index, entry) in entries.iter().enumerate() {
        if entry.desc != Desc::TableData {
            continue;
        }
        let Some(&table_id) = entry.dependencies.first() else {
            continue;
        };
        if table_id <= 0 || table_id > max_dump_id {
            return Err(PlanError::BadTableDumpId {
                data_id: entry.dump_id,
                table_id,
            });
        }
        table_data.insert(table_id, index);
    }
    Ok(table_data)
}

fn repoint(entries: &mut [PlanEntry], table_data: &HashMap<DumpId, usize>) {
    for index in 0..entries.len() {
        if entries[index].section != Section::PostData {
            continue;
        }
        for dep_pos in 0..entries[index].dependencies.len() {
            let old = entries[index].dependencies[dep_pos];
            if let Some(&data_index) = table_data.get(&old) {
                let data_id = entries[data_index].dump_id;
                let data_length = entries[data_index].data_length;
                let entry = &mut entries[index];
                entry.dependencies[dep_pos] = data_id;
                entry.data_length = entry.data_length.max(data_length);
            }
        }
    }
}

/// Progress of one entry through the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    NotStarted,
    Running,
    /// Restored, or completed without running (skipped).
    Finished,
}

/// One entry with its scheduling state (stock keeps these in `TocEntry`).
#[derive(Debug, Clone)]
struct Node {
    /// Dependencies repointed, `data_length` raised, `reqs` cleared if inhibited.
    entry: PlanEntry,
    /// Dependencies present in the archive not yet done (stock's `depCount`).
    dep_count: usize,
    /// Positions of the entries depending on this one, once per dependency.
    rev_deps: Vec<usize>,
    /// Dump IDs this entry needs an exclusive lock on (stock's `lockDeps`).
    lock_deps: Vec<DumpId>,
    /// On stock's pending list.
    pending: bool,
    /// TABLE DATA whose TABLE was created in this run.
    created: bool,
    progress: Progress,
}

/// Where the planner is; `Finished` after [`Step::Done`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Serial,
    Prefork,
    Parallel,
    Postfork,
    Finished,
}

/// The restore scheduler. See the module documentation.
#[derive(Debug, Clone)]
pub struct Planner {
    nodes: Vec<Node>,
    by_id: HashMap<DumpId, usize>,
    /// Table dump ID → position of its TABLE DATA entry.
    table_data: HashMap<DumpId, usize>,
    options: PlanOptions,
    stage: Stage,
    pass: RestorePass,
    /// Positions restored in the prefork phase, in TOC order.
    prefork: Vec<usize>,
    /// Positions restored in the postfork phase, in TOC order (set on entering it).
    postfork: Vec<usize>,
    /// Next position in `prefork`, `postfork`, or the TOC (serial mode).
    cursor: usize,
    /// Positions of running entries, in dispatch order.
    running: Vec<usize>,
    ready: ReadyHeap,
}

impl Planner {
    /// Builds the plan for `entries`, given in TOC order (after any `-L` reordering).
    pub fn new(mut entries: Vec<PlanEntry>, options: PlanOptions) -> Result<Planner, PlanError> {
        if options.jobs == 0 {
            return Err(PlanError::NoJobs);
        }
        let by_id = index_by_dump_id(&entries)?;
        let table_data = table_data_index(&entries)?;
        repoint(&mut entries, &table_data);

        // Count dependencies present in the archive and build the reverse edges
        // (both once per listed dependency, as stock does).
        let mut dep_counts = vec![0usize; entries.len()];
        let mut rev_deps: Vec<Vec<usize>> = vec![Vec::new(); entries.len()];
        for (index, entry) in entries.iter().enumerate() {
            for dep in &entry.dependencies {
                if let Some(&dep_index) = by_id.get(dep) {
                    dep_counts[index] += 1;
                    rev_deps[dep_index].push(index);
                }
            }
        }
        let lock_deps: Vec<Vec<DumpId>> = entries
            .iter()
            .map(|entry| locking_dependencies(entry, &entries, &by_id))
            .collect();

        let mode = if options.jobs > 1 {
            Mode::Parallel
        } else {
            Mode::Serial
        };
        let mut pending = vec![false; entries.len()];
        let mut prefork = Vec::new();
        if mode == Mode::Parallel {
            // restore_toc_entries_prefork: which entries the leader does first. The
            // choice depends only on sections and passes, so it is fixed up front.
            let mut skipped_some = false;
            for (index, entry) in entries.iter().enumerate() {
                let mut do_now = match entry.section {
                    Section::PreData => true,
                    Section::Data | Section::PostData => {
                        skipped_some = true;
                        false
                    }
                    // Comments and the like: only while still inside pre-data.
                    Section::None => !skipped_some,
                };
                // Later passes wait; nothing in the main pass depends on them.
                if entry.pass != RestorePass::Main {
                    do_now = false;
                }
                if do_now {
                    prefork.push(index);
                } else {
                    pending[index] = true;
                }
            }
        }

        let nodes = entries
            .into_iter()
            .zip(dep_counts)
            .zip(rev_deps)
            .zip(lock_deps)
            .zip(pending)
            .map(
                |((((entry, dep_count), rev_deps), lock_deps), pending)| Node {
                    entry,
                    dep_count,
                    rev_deps,
                    lock_deps,
                    pending,
                    created: false,
                    progress: Progress::NotStarted,
                },
            )
            .collect::<Vec<_>>();
        let capacity = nodes.len();
        Ok(Planner {
            nodes,
            by_id,
            table_data,
            options,
            stage: if mode == Mode::Parallel {
                Stage::Prefork
            } else {
                Stage::Serial
            },
            pass: RestorePass::Main,
            prefork,
            postfork: Vec::new(),
            cursor: 0,
            running: Vec::new(),
            ready: ReadyHeap::with_capacity(capacity),
        })
    }

    pub fn mode(&self) -> Mode {
        if self.options.jobs > 1 {
            Mode::Parallel
        } else {
            Mode::Serial
        }
    }

    /// The current phase; `None` once [`Step::Done`] has been returned.
    pub fn phase(&self) -> Option<Phase> {
        match self.stage {
            Stage::Serial => Some(Phase::Serial),
            Stage::Prefork => Some(Phase::Prefork),
            Stage::Parallel => Some(Phase::Parallel),
            Stage::Postfork => Some(Phase::Postfork),
            Stage::Finished => None,
        }
    }

    /// The restore pass being worked on (serial mode and the parallel phase).
    pub fn pass(&self) -> RestorePass {
        self.pass
    }

    /// True once [`Step::Done`] has been returned.
    pub fn is_done(&self) -> bool {
        self.stage == Stage::Finished
    }

    /// The entries the leader restores before the workers start, in order (empty in
    /// serial mode).
    pub fn prefork_items(&self) -> Vec<DumpId> {
        self.prefork
            .iter()
            .map(|&i| self.nodes[i].entry.dump_id)
            .collect()
    }

    /// The entries handed out and not yet completed, in dispatch order.
    pub fn running(&self) -> Vec<DumpId> {
        self.running
            .iter()
            .map(|&i| self.nodes[i].entry.dump_id)
            .collect()
    }

    /// An entry's dependencies after repointing (see [`repoint_table_dependencies`]).
    pub fn dependencies(&self, id: DumpId) -> Option<&[DumpId]> {
        self.node(id).map(|n| n.entry.dependencies.as_slice())
    }

    /// The TABLE / TABLE DATA entries an entry needs an exclusive lock on.
    pub fn lock_dependencies(&self, id: DumpId) -> Option<&[DumpId]> {
        self.node(id).map(|n| n.lock_deps.as_slice())
    }

    /// An entry's size estimate after repointing (the heap's priority).
    pub fn data_length(&self, id: DumpId) -> Option<u64> {
        self.node(id).map(|n| n.entry.data_length)
    }

    /// An entry's parts to restore now (cleared for the data of a failed table).
    pub fn reqs(&self, id: DumpId) -> Option<Reqs> {
        self.node(id).map(|n| n.entry.reqs)
    }

    /// Whether two entries must not run at the same time (stock's
    /// `has_lock_conflicts` in both directions). False when either is unknown.
    pub fn lock_conflict(&self, a: DumpId, b: DumpId) -> bool {
        match (self.by_id.get(&a), self.by_id.get(&b)) {
            (Some(&a), Some(&b)) => self.conflicts(a, b),
            _ => false,
        }
    }

    /// Decides the next thing to do. See [`Step`].
    pub fn next_step(&mut self) -> Step {
        match self.stage {
            Stage::Serial => self.next_serial(),
            Stage::Prefork => {
                if !self.running.is_empty() {
                    return Step::Wait;
                }
                if let Some(&index) = self.prefork.get(self.cursor) {
                    self.cursor += 1;
                    return Step::Run(self.start(index, Phase::Prefork));
                }
                self.stage = Stage::Parallel;
                self.pass = RestorePass::Main;
                self.move_to_ready_heap();
                Step::Begin(Phase::Parallel)
            }
            Stage::Parallel => self.next_parallel(),
            Stage::Postfork => {
                if !self.running.is_empty() {
                    return Step::Wait;
                }
                if let Some(&index) = self.postfork.get(self.cursor) {
                    self.cursor += 1;
                    self.nodes[index].pending = false;
                    return Step::Run(self.start(index, Phase::Postfork));
                }
                self.stage = Stage::Finished;
                Step::Done
            }
            Stage::Finished => Step::Done,
        }
    }

    /// Records that a [`Step::Run`] entry has been restored, releasing what waits
    /// for it. For a TABLE whose schema was restored: success marks its TABLE DATA
    /// as created in this run; failure with `--no-data-for-failed-tables` clears
    /// the TABLE DATA's parts so it is skipped.
    pub fn complete(&mut self, id: DumpId, outcome: Outcome) -> Result<(), PlanError> {
        let index = *self.by_id.get(&id).ok_or(PlanError::UnknownEntry(id))?;
        if self.nodes[index].progress != Progress::Running {
            return Err(PlanError::NotRunning(id));
        }
        self.running.retain(|&i| i != index);
        self.nodes[index].progress = Progress::Finished;

        // restore_toc_entry's TABLE handling (done by the leader in parallel mode
        // through the worker's status: WORKER_CREATE_DONE / WORKER_INHIBIT_DATA).
        let entry = &self.nodes[index].entry;
        if entry.desc == Desc::Table && entry.reqs.schema() {
            if let Some(&data_index) = self.table_data.get(&entry.dump_id) {
                match outcome {
                    Outcome::Succeeded => self.nodes[data_index].created = true,
                    Outcome::Failed if self.options.no_data_for_failed_tables => {
                        self.nodes[data_index].entry.reqs = Reqs::NONE
                    }
                    Outcome::Failed => {}
                }
            }
        }

        match self.stage {
            // Prefork: count down, but let the parallel phase's setup move things.
            Stage::Prefork => self.reduce_dependencies(index, false),
            Stage::Parallel => self.reduce_dependencies(index, true),
            Stage::Serial | Stage::Postfork | Stage::Finished => {}
        }
        Ok(())
    }

    fn node(&self, id: DumpId) -> Option<&Node> {
        self.by_id.get(&id).map(|&i| &self.nodes[i])
    }

    fn start(&mut self, index: usize, phase: Phase) -> WorkItem {
        let node = &mut self.nodes[index];
        node.progress = Progress::Running;
        self.running.push(index);
        WorkItem {
            dump_id: node.entry.dump_id,
            reqs: node.entry.reqs,
            phase,
            table_created: node.created,
        }
    }

    /// Serial mode: required entries of the current pass in TOC order, then the
    /// next pass.
    fn next_serial(&mut self) -> Step {
        if !self.running.is_empty() {
            return Step::Wait;
        }
        loop {
            while self.cursor < self.nodes.len() {
                let index = self.cursor;
                self.cursor += 1;
                let entry = &self.nodes[index].entry;
                if entry.pass == self.pass && entry.reqs.wants_anything() {
                    return Step::Run(self.start(index, Phase::Serial));
                }
            }
            match following_pass(self.pass) {
                Some(pass) => {
                    self.pass = pass;
                    self.cursor = 0;
                }
                None => {
                    self.stage = Stage::Finished;
                    return Step::Done;
                }
            }
        }
    }

    /// The body of stock's main parallel loop, one decision at a time.
    fn next_parallel(&mut self) -> Step {
        loop {
            // Stock only looks for work while some worker is idle.
            if self.running.len() >= self.options.jobs {
                return Step::Wait;
            }
            if let Some(index) = self.pop_next_work_item() {
                if !self.nodes[index].entry.reqs.wants_anything() {
                    // Not to be restored: complete it without a worker.
                    self.nodes[index].progress = Progress::Finished;
                    self.reduce_dependencies(index, true);
                    return Step::Skip(self.nodes[index].entry.dump_id);
                }
                return Step::Run(self.start(index, Phase::Parallel));
            }
            if !self.running.is_empty() {
                return Step::Wait;
            }
            // Nothing ready and every worker idle: next pass, or the end.
            match following_pass(self.pass) {
                Some(pass) => {
                    self.pass = pass;
                    self.move_to_ready_heap();
                }
                None => {
                    self.postfork = (0..self.nodes.len())
                        .filter(|&i| self.nodes[i].pending)
                        .collect();
                    self.cursor = 0;
                    self.stage = Stage::Postfork;
                    return Step::Begin(Phase::Postfork);
                }
            }
        }
    }

    /// Stock's `move_to_ready_heap`: pending entries (in pending-list order, which
    /// is TOC order) with no dependency left and in the current pass.
    fn move_to_ready_heap(&mut self) {
        for index in 0..self.nodes.len() {
            let node = &self.nodes[index];
            if node.pending && node.dep_count == 0 && node.entry.pass == self.pass {
                self.nodes[index].pending = false;
                self.ready.add(self.heap_node(index));
            }
        }
    }

    /// Stock's `reduce_dependencies`; `to_heap` false is its `ready_heap == NULL`.
    fn reduce_dependencies(&mut self, index: usize, to_heap: bool) {
        for k in 0..self.nodes[index].rev_deps.len() {
            let other = self.nodes[index].rev_deps[k];
            let node = &mut self.nodes[other];
            node.dep_count = node.dep_count.saturating_sub(1);
            if to_heap && node.dep_count == 0 && node.entry.pass == self.pass && node.pending {
                node.pending = false;
                let heap_node = self.heap_node(other);
                self.ready.add(heap_node);
            }
        }
    }

    /// Stock's `pop_next_work_item`: the first heap node, in array order, without
    /// a lock conflict with a running entry.
    fn pop_next_work_item(&mut self) -> Option<usize> {
        let position = (0..self.ready.len()).find(|&position| {
            let candidate = self.ready.get(position).index;
            !self
                .running
                .iter()
                .any(|&running| self.conflicts(candidate, running))
        })?;
        Some(self.ready.remove(position).index)
    }

    /// `has_lock_conflicts(a, b) || has_lock_conflicts(b, a)`.
    fn conflicts(&self, a: usize, b: usize) -> bool {
        let one_way =
            |x: &Node, y: &Node| x.lock_deps.iter().any(|l| y.entry.dependencies.contains(l));
        one_way(&self.nodes[a], &self.nodes[b]) || one_way(&self.nodes[b], &self.nodes[a])
    }

    fn heap_node(&self, index: usize) -> HeapNode {
        let entry = &self.nodes[index].entry;
        HeapNode {
            data_length: entry.data_length,
            dump_id: entry.dump_id,
            index,
        }
    }
}

/// Stock's `identify_locking_dependencies`: a POST_DATA entry other than an INDEX
/// (CREATE INDEX does not take an exclusive lock; ALTER TABLE and friends do) needs
/// an exclusive lock on each TABLE or TABLE DATA among its (repointed) dependencies.
fn locking_dependencies(
    entry: &PlanEntry,
    entries: &[PlanEntry],
    by_id: &HashMap<DumpId, usize>,
) -> Vec<DumpId> {
    if entry.section != Section::PostData || entry.desc == Desc::Index {
        return Vec::new();
    }
    entry
        .dependencies
        .iter()
        .copied()
        .filter(|dep| {
            by_id
                .get(dep)
                .is_some_and(|&i| matches!(entries[i].desc, Desc::TableData | Desc::Table))
        })
        .collect()
}

/// A ready entry with its heap key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HeapNode {
    data_length: u64,
    dump_id: DumpId,
    index: usize,
}

impl HeapNode {
    /// `TocEntrySizeCompareBinaryheap`: greater means restored sooner — larger
    /// size first, then lower dump ID.
    fn priority_cmp(&self, other: &HeapNode) -> Ordering {
        self.data_length
            .cmp(&other.data_length)
            .then(other.dump_id.cmp(&self.dump_id))
    }
}

/// The array-backed max-heap of PostgreSQL's `src/common/binaryheap.c`, reproduced
/// operation for operation, because stock scans the heap's *array* for the first
/// dispatchable entry: which entry runs when the root is blocked depends on the
/// exact node layout.
#[derive(Debug, Clone, Default)]
struct ReadyHeap {
    nodes: Vec<HeapNode>,
}

impl ReadyHeap {
    fn with_capacity(capacity: usize) -> ReadyHeap {
        ReadyHeap {
            nodes: Vec::with_capacity(capacity),
        }
    }

    fn len(&self) -> usize {
        self.nodes.len()
    }

    /// `binaryheap_get_node`.
    fn get(&self, position: usize) -> HeapNode {
        self.nodes[position]
    }

    /// `binaryheap_add`.
    fn add(&mut self, node: HeapNode) {
        self.nodes.push(node);
        self.sift_up(self.nodes.len() - 1);
    }

    /// `binaryheap_remove_node`: the last node fills the hole, then moves up or
    /// down as its comparison with the removed node says.
    fn remove(&mut self, position: usize) -> HeapNode {
        let removed = self.nodes[position];
        let last = self.nodes.len() - 1;
        let cmp = self.nodes[last].priority_cmp(&removed);
        self.nodes[position] = self.nodes[last];
        self.nodes.truncate(last);
        if position < self.nodes.len() {
            match cmp {
                Ordering::Greater => self.sift_up(position),
                Ordering::Less => self.sift_down(position),
                Ordering::Equal => {}
            }
        }
        removed
    }

    fn sift_up(&mut self, mut position: usize) {
        let node = self.nodes[position];
        while position != 0 {
            let parent = (position - 1) / 2;
            if node.priority_cmp(&self.nodes[parent]) != Ordering::Greater {
                break;
            }
            self.nodes[position] = self.nodes[parent];
            position = parent;
        }
        self.nodes[position] = node;
    }

    fn sift_down(&mut self, mut position: usize) {
        let node = self.nodes[position];
        let size = self.nodes.len();
        loop {
            let left = 2 * position + 1;
            let right = left + 1;
            if left >= size {
                break;
            }
            let mut larger = left;
            if right < size && self.nodes[left].priority_cmp(&self.nodes[right]) == Ordering::Less {
                larger = right;
            }
            if node.priority_cmp(&self.nodes[larger]) != Ordering::Less {
                break;
            }
            self.nodes[position] = self.nodes[larger];
            position = larger;
        }
        self.nodes[position] = node;
    }
}
