//! libpq connection strings: `key=value` lists and `postgresql://` URIs, parsed the way
//! `conninfo_parse` and `conninfo_uri_parse_options` in libpq's fe-connect.c do, into a
//! [`ConnInfo`] of keyword → value.

use std::collections::BTreeMap;
use std::fmt;

use crate::{Error, Result};

/// One libpq connection keyword: its name, the environment variable that supplies it when
/// nothing else does, and libpq's compiled-in default.
#[derive(Debug, Clone, Copy)]
pub struct Keyword {
    pub name: &'static str,
    pub env: Option<&'static str>,
    pub default: Option<&'static str>,
}

const fn kw(name: &'static str, env: Option<&'static str>, default: Option<&'static str>) -> Keyword {
    Keyword { name, env, default }
}

/// Every keyword libpq 18 accepts, in libpq's order. Accepting all of them keeps existing
/// service files and connection strings valid; which ones pgark acts on is decided in
/// `options.rs`.
pub const KEYWORDS: &[Keyword] = &[
    kw("service", Some("PGSERVICE"), None),
    kw("user", Some("PGUSER"), None),
    kw("password", Some("PGPASSWORD"), None),
    kw("passfile", Some("PGPASSFILE"), None),
    kw("channel_binding", Some("PGCHANNELBINDING"), Some("prefer")),
    kw("connect_timeout", Some("PGCONNECT_TIMEOUT"), None),
    kw("dbname", Some("PGDATABASE"), None),
    kw("host", Some("PGHOST"), None),
    kw("hostaddr", Some("PGHOSTADDR"), None),
    kw("port", Some("PGPORT"), Some("5432")),
    kw("client_encoding", Some("PGCLIENTENCODING"), None),
    kw("options", Some("PGOPTIONS"), Some("")),
    kw("application_name", Some("PGAPPNAME"), None),
    kw("fallback_application_name", None, None),
    kw("keepalives", None, None),
    kw("keepalives_idle", None, None),
    kw("keepalives_interval", None, None),
    kw("keepalives_count", None, None),
    kw("tcp_user_timeout", None, None),
    kw("sslmode", Some("PGSSLMODE"), Some("prefer")),
    kw("sslnegotiation", Some("PGSSLNEGOTIATION"), Some("postgres")),
    kw("sslcompression", Some("PGSSLCOMPRESSION"), Some("0")),
    kw("sslcert", Some("PGSSLCERT"), None),
    kw("sslkey", Some("PGSSLKEY"), None),
    kw("sslcertmode", Some("PGSSLCERTMODE"), Some("allow")),
    kw("sslpassword", None, None),
    kw("sslkeylogfile", Some("PGSSLKEYLOGFILE"), None),
    kw("sslrootcert", Some("PGSSLROOTCERT"), None),
    kw("sslcrl", Some("PGSSLCRL"), None),
    kw("sslcrldir", Some("PGSSLCRLDIR"), None),
    kw("sslsni", Some("PGSSLSNI"), Some("1")),
    kw("requirepeer", Some("PGREQUIREPEER"), None),
    kw("require_auth", Some("PGREQUIREAUTH"), None),
    kw("min_protocol_version", Some("PGMINPROTOCOLVERSION"), None),
    kw("max_protocol_version", Some("PGMAXPROTOCOLVERSION"), None),
    kw("ssl_min_protocol_version", Some("PGSSLMINPROTOCOLVERSION"), Some("TLSv1.2")),
    kw("ssl_max_protocol_version", Some("PGSSLMAXPROTOCOLVERSION"), None),
    kw("gssencmode", Some("PGGSSENCMODE"), Some("prefer")),
    kw("krbsrvname", Some("PGKRBSRVNAME"), Some("postgres")),
    kw("gsslib", Some("PGGSSLIB"), None),
    kw("gssdelegation", Some("PGGSSDELEGATION"), Some("0")),
    kw("replication", None, None),
    kw("target_session_attrs", Some("PGTARGETSESSIONATTRS"), Some("any")),
    kw("load_balance_hosts", Some("PGLOADBALANCEHOSTS"), Some("disable")),
    kw("scram_client_key", None, None),
    kw("scram_server_key", None, None),
    kw("oauth_issuer", None, None),
    kw("oauth_client_id", None, None),
    kw("oauth_client_secret", None, None),
    kw("oauth_scope", None, None),
];

