//! Which data jobs a dump runs, in which order, and how big tables are split.
//!
//! A job fills one TOC entry. TABLE DATA entries become COPY jobs; with
//! `--split-tables-larger-than=SIZE`, a table whose main fork is larger than SIZE gets
//! several entries instead of one (layout below), each read by its own job over one
//! block range. Jobs run largest first (stock orders parallel table data by size).
//!
//! # Layout of a split table (readable by stock pg_restore 18)
//!
//! Stock's parallel restore truncates a table in the transaction of the one TABLE DATA
//! entry whose first dependency is that TABLE (`tableDataId`, `use_truncate` in
//! pg_backup_archiver.c), so several entries depending on the TABLE would let that
//! TRUNCATE wipe rows the others loaded. A split table therefore has:
//! * the **anchor**: the table's usual TABLE DATA entry (dependency: the TABLE),
//!   holding no rows — only the COPY terminator; it is the entry stock maps to the
//!   table and may TRUNCATE;
//! * **parts** 1..n, placed right after the anchor: TABLE DATA entries with the same
//!   tag, namespace, owner and COPY statement, whose only dependency is the anchor.
//!   They start only after the anchor (and its TRUNCATE) committed, and run in
//!   parallel with each other; none of them is ever truncated (stock never maps them
//!   to a TABLE, since their first dependency is not one).
//!
//! Post-data entries that depend on the split table get the parts as extra
//! dependencies, so indexes and constraints are built after all rows are in.
//!
//! Part k reads blocks `[k·B/n, (k+1)·B/n)` of the `B` blocks the table had when
//! planned; the last part has no upper bound, so nothing past the planned size is lost.

use std::collections::HashMap;

use pgark_formats::model::{Desc, DumpId, Section, Toc, TocEntry};

use crate::catalog::{CatalogError, Session};
use crate::dump::Collected;
use crate::objects::large_object::LargeObjectGroup;
use crate::objects::Kind;
use crate::{Error, Result};

/// A range of heap blocks: `start` inclusive, `end` exclusive (`None`: to the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRange {
    pub start: u64,
    pub end: Option<u64>,
}

/// What a job produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobKind {
    /// Rows of a table (all of them, or one block range of a split table).
    Table {
        table_oid: u32,
        range: Option<BlockRange>,
    },
    /// The anchor entry of a split table: no rows.
    SplitAnchor,
    /// The large objects of a BLOBS entry, in the group's order.
    LargeObjects { oids: Vec<u32> },
}

/// One unit of data work: the entry it fills and what goes in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataJob {
    pub dump_id: DumpId,
    pub kind: JobKind,
    /// Estimated bytes to read, for scheduling (largest first).
    pub size: u64,
}

/// The order jobs are handed to workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// TOC order (one worker feeding a writer that needs TOC order).
    TocOrder,
    /// Largest first (stock's parallel order).
    LargestFirst,
}

/// `--split-tables-larger-than`: bytes, with PostgreSQL's size units (`B`, `kB`, `MB`,
/// `GB`, `TB`, case-insensitive, optional space), e.g. `1GB`, `512MB`, `8kB`, `65536`.
pub fn parse_size(text: &str) -> Result<u64> {
    let t = text.trim();
    let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits_end);
    let bad = || {
        Error::Usage(format!(
            "invalid size \"{text}\" for --split-tables-larger-than (use e.g. 1GB, 256MB, 8kB)"
        ))
    };
    let n: u64 = number.parse().map_err(|_| bad())?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1 << 10,
        "mb" => 1 << 20,
        "gb" => 1 << 30,
        "tb" => 1 << 40,
        _ => return Err(bad()),
    };
    let bytes = n.checked_mul(factor).ok_or_else(bad)?;
    if bytes == 0 {
        return Err(bad());
    }
    Ok(bytes)
}

/// The large-object group a BLOBS entry stands for.
pub fn large_object_group(collected: &Collected, dump_id: DumpId) -> Option<&LargeObjectGroup> {
    let obj = collected.catalog.objects.get(dump_id)?;
    (obj.kind == Kind::LargeObjectData)
        .then(|| collected.catalog.large_objects.get(obj.model))
        .flatten()
}

/// The job that fills `entry` (whole table, or large objects), sizes unknown.
pub fn job_for_entry(collected: &Collected, entry: &TocEntry) -> Result<DataJob> {
    let kind = match entry.desc {
        Desc::TableData => JobKind::Table {
            table_oid: entry.catalog_id.oid,
            range: None,
        },
        Desc::Blobs => JobKind::LargeObjects {
            oids: large_object_group(collected, entry.dump_id)
                .map(|g| g.oids.clone())
                .unwrap_or_default(),
        },
        _ => {
            return Err(Error::NotImplemented {
                what: format!(
                    "pgark dump: data of a {} entry",
                    String::from_utf8_lossy(entry.desc.as_bytes())
                ),
            })
        }
    };
    Ok(DataJob {
        dump_id: entry.dump_id,
        kind,
        size: 0,
    })
}

