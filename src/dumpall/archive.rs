//! Cluster archives (`pgark dumpall -F c|d|t -f DIR`, beyond stock): the on-disk
//! layout and its manifest, written by `commands::dumpall` and read by
//! [`super::restore`].
//!
//! ```text
//! DIR/
//!   pgark-cluster.txt         the manifest (below); written last, so a dump that
//!                             failed half-way is not taken for a cluster archive
//!   globals.sql               what `pgark dumpall -g` prints with the same options
//!                             (roles, memberships, parameter privileges, tablespaces),
//!                             always in UTF8; psql can run it as it is
//!   databases/<oid>.dump      one standard pg_dump archive per database: custom (-F c),
//!   databases/<oid>.tar       tar (-F t) or directory (-F d, `databases/<oid>/`), each
//!   databases/<oid>/          with its CREATE DATABASE, settings, ACL and comment
//!                             entries, so stock pg_restore can restore any of them
//! ```
//!
//! Files are named by the database's OID, never by its name, so no database name (with
//! `/`, `..`, newlines or anything else) ever becomes part of a path.
//!
//! The databases are those a plain `pg_dumpall` would dump (template0 and
//! `--exclude-database` / `--filter` matches left out), each dumped by pgark dump with the
//! options pg_dumpall passes to pg_dump, plus `--create` (the archive always holds the
//! `DATABASE` entry; the restore decides whether to run it) and `-Z`; `-j N` dumps N
//! databases at once. `-E` applies to the database archives; `globals.sql` is always
//! UTF8, since the restore runs it over a UTF8 session. With `-g`, `-r` or `-t` the
//! archive holds the globals only.
//!
//! The manifest is UTF-8 text, one item per line, `#` lines are comments:
//!
//! ```text
//! pgark-cluster-archive 1
//! format directory
//! globals globals.sql
//! database 1 databases/1 "template1"
//! database 16384 databases/16384 "sales \"eu\"\n2024"
//! ```
//!
//! `database` lines come in stock pg_dumpall's order (template1 first, then by name)
//! and give the OID, the archive's path relative to `DIR`, and the name as a quoted
//! string where `\\`, `\"`, `\n`, `\r`, `\t` and `\xHH` (any other control byte or a
//! byte that is not UTF-8) are escaped. Readers accept only paths of the form
//! `databases/<digits>[.dump|.tar]`.

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The manifest's file name inside a cluster archive directory.
pub const MANIFEST_FILE: &str = "pgark-cluster.txt";
/// The globals script's file name.
pub const GLOBALS_FILE: &str = "globals.sql";
/// The directory holding one archive per database.
pub const DATABASES_DIR: &str = "databases";
/// The manifest's first line.
const MAGIC: &str = "pgark-cluster-archive 1";

/// The pg_dump archive format of every database in a cluster archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseFormat {
    Custom,
    Directory,
    Tar,
}

impl DatabaseFormat {
    fn word(self) -> &'static str {
        match self {
            DatabaseFormat::Custom => "custom",
            DatabaseFormat::Directory => "directory",
            DatabaseFormat::Tar => "tar",
        }
    }

    fn from_word(word: &str) -> Option<DatabaseFormat> {
        match word {
            "custom" => Some(DatabaseFormat::Custom),
            "directory" => Some(DatabaseFormat::Directory),
            "tar" => Some(DatabaseFormat::Tar),
            _ => None,
        }
    }

    /// The archive path, relative to the cluster directory, of the database `oid`.
    pub fn archive_path(self, oid: u32) -> String {
        match self {
            DatabaseFormat::Custom => format!("{DATABASES_DIR}/{oid}.dump"),
            DatabaseFormat::Directory => format!("{DATABASES_DIR}/{oid}"),
            DatabaseFormat::Tar => format!("{DATABASES_DIR}/{oid}.tar"),
        }
    }
}

/// One database of a cluster archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedDatabase {
    pub oid: u32,
    /// The database's name, as the server stores it.
    pub name: Vec<u8>,
    /// The archive's path relative to the cluster directory.
    pub path: String,
}

impl ArchivedDatabase {
    /// The name for messages (lossy when not UTF-8).
    pub fn shown_name(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }

    /// `template1` and `postgres`, which every cluster has: restored into as they are
    /// (dropped and recreated only with `--clean`), as stock pg_dumpall's scripts do.
    pub fn is_builtin(&self) -> bool {
        self.name == b"template1" || self.name == b"postgres"
    }
}

/// A cluster archive's manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub format: DatabaseFormat,
    /// The globals script's path relative to the cluster directory.
    pub globals: String,
    /// In restore order.
    pub databases: Vec<ArchivedDatabase>,
}

