//! Which TOC entries a restore or a listing wants, as PostgreSQL 18's pg_restore
//! decides it (`pg_backup_archiver.c`: `_tocEntryRequired`, `_tocEntryRestorePass`,
//! `StrictNamesCheck`, and the `-L` reordering of `SortTocFromFile`).
//!
//! Usage:
//!
//! ```
//! use pgark_formats::select::{Selection, plan};
//! # use pgark_formats::model::*;
//! # use pgark_formats::version::ArchiveVersion;
//! # let toc = Toc { header: Header { version: ArchiveVersion::CURRENT, int_size: 4, off_size: 8,
//! #   format: FormatCode::Custom, compression: HeaderCompression::Algorithm(CompressionAlgorithm::None),
//! #   created: None, database_name: None, server_version: None, dump_version: None }, entries: vec![] };
//! let mut selection = Selection::default();          // what plain `pg_restore` restores
//! selection.schema_names.push(b"app".to_vec());      // -n app
//! let plan = plan(&toc, &selection);
//! for item in plan.items() {
//!     if item.reqs.wants_anything() {
//!         // restore toc.entries[item.index]: schema part if item.reqs.schema(),
//!         // data if item.reqs.data(), statistics if item.reqs.stats(),
//!         // in pass item.pass
//!     }
//! }
//! // pg_restore -l checks --strict-names after printing; a restore checks before.
//! if let Err(missing) = plan.check_strict_names(&selection) {
//!     eprintln!("{missing}"); // e.g. schema "app" not found
//! }
//! ```
//!
//! Everything is decided on bytes as stored in the archive: names given with
//! `-n/-N/-t/-I/-P/-T` are compared byte for byte with the entry's namespace or tag,
//! with no pattern matching, quoting or schema qualification (stock does the same).

use crate::model::{Desc, DumpId, Section, Toc, TocEntry};
use std::collections::HashMap;
use thiserror::Error;

/// What a restore wants of one entry: stock's `REQ_*` bits.
///
/// `special` marks ENCODING / STDSTRINGS / SEARCHPATH, which are never restored as
/// items (they set up the session) and never listed by `-l`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Reqs(u8);

impl Reqs {
    const SCHEMA: u8 = 0x01;
    const DATA: u8 = 0x02;
    const STATS: u8 = 0x04;
    const SPECIAL: u8 = 0x08;

    /// Nothing wanted (stock's `0`).
    pub const NONE: Reqs = Reqs(0);

    fn from_bits(schema: bool, data: bool, stats: bool) -> Reqs {
        let mut b = 0;
        if schema {
            b |= Self::SCHEMA;
        }
        if data {
            b |= Self::DATA;
        }
        if stats {
            b |= Self::STATS;
        }
        Reqs(b)
    }
    /// A special (session-setup) entry.
    pub const fn special_entry() -> Reqs {
        Reqs(Self::SPECIAL)
    }
    /// Builds a value from its parts (for tests and hand-made plans).
    pub fn new(schema: bool, data: bool, stats: bool) -> Reqs {
        Self::from_bits(schema, data, stats)
    }
    /// The entry's definition (CREATE ...) is wanted.
    pub fn schema(self) -> bool {
        self.0 & Self::SCHEMA != 0
    }
    /// The entry's data (COPY data, sequence value, large objects...) is wanted.
    pub fn data(self) -> bool {
        self.0 & Self::DATA != 0
    }
    /// The entry is a STATISTICS DATA entry and statistics are wanted.
    pub fn stats(self) -> bool {
        self.0 & Self::STATS != 0
    }
    /// The entry is ENCODING, STDSTRINGS or SEARCHPATH.
    pub fn special(self) -> bool {
        self.0 & Self::SPECIAL != 0
    }
    /// Stock's `reqs == 0`: not wanted at all (special entries are not "0").
    pub fn is_none(self) -> bool {
        self.0 == 0
    }
    /// Schema, data or statistics wanted: what `-l` lists and a restore processes.
    pub fn wants_anything(self) -> bool {
        self.0 & (Self::SCHEMA | Self::DATA | Self::STATS) != 0
    }
}

/// The three passes of a serial restore (`RestorePass`): entries of one pass are all
/// processed, in plan order, before any entry of the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RestorePass {
    Main,
    Acl,
    PostAcl,
}

/// `--section` choices; all three when no `--section` is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SectionSet {
    pub pre_data: bool,
    pub data: bool,
    pub post_data: bool,
}

