//! Tests of the restore scheduler on hand-built TOCs, with a simulated executor.

use std::collections::{HashMap, HashSet};

use super::*;

// ---------------------------------------------------------------------------
// Building entries

/// An entry with the pass and parts stock would give its desc, size 0.
fn pe(id: DumpId, desc: Desc, section: Section, deps: &[DumpId]) -> PlanEntry {
    let pass = match desc {
        Desc::Acl | Desc::DefaultAcl | Desc::AclLanguage => RestorePass::Acl,
        Desc::EventTrigger | Desc::MaterializedViewData => RestorePass::PostAcl,
        Desc::StatisticsData if section == Section::PostData => RestorePass::PostAcl,
        _ => RestorePass::Main,
    };
    let reqs = match desc {
        Desc::TableData | Desc::SequenceSet | Desc::MaterializedViewData => {
            Reqs::new(false, true, false)
        }
        Desc::StatisticsData => Reqs::new(false, false, true),
        _ => Reqs::new(true, false, false),
    };
    PlanEntry {
        dump_id: id,
        desc,
        section,
        dependencies: deps.to_vec(),
        reqs,
        pass,
        data_length: 0,
    }
}

fn sized(mut entry: PlanEntry, data_length: u64) -> PlanEntry {
    entry.data_length = data_length;
    entry
}

fn unselected(mut entry: PlanEntry) -> PlanEntry {
    entry.reqs = Reqs::NONE;
    entry
}

fn parallel(jobs: usize) -> PlanOptions {
    PlanOptions {
        jobs,
        no_data_for_failed_tables: false,
    }
}

// ---------------------------------------------------------------------------
// A simulated executor: `jobs` workers, each entry takes `duration(id)` time units.

#[derive(Debug, Clone, Copy)]
struct Ran {
    item: WorkItem,
    start: u64,
    end: u64,
}

#[derive(Debug)]
struct Trace {
    planner: Planner,
    /// In dispatch order.
    runs: Vec<Ran>,
    skips: Vec<(DumpId, u64)>,
    begins: Vec<(Phase, u64)>,
    /// When each entry was completed (restored or skipped).
    finished_at: HashMap<DumpId, u64>,
}

impl Trace {
    fn run(&self, id: DumpId) -> Ran {
        *self
            .runs
            .iter()
            .find(|r| r.item.dump_id == id)
            .unwrap_or_else(|| panic!("{id} did not run: {self:#?}"))
    }
    fn ran(&self, id: DumpId) -> bool {
        self.runs.iter().any(|r| r.item.dump_id == id)
    }
    fn run_ids(&self, phase: Phase) -> Vec<DumpId> {
        self.runs
            .iter()
            .filter(|r| r.item.phase == phase)
            .map(|r| r.item.dump_id)
            .collect()
    }
    fn skip_ids(&self) -> Vec<DumpId> {
        self.skips.iter().map(|s| s.0).collect()
    }
    fn overlap(&self, a: DumpId, b: DumpId) -> bool {
        let (a, b) = (self.run(a), self.run(b));
        a.start < b.end && b.start < a.end
    }
}

fn simulate(
    entries: Vec<PlanEntry>,
    options: PlanOptions,
    duration: impl Fn(DumpId) -> u64,
) -> Trace {
    simulate_with(entries, options, duration, |_| Outcome::Succeeded)
}

/// Drives a planner to the end. Along the way checks, at every parallel-phase
/// decision, that the ready heap holds exactly the entries a brute-force reading of
/// the rules calls ready, that the chosen entry has no lock conflict with a running
/// one, and that it is the largest ready entry whenever nothing conflicts.
fn simulate_with(
    entries: Vec<PlanEntry>,
    options: PlanOptions,
    duration: impl Fn(DumpId) -> u64,
    outcome: impl Fn(DumpId) -> Outcome,
) -> Trace {
    let n = entries.len();
    let mut planner = Planner::new(entries, options).expect("valid plan input");
    let mut trace_runs: Vec<Ran> = Vec::new();
    let mut skips = Vec::new();
    let mut begins = Vec::new();
    let mut finished_at = HashMap::new();
    let mut in_flight: Vec<(u64, DumpId, usize)> = Vec::new();
    let mut now = 0u64;
    for _ in 0..(10 * n + 100) {
        let snapshot = (planner.stage == Stage::Parallel).then(|| check_ready_heap(&planner));
        let step = planner.next_step();
        if let (Some(ready), Step::Run(WorkItem { dump_id, .. }) | Step::Skip(dump_id)) =
            (&snapshot, step)
        {
            check_choice(&planner, ready, dump_id);
        }
        match step {
            Step::Run(item) => {
                if item.phase.is_serial() {
                    assert!(
                        in_flight.is_empty(),
                        "serial phase handed out {item:?} while {in_flight:?} run"
                    );
                } else {
                    assert!(
                        in_flight.len() < options.jobs,
                        "more than {} jobs at once",
                        options.jobs
                    );
                }
                let end = now + duration(item.dump_id);
                in_flight.push((end, item.dump_id, trace_runs.len()));
                trace_runs.push(Ran {
                    item,
                    start: now,
                    end,
                });
            }
            Step::Skip(id) => {
                assert_eq!(
                    planner.phase(),
                    Some(Phase::Parallel),
                    "skip of {id} outside the parallel phase"
                );
                skips.push((id, now));
                finished_at.insert(id, now);
            }
            Step::Wait => {
                let k = (0..in_flight.len())
                    .min_by_key(|&k| (in_flight[k].0, in_flight[k].1))
                    .expect("planner waits with nothing running");
                let (end, id, run_index) = in_flight.swap_remove(k);
                now = end;
                trace_runs[run_index].end = end;
                planner
                    .complete(id, outcome(id))
                    .expect("complete a running entry");
                finished_at.insert(id, now);
            }
            Step::Begin(phase) => {
                assert!(
                    in_flight.is_empty(),
                    "phase {phase:?} begins while {in_flight:?} run"
                );
                begins.push((phase, now));
            }
            Step::Done => {
                assert!(in_flight.is_empty(), "done while {in_flight:?} run");
                assert!(planner.is_done());
                assert_eq!(planner.next_step(), Step::Done);
                return Trace {
                    planner,
                    runs: trace_runs,
                    skips,
                    begins,
                    finished_at,
                };
            }
        }
    }
    panic!("planner did not finish within {} steps", 10 * n + 100);
}

