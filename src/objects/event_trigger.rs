//! EVENT TRIGGER. Mirrors pg_dump.c `getEventTriggers()` / `dumpEventTrigger()`.
//! Catalog: pg_event_trigger. TOC: "EVENT TRIGGER", post-data, no schema.
//! Identical on servers 14–18.

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::{Catalog, Components, DumpObject, Kind};

#[derive(Debug, Clone)]
pub struct EventTrigger {
    pub oid: u32,
    pub classoid: u32,
    pub name: String,
    pub event: String,
    pub owner: String,
    /// Quoted tag literals joined by `, ` (empty when there is no WHEN clause).
    pub tags: String,
    /// The function as `regproc` text.
    pub function: String,
    pub enabled: u8,
}

/// `getEventTriggers`
pub async fn collect(
    session: &Session,
    cat: &mut Catalog,
    include_everything: bool,
) -> Result<(), CatalogError> {
    let rows = session
        .query(
            "SELECT e.tableoid, e.oid, evtname, evtenabled, evtevent, evtowner, \
             array_to_string(array(select quote_literal(x) from unnest(evttags) as t(x)), ', ') as evttags, \
             e.evtfoid::regproc as evtfname FROM pg_catalog.pg_event_trigger e ORDER BY e.oid",
        )
        .await?;
    for r in rows.iter() {
        let t = EventTrigger {
            oid: r.oid("oid")?,
            classoid: r.oid("tableoid")?,
            name: r.string("evtname")?,
            event: r.string("evtevent")?,
            owner: cat.role_name(r.oid("evtowner")?),
            tags: r.string("evttags")?,
            function: r.string("evtfname")?,
            enabled: r.char("evtenabled")?,
        };
        let idx = cat.event_triggers.len();
        let id = cat.objects.add(
            Kind::EventTrigger,
            CatalogId {
                table_oid: t.classoid,
                oid: t.oid,
            },
            t.name.clone(),
            None,
            idx,
        );
        cat.objects.set_dump(
            id,
            if include_everything {
                Components::ALL
            } else {
                Components::NONE
            },
        );
        cat.event_triggers.push(t);
    }
    Ok(())
}

/// The CREATE EVENT TRIGGER command and, unless enabled at origin, its ALTER.
pub fn definition(qname: &str, qevent: &str, t: &EventTrigger) -> String {
    let mut q = format!("CREATE EVENT TRIGGER {qname} ON {qevent}");
    if !t.tags.is_empty() {
        q.push_str(&format!("\n         WHEN TAG IN ({})", t.tags));
    }
    q.push_str(&format!("\n   EXECUTE FUNCTION {}();\n", t.function));
    if t.enabled != b'O' {
        let how = match t.enabled {
            b'D' => "DISABLE",
            b'A' => "ENABLE ALWAYS",
            b'R' => "ENABLE REPLICA",
            _ => "ENABLE",
        };
        q.push_str(&format!("\nALTER EVENT TRIGGER {qname} {how};\n"));
    }
    q
}

/// `dumpEventTrigger`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let t = &cx.catalog.event_triggers[obj.model];
    let qname = cx.ident(&t.name);
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(Desc::EventTrigger, Section::PostData, t.name.clone());
        e.catalog_id = obj.catalog_id;
        e.owner = Some(t.owner.clone());
        e.defn = definition(&qname, &cx.ident(&t.event), t);
        e.drop_stmt = format!("DROP EVENT TRIGGER {qname};\n");
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "EVENT TRIGGER",
                name: &qname,
                namespace: None,
                owner: &t.owner,
                classoid: t.classoid,
                objoid: t.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{definition, EventTrigger};

    fn trigger(tags: &str, enabled: u8) -> EventTrigger {
        EventTrigger {
            oid: 1,
            classoid: 3466,
            name: "t".into(),
            event: "ddl_command_end".into(),
            owner: "o".into(),
            tags: tags.into(),
            function: "s.f".into(),
            enabled,
        }
    }

    #[test]
    fn disabled_trigger_with_tags() {
        assert_eq!(
            definition("t", "ddl_command_end", &trigger("'CREATE TABLE', 'ALTER TABLE'", b'D')),
            "CREATE EVENT TRIGGER t ON ddl_command_end\n         WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')\n   \
             EXECUTE FUNCTION s.f();\n\nALTER EVENT TRIGGER t DISABLE;\n"
        );
    }

    #[test]
    fn enabled_trigger_without_tags() {
        assert_eq!(
            definition("t", "sql_drop", &trigger("", b'O')),
            "CREATE EVENT TRIGGER t ON sql_drop\n   EXECUTE FUNCTION s.f();\n"
        );
    }
}
