//! `--filter FILE` files (PostgreSQL 17+ `filter.c`) and what pg_restore and pg_dump
//! make of them (`read_restore_filters` of PostgreSQL 18's pg_restore.c,
//! `read_dump_filters` of its pg_dump.c).
//!
//! Syntax, one item per line: `include|exclude <object type> <pattern>`, keywords
//! case-insensitive; blank lines and lines whose first non-blank character is `#`
//! are ignored, and `#` ends a pattern. A pattern is normalised the way stock does it
//! (runs of blanks collapsed, `, ` after commas, no blanks around `.` `(` `)`), and a
//! double-quoted part keeps its quotes, may span lines, and understands `""`, `\n`
//! and `\\`. pg_restore then compares the normalised text literally with entry
//! names, as it does for `-t`, `-n` and friends.

use crate::select::{SelectError, Selection};

/// `include` or `exclude`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterCommand {
    Include,
    Exclude,
}

impl FilterCommand {
    fn word(self) -> &'static str {
        match self {
            FilterCommand::Include => "include",
            FilterCommand::Exclude => "exclude",
        }
    }
}

/// The object types a filter line may name (`FilterObjectType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterObjectType {
    TableData,
    TableDataAndChildren,
    Database,
    Extension,
    ForeignData,
    Function,
    Index,
    Schema,
    Table,
    TableAndChildren,
    Trigger,
}

impl FilterObjectType {
    const KEYWORDS: [(&'static str, FilterObjectType); 11] = [
        ("table_data", FilterObjectType::TableData),
        ("table_data_and_children", FilterObjectType::TableDataAndChildren),
        ("database", FilterObjectType::Database),
        ("extension", FilterObjectType::Extension),
        ("foreign_data", FilterObjectType::ForeignData),
        ("function", FilterObjectType::Function),
        ("index", FilterObjectType::Index),
        ("schema", FilterObjectType::Schema),
        ("table", FilterObjectType::Table),
        ("table_and_children", FilterObjectType::TableAndChildren),
        ("trigger", FilterObjectType::Trigger),
    ];

    fn from_keyword(word: &[u8]) -> Option<FilterObjectType> {
        Self::KEYWORDS.iter().find(|(k, _)| k.as_bytes().eq_ignore_ascii_case(word)).map(|(_, t)| *t)
    }

    /// The name stock uses in messages (`filter_object_type_name`).
    pub fn name(self) -> &'static str {
        match self {
            FilterObjectType::TableData => "table data",
            FilterObjectType::TableDataAndChildren => "table data and children",
            FilterObjectType::Database => "database",
            FilterObjectType::Extension => "extension",
            FilterObjectType::ForeignData => "foreign data",
            FilterObjectType::Function => "function",
            FilterObjectType::Index => "index",
            FilterObjectType::Schema => "schema",
            FilterObjectType::Table => "table",
            FilterObjectType::TableAndChildren => "table and children",
            FilterObjectType::Trigger => "trigger",
        }
    }
}

/// One parsed filter line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterItem {
    pub command: FilterCommand,
    pub object_type: FilterObjectType,
    /// The normalised pattern, bytes as written (quotes kept).
    pub pattern: Vec<u8>,
    /// The line the item ends on (1-based), as stock reports it.
    pub line: usize,
}

/// Where a filter file came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterOrigin {
    File(String),
    StandardInput,
}

impl FilterOrigin {
    /// `FILE` as given to `--filter`: `-` is standard input.
    pub fn from_arg(arg: &str) -> FilterOrigin {
        if arg == "-" {
            FilterOrigin::StandardInput
        } else {
            FilterOrigin::File(arg.to_string())
        }
    }