/// Keywords whose values are secrets: never shown by `Debug`.
const SECRET_KEYWORDS: &[&str] = &["password", "sslpassword", "oauth_client_secret", "scram_client_key", "scram_server_key"];

/// The keyword named `name`, if libpq knows it.
pub fn keyword(name: &str) -> Option<&'static Keyword> {
    KEYWORDS.iter().find(|k| k.name == name)
}

/// Connection settings by keyword. A keyword present with an empty value is *set*: as in
/// libpq, `host=` in a connection string keeps `PGHOST` from applying.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConnInfo {
    values: BTreeMap<&'static str, String>,
}

impl ConnInfo {
    /// Parses a `postgresql://` / `postgres://` URI or a `key=value` string, libpq's way.
    pub fn parse(text: &str) -> Result<ConnInfo> {
        if uri_prefix_len(text) > 0 {
            parse_uri(text)
        } else {
            parse_key_values(text)
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Whether `name` was set (possibly to the empty string).
    pub fn is_set(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// Sets a keyword, rejecting names libpq does not know (`invalid connection option`).
    /// `requiressl` is translated to `sslmode` as libpq does.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        let (name, value) = if name == "requiressl" {
            ("sslmode", if value.starts_with('1') { "require" } else { "prefer" })
        } else {
            (name, value)
        };
        let keyword = keyword(name)
            .ok_or_else(|| Error::ConnectionOptions(format!("invalid connection option \"{name}\"")))?;
        self.values.insert(keyword.name, value.to_string());
        Ok(())
    }

    /// Sets a keyword only if it is not set yet (service files and the environment fill gaps).
    pub fn set_default(&mut self, name: &str, value: &str) -> Result<()> {
        if !self.is_set(name) {
            self.set(name, value)?;
        }
        Ok(())
    }

    pub fn remove(&mut self, name: &str) {
        self.values.remove(name);
    }

    /// Copies every keyword set in `other` over this one (libpq's expansion of a connection
    /// string given as the database name: it overrides what came before it).
    pub fn overlay(&mut self, other: &ConnInfo) {
        for (name, value) in &other.values {
            self.values.insert(name, value.clone());
        }
    }

    /// The keywords that are set, in keyword-name order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.values.iter().map(|(name, value)| (*name, value.as_str()))
    }
}

impl fmt::Debug for ConnInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (name, value) in &self.values {
            if SECRET_KEYWORDS.contains(name) {
                map.entry(name, &"<redacted>");
            } else {
                map.entry(name, value);
            }
        }
        map.finish()
    }
}

/// libpq's `recognized_connection_string`: a URI prefix or an `=` anywhere makes a
/// database name a connection string.
pub fn is_connection_string(text: &str) -> bool {
    uri_prefix_len(text) > 0 || text.contains('=')
}

fn uri_prefix_len(text: &str) -> usize {
    ["postgresql://", "postgres://"]
        .iter()
        .find(|prefix| text.starts_with(*prefix))
        .map_or(0, |prefix| prefix.len())
}

fn syntax(message: String) -> Error {
    Error::ConnectionOptions(message)
}

/// `key = value` pairs separated by whitespace; values may be single-quoted, and a backslash
/// escapes the next character both inside and outside quotes.
fn parse_key_values(text: &str) -> Result<ConnInfo> {
    let mut info = ConnInfo::default();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let mut name = String::new();
        while i < chars.len() && chars[i] != '=' && !chars[i].is_whitespace() {
            name.push(chars[i]);
            i += 1;
        }
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        if i >= chars.len() || chars[i] != '=' {
            return Err(syntax(format!("missing \"=\" after \"{name}\" in connection info string")));
        }
        i += 1;
        while i < chars.len() && chars[i].is_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < chars.len() && chars[i] == '\'' {
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(syntax("unterminated quoted string in connection info string".into())),
                    Some('\\') => {
                        i += 1;
                        if let Some(c) = chars.get(i) {
                            value.push(*c);
                            i += 1;
                        }
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(c) => {
                        value.push(*c);
                        i += 1;
                    }
                }
            }
        } else {
            while i < chars.len() && !chars[i].is_whitespace() {
                if chars[i] == '\\' {
                    i += 1;
                    if let Some(c) = chars.get(i) {
                        value.push(*c);
                        i += 1;
                    }
                } else {
                    value.push(chars[i]);
                    i += 1;
                }
            }
        }
        info.set(&name, &value)?;
    }
    Ok(info)
}

