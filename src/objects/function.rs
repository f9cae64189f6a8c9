//! FUNCTION and PROCEDURE (not aggregates). Mirrors pg_dump.c `getFuncs()` /
//! `dumpFunc()`, with the per-function query folded into the one bulk query.
//! Catalog: pg_proc, pg_language. TOC: "FUNCTION"/"PROCEDURE", pre-data; comments
//! and ACLs follow. Versions: every server 14+ has prokind, prosupport, SQL-standard
//! bodies (`pg_get_function_sqlbody`).

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::privileges::{self, AclTarget, DumpableAcl};
use crate::objects::table::parse_text_array;
use crate::objects::{Catalog, Components, DumpObject, Kind, TieBreak};

/// `pg_proc`'s catalog OID.
const PG_PROC: u32 = 1255;

#[derive(Debug, Clone)]
pub struct Function {
    pub oid: u32,
    pub name: String,
    pub schema: String,
    pub owner: String,
    pub is_procedure: bool,
    pub is_window: bool,
    pub retset: bool,
    pub prosrc: Option<String>,
    pub probin: Option<String>,
    pub sqlbody: Option<String>,
    pub args: String,
    pub identity_args: String,
    pub result: Option<String>,
    /// `format_type` of each input argument type (the TOC tag).
    pub arg_type_names: Vec<String>,
    pub trftypes: Vec<String>,
    pub volatile: u8,
    pub strict: bool,
    pub secdef: bool,
    pub leakproof: bool,
    pub config: Vec<String>,
    pub cost: String,
    pub rows: String,
    pub support: String,
    pub parallel: u8,
    pub language: String,
    pub acl: DumpableAcl,
    /// Set by the function/boundary loop repair: a function whose SQL-standard body
    /// reads a table is defined in post-data.
    pub postponed_def: bool,
}

