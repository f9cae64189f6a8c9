//! SQL-script rendering of an archive, byte for byte as PostgreSQL 18's `pg_restore -f`
//! prints it (`pg_backup_archiver.c`: `RestoreArchive`, `restore_toc_entry`,
//! `_printTocEntry`, `_doSetFixedOutputState`, the drop pass of `--clean`, large-object
//! restoration, `\restrict`).
//!
//! The renderer needs three things: the archive's [`Toc`], a [`Plan`]-like list saying
//! what is wanted of each entry and in which pass (from [`crate::select`]), and a
//! [`DataSource`] that streams entry data. Nothing here reads an archive file, so
//! `pg_dump -Fp` can reuse it with COPY streams from a live server.
//!
//! Deliberate differences from stock are listed in `DIFFERENCES.md` beside this file.
//!
//! [`Plan`]: crate::select::Plan

use std::collections::HashMap;
use std::io::{Read, Write};

use crate::error::{Error, Result};
use crate::model::{DataLocation, Desc, DumpId, CustomOffset, Toc, TocEntry};
use crate::quote::{psql_meta_connect, Encoding, Quoter};
use crate::select::{is_acl, PlannedEntry, RestorePass};
use crate::version::ArchiveVersion;

/// `LOBBUFSIZE`: large-object bytes are written in `lowrite` calls of this size.
const LO_BUFFER_SIZE: usize = 16384;
/// `INV_WRITE`, the mode of `lo_open`.
const INV_WRITE: u32 = 0x0002_0000;

/// Where entry data comes from: an archive reader, or (for `pg_dump -Fp`) a live
/// server's COPY output.
pub trait DataSource {
    /// The stored data of an entry that has a dumper (TABLE DATA: COPY text including
    /// its `\.` terminator, or INSERT statements; BLOB COMMENTS: SQL). `None` when
    /// the archive holds no data for it.
    fn entry_data(&mut self, entry: &TocEntry) -> Result<Option<Box<dyn Read + '_>>>;

    /// Calls `each(oid, bytes)` for every large object of a `BLOBS` entry, in archive
    /// order.
    fn large_objects(
        &mut self,
        entry: &TocEntry,
        each: &mut dyn FnMut(u32, &mut dyn Read) -> Result<()>,
    ) -> Result<()>;
}

/// Output options: everything about `pg_restore -f` that is not entry selection
/// (selection is decided by [`crate::select`] and passed in as the plan).
#[derive(Debug, Clone, Default)]
pub struct ScriptOptions {
    /// The psql `\restrict` key; `None` prints no `\restrict`/`\unrestrict` lines.
    pub restrict_key: Option<Vec<u8>>,
    /// `-v`: TOC entry ids, dependencies, data positions and timestamps in comments.
    pub verbose: bool,
    /// `-v`: the `-- Started on ...` text (the archive's creation time, formatted by the
    /// caller as `%Y-%m-%d %H:%M:%S %Z` in local time); `None` prints no line.
    pub started_on: Option<String>,
    /// `-v`: formats the current time for `-- Completed on ...`, called at the end.
    pub completed_on: Option<fn() -> String>,
    /// `-1`
    pub single_transaction: bool,
    /// `--transaction-size` (0 = off)
    pub transaction_size: u32,
    /// `-C`
    pub create_db: bool,
    /// `-c`
    pub clean: bool,
    /// `--if-exists`
    pub if_exists: bool,
    /// `-O`
    pub no_owner: bool,
    /// `--use-set-session-authorization`
    pub use_set_session_authorization: bool,
    /// `--no-tablespaces`
    pub no_tablespaces: bool,
    /// `--no-table-access-method`
    pub no_table_access_method: bool,
    /// `--disable-triggers` (effective only when nothing schema-like is restored)
    pub disable_triggers: bool,
    /// `-S`: the user to become for disabling triggers.
    pub superuser: Option<Vec<u8>>,
    /// `--role`
    pub role: Option<Vec<u8>>,
    /// `--enable-row-security`
    pub enable_row_security: bool,
    /// `--quote-all-identifiers` (pg_dump only; pg_restore never sets it).
    pub quote_all_identifiers: bool,
    /// Print `-- Data Pos:` / `-- File:` lines with `-v` (the archive formats do;
    /// `pg_dump -Fp` does not).
    pub print_data_locations: bool,
    /// Name of the output, used in I/O error messages.
    pub output_name: String,
    /// `-v`: receives stock's progress messages (`creating TABLE "s.t"`, `processing
    /// data for table "s.t"`, ...) as they happen; the caller prints them.
    pub progress: Option<fn(&str)>,
    /// Whether the selection asked for schema (stock's `dumpSchema` before the implied
    /// check): when it did but no wanted entry has a schema part, `-v` reports an
    /// "implied no-schema restore".
    pub schema_requested: bool,
    /// Stock's tar reader reports each large object twice under `-v`; set for tar input.
    pub tar_input: bool,
}