/// `postgresql://[user[:password]@][host][:port][,...][/dbname][?param1=value1&...]`, every
/// part percent-decoded. Error messages never repeat the password.
fn parse_uri(uri: &str) -> Result<ConnInfo> {
    let mut info = ConnInfo::default();
    let shown = redact_uri(uri);
    let rest = &uri[uri_prefix_len(uri)..];

    // Credentials: everything before an '@' that comes before the first '/'.
    let cred_end = rest.find(['@', '/']);
    let rest = match cred_end {
        Some(at) if rest.as_bytes()[at] == b'@' => {
            let creds = &rest[..at];
            let (user, password) = match creds.find(':') {
                Some(colon) => (&creds[..colon], Some(&creds[colon + 1..])),
                None => (creds, None),
            };
            if !user.is_empty() {
                info.set("user", &percent_decode(user, user)?)?;
            }
            if let Some(password) = password.filter(|p| !p.is_empty()) {
                info.set("password", &percent_decode(password, "(password)")?)?;
            }
            &rest[at + 1..]
        }
        _ => rest,
    };

    // Host list: netloc[:port] pairs separated by commas, up to '/' or '?'.
    let mut hosts: Vec<String> = Vec::new();
    let mut ports: Vec<String> = Vec::new();
    let bytes = rest.as_bytes();
    let mut p = 0;
    let terminator;
    loop {
        let host;
        if bytes.get(p) == Some(&b'[') {
            let start = p + 1;
            let close = rest[start..].find(']').map(|off| start + off).ok_or_else(|| {
                syntax(format!(
                    "end of string reached when looking for matching \"]\" in IPv6 host address in URI: \"{shown}\""
                ))
            })?;
            if close == start {
                return Err(syntax(format!("IPv6 host address may not be empty in URI: \"{shown}\"")));
            }
            host = &rest[start..close];
            p = close + 1;
            if let Some(&c) = bytes.get(p) {
                if !matches!(c, b':' | b'/' | b'?' | b',') {
                    return Err(syntax(format!(
                        "unexpected character \"{}\" at position {} in URI (expected \":\" or \"/\"): \"{shown}\"",
                        c as char,
                        uri_prefix_len(uri) + (uri.len() - uri_prefix_len(uri) - rest.len()) + p + 1
                    )));
                }
            }
        } else {
            let start = p;
            while p < bytes.len() && !matches!(bytes[p], b':' | b'/' | b'?' | b',') {
                p += 1;
            }
            host = &rest[start..p];
        }
        hosts.push(host.to_string());
        let mut port = String::new();
        let mut end = bytes.get(p).copied();
        if end == Some(b':') {
            p += 1;
            let start = p;
            while p < bytes.len() && !matches!(bytes[p], b'/' | b'?' | b',') {
                p += 1;
            }
            port = rest[start..p].to_string();
            end = bytes.get(p).copied();
        }
        ports.push(port);
        if end == Some(b',') {
            p += 1;
            continue;
        }
        terminator = end;
        break;
    }
    let host_list = hosts.join(",");
    if !host_list.is_empty() {
        info.set("host", &percent_decode(&host_list, &shown)?)?;
    }
    let port_list = ports.join(",");
    if !port_list.is_empty() {
        info.set("port", &percent_decode(&port_list, &shown)?)?;
    }

    let mut query = None;
    match terminator {
        Some(b'/') => {
            let after = &rest[p + 1..];
            let (dbname, q) = match after.find('?') {
                Some(mark) => (&after[..mark], Some(&after[mark + 1..])),
                None => (after, None),
            };
            // An empty dbname is left unset, so PGDATABASE still applies.
            if !dbname.is_empty() {
                info.set("dbname", &percent_decode(dbname, dbname)?)?;
            }
            query = q;
        }
        Some(b'?') => query = Some(&rest[p + 1..]),
        _ => {}
    }
    if let Some(query) = query {
        parse_uri_params(query, &mut info)?;
    }
    Ok(info)
}

