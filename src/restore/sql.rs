//! What a direct-to-database restore sends for each archive entry: stock pg_restore
//! 18's `restore_toc_entry` in DB mode, as a list of [`Action`]s for a connection.
//! The statements themselves (session switches, definitions, owners, ACLs, drops,
//! session setup) come from [`pgark_formats::script::statements`], the same module
//! the `-f` script renderer prints; here they become one query each (the `--`
//! comment headers of script mode are empty queries in stock's DB mode and are not
//! sent), and table data, large objects and reconnections become actions of their own.

use pgark_formats::model::{Desc, DumpId, Toc, TocEntry};
use pgark_formats::script::{EntryStatements, ScriptOptions, SessionState, Statement};
use pgark_formats::select::{PlannedEntry, Reqs};
use pgark_formats::version::ArchiveVersion;

/// One unit of work for a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// One query (simple protocol; may hold several statements, as stock's PQexec).
    Sql(Vec<u8>),
    /// One command of a per-large-object series: a `--transaction-size` action of its
    /// own (stock commits in the middle of the series).
    PerBlobSql(Vec<u8>),
    /// `COPY ... FROM stdin` fed with the entry's data.
    Copy { statement: Vec<u8> },
    /// The entry's data is SQL (INSERT statements, old BLOB COMMENTS): split into
    /// statements and executed one by one, as stock's `ExecuteSimpleCommands`.
    DataCommands,
    /// The large objects of a BLOBS entry.
    LargeObjects { create: bool, drop_first: bool },
    /// `_reconnectToDB`: connect to this database and set the session up again.
    Reconnect { dbname: Vec<u8> },
}

/// The statements of one entry and how many `--transaction-size` actions they count.
#[derive(Debug, Clone, Default)]
pub struct EntryActions {
    pub actions: Vec<Action>,
    /// Extra actions beyond the one every restored entry counts (multi-statement
    /// definitions; per-large-object commands count themselves).
    pub extra_txn_actions: u32,
}

/// Builds the actions of the entries of one archive.
pub struct Generator<'a> {
    toc: &'a Toc,
    statements: EntryStatements<'a>,
    clean: bool,
    create_db: bool,
}

/// A statement could not be built.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SqlError(pub String);

/// Appends statements as actions.
fn push_statements(out: &mut Vec<Action>, statements: Vec<Statement>) {
    for statement in statements {
        match statement {
            Statement::PerBlob(text) => out.push(Action::PerBlobSql(text)),
            other => {
                if let Some(text) = other.query() {
                    out.push(Action::Sql(text));
                }
            }
        }
    }
}

