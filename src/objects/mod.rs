//! Dumpable objects: the [`Kind`] enum every kind-specific decision matches on, the
//! object record the graph sorts ([`DumpObject`]: DumpId, CatalogId, name, namespace,
//! dependencies, components to dump), the store that allocates DumpIds in stock
//! pg_dump's collection order, and the per-kind files (one catalog query for all
//! objects of the kind, a typed model, the DDL emitter).
//!
//! Adding a kind (one file, plus one line in each exhaustive `match`):
//! 1. `objects/<kind>.rs`: a typed model; `collect(session, cat, ..)` running ONE bulk
//!    query (select `NULL AS col` on servers that lack a column, so decoding is
//!    version-free), pushing models into a `Vec` field of [`Catalog`] and registering
//!    each with [`ObjectStore::add`] (DumpId, CatalogId, name, namespace, index of the
//!    model), then setting `dump` components and explicit dependencies (pg_depend
//!    edges are added later by `graph::load_dependencies` through the CatalogId);
//!    `emit(cx, obj, out)` building `dump::toc::NewEntry` values (stock's
//!    `ARCHIVE_OPTS`) and pushing them under `obj.dump_id`, then its comment
//!    (`comment::emit`) and ACL (`privileges::emit`) entries.
//! 2. A [`Kind`] variant: the compiler then asks for its `priority()` (stock's
//!    `dbObjectTypePriority`), `describe()` and `section()` (boundary side).
//! 3. Call `collect` in `dump::collect` at the position of stock's `getXxx` in
//!    `getSchemaData`, and add the `emit` arm to `dump::emit_object`.
//! 4. Per-kind sort tie-breaks go in [`TieBreak`]; loop shapes involving the kind
//!    get a named fixer in `graph/repair.rs`.

pub mod access_method;
pub mod aggregate;
pub mod attach;
pub mod cast;
pub mod collation;
pub mod comment;
pub mod component;
pub mod constraint;
pub mod conversion;
pub mod database;
pub mod default_acl;
pub mod event_trigger;
pub mod extension;
pub mod foreign_data;
pub mod function;
pub mod index;
pub mod large_object;
pub mod language;
pub mod opclass;
pub mod operator;
pub mod policy;
pub mod privileges;
pub mod publication;
pub mod rel_stats;
pub mod rule;
pub mod schema;
pub mod security_label;
pub mod sequence;
pub mod special;
pub mod statistics_ext;
pub mod subscription;
pub mod table;
pub mod table_data;
pub mod text_search;
pub mod trigger;
pub mod transform;
pub mod types;

use std::collections::HashMap;

use pgark_formats::model::CatalogId;
use pgark_formats::DumpId;

