//! ACCESS METHOD (index and table access methods). Mirrors pg_dump.c
//! `getAccessMethods()`, `selectDumpableAccessMethod()` and `dumpAccessMethod()`.
//! Catalog: pg_am. TOC: "ACCESS METHOD", pre-data, no namespace and no owner; its
//! comment follows. Access methods created by initdb are never dumped.

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::cast::LAST_BUILTIN_OID;
use crate::objects::comment::{self, CommentTarget};
use crate::objects::{Catalog, Components, DumpObject, Kind};

#[derive(Debug, Clone)]
pub struct AccessMethod {
    pub oid: u32,
    pub name: String,
    /// 'i' index, 't' table.
    pub am_type: u8,
    /// `amhandler::regproc` text.
    pub handler: String,
}

/// `getAccessMethods` + `selectDumpableAccessMethod`: one query for every access method
/// (the built-in ones too: operator classes sort by their method's name).
pub async fn collect(
    session: &Session,
    cat: &mut Catalog,
    include_everything: bool,
) -> Result<(), CatalogError> {
    let rows = session
        .query(
            "SELECT tableoid, oid, amname, amtype, amhandler::pg_catalog.regproc AS amhandler \
             FROM pg_catalog.pg_am ORDER BY oid",
        )
        .await?;
    for r in rows.iter() {
        let am = AccessMethod {
            oid: r.oid("oid")?,
            name: r.string("amname")?,
            am_type: r.char("amtype")?,
            handler: r.string("amhandler")?,
        };
        let dump = if am.oid <= LAST_BUILTIN_OID || !include_everything {
            Components::NONE
        } else {
            Components::ALL
        };
        let idx = cat.access_methods.len();
        let id = cat.objects.add(
            Kind::AccessMethod,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid: am.oid,
            },
            am.name.clone(),
            None,
            idx,
        );
        cat.objects.set_dump(id, dump);
        cat.access_methods.push(am);
    }
    Ok(())
}

/// `dumpAccessMethod`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let am = &cx.catalog.access_methods[obj.model];
    let qname = cx.ident(&am.name);
    let type_word = match am.am_type {
        b'i' => "INDEX",
        b't' => "TABLE",
        // Stock warns and skips an access method of an unknown type.
        _ => return,
    };
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(Desc::AccessMethod, Section::PreData, am.name.clone());
        e.catalog_id = obj.catalog_id;
        e.defn = format!(
            "CREATE ACCESS METHOD {qname} TYPE {type_word} HANDLER {};\n",
            am.handler
        );
        e.drop_stmt = format!("DROP ACCESS METHOD {qname};\n");
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "ACCESS METHOD",
                name: &qname,
                namespace: None,
                owner: "",
                classoid: obj.catalog_id.table_oid,
                objoid: am.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
}
