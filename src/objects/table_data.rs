//! TABLE DATA and SEQUENCE SET. Mirrors pg_dump.c `getTableData()` /
//! `makeTableDataInfo()` / `dumpTableData()` / `dumpSequenceData()`.
//! TOC: "TABLE DATA" (data section, with a COPY statement; the rows are streamed by
//! the dump orchestration) and "SEQUENCE SET" (data section, a `setval` call).

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::{Catalog, Components, DumpObject, Kind};

#[derive(Debug, Clone)]
pub struct TableData {
    pub table_oid: u32,
}

/// Which relations get data: tables and sequences whose table dumps DATA;
/// `only_sequences` for `--sequence-data` without data.
pub fn collect(cat: &mut Catalog, only_sequences: bool, no_unlogged: bool) {
    for ti in 0..cat.tables.len() {
        let t = &cat.tables[ti];
        let wanted = match t.relkind {
            b'S' => true,
            b'r' | b'm' => !only_sequences && (!no_unlogged || t.persistence != b'u'),
            _ => false,
        };
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
        let idx = cat.table_data.len();
        cat.table_data.push(TableData { table_oid });
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
    e.copy_stmt = Some(format!("COPY {qualname} {cols} FROM stdin;\n"));
    e.deps = vec![t.dump_id];
    e.has_data = true;
    out.push(obj.dump_id, e);
}

/// The `COPY ... TO stdout` that produces an entry's rows.
pub fn copy_out_sql(cx: &EmitCx<'_>, table_oid: u32) -> Option<String> {
    let t = cx.catalog.table_by_oid(table_oid)?;
    Some(format!(
        "COPY {} {} TO stdout;",
        cx.qualified(&t.schema, &t.name),
        copy_columns(cx, table_oid)
    ))
}