    fn describe(&self) -> String {
        match self {
            FilterOrigin::File(name) => format!("file \"{name}\""),
            FilterOrigin::StandardInput => "standard input".to_string(),
        }
    }
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Splits input into lines as `pg_get_line_buf` reads them (newline kept), each cut
/// at its first NUL as the C string functions would see it.
fn c_lines(input: &[u8]) -> Vec<&[u8]> {
    input
        .split_inclusive(|&b| b == b'\n')
        .map(|l| match l.iter().position(|&b| b == 0) {
            Some(nul) => &l[..nul],
            None => l,
        })
        .collect()
}

struct Parser<'a> {
    lines: Vec<&'a [u8]>,
    next_line: usize,
    lineno: usize,
    origin: &'a FilterOrigin,
}

impl<'a> Parser<'a> {
    fn error(&self, message: impl Into<String>) -> SelectError {
        // Stock formats the detail into a 256-byte buffer.
        let mut message: String = message.into();
        if message.len() > 255 {
            let mut cut = 255;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        SelectError::Filter { origin: self.origin.describe(), line: self.lineno, message }
    }

    fn read_line(&mut self) -> Option<&'a [u8]> {
        let line = self.lines.get(self.next_line).copied()?;
        self.next_line += 1;
        Some(line)
    }

