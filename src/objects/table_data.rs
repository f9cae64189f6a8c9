//! TABLE DATA and SEQUENCE SET. Mirrors pg_dump.c `getTableData()` /
//! `makeTableDataInfo()` / `dumpTableData()` / `dumpSequenceData()`.
//! TOC: "TABLE DATA" (data section, with a COPY statement, or none when the rows are
//! INSERT statements; the rows are streamed by the dump orchestration; a partition
//! loaded through its root says so in its definition) and "SEQUENCE SET" (data section, a `setval` call).

use std::collections::HashSet;

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::filter::Filter;
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::table::Table;
use crate::objects::{Catalog, Components, DumpObject, Kind};

/// `pg_namespace`'s catalog OID.
const PG_NAMESPACE: u32 = 2615;

#[derive(Debug, Clone)]
pub struct TableData {
    pub table_oid: u32,
    /// The rows are loaded through the partition root (`--load-via-partition-root`,
    /// or forced for partitions of a hash-on-enum partitioned table): that root's OID.
    pub load_via_root: Option<u32>,
    /// The row filter of an extension configuration table (`filtercond`).
    pub filter_cond: Option<String>,
}

/// Which tables' data the options leave in or out (`makeTableDataInfo`'s tests).
#[derive(Debug, Clone, Default)]
pub struct DataSelection {
    /// `--sequence-data` without data: only sequences.
    pub only_sequences: bool,
    /// `--no-unlogged-table-data`
    pub no_unlogged: bool,
    /// `--exclude-table-data` (and `-and-children`) OIDs.
    pub excluded: HashSet<u32>,
    /// Foreign tables whose server `--include-foreign-data` names.
    pub foreign_tables: HashSet<u32>,
    /// `--load-via-partition-root`
    pub load_via_partition_root: bool,
    /// Partitioned tables hash-partitioned on an enum (`unsafe_partitions`): their
    /// partitions' data always goes through the root.
    pub unsafe_partitioned: HashSet<u32>,
}

/// `getPartitioningInfo`: partitioned tables whose partition key hashes an enum.
pub async fn unsafe_partitioned_tables(session: &Session) -> Result<HashSet<u32>, CatalogError> {
    let rows = session
        .query(
            "SELECT partrelid FROM pg_partitioned_table WHERE\n\
             (SELECT c.oid FROM pg_opclass c JOIN pg_am a ON c.opcmethod = a.oid\n\
             WHERE opcname = 'enum_ops' AND opcnamespace = 'pg_catalog'::regnamespace \
             AND amname = 'hash') = ANY(partclass)",
        )
        .await?;
    rows.iter().map(|r| r.oid("partrelid")).collect()
}

/// `getRootTableInfo` (with `forcePartitionRootLoad`): the root of partition `t` when
/// its data is loaded through it.
fn partition_root(cat: &Catalog, t: &Table, sel: &DataSelection) -> Option<u32> {
    if !t.is_partition {
        return None;
    }
    let mut forced = false;
    let mut parent = cat.table_by_oid(*t.parents.first()?)?;
    forced |= sel.unsafe_partitioned.contains(&parent.oid);
    while parent.is_partition {
        parent = cat.table_by_oid(*parent.parents.first()?)?;
        forced |= sel.unsafe_partitioned.contains(&parent.oid);
    }
    (sel.load_via_partition_root || forced).then_some(parent.oid)
}

/// Which relations get data: tables and sequences whose table dumps DATA, less those
/// the options exclude (`getTableData`).
pub fn collect(cat: &mut Catalog, sel: &DataSelection) {
    let has_data: HashSet<u32> = cat.table_data.iter().map(|d| d.table_oid).collect();
    for ti in 0..cat.tables.len() {
        let t = &cat.tables[ti];
        if has_data.contains(&t.oid) {
            continue;
        }
        let Some(tobj) = cat.objects.get(t.dump_id) else {
            continue;
        };
        // Extension members' data is their extension's (configuration tables only).
        if cat.extension_members.contains_key(&tobj.catalog_id) {
            continue;
        }
        if !tobj.dump.has(Components::DATA) || (sel.only_sequences && t.relkind != b'S') {
            continue;
        }
        make_table_data(cat, ti, sel, None);
    }
}

