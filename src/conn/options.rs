//! [`ConnectOptions`]: every connection setting resolved from the command line, a connection
//! string, a service file, the environment and libpq's defaults, in libpq's precedence
//! (`conninfo_array_parse`, `conninfo_add_defaults` and `pqConnectOptions2` in fe-connect.c).

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::conninfo::{is_connection_string, ConnInfo, KEYWORDS};
use super::env::{Env, Terminal};
use super::secret::Password;
use super::service;
use crate::cli::connection::ConnectionArgs;
use crate::{Error, Result};

/// Which wins when both `-h/-p/-U` and a connection string in the database name set the
/// same thing. The stock tools differ, so the caller says which one it imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precedence {
    /// pg_dump, pg_restore (and psql): the options come first and the database name is
    /// expanded after them, so `pg_dump -h a "host=b"` connects to `b`.
    ConnectionStringWins,
    /// pg_dumpall: the `-d` connection string is read first and `-h/-p/-U` are added after
    /// it, so they win.
    ArgumentsWin,
}

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SslMode {
    /// Plain connections only.
    Disable,
    /// Plain first; TLS if the server rejects the plain connection.
    Allow,
    /// TLS first when the server offers it; plain if the server rejects the TLS connection.
    Prefer,
    /// TLS only; no certificate check unless a root certificate file exists (then as verify-ca).
    Require,
    /// TLS, certificate chain checked against the root certificates; host name not checked.
    VerifyCa,
    /// TLS, chain and host name checked.
    VerifyFull,
}

impl SslMode {
    pub fn parse(text: &str) -> Result<SslMode> {
        Ok(match text {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => return Err(invalid_value("sslmode", text)),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Allow => "allow",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// Where root certificates come from (`sslrootcert`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCerts {
    /// A PEM file. `explicit` is false for the default `~/.postgresql/root.crt`, which is
    /// used only if it exists.
    File { path: PathBuf, explicit: bool },
    /// `sslrootcert=system`: the operating system's trusted roots.
    System,
    /// No file named and no home directory to find the default in.
    None,
}

/// TLS settings, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SslOptions {
    pub mode: SslMode,
    pub root_certs: RootCerts,
    /// Client certificate (`sslcert`, default `~/.postgresql/postgresql.crt` if it exists).
    pub cert: Option<PathBuf>,
    /// Client key (`sslkey`, default `~/.postgresql/postgresql.key`).
    pub key: Option<PathBuf>,
    /// Send the host name in the TLS handshake (`sslsni`).
    pub sni: bool,
    /// `sslnegotiation=direct`: start TLS at once, without the PostgreSQL SSLRequest.
    pub direct: bool,
    /// Allow TLS 1.2 (`ssl_min_protocol_version` ≤ TLSv1.2).
    pub tls12: bool,
    /// Allow TLS 1.3 (`ssl_max_protocol_version` unset or TLSv1.3).
    pub tls13: bool,
}

/// `target_session_attrs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetSessionAttrs {
    Any,
    ReadWrite,
    ReadOnly,
    Primary,
    Standby,
    PreferStandby,
}

/// `channel_binding` (SCRAM-SHA-256-PLUS over TLS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelBinding {
    Disable,
    Prefer,
    Require,
}

/// Where one host entry points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKind {
    /// A Unix socket directory (a host starting with `/`); the socket is `DIR/.s.PGSQL.PORT`.
    Socket(PathBuf),
    /// TCP: a host name to resolve, an address given with `hostaddr`, or both (then the
    /// name is used for certificate checks and the password file, the address to connect).
    Tcp { host: Option<String>, hostaddr: Option<IpAddr> },
}

/// One entry of the host list, with its port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: HostKind,
    pub port: u16,
}

impl Target {
    /// The host as the password file sees it (libpq: `host`, else `hostaddr`).
    pub fn pgpass_host(&self) -> String {
        match &self.kind {
            HostKind::Socket(dir) => dir.display().to_string(),
            HostKind::Tcp { host: Some(host), .. } => host.clone(),
            HostKind::Tcp { host: None, hostaddr: Some(addr) } => addr.to_string(),
            HostKind::Tcp { host: None, hostaddr: None } => String::new(),
        }
    }

    /// The socket file for a socket target.
    pub fn socket_path(&self) -> Option<PathBuf> {
        match &self.kind {
            HostKind::Socket(dir) => Some(dir.join(format!(".s.PGSQL.{}", self.port))),
            HostKind::Tcp { .. } => None,
        }
    }
}