/// The ready heap against the rules: not started, every dependency present in the
/// archive finished, in the current pass. Returns the heap's nodes.
fn check_ready_heap(planner: &Planner) -> Vec<HeapNode> {
    let expected: HashSet<usize> = (0..planner.nodes.len())
        .filter(|&i| {
            let node = &planner.nodes[i];
            node.progress == Progress::NotStarted
                && node.entry.pass == planner.pass
                && node.entry.dependencies.iter().all(|dep| {
                    !planner
                        .by_id
                        .get(dep)
                        .is_some_and(|&d| planner.nodes[d].progress != Progress::Finished)
                })
        })
        .collect();
    let actual: HashSet<usize> = planner.ready.nodes.iter().map(|n| n.index).collect();
    assert_eq!(
        actual.len(),
        planner.ready.len(),
        "an entry is twice in the ready heap"
    );
    assert_eq!(
        actual, expected,
        "ready heap differs from the ready entries"
    );
    planner.ready.nodes.clone()
}

fn check_choice(planner: &Planner, ready_before: &[HeapNode], chosen: DumpId) {
    let running: Vec<DumpId> = planner
        .running()
        .into_iter()
        .filter(|&r| r != chosen)
        .collect();
    for &r in &running {
        assert!(
            !planner.lock_conflict(chosen, r),
            "{chosen} dispatched while conflicting {r} runs"
        );
    }
    let any_blocked = ready_before
        .iter()
        .any(|n| running.iter().any(|&r| planner.lock_conflict(n.dump_id, r)));
    if !any_blocked && !ready_before.is_empty() {
        let largest = ready_before
            .iter()
            .max_by(|a, b| a.priority_cmp(b))
            .map(|n| n.dump_id);
        assert_eq!(Some(chosen), largest, "not the largest ready entry");
    }
}

/// Invariants of a whole run on an acyclic TOC whose order respects dependencies
/// and in which no entry depends on one of a later pass (what pg_dump writes).
fn check_invariants(
    entries: &[PlanEntry],
    options: PlanOptions,
    trace: &Trace,
    outcome: &dyn Fn(DumpId) -> Outcome,
) {
    let by_id: HashMap<DumpId, &PlanEntry> = entries.iter().map(|e| (e.dump_id, e)).collect();
    let planner = &trace.planner;

    // Each entry handed out at most once; skips are exactly the unwanted ones.
    let mut seen = HashSet::new();
    for id in trace
        .runs
        .iter()
        .map(|r| r.item.dump_id)
        .chain(trace.skip_ids())
    {
        assert!(seen.insert(id), "{id} handed out twice");
    }
    let inhibited = |e: &PlanEntry| {
        options.no_data_for_failed_tables
            && e.desc == Desc::TableData
            && e.dependencies
                .first()
                .and_then(|t| by_id.get(t))
                .is_some_and(|t| {
                    t.desc == Desc::Table
                        && t.reqs.schema()
                        && trace.ran(t.dump_id)
                        && outcome(t.dump_id) == Outcome::Failed
                })
    };
    for e in entries {
        let wanted = e.reqs.wants_anything() && !inhibited(e);
        if wanted {
            let run = trace.run(e.dump_id);
            assert_eq!(run.item.reqs, e.reqs, "parts of {}", e.dump_id);
        } else {
            assert!(
                !trace
                    .runs
                    .iter()
                    .any(|r| r.item.dump_id == e.dump_id && r.item.reqs.wants_anything()),
                "unwanted {} restored",
                e.dump_id
            );
        }
    }
    // Data of a table created in this run is flagged, other data is not.
    for run in &trace.runs {
        let e = by_id[&run.item.dump_id];
        let created = e.desc == Desc::TableData
            && e.dependencies
                .first()
                .and_then(|t| by_id.get(t))
                .is_some_and(|t| {
                    t.desc == Desc::Table
                        && t.reqs.schema()
                        && trace.ran(t.dump_id)
                        && trace.run(t.dump_id).end <= run.start
                        && outcome(t.dump_id) == Outcome::Succeeded
                });
        assert_eq!(
            run.item.table_created, created,
            "created flag of {}",
            e.dump_id
        );
    }

    if options.jobs == 1 {
        assert!(trace.begins.is_empty() && trace.skips.is_empty());
        let mut expected = Vec::new();
        for pass in [RestorePass::Main, RestorePass::Acl, RestorePass::PostAcl] {
            expected.extend(
                entries
                    .iter()
                    .filter(|e| e.pass == pass && e.reqs.wants_anything() && !inhibited(e))
                    .map(|e| e.dump_id),
            );
        }
        assert_eq!(trace.run_ids(Phase::Serial), expected, "serial order");
    } else {
        let phases: Vec<Phase> = trace.begins.iter().map(|b| b.0).collect();
        assert_eq!(phases, [Phase::Parallel, Phase::Postfork]);
        assert_eq!(trace.run_ids(Phase::Prefork), planner.prefork_items());
        assert!(
            trace.run_ids(Phase::Postfork).is_empty(),
            "leftovers in an acyclic TOC"
        );
        for e in entries {
            assert!(seen.contains(&e.dump_id), "{} never handed out", e.dump_id);
        }
    }

    // Dependencies finished first (those present in the archive).
    let starts = trace
        .runs
        .iter()
        .map(|r| (r.item.dump_id, r.start, r.item.phase))
        .chain(trace.skips.iter().map(|&(id, t)| (id, t, Phase::Parallel)));
    for (id, start, phase) in starts {
        for dep in planner.dependencies(id).unwrap_or_default() {
            if !by_id.contains_key(dep) {
                continue;
            }
            match phase {
                Phase::Parallel => {
                    let done = trace.finished_at.get(dep).copied();
                    assert!(
                        done.is_some_and(|d| d <= start),
                        "{id} started at {start} before {dep} ({done:?})"
                    );
                }
                _ => {
                    if trace.ran(*dep) {
                        assert!(
                            trace.run(*dep).end <= start,
                            "{id} started before {dep} ended"
                        );
                    }
                }
            }
        }
    }

    // No two conflicting entries at once; passes in order.
    let parallel_runs: Vec<Ran> = trace
        .runs
        .iter()
        .copied()
        .filter(|r| r.item.phase == Phase::Parallel)
        .collect();
    for (i, a) in parallel_runs.iter().enumerate() {
        for b in &parallel_runs[i + 1..] {
            if a.start < b.end && b.start < a.end {
                assert!(
                    !planner.lock_conflict(a.item.dump_id, b.item.dump_id),
                    "{} and {} conflict but overlap",
                    a.item.dump_id,
                    b.item.dump_id
                );
            }
        }
    }
    let pass_of = |id: DumpId| by_id[&id].pass;
    let started = parallel_runs
        .iter()
        .map(|r| (r.item.dump_id, r.start))
        .chain(trace.skips.iter().copied());
    for (id, start) in started {
        for earlier in parallel_runs
            .iter()
            .filter(|r| pass_of(r.item.dump_id) < pass_of(id))
        {
            assert!(
                earlier.end <= start,
                "{id} ({:?}) started before {} ended",
                pass_of(id),
                earlier.item.dump_id
            );
        }
    }
}

