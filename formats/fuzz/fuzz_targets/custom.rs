//! Custom-format reader: header, TOC, block scanning, chunk framing, decompression.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let _ = pgark_formats::codec::decode_header_and_toc(
        data,
        "fuzz",
        pgark_formats::codec::ExtraKind::Offset,
    );
    let path = common::scratch("custom.dump");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Ok(r) =
        pgark_formats::ArchiveReader::open_as(&path, pgark_formats::ArchiveFormat::Custom)
    {
        common::drain(&r);
    }
});
