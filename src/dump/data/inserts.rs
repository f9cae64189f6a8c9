//! The INSERT-statement producer (`--inserts` family) seen through [`DataSink`]: the
//! statements are written by `commands::dump::insert_data` (owned by the INSERT
//! options) through a synchronous callback; this adapter forwards them to the async
//! sink while they are produced, so nothing accumulates beyond one fetch of rows.

use bytes::Bytes;
use tokio::sync::mpsc;

use super::{DataSink, ProduceCx};
use crate::commands::dump::{insert_data, insert_options};
use crate::Result;

pub async fn produce<S: DataSink + Send>(cx: &ProduceCx<'_>, sink: &mut S) -> Result<()> {
    let Some(opts) = insert_options(cx.args) else {
        return Ok(());
    };
    let (tx, mut rx) = mpsc::unbounded_channel::<Bytes>();
    let statements = async move {
        let mut push = move |b: &[u8]| -> Result<()> {
            // The receiver lives until this future ends; a send cannot fail before.
            let _ = tx.send(Bytes::copy_from_slice(b));
            Ok(())
        };
        insert_data(
            cx.args,
            cx.session,
            cx.collected,
            cx.entry,
            &opts,
            &mut push,
        )
        .await
    };
    let forward = async {
        while let Some(bytes) = rx.recv().await {
            sink.write(bytes).await?;
        }
        Ok(())
    };
    futures_util::future::try_join(statements, forward).await?;
    Ok(())
}
