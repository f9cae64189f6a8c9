//! Directory format (`-Fd`, spec §5): `toc.dat`, one file per table data entry
//! (`<dumpId>.dat[.gz|.lz4|.zst]`), one per large object, and large-object TOC files.

pub mod reader;
pub mod writer;

pub use reader::{DirectoryBlobs, DirectoryReader};
pub use writer::{DirectoryDataFile, DirectoryWriter};

use crate::model::{Desc, TocEntry};
use crate::version::ArchiveVersion;

/// The file name the TOC records for an entry (§3.3): never with a compression suffix.
pub fn toc_file_name(entry: &TocEntry, version: ArchiveVersion) -> Vec<u8> {
    if !entry.had_dumper {
        Vec::new()
    } else if entry.desc == Desc::Blobs {
        if version >= ArchiveVersion::V1_16 {
            format!("blobs_{}.toc", entry.dump_id).into_bytes()
        } else {
            b"blobs.toc".to_vec()
        }
    } else {
        format!("{}.dat", entry.dump_id).into_bytes()
    }
}