// ---------------------------------------------------------------------------
// A small TOC shaped like pg_dump's output.
//
//  1 SCHEMA s                          pre-data
//  2 TABLE a, 3 TABLE b, 4 TABLE c     pre-data
//  5 COMMENT ON TABLE a                none (pre-data part)
//  6 MATERIALIZED VIEW m (on a)        pre-data
//  7 TABLE DATA a (1000)  8 TABLE DATA b (10)  9 TABLE DATA c (300)
// 10 INDEX a_i (a)  11 CONSTRAINT b_pkey (b)  12 FK CONSTRAINT a_fk (a, b, 11)
// 13 INDEX c_i (c)  14 TRIGGER a_t (a)
// 15 COMMENT ON INDEX a_i              none (post-data part)
// 16 ACL TABLE a  17 ACL SCHEMA s      none, ACL pass
// 18 MATERIALIZED VIEW DATA m          post-data, post-ACL pass
fn sample_toc() -> Vec<PlanEntry> {
    use Section::{Data, None as NoSection, PostData, PreData};
    vec![
        pe(1, Desc::Schema, PreData, &[]),
        pe(2, Desc::Table, PreData, &[1]),
        pe(3, Desc::Table, PreData, &[1]),
        pe(4, Desc::Table, PreData, &[1]),
        pe(5, Desc::Comment, NoSection, &[2]),
        pe(6, Desc::MaterializedView, PreData, &[2]),
        sized(pe(7, Desc::TableData, Data, &[2]), 1000),
        sized(pe(8, Desc::TableData, Data, &[3]), 10),
        sized(pe(9, Desc::TableData, Data, &[4]), 300),
        pe(10, Desc::Index, PostData, &[2]),
        pe(11, Desc::Constraint, PostData, &[3]),
        pe(12, Desc::FkConstraint, PostData, &[2, 3, 11]),
        pe(13, Desc::Index, PostData, &[4]),
        pe(14, Desc::Trigger, PostData, &[2]),
        pe(15, Desc::Comment, NoSection, &[10]),
        pe(16, Desc::Acl, NoSection, &[2]),
        pe(17, Desc::Acl, NoSection, &[1]),
        pe(18, Desc::MaterializedViewData, PostData, &[6]),
    ]
}

/// Durations: data proportional to size, everything else 5.
fn sample_duration(entries: &[PlanEntry]) -> impl Fn(DumpId) -> u64 {
    let sizes: HashMap<DumpId, u64> = entries.iter().map(|e| (e.dump_id, e.data_length)).collect();
    move |id| 5 + sizes.get(&id).copied().unwrap_or(0) / 10
}

#[test]
fn dependency_fix_up_repoints_post_data_to_table_data() {
    let planner = Planner::new(sample_toc(), parallel(2)).expect("plan");
    // Post-data on a table now waits for its data and inherits its size.
    assert_eq!(planner.dependencies(10), Some(&[7][..]));
    assert_eq!(planner.data_length(10), Some(1000));
    assert_eq!(planner.dependencies(12), Some(&[7, 8, 11][..]));
    assert_eq!(planner.data_length(12), Some(1000));
    assert_eq!(planner.dependencies(13), Some(&[9][..]));
    assert_eq!(planner.data_length(13), Some(300));
    // Pre-data, data and section-none entries keep their table dependencies.
    assert_eq!(planner.dependencies(6), Some(&[2][..]));
    assert_eq!(planner.dependencies(7), Some(&[2][..]));
    assert_eq!(planner.dependencies(16), Some(&[2][..]));
    // Locks: not for INDEX; TABLE / TABLE DATA dependencies only for the others.
    assert_eq!(planner.lock_dependencies(10), Some(&[][..]));
    assert_eq!(planner.lock_dependencies(12), Some(&[7, 8][..]));
    assert_eq!(planner.lock_dependencies(14), Some(&[7][..]));
    assert_eq!(
        planner.lock_dependencies(18),
        Some(&[][..]),
        "matview data depends on a view, not a table"
    );

    let mut entries = sample_toc();
    repoint_table_dependencies(&mut entries).expect("repoint");
    assert_eq!(entries[11].dependencies, [7, 8, 11]);
    assert_eq!(entries[11].data_length, 1000);
    assert_eq!(entries[6].dependencies, [2]);
}

#[test]
fn prefork_takes_main_pass_pre_data_in_toc_order() {
    let planner = Planner::new(sample_toc(), parallel(3)).expect("plan");
    // The comment on a table (section none, before any data) goes too; ACLs wait.
    assert_eq!(planner.prefork_items(), [1, 2, 3, 4, 5, 6]);
    assert_eq!(planner.phase(), Some(Phase::Prefork));
    let serial = Planner::new(sample_toc(), parallel(1)).expect("plan");
    assert!(serial.prefork_items().is_empty());
    assert_eq!(serial.mode(), Mode::Serial);
}

#[test]
fn prefork_ignores_dependencies_and_defers_section_none_after_data() {
    use Section::{Data, None as NoSection, PreData};
    let entries = vec![
        // Out of dependency order: prefork follows the TOC regardless.
        pe(1, Desc::Function, PreData, &[2]),
        pe(2, Desc::Type, PreData, &[]),
        sized(pe(3, Desc::TableData, Data, &[]), 1),
        pe(4, Desc::Comment, NoSection, &[2]),
        pe(5, Desc::View, PreData, &[2]),
    ];
    let trace = simulate(entries, parallel(2), |_| 1);
    assert_eq!(trace.run_ids(Phase::Prefork), [1, 2, 5]);
    assert_eq!(trace.run_ids(Phase::Parallel), [3, 4]);
}