/// Non-fatal messages stock prints as `pg_restore: warning: ...` while rendering.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderReport {
    pub warnings: Vec<String>,
}

/// Which header prefix an entry's comment gets (`TOC_PREFIX_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prefix {
    None,
    Data,
    Stats,
}

/// Renders the whole script for `toc`, processing `plan` (every entry, in processing
/// order, as [`crate::select::Plan::items`] gives them) and writing to `out`.
pub fn render_script(
    toc: &Toc,
    plan: &[PlannedEntry],
    opts: &ScriptOptions,
    source: &mut dyn DataSource,
    out: &mut dyn Write,
) -> Result<RenderReport> {
    let session = SessionSetup::from_toc(toc)?;
    let mut r = Renderer {
        toc,
        opts,
        out: Out { w: out, name: &opts.output_name },
        by_id: toc
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.dump_id > 0)
            .map(|(i, e)| (e.dump_id, i))
            .collect(),
        quoter: Quoter {
            encoding: session.encoding,
            std_strings: session.std_strings,
            quote_all_identifiers: opts.quote_all_identifiers,
        },
        searchpath: session.searchpath,
        curr_user: None,
        curr_schema: None,
        curr_tablespace: None,
        curr_table_am: None,
        txn_count: 0,
        schema_restored: plan.iter().any(|p| p.reqs.schema()),
        report: RenderReport::default(),
    };
    r.run(plan, source)?;
    r.out.flush()?;
    Ok(r.report)
}

/// What the special entries (ENCODING, STDSTRINGS, SEARCHPATH) set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSetup {
    pub encoding: Encoding,
    pub std_strings: bool,
    /// The SEARCHPATH entry's defn, printed verbatim; `None` for archives without one
    /// (then `SET search_path` is issued per entry).
    pub searchpath: Option<Vec<u8>>,
}

impl SessionSetup {
    /// Reads the special entries as pg_restore does while reading the TOC
    /// (`processEncodingEntry`, `processStdStringsEntry`, `processSearchPathEntry`):
    /// the last of each kind wins; defaults are SQL_ASCII and standard strings off.
    pub fn from_toc(toc: &Toc) -> Result<SessionSetup> {
        let mut setup = SessionSetup { encoding: Encoding::SqlAscii, std_strings: false, searchpath: None };
        for e in &toc.entries {
            let defn = e.defn.as_deref().unwrap_or(b"");
            match e.desc {
                Desc::Encoding => {
                    let name = between_quotes(defn)
                        .ok_or_else(|| Error::Script(format!("invalid ENCODING item: {}", lossy(defn))))?;
                    setup.encoding = Encoding::from_name(name)
                        .ok_or_else(|| Error::Script(format!("unrecognized encoding \"{}\"", lossy(name))))?;
                }
                Desc::StdStrings => {
                    let at = defn.iter().position(|&b| b == b'\'');
                    match at.map(|i| &defn[i..]) {
                        Some(s) if s.starts_with(b"'on'") => setup.std_strings = true,
                        Some(s) if s.starts_with(b"'off'") => setup.std_strings = false,
                        _ => return Err(Error::Script(format!("invalid STDSTRINGS item: {}", lossy(defn)))),
                    }
                }
                Desc::SearchPath => setup.searchpath = Some(defn.to_vec()),
                _ => {}
            }
        }
        Ok(setup)
    }
}

/// The text between the first two single quotes.
fn between_quotes(s: &[u8]) -> Option<&[u8]> {
    let start = s.iter().position(|&b| b == b'\'')? + 1;
    let len = s[start..].iter().position(|&b| b == b'\'')?;
    Some(&s[start..start + len])
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn lossy_tag(te: &TocEntry) -> String {
    lossy(te.tag.as_deref().unwrap_or(b""))
}

/// `sanitize_line`: CR and LF become spaces so a name cannot end a comment line;
/// NULL becomes `-` or nothing.
pub fn sanitize_line(s: Option<&[u8]>, want_hyphen: bool) -> Vec<u8> {
    match s {
        None if want_hyphen => b"-".to_vec(),
        None => Vec::new(),
        Some(s) => s.iter().map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b }).collect(),
    }
}

/// The output with its name for error messages.
struct Out<'a> {
    w: &'a mut dyn Write,
    name: &'a str,
}

