//! PUBLICATION, PUBLICATION TABLE, PUBLICATION TABLES IN SCHEMA. Mirrors pg_dump.c
//! `getPublications()`, `getPublicationTables()`, `getPublicationNamespaces()` and
//! their `dump*` functions. Catalog: pg_publication, pg_publication_rel,
//! pg_publication_namespace. TOC: the three descs, post-data.
//! Versions: 15 adds row filters, column lists and schema publications; 18 adds
//! `publish_generated_columns` (`pubgencols`).

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, ServerVersion, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::table::parse_text_array;
use crate::objects::{Catalog, Components, DumpObject, Kind, TieBreak};

/// `pg_publication`'s catalog OID.
const PG_PUBLICATION: u32 = 6104;

#[derive(Debug, Clone)]
pub enum PublicationItem {
    Publication {
        oid: u32,
        name: String,
        owner: String,
        all_tables: bool,
        actions: Vec<&'static str>,
        via_root: bool,
        gencols_stored: bool,
    },
    /// Publication index, table OID, column names, row filter.
    Table {
        publication: usize,
        table_oid: u32,
        columns: Option<Vec<String>>,
        filter: Option<String>,
    },
    /// Publication index, schema name.
    Schema { publication: usize, schema: String },
}

/// The three queries, in stock's order.
pub async fn collect(
    session: &Session,
    cat: &mut Catalog,
    include_everything: bool,
) -> Result<(), CatalogError> {
    let v15 = session.version.at_least(ServerVersion::PG15);
    let gencols = if session.version.at_least(ServerVersion::PG18) {
        "p.pubgencols"
    } else {
        "'n' AS pubgencols"
    };
    let rows = session
        .query(&format!(
            "SELECT p.tableoid, p.oid, p.pubname, p.pubowner, p.puballtables, p.pubinsert, p.pubupdate, p.pubdelete, \
             p.pubtruncate, p.pubviaroot, {gencols} FROM pg_catalog.pg_publication p ORDER BY p.oid"
        ))
        .await?;
    let dump = if include_everything {
        Components::ALL
    } else {
        Components::NONE
    };
    let mut pubs = std::collections::HashMap::new();
    for r in rows.iter() {
        let oid = r.oid("oid")?;
        let name = r.string("pubname")?;
        let mut actions = Vec::new();
        for (col, word) in [
            ("pubinsert", "insert"),
            ("pubupdate", "update"),
            ("pubdelete", "delete"),
            ("pubtruncate", "truncate"),
        ] {
            if r.bool(col)? {
                actions.push(word);
            }
        }
        let idx = cat.publications.len();
        cat.publications.push(PublicationItem::Publication {
            oid,
            name: name.clone(),
            owner: cat.role_name(r.oid("pubowner")?),
            all_tables: r.bool("puballtables")?,
            actions,
            via_root: r.bool("pubviaroot")?,
            gencols_stored: r.char("pubgencols")? == b's',
        });
        let id = cat.objects.add(
            Kind::Publication,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid,
            },
            name,
            None,
            idx,
        );
        cat.objects.set_dump(id, dump);
        pubs.insert(oid, idx);
    }
    if v15 {
        let rows = session.query("SELECT tableoid, oid, pnpubid, pnnspid FROM pg_catalog.pg_publication_namespace ORDER BY oid").await?;
        for r in rows.iter() {
            let Some(&p) = pubs.get(&r.oid("pnpubid")?) else {
                continue;
            };
            let Some(s) = cat.schema_by_oid(r.oid("pnnspid")?) else {
                continue;
            };
            let sid = cat.objects.by_catalog_id(CatalogId {
                table_oid: crate::objects::catalog_oid::PG_NAMESPACE,
                oid: s.oid,
            });
            let sdump = sid
                .and_then(|i| cat.objects.get(i))
                .map(|o| o.dump)
                .unwrap_or_default();
            if !sdump.has(Components::DEFINITION) {
                continue;
            }
            let name = s.name.clone();
            let pub_name = publication(cat, p).map(|(n, _)| n.to_string());
            let idx = cat.publications.len();
            cat.publications.push(PublicationItem::Schema {
                publication: p,
                schema: name.clone(),
            });
            let id = cat.objects.add(
                Kind::PublicationSchema,
                CatalogId {
                    table_oid: r.oid("tableoid")?,
                    oid: r.oid("oid")?,
                },
                name,
                None,
                idx,
            );
            if let (Some(o), Some(n)) = (cat.objects.get_mut(id), pub_name) {
                o.tie_break = TieBreak::ParentName(n);
            }
            cat.objects.set_dump(id, dump);
        }
    }
    let sql = if v15 {
        "SELECT pr.tableoid, pr.oid, pr.prpubid, pr.prrelid, pg_catalog.pg_get_expr(pr.prqual, pr.prrelid) AS prrelqual, \
         (CASE WHEN pr.prattrs IS NOT NULL THEN (SELECT array_agg(attname) FROM pg_catalog.generate_series(0, \
           pg_catalog.array_upper(pr.prattrs::pg_catalog.int2[], 1)) s, pg_catalog.pg_attribute \
           WHERE attrelid = pr.prrelid AND attnum = prattrs[s]) ELSE NULL END) AS prattrs \
         FROM pg_catalog.pg_publication_rel pr ORDER BY pr.oid"
    } else {
        "SELECT pr.tableoid, pr.oid, pr.prpubid, pr.prrelid, NULL AS prrelqual, NULL AS prattrs \
         FROM pg_catalog.pg_publication_rel pr ORDER BY pr.oid"
    };
    let rows = session.query(sql).await?;
    for r in rows.iter() {
        let Some(&p) = pubs.get(&r.oid("prpubid")?) else {
            continue;
        };
        let table_oid = r.oid("prrelid")?;
        let Some(t) = cat.table_by_oid(table_oid) else {
            continue;
        };
        let tdump = cat
            .objects
            .get(t.dump_id)
            .map(|o| o.dump)
            .unwrap_or_default();
        if !tdump.has(Components::DEFINITION) {
            continue;
        }
        let (name, schema) = (t.name.clone(), t.schema.clone());
        let pub_name = publication(cat, p).map(|(n, _)| n.to_string());
        let idx = cat.publications.len();
        cat.publications.push(PublicationItem::Table {
            publication: p,
            table_oid,
            columns: r.opt("prattrs")?.map(parse_text_array),
            filter: r.opt_string("prrelqual")?,
        });
        let id = cat.objects.add(
            Kind::PublicationTable,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid: r.oid("oid")?,
            },
            name,
            Some(schema),
            idx,
        );
        if let (Some(o), Some(n)) = (cat.objects.get_mut(id), pub_name) {
            o.tie_break = TieBreak::ParentName(n);
        }
        cat.objects.set_dump(id, dump);
    }
    Ok(())
}

