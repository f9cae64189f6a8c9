//! STATISTICS DATA: a relation's planner statistics as `pg_restore_relation_stats()`
//! and `pg_restore_attribute_stats()` calls (pg_dump 18's `--statistics`,
//! `--statistics-only`). Mirrors pg_dump.c `getRelationStatistics()`,
//! `dumpRelationStats()` and `dumpRelationStats_dumper()` (stock fetches pg_stats in
//! batches while writing; pgark reads the same rows in one query when collecting).
//! Catalog: pg_class, pg_index, pg_attribute, the pg_stats view. TOC: "STATISTICS
//! DATA", data section for tables, post-data for indexes and for materialized views
//! whose REFRESH is dumped (the refresh resets their statistics).

use std::collections::HashMap;

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, ServerVersion, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::{Catalog, Components, DumpObject, Kind};

/// One relation's statistics, as read (all values in the server's text form).
#[derive(Debug, Clone)]
pub struct RelStats {
    pub schema: String,
    pub name: String,
    /// `relkind` as stock records it (`'I'` for indexes attached to a parent index).
    pub relkind: u8,
    pub section: Section,
    pub relpages: String,
    pub reltuples: String,
    pub relallvisible: String,
    pub relallfrozen: String,
    /// Expression indexes only: the index's column names, whose position is the
    /// `attnum` written instead of a (not stable) attribute name.
    pub index_attnames: Vec<String>,
    pub attributes: Vec<AttributeStats>,
}

/// One pg_stats row.
#[derive(Debug, Clone)]
pub struct AttributeStats {
    pub attname: String,
    /// (argument name, SQL type, value) of each non-null column, in stock's order
    /// (`inherited` first).
    pub values: Vec<(&'static str, &'static str, String)>,
}

/// The pg_stats columns stock passes on, with the type each is cast to; the range
/// columns exist from 17 on.
const STAT_COLUMNS: [(&str, &str); 14] = [
    ("inherited", "boolean"),
    ("null_frac", "real"),
    ("avg_width", "integer"),
    ("n_distinct", "real"),
    ("most_common_vals", "text"),
    ("most_common_freqs", "real[]"),
    ("histogram_bounds", "text"),
    ("correlation", "real"),
    ("most_common_elems", "text"),
    ("most_common_elem_freqs", "real[]"),
    ("elem_count_histogram", "real[]"),
    ("range_length_histogram", "text"),
    ("range_empty_frac", "real"),
    ("range_bounds_histogram", "text"),
];

/// A relation statistics will be read for.
struct Wanted {
    oid: u32,
    rel_id: i32,
    relkind: u8,
    schema: String,
    name: String,
}

