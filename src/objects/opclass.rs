//! OPERATOR CLASS and OPERATOR FAMILY. Mirrors pg_dump.c `getOpclasses()`,
//! `getOpfamilies()`, `dumpOpclass()` and `dumpOpfamily()`, their per-object member
//! queries folded into one bulk query each. Catalog: pg_opclass, pg_opfamily,
//! pg_amop, pg_amproc, pg_depend (a member belongs to the class or family its
//! pg_depend row points at). TOC: "OPERATOR CLASS" / "OPERATOR FAMILY", pre-data;
//! comments follow. A family's entry also adds its "loose" members (those bound to the
//! family, not to one of its classes) with `ALTER OPERATOR FAMILY ... ADD`.
//! Classes and families made by initdb are never dumped, so the queries skip them.

use std::collections::HashMap;

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::cast::LAST_BUILTIN_OID;
use crate::objects::comment::{self, CommentTarget};
use crate::objects::{Catalog, Components, DumpObject, Kind, TieBreak};

/// An `OPERATOR strategy op(left,right) [FOR ORDER BY family]` member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorMember {
    pub strategy: String,
    /// `regoperator` text.
    pub operator: String,
    /// (schema, name) of the sort family of an ordering operator.
    pub sort_family: Option<(String, String)>,
}

/// A `FUNCTION number (left, right) function(args)` member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionMember {
    pub number: String,
    /// `regprocedure` text.
    pub function: String,
    /// `regtype` text of amproclefttype / amprocrighttype.
    pub left: String,
    pub right: String,
}

/// The members one class or family owns through pg_depend.
#[derive(Debug, Clone, Default)]
pub struct Members {
    pub operators: Vec<OperatorMember>,
    pub functions: Vec<FunctionMember>,
}

#[derive(Debug, Clone)]
pub struct OpClass {
    pub oid: u32,
    pub name: String,
    pub schema: String,
    pub owner: String,
    pub method: String,
    /// `regtype` text of opcintype and opckeytype (`-` for none).
    pub input_type: String,
    pub key_type: String,
    pub is_default: bool,
    /// (schema, name) of the class's family.
    pub family: Option<(String, String)>,
    pub members: Members,
}

#[derive(Debug, Clone)]
pub struct OpFamily {
    pub oid: u32,
    pub name: String,
    pub schema: String,
    pub owner: String,
    pub method: String,
    /// Members bound to the family itself, not to a class.
    pub members: Members,
}

/// The sort key after the name (`DOTypeNameCompare`): classes before families of the
/// same name, then by access method name.
fn tie_break(kind: Kind, method: &str) -> TieBreak {
    let rank = if kind == Kind::OpClass { "0" } else { "1" };
    TieBreak::FuncArgs(vec![(rank.to_string(), method.to_string())])
}

