//! The catalog-reading session of `pgark dump`: stock pg_dump's `setup_connection`
//! (secure search_path, DateStyle, timeouts, row_security, REPEATABLE READ READ ONLY
//! snapshot), the server's version as a type, and small helpers that run one bulk
//! catalog query and hand back its rows as text, as libpq gives them to pg_dump.
//!
//! Queries go through the simple-query protocol on purpose: every value arrives in the
//! server's text form (`pg_get_*def()` output, `oid`, `'t'/'f'`, `"char"`), exactly the
//! bytes stock pg_dump reads, so no type mapping can drift from stock.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use thiserror::Error;
use tokio::sync::oneshot;
use tokio_postgres::{SimpleQueryMessage, SimpleQueryRow};

use crate::conn::Connection;

/// A failure while reading the catalogs: the statement that failed and why.
#[derive(Debug, Error)]
pub enum CatalogError {
    #[error("query failed: {detail}\nQuery was: {query}")]
    Query { query: String, detail: String },
    #[error("unexpected value in column \"{column}\" of {what}: {value:?}")]
    BadValue {
        what: String,
        column: String,
        value: String,
    },
    #[error("query result lacks column \"{column}\" ({what})")]
    MissingColumn { what: String, column: String },
    #[error("server version {0} is not supported (pgark dumps servers 14 to 18)")]
    UnsupportedServer(String),
    #[error("{0}")]
    Inconsistent(String),
}

/// The server's `server_version_num`, e.g. 180006.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServerVersion(pub u32);

impl ServerVersion {
    pub const PG14: ServerVersion = ServerVersion(140000);
    pub const PG15: ServerVersion = ServerVersion(150000);
    pub const PG16: ServerVersion = ServerVersion(160000);
    pub const PG17: ServerVersion = ServerVersion(170000);
    pub const PG18: ServerVersion = ServerVersion(180000);

    pub fn at_least(self, other: ServerVersion) -> bool {
        self >= other
    }
    pub fn major(self) -> u32 {
        self.0 / 10000
    }
}

impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0 / 10000, self.0 % 10000)
    }
}

/// Transaction mode of the dump snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// `REPEATABLE READ, READ ONLY` (stock's default).
    RepeatableRead,
    /// `SERIALIZABLE, READ ONLY, DEFERRABLE` (`--serializable-deferrable`).
    SerializableDeferrable,
}

/// How the session is set up (the subset of pg_dump options `setup_connection` reads).
#[derive(Debug, Clone)]
pub struct SessionOptions {
    pub isolation: Isolation,
    /// `--role`
    pub role: Option<String>,
    /// `--extra-float-digits` (default 3)
    pub extra_float_digits: Option<i32>,
    /// `--quote-all-identifiers`
    pub quote_all_identifiers: bool,
    /// `--enable-row-security`
    pub enable_row_security: bool,
    /// `--snapshot`
    pub snapshot: Option<String>,
    /// `-E`: client encoding to request (default: the database's).
    pub encoding: Option<String>,
}

/// One open catalog snapshot: the connection after stock's session setup, inside the
/// read-only transaction every catalog query runs in.
pub struct Session {
    pub connection: Connection,
    pub version: ServerVersion,
    /// `server_version` as the server reports it (`18.6`), for headers.
    pub version_text: String,
    /// The client encoding of the session (the database's unless `-E`).
    pub encoding: String,
    pub std_strings: bool,
    /// The connected database's name.
    pub database: String,
    /// Results another session is reading ahead ([`Session::prefetch`]).
    prefetched: Prefetched,
}

/// Statements a helper session runs ahead of the collectors, by exact SQL text.
#[derive(Default)]
struct Prefetched(Mutex<HashMap<String, oneshot::Receiver<Result<Rows, CatalogError>>>>);

