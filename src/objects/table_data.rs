//! TABLE DATA and SEQUENCE SET. Mirrors pg_dump.c `getTableData()` /
//! `makeTableDataInfo()` / `dumpTableData()` / `dumpSequenceData()`.
//! TOC: "TABLE DATA" (data section, with a COPY statement, or none when the rows are
//! INSERT statements; the rows are streamed by the dump orchestration; a partition
//! loaded through its root says so in its definition) and "SEQUENCE SET" (data section, a `setval` call).

use std::collections::HashSet;

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::table::Table;
use crate::objects::{Catalog, Components, DumpObject, Kind};

#[derive(Debug, Clone)]
pub struct TableData {
    pub table_oid: u32,
    /// The rows are loaded through the partition root (`--load-via-partition-root`,
    /// or forced for partitions of a hash-on-enum partitioned table): that root's OID.
    pub load_via_root: Option<u32>,
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
/// the options exclude.
pub fn collect(cat: &mut Catalog, sel: &DataSelection) {
    for ti in 0..cat.tables.len() {
        let t = &cat.tables[ti];
        let wanted = match t.relkind {
            b'S' => true,
            b'r' | b'm' => !sel.only_sequences,
            b'f' => !sel.only_sequences && sel.foreign_tables.contains(&t.oid),
            _ => false,
        } && !(sel.no_unlogged && t.persistence == b'u')
            && !sel.excluded.contains(&t.oid);
        if !wanted {
            continue;
        }
        let tid = t.dump_id;
        let Some(tobj) = cat.objects.get(tid) else {
            continue;
        };
        if !tobj.dump.has(Components::DATA) {
            continue;
        }
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

/// The `COPY ... TO stdout` that produces an entry's rows; foreign tables are read
/// through `COPY (SELECT ...)` as stock does.
pub fn copy_out_sql(cx: &EmitCx<'_>, table_oid: u32) -> Option<String> {
    let t = cx.catalog.table_by_oid(table_oid)?;
    let qualname = cx.qualified(&t.schema, &t.name);
    let cols = copy_columns(cx, table_oid);
    if t.relkind == b'f' {
        let list = match cols.strip_prefix('(').and_then(|c| c.strip_suffix(')')) {
            Some(inner) if !inner.is_empty() => format!("{inner} "),
            _ => "* ".to_string(),
        };
        return Some(format!("COPY (SELECT {list}FROM {qualname} ) TO stdout;"));
    }
    Some(format!("COPY {qualname} {cols} TO stdout;"))
}
