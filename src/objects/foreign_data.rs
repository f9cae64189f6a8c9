//! FOREIGN DATA WRAPPER, SERVER (with its USER MAPPINGs) and the foreign-table parts
//! of CREATE FOREIGN TABLE. Mirrors pg_dump.c `getForeignDataWrappers()`,
//! `getForeignServers()`, `dumpForeignDataWrapper()`, `dumpForeignServer()`,
//! `dumpUserMappings()` and the RELKIND_FOREIGN_TABLE look-ups of
//! `dumpTableSchema()`/`getTableAttrs()`, each folded into one bulk query.
//! Catalog: pg_foreign_data_wrapper, pg_foreign_server, pg_user_mappings (the public
//! view, as stock), pg_foreign_table, pg_attribute.attfdwoptions. TOC: "FOREIGN DATA
//! WRAPPER", "SERVER", "USER MAPPING", pre-data, none in a schema; ACLs as GRANT ...
//! ON FOREIGN DATA WRAPPER / FOREIGN SERVER. Identical on servers 14–18.

use std::collections::HashMap;

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::privileges::{self, AclTarget, DumpableAcl};
use crate::objects::{Catalog, Components, DumpObject, Kind};

/// Generic options as stock renders them server-side: `name 'value'` pairs in option
/// name order, joined by `,\n    `.
fn options_sql(column: &str) -> String {
    format!(
        "pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.quote_ident(option_name) || ' ' || \
         pg_catalog.quote_literal(option_value) FROM pg_catalog.pg_options_to_table({column}) \
         ORDER BY option_name), E',\\n    ')"
    )
}

#[derive(Debug, Clone)]
pub struct ForeignDataWrapper {
    pub oid: u32,
    pub classoid: u32,
    pub name: String,
    pub owner: String,
    /// `regproc` text, `-` when none.
    pub handler: String,
    pub validator: String,
    pub options: String,
    /// `None` when `fdwacl` is NULL (no ACL component).
    pub acl: Option<String>,
    pub acldefault: String,
}

#[derive(Debug, Clone)]
pub struct ForeignServer {
    pub oid: u32,
    pub classoid: u32,
    pub name: String,
    pub owner: String,
    pub fdw_name: String,
    pub server_type: String,
    pub version: String,
    pub options: String,
    pub acl: Option<String>,
    pub acldefault: String,
    /// (user name, options) in user name order.
    pub user_mappings: Vec<(String, String)>,
}

/// What CREATE FOREIGN TABLE needs beyond the table itself.
#[derive(Debug, Clone, Default)]
pub struct ForeignTable {
    pub server: String,
    pub options: String,
    /// Column number → generic options of the column.
    pub column_options: HashMap<i32, String>,
}

/// Dump components of an object outside any schema (`selectDumpableObject`).
fn everything(include_everything: bool) -> Components {
    if include_everything {
        Components::ALL
    } else {
        Components::NONE
    }
}

/// `getForeignDataWrappers`
pub async fn collect_wrappers(
    session: &Session,
    cat: &mut Catalog,
    include_everything: bool,
) -> Result<(), CatalogError> {
    let rows = session
        .query(&format!(
            "SELECT tableoid, oid, fdwname, fdwowner, fdwhandler::pg_catalog.regproc AS fdwhandler, \
             fdwvalidator::pg_catalog.regproc AS fdwvalidator, fdwacl, \
             pg_catalog.acldefault('F', fdwowner) AS acldefault, {} AS fdwoptions \
             FROM pg_catalog.pg_foreign_data_wrapper",
            options_sql("fdwoptions")
        ))
        .await?;
    for r in rows.iter() {
        let w = ForeignDataWrapper {
            oid: r.oid("oid")?,
            classoid: r.oid("tableoid")?,
            name: r.string("fdwname")?,
            owner: cat.role_name(r.oid("fdwowner")?),
            handler: r.string("fdwhandler")?,
            validator: r.string("fdwvalidator")?,
            options: r.string("fdwoptions")?,
            acl: r.opt_string("fdwacl")?,
            acldefault: r.string("acldefault")?,
        };
        let idx = cat.foreign_wrappers.len();
        let id = cat.objects.add(
            Kind::Fdw,
            CatalogId {
                table_oid: w.classoid,
                oid: w.oid,
            },
            w.name.clone(),
            None,
            idx,
        );
        cat.objects.set_dump(id, everything(include_everything));
        cat.foreign_wrappers.push(w);
    }
    Ok(())
}

