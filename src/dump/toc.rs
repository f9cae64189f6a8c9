//! Building TOC entries: stock's `ArchiveEntry(... ARCHIVE_OPTS(...))` as a struct with
//! defaults ([`NewEntry`]) and a builder that appends entries in emission order and
//! allocates DumpIds for entries that are not graph objects (comments, ACLs, OWNED BY).

use pgark_formats::model::{CatalogId, DataLocation, Desc, Section, TocEntry};
use pgark_formats::quote::Quoter;
use pgark_formats::DumpId;

use crate::objects::{Catalog, Components, DumpObject};

/// The named arguments of one `ArchiveEntry` call.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub catalog_id: CatalogId,
    pub tag: String,
    pub namespace: Option<String>,
    pub tablespace: Option<String>,
    pub table_am: Option<String>,
    pub relkind: u8,
    pub owner: Option<String>,
    pub desc: Desc,
    pub section: Section,
    pub defn: String,
    pub drop_stmt: String,
    pub copy_stmt: Option<String>,
    pub deps: Vec<DumpId>,
    /// The entry has a data dumper (TABLE DATA).
    pub has_data: bool,
}

impl NewEntry {
    pub fn new(desc: Desc, section: Section, tag: impl Into<String>) -> NewEntry {
        NewEntry {
            catalog_id: CatalogId::default(),
            tag: tag.into(),
            namespace: None,
            tablespace: None,
            table_am: None,
            relkind: 0,
            owner: None,
            desc,
            section,
            defn: String::new(),
            drop_stmt: String::new(),
            copy_stmt: None,
            deps: Vec::new(),
            has_data: false,
        }
    }
}

/// Accumulates entries in the order they are emitted.
#[derive(Debug)]
pub struct TocBuilder {
    pub entries: Vec<TocEntry>,
    next_id: DumpId,
}

impl TocBuilder {
    /// `first_free_id`: the first DumpId not taken by a graph object.
    pub fn new(first_free_id: DumpId) -> TocBuilder {
        TocBuilder {
            entries: Vec::new(),
            next_id: first_free_id,
        }
    }

    /// `createDumpId()`
    pub fn alloc_id(&mut self) -> DumpId {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Appends an entry under `dump_id`.
    pub fn push(&mut self, dump_id: DumpId, e: NewEntry) {
        let opt = |s: Option<String>| s.map(String::into_bytes);
        self.entries.push(TocEntry {
            dump_id,
            had_dumper: e.has_data,
            catalog_id: e.catalog_id,
            tag: Some(e.tag.into_bytes()),
            desc: e.desc,
            section: e.section,
            defn: Some(e.defn.into_bytes()),
            drop_stmt: Some(e.drop_stmt.into_bytes()),
            copy_stmt: opt(e.copy_stmt),
            namespace: opt(e.namespace),
            tablespace: opt(e.tablespace),
            table_am: opt(e.table_am),
            relkind: e.relkind,
            owner: opt(e.owner),
            with_oids: Some(b"false".to_vec()),
            dependencies: e.deps,
            data_location: DataLocation::File(Vec::new()),
        });
    }

    /// Appends an entry with a freshly allocated DumpId; returns it.
    pub fn push_new(&mut self, e: NewEntry) -> DumpId {
        let id = self.alloc_id();
        self.push(id, e);
        id
    }
}

/// What emitters may read: the catalog, quoting, and the dump options that change DDL.
pub struct EmitCx<'a> {
    pub catalog: &'a Catalog,
    pub quoter: Quoter,
    pub opts: &'a EmitOptions,
}

/// Dump options that change what or how entries are emitted.
#[derive(Debug, Clone, Default)]
pub struct EmitOptions {
    /// Definitions are dumped (not `-a`).
    pub dump_schema: bool,
    /// Data is dumped (not `-s`).
    pub dump_data: bool,
    pub no_comments: bool,
    pub binary_upgrade: bool,
    pub no_tablespaces: bool,
    /// `-x`
    pub acls_skip: bool,
    /// `--disable-dollar-quoting`
    pub disable_dollar_quoting: bool,
    /// `server_version_num`, for the ACL builder.
    pub server_version: u32,
    /// Emit the DATABASE entries (`-C`, and always for archive formats).
    pub output_create_db: bool,
    /// `--no-toast-compression`: no `SET COMPRESSION` for columns.
    pub no_toast_compression: bool,
    /// `--inserts`/`--column-inserts`/`--rows-per-insert`: TABLE DATA entries carry
    /// INSERT statements instead of a COPY statement.
    pub dump_inserts: bool,
    /// `--load-via-partition-root`
    pub load_via_partition_root: bool,
}

impl<'a> EmitCx<'a> {
    /// `fmtId`
    pub fn ident(&self, name: &str) -> String {
        into_string(self.quoter.ident(name.as_bytes()))
    }
    /// `fmtQualifiedId(schema, name)`
    pub fn qualified(&self, schema: &str, name: &str) -> String {
        into_string(
            self.quoter
                .qualified(Some(schema.as_bytes()), name.as_bytes()),
        )
    }
    /// `fmtQualifiedDumpable(obj)`
    pub fn qualified_obj(&self, obj: &DumpObject) -> String {
        match &obj.namespace {
            Some(ns) => self.qualified(ns, &obj.name),
            None => self.ident(&obj.name),
        }
    }
    /// `appendStringLiteralAH`
    pub fn literal(&self, s: &str) -> String {
        into_string(self.quoter.literal(s.as_bytes()))
    }
    /// Whether `obj` dumps `c`.
    pub fn dumps(&self, obj: &DumpObject, c: Components) -> bool {
        obj.dump.has(c)
    }
}

/// Quoted text as a `String` without copying it (lossy, as `String::from_utf8_lossy`,
/// only for bytes that are not UTF-8).
fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
