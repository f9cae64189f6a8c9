//! OPERATOR. Mirrors pg_dump.c `getOperators()` and `dumpOpr()` (its per-operator
//! query folded into the one bulk query), with `convertRegProcReference()` and
//! `getFormattedOperatorName()`. Catalog: pg_operator. TOC: "OPERATOR", pre-data; its
//! comment follows. Operators made by initdb are never dumped, so the query skips
//! them; commutator, negator and sort operators are named through joins instead of
//! stock's lookup among all collected operators.

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, RowRef, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::{Catalog, Components, DumpObject, Kind, TieBreak};

#[derive(Debug, Clone)]
pub struct Operator {
    pub oid: u32,
    pub name: String,
    pub schema: String,
    pub owner: String,
    /// 'b' infix, 'l' prefix, 'r' postfix (pre-14 servers only).
    pub kind: u8,
    /// `oprcode` is set (shell operators made by a forward COMMUTATOR have none).
    pub has_code: bool,
    /// `regprocedure`/`regtype` text as the server prints them.
    pub code: String,
    pub left: String,
    pub right: String,
    pub commutator: Option<OperatorName>,
    pub negator: Option<OperatorName>,
    pub restrict: String,
    pub join: String,
    pub merges: bool,
    pub hashes: bool,
}

/// An operator named by schema and name (`OPERATOR(schema.name)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorName {
    pub schema: String,
    pub name: String,
}

impl OperatorName {
    /// SQL joining operator `oid_expr` as `alias` (and its schema as `alias`n) and the
    /// columns [`OperatorName::from_row`] reads.
    pub fn join_sql(alias: &str, oid_expr: &str) -> String {
        format!(
            "LEFT JOIN pg_catalog.pg_operator {alias} ON {alias}.oid = {oid_expr} \
             LEFT JOIN pg_catalog.pg_namespace {alias}n ON {alias}n.oid = {alias}.oprnamespace"
        )
    }
    pub fn select_sql(alias: &str) -> String {
        format!("{alias}.oprname AS {alias}_name, {alias}n.nspname AS {alias}_schema")
    }
    pub fn from_row(r: &RowRef<'_>, alias: &str) -> Result<Option<OperatorName>, CatalogError> {
        let Some(name) = r.opt_string(&format!("{alias}_name"))? else {
            return Ok(None);
        };
        Ok(Some(OperatorName {
            schema: r.string(&format!("{alias}_schema"))?,
            name,
        }))
    }
    /// `getFormattedOperatorName`: `OPERATOR(schema.name)`, the schema quoted.
    pub fn render(&self, cx: &EmitCx<'_>) -> String {
        format!("OPERATOR({}.{})", cx.ident(&self.schema), self.name)
    }
}

/// `convertRegProcReference`: a `regprocedure` text without its argument list;
/// `None` for `-` (no function).
pub fn regproc_name(proc: &str) -> Option<&str> {
    if proc == "-" {
        return None;
    }
    let mut in_quote = false;
    for (i, b) in proc.bytes().enumerate() {
        match b {
            b'(' if !in_quote => return Some(&proc[..i]),
            b'"' => in_quote = !in_quote,
            _ => {}
        }
    }
    Some(proc)
}

/// The sort key after the name (`DOTypeNameCompare`): prefix/postfix/infix order
/// (descending `oprkind`), then the left and right argument types' (schema, name).
fn tie_break(kind: u8, left: (String, String), right: (String, String)) -> TieBreak {
    let rank = match kind {
        b'r' => "0",
        b'l' => "1",
        _ => "2",
    };
    TieBreak::FuncArgs(vec![(rank.to_string(), String::new()), left, right])
}

/// `getOperators`: one query for the operators not made by initdb; each dumps as its
/// schema's contents do (`selectDumpableObject`).
pub async fn collect(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let sql = format!(
        "SELECT o.tableoid, o.oid, o.oprname, o.oprnamespace, o.oprowner, o.oprkind, \
         o.oprcode::pg_catalog.oid AS oprcodeoid, o.oprcode::pg_catalog.regprocedure AS oprcode, \
         o.oprleft::pg_catalog.regtype AS oprleft, o.oprright::pg_catalog.regtype AS oprright, \
         lt.typname AS lefttypname, ltn.nspname AS lefttypschema, \
         rt.typname AS righttypname, rtn.nspname AS righttypschema, \
         {com}, {neg}, \
         o.oprrest::pg_catalog.regprocedure AS oprrest, o.oprjoin::pg_catalog.regprocedure AS oprjoin, \
         o.oprcanmerge, o.oprcanhash \
         FROM pg_catalog.pg_operator o \
         LEFT JOIN pg_catalog.pg_type lt ON lt.oid = o.oprleft \
         LEFT JOIN pg_catalog.pg_namespace ltn ON ltn.oid = lt.typnamespace \
         LEFT JOIN pg_catalog.pg_type rt ON rt.oid = o.oprright \
         LEFT JOIN pg_catalog.pg_namespace rtn ON rtn.oid = rt.typnamespace \
         {com_join} {neg_join} \
         WHERE {user} ORDER BY o.oid",
        user = crate::objects::schema::user_oid_sql(cat, "o.oid"),
        com = OperatorName::select_sql("com"),
        neg = OperatorName::select_sql("neg"),
        com_join = OperatorName::join_sql("com", "o.oprcom"),
        neg_join = OperatorName::join_sql("neg", "o.oprnegate"),
    );
    let rows = session.query(&sql).await?;
    for r in rows.iter() {
        let Some(schema) = cat.schema_by_oid(r.oid("oprnamespace")?) else {
            continue;
        };
        let (schema_name, dump) = (schema.name.clone(), schema.dump_contains);
        let o = Operator {
            oid: r.oid("oid")?,
            name: r.string("oprname")?,
            schema: schema_name.clone(),
            owner: cat.role_name(r.oid("oprowner")?),
            kind: r.char("oprkind")?,
            has_code: r.oid("oprcodeoid")? != 0,
            code: r.string("oprcode")?,
            left: r.string("oprleft")?,
            right: r.string("oprright")?,
            commutator: OperatorName::from_row(&r, "com")?,
            negator: OperatorName::from_row(&r, "neg")?,
            restrict: r.string("oprrest")?,
            join: r.string("oprjoin")?,
            merges: r.bool("oprcanmerge")?,
            hashes: r.bool("oprcanhash")?,
        };
        let type_key = |schema: &str, name: &str| -> Result<(String, String), CatalogError> {
            Ok((r.string(schema)?, r.string(name)?))
        };
        let tb = tie_break(
            o.kind,
            type_key("lefttypschema", "lefttypname")?,
            type_key("righttypschema", "righttypname")?,
        );
        let idx = cat.operators.len();
        let id = cat.objects.add(
            Kind::Operator,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid: o.oid,
            },
            o.name.clone(),
            Some(schema_name),
            idx,
        );
        if let Some(obj) = cat.objects.get_mut(id) {
            obj.tie_break = tb;
            obj.dump = dump;
        }
        cat.operators.push(o);
    }
    Ok(())
}