/// Object kinds, as stock's `DumpableObjectType` (the ones pgark collects so far).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `DO_NAMESPACE`
    Schema,
    /// `DO_COLLATION`
    Collation,
    /// `DO_EXTENSION`
    Extension,
    /// `DO_TYPE`: enum, composite, domain.
    Type,
    /// `DO_DUMMY_TYPE`: table row types, array types, multiranges (never dumped
    /// themselves; they order their dependents).
    DummyType,
    /// `DO_FUNC`: functions and procedures.
    Function,
    /// `DO_TABLE`: tables, partitioned tables, views, materialized views, sequences,
    /// foreign tables (told apart by relkind).
    Table,
    /// `DO_TABLE_ATTACH`: `ALTER TABLE parent ATTACH PARTITION child`.
    TableAttach,
    /// `DO_ATTRDEF`: a column default.
    AttrDef,
    /// `DO_INDEX`
    Index,
    /// `DO_INDEX_ATTACH`: a partition's index attached to its parent index.
    IndexAttach,
    /// `DO_CONSTRAINT`: PK, UNIQUE, EXCLUDE, CHECK (table or domain).
    Constraint,
    /// `DO_FK_CONSTRAINT`
    FkConstraint,
    /// `DO_RULE`: rewrite rules, including views' ON SELECT rules (not dumped).
    Rule,
    /// `DO_TRIGGER`
    Trigger,
    /// `DO_TABLE_DATA`
    TableData,
    /// `DO_SEQUENCE_SET`
    SequenceSet,
    /// `DO_POLICY`: policies and tables' ROW SECURITY flag.
    Policy,
    /// `DO_PUBLICATION`
    Publication,
    /// `DO_PUBLICATION_REL`
    PublicationTable,
    /// `DO_PUBLICATION_TABLE_IN_SCHEMA`
    PublicationSchema,
    /// `DO_DEFAULT_ACL`
    DefaultAcl,
    /// `DO_REFRESH_MATVIEW`: REFRESH MATERIALIZED VIEW of a populated matview.
    RefreshMatView,
    /// `DO_LARGE_OBJECT`: BLOB METADATA of a group of large objects.
    LargeObject,
    /// `DO_LARGE_OBJECT_DATA`: BLOBS, the contents of a group.
    LargeObjectData,
    /// `DO_PROCLANG`: procedural languages.
    ProcLang,
    /// `DO_TRANSFORM`
    Transform,
    /// `DO_SHELL_TYPE`: `CREATE TYPE name;` ahead of a base type's I/O functions.
    ShellType,
    /// `DO_CAST`
    Cast,
    /// `DO_AGG`: aggregates.
    Aggregate,
    /// `DO_ACCESS_METHOD`
    AccessMethod,
    /// `DO_OPERATOR`
    Operator,
    /// `DO_OPCLASS`: operator classes.
    OpClass,
    /// `DO_OPFAMILY`: operator families.
    OpFamily,
    /// `DO_CONVERSION`
    Conversion,
    /// `DO_TSPARSER`
    TsParser,
    /// `DO_TSTEMPLATE`
    TsTemplate,
    /// `DO_TSDICT`
    TsDict,
    /// `DO_TSCONFIG`
    TsConfig,
    /// `DO_FDW`: foreign-data wrappers.
    Fdw,
    /// `DO_FOREIGN_SERVER`: foreign servers (with their user mappings).
    ForeignServer,
    /// `DO_REL_STATS`: STATISTICS DATA of a relation (18's `--statistics`). Data
    /// section for tables, post-data for indexes and materialized views.
    RelStats,
    /// `DO_STATSEXT`: extended statistics objects.
    StatsExt,
    /// `DO_SUBSCRIPTION`
    Subscription,
    /// `DO_SUBSCRIPTION_REL`: a subscription's table (binary upgrade only).
    SubscriptionRel,
    /// `DO_EVENT_TRIGGER`
    EventTrigger,
    /// `DO_PRE_DATA_BOUNDARY`
    PreDataBoundary,
    /// `DO_POST_DATA_BOUNDARY`
    PostDataBoundary,
}

impl Kind {
    /// Stock's `dbObjectTypePriority` (pg_dump_sort.c): the first sort key.
    pub fn priority(self) -> u32 {
        // Values are the positions in stock's `dbObjectTypePriorities` enum as of
        // 18.x (large objects were moved after SEQUENCE SET in a minor release;
        // 18.0's sources still list them before the pre-data boundary).
        match self {
            Kind::Schema => 1,
            Kind::Collation => 3,
            Kind::Extension => 5,
            Kind::Type => 6,
            Kind::Function => 8,
            Kind::Table => 20,
            Kind::TableAttach => 21,
            Kind::DummyType => 22,
            Kind::AttrDef => 23,
            Kind::PreDataBoundary => 24,
            Kind::LargeObject => 27,
            Kind::LargeObjectData => 28,
            Kind::TableData => 25,
            Kind::SequenceSet => 26,
            Kind::PostDataBoundary => 30,
            Kind::Constraint => 31,
            Kind::Index => 32,
            Kind::IndexAttach => 33,
            Kind::Rule => 35,
            Kind::Trigger => 36,
            Kind::Policy => 38,
            Kind::Publication => 39,
            Kind::PublicationTable => 40,
            Kind::PublicationSchema => 41,
            Kind::DefaultAcl => 44,
            Kind::RefreshMatView => 46,
            Kind::FkConstraint => 37,
            Kind::ProcLang => 2,
            Kind::Transform => 4,
            Kind::ShellType => 6,
            Kind::Cast => 7,
            Kind::Aggregate => 9,
            Kind::AccessMethod => 10,
            Kind::Operator => 11,
            Kind::OpClass | Kind::OpFamily => 12,
            Kind::Conversion => 13,
            Kind::TsParser => 14,
            Kind::TsTemplate => 15,
            Kind::TsDict => 16,
            Kind::TsConfig => 17,
            Kind::Fdw => 18,
            Kind::ForeignServer => 19,
            Kind::RelStats => 29,
            Kind::StatsExt => 34,
            Kind::Subscription => 42,
            Kind::SubscriptionRel => 43,
            Kind::EventTrigger => 45,
        }
    }

