//! CAST. Mirrors pg_dump.c `getCasts()`, `selectDumpableCast()` and `dumpCast()`.
//! Catalog: pg_cast (casts from a range to its multirange are made by CREATE TYPE and
//! left out). TOC: "CAST", pre-data, no namespace and no owner; its comment follows.
//! Casts created by initdb are never dumped (no ACLs), so the query skips them.
//!
//! Also home of the function-reference helper that casts and transforms share
//! (stock's `format_function_signature` behind `WITH FUNCTION`).

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, RowRef, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::table::parse_text_array;
use crate::objects::{Catalog, Components, DumpObject, Kind};

/// `FirstNormalObjectId - 1`: objects at or below it were created by initdb.
pub const LAST_BUILTIN_OID: u32 = 16383;

/// A function named by schema, name and input argument types (`format_type` text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRef {
    pub schema: String,
    pub name: String,
    pub arg_types: Vec<String>,
}

impl FunctionRef {
    /// SQL selecting the columns [`FunctionRef::from_row`] reads (`<prefix>schema`,
    /// `<prefix>name`, `<prefix>args`) of the function joined by
    /// [`FunctionRef::join_sql`] as `alias`.
    pub fn select_sql(alias: &str, prefix: &str) -> String {
        format!(
            "{alias}n.nspname AS {prefix}schema, {alias}.proname AS {prefix}name, \
             (SELECT pg_catalog.array_agg(pg_catalog.format_type(t, NULL) ORDER BY n) \
                FROM unnest({alias}.proargtypes::pg_catalog.oid[]) WITH ORDINALITY AS a(t, n)) AS {prefix}args"
        )
    }

    /// SQL joining the function `oid_expr` as `alias` (and its schema as `alias`n).
    pub fn join_sql(alias: &str, oid_expr: &str) -> String {
        format!(
            "LEFT JOIN pg_catalog.pg_proc {alias} ON {alias}.oid = {oid_expr} \
             LEFT JOIN pg_catalog.pg_namespace {alias}n ON {alias}n.oid = {alias}.pronamespace"
        )
    }

    /// The reference selected under `prefix`, `None` when the join found no function.
    pub fn from_row(r: &RowRef<'_>, prefix: &str) -> Result<Option<FunctionRef>, CatalogError> {
        let Some(name) = r.opt_string(&format!("{prefix}name"))? else {
            return Ok(None);
        };
        Ok(Some(FunctionRef {
            schema: r.string(&format!("{prefix}schema"))?,
            name,
            arg_types: parse_text_array(r.text(&format!("{prefix}args"))?),
        }))
    }

    /// `schema.name(type, type)`, schema and name quoted (the form stock writes after
    /// `WITH FUNCTION`).
    pub fn render(&self, cx: &EmitCx<'_>) -> String {
        format!(
            "{}.{}({})",
            cx.ident(&self.schema),
            cx.ident(&self.name),
            self.arg_types.join(", ")
        )
    }
}

#[derive(Debug, Clone)]
pub struct Cast {
    pub oid: u32,
    /// `castsource` and `casttarget` (named in loop warnings).
    pub source_oid: u32,
    pub target_oid: u32,
    /// `format_type` of the source and target types.
    pub source: String,
    pub target: String,
    pub function: Option<FunctionRef>,
    /// 'f' function, 'i' inout, 'b' binary coercible.
    pub method: u8,
    /// 'e' explicit, 'a' assignment, 'i' implicit.
    pub context: u8,
}

/// `getCasts` + `selectDumpableCast`: one query for the casts not made by initdb.
pub async fn collect(
    session: &Session,
    cat: &mut Catalog,
    include_everything: bool,
) -> Result<(), CatalogError> {
    let sql = format!(
        "SELECT c.tableoid, c.oid, c.castsource, c.casttarget, c.castfunc, c.castcontext, c.castmethod, \
         pg_catalog.format_type(c.castsource, NULL) AS sourcetype, \
         pg_catalog.format_type(c.casttarget, NULL) AS targettype, \
         st.typname AS sourcename, tt.typname AS targetname, {func} \
         FROM pg_catalog.pg_cast c \
         LEFT JOIN pg_catalog.pg_type st ON st.oid = c.castsource \
         LEFT JOIN pg_catalog.pg_type tt ON tt.oid = c.casttarget {join} \
         WHERE c.oid > {LAST_BUILTIN_OID} AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_range r \
           WHERE c.castsource = r.rngtypid AND c.casttarget = r.rngmultitypid) \
         ORDER BY 3, 4",
        func = FunctionRef::select_sql("f", "func"),
        join = FunctionRef::join_sql("f", "c.castfunc"),
    );
    let rows = session.query(&sql).await?;
    let dump = if include_everything {
        Components::ALL
    } else {
        Components::NONE
    };
    for r in rows.iter() {
        let cast = Cast {
            oid: r.oid("oid")?,
            source_oid: r.oid("castsource")?,
            target_oid: r.oid("casttarget")?,
            source: r.string("sourcetype")?,
            target: r.string("targettype")?,
            function: if r.oid("castfunc")? == 0 {
                None
            } else {
                FunctionRef::from_row(&r, "func")?
            },
            method: r.char("castmethod")?,
            context: r.char("castcontext")?,
        };
        // Sort name: the two type names (empty when either is missing, as stock).
        let name = match (r.opt("sourcename")?, r.opt("targetname")?) {
            (Some(s), Some(t)) => format!("{s} {t}"),
            _ => String::new(),
        };
        let idx = cat.casts.len();
        let id = cat.objects.add(
            Kind::Cast,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid: cast.oid,
            },
            name,
            None,
            idx,
        );
        cat.objects.set_dump(id, dump);
        cat.casts.push(cast);
    }
    Ok(())
}

/// `dumpCast`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let c = &cx.catalog.casts[obj.model];
    let args = format!("({} AS {})", c.source, c.target);
    let mut q = format!("CREATE CAST {args} ");
    match c.method {
        b'b' => q.push_str("WITHOUT FUNCTION"),
        b'i' => q.push_str("WITH INOUT"),
        // A function cast whose function is missing (or an unknown method) is
        // written without it, as stock does after its warning.
        b'f' => {
            if let Some(f) = &c.function {
                q.push_str(&format!("WITH FUNCTION {}", f.render(cx)));
            }
        }
        _ => {}
    }
    match c.context {
        b'a' => q.push_str(" AS ASSIGNMENT"),
        b'i' => q.push_str(" AS IMPLICIT"),
        _ => {}
    }
    q.push_str(";\n");
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(Desc::Cast, Section::PreData, format!("CAST {args}"));
        e.catalog_id = obj.catalog_id;
        e.defn = q;
        e.drop_stmt = format!("DROP CAST {args};\n");
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "CAST",
                name: &args,
                namespace: None,
                owner: "",
                classoid: obj.catalog_id.table_oid,
                objoid: c.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
}
