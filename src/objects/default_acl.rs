//! DEFAULT ACL (`ALTER DEFAULT PRIVILEGES`). Mirrors pg_dump.c `getDefaultACLs()`,
//! `selectDumpableDefaultACL()`, `dumpDefaultACL()` and dumputils.c
//! `buildDefaultACLCommands()`. Catalog: pg_default_acl. TOC: "DEFAULT ACL",
//! post-data (restored in the ACL pass).

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::component::acl::{build_acl_commands, AclObject};
use crate::objects::{Catalog, Components, DumpObject, Kind, TieBreak};

#[derive(Debug, Clone)]
pub struct DefaultAcl {
    pub role: String,
    pub schema: Option<String>,
    pub objtype: u8,
    pub acl: String,
    pub acldefault: String,
}

/// One query for every default ACL.
pub async fn collect(
    session: &Session,
    cat: &mut Catalog,
    include_everything: bool,
) -> Result<(), CatalogError> {
    let rows = session
        .query(
            "SELECT oid, tableoid, defaclrole, defaclnamespace, defaclobjtype, defaclacl, \
             CASE WHEN defaclnamespace = 0 THEN acldefault(CASE WHEN defaclobjtype = 'S' THEN 's'::\"char\" \
             ELSE defaclobjtype END, defaclrole) ELSE '{}' END AS acldefault \
             FROM pg_catalog.pg_default_acl ORDER BY oid",
        )
        .await?;
    for r in rows.iter() {
        let nsp = r.oid("defaclnamespace")?;
        let (schema, dump) = if nsp != 0 {
            match cat.schema_by_oid(nsp) {
                Some(s) => (Some(s.name.clone()), s.dump_contains),
                None => continue,
            }
        } else {
            (
                None,
                if include_everything {
                    Components::ALL
                } else {
                    Components::NONE
                },
            )
        };
        let objtype = r.char("defaclobjtype")?;
        let idx = cat.default_acls.len();
        let role = cat.role_name(r.oid("defaclrole")?);
        cat.default_acls.push(DefaultAcl {
            role: role.clone(),
            schema: schema.clone(),
            objtype,
            acl: r.string("defaclacl")?,
            acldefault: r.string("acldefault")?,
        });
        let id = cat.objects.add(
            Kind::DefaultAcl,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid: r.oid("oid")?,
            },
            (objtype as char).to_string(),
            schema,
            idx,
        );
        if let Some(o) = cat.objects.get_mut(id) {
            // (namespace, name) are (defaclnamespace, defaclobjtype): the role
            // completes the catalog's natural key.
            o.tie_break = TieBreak::ParentName(role);
        }
        cat.objects.set_dump(id, dump);
    }
    Ok(())
}

/// `dumpDefaultACL`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema || cx.opts.acls_skip || !obj.dump.has(Components::ACL) {
        return;
    }
    let d = &cx.catalog.default_acls[obj.model];
    let kind = match d.objtype {
        b'r' => "TABLES",
        b'S' => "SEQUENCES",
        b'f' => "FUNCTIONS",
        b'T' => "TYPES",
        b'n' => "SCHEMAS",
        b'L' => "LARGE OBJECTS",
        _ => return,
    };
    let mut prefix = format!("ALTER DEFAULT PRIVILEGES FOR ROLE {} ", cx.ident(&d.role));
    if let Some(s) = &d.schema {
        prefix.push_str(&format!("IN SCHEMA {} ", cx.ident(s)));
    }
    let object = AclObject {
        name: b"",
        subname: None,
        namespace: None,
        kind,
        owner: Some(d.role.as_bytes()),
        prefix: prefix.as_bytes(),
    };
    let Some(sql) = build_acl_commands(
        &cx.quoter,
        &object,
        d.acl.as_bytes(),
        d.acldefault.as_bytes(),
        cx.opts.server_version,
    ) else {
        return;
    };
    let mut e = NewEntry::new(
        Desc::DefaultAcl,
        Section::PostData,
        format!("DEFAULT PRIVILEGES FOR {kind}"),
    );
    e.catalog_id = obj.catalog_id;
    e.namespace = d.schema.clone();
    e.owner = Some(d.role.clone());
    e.defn = String::from_utf8_lossy(&sql).into_owned();
    out.push(obj.dump_id, e);
}
