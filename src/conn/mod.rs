//! Connecting to servers, one way for every pgark command, following libpq: the same
//! options (`-h -p -U -w -W`, connection strings and URIs as the database name), the same
//! environment variables, service files, password file, sslmode semantics (with rustls),
//! password prompt and error wording, so setups that work with pg_dump work with pgark.
//!
//! ```no_run
//! # async fn demo(args: &pgark::cli::connection::ConnectionArgs) -> pgark::Result<()> {
//! use pgark::conn::{ConnectOptions, SystemEnv};
//! let options = ConnectOptions::resolve(args, Some("sales"), "pg_dump", &SystemEnv)?;
//! let connection = options.connect().await?;
//! let other = options.for_database("postgres").connect().await?;
//! # Ok(()) }
//! ```
//!
//! Differences from libpq, all deliberate or forced by rustls:
//! - With no host, the socket directory is the first existing of `/var/run/postgresql`
//!   (Debian's libpq default) and `/tmp` (upstream's); only that directory counts as
//!   `localhost` in the password file. Debian's directory comes first because the servers
//!   pgark runs beside are mostly distribution packages, whose sockets live there; a stock
//!   build of upstream (such as the test kit's PostgreSQL 18) defaults to `/tmp`, so
//!   failure messages with no `-h` name a different socket than such a build's.
//! - Service files: PGSYSCONFDIR defaults to Debian's `/etc/postgresql-common`.
//! - TLS 1.2 and 1.3 only (rustls). A server certificate that is itself the configured root
//!   (self-signed) is trusted as is, without the validity-period check OpenSSL would do.
//! - Options pgark cannot honour (`require_auth`, `sslcrl`, `sslcrldir`, `requirepeer`,
//!   `replication`, GSSAPI encryption required, ...) are refused rather than ignored.
//! - `client_encoding` is not sent at connection time (tokio-postgres always starts in
//!   UTF8); commands set the client encoding in their session setup.
//! - The prompt is shown only when stdin is a terminal, so a pipe never hangs on it.

pub mod conninfo;
mod connect;
pub mod copy_tap;
pub mod env;
mod options;
pub mod pgpass;
mod secret;
pub mod service;
mod tls;

pub use connect::{close_dropped_connections, ConnectFailure, ConnectedServer, Connection, PASSWORD_PROMPT};
pub use conninfo::{is_connection_string, ConnInfo};
pub use copy_tap::CopyTap;
pub use env::{Env, MapEnv, ProcessTerminal, ScriptedTerminal, SystemEnv, Terminal};
pub use options::{
    ChannelBinding, ConnectOptions, HostKind, PasswordPrompt, PasswordSource, Precedence, RootCerts, SslMode,
    SslOptions, Target, TargetSessionAttrs,
};
pub use secret::Password;