impl Default for SectionSet {
    fn default() -> Self {
        SectionSet::ALL
    }
}

impl SectionSet {
    pub const ALL: SectionSet = SectionSet { pre_data: true, data: true, post_data: true };
    pub const NONE: SectionSet = SectionSet { pre_data: false, data: false, post_data: false };

    /// The set named by repeated `--section` options (all sections if `sections` is empty).
    pub fn from_sections(sections: &[Section]) -> SectionSet {
        if sections.is_empty() {
            return SectionSet::ALL;
        }
        let mut set = SectionSet::NONE;
        for s in sections {
            match s {
                Section::PreData => set.pre_data = true,
                Section::Data => set.data = true,
                Section::PostData => set.post_data = true,
                Section::None => {}
            }
        }
        set
    }

    fn contains(self, section: Section) -> bool {
        match section {
            Section::PreData => self.pre_data,
            Section::Data => self.data,
            Section::PostData => self.post_data,
            // Stock: "shouldn't get here, really, but ignore it".
            Section::None => false,
        }
    }
}

/// A `-L` list file, already checked against the archive it applies to (see
/// `list::parse_use_list`): the dump IDs it names, in file order, each once.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UseList {
    pub ids: Vec<DumpId>,
}

/// Restore-side selection options (stock `RestoreOptions` fields that decide which
/// entries are wanted). `Selection::default()` is plain `pg_restore` of PostgreSQL 18:
/// schema, data and statistics, every section, nothing filtered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Restore definitions (off with `-a`, `--no-schema`, `--statistics-only`).
    pub dump_schema: bool,
    /// Restore data (off with `-s`, `--no-data`, `--statistics-only`).
    pub dump_data: bool,
    /// Restore STATISTICS DATA entries (off with `-s`, `-a`, `--no-statistics`).
    pub dump_statistics: bool,
    /// `--section`.
    pub sections: SectionSet,
    /// `-C`: DATABASE / DATABASE PROPERTIES entries and `DATABASE x` comments, ACLs,
    /// security labels are wanted only with it.
    pub create_db: bool,
    /// `-x` / `--no-privileges` / `--no-acl`.
    pub acls_skip: bool,
    pub no_comments: bool,
    pub no_policies: bool,
    pub no_publications: bool,
    pub no_security_labels: bool,
    pub no_subscriptions: bool,
    /// `-n`: only entries whose namespace is one of these.
    pub schema_names: Vec<Vec<u8>>,
    /// `-N`: no entries whose namespace is one of these.
    pub exclude_schema_names: Vec<Vec<u8>>,
    /// `-t`: relations (TABLE, VIEW, SEQUENCE, MATERIALIZED VIEW, FOREIGN TABLE and
    /// their data) whose tag is one of these.
    pub table_names: Vec<Vec<u8>>,
    /// `-I`: indexes.
    pub index_names: Vec<Vec<u8>>,
    /// `-P`: functions, procedures, aggregates, tag `name(argtypes)`.
    pub function_names: Vec<Vec<u8>>,
    /// `-T`: triggers, tag `table trigger`.
    pub trigger_names: Vec<Vec<u8>>,
    /// `--strict-names`: names of `-n/-t/-I/-P/-T` must each match an entry.
    pub strict_names: bool,
    /// `-L`: only the listed entries, in the list's order.
    pub use_list: Option<UseList>,
    /// pg_dump's `--sequence-data` (script output from pg_dump): SEQUENCE SET survives
    /// a data-less selection. pg_restore never sets it.
    pub sequence_data: bool,
    /// pg_dump's `--binary-upgrade`: large-object entries survive a data-less
    /// selection. pg_restore never sets it.
    pub binary_upgrade: bool,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            dump_schema: true,
            dump_data: true,
            dump_statistics: true,
            sections: SectionSet::ALL,
            create_db: false,
            acls_skip: false,
            no_comments: false,
            no_policies: false,
            no_publications: false,
            no_security_labels: false,
            no_subscriptions: false,
            schema_names: Vec::new(),
            exclude_schema_names: Vec::new(),
            table_names: Vec::new(),
            index_names: Vec::new(),
            function_names: Vec::new(),
            trigger_names: Vec::new(),
            strict_names: false,
            use_list: None,
            sequence_data: false,
            binary_upgrade: false,
        }
    }
}

impl Selection {
    /// Stock's `selTypes`: any of `-t -I -P -T` given.
    pub fn selects_types(&self) -> bool {
        !self.table_names.is_empty()
            || !self.index_names.is_empty()
            || !self.function_names.is_empty()
            || !self.trigger_names.is_empty()
    }

