//! What a direct-to-database restore sends for each archive entry: the statements
//! stock pg_restore 18 executes in `restore_toc_entry` / `_printTocEntry` when it talks
//! to a server (each `ahprintf` of its DB mode is one query; the `--` comment headers
//! of script mode are empty queries there and are not sent here), plus the session
//! setup (`_doSetFixedOutputState`) and the `--clean` drop pass.
//!
//! The per-connection session state (`SET SESSION AUTHORIZATION`, `search_path`,
//! `default_tablespace`, `default_table_access_method` already in effect) lives in
//! [`SessionState`], one per connection, as stock keeps one per worker.
//!
//! The statement texts follow `pgark_formats::script` (the `-f` renderer), whose
//! renderer writes one continuous script and so cannot hand out per-entry statements;
//! the two are checked against each other by the restore round-trip tests, which
//! compare with stock pg_restore.

use std::collections::HashMap;

use pgark_formats::model::{Desc, DumpId, Toc, TocEntry};
use pgark_formats::quote::{Encoding, Quoter};
use pgark_formats::script::SessionSetup;
use pgark_formats::select::{is_acl, PlannedEntry, Reqs};
use pgark_formats::version::ArchiveVersion;

/// Restore options that change the statements sent.
#[derive(Debug, Clone, Default)]
pub struct SqlOptions {
    pub no_owner: bool,
    pub use_set_session_authorization: bool,
    pub no_tablespaces: bool,
    pub no_table_access_method: bool,
    pub disable_triggers: bool,
    /// `-S`; `None` when absent or empty.
    pub superuser: Option<Vec<u8>>,
    pub role: Option<Vec<u8>>,
    pub enable_row_security: bool,
    pub clean: bool,
    pub if_exists: bool,
    pub create_db: bool,
    /// `--transaction-size` (0 = off): only for counting multi-statement definitions.
    pub transaction_size: u32,
}

/// One unit of work for a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// One query (simple protocol; may hold several statements, as stock's PQexec).
    Sql(Vec<u8>),
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

/// Session settings already in effect on one connection (`AH->currUser` etc.);
/// `None` means unknown, so the next entry sets it.
#[derive(Debug, Clone, Default)]
pub struct SessionState {
    curr_user: Option<Vec<u8>>,
    curr_schema: Option<Vec<u8>>,
    curr_tablespace: Option<Vec<u8>>,
    curr_table_am: Option<Vec<u8>>,
}

impl SessionState {
    /// Forgets everything (after connecting or reconnecting).
    pub fn reset(&mut self) {
        *self = SessionState::default();
    }
}

/// The statements of one entry and how many `--transaction-size` actions they count.
#[derive(Debug, Clone, Default)]
pub struct EntryActions {
    pub actions: Vec<Action>,
    /// Extra actions beyond the one every restored entry counts.
    pub extra_txn_actions: u32,
}

/// Builds statements for the entries of one archive.
pub struct Generator<'a> {
    toc: &'a Toc,
    opts: &'a SqlOptions,
    quoter: Quoter,
    searchpath: Option<Vec<u8>>,
    by_id: HashMap<DumpId, usize>,
    /// Some wanted entry has a schema part (otherwise `--disable-triggers` applies).
    schema_restored: bool,
}

/// A statement could not be built.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SqlError(pub String);

