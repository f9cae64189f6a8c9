//! AGGREGATE. Mirrors pg_dump.c `getAggregates()`, `format_aggregate_signature()` and
//! `dumpAgg()` (its per-aggregate query folded into the one bulk query). Catalog:
//! pg_proc (prokind 'a'), pg_aggregate. TOC: "AGGREGATE", pre-data; its comment and
//! ACL (granted as a FUNCTION) follow. Aggregates in pg_catalog are collected only when
//! their ACL differs from the initial one, and then dump only that ACL.

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::operator::OperatorName;
use crate::objects::privileges::{self, AclTarget, DumpableAcl};
use crate::objects::table::parse_text_array;
use crate::objects::{Catalog, Components, DumpObject, Kind, TieBreak};

#[derive(Debug, Clone)]
pub struct Aggregate {
    pub oid: u32,
    pub name: String,
    pub schema: String,
    pub owner: String,
    /// `format_type` of each input argument type (`pronargs` of them).
    pub arg_types: Vec<String>,
    /// `pg_get_function_arguments` / `pg_get_function_identity_arguments`.
    pub args: String,
    pub identity_args: String,
    /// 'n' normal, 'o' ordered-set, 'h' hypothetical-set.
    pub kind: u8,
    /// `regproc`/`regtype` text as the server prints them (`-` for none).
    pub transfn: String,
    pub transtype: String,
    pub transspace: String,
    pub initval: Option<String>,
    pub finalfn: String,
    pub finalextra: bool,
    pub finalmodify: u8,
    pub combinefn: String,
    pub serialfn: String,
    pub deserialfn: String,
    pub mtransfn: String,
    pub minvtransfn: String,
    pub mtranstype: String,
    pub mtransspace: String,
    pub minitval: Option<String>,
    pub mfinalfn: String,
    pub mfinalextra: bool,
    pub mfinalmodify: u8,
    pub sortop: Option<OperatorName>,
    pub parallel: u8,
    /// `proacl` is not NULL (stock's ACL component).
    pub has_acl: bool,
    pub acl: DumpableAcl,
}

