//! TABLE ATTACH and INDEX ATTACH: partitions and partition indexes joined to their
//! parents. Mirrors common.c `flagInhTables()` / `flagInhIndexes()` and pg_dump.c
//! `dumpTableAttach()` / `dumpIndexAttach()`. No catalog rows of their own (CatalogId
//! 0/0); dependencies are stated explicitly since pg_depend has none to match.
//! TOC: "TABLE ATTACH" pre-data, "INDEX ATTACH" post-data.

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::{Catalog, Components, DumpObject, Kind};

#[derive(Debug, Clone)]
pub enum Attach {
    /// Partition table OID, parent table OID.
    Table { partition: u32, parent: u32 },
    /// Index into `Catalog::indexes` of the partition's index and of the parent index.
    Index {
        partition_index: usize,
        parent_index: usize,
    },
}

/// `flagInhTables`' TABLE ATTACH objects: one per dumped partition.
pub fn collect_tables(cat: &mut Catalog) {
    for ti in 0..cat.tables.len() {
        let t = &cat.tables[ti];
        if !t.is_partition || t.parents.len() != 1 {
            continue;
        }
        let Some(obj) = cat.objects.get(t.dump_id) else {
            continue;
        };
        if !obj.dump.has(Components::DEFINITION) {
            continue;
        }
        let (name, ns, dump) = (obj.name.clone(), obj.namespace.clone(), obj.dump);
        let parent = t.parents[0];
        let Some(parent_id) = cat.table_by_oid(parent).map(|p| p.dump_id) else {
            continue;
        };
        let (tid, oid) = (t.dump_id, t.oid);
        let idx = cat.attaches.len();
        cat.attaches.push(Attach::Table {
            partition: oid,
            parent,
        });
        let id = cat
            .objects
            .add(Kind::TableAttach, CatalogId::default(), name, ns, idx);
        cat.objects.set_dump(id, dump);
        cat.objects.add_dependency(id, tid);
        cat.objects.add_dependency(id, parent_id);
    }
}

/// `flagInhIndexes`' INDEX ATTACH objects: one per index of a partition that has a
/// parent index.
pub fn collect_indexes(cat: &mut Catalog) {
    for ii in 0..cat.indexes.len() {
        let ix = &cat.indexes[ii];
        if ix.parent_index == 0 {
            continue;
        }
        let Some(t) = cat.table_by_oid(ix.table_oid) else {
            continue;
        };
        if !t.is_partition || t.parents.is_empty() {
            continue;
        }
        let Some(pi) = cat.indexes.iter().position(|p| p.oid == ix.parent_index) else {
            continue;
        };
        let parent_table_id = cat
            .table_by_oid(cat.indexes[pi].table_oid)
            .map(|p| p.dump_id);
        let (name, ns, table_id) = (ix.name.clone(), t.schema.clone(), t.dump_id);
        let index_id = cat.objects.by_catalog_id(CatalogId {
            table_oid: crate::objects::catalog_oid::PG_CLASS,
            oid: ix.oid,
        });
        let parent_index_id = cat.objects.by_catalog_id(CatalogId {
            table_oid: crate::objects::catalog_oid::PG_CLASS,
            oid: ix.parent_index,
        });
        let dump = index_id
            .and_then(|i| cat.objects.get(i))
            .map(|o| o.dump)
            .unwrap_or_default();
        let idx = cat.attaches.len();
        cat.attaches.push(Attach::Index {
            partition_index: ii,
            parent_index: pi,
        });
        let id = cat
            .objects
            .add(Kind::IndexAttach, CatalogId::default(), name, Some(ns), idx);
        cat.objects.set_dump(id, dump);
        for dep in [index_id, parent_index_id, Some(table_id), parent_table_id]
            .into_iter()
            .flatten()
        {
            cat.objects.add_dependency(id, dep);
        }
    }
}

/// `dumpTableAttach` / `dumpIndexAttach`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    match &cx.catalog.attaches[obj.model] {
        Attach::Table { partition, parent } => {
            let (Some(part), Some(par)) = (
                cx.catalog.table_by_oid(*partition),
                cx.catalog.table_by_oid(*parent),
            ) else {
                return;
            };
            let mut e = NewEntry::new(Desc::TableAttach, Section::PreData, obj.name.clone());
            e.namespace = obj.namespace.clone();
            e.owner = Some(part.owner.clone());
            e.defn = format!(
                "ALTER TABLE ONLY {} ATTACH PARTITION {} {};\n",
                cx.qualified(&par.schema, &par.name),
                cx.qualified(&part.schema, &part.name),
                part.partbound.as_deref().unwrap_or("")
            );
            out.push(obj.dump_id, e);
        }
        Attach::Index {
            partition_index,
            parent_index,
        } => {
            let (pix, parix) = (
                &cx.catalog.indexes[*partition_index],
                &cx.catalog.indexes[*parent_index],
            );
            let (Some(pt), Some(part)) = (
                cx.catalog.table_by_oid(pix.table_oid),
                cx.catalog.table_by_oid(parix.table_oid),
            ) else {
                return;
            };
            if !obj.dump.has(Components::DEFINITION) {
                return;
            }
            let mut e = NewEntry::new(Desc::IndexAttach, Section::PostData, obj.name.clone());
            e.namespace = obj.namespace.clone();
            e.owner = Some(part.owner.clone());
            e.defn = format!(
                "ALTER INDEX {} ATTACH PARTITION {};\n",
                cx.qualified(&part.schema, &parix.name),
                cx.qualified(&pt.schema, &pix.name)
            );
            out.push(obj.dump_id, e);
        }
    }
}
