//! Running tools in tests and comparing what they print with stock's: a command that must
//! succeed, an `-l` listing without the lines that differ by design, and the first
//! difference of two outputs for a failure message.

use std::path::Path;
use std::process::{Command, Output};

use crate::stock_tool;

/// Runs `cmd` to completion; panics, naming `what`, only if it cannot be started.
pub fn run(cmd: &mut Command, what: &str) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"))
}

/// Runs `cmd` and panics with its status and stderr unless it succeeded.
pub fn must(cmd: &mut Command, what: &str) -> Output {
    let out = run(cmd, what);
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A `pg_restore -l` listing without its creation time and pg_dump version lines, entry
/// ids replaced by `ID` (they follow dump order, which may differ where the order does not
/// matter), lines joined with `\n`.
pub fn normalized_listing(listing: &[u8]) -> String {
    String::from_utf8_lossy(listing)
        .lines()
        .filter(|l| {
            !l.starts_with("; Archive created at")
                && !l.starts_with(";     Dumped by pg_dump version")
        })
        .map(|l| match l.split_once(';') {
            Some((id, rest)) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => {
                format!("ID;{rest}")
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Stock pg_restore 18's `-l` listing of the archive at `path`, normalised as
/// [`normalized_listing`].
pub fn stock_listing(path: &Path) -> String {
    let mut cmd = Command::new(stock_tool(18, "pg_restore"));
    cmd.arg("-l").arg(path);
    normalized_listing(&must(&mut cmd, "pg_restore -l").stdout)
}

/// The first run of differing lines of `stock` and `ours` as a unified-diff hunk with
/// three lines of context, at most 25 lines a side.
pub fn first_difference(stock: &[u8], ours: &[u8]) -> String {
    const CONTEXT: usize = 3;
    const MAX_LINES: usize = 25;
    let e: Vec<&[u8]> = stock.split(|&b| b == b'\n').collect();
    let a: Vec<&[u8]> = ours.split(|&b| b == b'\n').collect();
    let start = e.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let mut e_end = e.len();
    let mut a_end = a.len();
    while e_end > start && a_end > start && e[e_end - 1] == a[a_end - 1] {
        e_end -= 1;
        a_end -= 1;
    }
    let from = start.saturating_sub(CONTEXT);
    let e_show = (e_end - start).min(MAX_LINES);
    let a_show = (a_end - start).min(MAX_LINES);
    let mut s = format!(
        "--- stock\n+++ pgark\n@@ -{},{} +{},{} @@\n",
        from + 1,
        e_end - from,
        from + 1,
        a_end - from
    );
    let text = String::from_utf8_lossy;
    for line in &e[from..start] {
        s.push_str(&format!(" {}\n", text(line)));
    }
    for line in &e[start..start + e_show] {
        s.push_str(&format!("-{}\n", text(line)));
    }
    if e_end - start > e_show {
        s.push_str(&format!("-... ({} more lines)\n", e_end - start - e_show));
    }
    for line in &a[start..start + a_show] {
        s.push_str(&format!("+{}\n", text(line)));
    }
    if a_end - start > a_show {
        s.push_str(&format!("+... ({} more lines)\n", a_end - start - a_show));
    }
    for line in e.iter().skip(e_end).take(CONTEXT) {
        s.push_str(&format!(" {}\n", text(line)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_difference_shows_the_changed_lines_with_context() {
        let stock = b"a\nb\nc\nd\ne\nf\ng\n";
        let ours = b"a\nb\nc\nd\nX\nf\ng\n";
        assert_eq!(
            first_difference(stock, ours),
            "--- stock\n+++ pgark\n@@ -2,4 +2,4 @@\n b\n c\n d\n-e\n+X\n f\n g\n \n"
        );
    }

    #[test]
    fn listings_lose_ids_time_and_version() {
        let listing = b";\n; Archive created at 2026-01-01 00:00:00 UTC\n;     Dumped by pg_dump version: 18.6\n;\n12; 2615 2200 SCHEMA - public pg_database_owner\n";
        assert_eq!(
            normalized_listing(listing),
            ";\n;\nID; 2615 2200 SCHEMA - public pg_database_owner"
        );
    }
}
