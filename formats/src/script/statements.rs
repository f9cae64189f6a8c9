//! The statements of each archive entry, as stock pg_restore 18 issues them
//! (`_printTocEntry`, `_becomeUser`, `_selectOutputSchema`, `_selectTablespace`,
//! `_selectTableAccessMethod`, `_getObjectDescription`, `IssueCommandPerBlob`,
//! `IssueACLPerBlob`, `_disableTriggersIfNecessary`, the `--clean` drop pass,
//! `_doSetFixedOutputState`): ONE source for both consumers, the script renderer
//! (`pg_restore -f`, [`super::render_script`]) and the direct-to-database executor
//! (`pgark restore -d`), which differ only in where the text goes.
//!
//! Everything is returned as [`Statement`]s. The two modes of stock differ in one
//! place only: session switches (`SET SESSION AUTHORIZATION`, `SET search_path`,
//! `SET default_tablespace`, `SET default_table_access_method`) are executed without
//! a terminator but printed with `;\n\n`; [`Statement::script_text`] adds it.
//!
//! The session settings already in effect (stock's `AH->currUser`, `currSchema`,
//! `currTablespace`, `currTableAm`) are a [`SessionState`] owned by the caller: one
//! for the script, one per connection for the executor.

use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::model::{Desc, DumpId, Toc, TocEntry};
use crate::quote::{Encoding, Quoter};
use crate::select::{is_acl, PlannedEntry};

use super::{ScriptOptions, SessionSetup};

/// One piece of an entry's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    /// A session switch, without terminator (executed as is, printed with `;\n\n`).
    Session(Vec<u8>),
    /// SQL exactly as printed; executed as one query.
    Sql(Vec<u8>),
    /// One command of an `IssueCommandPerBlob` series: one `--transaction-size`
    /// action of its own.
    PerBlob(Vec<u8>),
    /// The end of an `IssueCommandPerBlob` series (the script prints a blank line).
    PerBlobEnd,
}

impl Statement {
    /// The text `pg_restore -f` prints, in two parts (the statement, its terminator).
    pub fn script_text(&self) -> (&[u8], &'static [u8]) {
        match self {
            Statement::Session(text) => (text, b";\n\n"),
            Statement::Sql(text) | Statement::PerBlob(text) => (text, b""),
            Statement::PerBlobEnd => (b"\n", b""),
        }
    }

    /// The query a database restore sends; `None` for what is only layout.
    pub fn query(self) -> Option<Vec<u8>> {
        match self {
            Statement::Session(text) | Statement::Sql(text) | Statement::PerBlob(text) => {
                Some(text)
            }
            Statement::PerBlobEnd => None,
        }
    }
}

/// Session settings already in effect on one output (`AH->currUser` etc.); `None`
/// means unknown, so the next entry that cares sets it.
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

    /// Forgets the schema (after the drop pass: the schema may be gone).
    pub fn forget_schema(&mut self) {
        self.curr_schema = None;
    }
}

/// Builds the statements of the entries of one archive.
pub struct EntryStatements<'a> {
    toc: &'a Toc,
    opts: &'a ScriptOptions,
    quoter: Quoter,
    searchpath: Option<Vec<u8>>,
    by_id: HashMap<DumpId, usize>,
    /// Stock's `ropt->dumpSchema` after its implied check: schema was asked for and
    /// some wanted entry has a schema part. When false the restore is data-only and
    /// `--disable-triggers` takes effect — also for `-a -C`, whose DATABASE entry is
    /// wanted for its schema part although schema was not asked for.
    schema_restored: bool,
}

