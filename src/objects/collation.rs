//! COLLATION. Mirrors pg_dump.c `getCollations()` / `dumpCollation()` (its
//! per-collation query folded into one). Catalog: pg_collation. TOC: "COLLATION",
//! pre-data. Versions: 15 adds ICU locales (`colliculocale`, renamed `colllocale` in
//! 17), 16 adds ICU rules; before 15 an ICU collation's locale is in `collcollate`.

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, ServerVersion, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::{Catalog, Components, DumpObject, Kind, TieBreak};

/// `pg_collation`'s catalog OID.
const PG_COLLATION: u32 = 3456;

#[derive(Debug, Clone)]
pub struct Collation {
    pub oid: u32,
    pub name: String,
    pub schema: String,
    pub owner: String,
    pub provider: u8,
    pub deterministic: bool,
    pub collate: Option<String>,
    pub ctype: Option<String>,
    pub locale: Option<String>,
    pub icu_rules: Option<String>,
}

/// One query for the collations outside pg_catalog.
pub async fn collect(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let v = session.version;
    let locale = if v.at_least(ServerVersion::PG17) {
        "colllocale"
    } else if v.at_least(ServerVersion::PG15) {
        "colliculocale AS colllocale"
    } else {
        "NULL AS colllocale"
    };
    let rules = if v.at_least(ServerVersion::PG16) {
        "collicurules"
    } else {
        "NULL AS collicurules"
    };
    let skip_system = if cat.builtin_selected {
        ""
    } else {
        "AND n.nspname <> 'pg_catalog' AND n.nspname <> 'information_schema'"
    };
    let rows = session
        .query(&format!(
            "SELECT c.tableoid, c.oid, c.collname, c.collnamespace, c.collowner, c.collprovider, c.collisdeterministic, \
             {locale}, {rules}, c.collcollate, c.collctype, c.collencoding FROM pg_catalog.pg_collation c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.collnamespace \
             WHERE true {skip_system} ORDER BY c.oid"
        ))
        .await?;
    let pre15 = !v.at_least(ServerVersion::PG15);
    for r in rows.iter() {
        let Some(s) = cat.schema_by_oid(r.oid("collnamespace")?) else {
            continue;
        };
        let (schema, dump) = (s.name.clone(), s.dump_contains);
        // Before 15 empty strings mean "not set".
        let opt = |col: &str| -> Result<Option<String>, CatalogError> {
            Ok(r.opt_string(col)?.filter(|s| !(pre15 && s.is_empty())))
        };
        let c = Collation {
            oid: r.oid("oid")?,
            name: r.string("collname")?,
            schema: schema.clone(),
            owner: cat.role_name(r.oid("collowner")?),
            provider: r.char("collprovider")?,
            deterministic: r.bool("collisdeterministic")?,
            collate: opt("collcollate")?,
            ctype: opt("collctype")?,
            locale: r.opt_string("colllocale")?,
            icu_rules: r.opt_string("collicurules")?,
        };
        let idx = cat.collations.len();
        let id = cat.objects.add(
            Kind::Collation,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid: c.oid,
            },
            c.name.clone(),
            Some(schema),
            idx,
        );
        if let Some(o) = cat.objects.get_mut(id) {
            // (schema, name, encoding) is the catalog's natural key.
            o.tie_break = TieBreak::AttrNum(r.i32("collencoding")?);
        }
        cat.objects.set_dump(id, dump);
        cat.collations.push(c);
    }
    Ok(())
}

/// `dumpCollation`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let c = &cx.catalog.collations[obj.model];
    let qual = cx.qualified(&c.schema, &c.name);
    let lit = |s: Option<&String>| cx.literal(s.map(String::as_str).unwrap_or(""));
    let mut q = format!("CREATE COLLATION {qual} (provider = ");
    q.push_str(match c.provider {
        b'b' => "builtin",
        b'c' => "libc",
        b'i' => "icu",
        _ => "default",
    });
    if !c.deterministic {
        q.push_str(", deterministic = false");
    }
    match c.provider {
        b'b' => q.push_str(&format!(", locale = {}", lit(c.locale.as_ref()))),
        b'i' => {
            if cx.opts.server_version >= ServerVersion::PG15.0 {
                q.push_str(&format!(", locale = {}", lit(c.locale.as_ref())));
            } else {
                q.push_str(&format!(", locale = {}", lit(c.collate.as_ref())));
            }
            if let Some(rules) = &c.icu_rules {
                q.push_str(&format!(", rules = {}", cx.literal(rules)));
            }
        }
        b'c' => match (&c.collate, &c.ctype) {
            (Some(a), Some(b)) if a == b => q.push_str(&format!(", locale = {}", cx.literal(a))),
            _ => q.push_str(&format!(
                ", lc_collate = {}, lc_ctype = {}",
                lit(c.collate.as_ref()),
                lit(c.ctype.as_ref())
            )),
        },
        _ => {}
    }
    q.push_str(");\n");
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(Desc::Collation, Section::PreData, c.name.clone());
        e.catalog_id = obj.catalog_id;
        e.namespace = Some(c.schema.clone());
        e.owner = Some(c.owner.clone());
        e.defn = q;
        e.drop_stmt = format!("DROP COLLATION {qual};\n");
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        let qname = cx.ident(&c.name);
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "COLLATION",
                name: &qname,
                namespace: Some(&c.schema),
                owner: &c.owner,
                classoid: PG_COLLATION,
                objoid: c.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
}