impl Session {
    /// Runs stock pg_dump's `setup_connection` on `connection`, in its order.
    pub async fn open(
        connection: Connection,
        options: &SessionOptions,
    ) -> Result<Session, CatalogError> {
        let client = &connection.client;
        exec(
            client,
            "SELECT pg_catalog.set_config('search_path', '', false);",
        )
        .await?;
        let info = query(
            client,
            "SELECT current_setting('server_version_num'), current_setting('server_version'), \
             pg_catalog.pg_encoding_to_char(encoding), current_setting('standard_conforming_strings'), \
             current_database() FROM pg_catalog.pg_database WHERE datname = current_database()",
        )
        .await?;
        let row = info.rows.first().ok_or_else(|| {
            CatalogError::Inconsistent("current database not found in pg_database".into())
        })?;
        let num = row.get(0).unwrap_or("");
        let version = num
            .parse::<u32>()
            .map(ServerVersion)
            .map_err(|_| CatalogError::UnsupportedServer(num.to_string()))?;
        if version < ServerVersion::PG14 || version.major() > 18 {
            return Err(CatalogError::UnsupportedServer(
                row.get(1).unwrap_or(num).to_string(),
            ));
        }
        let encoding = match &options.encoding {
            Some(e) => e.clone(),
            None => row.get(2).unwrap_or("UTF8").to_string(),
        };
        let std_strings = row.get(3) == Some("on");
        let version_text = row.get(1).unwrap_or("").to_string();
        let database = row.get(4).unwrap_or("").to_string();
        // tokio-postgres decodes text as UTF-8, so the wire stays UTF8; the archive still
        // records the database's encoding (pg_dump's default client encoding).
        if let Some(role) = &options.role {
            let q = pgark_formats::quote::Quoter::default();
            let sql = format!(
                "SET ROLE {}",
                String::from_utf8_lossy(&q.ident(role.as_bytes()))
            );
            exec(client, &sql).await?;
        }
        exec(client, "SET DATESTYLE = ISO").await?;
        exec(client, "SET INTERVALSTYLE = POSTGRES").await?;
        exec(
            client,
            &format!(
                "SET extra_float_digits TO {}",
                options.extra_float_digits.unwrap_or(3)
            ),
        )
        .await?;
        exec(client, "SET synchronize_seqscans TO off").await?;
        exec(client, "SET statement_timeout = 0").await?;
        exec(client, "SET lock_timeout = 0").await?;
        exec(client, "SET idle_in_transaction_session_timeout = 0").await?;
        if version.at_least(ServerVersion::PG17) {
            exec(client, "SET transaction_timeout = 0").await?;
        }
        if options.quote_all_identifiers {
            exec(client, "SET quote_all_identifiers = true").await?;
        }
        exec(
            client,
            if options.enable_row_security {
                "SET row_security = on"
            } else {
                "SET row_security = off"
            },
        )
        .await?;
        // Only servers with the CVE-2024-7348 fix know this setting; stock sets it
        // through pg_settings so older minors are not an error.
        exec(
            client,
            "SELECT set_config(name, 'view, foreign-table', false) FROM pg_settings \
             WHERE name = 'restrict_nonsystem_relation_kind'",
        )
        .await?;
        exec(client, "BEGIN").await?;
        match options.isolation {
            Isolation::SerializableDeferrable if options.snapshot.is_none() => {
                exec(
                    client,
                    "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE, READ ONLY, DEFERRABLE",
                )
                .await?
            }
            _ => {
                exec(
                    client,
                    "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                )
                .await?
            }
        }
        if let Some(snapshot) = &options.snapshot {
            let q = pgark_formats::quote::Quoter::new(
                pgark_formats::quote::Encoding::Utf8,
                std_strings,
            );
            let sql = format!(
                "SET TRANSACTION SNAPSHOT {}",
                String::from_utf8_lossy(&q.literal(snapshot.as_bytes()))
            );
            exec(client, &sql).await?;
        }
        Ok(Session {
            connection,
            version,
            version_text,
            encoding,
            std_strings,
            database,
            prefetched: Prefetched::default(),
        })
    }

    /// Has `helper` (a session in this session's snapshot, with its settings: see
    /// `dump::data::snapshot::open_workers`) run `statements` in a task of its own,
    /// all sent at once so the server runs them back to back while this session's
    /// client is busy: [`Session::query`] of the same text then takes the helper's
    /// rows, the very ones it would read here.
    ///
    /// `helper` is still being opened: this session's queries go on meanwhile, and one
    /// of `statements` waits for the helper only if it gets there first. `setup` runs
    /// on the helper before `statements`; a helper that fails to open, or whose setup
    /// fails, leaves every statement to this session.
    pub fn prefetch(
        &self,
        helper: impl std::future::Future<Output = Option<Session>> + Send + 'static,
        setup: &'static str,
        statements: Vec<String>,
    ) {
        let mut senders = Vec::with_capacity(statements.len());
        {
            let mut pending = self.prefetched.0.lock().unwrap_or_else(|e| e.into_inner());
            for sql in &statements {
                let (sender, receiver) = oneshot::channel();
                pending.insert(sql.clone(), receiver);
                senders.push(sender);
            }
        }
        tokio::spawn(async move {
            let Some(helper) = helper.await else {
                return;
            };
            if exec(&helper.connection.client, setup).await.is_err() {
                return;
            }
            let helper = &helper;
            let runs = statements
                .iter()
                .zip(senders)
                .map(|(sql, sender)| async move {
                    // The collector may have stopped waiting (an error elsewhere).
                    let _ = sender.send(query(&helper.connection.client, sql).await);
                });
            futures_util::future::join_all(runs).await;
        });
    }

    /// Runs one catalog query and returns all its rows (read by a helper session
    /// when [`Session::prefetch`] gave it this statement).
    pub async fn query(&self, sql: &str) -> Result<Rows, CatalogError> {
        let prefetched = self
            .prefetched
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(sql);
        if let Some(receiver) = prefetched {
            // A statement that failed on the helper runs here again: a failure aborts
            // the helper's transaction, so its later statements fail for that reason
            // only, and this session's own error is the one to report.
            if let Ok(Ok(rows)) = receiver.await {
                return Ok(rows);
            }
        }
        query(&self.connection.client, sql).await
    }

    /// Runs a statement whose result is not needed.
    pub async fn exec(&self, sql: &str) -> Result<(), CatalogError> {
        exec(&self.connection.client, sql).await
    }

    /// Exports this session's snapshot (`pg_export_snapshot()`, stock's
    /// `get_synchronized_snapshot`) so that worker sessions can import it with
    /// [`SessionOptions::snapshot`]; it stays importable while this transaction is open.
    pub async fn export_snapshot(&self) -> Result<String, CatalogError> {
        let sql = "SELECT pg_catalog.pg_export_snapshot()";
        let rows = self.query(sql).await?;
        rows.rows
            .first()
            .and_then(|r| r.get(0))
            .map(str::to_string)
            .ok_or_else(|| CatalogError::Inconsistent(format!("{sql} returned no row")))
    }
}

fn db_error(sql: &str, e: tokio_postgres::Error) -> CatalogError {
    let detail = match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    };
    CatalogError::Query {
        query: sql.to_string(),
        detail,
    }
}

