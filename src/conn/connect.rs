//! Opening a connection from [`ConnectOptions`]: every host and address in turn, sslmode's
//! fallbacks, the password file, the password prompt, target_session_attrs, and failures
//! reported in libpq's words (`connection to server at "h", port 5432 failed: ...`).

use std::fmt;
use std::io;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_postgres::error::DbError;
use tokio_postgres::AsyncMessage;

use super::copy_tap::CopyTap;
use super::options::{
    ChannelBinding, ConnectOptions, HostKind, PasswordPrompt, PasswordSource, Precedence, SslMode, Target,
    TargetSessionAttrs,
};
use super::pgpass::{self, PassKey};
use super::secret::Password;
use super::tls::{self, AttemptTls};
use crate::{Error, Result};

/// pg_dump's, pg_restore's and pg_dumpall's prompt (psql's "Password for user X: " is not
/// theirs).
pub const PASSWORD_PROMPT: &str = "Password: ";

/// One failed attempt, in libpq's shape: `target` is `connection to server on socket "..."`
/// or `connection to server at "host" (addr), port N`; `None` for failures before any
/// connection (a host name that does not resolve).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectFailure {
    pub target: Option<String>,
    pub reason: String,
    /// The server's SQLSTATE when the server refused us (28P01 wrong password,
    /// 3D000 no such database, ...).
    pub sqlstate: Option<String>,
    /// The server asked for a password and none was known.
    pub needs_password: bool,
}

impl fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            Some(target) => write!(f, "{target} failed: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

/// Where a connection went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectedServer {
    pub target: Target,
    /// The address connected to, for TCP.
    pub address: Option<IpAddr>,
    /// Whether the connection is encrypted.
    pub tls: bool,
}

/// An open connection. The protocol driver runs in a spawned task; notices the server sends
/// (NOTICE, WARNING) arrive on `notices`.
pub struct Connection {
    pub client: tokio_postgres::Client,
    pub notices: mpsc::UnboundedReceiver<DbError>,
    pub driver: JoinHandle<std::result::Result<(), tokio_postgres::Error>>,
    pub server: ConnectedServer,
    /// The lean reader of COPY rows ([`CopyTap`]); `None` on unencrypted TCP, where
    /// tokio-postgres owns the socket (rows then come through its `copy_out`).
    pub copy_tap: Option<CopyTap>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection").field("server", &self.server).finish_non_exhaustive()
    }
}

/// The socket or TCP endpoint of one attempt.
#[derive(Debug, Clone)]
enum Endpoint {
    Socket(PathBuf),
    Tcp { ip: IpAddr, server_name: String, shown: String },
}

/// Whether an attempt encrypts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wire {
    Plain,
    /// TLS if the server agrees, plain otherwise (tokio-postgres's `prefer`).
    TlsIfOffered,
    TlsOnly,
}

/// A failed attempt plus whether TLS had been set up (for sslmode=prefer's retry).
struct AttemptError {
    failure: ConnectFailure,
    tls_started: bool,
    server_refused: bool,
}

impl ConnectOptions {
    /// Connects to the first host that accepts us, as libpq does, asking for a password on
    /// the terminal when the server wants one and none is known (unless `-w`). Must run
    /// inside a tokio runtime (the protocol driver is spawned).
    pub async fn connect(&self) -> Result<Connection> {
        let has_tcp = self.targets.iter().any(|t| matches!(t.kind, HostKind::Tcp { .. }));
        let tls_config = if has_tcp { tls::client_config(&self.ssl)? } else { None };

        if self.prompt == PasswordPrompt::Always && self.prompted_password().is_none() && !self.string_password_wins() {
            let password = self.ask_password()?;
            self.remember(password);
        }
        loop {
            match self.connect_any(tls_config.as_ref()).await {
                Ok(connection) => return Ok(connection),
                Err(failures) => {
                    let needs_password = failures.iter().any(|f| f.needs_password);
                    if needs_password && self.prompt != PasswordPrompt::Never && self.prompted_password().is_none() {
                        if let Some(answer) = self.terminal.prompt_password(PASSWORD_PROMPT) {
                            let password = answer.map_err(|e| Error::ConnectionOptions(format!("could not read password: {e}")))?;
                            self.remember(password);
                            continue;
                        }
                    }
                    return Err(Error::Connect { failures });
                }
            }
        }
    }

