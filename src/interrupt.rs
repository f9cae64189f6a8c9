//! Ending on SIGINT, SIGTERM, SIGQUIT and SIGHUP as pg_dump and pg_restore do (their
//! `sigTermHandler`): a cancel request to every open server connection, the line
//! `<program>: terminated by user` (the invoked name, `crate::program`), exit status 1.
//! Before that, unfinished output is removed (`pgark_formats::unfinished`: temporary
//! files, a directory archive's files), since no `Drop` runs when the process exits
//! from here.
//!
//! The signal handler itself only writes a byte to a pipe; a thread of its own does the
//! work. While it does, it holds standard error, so the main thread cannot print the
//! errors the cancelled queries cause: the termination line is the only message, as
//! with stock's `_exit` right after `PQcancel`. SIGHUP, whose default action stock
//! keeps, is handled the same way so that a closed terminal leaves no temporary file.

use std::future::Future;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{CancelToken, Socket};

/// Sends one connection's cancel request (errors ignored: the server may be gone).
type CancelRequest = Box<dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// Open connections' cancel requests, by registration number.
static CANCELS: Mutex<(u64, Vec<(u64, CancelRequest)>)> = Mutex::new((0, Vec::new()));

/// How long the cancel requests may take before the process exits anyway.
const CANCEL_LIMIT: Duration = Duration::from_secs(5);

/// The signals that end pgark with clean-up.
const SIGNALS: [i32; 4] = [
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGQUIT,
    signal_hook::consts::SIGHUP,
];

/// Installs the handling (once, at start-up). On failure the default actions stay: the
/// process still ends on these signals, only without the clean-up.
pub fn install() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(install_now);
}

fn install_now() {
    let Ok((mut wake, alarm)) = UnixStream::pair() else {
        return;
    };
    // The reader first: a signal registered without it would be swallowed.
    let reader = std::thread::Builder::new()
        .name("pgark-signals".into())
        .spawn(move || {
            let mut byte = [0u8];
            // Blocks until a signal (or the unlikely failure of the pipe: then nothing).
            if wake.read(&mut byte).map(|n| n == 1).unwrap_or(false) {
                terminate(crate::program::name());
            }
        });
    if reader.is_err() {
        return;
    }
    for signal in SIGNALS {
        let Ok(end) = alarm.try_clone() else {
            return;
        };
        if signal_hook::low_level::pipe::register(signal, end).is_err() {
            return;
        }
    }
}

/// Cleans up and exits with status 1; never returns.
fn terminate(program: &str) -> ! {
    let mut stderr = std::io::stderr().lock();
    pgark_formats::unfinished::remove_all();
    cancel_all();
    let _ = writeln!(stderr, "{program}: terminated by user");
    let _ = stderr.flush();
    std::process::exit(1)
}

/// Sends every registered cancel request, at once, waiting at most [`CANCEL_LIMIT`].
fn cancel_all() {
    let requests: Vec<CancelRequest> = {
        let mut cancels = CANCELS.lock().unwrap_or_else(|p| p.into_inner());
        cancels.1.drain(..).map(|(_, request)| request).collect()
    };
    if requests.is_empty() {
        return;
    }
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return;
    };
    runtime.block_on(async {
        let mut sent = tokio::task::JoinSet::new();
        for request in &requests {
            sent.spawn(request());
        }
        let _ = tokio::time::timeout(CANCEL_LIMIT, async {
            while sent.join_next().await.is_some() {}
        })
        .await;
    });
}

/// Registers the cancel request of a TCP connection made by `Config::connect` (sent over
/// `tls` as the connection was made); the number given back unregisters it
/// ([`forget_connection`]) when the connection closes.
pub fn cancel_via_config<T>(token: CancelToken, tls: T) -> u64
where
    T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
    T::Stream: Send,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    register(Box::new(move || {
        let token = token.clone();
        let tls = tls.clone();
        Box::pin(async move {
            let _ = token.cancel_query(tls).await;
        })
    }))
}

/// Registers the cancel request of a connection over the Unix socket `socket` (made by
/// `Config::connect_raw`, so the token does not know where to send it).
pub fn cancel_via_socket(token: CancelToken, socket: PathBuf) -> u64 {
    register(Box::new(move || {
        let token = token.clone();
        let socket = socket.clone();
        Box::pin(async move {
            if let Ok(stream) = tokio::net::UnixStream::connect(&socket).await {
                let _ = token.cancel_query_raw(stream, tokio_postgres::NoTls).await;
            }
        })
    }))
}

fn register(request: CancelRequest) -> u64 {
    let mut cancels = CANCELS.lock().unwrap_or_else(|p| p.into_inner());
    cancels.0 += 1;
    let id = cancels.0;
    cancels.1.push((id, request));
    id
}

/// Unregisters a closed connection's cancel request.
pub fn forget_connection(id: u64) {
    let mut cancels = CANCELS.lock().unwrap_or_else(|p| p.into_inner());
    cancels.1.retain(|(i, _)| *i != id);
}