impl<'a> Generator<'a> {
    pub fn new(toc: &'a Toc, plan: &[PlannedEntry], opts: &'a SqlOptions) -> Result<Generator<'a>, SqlError> {
        let session = SessionSetup::from_toc(toc).map_err(|e| SqlError(e.to_string()))?;
        Ok(Generator {
            toc,
            opts,
            quoter: Quoter { encoding: session.encoding, std_strings: session.std_strings, quote_all_identifiers: false },
            searchpath: session.searchpath,
            by_id: toc
                .entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.dump_id > 0)
                .map(|(i, e)| (e.dump_id, i))
                .collect(),
            schema_restored: plan.iter().any(|p| p.reqs.schema()),
        })
    }

    pub fn encoding(&self) -> Encoding {
        self.quoter.encoding
    }

    pub fn std_strings(&self) -> bool {
        self.quoter.std_strings
    }

    pub fn entry(&self, dump_id: DumpId) -> Option<&'a TocEntry> {
        self.by_id.get(&dump_id).map(|&i| &self.toc.entries[i])
    }

    /// `_doSetFixedOutputState`: one query per setting, as stock sends them.
    /// `transaction_timeout` is set only on servers that have it (17 and later):
    /// stock pg_restore 18 sends it to older servers too and counts the error.
    pub fn fixed_session_setup(&self, server_version_num: u32) -> Vec<Vec<u8>> {
        let mut qs: Vec<Vec<u8>> = vec![
            b"SET statement_timeout = 0;\n".to_vec(),
            b"SET lock_timeout = 0;\n".to_vec(),
            b"SET idle_in_transaction_session_timeout = 0;\n".to_vec(),
        ];
        if server_version_num >= 170000 {
            qs.push(b"SET transaction_timeout = 0;\n".to_vec());
        }
        let mut q = b"SET client_encoding = '".to_vec();
        q.extend_from_slice(self.quoter.encoding.name().as_bytes());
        q.extend_from_slice(b"';\n");
        qs.push(q);
        let mut q = b"SET standard_conforming_strings = ".to_vec();
        q.extend_from_slice(if self.quoter.std_strings { b"on;\n" } else { b"off;\n" });
        qs.push(q);
        if let Some(role) = &self.opts.role {
            let mut q = b"SET ROLE ".to_vec();
            self.quoter.push_ident(&mut q, role);
            q.extend_from_slice(b";\n");
            qs.push(q);
        }
        if let Some(sp) = &self.searchpath {
            qs.push(sp.clone());
        }
        qs.push(b"SET check_function_bodies = false;\n".to_vec());
        qs.push(b"SET xmloption = content;\n".to_vec());
        qs.push(b"SET client_min_messages = warning;\n".to_vec());
        if !self.quoter.std_strings {
            qs.push(b"SET escape_string_warning = off;\n".to_vec());
        }
        qs.push(if self.opts.enable_row_security {
            b"SET row_security = on;\n".to_vec()
        } else {
            b"SET row_security = off;\n".to_vec()
        });
        qs
    }

    /// The `--clean` drop statements of one entry (the caller walks the plan in
    /// reverse). Empty when the entry drops nothing.
    pub fn drop_actions(&self, state: &mut SessionState, item: &PlannedEntry) -> Vec<Action> {
        let te = &self.toc.entries[item.index];
        let is_db = matches!(te.desc, Desc::Database | Desc::DatabaseProperties);
        let mut out = Vec::new();
        if self.opts.create_db && !is_db {
            return out;
        }
        if !(item.reqs.schema() || item.reqs.data()) {
            return out;
        }
        let Some(drop) = te.drop_stmt.as_deref() else {
            return out;
        };
        self.become_owner(state, te, &mut out);
        self.select_output_schema(state, te.namespace.as_deref(), &mut out);
        if te.desc == Desc::BlobMetadata {
            if self.opts.if_exists {
                self.command_per_blob(
                    te,
                    b"SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = '",
                    b"'",
                    &mut out,
                );
            } else {
                self.command_per_blob(te, b"SELECT pg_catalog.lo_unlink('", b"')", &mut out);
            }
        } else if !drop.is_empty() {
            if !self.opts.if_exists || drop.starts_with(b"--") {
                out.push(Action::Sql(drop.to_vec()));
            } else if te.desc == Desc::Blob {
                out.push(Action::Sql(drop_lo_if_exists(te.catalog_id.oid)));
            } else {
                out.push(Action::Sql(add_if_exists(te, drop)));
            }
        }
        out
    }

    /// `restore_toc_entry` for one entry in DB mode. `truncate` is stock's
    /// `use_truncate` (already checked against load-via-partition-root).
    pub fn entry_actions(
        &self,
        state: &mut SessionState,
        te: &TocEntry,
        reqs: Reqs,
        truncate: bool,
    ) -> Result<EntryActions, SqlError> {
        let mut out = EntryActions::default();
        let mut defn_dumped = false;
        if reqs.schema() {
            self.print_toc_entry(state, te, &mut out)?;
            defn_dumped = true;
            if matches!(te.desc, Desc::Database | Desc::DatabaseProperties) {
                out.actions.push(Action::Reconnect { dbname: te.tag.clone().unwrap_or_default() });
                state.reset();
            }
        }
        if reqs.data() {
            if te.had_dumper {
                self.table_context(state, te, &mut out.actions);
                match te.desc {
                    Desc::Blobs => {
                        self.select_output_schema(state, Some(b"pg_catalog"), &mut out.actions);
                        let old_style = self.toc.header.version < ArchiveVersion::V1_12;
                        out.actions.push(Action::LargeObjects { create: old_style, drop_first: old_style && self.opts.clean });
                    }
                    Desc::BlobComments => {
                        self.select_output_schema(state, Some(b"pg_catalog"), &mut out.actions);
                        out.actions.push(Action::DataCommands);
                    }
                    _ => {
                        self.toggle_triggers(state, te, b"DISABLE", &mut out.actions);
                        self.become_owner(state, te, &mut out.actions);
                        self.select_output_schema(state, te.namespace.as_deref(), &mut out.actions);
                        if truncate {
                            out.actions.push(Action::Sql(b"BEGIN".to_vec()));
                            let mut t = b"TRUNCATE TABLE ONLY ".to_vec();
                            t.extend_from_slice(&self.quoter.qualified(te.namespace.as_deref(), tag(te)));
                            t.extend_from_slice(b";\n\n");
                            out.actions.push(Action::Sql(t));
                        }
                        match te.copy_stmt.as_deref().filter(|c| !c.is_empty()) {
                            Some(copy) => out.actions.push(Action::Copy { statement: copy.to_vec() }),
                            None => out.actions.push(Action::DataCommands),
                        }
                        if truncate {
                            out.actions.push(Action::Sql(b"COMMIT".to_vec()));
                        }
                        self.toggle_triggers(state, te, b"ENABLE", &mut out.actions);
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

    /// The session switches `_printTocEntry` makes before the data of a table
    /// (the schema/tablespace/access method of the entry header).
    fn table_context(&self, state: &mut SessionState, te: &TocEntry, out: &mut Vec<Action>) {
        self.become_owner(state, te, out);
        self.select_output_schema(state, te.namespace.as_deref(), out);
        self.select_tablespace(state, te.tablespace.as_deref(), out);
        if te.relkind != b'p' {
            self.select_table_am(state, te.table_am.as_deref(), out);
        }
    }

    /// `_printTocEntry` in DB mode.
    fn print_toc_entry(&self, state: &mut SessionState, te: &TocEntry, out: &mut EntryActions) -> Result<(), SqlError> {
        self.table_context(state, te, &mut out.actions);
        let defn = te.defn.as_deref();
        let defn_is_comment = defn.is_some_and(|d| d.starts_with(b"--"));
        if self.opts.no_owner && te.desc == Desc::Schema && !defn_is_comment {
            let mut q = b"CREATE SCHEMA ".to_vec();
            self.quoter.push_ident(&mut q, tag(te));
            q.extend_from_slice(b";\n\n\n");
            out.actions.push(Action::Sql(q));
        } else if te.desc == Desc::BlobMetadata {
            out.extra_txn_actions += self.command_per_blob(te, b"SELECT pg_catalog.lo_create('", b"')", &mut out.actions);
        } else if te.desc == Desc::Acl && te.tag.as_deref().is_some_and(|t| t.starts_with(b"LARGE OBJECTS")) {
            out.extra_txn_actions += self.acl_per_blob(te, &mut out.actions)?;
        } else if let Some(d) = defn.filter(|d| !d.is_empty()) {
            let mut q = d.to_vec();
            q.extend_from_slice(b"\n\n");
            out.actions.push(Action::Sql(q));
            if self.opts.transaction_size > 0 && !matches!(te.desc, Desc::Function | Desc::Procedure) {
                let semicolons = d.iter().filter(|&&b| b == b';').count() as u32;
                if semicolons > 1 {
                    out.extra_txn_actions += semicolons - 1;
                }
            }
        }

        let owner_nonempty = te.owner.as_deref().is_some_and(|o| !o.is_empty());
        let drop_nonempty = te.drop_stmt.as_deref().is_some_and(|d| !d.is_empty());
        if !self.opts.no_owner
            && (!self.opts.use_set_session_authorization || (te.desc == Desc::Schema && defn_is_comment))
            && owner_nonempty
            && drop_nonempty
        {
            let owner = self.quoter.ident(te.owner.as_deref().unwrap_or(b""));
            if te.desc == Desc::BlobMetadata {
                let mut end = b" OWNER TO ".to_vec();
                end.extend_from_slice(&owner);
                out.extra_txn_actions += self.command_per_blob(te, b"ALTER LARGE OBJECT ", &end, &mut out.actions);
            } else {
                let what = self.object_description(te)?;
                if !what.is_empty() {
                    let mut q = b"ALTER ".to_vec();
                    q.extend_from_slice(&what);
                    q.extend_from_slice(b" OWNER TO ");
                    q.extend_from_slice(&owner);
                    q.extend_from_slice(b";\n\n");
                    out.actions.push(Action::Sql(q));
                }
            }
        }
        if te.relkind == b'p' && !self.opts.no_table_access_method {
            if let Some(am) = te.table_am.as_deref() {
                let mut q = b"ALTER TABLE ".to_vec();
                q.extend_from_slice(&self.quoter.qualified(te.namespace.as_deref(), tag(te)));
                q.extend_from_slice(b" SET ACCESS METHOD ");
                self.quoter.push_ident(&mut q, am);
                q.extend_from_slice(b";\n\n");
                out.actions.push(Action::Sql(q));
            }
        }
        if is_acl(te) {
            // ACL commands may contain SET SESSION AUTHORIZATION.
            state.curr_user = None;
        }
        Ok(())
    }

    /// `_getObjectDescription`.
    fn object_description(&self, te: &TocEntry) -> Result<Vec<u8>, SqlError> {
        let mut buf = Vec::new();
        match te.desc {
            Desc::Collation
            | Desc::Conversion
            | Desc::Domain
            | Desc::ForeignTable
            | Desc::MaterializedView
            | Desc::Sequence
            | Desc::Statistics
            | Desc::Table
            | Desc::TextSearchDictionary
            | Desc::TextSearchConfiguration
            | Desc::Type
            | Desc::View
            | Desc::Database
            | Desc::ProceduralLanguage
            | Desc::Schema
            | Desc::EventTrigger
            | Desc::ForeignDataWrapper
            | Desc::Server
            | Desc::Publication
            | Desc::Subscription => {
                buf.extend_from_slice(te.desc.as_bytes());
                buf.push(b' ');
                if let Some(ns) = te.namespace.as_deref().filter(|n| !n.is_empty()) {
                    self.quoter.push_ident(&mut buf, ns);
                    buf.push(b'.');
                }
                self.quoter.push_ident(&mut buf, tag(te));
            }
            Desc::Blob => {
                buf.extend_from_slice(b"LARGE OBJECT ");
                buf.extend_from_slice(tag(te));
            }
            Desc::Aggregate
            | Desc::Function
            | Desc::Operator
            | Desc::OperatorClass
            | Desc::OperatorFamily
            | Desc::Procedure => {
                let drop = te.drop_stmt.as_deref().unwrap_or(b"");
                let mut body = drop.get(5..).unwrap_or(b"");
                while let Some((&last, head)) = body.split_last() {
                    if last == b'\n' || last == b';' {
                        body = head;
                    } else {
                        break;
                    }
                }
                buf.extend_from_slice(body);
            }
            Desc::Cast
            | Desc::CheckConstraint
            | Desc::Constraint
            | Desc::DatabaseProperties
            | Desc::Default
            | Desc::FkConstraint
            | Desc::Index
            | Desc::Rule
            | Desc::Trigger
            | Desc::RowSecurity
            | Desc::Policy
            | Desc::UserMapping => {}
            _ => {
                return Err(SqlError(format!(
                    "don't know how to set owner for object type \"{}\"",
                    String::from_utf8_lossy(te.desc.as_bytes())
                )))
            }
        }
        Ok(buf)
    }

    /// `IssueCommandPerBlob`: one query per large object of a BLOB METADATA entry.
    /// Returns how many queries were added.
    fn command_per_blob(&self, te: &TocEntry, begin: &[u8], end: &[u8], out: &mut Vec<Action>) -> u32 {
        let defn = te.defn.as_deref().unwrap_or(b"");
        let mut n = 0;
        for oid in defn.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let mut q = Vec::with_capacity(begin.len() + oid.len() + end.len() + 2);
            q.extend_from_slice(begin);
            q.extend_from_slice(oid);
            q.extend_from_slice(end);
            q.extend_from_slice(b";\n");
            out.push(Action::Sql(q));
            n += 1;
        }
        n
    }

    /// `IssueACLPerBlob`: each GRANT/REVOKE of a `LARGE OBJECTS a..b` ACL entry for
    /// every large object of the group's BLOB METADATA entry.
    fn acl_per_blob(&self, te: &TocEntry, out: &mut Vec<Action>) -> Result<u32, SqlError> {
        let first_dep = te.dependencies.first().copied().unwrap_or(0);
        let blob_te = self
            .entry(first_dep)
            .ok_or_else(|| SqlError(format!("could not find entry for ID {first_dep}")))?;
        let defn = te.defn.as_deref().unwrap_or(b"");
        let mut in_quotes = false;
        let mut start = 0usize;
        let mut second: Option<(usize, usize)> = None;
        let mut i = 0usize;
        let mut n = 0;
        while i < defn.len() {
            let c = defn[i];
            if c == b'"' {
                in_quotes = !in_quotes;
            }
            if in_quotes {
                i += 1;
                continue;
            }
            if defn[i..].starts_with(b"LARGE OBJECT ") {
                let first_end = i + 13;
                let mut j = first_end + 1;
                while j < defn.len() && defn[j].is_ascii_digit() {
                    j += 1;
                }
                second = Some((first_end, j));
                i = j;
            } else if c == b';' {
                let Some((first_end, second_start)) = second else {
                    return Err(SqlError(format!(
                        "cannot parse large-object ACL command in entry {}: {}",
                        te.dump_id,
                        String::from_utf8_lossy(&defn[start..=i])
                    )));
                };
                let begin = defn[start..first_end].to_vec();
                let end = defn[second_start.min(i)..i].to_vec();
                n += self.command_per_blob(blob_te, &begin, &end, out);
                i += 1;
                while i < defn.len() && defn[i].is_ascii_whitespace() {
                    i += 1;
                }
                start = i;
                second = None;
            } else {
                i += 1;
            }
        }
        Ok(n)
    }

    fn become_owner(&self, state: &mut SessionState, te: &TocEntry, out: &mut Vec<Action>) {
        if self.opts.no_owner || !self.opts.use_set_session_authorization {
            return;
        }
        self.become_user(state, te.owner.as_deref(), out);
    }

    /// `_becomeUser`.
    fn become_user(&self, state: &mut SessionState, user: Option<&[u8]>, out: &mut Vec<Action>) {
        let user = user.unwrap_or(b"");
        if state.curr_user.as_deref() == Some(user) {
            return;
        }
        let mut q = b"SET SESSION AUTHORIZATION ".to_vec();
        if user.is_empty() {
            q.extend_from_slice(b"DEFAULT");
        } else {
            self.quoter.push_literal(&mut q, user);
        }
        out.push(Action::Sql(q));
        state.curr_user = Some(user.to_vec());
    }

    /// `_selectOutputSchema`: only for archives without a SEARCHPATH entry.
    fn select_output_schema(&self, state: &mut SessionState, schema: Option<&[u8]>, out: &mut Vec<Action>) {
        if self.searchpath.is_some() {
            return;
        }
        let Some(schema) = schema.filter(|s| !s.is_empty()) else {
            return;
        };
        if state.curr_schema.as_deref() == Some(schema) {
            return;
        }
        let mut q = b"SET search_path = ".to_vec();
        self.quoter.push_ident(&mut q, schema);
        if schema != b"pg_catalog" {
            q.extend_from_slice(b", pg_catalog");
        }
        out.push(Action::Sql(q));
        state.curr_schema = Some(schema.to_vec());
    }

    /// `_selectTablespace`.
    fn select_tablespace(&self, state: &mut SessionState, tablespace: Option<&[u8]>, out: &mut Vec<Action>) {
        if self.opts.no_tablespaces {
            return;
        }
        let Some(want) = tablespace else {
            return;
        };
        if state.curr_tablespace.as_deref() == Some(want) {
            return;
        }
        let mut q = b"SET default_tablespace = ".to_vec();
        if want.is_empty() {
            q.extend_from_slice(b"''");
        } else {
            self.quoter.push_ident(&mut q, want);
        }
        out.push(Action::Sql(q));
        state.curr_tablespace = Some(want.to_vec());
    }

    /// `_selectTableAccessMethod`.
    fn select_table_am(&self, state: &mut SessionState, table_am: Option<&[u8]>, out: &mut Vec<Action>) {
        if self.opts.no_table_access_method {
            return;
        }
        let Some(want) = table_am else {
            return;
        };
        if state.curr_table_am.as_deref() == Some(want) {
            return;
        }
        let mut q = b"SET default_table_access_method = ".to_vec();
        self.quoter.push_ident(&mut q, want);
        out.push(Action::Sql(q));
        state.curr_table_am = Some(want.to_vec());
    }

    /// `_disableTriggersIfNecessary` / `_enableTriggersIfNecessary`.
    fn toggle_triggers(&self, state: &mut SessionState, te: &TocEntry, verb: &[u8], out: &mut Vec<Action>) {
        if self.schema_restored || !self.opts.disable_triggers {
            return;
        }
        self.become_user(state, self.opts.superuser.as_deref(), out);
        let mut q = b"ALTER TABLE ".to_vec();
        q.extend_from_slice(&self.quoter.qualified(te.namespace.as_deref(), tag(te)));
        q.push(b' ');
        q.extend_from_slice(verb);
        q.extend_from_slice(b" TRIGGER ALL;\n\n");
        out.push(Action::Sql(q));
    }

    /// Stock's `is_load_via_partition_root`: data loaded through the partition root
    /// may move rows between partitions, so it is never preceded by TRUNCATE.
    pub fn is_load_via_partition_root(&self, te: &TocEntry) -> bool {
        if te.defn.as_deref().is_some_and(|d| d.starts_with(b"-- load via partition root ")) {
            return true;
        }
        if let Some(copy) = te.copy_stmt.as_deref().filter(|c| !c.is_empty()) {
            let mut prefix = b"COPY ".to_vec();
            prefix.extend_from_slice(&self.quoter.qualified(te.namespace.as_deref(), tag(te)));
            prefix.push(b' ');
            return !copy.starts_with(&prefix);
        }
        false
    }
}

fn tag(te: &TocEntry) -> &[u8] {
    te.tag.as_deref().unwrap_or(b"")
}

/// `DropLOIfExists` for servers of 9.0 and later.
pub fn drop_lo_if_exists(oid: u32) -> Vec<u8> {
    format!("SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = '{oid}';\n")
        .into_bytes()
}

/// Injects `IF EXISTS` into a drop statement, as stock's drop pass does.
fn add_if_exists(te: &TocEntry, drop: &[u8]) -> Vec<u8> {
    let mut result = Vec::with_capacity(drop.len() + 10);
    let mut rest = drop;
    if rest.starts_with(b"ALTER TABLE") {
        result.extend_from_slice(b"ALTER TABLE IF EXISTS");
        rest = &rest[11..];
    }
    if matches!(te.desc, Desc::Default | Desc::DatabaseProperties) || rest.starts_with(b"CREATE OR REPLACE VIEW") {
        result.extend_from_slice(rest);
        return result;
    }
    let mut marker = match te.desc {
        Desc::Constraint | Desc::CheckConstraint | Desc::FkConstraint => b"DROP CONSTRAINT".to_vec(),
        _ => {
            let mut m = b"DROP ".to_vec();
            m.extend_from_slice(te.desc.as_bytes());
            m
        }
    };
    marker.truncate(39);
    match find(rest, &marker) {
        Some(at) => {
            result.extend_from_slice(&rest[..at]);
            result.extend_from_slice(&marker);
            result.extend_from_slice(b" IF EXISTS");
            result.extend_from_slice(&rest[at + marker.len()..]);
        }
        None => {
            eprintln!(
                "pgark restore: warning: could not find where to insert IF EXISTS in statement \"{}\"",
                String::from_utf8_lossy(drop)
            );
            result.extend_from_slice(rest);
        }
    }
    result
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
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
        StatementSplitter { std_strings, ..Default::default() }
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
            s.feed(chunk, &mut |stmt| out.push(String::from_utf8(stmt).expect("utf8")));
        }
        out
    }

    #[test]
    fn splitter_respects_quotes() {
        assert_eq!(
            split("INSERT INTO t VALUES (1, 'a;b');\nINSERT INTO \"x;y\" VALUES (2);\n", true),
            vec!["INSERT INTO t VALUES (1, 'a;b');", "INSERT INTO \"x;y\" VALUES (2);"]
        );
        assert_eq!(split("SELECT 'it''s;';", true), vec!["SELECT 'it''s;';"]);
        // With standard strings off a backslash escapes the quote.
        assert_eq!(split("SELECT 'a\\';b';SELECT 1;", false), vec!["SELECT 'a\\';b';", "SELECT 1;"]);
        assert_eq!(split("SELECT 'a\\';SELECT 1;", true), vec!["SELECT 'a\\';", "SELECT 1;"]);
    }
}
