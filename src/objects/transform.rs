//! TRANSFORM. Mirrors pg_dump.c `getTransforms()` and `dumpTransform()`. Catalog:
//! pg_transform. TOC: "TRANSFORM", pre-data, no namespace and no owner, listing all
//! of the object's dependencies (stock passes them explicitly); its comment follows.

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::cast::FunctionRef;
use crate::objects::comment::{self, CommentTarget};
use crate::objects::{Catalog, Components, DumpObject, Kind};

#[derive(Debug, Clone)]
pub struct Transform {
    pub oid: u32,
    /// `trftype` and `trflang` (named in loop warnings).
    pub type_oid: u32,
    pub language_oid: u32,
    /// `format_type` of the type.
    pub type_name: String,
    pub language: String,
    pub from_sql: Option<FunctionRef>,
    pub to_sql: Option<FunctionRef>,
}

/// `getTransforms`: one query for every transform. Transforms have no namespace, so
/// they are dumped when everything is (`selectDumpableObject`).
pub async fn collect(
    session: &Session,
    cat: &mut Catalog,
    include_everything: bool,
) -> Result<(), CatalogError> {
    let sql = format!(
        "SELECT t.tableoid, t.oid, t.trftype, t.trflang, t.trffromsql::pg_catalog.oid AS trffromsql, \
         t.trftosql::pg_catalog.oid AS trftosql, ty.typname, \
         pg_catalog.format_type(t.trftype, NULL) AS typeformat, l.lanname, \
         pg_catalog.quote_ident(l.lanname) AS lanquoted, {from}, {to} \
         FROM pg_catalog.pg_transform t \
         LEFT JOIN pg_catalog.pg_type ty ON ty.oid = t.trftype \
         LEFT JOIN pg_catalog.pg_language l ON l.oid = t.trflang {from_join} {to_join} \
         ORDER BY 3, 4",
        from = FunctionRef::select_sql("ff", "from"),
        to = FunctionRef::select_sql("tf", "to"),
        from_join = FunctionRef::join_sql("ff", "t.trffromsql"),
        to_join = FunctionRef::join_sql("tf", "t.trftosql"),
    );
    let rows = session.query(&sql).await?;
    let dump = if include_everything {
        Components::ALL
    } else {
        Components::NONE
    };
    for r in rows.iter() {
        let language = r.string("lanname")?;
        let t = Transform {
            oid: r.oid("oid")?,
            type_oid: r.oid("trftype")?,
            language_oid: r.oid("trflang")?,
            type_name: r.string("typeformat")?,
            language: language.clone(),
            from_sql: if r.oid("trffromsql")? == 0 {
                None
            } else {
                FunctionRef::from_row(&r, "from")?
            },
            to_sql: if r.oid("trftosql")? == 0 {
                None
            } else {
                FunctionRef::from_row(&r, "to")?
            },
        };
        // Sort name: the type's name and the language name quoted as stock's
        // `fmtId` does; the server's quote_ident follows the session's
        // quote_all_identifiers, which `--quote-all-identifiers` sets.
        let name = match (r.opt("typname")?, r.opt("lanquoted")?) {
            (Some(typname), Some(lanquoted)) => format!("{typname} {lanquoted}"),
            _ => String::new(),
        };
        let idx = cat.transforms.len();
        let id = cat.objects.add(
            Kind::Transform,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid: t.oid,
            },
            name,
            None,
            idx,
        );
        cat.objects.set_dump(id, dump);
        cat.transforms.push(t);
    }
    Ok(())
}

/// `dumpTransform`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let t = &cx.catalog.transforms[obj.model];
    let args = format!("FOR {} LANGUAGE {}", t.type_name, cx.ident(&t.language));
    let mut parts = Vec::new();
    if let Some(f) = &t.from_sql {
        parts.push(format!("FROM SQL WITH FUNCTION {}", f.render(cx)));
    }
    if let Some(f) = &t.to_sql {
        parts.push(format!("TO SQL WITH FUNCTION {}", f.render(cx)));
    }
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(
            Desc::Transform,
            Section::PreData,
            format!("TRANSFORM {args}"),
        );
        e.catalog_id = obj.catalog_id;
        e.defn = format!("CREATE TRANSFORM {args} ({});\n", parts.join(", "));
        e.drop_stmt = format!("DROP TRANSFORM {args};\n");
        e.deps = obj.deps.clone();
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "TRANSFORM",
                name: &args,
                namespace: None,
                owner: "",
                classoid: obj.catalog_id.table_oid,
                objoid: t.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
}
