//! INDEX and the index-backed constraints (PRIMARY KEY, UNIQUE, EXCLUDE). Mirrors
//! pg_dump.c `getIndexes()` / `dumpIndex()` and the index half of `dumpConstraint()`.
//! Catalog: pg_index, pg_class, pg_constraint. TOC: "INDEX", "CONSTRAINT", post-data.
//! An index that implements a constraint is not dumped itself: the constraint is.

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Rows, ServerVersion, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::constraint::{Constraint, ConstraintKind};
use crate::objects::schema::skip_system_namespaces_sql;
use crate::objects::table::{parse_text_array, reloptions_sql};
use crate::objects::{catalog_oid, Catalog, Components, DumpObject, Kind};

#[derive(Debug, Clone)]
pub struct Index {
    pub oid: u32,
    pub name: String,
    pub table_oid: u32,
    pub definition: String,
    /// Column names of the index's key and INCLUDE columns, in order.
    pub attnames: Vec<String>,
    pub n_key_atts: usize,
    pub is_clustered: bool,
    pub is_replident: bool,
    pub nulls_not_distinct: bool,
    /// Stock reads NULL (default tablespace) through `PQgetvalue`, i.e. as `""`.
    pub tablespace: Option<String>,
    pub reloptions: Vec<String>,
    /// `ALTER INDEX ... ALTER COLUMN n SET STATISTICS m` pairs.
    pub stat_targets: Vec<(i32, i32)>,
    /// Index into `Catalog::constraints` when the index implements a constraint.
    pub constraint: Option<usize>,
    pub parent_index: u32,
}

/// `getIndexes`: all valid indexes of collected tables in one query, ordered by
/// table then index name; the constraint of an index gets its DumpId right after it.
pub async fn collect(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let rows = session.query(&query_sql(session.version, cat)).await?;
    collect_rows(cat, &rows)
}

/// `getIndexes`' query (`dump::collect` may run it early on a helper connection,
/// with an empty `cat`: built-in objects not selected).
/// Per-index subqueries are avoided (joins instead; key column names are looked up
/// in the table's columns, as stock's `getAttrName`): this query reads every index.
pub fn query_sql(version: ServerVersion, cat: &Catalog) -> String {
    let nnd = if version.at_least(ServerVersion::PG15) {
        "i.indnullsnotdistinct"
    } else {
        "false AS indnullsnotdistinct"
    };
    let period = if version.at_least(ServerVersion::PG18) {
        "c.conperiod"
    } else {
        "false AS conperiod"
    };
    let sql = format!(
        "SELECT t.tableoid, t.oid, i.indrelid, t.relname AS indexname, \
         CASE WHEN c.oid IS NULL THEN pg_catalog.pg_get_indexdef(i.indexrelid) END AS indexdef, i.indnkeyatts, i.indisclustered, i.indisreplident, {nnd}, \
         i.indkey, \
         c.contype, c.conname, c.condeferrable, c.condeferred, c.tableoid AS contableoid, c.oid AS conoid, {period}, \
         CASE WHEN c.contype = 'x' THEN pg_catalog.pg_get_constraintdef(c.oid, false) END AS condef, \
         s.spcname AS tablespace, \
         t.reloptions AS indreloptions, coalesce(inh.inhparent, 0) AS parentidx, \
         st.indstats \
         FROM pg_catalog.pg_index i \
         JOIN pg_catalog.pg_class t ON t.oid = i.indexrelid \
         JOIN pg_catalog.pg_class tc ON tc.oid = i.indrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = tc.relnamespace \
         LEFT JOIN pg_catalog.pg_constraint c ON (i.indrelid = c.conrelid AND i.indexrelid = c.conindid AND c.contype IN ('p','u','x')) \
         LEFT JOIN pg_catalog.pg_inherits inh ON inh.inhrelid = i.indexrelid \
         LEFT JOIN pg_catalog.pg_tablespace s ON s.oid = t.reltablespace \
         LEFT JOIN (SELECT attrelid, pg_catalog.array_agg(attnum || ':' || attstattarget ORDER BY attnum) AS indstats \
            FROM pg_catalog.pg_attribute WHERE attstattarget >= 0 GROUP BY attrelid) st ON st.attrelid = i.indexrelid \
         WHERE (i.indisvalid OR tc.relkind = 'p') AND i.indisready {sys} \
         ORDER BY i.indrelid, indexname",
        sys = skip_system_namespaces_sql(cat, false)
    );
    sql
}