    fn string_password_wins(&self) -> bool {
        self.precedence == Precedence::ConnectionStringWins
            && matches!(self.password, Some((_, PasswordSource::ConnectionString)))
    }

    fn ask_password(&self) -> Result<Password> {
        match self.terminal.prompt_password(PASSWORD_PROMPT) {
            Some(answer) => answer.map_err(|e| Error::ConnectionOptions(format!("could not read password: {e}"))),
            None => Err(Error::ConnectionOptions("could not prompt for a password: no terminal".into())),
        }
    }

    fn remember(&self, password: Password) {
        if let Ok(mut slot) = self.prompted.lock() {
            *slot = Some(password);
        }
    }

    /// The password for one target and whether it came from the password file, in libpq's
    /// order: connection string / prompt / service / PGPASSWORD, then the password file.
    fn password_for(&self, target: &Target) -> Option<(Password, bool)> {
        if self.string_password_wins() {
            return self.password.as_ref().map(|(p, _)| (p.clone(), false));
        }
        if let Some(prompted) = self.prompted_password() {
            return Some((prompted, false));
        }
        if let Some((password, _)) = &self.password {
            return Some((password.clone(), false));
        }
        let passfile = self.passfile.as_ref()?;
        let port = target.port.to_string();
        let host = target.pgpass_host();
        let key = PassKey { host: &host, port: &port, dbname: &self.dbname, user: &self.user };
        match pgpass::lookup(passfile, key, &self.default_socket_dir) {
            pgpass::Lookup::Found(password) => Some((password, true)),
            pgpass::Lookup::NotFound => None,
            pgpass::Lookup::Ignored { warning } => {
                self.terminal.warn(&warning);
                None
            }
        }
    }

    /// One pass over every host (two for prefer-standby), collecting failures.
    async fn connect_any(&self, tls_config: Option<&Arc<ClientConfig>>) -> std::result::Result<Connection, Vec<ConnectFailure>> {
        let mut order: Vec<&Target> = self.targets.iter().collect();
        if self.load_balance {
            shuffle(&mut order);
        }
        let passes: &[TargetSessionAttrs] = match self.target_session_attrs {
            TargetSessionAttrs::PreferStandby => &[TargetSessionAttrs::Standby, TargetSessionAttrs::Any],
            other => &[other][..],
        };
        let mut failures = Vec::new();
        for wanted in passes.iter().copied() {
            for target in &order {
                match self.connect_target(target, tls_config, wanted, &mut failures).await {
                    Some(connection) => return Ok(connection),
                    None => continue,
                }
            }
        }
        Err(failures)
    }

    async fn connect_target(
        &self,
        target: &Target,
        tls_config: Option<&Arc<ClientConfig>>,
        wanted: TargetSessionAttrs,
        failures: &mut Vec<ConnectFailure>,
    ) -> Option<Connection> {
        let endpoints = match &target.kind {
            HostKind::Socket(dir) => vec![Endpoint::Socket(dir.clone())],
            HostKind::Tcp { host, hostaddr: Some(ip) } => vec![Endpoint::Tcp {
                ip: *ip,
                server_name: host.clone().unwrap_or_else(|| ip.to_string()),
                shown: format!("\"{ip}\""),
            }],
            HostKind::Tcp { host: Some(name), hostaddr: None } => {
                match tokio::net::lookup_host((name.as_str(), target.port)).await {
                    Ok(addrs) => {
                        let mut seen = Vec::new();
                        for addr in addrs {
                            if !seen.contains(&addr.ip()) {
                                seen.push(addr.ip());
                            }
                        }
                        seen.into_iter()
                            .map(|ip| Endpoint::Tcp {
                                ip,
                                server_name: name.clone(),
                                shown: if ip.to_string() == *name {
                                    format!("\"{name}\"")
                                } else {
                                    format!("\"{name}\" ({ip})")
                                },
                            })
                            .collect()
                    }
                    Err(e) => {
                        let reason = io_message(&e);
                        let reason = reason.strip_prefix("failed to lookup address information: ").unwrap_or(&reason);
                        failures.push(ConnectFailure {
                            target: None,
                            reason: format!("could not translate host name \"{name}\" to address: {reason}"),
                            sqlstate: None,
                            needs_password: false,
                        });
                        return None;
                    }
                }
            }
            HostKind::Tcp { host: None, hostaddr: None } => Vec::new(),
        };
        let password = self.password_for(target);
        for endpoint in endpoints {
            match self.connect_endpoint(target, &endpoint, tls_config, password.as_ref(), wanted).await {
                Ok(connection) => return Some(connection),
                Err(failure) => failures.push(failure),
            }
        }
        None
    }