/// `getRelationStatistics` for every dumped ("interesting") table, partitioned table,
/// materialized view and foreign table, and for their indexes; call after table data
/// objects exist (a matview's statistics follow its REFRESH) and after extension
/// membership. Two pipelined queries.
pub async fn collect(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let mut wanted = Vec::new();
    let mut interesting_tables = HashMap::new();
    for t in &cat.tables {
        if !matches!(t.relkind, b'r' | b'p' | b'm' | b'f') {
            continue;
        }
        let Some(obj) = cat.objects.get(t.dump_id) else {
            continue;
        };
        if !(obj.dump.has(Components::DEFINITION) || obj.dump.has(Components::DATA)) {
            continue;
        }
        interesting_tables.insert(t.oid, ());
        wanted.push(Wanted {
            oid: t.oid,
            rel_id: t.dump_id,
            relkind: t.relkind,
            schema: t.schema.clone(),
            name: t.name.clone(),
        });
    }
    // getIndexes also reads (and so gives statistics to) the indexes of tables stock
    // marks "interesting" without dumping them: extension configuration tables (their
    // data is dumped), direct parents of dumped tables, owners of dumped sequences.
    let mut index_tables = interesting_tables.clone();
    index_tables.extend(cat.table_data.iter().map(|d| (d.table_oid, ())));
    for t in &cat.tables {
        let dumped = cat.objects.get(t.dump_id).is_some_and(|o| o.dump.any());
        if !dumped {
            continue;
        }
        index_tables.extend(t.parents.iter().map(|p| (*p, ())));
        if t.relkind == b'S' && t.owning_tab != 0 {
            index_tables.insert(t.owning_tab, ());
        }
    }
    for obj in cat.objects.all() {
        if obj.kind != Kind::Index {
            continue;
        }
        let Some(ix) = cat.indexes.get(obj.model) else {
            continue;
        };
        if !index_tables.contains_key(&ix.table_oid) {
            continue;
        }
        wanted.push(Wanted {
            oid: ix.oid,
            rel_id: obj.dump_id,
            relkind: if ix.parent_index == 0 { b'i' } else { b'I' },
            schema: obj.namespace.clone().unwrap_or_default(),
            name: ix.name.clone(),
        });
    }
    if wanted.is_empty() {
        return Ok(());
    }
    let oids: Vec<String> = wanted.iter().map(|w| w.oid.to_string()).collect();
    let oid_array = format!("'{{{}}}'::pg_catalog.oid[]", oids.join(","));
    let relallfrozen = if session.version.at_least(ServerVersion::PG18) {
        "c.relallfrozen"
    } else {
        "0 AS relallfrozen"
    };
    let rel_sql = format!(
        "SELECT c.oid, c.relpages, c.reltuples, c.relallvisible, {relallfrozen}, \
         CASE WHEN i.indexprs IS NOT NULL THEN \
           (SELECT pg_catalog.array_agg(attname ORDER BY attnum) FROM pg_catalog.pg_attribute WHERE attrelid = i.indexrelid) \
         END AS indattnames \
         FROM unnest({oid_array}) AS u(relid) \
         JOIN pg_catalog.pg_class c ON c.oid = u.relid \
         LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid"
    );
    let range_columns = if session.version.at_least(ServerVersion::PG17) {
        "s.range_length_histogram, s.range_empty_frac, s.range_bounds_histogram"
    } else {
        "NULL AS range_length_histogram, NULL AS range_empty_frac, NULL AS range_bounds_histogram"
    };
    let attr_sql = format!(
        "SELECT s.schemaname, s.tablename, s.attname, s.inherited, s.null_frac, s.avg_width, s.n_distinct, \
         s.most_common_vals, s.most_common_freqs, s.histogram_bounds, s.correlation, \
         s.most_common_elems, s.most_common_elem_freqs, s.elem_count_histogram, {range_columns} \
         FROM pg_catalog.pg_stats s \
         JOIN (SELECT n.nspname, c.relname FROM unnest({oid_array}) AS u(relid) \
               JOIN pg_catalog.pg_class c ON c.oid = u.relid \
               JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace) r \
           ON s.schemaname = r.nspname AND s.tablename = r.relname \
         ORDER BY s.schemaname, s.tablename, s.attname, s.inherited"
    );
    let (rel_rows, attr_rows) =
        futures_util::future::try_join(session.query(&rel_sql), session.query(&attr_sql)).await?;
    let mut by_oid = HashMap::with_capacity(rel_rows.len());
    for r in rel_rows.iter() {
        by_oid.insert(r.oid("oid")?, r);
    }
    let mut attrs: HashMap<(String, String), Vec<AttributeStats>> = HashMap::new();
    for r in attr_rows.iter() {
        let mut values = Vec::new();
        for (column, sql_type) in STAT_COLUMNS {
            if let Some(v) = r.opt(column)? {
                values.push((column, sql_type, v.to_string()));
            }
        }
        attrs
            .entry((r.string("schemaname")?, r.string("tablename")?))
            .or_default()
            .push(AttributeStats {
                attname: r.string("attname")?,
                values,
            });
    }
    // A matview whose REFRESH is dumped gets its statistics after it.
    let refresh_of: HashMap<u32, i32> = cat
        .objects
        .all()
        .iter()
        .filter(|o| o.kind == Kind::RefreshMatView)
        .map(|o| (o.catalog_id.oid, o.dump_id))
        .collect();
    for w in wanted {
        // A relation dropped since the snapshot's catalog reads has no row.
        let Some(r) = by_oid.get(&w.oid) else {
            continue;
        };
        let refresh = (w.relkind == b'm')
            .then(|| refresh_of.get(&w.oid).copied())
            .flatten();
        let section = match (w.relkind, refresh) {
            (b'i' | b'I', _) | (b'm', Some(_)) => Section::PostData,
            _ => Section::Data,
        };
        let idx = cat.rel_stats.len();
        cat.rel_stats.push(RelStats {
            relkind: w.relkind,
            section,
            relpages: r.string("relpages")?,
            reltuples: r.string("reltuples")?,
            relallvisible: r.string("relallvisible")?,
            relallfrozen: r.string("relallfrozen")?,
            index_attnames: crate::objects::table::parse_text_array(r.text("indattnames")?),
            attributes: attrs
                .remove(&(w.schema.clone(), w.name.clone()))
                .unwrap_or_default(),
            schema: w.schema.clone(),
            name: w.name.clone(),
        });
        let id = cat.objects.add(
            Kind::RelStats,
            CatalogId::default(),
            w.name,
            Some(w.schema),
            idx,
        );
        cat.objects.set_dump(id, Components::ALL);
        cat.objects.add_dependency(id, w.rel_id);
        if let Some(refresh_id) = refresh {
            cat.objects.add_dependency(id, refresh_id);
        }
    }
    Ok(())
}