/// `getIndexes` on the rows of [`query_sql`].
pub fn collect_rows(cat: &mut Catalog, rows: &Rows) -> Result<(), CatalogError> {
    for r in rows.iter() {
        let table_oid = r.oid("indrelid")?;
        let Some(table) = cat.table_by_oid(table_oid) else {
            continue;
        };
        let (schema, table_name, table_id) =
            (table.schema.clone(), table.name.clone(), table.dump_id);
        let attnames = crate::catalog::parse_vector::<i32>(r.text("indkey")?)
            .into_iter()
            .map(|num| column_name(&table.columns, num))
            .collect();
        let table_dump = cat
            .objects
            .get(table_id)
            .map(|o| o.dump)
            .unwrap_or_default();
        let oid = r.oid("oid")?;
        let name = r.string("indexname")?;
        let stat_targets = parse_text_array(r.text("indstats")?)
            .iter()
            .filter_map(|p| {
                p.split_once(':')
                    .and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)))
            })
            .collect();
        let idx = cat.indexes.len();
        let index_id = cat.objects.add(
            Kind::Index,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid,
            },
            name.clone(),
            Some(schema.clone()),
            idx,
        );
        cat.objects.set_dump(index_id, table_dump);
        let mut index = Index {
            oid,
            name: name.clone(),
            table_oid,
            definition: r.string("indexdef")?,
            attnames,
            n_key_atts: r.i32("indnkeyatts")?.max(0) as usize,
            is_clustered: r.bool("indisclustered")?,
            is_replident: r.bool("indisreplident")?,
            nulls_not_distinct: r.bool("indnullsnotdistinct")?,
            tablespace: Some(r.string("tablespace")?),
            reloptions: parse_text_array(r.text("indreloptions")?),
            stat_targets,
            constraint: None,
            parent_index: r.oid("parentidx")?,
        };
        if let Some(contype) = r.opt("contype")? {
            let kind = match contype {
                "p" => ConstraintKind::PrimaryKey,
                "u" => ConstraintKind::Unique,
                _ => ConstraintKind::Exclude,
            };
            let ci = cat.constraints.len();
            let con_name = r.string("conname")?;
            let con_id = cat.objects.add(
                Kind::Constraint,
                CatalogId {
                    table_oid: r.oid("contableoid")?,
                    oid: r.oid("conoid")?,
                },
                con_name.clone(),
                Some(schema.clone()),
                ci,
            );
            cat.objects.set_dump(con_id, table_dump);
            cat.objects.add_dependency(con_id, table_id);
            cat.constraints.push(Constraint {
                oid: r.oid("conoid")?,
                name: con_name,
                kind,
                table_oid,
                table_name: table_name.clone(),
                definition: if kind == ConstraintKind::Exclude {
                    r.string("condef")?
                } else {
                    String::new()
                },
                deferrable: r.bool("condeferrable")?,
                deferred: r.bool("condeferred")?,
                period: r.bool("conperiod")?,
                is_local: true,
                separate: true,
                index: Some(idx),
                dump_id: con_id,
            });
            index.constraint = Some(ci);
        }
        cat.indexes.push(index);
    }
    Ok(())
}

/// The name of column `num` of a table (`getAttrName`); columns are in attnum order.
/// Expression columns (0) have none.
fn column_name(columns: &[crate::objects::table::Column], num: i32) -> String {
    let found = match columns.binary_search_by_key(&num, |c| c.num) {
        Ok(i) => columns.get(i),
        Err(_) => columns.iter().find(|c| c.num == num),
    };
    found.map(|c| c.name.clone()).unwrap_or_default()
}

