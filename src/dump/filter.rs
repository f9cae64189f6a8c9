//! Name patterns (psql pattern syntax, stock's `processSQLNamePattern`) of the
//! selection options — `-n/-N`, `-t/-T`, `--table-and-children`,
//! `--exclude-table-and-children`, `--exclude-table-data[-and-children]`,
//! `--include-foreign-data`, `-e/--exclude-extension`, and the same from `--filter`
//! files — resolved to OIDs with one query per pattern (stock's `expand_*_patterns`),
//! and the membership tests the kinds use to decide what to dump.

use std::collections::HashSet;
use std::io::Read;

use pgark_formats::filter::{apply_dump_filter, DumpFilterPatterns, FilterOrigin};
use pgark_formats::quote::Quoter;

use crate::catalog::{CatalogError, Session};
use crate::cli::dump::DumpArgs;

/// The patterns as given on the command line (and in `--filter` files).
#[derive(Debug, Clone, Default)]
pub struct Patterns {
    pub schemas: Vec<String>,
    pub exclude_schemas: Vec<String>,
    pub tables: Vec<String>,
    /// `--table-and-children`
    pub tables_and_children: Vec<String>,
    pub exclude_tables: Vec<String>,
    /// `--exclude-table-and-children`
    pub exclude_tables_and_children: Vec<String>,
    /// `--exclude-table-data`
    pub exclude_table_data: Vec<String>,
    /// `--exclude-table-data-and-children`
    pub exclude_table_data_and_children: Vec<String>,
    /// `--include-foreign-data`: foreign server patterns.
    pub foreign_servers: Vec<String>,
    /// `-e/--extension`
    pub extensions: Vec<String>,
    /// `--exclude-extension`
    pub exclude_extensions: Vec<String>,
    /// `-e` was given on the command line: like `-n`/`-t` it turns off stock's
    /// `include_everything` (an `include extension` filter line does not).
    pub extension_on_command_line: bool,
    pub strict_names: bool,
}

impl Patterns {
    /// No schema or table inclusion narrows the dump (stock's `include_everything`).
    pub fn include_everything(&self) -> bool {
        self.schemas.is_empty()
            && self.tables.is_empty()
            && self.tables_and_children.is_empty()
            && !self.extension_on_command_line
    }
}

/// Resolved OIDs.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    schema_include: Option<HashSet<u32>>,
    schema_exclude: HashSet<u32>,
    table_include: Option<HashSet<u32>>,
    table_exclude: HashSet<u32>,
    table_data_exclude: HashSet<u32>,
    foreign_data_tables: HashSet<u32>,
    extension_include: Option<HashSet<u32>>,
    extension_exclude: HashSet<u32>,
}

impl Filter {
    /// Tables whose data is excluded (`--exclude-table-data[-and-children]`).
    pub fn table_data_excluded(&self) -> &HashSet<u32> {
        &self.table_data_exclude
    }
    /// Foreign tables of the servers `--include-foreign-data` names.
    pub fn foreign_data_tables(&self) -> &HashSet<u32> {
        &self.foreign_data_tables
    }
    /// Whether an extension is selected by `-e` (true when there is no `-e`); the
    /// caller combines this with `include_everything` as `selectDumpableExtension`.
    pub fn extension_included(&self, oid: u32) -> Option<bool> {
        self.extension_include.as_ref().map(|s| s.contains(&oid))
    }
    pub fn extension_excluded(&self, oid: u32) -> bool {
        self.extension_exclude.contains(&oid)
    }
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
    /// The relations `-t`/`--table-and-children` name, if any.
    pub fn included_tables(&self) -> Option<&HashSet<u32>> {
        self.table_include.as_ref()
    }
}