/// When to ask for a password on the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordPrompt {
    /// `-w`: never; fail if the server wants a password and none is known.
    Never,
    /// `-W`: ask before connecting.
    Always,
    /// Ask when the server asks for a password and none is known.
    IfNeeded,
}

/// Where a password came from: decides whether a `-W` prompt overrides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordSource {
    /// The connection string in the database name (wins over a prompt under
    /// [`Precedence::ConnectionStringWins`], like pg_dump's keyword order).
    ConnectionString,
    /// A service file or PGPASSWORD.
    Default,
}

/// Everything needed to open connections, resolved. `Debug` never shows a password.
#[derive(Clone)]
pub struct ConnectOptions {
    pub targets: Vec<Target>,
    pub user: String,
    pub dbname: String,
    pub password: Option<(Password, PasswordSource)>,
    /// The password file to consult per host (`passfile`, PGPASSFILE or `~/.pgpass`).
    pub passfile: Option<PathBuf>,
    pub prompt: PasswordPrompt,
    pub precedence: Precedence,
    pub ssl: SslOptions,
    /// `application_name`, else `fallback_application_name` (the stock tool's name).
    pub application_name: Option<String>,
    /// Per host and address; libpq's minimum of two seconds applied.
    pub connect_timeout: Option<Duration>,
    /// `options` (PGOPTIONS): command-line options for the server, e.g. `-c geqo=off`.
    pub options: Option<String>,
    pub target_session_attrs: TargetSessionAttrs,
    /// `load_balance_hosts=random`: try hosts in random order.
    pub load_balance: bool,
    pub channel_binding: ChannelBinding,
    pub keepalives: bool,
    pub keepalives_idle: Option<Duration>,
    pub keepalives_interval: Option<Duration>,
    pub keepalives_count: Option<u32>,
    pub tcp_user_timeout: Option<Duration>,
    /// `--role`: the caller runs `SET ROLE` after connecting (pg_dump does it in its session
    /// setup, for every worker connection too).
    pub role: Option<String>,
    /// The directory that counts as `localhost` in the password file.
    pub default_socket_dir: PathBuf,
    pub(crate) terminal: Arc<dyn Terminal>,
    /// A password typed at a prompt, kept for later connections (pg_dump's savedPassword):
    /// shared by clones and by [`ConnectOptions::for_database`].
    pub(crate) prompted: Arc<Mutex<Option<Password>>>,
}

impl fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prompted = self.prompted.lock().map(|p| p.is_some()).unwrap_or(false);
        f.debug_struct("ConnectOptions")
            .field("targets", &self.targets)
            .field("user", &self.user)
            .field("dbname", &self.dbname)
            .field("password", &self.password)
            .field("passfile", &self.passfile)
            .field("prompt", &self.prompt)
            .field("precedence", &self.precedence)
            .field("ssl", &self.ssl)
            .field("application_name", &self.application_name)
            .field("connect_timeout", &self.connect_timeout)
            .field("options", &self.options)
            .field("target_session_attrs", &self.target_session_attrs)
            .field("load_balance", &self.load_balance)
            .field("channel_binding", &self.channel_binding)
            .field("role", &self.role)
            .field("has_prompted_password", &prompted)
            .finish_non_exhaustive()
    }
}

impl ConnectOptions {
    /// Resolves options as pg_dump and pg_restore do: `-h -p -U` from `args`, then `dbname`
    /// (a plain name, a `key=value` string or a URI; a string overrides `-h -p -U`), then a
    /// service file, the environment and libpq's defaults for whatever is still unset.
    /// `application` is the stock tool's name, used when no `application_name` is set.
    pub fn resolve(
        args: &ConnectionArgs,
        dbname: Option<&str>,
        application: &str,
        env: &impl Env,
    ) -> Result<ConnectOptions> {
        ConnectOptions::resolve_with(args, dbname, application, Precedence::ConnectionStringWins, env)
    }

