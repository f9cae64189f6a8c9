//! PROCEDURAL LANGUAGE. Mirrors pg_dump.c `getProcLangs()`, `selectDumpableProcLang()`
//! and `dumpProcLang()`. Catalog: pg_language (`lanispl` rows only). TOC:
//! "PROCEDURAL LANGUAGE", pre-data, no namespace; its comment and (for trusted
//! languages) its ACL follow. Languages created by initdb or by an extension (plpgsql
//! is both) are not dumped, only their changed ACLs.

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::privileges::{self, AclTarget, DumpableAcl};
use crate::objects::{Catalog, Components, DumpObject, Kind};

/// `FirstNormalObjectId - 1`: objects at or below it were created by initdb.
const LAST_BUILTIN_OID: u32 = 16383;
/// `pg_proc`'s catalog OID (the support functions' CatalogIds).
const PG_PROC: u32 = 1255;

#[derive(Debug, Clone)]
pub struct ProcLang {
    pub oid: u32,
    pub name: String,
    pub owner: String,
    pub trusted: bool,
    /// Call handler, inline handler and validator function OIDs (0 when absent).
    pub handler: u32,
    pub inline: u32,
    pub validator: u32,
    /// `lanacl` is not NULL (stock's ACL component).
    pub has_acl: bool,
    pub acl: DumpableAcl,
}

/// `getProcLangs` + `selectDumpableProcLang`: one query for every procedural language.
/// Extension membership is applied later (`extension::apply_membership`).
pub async fn collect(
    session: &Session,
    cat: &mut Catalog,
    include_everything: bool,
) -> Result<(), CatalogError> {
    let rows = session
        .query(
            "SELECT l.tableoid, l.oid, l.lanname, l.lanpltrusted, l.lanplcallfoid, l.laninline, \
             l.lanvalidator, l.lanacl, acldefault('l', l.lanowner) AS acldefault, l.lanowner, \
             pip.initprivs FROM pg_catalog.pg_language l \
             LEFT JOIN pg_catalog.pg_init_privs pip ON (l.oid = pip.objoid \
             AND pip.classoid = 'pg_catalog.pg_language'::pg_catalog.regclass AND pip.objsubid = 0) \
             WHERE l.lanispl ORDER BY l.oid",
        )
        .await?;
    for r in rows.iter() {
        let oid = r.oid("oid")?;
        let lang = ProcLang {
            oid,
            name: r.string("lanname")?,
            owner: cat.role_name(r.oid("lanowner")?),
            trusted: r.bool("lanpltrusted")?,
            handler: r.oid("lanplcallfoid")?,
            inline: r.oid("laninline")?,
            validator: r.oid("lanvalidator")?,
            has_acl: !r.is_null("lanacl")?,
            acl: DumpableAcl {
                acl: r.string("lanacl")?,
                acldefault: r.string("acldefault")?,
                initprivs: r.opt_string("initprivs")?,
            },
        };
        let dump = if !include_everything {
            Components::NONE
        } else if oid <= LAST_BUILTIN_OID {
            Components::ACL
        } else {
            Components::ALL
        };
        let idx = cat.languages.len();
        let id = cat.objects.add(
            Kind::ProcLang,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid,
            },
            lang.name.clone(),
            None,
            idx,
        );
        cat.objects.set_dump(id, dump);
        cat.languages.push(lang);
    }
    Ok(())
}

/// The qualified name of a support function that is dumped (stock's `findFuncByOid`
/// treating not-dumped functions as not found); `None` otherwise.
fn dumped_function(cx: &EmitCx<'_>, oid: u32) -> Option<String> {
    let id = cx.catalog.objects.by_catalog_id(CatalogId {
        table_oid: PG_PROC,
        oid,
    })?;
    let f = cx.catalog.objects.get(id)?;
    if f.kind != Kind::Function || !f.dump.any() {
        return None;
    }
    Some(cx.qualified_obj(f))
}