#[test]
fn serial_mode_restores_three_passes_in_toc_order() {
    let entries = sample_toc();
    let trace = simulate(entries.clone(), parallel(1), sample_duration(&entries));
    assert_eq!(
        trace.run_ids(Phase::Serial),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]
            .iter()
            .copied()
            .filter(|id| ![16, 17, 18].contains(id))
            .chain([16, 17, 18])
            .collect::<Vec<_>>()
    );
    check_invariants(&entries, parallel(1), &trace, &|_| Outcome::Succeeded);
}

#[test]
fn dependency_order_holds_with_1_2_and_4_jobs() {
    let entries = sample_toc();
    for jobs in [1, 2, 4] {
        let trace = simulate(entries.clone(), parallel(jobs), sample_duration(&entries));
        check_invariants(&entries, parallel(jobs), &trace, &|_| Outcome::Succeeded);
        if jobs > 1 {
            // Post-data waits for the data it repoints to.
            for (post, data) in [(10, 7), (12, 7), (12, 8), (13, 9), (14, 7)] {
                assert!(
                    trace.run(post).start >= trace.run(data).end,
                    "jobs {jobs}: {post} before {data}"
                );
            }
            assert!(
                trace.run(12).start >= trace.run(11).end,
                "FK before the key it references"
            );
        }
    }
}

#[test]
fn largest_ready_entry_goes_first() {
    use Section::{Data, PreData};
    let entries = vec![
        pe(1, Desc::Table, PreData, &[]),
        pe(2, Desc::Table, PreData, &[]),
        pe(3, Desc::Table, PreData, &[]),
        pe(4, Desc::Table, PreData, &[]),
        sized(pe(5, Desc::TableData, Data, &[1]), 10),
        sized(pe(6, Desc::TableData, Data, &[2]), 500),
        sized(pe(7, Desc::TableData, Data, &[3]), 100),
        sized(pe(8, Desc::TableData, Data, &[4]), 100),
    ];
    let trace = simulate(entries, parallel(2), |_| 10);
    // Ties broken by the lower dump ID.
    assert_eq!(trace.run_ids(Phase::Parallel), [6, 7, 8, 5]);
    assert_eq!(trace.run(6).start, trace.run(7).start);
}

#[test]
fn post_data_inherits_the_size_of_its_table_data() {
    use Section::{Data, PostData, PreData};
    // Both indexes wait for a common entry 7, so they become ready together.
    let entries = vec![
        pe(1, Desc::Table, PreData, &[]),
        pe(2, Desc::Table, PreData, &[]),
        sized(pe(3, Desc::TableData, Data, &[1]), 10),
        sized(pe(4, Desc::TableData, Data, &[2]), 9000),
        sized(pe(5, Desc::Index, PostData, &[1, 7]), 50),
        pe(6, Desc::Index, PostData, &[2, 7]),
        pe(7, Desc::SequenceSet, Data, &[]),
    ];
    let trace = simulate(entries, parallel(2), |_| 1);
    // The big table's index, sized 0 itself, goes before the one sized 50.
    assert_eq!(trace.run_ids(Phase::Parallel), [4, 3, 7, 6, 5]);
}

#[test]
fn acl_pass_after_main_pass_and_post_acl_after_acl() {
    let entries = sample_toc();
    let trace = simulate(entries.clone(), parallel(4), sample_duration(&entries));
    let last_main_end = [7, 8, 9, 10, 11, 12, 13, 14, 15]
        .iter()
        .map(|&id| trace.run(id).end)
        .max();
    // 16 and 17 depend only on prefork entries, yet wait for the whole main pass.
    for acl in [16, 17] {
        assert!(
            Some(trace.run(acl).start) >= last_main_end,
            "ACL {acl} during the main pass"
        );
    }
    let last_acl_end = trace.run(16).end.max(trace.run(17).end);
    assert!(
        trace.run(18).start >= last_acl_end,
        "matview data before the ACLs"
    );
    // The two ACLs run side by side: passes constrain order, not concurrency.
    assert!(trace.overlap(16, 17));
}

#[test]
fn index_and_fk_on_one_table_never_run_together() {
    use Section::{Data, PostData, PreData};
    let entries = vec![
        pe(1, Desc::Table, PreData, &[]),
        pe(2, Desc::Table, PreData, &[]),
        pe(3, Desc::Table, PreData, &[]),
        sized(pe(4, Desc::TableData, Data, &[1]), 300),
        sized(pe(5, Desc::TableData, Data, &[2]), 10),
        sized(pe(6, Desc::TableData, Data, &[3]), 200),
        pe(7, Desc::Index, PostData, &[1]),
        pe(8, Desc::FkConstraint, PostData, &[1, 2]),
        pe(9, Desc::Index, PostData, &[3]),
        pe(10, Desc::Index, PostData, &[1]),
    ];
    let planner = Planner::new(entries.clone(), parallel(4)).expect("plan");
    assert!(planner.lock_conflict(7, 8) && planner.lock_conflict(8, 7));
    assert!(planner.lock_conflict(8, 10));
    assert!(!planner.lock_conflict(7, 10), "two indexes on one table");
    assert!(
        !planner.lock_conflict(8, 9),
        "FK and an index on an unrelated table"
    );
    let duration = |id: DumpId| if id <= 6 { 10 } else { 50 };
    let trace = simulate(entries.clone(), parallel(4), duration);
    assert!(!trace.overlap(7, 8));
    assert!(!trace.overlap(8, 10));
    assert!(
        trace.overlap(7, 9),
        "an index on another table runs alongside"
    );
    assert!(trace.overlap(7, 10), "indexes on one table run alongside");
    check_invariants(&entries, parallel(4), &trace, &|_| Outcome::Succeeded);
}

