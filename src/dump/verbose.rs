//! `pgark dump -v`: stock pg_dump 18's `pg_log_info` lines on stderr, worded and
//! ordered as stock prints them for a serial dump (`pg_dump: reading schemas`, ...).
//! Off unless `commands::dump::run` turns it on, so library callers (`pgark dumpall`'s
//! per-database dumps) stay quiet. Lines clear the data-phase progress line first.

use std::sync::atomic::{AtomicBool, Ordering};

use pgark_formats::quote::{Encoding, Quoter};

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
        super::progress::print_line(&format!("pg_dump: {message}"));
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
