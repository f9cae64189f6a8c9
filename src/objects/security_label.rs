//! SECURITY LABEL entries: stock's `collectSecLabels` (one query over the
//! `pg_seclabels` view, which adds `pg_shseclabel`'s subscriptions as 18.1+ does),
//! `dumpSecLabel` (one entry per object, SECTION_NONE, depending on it) and
//! `dumpTableSecLabel` (one entry for a relation and its columns), plus the
//! database's labels from `pg_shseclabel` (`dumpDatabase`). Stock dumps labels of
//! schemas, types, domains, languages, functions, procedures, aggregates,
//! relations, sequences, publications, subscriptions, event triggers (18.1+) and
//! large objects (roles and tablespaces are dumpall's). `--no-security-labels`
//! leaves them all out.

use std::collections::HashMap;

use pgark_formats::model::{Desc, Section};
use pgark_formats::DumpId;

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::catalog_oid;
use crate::objects::comment::CommentTarget;

/// One `pg_seclabel` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub subid: i32,
    pub provider: String,
    pub label: String,
    /// The column's name for a relation column's label.
    pub column: Option<String>,
}

/// Labels by (classoid, objoid), each list ordered by objsubid (then provider, as
/// the server returns equal keys).
#[derive(Debug, Default)]
pub struct SecurityLabels {
    by_object: HashMap<(u32, u32), Vec<Label>>,
    /// `pg_shseclabel` of the current database: (provider, label).
    pub database: Vec<(String, String)>,
}

impl SecurityLabels {
    /// `collectSecLabels` (stock's exact query, so that several providers' labels on
    /// one object come in the same order) and the database's `buildShSecLabelQuery`.
    pub async fn collect(session: &Session) -> Result<SecurityLabels, CatalogError> {
        let rows = session
            .query(
                "SELECT label, provider, classoid, objoid, objsubid FROM pg_catalog.pg_seclabels \
                 ORDER BY classoid, objoid, objsubid",
            )
            .await?;
        let mut columns: HashMap<(u32, i32), String> = HashMap::new();
        if !rows.is_empty() {
            let names = session
                .query(
                    "SELECT a.attrelid, a.attnum, a.attname FROM pg_catalog.pg_seclabel l \
                     JOIN pg_catalog.pg_attribute a ON (a.attrelid = l.objoid AND a.attnum = l.objsubid) \
                     WHERE l.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND l.objsubid > 0",
                )
                .await?;
            for r in names.iter() {
                columns.insert((r.oid("attrelid")?, r.i32("attnum")?), r.string("attname")?);
            }
        }
        let mut by_object: HashMap<(u32, u32), Vec<Label>> = HashMap::new();
        for r in rows.iter() {
            let (classoid, objoid, subid) =
                (r.oid("classoid")?, r.oid("objoid")?, r.i32("objsubid")?);
            let column = if classoid == catalog_oid::PG_CLASS && subid > 0 {
                columns.get(&(objoid, subid)).cloned()
            } else {
                None
            };
            by_object
                .entry((classoid, objoid))
                .or_default()
                .push(Label {
                    subid,
                    provider: r.string("provider")?,
                    label: r.string("label")?,
                    column,
                });
        }
        let db = session
            .query(
                "SELECT provider, label FROM pg_catalog.pg_shseclabel \
                 WHERE classoid = 'pg_catalog.pg_database'::pg_catalog.regclass \
                 AND objoid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())",
            )
            .await?;
        let mut database = Vec::new();
        for r in db.iter() {
            database.push((r.string("provider")?, r.string("label")?));
        }
        Ok(SecurityLabels {
            by_object,
            database,
        })
    }