impl<'a> Generator<'a> {
    /// `opts` holds the restore options that change statements (the script-only
    /// ones are unused).
    pub fn new(
        toc: &'a Toc,
        plan: &[PlannedEntry],
        opts: &'a ScriptOptions,
    ) -> Result<Generator<'a>, SqlError> {
        let statements =
            EntryStatements::new(toc, plan, opts).map_err(|e| SqlError(e.to_string()))?;
        Ok(Generator {
            toc,
            statements,
            clean: opts.clean,
            create_db: opts.create_db,
        })
    }

    pub fn std_strings(&self) -> bool {
        self.statements.std_strings()
    }

    pub fn entry(&self, dump_id: DumpId) -> Option<&'a TocEntry> {
        self.statements.entry(dump_id)
    }

    /// `_doSetFixedOutputState`: one query per setting, as stock sends them.
    /// `transaction_timeout` is set only on servers that have it (17 and later):
    /// stock pg_restore 18 sends it to older servers too and counts the error.
    pub fn fixed_session_setup(&self, server_version_num: u32) -> Vec<Vec<u8>> {
        self.statements
            .fixed_session_setup(server_version_num >= 170000)
    }

    /// The `--clean` drop statements of one entry (the caller walks the plan in
    /// reverse). Empty when the entry drops nothing.
    pub fn drop_actions(&self, state: &mut SessionState, item: &PlannedEntry) -> Vec<Action> {
        let te = &self.toc.entries[item.index];
        let is_db = matches!(te.desc, Desc::Database | Desc::DatabaseProperties);
        let mut out = Vec::new();
        // With -C only the database itself is dropped.
        if (self.create_db && !is_db) || !(item.reqs.schema() || item.reqs.data()) {
            return out;
        }
        let mut statements = Vec::new();
        let mut warnings = Vec::new();
        self.statements
            .drop_statements(state, te, &mut statements, &mut warnings);
        for warning in warnings {
            crate::program::warn(warning);
        }
        push_statements(&mut out, statements);
        out
    }

    /// `restore_toc_entry` for one entry in DB mode. `truncate` is stock's
    /// `use_truncate` (already checked against load-via-partition-root); with it,
    /// `freeze` loads the data with `COPY ... FREEZE` (worth it for big tables only:
    /// it gives every table a visibility map).
    pub fn entry_actions(
        &self,
        state: &mut SessionState,
        te: &TocEntry,
        reqs: Reqs,
        truncate: bool,
        freeze: bool,
    ) -> Result<EntryActions, SqlError> {
        let mut out = EntryActions::default();
        let mut defn_dumped = false;
        if reqs.schema() {
            self.print_toc_entry(state, te, &mut out)?;
            defn_dumped = true;
            if matches!(te.desc, Desc::Database | Desc::DatabaseProperties) {
                out.actions.push(Action::Reconnect {
                    dbname: te.tag.clone().unwrap_or_default(),
                });
                state.reset();
            }
        }
        if reqs.data() {
            if te.had_dumper {
                let mut statements = Vec::new();
                self.statements.entry_context(state, te, &mut statements);
                match te.desc {
                    Desc::Blobs | Desc::BlobComments => {
                        self.statements.select_output_schema(
                            state,
                            Some(b"pg_catalog"),
                            &mut statements,
                        );
                        push_statements(&mut out.actions, statements);
                        if te.desc == Desc::Blobs {
                            let old_style = self.toc.header.version < ArchiveVersion::V1_12;
                            out.actions.push(Action::LargeObjects {
                                create: old_style,
                                drop_first: old_style && self.clean,
                            });
                        } else {
                            out.actions.push(Action::DataCommands);
                        }
                    }
                    _ => {
                        self.statements.data_prologue(state, te, &mut statements);
                        push_statements(&mut out.actions, statements);
                        if truncate {
                            out.actions.push(Action::Sql(b"BEGIN".to_vec()));
                            out.actions.push(Action::Sql(self.statements.truncate(te)));
                        }
                        match te.copy_stmt.as_deref().filter(|c| !c.is_empty()) {
                            Some(copy) if truncate && freeze => out.actions.push(Action::Copy {
                                statement: with_freeze(copy),
                            }),
                            Some(copy) => out.actions.push(Action::Copy {
                                statement: copy.to_vec(),
                            }),
                            None => out.actions.push(Action::DataCommands),
                        }
                        if truncate {
                            out.actions.push(Action::Sql(b"COMMIT".to_vec()));
                        }
                        let mut statements = Vec::new();
                        self.statements.data_epilogue(state, te, &mut statements);
                        push_statements(&mut out.actions, statements);
                    }
                }
            } else if !defn_dumped {
                self.print_toc_entry(state, te, &mut out)?;
            }
        }
        if reqs.stats() {
            self.print_toc_entry(state, te, &mut out)?;
        }
        Ok(out)
    }

    /// `_printTocEntry` in DB mode.
    fn print_toc_entry(
        &self,
        state: &mut SessionState,
        te: &TocEntry,
        out: &mut EntryActions,
    ) -> Result<(), SqlError> {
        let mut statements = Vec::new();
        self.statements.entry_context(state, te, &mut statements);
        out.extra_txn_actions += self
            .statements
            .definition(state, te, &mut statements)
            .map_err(|e| SqlError(e.to_string()))?;
        push_statements(&mut out.actions, statements);
        Ok(())
    }

    /// Stock's `is_load_via_partition_root`.
    pub fn is_load_via_partition_root(&self, te: &TocEntry) -> bool {
        self.statements.is_load_via_partition_root(te)
    }
}