#[test]
fn blocked_root_lets_the_next_heap_node_in_array_order_run() {
    use Section::{Data, PostData, PreData};
    // When the heap's root conflicts, stock scans the heap array, not the priority
    // order: with nodes [A 100, B 50, C 90] (added in that order) and A blocked, B
    // runs before the larger C.
    let entries = vec![
        pe(1, Desc::Table, PreData, &[]),
        sized(pe(2, Desc::TableData, Data, &[1]), 5),
        sized(pe(3, Desc::TableData, Data, &[]), 1),
        pe(4, Desc::FkConstraint, PostData, &[1]),
        sized(pe(5, Desc::Index, PostData, &[1, 3]), 100),
        sized(pe(6, Desc::Index, PostData, &[3]), 50),
        sized(pe(7, Desc::Index, PostData, &[3]), 90),
    ];
    let mut planner = Planner::new(entries, parallel(2)).expect("plan");
    assert_eq!(
        planner.next_step(),
        Step::Run(WorkItem {
            dump_id: 1,
            reqs: Reqs::new(true, false, false),
            phase: Phase::Prefork,
            table_created: false
        })
    );
    planner.complete(1, Outcome::Succeeded).expect("complete");
    assert_eq!(planner.next_step(), Step::Begin(Phase::Parallel));
    let run_id = |step: Step| match step {
        Step::Run(item) => item.dump_id,
        other => panic!("expected a run, got {other:?}"),
    };
    assert_eq!(run_id(planner.next_step()), 2);
    assert_eq!(run_id(planner.next_step()), 3);
    assert_eq!(planner.next_step(), Step::Wait);
    planner.complete(2, Outcome::Succeeded).expect("complete");
    assert_eq!(
        run_id(planner.next_step()),
        4,
        "the FK, now holding a lock on 2"
    );
    planner.complete(3, Outcome::Succeeded).expect("complete");
    assert_eq!(run_id(planner.next_step()), 6);
    assert_eq!(planner.next_step(), Step::Wait, "both workers busy");
}

#[test]
fn post_data_waits_for_table_data() {
    use Section::{Data, PostData, PreData};
    let entries = vec![
        pe(1, Desc::Table, PreData, &[]),
        sized(pe(2, Desc::TableData, Data, &[1]), 100),
        pe(3, Desc::Index, PostData, &[1]),
        pe(4, Desc::Constraint, PostData, &[1]),
        pe(5, Desc::Trigger, PostData, &[1]),
    ];
    let trace = simulate(entries, parallel(4), |id| if id == 2 { 1000 } else { 1 });
    for post in [3, 4, 5] {
        assert!(
            trace.run(post).start >= 1000,
            "{post} started before the data was loaded"
        );
    }
}

#[test]
fn unselected_entries_are_skipped_and_release_their_dependents() {
    use Section::{Data, PostData, PreData};
    let entries = vec![
        pe(1, Desc::Table, PreData, &[]),
        unselected(pe(2, Desc::Function, PreData, &[])),
        unselected(sized(pe(3, Desc::TableData, Data, &[1]), 100)),
        pe(4, Desc::Index, PostData, &[1]),
        unselected(pe(5, Desc::Constraint, PostData, &[1])),
        pe(6, Desc::Trigger, PostData, &[5, 2]),
    ];
    let trace = simulate(entries.clone(), parallel(2), |_| 3);
    // Prefork calls the restore on everything it reaches, wanted or not.
    assert_eq!(trace.run_ids(Phase::Prefork), [1, 2]);
    assert!(!trace.run(2).item.reqs.wants_anything());
    assert_eq!(trace.skip_ids(), [3, 5]);
    assert_eq!(trace.run_ids(Phase::Parallel), [4, 6]);
    check_invariants(&entries, parallel(2), &trace, &|_| Outcome::Succeeded);

    let serial = simulate(entries.clone(), parallel(1), |_| 3);
    assert_eq!(serial.run_ids(Phase::Serial), [1, 4, 6]);
}

#[test]
fn failed_table_with_no_data_for_failed_tables_skips_its_data() {
    use Section::{Data, PostData, PreData};
    let entries = vec![
        pe(1, Desc::Table, PreData, &[]),
        pe(2, Desc::Table, PreData, &[]),
        sized(pe(3, Desc::TableData, Data, &[1]), 10),
        sized(pe(4, Desc::TableData, Data, &[2]), 10),
        pe(5, Desc::Index, PostData, &[1]),
    ];
    let fail_1 = |id: DumpId| {
        if id == 1 {
            Outcome::Failed
        } else {
            Outcome::Succeeded
        }
    };
    let options = PlanOptions {
        jobs: 2,
        no_data_for_failed_tables: true,
    };
    let trace = simulate_with(entries.clone(), options, |_| 1, fail_1);
    assert_eq!(trace.skip_ids(), [3]);
    assert_eq!(trace.planner.reqs(3), Some(Reqs::NONE));
    assert!(
        trace.ran(5),
        "the index still runs (and fails on the server)"
    );
    let data_2 = trace.run(4).item;
    assert!(data_2.table_created && data_2.truncate_before_copy());
    check_invariants(&entries, options, &trace, &fail_1);

    // Without the option the data is attempted, but not as a fresh table.
    let trace = simulate_with(entries.clone(), parallel(2), |_| 1, fail_1);
    let data_1 = trace.run(3).item;
    assert!(!data_1.table_created && !data_1.truncate_before_copy());
    assert_eq!(data_1.reqs, Reqs::new(false, true, false));

    // Serial mode: the data is dropped as well; no TRUNCATE outside the parallel phase.
    let serial = PlanOptions {
        jobs: 1,
        no_data_for_failed_tables: true,
    };
    let trace = simulate_with(entries.clone(), serial, |_| 1, fail_1);
    assert_eq!(trace.run_ids(Phase::Serial), [1, 2, 4, 5]);
    assert!(trace.run(4).item.table_created && !trace.run(4).item.truncate_before_copy());
    check_invariants(&entries, serial, &trace, &fail_1);
}

#[test]
fn failed_table_in_a_worker_skips_its_data() {
    use Section::{Data, None as NoSection};
    // A table restored by a worker: a SECTION_NONE entry after data is deferred,
    // so a TABLE placed there by a list file runs in the parallel phase.
    let entries = vec![
        sized(pe(1, Desc::TableData, Data, &[]), 0),
        pe(2, Desc::Table, NoSection, &[]),
        sized(pe(3, Desc::TableData, Data, &[2]), 10),
    ];
    let options = PlanOptions {
        jobs: 2,
        no_data_for_failed_tables: true,
    };
    let fail_2 = |id: DumpId| {
        if id == 2 {
            Outcome::Failed
        } else {
            Outcome::Succeeded
        }
    };
    let trace = simulate_with(entries, options, |_| 1, fail_2);
    assert_eq!(trace.run(2).item.phase, Phase::Parallel);
    assert_eq!(trace.skip_ids(), [3]);
}

