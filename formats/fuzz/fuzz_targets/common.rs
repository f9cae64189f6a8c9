//! Shared by the fuzz targets: put the input where the path-based readers find it, then
//! read everything an archive offers. Any error is fine; panics, hangs and unbounded
//! allocations are the bugs being looked for.

use std::io::Read;
use std::path::PathBuf;

use pgark_formats::{ArchiveReader, Desc};

/// A per-process scratch path on tmpfs when available.
pub fn scratch(name: &str) -> PathBuf {
    let base = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    base.join(format!("pgark-fuzz-{}-{name}", std::process::id()))
}

/// Reads every entry's data and every large object, at most `limit` bytes each.
pub fn drain(reader: &ArchiveReader) {
    let limit = 1 << 20;
    let mut buf = vec![0u8; 64 * 1024];
    for e in reader.entries().iter().filter(|e| e.had_dumper) {
        let _ = reader.size_estimate(e.dump_id);
        if e.desc == Desc::Blobs {
            let Ok(mut blobs) = reader.open_blobs(e.dump_id) else {
                continue;
            };
            let mut count = 0;
            while let Ok(Some(b)) = blobs.next_blob() {
                let _ = (&mut b.data.take(limit)).read_to_end(&mut Vec::new());
                count += 1;
                if count > 1000 {
                    break;
                }
            }
        } else if let Ok(mut d) = reader.open_data(e.dump_id) {
            let mut total = 0;
            while let Ok(n) = d.read(&mut buf) {
                total += n;
                if n == 0 || total > limit as usize {
                    break;
                }
            }
        }
    }
}