    /// [`ConnectOptions::resolve`] with an explicit [`Precedence`] (pg_dumpall wants
    /// [`Precedence::ArgumentsWin`]).
    pub fn resolve_with(
        args: &ConnectionArgs,
        dbname: Option<&str>,
        application: &str,
        precedence: Precedence,
        env: &impl Env,
    ) -> Result<ConnectOptions> {
        let mut info = ConnInfo::default();
        let from_args: [(&str, Option<&str>); 3] =
            [("host", args.host.as_deref()), ("port", args.port.as_deref()), ("user", args.username.as_deref())];
        let set_args = |info: &mut ConnInfo| -> Result<()> {
            for (name, value) in from_args {
                // Empty arguments count as absent (PQconnectdbParams skips empty values).
                if let Some(value) = value.filter(|v| !v.is_empty()) {
                    info.set(name, value)?;
                }
            }
            Ok(())
        };
        let mut password_in_string = false;
        if precedence == Precedence::ConnectionStringWins {
            set_args(&mut info)?;
        }
        if let Some(db) = dbname.filter(|d| !d.is_empty()) {
            if is_connection_string(db) {
                let parsed = ConnInfo::parse(db)?;
                password_in_string = parsed.is_set("password");
                match precedence {
                    Precedence::ConnectionStringWins => info.overlay(&parsed),
                    // pg_dumpall copies only the non-empty values of its -d string.
                    Precedence::ArgumentsWin => {
                        for (name, value) in parsed.iter().filter(|(_, v)| !v.is_empty()) {
                            info.set(name, value)?;
                        }
                    }
                }
            } else {
                info.set("dbname", db)?;
            }
        }
        if precedence == Precedence::ArgumentsWin {
            set_args(&mut info)?;
        }
        if !application.is_empty() {
            info.set("fallback_application_name", application)?;
        }
        add_defaults(&mut info, env)?;
        let prompt = if args.no_password {
            PasswordPrompt::Never
        } else if args.password {
            PasswordPrompt::Always
        } else {
            PasswordPrompt::IfNeeded
        };
        build(&info, password_in_string, prompt, precedence, args.role.clone(), env)
    }

    /// The same settings for another database (pg_dumpall's per-database connections,
    /// pg_restore -C's reconnection). A password typed at a prompt is shared.
    pub fn for_database(&self, dbname: &str) -> ConnectOptions {
        ConnectOptions { dbname: dbname.to_string(), ..self.clone() }
    }

    /// The password typed at a prompt, if any (pg_dump hands it to its worker connections).
    pub fn prompted_password(&self) -> Option<Password> {
        self.prompted.lock().ok().and_then(|p| p.clone())
    }
}

/// libpq's `conninfo_add_defaults`: a service file first, then environment variables, then
/// compiled-in defaults, each only for keywords still unset.
fn add_defaults(info: &mut ConnInfo, env: &impl Env) -> Result<()> {
    let service = info.get("service").map(str::to_string).or_else(|| env.var("PGSERVICE"));
    if let Some(service) = service {
        service::apply(&service, info, env)?;
    }
    let mut sslmode_defaulted = false;
    for keyword in KEYWORDS {
        if info.is_set(keyword.name) {
            continue;
        }
        if let Some(value) = keyword.env.and_then(|name| env.var(name)) {
            info.set(keyword.name, &value)?;
            continue;
        }
        if keyword.name == "sslmode" {
            // The deprecated PGREQUIRESSL=1 still means sslmode=require.
            if env.var("PGREQUIRESSL").is_some_and(|v| v.starts_with('1')) {
                info.set("sslmode", "require")?;
                continue;
            }
            sslmode_defaulted = true;
        }
        if let Some(default) = keyword.default {
            info.set(keyword.name, default)?;
        }
    }
    // sslrootcert=system with no sslmode given strengthens the default to verify-full.
    if sslmode_defaulted && info.get("sslrootcert") == Some("system") {
        info.set("sslmode", "verify-full")?;
    }
    Ok(())
}

fn invalid_value(keyword: &str, value: &str) -> Error {
    Error::ConnectionOptions(format!("invalid {keyword} value: \"{value}\""))
}

fn invalid_integer(keyword: &str, value: &str) -> Error {
    Error::ConnectionOptions(format!("invalid integer value \"{value}\" for connection option \"{keyword}\""))
}

/// libpq's `pqParseIntParam`: an integer with optional surrounding whitespace.
fn parse_int(info: &ConnInfo, keyword: &str) -> Result<Option<i64>> {
    match info.get(keyword).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(text) => {
            let value: i32 = text.trim().parse().map_err(|_| invalid_integer(keyword, text))?;
            Ok(Some(i64::from(value)))
        }
    }
}

fn seconds(info: &ConnInfo, keyword: &str) -> Result<Option<Duration>> {
    Ok(parse_int(info, keyword)?.filter(|s| *s > 0).map(|s| Duration::from_secs(s as u64)))
}

/// Options pgark accepts the keyword of but cannot honour: refusing them is safer than
/// ignoring a security setting.
const UNSUPPORTED: &[&str] = &[
    "require_auth",
    "sslcrl",
    "sslcrldir",
    "requirepeer",
    "replication",
    "sslkeylogfile",
    "scram_client_key",
    "scram_server_key",
    "oauth_issuer",
    "oauth_client_id",
    "oauth_client_secret",
    "oauth_scope",
];

