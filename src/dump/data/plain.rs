//! Plain output with streamed data: the synchronous script renderer runs on its own
//! thread and asks for each entry's data when it reaches it; this side runs the
//! producer on the snapshot connection and feeds the bytes through a bounded channel.
//! Nothing is held beyond a few batches of rows, whatever the table size.

use std::collections::HashMap;
use std::io::{Read, Write};

use bytes::{Bytes, BytesMut};
use pgark_formats::model::{DumpId, Toc, TocEntry};
use pgark_formats::script::{render_script, DataSource, ScriptOptions};
use pgark_formats::select::Plan;
use tokio::sync::{mpsc, oneshot};

use super::plan::job_for_entry;
use super::{produce, DataSink, ProduceCx};
use crate::catalog::Session;
use crate::cli::dump::DumpArgs;
use crate::dump::Collected;
use crate::{Error, Result};

/// Bytes gathered before a batch crosses to the renderer (COPY yields one row per
/// message; one message per row would cost more than the rows).
const BATCH_BYTES: usize = 64 << 10;

/// Batches in flight between producer and renderer.
const BATCHES_IN_FLIGHT: usize = 8;

enum Piece {
    Bytes(Bytes),
    LoStart(u32),
    LoEnd,
    /// The entry's data is complete.
    End,
}

struct Request {
    dump_id: DumpId,
    reply: mpsc::Sender<Piece>,
}

/// Renders the plain script of `toc` into `out` on a separate thread, with data
/// produced on `session`; returns `out` when done.
pub async fn render<W: Write + Send + 'static>(
    args: &DumpArgs,
    session: &Session,
    collected: &Collected,
    toc: &Toc,
    plan: Plan,
    options: ScriptOptions,
    mut out: W,
) -> Result<W> {
    crate::dump::progress::begin_plain(session, toc, &plan).await?;
    let (req_tx, mut req_rx) = mpsc::channel::<Request>(1);
    let (done_tx, done_rx) = oneshot::channel();
    let thread_toc = toc.clone();
    std::thread::Builder::new()
        .name("pgark-render".into())
        .spawn(move || {
            let mut source = Bridge { requests: req_tx };
            let rendered =
                render_script(&thread_toc, plan.items(), &options, &mut source, &mut out);
            drop(source);
            let _ = done_tx.send(rendered.map(|_| out));
        })
        .map_err(|e| Error::Io {
            path: RENDERER.into(),
            source: e,
        })?;
    let entries: HashMap<DumpId, &TocEntry> = toc.entries.iter().map(|e| (e.dump_id, e)).collect();
    let served = async {
        while let Some(request) = req_rx.recv().await {
            let entry = entries.get(&request.dump_id).copied().ok_or_else(|| {
                Error::Usage(format!("internal: no TOC entry {}", request.dump_id))
            })?;
            let job = job_for_entry(collected, entry)?;
            let cx = ProduceCx {
                session,
                collected,
                args,
                entry,
                worker_lock: false,
            };
            let mut sink = ChannelSink {
                reply: request.reply,
                batch: BytesMut::new(),
            };
            produce(&cx, &job, &mut sink).await?;
            sink.flush().await?;
            // A renderer that stopped reading reports its own error.
            let _ = sink.reply.send(Piece::End).await;
        }
        Ok::<(), Error>(())
    }
    .await;
    // Dropping the request channel lets a renderer still waiting for work end.
    drop(req_rx);
    let rendered = done_rx.await;
    crate::dump::progress::finish();
    match (served, rendered) {
        // A renderer that stopped reading failed first: its error says why.
        (Err(e), Ok(Err(render_error))) if is_renderer_gone(&e) => Err(render_error.into()),
        (Err(e), _) => Err(e),
        (Ok(()), Ok(Ok(out))) => Ok(out),
        (Ok(()), Ok(Err(e))) => Err(e.into()),
        (Ok(()), Err(_)) => Err(Error::Io {
            path: RENDERER.into(),
            source: std::io::Error::other("the renderer stopped without a result"),
        }),
    }
}

const RENDERER: &str = "script renderer thread";

fn is_renderer_gone(e: &Error) -> bool {
    matches!(e, Error::Io { path, .. } if path == RENDERER)
}

/// The producer's side: batches bytes into the renderer's channel.
struct ChannelSink {
    reply: mpsc::Sender<Piece>,
    batch: BytesMut,
}

