//! BLOBS entries: the contents of a group of large objects, read in slices with
//! `lo_get(oid, offset, length)` so that no large object is ever held whole in memory.

use bytes::Bytes;
use tokio_postgres::types::Type;

use super::copy::db_message;
use super::{DataSink, ProduceCx};
use crate::catalog::CatalogError;
use crate::{Error, Result};

/// Bytes read per `lo_get` call.
const SLICE: i32 = 1 << 20;

/// Streams each large object of `oids`, in that order (the group's), into `sink`.
pub async fn produce<S: DataSink + Send>(
    cx: &ProduceCx<'_>,
    oids: &[u32],
    sink: &mut S,
) -> Result<()> {
    let sql = "SELECT pg_catalog.lo_get($1, $2, $3)";
    let failed = |oid: u32, e: tokio_postgres::Error| {
        Error::Catalog(CatalogError::Inconsistent(format!(
            "could not read large object {oid}: {}",
            db_message(&e)
        )))
    };
    let statement = cx
        .client()
        .prepare_typed(sql, &[Type::OID, Type::INT8, Type::INT4])
        .await
        .map_err(|e| failed(oids.first().copied().unwrap_or(0), e))?;
    for &oid in oids {
        sink.start_lo(oid).await?;
        let mut offset: i64 = 0;
        loop {
            let row = cx
                .client()
                .query_one(&statement, &[&oid, &offset, &SLICE])
                .await
                .map_err(|e| failed(oid, e))?;
            let bytes: Vec<u8> = row.try_get(0).map_err(|e| failed(oid, e))?;
            let got = bytes.len();
            if got > 0 {
                sink.write(Bytes::from(bytes)).await?;
            }
            if got < SLICE as usize {
                break;
            }
            offset += got as i64;
        }
        sink.end_lo().await?;
    }
    Ok(())
}
