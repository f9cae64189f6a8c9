//! The password file (`~/.pgpass` or PGPASSFILE / `passfile`): lines of
//! `hostname:port:database:username:password`, read as libpq's `passwordFromFile` does.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::secret::Password;

/// What one connection attempt looks up: host (or socket directory), port, database, user.
#[derive(Debug, Clone, Copy)]
pub struct PassKey<'a> {
    pub host: &'a str,
    pub port: &'a str,
    pub dbname: &'a str,
    pub user: &'a str,
}

/// The outcome of consulting the password file.
#[derive(Debug)]
pub enum Lookup {
    Found(Password),
    /// No matching line, or no file (a missing file is not an error).
    NotFound,
    /// The file exists but is not used; the warning is libpq's, word for word.
    Ignored { warning: String },
}

/// Looks `key` up in the password file at `path`. `default_socket_dir` is the directory
/// that counts as `localhost` (as libpq's DEFAULT_PGSOCKET_DIR does).
pub fn lookup(path: &Path, key: PassKey<'_>, default_socket_dir: &Path) -> Lookup {
    if key.dbname.is_empty() || key.user.is_empty() {
        return Lookup::NotFound;
    }
    // 'localhost' matches an empty host or the default socket directory.
    let host = if key.host.is_empty() || (key.host.starts_with('/') && Path::new(key.host) == default_socket_dir) {
        "localhost"
    } else {
        key.host
    };
    let port = if key.port.is_empty() { "5432" } else { key.port };

    let Ok(meta) = std::fs::metadata(path) else {
        return Lookup::NotFound;
    };
    if !meta.is_file() {
        return Lookup::Ignored {
            warning: format!("WARNING: password file \"{}\" is not a plain file", path.display()),
        };
    }
    if meta.permissions().mode() & 0o077 != 0 {
        return Lookup::Ignored {
            warning: format!(
                "WARNING: password file \"{}\" has group or world access; permissions should be u=rw (0600) or less",
                path.display()
            ),
        };
    }
    let Ok(bytes) = std::fs::read(path) else {
        return Lookup::NotFound;
    };
    let text = String::from_utf8_lossy(&bytes);
    match find(&text, host, port, key.dbname, key.user) {
        Some(password) => Lookup::Found(password),
        None => Lookup::NotFound,
    }
}

/// The password of the first line matching all four fields.
fn find(text: &str, host: &str, port: &str, dbname: &str, user: &str) -> Option<Password> {
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut rest = line;
        let mut matched = true;
        for wanted in [host, port, dbname, user] {
            match match_field(rest, wanted) {
                Some(after) => rest = after,
                None => {
                    matched = false;
                    break;
                }
            }
        }
        if matched {
            return Some(Password::new(unescape_password(rest)));
        }
    }
    None
}

/// Matches one `:`-terminated field against `wanted`; returns the text after the colon.
/// A field of exactly `*` matches anything; `\` escapes the next character.
fn match_field<'a>(field_start: &'a str, wanted: &str) -> Option<&'a str> {
    if let Some(after) = field_start.strip_prefix("*:") {
        return Some(after);
    }
    let mut value = String::new();
    let mut chars = field_start.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, escaped)) => value.push(escaped),
                None => return None,
            },
            ':' => return (value == wanted).then(|| &field_start[i + 1..]),
            c => value.push(c),
        }
    }
    None
}

/// The password field: up to an unescaped `:` or the end, with `\x` → `x`.
fn unescape_password(field: &str) -> String {
    let mut out = String::new();
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => out.push(escaped),
                None => out.push('\\'),
            },
            ':' => break,
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str, host: &str, port: &str, db: &str, user: &str) -> Option<String> {
        find(text, host, port, db, user).map(|p| p.expose().to_string())
    }

    #[test]
    fn first_matching_line_wins_with_wildcards() {
        let file = "# comment\nother:5432:*:*:nope\nlocalhost:5432:db:u:first\n*:*:*:u:second\n";
        assert_eq!(found(file, "localhost", "5432", "db", "u").as_deref(), Some("first"));
        assert_eq!(found(file, "h", "1", "x", "u").as_deref(), Some("second"));
        assert_eq!(found(file, "h", "1", "x", "v"), None);
    }

    #[test]
    fn escapes_in_fields_and_password() {
        let file = "my\\:host:5432:d\\\\b:u:pa\\:ss\\\\word:ignored\r\n";
        assert_eq!(found(file, "my:host", "5432", "d\\b", "u").as_deref(), Some("pa:ss\\word"));
        // An escaped star is a literal star, not a wildcard.
        assert_eq!(found("\\*:*:*:*:pw\n", "h", "1", "d", "u"), None);
        assert_eq!(found("\\*:*:*:*:pw\n", "*", "1", "d", "u").as_deref(), Some("pw"));
    }

    #[test]
    fn short_or_commented_lines_never_match() {
        assert_eq!(found("h:5432:d:u:\n", "h", "5432", "d", "u").as_deref(), Some(""));
        assert_eq!(found("h:5432:d:u\n", "h", "5432", "d", "u"), None);
        assert_eq!(found("h:5432:d\n", "h", "5432", "d", "u"), None);
        assert_eq!(found("#h:5432:d:u:pw\n", "#h", "5432", "d", "u"), None);
    }
}