/// `dumpOpr`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let o = &cx.catalog.operators[obj.model];
    if !o.has_code {
        return;
    }
    let mut details = String::new();
    if let Some(f) = regproc_name(&o.code) {
        details.push_str(&format!("    FUNCTION = {f}"));
    }
    let mut oprid = format!("{} (", o.name);
    if o.kind == b'r' || o.kind == b'b' {
        details.push_str(&format!(",\n    LEFTARG = {}", o.left));
        oprid.push_str(&o.left);
    } else {
        oprid.push_str("NONE");
    }
    if o.kind == b'l' || o.kind == b'b' {
        details.push_str(&format!(",\n    RIGHTARG = {}", o.right));
        oprid.push_str(&format!(", {})", o.right));
    } else {
        oprid.push_str(", NONE)");
    }
    if let Some(c) = &o.commutator {
        details.push_str(&format!(",\n    COMMUTATOR = {}", c.render(cx)));
    }
    if let Some(n) = &o.negator {
        details.push_str(&format!(",\n    NEGATOR = {}", n.render(cx)));
    }
    if o.merges {
        details.push_str(",\n    MERGES");
    }
    if o.hashes {
        details.push_str(",\n    HASHES");
    }
    if let Some(f) = regproc_name(&o.restrict) {
        details.push_str(&format!(",\n    RESTRICT = {f}"));
    }
    if let Some(f) = regproc_name(&o.join) {
        details.push_str(&format!(",\n    JOIN = {f}"));
    }
    let qschema = cx.ident(&o.schema);
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(Desc::Operator, Section::PreData, o.name.clone());
        e.catalog_id = obj.catalog_id;
        e.namespace = Some(o.schema.clone());
        e.owner = Some(o.owner.clone());
        e.defn = format!("CREATE OPERATOR {qschema}.{} (\n{details}\n);\n", o.name);
        e.drop_stmt = format!("DROP OPERATOR {qschema}.{oprid};\n");
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "OPERATOR",
                name: &oprid,
                namespace: Some(&o.schema),
                owner: &o.owner,
                classoid: obj.catalog_id.table_oid,
                objoid: o.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regproc_name_strips_the_argument_list() {
        assert_eq!(regproc_name("-"), None);
        assert_eq!(regproc_name("kinds.f(integer)"), Some("kinds.f"));
        assert_eq!(regproc_name("\"a(b\".\"c(\"(text)"), Some("\"a(b\".\"c(\""));
        assert_eq!(regproc_name("eqsel"), Some("eqsel"));
    }

    fn object(oid: u32, tie_break: TieBreak) -> crate::objects::DumpObject {
        crate::objects::DumpObject {
            dump_id: oid as i32,
            catalog_id: CatalogId {
                table_oid: 2617,
                oid,
            },
            kind: Kind::Operator,
            name: "@@".into(),
            namespace: Some("s".into()),
            tie_break,
            deps: Vec::new(),
            dump: Components::ALL,
            model: 0,
        }
    }

    #[test]
    fn operators_sort_prefix_first_then_by_argument_types_not_oid() {
        let t = |s: &str, n: &str| (s.to_string(), n.to_string());
        let none = t("", "");
        let infix_int8 = object(
            1,
            tie_break(b'b', t("pg_catalog", "int8"), t("pg_catalog", "int8")),
        );
        let infix_int4 = object(
            2,
            tie_break(b'b', t("pg_catalog", "int4"), t("pg_catalog", "int4")),
        );
        let infix_mixed = object(
            3,
            tie_break(b'b', t("pg_catalog", "int4"), t("pg_catalog", "int8")),
        );
        let prefix = object(4, tie_break(b'l', none, t("pg_catalog", "int4")));
        let mut all = [&infix_int8, &infix_int4, &infix_mixed, &prefix];
        all.sort_by(|a, b| crate::graph::sort::compare(a, b));
        let oids: Vec<u32> = all.iter().map(|o| o.catalog_id.oid).collect();
        assert_eq!(oids, vec![4, 2, 3, 1]);
    }
}
