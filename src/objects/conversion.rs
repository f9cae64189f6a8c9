//! CONVERSION. Mirrors pg_dump.c `getConversions()` and `dumpConversion()`, its
//! per-conversion query folded into the one bulk query. Catalog: pg_conversion. TOC:
//! "CONVERSION", pre-data; its comment follows. Conversions created by initdb live in
//! pg_catalog and are never dumped, so the query skips them.

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::{Catalog, Components, DumpObject, Kind};

#[derive(Debug, Clone)]
pub struct Conversion {
    pub oid: u32,
    pub name: String,
    pub schema: String,
    pub owner: String,
    pub for_encoding: String,
    pub to_encoding: String,
    /// `conproc` as `regproc` text (already quoted and qualified as needed).
    pub function: String,
    pub is_default: bool,
}

/// `getConversions`: one query for the conversions not made by initdb; each dumps as
/// its schema's contents do (`selectDumpableObject`).
pub async fn collect(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let rows = session
        .query(&format!(
            "SELECT c.tableoid, c.oid, c.conname, c.connamespace, c.conowner, \
             pg_catalog.pg_encoding_to_char(c.conforencoding) AS conforencoding, \
             pg_catalog.pg_encoding_to_char(c.contoencoding) AS contoencoding, \
             c.conproc, c.condefault FROM pg_catalog.pg_conversion c \
             WHERE {user} ORDER BY c.oid",
            user = crate::objects::schema::user_oid_sql(cat, "c.oid")
        ))
        .await?;
    for r in rows.iter() {
        let Some(schema) = cat.schema_by_oid(r.oid("connamespace")?) else {
            continue;
        };
        let (schema_name, dump) = (schema.name.clone(), schema.dump_contains);
        let c = Conversion {
            oid: r.oid("oid")?,
            name: r.string("conname")?,
            schema: schema_name.clone(),
            owner: cat.role_name(r.oid("conowner")?),
            for_encoding: r.string("conforencoding")?,
            to_encoding: r.string("contoencoding")?,
            function: r.string("conproc")?,
            is_default: r.bool("condefault")?,
        };
        let idx = cat.conversions.len();
        let id = cat.objects.add(
            Kind::Conversion,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid: c.oid,
            },
            c.name.clone(),
            Some(schema_name),
            idx,
        );
        cat.objects.set_dump(id, dump);
        cat.conversions.push(c);
    }
    Ok(())
}

/// `dumpConversion`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let c = &cx.catalog.conversions[obj.model];
    let qual = cx.qualified(&c.schema, &c.name);
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(Desc::Conversion, Section::PreData, c.name.clone());
        e.catalog_id = obj.catalog_id;
        e.namespace = Some(c.schema.clone());
        e.owner = Some(c.owner.clone());
        e.defn = format!(
            "CREATE {}CONVERSION {qual} FOR {} TO {} FROM {};\n",
            if c.is_default { "DEFAULT " } else { "" },
            cx.literal(&c.for_encoding),
            cx.literal(&c.to_encoding),
            c.function
        );
        e.drop_stmt = format!("DROP CONVERSION {qual};\n");
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        let qname = cx.ident(&c.name);
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "CONVERSION",
                name: &qname,
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