/// `makeTableDataInfo`: the data object of table `ti`, unless its kind has no data or
/// the options exclude it; `filter_cond` restricts its rows.
fn make_table_data(cat: &mut Catalog, ti: usize, sel: &DataSelection, filter_cond: Option<String>) {
    let t = &cat.tables[ti];
    let wanted = match t.relkind {
        b'S' | b'r' | b'm' => true,
        b'f' => sel.foreign_tables.contains(&t.oid),
        _ => false,
    } && !(sel.no_unlogged && t.persistence == b'u')
        && !sel.excluded.contains(&t.oid);
    if !wanted {
        return;
    }
    let tid = t.dump_id;
    let Some(tobj) = cat.objects.get(tid) else {
        return;
    };
    let (name, ns, catalog_id) = (tobj.name.clone(), tobj.namespace.clone(), tobj.catalog_id);
    let kind = match t.relkind {
        b'S' => Kind::SequenceSet,
        b'm' => Kind::RefreshMatView,
        _ => Kind::TableData,
    };
    let table_oid = t.oid;
    let load_via_root = partition_root(cat, t, sel);
    let idx = cat.table_data.len();
    cat.table_data.push(TableData {
        table_oid,
        load_via_root,
        filter_cond,
    });
    // Stock gives data objects the table's OID with a zero tableoid.
    let id = cat.objects.add(
        kind,
        CatalogId {
            table_oid: 0,
            oid: catalog_id.oid,
        },
        name,
        ns,
        idx,
    );
    cat.objects.set_dump(id, Components::DATA);
    cat.objects.add_dependency(id, tid);
}

/// `processExtensionTables`: the data of extension configuration tables, dumped (with
/// the extension's row filter) when their extension is, or when the table or its
/// schema is asked for explicitly — even without data (stock treats it as schema).
/// Data of a configuration table referencing another by foreign key is loaded after.
pub async fn collect_extension_config(
    session: &Session,
    cat: &mut Catalog,
    filter: &Filter,
    sel: &DataSelection,
) -> Result<(), CatalogError> {
    let mut wanted: Vec<(usize, String)> = Vec::new();
    for x in &cat.extensions {
        if filter.extension_included(x.oid) == Some(false) || filter.extension_excluded(x.oid) {
            continue;
        }
        let ext_defined = cat
            .objects
            .get(x.dump_id)
            .is_some_and(|o| o.dump.has(Components::DEFINITION));
        for (table_oid, condition) in &x.config {
            let Some(&ti) = cat.table_by_oid.get(table_oid) else {
                continue;
            };
            let t = &cat.tables[ti];
            let schema = cat.schemas.iter().find(|s| s.name == t.schema);
            let schema_dump = schema
                .and_then(|s| {
                    cat.objects.by_catalog_id(CatalogId {
                        table_oid: PG_NAMESPACE,
                        oid: s.oid,
                    })
                })
                .and_then(|id| cat.objects.get(id))
                .map(|o| o.dump)
                .unwrap_or(Components::NONE);
            let mut dump = ext_defined;
            if !ext_defined {
                if filter.has_table_includes() && filter.table_included(*table_oid) {
                    dump = true;
                }
                if schema_dump.has(Components::DATA) {
                    dump = true;
                }
            }
            if filter.table_excluded(*table_oid)
                || schema.is_some_and(|s| filter.schema_excluded(s.oid))
            {
                dump = false;
            }
            if dump && !wanted.iter().any(|(i, _)| *i == ti) {
                wanted.push((ti, condition.clone()));
            }
        }
    }
    if wanted.is_empty() {
        return Ok(());
    }
    for (ti, condition) in wanted {
        let cond = (!condition.is_empty()).then_some(condition);
        make_table_data(cat, ti, sel, cond);
    }
    let rows = session
        .query(
            "SELECT conrelid, confrelid FROM pg_constraint \
             JOIN pg_depend ON (objid = confrelid) \
             WHERE contype = 'f' AND refclassid = 'pg_extension'::regclass \
             AND classid = 'pg_class'::regclass;",
        )
        .await?;
    let data_of = |cat: &Catalog, table: u32| -> Option<i32> {
        cat.objects.all().iter().find_map(|o| {
            (o.kind == Kind::TableData
                && cat
                    .table_data
                    .get(o.model)
                    .is_some_and(|d| d.table_oid == table))
            .then_some(o.dump_id)
        })
    };
    for r in rows.iter() {
        let (con, referenced) = (r.oid("conrelid")?, r.oid("confrelid")?);
        if let (Some(con_data), Some(ref_data)) = (data_of(cat, con), data_of(cat, referenced)) {
            cat.objects.add_dependency(con_data, ref_data);
        }
    }
    Ok(())
}

/// The column list of a COPY (`fmtCopyColumnList`): `(a, b)` of every non-dropped,
/// non-generated column; empty when there is none (`COPY t  FROM stdin;`).
pub fn copy_columns(cx: &EmitCx<'_>, table_oid: u32) -> String {
    let Some(t) = cx.catalog.table_by_oid(table_oid) else {
        return String::new();
    };
    let cols: Vec<String> = t
        .columns
        .iter()
        .filter(|c| !c.is_dropped && c.generated == 0)
        .map(|c| cx.ident(&c.name))
        .collect();
    if cols.is_empty() {
        String::new()
    } else {
        format!("({})", cols.join(", "))
    }
}

