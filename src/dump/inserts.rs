//! Table data as INSERT statements (`--inserts`, `--column-inserts`,
//! `--rows-per-insert`, `--on-conflict-do-nothing`): stock pg_dump's
//! `dumpTableData_insert`. Rows are read through a cursor in batches of 100 (as
//! stock does) on the caller's connection, inside its snapshot transaction, and each
//! batch's statements are handed to a sink, so a table is never held in memory.
//!
//! Values are printed from their text output as stock prints them: integer, float,
//! numeric and OID values bare unless they hold something other than digits, blanks,
//! signs, `e`/`E` and dots (`NaN`, `Infinity` are quoted); bit strings as `B'...'`;
//! booleans as `true`/`false`; everything else as a string literal. Generated columns
//! are left out of `--column-inserts` statements and written as `DEFAULT` otherwise.

use std::collections::HashMap;

use pgark_formats::quote::Quoter;
use tokio_postgres::{Client, SimpleQueryMessage};

use crate::catalog::CatalogError;
use crate::objects::Catalog;
use crate::{Error, Result};

/// Rows fetched per round trip (stock's `FETCH 100`).
const FETCH_SIZE: usize = 100;

/// Built-in type OIDs whose values stock prints without the string-literal quoting.
const INT2: u32 = 21;
const INT4: u32 = 23;
const INT8: u32 = 20;
const OID: u32 = 26;
const FLOAT4: u32 = 700;
const FLOAT8: u32 = 701;
const NUMERIC: u32 = 1700;
const BIT: u32 = 1560;
const VARBIT: u32 = 1562;
const BOOL: u32 = 16;

/// The options that shape the statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsertOptions {
    /// `--column-inserts`: name the columns in every statement.
    pub column_inserts: bool,
    /// Rows per statement (`--rows-per-insert`, 1 for `--inserts`); at least 1.
    pub rows_per_statement: u32,
    /// `--on-conflict-do-nothing`
    pub on_conflict_do_nothing: bool,
}

/// One column of the table read, in attribute-number order.
#[derive(Debug, Clone)]
pub struct InsertColumn {
    pub num: i32,
    pub name: String,
    pub generated: bool,
}

/// What the statements of one table are made from.
#[derive(Debug, Clone)]
pub struct InsertTable {
    pub oid: u32,
    /// The table read, schema-qualified and quoted.
    pub source: Vec<u8>,
    /// The table the statements insert into: the source, or its partition root when
    /// the data is loaded through the root.
    pub target: Vec<u8>,
    /// Non-dropped columns.
    pub columns: Vec<InsertColumn>,
    /// A column is `GENERATED ALWAYS AS IDENTITY` (`OVERRIDING SYSTEM VALUE`).
    pub needs_override: bool,
    /// A foreign table: reading it needs `restrict_nonsystem_relation_kind` relaxed.
    pub foreign: bool,
    /// The row filter of an extension configuration table (`WHERE ...`).
    pub filter_cond: Option<String>,
}

impl InsertTable {
    /// The table `table_oid` of the catalog; `target` names the table inserted into.
    pub fn from_catalog(
        catalog: &Catalog,
        quoter: &Quoter,
        table_oid: u32,
        target: Vec<u8>,
    ) -> Option<InsertTable> {
        let t = catalog.table_by_oid(table_oid)?;
        Some(InsertTable {
            oid: t.oid,
            source: quoter.qualified(Some(t.schema.as_bytes()), t.name.as_bytes()),
            target,
            columns: t
                .columns
                .iter()
                .filter(|c| !c.is_dropped)
                .map(|c| InsertColumn {
                    num: c.num,
                    name: c.name.clone(),
                    generated: c.generated != 0,
                })
                .collect(),
            needs_override: t
                .columns
                .iter()
                .any(|c| !c.is_dropped && c.identity == b'a'),
            foreign: t.relkind == b'f',
            filter_cond: crate::objects::table_data::filter_cond(catalog, table_oid)
                .map(str::to_string),
        })
    }
}

/// A selected field of the cursor: how its values are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldStyle {
    /// A generated column outside `--column-inserts`: always `DEFAULT`.
    Default,
    Number,
    Bits,
    Bool,
    Literal,
}

fn style_of(base_type: u32) -> FieldStyle {
    match base_type {
        INT2 | INT4 | INT8 | OID | FLOAT4 | FLOAT8 | NUMERIC => FieldStyle::Number,
        BIT | VARBIT => FieldStyle::Bits,
        BOOL => FieldStyle::Bool,
        _ => FieldStyle::Literal,
    }
}

fn query_error(sql: &str, e: tokio_postgres::Error) -> Error {
    let detail = match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    };
    Error::Catalog(CatalogError::Query {
        query: sql.to_string(),
        detail,
    })
}