    /// `filter_get_keyword`: ASCII letters, then letters or `_`.
    fn keyword(s: &mut &'a [u8]) -> Option<&'a [u8]> {
        let mut p = 0;
        while p < s.len() && is_c_space(s[p]) {
            p += 1;
        }
        let rest = &s[p..];
        if rest.first().is_some_and(|b| b.is_ascii_alphabetic()) {
            let mut end = 1;
            while end < rest.len() && (rest[end].is_ascii_alphabetic() || rest[end] == b'_') {
                end += 1;
            }
            *s = &rest[end..];
            Some(&rest[..end])
        } else {
            *s = rest;
            None
        }
    }

    /// `read_quoted_string`: `s` starts at the opening quote.
    fn quoted(&mut self, mut s: &'a [u8], pattern: &mut Vec<u8>) -> Result<&'a [u8], SelectError> {
        pattern.push(b'"');
        s = &s[1..];
        loop {
            match s.first().copied() {
                Some(b'\r') | Some(b'\n') => s = &s[1..],
                None => {
                    let Some(line) = self.read_line() else {
                        return Err(self.error("unexpected end of file"));
                    };
                    s = line;
                    pattern.push(b'\n');
                    self.lineno += 1;
                }
                Some(b'"') => {
                    pattern.push(b'"');
                    s = &s[1..];
                    if s.first() == Some(&b'"') {
                        pattern.push(b'"');
                        s = &s[1..];
                    } else {
                        return Ok(s);
                    }
                }
                Some(b'\\') => {
                    s = &s[1..];
                    match s.first() {
                        Some(b'n') => pattern.push(b'\n'),
                        Some(b'\\') => pattern.push(b'\\'),
                        _ => {}
                    }
                    // Stock skips the character after the backslash, whatever it is.
                    if !s.is_empty() {
                        s = &s[1..];
                    }
                }
                Some(c) => {
                    pattern.push(c);
                    s = &s[1..];
                }
            }
        }
    }

    /// `read_pattern`.
    fn pattern(&mut self, mut s: &'a [u8]) -> Result<Vec<u8>, SelectError> {
        let mut pattern = Vec::new();
        let mut skip_space = true;
        let mut found_space = false;
        while s.first().is_some_and(|&b| is_c_space(b)) {
            s = &s[1..];
        }
        if s.is_empty() {
            return Err(self.error("missing object name pattern"));
        }
        while let Some(&c) = s.first() {
            if c == b'#' {
                break;
            }
            while let Some(&c) = s.first() {
                if is_c_space(c) || b"#,.()\"".contains(&c) {
                    break;
                }
                if !skip_space && found_space {
                    pattern.push(b' ');
                    skip_space = true;
                }
                pattern.push(c);
                s = &s[1..];
            }
            skip_space = false;
            match s.first().copied() {
                Some(b'"') => {
                    if found_space {
                        pattern.push(b' ');
                    }
                    s = self.quoted(s, &mut pattern)?;
                }
                Some(b',') => {
                    pattern.extend_from_slice(b", ");
                    skip_space = true;
                    s = &s[1..];
                }
                Some(c @ (b'.' | b'(' | b')')) => {
                    pattern.push(c);
                    skip_space = true;
                    s = &s[1..];
                }
                _ => {}
            }
            found_space = false;
            while s.first().is_some_and(|&b| is_c_space(b)) {
                found_space = true;
                s = &s[1..];
            }
        }
        Ok(pattern)
    }

    fn items(&mut self) -> Result<Vec<FilterItem>, SelectError> {
        let mut items = Vec::new();
        while let Some(line) = self.read_line() {
            self.lineno += 1;
            let mut s = line;
            while s.first().is_some_and(|&b| is_c_space(b)) {
                s = &s[1..];
            }
            if s.is_empty() || s[0] == b'#' {
                continue;
            }
            let Some(word) = Self::keyword(&mut s) else {
                return Err(self.error("no filter command found (expected \"include\" or \"exclude\")"));
            };
            let command = if word.eq_ignore_ascii_case(b"include") {
                FilterCommand::Include
            } else if word.eq_ignore_ascii_case(b"exclude") {
                FilterCommand::Exclude
            } else {
                return Err(self.error("invalid filter command (expected \"include\" or \"exclude\")"));
            };
            let Some(word) = Self::keyword(&mut s) else {
                return Err(self.error("missing filter object type"));
            };
            let Some(object_type) = FilterObjectType::from_keyword(word) else {
                return Err(self.error(format!(
                    "unsupported filter object type: \"{}\"",
                    String::from_utf8_lossy(word)
                )));
            };
            let pattern = self.pattern(s)?;
            items.push(FilterItem { command, object_type, pattern, line: self.lineno });
        }
        Ok(items)
    }
}

/// Parses a whole filter file.
pub fn parse_filter(input: &[u8], origin: &FilterOrigin) -> Result<Vec<FilterItem>, SelectError> {
    Parser { lines: c_lines(input), next_line: 0, lineno: 0, origin }.items()
}

/// Adds a filter file's items to a restore selection as pg_restore does: `include`
/// of function, index, schema, table, trigger and `exclude` of schema; any other
/// combination is an error naming the line.
pub fn apply_restore_filter(
    input: &[u8],
    origin: &FilterOrigin,
    selection: &mut Selection,
) -> Result<(), SelectError> {
    for item in parse_filter(input, origin)? {
        let target = match (item.command, item.object_type) {
            (FilterCommand::Include, FilterObjectType::Function) => &mut selection.function_names,
            (FilterCommand::Include, FilterObjectType::Index) => &mut selection.index_names,
            (FilterCommand::Include, FilterObjectType::Schema) => &mut selection.schema_names,
            (FilterCommand::Include, FilterObjectType::Table) => &mut selection.table_names,
            (FilterCommand::Include, FilterObjectType::Trigger) => &mut selection.trigger_names,
            (FilterCommand::Exclude, FilterObjectType::Schema) => &mut selection.exclude_schema_names,
            (command, object_type) => {
                return Err(SelectError::Filter {
                    origin: origin.describe(),
                    line: item.line,
                    message: format!("{} filter for \"{}\" is not allowed", command.word(), object_type.name()),
                });
            }
        };
        target.push(item.pattern);
    }
    Ok(())
}

/// The pattern lists a pg_dump filter file adds to (pg_dump's option lists).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DumpFilterPatterns {
    pub schemas: Vec<Vec<u8>>,
    pub exclude_schemas: Vec<Vec<u8>>,
    pub tables: Vec<Vec<u8>>,
    pub exclude_tables: Vec<Vec<u8>>,
    pub tables_and_children: Vec<Vec<u8>>,
    pub exclude_tables_and_children: Vec<Vec<u8>>,
    pub exclude_table_data: Vec<Vec<u8>>,
    pub exclude_table_data_and_children: Vec<Vec<u8>>,
    pub foreign_data: Vec<Vec<u8>>,
    pub extensions: Vec<Vec<u8>>,
    pub exclude_extensions: Vec<Vec<u8>>,
}

/// Adds a filter file's items to pg_dump's pattern lists as `read_dump_filters`
/// does: `include` of extension, foreign_data, schema, table, table_and_children;
/// `exclude` of extension, table_data, table_data_and_children, schema, table,
/// table_and_children; any other combination is an error naming the line.
pub fn apply_dump_filter(
    input: &[u8],
    origin: &FilterOrigin,
    patterns: &mut DumpFilterPatterns,
) -> Result<(), SelectError> {
    use FilterCommand::{Exclude, Include};
    use FilterObjectType as T;
    for item in parse_filter(input, origin)? {
        let target = match (item.command, item.object_type) {
            (Include, T::Extension) => &mut patterns.extensions,
            (Include, T::ForeignData) => &mut patterns.foreign_data,
            (Include, T::Schema) => &mut patterns.schemas,
            (Include, T::Table) => &mut patterns.tables,
            (Include, T::TableAndChildren) => &mut patterns.tables_and_children,
            (Exclude, T::Extension) => &mut patterns.exclude_extensions,
            (Exclude, T::TableData) => &mut patterns.exclude_table_data,
            (Exclude, T::TableDataAndChildren) => &mut patterns.exclude_table_data_and_children,
            (Exclude, T::Schema) => &mut patterns.exclude_schemas,
            (Exclude, T::Table) => &mut patterns.exclude_tables,
            (Exclude, T::TableAndChildren) => &mut patterns.exclude_tables_and_children,
            (command, object_type) => {
                return Err(SelectError::Filter {
                    origin: origin.describe(),
                    line: item.line,
                    message: format!("{} filter for \"{}\" is not allowed", command.word(), object_type.name()),
                });
            }
        };
        target.push(item.pattern);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file() -> FilterOrigin {
        FilterOrigin::File("f.txt".into())
    }

    fn patterns(input: &str) -> Vec<String> {
        parse_filter(input.as_bytes(), &file())
            .expect("parses")
            .into_iter()
            .map(|i| String::from_utf8(i.pattern).expect("utf8"))
            .collect()
    }

    #[test]
    fn comments_blank_lines_and_keywords() {
        let items = parse_filter(b"# c\n\n  INCLUDE Table  t1 # trailing\nexclude schema s\n", &file()).expect("ok");
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].command, FilterCommand::Include);
        assert_eq!(items[0].object_type, FilterObjectType::Table);
        assert_eq!(items[0].pattern, b"t1");
        assert_eq!(items[0].line, 3);
        assert_eq!(items[1].line, 4);
    }