/// Whether the statistics object `model` belongs after the post-data boundary.
pub fn is_post_data(cat: &Catalog, model: usize) -> bool {
    cat.rel_stats
        .get(model)
        .is_some_and(|s| s.section == Section::PostData)
}

/// `dumpRelationStats` + `dumpRelationStats_dumper`.
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    let Some(stats) = cx.catalog.rel_stats.get(obj.model) else {
        return;
    };
    let mut e = NewEntry::new(Desc::StatisticsData, stats.section, stats.name.clone());
    e.namespace = Some(stats.schema.clone());
    e.defn = definition(cx, stats);
    e.deps = obj.deps.clone();
    out.push_new(e);
}

/// The restore calls, byte for byte as `dumpRelationStats_dumper` writes them.
fn definition(cx: &EmitCx<'_>, s: &RelStats) -> String {
    let version = cx.opts.server_version;
    let schema = cx.literal(&s.schema);
    let relname = cx.literal(&s.name);
    let mut out = String::from("SELECT * FROM pg_catalog.pg_restore_relation_stats(\n");
    out.push_str(&format!("\t'version', '{version}'::integer,\n"));
    out.push_str(&format!("\t'schemaname', {schema},\n"));
    out.push_str(&format!("\t'relname', {relname},\n"));
    out.push_str(&format!("\t'relpages', '{}'::integer,\n", s.relpages));
    out.push_str(&format!("\t'reltuples', '{}'::real,\n", s.reltuples));
    out.push_str(&format!(
        "\t'relallvisible', '{}'::integer",
        s.relallvisible
    ));
    if version >= ServerVersion::PG18.0 {
        out.push_str(&format!(
            ",\n\t'relallfrozen', '{}'::integer",
            s.relallfrozen
        ));
    }
    out.push_str("\n);\n");
    for a in &s.attributes {
        let column = if s.index_attnames.is_empty() {
            format!("'attname', {}", cx.literal(&a.attname))
        } else if let Some(pos) = s.index_attnames.iter().position(|n| *n == a.attname) {
            format!("'attnum', '{}'::smallint", pos + 1)
        } else {
            // Stock stops with "could not find index attname"; pg_stats only names
            // columns of the index, so such a row cannot occur and is left out.
            continue;
        };
        out.push_str("SELECT * FROM pg_catalog.pg_restore_attribute_stats(\n");
        out.push_str(&format!("\t'version', '{version}'::integer,\n"));
        out.push_str(&format!(
            "\t'schemaname', {schema},\n\t'relname', {relname},\n\t{column}"
        ));
        for (name, sql_type, value) in &a.values {
            out.push_str(&format!(
                ",\n\t{}, {}::{sql_type}",
                cx.literal(name),
                cx.literal(value)
            ));
        }
        out.push_str("\n);\n");
    }
    out
}

/// Whether `id` is the statistics object of a materialized view.
pub fn is_matview_stats(cat: &Catalog, id: i32) -> bool {
    cat.objects.get(id).is_some_and(|o| {
        o.kind == Kind::RelStats
            && cat
                .rel_stats
                .get(o.model)
                .is_some_and(|s| s.relkind == b'm')
    })
}

/// `repairMatViewBoundaryMultiLoop`'s statistics half: a matview's statistics that
/// could not stay in the data section are restored post-data.
pub fn postpone_matview_stats(cat: &mut Catalog, id: i32) {
    if !is_matview_stats(cat, id) {
        return;
    }
    if let Some(model) = cat.objects.get(id).map(|o| o.model) {
        if let Some(s) = cat.rel_stats.get_mut(model) {
            s.section = Section::PostData;
        }
    }
}
