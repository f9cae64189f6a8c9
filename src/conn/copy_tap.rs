//! The lean path for the rows of `COPY ... TO STDOUT`: the connection's byte stream
//! passes through a [`TapStream`] under tokio-postgres. While a COPY is armed
//! ([`CopyTap::arm`]), the tap lifts the payloads of its CopyData messages out of the
//! stream into a shared buffer, and forwards every other message (CopyOutResponse,
//! CopyDone, ErrorResponse, notices, ReadyForQuery, ...) to tokio-postgres unchanged.
//! tokio-postgres thus still runs the protocol, reports the server's errors in its usual
//! way and sees the COPY end (as a COPY of no rows), while the reader takes the rows in
//! chunks of [`CHUNK_BYTES`]: one hand-off per few thousand rows instead of one message,
//! allocation and wake-up per row, which made pgark's client cost more CPU than libpq's.
//!
//! Memory is bounded: the tap stops reading the socket while [`ROWS_CAP`] bytes of rows
//! wait for the reader (the server then waits, as with any slow client).
//!
//! The tap sits above TLS (it must see the plaintext protocol), so it wraps the socket of
//! unencrypted connections and the TLS stream of encrypted ones.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Rows handed to the reader at once (fewer only at the end of a COPY).
pub const CHUNK_BYTES: usize = 256 << 10;

/// Rows the tap holds for the reader before it stops reading the socket.
pub const ROWS_CAP: usize = 4 * CHUNK_BYTES;

/// Bytes read from the socket at once.
const READ_BYTES: usize = 256 << 10;

/// The protocol's message tags the tap acts on (backend messages).
const COPY_OUT_RESPONSE: u8 = b'H';
const COPY_DATA: u8 = b'd';
const COPY_DONE: u8 = b'c';
const ERROR_RESPONSE: u8 = b'E';
const READY_FOR_QUERY: u8 = b'Z';

/// Where a diverted COPY's rows go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Diverting {
    /// Not inside a diverted COPY.
    No,
    /// Into `rows`, for the reader.
    ToReader,
    /// Dropped: the reader went away before the COPY ended.
    Discard,
}

/// What the tap (in the connection's driver task) and the reader share.
#[derive(Debug)]
struct Shared {
    /// A reader waits for the rows of the next COPY the server starts.
    armed: bool,
    diverting: Diverting,
    /// Rows not yet taken by the reader.
    rows: Vec<u8>,
    /// The diverted COPY ended (CopyDone, or an error): `rows` holds all that is left.
    ended: bool,
    reader: Option<Waker>,
    /// The tap, waiting for the reader to make room.
    driver: Option<Waker>,
}

/// The handle shared by a connection's [`TapStream`] and its readers.
#[derive(Debug, Clone)]
pub struct CopyTap {
    shared: Arc<Mutex<Shared>>,
}

impl Default for CopyTap {
    fn default() -> Self {
        Self::new()
    }
}