    /// Any selectivity option that makes ACL/COMMENT/SECURITY LABEL/STATISTICS DATA
    /// entries follow their parent object.
    fn is_selective(&self) -> bool {
        !self.schema_names.is_empty() || !self.exclude_schema_names.is_empty() || self.selects_types()
    }
}

/// Selection failures (`--strict-names`, `-L` list files, `--filter` files), worded
/// as stock words them.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SelectError {
    #[error("schema \"{}\" not found", String::from_utf8_lossy(.0))]
    SchemaNotFound(Vec<u8>),
    #[error("table \"{}\" not found", String::from_utf8_lossy(.0))]
    TableNotFound(Vec<u8>),
    #[error("index \"{}\" not found", String::from_utf8_lossy(.0))]
    IndexNotFound(Vec<u8>),
    #[error("function \"{}\" not found", String::from_utf8_lossy(.0))]
    FunctionNotFound(Vec<u8>),
    #[error("trigger \"{}\" not found", String::from_utf8_lossy(.0))]
    TriggerNotFound(Vec<u8>),
    /// A `-L` list names an ID within the archive's range that no entry has.
    #[error("could not find entry for ID {0}")]
    UseListEntryNotFound(DumpId),
    /// A `--filter` file could not be parsed or names something pg_restore cannot
    /// filter on; `origin` is `file "NAME"` or `standard input`.
    #[error("invalid format in filter read from {origin} on line {line}: {message}")]
    Filter { origin: String, line: usize, message: String },
}

/// One entry of a plan: which TOC entry, what is wanted of it, and its pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedEntry {
    /// Index into `Toc::entries`.
    pub index: usize,
    pub reqs: Reqs,
    pub pass: RestorePass,
}

/// The decision for every entry of an archive, in processing order: archive order,
/// or with `-L` the unlisted entries (all unwanted) first in archive order, then the
/// listed ones in list order — exactly the order stock walks after `SortTocFromFile`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    items: Vec<PlannedEntry>,
    /// `reqs` by index into `Toc::entries`.
    by_index: Vec<Reqs>,
    /// Per name list of the selection, whether each name matched some entry.
    touched: NameHits,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct NameHits {
    schema: Vec<bool>,
    table: Vec<bool>,
    index: Vec<bool>,
    function: Vec<bool>,
    trigger: Vec<bool>,
}

impl Plan {
    /// Every entry of the archive, in processing order.
    pub fn items(&self) -> &[PlannedEntry] {
        &self.items
    }

    /// The wanted entries (schema, data or statistics), in processing order.
    pub fn wanted(&self) -> impl Iterator<Item = &PlannedEntry> {
        self.items.iter().filter(|i| i.reqs.wants_anything())
    }

    /// What is wanted of `toc.entries[index]`.
    pub fn reqs_of(&self, index: usize) -> Reqs {
        self.by_index.get(index).copied().unwrap_or(Reqs::NONE)
    }

    /// Stock's "implied no-schema restore": no wanted entry has a schema part, so the
    /// restore behaves as data-only (e.g. `--disable-triggers` takes effect).
    pub fn has_schema_entries(&self) -> bool {
        self.items.iter().any(|i| i.reqs.schema())
    }

    /// `StrictNamesCheck`: the first name (schemas, then tables, indexes, functions,
    /// triggers; each in command-line order) that matched nothing. Only meaningful
    /// with `selection.strict_names`; returns `Ok` when it is off.
    pub fn check_strict_names(&self, selection: &Selection) -> Result<(), SelectError> {
        if !selection.strict_names {
            return Ok(());
        }
        let first_missing = |names: &[Vec<u8>], hits: &[bool]| {
            names.iter().zip(hits).find(|(_, hit)| !**hit).map(|(n, _)| n.clone())
        };
        if let Some(n) = first_missing(&selection.schema_names, &self.touched.schema) {
            return Err(SelectError::SchemaNotFound(n));
        }
        if let Some(n) = first_missing(&selection.table_names, &self.touched.table) {
            return Err(SelectError::TableNotFound(n));
        }
        if let Some(n) = first_missing(&selection.index_names, &self.touched.index) {
            return Err(SelectError::IndexNotFound(n));
        }
        if let Some(n) = first_missing(&selection.function_names, &self.touched.function) {
            return Err(SelectError::FunctionNotFound(n));
        }
        if let Some(n) = first_missing(&selection.trigger_names, &self.touched.trigger) {
            return Err(SelectError::TriggerNotFound(n));
        }
        Ok(())
    }
}

