//! `keywords.rs` must be exactly PostgreSQL 18's `kwlist.h` (the copy installed with the
//! server headers by `scripts/postgres.sh`), so identifier quoting follows stock.

use std::path::PathBuf;

use pgark_formats::keywords::{KeywordCategory, KEYWORDS};

fn kwlist_path() -> PathBuf {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let cache = match std::env::var_os("PGARK_PG_CACHE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => repo.join("target").join("pg"),
    };
    cache.join("18").join("include").join("server").join("parser").join("kwlist.h")
}

#[test]
fn keyword_table_matches_postgresql_18_kwlist() {
    let path = kwlist_path();
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("{} not found: PostgreSQL 18 headers not provisioned (scripts/postgres.sh 18); skipping", path.display());
        return;
    };
    let mut expected = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("PG_KEYWORD(\"")) {
        let rest = &line["PG_KEYWORD(\"".len()..];
        let end = rest.find('"').expect("closing quote");
        let word = rest[..end].to_string();
        let category = if line.contains("UNRESERVED_KEYWORD") {
            KeywordCategory::Unreserved
        } else if line.contains("COL_NAME_KEYWORD") {
            KeywordCategory::ColName
        } else if line.contains("TYPE_FUNC_NAME_KEYWORD") {
            KeywordCategory::TypeFuncName
        } else if line.contains("RESERVED_KEYWORD") {
            KeywordCategory::Reserved
        } else {
            panic!("unknown category in {line:?}");
        };
        expected.push((word, category));
    }
    let actual: Vec<(String, KeywordCategory)> = KEYWORDS.iter().map(|(w, c)| (w.to_string(), *c)).collect();
    assert_eq!(actual.len(), expected.len(), "keyword count; regenerate with formats/scripts/gen_keywords.sh");
    for (a, e) in actual.iter().zip(&expected) {
        assert_eq!(a, e, "regenerate formats/src/keywords.rs with formats/scripts/gen_keywords.sh");
    }
}
