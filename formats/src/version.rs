//! Archive versions: `major.minor.rev`, with the reason for each bump that readers
//! and writers branch on (`pg_backup_archiver.h` `K_VERS_*`).

/// An archive version, compared as `(major, minor, rev)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ArchiveVersion {
    pub major: u8,
    pub minor: u8,
    pub rev: u8,
}

impl ArchiveVersion {
    pub const fn new(major: u8, minor: u8, rev: u8) -> Self {
        ArchiveVersion { major, minor, rev }
    }
    /// Version 1.0: no sign byte in Ints, no rev byte.
    pub const V1_0: Self = Self::new(1, 0, 0);
    /// 1.2: compression level Byte in the header.
    pub const V1_2: Self = Self::new(1, 2, 0);
    /// 1.3: copyStmt per entry.
    pub const V1_3: Self = Self::new(1, 3, 0);
    /// 1.4: creation time and database name in the header; level as Int.
    pub const V1_4: Self = Self::new(1, 4, 0);
    /// 1.5: dependencies per entry.
    pub const V1_5: Self = Self::new(1, 5, 0);
    /// 1.6: namespace per entry.
    pub const V1_6: Self = Self::new(1, 6, 0);
    /// 1.7: offSize in the header, custom offsets as Offset.
    pub const V1_7: Self = Self::new(1, 7, 0);
    /// 1.8: table OID per entry.
    pub const V1_8: Self = Self::new(1, 8, 0);
    /// 1.9: withOids per entry.
    pub const V1_9: Self = Self::new(1, 9, 0);
    /// 1.10: tablespace per entry; server and pg_dump versions in the header.
    pub const V1_10: Self = Self::new(1, 10, 0);
    /// 1.11: section per entry.
    pub const V1_11: Self = Self::new(1, 11, 0);
    /// 1.12: BLOB METADATA/BLOBS split on the data side (large objects restored by section).
    pub const V1_12: Self = Self::new(1, 12, 0);
    /// 1.13: SEARCHPATH entry; schema-qualified SQL throughout.
    pub const V1_13: Self = Self::new(1, 13, 0);
    /// 1.14: table access method per entry (PostgreSQL 12–15 write this).
    pub const V1_14: Self = Self::new(1, 14, 0);
    /// 1.15: compression algorithm byte replaces the level (PostgreSQL 16).
    pub const V1_15: Self = Self::new(1, 15, 0);
    /// 1.16: relkind per entry; grouped large objects (PostgreSQL 17, 18).
    pub const V1_16: Self = Self::new(1, 16, 0);

    /// The newest version this crate reads and the one it writes by default.
    pub const CURRENT: Self = Self::V1_16;

    pub fn at_least(self, other: Self) -> bool {
        self >= other
    }
}

impl std::fmt::Display for ArchiveVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}-{}", self.major, self.minor, self.rev)
    }
}