    /// The labels on (classoid, objoid), all subids.
    pub fn find(&self, classoid: u32, objoid: u32) -> &[Label] {
        self.by_object
            .get(&(classoid, objoid))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn is_empty(&self) -> bool {
        self.by_object.is_empty() && self.database.is_empty()
    }
}

/// The object type words for which stock's dumpers call `dumpSecLabel` (relations
/// go through [`emit_table`]).
fn dumps_labels(kind: &str) -> bool {
    matches!(
        kind,
        "SCHEMA"
            | "EXTENSION"
            | "TYPE"
            | "DOMAIN"
            | "LANGUAGE"
            | "FUNCTION"
            | "PROCEDURE"
            | "AGGREGATE"
            | "SEQUENCE"
            | "PUBLICATION"
            | "SUBSCRIPTION"
            | "EVENT TRIGGER"
            | "LARGE OBJECT"
    )
}

/// Whether labels are wanted at all for this kind (`dumpSecLabel`'s early returns).
fn wanted(cx: &EmitCx<'_>, kind: &str) -> bool {
    if cx.catalog.security_labels.is_empty() {
        return false;
    }
    if kind == "LARGE OBJECT" {
        cx.opts.dump_data || cx.opts.binary_upgrade
    } else {
        cx.opts.dump_schema
    }
}

/// `dumpSecLabel` for the object a comment was just emitted for (stock dumps the
/// label right after the comment everywhere it dumps both). Called by
/// `comment::emit`; does nothing for kinds stock does not label.
pub fn emit_after_comment(cx: &EmitCx<'_>, out: &mut TocBuilder, t: &CommentTarget<'_>) {
    if t.subid != 0 || !dumps_labels(t.kind) || !wanted(cx, t.kind) {
        return;
    }
    let labels = cx.catalog.security_labels.find(t.classoid, t.objoid);
    let mut defn = String::new();
    for l in labels.iter().filter(|l| l.subid == 0) {
        defn.push_str(&format!(
            "SECURITY LABEL FOR {} ON {} ",
            cx.ident(&l.provider),
            t.kind
        ));
        if let Some(ns) = t.namespace.filter(|n| !n.is_empty()) {
            defn.push_str(&cx.ident(ns));
            defn.push('.');
        }
        defn.push_str(&format!("{} IS {};\n", t.name, cx.literal(&l.label)));
    }
    if defn.is_empty() {
        return;
    }
    let mut e = NewEntry::new(
        Desc::SecurityLabel,
        Section::None,
        format!("{} {}", t.kind, t.name),
    );
    e.namespace = t.namespace.map(str::to_string);
    e.owner = Some(t.owner.to_string());
    e.defn = defn;
    e.deps = vec![t.dump_id];
    out.push_new(e);
}

/// `dumpTableSecLabel`: one entry with the labels of a relation and of its columns.
/// `reltype` is TABLE, VIEW, MATERIALIZED VIEW or FOREIGN TABLE.
#[allow(clippy::too_many_arguments)]
pub fn emit_table(
    cx: &EmitCx<'_>,
    out: &mut TocBuilder,
    reltype: &str,
    schema: &str,
    name: &str,
    owner: &str,
    oid: u32,
    dump_id: DumpId,
) {
    if !wanted(cx, reltype) {
        return;
    }
    let labels = cx.catalog.security_labels.find(catalog_oid::PG_CLASS, oid);
    if labels.is_empty() {
        return;
    }
    let qualified = cx.qualified(schema, name);
    let mut defn = String::new();
    for l in labels {
        let target = if l.subid == 0 {
            format!("{reltype} {qualified}")
        } else {
            // `getAttrName`: the system columns have negative numbers.
            let column = match l.column.as_deref() {
                Some(c) => c.to_string(),
                None => system_column_name(l.subid).to_string(),
            };
            format!("COLUMN {qualified}.{}", cx.ident(&column))
        };
        defn.push_str(&format!(
            "SECURITY LABEL FOR {} ON {target} IS {};\n",
            cx.ident(&l.provider),
            cx.literal(&l.label)
        ));
    }
    let mut e = NewEntry::new(
        Desc::SecurityLabel,
        Section::None,
        format!("{reltype} {}", cx.ident(name)),
    );
    e.namespace = Some(schema.to_string());
    e.owner = Some(owner.to_string());
    e.defn = defn;
    e.deps = vec![dump_id];
    out.push_new(e);
}

/// `getAttrName` for system attribute numbers.
fn system_column_name(subid: i32) -> &'static str {
    match subid {
        -1 => "ctid",
        -2 => "xmin",
        -3 => "cmin",
        -4 => "xmax",
        -5 => "cmax",
        -6 => "tableoid",
        _ => "",
    }
}

/// `dumpDatabase`'s SECURITY LABEL entry (`emitShSecLabels` over `pg_shseclabel`),
/// right after the database's comment; `tag` is `DATABASE <quoted name>`.
pub fn emit_database(
    cx: &EmitCx<'_>,
    out: &mut TocBuilder,
    datname: &str,
    tag: &str,
    owner: &str,
    dump_id: DumpId,
) {
    let mut q = String::new();
    for (provider, label) in &cx.catalog.security_labels.database {
        q.push_str(&format!(
            "SECURITY LABEL FOR {} ON DATABASE {} IS {};\n",
            cx.ident(provider),
            cx.ident(datname),
            cx.literal(label)
        ));
    }
    if q.is_empty() {
        return;
    }
    let mut e = NewEntry::new(Desc::SecurityLabel, Section::None, tag);
    e.owner = Some(owner.to_string());
    e.defn = q;
    e.deps = vec![dump_id];
    out.push_new(e);
}

#[cfg(test)]
mod tests {
    use super::{dumps_labels, system_column_name};

    #[test]
    fn only_stock_labelled_kinds() {
        assert!(dumps_labels("FUNCTION"));
        assert!(dumps_labels("LARGE OBJECT"));
        assert!(dumps_labels("EVENT TRIGGER"));
        assert!(!dumps_labels("COLLATION"));
        assert!(!dumps_labels("COLUMN"));
    }

    #[test]
    fn system_columns_by_number() {
        assert_eq!(system_column_name(-1), "ctid");
        assert_eq!(system_column_name(-6), "tableoid");
    }
}