/// libpq's `pqConnectOptions2`: hosts, ports, user and database defaults, validation.
fn build(
    info: &ConnInfo,
    password_in_string: bool,
    prompt: PasswordPrompt,
    precedence: Precedence,
    role: Option<String>,
    env: &impl Env,
) -> Result<ConnectOptions> {
    let nonempty = |name: &str| info.get(name).filter(|v| !v.is_empty());
    for name in UNSUPPORTED {
        if nonempty(name).is_some() {
            return Err(Error::ConnectionOptions(format!("connection option \"{name}\" is not supported by pgark")));
        }
    }
    if nonempty("gssencmode") == Some("require") {
        return Err(Error::ConnectionOptions(
            "gssencmode value \"require\" invalid when GSSAPI support is not compiled in".into(),
        ));
    }
    if let Some(mode) = nonempty("gssencmode").filter(|m| !matches!(*m, "disable" | "prefer")) {
        return Err(invalid_value("gssencmode", mode));
    }
    if let Some(mode) = nonempty("sslcertmode") {
        match mode {
            "disable" | "allow" => {}
            "require" => {
                return Err(Error::ConnectionOptions(
                    "connection option \"sslcertmode=require\" is not supported by pgark".into(),
                ))
            }
            other => return Err(invalid_value("sslcertmode", other)),
        }
    }
    for name in ["min_protocol_version", "max_protocol_version"] {
        if let Some(version) = nonempty(name).filter(|v| *v != "3.0") {
            return Err(invalid_value(name, version));
        }
    }

    let default_socket_dir = env.default_socket_dir();
    let targets = build_targets(info, &default_socket_dir)?;

    let user = match nonempty("user") {
        Some(user) => user.to_string(),
        None => env.os_user().ok_or_else(|| {
            Error::ConnectionOptions("could not look up local user name: no user name given and none known".into())
        })?,
    };
    let dbname = nonempty("dbname").unwrap_or(&user).to_string();

    let password = nonempty("password").map(|p| {
        let source = if password_in_string { PasswordSource::ConnectionString } else { PasswordSource::Default };
        (Password::new(p), source)
    });
    let passfile = match nonempty("passfile") {
        Some(path) => Some(PathBuf::from(path)),
        None => env.home_dir().map(|home| home.join(".pgpass")),
    };

    let ssl = build_ssl(info, env)?;

    let application_name = nonempty("application_name")
        .or_else(|| nonempty("fallback_application_name"))
        .map(str::to_string);
    // libpq insists on at least two seconds so rounding cannot make the timeout instant.
    let connect_timeout = parse_int(info, "connect_timeout")?
        .filter(|s| *s > 0)
        .map(|s| Duration::from_secs(s.max(2) as u64));
    let options = nonempty("options").map(str::to_string);
    let target_session_attrs = match nonempty("target_session_attrs").unwrap_or("any") {
        "any" => TargetSessionAttrs::Any,
        "read-write" => TargetSessionAttrs::ReadWrite,
        "read-only" => TargetSessionAttrs::ReadOnly,
        "primary" => TargetSessionAttrs::Primary,
        "standby" => TargetSessionAttrs::Standby,
        "prefer-standby" => TargetSessionAttrs::PreferStandby,
        other => return Err(invalid_value("target_session_attrs", other)),
    };
    let load_balance = match nonempty("load_balance_hosts").unwrap_or("disable") {
        "disable" => false,
        "random" => true,
        other => return Err(invalid_value("load_balance_hosts", other)),
    };
    let channel_binding = match nonempty("channel_binding").unwrap_or("prefer") {
        "disable" => ChannelBinding::Disable,
        "prefer" => ChannelBinding::Prefer,
        "require" => ChannelBinding::Require,
        other => return Err(invalid_value("channel_binding", other)),
    };
    let keepalives = parse_int(info, "keepalives")? != Some(0);
    let keepalives_count = parse_int(info, "keepalives_count")?.filter(|v| *v > 0).map(|v| v as u32);
    let tcp_user_timeout = parse_int(info, "tcp_user_timeout")?
        .filter(|ms| *ms > 0)
        .map(|ms| Duration::from_millis(ms as u64));

    Ok(ConnectOptions {
        targets,
        user,
        dbname,
        password,
        passfile,
        prompt,
        precedence,
        ssl,
        application_name,
        connect_timeout,
        options,
        target_session_attrs,
        load_balance,
        channel_binding,
        keepalives,
        keepalives_idle: seconds(info, "keepalives_idle")?,
        keepalives_interval: seconds(info, "keepalives_interval")?,
        keepalives_count,
        tcp_user_timeout,
        role: role.filter(|r| !r.is_empty()),
        default_socket_dir,
        terminal: env.terminal(),
        prompted: Arc::new(Mutex::new(None)),
    })
}