async fn simple(client: &Client, sql: &str) -> Result<Vec<SimpleQueryMessage>> {
    client
        .simple_query(sql)
        .await
        .map_err(|e| query_error(sql, e))
}

/// `restrict_nonsystem_relation_kind`, set only where the server knows it (as the
/// session setup does).
async fn set_restrict_relation_kind(client: &Client, value: &str) -> Result<()> {
    let sql = format!(
        "SELECT set_config(name, '{value}', false) FROM pg_settings \
         WHERE name = 'restrict_nonsystem_relation_kind'"
    );
    simple(client, &sql).await.map(|_| ())
}

/// Runs `read` (the reading of one table's rows) with foreign tables readable when
/// `foreign`: stock relaxes `restrict_nonsystem_relation_kind` to `view` around the
/// data of a foreign table named by `--include-foreign-data`, and restores it after.
pub async fn reading_foreign_table<T>(
    client: &Client,
    foreign: bool,
    read: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    if !foreign {
        return read.await;
    }
    set_restrict_relation_kind(client, "view").await?;
    let result = read.await;
    set_restrict_relation_kind(client, "view, foreign-table").await?;
    result
}

/// The base type (domains resolved, as the row description reports it) of each
/// non-dropped column of `table_oid`, by attribute number.
async fn base_types(client: &Client, table_oid: u32) -> Result<HashMap<i32, u32>> {
    let sql = format!(
        "WITH RECURSIVE base(attnum, typid) AS (\
         SELECT a.attnum, a.atttypid FROM pg_catalog.pg_attribute a \
         WHERE a.attrelid = '{table_oid}'::pg_catalog.oid AND a.attnum > 0 AND NOT a.attisdropped \
         UNION ALL SELECT b.attnum, t.typbasetype FROM base b \
         JOIN pg_catalog.pg_type t ON t.oid = b.typid WHERE t.typtype = 'd') \
         SELECT b.attnum, b.typid FROM base b JOIN pg_catalog.pg_type t ON t.oid = b.typid \
         WHERE t.typtype <> 'd'"
    );
    let mut types = HashMap::new();
    for m in simple(client, &sql).await? {
        if let SimpleQueryMessage::Row(r) = m {
            let num = r.get(0).and_then(|v| v.parse::<i32>().ok());
            let typ = r.get(1).and_then(|v| v.parse::<u32>().ok());
            if let (Some(num), Some(typ)) = (num, typ) {
                types.insert(num, typ);
            }
        }
    }
    Ok(types)
}

/// Writes the INSERT statements of `table`'s rows, then the blank lines stock ends the
/// entry's data with, to `sink`, one batch of at most 100 rows at a time. `client`
/// must be inside the transaction whose snapshot is dumped.
pub async fn write_inserts(
    client: &Client,
    table: &InsertTable,
    opts: &InsertOptions,
    quoter: &Quoter,
    sink: &mut (dyn FnMut(&[u8]) -> Result<()> + Send),
) -> Result<()> {
    if table.foreign {
        set_restrict_relation_kind(client, "view").await?;
    }
    let result = cursor_inserts(client, table, opts, quoter, sink).await;
    if table.foreign {
        set_restrict_relation_kind(client, "view, foreign-table").await?;
    }
    result
}