impl ChannelSink {
    async fn send(&mut self, piece: Piece) -> Result<()> {
        self.reply.send(piece).await.map_err(|_| renderer_gone())
    }
    async fn flush(&mut self) -> Result<()> {
        if !self.batch.is_empty() {
            let bytes = self.batch.split().freeze();
            self.send(Piece::Bytes(bytes)).await?;
        }
        Ok(())
    }
}

fn renderer_gone() -> Error {
    Error::Io {
        path: RENDERER.into(),
        source: std::io::Error::other("the renderer stopped reading data"),
    }
}

impl DataSink for ChannelSink {
    async fn write(&mut self, bytes: Bytes) -> Result<()> {
        if bytes.len() >= BATCH_BYTES && self.batch.is_empty() {
            return self.send(Piece::Bytes(bytes)).await;
        }
        self.batch.extend_from_slice(&bytes);
        if self.batch.len() >= BATCH_BYTES {
            self.flush().await?;
        }
        Ok(())
    }
    async fn start_lo(&mut self, oid: u32) -> Result<()> {
        self.flush().await?;
        self.send(Piece::LoStart(oid)).await
    }
    async fn end_lo(&mut self) -> Result<()> {
        self.flush().await?;
        self.send(Piece::LoEnd).await
    }
}

/// The renderer's side: a [`DataSource`] that asks the producer for each entry.
struct Bridge {
    requests: mpsc::Sender<Request>,
}

impl Bridge {
    fn ask(&mut self, entry: &TocEntry) -> pgark_formats::Result<mpsc::Receiver<Piece>> {
        let (reply, rx) = mpsc::channel(BATCHES_IN_FLIGHT);
        self.requests
            .blocking_send(Request {
                dump_id: entry.dump_id,
                reply,
            })
            .map_err(|_| producer_gone())?;
        Ok(rx)
    }
}

fn producer_gone() -> pgark_formats::Error {
    format_io(
        "table data",
        std::io::Error::other("the data producer stopped"),
    )
}

fn format_io(path: &str, source: std::io::Error) -> pgark_formats::Error {
    pgark_formats::Error::Io {
        path: path.into(),
        source,
    }
}

/// Reads one stream of pieces up to `LoEnd` (a large object) or `End` (table data).
struct PieceReader<'a> {
    rx: &'a mut mpsc::Receiver<Piece>,
    current: Bytes,
    ended: bool,
}

impl Read for PieceReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            if self.ended {
                return Ok(0);
            }
            match self.rx.blocking_recv() {
                Some(Piece::Bytes(b)) => self.current = b,
                Some(Piece::LoEnd | Piece::End) => self.ended = true,
                Some(Piece::LoStart(_)) => {
                    return Err(std::io::Error::other("large object started inside data"))
                }
                None => return Err(std::io::Error::other("the data producer stopped")),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// Table data read through a channel it owns.
struct OwnedPieceReader {
    rx: mpsc::Receiver<Piece>,
    current: Bytes,
    ended: bool,
}

impl Read for OwnedPieceReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut inner = PieceReader {
            rx: &mut self.rx,
            current: std::mem::take(&mut self.current),
            ended: self.ended,
        };
        let n = inner.read(buf);
        self.current = inner.current;
        self.ended = inner.ended;
        n
    }
}

impl DataSource for Bridge {
    fn entry_data(
        &mut self,
        entry: &TocEntry,
    ) -> pgark_formats::Result<Option<Box<dyn Read + '_>>> {
        let rx = self.ask(entry)?;
        Ok(Some(Box::new(OwnedPieceReader {
            rx,
            current: Bytes::new(),
            ended: false,
        })))
    }

    fn large_objects(
        &mut self,
        entry: &TocEntry,
        each: &mut dyn FnMut(u32, &mut dyn Read) -> pgark_formats::Result<()>,
    ) -> pgark_formats::Result<()> {
        let mut rx = self.ask(entry)?;
        loop {
            match rx.blocking_recv() {
                Some(Piece::LoStart(oid)) => {
                    let mut reader = PieceReader {
                        rx: &mut rx,
                        current: Bytes::new(),
                        ended: false,
                    };
                    each(oid, &mut reader)?;
                    // Whatever the consumer left unread of this object.
                    let mut sink = std::io::sink();
                    std::io::copy(&mut reader, &mut sink)
                        .map_err(|e| format_io("large object", e))?;
                }
                Some(Piece::End) => return Ok(()),
                Some(Piece::Bytes(_) | Piece::LoEnd) => {
                    return Err(format_io(
                        "large object",
                        std::io::Error::other("data outside a large object"),
                    ))
                }
                None => return Err(producer_gone()),
            }
        }
    }
}