#[test]
fn dependencies_on_absent_dump_ids_are_ignored() {
    use Section::{Data, PostData, PreData};
    let entries = vec![
        // Data-only archive: TABLE 2 is not in it, yet its data is found by ID.
        pe(1, Desc::Schema, PreData, &[999, -3]),
        sized(pe(3, Desc::TableData, Data, &[2]), 70),
        pe(4, Desc::Index, PostData, &[2, 1000]),
        pe(5, Desc::FkConstraint, PostData, &[2]),
    ];
    let planner = Planner::new(entries.clone(), parallel(2)).expect("plan");
    assert_eq!(planner.dependencies(4), Some(&[3, 1000][..]));
    assert_eq!(planner.data_length(4), Some(70));
    assert_eq!(planner.lock_dependencies(5), Some(&[3][..]));
    let trace = simulate(entries.clone(), parallel(2), |_| 1);
    assert!(trace.run_ids(Phase::Postfork).is_empty());
    assert!(trace.run(4).start >= trace.run(3).end);
    check_invariants(&entries, parallel(2), &trace, &|_| Outcome::Succeeded);
}

#[test]
fn cycles_end_in_the_serial_postfork_phase() {
    use Section::PostData;
    let entries = vec![
        pe(1, Desc::Constraint, PostData, &[3]),
        pe(2, Desc::Index, PostData, &[]),
        pe(3, Desc::Trigger, PostData, &[1]),
        pe(4, Desc::Rule, PostData, &[4]),
        pe(5, Desc::Policy, PostData, &[1]),
        pe(6, Desc::Acl, Section::None, &[]),
    ];
    let trace = simulate(entries, parallel(3), |_| 1);
    assert_eq!(trace.run_ids(Phase::Parallel), [2, 6]);
    // Left over: in TOC order, one at a time, after the workers stopped.
    assert_eq!(trace.run_ids(Phase::Postfork), [1, 3, 4, 5]);
    let begins: Vec<Phase> = trace.begins.iter().map(|b| b.0).collect();
    assert_eq!(begins, [Phase::Parallel, Phase::Postfork]);
    let postfork_begin = trace.begins[1].1;
    assert!(trace
        .runs
        .iter()
        .filter(|r| r.item.phase == Phase::Postfork)
        .all(|r| r.start >= postfork_begin));
}

#[test]
fn main_pass_entry_waiting_for_an_acl_is_left_for_postfork() {
    use Section::{None as NoSection, PostData, PreData};
    // Stock moves an entry to the ready heap only during its own pass; once the
    // main pass is over nothing revisits it, so the mop-up phase restores it.
    let entries = vec![
        pe(1, Desc::Table, PreData, &[]),
        pe(2, Desc::Acl, NoSection, &[1]),
        pe(3, Desc::Trigger, PostData, &[2]),
        pe(4, Desc::EventTrigger, PostData, &[]),
    ];
    let trace = simulate(entries, parallel(2), |_| 1);
    assert_eq!(trace.run_ids(Phase::Parallel), [2, 4]);
    assert_eq!(trace.run_ids(Phase::Postfork), [3]);
}

#[test]
fn postfork_applies_no_data_for_failed_tables_serially() {
    use Section::{Data, PreData};
    // Table and data in a cycle: both are leftovers; the failed table's data,
    // reached after it, restores nothing.
    let entries = vec![
        pe(1, Desc::Table, PreData, &[]),
        pe(2, Desc::Table, Section::PostData, &[3]),
        sized(pe(3, Desc::TableData, Data, &[2]), 5),
    ];
    let options = PlanOptions {
        jobs: 2,
        no_data_for_failed_tables: true,
    };
    let trace = simulate_with(
        entries,
        options,
        |_| 1,
        |id| {
            if id == 2 {
                Outcome::Failed
            } else {
                Outcome::Succeeded
            }
        },
    );
    assert_eq!(trace.run_ids(Phase::Postfork), [2, 3]);
    assert!(!trace.run(3).item.reqs.wants_anything());
}

#[test]
fn serial_phases_hand_out_one_entry_at_a_time() {
    let mut planner = Planner::new(sample_toc(), parallel(4)).expect("plan");
    let Step::Run(first) = planner.next_step() else {
        panic!("expected a run")
    };
    assert_eq!(first.dump_id, 1);
    assert_eq!(planner.next_step(), Step::Wait);
    assert_eq!(planner.running(), [1]);
    assert_eq!(
        planner.complete(2, Outcome::Succeeded),
        Err(PlanError::NotRunning(2))
    );
    planner.complete(1, Outcome::Succeeded).expect("complete");
    assert_eq!(
        planner.complete(1, Outcome::Succeeded),
        Err(PlanError::NotRunning(1))
    );
    assert_eq!(
        planner.complete(77, Outcome::Succeeded),
        Err(PlanError::UnknownEntry(77))
    );
    assert!(planner.running().is_empty());
    let Step::Run(second) = planner.next_step() else {
        panic!("expected a run")
    };
    assert_eq!(second.dump_id, 2);
}

#[test]
fn empty_archive_goes_straight_through() {
    let trace = simulate(Vec::new(), parallel(3), |_| 1);
    assert!(trace.runs.is_empty());
    let begins: Vec<Phase> = trace.begins.iter().map(|b| b.0).collect();
    assert_eq!(begins, [Phase::Parallel, Phase::Postfork]);
    let trace = simulate(Vec::new(), parallel(1), |_| 1);
    assert!(trace.runs.is_empty() && trace.begins.is_empty());
}

#[test]
fn bad_inputs_are_rejected() {
    use Section::{Data, PreData};
    let table = pe(1, Desc::Table, PreData, &[]);
    assert_eq!(
        Planner::new(vec![table.clone()], parallel(0)).err(),
        Some(PlanError::NoJobs)
    );
    assert_eq!(
        Planner::new(vec![pe(0, Desc::Table, PreData, &[])], parallel(2)).err(),
        Some(PlanError::BadDumpId(0))
    );
    assert_eq!(
        Planner::new(vec![table.clone(), table.clone()], parallel(2)).err(),
        Some(PlanError::DuplicateDumpId(1))
    );
    let data = pe(2, Desc::TableData, Data, &[5]);
    assert_eq!(
        Planner::new(vec![table.clone(), data], parallel(2)).err(),
        Some(PlanError::BadTableDumpId {
            data_id: 2,
            table_id: 5
        })
    );
    let mut entries = vec![table, pe(2, Desc::TableData, Data, &[-1])];
    assert_eq!(
        repoint_table_dependencies(&mut entries),
        Err(PlanError::BadTableDumpId {
            data_id: 2,
            table_id: -1
        })
    );
    assert_eq!(
        PlanError::BadTableDumpId {
            data_id: 2,
            table_id: 5
        }
        .to_string(),
        "restore plan: TABLE DATA entry 2 names bad table dump ID 5"
    );
}