    /// All sslmode stages for one endpoint.
    async fn connect_endpoint(
        &self,
        target: &Target,
        endpoint: &Endpoint,
        tls_config: Option<&Arc<ClientConfig>>,
        password: Option<&(Password, bool)>,
        wanted: TargetSessionAttrs,
    ) -> std::result::Result<Connection, ConnectFailure> {
        let is_tcp = matches!(endpoint, Endpoint::Tcp { .. });
        // No TLS over Unix sockets, whatever sslmode says (as libpq).
        let stages: &[Wire] = match (is_tcp, self.ssl.mode) {
            (false, _) | (_, SslMode::Disable) => &[Wire::Plain],
            (true, SslMode::Allow) => &[Wire::Plain, Wire::TlsOnly],
            (true, SslMode::Prefer) => &[Wire::TlsIfOffered, Wire::Plain],
            (true, _) => &[Wire::TlsOnly],
        };
        let mut last = None;
        for (i, wire) in stages.iter().enumerate() {
            match self.attempt(target, endpoint, *wire, tls_config, password, wanted).await {
                Ok(connection) => return Ok(connection),
                Err(err) => {
                    // allow: retry with TLS only when the server refused the plain session;
                    // prefer: retry plain only when the server refused the TLS session.
                    let retry = i + 1 < stages.len()
                        && err.server_refused
                        && (*wire != Wire::TlsIfOffered || err.tls_started);
                    last = Some(err.failure);
                    if !retry {
                        break;
                    }
                }
            }
        }
        Err(last.unwrap_or_else(|| ConnectFailure {
            target: Some(describe_endpoint(endpoint, target.port)),
            reason: "no connection attempt was made".into(),
            sqlstate: None,
            needs_password: false,
        }))
    }

