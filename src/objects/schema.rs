//! SCHEMA. Mirrors pg_dump.c `getNamespaces()` / `selectDumpableNamespace()` /
//! `dumpNamespace()`. Catalog: pg_namespace. TOC: desc "SCHEMA", pre-data.
//! The `public` schema is created by initdb: its definition is a comment line, dumped
//! only when its owner is not `pg_database_owner` (so always on 14, where initdb
//! makes the bootstrap superuser its owner).

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::dump::Filter;
use crate::objects::cast::LAST_BUILTIN_OID;
use crate::objects::comment::{self, CommentTarget};
use crate::objects::component::acl::quote_acl_user_name;
use crate::objects::privileges::{self, AclTarget, DumpableAcl};
use crate::objects::{catalog_oid, Catalog, Components, DumpObject, Kind};

/// `ROLE_PG_DATABASE_OWNER`
const PG_DATABASE_OWNER_OID: u32 = 6171;

#[derive(Debug, Clone)]
pub struct Schema {
    pub oid: u32,
    pub name: String,
    pub owner_oid: u32,
    pub owner: String,
    /// False for `public`: initdb creates it.
    pub create: bool,
    /// What objects inside the schema dump by default (`dump_contains`).
    pub dump_contains: Components,
    pub acl: String,
    pub acldefault: String,
}

/// One query for all schemas.
pub async fn collect(
    session: &Session,
    cat: &mut Catalog,
    filter: &Filter,
) -> Result<(), CatalogError> {
    let rows = session
        .query("SELECT n.tableoid, n.oid, n.nspname, n.nspowner, n.nspacl, acldefault('n', n.nspowner) AS acldefault FROM pg_catalog.pg_namespace n")
        .await?;
    for r in rows.iter() {
        let oid = r.oid("oid")?;
        let name = r.string("nspname")?;
        let owner_oid = r.oid("nspowner")?;
        let mut create = true;
        let (dump, contains) = if filter.has_table_includes() {
            (Components::NONE, Components::NONE)
        } else if filter.has_schema_includes() {
            let c = if filter.schema_included(oid) {
                Components::ALL
            } else {
                Components::NONE
            };
            (c, c)
        } else if name == "pg_catalog" {
            (Components::ACL, Components::ACL)
        } else if name.starts_with("pg_") || name == "information_schema" {
            (Components::NONE, Components::NONE)
        } else if name == "public" {
            create = false;
            // Stock compares with pg_database_owner on every server version, so a
            // 14 server's public schema (owned by the bootstrap superuser) dumps its
            // definition line and owner.
            let d = if owner_oid == PG_DATABASE_OWNER_OID {
                Components::ALL.without(Components::DEFINITION)
            } else {
                Components::ALL
            };
            (d, Components::ALL)
        } else {
            (Components::ALL, Components::ALL)
        };
        let (dump, contains) = if contains.any() && filter.schema_excluded(oid) {
            (Components::NONE, Components::NONE)
        } else {
            (dump, contains)
        };
        let owner = cat.role_name(owner_oid);
        let idx = cat.schemas.len();
        cat.schemas.push(Schema {
            oid,
            name: name.clone(),
            owner_oid,
            owner,
            create,
            dump_contains: contains,
            acl: r.string("nspacl")?,
            acldefault: r.string("acldefault")?,
        });
        cat.schema_by_oid.insert(oid, idx);
        let id = cat.objects.add(
            Kind::Schema,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid,
            },
            name,
            None,
            idx,
        );
        cat.objects.set_dump(id, dump);
    }
    cat.builtin_selected = builtin_selected(cat) || selects_system_table(session, filter).await?;
    Ok(())
}

/// Whether `-t` names a relation of a system schema (whose indexes, rules and row
/// type are then read too, as the relation itself).
async fn selects_system_table(session: &Session, filter: &Filter) -> Result<bool, CatalogError> {
    let Some(tables) = filter.included_tables() else {
        return Ok(false);
    };
    let list: Vec<String> = tables.iter().map(u32::to_string).collect();
    let rows = session
        .query(&format!(
            "SELECT count(*) AS n FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.oid IN ({}) AND (n.nspname ~ '^pg_' OR n.nspname = 'information_schema')",
            list.join(", ")
        ))
        .await?;
    let mut count = 0;
    for r in rows.iter() {
        count += r.i64("n")?;
    }
    Ok(count > 0)
}

/// A system schema: `pg_catalog`, `pg_toast`, temporary schemas (`pg_*`) and
/// `information_schema`, which stock dumps only when `-n`/`-t` select them.
fn is_system_schema_name(name: &str) -> bool {
    name.starts_with("pg_") || name == "information_schema"
}