    #[test]
    fn pattern_normalisation() {
        assert_eq!(patterns("include function  f ( int ,  text )\n"), ["f(int, text)"]);
        assert_eq!(patterns("include table a . b\n"), ["a.b"]);
        assert_eq!(patterns("include table my table\n"), ["my table"]);
        assert_eq!(patterns("include table \"Quoted \"\"x\"\"\"\n"), ["\"Quoted \"\"x\"\"\""]);
        assert_eq!(patterns("include table \"multi\nline\"\n"), ["\"multi\nline\""]);
        assert_eq!(patterns("include table \"a\\nb\\\\c\"\n"), ["\"a\nb\\c\""]);
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = parse_filter(b"\nfoo table x\n", &file()).expect_err("bad command");
        assert_eq!(
            e.to_string(),
            "invalid format in filter read from file \"f.txt\" on line 2: invalid filter command (expected \"include\" or \"exclude\")"
        );
        let e = parse_filter(b"include\n", &FilterOrigin::StandardInput).expect_err("no type");
        assert_eq!(e.to_string(), "invalid format in filter read from standard input on line 1: missing filter object type");
        let e = parse_filter(b"include view v\n", &file()).expect_err("bad type");
        assert!(e.to_string().ends_with("unsupported filter object type: \"view\""), "{e}");
        let e = parse_filter(b"include table\n", &file()).expect_err("no pattern");
        assert!(e.to_string().ends_with("line 1: missing object name pattern"), "{e}");
        let e = parse_filter(b"include table \"open\n", &file()).expect_err("eof in quotes");
        assert!(e.to_string().ends_with("unexpected end of file"), "{e}");
        let e = parse_filter(b"1 table\n", &file()).expect_err("no command");
        assert!(e.to_string().ends_with("no filter command found (expected \"include\" or \"exclude\")"), "{e}");
    }