    /// Stock's `describeDumpableObject` prefix, for loop warnings.
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Schema => "SCHEMA",
            Kind::Function => "FUNCTION",
            Kind::Type => "TYPE",
            Kind::Extension => "EXTENSION",
            Kind::Collation => "COLLATION",
            Kind::DummyType => "DUMMY TYPE",
            Kind::Table => "TABLE",
            Kind::AttrDef => "ATTRDEF",
            Kind::TableAttach => "TABLE ATTACH",
            Kind::IndexAttach => "INDEX ATTACH",
            Kind::Index => "INDEX",
            Kind::Constraint => "CONSTRAINT",
            Kind::FkConstraint => "FK CONSTRAINT",
            Kind::Rule => "RULE",
            Kind::Trigger => "TRIGGER",
            Kind::RefreshMatView => "REFRESH MATERIALIZED VIEW",
            Kind::Publication => "PUBLICATION",
            Kind::Policy => "POLICY",
            Kind::DefaultAcl => "DEFAULT ACL",
            Kind::LargeObject => "LARGE OBJECT",
            Kind::LargeObjectData => "LARGE OBJECT DATA",
            Kind::PublicationTable => "PUBLICATION TABLE",
            Kind::PublicationSchema => "PUBLICATION TABLES IN SCHEMA",
            Kind::TableData => "TABLE DATA",
            Kind::SequenceSet => "SEQUENCE SET",
            Kind::PreDataBoundary => "PRE-DATA BOUNDARY",
            Kind::PostDataBoundary => "POST-DATA BOUNDARY",
            Kind::ProcLang => "PROCEDURAL LANGUAGE",
            Kind::Transform => "TRANSFORM",
            Kind::ShellType => "SHELL TYPE",
            Kind::Cast => "CAST",
            Kind::Aggregate => "AGGREGATE",
            Kind::AccessMethod => "ACCESS METHOD",
            Kind::Operator => "OPERATOR",
            Kind::OpClass => "OPERATOR CLASS",
            Kind::OpFamily => "OPERATOR FAMILY",
            Kind::Conversion => "CONVERSION",
            Kind::TsParser => "TEXT SEARCH PARSER",
            Kind::TsTemplate => "TEXT SEARCH TEMPLATE",
            Kind::TsDict => "TEXT SEARCH DICTIONARY",
            Kind::TsConfig => "TEXT SEARCH CONFIGURATION",
            Kind::Fdw => "FOREIGN DATA WRAPPER",
            Kind::ForeignServer => "FOREIGN SERVER",
            Kind::RelStats => "RELATION STATISTICS FOR",
            Kind::StatsExt => "STATISTICS",
            Kind::Subscription => "SUBSCRIPTION",
            Kind::SubscriptionRel => "SUBSCRIPTION TABLE",
            Kind::EventTrigger => "EVENT TRIGGER",
        }
    }

    /// Whether objects of this kind belong before the data section (stock's
    /// `addBoundaryDependencies`: pre-data kinds precede the pre-data boundary, the
    /// rest follow the post-data boundary; data kinds sit between).
    pub fn section(self) -> BoundarySide {
        match self {
            Kind::Schema
            | Kind::Collation
            | Kind::Extension
            | Kind::Type
            | Kind::DummyType
            | Kind::Function
            | Kind::Table
            | Kind::TableAttach
            | Kind::AttrDef
            | Kind::ProcLang
            | Kind::Transform
            | Kind::ShellType
            | Kind::Cast
            | Kind::Aggregate
            | Kind::AccessMethod
            | Kind::Operator
            | Kind::OpClass
            | Kind::OpFamily
            | Kind::Conversion
            | Kind::TsParser
            | Kind::TsTemplate
            | Kind::TsDict
            | Kind::TsConfig
            | Kind::Fdw
            | Kind::ForeignServer => BoundarySide::PreData,
            // RelStats of indexes and materialized views belong after the post-data
            // boundary; `graph::add_boundary_dependencies` looks at the model for that.
            Kind::TableData
            | Kind::SequenceSet
            | Kind::LargeObject
            | Kind::LargeObjectData
            | Kind::RelStats => BoundarySide::Data,
            Kind::Index
            | Kind::IndexAttach
            | Kind::Constraint
            | Kind::FkConstraint
            | Kind::Rule
            | Kind::Trigger
            | Kind::RefreshMatView
            | Kind::Policy
            | Kind::DefaultAcl
            | Kind::Publication
            | Kind::PublicationTable
            | Kind::PublicationSchema
            | Kind::StatsExt
            | Kind::Subscription
            | Kind::SubscriptionRel
            | Kind::EventTrigger => BoundarySide::PostData,
            Kind::PreDataBoundary | Kind::PostDataBoundary => BoundarySide::Boundary,
        }
    }
}

/// Where a kind sits relative to the section boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundarySide {
    PreData,
    Data,
    PostData,
    Boundary,
}