/// Stock's `simple_string_list_member`, which marks the matching cell "touched".
/// Duplicated names: the first cell is the one found and touched.
fn member(names: &[Vec<u8>], hits: &mut [bool], value: &[u8]) -> bool {
    match names.iter().position(|n| n.as_slice() == value) {
        Some(i) => {
            hits[i] = true;
            true
        }
        None => false,
    }
}

fn tag_bytes(entry: &TocEntry) -> &[u8] {
    entry.tag.as_deref().unwrap_or(b"")
}

fn tag_starts_with(entry: &TocEntry, prefix: &[u8]) -> bool {
    tag_bytes(entry).starts_with(prefix)
}

/// ACL-type entries (`_tocEntryIsACL`), skipped by `-x`.
pub fn is_acl(entry: &TocEntry) -> bool {
    matches!(entry.desc, Desc::Acl | Desc::AclLanguage | Desc::DefaultAcl)
}

/// Large-object entries that count as data although they have no data of their own.
fn is_large_object_metadata(entry: &TocEntry) -> bool {
    match entry.desc {
        Desc::Blob | Desc::BlobMetadata => true,
        Desc::Acl | Desc::Comment | Desc::SecurityLabel => tag_starts_with(entry, b"LARGE OBJECT"),
        _ => false,
    }
}

/// The restore pass of an entry (`_tocEntryRestorePass`, PostgreSQL 18).
pub fn restore_pass(entry: &TocEntry) -> RestorePass {
    match entry.desc {
        Desc::Acl | Desc::AclLanguage | Desc::DefaultAcl => RestorePass::Acl,
        Desc::EventTrigger | Desc::MaterializedViewData => RestorePass::PostAcl,
        // Comments and labels go with their parent; event triggers are post-ACL.
        Desc::Comment | Desc::SecurityLabel if tag_starts_with(entry, b"EVENT TRIGGER ") => RestorePass::PostAcl,
        // 18 defers every post-data statistics entry (index and matview statistics),
        // so that matview statistics follow the REFRESH and all stay in TOC order.
        Desc::StatisticsData if entry.section == Section::PostData => RestorePass::PostAcl,
        _ => RestorePass::Main,
    }
}

/// The processing order: archive order, or with a `-L` list the unlisted entries
/// first (archive order) then the listed ones in list order. Returns indices into
/// `toc.entries`. IDs the list names that the archive lacks are skipped here (the
/// list parser rejects them).
pub fn processing_order(toc: &Toc, use_list: Option<&UseList>) -> Vec<usize> {
    let Some(list) = use_list else {
        return (0..toc.entries.len()).collect();
    };
    let index_by_id = index_by_dump_id(toc);
    let listed: Vec<usize> = list.ids.iter().filter_map(|id| index_by_id.get(id).copied()).collect();
    let mut is_listed = vec![false; toc.entries.len()];
    for &i in &listed {
        is_listed[i] = true;
    }
    let mut order: Vec<usize> = (0..toc.entries.len()).filter(|&i| !is_listed[i]).collect();
    order.extend(listed);
    order
}

/// Dump ID → entry index, for IDs stock can look up (1..=max dump ID); with
/// duplicated IDs the later entry wins, as in stock's lookup array.
pub fn index_by_dump_id(toc: &Toc) -> HashMap<DumpId, usize> {
    toc.entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.dump_id > 0)
        .map(|(i, e)| (e.dump_id, i))
        .collect()
}

/// Decides every entry of `toc` under `selection` (`ProcessArchiveRestoreOptions` /
/// the marking loop of `PrintTOCSummary`).
pub fn plan(toc: &Toc, selection: &Selection) -> Plan {
    let order = processing_order(toc, selection.use_list.as_ref());
    let index_by_id = index_by_dump_id(toc);
    let wanted_ids: Option<std::collections::HashSet<DumpId>> =
        selection.use_list.as_ref().map(|l| l.ids.iter().copied().collect());
    let mut touched = NameHits {
        schema: vec![false; selection.schema_names.len()],
        table: vec![false; selection.table_names.len()],
        index: vec![false; selection.index_names.len()],
        function: vec![false; selection.function_names.len()],
        trigger: vec![false; selection.trigger_names.len()],
    };
    // Marks as assigned so far; unvisited entries count as unwanted, as in stock
    // (which reads `reqs` of a parent that a `-L` reordering may not have marked yet).
    let mut marked = vec![Reqs::NONE; toc.entries.len()];
    let mut items = Vec::with_capacity(order.len());
    let mut current_section = Section::PreData;
    for index in order {
        let entry = &toc.entries[index];
        if entry.section != Section::None {
            current_section = entry.section;
        }
        let reqs = entry_reqs(
            entry,
            current_section,
            selection,
            wanted_ids.as_ref(),
            &mut touched,
            &|id| index_by_id.get(&id).map(|&i| (&toc.entries[i], marked[i])),
        );
        marked[index] = reqs;
        items.push(PlannedEntry { index, reqs, pass: restore_pass(entry) });
    }
    Plan { items, by_index: marked, touched }
}

