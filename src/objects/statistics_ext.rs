//! STATISTICS (extended statistics objects). Mirrors pg_dump.c
//! `getExtendedStatistics()`, `selectDumpableStatisticsObject()` and
//! `dumpStatisticsExt()` (its per-object `pg_get_statisticsobjdef` call folded into
//! the bulk query). Catalog: pg_statistic_ext. TOC: "STATISTICS", post-data.
//! Versions: 17 makes `stxstattarget` nullable (NULL = default); before, -1 is the
//! default.

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::{Catalog, Components, DumpObject, Kind};

#[derive(Debug, Clone)]
pub struct StatisticsObject {
    pub oid: u32,
    pub classoid: u32,
    pub name: String,
    pub schema: String,
    pub owner: String,
    /// `pg_get_statisticsobjdef` output (no semicolon).
    pub definition: String,
    /// -1 when the statistics target is the default.
    pub stat_target: i32,
}

/// `getExtendedStatistics`
pub async fn collect(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let rows = session
        .query(
            "SELECT s.tableoid, s.oid, s.stxname, s.stxnamespace, s.stxowner, s.stxrelid, \
             coalesce(s.stxstattarget, -1) AS stxstattarget, \
             pg_catalog.pg_get_statisticsobjdef(s.oid) AS stxdef \
             FROM pg_catalog.pg_statistic_ext s",
        )
        .await?;
    for r in rows.iter() {
        let Some(schema) = cat.schema_by_oid(r.oid("stxnamespace")?) else {
            continue;
        };
        let (schema, contains) = (schema.name.clone(), schema.dump_contains);
        // The table must have its definition dumped; an extension member table does
        // not (its membership is applied after collection, so look it up here).
        let table_defined = cat.table_by_oid(r.oid("stxrelid")?).is_some_and(|t| {
            let member = cat.extension_members.contains_key(&CatalogId {
                table_oid: crate::objects::catalog_oid::PG_CLASS,
                oid: t.oid,
            });
            !member
                && cat
                    .objects
                    .get(t.dump_id)
                    .is_some_and(|o| o.dump.has(Components::DEFINITION))
        });
        let s = StatisticsObject {
            oid: r.oid("oid")?,
            classoid: r.oid("tableoid")?,
            name: r.string("stxname")?,
            schema: schema.clone(),
            owner: cat.role_name(r.oid("stxowner")?),
            definition: r.string("stxdef")?,
            stat_target: r.i32("stxstattarget")?,
        };
        let idx = cat.statistics_ext.len();
        let id = cat.objects.add(
            Kind::StatsExt,
            CatalogId {
                table_oid: s.classoid,
                oid: s.oid,
            },
            s.name.clone(),
            Some(schema),
            idx,
        );
        cat.objects.set_dump(
            id,
            if table_defined {
                contains
            } else {
                Components::NONE
            },
        );
        cat.statistics_ext.push(s);
    }
    Ok(())
}

/// `dumpStatisticsExt`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let s = &cx.catalog.statistics_ext[obj.model];
    let qual = cx.qualified(&s.schema, &s.name);
    if obj.dump.has(Components::DEFINITION) {
        let mut defn = format!("{};\n", s.definition);
        if s.stat_target >= 0 {
            defn.push_str(&format!(
                "ALTER STATISTICS {qual} SET STATISTICS {};\n",
                s.stat_target
            ));
        }
        let mut e = NewEntry::new(Desc::Statistics, Section::PostData, s.name.clone());
        e.catalog_id = obj.catalog_id;
        e.namespace = Some(s.schema.clone());
        e.owner = Some(s.owner.clone());
        e.defn = defn;
        e.drop_stmt = format!("DROP STATISTICS {qual};\n");
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        let qname = cx.ident(&s.name);
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "STATISTICS",
                name: &qname,
                namespace: Some(&s.schema),
                owner: &s.owner,
                classoid: s.classoid,
                objoid: s.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
}