async fn exec(client: &tokio_postgres::Client, sql: &str) -> Result<(), CatalogError> {
    client
        .simple_query(sql)
        .await
        .map_err(|e| db_error(sql, e))?;
    Ok(())
}

async fn query(client: &tokio_postgres::Client, sql: &str) -> Result<Rows, CatalogError> {
    let messages = client
        .simple_query(sql)
        .await
        .map_err(|e| db_error(sql, e))?;
    let mut rows = Vec::new();
    let mut columns = ColumnIndex::default();
    for m in messages {
        match m {
            SimpleQueryMessage::RowDescription(desc) => {
                columns = desc
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (c.name().to_string(), i))
                    .collect();
            }
            SimpleQueryMessage::Row(row) => {
                if columns.is_empty() {
                    columns = row
                        .columns()
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (c.name().to_string(), i))
                        .collect();
                }
                rows.push(row);
            }
            _ => {}
        }
    }
    Ok(Rows::new(columns, rows, first_line(sql)))
}

fn first_line(sql: &str) -> String {
    sql.chars().take(60).collect()
}

/// FNV-1a: column names are short and looked up once per cell, where SipHash's
/// setup cost dominates; no untrusted input chooses the keys.
struct ColumnNameHasher(u64);

impl Default for ColumnNameHasher {
    fn default() -> Self {
        ColumnNameHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for ColumnNameHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

type ColumnIndex = HashMap<String, usize, BuildHasherDefault<ColumnNameHasher>>;

/// Slots of [`Rows`]' cache of column lookups.
const LOOKUP_SLOTS: usize = 64;

/// The rows of one query, with columns looked up by name (`PQfnumber`).
pub struct Rows {
    columns: ColumnIndex,
    /// Column names by index, to check a cached lookup.
    names: Vec<String>,
    /// Column index + 1 (0: empty) by the address of the name last looked up in the
    /// slot: collectors name columns with string literals, the same ones for every
    /// row, so a row's cells are found by one comparison each instead of hashing the
    /// name every time. A hit is checked against `names`, so any `&str` works.
    lookups: [AtomicU32; LOOKUP_SLOTS],
    pub rows: Vec<SimpleQueryRow>,
    what: String,
}

impl Rows {
    fn new(columns: ColumnIndex, rows: Vec<SimpleQueryRow>, what: String) -> Rows {
        let mut names = vec![String::new(); columns.len()];
        for (name, &i) in &columns {
            if let Some(slot) = names.get_mut(i) {
                slot.clone_from(name);
            }
        }
        Rows {
            columns,
            names,
            lookups: std::array::from_fn(|_| AtomicU32::new(0)),
            rows,
            what,
        }
    }
    pub fn len(&self) -> usize {
        self.rows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
    /// Iterates rows with typed accessors.
    pub fn iter(&self) -> impl Iterator<Item = RowRef<'_>> {
        self.rows.iter().map(move |row| RowRef { rows: self, row })
    }
    fn index(&self, column: &str) -> Result<usize, CatalogError> {
        // Fibonacci hashing of the name's address picks the slot.
        let slot = ((column.as_ptr() as usize as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58)
            as usize
            % LOOKUP_SLOTS;
        let cached = self.lookups[slot].load(Ordering::Relaxed) as usize;
        if cached != 0 && self.names.get(cached - 1).is_some_and(|n| n == column) {
            return Ok(cached - 1);
        }
        let i = self
            .columns
            .get(column)
            .copied()
            .ok_or_else(|| CatalogError::MissingColumn {
                what: self.what.clone(),
                column: column.to_string(),
            })?;
        if let Ok(stored) = u32::try_from(i + 1) {
            self.lookups[slot].store(stored, Ordering::Relaxed);
        }
        Ok(i)
    }
}

/// One row with accessors that name the column in their errors.
#[derive(Clone, Copy)]
pub struct RowRef<'a> {
    rows: &'a Rows,
    row: &'a SimpleQueryRow,
}

impl<'a> RowRef<'a> {
    /// The value, `None` for SQL NULL.
    pub fn opt(&self, column: &str) -> Result<Option<&'a str>, CatalogError> {
        let i = self.rows.index(column)?;
        Ok(self.row.get(i))
    }
    /// The value; NULL reads as the empty string (`PQgetvalue`).
    pub fn text(&self, column: &str) -> Result<&'a str, CatalogError> {
        Ok(self.opt(column)?.unwrap_or(""))
    }
    pub fn string(&self, column: &str) -> Result<String, CatalogError> {
        Ok(self.text(column)?.to_string())
    }
    pub fn opt_string(&self, column: &str) -> Result<Option<String>, CatalogError> {
        Ok(self.opt(column)?.map(str::to_string))
    }
    pub fn is_null(&self, column: &str) -> Result<bool, CatalogError> {
        Ok(self.opt(column)?.is_none())
    }
    /// `t`/`f` as bool (NULL is false, as stock's `*PQgetvalue == 't'`).
    pub fn bool(&self, column: &str) -> Result<bool, CatalogError> {
        Ok(self.text(column)? == "t")
    }
    /// An OID (NULL or empty is 0, as `atooid`).
    pub fn oid(&self, column: &str) -> Result<u32, CatalogError> {
        let v = self.text(column)?;
        if v.is_empty() {
            return Ok(0);
        }
        v.parse().map_err(|_| self.bad(column, v))
    }
    pub fn i32(&self, column: &str) -> Result<i32, CatalogError> {
        let v = self.text(column)?;
        if v.is_empty() {
            return Ok(0);
        }
        v.parse().map_err(|_| self.bad(column, v))
    }
    pub fn i64(&self, column: &str) -> Result<i64, CatalogError> {
        let v = self.text(column)?;
        if v.is_empty() {
            return Ok(0);
        }
        v.parse().map_err(|_| self.bad(column, v))
    }
    /// A `"char"` column's byte (0 for NULL or empty).
    pub fn char(&self, column: &str) -> Result<u8, CatalogError> {
        Ok(self.text(column)?.bytes().next().unwrap_or(0))
    }
    /// An error for a value that does not decode.
    pub fn bad(&self, column: &str, value: &str) -> CatalogError {
        CatalogError::BadValue {
            what: self.rows.what.clone(),
            column: column.to_string(),
            value: value.to_string(),
        }
    }
}

/// Parses `{1,2,3}` (an `oid[]`/`int2[]` in text form) into numbers.
pub fn parse_int_array<T: std::str::FromStr>(text: &str) -> Vec<T> {
    text.trim_start_matches('{')
        .trim_end_matches('}')
        .split(',')
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// Parses a whitespace-separated `oidvector`/`int2vector` text form.
pub fn parse_vector<T: std::str::FromStr>(text: &str) -> Vec<T> {
    text.split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// Parses a `text[]`/`name[]` output form (`{a,"b c"}`) into its elements.
pub fn parse_text_array_owned(s: &str) -> Vec<String> {
    crate::objects::table::parse_text_array(s)
}