/// The COPY of a table truncated in the same transaction, with `FREEZE`: the rows are
/// stored frozen and the pages all-visible, so the index builds and the first
/// vacuum that follow need not rewrite every page to set hint bits. The restored
/// contents are the same. Only pg_dump's own shape (`... FROM stdin;`) is changed.
fn with_freeze(copy: &[u8]) -> Vec<u8> {
    const END: &[u8] = b" FROM stdin;\n";
    match copy.strip_suffix(END) {
        Some(head) => {
            let mut out = head.to_vec();
            out.extend_from_slice(b" FROM stdin WITH (FREEZE);\n");
            out
        }
        None => copy.to_vec(),
    }
}

/// Splits SQL text into statements as stock's `ExecuteSimpleCommands` does: a `;`
/// outside single and double quotes ends a statement; backslashes escape inside
/// single quotes only when standard strings are off; a newline at the start of a
/// statement is dropped. Fed in chunks; the unfinished tail is kept.
#[derive(Debug, Default)]
pub struct StatementSplitter {
    current: Vec<u8>,
    state: SplitState,
    backslash: bool,
    std_strings: bool,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum SplitState {
    #[default]
    Scan,
    SingleQuote,
    DoubleQuote,
}

impl StatementSplitter {
    pub fn new(std_strings: bool) -> StatementSplitter {
        StatementSplitter {
            std_strings,
            ..Default::default()
        }
    }

    /// Feeds `chunk`; complete statements are passed to `each`.
    pub fn feed(&mut self, chunk: &[u8], each: &mut dyn FnMut(Vec<u8>)) {
        for &ch in chunk {
            if !(ch == b'\n' && self.current.is_empty()) {
                self.current.push(ch);
            }
            match self.state {
                SplitState::Scan => {
                    if ch == b';' {
                        each(std::mem::take(&mut self.current));
                    } else if ch == b'\'' {
                        self.state = SplitState::SingleQuote;
                        self.backslash = false;
                    } else if ch == b'"' {
                        self.state = SplitState::DoubleQuote;
                    }
                }
                SplitState::SingleQuote => {
                    if ch == b'\'' && !self.backslash {
                        self.state = SplitState::Scan;
                    } else if ch == b'\\' && !self.std_strings {
                        self.backslash = !self.backslash;
                    } else {
                        self.backslash = false;
                    }
                }
                SplitState::DoubleQuote => {
                    if ch == b'"' {
                        self.state = SplitState::Scan;
                    }
                }
            }
        }
    }

    /// What is left after the last `;` (stock leaves it unexecuted; it is normally
    /// only whitespace).
    pub fn rest(&self) -> &[u8] {
        &self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str, std_strings: bool) -> Vec<String> {
        let mut s = StatementSplitter::new(std_strings);
        let mut out = Vec::new();
        for chunk in text.as_bytes().chunks(3) {
            s.feed(chunk, &mut |stmt| {
                out.push(String::from_utf8(stmt).expect("utf8"))
            });
        }
        out
    }

    #[test]
    fn freeze_is_added_to_pg_dump_copy_statements_only() {
        assert_eq!(
            with_freeze(b"COPY public.t (a, \"b c\") FROM stdin;\n"),
            b"COPY public.t (a, \"b c\") FROM stdin WITH (FREEZE);\n".to_vec()
        );
        let other = b"COPY public.t FROM stdin WITH (FORMAT text);\n";
        assert_eq!(with_freeze(other), other.to_vec());
    }

    #[test]
    fn splitter_respects_quotes() {
        assert_eq!(
            split(
                "INSERT INTO t VALUES (1, 'a;b');\nINSERT INTO \"x;y\" VALUES (2);\n",
                true
            ),
            vec![
                "INSERT INTO t VALUES (1, 'a;b');",
                "INSERT INTO \"x;y\" VALUES (2);"
            ]
        );
        assert_eq!(split("SELECT 'it''s;';", true), vec!["SELECT 'it''s;';"]);
        // With standard strings off a backslash escapes the quote.
        assert_eq!(
            split("SELECT 'a\\';b';SELECT 1;", false),
            vec!["SELECT 'a\\';b';", "SELECT 1;"]
        );
        assert_eq!(
            split("SELECT 'a\\';SELECT 1;", true),
            vec!["SELECT 'a\\';", "SELECT 1;"]
        );
    }
}
