//! Archive format discovery, as pg_restore does it: a directory is a directory archive;
//! a file starting with `PGDMP` is custom; a file whose first block is a valid tar
//! header is tar; a plain SQL script and anything else are rejected with stock's words.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::archive::ArchiveFormat;
use crate::codec::MAGIC;
use crate::error::{Error, Result};
use crate::tar::header::{self, HeaderProblem};
use crate::tar::BLOCK;

/// The format of the archive at `path`.
pub fn detect(path: &Path) -> Result<ArchiveFormat> {
    let label = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| Error::io(&label, e))?;
    if meta.is_dir() {
        return Ok(ArchiveFormat::Directory);
    }
    let mut f = File::open(path).map_err(|e| Error::io(&label, e))?;
    let mut block = [0u8; BLOCK];
    let mut got = 0;
    while got < BLOCK {
        match f.read(&mut block[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(&label, e)),
        }
    }
    detect_bytes(&block[..got]).map_err(|detail| Error::BadMagic {
        file: label,
        detail,
    })
}

/// Format from the first (up to 512) bytes of a file.
pub fn detect_bytes(start: &[u8]) -> Result<ArchiveFormat, String> {
    if start.len() < MAGIC.len() {
        return Err(format!(
            "input file is too short (read {}, expected 5)",
            start.len()
        ));
    }
    if &start[..5] == MAGIC {
        return match start.get(10) {
            Some(3) => {
                Err("this file is a directory archive's toc.dat; give the directory instead".into())
            }
            _ => Ok(ArchiveFormat::Custom),
        };
    }
    if start.starts_with(b"\n--\n-- PostgreSQL database dump")
        || start.starts_with(b"--\n-- PostgreSQL database dump")
    {
        return Err("input file appears to be a text format dump. Please use psql.".into());
    }
    if let Ok(block) = <&[u8; BLOCK]>::try_from(start) {
        match header::parse(block, true) {
            Ok(_) => return Ok(ArchiveFormat::Tar),
            Err(
                HeaderProblem::Zero
                | HeaderProblem::BadChecksum { .. }
                | HeaderProblem::BadMagic
                | HeaderProblem::BadSize,
            ) => {}
        }
    }
    Err("input file does not appear to be a valid archive".into())
}