/// `key=value&key=value`; keys and values percent-decoded; `ssl=true` means
/// `sslmode=require` (JDBC compatibility, as libpq).
fn parse_uri_params(query: &str, info: &mut ConnInfo) -> Result<()> {
    if query.is_empty() {
        return Ok(());
    }
    for pair in query.split('&') {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(syntax(format!("missing key/value separator \"=\" in URI query parameter: \"{pair}\"")));
        };
        if value.contains('=') {
            return Err(syntax(format!("extra key/value separator \"=\" in URI query parameter: \"{key}\"")));
        }
        let key = percent_decode(key, key)?;
        let shown = if SECRET_KEYWORDS.contains(&key.as_str()) { "(secret)" } else { value };
        let value = percent_decode(value, shown)?;
        if key == "ssl" && value == "true" {
            info.set("sslmode", "require")?;
            continue;
        }
        if keyword(&key).is_none() && key != "requiressl" {
            return Err(syntax(format!("invalid URI query parameter: \"{key}\"")));
        }
        info.set(&key, &value)?;
    }
    Ok(())
}

/// `%xy` → byte, as libpq's `conninfo_uri_decode`; `%00` is refused. `shown` is what the
/// error message quotes (never a password).
fn percent_decode(text: &str, shown: &str) -> Result<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
            match (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                (Some(hi), Some(lo)) => {
                    let byte = (hi * 16 + lo) as u8;
                    if byte == 0 {
                        return Err(syntax(format!("forbidden value %00 in percent-encoded value: \"{shown}\"")));
                    }
                    out.push(byte);
                    i += 3;
                }
                _ => return Err(syntax(format!("invalid percent-encoded token: \"{shown}\""))),
            }
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| syntax(format!("percent-encoded value is not valid UTF-8: \"{shown}\"")))
}