/// The CREATE statement: with HANDLER/INLINE/VALIDATOR when every support function is
/// dumped too, else the parameterless form that restores through the extension.
fn create_statement(cx: &EmitCx<'_>, l: &ProcLang, qname: &str) -> String {
    // Ok(None): the language has no such function; Err: it has one that is not dumped.
    let optional = |oid: u32| -> Result<Option<String>, ()> {
        if oid == 0 {
            Ok(None)
        } else {
            dumped_function(cx, oid).map(Some).ok_or(())
        }
    };
    match (
        dumped_function(cx, l.handler),
        optional(l.inline),
        optional(l.validator),
    ) {
        (Some(handler), Ok(inline), Ok(validator)) => {
            let mut q = format!(
                "CREATE {}PROCEDURAL LANGUAGE {qname} HANDLER {handler}",
                if l.trusted { "TRUSTED " } else { "" }
            );
            if let Some(i) = inline {
                q.push_str(&format!(" INLINE {i}"));
            }
            if let Some(v) = validator {
                q.push_str(&format!(" VALIDATOR {v}"));
            }
            q.push_str(";\n");
            q
        }
        _ => format!("CREATE OR REPLACE PROCEDURAL LANGUAGE {qname};\n"),
    }
}

/// `dumpProcLang`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let l = &cx.catalog.languages[obj.model];
    let qname = cx.ident(&l.name);
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(Desc::ProceduralLanguage, Section::PreData, l.name.clone());
        e.catalog_id = obj.catalog_id;
        e.owner = Some(l.owner.clone());
        e.defn = create_statement(cx, l, &qname);
        e.drop_stmt = format!("DROP PROCEDURAL LANGUAGE {qname};\n");
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "LANGUAGE",
                name: &qname,
                namespace: None,
                owner: &l.owner,
                classoid: obj.catalog_id.table_oid,
                objoid: l.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
    if l.trusted && l.has_acl && obj.dump.has(Components::ACL) {
        privileges::emit(
            cx,
            out,
            &AclTarget {
                kind: "LANGUAGE",
                name: &qname,
                subname: None,
                namespace: None,
                tag: None,
                owner: &l.owner,
                dump_id: obj.dump_id,
                alt_dump_id: None,
            },
            &l.acl,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(handler: u32, inline: u32, validator: u32) -> ProcLang {
        ProcLang {
            oid: 20000,
            name: "my pl".into(),
            owner: "postgres".into(),
            trusted: true,
            handler,
            inline,
            validator,
            has_acl: false,
            acl: DumpableAcl::default(),
        }
    }

    #[test]
    fn parameters_only_when_every_support_function_is_dumped() {
        let mut catalog = Catalog::default();
        for (oid, name, dump) in [
            (30001, "h", Components::ALL),
            (30002, "v", Components::ALL),
            (30003, "i", Components::NONE),
        ] {
            let id = catalog.objects.add(
                Kind::Function,
                CatalogId {
                    table_oid: PG_PROC,
                    oid,
                },
                name,
                Some("s".into()),
                0,
            );
            catalog.objects.set_dump(id, dump);
        }
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
        let q = "\"my pl\"";
        assert_eq!(
            create_statement(&cx, &lang(30001, 0, 30002), q),
            "CREATE TRUSTED PROCEDURAL LANGUAGE \"my pl\" HANDLER s.h VALIDATOR s.v;\n"
        );
        // The inline handler is not dumped: the parameterless form.
        assert_eq!(
            create_statement(&cx, &lang(30001, 30003, 30002), q),
            "CREATE OR REPLACE PROCEDURAL LANGUAGE \"my pl\";\n"
        );
        // The handler is unknown (in pg_catalog).
        assert_eq!(
            create_statement(&cx, &lang(12345, 0, 0), q),
            "CREATE OR REPLACE PROCEDURAL LANGUAGE \"my pl\";\n"
        );
    }
}