/// `getForeignServers`, with each server's wrapper name and user mappings, and the
/// server and options of every foreign table (read here: tables are collected).
pub async fn collect_servers(
    session: &Session,
    cat: &mut Catalog,
    include_everything: bool,
) -> Result<(), CatalogError> {
    let rows = session
        .query(&format!(
            "SELECT s.tableoid, s.oid, s.srvname, s.srvowner, \
             (SELECT w.fdwname FROM pg_catalog.pg_foreign_data_wrapper w WHERE w.oid = s.srvfdw) AS fdwname, \
             s.srvtype, s.srvversion, s.srvacl, pg_catalog.acldefault('S', s.srvowner) AS acldefault, \
             {} AS srvoptions FROM pg_catalog.pg_foreign_server s",
            options_sql("s.srvoptions")
        ))
        .await?;
    let mappings = session
        .query(&format!(
            "SELECT srvid, usename, {} AS umoptions FROM pg_catalog.pg_user_mappings ORDER BY srvid, usename",
            options_sql("umoptions")
        ))
        .await?;
    let mut by_server: HashMap<u32, Vec<(String, String)>> = HashMap::new();
    for r in mappings.iter() {
        by_server
            .entry(r.oid("srvid")?)
            .or_default()
            .push((r.string("usename")?, r.string("umoptions")?));
    }
    for r in rows.iter() {
        let oid = r.oid("oid")?;
        let s = ForeignServer {
            oid,
            classoid: r.oid("tableoid")?,
            name: r.string("srvname")?,
            owner: cat.role_name(r.oid("srvowner")?),
            fdw_name: r.string("fdwname")?,
            server_type: r.string("srvtype")?,
            version: r.string("srvversion")?,
            options: r.string("srvoptions")?,
            acl: r.opt_string("srvacl")?,
            acldefault: r.string("acldefault")?,
            user_mappings: by_server.remove(&oid).unwrap_or_default(),
        };
        let idx = cat.foreign_servers.len();
        let id = cat.objects.add(
            Kind::ForeignServer,
            CatalogId {
                table_oid: s.classoid,
                oid,
            },
            s.name.clone(),
            None,
            idx,
        );
        cat.objects.set_dump(id, everything(include_everything));
        cat.foreign_servers.push(s);
    }

    let tables = session
        .query(&format!(
            "SELECT ft.ftrelid, fs.srvname, {} AS ftoptions FROM pg_catalog.pg_foreign_table ft \
             JOIN pg_catalog.pg_foreign_server fs ON (fs.oid = ft.ftserver)",
            options_sql("ft.ftoptions")
        ))
        .await?;
    for r in tables.iter() {
        let relid = r.oid("ftrelid")?;
        if cat.table_by_oid(relid).is_none() {
            continue;
        }
        cat.foreign_tables.insert(
            relid,
            ForeignTable {
                server: r.string("srvname")?,
                options: r.string("ftoptions")?,
                column_options: HashMap::new(),
            },
        );
    }
    if !cat.foreign_tables.is_empty() {
        let columns = session
            .query(&format!(
                "SELECT a.attrelid, a.attnum, {} AS attfdwoptions FROM pg_catalog.pg_attribute a \
                 JOIN pg_catalog.pg_foreign_table ft ON ft.ftrelid = a.attrelid \
                 WHERE a.attnum > 0 AND a.attfdwoptions IS NOT NULL",
                options_sql("a.attfdwoptions")
            ))
            .await?;
        for r in columns.iter() {
            if let Some(t) = cat.foreign_tables.get_mut(&r.oid("attrelid")?) {
                let options = r.string("attfdwoptions")?;
                if !options.is_empty() {
                    t.column_options.insert(r.i32("attnum")?, options);
                }
            }
        }
    }
    Ok(())
}

/// The foreign-table facts of relation `oid`, if it is a foreign table.
pub fn foreign_table(cat: &Catalog, oid: u32) -> Option<&ForeignTable> {
    cat.foreign_tables.get(&oid)
}

/// `\nSERVER name` after the column list of CREATE FOREIGN TABLE.
pub fn server_clause(cx: &EmitCx<'_>, oid: u32) -> String {
    match foreign_table(cx.catalog, oid) {
        Some(ft) => format!("\nSERVER {}", cx.ident(&ft.server)),
        None => String::new(),
    }
}

/// `\nOPTIONS (...)` after WITH (...) of CREATE FOREIGN TABLE.
pub fn options_clause(cx: &EmitCx<'_>, oid: u32) -> String {
    match foreign_table(cx.catalog, oid) {
        Some(ft) if !ft.options.is_empty() => format!("\nOPTIONS (\n    {}\n)", ft.options),
        _ => String::new(),
    }
}

/// The per-column `ALTER FOREIGN TABLE ONLY ... OPTIONS (...)` command, if any.
pub fn column_options_command(
    cx: &EmitCx<'_>,
    oid: u32,
    qualified_table: &str,
    column_num: i32,
    column_name: &str,
) -> String {
    match foreign_table(cx.catalog, oid).and_then(|ft| ft.column_options.get(&column_num)) {
        Some(options) => format!(
            "ALTER FOREIGN TABLE ONLY {qualified_table} ALTER COLUMN {} OPTIONS (\n    {options}\n);\n",
            cx.ident(column_name)
        ),
        None => String::new(),
    }
}