impl CopyTap {
    pub fn new() -> Self {
        CopyTap {
            shared: Arc::new(Mutex::new(Shared {
                armed: false,
                diverting: Diverting::No,
                rows: Vec::new(),
                ended: false,
                reader: None,
                driver: None,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Diverts the rows of the next COPY TO STDOUT the server starts on this
    /// connection. Arm before sending the COPY statement; rows come from the returned
    /// [`ArmedCopy`] until the COPY's own stream (tokio-postgres's `copy_out`) ends.
    pub fn arm(&self) -> ArmedCopy<'_> {
        let mut shared = self.lock();
        shared.armed = true;
        shared.rows = Vec::new();
        shared.ended = false;
        ArmedCopy { tap: self }
    }

    /// Wraps a connection's stream (the socket, or the TLS stream above it).
    pub fn wrap<S>(&self, inner: S) -> TapStream<S> {
        TapStream {
            inner,
            tap: self.clone(),
            input: vec![0; READ_BYTES],
            start: 0,
            end: 0,
            eof: false,
            state: Parse::Header,
        }
    }
}

/// A reader's claim on the rows of one COPY; dropping it (the COPY done, or given up)
/// disarms the tap, and rows still arriving are dropped.
#[derive(Debug)]
pub struct ArmedCopy<'t> {
    tap: &'t CopyTap,
}

impl ArmedCopy<'_> {
    /// The next chunk of rows once [`CHUNK_BYTES`] are there, or what is left once the
    /// COPY ended; `Pending` (the reader woken later) otherwise.
    pub fn poll_chunk(&self, cx: &mut Context<'_>) -> Poll<Bytes> {
        let mut shared = self.tap.lock();
        if shared.rows.len() >= CHUNK_BYTES || (shared.ended && !shared.rows.is_empty()) {
            let rows = std::mem::take(&mut shared.rows);
            if let Some(driver) = shared.driver.take() {
                driver.wake();
            }
            return Poll::Ready(Bytes::from(rows));
        }
        match &shared.reader {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => shared.reader = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Every row not taken yet: call once the COPY's stream ended (by then the tap has
    /// passed on the whole COPY).
    pub fn take_rest(&self) -> Bytes {
        Bytes::from(std::mem::take(&mut self.tap.lock().rows))
    }
}

impl Drop for ArmedCopy<'_> {
    fn drop(&mut self) {
        let mut shared = self.tap.lock();
        shared.armed = false;
        if shared.diverting == Diverting::ToReader {
            shared.diverting = Diverting::Discard;
        }
        shared.rows = Vec::new();
        shared.reader = None;
        if let Some(driver) = shared.driver.take() {
            driver.wake();
        }
    }
}

/// Where the tap is in the message stream.
#[derive(Debug, Clone, Copy)]
enum Parse {
    /// At a message's start: its 5-byte header (tag, length) is next.
    Header,
    /// The next `n` bytes go to tokio-postgres.
    Forward(usize),
    /// The next `n` bytes are rows (a CopyData payload).
    Divert(usize),
    /// The stream is not the protocol the tap knows (a malformed header): everything is
    /// forwarded and tokio-postgres reports the fault.
    Passthrough,
}

/// A connection's stream with the tap in its read side (writes pass straight through).
#[derive(Debug)]
pub struct TapStream<S> {
    inner: S,
    tap: CopyTap,
    /// Bytes read from `inner`; `start..end` not processed yet.
    input: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    state: Parse,
}

impl<S> TapStream<S> {
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Moves input into `out` (forwarded) or the rows; `true` when blocked because the
    /// reader has not made room (the waker is registered).
    fn process(&mut self, cx: &mut Context<'_>, out: &mut ReadBuf<'_>) -> bool {
        let mut shared: Option<MutexGuard<'_, Shared>> = None;
        while self.start < self.end {
            let avail = self.end - self.start;
            match self.state {
                Parse::Passthrough | Parse::Forward(_) => {
                    let wanted = match self.state {
                        Parse::Forward(n) => n,
                        _ => usize::MAX,
                    };
                    let k = wanted.min(avail).min(out.remaining());
                    if k == 0 {
                        return false;
                    }
                    out.put_slice(&self.input[self.start..self.start + k]);
                    self.start += k;
                    if let Parse::Forward(n) = self.state {
                        self.state = if n == k {
                            Parse::Header
                        } else {
                            Parse::Forward(n - k)
                        };
                    }
                }
                Parse::Divert(n) => {
                    let s = shared.get_or_insert_with(|| self.tap.lock());
                    let k = if s.diverting == Diverting::ToReader {
                        let room = ROWS_CAP.saturating_sub(s.rows.len());
                        if room == 0 {
                            s.driver = Some(cx.waker().clone());
                            return true;
                        }
                        let k = n.min(avail).min(room);
                        if s.rows.capacity() == 0 {
                            s.rows.reserve(ROWS_CAP);
                        }
                        s.rows
                            .extend_from_slice(&self.input[self.start..self.start + k]);
                        if s.rows.len() >= CHUNK_BYTES {
                            if let Some(reader) = s.reader.take() {
                                reader.wake();
                            }
                        }
                        k
                    } else {
                        n.min(avail)
                    };
                    self.start += k;
                    self.state = if n == k {
                        Parse::Header
                    } else {
                        Parse::Divert(n - k)
                    };
                }
                Parse::Header => {
                    if avail < 5 {
                        return false;
                    }
                    let h = &self.input[self.start..self.start + 5];
                    let tag = h[0];
                    let len = u32::from_be_bytes([h[1], h[2], h[3], h[4]]) as usize;
                    if len < 4 {
                        self.state = Parse::Passthrough;
                        continue;
                    }
                    let s = shared.get_or_insert_with(|| self.tap.lock());
                    if tag == COPY_DATA && s.diverting != Diverting::No {
                        self.start += 5;
                        self.state = Parse::Divert(len - 4);
                        continue;
                    }
                    match tag {
                        COPY_OUT_RESPONSE if s.armed && s.diverting == Diverting::No => {
                            s.armed = false;
                            s.diverting = Diverting::ToReader;
                            s.ended = false;
                        }
                        COPY_DONE | ERROR_RESPONSE | READY_FOR_QUERY
                            if s.diverting != Diverting::No =>
                        {
                            if s.diverting == Diverting::ToReader {
                                s.ended = true;
                                if let Some(reader) = s.reader.take() {
                                    reader.wake();
                                }
                            }
                            s.diverting = Diverting::No;
                        }
                        _ => {}
                    }
                    self.state = Parse::Forward(len + 1);
                }
            }
        }
        false
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for TapStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            let before = out.filled().len();
            let blocked = this.process(cx, out);
            if out.filled().len() > before || out.remaining() == 0 {
                return Poll::Ready(Ok(()));
            }
            if blocked {
                return Poll::Pending;
            }
            if this.eof {
                // What is left is an incomplete message: tokio-postgres reports it.
                if this.start < this.end {
                    this.state = Parse::Passthrough;
                    continue;
                }
                return Poll::Ready(Ok(()));
            }
            if this.start > 0 {
                this.input.copy_within(this.start..this.end, 0);
                this.end -= this.start;
                this.start = 0;
            }
            let mut read = ReadBuf::new(&mut this.input[this.end..]);
            match Pin::new(&mut this.inner).poll_read(cx, &mut read) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Ready(Ok(())) => {
                    let n = read.filled().len();
                    if n == 0 {
                        this.eof = true;
                    }
                    this.end += n;
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TapStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

impl<S: tokio_postgres::tls::TlsStream + Unpin> tokio_postgres::tls::TlsStream for TapStream<S> {
    fn channel_binding(&self) -> tokio_postgres::tls::ChannelBinding {
        self.inner.channel_binding()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use tokio::io::AsyncReadExt;

    /// A reader handing out `data` in pieces of the given sizes, round robin.
    struct Pieces {
        data: Vec<u8>,
        at: usize,
        sizes: Vec<usize>,
        turn: usize,
    }

    impl AsyncRead for Pieces {
        fn poll_read(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            let size = this.sizes[this.turn % this.sizes.len()];
            this.turn += 1;
            let n = size.min(buf.remaining()).min(this.data.len() - this.at);
            buf.put_slice(&this.data[this.at..this.at + n]);
            this.at += n;
            Poll::Ready(Ok(()))
        }
    }

    fn message(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut m = vec![tag];
        m.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
        m.extend_from_slice(body);
        m
    }

    /// A COPY's responses: `rows` as CopyData, a notice among them, then the end.
    fn copy_responses(rows: &[Vec<u8>], end: &[u8]) -> Vec<u8> {
        let mut s = Vec::new();
        s.extend(message(b'1', b""));
        s.extend(message(b'2', b""));
        s.extend(message(b'H', &[0, 0, 1, 0, 0]));
        for (i, row) in rows.iter().enumerate() {
            if i == rows.len() / 2 {
                s.extend(message(b'N', b"SNOTICE\0Mhello\0\0"));
            }
            s.extend(message(b'd', row));
        }
        s.extend_from_slice(end);
        s
    }

    fn copy_end() -> Vec<u8> {
        let mut s = message(b'c', b"");
        s.extend(message(b'C', b"COPY 3\0"));
        s.extend(message(b'Z', b"I"));
        s
    }

    fn rows(count: usize, width: usize) -> Vec<Vec<u8>> {
        (0..count)
            .map(|i| {
                let mut r = format!("{i}\t").into_bytes();
                r.resize(width, b'x');
                r.push(b'\n');
                r
            })
            .collect()
    }

    /// [`copy_responses`] without the CopyData messages.
    fn without_rows(rows: &[Vec<u8>], end: &[u8]) -> Vec<u8> {
        let mut s = Vec::new();
        s.extend(message(b'1', b""));
        s.extend(message(b'2', b""));
        s.extend(message(b'H', &[0, 0, 1, 0, 0]));
        if !rows.is_empty() {
            s.extend(message(b'N', b"SNOTICE\0Mhello\0\0"));
        }
        s.extend_from_slice(end);
        s
    }

    /// Reads everything the tap forwards while a consumer takes the rows.
    async fn run(stream: Vec<u8>, sizes: Vec<usize>, arm: bool) -> (Vec<u8>, Vec<u8>) {
        let tap = CopyTap::new();
        let armed = arm.then(|| tap.arm());
        let mut tapped = tap.wrap(Pieces {
            data: stream,
            at: 0,
            sizes,
            turn: 0,
        });
        let mut forwarded = Vec::new();
        let mut taken = Vec::new();
        let reading = tapped.read_to_end(&mut forwarded);
        let mut reading = std::pin::pin!(reading);
        let done = std::future::poll_fn(|cx| loop {
            if let Some(armed) = &armed {
                if let Poll::Ready(rows) = armed.poll_chunk(cx) {
                    taken.extend_from_slice(&rows);
                    continue;
                }
            }
            return reading.as_mut().poll(cx);
        })
        .await;
        done.expect("read");
        if let Some(armed) = &armed {
            taken.extend_from_slice(&armed.take_rest());
        }
        (forwarded, taken)
    }

    #[tokio::test]
    async fn armed_copy_rows_are_lifted_out_whatever_the_read_sizes() {
        for (count, width) in [(3, 10), (5000, 100), (40, 300_000)] {
            let rows = rows(count, width);
            let stream = copy_responses(&rows, &copy_end());
            for sizes in [vec![1], vec![3, 7, 1, 4096], vec![READ_BYTES]] {
                if sizes == [1] && count * width > 1 << 20 {
                    continue; // byte by byte is slow in debug builds; small cases cover it
                }
                let (forwarded, taken) = run(stream.clone(), sizes.clone(), true).await;
                assert_eq!(
                    taken,
                    rows.concat(),
                    "rows {count}x{width}, reads {sizes:?}"
                );
                assert_eq!(
                    forwarded,
                    without_rows(&rows, &copy_end()),
                    "forwarded {count}x{width}, reads {sizes:?}"
                );
            }
        }
    }

    #[tokio::test]
    async fn unarmed_streams_pass_unchanged() {
        let rows = rows(100, 50);
        let stream = copy_responses(&rows, &copy_end());
        let (forwarded, _) = run(stream.clone(), vec![5, 1000], false).await;
        assert_eq!(forwarded, stream);
    }

    #[tokio::test]
    async fn an_error_ends_the_diverted_copy() {
        let rows = rows(10, 20);
        let mut end = message(b'E', b"SERROR\0Mboom\0\0");
        end.extend(message(b'Z', b"I"));
        // A later, unarmed COPY passes unchanged.
        let later = copy_responses(&rows, &copy_end());
        let mut stream = copy_responses(&rows, &end);
        stream.extend_from_slice(&later);
        let (forwarded, taken) = run(stream, vec![13], true).await;
        assert_eq!(taken, rows.concat());
        let mut expected = without_rows(&rows, &end);
        expected.extend_from_slice(&later);
        assert_eq!(forwarded, expected);
    }

    #[tokio::test]
    async fn rows_are_dropped_once_the_reader_is_gone() {
        let rows = rows(20_000, 200);
        let stream = copy_responses(&rows, &copy_end());
        let tap = CopyTap::new();
        let armed = tap.arm();
        let mut tapped = tap.wrap(Pieces {
            data: stream,
            at: 0,
            sizes: vec![READ_BYTES],
            turn: 0,
        });
        let mut first = [0u8; 64];
        let n = tapped.read(&mut first).await.expect("read");
        assert!(n > 0);
        drop(armed);
        // Far more rows than the cap: without a reader they must not stall the stream.
        let mut forwarded = first[..n].to_vec();
        tapped.read_to_end(&mut forwarded).await.expect("read");
        assert_eq!(forwarded, without_rows(&rows, &copy_end()));
    }
}