impl Out<'_> {
    fn put(&mut self, b: &[u8]) -> Result<()> {
        self.w.write_all(b).map_err(|e| io_error(self.name, e))
    }
    fn flush(&mut self) -> Result<()> {
        self.w.flush().map_err(|e| io_error(self.name, e))
    }
}

struct Renderer<'a> {
    toc: &'a Toc,
    opts: &'a ScriptOptions,
    out: Out<'a>,
    by_id: HashMap<DumpId, usize>,
    quoter: Quoter,
    searchpath: Option<Vec<u8>>,
    /// The session user the script has switched to (`AH->currUser`); `None` = unknown.
    curr_user: Option<Vec<u8>>,
    curr_schema: Option<Vec<u8>>,
    curr_tablespace: Option<Vec<u8>>,
    curr_table_am: Option<Vec<u8>>,
    /// Actions since the last COMMIT in `--transaction-size` mode.
    txn_count: u32,
    /// Some wanted entry has a schema part; when none has, the restore is data-only
    /// ("implied data-only restore") and `--disable-triggers` takes effect.
    schema_restored: bool,
    report: RenderReport,
}

impl<'a> Renderer<'a> {
    fn put(&mut self, b: &[u8]) -> Result<()> {
        self.out.put(b)
    }

    fn put_all(&mut self, parts: &[&[u8]]) -> Result<()> {
        for p in parts {
            self.out.put(p)?;
        }
        Ok(())
    }

    /// A `-v` progress message (stock's `pg_log_info`).
    fn progress(&self, message: impl FnOnce() -> String) {
        if let Some(report) = self.opts.progress {
            report(&message());
        }
    }

    fn in_outer_transaction(&self) -> bool {
        self.opts.single_transaction || self.opts.transaction_size > 0
    }

    fn run(&mut self, plan: &[PlannedEntry], source: &mut dyn DataSource) -> Result<()> {
        if self.opts.schema_requested && !self.schema_restored {
            self.progress(|| "implied no-schema restore".to_string());
        }
        self.put(b"--\n-- PostgreSQL database dump\n--\n\n")?;
        if let Some(key) = self.opts.restrict_key.clone() {
            self.put_all(&[b"\\restrict ", &key, b"\n\n"])?;
        }
        let header = &self.toc.header;
        if let Some(v) = header.server_version.clone() {
            self.put_all(&[b"-- Dumped from database version ", &v, b"\n"])?;
        }
        if let Some(v) = header.dump_version.clone() {
            self.put_all(&[b"-- Dumped by pg_dump version ", &v, b"\n"])?;
        }
        self.put(b"\n")?;
        if self.opts.verbose {
            if let Some(stamp) = self.opts.started_on.clone() {
                self.put_all(&[b"-- Started on ", stamp.as_bytes(), b"\n\n"])?;
            }
        }
        if self.opts.single_transaction {
            self.put(b"BEGIN;\n\n")?;
        }
        self.fixed_output_state()?;

        if self.opts.clean {
            self.drop_pass(plan)?;
        }

        let mut have_acl = false;
        let mut have_post_acl = false;
        for item in plan {
            if !item.reqs.wants_anything() {
                continue;
            }
            match item.pass {
                RestorePass::Main => self.restore_entry(item, source)?,
                RestorePass::Acl => have_acl = true,
                RestorePass::PostAcl => have_post_acl = true,
            }
        }
        for (wanted, pass) in [(have_acl, RestorePass::Acl), (have_post_acl, RestorePass::PostAcl)] {
            if !wanted {
                continue;
            }
            for item in plan {
                if item.reqs.wants_anything() && item.pass == pass {
                    self.restore_entry(item, source)?;
                }
            }
        }

        if self.in_outer_transaction() {
            self.put(b"COMMIT;\n\n")?;
        }
        if self.opts.verbose {
            if let Some(now) = self.opts.completed_on {
                let stamp = now();
                self.put_all(&[b"-- Completed on ", stamp.as_bytes(), b"\n\n"])?;
            }
        }
        self.put(b"--\n-- PostgreSQL database dump complete\n--\n\n")?;
        if let Some(key) = self.opts.restrict_key.clone() {
            self.put_all(&[b"\\unrestrict ", &key, b"\n\n"])?;
        }
        Ok(())
    }

