//! COMMENT entries: stock's `collectComments` (one query over `pg_description`) and
//! `dumpComment`/`dumpCommentExtended` (a COMMENT entry in SECTION_NONE depending on
//! its object).

use std::collections::HashMap;

use pgark_formats::model::{Desc, Section};
use pgark_formats::DumpId;

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};

/// Comments by (classoid, objoid), each list ordered by objsubid.
#[derive(Debug, Default)]
pub struct Comments {
    by_object: HashMap<(u32, u32), Vec<(i32, String)>>,
}

impl Comments {
    /// `collectComments`: every comment in the database, in one query.
    pub async fn collect(session: &Session) -> Result<Comments, CatalogError> {
        let rows = session
            .query("SELECT description, classoid, objoid, objsubid FROM pg_catalog.pg_description ORDER BY classoid, objoid, objsubid")
            .await?;
        let mut by_object: HashMap<(u32, u32), Vec<(i32, String)>> = HashMap::new();
        for r in rows.iter() {
            by_object
                .entry((r.oid("classoid")?, r.oid("objoid")?))
                .or_default()
                .push((r.i32("objsubid")?, r.string("description")?));
        }
        Ok(Comments { by_object })
    }

    /// The comment on (classoid, objoid, objsubid).
    pub fn find(&self, classoid: u32, objoid: u32, subid: i32) -> Option<&str> {
        self.by_object
            .get(&(classoid, objoid))
            .and_then(|v| v.iter().find(|(s, _)| *s == subid))
            .map(|(_, d)| d.as_str())
    }

    /// All comments on sub-objects (columns) of (classoid, objoid), by subid order.
    pub fn subobjects(&self, classoid: u32, objoid: u32) -> impl Iterator<Item = (i32, &str)> {
        self.by_object
            .get(&(classoid, objoid))
            .into_iter()
            .flatten()
            .filter(|(s, _)| *s != 0)
            .map(|(s, d)| (*s, d.as_str()))
    }
}

/// Where a comment goes: `COMMENT ON <kind> [<namespace>.]<name>`.
pub struct CommentTarget<'a> {
    /// SQL object type words: `SCHEMA`, `TABLE`, `COLUMN`, `CONSTRAINT x ON`, ...
    pub kind: &'a str,
    /// The already-quoted name (`fmtId` or `tab.col`).
    pub name: &'a str,
    pub namespace: Option<&'a str>,
    pub owner: &'a str,
    pub classoid: u32,
    pub objoid: u32,
    pub subid: i32,
    /// The object's DumpId (the comment depends on it).
    pub dump_id: DumpId,
    /// initdb's own comment on this object, which is not dumped (public schema).
    pub initdb_comment: Option<&'a str>,
}

/// `dumpCommentExtended`: emits the COMMENT entry if there is a comment to dump,
/// then the object's SECURITY LABEL entry (stock dumps labels right after comments).
pub fn emit(cx: &EmitCx<'_>, out: &mut TocBuilder, t: &CommentTarget<'_>) {
    emit_comment(cx, out, t);
    crate::objects::security_label::emit_after_comment(cx, out, t);
}

fn emit_comment(cx: &EmitCx<'_>, out: &mut TocBuilder, t: &CommentTarget<'_>) {
    // Comments are schema, except large objects' which are data.
    let wanted = if t.kind == "LARGE OBJECT" {
        cx.opts.dump_data || cx.opts.binary_upgrade
    } else {
        cx.opts.dump_schema
    };
    if cx.opts.no_comments || !wanted {
        return;
    }
    let mut text = cx.catalog.comments.find(t.classoid, t.objoid, t.subid);
    if let Some(initdb) = t.initdb_comment {
        text = match text {
            None => Some(""),
            Some(c) if c == initdb => None,
            Some(c) => Some(c),
        };
    }
    let Some(text) = text else { return };
    emit_text(cx, out, t, text);
}

/// Emits a COMMENT entry with the given text (for callers that found it themselves).
pub fn emit_text(cx: &EmitCx<'_>, out: &mut TocBuilder, t: &CommentTarget<'_>, text: &str) {
    let mut defn = format!("COMMENT ON {} ", t.kind);
    if let Some(ns) = t.namespace.filter(|n| !n.is_empty()) {
        defn.push_str(&cx.ident(ns));
        defn.push('.');
    }
    defn.push_str(t.name);
    defn.push_str(" IS ");
    defn.push_str(&cx.literal(text));
    defn.push_str(";\n");
    let mut e = NewEntry::new(
        Desc::Comment,
        Section::None,
        format!("{} {}", t.kind, t.name),
    );
    e.namespace = t.namespace.map(str::to_string);
    e.owner = Some(t.owner.to_string());
    e.defn = defn;
    e.deps = vec![t.dump_id];
    out.push_new(e);
}
