//! One snapshot for everything (stock's `setup_connection`, `getTables` locking and
//! `lockTableForWorker`): the leader session holds ACCESS SHARE locks on every dumped
//! table for the whole dump, exports its snapshot (or passes on `--snapshot`), and each
//! worker session runs the leader's session setup and imports that snapshot in a
//! REPEATABLE READ transaction before it reads a row.
//!
//! `--no-synchronized-snapshots` was removed from pg_dump in 15 (every server pgark
//! dumps, 14 to 18, primaries and standbys alike, can export snapshots), so workers
//! always share the leader's snapshot.

use pgark_formats::quote::{Encoding, Quoter};

use crate::catalog::{Isolation, Session, SessionOptions};
use crate::conn::ConnectOptions;
use crate::dump::Collected;
use crate::objects::Components;
use crate::Result;

/// Length at which stock ends a batch of `LOCK TABLE a, b, ...` (100 kB).
const LOCK_BATCH_BYTES: usize = 100_000;

/// Takes stock's ACCESS SHARE locks on the leader session: every plain or partitioned
/// table whose definition, data or policies are dumped, in batches sent at once; with
/// `--lock-wait-timeout` the wait is bounded by `statement_timeout` (stock's way),
/// reset to 0 afterwards.
pub async fn lock_tables(
    leader: &Session,
    collected: &Collected,
    lock_wait_timeout: Option<&str>,
    quote_all_identifiers: bool,
) -> Result<()> {
    let quoter = Quoter {
        quote_all_identifiers,
        ..Quoter::new(Encoding::Utf8, leader.std_strings)
    };
    let needs_lock = Components::DEFINITION
        .with(Components::DATA)
        .with(Components::POLICY);
    let mut names = Vec::new();
    for t in &collected.catalog.tables {
        if !matches!(t.relkind, b'r' | b'p') {
            continue;
        }
        let Some(obj) = collected.catalog.objects.get(t.dump_id) else {
            continue;
        };
        if obj.dump.has(needs_lock) {
            names.push(
                String::from_utf8_lossy(
                    &quoter.qualified(Some(t.schema.as_bytes()), t.name.as_bytes()),
                )
                .into_owned(),
            );
        }
    }
    if names.is_empty() {
        return Ok(());
    }
    // Every statement is sent at once (pipelined, run in order by the server).
    let mut statements = Vec::new();
    if let Some(timeout) = lock_wait_timeout {
        let literal = quoter.literal(timeout.as_bytes());
        statements.push(format!(
            "SET statement_timeout = {}",
            String::from_utf8_lossy(&literal)
        ));
    }
    let mut batch = String::new();
    for name in &names {
        if batch.is_empty() {
            batch.push_str("LOCK TABLE ");
        } else {
            batch.push_str(", ");
        }
        batch.push_str(name);
        if batch.len() >= LOCK_BATCH_BYTES {
            batch.push_str(" IN ACCESS SHARE MODE");
            statements.push(std::mem::take(&mut batch));
        }
    }
    if !batch.is_empty() {
        batch.push_str(" IN ACCESS SHARE MODE");
        statements.push(batch);
    }
    if lock_wait_timeout.is_some() {
        statements.push("SET statement_timeout = 0".to_string());
    }
    futures_util::future::try_join_all(statements.iter().map(|sql| leader.exec(sql))).await?;
    Ok(())
}

/// The snapshot workers import: `--snapshot` when given (the leader uses it too), else
/// one the leader exports now.
pub async fn shared_snapshot(leader: &Session, requested: Option<&str>) -> Result<String> {
    match requested {
        Some(name) => Ok(name.to_string()),
        None => Ok(leader.export_snapshot().await?),
    }
}

/// Opens `count` worker sessions with the leader's session settings, each importing
/// `snapshot` in a REPEATABLE READ, READ ONLY transaction (stock's kluge for
/// `--serializable-deferrable`: the snapshot was taken SERIALIZABLE DEFERRABLE by the
/// leader, which keeps its guarantees).
pub async fn open_workers(
    connect: &ConnectOptions,
    leader_options: &SessionOptions,
    snapshot: &str,
    count: usize,
) -> Result<Vec<Session>> {
    let options = SessionOptions {
        isolation: Isolation::RepeatableRead,
        snapshot: Some(snapshot.to_string()),
        ..leader_options.clone()
    };
    let opened = futures_util::future::try_join_all((0..count).map(|_| async {
        let connection = connect.connect().await?;
        Ok::<_, crate::Error>(Session::open(connection, &options).await?)
    }))
    .await?;
    Ok(opened)
}