/// `getFuncs`: one query for every non-aggregate function outside pg_catalog that is
/// not an internal part of another object.
pub async fn collect(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let sql = format!(
        "SELECT p.tableoid, p.oid, p.proname, p.pronamespace, p.proowner, p.prokind, p.proretset, \
         p.prosrc, p.probin, pg_catalog.pg_get_function_sqlbody(p.oid) AS prosqlbody, \
         pg_catalog.pg_get_function_arguments(p.oid) AS funcargs, \
         pg_catalog.pg_get_function_identity_arguments(p.oid) AS funciargs, \
         pg_catalog.pg_get_function_result(p.oid) AS funcresult, \
         (SELECT pg_catalog.array_agg(pg_catalog.format_type(t, NULL) ORDER BY n) \
            FROM unnest(p.proargtypes::pg_catalog.oid[]) WITH ORDINALITY AS a(t, n)) AS argtypenames, \
         (SELECT pg_catalog.array_agg(tn.nspname || '.' || ty.typname ORDER BY n) \
            FROM unnest(p.proargtypes::pg_catalog.oid[]) WITH ORDINALITY AS a(t, n) \
            JOIN pg_catalog.pg_type ty ON ty.oid = a.t JOIN pg_catalog.pg_namespace tn ON tn.oid = ty.typnamespace) AS argsortkeys, \
         (SELECT pg_catalog.array_agg(pg_catalog.format_type(t, NULL)) FROM unnest(p.protrftypes) AS t) AS trftypes, \
         p.provolatile, p.proisstrict, p.prosecdef, p.proleakproof, p.proconfig, p.procost, p.prorows, \
         p.prosupport, p.proparallel, l.lanname, p.proacl, acldefault('f', p.proowner) AS acldefault, \
         pip.initprivs \
         FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang \
         JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace \
         LEFT JOIN pg_catalog.pg_init_privs pip ON (p.oid = pip.objoid AND pip.classoid = 'pg_proc'::regclass AND pip.objsubid = 0) \
         WHERE p.prokind <> 'a' \
         AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend WHERE classid = 'pg_proc'::regclass AND objid = p.oid AND deptype = 'i') \
         {skip_system} \
         AND (n.nspname <> 'pg_catalog' OR p.proacl IS DISTINCT FROM pip.initprivs) \
         ORDER BY p.oid",
        skip_system = if cat.builtin_selected {
            ""
        } else {
            "AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_toast'"
        }
    );
    let rows = session.query(&sql).await?;
    for r in rows.iter() {
        let Some(schema) = cat.schema_by_oid(r.oid("pronamespace")?) else {
            continue;
        };
        let (schema_name, contains) = (schema.name.clone(), schema.dump_contains);
        let sqlbody = r.opt_string("prosqlbody")?;
        let f = Function {
            oid: r.oid("oid")?,
            name: r.string("proname")?,
            schema: schema_name.clone(),
            owner: cat.role_name(r.oid("proowner")?),
            is_procedure: r.char("prokind")? == b'p',
            is_window: r.char("prokind")? == b'w',
            retset: r.bool("proretset")?,
            prosrc: if sqlbody.is_some() {
                None
            } else {
                Some(r.string("prosrc")?)
            },
            probin: if sqlbody.is_some() {
                None
            } else {
                Some(r.string("probin")?)
            },
            sqlbody,
            args: r.string("funcargs")?,
            identity_args: r.string("funciargs")?,
            result: r.opt_string("funcresult")?,
            arg_type_names: parse_text_array(r.text("argtypenames")?),
            trftypes: parse_text_array(r.text("trftypes")?),
            volatile: r.char("provolatile")?,
            strict: r.bool("proisstrict")?,
            secdef: r.bool("prosecdef")?,
            leakproof: r.bool("proleakproof")?,
            config: parse_text_array(r.text("proconfig")?),
            cost: r.string("procost")?,
            rows: r.string("prorows")?,
            support: r.string("prosupport")?,
            parallel: r.char("proparallel")?,
            language: r.string("lanname")?,
            acl: DumpableAcl {
                acl: r.string("proacl")?,
                acldefault: r.string("acldefault")?,
                initprivs: r.opt_string("initprivs")?,
            },
            postponed_def: false,
        };
        let keys: Vec<(String, String)> = parse_text_array(r.text("argsortkeys")?)
            .into_iter()
            .map(|k| match k.split_once('.') {
                Some((a, b)) => (a.to_string(), b.to_string()),
                None => (String::new(), k),
            })
            .collect();
        let idx = cat.functions.len();
        let id = cat.objects.add(
            Kind::Function,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid: f.oid,
            },
            f.name.clone(),
            Some(schema_name),
            idx,
        );
        if let Some(o) = cat.objects.get_mut(id) {
            o.tie_break = TieBreak::FuncArgs(keys);
            o.dump = contains;
        }
        cat.functions.push(f);
    }
    Ok(())
}

/// `appendStringLiteralDQ`: `$tag$...$tag$` with a tag absent from the text.
pub fn dollar_quote(s: &str) -> String {
    const SUFFIXES: &[u8] = b"_XXXXXXX";
    let mut delim = String::from("$");
    let mut next = 0;
    while s.contains(&delim) {
        delim.push(SUFFIXES[next] as char);
        next = (next + 1) % SUFFIXES.len();
    }
    delim.push('$');
    format!("{delim}{s}{delim}")
}

/// Whether a setting's value is a list to be quoted element by element
/// (`variable_is_guc_list_quote`).
fn is_list_setting(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "local_preload_libraries"
            | "search_path"
            | "session_preload_libraries"
            | "shared_preload_libraries"
            | "temp_tablespaces"
            | "unix_socket_directories"
    )
}