/// Splits `host`, `hostaddr` and `port` into targets, as libpq does: one entry per
/// `hostaddr` (or `host`) element, one port for all or one port per host.
fn build_targets(info: &ConnInfo, default_socket_dir: &Path) -> Result<Vec<Target>> {
    let list = |name: &str| -> Option<Vec<String>> {
        info.get(name).filter(|v| !v.is_empty()).map(|v| v.split(',').map(str::to_string).collect())
    };
    let hostaddrs = list("hostaddr");
    let hosts = list("host");
    let count = hostaddrs.as_ref().or(hosts.as_ref()).map_or(1, Vec::len);
    if let (Some(hostaddrs), Some(hosts)) = (&hostaddrs, &hosts) {
        if hosts.len() != hostaddrs.len() {
            return Err(Error::ConnectionOptions(format!(
                "could not match {} host names to {} hostaddr values",
                hosts.len(),
                hostaddrs.len()
            )));
        }
    }
    let ports = match list("port") {
        None => vec![String::new(); count],
        Some(ports) if ports.len() == 1 => vec![ports[0].clone(); count],
        Some(ports) if ports.len() == count => ports,
        Some(ports) => {
            return Err(Error::ConnectionOptions(format!(
                "could not match {} port numbers to {count} hosts",
                ports.len()
            )))
        }
    };
    let mut targets = Vec::with_capacity(count);
    for (i, port_text) in ports.iter().enumerate() {
        let port = if port_text.is_empty() {
            5432
        } else {
            match port_text.trim().parse::<u16>() {
                Ok(port) if port > 0 => port,
                _ => return Err(Error::ConnectionOptions(format!("invalid port number: \"{port_text}\""))),
            }
        };
        let host = hosts.as_ref().and_then(|h| h.get(i)).filter(|h| !h.is_empty()).cloned();
        let hostaddr = hostaddrs.as_ref().and_then(|a| a.get(i)).filter(|a| !a.is_empty());
        let kind = match (host, hostaddr) {
            (host, Some(addr)) => {
                let parsed: IpAddr = addr.parse().map_err(|_| {
                    Error::ConnectionOptions(format!("could not parse network address \"{addr}\""))
                })?;
                HostKind::Tcp { host, hostaddr: Some(parsed) }
            }
            (Some(host), None) if host.starts_with('/') => HostKind::Socket(PathBuf::from(host)),
            (Some(host), None) => HostKind::Tcp { host: Some(host), hostaddr: None },
            (None, None) => HostKind::Socket(default_socket_dir.to_path_buf()),
        };
        targets.push(Target { kind, port });
    }
    Ok(targets)
}

