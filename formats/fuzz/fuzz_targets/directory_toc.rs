//! Directory-format `toc.dat` reader (header + TOC with file names), and data and LO TOC
//! files named by it: the input is used as `toc.dat`, and as every data file it names.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let parsed = pgark_formats::codec::decode_header_and_toc(
        data,
        "fuzz",
        pgark_formats::codec::ExtraKind::FileName,
    );
    let dir = common::scratch("dir");
    let _ = std::fs::remove_dir_all(&dir);
    if std::fs::create_dir_all(&dir).is_err() || std::fs::write(dir.join("toc.dat"), data).is_err()
    {
        return;
    }
    // Data files with the input's tail as content, under the names the TOC gives.
    if let Ok((_, entries, end)) = parsed {
        let tail = &data[end as usize..];
        for e in entries.iter().take(8) {
            if let pgark_formats::model::DataLocation::File(name) = &e.data_location {
                let name = String::from_utf8_lossy(name);
                if !name.is_empty() && !name.contains('/') && name != "." && name != ".." {
                    let _ = std::fs::write(dir.join(name.as_ref()), tail);
                }
            }
        }
    }
    if let Ok(r) =
        pgark_formats::ArchiveReader::open_as(&dir, pgark_formats::ArchiveFormat::Directory)
    {
        common::drain(&r);
    }
});