/// `getAggregates` + the details `dumpAgg` reads, in one query.
pub async fn collect(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let sql = format!(
        "SELECT p.tableoid, p.oid, p.proname AS aggname, p.pronamespace AS aggnamespace, \
         p.pronargs, p.proowner, p.proacl AS aggacl, acldefault('f', p.proowner) AS acldefault, \
         pip.initprivs, \
         (SELECT pg_catalog.array_agg(pg_catalog.format_type(t, NULL) ORDER BY n) \
            FROM unnest(p.proargtypes::pg_catalog.oid[]) WITH ORDINALITY AS a(t, n)) AS argtypenames, \
         (SELECT pg_catalog.array_agg(tn.nspname || '.' || ty.typname ORDER BY n) \
            FROM unnest(p.proargtypes::pg_catalog.oid[]) WITH ORDINALITY AS a(t, n) \
            JOIN pg_catalog.pg_type ty ON ty.oid = a.t \
            JOIN pg_catalog.pg_namespace tn ON tn.oid = ty.typnamespace) AS argsortkeys, \
         a.aggtransfn, a.aggfinalfn, a.aggtranstype::pg_catalog.regtype AS aggtranstype, \
         a.agginitval, pg_catalog.pg_get_function_arguments(p.oid) AS funcargs, \
         pg_catalog.pg_get_function_identity_arguments(p.oid) AS funciargs, \
         a.aggkind, a.aggmtransfn, a.aggminvtransfn, a.aggmfinalfn, \
         a.aggmtranstype::pg_catalog.regtype AS aggmtranstype, a.aggfinalextra, a.aggmfinalextra, \
         a.aggtransspace, a.aggmtransspace, a.aggminitval, a.aggcombinefn, a.aggserialfn, \
         a.aggdeserialfn, p.proparallel, a.aggfinalmodify, a.aggmfinalmodify, {sortop} \
         FROM pg_catalog.pg_proc p \
         JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid \
         LEFT JOIN pg_catalog.pg_init_privs pip ON (p.oid = pip.objoid \
           AND pip.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND pip.objsubid = 0) \
         {sortop_join} \
         WHERE p.prokind = 'a' AND (p.pronamespace != \
           (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'pg_catalog') \
           OR p.proacl IS DISTINCT FROM pip.initprivs) \
         ORDER BY p.oid",
        sortop = OperatorName::select_sql("sop"),
        sortop_join = OperatorName::join_sql("sop", "a.aggsortop"),
    );
    let rows = session.query(&sql).await?;
    for r in rows.iter() {
        let Some(schema) = cat.schema_by_oid(r.oid("aggnamespace")?) else {
            continue;
        };
        let (schema_name, dump) = (schema.name.clone(), schema.dump_contains);
        let kind = r.char("aggkind")?;
        let has_acl = !r.is_null("aggacl")?;
        let a = Aggregate {
            oid: r.oid("oid")?,
            name: r.string("aggname")?,
            schema: schema_name.clone(),
            owner: cat.role_name(r.oid("proowner")?),
            arg_types: parse_text_array(r.text("argtypenames")?),
            args: r.string("funcargs")?,
            identity_args: r.string("funciargs")?,
            kind,
            transfn: r.string("aggtransfn")?,
            transtype: r.string("aggtranstype")?,
            transspace: r.string("aggtransspace")?,
            initval: r.opt_string("agginitval")?,
            finalfn: r.string("aggfinalfn")?,
            finalextra: r.bool("aggfinalextra")?,
            finalmodify: r.char("aggfinalmodify")?,
            combinefn: r.string("aggcombinefn")?,
            serialfn: r.string("aggserialfn")?,
            deserialfn: r.string("aggdeserialfn")?,
            mtransfn: r.string("aggmtransfn")?,
            minvtransfn: r.string("aggminvtransfn")?,
            mtranstype: r.string("aggmtranstype")?,
            mtransspace: r.string("aggmtransspace")?,
            minitval: r.opt_string("aggminitval")?,
            mfinalfn: r.string("aggmfinalfn")?,
            mfinalextra: r.bool("aggmfinalextra")?,
            mfinalmodify: r.char("aggmfinalmodify")?,
            sortop: OperatorName::from_row(&r, "sop")?,
            parallel: r.char("proparallel")?,
            has_acl,
            acl: DumpableAcl {
                acl: r.string("aggacl")?,
                acldefault: r.string("acldefault")?,
                initprivs: r.opt_string("initprivs")?,
            },
        };
        let keys: Vec<(String, String)> = parse_text_array(r.text("argsortkeys")?)
            .into_iter()
            .map(|k| match k.split_once('.') {
                Some((a, b)) => (a.to_string(), b.to_string()),
                None => (String::new(), k),
            })
            .collect();
        let idx = cat.aggregates.len();
        let id = cat.objects.add(
            Kind::Aggregate,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid: a.oid,
            },
            a.name.clone(),
            Some(schema_name),
            idx,
        );
        if let Some(o) = cat.objects.get_mut(id) {
            o.tie_break = TieBreak::FuncArgs(keys);
            o.dump = dump;
        }
        cat.aggregates.push(a);
    }
    Ok(())
}

/// The `FINALFUNC_MODIFY` word of a modify flag.
fn modify_word(flag: u8) -> &'static str {
    match flag {
        b'r' => "READ_ONLY",
        b's' => "SHAREABLE",
        _ => "READ_WRITE",
    }
}