/// Whether `-n` selects a system schema, which makes its built-in objects dumpable.
/// Stock reads every object and lets the schema's flags decide; pgark's queries
/// leave the system schemas' objects out unless this holds (or `-t` names a
/// relation of one: [`selects_system_table`]).
fn builtin_selected(cat: &Catalog) -> bool {
    cat.schemas
        .iter()
        .any(|s| is_system_schema_name(&s.name) && s.dump_contains.has(Components::DEFINITION))
}

/// `nspname` condition leaving out the system schemas, whose objects are dumped
/// only when selected (then nothing is left out, as in stock's queries). Leaving
/// them out keeps the queries small without changing the order of user objects
/// (system objects never depend on user objects). `keep_catalog` is for relations:
/// it keeps `pg_catalog` (stock dumps changed privileges on them and on their
/// columns, the schema being dumped with its ACL component only) and the
/// inheritance parents in `information_schema` (a user table may inherit from one
/// of its tables); the aliases are `c` (pg_class) and `n` (pg_namespace).
pub fn skip_system_namespaces_sql(cat: &Catalog, keep_catalog: bool) -> &'static str {
    match (cat.builtin_selected, keep_catalog) {
        (true, _) => "",
        (false, true) => {
            "AND (n.nspname <> 'information_schema' \
             OR c.oid IN (SELECT inhparent FROM pg_catalog.pg_inherits)) \
             AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'"
        }
        (false, false) => {
            "AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_(catalog|toast|temp_|toast_temp_)'"
        }
    }
}

/// Condition on `column` (an OID) keeping only objects made after initdb, or every
/// object when built-in objects are selected.
pub fn user_oid_sql(cat: &Catalog, column: &str) -> String {
    if cat.builtin_selected {
        "true".to_string()
    } else {
        format!("{column} > {LAST_BUILTIN_OID}")
    }
}

/// `dumpNamespace`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let s = &cx.catalog.schemas[obj.model];
    let q = cx.ident(&s.name);
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(Desc::Schema, Section::PreData, s.name.clone());
        e.catalog_id = obj.catalog_id;
        e.owner = Some(s.owner.clone());
        if s.create {
            e.defn = format!("CREATE SCHEMA {q};\n");
            e.drop_stmt = format!("DROP SCHEMA {q};\n");
        } else {
            e.defn = "-- *not* creating schema, since initdb creates it\n".into();
            e.drop_stmt = "-- *not* dropping schema, since initdb creates it\n".into();
        }
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        let initdb_comment = if !s.create && q == "public" {
            Some("standard public schema")
        } else {
            None
        };
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "SCHEMA",
                name: &q,
                namespace: None,
                owner: &s.owner,
                classoid: catalog_oid::PG_NAMESPACE,
                objoid: s.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment,
            },
        );
    }
    if obj.dump.has(Components::ACL) {
        let initprivs = if s.name == "public" {
            Some(public_schema_base_acl(&s.owner))
        } else {
            cx.catalog
                .init_privs
                .get(&(catalog_oid::PG_NAMESPACE, s.oid))
                .cloned()
        };
        privileges::emit(
            cx,
            out,
            &AclTarget {
                kind: "SCHEMA",
                name: &q,
                subname: None,
                namespace: None,
                tag: None,
                owner: &s.owner,
                dump_id: obj.dump_id,
                alt_dump_id: None,
            },
            &DumpableAcl {
                acl: s.acl.clone(),
                acldefault: s.acldefault.clone(),
                initprivs,
            },
        );
    }
}

/// The public schema's assumed base ACL, `{owner=UC/owner,=U/owner}` (see stock's
/// `getNamespaces`: its pg_init_privs entry is ignored).
fn public_schema_base_acl(owner: &str) -> String {
    let mut user = Vec::new();
    quote_acl_user_name(&mut user, owner.as_bytes());
    let user = String::from_utf8_lossy(&user).into_owned();
    let items = [format!("{user}=UC/{user}"), format!("=U/{user}")];
    let quoted: Vec<String> = items.iter().map(|i| pg_array_element(i)).collect();
    format!("{{{}}}", quoted.join(","))
}

/// `appendPGArray`'s element quoting.
pub fn pg_array_element(s: &str) -> String {
    let needs = s.is_empty()
        || s.eq_ignore_ascii_case("NULL")
        || s.chars()
            .any(|c| matches!(c, '"' | '\\' | '{' | '}' | ',') || c.is_ascii_whitespace());
    if !needs {
        return s.to_string();
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}