/// Stock's `DumpComponents` bitmask: which parts of an object are dumped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Components(u8);

impl Components {
    pub const NONE: Components = Components(0);
    pub const DEFINITION: Components = Components(1);
    pub const DATA: Components = Components(2);
    pub const COMMENT: Components = Components(4);
    pub const SECLABEL: Components = Components(8);
    pub const ACL: Components = Components(16);
    pub const POLICY: Components = Components(32);
    pub const ALL: Components = Components(0xff);

    pub fn has(self, c: Components) -> bool {
        self.0 & c.0 != 0
    }
    pub fn any(self) -> bool {
        self.0 != 0
    }
    pub fn with(self, c: Components) -> Components {
        Components(self.0 | c.0)
    }
    pub fn without(self, c: Components) -> Components {
        Components(self.0 & !c.0)
    }
}

/// Per-kind tie-breaks of stock's `DOTypeNameCompare` after priority, namespace, name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TieBreak {
    #[default]
    None,
    /// Column defaults: by attribute number; collations: by encoding.
    AttrNum(i32),
    /// Functions and aggregates: by number of arguments, then each argument type's
    /// (schema, name). Operators use it for (oprkind rank, ""), then their left and
    /// right types; operator classes and families for (class-or-family rank, access
    /// method name): the same element-wise comparison.
    FuncArgs(Vec<(String, String)>),
    /// Rules, triggers, policies: by their table's name.
    TableName(String),
    /// Constraints: domain constraints first (by domain name), then table
    /// constraints by table name.
    ConstraintOwner { on_domain: bool, owner: String },
    /// Default ACLs: by role name; publication tables and publication schemas: by
    /// publication name.
    ParentName(String),
}

/// One dumpable object: what the graph sorts and the emitter walks.
#[derive(Debug, Clone)]
pub struct DumpObject {
    pub dump_id: DumpId,
    pub catalog_id: CatalogId,
    pub kind: Kind,
    pub name: String,
    /// The containing schema's name (sort key and TOC namespace).
    pub namespace: Option<String>,
    pub tie_break: TieBreak,
    /// DumpIds this object must come after.
    pub deps: Vec<DumpId>,
    /// The components to dump (`dobj.dump`); NONE objects still take part in ordering.
    pub dump: Components,
    /// Index into the kind's model vector in [`Catalog`].
    pub model: usize,
}

/// All objects, indexed by DumpId, with stock's `findObjectByCatalogId` lookup.
#[derive(Debug, Default)]
pub struct ObjectStore {
    objects: Vec<DumpObject>,
    by_catalog: HashMap<CatalogId, DumpId>,
}

impl ObjectStore {
    /// Allocates the next DumpId (stock's `AssignDumpId`) for a new object.
    pub fn add(
        &mut self,
        kind: Kind,
        catalog_id: CatalogId,
        name: impl Into<String>,
        namespace: Option<String>,
        model: usize,
    ) -> DumpId {
        let dump_id = self.objects.len() as DumpId + 1;
        self.objects.push(DumpObject {
            dump_id,
            catalog_id,
            kind,
            name: name.into(),
            namespace,
            tie_break: TieBreak::None,
            deps: Vec::new(),
            dump: Components::NONE,
            model,
        });
        if catalog_id.oid != 0 {
            self.by_catalog.insert(catalog_id, dump_id);
        }
        dump_id
    }

    /// A DumpId for an entry that is not an object (comments, ACLs: stock's
    /// `createDumpId`). Not part of the graph.
    pub fn next_free_id(&self) -> DumpId {
        self.objects.len() as DumpId + 1
    }

    pub fn get(&self, id: DumpId) -> Option<&DumpObject> {
        usize::try_from(id - 1)
            .ok()
            .and_then(|i| self.objects.get(i))
    }
    pub fn get_mut(&mut self, id: DumpId) -> Option<&mut DumpObject> {
        usize::try_from(id - 1)
            .ok()
            .and_then(move |i| self.objects.get_mut(i))
    }
    pub fn by_catalog_id(&self, id: CatalogId) -> Option<DumpId> {
        self.by_catalog.get(&id).copied()
    }
    pub fn all(&self) -> &[DumpObject] {
        &self.objects
    }
    pub fn max_dump_id(&self) -> DumpId {
        self.objects.len() as DumpId
    }

