//! The SQL fixtures in `<repo>/fixtures/*.sql` and their headers.
//!
//! Each fixture starts with `-- min-version: NN` (the oldest server major it loads on) and
//! `-- description: ...`. Each loads alone into a fresh database, and all fixtures applicable
//! to a major load together, in name order, into one database.

use std::path::{Path, PathBuf};

/// One fixture file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixture {
    /// File stem, e.g. `basic` for `fixtures/basic.sql`.
    pub name: String,
    pub path: PathBuf,
    /// Oldest server major the fixture loads on.
    pub min_major: u32,
    /// The `-- description:` header, empty when absent.
    pub description: String,
}

/// The fixture directory, `<repo>/fixtures`.
pub fn dir() -> PathBuf {
    crate::repo_root().join("fixtures")
}

/// All fixtures in `<repo>/fixtures`, sorted by name. Panics on an unreadable file or a
/// missing / malformed `-- min-version:` header.
pub fn all() -> Vec<Fixture> {
    all_in(&dir())
}

/// All fixtures in `dir`, sorted by name (see [`all`]).
pub fn all_in(dir: &Path) -> Vec<Fixture> {
    let entries = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("testkit: cannot list fixtures in {}: {e}", dir.display()));
    let mut fixtures: Vec<Fixture> = entries
        .map(|entry| {
            entry
                .unwrap_or_else(|e| {
                    panic!("testkit: cannot list fixtures in {}: {e}", dir.display())
                })
                .path()
        })
        .filter(|path| path.extension().is_some_and(|ext| ext == "sql") && path.is_file())
        .map(|path| parse(&path))
        .collect();
    fixtures.sort_by(|a, b| a.name.cmp(&b.name));
    fixtures
}

/// The fixtures that load on `major`, sorted by name.
pub fn for_major(major: u32) -> Vec<Fixture> {
    all().into_iter().filter(|f| f.min_major <= major).collect()
}

/// The fixture called `name` (file stem). Panics if there is none.
pub fn by_name(name: &str) -> Fixture {
    let path = dir().join(format!("{name}.sql"));
    if !path.is_file() {
        panic!(
            "testkit: no fixture named {name:?} ({} does not exist)",
            path.display()
        );
    }
    parse(&path)
}

/// Reads the header of one fixture file.
pub fn parse(path: &Path) -> Fixture {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("testkit: cannot read fixture {}: {e}", path.display()));
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_else(|| {
            panic!(
                "testkit: fixture file name is not UTF-8: {}",
                path.display()
            )
        })
        .to_string();
    let mut min_major = None;
    let mut description = String::new();
    // The headers are the leading comment lines; stop at the first line of SQL.
    for line in text
        .lines()
        .take_while(|l| l.trim().is_empty() || l.trim_start().starts_with("--"))
    {
        let comment = line.trim_start().trim_start_matches('-').trim();
        if let Some(value) = comment.strip_prefix("min-version:") {
            let value = value.trim();
            min_major = Some(value.parse::<u32>().unwrap_or_else(|_| {
                panic!(
                    "testkit: fixture {}: min-version {value:?} is not a major number",
                    path.display()
                )
            }));
        } else if let Some(value) = comment.strip_prefix("description:") {
            description = value.trim().to_string();
        }
    }
    let min_major = min_major.unwrap_or_else(|| {
        panic!(
            "testkit: fixture {} has no `-- min-version: NN` header line",
            path.display()
        )
    });
    Fixture {
        name,
        path: path.to_path_buf(),
        min_major,
        description,
    }
}