    /// `_doSetFixedOutputState`.
    fn fixed_output_state(&mut self) -> Result<()> {
        self.put(
            b"SET statement_timeout = 0;\n\
              SET lock_timeout = 0;\n\
              SET idle_in_transaction_session_timeout = 0;\n\
              SET transaction_timeout = 0;\n",
        )?;
        let enc = self.quoter.encoding.name();
        self.put_all(&[b"SET client_encoding = '", enc.as_bytes(), b"';\n"])?;
        let std = if self.quoter.std_strings { &b"on"[..] } else { &b"off"[..] };
        self.put_all(&[b"SET standard_conforming_strings = ", std, b";\n"])?;
        if let Some(role) = self.opts.role.clone() {
            let role = self.quoter.ident(&role);
            self.put_all(&[b"SET ROLE ", &role, b";\n"])?;
        }
        if let Some(sp) = self.searchpath.clone() {
            self.put(&sp)?;
        }
        self.put(b"SET check_function_bodies = false;\nSET xmloption = content;\nSET client_min_messages = warning;\n")?;
        if !self.quoter.std_strings {
            self.put(b"SET escape_string_warning = off;\n")?;
        }
        if self.opts.enable_row_security {
            self.put(b"SET row_security = on;\n")?;
        } else {
            self.put(b"SET row_security = off;\n")?;
        }
        if self.opts.transaction_size > 0 {
            self.put(b"\nBEGIN;\n")?;
            self.txn_count = 0;
        }
        self.put(b"\n")
    }

    /// The `--clean` pass: drop statements of the wanted entries, in reverse order.
    fn drop_pass(&mut self, plan: &[PlannedEntry]) -> Result<()> {
        for item in plan.iter().rev() {
            let te = &self.toc.entries[item.index];
            let is_db = matches!(te.desc, Desc::Database | Desc::DatabaseProperties);
            // With -C only the database itself is dropped: everything else would be
            // dropped in the wrong database.
            if self.opts.create_db && !is_db {
                continue;
            }
            if !(item.reqs.schema() || item.reqs.data()) {
                continue;
            }
            let Some(drop) = te.drop_stmt.as_deref() else {
                continue;
            };
            let mut not_allowed_in_txn = false;
            self.progress(|| format!("dropping {} {}", lossy(te.desc.as_bytes()), lossy_tag(te)));
            if self.opts.transaction_size > 0 && is_db {
                not_allowed_in_txn = true;
                self.put(b"COMMIT;\n")?;
            }
            self.become_owner(te)?;
            self.select_output_schema(te.namespace.as_deref())?;

            if te.desc == Desc::BlobMetadata {
                if self.opts.if_exists {
                    self.command_per_blob(
                        te,
                        b"SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = '",
                        b"'",
                    )?;
                } else {
                    self.command_per_blob(te, b"SELECT pg_catalog.lo_unlink('", b"')")?;
                }
            } else if !drop.is_empty() {
                if !self.opts.if_exists || drop.starts_with(b"--") {
                    self.put(drop)?;
                } else if te.desc == Desc::Blob {
                    self.drop_lo_if_exists(te.catalog_id.oid)?;
                } else {
                    let rewritten = self.add_if_exists(te, drop);
                    self.put(&rewritten)?;
                }
            }

            if self.opts.transaction_size > 0 {
                if not_allowed_in_txn {
                    self.put(b"BEGIN;\n")?;
                    self.txn_count = 0;
                } else {
                    self.txn_count += 1;
                    if self.txn_count >= self.opts.transaction_size {
                        self.put(b"COMMIT;\nBEGIN;\n")?;
                        self.txn_count = 0;
                    }
                }
            }
        }
        // The schema a `SET search_path` named may be gone now.
        self.curr_schema = None;
        Ok(())
    }