#[test]
fn ready_heap_follows_postgres_binaryheap() {
    let node = |data_length: u64, dump_id: DumpId| HeapNode {
        data_length,
        dump_id,
        index: dump_id as usize,
    };
    let sizes = |heap: &ReadyHeap| heap.nodes.iter().map(|n| n.data_length).collect::<Vec<_>>();
    let mut heap = ReadyHeap::default();
    for (size, id) in [(10, 1), (20, 2), (30, 3)] {
        heap.add(node(size, id));
    }
    assert_eq!(sizes(&heap), [30, 10, 20]);
    let mut removed_inner = heap.clone();
    assert_eq!(removed_inner.remove(1).dump_id, 1);
    assert_eq!(sizes(&removed_inner), [30, 20]);
    assert_eq!(heap.remove(0).dump_id, 3);
    assert_eq!(sizes(&heap), [20, 10]);
    assert_eq!(heap.remove(1).dump_id, 1);
    assert_eq!(heap.remove(0).dump_id, 2);
    assert_eq!(heap.len(), 0);

    // Equal sizes: the lower dump ID has the higher priority.
    let mut heap = ReadyHeap::default();
    for id in [9, 4, 7, 2] {
        heap.add(node(5, id));
    }
    assert_eq!(heap.get(0).dump_id, 2);
    let order: Vec<DumpId> = (0..4).map(|_| heap.remove(0).dump_id).collect();
    assert_eq!(order, [2, 4, 7, 9]);

    // A removal from the middle whose replacement must sift down.
    let mut heap = ReadyHeap::default();
    for (size, id) in [
        (100, 1),
        (90, 2),
        (80, 3),
        (70, 4),
        (60, 5),
        (10, 6),
        (5, 7),
    ] {
        heap.add(node(size, id));
    }
    assert_eq!(sizes(&heap), [100, 90, 80, 70, 60, 10, 5]);
    heap.remove(1);
    assert_eq!(sizes(&heap), [100, 70, 80, 5, 60, 10]);
}

#[test]
fn planner_input_follows_the_selection_plan() {
    use pgark_formats::model::{
        CatalogId, CompressionAlgorithm, CustomOffset, DataLocation, FormatCode, Header,
        HeaderCompression,
    };
    use pgark_formats::select::{plan, Selection, UseList};
    use pgark_formats::version::ArchiveVersion;
    use Section::{Data, None as NoSection, PostData, PreData};
    let toc_entry = |dump_id: DumpId, desc: Desc, section: Section, deps: &[DumpId]| TocEntry {
        dump_id,
        had_dumper: desc == Desc::TableData,
        catalog_id: CatalogId::default(),
        tag: Some(b"t".to_vec()),
        defn: (desc != Desc::TableData).then(|| b"CREATE something;".to_vec()),
        desc,
        section,
        drop_stmt: None,
        copy_stmt: None,
        namespace: Some(b"public".to_vec()),
        tablespace: None,
        table_am: None,
        relkind: 0,
        owner: None,
        with_oids: None,
        dependencies: deps.to_vec(),
        data_location: DataLocation::Custom(CustomOffset::NoData),
    };
    let toc = Toc {
        header: Header {
            version: ArchiveVersion::CURRENT,
            int_size: 4,
            off_size: 8,
            format: FormatCode::Custom,
            compression: HeaderCompression::Algorithm(CompressionAlgorithm::None),
            created: None,
            database_name: None,
            server_version: None,
            dump_version: None,
        },
        entries: vec![
            toc_entry(1, Desc::Encoding, PreData, &[]),
            toc_entry(2, Desc::Table, PreData, &[]),
            toc_entry(3, Desc::TableData, Data, &[2]),
            toc_entry(4, Desc::Index, PostData, &[2]),
            toc_entry(5, Desc::Acl, NoSection, &[2]),
        ],
    };
    let size = |e: &TocEntry| if e.desc == Desc::TableData { 4096 } else { 0 };

    let entries = entries_from_plan(&toc, &plan(&toc, &Selection::default()), size);
    let ids: Vec<DumpId> = entries.iter().map(|e| e.dump_id).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
    assert_eq!(entries[2].reqs, Reqs::new(false, true, false));
    assert_eq!(entries[2].data_length, 4096);
    assert_eq!(entries[4].pass, RestorePass::Acl);
    let trace = simulate(entries, parallel(2), |_| 1);
    // ENCODING is reached by prefork like any pre-data entry; it wants nothing.
    assert_eq!(trace.run_ids(Phase::Prefork), [1, 2]);
    assert!(!trace.run(1).item.reqs.wants_anything());
    assert_eq!(trace.run_ids(Phase::Parallel), [3, 4, 5]);

    // -L 4, 3, 2: the unlisted entries come first and are skipped or reached as
    // not wanted; the listed ones follow in list order.
    let selection = Selection {
        use_list: Some(UseList { ids: vec![4, 3, 2] }),
        ..Selection::default()
    };
    let entries = entries_from_plan(&toc, &plan(&toc, &selection), size);
    let ids: Vec<DumpId> = entries.iter().map(|e| e.dump_id).collect();
    assert_eq!(ids, [1, 5, 4, 3, 2]);
    let trace = simulate(entries, parallel(2), |_| 1);
    assert_eq!(trace.run_ids(Phase::Prefork), [1, 2]);
    assert_eq!(trace.skip_ids(), [5]);
    assert_eq!(trace.run_ids(Phase::Parallel), [3, 4]);
}

// ---------------------------------------------------------------------------
// Random TOCs

/// SplitMix64: small, deterministic, good enough to shape test inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick(&mut self, from: &[DumpId]) -> Option<DumpId> {
        (!from.is_empty()).then(|| from[self.below(from.len())])
    }
}

