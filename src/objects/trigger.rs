//! TRIGGER. Mirrors pg_dump.c `getTriggers()` / `dumpTrigger()`. Catalog: pg_trigger.
//! TOC: "TRIGGER", post-data. Partitions' cloned triggers appear only when their
//! enabled state differs from the parent's, as an ALTER TABLE ... ENABLE/DISABLE.
//! Versions: 15+ tells clones by `tgparentid`; 14 marks them `tgisinternal`.

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, ServerVersion, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::{Catalog, Components, DumpObject, Kind, TieBreak};

/// `pg_trigger`'s catalog OID.
const PG_TRIGGER: u32 = 2620;

#[derive(Debug, Clone)]
pub struct Trigger {
    pub oid: u32,
    pub name: String,
    pub table_oid: u32,
    pub definition: String,
    pub enabled: u8,
    pub is_partition_clone: bool,
}

/// `getTriggers`: one query for the triggers of every collected table.
pub async fn collect(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let sql = if session.version.at_least(ServerVersion::PG15) {
        "SELECT t.tgrelid, t.tgname, pg_catalog.pg_get_triggerdef(t.oid, false) AS tgdef, t.tgenabled, t.tableoid, t.oid, \
         t.tgparentid <> 0 AS tgispartition \
         FROM pg_catalog.pg_trigger t LEFT JOIN pg_catalog.pg_trigger u ON (u.oid = t.tgparentid) \
         WHERE ((NOT t.tgisinternal AND t.tgparentid = 0) OR t.tgenabled != u.tgenabled) ORDER BY t.tgrelid, t.tgname"
    } else {
        "SELECT t.tgrelid, t.tgname, pg_catalog.pg_get_triggerdef(t.oid, false) AS tgdef, t.tgenabled, t.tableoid, t.oid, \
         t.tgisinternal AS tgispartition \
         FROM pg_catalog.pg_trigger t LEFT JOIN pg_catalog.pg_trigger u ON (u.oid = t.tgparentid) \
         WHERE (NOT t.tgisinternal OR t.tgenabled != u.tgenabled) ORDER BY t.tgrelid, t.tgname"
    };
    let rows = session.query(sql).await?;
    for r in rows.iter() {
        let table_oid = r.oid("tgrelid")?;
        let Some(t) = cat.table_by_oid(table_oid) else {
            continue;
        };
        let (schema, tname, tid) = (t.schema.clone(), t.name.clone(), t.dump_id);
        let tdump = cat.objects.get(tid).map(|o| o.dump).unwrap_or_default();
        if !tdump.has(Components::DEFINITION) {
            continue;
        }
        let name = r.string("tgname")?;
        let idx = cat.triggers.len();
        let id = cat.objects.add(
            Kind::Trigger,
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
            o.dump = tdump;
        }
        cat.objects.add_dependency(id, tid);
        cat.triggers.push(Trigger {
            oid: r.oid("oid")?,
            name,
            table_oid,
            definition: r.string("tgdef")?,
            enabled: r.char("tgenabled")?,
            is_partition_clone: r.bool("tgispartition")?,
        });
    }
    Ok(())
}

/// `dumpTrigger`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let tg = &cx.catalog.triggers[obj.model];
    let Some(t) = cx.catalog.table_by_oid(tg.table_oid) else {
        return;
    };
    let qualtable = cx.qualified(&t.schema, &t.name);
    let qname = cx.ident(&tg.name);
    let foreign = if t.relkind == b'f' { "FOREIGN " } else { "" };
    let mut q = format!("{};\n", tg.definition);
    let mut drop = format!("DROP TRIGGER {qname} ON {qualtable};\n");
    if tg.is_partition_clone {
        let action = match tg.enabled {
            b'f' | b'D' => "DISABLE",
            b'R' => "ENABLE REPLICA",
            b'A' => "ENABLE ALWAYS",
            _ => "ENABLE",
        };
        q = format!("\nALTER {foreign}TABLE {qualtable} {action} TRIGGER {qname};\n");
        drop = String::new();
    } else if tg.enabled != b't' && tg.enabled != b'O' {
        let action = match tg.enabled {
            b'D' | b'f' => "DISABLE",
            b'A' => "ENABLE ALWAYS",
            b'R' => "ENABLE REPLICA",
            _ => "ENABLE",
        };
        q.push_str(&format!(
            "\nALTER {foreign}TABLE {qualtable} {action} TRIGGER {qname};\n"
        ));
    }
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(
            Desc::Trigger,
            Section::PostData,
            format!("{} {}", t.name, tg.name),
        );
        e.catalog_id = obj.catalog_id;
        e.namespace = Some(t.schema.clone());
        e.owner = Some(t.owner.clone());
        e.defn = q;
        e.drop_stmt = drop;
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        let kind = format!("TRIGGER {qname} ON");
        let table = cx.ident(&t.name);
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: &kind,
                name: &table,
                namespace: Some(&t.schema),
                owner: &t.owner,
                classoid: PG_TRIGGER,
                objoid: tg.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
}
