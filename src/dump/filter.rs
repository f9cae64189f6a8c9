//! `-n/-N/-t/-T` name patterns (psql pattern syntax, stock's `processSQLNamePattern`)
//! resolved to OIDs with one query per pattern, and the membership tests the kinds use
//! to decide what to dump.

use std::collections::HashSet;

use pgark_formats::quote::Quoter;

use crate::catalog::{CatalogError, Session};

/// The patterns as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct Patterns {
    pub schemas: Vec<String>,
    pub exclude_schemas: Vec<String>,
    pub tables: Vec<String>,
    pub exclude_tables: Vec<String>,
    pub strict_names: bool,
}

/// Resolved OIDs.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    schema_include: Option<HashSet<u32>>,
    schema_exclude: HashSet<u32>,
    table_include: Option<HashSet<u32>>,
    table_exclude: HashSet<u32>,
}

impl Filter {
    pub fn has_schema_includes(&self) -> bool {
        self.schema_include.is_some()
    }
    pub fn has_table_includes(&self) -> bool {
        self.table_include.is_some()
    }
    pub fn schema_included(&self, oid: u32) -> bool {
        self.schema_include
            .as_ref()
            .map(|s| s.contains(&oid))
            .unwrap_or(true)
    }
    pub fn schema_excluded(&self, oid: u32) -> bool {
        self.schema_exclude.contains(&oid)
    }
    pub fn table_included(&self, oid: u32) -> bool {
        self.table_include
            .as_ref()
            .map(|s| s.contains(&oid))
            .unwrap_or(true)
    }
    pub fn table_excluded(&self, oid: u32) -> bool {
        self.table_exclude.contains(&oid)
    }
}

/// A psql pattern split into optional schema part and name part, each as a POSIX
/// regex anchored by the caller (`patternToSQLRegex`): unquoted letters fold to lower
/// case, `*` → `.*`, `?` → `.`, `"` quotes, other regex characters are escaped.
pub fn pattern_to_regex(pattern: &str) -> (Option<String>, String) {
    let mut parts: Vec<String> = vec![String::new()];
    let mut in_quotes = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        let cur = parts.last_mut().expect("parts is never empty");
        match c {
            '"' if in_quotes && chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            '"' => in_quotes = !in_quotes,
            '.' if !in_quotes => parts.push(String::new()),
            '*' if !in_quotes => cur.push_str(".*"),
            '?' if !in_quotes => cur.push('.'),
            c if !in_quotes && c.is_ascii_uppercase() => cur.push(c.to_ascii_lowercase()),
            c if "|*+?()[]{}.^$\\".contains(c) => {
                cur.push('\\');
                cur.push(c);
            }
            c => cur.push(c),
        }
    }
    let name = parts.pop().unwrap_or_default();
    let schema = parts.pop();
    (schema, name)
}

async fn schema_oids(
    session: &Session,
    pattern: &str,
    q: &Quoter,
) -> Result<Vec<u32>, CatalogError> {
    let (_, name) = pattern_to_regex(pattern);
    let lit = String::from_utf8_lossy(&q.literal(format!("^({name})$").as_bytes())).into_owned();
    let sql = format!("SELECT oid FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.~) {lit} COLLATE pg_catalog.default");
    let rows = session.query(&sql).await?;
    rows.iter().map(|r| r.oid("oid")).collect()
}

async fn table_oids(
    session: &Session,
    pattern: &str,
    q: &Quoter,
) -> Result<Vec<u32>, CatalogError> {
    let (schema, name) = pattern_to_regex(pattern);
    let lit =
        |s: &str| String::from_utf8_lossy(&q.literal(format!("^({s})$").as_bytes())).into_owned();
    let schema_cond = match schema {
        Some(s) => format!(
            "n.nspname OPERATOR(pg_catalog.~) {} COLLATE pg_catalog.default",
            lit(&s)
        ),
        None => "pg_catalog.pg_table_is_visible(c.oid)".to_string(),
    };
    let sql = format!(
        "SELECT c.oid FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind OPERATOR(pg_catalog.=) ANY (array['r', 'S', 'v', 'm', 'f', 'p']) \
         AND c.relname OPERATOR(pg_catalog.~) {} COLLATE pg_catalog.default AND {schema_cond}",
        lit(&name)
    );
    let rows = session.query(&sql).await?;
    rows.iter().map(|r| r.oid("oid")).collect()
}

/// Resolves every pattern (`expand_schema_name_patterns`, `expand_table_name_patterns`).
pub async fn resolve(session: &Session, p: &Patterns) -> Result<Filter, CatalogError> {
    let q = Quoter::new(pgark_formats::quote::Encoding::Utf8, session.std_strings);
    let mut f = Filter::default();
    if !p.schemas.is_empty() {
        let mut set = HashSet::new();
        for pat in &p.schemas {
            let oids = schema_oids(session, pat, &q).await?;
            if oids.is_empty() && p.strict_names {
                return Err(CatalogError::Inconsistent(format!(
                    "no matching schemas were found for pattern \"{pat}\""
                )));
            }
            set.extend(oids);
        }
        if set.is_empty() {
            return Err(CatalogError::Inconsistent(
                "no matching schemas were found".into(),
            ));
        }
        f.schema_include = Some(set);
    }
    for pat in &p.exclude_schemas {
        f.schema_exclude
            .extend(schema_oids(session, pat, &q).await?);
    }
    if !p.tables.is_empty() {
        let mut set = HashSet::new();
        for pat in &p.tables {
            let oids = table_oids(session, pat, &q).await?;
            if oids.is_empty() && p.strict_names {
                return Err(CatalogError::Inconsistent(format!(
                    "no matching tables were found for pattern \"{pat}\""
                )));
            }
            set.extend(oids);
        }
        if set.is_empty() {
            return Err(CatalogError::Inconsistent(
                "no matching tables were found".into(),
            ));
        }
        f.table_include = Some(set);
    }
    for pat in &p.exclude_tables {
        f.table_exclude.extend(table_oids(session, pat, &q).await?);
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::pattern_to_regex;

    #[test]
    fn psql_pattern_syntax() {
        assert_eq!(pattern_to_regex("Foo*"), (None, "foo.*".to_string()));
        assert_eq!(
            pattern_to_regex("s.t?"),
            (Some("s".to_string()), "t.".to_string())
        );
        assert_eq!(
            pattern_to_regex("\"My.Table\""),
            (None, "My\\.Table".to_string())
        );
        assert_eq!(pattern_to_regex("a$b"), (None, "a\\$b".to_string()));
    }
}