    /// `addObjectDependency`: `id` must come after `on`. Like stock, duplicates are
    /// kept (pg_depend has one row per column); counts stay symmetric in the sort.
    pub fn add_dependency(&mut self, id: DumpId, on: DumpId) {
        if let Some(o) = self.get_mut(id) {
            o.deps.push(on);
        }
    }
    /// `removeObjectDependency`: every occurrence.
    pub fn remove_dependency(&mut self, id: DumpId, on: DumpId) {
        if let Some(o) = self.get_mut(id) {
            o.deps.retain(|&d| d != on);
        }
    }
    pub fn set_dump(&mut self, id: DumpId, dump: Components) {
        if let Some(o) = self.get_mut(id) {
            o.dump = dump;
        }
    }
}

/// Well-known catalog OIDs (`pg_class` rows of the system catalogs): the `tableoid`
/// half of every CatalogId.
pub mod catalog_oid {
    pub const PG_NAMESPACE: u32 = 2615;
    pub const PG_CLASS: u32 = 1259;
    pub const PG_ATTRDEF: u32 = 2604;
    pub const PG_CONSTRAINT: u32 = 2606;
    pub const PG_REWRITE: u32 = 2618;
    pub const PG_TYPE: u32 = 1247;
}

/// Everything read from the catalogs: typed models per kind plus the object store.
#[derive(Debug, Default)]
pub struct Catalog {
    pub objects: ObjectStore,
    pub schemas: Vec<schema::Schema>,
    pub functions: Vec<function::Function>,
    pub collations: Vec<collation::Collation>,
    pub extensions: Vec<extension::Extension>,
    /// Member object → extension OID (pg_depend deptype 'e').
    pub extension_members: extension::Membership,
    pub types: Vec<types::Type>,
    pub tables: Vec<table::Table>,
    pub attrdefs: Vec<table::AttrDef>,
    pub indexes: Vec<index::Index>,
    pub constraints: Vec<constraint::Constraint>,
    pub rules: Vec<rule::Rule>,
    pub triggers: Vec<trigger::Trigger>,
    pub table_data: Vec<table_data::TableData>,
    pub attaches: Vec<attach::Attach>,
    pub publications: Vec<publication::PublicationItem>,
    pub policies: Vec<policy::PolicyItem>,
    pub default_acls: Vec<default_acl::DefaultAcl>,
    pub large_objects: Vec<large_object::LargeObjectGroup>,
    /// STATISTICS DATA of relations (only with `--statistics`/`--statistics-only`).
    pub rel_stats: Vec<rel_stats::RelStats>,
    pub comments: comment::Comments,
    pub languages: Vec<language::ProcLang>,
    pub transforms: Vec<transform::Transform>,
    pub casts: Vec<cast::Cast>,
    pub aggregates: Vec<aggregate::Aggregate>,
    pub access_methods: Vec<access_method::AccessMethod>,
    pub operators: Vec<operator::Operator>,
    pub opclasses: Vec<opclass::OpClass>,
    pub opfamilies: Vec<opclass::OpFamily>,
    pub conversions: Vec<conversion::Conversion>,
    pub sequences: sequence::Sequences,
    pub text_search: Vec<text_search::TsObject>,
    pub foreign_wrappers: Vec<foreign_data::ForeignDataWrapper>,
    pub foreign_servers: Vec<foreign_data::ForeignServer>,
    /// Foreign table OID → its server and generic options.
    pub foreign_tables: HashMap<u32, foreign_data::ForeignTable>,
    pub event_triggers: Vec<event_trigger::EventTrigger>,
    pub statistics_ext: Vec<statistics_ext::StatisticsObject>,
    pub subscriptions: Vec<subscription::Subscription>,
    pub security_labels: security_label::SecurityLabels,
    /// Table OID → index into `tables`.
    pub table_by_oid: HashMap<u32, usize>,
    /// Schema OID → index into `schemas`.
    pub schema_by_oid: HashMap<u32, usize>,
    /// `pg_init_privs` (objsubid 0) by (classoid, objoid): the base ACL of objects
    /// created by initdb or extensions (`getAdditionalACLs`).
    pub init_privs: HashMap<(u32, u32), String>,
    /// Role OID → name.
    pub roles: HashMap<u32, String>,
    /// `-n`/`-t` selects a system schema or an initdb-made relation, so the
    /// catalog queries read built-in objects too (see `schema::builtin_selected`).
    pub builtin_selected: bool,
}

impl Catalog {
    pub fn table_by_oid(&self, oid: u32) -> Option<&table::Table> {
        self.table_by_oid.get(&oid).map(|&i| &self.tables[i])
    }
    pub fn schema_by_oid(&self, oid: u32) -> Option<&schema::Schema> {
        self.schema_by_oid.get(&oid).map(|&i| &self.schemas[i])
    }
    pub fn role_name(&self, oid: u32) -> String {
        self.roles.get(&oid).cloned().unwrap_or_default()
    }
}
