//! `pgark dump -v`: stock pg_dump 18's `pg_log_info` lines on stderr, worded and
//! ordered as stock prints them for a serial dump (`pg_dump: reading schemas`, ...).
//! Off unless `commands::dump::run` turns it on, so library callers (`pgark dumpall`'s
//! per-database dumps) stay quiet. Lines clear the data-phase progress line first.
//!
//! With `-j N` the data lines (`dumping contents of table`, `finished item`, one
//! connection line per worker) come as the workers go, so their order varies from run
//! to run, as stock's does; only serial dumps match stock line for line. pgark also
//! takes `-j` for custom and tar archives (stock refuses), with the same lines.

use std::sync::atomic::{AtomicBool, Ordering};

use pgark_formats::model::{Toc, TocEntry};
use pgark_formats::quote::{Encoding, Quoter};
use pgark_formats::script::{render_script, DataSource, ScriptOptions};
use pgark_formats::select::Plan;

use crate::commands::dump::insert_options;
use crate::dump::data::plan::large_object_group;
use crate::dump::data::{DataJob, JobKind, ProduceCx};
use crate::objects::special::SessionFacts;
use crate::objects::Catalog;

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turns the `-v` lines on for this process.
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// One `-v` line, as stock's `pg_log_info` prints it.
pub fn info(message: &str) {
    if enabled() {
        super::progress::print_line(&format!("{}: {message}", crate::program::dump_name()));
    }
}

/// Several `-v` lines in order.
pub fn steps(messages: &[&str]) {
    for m in messages {
        info(m);
    }
}

/// getSchemaData's lines from "reading table inheritance information" to "reading
/// indexes" (after the tables' columns and check constraints are read), including
/// getTableAttrs' conditional ones: defaults and check constraints are looked for only
/// when the schema is dumped and some table of interest has them.
pub fn column_info_steps(cat: &Catalog, dump_schema: bool) {
    if !enabled() {
        return;
    }
    steps(&[
        "finding extension tables",
        "finding inheritance relationships",
        "reading column info for interesting tables",
    ]);
    if dump_schema && !cat.attrdefs.is_empty() {
        info("finding table default expressions");
    }
    // 18: getTableAttrs' query for NOT NULL NOT VALID constraints of such tables.
    let invalid_not_null = cat
        .tables
        .iter()
        .any(|t| t.columns.iter().any(|c| c.notnull_invalid));
    if dump_schema && invalid_not_null {
        info("finding invalid not-null constraints");
    }
    if dump_schema
        && cat
            .tables
            .iter()
            .any(|t| t.relkind != b'S' && !t.checks.is_empty())
    {
        info("finding table check constraints");
    }
    steps(&[
        "flagging inherited columns in subtables",
        "reading partitioning data",
        "reading indexes",
    ]);
}

/// The lines of the special entries (`dumpEncoding`, `dumpStdStrings`,
/// `dumpSearchPath`) and, when the dump creates the database, `dumpDatabase`'s.
pub fn saving_steps(facts: &SessionFacts, create_db: bool, quote_all_identifiers: bool) {
    if !enabled() {
        return;
    }
    info(&format!("saving encoding = {}", facts.encoding));
    let std_strings = if facts.std_strings { "on" } else { "off" };
    info(&format!(
        "saving \"standard_conforming_strings = {std_strings}\""
    ));
    let quoter = Quoter {
        encoding: Encoding::from_name(facts.encoding.as_bytes()).unwrap_or(Encoding::Utf8),
        std_strings: facts.std_strings,
        quote_all_identifiers,
    };
    let path: Vec<String> = facts
        .search_path
        .iter()
        .map(|s| String::from_utf8_lossy(&quoter.ident(s.as_bytes())).into_owned())
        .collect();
    info(&format!("saving \"search_path = {}\"", path.join(", ")));
    if create_db {
        info("saving database definition");
    }
}

/// A data job's line as it starts: `dumpTableData_copy`'s (INSERT data has none) or
/// `dumpLOs`'.
pub fn data_job_starts(cx: &ProduceCx<'_>, job: &DataJob) {
    if !enabled() {
        return;
    }
    match &job.kind {
        JobKind::Table { table_oid, .. } if insert_options(cx.args).is_none() => {
            if let Some(t) = cx.collected.catalog.table_by_oid(*table_oid) {
                info(&format!(
                    "dumping contents of table \"{}.{}\"",
                    t.schema, t.name
                ));
            }
        }
        JobKind::LargeObjects { .. } => {
            if let Some(group) = large_object_group(cx.collected, job.dump_id) {
                info(&format!("saving large objects \"{}\"", group.name));
            }
        }
        JobKind::Table { .. } | JobKind::SplitAnchor => {}
    }
}

/// The script renderer's `-v` lines as pg_dump prints them for plain output: the
/// archiver's lines, without the per-large-object ones, which only pg_restore prints
/// (pg_dump writes large objects through its null archiver, which reports none).
pub fn script_line(message: &str) {
    let per_large_object = message.starts_with("restoring large object with OID ")
        || (message.starts_with("restored ") && message.contains(" large object"));
    if !per_large_object {
        info(message);
    }
}

/// A tar archive's closing lines: stock renders the archive's `restore.sql` (as a
/// restore with `--clean --create`) when it closes the archive, printing the
/// archiver's `-v` lines; pgark writes a fixed `restore.sql`, so it renders the script
/// only for its lines, without data, into nothing.
pub fn tar_restore_script_lines(
    toc: &Toc,
    plan: &Plan,
    options: &ScriptOptions,
) -> crate::Result<()> {
    if !enabled() {
        return Ok(());
    }
    let options = ScriptOptions {
        create_db: true,
        clean: true,
        progress: Some(script_line),
        ..options.clone()
    };
    render_script(
        toc,
        plan.items(),
        &options,
        &mut NoData,
        &mut std::io::sink(),
    )?;
    Ok(())
}

/// Entries without data (the lines of `restore.sql` need none).
struct NoData;

impl DataSource for NoData {
    fn entry_data(
        &mut self,
        _entry: &TocEntry,
    ) -> pgark_formats::Result<Option<Box<dyn std::io::Read + '_>>> {
        Ok(None)
    }

    fn large_objects(
        &mut self,
        _entry: &TocEntry,
        _each: &mut dyn FnMut(u32, &mut dyn std::io::Read) -> pgark_formats::Result<()>,
    ) -> pgark_formats::Result<()> {
        Ok(())
    }
}

/// A parallel dump's line for each finished data entry (stock's leader prints it when
/// a worker reports back).
pub fn finished_item(entry: &TocEntry) {
    if enabled() {
        info(&format!(
            "finished item {} {} {}",
            entry.dump_id,
            String::from_utf8_lossy(entry.desc.as_bytes()),
            String::from_utf8_lossy(entry.tag.as_deref().unwrap_or_default())
        ));
    }
}

/// Each parallel worker connection's set-up line, as stock's workers print it.
pub fn worker_connections(count: usize) {
    for _ in 0..count {
        info("executing SELECT pg_catalog.set_config('search_path', '', false);");
    }
}