/// The members of classes (`owner_class` = pg_opclass) or families (pg_opfamily) made
/// after initdb, by owner OID. Rows come in stock's order: by strategy or support
/// number; ties as stock's per-object queries' plans leave them (operators in
/// pg_amop_fam_strat_index order after a sort by sort family, functions in
/// pg_depend_depender_index order, i.e. by OID).
async fn collect_members(
    session: &Session,
    owner_class: &str,
    family_condition: &str,
) -> Result<HashMap<u32, Members>, CatalogError> {
    let ops_sql = format!(
        "SELECT d.refobjid AS owner, ao.amopstrategy, ao.amopopr::pg_catalog.regoperator AS amopopr, \
         f.opfname AS sortfamily, n.nspname AS sortfamilynsp \
         FROM pg_catalog.pg_amop ao JOIN pg_catalog.pg_depend d ON \
           (d.classid = 'pg_catalog.pg_amop'::pg_catalog.regclass AND d.objid = ao.oid) \
         LEFT JOIN pg_catalog.pg_opfamily f ON f.oid = ao.amopsortfamily \
         LEFT JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace \
         WHERE d.refclassid = '{owner_class}'::pg_catalog.regclass AND d.refobjid > {LAST_BUILTIN_OID} \
         AND {family_condition} \
         ORDER BY d.refobjid, ao.amopstrategy, ao.amopsortfamily, ao.amoplefttype, ao.amoprighttype"
    );
    let procs_sql = format!(
        "SELECT d.refobjid AS owner, ap.amprocnum, ap.amproc::pg_catalog.regprocedure AS amproc, \
         ap.amproclefttype::pg_catalog.regtype AS amproclefttype, \
         ap.amprocrighttype::pg_catalog.regtype AS amprocrighttype \
         FROM pg_catalog.pg_amproc ap JOIN pg_catalog.pg_depend d ON \
           (d.classid = 'pg_catalog.pg_amproc'::pg_catalog.regclass AND d.objid = ap.oid) \
         WHERE d.refclassid = '{owner_class}'::pg_catalog.regclass AND d.refobjid > {LAST_BUILTIN_OID} \
         ORDER BY d.refobjid, ap.amprocnum, ap.oid"
    );
    let (ops, procs) = tokio::join!(session.query(&ops_sql), session.query(&procs_sql));
    let mut out: HashMap<u32, Members> = HashMap::new();
    for r in ops?.iter() {
        let sort_family = match r.opt_string("sortfamily")? {
            Some(name) => Some((r.string("sortfamilynsp")?, name)),
            None => None,
        };
        out.entry(r.oid("owner")?)
            .or_default()
            .operators
            .push(OperatorMember {
                strategy: r.string("amopstrategy")?,
                operator: r.string("amopopr")?,
                sort_family,
            });
    }
    for r in procs?.iter() {
        out.entry(r.oid("owner")?)
            .or_default()
            .functions
            .push(FunctionMember {
                number: r.string("amprocnum")?,
                function: r.string("amproc")?,
                left: r.string("amproclefttype")?,
                right: r.string("amprocrighttype")?,
            });
    }
    Ok(out)
}

/// `getOpclasses` + `dumpOpclass`'s queries: the classes not made by initdb, each
/// dumped as its schema's contents are (`selectDumpableObject`).
pub async fn collect_classes(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let sql = format!(
        "SELECT c.tableoid, c.oid, c.opcname, c.opcnamespace, c.opcowner, am.amname, \
         c.opcintype::pg_catalog.regtype AS opcintype, c.opckeytype::pg_catalog.regtype AS opckeytype, \
         c.opcdefault, f.opfname AS opcfamilyname, fn.nspname AS opcfamilynsp \
         FROM pg_catalog.pg_opclass c \
         LEFT JOIN pg_catalog.pg_am am ON am.oid = c.opcmethod \
         LEFT JOIN pg_catalog.pg_opfamily f ON f.oid = c.opcfamily \
         LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace \
         WHERE c.oid > {LAST_BUILTIN_OID} ORDER BY c.oid"
    );
    let (rows, members) = tokio::join!(
        session.query(&sql),
        // Operators count only within the class's own family.
        collect_members(
            session,
            "pg_catalog.pg_opclass",
            "ao.amopfamily = (SELECT opcfamily FROM pg_catalog.pg_opclass WHERE oid = d.refobjid)",
        )
    );
    let mut members = members?;
    for r in rows?.iter() {
        let Some(schema) = cat.schema_by_oid(r.oid("opcnamespace")?) else {
            continue;
        };
        let (schema_name, dump) = (schema.name.clone(), schema.dump_contains);
        let oid = r.oid("oid")?;
        let family = match r.opt_string("opcfamilyname")?.filter(|n| !n.is_empty()) {
            Some(name) => Some((r.string("opcfamilynsp")?, name)),
            None => None,
        };
        let c = OpClass {
            oid,
            name: r.string("opcname")?,
            schema: schema_name.clone(),
            owner: cat.role_name(r.oid("opcowner")?),
            method: r.string("amname")?,
            input_type: r.string("opcintype")?,
            key_type: r.string("opckeytype")?,
            is_default: r.bool("opcdefault")?,
            family,
            members: members.remove(&oid).unwrap_or_default(),
        };
        let idx = cat.opclasses.len();
        let id = cat.objects.add(
            Kind::OpClass,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid,
            },
            c.name.clone(),
            Some(schema_name),
            idx,
        );
        if let Some(o) = cat.objects.get_mut(id) {
            o.tie_break = tie_break(Kind::OpClass, &c.method);
            o.dump = dump;
        }
        cat.opclasses.push(c);
    }
    Ok(())
}