/// `dumpIndex`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    let ix = &cx.catalog.indexes[obj.model];
    if !cx.opts.dump_schema {
        return;
    }
    let Some(t) = cx.catalog.table_by_oid(ix.table_oid) else {
        return;
    };
    let qualtable = cx.qualified(&t.schema, &t.name);
    let qualindex = cx.qualified(&t.schema, &ix.name);
    let mut q = format!("{};\n", ix.definition);
    if ix.is_clustered {
        q.push_str(&format!(
            "\nALTER TABLE {qualtable} CLUSTER ON {};\n",
            cx.ident(&ix.name)
        ));
    }
    for (col, target) in &ix.stat_targets {
        q.push_str(&format!(
            "ALTER INDEX {qualindex} ALTER COLUMN {col} SET STATISTICS {target};\n"
        ));
    }
    if ix.is_replident {
        q.push_str(&format!(
            "\nALTER TABLE ONLY {qualtable} REPLICA IDENTITY USING INDEX {};\n",
            cx.ident(&ix.name)
        ));
    }
    // An index implementing a constraint is dumped by the constraint; its comment is
    // still the index's, attached to the constraint's entry.
    let owner_entry = match ix.constraint {
        Some(ci) => cx.catalog.constraints[ci].dump_id,
        None => obj.dump_id,
    };
    if ix.constraint.is_none() && obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(Desc::Index, Section::PostData, ix.name.clone());
        e.catalog_id = obj.catalog_id;
        e.namespace = Some(t.schema.clone());
        e.tablespace = if cx.opts.no_tablespaces {
            None
        } else {
            ix.tablespace.clone()
        };
        e.owner = Some(t.owner.clone());
        e.defn = q;
        // A partition's index attached to a partitioned index cannot be dropped on its
        // own: it goes with its table or its parent index.
        if ix.parent_index == 0 {
            e.drop_stmt = format!("DROP INDEX {qualindex};\n");
        }
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        let qname = cx.ident(&ix.name);
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "INDEX",
                name: &qname,
                namespace: Some(&t.schema),
                owner: &t.owner,
                classoid: catalog_oid::PG_CLASS,
                objoid: ix.oid,
                subid: 0,
                dump_id: owner_entry,
                initdb_comment: None,
            },
        );
    }
}

/// The PRIMARY KEY / UNIQUE / EXCLUDE text of `dumpConstraint`.
pub fn emit_index_constraint(
    cx: &EmitCx<'_>,
    obj: &DumpObject,
    con: &Constraint,
    out: &mut TocBuilder,
) {
    let Some(ix) = con.index.map(|i| &cx.catalog.indexes[i]) else {
        return;
    };
    let Some(t) = cx.catalog.table_by_oid(con.table_oid) else {
        return;
    };
    let foreign = if t.relkind == b'f' { "FOREIGN " } else { "" };
    let qualtable = cx.qualified(&t.schema, &t.name);
    let mut q = format!("ALTER {foreign}TABLE ONLY {qualtable}\n");
    q.push_str(&format!("    ADD CONSTRAINT {} ", cx.ident(&con.name)));
    if con.kind == ConstraintKind::Exclude {
        q.push_str(&format!("{};\n", con.definition));
    } else {
        q.push_str(if con.kind == ConstraintKind::PrimaryKey {
            "PRIMARY KEY"
        } else {
            "UNIQUE"
        });
        if ix.nulls_not_distinct && con.kind != ConstraintKind::PrimaryKey {
            q.push_str(" NULLS NOT DISTINCT");
        }
        q.push_str(" (");
        let keys: Vec<String> = ix
            .attnames
            .iter()
            .take(ix.n_key_atts)
            .map(|a| cx.ident(a))
            .collect();
        q.push_str(&keys.join(", "));
        if con.period {
            q.push_str(" WITHOUT OVERLAPS");
        }
        if ix.n_key_atts < ix.attnames.len() {
            q.push_str(") INCLUDE (");
            let inc: Vec<String> = ix
                .attnames
                .iter()
                .skip(ix.n_key_atts)
                .map(|a| cx.ident(a))
                .collect();
            q.push_str(&inc.join(", "));
        }
        q.push(')');
        if !ix.reloptions.is_empty() {
            q.push_str(&format!(
                " WITH ({})",
                reloptions_sql(cx, &ix.reloptions, "")
            ));
        }
        if con.deferrable {
            q.push_str(" DEFERRABLE");
            if con.deferred {
                q.push_str(" INITIALLY DEFERRED");
            }
        }
        q.push_str(";\n");
    }
    if ix.is_clustered {
        q.push_str(&format!(
            "\nALTER TABLE {qualtable} CLUSTER ON {};\n",
            cx.ident(&ix.name)
        ));
    }
    if ix.is_replident {
        q.push_str(&format!(
            "\nALTER TABLE ONLY {qualtable} REPLICA IDENTITY USING INDEX {};\n",
            cx.ident(&ix.name)
        ));
    }
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(
            Desc::Constraint,
            Section::PostData,
            format!("{} {}", t.name, con.name),
        );
        e.catalog_id = obj.catalog_id;
        e.namespace = Some(t.schema.clone());
        e.tablespace = if cx.opts.no_tablespaces {
            None
        } else {
            ix.tablespace.clone()
        };
        e.owner = Some(t.owner.clone());
        e.defn = q;
        e.drop_stmt = format!(
            "ALTER {foreign}TABLE ONLY {qualtable} DROP CONSTRAINT {};\n",
            cx.ident(&con.name)
        );
        out.push(obj.dump_id, e);
    }
}