/// `dumpForeignDataWrapper` and `dumpForeignServer` (+ `dumpUserMappings`).
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    match obj.kind {
        Kind::Fdw => emit_wrapper(cx, obj, &cx.catalog.foreign_wrappers[obj.model], out),
        Kind::ForeignServer => emit_server(cx, obj, &cx.catalog.foreign_servers[obj.model], out),
        _ => {}
    }
}

fn emit_wrapper(cx: &EmitCx<'_>, obj: &DumpObject, w: &ForeignDataWrapper, out: &mut TocBuilder) {
    let q = cx.ident(&w.name);
    let mut defn = format!("CREATE FOREIGN DATA WRAPPER {q}");
    if w.handler != "-" {
        defn.push_str(&format!(" HANDLER {}", w.handler));
    }
    if w.validator != "-" {
        defn.push_str(&format!(" VALIDATOR {}", w.validator));
    }
    if !w.options.is_empty() {
        defn.push_str(&format!(" OPTIONS (\n    {}\n)", w.options));
    }
    defn.push_str(";\n");
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(Desc::ForeignDataWrapper, Section::PreData, w.name.clone());
        e.catalog_id = obj.catalog_id;
        e.owner = Some(w.owner.clone());
        e.defn = defn;
        e.drop_stmt = format!("DROP FOREIGN DATA WRAPPER {q};\n");
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "FOREIGN DATA WRAPPER",
                name: &q,
                namespace: None,
                owner: &w.owner,
                classoid: w.classoid,
                objoid: w.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
    if let (true, Some(acl)) = (obj.dump.has(Components::ACL), &w.acl) {
        privileges::emit(
            cx,
            out,
            &AclTarget {
                kind: "FOREIGN DATA WRAPPER",
                name: &q,
                subname: None,
                namespace: None,
                tag: None,
                owner: &w.owner,
                dump_id: obj.dump_id,
                alt_dump_id: None,
            },
            &DumpableAcl {
                acl: acl.clone(),
                acldefault: w.acldefault.clone(),
                initprivs: cx.catalog.init_privs.get(&(w.classoid, w.oid)).cloned(),
            },
        );
    }
}

fn emit_server(cx: &EmitCx<'_>, obj: &DumpObject, s: &ForeignServer, out: &mut TocBuilder) {
    let q = cx.ident(&s.name);
    let mut defn = format!("CREATE SERVER {q}");
    if !s.server_type.is_empty() {
        defn.push_str(&format!(" TYPE {}", cx.literal(&s.server_type)));
    }
    if !s.version.is_empty() {
        defn.push_str(&format!(" VERSION {}", cx.literal(&s.version)));
    }
    defn.push_str(&format!(" FOREIGN DATA WRAPPER {}", cx.ident(&s.fdw_name)));
    if !s.options.is_empty() {
        defn.push_str(&format!(" OPTIONS (\n    {}\n)", s.options));
    }
    defn.push_str(";\n");
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(Desc::Server, Section::PreData, s.name.clone());
        e.catalog_id = obj.catalog_id;
        e.owner = Some(s.owner.clone());
        e.defn = defn;
        e.drop_stmt = format!("DROP SERVER {q};\n");
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "SERVER",
                name: &q,
                namespace: None,
                owner: &s.owner,
                classoid: s.classoid,
                objoid: s.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
    if let (true, Some(acl)) = (obj.dump.has(Components::ACL), &s.acl) {
        privileges::emit(
            cx,
            out,
            &AclTarget {
                kind: "FOREIGN SERVER",
                name: &q,
                subname: None,
                namespace: None,
                tag: None,
                owner: &s.owner,
                dump_id: obj.dump_id,
                alt_dump_id: None,
            },
            &DumpableAcl {
                acl: acl.clone(),
                acldefault: s.acldefault.clone(),
                initprivs: cx.catalog.init_privs.get(&(s.classoid, s.oid)).cloned(),
            },
        );
    }
    // DUMP_COMPONENT_USERMAP is set on every server; an extension member dumps at
    // most its ACL, so the definition bit stands in for it.
    if obj.dump.has(Components::DEFINITION) {
        for (user, options) in &s.user_mappings {
            let quser = cx.ident(user);
            let mut defn = format!("CREATE USER MAPPING FOR {quser} SERVER {q}");
            if !options.is_empty() {
                defn.push_str(&format!(" OPTIONS (\n    {options}\n)"));
            }
            defn.push_str(";\n");
            let mut e = NewEntry::new(
                Desc::UserMapping,
                Section::PreData,
                format!("USER MAPPING {user} SERVER {}", s.name),
            );
            e.owner = Some(s.owner.clone());
            e.defn = defn;
            e.drop_stmt = format!("DROP USER MAPPING FOR {quser} SERVER {q};\n");
            out.push_new(e);
        }
    }
}
