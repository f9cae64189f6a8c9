//! TABLE DATA through `COPY ... TO stdout`: a whole table (stock's statement), or one
//! block range of a split table (`COPY (SELECT ... WHERE ctid ...)`, a TID range scan
//! on 14+), each ended with the `\.` terminator stock stores.

use std::task::Poll;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use pgark_formats::quote::Quoter;

use super::{BlockRange, DataSink, ProduceCx};
use crate::catalog::CatalogError;
use crate::conn::CopyTap;
use crate::dump::toc::{EmitCx, EmitOptions};
use crate::objects::table_data::{copy_columns, copy_out_sql};
use crate::{Error, Result};

/// What ends every COPY data stream in an archive (as pg_dump writes it).
pub const COPY_TERMINATOR: &[u8] = b"\\.\n\n\n";

/// The data of a split table's anchor entry: no rows (the parts carry them).
pub async fn produce_empty<S: DataSink + Send>(sink: &mut S) -> Result<()> {
    sink.write(Bytes::from_static(COPY_TERMINATOR)).await
}

/// Streams the rows of `table_oid` (or of `range` of its blocks) into `sink`.
pub async fn produce<S: DataSink + Send>(
    cx: &ProduceCx<'_>,
    table_oid: u32,
    range: Option<BlockRange>,
    sink: &mut S,
) -> Result<()> {
    let quoter = Quoter {
        quote_all_identifiers: cx.args.quote_all_identifiers,
        ..Quoter::default()
    };
    let opts = EmitOptions::default();
    let ecx = EmitCx {
        catalog: &cx.collected.catalog,
        quoter,
        opts: &opts,
    };
    let table = ecx.catalog.table_by_oid(table_oid).ok_or_else(|| {
        Error::Catalog(CatalogError::Inconsistent(format!(
            "table with OID {table_oid} vanished from the catalog"
        )))
    })?;
    let qualified = ecx.qualified(&table.schema, &table.name);
    if cx.worker_lock {
        lock_nowait(cx, &qualified, &table.name).await?;
    }
    let sql = match range {
        None => copy_out_sql(&ecx, table_oid).unwrap_or_default(),
        Some(r) => range_copy_sql(&qualified, &copy_columns(&ecx, table_oid), r),
    };
    let failed = |detail: String| {
        Error::Catalog(CatalogError::Inconsistent(format!(
            "Dumping the contents of table \"{}\" failed: {detail}\nThe command was: {sql}",
            table.name
        )))
    };
    match cx.session.connection.copy_tap.as_ref() {
        Some(tap) => read_tapped(cx, tap, &sql, sink, failed).await?,
        None => {
            let stream = cx
                .client()
                .copy_out(sql.as_str())
                .await
                .map_err(|e| failed(db_message(&e)))?;
            let mut stream = std::pin::pin!(stream);
            while let Some(chunk) = stream.next().await {
                sink.write(chunk.map_err(|e| failed(db_message(&e)))?)
                    .await?;
            }
        }
    }
    sink.write(Bytes::from_static(COPY_TERMINATOR)).await
}

/// One step of [`read_tapped`].
enum Step {
    Rows(Bytes),
    End,
    Failed(tokio_postgres::Error),
    /// A row that bypassed the tap (cannot happen: the tap is armed before the
    /// statement is sent).
    Stray,
}

/// Runs the COPY with `tap` armed: tokio-postgres runs the statement and reports how it
/// ends, the rows come from the tap in large chunks (see `conn::copy_tap`).
async fn read_tapped<S: DataSink + Send>(
    cx: &ProduceCx<'_>,
    tap: &CopyTap,
    sql: &str,
    sink: &mut S,
    failed: impl Fn(String) -> Error,
) -> Result<()> {
    let armed = tap.arm();
    let stream = cx
        .client()
        .copy_out(sql)
        .await
        .map_err(|e| failed(db_message(&e)))?;
    let mut stream = std::pin::pin!(stream);
    loop {
        let step = std::future::poll_fn(|task| {
            if let Poll::Ready(rows) = armed.poll_chunk(task) {
                return Poll::Ready(Step::Rows(rows));
            }
            match stream.as_mut().poll_next(task) {
                Poll::Ready(None) => Poll::Ready(Step::End),
                Poll::Ready(Some(Err(e))) => Poll::Ready(Step::Failed(e)),
                Poll::Ready(Some(Ok(_))) => Poll::Ready(Step::Stray),
                Poll::Pending => Poll::Pending,
            }
        })
        .await;
        match step {
            Step::Rows(rows) => sink.write(rows).await?,
            Step::End => break,
            Step::Failed(e) => return Err(failed(db_message(&e))),
            Step::Stray => {
                return Err(failed(
                    "internal: a COPY row bypassed the connection's row reader".into(),
                ))
            }
        }
    }
    let rest = armed.take_rest();
    if !rest.is_empty() {
        sink.write(rest).await?;
    }
    Ok(())
}

/// `COPY (SELECT cols FROM ONLY t WHERE ctid >= '(a,0)' AND ctid < '(b,0)') TO stdout;`
/// — the same text rows as `COPY t (cols) TO stdout` restricted to blocks `a..b`.
pub fn range_copy_sql(qualified: &str, columns: &str, range: BlockRange) -> String {
    let list = columns
        .strip_prefix('(')
        .and_then(|c| c.strip_suffix(')'))
        .unwrap_or("");
    let mut conds = Vec::new();
    if range.start > 0 {
        conds.push(format!("ctid >= '({},0)'::pg_catalog.tid", range.start));
    }
    if let Some(end) = range.end {
        conds.push(format!("ctid < '({end},0)'::pg_catalog.tid"));
    }
    let filter = if conds.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conds.join(" AND "))
    };
    format!("COPY (SELECT {list} FROM ONLY {qualified}{filter}) TO stdout;")
}

/// Stock's `lockTableForWorker`.
async fn lock_nowait(cx: &ProduceCx<'_>, qualified: &str, name: &str) -> Result<()> {
    let sql = format!("LOCK TABLE {qualified} IN ACCESS SHARE MODE NOWAIT");
    cx.client().simple_query(&sql).await.map_err(|e| {
        Error::Catalog(CatalogError::Inconsistent(format!(
            "could not obtain lock on relation \"{name}\"\nThis usually means that someone \
             requested an ACCESS EXCLUSIVE lock on the table after the pg_dump parent process \
             had gotten the initial ACCESS SHARE lock on the table.\n{}",
            db_message(&e)
        )))
    })?;
    Ok(())
}

/// The server's message when there is one, else the client error.
pub fn db_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_statements() {
        let first = BlockRange {
            start: 0,
            end: Some(10),
        };
        assert_eq!(
            range_copy_sql("public.t", "(a, b)", first),
            "COPY (SELECT a, b FROM ONLY public.t WHERE ctid < '(10,0)'::pg_catalog.tid) TO stdout;"
        );
        let last = BlockRange {
            start: 10,
            end: None,
        };
        assert_eq!(
            range_copy_sql("public.t", "", last),
            "COPY (SELECT  FROM ONLY public.t WHERE ctid >= '(10,0)'::pg_catalog.tid) TO stdout;"
        );
    }
}