    /// Injects `IF EXISTS` into a drop statement, as stock's drop pass does.
    fn add_if_exists(&mut self, te: &TocEntry, drop: &[u8]) -> Vec<u8> {
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
                self.report.warnings.push(format!(
                    "could not find where to insert IF EXISTS in statement \"{}\"",
                    lossy(drop)
                ));
                result.extend_from_slice(rest);
            }
        }
        result
    }

    /// `DropLOIfExists` in script mode.
    fn drop_lo_if_exists(&mut self, oid: u32) -> Result<()> {
        let line = format!(
            "SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = '{oid}';\n"
        );
        self.put(line.as_bytes())
    }

    /// `restore_toc_entry` for one wanted entry.
    fn restore_entry(&mut self, item: &PlannedEntry, source: &mut dyn DataSource) -> Result<()> {
        let te = &self.toc.entries[item.index];
        let reqs = item.reqs;
        let mut defn_dumped = false;

        if reqs.schema() {
            let object_is_db = matches!(te.desc, Desc::Database | Desc::DatabaseProperties);
            if object_is_db && self.opts.transaction_size > 0 {
                self.put(b"COMMIT;\n\n")?;
            }
            self.progress(|| match te.namespace.as_deref() {
                Some(ns) => format!("creating {} \"{}.{}\"", lossy(te.desc.as_bytes()), lossy(ns), lossy_tag(te)),
                None => format!("creating {} \"{}\"", lossy(te.desc.as_bytes()), lossy_tag(te)),
            });
            self.print_toc_entry(te, Prefix::None)?;
            defn_dumped = true;
            if object_is_db {
                self.progress(|| format!("connecting to new database \"{}\"", lossy_tag(te)));
                self.reconnect(te.tag.as_deref().unwrap_or(b""))?;
            }
        }

        if reqs.data() {
            if te.had_dumper {
                self.print_toc_entry(te, Prefix::Data)?;
                match te.desc {
                    Desc::Blobs => {
                        self.progress(|| "processing BLOBS".to_string());
                        self.select_output_schema(Some(b"pg_catalog"))?;
                        self.restore_large_objects(te, source)?;
                    }
                    Desc::BlobComments => {
                        self.progress(|| "processing BLOB COMMENTS".to_string());
                        self.select_output_schema(Some(b"pg_catalog"))?;
                        self.copy_entry_data(te, source)?;
                    }
                    _ => {
                        self.disable_triggers_if_necessary(te)?;
                        self.become_owner(te)?;
                        self.select_output_schema(te.namespace.as_deref())?;
                        self.progress(|| {
                            // Stock prints a missing namespace as C's "(null)".
                            let ns = te.namespace.as_deref().map(lossy).unwrap_or_else(|| "(null)".into());
                            format!("processing data for table \"{ns}.{}\"", lossy_tag(te))
                        });
                        if let Some(copy) = te.copy_stmt.as_deref().filter(|c| !c.is_empty()) {
                            self.put(copy)?;
                        }
                        self.copy_entry_data(te, source)?;
                        self.enable_triggers_if_necessary(te)?;
                    }
                }
            } else if !defn_dumped {
                self.progress(|| format!("executing {} {}", lossy(te.desc.as_bytes()), lossy_tag(te)));
                self.print_toc_entry(te, Prefix::None)?;
            }
        }

        if reqs.stats() {
            self.print_toc_entry(te, Prefix::Stats)?;
        }

        if reqs.wants_anything() && self.opts.transaction_size > 0 {
            self.txn_count += 1;
            if self.txn_count >= self.opts.transaction_size {
                self.put(b"COMMIT;\nBEGIN;\n\n")?;
                self.txn_count = 0;
            }
        }
        Ok(())
    }

    /// Streams an entry's stored data to the output unchanged.
    fn copy_entry_data(&mut self, te: &TocEntry, source: &mut dyn DataSource) -> Result<()> {
        let Some(mut reader) = source.entry_data(te)? else {
            return Ok(());
        };
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(data_error(te, e)),
            };
            self.out.put(&buf[..n])?;
        }
        Ok(())
    }

    /// `StartRestoreLOs` .. `EndRestoreLOs` in script mode.
    fn restore_large_objects(&mut self, te: &TocEntry, source: &mut dyn DataSource) -> Result<()> {
        let outer = self.in_outer_transaction();
        if !outer {
            self.put(b"BEGIN;\n\n")?;
        }
        let old_style = self.toc.header.version < ArchiveVersion::V1_12;
        let clean = self.opts.clean;
        let quoter = self.quoter;
        let progress = self.opts.progress;
        let reports_per_lo = if self.opts.tar_input { 2 } else { 1 };
        let mut restored = 0usize;
        let out = &mut self.out;
        source.large_objects(te, &mut |oid, bytes| {
            restored += 1;
            if let Some(report) = progress {
                for _ in 0..reports_per_lo {
                    report(&format!("restoring large object with OID {oid}"));
                }
            }
            if old_style && clean {
                out.put(
                    format!(
                        "SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata WHERE oid = '{oid}';\n"
                    )
                    .as_bytes(),
                )?;
            }
            if old_style {
                out.put(format!("SELECT pg_catalog.lo_open(pg_catalog.lo_create('{oid}'), {INV_WRITE});\n").as_bytes())?;
            } else {
                out.put(format!("SELECT pg_catalog.lo_open('{oid}', {INV_WRITE});\n").as_bytes())?;
            }
            let mut chunk = vec![0u8; LO_BUFFER_SIZE];
            loop {
                let filled = fill(bytes, &mut chunk).map_err(|e| data_error(te, e))?;
                if filled > 0 {
                    out.put(b"SELECT pg_catalog.lowrite(0, ")?;
                    out.put(&quoter.bytea_literal(&chunk[..filled]))?;
                    out.put(b");\n")?;
                }
                if filled < LO_BUFFER_SIZE {
                    break;
                }
            }
            out.put(b"SELECT pg_catalog.lo_close(0);\n\n")
        })?;
        self.progress(|| {
            if restored == 1 {
                "restored 1 large object".to_string()
            } else {
                format!("restored {restored} large objects")
            }
        });
        if !outer {
            self.put(b"COMMIT;\n\n")?;
        }
        Ok(())
    }

    /// `_reconnectToDB` in script mode: a `\connect` between `\unrestrict` and
    /// `\restrict`, then the fixed session settings again.
    fn reconnect(&mut self, dbname: &[u8]) -> Result<()> {
        let connect = psql_meta_connect(dbname).map_err(|e| Error::Script(e.to_string()))?;
        if let Some(key) = self.opts.restrict_key.clone() {
            self.put_all(&[b"\\unrestrict ", &key, b"\n"])?;
        }
        self.put(&connect)?;
        if let Some(key) = self.opts.restrict_key.clone() {
            self.put_all(&[b"\\restrict ", &key, b"\n\n"])?;
        }
        self.curr_user = None;
        self.curr_schema = None;
        self.curr_table_am = None;
        self.curr_tablespace = None;
        self.fixed_output_state()
    }

    /// `_printTocEntry`.
    fn print_toc_entry(&mut self, te: &TocEntry, prefix: Prefix) -> Result<()> {
        self.become_owner(te)?;
        self.select_output_schema(te.namespace.as_deref())?;
        self.select_tablespace(te.tablespace.as_deref())?;
        if te.relkind != b'p' {
            self.select_table_am(te.table_am.as_deref())?;
        }

        self.put(b"--\n")?;
        if self.opts.verbose {
            let line = format!(
                "-- TOC entry {} (class {} OID {})\n",
                te.dump_id, te.catalog_id.table_oid, te.catalog_id.oid
            );
            self.put(line.as_bytes())?;
            if !te.dependencies.is_empty() {
                let mut deps = String::from("-- Dependencies:");
                for d in &te.dependencies {
                    deps.push_str(&format!(" {d}"));
                }
                deps.push('\n');
                self.put(deps.as_bytes())?;
            }
        }
        let pfx: &[u8] = match prefix {
            Prefix::None => b"",
            Prefix::Data => b"Data for ",
            Prefix::Stats => b"Statistics for ",
        };
        let name = sanitize_line(te.tag.as_deref(), false);
        let schema = sanitize_line(te.namespace.as_deref(), true);
        let owner_src = if self.opts.no_owner { None } else { te.owner.as_deref() };
        let owner = sanitize_line(owner_src, true);
        self.put_all(&[
            b"-- ",
            pfx,
            b"Name: ",
            &name,
            b"; Type: ",
            te.desc.as_bytes(),
            b"; Schema: ",
            &schema,
            b"; Owner: ",
            &owner,
        ])?;
        if let Some(ts) = te.tablespace.as_deref().filter(|t| !t.is_empty()) {
            if !self.opts.no_tablespaces {
                let ts = sanitize_line(Some(ts), false);
                self.put_all(&[b"; Tablespace: ", &ts])?;
            }
        }
        self.put(b"\n")?;
        if self.opts.verbose && self.opts.print_data_locations {
            match &te.data_location {
                DataLocation::Custom(offset) => {
                    let pos = match offset {
                        CustomOffset::PosSet(p) => *p,
                        CustomOffset::PosNotSet | CustomOffset::NoData => 0,
                    };
                    self.put(format!("-- Data Pos: {pos}\n").as_bytes())?;
                }
                DataLocation::File(name) if !name.is_empty() => {
                    self.put_all(&[b"-- File: ", name, b"\n"])?;
                }
                DataLocation::File(_) => {}
            }
        }
        self.put(b"--\n\n")?;

        let defn = te.defn.as_deref();
        let defn_is_comment = defn.is_some_and(|d| d.starts_with(b"--"));
        if self.opts.no_owner && te.desc == Desc::Schema && !defn_is_comment {
            // Old pg_dump put AUTHORIZATION into CREATE SCHEMA; -O must not keep it.
            let id = self.quoter.ident(te.tag.as_deref().unwrap_or(b""));
            self.put_all(&[b"CREATE SCHEMA ", &id, b";\n\n\n"])?;
        } else if te.desc == Desc::BlobMetadata {
            self.command_per_blob(te, b"SELECT pg_catalog.lo_create('", b"')")?;
        } else if te.desc == Desc::Acl && te.tag.as_deref().is_some_and(|t| t.starts_with(b"LARGE OBJECTS")) {
            self.acl_per_blob(te)?;
        } else if let Some(d) = defn.filter(|d| !d.is_empty()) {
            self.put_all(&[d, b"\n\n"])?;
            // Multi-statement definitions count as several actions (functions excepted:
            // their bodies are full of semicolons).
            if self.opts.transaction_size > 0 && !matches!(te.desc, Desc::Function | Desc::Procedure) {
                let semicolons = d.iter().filter(|&&b| b == b';').count() as u32;
                if semicolons > 1 {
                    self.txn_count += semicolons - 1;
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
                self.command_per_blob(te, b"ALTER LARGE OBJECT ", &end)?;
            } else {
                let what = self.object_description(te)?;
                if !what.is_empty() {
                    self.put_all(&[b"ALTER ", &what, b" OWNER TO ", &owner, b";\n\n"])?;
                }
            }
        }

        if te.relkind == b'p' {
            self.table_am_no_storage(te)?;
        }
        if is_acl(te) {
            // ACL commands may contain SET SESSION AUTHORIZATION.
            self.curr_user = None;
        }
        Ok(())
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
                self.quoter.push_ident(&mut buf, te.tag.as_deref().unwrap_or(b""));
            }
            // Large objects are named by number, never quoted.
            Desc::Blob => {
                buf.extend_from_slice(b"LARGE OBJECT ");
                buf.extend_from_slice(te.tag.as_deref().unwrap_or(b""));
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
                    lossy(te.desc.as_bytes())
                )))
            }
        }
        Ok(buf)
    }

    /// `IssueCommandPerBlob`: `begin<oid>end;` for every OID line of a BLOB METADATA
    /// defn, then a blank line.
    fn command_per_blob(&mut self, te: &TocEntry, begin: &[u8], end: &[u8]) -> Result<()> {
        let defn = te.defn.as_deref().unwrap_or(b"");
        let mut rest = defn;
        while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
            let oid = &rest[..nl];
            self.put_all(&[begin, oid, end, b";\n"])?;
            if self.opts.transaction_size > 0 {
                self.txn_count += 1;
                if self.txn_count >= self.opts.transaction_size {
                    self.put(b"COMMIT;\nBEGIN;\n\n")?;
                    self.txn_count = 0;
                }
            }
            rest = &rest[nl + 1..];
        }
        self.put(b"\n")
    }

    /// `IssueACLPerBlob`: each GRANT/REVOKE of a `LARGE OBJECTS a..b` ACL entry is
    /// re-issued for every large object of the group's BLOB METADATA entry.
    fn acl_per_blob(&mut self, te: &TocEntry) -> Result<()> {
        let first_dep = te.dependencies.first().copied().unwrap_or(0);
        let blob_te = self
            .by_id
            .get(&first_dep)
            .map(|&i| &self.toc.entries[i])
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
                        lossy(&defn[start..=i])
                    )));
                };
                let begin = defn[start..first_end].to_vec();
                let end = defn[second_start.min(i)..i].to_vec();
                self.command_per_blob(blob_te, &begin, &end)?;
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
    fn become_owner(&mut self, te: &TocEntry) -> Result<()> {
        if self.opts.no_owner || !self.opts.use_set_session_authorization {
            return Ok(());
        }
        let owner = te.owner.clone();
        self.become_user(owner.as_deref())
    }

    /// `_becomeUser`: `SET SESSION AUTHORIZATION` unless already that user.
    fn become_user(&mut self, user: Option<&[u8]>) -> Result<()> {
        let user = user.unwrap_or(b"");
        if self.curr_user.as_deref() == Some(user) {
            return Ok(());
        }
        let mut cmd = b"SET SESSION AUTHORIZATION ".to_vec();
        if user.is_empty() {
            cmd.extend_from_slice(b"DEFAULT");
        } else {
            self.quoter.push_literal(&mut cmd, user);
        }
        cmd.extend_from_slice(b";\n\n");
        self.put(&cmd)?;
        self.curr_user = Some(user.to_vec());
        Ok(())
    }

    /// `_selectOutputSchema`: only for archives without a SEARCHPATH entry.
    fn select_output_schema(&mut self, schema: Option<&[u8]>) -> Result<()> {
        if self.searchpath.is_some() {
            return Ok(());
        }
        let Some(schema) = schema.filter(|s| !s.is_empty()) else {
            return Ok(());
        };
        if self.curr_schema.as_deref() == Some(schema) {
            return Ok(());
        }
        let mut cmd = b"SET search_path = ".to_vec();
        self.quoter.push_ident(&mut cmd, schema);
        if schema != b"pg_catalog" {
            cmd.extend_from_slice(b", pg_catalog");
        }
        cmd.extend_from_slice(b";\n\n");
        self.put(&cmd)?;
        self.curr_schema = Some(schema.to_vec());
        Ok(())
    }

    /// `_selectTablespace`.
    fn select_tablespace(&mut self, tablespace: Option<&[u8]>) -> Result<()> {
        if self.opts.no_tablespaces {
            return Ok(());
        }
        let Some(want) = tablespace else {
            return Ok(());
        };
        if self.curr_tablespace.as_deref() == Some(want) {
            return Ok(());
        }
        let mut cmd = b"SET default_tablespace = ".to_vec();
        if want.is_empty() {
            cmd.extend_from_slice(b"''");
        } else {
            self.quoter.push_ident(&mut cmd, want);
        }
        cmd.extend_from_slice(b";\n\n");
        self.put(&cmd)?;
        self.curr_tablespace = Some(want.to_vec());
        Ok(())
    }

    /// `_selectTableAccessMethod`.
    fn select_table_am(&mut self, table_am: Option<&[u8]>) -> Result<()> {
        if self.opts.no_table_access_method {
            return Ok(());
        }
        let Some(want) = table_am else {
            return Ok(());
        };
        if self.curr_table_am.as_deref() == Some(want) {
            return Ok(());
        }
        let mut cmd = b"SET default_table_access_method = ".to_vec();
        self.quoter.push_ident(&mut cmd, want);
        cmd.extend_from_slice(b";\n\n");
        self.put(&cmd)?;
        self.curr_table_am = Some(want.to_vec());
        Ok(())
    }

    /// `_printTableAccessMethodNoStorage`: partitioned tables get their access method
    /// with ALTER TABLE after the definition.
    fn table_am_no_storage(&mut self, te: &TocEntry) -> Result<()> {
        if self.opts.no_table_access_method {
            return Ok(());
        }
        let Some(am) = te.table_am.as_deref() else {
            return Ok(());
        };
        let mut cmd = b"ALTER TABLE ".to_vec();
        cmd.extend_from_slice(&self.quoter.qualified(te.namespace.as_deref(), te.tag.as_deref().unwrap_or(b"")));
        cmd.extend_from_slice(b" SET ACCESS METHOD ");
        self.quoter.push_ident(&mut cmd, am);
        cmd.extend_from_slice(b";\n\n");
        self.put(&cmd)
    }

    /// `_disableTriggersIfNecessary`: data-only restores with `--disable-triggers`.
    fn disable_triggers_if_necessary(&mut self, te: &TocEntry) -> Result<()> {
        self.toggle_triggers(te, b"DISABLE")
    }

    /// `_enableTriggersIfNecessary`.
    fn enable_triggers_if_necessary(&mut self, te: &TocEntry) -> Result<()> {
        self.toggle_triggers(te, b"ENABLE")
    }

    fn toggle_triggers(&mut self, te: &TocEntry, verb: &[u8]) -> Result<()> {
        if self.schema_restored || !self.opts.disable_triggers {
            return Ok(());
        }
        let verb_text = if verb == b"DISABLE" { "disabling" } else { "enabling" };
        self.progress(|| format!("{verb_text} triggers for {}", lossy_tag(te)));
        // Only a superuser can disable constraint triggers; without -S the session
        // user is assumed to be one.
        let superuser = self.opts.superuser.clone();
        self.become_user(superuser.as_deref())?;
        let table = self.quoter.qualified(te.namespace.as_deref(), te.tag.as_deref().unwrap_or(b""));
        self.put_all(&[b"ALTER TABLE ", &table, b" ", verb, b" TRIGGER ALL;\n\n"])
    }
}

/// Reads until `buf` is full or the input ends; returns how much was read.
fn fill(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// An error while reading an entry's data: the reader's own error when it carries one
/// of ours, else an I/O error naming the entry.
fn data_error(te: &TocEntry, e: std::io::Error) -> Error {
    io_error(&format!("data of entry {} ({})", te.dump_id, lossy(te.desc.as_bytes())), e)
}

/// An I/O error at `path`; an `io::Error` that only carries one of this crate's errors
/// (as archive data readers return them) is unwrapped so the message is not doubled.
fn io_error(path: &str, e: std::io::Error) -> Error {
    if e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
        let kind = e.kind();
        return match e.into_inner().map(|b| b.downcast::<Error>()) {
            Some(Ok(inner)) => *inner,
            Some(Err(other)) => Error::Io { path: path.to_string(), source: std::io::Error::new(kind, other) },
            None => Error::Io { path: path.to_string(), source: kind.into() },
        };
    }
    Error::Io { path: path.to_string(), source: e }
}

#[cfg(test)]
mod tests;