/// The `-t/-I/-P/-T` groups of descs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Table,
    Index,
    Function,
    Trigger,
}

fn selectable_kind(desc: &Desc) -> Option<Kind> {
    match desc {
        Desc::Table
        | Desc::TableData
        | Desc::View
        | Desc::ForeignTable
        | Desc::MaterializedView
        | Desc::MaterializedViewData
        | Desc::Sequence
        | Desc::SequenceSet => Some(Kind::Table),
        Desc::Index => Some(Kind::Index),
        Desc::Function | Desc::Aggregate | Desc::Procedure => Some(Kind::Function),
        Desc::Trigger => Some(Kind::Trigger),
        _ => None,
    }
}

/// `_tocEntryRequired` of PostgreSQL 18 for one entry. `parent` looks up a dependency
/// by dump ID, giving the entry and what has been decided for it so far.
fn entry_reqs<'a>(
    entry: &TocEntry,
    current_section: Section,
    sel: &Selection,
    wanted_ids: Option<&std::collections::HashSet<DumpId>>,
    touched: &mut NameHits,
    parent: &dyn Fn(DumpId) -> Option<(&'a TocEntry, Reqs)>,
) -> Reqs {
    let desc = &entry.desc;
    let mut schema = true;
    let mut data = true;
    let mut stats = false;

    if matches!(desc, Desc::Encoding | Desc::StdStrings | Desc::SearchPath) {
        return Reqs::special_entry();
    }

    if *desc == Desc::StatisticsData {
        if !sel.dump_statistics {
            return Reqs::NONE;
        }
        schema = false;
        data = false;
        stats = true;
    }

    // DATABASE and DATABASE PROPERTIES: wanted with -C, whatever else is asked.
    if matches!(desc, Desc::Database | Desc::DatabaseProperties) {
        return if sel.create_db { Reqs::new(true, false, false) } else { Reqs::NONE };
    }

    // Exclusions by class.
    if sel.acls_skip && is_acl(entry) {
        return Reqs::NONE;
    }
    if sel.no_comments && *desc == Desc::Comment {
        return Reqs::NONE;
    }
    // Comments and security labels of skipped publications, subscriptions and
    // policies go with them (stock matches the tag's leading word).
    if matches!(desc, Desc::Comment | Desc::SecurityLabel) {
        let about = |word: &[u8]| tag_starts_with(entry, word);
        if (sel.no_publications && about(b"PUBLICATION"))
            || (sel.no_subscriptions && about(b"SUBSCRIPTION"))
            || (*desc == Desc::Comment && sel.no_policies && about(b"POLICY"))
        {
            return Reqs::NONE;
        }
    }
    if sel.no_policies && matches!(desc, Desc::Policy | Desc::RowSecurity) {
        return Reqs::NONE;
    }
    if sel.no_publications
        && matches!(desc, Desc::Publication | Desc::PublicationTable | Desc::PublicationTablesInSchema)
    {
        return Reqs::NONE;
    }
    if sel.no_security_labels && *desc == Desc::SecurityLabel {
        return Reqs::NONE;
    }
    if sel.no_subscriptions && *desc == Desc::Subscription {
        return Reqs::NONE;
    }

    // --section, judged by the section of the last sectioned entry seen.
    if !sel.sections.contains(current_section) {
        return Reqs::NONE;
    }

    // -L
    if let Some(ids) = wanted_ids {
        if !ids.contains(&entry.dump_id) {
            return Reqs::NONE;
        }
    }

    // Selective restore.
    if matches!(desc, Desc::Acl | Desc::Comment | Desc::SecurityLabel) {
        if tag_starts_with(entry, b"DATABASE ") {
            // Database-level comments/ACLs/labels react to -C, not to selectivity.
            if !sel.create_db {
                return Reqs::NONE;
            }
        } else if sel.is_selective() {
            // Follow the parent: wanted only if some dependency (other than another
            // ACL, e.g. a column ACL's table ACL) is itself marked.
            let has_marked_parent = entry.dependencies.iter().any(|&id| match parent(id) {
                Some((p, reqs)) => p.desc != Desc::Acl && !reqs.is_none(),
                None => false,
            });
            if !has_marked_parent {
                return Reqs::NONE;
            }
        }
    } else {
        if !sel.schema_names.is_empty() {
            // Entries without a namespace are not in any named schema.
            let Some(ns) = entry.namespace.as_deref() else {
                return Reqs::NONE;
            };
            if !member(&sel.schema_names, &mut touched.schema, ns) {
                return Reqs::NONE;
            }
        }
        if !sel.exclude_schema_names.is_empty() {
            if let Some(ns) = entry.namespace.as_deref() {
                let mut scratch = vec![false; sel.exclude_schema_names.len()];
                if member(&sel.exclude_schema_names, &mut scratch, ns) {
                    return Reqs::NONE;
                }
            }
        }
        if sel.selects_types() {
            let tag = tag_bytes(entry);
            // Statistics are matched as the relation they describe: by the kind of
            // that relation's entry (their first dependency of a selectable kind),
            // with their own tag (the relation's name), whether or not the relation
            // itself is selected. Observed on stock 18 pg_restore: `-t T` selects
            // T's statistics even with `--section=data` or a `-L` list that omits T,
            // `-I I` selects an index's, `-t`/`-I` never select an index-backed
            // constraint's (no dependency of a selectable kind in the archive).
            let kind_desc = if *desc == Desc::StatisticsData {
                let kind = entry.dependencies.iter().find_map(|&id| {
                    parent(id).map(|(p, _)| p.desc.clone()).filter(|d| selectable_kind(d).is_some())
                });
                match kind {
                    Some(k) => k,
                    None => return Reqs::NONE,
                }
            } else {
                desc.clone()
            };
            let (names, hits) = match selectable_kind(&kind_desc) {
                Some(Kind::Table) => (&sel.table_names, &mut touched.table),
                Some(Kind::Index) => (&sel.index_names, &mut touched.index),
                Some(Kind::Function) => (&sel.function_names, &mut touched.function),
                Some(Kind::Trigger) => (&sel.trigger_names, &mut touched.trigger),
                None => return Reqs::NONE,
            };
            // Stock: the kind must have been asked for (selTable etc.), and the tag
            // must be in that kind's list; the flag is set exactly when the list is
            // non-empty, so one test covers both.
            if names.is_empty() || !member(names, hits, tag) {
                return Reqs::NONE;
            }
        }
    }

    // Schema and/or data parts. Without a data dumper an entry is schema, except
    // sequence values and large-object entries, which are data.
    if !entry.had_dumper {
        if *desc == Desc::SequenceSet || is_large_object_metadata(entry) {
            schema = false;
        } else {
            data = false;
        }
    }

    // No definition, no schema part; "load via partition root" markers are not one.
    let defn = entry.defn.as_deref().unwrap_or(b"");
    if defn.is_empty() || defn.starts_with(b"-- load via partition root ") {
        schema = false;
    }

    // Obsolete `<Init>` / `Max OID` entries are always ignored.
    if desc.as_bytes() == b"<Init>" && tag_bytes(entry) == b"Max OID" {
        return Reqs::NONE;
    }

    if !sel.dump_data {
        let kept_by_sequence_data = sel.sequence_data && *desc == Desc::SequenceSet;
        let kept_by_binary_upgrade = sel.binary_upgrade && is_large_object_metadata(entry);
        if !kept_by_sequence_data && !kept_by_binary_upgrade {
            data = false;
        }
    }
    if !sel.dump_schema {
        schema = false;
    }
    Reqs::from_bits(schema, data, stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reqs_bits() {
        assert!(Reqs::NONE.is_none());
        assert!(!Reqs::special_entry().is_none());
        assert!(!Reqs::special_entry().wants_anything());
        let r = Reqs::new(true, false, true);
        assert!(r.schema() && !r.data() && r.stats() && r.wants_anything());
    }

    #[test]
    fn section_set_from_sections() {
        assert_eq!(SectionSet::from_sections(&[]), SectionSet::ALL);
        let s = SectionSet::from_sections(&[Section::Data]);
        assert!(!s.pre_data && s.data && !s.post_data);
    }
}