async fn cursor_inserts(
    client: &Client,
    table: &InsertTable,
    opts: &InsertOptions,
    quoter: &Quoter,
    sink: &mut (dyn FnMut(&[u8]) -> Result<()> + Send),
) -> Result<()> {
    let types = base_types(client, table.oid).await?;
    // The cursor's fields: generated columns are dropped with --column-inserts and
    // fetched as NULL otherwise (their values are written as DEFAULT).
    let mut select = b"DECLARE _pg_dump_cursor CURSOR FOR SELECT ".to_vec();
    let mut styles = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for c in &table.columns {
        if c.generated && opts.column_inserts {
            continue;
        }
        if !styles.is_empty() {
            select.extend_from_slice(b", ");
        }
        if c.generated {
            select.extend_from_slice(b"NULL");
            styles.push(FieldStyle::Default);
        } else {
            quoter.push_ident(&mut select, c.name.as_bytes());
            styles.push(style_of(types.get(&c.num).copied().unwrap_or(0)));
        }
        names.push(&c.name);
    }
    if styles.is_empty() {
        select.extend_from_slice(b"NULL");
    }
    select.extend_from_slice(b" FROM ONLY ");
    select.extend_from_slice(&table.source);
    if let Some(cond) = &table.filter_cond {
        select.push(b' ');
        select.extend_from_slice(cond.as_bytes());
    }
    let select = String::from_utf8_lossy(&select).into_owned();
    simple(client, &select).await?;

    let mut statement = b"INSERT INTO ".to_vec();
    statement.extend_from_slice(&table.target);
    statement.push(b' ');
    if styles.is_empty() {
        statement.extend_from_slice(b"DEFAULT VALUES;\n");
    } else {
        if opts.column_inserts {
            statement.push(b'(');
            for (i, name) in names.iter().enumerate() {
                if i > 0 {
                    statement.extend_from_slice(b", ");
                }
                quoter.push_ident(&mut statement, name.as_bytes());
            }
            statement.extend_from_slice(b") ");
        }
        if table.needs_override {
            statement.extend_from_slice(b"OVERRIDING SYSTEM VALUE ");
        }
        statement.extend_from_slice(b"VALUES");
    }
    let terminator: &[u8] = if opts.on_conflict_do_nothing {
        b" ON CONFLICT DO NOTHING;\n"
    } else {
        b";\n"
    };
    let rows_per_statement = opts.rows_per_statement.max(1);
    let mut rows_this_statement = 0u32;
    let fetch = format!("FETCH {FETCH_SIZE} FROM _pg_dump_cursor");
    let mut out = Vec::new();
    loop {
        let mut fetched = 0usize;
        for m in simple(client, &fetch).await? {
            let SimpleQueryMessage::Row(row) = m else {
                continue;
            };
            fetched += 1;
            if rows_this_statement == 0 {
                out.extend_from_slice(&statement);
            }
            if styles.is_empty() {
                continue;
            }
            if rows_per_statement == 1 {
                out.extend_from_slice(b" (");
            } else if rows_this_statement > 0 {
                out.extend_from_slice(b",\n\t(");
            } else {
                out.extend_from_slice(b"\n\t(");
            }
            for (field, style) in styles.iter().enumerate() {
                if field > 0 {
                    out.extend_from_slice(b", ");
                }
                if *style == FieldStyle::Default {
                    out.extend_from_slice(b"DEFAULT");
                    continue;
                }
                let Some(value) = row.try_get(field).map_err(|e| query_error(&fetch, e))? else {
                    out.extend_from_slice(b"NULL");
                    continue;
                };
                push_value(&mut out, *style, value, quoter);
            }
            out.push(b')');
            rows_this_statement += 1;
            if rows_this_statement >= rows_per_statement {
                out.extend_from_slice(terminator);
                rows_this_statement = 0;
            }
        }
        if !out.is_empty() {
            sink(&out)?;
            out.clear();
        }
        if fetched == 0 {
            break;
        }
    }
    if rows_this_statement > 0 {
        out.extend_from_slice(terminator);
    }
    out.extend_from_slice(b"\n\n");
    sink(&out)?;
    simple(client, "CLOSE _pg_dump_cursor").await?;
    Ok(())
}

/// One non-null value as stock prints it.
fn push_value(out: &mut Vec<u8>, style: FieldStyle, value: &str, quoter: &Quoter) {
    match style {
        FieldStyle::Number => {
            if value.bytes().all(|b| b"0123456789 +-eE.".contains(&b)) {
                out.extend_from_slice(value.as_bytes());
            } else {
                // Stock quotes these (NaN, Infinity) without escaping.
                out.push(b'\'');
                out.extend_from_slice(value.as_bytes());
                out.push(b'\'');
            }
        }
        FieldStyle::Bits => {
            out.extend_from_slice(b"B'");
            out.extend_from_slice(value.as_bytes());
            out.push(b'\'');
        }
        FieldStyle::Bool => {
            out.extend_from_slice(if value == "t" { b"true" } else { b"false" });
        }
        FieldStyle::Literal | FieldStyle::Default => quoter.push_literal(out, value.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(style: FieldStyle, value: &str) -> String {
        let mut out = Vec::new();
        push_value(&mut out, style, value, &Quoter::default());
        String::from_utf8(out).expect("utf8")
    }

    #[test]
    fn values_print_as_stock() {
        assert_eq!(printed(FieldStyle::Number, "-1.5e+10"), "-1.5e+10");
        assert_eq!(printed(FieldStyle::Number, "NaN"), "'NaN'");
        assert_eq!(printed(FieldStyle::Number, "-Infinity"), "'-Infinity'");
        assert_eq!(printed(FieldStyle::Bits, "0101"), "B'0101'");
        assert_eq!(printed(FieldStyle::Bool, "t"), "true");
        assert_eq!(printed(FieldStyle::Bool, "f"), "false");
        assert_eq!(printed(FieldStyle::Literal, "it's"), "'it''s'");
        assert_eq!(style_of(NUMERIC), FieldStyle::Number);
        assert_eq!(style_of(25), FieldStyle::Literal);
    }
}