/// The patterns of a `pgark dump` command line, `--filter` files included (read in
/// full here, before connecting, as pg_dump reads them while parsing options).
pub fn patterns_from_args(args: &DumpArgs) -> crate::Result<Patterns> {
    let mut from_files = DumpFilterPatterns::default();
    for arg in &args.filter {
        let bytes = read_filter_file(arg)?;
        apply_dump_filter(&bytes, &FilterOrigin::from_arg(arg), &mut from_files)?;
    }
    let join = |given: &[String], filtered: &[Vec<u8>]| -> Vec<String> {
        given
            .iter()
            .cloned()
            .chain(
                filtered
                    .iter()
                    .map(|p| String::from_utf8_lossy(p).into_owned()),
            )
            .collect()
    };
    Ok(Patterns {
        schemas: join(&args.schema, &from_files.schemas),
        exclude_schemas: join(&args.exclude_schema, &from_files.exclude_schemas),
        tables: join(&args.table, &from_files.tables),
        tables_and_children: join(&args.table_and_children, &from_files.tables_and_children),
        exclude_tables: join(&args.exclude_table, &from_files.exclude_tables),
        exclude_tables_and_children: join(
            &args.exclude_table_and_children,
            &from_files.exclude_tables_and_children,
        ),
        exclude_table_data: join(&args.exclude_table_data, &from_files.exclude_table_data),
        exclude_table_data_and_children: join(
            &args.exclude_table_data_and_children,
            &from_files.exclude_table_data_and_children,
        ),
        foreign_servers: join(&args.include_foreign_data, &from_files.foreign_data),
        extensions: join(&args.extension, &from_files.extensions),
        exclude_extensions: join(&args.exclude_extension, &from_files.exclude_extensions),
        extension_on_command_line: !args.extension.is_empty(),
        strict_names: args.strict_names,
    })
}

/// A `--filter` file's bytes (`-` is standard input), with stock's messages.
fn read_filter_file(arg: &str) -> crate::Result<Vec<u8>> {
    let fail = |verb: &str, e: std::io::Error| {
        let mut message = e.to_string();
        if let Some(cut) = message.find(" (os error") {
            message.truncate(cut);
        }
        crate::Error::Usage(format!("could not {verb} filter file \"{arg}\": {message}"))
    };
    let mut bytes = Vec::new();
    if arg == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| fail("read from", e))?;
    } else {
        std::fs::File::open(arg)
            .map_err(|e| fail("open", e))?
            .read_to_end(&mut bytes)
            .map_err(|e| fail("read from", e))?;
    }
    Ok(bytes)
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

/// `expand_table_name_patterns`: the relations a pattern names, with every
/// inheritance child and partition (recursively) when `with_children`. The search
/// path is reset around the query so unqualified patterns see the user's schemas, as
/// stock does.
async fn table_oids(
    session: &Session,
    pattern: &str,
    q: &Quoter,
    with_children: bool,
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
    let base = format!(
        "SELECT c.oid FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace \
         WHERE c.relkind OPERATOR(pg_catalog.=) ANY (array['r', 'S', 'v', 'm', 'f', 'p']) \
         AND c.relname OPERATOR(pg_catalog.~) {} COLLATE pg_catalog.default AND {schema_cond}",
        lit(&name)
    );
    let sql = if with_children {
        format!(
            "WITH RECURSIVE partition_tree (relid) AS ({base} UNION SELECT i.inhrelid \
             FROM partition_tree p JOIN pg_catalog.pg_inherits i \
             ON p.relid OPERATOR(pg_catalog.=) i.inhparent) SELECT relid FROM partition_tree"
        )
    } else {
        base
    };
    session.exec("RESET search_path").await?;
    let rows = session.query(&sql).await;
    session
        .exec("SELECT pg_catalog.set_config('search_path', '', false);")
        .await?;
    let rows = rows?;
    rows.iter()
        .map(|r| r.oid(if with_children { "relid" } else { "oid" }))
        .collect()
}

