//! EXTENSION and extension membership. Mirrors pg_dump.c `getExtensions()`,
//! `selectDumpableExtension()`, `getExtensionMembership()`,
//! `checkExtensionMembership()` and `dumpExtension()`. Catalog: pg_extension,
//! pg_depend (deptype 'e'). TOC: "EXTENSION", pre-data. Member objects are not
//! dumped (only their changed ACLs), and depend on their extension.

use std::collections::HashMap;

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::filter::Filter;
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::{Catalog, Components, DumpObject, Kind};

/// `pg_extension`'s catalog OID.
const PG_EXTENSION: u32 = 3079;
/// `FirstNormalObjectId - 1`: extensions at or below it were created by initdb.
const LAST_BUILTIN_OID: u32 = 16383;

#[derive(Debug, Clone)]
pub struct Extension {
    pub oid: u32,
    pub name: String,
    pub schema: String,
    pub dump_contains: Components,
    pub dump_id: i32,
    /// Configuration tables (`extconfig`) with their row filters (`extcondition`,
    /// e.g. `WHERE NOT standard`; empty for all rows).
    pub config: Vec<(u32, String)>,
}

/// Extension OID and DumpId by member object.
pub type Membership = HashMap<CatalogId, u32>;

/// `getExtensions` + `getExtensionMembership`: one query each. `include_everything`
/// is false when -n/-t patterns narrow the dump; `-e`/`--exclude-extension` come in
/// `filter` (`selectDumpableExtension`).
pub async fn collect(
    session: &Session,
    cat: &mut Catalog,
    include_everything: bool,
    filter: &Filter,
) -> Result<(), CatalogError> {
    let rows = session
        .query(
            "SELECT x.tableoid, x.oid, x.extname, n.nspname, x.extconfig, x.extcondition \
             FROM pg_catalog.pg_extension x \
             LEFT JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace ORDER BY x.oid",
        )
        .await?;
    for r in rows.iter() {
        let oid = r.oid("oid")?;
        let name = r.string("extname")?;
        let dump = if oid <= LAST_BUILTIN_OID {
            Components::ACL
        } else if filter.extension_included(oid).unwrap_or(include_everything)
            && !filter.extension_excluded(oid)
        {
            Components::ALL
        } else {
            Components::NONE
        };
        let idx = cat.extensions.len();
        let id = cat.objects.add(
            Kind::Extension,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid,
            },
            name.clone(),
            None,
            idx,
        );
        cat.objects.set_dump(id, dump);
        cat.extensions.push(Extension {
            oid,
            name,
            schema: r.string("nspname")?,
            dump_contains: dump,
            dump_id: id,
            config: config_tables(
                r.opt("extconfig")?.unwrap_or(""),
                r.opt("extcondition")?.unwrap_or(""),
            )
            .map_err(|m| {
                CatalogError::Inconsistent(format!(
                    "extension {}: {m}",
                    r.text("extname").unwrap_or("")
                ))
            })?,
        });
    }
    let members = session
        .query(
            "SELECT classid, objid, refobjid FROM pg_catalog.pg_depend \
             WHERE refclassid = 'pg_catalog.pg_extension'::pg_catalog.regclass AND deptype = 'e' ORDER BY 3",
        )
        .await?;
    for r in members.iter() {
        cat.extension_members.insert(
            CatalogId {
                table_oid: r.oid("classid")?,
                oid: r.oid("objid")?,
            },
            r.oid("refobjid")?,
        );
    }
    Ok(())
}

/// `extconfig` and `extcondition` paired, as `processExtensionTables` reads them.
fn config_tables(extconfig: &str, extcondition: &str) -> Result<Vec<(u32, String)>, String> {
    if extconfig.is_empty() && extcondition.is_empty() {
        return Ok(Vec::new());
    }
    let tables: Vec<u32> = crate::catalog::parse_int_array(extconfig);
    let conditions = crate::catalog::parse_text_array_owned(extcondition);
    if tables.len() != conditions.len() {
        return Err("mismatched number of configurations and conditions for extension".into());
    }
    Ok(tables.into_iter().zip(conditions).collect())
}

/// `checkExtensionMembership` for every collected object: members depend on their
/// extension and dump only what the extension's `dump_contains` allows of ACLs.
pub fn apply_membership(cat: &mut Catalog) {
    let by_oid: HashMap<u32, (i32, Components)> = cat
        .extensions
        .iter()
        .map(|e| (e.oid, (e.dump_id, e.dump_contains)))
        .collect();
    let ids: Vec<(i32, CatalogId)> = cat
        .objects
        .all()
        .iter()
        .map(|o| (o.dump_id, o.catalog_id))
        .collect();
    for (id, catalog_id) in ids {
        let Some(ext_oid) = cat.extension_members.get(&catalog_id) else {
            continue;
        };
        let Some(&(ext_id, contains)) = by_oid.get(ext_oid) else {
            continue;
        };
        cat.objects.add_dependency(id, ext_id);
        let dump = if contains.has(Components::ACL) {
            Components::ACL
        } else {
            Components::NONE
        };
        cat.objects.set_dump(id, dump);
        // Stock makes a shell only for types whose definition is dumped, and it
        // decides membership before that; a member type therefore has no shell.
        if let Some(model) = cat
            .objects
            .get(id)
            .and_then(|o| (o.kind == Kind::Type).then_some(o.model))
        {
            if let Some(t) = cat.types.get_mut(model) {
                t.shell = None;
            }
        }
    }
}

/// `dumpExtension`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let x = &cx.catalog.extensions[obj.model];
    let q = cx.ident(&x.name);
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(Desc::Extension, Section::PreData, x.name.clone());
        e.catalog_id = obj.catalog_id;
        e.defn = format!(
            "CREATE EXTENSION IF NOT EXISTS {q} WITH SCHEMA {};\n",
            cx.ident(&x.schema)
        );
        e.drop_stmt = format!("DROP EXTENSION {q};\n");
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "EXTENSION",
                name: &q,
                namespace: None,
                owner: "",
                classoid: PG_EXTENSION,
                objoid: x.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
}
