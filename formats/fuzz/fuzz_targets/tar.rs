//! Tar-format reader: member headers (checksums, octal and base-256 sizes), toc.dat,
//! members by name, large-object member runs.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let _ = pgark_formats::detect::detect_bytes(&data[..data.len().min(512)]);
    let path = common::scratch("archive.tar");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Ok(r) = pgark_formats::ArchiveReader::open_as(&path, pgark_formats::ArchiveFormat::Tar) {
        common::drain(&r);
    }
});