    async fn attempt(
        &self,
        target: &Target,
        endpoint: &Endpoint,
        wire: Wire,
        tls_config: Option<&Arc<ClientConfig>>,
        password: Option<&(Password, bool)>,
        wanted: TargetSessionAttrs,
    ) -> std::result::Result<Connection, AttemptError> {
        let shown = describe_endpoint(endpoint, target.port);
        let fail = |reason: String, tls_started: bool| AttemptError {
            failure: ConnectFailure { target: Some(shown.clone()), reason, sqlstate: None, needs_password: false },
            tls_started,
            server_refused: false,
        };
        let mut config = self.base_config();
        config.port(target.port);
        if let Some((password, _)) = password {
            config.password(password.expose());
        }
        let server_name = match endpoint {
            Endpoint::Socket(dir) => {
                config.host_path(dir);
                String::new()
            }
            Endpoint::Tcp { ip, server_name, .. } => {
                config.host(server_name).hostaddr(*ip);
                server_name.clone()
            }
        };
        config.ssl_mode(match wire {
            Wire::Plain => tokio_postgres::config::SslMode::Disable,
            Wire::TlsIfOffered => tokio_postgres::config::SslMode::Prefer,
            Wire::TlsOnly => tokio_postgres::config::SslMode::Require,
        });
        if self.ssl.direct && wire == Wire::TlsOnly {
            config.ssl_negotiation(tokio_postgres::config::SslNegotiation::Direct);
        }
        let tap = CopyTap::new();
        let connector = match (wire, tls_config) {
            (Wire::Plain, _) | (_, None) => {
                // A connector is needed for the type even when unused; any config does.
                let plain = Arc::new(
                    ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                        .with_safe_default_protocol_versions()
                        .map_err(|e| fail(format!("could not set up TLS: {e}"), false))?
                        .with_root_certificates(rustls::RootCertStore::empty())
                        .with_no_client_auth(),
                );
                AttemptTls::new(tls_config.cloned().unwrap_or(plain), server_name, tap.clone())
            }
            (_, Some(config)) => AttemptTls::new(config.clone(), server_name, tap.clone()),
        };
        // Unix sockets are opened here so that the copy tap can wrap them (TLS streams
        // get it from the connector); plain TCP is left to tokio-postgres (keepalives).
        let opening = async {
            match endpoint {
                Endpoint::Socket(dir) => {
                    let path = dir.join(format!(".s.PGSQL.{}", target.port));
                    let socket = tokio::net::UnixStream::connect(&path).await.map_err(Opening::Socket)?;
                    let (client, connection) =
                        config.connect_raw(tap.wrap(socket), tokio_postgres::NoTls).await.map_err(Opening::Protocol)?;
                    let cancel = crate::interrupt::cancel_via_socket(client.cancel_token(), path);
                    Ok((client, spawn_driver(connection, cancel)))
                }
                Endpoint::Tcp { .. } => {
                    let (client, connection) = config.connect(connector.clone()).await.map_err(Opening::Protocol)?;
                    let cancel = crate::interrupt::cancel_via_config(client.cancel_token(), connector.clone());
                    Ok((client, spawn_driver(connection, cancel)))
                }
            }
        };
        let result = match self.connect_timeout {
            Some(limit) => match tokio::time::timeout(limit, opening).await {
                Ok(result) => result,
                Err(_) => return Err(fail("timeout expired".into(), connector.handshake_started())),
            },
            None => opening.await,
        };
        let (client, (driver, notices)) = match result {
            Ok(opened) => opened,
            Err(Opening::Socket(e)) => return Err(fail(connect_failed(&e, endpoint), false)),
            Err(Opening::Protocol(err)) => {
                let mut failure = describe_error(&err, endpoint, connector.handshake_started(), wire != Wire::Plain);
                failure.target = Some(shown);
                if let (Some((_, true)), Some("28P01")) = (password, failure.sqlstate.as_deref()) {
                    if let Some(passfile) = &self.passfile {
                        failure.reason.push_str(&format!("\npassword retrieved from file \"{}\"", passfile.display()));
                    }
                }
                // Only an error the server sent counts as a refusal (libpq retries sslmode
                // allow/prefer on those alone); a missing password is a client-side failure.
                let server_refused = failure.sqlstate.is_some();
                return Err(AttemptError { failure, tls_started: connector.handshake_started(), server_refused });
            }
        };
        if let Some(reason) = check_session(&client, wanted).await {
            return Err(fail(reason, connector.handshake_started()));
        }
        let copy_tap = match endpoint {
            Endpoint::Socket(_) => Some(tap),
            Endpoint::Tcp { .. } if connector.handshake_started() => Some(tap),
            Endpoint::Tcp { .. } => None,
        };
        let address = match endpoint {
            Endpoint::Tcp { ip, .. } => Some(*ip),
            Endpoint::Socket(_) => None,
        };
        Ok(Connection {
            client,
            notices,
            driver,
            server: ConnectedServer { target: target.clone(), address, tls: connector.handshake_started() },
            copy_tap,
        })
    }

    /// Settings shared by every attempt.
    fn base_config(&self) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config.user(&self.user).dbname(&self.dbname);
        if let Some(name) = &self.application_name {
            config.application_name(name);
        }
        if let Some(options) = &self.options {
            config.options(options);
        }
        config.channel_binding(match self.channel_binding {
            ChannelBinding::Disable => tokio_postgres::config::ChannelBinding::Disable,
            ChannelBinding::Prefer => tokio_postgres::config::ChannelBinding::Prefer,
            ChannelBinding::Require => tokio_postgres::config::ChannelBinding::Require,
        });
        config.keepalives(self.keepalives);
        if let Some(idle) = self.keepalives_idle {
            config.keepalives_idle(idle);
        }
        if let Some(interval) = self.keepalives_interval {
            config.keepalives_interval(interval);
        }
        if let Some(count) = self.keepalives_count {
            config.keepalives_retries(count);
        }
        if let Some(timeout) = self.tcp_user_timeout {
            config.tcp_user_timeout(timeout);
        }
        config
    }
}