/// `getOpfamilies` + `dumpOpfamily`'s queries: the families not made by initdb, each
/// dumped as its schema's contents are.
pub async fn collect_families(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let sql = format!(
        "SELECT f.tableoid, f.oid, f.opfname, f.opfnamespace, f.opfowner, am.amname \
         FROM pg_catalog.pg_opfamily f LEFT JOIN pg_catalog.pg_am am ON am.oid = f.opfmethod \
         WHERE f.oid > {LAST_BUILTIN_OID} ORDER BY f.oid"
    );
    let (rows, members) = tokio::join!(
        session.query(&sql),
        collect_members(
            session,
            "pg_catalog.pg_opfamily",
            "ao.amopfamily = d.refobjid"
        )
    );
    let mut members = members?;
    for r in rows?.iter() {
        let Some(schema) = cat.schema_by_oid(r.oid("opfnamespace")?) else {
            continue;
        };
        let (schema_name, dump) = (schema.name.clone(), schema.dump_contains);
        let oid = r.oid("oid")?;
        let f = OpFamily {
            oid,
            name: r.string("opfname")?,
            schema: schema_name.clone(),
            owner: cat.role_name(r.oid("opfowner")?),
            method: r.string("amname")?,
            members: members.remove(&oid).unwrap_or_default(),
        };
        let idx = cat.opfamilies.len();
        let id = cat.objects.add(
            Kind::OpFamily,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid,
            },
            f.name.clone(),
            Some(schema_name),
            idx,
        );
        if let Some(o) = cat.objects.get_mut(id) {
            o.tie_break = tie_break(Kind::OpFamily, &f.method);
            o.dump = dump;
        }
        cat.opfamilies.push(f);
    }
    Ok(())
}

/// The `OPERATOR ...` and `FUNCTION ...` items, comma-separated as stock writes them.
/// `always_types`: FUNCTION items name their types even when the server left them
/// unset (families always do).
fn member_items(cx: &EmitCx<'_>, m: &Members, always_types: bool) -> Vec<String> {
    let mut items = Vec::new();
    for op in &m.operators {
        let mut item = format!("OPERATOR {} {}", op.strategy, op.operator);
        if let Some((schema, name)) = &op.sort_family {
            item.push_str(&format!(
                " FOR ORDER BY {}.{}",
                cx.ident(schema),
                cx.ident(name)
            ));
        }
        items.push(item);
    }
    for f in &m.functions {
        let mut item = format!("FUNCTION {}", f.number);
        if always_types || (!f.left.is_empty() && !f.right.is_empty()) {
            item.push_str(&format!(" ({}, {})", f.left, f.right));
        }
        item.push_str(&format!(" {}", f.function));
        items.push(item);
    }
    items
}

/// `dumpOpclass`
pub fn emit_class(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let c = &cx.catalog.opclasses[obj.model];
    let qual = cx.qualified(&c.schema, &c.name);
    let qmethod = cx.ident(&c.method);
    let mut q = format!("CREATE OPERATOR CLASS {qual}\n    ");
    if c.is_default {
        q.push_str("DEFAULT ");
    }
    q.push_str(&format!("FOR TYPE {} USING {qmethod}", c.input_type));
    if let Some((schema, name)) = &c.family {
        q.push_str(&format!(" FAMILY {}.{}", cx.ident(schema), cx.ident(name)));
    }
    q.push_str(" AS\n    ");
    let mut items = Vec::new();
    if c.key_type != "-" {
        items.push(format!("STORAGE {}", c.key_type));
    }
    items.extend(member_items(cx, &c.members, false));
    if items.is_empty() {
        // Nothing after AS: a no-op STORAGE clause keeps the statement valid.
        items.push(format!("STORAGE {}", c.input_type));
    }
    q.push_str(&items.join(" ,\n    "));
    q.push_str(";\n");
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(Desc::OperatorClass, Section::PreData, c.name.clone());
        e.catalog_id = obj.catalog_id;
        e.namespace = Some(c.schema.clone());
        e.owner = Some(c.owner.clone());
        e.defn = q;
        e.drop_stmt = format!("DROP OPERATOR CLASS {qual} USING {qmethod};\n");
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        let name_using = format!("{} USING {qmethod}", cx.ident(&c.name));
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "OPERATOR CLASS",
                name: &name_using,
                namespace: Some(&c.schema),
                owner: &c.owner,
                classoid: obj.catalog_id.table_oid,
                objoid: c.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
}