/// `dumpFunc`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let f = &cx.catalog.functions[obj.model];
    let as_part = if let Some(body) = &f.sqlbody {
        body.clone()
    } else {
        let src = f.prosrc.as_deref().unwrap_or("");
        let bin = f.probin.as_deref().unwrap_or("");
        if !bin.is_empty() {
            let mut a = format!("AS {}", cx.literal(bin));
            if !src.is_empty() {
                a.push_str(", ");
                if cx.opts.disable_dollar_quoting || (!src.contains('\'') && !src.contains('\\')) {
                    a.push_str(&cx.literal(src));
                } else {
                    a.push_str(&dollar_quote(src));
                }
            }
            a
        } else if cx.opts.disable_dollar_quoting {
            format!("AS {}", cx.literal(src))
        } else {
            format!("AS {}", dollar_quote(src))
        }
    };
    let qname = cx.ident(&f.name);
    let fullsig = format!("{qname}({})", f.args);
    let sig = format!("{qname}({})", f.identity_args);
    let tag = format!("{}({})", f.name, f.arg_type_names.join(", "));
    let qschema = cx.ident(&f.schema);
    let keyword = if f.is_procedure {
        "PROCEDURE"
    } else {
        "FUNCTION"
    };
    let mut q = format!("CREATE {keyword} {qschema}.{fullsig}");
    if !f.is_procedure {
        if let Some(res) = &f.result {
            q.push_str(&format!(" RETURNS {res}"));
        }
    }
    q.push_str(&format!("\n    LANGUAGE {}", cx.ident(&f.language)));
    if !f.trftypes.is_empty() {
        let t: Vec<String> = f.trftypes.iter().map(|t| format!("FOR TYPE {t}")).collect();
        q.push_str(&format!(" TRANSFORM {}", t.join(", ")));
    }
    if f.is_window {
        q.push_str(" WINDOW");
    }
    match f.volatile {
        b'i' => q.push_str(" IMMUTABLE"),
        b's' => q.push_str(" STABLE"),
        _ => {}
    }
    if f.strict {
        q.push_str(" STRICT");
    }
    if f.secdef {
        q.push_str(" SECURITY DEFINER");
    }
    if f.leakproof {
        q.push_str(" LEAKPROOF");
    }
    if f.cost != "0" {
        let default_cost = if f.language == "internal" || f.language == "c" {
            "1"
        } else {
            "100"
        };
        if f.cost != default_cost {
            q.push_str(&format!(" COST {}", f.cost));
        }
    }
    if f.retset && f.rows != "0" && f.rows != "1000" {
        q.push_str(&format!(" ROWS {}", f.rows));
    }
    if f.support != "-" {
        q.push_str(&format!(" SUPPORT {}", f.support));
    }
    match f.parallel {
        b's' => q.push_str(" PARALLEL SAFE"),
        b'r' => q.push_str(" PARALLEL RESTRICTED"),
        _ => {}
    }
    for item in &f.config {
        let Some((name, value)) = item.split_once('=') else {
            continue;
        };
        q.push_str(&format!("\n    SET {} TO ", cx.ident(name)));
        if is_list_setting(name) {
            if let Some(elems) = crate::dumpall::split_guc_list(value.as_bytes()) {
                let lits: Vec<String> = elems
                    .iter()
                    .map(|e| cx.literal(&String::from_utf8_lossy(e)))
                    .collect();
                q.push_str(&lits.join(", "));
            }
        } else {
            q.push_str(&cx.literal(value));
        }
    }
    q.push_str(&format!("\n    {as_part};\n"));
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(
            if f.is_procedure {
                Desc::Procedure
            } else {
                Desc::Function
            },
            if f.postponed_def {
                Section::PostData
            } else {
                Section::PreData
            },
            tag,
        );
        e.catalog_id = obj.catalog_id;
        e.namespace = Some(f.schema.clone());
        e.owner = Some(f.owner.clone());
        e.defn = q;
        e.drop_stmt = format!("DROP {keyword} {qschema}.{sig};\n");
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: keyword,
                name: &sig,
                namespace: Some(&f.schema),
                owner: &f.owner,
                classoid: PG_PROC,
                objoid: f.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
    if obj.dump.has(Components::ACL) {
        privileges::emit(
            cx,
            out,
            &AclTarget {
                kind: keyword,
                name: &sig,
                subname: None,
                namespace: Some(&f.schema),
                tag: None,
                owner: &f.owner,
                dump_id: obj.dump_id,
                alt_dump_id: None,
            },
            &f.acl,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::dollar_quote;

    #[test]
    fn dollar_quote_picks_an_unused_tag() {
        assert_eq!(dollar_quote("select 1"), "$$select 1$$");
        assert_eq!(dollar_quote("a $$ b"), "$_$a $$ b$_$");
        assert_eq!(dollar_quote("$_ and $$"), "$_X$$_ and $$$_X$");
    }
}