    #[test]
    fn restore_filter_fills_selection() {
        let mut sel = Selection::default();
        apply_restore_filter(
            b"include table t\ninclude schema s\nexclude schema x\ninclude index i\ninclude function f(integer)\ninclude trigger tt\n",
            &file(),
            &mut sel,
        )
        .expect("ok");
        assert_eq!(sel.table_names, vec![b"t".to_vec()]);
        assert_eq!(sel.schema_names, vec![b"s".to_vec()]);
        assert_eq!(sel.exclude_schema_names, vec![b"x".to_vec()]);
        assert_eq!(sel.index_names, vec![b"i".to_vec()]);
        assert_eq!(sel.function_names, vec![b"f(integer)".to_vec()]);
        assert_eq!(sel.trigger_names, vec![b"tt".to_vec()]);
        let e = apply_restore_filter(b"\nexclude table t\n", &file(), &mut sel).expect_err("not allowed");
        assert_eq!(
            e.to_string(),
            "invalid format in filter read from file \"f.txt\" on line 2: exclude filter for \"table\" is not allowed"
        );
        let e = apply_restore_filter(b"include table_data t\n", &file(), &mut sel).expect_err("not allowed");
        assert!(e.to_string().ends_with("include filter for \"table data\" is not allowed"), "{e}");
    }

    #[test]
    fn dump_filter_fills_pattern_lists() {
        let mut p = DumpFilterPatterns::default();
        apply_dump_filter(
            b"include table t\ninclude table_and_children tc\nexclude table_data d\nexclude table_data_and_children dc\n\
              include foreign_data srv\ninclude extension e\nexclude extension x\ninclude schema s\nexclude schema n\n\
              exclude table xt\nexclude table_and_children xtc\n",
            &file(),
            &mut p,
        )
        .expect("ok");
        assert_eq!(p.tables, vec![b"t".to_vec()]);
        assert_eq!(p.tables_and_children, vec![b"tc".to_vec()]);
        assert_eq!(p.exclude_table_data, vec![b"d".to_vec()]);
        assert_eq!(p.exclude_table_data_and_children, vec![b"dc".to_vec()]);
        assert_eq!(p.foreign_data, vec![b"srv".to_vec()]);
        assert_eq!(p.extensions, vec![b"e".to_vec()]);
        assert_eq!(p.exclude_extensions, vec![b"x".to_vec()]);
        assert_eq!(p.schemas, vec![b"s".to_vec()]);
        assert_eq!(p.exclude_schemas, vec![b"n".to_vec()]);
        assert_eq!(p.exclude_tables, vec![b"xt".to_vec()]);
        assert_eq!(p.exclude_tables_and_children, vec![b"xtc".to_vec()]);
        let e = apply_dump_filter(b"include table_data t\n", &file(), &mut p).expect_err("not allowed");
        assert!(e.to_string().ends_with("line 1: include filter for \"table data\" is not allowed"), "{e}");
        let e = apply_dump_filter(b"\nexclude foreign_data s\n", &file(), &mut p).expect_err("not allowed");
        assert!(e.to_string().ends_with("line 2: exclude filter for \"foreign data\" is not allowed"), "{e}");
        let e = apply_dump_filter(b"include function f\n", &file(), &mut p).expect_err("not allowed");
        assert!(e.to_string().ends_with("include filter for \"function\" is not allowed"), "{e}");
    }
}
