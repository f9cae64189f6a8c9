//! The archive model: what a pg_dump archive says, independent of its format.
//!
//! Strings are bytes in the archive's (database's) encoding, never re-encoded:
//! `Option<Vec<u8>>` keeps NULL (length −1) apart from the empty string, which the
//! format gives meaning to (tablespace `''` = database default). Field names follow
//! the archive's own words (`pg_backup_archiver.h` `_tocEntry`), Rust-cased.

use crate::version::ArchiveVersion;

/// A dump ID: unique per archive, > 0. Order and contiguity are not guaranteed.
pub type DumpId = i32;

/// (table OID, object OID) of the catalog row an entry describes; `0` where none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct CatalogId {
    pub table_oid: u32,
    pub oid: u32,
}

/// Archive format code as stored in the header (§2.1 field 7). Directory archives
/// store the tar code (3); which of the two an archive is comes from where it lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatCode {
    Unknown,
    Custom,
    Files,
    Tar,
    Null,
    Directory,
    /// A code no stock release writes; kept so a round trip does not lose it.
    Other(u8),
}

impl FormatCode {
    pub fn from_byte(b: u8) -> Self {
        match b {
            0 => FormatCode::Unknown,
            1 => FormatCode::Custom,
            2 => FormatCode::Files,
            3 => FormatCode::Tar,
            4 => FormatCode::Null,
            5 => FormatCode::Directory,
            other => FormatCode::Other(other),
        }
    }
    pub fn to_byte(self) -> u8 {
        match self {
            FormatCode::Unknown => 0,
            FormatCode::Custom => 1,
            FormatCode::Files => 2,
            FormatCode::Tar => 3,
            FormatCode::Null => 4,
            FormatCode::Directory => 5,
            FormatCode::Other(b) => b,
        }
    }
}

/// Compression algorithm of the archive's data (§7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CompressionAlgorithm {
    #[default]
    None,
    Gzip,
    Lz4,
    Zstd,
}

impl CompressionAlgorithm {
    /// The name pg_restore -l prints in its "Compression:" line.
    pub fn name(self) -> &'static str {
        match self {
            CompressionAlgorithm::None => "none",
            CompressionAlgorithm::Gzip => "gzip",
            CompressionAlgorithm::Lz4 => "lz4",
            CompressionAlgorithm::Zstd => "zstd",
        }
    }
}

/// How the header records compression: archives ≤ 1.14 store a gzip *level* (Int:
/// 0 none, −1 default, 1..9), archives ≥ 1.15 an *algorithm* byte. Kept exactly as
/// read so a header is rewritten byte for byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderCompression {
    /// ≤ 1.14: the zlib level as written (0 = none, −1 = default).
    Level(i32),
    /// ≥ 1.15: the algorithm byte.
    Algorithm(CompressionAlgorithm),
}

impl HeaderCompression {
    pub fn algorithm(self) -> CompressionAlgorithm {
        match self {
            HeaderCompression::Level(0) => CompressionAlgorithm::None,
            HeaderCompression::Level(_) => CompressionAlgorithm::Gzip,
            HeaderCompression::Algorithm(a) => a,
        }
    }
}

/// The writer's local time broken down as C's `struct tm` (§2.1 field 9):
/// month 0–11, year − 1900.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ArchiveTime {
    pub sec: i32,
    pub min: i32,
    pub hour: i32,
    pub mday: i32,
    pub mon: i32,
    pub year: i32,
    pub isdst: i32,
}

/// The archive header (§2), shared by custom files and `toc.dat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub version: ArchiveVersion,
    /// Bytes per Int magnitude (4 in practice; readers reject > 32).
    pub int_size: u8,
    /// Bytes per file offset (8 in practice).
    pub off_size: u8,
    pub format: FormatCode,
    pub compression: HeaderCompression,
    /// Creation time; `None` only for archives < 1.4.
    pub created: Option<ArchiveTime>,
    /// Name of the database pg_dump connected to (≥ 1.4).
    pub database_name: Option<Vec<u8>>,
    /// The source server's `server_version` (≥ 1.10).
    pub server_version: Option<Vec<u8>>,
    /// The dumping program's version string (≥ 1.10).
    pub dump_version: Option<Vec<u8>>,
}

/// The section an entry belongs to (§3.1 field 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    None,
    PreData,
    Data,
    PostData,
}

impl Section {
    pub fn from_int(v: i32) -> Option<Self> {
        match v {
            1 => Some(Section::None),
            2 => Some(Section::PreData),
            3 => Some(Section::Data),
            4 => Some(Section::PostData),
            _ => None,
        }
    }
    pub fn to_int(self) -> i32 {
        match self {
            Section::None => 1,
            Section::PreData => 2,
            Section::Data => 3,
            Section::PostData => 4,
        }
    }
}

macro_rules! descs {
    ($($variant:ident => $text:literal,)*) => {
        /// An entry's `desc`: the stock strings as variants, anything else kept as
        /// read in `Other` so unknown descs survive a read → write round trip.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum Desc {
            $($variant,)*
            Other(Vec<u8>),
        }

        impl Desc {
            pub fn from_bytes(b: &[u8]) -> Desc {
                match b {
                    $(x if x == $text.as_bytes() => Desc::$variant,)*
                    other => Desc::Other(other.to_vec()),
                }
            }
            /// The exact bytes stored in the archive.
            pub fn as_bytes(&self) -> &[u8] {
                match self {
                    $(Desc::$variant => $text.as_bytes(),)*
                    Desc::Other(b) => b,
                }
            }
        }
    };
}