fn publication(cat: &Catalog, idx: usize) -> Option<(&str, &str)> {
    match cat.publications.get(idx)? {
        PublicationItem::Publication { name, owner, .. } => Some((name, owner)),
        _ => None,
    }
}

/// `dumpPublication`, `dumpPublicationTable`, `dumpPublicationNamespace`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema || !obj.dump.has(Components::DEFINITION) {
        return;
    }
    match &cx.catalog.publications[obj.model] {
        PublicationItem::Publication {
            oid,
            name,
            owner,
            all_tables,
            actions,
            via_root,
            gencols_stored,
        } => {
            let q = cx.ident(name);
            let mut defn = format!("CREATE PUBLICATION {q}");
            if *all_tables {
                defn.push_str(" FOR ALL TABLES");
            }
            defn.push_str(&format!(" WITH (publish = '{}'", actions.join(", ")));
            if *via_root {
                defn.push_str(", publish_via_partition_root = true");
            }
            if *gencols_stored {
                defn.push_str(", publish_generated_columns = stored");
            }
            defn.push_str(");\n");
            let mut e = NewEntry::new(Desc::Publication, Section::PostData, name.clone());
            e.catalog_id = obj.catalog_id;
            e.owner = Some(owner.clone());
            e.defn = defn;
            e.drop_stmt = format!("DROP PUBLICATION {q};\n");
            out.push(obj.dump_id, e);
            comment::emit(
                cx,
                out,
                &CommentTarget {
                    kind: "PUBLICATION",
                    name: &q,
                    namespace: None,
                    owner,
                    classoid: PG_PUBLICATION,
                    objoid: *oid,
                    subid: 0,
                    dump_id: obj.dump_id,
                    initdb_comment: None,
                },
            );
        }
        PublicationItem::Table {
            publication: p,
            table_oid,
            columns,
            filter,
        } => {
            let (Some((pubname, owner)), Some(t)) = (
                publication(cx.catalog, *p),
                cx.catalog.table_by_oid(*table_oid),
            ) else {
                return;
            };
            let mut defn = format!(
                "ALTER PUBLICATION {} ADD TABLE ONLY {}",
                cx.ident(pubname),
                cx.qualified(&t.schema, &t.name)
            );
            if let Some(cols) = columns {
                let c: Vec<String> = cols.iter().map(|c| cx.ident(c)).collect();
                defn.push_str(&format!(" ({})", c.join(", ")));
            }
            if let Some(f) = filter {
                defn.push_str(&format!(" WHERE ({f})"));
            }
            defn.push_str(";\n");
            let mut e = NewEntry::new(
                Desc::PublicationTable,
                Section::PostData,
                format!("{pubname} {}", t.name),
            );
            e.catalog_id = obj.catalog_id;
            e.namespace = Some(t.schema.clone());
            e.owner = Some(owner.to_string());
            e.defn = defn;
            out.push(obj.dump_id, e);
        }
        PublicationItem::Schema {
            publication: p,
            schema,
        } => {
            let Some((pubname, owner)) = publication(cx.catalog, *p) else {
                return;
            };
            let mut e = NewEntry::new(
                Desc::PublicationTablesInSchema,
                Section::PostData,
                format!("{pubname} {schema}"),
            );
            e.catalog_id = obj.catalog_id;
            e.namespace = Some(schema.clone());
            e.owner = Some(owner.to_string());
            e.defn = format!(
                "ALTER PUBLICATION {} ADD TABLES IN SCHEMA {};\n",
                cx.ident(pubname),
                cx.ident(schema)
            );
            out.push(obj.dump_id, e);
        }
    }
}