/// The body of `CREATE AGGREGATE ... (` body `)`.
fn details(cx: &EmitCx<'_>, a: &Aggregate) -> String {
    // DefineAggregate's default: read-only for normal aggregates, else read-write.
    let default_modify = if a.kind == b'n' { b'r' } else { b'w' };
    let mut d = format!("    SFUNC = {},\n    STYPE = {}", a.transfn, a.transtype);
    if a.transspace != "0" {
        d.push_str(&format!(",\n    SSPACE = {}", a.transspace));
    }
    if let Some(init) = &a.initval {
        d.push_str(&format!(",\n    INITCOND = {}", cx.literal(init)));
    }
    if a.finalfn != "-" {
        d.push_str(&format!(",\n    FINALFUNC = {}", a.finalfn));
        if a.finalextra {
            d.push_str(",\n    FINALFUNC_EXTRA");
        }
        if a.finalmodify != default_modify {
            d.push_str(&format!(
                ",\n    FINALFUNC_MODIFY = {}",
                modify_word(a.finalmodify)
            ));
        }
    }
    if a.combinefn != "-" {
        d.push_str(&format!(",\n    COMBINEFUNC = {}", a.combinefn));
    }
    if a.serialfn != "-" {
        d.push_str(&format!(",\n    SERIALFUNC = {}", a.serialfn));
    }
    if a.deserialfn != "-" {
        d.push_str(&format!(",\n    DESERIALFUNC = {}", a.deserialfn));
    }
    if a.mtransfn != "-" {
        d.push_str(&format!(
            ",\n    MSFUNC = {},\n    MINVFUNC = {},\n    MSTYPE = {}",
            a.mtransfn, a.minvtransfn, a.mtranstype
        ));
    }
    if a.mtransspace != "0" {
        d.push_str(&format!(",\n    MSSPACE = {}", a.mtransspace));
    }
    if let Some(init) = &a.minitval {
        d.push_str(&format!(",\n    MINITCOND = {}", cx.literal(init)));
    }
    if a.mfinalfn != "-" {
        d.push_str(&format!(",\n    MFINALFUNC = {}", a.mfinalfn));
        if a.mfinalextra {
            d.push_str(",\n    MFINALFUNC_EXTRA");
        }
        if a.mfinalmodify != default_modify {
            d.push_str(&format!(
                ",\n    MFINALFUNC_MODIFY = {}",
                modify_word(a.mfinalmodify)
            ));
        }
    }
    if let Some(op) = &a.sortop {
        d.push_str(&format!(",\n    SORTOP = {}", op.render(cx)));
    }
    if a.kind == b'h' {
        d.push_str(",\n    HYPOTHETICAL");
    }
    match a.parallel {
        b's' => d.push_str(",\n    PARALLEL = safe"),
        b'r' => d.push_str(",\n    PARALLEL = restricted"),
        _ => {}
    }
    d
}

/// `format_function_arguments` for an aggregate: `name(args)`, `name(*)` without
/// arguments.
fn signature(qname: &str, a: &Aggregate, args: &str) -> String {
    if a.arg_types.is_empty() {
        format!("{qname}(*)")
    } else {
        format!("{qname}({args})")
    }
}

/// `dumpAgg`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let a = &cx.catalog.aggregates[obj.model];
    let qname = cx.ident(&a.name);
    let qschema = cx.ident(&a.schema);
    let sig = signature(&qname, a, &a.identity_args);
    if obj.dump.has(Components::DEFINITION) {
        // `format_aggregate_signature` without quoting: the TOC tag.
        let tag = signature(&a.name, a, &a.arg_types.join(", "));
        let mut e = NewEntry::new(Desc::Aggregate, Section::PreData, tag);
        e.catalog_id = obj.catalog_id;
        e.namespace = Some(a.schema.clone());
        e.owner = Some(a.owner.clone());
        e.defn = format!(
            "CREATE AGGREGATE {qschema}.{} (\n{}\n);\n",
            signature(&qname, a, &a.args),
            details(cx, a)
        );
        e.drop_stmt = format!("DROP AGGREGATE {qschema}.{sig};\n");
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "AGGREGATE",
                name: &sig,
                namespace: Some(&a.schema),
                owner: &a.owner,
                classoid: obj.catalog_id.table_oid,
                objoid: a.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
    if a.has_acl && obj.dump.has(Components::ACL) {
        // There is no GRANT ON AGGREGATE: the grant names it as a function.
        let fsig = format!("{qname}({})", a.arg_types.join(", "));
        privileges::emit(
            cx,
            out,
            &AclTarget {
                kind: "FUNCTION",
                name: &fsig,
                subname: None,
                namespace: Some(&a.schema),
                tag: None,
                owner: &a.owner,
                dump_id: obj.dump_id,
                alt_dump_id: None,
            },
            &a.acl,
        );
    }
}
