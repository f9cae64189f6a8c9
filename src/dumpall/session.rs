//! The catalog session of a cluster dump: one connection, stock's queries sent as text,
//! results as the server prints them, `-v` logging of every statement.

use crate::conn::Connection;
use crate::{Error, Result};
use pgark_formats::quote::Quoter;
use tokio_postgres::SimpleQueryMessage;

/// One result row: each column as the server's text output, `None` for NULL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogRow(pub Vec<Option<Vec<u8>>>);

impl CatalogRow {
    /// Column `i`, `None` when NULL or absent.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        self.0.get(i).and_then(|v| v.as_deref())
    }

    /// Column `i`, empty when NULL (libpq's `PQgetvalue`).
    pub fn text(&self, i: usize) -> &[u8] {
        self.get(i).unwrap_or(b"")
    }
}

/// An open session on the server being dumped.
pub struct Session {
    pub client: tokio_postgres::Client,
    /// `server_version_num`.
    pub server_version: u32,
    /// Quoting for the dump's text (UTF8 with the server's standard_conforming_strings).
    pub quoter: Quoter,
    /// `pg_authid`, or `pg_roles` with `--no-role-passwords`.
    pub role_catalog: &'static str,
    /// `-v`: log each statement to standard error, as stock does.
    pub verbose: bool,
}

impl Session {
    /// Wraps a connection and reads what the dump needs to know of the server.
    pub async fn open(
        connection: Connection,
        role_catalog: &'static str,
        verbose: bool,
    ) -> Result<Session> {
        let Connection {
            client,
            mut notices,
            ..
        } = connection;
        // Server warnings go where stock's libpq notice processor puts them.
        tokio::spawn(async move {
            while let Some(notice) = notices.recv().await {
                eprintln!("{}: {}:  {}", crate::program::name(), notice.severity(), notice.message());
            }
        });
        let mut session = Session {
            client,
            server_version: 0,
            quoter: Quoter::default(),
            role_catalog,
            verbose,
        };
        session.server_version = session
            .setting("server_version_num")
            .await?
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| Error::Dumpall("could not read the server version".into()))?;
        session.quoter.std_strings = session
            .setting("standard_conforming_strings")
            .await?
            .as_deref()
            == Some(b"on");
        Ok(session)
    }

    /// A setting's value (`SHOW`), not logged: stock reads these from libpq's connection
    /// status without a query.
    pub async fn setting(&self, name: &str) -> Result<Option<Vec<u8>>> {
        let rows = self.query(&format!("SHOW {name}")).await?;
        Ok(rows.first().and_then(|r| r.get(0)).map(<[u8]>::to_vec))
    }

    /// Runs a query (logged with `-v`, as stock's `executeQuery`) and returns its rows.
    pub async fn rows(&self, sql: &str) -> Result<Vec<CatalogRow>> {
        self.log(sql);
        self.query(sql).await
    }

    /// Runs a statement that returns no rows (stock's `executeCommand`).
    pub async fn command(&self, sql: &str) -> Result<()> {
        self.log(sql);
        self.client
            .batch_execute(sql)
            .await
            .map_err(|e| query_failed(sql, &e))
    }

    /// A warning on standard error, as stock's `pg_log_warning`.
    pub fn warn(&self, message: &str) {
        crate::program::warn(message);
    }

    /// An informational message shown with `-v` (stock's `pg_log_info`).
    pub fn info(&self, message: &str) {
        if self.verbose {
            eprintln!("{}: {message}", crate::program::name());
        }
    }

    fn log(&self, sql: &str) {
        if self.verbose {
            // Stock's logging drops one trailing newline of a message.
            eprintln!("{}: executing {}", crate::program::name(), sql.strip_suffix('\n').unwrap_or(sql));
        }
    }

    async fn query(&self, sql: &str) -> Result<Vec<CatalogRow>> {
        let messages = self
            .client
            .simple_query(sql)
            .await
            .map_err(|e| query_failed(sql, &e))?;
        Ok(messages
            .iter()
            .filter_map(|m| match m {
                SimpleQueryMessage::Row(row) => Some(CatalogRow(
                    (0..row.len())
                        .map(|i| row.get(i).map(|v| v.as_bytes().to_vec()))
                        .collect(),
                )),
                _ => None,
            })
            .collect())
    }
}

/// Stock's wording: `query failed: <server message>` and the query.
fn query_failed(sql: &str, e: &tokio_postgres::Error) -> Error {
    let reason = match e.as_db_error() {
        Some(db) => format!("{}:  {}", db.severity(), db.message()),
        None => e.to_string(),
    };
    Error::Dumpall(format!("query failed: {reason}\nDETAIL:  Query was: {sql}"))
}