impl Manifest {
    /// The manifest's text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(MAGIC);
        out.push('\n');
        out.push_str("# pgark cluster archive: restore with `pgark restore -d DBNAME DIR`\n");
        out.push_str(&format!("format {}\n", self.format.word()));
        out.push_str(&format!("globals {}\n", self.globals));
        for db in &self.databases {
            out.push_str(&format!(
                "database {} {} {}\n",
                db.oid,
                db.path,
                quote_name(&db.name)
            ));
        }
        out
    }

    /// Parses and checks a manifest; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Manifest> {
        let bad = |line: usize, why: &str| {
            Error::Restore(format!(
                "invalid cluster archive manifest \"{origin}\" on line {line}: {why}"
            ))
        };
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l))
            .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty());
        match lines.next() {
            Some((_, MAGIC)) => {}
            Some((n, _)) => return Err(bad(n, "not a pgark cluster archive of version 1")),
            None => return Err(bad(1, "empty manifest")),
        }
        let (mut format, mut globals, mut databases) = (None, None, Vec::new());
        for (n, line) in lines {
            let (keyword, rest) = line.split_once(' ').unwrap_or((line, ""));
            match keyword {
                "format" => {
                    format = Some(
                        DatabaseFormat::from_word(rest)
                            .ok_or_else(|| bad(n, "unknown archive format"))?,
                    )
                }
                "globals" if rest == GLOBALS_FILE => globals = Some(rest.to_string()),
                "globals" => return Err(bad(n, "unexpected globals file name")),
                "database" => {
                    let mut fields = rest.splitn(3, ' ');
                    let (Some(oid), Some(path), Some(name)) =
                        (fields.next(), fields.next(), fields.next())
                    else {
                        return Err(bad(n, "a database line needs an OID, a path and a name"));
                    };
                    let oid: u32 = oid.parse().map_err(|_| bad(n, "invalid OID"))?;
                    let format = format.ok_or_else(|| bad(n, "database before format"))?;
                    if path != format.archive_path(oid) {
                        return Err(bad(n, "unexpected archive path"));
                    }
                    let name = unquote_name(name).ok_or_else(|| bad(n, "invalid quoted name"))?;
                    databases.push(ArchivedDatabase {
                        oid,
                        name,
                        path: path.to_string(),
                    });
                }
                _ => return Err(bad(n, "unknown line")),
            }
        }
        Ok(Manifest {
            format: format.ok_or_else(|| bad(1, "no format line"))?,
            globals: globals.ok_or_else(|| bad(1, "no globals line"))?,
            databases,
        })
    }

    /// Reads the manifest of the cluster archive `dir`.
    pub fn read(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST_FILE);
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
            path: format!("could not read cluster archive manifest \"{shown}\""),
            source,
        })?;
        Manifest::parse(&text, &shown)
    }
}

/// Whether `path` is a cluster archive directory (it holds a manifest).
pub fn is_cluster_archive(path: &str) -> bool {
    let dir = PathBuf::from(path);
    dir.is_dir() && dir.join(MANIFEST_FILE).is_file()
}

/// A database name as a manifest string.
fn quote_name(name: &[u8]) -> String {
    let mut out = String::from("\"");
    for chunk in name.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    out.push_str(&format!("\\x{:02x}", c as u32))
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.push('"');
    out
}

/// The bytes of a manifest string; `None` when it is not one.
fn unquote_name(text: &str) -> Option<Vec<u8>> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = Vec::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                '\\' => out.push(b'\\'),
                '"' => out.push(b'"'),
                'n' => out.push(b'\n'),
                'r' => out.push(b'\r'),
                't' => out.push(b'\t'),
                'x' => {
                    let hex: String = [chars.next()?, chars.next()?].iter().collect();
                    out.push(u8::from_str_radix(&hex, 16).ok()?);
                }
                _ => return None,
            },
            '"' => return None,
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in [
            &b"plain"[..],
            b"with \"quotes\" and \\ back",
            b"new\nline\r\ttab\x01\x7f",
            b"../../etc/passwd",
            b"caf\xc3\xa9 \xff\xfe",
        ] {
            let quoted = quote_name(name);
            assert!(!quoted.contains('\n'), "{quoted}");
            assert_eq!(unquote_name(&quoted).as_deref(), Some(name), "{quoted}");
        }
        assert_eq!(unquote_name("\"a\"b\""), None);
        assert_eq!(unquote_name("\"a\\q\""), None);
        assert_eq!(unquote_name("no quotes"), None);
    }

    #[test]
    fn manifest_round_trips_and_refuses_foreign_paths() {
        let manifest = Manifest {
            format: DatabaseFormat::Tar,
            globals: GLOBALS_FILE.into(),
            databases: vec![
                ArchivedDatabase {
                    oid: 1,
                    name: b"template1".to_vec(),
                    path: DatabaseFormat::Tar.archive_path(1),
                },
                ArchivedDatabase {
                    oid: 16384,
                    name: b"a b\n\"c\" d".to_vec(),
                    path: DatabaseFormat::Tar.archive_path(16384),
                },
            ],
        };
        let text = manifest.render();
        assert_eq!(Manifest::parse(&text, "m").expect("parse"), manifest);
        let hostile = text.replace("databases/16384.tar", "../16384.tar");
        assert!(Manifest::parse(&hostile, "m").is_err());
        let hostile = text.replace("globals globals.sql", "globals /etc/passwd");
        assert!(Manifest::parse(&hostile, "m").is_err());
        assert!(Manifest::parse("something else\n", "m").is_err());
    }
}
