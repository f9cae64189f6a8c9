//! TABLE ATTACH and INDEX ATTACH: partitions and partition indexes joined to their
//! parents. Mirrors common.c `flagInhTables()` / `flagInhIndexes()` and pg_dump.c
//! `dumpTableAttach()` / `dumpIndexAttach()`. No catalog rows of their own (CatalogId
//! 0/0); dependencies are stated explicitly since pg_depend has none to match.
//! TOC: "TABLE ATTACH" pre-data, "INDEX ATTACH" post-data.

use std::collections::HashMap;

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
/// parent index. Parent indexes are found through a map by OID, built once, so
/// that many partitions with many indexes stay linear.
pub fn collect_indexes(cat: &mut Catalog) {
    let position_by_oid: HashMap<u32, usize> = cat
        .indexes
        .iter()
        .enumerate()
        .map(|(i, ix)| (ix.oid, i))
        .collect();
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
        let Some(&pi) = position_by_oid.get(&ix.parent_index) else {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::catalog_oid::PG_CLASS;
    use crate::objects::index::Index;
    use pgark_formats::DumpId;

    fn table(cat: &mut Catalog, oid: u32, name: &str, parent: Option<u32>) -> DumpId {
        let relkind = if parent.is_some() { b'r' } else { b'p' };
        let id = crate::objects::table::add_bare_table(cat, oid, name, relkind);
        cat.objects.set_dump(id, Components::ALL);
        if let Some(t) = cat.tables.last_mut() {
            t.is_partition = parent.is_some();
            t.parents = parent.into_iter().collect();
        }
        id
    }

    fn index(cat: &mut Catalog, oid: u32, table_oid: u32, parent_index: u32) -> DumpId {
        let name = format!("i{oid}");
        let id = cat.objects.add(
            Kind::Index,
            CatalogId {
                table_oid: PG_CLASS,
                oid,
            },
            name.clone(),
            Some("s".into()),
            cat.indexes.len(),
        );
        cat.objects.set_dump(id, Components::ALL);
        cat.indexes.push(Index {
            oid,
            name,
            table_oid,
            definition: String::new(),
            attnames: Vec::new(),
            n_key_atts: 1,
            is_clustered: false,
            is_replident: false,
            nulls_not_distinct: false,
            tablespace: None,
            reloptions: Vec::new(),
            stat_targets: Vec::new(),
            constraint: None,
            parent_index,
        });
        id
    }

    /// A partitioned table with 20,000 partitions and three partitioned indexes (the
    /// case that was quadratic): each partition index is attached to its own parent
    /// index, depending on both indexes and both tables.
    #[test]
    fn many_partition_indexes_attach_to_their_parents() {
        const PARTITIONS: u32 = 20_000;
        const PARENT_INDEXES: u32 = 3;
        let mut cat = Catalog::default();
        let root = table(&mut cat, 100, "root", None);
        let parent_ids: Vec<DumpId> = (0..PARENT_INDEXES)
            .map(|k| index(&mut cat, 200 + k, 100, 0))
            .collect();
        let mut expected = Vec::new();
        for p in 0..PARTITIONS {
            let part_oid = 1_000 + p;
            let part = table(&mut cat, part_oid, &format!("p{p}"), Some(100));
            for k in 0..PARENT_INDEXES {
                let oid = 100_000 + p * PARENT_INDEXES + k;
                let id = index(&mut cat, oid, part_oid, 200 + k);
                expected.push((oid, 200 + k, id, parent_ids[k as usize], part));
            }
        }
        collect_indexes(&mut cat);
        assert_eq!(cat.attaches.len(), expected.len());
        let attach_ids: Vec<DumpId> = cat
            .objects
            .all()
            .iter()
            .filter(|o| o.kind == Kind::IndexAttach)
            .map(|o| o.dump_id)
            .collect();
        assert_eq!(attach_ids.len(), expected.len());
        for ((attach, (oid, parent_oid, id, parent_id, part)), attach_id) in
            cat.attaches.iter().zip(&expected).zip(&attach_ids)
        {
            let Attach::Index {
                partition_index,
                parent_index,
            } = attach
            else {
                panic!("not an index attach: {attach:?}");
            };
            assert_eq!(cat.indexes[*partition_index].oid, *oid);
            assert_eq!(cat.indexes[*parent_index].oid, *parent_oid);
            let deps = &cat.objects.get(*attach_id).expect("attach object").deps;
            for dep in [*id, *parent_id, *part, root] {
                assert!(deps.contains(&dep), "attach of index {oid} lacks {dep:?}");
            }
        }
    }
}