/// A TOC shaped like pg_dump's: pre-data, data, post-data, with comments and ACLs
/// in section none; dependencies only on earlier entries, never on a later pass;
/// some entries unselected, some dependencies on IDs absent from the archive, gaps
/// in the IDs.
fn random_toc(rng: &mut Rng) -> Vec<PlanEntry> {
    use Section::{Data, None as NoSection, PostData, PreData};
    let mut entries: Vec<PlanEntry> = Vec::new();
    let mut next_id = 1;
    let mut new_id = |rng: &mut Rng| {
        let id = next_id;
        next_id += 1 + if rng.chance(10) {
            rng.below(3) as DumpId
        } else {
            0
        };
        id
    };
    let (mut objects, mut tables, mut views, mut acls, mut post) =
        (vec![], vec![], vec![], vec![], vec![]);
    let deps_among = |rng: &mut Rng, from: &[DumpId], most: usize| {
        let mut deps: Vec<DumpId> = (0..rng.below(most + 1))
            .filter_map(|_| rng.pick(from))
            .collect();
        deps.dedup();
        deps
    };

    for _ in 0..3 + rng.below(15) {
        let id = new_id(rng);
        match rng.below(7) {
            0 | 1 => {
                let desc = [Desc::Schema, Desc::Function, Desc::Type][rng.below(3)].clone();
                entries.push(pe(id, desc, PreData, &deps_among(rng, &objects, 2)));
                objects.push(id);
            }
            2 | 3 => {
                entries.push(pe(id, Desc::Table, PreData, &deps_among(rng, &objects, 2)));
                objects.push(id);
                tables.push(id);
            }
            4 if !tables.is_empty() => {
                entries.push(pe(
                    id,
                    Desc::MaterializedView,
                    PreData,
                    &deps_among(rng, &tables, 2),
                ));
                objects.push(id);
                views.push(id);
            }
            5 if !objects.is_empty() => {
                entries.push(pe(
                    id,
                    Desc::Comment,
                    NoSection,
                    &deps_among(rng, &objects, 1),
                ));
            }
            _ => {
                let mut deps = deps_among(rng, &objects, 1);
                deps.extend(rng.pick(&acls));
                entries.push(pe(id, Desc::Acl, NoSection, &deps));
                acls.push(id);
            }
        }
    }
    for &table in &tables {
        if rng.chance(80) {
            let id = new_id(rng);
            entries.push(sized(
                pe(id, Desc::TableData, Data, &[table]),
                rng.next() % 100_000,
            ));
            if rng.chance(30) {
                let id = new_id(rng);
                entries.push(pe(id, Desc::StatisticsData, Data, &[table]));
            }
        }
    }
    for _ in 0..rng.below(25) {
        let id = new_id(rng);
        let table = rng.pick(&tables);
        match (rng.below(9), table) {
            (0, Some(t)) => {
                entries.push(sized(
                    pe(id, Desc::Index, PostData, &[t]),
                    rng.next() % 1000,
                ));
                post.push(id);
            }
            (1, Some(t)) => {
                entries.push(pe(id, Desc::Constraint, PostData, &[t]));
                post.push(id);
            }
            (2, Some(t)) => {
                let mut deps = vec![t];
                deps.extend(rng.pick(&tables));
                deps.extend(rng.pick(&post));
                entries.push(pe(id, Desc::FkConstraint, PostData, &deps));
                post.push(id);
            }
            (3, Some(t)) => {
                let mut deps = vec![t];
                deps.extend(rng.pick(&objects));
                entries.push(pe(id, Desc::Trigger, PostData, &deps));
                post.push(id);
            }
            (4, _) if !views.is_empty() => {
                let mut deps = deps_among(rng, &views, 1);
                deps.extend(deps_among(rng, &post, 1));
                entries.push(pe(id, Desc::MaterializedViewData, PostData, &deps));
            }
            (5, _) => {
                entries.push(pe(
                    id,
                    Desc::EventTrigger,
                    PostData,
                    &deps_among(rng, &objects, 1),
                ));
                if rng.chance(50) {
                    let comment = new_id(rng);
                    let mut entry = pe(comment, Desc::Comment, NoSection, &[id]);
                    entry.pass = RestorePass::PostAcl;
                    entries.push(entry);
                }
            }
            (6, Some(t)) => {
                entries.push(pe(id, Desc::Acl, NoSection, &[t]));
            }
            (7, _) if !post.is_empty() => {
                entries.push(pe(id, Desc::Comment, NoSection, &deps_among(rng, &post, 1)));
            }
            (_, _) if !post.is_empty() => {
                let mut deps = deps_among(rng, &post, 1);
                deps.extend(table);
                entries.push(pe(id, Desc::StatisticsData, PostData, &deps));
            }
            _ => entries.push(pe(id, Desc::Comment, NoSection, &[])),
        }
    }
    let beyond = next_id + 50;
    for entry in &mut entries {
        if rng.chance(10) {
            entry
                .dependencies
                .push(if rng.chance(50) { beyond } else { -1 });
        }
        if rng.chance(15) {
            entry.reqs = Reqs::NONE;
        }
    }
    entries
}

#[test]
fn random_tocs_keep_every_invariant() {
    let mut rng = Rng(0x5eed_f00d_9a7c);
    for case in 0..300 {
        let entries = random_toc(&mut rng);
        let no_data_for_failed_tables = rng.chance(50);
        let failing: HashSet<DumpId> = entries
            .iter()
            .filter(|e| e.desc == Desc::Table)
            .map(|e| e.dump_id)
            .filter(|_| rng.chance(20))
            .collect();
        let durations: HashMap<DumpId, u64> = entries
            .iter()
            .map(|e| (e.dump_id, rng.next() % 20 + e.data_length / 5000))
            .collect();
        for jobs in [1, 2, 3, 4, 8] {
            let options = PlanOptions {
                jobs,
                no_data_for_failed_tables,
            };
            let outcome = |id: DumpId| {
                if failing.contains(&id) {
                    Outcome::Failed
                } else {
                    Outcome::Succeeded
                }
            };
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let trace = simulate_with(entries.clone(), options, |id| durations[&id], outcome);
                check_invariants(&entries, options, &trace, &outcome)
            }));
            if let Err(panic) = result {
                eprintln!("case {case}, jobs {jobs}, options {options:?}\nentries: {entries:#?}");
                std::panic::resume_unwind(panic);
            }
        }
    }
}