/// Why opening a connection failed: the socket, or the protocol (startup, TLS, auth).
enum Opening {
    Socket(io::Error),
    Protocol(tokio_postgres::Error),
}

/// The connection's driver task, and the notices it forwards.
type Driver = (JoinHandle<std::result::Result<(), tokio_postgres::Error>>, mpsc::UnboundedReceiver<DbError>);

/// `cancel`: the connection's cancel request for a signal ending pgark (`crate::interrupt`),
/// unregistered when the connection closes.
fn spawn_driver<S, T>(connection: tokio_postgres::Connection<S, T>, cancel: u64) -> Driver
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (notice_tx, notices) = mpsc::unbounded_channel();
    let open = OpenDriver::register();
    let driver = tokio::spawn(async move {
        let ended = drive(connection, notice_tx).await;
        crate::interrupt::forget_connection(cancel);
        drop(open);
        ended
    });
    (driver, notices)
}

/// Drivers still running: a connection whose client is dropped sends Terminate and
/// closes only when its driver is polled again, which a runtime shut down right after
/// its last future never does — the server then logs "unexpected EOF on client
/// connection" for every session pgark used. [`close_dropped_connections`] waits for them.
static OPEN_DRIVERS: std::sync::Mutex<usize> = std::sync::Mutex::new(0);
static DRIVER_ENDED: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// One running driver in [`OPEN_DRIVERS`], counted down when dropped (also when the task
/// is aborted).
struct OpenDriver;

impl OpenDriver {
    fn register() -> OpenDriver {
        *OPEN_DRIVERS.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        OpenDriver
    }
}

impl Drop for OpenDriver {
    fn drop(&mut self) {
        let mut open = OPEN_DRIVERS.lock().unwrap_or_else(|e| e.into_inner());
        *open = open.saturating_sub(1);
        drop(open);
        DRIVER_ENDED.notify_waiters();
    }
}

/// Lets the drivers of connections whose clients are gone send Terminate and close, as
/// libpq's PQfinish does, waiting at most `limit` (a server that stopped answering must not
/// hold the exit). Called at the end of a command, inside its runtime, after everything
/// holding a client has been dropped.
pub async fn close_dropped_connections(limit: std::time::Duration) {
    let all_closed = async {
        loop {
            let ended = DRIVER_ENDED.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            if *OPEN_DRIVERS.lock().unwrap_or_else(|e| e.into_inner()) == 0 {
                return;
            }
            ended.await;
        }
    };
    let _ = tokio::time::timeout(limit, all_closed).await;
}

/// Polls the connection, forwarding notices, until it closes.
async fn drive<S, T>(
    mut connection: tokio_postgres::Connection<S, T>,
    notices: mpsc::UnboundedSender<DbError>,
) -> std::result::Result<(), tokio_postgres::Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    T: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            Some(Ok(AsyncMessage::Notice(notice))) => {
                // Nobody listening is fine: the notice is dropped.
                let _ = notices.send(notice);
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e),
            None => return Ok(()),
        }
    }
}

/// libpq's target_session_attrs checks; `Some(reason)` when the server does not fit.
async fn check_session(client: &tokio_postgres::Client, wanted: TargetSessionAttrs) -> Option<String> {
    let (query, bad_value, reason) = match wanted {
        TargetSessionAttrs::Any | TargetSessionAttrs::PreferStandby => return None,
        TargetSessionAttrs::ReadWrite => ("SHOW transaction_read_only", "on", "session is read-only"),
        TargetSessionAttrs::ReadOnly => ("SHOW transaction_read_only", "off", "session is not read-only"),
        TargetSessionAttrs::Primary => ("SELECT pg_catalog.pg_is_in_recovery()", "t", "server is in hot standby mode"),
        TargetSessionAttrs::Standby => {
            ("SELECT pg_catalog.pg_is_in_recovery()", "f", "server is not in hot standby mode")
        }
    };
    match client.simple_query(query).await {
        Ok(messages) => {
            let value = messages.iter().find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_string),
                _ => None,
            });
            (value.as_deref() == Some(bad_value)).then(|| reason.to_string())
        }
        Err(e) => Some(format!("could not check the session state: {e}")),
    }
}