impl<'a> EntryStatements<'a> {
    /// For `toc`, restoring `plan` (every entry, as [`crate::select::Plan::items`]
    /// gives them).
    pub fn new(
        toc: &'a Toc,
        plan: &[PlannedEntry],
        opts: &'a ScriptOptions,
    ) -> Result<EntryStatements<'a>> {
        let session = SessionSetup::from_toc(toc)?;
        Ok(EntryStatements {
            toc,
            quoter: Quoter {
                encoding: session.encoding,
                std_strings: session.std_strings,
                quote_all_identifiers: opts.quote_all_identifiers,
            },
            opts,
            searchpath: session.searchpath,
            by_id: toc
                .entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.dump_id > 0)
                .map(|(i, e)| (e.dump_id, i))
                .collect(),
            schema_restored: opts.schema_requested && plan.iter().any(|p| p.reqs.schema()),
        })
    }

    pub fn quoter(&self) -> Quoter {
        self.quoter
    }

    pub fn encoding(&self) -> Encoding {
        self.quoter.encoding
    }

    pub fn std_strings(&self) -> bool {
        self.quoter.std_strings
    }

    pub fn schema_restored(&self) -> bool {
        self.schema_restored
    }

    /// The entry with this dump ID.
    pub fn entry(&self, dump_id: DumpId) -> Option<&'a TocEntry> {
        self.by_id.get(&dump_id).map(|&i| &self.toc.entries[i])
    }

    /// `_doSetFixedOutputState`: one statement per setting, each ending in `;\n`.
    /// `transaction_timeout` says whether to set it (the script always does; a
    /// database restore only on servers of 17 and later, which have it).
    pub fn fixed_session_setup(&self, transaction_timeout: bool) -> Vec<Vec<u8>> {
        let mut qs: Vec<Vec<u8>> = vec![
            b"SET statement_timeout = 0;\n".to_vec(),
            b"SET lock_timeout = 0;\n".to_vec(),
            b"SET idle_in_transaction_session_timeout = 0;\n".to_vec(),
        ];
        if transaction_timeout {
            qs.push(b"SET transaction_timeout = 0;\n".to_vec());
        }
        let mut q = b"SET client_encoding = '".to_vec();
        q.extend_from_slice(self.quoter.encoding.name().as_bytes());
        q.extend_from_slice(b"';\n");
        qs.push(q);
        let mut q = b"SET standard_conforming_strings = ".to_vec();
        q.extend_from_slice(if self.quoter.std_strings {
            b"on;\n"
        } else {
            b"off;\n"
        });
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

    /// The `--clean` drop statements of one entry (owner and schema switches, then
    /// the DROP, with `IF EXISTS` injected for `--if-exists`). Nothing for entries
    /// without a drop statement. Statements whose place for `IF EXISTS` cannot be
    /// found are kept as they are and named in `warnings`.
    pub fn drop_statements(
        &self,
        state: &mut SessionState,
        te: &TocEntry,
        out: &mut Vec<Statement>,
        warnings: &mut Vec<String>,
    ) {
        let Some(drop) = te.drop_stmt.as_deref() else {
            return;
        };
        self.become_owner(state, te, out);
        self.select_output_schema(state, te.namespace.as_deref(), out);
        if te.desc == Desc::BlobMetadata {
            if self.opts.if_exists {
                self.command_per_blob(
                    te,
                    b"SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = '",
                    b"'",
                    out,
                );
            } else {
                self.command_per_blob(te, b"SELECT pg_catalog.lo_unlink('", b"')", out);
            }
        } else if !drop.is_empty() {
            if !self.opts.if_exists || drop.starts_with(b"--") {
                out.push(Statement::Sql(drop.to_vec()));
            } else if te.desc == Desc::Blob {
                out.push(Statement::Sql(drop_lo_if_exists(te.catalog_id.oid)));
            } else {
                out.push(Statement::Sql(add_if_exists(te, drop, warnings)));
            }
        }
    }

    /// The session switches `_printTocEntry` makes before an entry (owner with
    /// `--use-set-session-authorization`, schema, tablespace, table access method).
    pub fn entry_context(&self, state: &mut SessionState, te: &TocEntry, out: &mut Vec<Statement>) {
        self.become_owner(state, te, out);
        self.select_output_schema(state, te.namespace.as_deref(), out);
        self.select_tablespace(state, te.tablespace.as_deref(), out);
        if te.relkind != b'p' {
            self.select_table_am(state, te.table_am.as_deref(), out);
        }
    }

    /// What `_printTocEntry` issues after the entry's header comment: the definition
    /// (or its per-large-object form), `ALTER ... OWNER TO`, the access method of a
    /// partitioned table. Returns how many `--transaction-size` actions the
    /// definition counts beyond the entry's own (a multi-statement definition counts
    /// one per statement).
    pub fn definition(
        &self,
        state: &mut SessionState,
        te: &TocEntry,
        out: &mut Vec<Statement>,
    ) -> Result<u32> {
        let mut extra_actions = 0;
        let defn = te.defn.as_deref();
        let defn_is_comment = defn.is_some_and(|d| d.starts_with(b"--"));
        if self.opts.no_owner && te.desc == Desc::Schema && !defn_is_comment {
            // Old pg_dump put AUTHORIZATION into CREATE SCHEMA; -O must not keep it.
            let mut q = b"CREATE SCHEMA ".to_vec();
            self.quoter.push_ident(&mut q, tag(te));
            q.extend_from_slice(b";\n\n\n");
            out.push(Statement::Sql(q));
        } else if te.desc == Desc::BlobMetadata {
            self.command_per_blob(te, b"SELECT pg_catalog.lo_create('", b"')", out);
        } else if te.desc == Desc::Acl
            && te
                .tag
                .as_deref()
                .is_some_and(|t| t.starts_with(b"LARGE OBJECTS"))
        {
            self.acl_per_blob(te, out)?;
        } else if let Some(d) = defn.filter(|d| !d.is_empty()) {
            let mut q = d.to_vec();
            q.extend_from_slice(b"\n\n");
            out.push(Statement::Sql(q));
            // Functions excepted: their bodies are full of semicolons.
            if self.opts.transaction_size > 0
                && !matches!(te.desc, Desc::Function | Desc::Procedure)
            {
                let semicolons = d.iter().filter(|&&b| b == b';').count() as u32;
                if semicolons > 1 {
                    extra_actions += semicolons - 1;
                }
            }
        }

        let owner_nonempty = te.owner.as_deref().is_some_and(|o| !o.is_empty());
        let drop_nonempty = te.drop_stmt.as_deref().is_some_and(|d| !d.is_empty());
        if !self.opts.no_owner
            && (!self.opts.use_set_session_authorization
                || (te.desc == Desc::Schema && defn_is_comment))
            && owner_nonempty
            && drop_nonempty
        {
            let owner = self.quoter.ident(te.owner.as_deref().unwrap_or(b""));
            if te.desc == Desc::BlobMetadata {
                let mut end = b" OWNER TO ".to_vec();
                end.extend_from_slice(&owner);
                self.command_per_blob(te, b"ALTER LARGE OBJECT ", &end, out);
            } else {
                let what = self.object_description(te)?;
                if !what.is_empty() {
                    let mut q = b"ALTER ".to_vec();
                    q.extend_from_slice(&what);
                    q.extend_from_slice(b" OWNER TO ");
                    q.extend_from_slice(&owner);
                    q.extend_from_slice(b";\n\n");
                    out.push(Statement::Sql(q));
                }
            }
        }

        // `_printTableAccessMethodNoStorage`: partitioned tables get their access
        // method with ALTER TABLE after the definition.
        if te.relkind == b'p' && !self.opts.no_table_access_method {
            if let Some(am) = te.table_am.as_deref() {
                let mut q = b"ALTER TABLE ".to_vec();
                q.extend_from_slice(&self.quoter.qualified(te.namespace.as_deref(), tag(te)));
                q.extend_from_slice(b" SET ACCESS METHOD ");
                self.quoter.push_ident(&mut q, am);
                q.extend_from_slice(b";\n\n");
                out.push(Statement::Sql(q));
            }
        }
        if is_acl(te) {
            // ACL commands may contain SET SESSION AUTHORIZATION.
            state.curr_user = None;
        }
        Ok(extra_actions)
    }

    /// What precedes a table's data: triggers disabled (data-only restores with
    /// `--disable-triggers`), the owner, the schema.
    pub fn data_prologue(&self, state: &mut SessionState, te: &TocEntry, out: &mut Vec<Statement>) {
        self.toggle_triggers(state, te, b"DISABLE", out);
        self.become_owner(state, te, out);
        self.select_output_schema(state, te.namespace.as_deref(), out);
    }

    /// What follows a table's data: triggers enabled again.
    pub fn data_epilogue(&self, state: &mut SessionState, te: &TocEntry, out: &mut Vec<Statement>) {
        self.toggle_triggers(state, te, b"ENABLE", out);
    }

    /// Whether `--disable-triggers` takes effect (data-only restore).
    pub fn toggles_triggers(&self) -> bool {
        !self.schema_restored && self.opts.disable_triggers
    }

    /// `TRUNCATE TABLE ONLY` of a table before its data (parallel restore of a
    /// table created in the same run).
    pub fn truncate(&self, te: &TocEntry) -> Vec<u8> {
        let mut t = b"TRUNCATE TABLE ONLY ".to_vec();
        t.extend_from_slice(&self.quoter.qualified(te.namespace.as_deref(), tag(te)));
        t.extend_from_slice(b";\n\n");
        t
    }

    /// Stock's `is_load_via_partition_root`: data loaded through the partition root
    /// may move rows between partitions, so it is never preceded by TRUNCATE.
    pub fn is_load_via_partition_root(&self, te: &TocEntry) -> bool {
        if te
            .defn
            .as_deref()
            .is_some_and(|d| d.starts_with(b"-- load via partition root "))
        {
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

    /// `_getObjectDescription`: what follows `ALTER` in `ALTER ... OWNER TO`; empty for
    /// objects that have no owner of their own.
    fn object_description(&self, te: &TocEntry) -> Result<Vec<u8>> {
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
            // Large objects are named by number, never quoted.
            Desc::Blob => {
                buf.extend_from_slice(b"LARGE OBJECT ");
                buf.extend_from_slice(tag(te));
            }
            // The signature is exactly what the DROP statement names.
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
                return Err(Error::Script(format!(
                    "don't know how to set owner for object type \"{}\"",
                    String::from_utf8_lossy(te.desc.as_bytes())
                )))
            }
        }
        Ok(buf)
    }

    /// `IssueCommandPerBlob`: `begin<oid>end;` for every OID line of a BLOB METADATA
    /// defn, then the end of the series.
    fn command_per_blob(&self, te: &TocEntry, begin: &[u8], end: &[u8], out: &mut Vec<Statement>) {
        let mut rest = te.defn.as_deref().unwrap_or(b"");
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            let oid = &rest[..nl];
            let mut q = Vec::with_capacity(begin.len() + oid.len() + end.len() + 2);
            q.extend_from_slice(begin);
            q.extend_from_slice(oid);
            q.extend_from_slice(end);
            q.extend_from_slice(b";\n");
            out.push(Statement::PerBlob(q));
            rest = &rest[nl + 1..];
        }
        out.push(Statement::PerBlobEnd);
    }

    /// `IssueACLPerBlob`: each GRANT/REVOKE of a `LARGE OBJECTS a..b` ACL entry is
    /// re-issued for every large object of the group's BLOB METADATA entry.
    fn acl_per_blob(&self, te: &TocEntry, out: &mut Vec<Statement>) -> Result<()> {
        let first_dep = te.dependencies.first().copied().unwrap_or(0);
        let blob_te = self
            .entry(first_dep)
            .ok_or_else(|| Error::Script(format!("could not find entry for ID {first_dep}")))?;
        let defn = te.defn.as_deref().unwrap_or(b"");
        let mut in_quotes = false;
        let mut start = 0usize;
        let mut second: Option<(usize, usize)> = None; // (end of first half, start of second)
        let mut i = 0usize;
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
                // The OID's first digit is dropped with the terminator, the rest skipped.
                let mut j = first_end + 1;
                while j < defn.len() && defn[j].is_ascii_digit() {
                    j += 1;
                }
                second = Some((first_end, j));
                i = j;
            } else if c == b';' {
                let Some((first_end, second_start)) = second else {
                    return Err(Error::Script(format!(
                        "cannot parse large-object ACL command in entry {}: {}",
                        te.dump_id,
                        String::from_utf8_lossy(&defn[start..=i])
                    )));
                };
                let begin = defn[start..first_end].to_vec();
                let end = defn[second_start.min(i)..i].to_vec();
                self.command_per_blob(blob_te, &begin, &end, out);
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
        Ok(())
    }

    /// `_becomeOwner`: only with `--use-set-session-authorization` (and not `-O`).
    fn become_owner(&self, state: &mut SessionState, te: &TocEntry, out: &mut Vec<Statement>) {
        if self.opts.no_owner || !self.opts.use_set_session_authorization {
            return;
        }
        self.become_user(state, te.owner.as_deref(), out);
    }

    /// `_becomeUser`: `SET SESSION AUTHORIZATION` unless already that user.
    fn become_user(&self, state: &mut SessionState, user: Option<&[u8]>, out: &mut Vec<Statement>) {
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
        out.push(Statement::Session(q));
        state.curr_user = Some(user.to_vec());
    }

    /// `_selectOutputSchema`: only for archives without a SEARCHPATH entry.
    pub fn select_output_schema(
        &self,
        state: &mut SessionState,
        schema: Option<&[u8]>,
        out: &mut Vec<Statement>,
    ) {
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
        out.push(Statement::Session(q));
        state.curr_schema = Some(schema.to_vec());
    }

    /// `_selectTablespace`.
    fn select_tablespace(
        &self,
        state: &mut SessionState,
        tablespace: Option<&[u8]>,
        out: &mut Vec<Statement>,
    ) {
        if !self.opts.no_tablespaces {
            self.switch_setting(
                &mut state.curr_tablespace,
                tablespace,
                b"default_tablespace",
                true,
                out,
            );
        }
    }

    /// `_selectTableAccessMethod`.
    fn select_table_am(
        &self,
        state: &mut SessionState,
        table_am: Option<&[u8]>,
        out: &mut Vec<Statement>,
    ) {
        if !self.opts.no_table_access_method {
            self.switch_setting(
                &mut state.curr_table_am,
                table_am,
                b"default_table_access_method",
                false,
                out,
            );
        }
    }

    /// `SET name = value` unless `current` is `want` already (nothing for `None`);
    /// with `empty_is_default` an empty value is `''` (stock's default tablespace),
    /// otherwise it is quoted as an identifier like any other.
    fn switch_setting(
        &self,
        current: &mut Option<Vec<u8>>,
        want: Option<&[u8]>,
        name: &[u8],
        empty_is_default: bool,
        out: &mut Vec<Statement>,
    ) {
        let Some(want) = want else {
            return;
        };
        if current.as_deref() == Some(want) {
            return;
        }
        let mut q = b"SET ".to_vec();
        q.extend_from_slice(name);
        q.extend_from_slice(b" = ");
        if want.is_empty() && empty_is_default {
            q.extend_from_slice(b"''");
        } else {
            self.quoter.push_ident(&mut q, want);
        }
        out.push(Statement::Session(q));
        *current = Some(want.to_vec());
    }

    /// `_disableTriggersIfNecessary` / `_enableTriggersIfNecessary`. Only a superuser
    /// can disable constraint triggers; without -S the session user is assumed to be
    /// one.
    fn toggle_triggers(
        &self,
        state: &mut SessionState,
        te: &TocEntry,
        verb: &[u8],
        out: &mut Vec<Statement>,
    ) {
        if !self.toggles_triggers() {
            return;
        }
        self.become_user(state, self.opts.superuser.as_deref(), out);
        let mut q = b"ALTER TABLE ".to_vec();
        q.extend_from_slice(&self.quoter.qualified(te.namespace.as_deref(), tag(te)));
        q.push(b' ');
        q.extend_from_slice(verb);
        q.extend_from_slice(b" TRIGGER ALL;\n\n");
        out.push(Statement::Sql(q));
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
fn add_if_exists(te: &TocEntry, drop: &[u8], warnings: &mut Vec<String>) -> Vec<u8> {
    let mut result = Vec::with_capacity(drop.len() + 10);
    let mut rest = drop;
    if rest.starts_with(b"ALTER TABLE") {
        result.extend_from_slice(b"ALTER TABLE IF EXISTS");
        rest = &rest[11..];
    }
    if matches!(te.desc, Desc::Default | Desc::DatabaseProperties)
        || rest.starts_with(b"CREATE OR REPLACE VIEW")
    {
        result.extend_from_slice(rest);
        return result;
    }
    let mut marker = match te.desc {
        Desc::Constraint | Desc::CheckConstraint | Desc::FkConstraint => {
            b"DROP CONSTRAINT".to_vec()
        }
        _ => {
            let mut m = b"DROP ".to_vec();
            m.extend_from_slice(te.desc.as_bytes());
            m
        }
    };
    // Stock formats the marker into a 40-byte buffer.
    marker.truncate(39);
    match find(rest, &marker) {
        Some(at) => {
            result.extend_from_slice(&rest[..at]);
            result.extend_from_slice(&marker);
            result.extend_from_slice(b" IF EXISTS");
            result.extend_from_slice(&rest[at + marker.len()..]);
        }
        None => {
            warnings.push(format!(
                "could not find where to insert IF EXISTS in statement \"{}\"",
                String::from_utf8_lossy(drop)
            ));
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
