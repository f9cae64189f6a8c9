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
//! What each entry issues (session switches, definitions, owners, ACLs, drops) comes
//! from [`statements`], which `pgark restore -d` uses as well; this module adds the
//! script's layout (entry header comments, `\restrict`, `\connect`, COPY data,
//! large objects written with `lowrite`).
//!
//! Deliberate differences from stock are listed in `DIFFERENCES.md` beside this file.
//!
//! [`Plan`]: crate::select::Plan

use std::io::{Read, Write};

use crate::error::{Error, Result};
use crate::model::{CustomOffset, DataLocation, Desc, Toc, TocEntry};
use crate::quote::{psql_meta_connect_quoting, Encoding};
use crate::select::{PlannedEntry, RestorePass};
use crate::version::ArchiveVersion;

pub mod statements;

pub use statements::{EntryStatements, SessionState, Statement};

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

/// Restore options: everything about `pg_restore -f` that is not entry selection
/// (selection is decided by [`crate::select`] and passed in as the plan). The ones
/// that change statements (`-O`, `--no-tablespaces`, `--role`, ...) are read by
/// [`EntryStatements`], for `pgark restore -d` as well, which leaves the script-only
/// ones (`restrict_key`, `verbose`, `output_name`, ...) at their defaults.
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
    let mut r = Renderer {
        toc,
        opts,
        out: Out { w: out, name: &opts.output_name },
        statements: EntryStatements::new(toc, plan, opts)?,
        state: SessionState::default(),
        txn_count: 0,
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
        self.w.write_all(b).map_err(|e| Error::write(self.name, e))
    }
    fn flush(&mut self) -> Result<()> {
        self.w.flush().map_err(|e| Error::write(self.name, e))
    }
}

struct Renderer<'a> {
    toc: &'a Toc,
    opts: &'a ScriptOptions,
    out: Out<'a>,
    statements: EntryStatements<'a>,
    /// The session settings the script has switched to.
    state: SessionState,
    /// Actions since the last COMMIT in `--transaction-size` mode.
    txn_count: u32,
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

    /// Prints statements; each command of a per-large-object series counts as a
    /// `--transaction-size` action of its own (`IssueCommandPerBlob`).
    fn emit(&mut self, statements: &[Statement]) -> Result<()> {
        for statement in statements {
            let (text, terminator) = statement.script_text();
            self.out.put(text)?;
            self.out.put(terminator)?;
            if matches!(statement, Statement::PerBlob(_)) && self.opts.transaction_size > 0 {
                self.txn_count += 1;
                if self.txn_count >= self.opts.transaction_size {
                    self.put(b"COMMIT;\nBEGIN;\n\n")?;
                    self.txn_count = 0;
                }
            }
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
        if self.opts.schema_requested && !self.statements.schema_restored() {
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
        for setting in self.statements.fixed_session_setup(true) {
            self.put(&setting)?;
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
            if te.drop_stmt.is_none() {
                continue;
            }
            let mut not_allowed_in_txn = false;
            self.progress(|| format!("dropping {} {}", lossy(te.desc.as_bytes()), lossy_tag(te)));
            if self.opts.transaction_size > 0 && is_db {
                not_allowed_in_txn = true;
                self.put(b"COMMIT;\n")?;
            }
            let mut statements = Vec::new();
            self.statements.drop_statements(&mut self.state, te, &mut statements, &mut self.report.warnings);
            self.emit(&statements)?;

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
        self.state.forget_schema();
        Ok(())
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
                        self.select_catalog_schema()?;
                        self.restore_large_objects(te, source)?;
                    }
                    Desc::BlobComments => {
                        self.progress(|| "processing BLOB COMMENTS".to_string());
                        self.select_catalog_schema()?;
                        self.copy_entry_data(te, source)?;
                    }
                    _ => {
                        if self.statements.toggles_triggers() {
                            self.progress(|| format!("disabling triggers for {}", lossy_tag(te)));
                        }
                        let mut statements = Vec::new();
                        self.statements.data_prologue(&mut self.state, te, &mut statements);
                        self.emit(&statements)?;
                        self.progress(|| {
                            // Stock prints a missing namespace as C's "(null)".
                            let ns = te.namespace.as_deref().map(lossy).unwrap_or_else(|| "(null)".into());
                            format!("processing data for table \"{ns}.{}\"", lossy_tag(te))
                        });
                        if let Some(copy) = te.copy_stmt.as_deref().filter(|c| !c.is_empty()) {
                            self.put(copy)?;
                        }
                        self.copy_entry_data(te, source)?;
                        if self.statements.toggles_triggers() {
                            self.progress(|| format!("enabling triggers for {}", lossy_tag(te)));
                        }
                        let mut statements = Vec::new();
                        self.statements.data_epilogue(&mut self.state, te, &mut statements);
                        self.emit(&statements)?;
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
        let quoter = self.statements.quoter();
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
        let connect = psql_meta_connect_quoting(dbname, self.opts.quote_all_identifiers)
            .map_err(|e| Error::Script(e.to_string()))?;
        if let Some(key) = self.opts.restrict_key.clone() {
            self.put_all(&[b"\\unrestrict ", &key, b"\n"])?;
        }
        self.put(&connect)?;
        if let Some(key) = self.opts.restrict_key.clone() {
            self.put_all(&[b"\\restrict ", &key, b"\n\n"])?;
        }
        self.state.reset();
        self.fixed_output_state()
    }

    /// `_printTocEntry`.
    fn print_toc_entry(&mut self, te: &TocEntry, prefix: Prefix) -> Result<()> {
        let mut statements = Vec::new();
        self.statements.entry_context(&mut self.state, te, &mut statements);
        self.emit(&statements)?;

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

        statements.clear();
        let extra_actions = self.statements.definition(&mut self.state, te, &mut statements)?;
        self.emit(&statements)?;
        self.txn_count += extra_actions;
        Ok(())
    }

    /// `_selectOutputSchema(AH, "pg_catalog")` before large objects.
    fn select_catalog_schema(&mut self) -> Result<()> {
        let mut statements = Vec::new();
        self.statements.select_output_schema(&mut self.state, Some(b"pg_catalog"), &mut statements);
        self.emit(&statements)
    }
}

/// Reads until `buf` is full or the input ends; returns how much was read.
pub fn fill(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
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