fn describe_endpoint(endpoint: &Endpoint, port: u16) -> String {
    match endpoint {
        Endpoint::Socket(dir) => {
            format!("connection to server on socket \"{}\"", dir.join(format!(".s.PGSQL.{port}")).display())
        }
        Endpoint::Tcp { shown, .. } => format!("connection to server at {shown}, port {port}"),
    }
}

/// A tokio-postgres error in libpq's words.
fn describe_error(err: &tokio_postgres::Error, endpoint: &Endpoint, tls_started: bool, tls_wanted: bool) -> ConnectFailure {
    let failure = |reason: String| ConnectFailure { target: None, reason, sqlstate: None, needs_password: false };
    if let Some(db) = err.as_db_error() {
        let mut reason = format!("{}:  {}", db.severity(), db.message());
        if let Some(detail) = db.detail() {
            reason.push_str(&format!("\nDETAIL:  {detail}"));
        }
        return ConnectFailure { sqlstate: Some(db.code().code().to_string()), ..failure(reason) };
    }
    let text = error_chain(err);
    // tokio-postgres reports "the server wants a password, we have none" only as this text
    // (a configuration error whose cause reads "password missing").
    if text.ends_with("password missing") {
        return ConnectFailure { needs_password: true, ..failure("fe_sendauth: no password supplied".into()) };
    }
    if text.contains("server does not support TLS") {
        return failure("server does not support SSL, but SSL was required".into());
    }
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            if let Some(tls) = io.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
                return failure(match tls {
                    // Our own verifier's messages, already in libpq's words.
                    rustls::Error::General(message) => message.clone(),
                    other => format!("SSL error: {other}"),
                });
            }
            if tls_started && tls_wanted && io.kind() == io::ErrorKind::UnexpectedEof {
                return failure("SSL SYSCALL error: EOF detected".into());
            }
            // tokio-postgres's Kind::Connect: the socket's connect() itself failed.
            if text.starts_with("error connecting to server") {
                return failure(connect_failed(io, endpoint));
            }
            return failure(io_message(io));
        }
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return failure(format!("SSL error: {tls}"));
        }
        source = cause.source();
    }
    failure(text)
}

/// A failed connect() as libpq's connectFailureMessage reports it: the OS error, then a
/// hint line that starts with a tab.
fn connect_failed(err: &io::Error, endpoint: &Endpoint) -> String {
    let hint = match endpoint {
        Endpoint::Socket(_) => "Is the server running locally and accepting connections on that socket?",
        Endpoint::Tcp { .. } => "Is the server running on that host and accepting TCP/IP connections?",
    };
    format!("{}\n\t{hint}", io_message(err))
}

/// An error and its causes, joined with ": ".
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// An OS error without Rust's " (os error N)" suffix, as libpq's strerror text.
fn io_message(err: &io::Error) -> String {
    let text = err.to_string();
    match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => text[..at].to_string(),
        _ => text,
    }
}

/// Fisher–Yates with a seed from the standard library's random hasher keys.
fn shuffle<T>(items: &mut [T]) {
    use std::hash::{BuildHasher, Hasher};
    let mut state = std::collections::hash_map::RandomState::new().build_hasher();
    for i in (1..items.len()).rev() {
        state.write_usize(i);
        let j = (state.finish() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors_read_like_strerror() {
        let err = io::Error::from_raw_os_error(111);
        assert_eq!(io_message(&err), "Connection refused");
        let err = io::Error::from_raw_os_error(2);
        assert_eq!(io_message(&err), "No such file or directory");
    }

    #[test]
    fn failures_print_target_then_reason() {
        let failure = ConnectFailure {
            target: Some("connection to server at \"127.0.0.1\", port 5433".into()),
            reason: "Connection refused".into(),
            sqlstate: None,
            needs_password: false,
        };
        assert_eq!(failure.to_string(), "connection to server at \"127.0.0.1\", port 5433 failed: Connection refused");
    }

    #[test]
    fn shuffle_keeps_every_item() {
        let mut items: Vec<u32> = (0..20).collect();
        shuffle(&mut items);
        items.sort();
        assert_eq!(items, (0..20).collect::<Vec<_>>());
    }
}