/// Main-fork sizes (bytes) of the tables with TABLE DATA entries, and the block size.
async fn table_sizes(
    leader: &Session,
    toc: &Toc,
) -> Result<(HashMap<u32, u64>, u64), CatalogError> {
    let oids: Vec<String> = toc
        .entries
        .iter()
        .filter(|e| e.had_dumper && e.desc == Desc::TableData)
        .map(|e| e.catalog_id.oid.to_string())
        .collect();
    let block = leader
        .query("SELECT pg_catalog.current_setting('block_size') AS block_size")
        .await?;
    let block_size = match block.iter().next() {
        Some(r) => r.i64("block_size")?.max(1) as u64,
        None => 8192,
    };
    if oids.is_empty() {
        return Ok((HashMap::new(), block_size));
    }
    let rows = leader
        .query(&format!(
            "SELECT c.oid, pg_catalog.pg_relation_size(c.oid) AS bytes \
             FROM pg_catalog.pg_class c WHERE c.oid = ANY('{{{}}}'::pg_catalog.oid[])",
            oids.join(",")
        ))
        .await?;
    let mut sizes = HashMap::new();
    for r in rows.iter() {
        sizes.insert(r.oid("oid")?, r.i64("bytes")?.max(0) as u64);
    }
    Ok((sizes, block_size))
}

/// The table-data jobs of an archive dump, in `schedule` order; splits tables larger
/// than `split_above` bytes, adding their part entries to `toc`. BLOBS entries are not
/// in the list (the writer side reads them on the leader, in TOC order).
pub async fn table_jobs(
    leader: &Session,
    collected: &Collected,
    toc: &mut Toc,
    split_above: Option<u64>,
    schedule: Schedule,
) -> Result<Vec<DataJob>> {
    let (sizes, block_size) = table_sizes(leader, toc).await?;
    let mut next_id = toc.entries.iter().map(|e| e.dump_id).max().unwrap_or(0) + 1;
    let mut jobs = Vec::new();
    let mut entries = Vec::with_capacity(toc.entries.len());
    let mut parts_of_table: HashMap<DumpId, Vec<DumpId>> = HashMap::new();
    for entry in std::mem::take(&mut toc.entries) {
        if !(entry.had_dumper && entry.desc == Desc::TableData) {
            entries.push(entry);
            continue;
        }
        let mut job = job_for_entry(collected, &entry)?;
        let table_oid = entry.catalog_id.oid;
        let bytes = sizes.get(&table_oid).copied().unwrap_or(0);
        job.size = bytes;
        let splittable = entry.copy_stmt.is_some()
            && collected
                .catalog
                .table_by_oid(table_oid)
                .is_some_and(|t| t.relkind == b'r');
        let parts = match split_above {
            Some(limit) if splittable && bytes > limit => bytes.div_ceil(limit),
            _ => 1,
        };
        let blocks = bytes / block_size;
        if parts < 2 || blocks < 2 {
            jobs.push(job);
            entries.push(entry);
            continue;
        }
        let parts = parts.min(blocks);
        let anchor_id = entry.dump_id;
        jobs.push(DataJob {
            dump_id: anchor_id,
            kind: JobKind::SplitAnchor,
            size: 0,
        });
        let template = entry.clone();
        entries.push(entry);
        for k in 0..parts {
            let start = k * blocks / parts;
            let end = (k + 1 < parts).then(|| (k + 1) * blocks / parts);
            let mut part = template.clone();
            part.dump_id = next_id;
            part.dependencies = vec![anchor_id];
            next_id += 1;
            if let Some(&table_id) = template.dependencies.first() {
                parts_of_table
                    .entry(table_id)
                    .or_default()
                    .push(part.dump_id);
            }
            jobs.push(DataJob {
                dump_id: part.dump_id,
                kind: JobKind::Table {
                    table_oid,
                    range: Some(BlockRange { start, end }),
                },
                size: (end.unwrap_or(blocks) - start) * block_size,
            });
            entries.push(part);
        }
    }
    // Post-data items of a split table (indexes, constraints, triggers) also wait for
    // its parts, so they are built once over all rows (pg_restore repoints their
    // dependency on the TABLE to the anchor only).
    if !parts_of_table.is_empty() {
        for e in entries
            .iter_mut()
            .filter(|e| e.section == Section::PostData)
        {
            let extra: Vec<DumpId> = e
                .dependencies
                .iter()
                .filter_map(|d| parts_of_table.get(d))
                .flatten()
                .copied()
                .collect();
            e.dependencies.extend(extra);
        }
    }
    toc.entries = entries;
    if schedule == Schedule::LargestFirst {
        // Stable: equal sizes keep TOC order.
        jobs.sort_by_key(|j| std::cmp::Reverse(j.size));
    }
    Ok(jobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("1GB").ok(), Some(1 << 30));
        assert_eq!(parse_size("256 MB").ok(), Some(256 << 20));
        assert_eq!(parse_size("8kB").ok(), Some(8192));
        assert_eq!(parse_size("65536").ok(), Some(65536));
        assert!(parse_size("0").is_err());
        assert!(parse_size("1XB").is_err());
        assert!(parse_size("GB").is_err());
    }
}
