//! RULE. Mirrors pg_dump.c `getRules()` / `dumpRule()`. Catalog: pg_rewrite.
//! TOC: "RULE", post-data. A view's (or matview's) ON SELECT rule is its definition:
//! it is collected as a graph node (so the view inherits the rule's dependencies on
//! tables) but not dumped; the view→rule→view loop is broken by `repair.rs`.

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::{catalog_oid, Catalog, Components, DumpObject, Kind, TieBreak};

#[derive(Debug, Clone)]
pub struct Rule {
    pub oid: u32,
    pub name: String,
    pub table_oid: u32,
    pub ev_enabled: u8,
    /// False for a view's ON SELECT rule (part of the view's definition).
    pub separate: bool,
    /// An ON SELECT rule (the query of a view or materialized view).
    pub is_view: bool,
    pub definition: String,
}

/// `getRules`: every rule of a collected relation, one query, by OID.
pub async fn collect(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let rows = session
        .query(
            "SELECT tableoid, oid, rulename, ev_class AS ruletable, ev_type, is_instead, ev_enabled, \
             CASE WHEN NOT (ev_type = '1' AND is_instead) THEN pg_catalog.pg_get_ruledef(oid) END AS ruledef \
             FROM pg_catalog.pg_rewrite ORDER BY oid",
        )
        .await?;
    for r in rows.iter() {
        let table_oid = r.oid("ruletable")?;
        let Some(t) = cat.table_by_oid(table_oid) else {
            continue;
        };
        let (schema, tname, tid, relkind) =
            (t.schema.clone(), t.name.clone(), t.dump_id, t.relkind);
        let tdump = cat.objects.get(tid).map(|o| o.dump).unwrap_or_default();
        let name = r.string("rulename")?;
        let on_select = r.text("ev_type")? == "1" && r.bool("is_instead")?;
        let separate = !(on_select && matches!(relkind, b'v' | b'm'));
        let idx = cat.rules.len();
        let id = cat.objects.add(
            Kind::Rule,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid: r.oid("oid")?,
            },
            name.clone(),
            Some(schema),
            idx,
        );
        if let Some(o) = cat.objects.get_mut(id) {
            o.tie_break = TieBreak::TableName(tname);
            // A view's ON SELECT rule is dumped as part of the view.
            o.dump = if separate { tdump } else { Components::NONE };
        }
        if separate {
            cat.objects.add_dependency(id, tid);
        } else {
            cat.objects.add_dependency(tid, id);
        }
        cat.rules.push(Rule {
            oid: r.oid("oid")?,
            name,
            table_oid,
            ev_enabled: r.char("ev_enabled")?,
            separate,
            is_view: on_select,
            definition: r.string("ruledef")?,
        });
    }
    Ok(())
}

/// `dumpRule`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    let rule = &cx.catalog.rules[obj.model];
    if !cx.opts.dump_schema || !rule.separate {
        return;
    }
    let Some(t) = cx.catalog.table_by_oid(rule.table_oid) else {
        return;
    };
    let qualtable = cx.qualified(&t.schema, &t.name);
    let qrule = cx.ident(&rule.name);
    // A separate ON SELECT rule (a view broken out of a dependency loop) replaces the
    // view's dummy query with the real one.
    let mut q = if rule.is_view {
        let mut q = format!("CREATE OR REPLACE VIEW {qualtable}");
        if !t.reloptions.is_empty() {
            q.push_str(&format!(
                " WITH ({})",
                crate::objects::table::reloptions_sql(cx, &t.reloptions, "")
            ));
        }
        q.push_str(&format!(
            " AS\n{}",
            crate::objects::table::view_as_clause(t)
        ));
        if let Some(co) = &t.check_option {
            q.push_str(&format!("\n  WITH {co} CHECK OPTION"));
        }
        q.push_str(";\n");
        q
    } else {
        format!("{}\n", rule.definition)
    };
    match rule.ev_enabled {
        b'A' => q.push_str(&format!(
            "ALTER TABLE {qualtable} ENABLE ALWAYS RULE {qrule};\n"
        )),
        b'R' => q.push_str(&format!(
            "ALTER TABLE {qualtable} ENABLE REPLICA RULE {qrule};\n"
        )),
        b'D' => q.push_str(&format!("ALTER TABLE {qualtable} DISABLE RULE {qrule};\n")),
        _ => {}
    }
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(
            Desc::Rule,
            Section::PostData,
            format!("{} {}", t.name, rule.name),
        );
        e.catalog_id = obj.catalog_id;
        e.namespace = Some(t.schema.clone());
        e.owner = Some(t.owner.clone());
        e.defn = q;
        e.drop_stmt = if rule.is_view {
            format!(
                "CREATE OR REPLACE VIEW {qualtable} AS\n{};\n",
                crate::objects::table::dummy_view_as_clause(cx, t)
            )
        } else {
            format!("DROP RULE {qrule} ON {qualtable};\n")
        };
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        let kind = format!("RULE {qrule} ON");
        let table = cx.ident(&t.name);
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: &kind,
                name: &table,
                namespace: Some(&t.schema),
                owner: &t.owner,
                classoid: catalog_oid::PG_REWRITE,
                objoid: rule.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
}