/// `dumpTableData` / `dumpSequenceData`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    let d = &cx.catalog.table_data[obj.model];
    let Some(t) = cx.catalog.table_by_oid(d.table_oid) else {
        return;
    };
    let qualname = cx.qualified(&t.schema, &t.name);
    if obj.kind == Kind::SequenceSet {
        let Some(seq) = cx.catalog.sequences.get(&t.oid) else {
            return;
        };
        let last = seq.last_value.unwrap_or(seq.start);
        let mut e = NewEntry::new(Desc::SequenceSet, Section::Data, t.name.clone());
        e.namespace = Some(t.schema.clone());
        e.owner = Some(t.owner.clone());
        e.defn = format!(
            "SELECT pg_catalog.setval({}, {}, {});\n",
            cx.literal(&qualname),
            last,
            if seq.is_called { "true" } else { "false" }
        );
        e.deps = vec![t.dump_id];
        out.push(obj.dump_id, e);
        return;
    }
    if obj.kind == Kind::RefreshMatView {
        // `dumpRefreshMatView`: only populated matviews are refreshed.
        if !t.is_populated {
            return;
        }
        let mut e = NewEntry::new(
            Desc::MaterializedViewData,
            Section::PostData,
            t.name.clone(),
        );
        e.catalog_id = CatalogId {
            table_oid: 0,
            oid: t.oid,
        };
        e.namespace = Some(t.schema.clone());
        e.owner = Some(t.owner.clone());
        e.defn = format!("REFRESH MATERIALIZED VIEW {qualname};\n");
        e.deps = vec![t.dump_id];
        out.push(obj.dump_id, e);
        return;
    }
    let cols = copy_columns(cx, d.table_oid);
    let mut e = NewEntry::new(Desc::TableData, Section::Data, t.name.clone());
    e.catalog_id = CatalogId {
        table_oid: 0,
        oid: t.oid,
    };
    e.namespace = Some(t.schema.clone());
    e.owner = Some(t.owner.clone());
    let copy_target = match load_target(cx, d) {
        Some(root) => {
            e.defn = format!("-- load via partition root {root}");
            root
        }
        None => qualname,
    };
    // INSERT data carries its statements in the data itself.
    if !cx.opts.dump_inserts {
        e.copy_stmt = Some(format!("COPY {copy_target} {cols} FROM stdin;\n"));
    }
    e.deps = vec![t.dump_id];
    e.has_data = true;
    out.push(obj.dump_id, e);
}

/// The partition root an entry's rows are loaded through, qualified and quoted.
pub fn load_target(cx: &EmitCx<'_>, d: &TableData) -> Option<String> {
    let root = cx.catalog.table_by_oid(d.load_via_root?)?;
    Some(cx.qualified(&root.schema, &root.name))
}

/// The data model of the TABLE DATA object with DumpId `dump_id`.
pub fn by_dump_id(cat: &Catalog, dump_id: i32) -> Option<&TableData> {
    let obj = cat.objects.get(dump_id)?;
    (obj.kind == Kind::TableData)
        .then(|| cat.table_data.get(obj.model))
        .flatten()
}

/// The row filter of `table_oid`'s data, if it is an extension configuration table
/// dumped with one.
pub fn filter_cond(catalog: &Catalog, table_oid: u32) -> Option<&str> {
    catalog
        .table_data
        .iter()
        .find(|d| d.table_oid == table_oid)
        .and_then(|d| d.filter_cond.as_deref())
}

/// The `COPY ... TO stdout` that produces an entry's rows; foreign tables and filtered
/// configuration tables are read through `COPY (SELECT ...)` as stock does.
pub fn copy_out_sql(cx: &EmitCx<'_>, table_oid: u32) -> Option<String> {
    let t = cx.catalog.table_by_oid(table_oid)?;
    let qualname = cx.qualified(&t.schema, &t.name);
    let cols = copy_columns(cx, table_oid);
    let cond = filter_cond(cx.catalog, table_oid);
    if t.relkind == b'f' || cond.is_some() {
        let list = match cols.strip_prefix('(').and_then(|c| c.strip_suffix(')')) {
            Some(inner) if !inner.is_empty() => format!("{inner} "),
            _ => "* ".to_string(),
        };
        return Some(format!(
            "COPY (SELECT {list}FROM {qualname} {}) TO stdout;",
            cond.unwrap_or("")
        ));
    }
    Some(format!("COPY {qualname} {cols} TO stdout;"))
}