fn build_ssl(info: &ConnInfo, env: &impl Env) -> Result<SslOptions> {
    let nonempty = |name: &str| info.get(name).filter(|v| !v.is_empty());
    let mode = SslMode::parse(nonempty("sslmode").unwrap_or("prefer"))?;
    let home_file = |name: &str| env.home_dir().map(|home| home.join(".postgresql").join(name));
    let root_certs = match nonempty("sslrootcert") {
        Some("system") => RootCerts::System,
        Some(path) => RootCerts::File { path: PathBuf::from(path), explicit: true },
        None => match home_file("root.crt") {
            Some(path) => RootCerts::File { path, explicit: false },
            None => RootCerts::None,
        },
    };
    if root_certs == RootCerts::System && mode != SslMode::VerifyFull {
        return Err(Error::ConnectionOptions(format!(
            "weak sslmode \"{}\" may not be used with sslrootcert=system (use \"verify-full\")",
            mode.as_str()
        )));
    }
    let direct = match nonempty("sslnegotiation").unwrap_or("postgres") {
        "postgres" => false,
        "direct" => true,
        other => return Err(invalid_value("sslnegotiation", other)),
    };
    if direct && mode < SslMode::Require {
        return Err(Error::ConnectionOptions(format!(
            "weak sslmode \"{}\" may not be used with sslnegotiation=direct (use \"require\", \"verify-ca\", or \"verify-full\")",
            mode.as_str()
        )));
    }
    let version = |name: &str| -> Result<Option<u8>> {
        match nonempty(name) {
            None => Ok(None),
            Some(text) => match text.to_ascii_lowercase().as_str() {
                "tlsv1" => Ok(Some(0)),
                "tlsv1.1" => Ok(Some(1)),
                "tlsv1.2" => Ok(Some(2)),
                "tlsv1.3" => Ok(Some(3)),
                _ => Err(invalid_value(name, text)),
            },
        }
    };
    let min = version("ssl_min_protocol_version")?.unwrap_or(0);
    let max = version("ssl_max_protocol_version")?.unwrap_or(3);
    if min > max {
        return Err(Error::ConnectionOptions("invalid SSL protocol version range".into()));
    }
    // rustls speaks TLS 1.2 and 1.3 only; older versions are never negotiated.
    let tls12 = min <= 2 && max >= 2;
    let tls13 = max >= 3;
    if !tls12 && !tls13 {
        return Err(Error::ConnectionOptions(
            "ssl_max_protocol_version below TLSv1.2 is not supported by pgark".into(),
        ));
    }
    Ok(SslOptions {
        mode,
        root_certs,
        cert: nonempty("sslcert").map(PathBuf::from).or_else(|| home_file("postgresql.crt")),
        key: nonempty("sslkey").map(PathBuf::from).or_else(|| home_file("postgresql.key")),
        sni: nonempty("sslsni") != Some("0"),
        direct,
        tls12,
        tls13,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::env::MapEnv;

    fn args(host: Option<&str>, port: Option<&str>, user: Option<&str>) -> ConnectionArgs {
        ConnectionArgs {
            host: host.map(Into::into),
            port: port.map(Into::into),
            username: user.map(Into::into),
            ..ConnectionArgs::default()
        }
    }

    fn resolve(args: &ConnectionArgs, db: Option<&str>, env: &MapEnv) -> ConnectOptions {
        ConnectOptions::resolve(args, db, "pg_dump", env).unwrap_or_else(|e| panic!("resolve: {e}"))
    }

    fn tcp(host: &str) -> HostKind {
        HostKind::Tcp { host: Some(host.into()), hostaddr: None }
    }

    #[test]
    fn defaults_are_libpqs() {
        let env = MapEnv::new();
        let opts = resolve(&ConnectionArgs::default(), None, &env);
        assert_eq!(opts.targets, vec![Target { kind: HostKind::Socket("/tmp".into()), port: 5432 }]);
        assert_eq!(opts.user, "alice");
        assert_eq!(opts.dbname, "alice");
        assert_eq!(opts.ssl.mode, SslMode::Prefer);
        assert_eq!(opts.application_name.as_deref(), Some("pg_dump"));
        assert_eq!(opts.target_session_attrs, TargetSessionAttrs::Any);
        assert_eq!(opts.prompt, PasswordPrompt::IfNeeded);
        assert!(opts.password.is_none());
        assert!(opts.passfile.is_none());
    }

    #[test]
    fn connection_string_overrides_arguments_for_pg_dump_but_not_pg_dumpall() {
        let env = MapEnv::new();
        let a = args(Some("argshost"), Some("1111"), Some("argsuser"));
        let opts = resolve(&a, Some("host=connhost dbname=db"), &env);
        assert_eq!(opts.targets[0].kind, tcp("connhost"));
        assert_eq!(opts.targets[0].port, 1111);
        assert_eq!(opts.user, "argsuser");
        assert_eq!(opts.dbname, "db");

        let opts = ConnectOptions::resolve_with(&a, Some("postgresql://u@connhost:2222/db"), "pg_dumpall", Precedence::ArgumentsWin, &env)
            .expect("resolve");
        assert_eq!(opts.targets[0].kind, tcp("argshost"));
        assert_eq!(opts.targets[0].port, 1111);
        assert_eq!(opts.user, "argsuser");
        assert_eq!(opts.dbname, "db");
    }

    #[test]
    fn arguments_beat_environment_and_environment_beats_defaults() {
        let env = MapEnv::new()
            .with("PGHOST", "envhost")
            .with("PGPORT", "6000")
            .with("PGUSER", "envuser")
            .with("PGDATABASE", "envdb")
            .with("PGAPPNAME", "envapp")
            .with("PGSSLMODE", "require")
            .with("PGCONNECT_TIMEOUT", "1")
            .with("PGOPTIONS", "-c geqo=off")
            .with("PGTARGETSESSIONATTRS", "read-write");
        let opts = resolve(&args(Some("arghost"), None, None), None, &env);
        assert_eq!(opts.targets, vec![Target { kind: tcp("arghost"), port: 6000 }]);
        assert_eq!(opts.user, "envuser");
        assert_eq!(opts.dbname, "envdb");
        assert_eq!(opts.application_name.as_deref(), Some("envapp"));
        assert_eq!(opts.ssl.mode, SslMode::Require);
        assert_eq!(opts.connect_timeout, Some(Duration::from_secs(2)));
        assert_eq!(opts.options.as_deref(), Some("-c geqo=off"));
        assert_eq!(opts.target_session_attrs, TargetSessionAttrs::ReadWrite);
    }

    #[test]
    fn empty_value_in_a_string_blocks_the_environment() {
        let env = MapEnv::new().with("PGHOST", "envhost");
        let opts = resolve(&ConnectionArgs::default(), Some("host='' dbname=d"), &env);
        assert_eq!(opts.targets[0].kind, HostKind::Socket("/tmp".into()));
        // ...but an empty -h is simply absent.
        let opts = resolve(&args(Some(""), None, None), None, &env);
        assert_eq!(opts.targets[0].kind, tcp("envhost"));
    }

    #[test]
    fn service_file_sits_between_string_and_environment() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("svc.conf");
        std::fs::write(&file, "[prod]\nhost=svchost\nport=7777\ndbname=svcdb\n").expect("write");
        let env = MapEnv::new()
            .with("PGSERVICEFILE", &file.display().to_string())
            .with("PGPORT", "1")
            .with("PGUSER", "envuser");
        let opts = resolve(&ConnectionArgs::default(), Some("service=prod dbname=mine"), &env);
        assert_eq!(opts.targets, vec![Target { kind: tcp("svchost"), port: 7777 }]);
        assert_eq!(opts.dbname, "mine");
        assert_eq!(opts.user, "envuser");
        let env = env.with("PGSERVICE", "prod");
        let opts = resolve(&ConnectionArgs::default(), None, &env);
        assert_eq!(opts.dbname, "svcdb");
    }

    #[test]
    fn host_lists_sockets_and_hostaddr() {
        let env = MapEnv::new();
        let opts = resolve(&ConnectionArgs::default(), Some("postgresql://a:1,%2Fvar%2Frun%2Fpg:2,[::1]:3/d"), &env);
        assert_eq!(opts.targets, vec![
            Target { kind: tcp("a"), port: 1 },
            Target { kind: HostKind::Socket("/var/run/pg".into()), port: 2 },
            Target { kind: tcp("::1"), port: 3 },
        ]);
        assert_eq!(opts.targets[1].socket_path(), Some(PathBuf::from("/var/run/pg/.s.PGSQL.2")));
        let opts = resolve(&ConnectionArgs::default(), Some("host=h1,h2 port=9"), &env);
        assert_eq!(opts.targets.iter().map(|t| t.port).collect::<Vec<_>>(), vec![9, 9]);
        let opts = resolve(&ConnectionArgs::default(), Some("host=name hostaddr=127.0.0.1"), &env);
        assert_eq!(
            opts.targets[0].kind,
            HostKind::Tcp { host: Some("name".into()), hostaddr: Some("127.0.0.1".parse().expect("ip")) }
        );
        assert_eq!(opts.targets[0].pgpass_host(), "name");
    }

    #[test]
    fn invalid_values_are_refused_in_libpq_words() {
        let env = MapEnv::new();
        let error = |db: &str| {
            ConnectOptions::resolve(&ConnectionArgs::default(), Some(db), "pg_dump", &env)
                .expect_err(db)
                .to_string()
        };
        assert_eq!(error("sslmode=sometimes"), "invalid sslmode value: \"sometimes\"");
        assert_eq!(error("host=a,b port=1,2,3"), "could not match 3 port numbers to 2 hosts");
        assert_eq!(error("host=a,b hostaddr=127.0.0.1"), "could not match 2 host names to 1 hostaddr values");
        assert_eq!(error("port=x"), "invalid port number: \"x\"");
        assert_eq!(error("connect_timeout=soon"), "invalid integer value \"soon\" for connection option \"connect_timeout\"");
        assert_eq!(
            error("sslrootcert=system sslmode=require"),
            "weak sslmode \"require\" may not be used with sslrootcert=system (use \"verify-full\")"
        );
        assert_eq!(error("target_session_attrs=fast"), "invalid target_session_attrs value: \"fast\"");
        assert_eq!(error("require_auth=md5"), "connection option \"require_auth\" is not supported by pgark");
        let opts = resolve(&ConnectionArgs::default(), Some("sslrootcert=system"), &env);
        assert_eq!(opts.ssl.mode, SslMode::VerifyFull);
    }

    #[test]
    fn password_sources_and_prompt_flags() {
        let env = MapEnv::new().with("PGPASSWORD", "fromenv");
        let mut a = ConnectionArgs::default();
        let opts = resolve(&a, None, &env);
        assert_eq!(opts.password.as_ref().map(|(p, s)| (p.expose(), *s)), Some(("fromenv", PasswordSource::Default)));
        let opts = resolve(&a, Some("password=fromstring"), &env);
        assert_eq!(
            opts.password.as_ref().map(|(p, s)| (p.expose(), *s)),
            Some(("fromstring", PasswordSource::ConnectionString))
        );
        a.no_password = true;
        assert_eq!(resolve(&a, None, &env).prompt, PasswordPrompt::Never);
        a.no_password = false;
        a.password = true;
        assert_eq!(resolve(&a, None, &env).prompt, PasswordPrompt::Always);
    }

    #[test]
    fn home_supplies_pgpass_and_certificate_defaults() {
        let mut env = MapEnv::new();
        env.home = Some("/home/alice".into());
        let opts = resolve(&ConnectionArgs::default(), None, &env);
        assert_eq!(opts.passfile, Some(PathBuf::from("/home/alice/.pgpass")));
        assert_eq!(
            opts.ssl.root_certs,
            RootCerts::File { path: "/home/alice/.postgresql/root.crt".into(), explicit: false }
        );
        assert_eq!(opts.ssl.cert, Some(PathBuf::from("/home/alice/.postgresql/postgresql.crt")));
        let env = env.with("PGPASSFILE", "/elsewhere/pw");
        assert_eq!(resolve(&ConnectionArgs::default(), None, &env).passfile, Some(PathBuf::from("/elsewhere/pw")));
    }

    #[test]
    fn ssl_and_address_settings_come_from_the_environment() {
        let env = MapEnv::new()
            .with("PGHOSTADDR", "127.0.0.1")
            .with("PGSSLMODE", "verify-ca")
            .with("PGSSLROOTCERT", "/certs/ca.crt")
            .with("PGSSLCERT", "/certs/me.crt")
            .with("PGSSLKEY", "/certs/me.key")
            .with("PGSSLSNI", "0");
        let opts = resolve(&ConnectionArgs::default(), None, &env);
        assert_eq!(opts.targets, vec![Target {
            kind: HostKind::Tcp { host: None, hostaddr: Some("127.0.0.1".parse().expect("ip")) },
            port: 5432
        }]);
        assert_eq!(opts.targets[0].pgpass_host(), "127.0.0.1");
        assert_eq!(opts.ssl.mode, SslMode::VerifyCa);
        assert_eq!(opts.ssl.root_certs, RootCerts::File { path: "/certs/ca.crt".into(), explicit: true });
        assert_eq!(opts.ssl.cert, Some(PathBuf::from("/certs/me.crt")));
        assert_eq!(opts.ssl.key, Some(PathBuf::from("/certs/me.key")));
        assert!(!opts.ssl.sni);
        // The deprecated PGREQUIRESSL applies only when PGSSLMODE does not.
        let env = MapEnv::new().with("PGREQUIRESSL", "1");
        assert_eq!(resolve(&ConnectionArgs::default(), None, &env).ssl.mode, SslMode::Require);
        let env = env.with("PGSSLMODE", "disable");
        assert_eq!(resolve(&ConnectionArgs::default(), None, &env).ssl.mode, SslMode::Disable);
        // TLS version bounds.
        let opts = resolve(&ConnectionArgs::default(), Some("ssl_min_protocol_version=TLSv1.3"), &MapEnv::new());
        assert!(!opts.ssl.tls12 && opts.ssl.tls13);
        let opts = resolve(&ConnectionArgs::default(), Some("ssl_max_protocol_version=TLSv1.2"), &MapEnv::new());
        assert!(opts.ssl.tls12 && !opts.ssl.tls13);
    }

    #[test]
    fn connecting_is_sendable() {
        fn assert_send<T: Send>(_: &T) {}
        let opts = resolve(&ConnectionArgs::default(), None, &MapEnv::new());
        let future = opts.connect();
        assert_send(&future);
    }

    #[test]
    fn for_database_keeps_everything_else() {
        let env = MapEnv::new();
        let opts = resolve(&args(Some("h"), Some("5"), Some("u")), Some("one"), &env);
        let other = opts.for_database("two");
        assert_eq!(other.dbname, "two");
        assert_eq!(other.targets, opts.targets);
        assert_eq!(other.user, "u");
    }

    #[test]
    fn debug_never_shows_a_password() {
        let env = MapEnv::new().with("PGPASSWORD", "envsecret");
        let opts = resolve(&ConnectionArgs::default(), Some("postgresql://u:urisecret@h/db"), &env);
        let shown = format!("{opts:?}");
        assert!(!shown.contains("urisecret") && !shown.contains("envsecret"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