/// `dumpOpfamily`
pub fn emit_family(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let f = &cx.catalog.opfamilies[obj.model];
    let qual = cx.qualified(&f.schema, &f.name);
    let qmethod = cx.ident(&f.method);
    let mut q = format!("CREATE OPERATOR FAMILY {qual} USING {qmethod};\n");
    let items = member_items(cx, &f.members, true);
    if !items.is_empty() {
        q.push_str(&format!(
            "ALTER OPERATOR FAMILY {qual} USING {qmethod} ADD\n    {};\n",
            items.join(" ,\n    ")
        ));
    }
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(Desc::OperatorFamily, Section::PreData, f.name.clone());
        e.catalog_id = obj.catalog_id;
        e.namespace = Some(f.schema.clone());
        e.owner = Some(f.owner.clone());
        e.defn = q;
        e.drop_stmt = format!("DROP OPERATOR FAMILY {qual} USING {qmethod};\n");
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        let name_using = format!("{} USING {qmethod}", cx.ident(&f.name));
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "OPERATOR FAMILY",
                name: &name_using,
                namespace: Some(&f.schema),
                owner: &f.owner,
                classoid: obj.catalog_id.table_oid,
                objoid: f.oid,
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

    fn object(kind: Kind, oid: u32, name: &str, method: &str) -> DumpObject {
        DumpObject {
            dump_id: oid as i32,
            catalog_id: CatalogId { table_oid: 0, oid },
            kind,
            name: name.into(),
            namespace: Some("s".into()),
            tie_break: tie_break(kind, method),
            deps: Vec::new(),
            dump: Components::ALL,
            model: 0,
        }
    }

    #[test]
    fn classes_precede_families_of_one_name_then_access_method_names_decide() {
        let objects = [
            object(Kind::OpFamily, 1, "ops", "btree"),
            object(Kind::OpClass, 2, "ops", "zeta"),
            object(Kind::OpClass, 3, "ops", "btree"),
            object(Kind::OpFamily, 4, "abc", "hash"),
        ];
        let mut refs: Vec<&DumpObject> = objects.iter().collect();
        refs.sort_by(|a, b| crate::graph::sort::compare(a, b));
        let oids: Vec<u32> = refs.iter().map(|o| o.catalog_id.oid).collect();
        assert_eq!(oids, vec![4, 3, 2, 1]);
    }

    #[test]
    fn family_members_are_written_as_stock_writes_them() {
        let m = Members {
            operators: vec![OperatorMember {
                strategy: "15".into(),
                operator: "<->(point,point)".into(),
                sort_family: Some(("pg_catalog".into(), "float_ops".into())),
            }],
            functions: vec![FunctionMember {
                number: "1".into(),
                function: "f(integer,bigint)".into(),
                left: "integer".into(),
                right: "bigint".into(),
            }],
        };
        let catalog = Catalog::default();
        let opts = crate::dump::toc::EmitOptions::default();
        let cx = EmitCx {
            catalog: &catalog,
            quoter: pgark_formats::quote::Quoter {
                encoding: pgark_formats::quote::Encoding::Utf8,
                std_strings: true,
                quote_all_identifiers: false,
            },
            opts: &opts,
        };
        assert_eq!(
            member_items(&cx, &m, true),
            vec![
                "OPERATOR 15 <->(point,point) FOR ORDER BY pg_catalog.float_ops".to_string(),
                "FUNCTION 1 (integer, bigint) f(integer,bigint)".to_string(),
            ]
        );
    }
}