/// The URI with the password (between `user:` and `@`) replaced, for error messages.
fn redact_uri(uri: &str) -> String {
    let prefix = uri_prefix_len(uri);
    let rest = &uri[prefix..];
    if let Some(at) = rest.find(['@', '/']).filter(|at| rest.as_bytes()[*at] == b'@') {
        if let Some(colon) = rest[..at].find(':') {
            return format!("{}{}:********{}", &uri[..prefix], &rest[..colon], &rest[at..]);
        }
    }
    uri.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ConnInfo {
        ConnInfo::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn pairs(info: &ConnInfo) -> Vec<(String, String)> {
        info.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn expect(text: &str, want: &[(&str, &str)]) {
        let mut want: Vec<(String, String)> = want.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        want.sort();
        assert_eq!(pairs(&parse(text)), want, "parsing {text:?}");
    }

    fn error(text: &str) -> String {
        match ConnInfo::parse(text) {
            Ok(info) => panic!("{text:?} parsed as {info:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn key_value_strings_from_the_libpq_docs() {
        expect("host=localhost port=5432 dbname=mydb connect_timeout=10", &[
            ("host", "localhost"),
            ("port", "5432"),
            ("dbname", "mydb"),
            ("connect_timeout", "10"),
        ]);
        expect("host = localhost   port=5432", &[("host", "localhost"), ("port", "5432")]);
        expect("dbname='my db' password='it\\'s' user=a\\ b", &[
            ("dbname", "my db"),
            ("password", "it's"),
            ("user", "a b"),
        ]);
        // libpq skips blanks after '=', so this sets host to "dbname=x"; '' is the empty value.
        expect("host= dbname=x", &[("host", "dbname=x")]);
        expect("host='' dbname=x", &[("host", ""), ("dbname", "x")]);
        expect("options='-c geqo=off'", &[("options", "-c geqo=off")]);
        expect("requiressl=1", &[("sslmode", "require")]);
        expect("", &[]);
    }

    #[test]
    fn key_value_errors_use_libpq_wording() {
        assert_eq!(error("host"), "missing \"=\" after \"host\" in connection info string");
        assert_eq!(error("dbname='x"), "unterminated quoted string in connection info string");
        assert_eq!(error("nosuch=1"), "invalid connection option \"nosuch\"");
    }

    #[test]
    fn uris_from_the_libpq_docs() {
        expect("postgresql://", &[]);
        expect("postgresql://localhost", &[("host", "localhost")]);
        expect("postgresql://localhost:5433", &[("host", "localhost"), ("port", "5433")]);
        expect("postgresql://localhost/mydb", &[("host", "localhost"), ("dbname", "mydb")]);
        expect("postgresql://user@localhost", &[("user", "user"), ("host", "localhost")]);
        expect("postgresql://user:secret@localhost", &[
            ("user", "user"),
            ("password", "secret"),
            ("host", "localhost"),
        ]);
        expect("postgresql://other@localhost/otherdb?connect_timeout=10&application_name=myapp", &[
            ("user", "other"),
            ("host", "localhost"),
            ("dbname", "otherdb"),
            ("connect_timeout", "10"),
            ("application_name", "myapp"),
        ]);
        expect("postgresql://host1:123,host2:456/somedb?target_session_attrs=any&application_name=myapp", &[
            ("host", "host1,host2"),
            ("port", "123,456"),
            ("dbname", "somedb"),
            ("target_session_attrs", "any"),
            ("application_name", "myapp"),
        ]);
        expect("postgresql:///mydb?host=localhost&port=5433", &[
            ("dbname", "mydb"),
            ("host", "localhost"),
            ("port", "5433"),
        ]);
        expect("postgresql://[2001:db8::1234]/database", &[("host", "2001:db8::1234"), ("dbname", "database")]);
        expect("postgresql://[::1]:5433", &[("host", "::1"), ("port", "5433")]);
        expect("postgresql:///dbname?host=/var/lib/postgresql", &[
            ("dbname", "dbname"),
            ("host", "/var/lib/postgresql"),
        ]);
        expect("postgresql://%2Fvar%2Flib%2Fpostgresql/dbname", &[
            ("host", "/var/lib/postgresql"),
            ("dbname", "dbname"),
        ]);
        expect("postgres://h,%2Ftmp%2Fsock:5433/db", &[("host", "h,/tmp/sock"), ("port", ",5433"), ("dbname", "db")]);
        // A raw '/' ends the host list, as in libpq.
        expect("postgres://h,/tmp/db", &[("host", "h,"), ("port", ","), ("dbname", "tmp/db")]);
        expect("postgresql://localhost/mydb?ssl=true", &[
            ("host", "localhost"),
            ("dbname", "mydb"),
            ("sslmode", "require"),
        ]);
        expect("postgresql://us%40er:p%3Ass@h/d%20b", &[
            ("user", "us@er"),
            ("password", "p:ss"),
            ("host", "h"),
            ("dbname", "d b"),
        ]);
    }

    #[test]
    fn uri_errors_use_libpq_wording_and_hide_the_password() {
        assert_eq!(
            error("postgresql://[::1"),
            "end of string reached when looking for matching \"]\" in IPv6 host address in URI: \"postgresql://[::1\""
        );
        assert_eq!(error("postgresql://[]/db"), "IPv6 host address may not be empty in URI: \"postgresql://[]/db\"");
        assert_eq!(error("postgresql://h/db?nosuch=1"), "invalid URI query parameter: \"nosuch\"");
        assert_eq!(error("postgresql://h/db?port"), "missing key/value separator \"=\" in URI query parameter: \"port\"");
        assert_eq!(error("postgresql://h/d%zzb"), "invalid percent-encoded token: \"d%zzb\"");
        assert_eq!(error("postgresql://h/d%00b"), "forbidden value %00 in percent-encoded value: \"d%00b\"");
        let message = error("postgresql://u:topsecret%zz@h/db");
        assert!(!message.contains("topsecret"), "{message}");
        let message = error("postgresql://u:topsecret@[::1/db");
        assert!(!message.contains("topsecret"), "{message}");
    }

    #[test]
    fn recognises_connection_strings_like_libpq() {
        assert!(is_connection_string("postgresql://h"));
        assert!(is_connection_string("postgres://h"));
        assert!(is_connection_string("dbname=x"));
        assert!(!is_connection_string("mydb"));
        assert!(!is_connection_string("postgresql:/h"));
    }

    #[test]
    fn debug_redacts_passwords() {
        let info = parse("user=u password=hunter2 sslpassword=keypass host=h");
        let shown = format!("{info:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("keypass"), "{shown}");
        assert!(shown.contains("\"host\": \"h\""), "{shown}");
    }
}