descs! {
    Encoding => "ENCODING",
    StdStrings => "STDSTRINGS",
    SearchPath => "SEARCHPATH",
    Database => "DATABASE",
    DatabaseProperties => "DATABASE PROPERTIES",
    Schema => "SCHEMA",
    Extension => "EXTENSION",
    ProceduralLanguage => "PROCEDURAL LANGUAGE",
    Collation => "COLLATION",
    Transform => "TRANSFORM",
    Type => "TYPE",
    ShellType => "SHELL TYPE",
    Domain => "DOMAIN",
    Cast => "CAST",
    Function => "FUNCTION",
    Procedure => "PROCEDURE",
    Aggregate => "AGGREGATE",
    AccessMethod => "ACCESS METHOD",
    Operator => "OPERATOR",
    OperatorFamily => "OPERATOR FAMILY",
    OperatorClass => "OPERATOR CLASS",
    Conversion => "CONVERSION",
    TextSearchParser => "TEXT SEARCH PARSER",
    TextSearchTemplate => "TEXT SEARCH TEMPLATE",
    TextSearchDictionary => "TEXT SEARCH DICTIONARY",
    TextSearchConfiguration => "TEXT SEARCH CONFIGURATION",
    ForeignDataWrapper => "FOREIGN DATA WRAPPER",
    Server => "SERVER",
    UserMapping => "USER MAPPING",
    Table => "TABLE",
    View => "VIEW",
    MaterializedView => "MATERIALIZED VIEW",
    ForeignTable => "FOREIGN TABLE",
    Sequence => "SEQUENCE",
    SequenceOwnedBy => "SEQUENCE OWNED BY",
    Default => "DEFAULT",
    TableAttach => "TABLE ATTACH",
    Blob => "BLOB",
    TableData => "TABLE DATA",
    SequenceSet => "SEQUENCE SET",
    BlobMetadata => "BLOB METADATA",
    Blobs => "BLOBS",
    BlobComments => "BLOB COMMENTS",
    StatisticsData => "STATISTICS DATA",
    Constraint => "CONSTRAINT",
    CheckConstraint => "CHECK CONSTRAINT",
    FkConstraint => "FK CONSTRAINT",
    Index => "INDEX",
    IndexAttach => "INDEX ATTACH",
    Statistics => "STATISTICS",
    Rule => "RULE",
    Trigger => "TRIGGER",
    Policy => "POLICY",
    RowSecurity => "ROW SECURITY",
    Publication => "PUBLICATION",
    PublicationTable => "PUBLICATION TABLE",
    PublicationTablesInSchema => "PUBLICATION TABLES IN SCHEMA",
    Subscription => "SUBSCRIPTION",
    SubscriptionTable => "SUBSCRIPTION TABLE",
    DefaultAcl => "DEFAULT ACL",
    EventTrigger => "EVENT TRIGGER",
    MaterializedViewData => "MATERIALIZED VIEW DATA",
    Comment => "COMMENT",
    SecurityLabel => "SECURITY LABEL",
    Acl => "ACL",
    AclLanguage => "ACL LANGUAGE",
    Warning => "WARNING",
}

/// Where an entry's data lives, per format (§3.3). Entries without data carry
/// the "no data" form of their format's extra field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataLocation {
    /// Custom format: the Offset field (§1.5).
    Custom(CustomOffset),
    /// Directory and tar formats: the file name (`''` for entries without data).
    File(Vec<u8>),
}

/// Custom format's per-entry offset (§1.5): state byte plus position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomOffset {
    /// State 1: the entry has data, its position was not recorded (pipe output).
    PosNotSet,
    /// State 2: the data block starts at this file position.
    PosSet(u64),
    /// State 3: the entry has no data.
    NoData,
}

/// One TOC entry (§3.1), in the field order of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TocEntry {
    pub dump_id: DumpId,
    /// True when the entry's data is stored in the archive (TABLE DATA, BLOBS).
    pub had_dumper: bool,
    pub catalog_id: CatalogId,
    pub tag: Option<Vec<u8>>,
    pub desc: Desc,
    pub section: Section,
    pub defn: Option<Vec<u8>>,
    pub drop_stmt: Option<Vec<u8>>,
    pub copy_stmt: Option<Vec<u8>>,
    pub namespace: Option<Vec<u8>>,
    pub tablespace: Option<Vec<u8>>,
    pub table_am: Option<Vec<u8>>,
    /// Relation kind char (`r`, `v`, `m`, `f`, `p`), 0 when not applicable (≥ 1.16).
    pub relkind: u8,
    pub owner: Option<Vec<u8>>,
    /// The stored `withOids` string (always `false` from 12 on); kept for round trips.
    pub with_oids: Option<Vec<u8>>,
    pub dependencies: Vec<DumpId>,
    pub data_location: DataLocation,
}

/// A whole archive's metadata: header plus TOC, in archive order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toc {
    pub header: Header,
    pub entries: Vec<TocEntry>,
}
