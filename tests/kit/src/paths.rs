//! Where the repository, the PostgreSQL binaries of each major and scratch space are.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

/// The PostgreSQL majors pgark supports and the tests know how to provision.
pub const SUPPORTED_MAJORS: std::ops::RangeInclusive<u32> = 14..=18;

/// The workspace root (the directory holding the top-level `Cargo.toml`).
pub fn repo_root() -> PathBuf {
    let kit = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // tests/kit -> tests -> <root>
    kit.parent()
        .and_then(|tests| tests.parent())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!(
                "testkit: cannot derive the repository root from {}",
                kit.display()
            )
        })
}

/// `$PGARK_PG_CACHE/<major>/bin`, by default `<repo>/target/pg/<major>/bin`
/// (the layout `scripts/postgres.sh` creates).
pub fn pg_bin_dir(major: u32) -> PathBuf {
    let cache = match std::env::var_os("PGARK_PG_CACHE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => repo_root().join("target").join("pg"),
    };
    cache.join(major.to_string()).join("bin")
}

/// `<cache>/<major>/lib` when that build ships its own libpq (the relocatable builds do;
/// Debian's 15 links the system one). Its server must run with this directory on
/// `LD_LIBRARY_PATH`: modules it loads (dblink, postgres_fdw, libpqwalreceiver) carry no
/// run path and would otherwise bind the system libpq, which may be older than the build.
pub fn pg_lib_dir(major: u32) -> Option<PathBuf> {
    let bin = pg_bin_dir(major);
    let lib = bin.parent()?.join("lib");
    lib.join("libpq.so.5").is_file().then_some(lib)
}

/// The supported majors whose server binary is present.
pub fn available_majors() -> Vec<u32> {
    SUPPORTED_MAJORS
        .filter(|major| pg_bin_dir(*major).join("postgres").is_file())
        .collect()
}

/// Path of a stock PostgreSQL program of one major, e.g. `stock_tool(18, "pg_restore")`.
/// Panics if it does not exist, naming the provisioning script.
pub fn stock_tool(major: u32, tool: &str) -> PathBuf {
    let path = pg_bin_dir(major).join(tool);
    if !path.is_file() {
        panic!(
            "testkit: {} not found (PostgreSQL {major} not provisioned? run scripts/postgres.sh {major})",
            path.display()
        );
    }
    path
}

/// A fresh temporary directory for test outputs. Mode 0777 so that the `postgres` server
/// user can read (and, for server-side COPY, write) files in it when tests run as root.
pub fn scratch_dir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("pgark-scratch-")
        .tempdir()
        .unwrap_or_else(|e| {
            panic!(
                "testkit: cannot create a scratch dir in {}: {e}",
                std::env::temp_dir().display()
            )
        });
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
        .unwrap_or_else(|e| panic!("testkit: cannot chmod {}: {e}", dir.path().display()));
    dir
}

/// The `pgark` binary of the current target directory (`CARGO_TARGET_DIR` or
/// `target/`), debug profile; the compat tests run it as a user would.
pub fn pgark_bin() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                repo_root().join(dir)
            }
        }
        _ => repo_root().join("target"),
    };
    let bin = target.join("debug").join("pgark");
    assert!(
        bin.is_file(),
        "{} not found: build it first with `cargo build -p pgark`",
        bin.display()
    );
    bin
}

/// A plain dump without the header's `-- Dumped from/by ... version` comment lines,
/// the only lines where pgark's and stock's scripts may differ by design.
pub fn without_version_lines(script: &[u8]) -> String {
    String::from_utf8_lossy(&without_version_line_bytes(script)).into_owned()
}

/// [`without_version_lines`] for scripts that are not UTF-8 (a dump in another client
/// encoding), bytes kept as they are.
pub fn without_version_line_bytes(script: &[u8]) -> Vec<u8> {
    script
        .split_inclusive(|&b| b == b'\n')
        .filter(|l| {
            !l.starts_with(b"-- Dumped from database version ")
                && !l.starts_with(b"-- Dumped by pg_dump version ")
        })
        .flatten()
        .copied()
        .collect()
}