/// `expand_extension_name_patterns` / `expand_foreign_server_name_patterns`: the
/// OIDs of `catalog` rows whose `column` matches an unqualified pattern.
async fn unqualified_oids(
    session: &Session,
    pattern: &str,
    q: &Quoter,
    from: &str,
    column: &str,
) -> Result<Vec<u32>, CatalogError> {
    let (schema, name) = pattern_to_regex(pattern);
    if schema.is_some() {
        return Err(CatalogError::Inconsistent(format!(
            "improper qualified name (too many dotted names): {pattern}"
        )));
    }
    let lit = String::from_utf8_lossy(&q.literal(format!("^({name})$").as_bytes())).into_owned();
    let sql = format!(
        "SELECT oid FROM {from} WHERE {column} OPERATOR(pg_catalog.~) {lit} COLLATE pg_catalog.default"
    );
    let rows = session.query(&sql).await?;
    rows.iter().map(|r| r.oid("oid")).collect()
}

/// Table patterns with and without children, into one OID set; `strict` makes a
/// pattern matching nothing an error.
async fn table_set(
    session: &Session,
    q: &Quoter,
    plain: &[String],
    with_children: &[String],
    strict: bool,
) -> Result<HashSet<u32>, CatalogError> {
    let mut set = HashSet::new();
    let all = plain
        .iter()
        .map(|p| (p, false))
        .chain(with_children.iter().map(|p| (p, true)));
    for (pat, children) in all {
        let oids = table_oids(session, pat, q, children).await?;
        if oids.is_empty() && strict {
            return Err(CatalogError::Inconsistent(format!(
                "no matching tables were found for pattern \"{pat}\""
            )));
        }
        set.extend(oids);
    }
    Ok(set)
}

/// Resolves every pattern (`expand_schema_name_patterns`, `expand_table_name_patterns`,
/// `expand_foreign_server_name_patterns`, `expand_extension_name_patterns`).
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
    if !p.tables.is_empty() || !p.tables_and_children.is_empty() {
        let set = table_set(
            session,
            &q,
            &p.tables,
            &p.tables_and_children,
            p.strict_names,
        )
        .await?;
        if set.is_empty() {
            return Err(CatalogError::Inconsistent(
                "no matching tables were found".into(),
            ));
        }
        f.table_include = Some(set);
    }
    f.table_exclude = table_set(
        session,
        &q,
        &p.exclude_tables,
        &p.exclude_tables_and_children,
        false,
    )
    .await?;
    f.table_data_exclude = table_set(
        session,
        &q,
        &p.exclude_table_data,
        &p.exclude_table_data_and_children,
        false,
    )
    .await?;
    let mut servers = Vec::new();
    for pat in &p.foreign_servers {
        let oids = unqualified_oids(
            session,
            pat,
            &q,
            "pg_catalog.pg_foreign_server s",
            "s.srvname",
        )
        .await?;
        if oids.is_empty() {
            return Err(CatalogError::Inconsistent(format!(
                "no matching foreign servers were found for pattern \"{pat}\""
            )));
        }
        servers.extend(oids);
    }
    if !servers.is_empty() {
        let list: Vec<String> = servers.iter().map(u32::to_string).collect();
        let rows = session
            .query(&format!(
                "SELECT ftrelid FROM pg_catalog.pg_foreign_table WHERE ftserver IN ({})",
                list.join(", ")
            ))
            .await?;
        for r in rows.iter() {
            f.foreign_data_tables.insert(r.oid("ftrelid")?);
        }
    }
    if !p.extensions.is_empty() {
        let mut set = HashSet::new();
        for pat in &p.extensions {
            let oids = unqualified_oids(session, pat, &q, "pg_catalog.pg_extension e", "e.extname")
                .await?;
            if oids.is_empty() && p.strict_names {
                return Err(CatalogError::Inconsistent(format!(
                    "no matching extensions were found for pattern \"{pat}\""
                )));
            }
            set.extend(oids);
        }
        if set.is_empty() {
            return Err(CatalogError::Inconsistent(
                "no matching extensions were found".into(),
            ));
        }
        f.extension_include = Some(set);
    }
    for pat in &p.exclude_extensions {
        f.extension_exclude.extend(
            unqualified_oids(session, pat, &q, "pg_catalog.pg_extension e", "e.extname").await?,
        );
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
