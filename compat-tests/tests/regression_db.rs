//! `pgark dump` against stock pg_dump 18 on PostgreSQL's own regression database: the
//! database the core regression suite leaves behind (built by
//! `compat-tests/regression/build.sh` on a throwaway cluster, once per major per run,
//! from the regression sources of the server's release tarball, downloaded once, or for
//! 14 and 16, which have no pinned tarball, of the major's branch point in the git mirror).
//!
//! `pgark dump --schema-only -Fp --restrict-key=K` must equal stock
//! `pg_dump --schema-only -Fp --restrict-key=K` once the header's version lines are
//! removed, so must the whole plain dump and the data-only one, and `pg_restore -l` of
//! pgark's `-Fc` archive must equal stock's (dump IDs and creation time left out), so
//! must stock `pg_restore -f -`'s script of it, except for the differences listed in
//! `compat-tests/regression/KNOWN-DIFFERENCES.md`.
//! That list is exact both ways: an unlisted difference fails the test, and so does a
//! listed one that no longer occurs. Both databases are checked: `regression` and
//! `contrib_regression` (see `build.sh --contrib`).
//!
//! Differences are counted per TOC entry (the `-- Name: ...; Type: ...; Schema: ...`
//! blocks of the plain script): `missing` (stock only), `extra` (pgark only), `changed`
//! (same header, other text) and `moved` (same text, out of stock's order: the entries
//! outside the longest run of common entries in the same order).
//!
//! `PGARK_REGRESSION_PRINT=1` prints the current differences as rows of that file.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use pgark_testkit::{
    available_majors, must, pgark_bin, repo_root, scratch_dir, stock_tool, without_version_lines,
    Cluster,
};

const KEY: &str = "RegressionKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNO";
/// The core suite's database, and the one the contrib modules' regression SQL leaves
/// behind (extensions, their member objects and configuration tables).
const DATABASES: [&str; 2] = ["regression", "contrib_regression"];

fn known_differences_file() -> PathBuf {
    repo_root().join("compat-tests/regression/KNOWN-DIFFERENCES.md")
}

/// How one entry differs between the two scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Status {
    Missing,
    Extra,
    Changed,
    Moved,
}

impl Status {
    fn parse(s: &str) -> Option<Status> {
        match s {
            "missing" => Some(Status::Missing),
            "extra" => Some(Status::Extra),
            "changed" => Some(Status::Changed),
            "moved" => Some(Status::Moved),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Status::Missing => "missing",
            Status::Extra => "extra",
            Status::Changed => "changed",
            Status::Moved => "moved",
        }
    }
}

/// An entry's identity: its header's Type, Schema and Name (Owner is part of the text).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct EntryKey {
    kind: String,
    schema: String,
    name: String,
}

/// One difference: what, and to which entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Difference {
    major: u32,
    database: String,
    status: Status,
    key: EntryKey,
}

impl Difference {
    fn row(&self, reason: &str) -> String {
        let esc = |s: &str| s.replace('|', "\\|");
        format!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            self.major,
            self.database,
            self.status.as_str(),
            esc(&self.key.kind),
            esc(&self.key.schema),
            esc(&self.key.name),
            reason
        )
    }
}

/// Splits a table row on unescaped `|` (a `\|` stays inside its cell).
fn row_cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cur.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cur).trim().to_string()),
            c => cur.push(c),
        }
    }
    cells.push(cur.trim().to_string());
    cells
}

/// The rows of KNOWN-DIFFERENCES.md:
/// `| major | database | status | type | schema | name | reason |`.
fn known_differences() -> HashMap<Difference, String> {
    let path = known_differences_file();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut out = HashMap::new();
    for (no, line) in text.lines().enumerate() {
        let cells = row_cells(line);
        if !line.trim_start().starts_with('|') || cells.len() != 7 {
            continue;
        }
        let Ok(major) = cells[0].parse::<u32>() else {
            continue; // header and separator rows
        };
        let status = Status::parse(&cells[2]).unwrap_or_else(|| {
            panic!(
                "{}:{}: unknown status {:?} (missing, extra, changed, moved)",
                path.display(),
                no + 1,
                cells[2]
            )
        });
        assert!(
            !cells[6].is_empty(),
            "{}:{}: every known difference needs its reason",
            path.display(),
            no + 1
        );
        let diff = Difference {
            major,
            database: cells[1].clone(),
            status,
            key: EntryKey {
                kind: cells[3].clone(),
                schema: cells[4].clone(),
                name: cells[5].clone(),
            },
        };
        if out.insert(diff, cells[6].clone()).is_some() {
            panic!("{}:{}: listed twice", path.display(), no + 1);
        }
    }
    out
}

/// A plain script cut into its preamble and TOC entries, in order.
struct Script {
    entries: Vec<(EntryKey, String)>,
}

fn parse_header(line: &str) -> Option<EntryKey> {
    let rest = line
        .strip_prefix("-- Name: ")
        .or_else(|| line.strip_prefix("-- Data for Name: "))?;
    let (name, rest) = rest.rsplit_once("; Type: ")?;
    let (kind, rest) = rest.split_once("; Schema: ")?;
    let schema = rest.split_once("; Owner: ").map_or(rest, |(s, _)| s);
    Some(EntryKey {
        kind: kind.to_string(),
        schema: schema.to_string(),
        name: name.to_string(),
    })
}

fn split_script(text: &str) -> Script {
    let mut entries = vec![(
        EntryKey {
            kind: "(preamble)".into(),
            schema: "-".into(),
            name: "-".into(),
        },
        String::new(),
    )];
    for line in text.split_inclusive('\n') {
        if let Some(key) = parse_header(line.trim_end_matches('\n')) {
            entries.push((key, String::new()));
        }
        if let Some(last) = entries.last_mut() {
            last.1.push_str(line);
        }
    }
    Script { entries }
}

/// Positions (in `seq`) of one longest strictly increasing subsequence.
fn longest_increasing(seq: &[usize]) -> HashSet<usize> {
    let mut tails: Vec<usize> = Vec::new(); // index into seq of the tail of each length
    let mut prev: Vec<Option<usize>> = vec![None; seq.len()];
    for (i, &v) in seq.iter().enumerate() {
        let pos = tails.partition_point(|&t| seq[t] < v);
        prev[i] = pos.checked_sub(1).map(|p| tails[p]);
        if pos == tails.len() {
            tails.push(i);
        } else {
            tails[pos] = i;
        }
    }
    let mut keep = HashSet::new();
    let mut at = tails.last().copied();
    while let Some(i) = at {
        keep.insert(i);
        at = prev[i];
    }
    keep
}

/// Entry-level differences between stock's and pgark's scripts, with a short diff of
/// each changed entry for the failure message.
fn differences(
    major: u32,
    database: &str,
    stock: &Script,
    ours: &Script,
) -> Vec<(Difference, String)> {
    // Duplicate headers (rare) are told apart by occurrence number.
    fn keyed(s: &Script) -> Vec<((EntryKey, usize), &str)> {
        let mut seen: HashMap<&EntryKey, usize> = HashMap::new();
        s.entries
            .iter()
            .map(|(k, text)| {
                let n = seen.entry(k).or_insert(0);
                *n += 1;
                ((k.clone(), *n), text.as_str())
            })
            .collect()
    }
    let (sk, ok) = (keyed(stock), keyed(ours));
    let stock_at: HashMap<&(EntryKey, usize), (usize, &str)> = sk
        .iter()
        .enumerate()
        .map(|(i, (k, t))| (k, (i, *t)))
        .collect();
    let ours_keys: HashSet<&(EntryKey, usize)> = ok.iter().map(|(k, _)| k).collect();
    let mut out = Vec::new();
    let diff = |status, key: &EntryKey| Difference {
        major,
        database: database.to_string(),
        status,
        key: key.clone(),
    };
    for (k, text) in &sk {
        if !ours_keys.contains(k) {
            out.push((diff(Status::Missing, &k.0), text.to_string()));
        }
    }
    let mut common_order = Vec::new();
    for (k, text) in &ok {
        match stock_at.get(k) {
            None => out.push((diff(Status::Extra, &k.0), text.to_string())),
            Some(&(i, stock_text)) => {
                // The last entry also holds the script's trailer.
                let strip = |t: &str| {
                    t.split("\n--\n-- PostgreSQL database dump complete")
                        .next()
                        .unwrap_or("")
                        .to_string()
                };
                if strip(stock_text) != strip(text) {
                    out.push((diff(Status::Changed, &k.0), line_diff(stock_text, text)));
                }
                common_order.push((i, k));
            }
        }
    }
    let positions: Vec<usize> = common_order.iter().map(|(i, _)| *i).collect();
    let in_order = longest_increasing(&positions);
    for (n, (_, k)) in common_order.iter().enumerate() {
        if !in_order.contains(&n) {
            out.push((diff(Status::Moved, &k.0), String::new()));
        }
    }
    out
}

/// The lines of `a` and `b` that differ, `-`/`+` prefixed (a set difference, enough to
/// see what changed in one entry).
fn line_diff(a: &str, b: &str) -> String {
    let (al, bl): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let (aset, bset): (HashSet<&str>, HashSet<&str>) =
        (al.iter().copied().collect(), bl.iter().copied().collect());
    let mut out = String::new();
    for l in al.iter().filter(|l| !bset.contains(*l)) {
        out.push_str(&format!("-{l}\n"));
    }
    for l in bl.iter().filter(|l| !aset.contains(*l)) {
        out.push_str(&format!("+{l}\n"));
    }
    out
}

/// `pg_restore -l` lines of the entries not known to differ, without dump IDs, the
/// creation time and the version lines.
fn listing_lines(listing: &[u8], skip: &HashSet<EntryKey>) -> Vec<String> {
    String::from_utf8_lossy(listing)
        .lines()
        .filter(|l| {
            // The entry count differs by the known differences; the entries are compared.
            !l.starts_with("; Archive created at")
                && !l.starts_with(";     Dumped by pg_dump version")
                && !l.starts_with(";     TOC Entries: ")
        })
        .filter_map(|l| {
            let Some((id, rest)) = l.split_once("; ") else {
                return Some(l.to_string());
            };
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Some(l.to_string());
            }
            // `tableoid oid DESC SCHEMA TAG OWNER`
            let mut parts = rest.splitn(3, ' ');
            let (_, _, what) = (parts.next(), parts.next(), parts.next().unwrap_or(""));
            let known = skip
                .iter()
                .any(|k| what.starts_with(&format!("{} {} {} ", k.kind, k.schema, k.name)));
            (!known).then(|| format!("ID; {rest}"))
        })
        .collect()
}

/// Whether build.sh pins a release tarball for `major` (a line of its TARBALLS table).
/// Majors without one take their suite from the optional full-history git mirror.
fn tarball_pinned(major: u32) -> bool {
    let script = repo_root().join("compat-tests/regression/build.sh");
    let text = std::fs::read_to_string(&script)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", script.display()));
    let Some((_, table)) = text.split_once("TARBALLS=\"") else {
        panic!("{} has no TARBALLS table", script.display());
    };
    let table = table.split('"').next().unwrap_or_default();
    table
        .lines()
        .any(|line| line.split_whitespace().next() == Some(major.to_string().as_str()))
}

/// Builds the regression database on `cluster`; `false` when its inputs (the source
/// tarball or git mirror, pg_regress, gcc) are absent on this machine. Under CI that
/// fails instead for a major whose tarball build.sh pins: the comparison must run there
/// (build.sh names what is missing, e.g. the tarball's URL when the download failed).
/// A major whose suite can only come from the git mirror (no reachable tarball: 14 and
/// 16 today) is skipped with a note when the mirror is absent, CI or not.
fn build_regression_database(cluster: &Cluster, outputdir: &Path) -> bool {
    let script = repo_root().join("compat-tests/regression/build.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(cluster.major().to_string())
        .arg("--host")
        .arg(cluster.socket_dir())
        .args([
            "--port",
            &cluster.port().to_string(),
            "--user",
            cluster.user(),
        ])
        .arg("--outputdir")
        .arg(outputdir)
        .arg("--contrib")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprint!("{stderr}");
    match out.status.code() {
        Some(0) => true,
        Some(2) if std::env::var_os("CI").is_none() || !tarball_pinned(cluster.major()) => {
            eprintln!("skipping: the regression database cannot be built here");
            false
        }
        Some(2) => panic!(
            "CI is set but the PostgreSQL {} regression database cannot be built \
             (its inputs are missing):\n{stderr}",
            cluster.major()
        ),
        _ => panic!("{} failed ({}):\n{stderr}", script.display(), out.status),
    }
}

fn check_major(major: u32) {
    if !available_majors().contains(&major) {
        assert!(
            std::env::var_os("CI").is_none(),
            "PostgreSQL {major} is not provisioned"
        );
        eprintln!("skipping: PostgreSQL {major} is not provisioned");
        return;
    }
    let cluster = Cluster::start(major);
    let dir = scratch_dir();
    if !build_regression_database(&cluster, &dir.path().join("pg_regress")) {
        return;
    }
    let known = known_differences();
    let mut failures = Vec::new();
    for database in DATABASES {
        failures.extend(compare_database(&cluster, database, dir.path(), &known));
    }
    if !failures.is_empty() {
        let kept = dir.keep();
        panic!(
            "PG {major} regression databases: {} problem(s); scripts kept in {}\n\n{}",
            failures.len(),
            kept.display(),
            failures.join("\n\n")
        );
    }
}

/// Compares stock's and pgark's dumps of one database; returns the problems found
/// against the known differences of this major and database.
fn compare_database(
    cluster: &Cluster,
    database: &str,
    dir: &Path,
    known: &HashMap<Difference, String>,
) -> Vec<String> {
    let major = cluster.major();
    let dump = |program: PathBuf, pre: &[&str], args: &[&str], what: &str| {
        let mut cmd = Command::new(program);
        cluster.apply_env(&mut cmd);
        cmd.args(pre).args(args).arg(database);
        must(&mut cmd, &format!("{what} {database}")).stdout
    };
    let restrict = format!("--restrict-key={KEY}");
    let mut found = Vec::new();
    // The schema-only script, the whole one with data (COPY rows, sequence values,
    // REFRESH, large objects) and the data-only one: the entries of all are checked
    // against the same list.
    for (label, args) in [
        ("schema", vec!["--schema-only", "-Fp", restrict.as_str()]),
        ("full", vec!["-Fp", restrict.as_str()]),
        // Data-only orders table data by foreign keys (`getTableDataFKConstraints`).
        ("data", vec!["--data-only", "-Fp", restrict.as_str()]),
    ] {
        let stock = without_version_lines(&dump(
            stock_tool(18, "pg_dump"),
            &[],
            &args,
            "stock pg_dump",
        ));
        let ours = without_version_lines(&dump(pgark_bin(), &["dump"], &args, "pgark dump"));
        std::fs::write(dir.join(format!("{database}.{label}.stock.sql")), &stock).ok();
        std::fs::write(dir.join(format!("{database}.{label}.pgark.sql")), &ours).ok();
        let (stock, ours) = (split_script(&stock), split_script(&ours));
        if label == "schema" {
            eprintln!(
                "PG {major} {database}: {} entries in stock's schema script",
                stock.entries.len()
            );
        }
        for (d, detail) in differences(major, database, &stock, &ours) {
            if !found.iter().any(|(f, _): &(Difference, String)| *f == d) {
                found.push((d, detail));
            }
        }
    }
    let known: HashMap<&Difference, &String> = known
        .iter()
        .filter(|(d, _)| d.major == major && d.database == database)
        .collect();
    let mut by_status: HashMap<Status, usize> = HashMap::new();
    for (d, _) in &found {
        *by_status.entry(d.status).or_default() += 1;
    }
    eprintln!("PG {major} {database}: differences {by_status:?}");
    if std::env::var_os("PGARK_REGRESSION_PRINT").is_some() {
        let mut rows: Vec<&Difference> = found.iter().map(|(d, _)| d).collect();
        rows.sort();
        for d in rows {
            println!("{}", d.row(known.get(d).map_or("?", |r| r.as_str())));
        }
    }
    let found_set: HashSet<&Difference> = found.iter().map(|(d, _)| d).collect();
    let mut failures = Vec::new();
    for (d, detail) in &found {
        if !known.contains_key(d) {
            failures.push(format!("new difference: {}\n{detail}", d.row("?")));
        }
    }
    for (d, reason) in &known {
        if !found_set.contains(*d) {
            failures.push(format!(
                "listed difference no longer occurs, remove it from KNOWN-DIFFERENCES.md: {}",
                d.row(reason)
            ));
        }
    }

    // The custom-format archives' listings, known differences left out.
    let skip: HashSet<EntryKey> = found.iter().map(|(d, _)| d.key.clone()).collect();
    let listing = |program: PathBuf, pre: &[&str], file: &Path, what: &str| {
        let mut cmd = Command::new(program);
        cluster.apply_env(&mut cmd);
        cmd.args(pre).args(["-Fc", "-f"]).arg(file).arg(database);
        must(&mut cmd, what);
        let mut list = Command::new(stock_tool(18, "pg_restore"));
        list.arg("-l").arg(file);
        listing_lines(&must(&mut list, "pg_restore -l").stdout, &skip)
    };
    let stock_list = listing(
        stock_tool(18, "pg_dump"),
        &[],
        &dir.join(format!("{database}.stock.dump")),
        "stock pg_dump -Fc",
    );
    let ours_list = listing(
        pgark_bin(),
        &["dump"],
        &dir.join(format!("{database}.pgark.dump")),
        "pgark dump -Fc",
    );
    if stock_list != ours_list {
        let at = stock_list
            .iter()
            .zip(&ours_list)
            .position(|(a, b)| a != b)
            .unwrap_or(stock_list.len().min(ours_list.len()));
        failures.push(format!(
            "{database}: pg_restore -l differs at line {} (known differences left out):\n--- stock\n{}\n+++ pgark\n{}",
            at + 1,
            stock_list[at..(at + 5).min(stock_list.len())].join("\n"),
            ours_list[at..(at + 5).min(ours_list.len())].join("\n"),
        ));
    }

    // The archives' contents: stock pg_restore's script of pgark's archive must equal
    // its script of stock's (the entries' definitions and data as stored in the archive,
    // which pgark writes apart from its plain scripts), known differences left out.
    let restored = |file: &Path| {
        let mut cmd = Command::new(stock_tool(18, "pg_restore"));
        cmd.arg(&restrict).args(["-f", "-"]).arg(file);
        split_script(&without_version_lines(
            &must(&mut cmd, &format!("pg_restore -f - {}", file.display())).stdout,
        ))
    };
    let (stock, ours) = (
        restored(&dir.join(format!("{database}.stock.dump"))),
        restored(&dir.join(format!("{database}.pgark.dump"))),
    );
    for (d, detail) in differences(major, database, &stock, &ours) {
        if !skip.contains(&d.key) {
            failures.push(format!(
                "{database}: pg_restore script of the -Fc archive: {}\n{detail}",
                d.row("?")
            ));
        }
    }
    failures
}

#[test]
fn regression_database_matches_stock_on_18() {
    check_major(18);
}

/// 17's suite comes from its release tarball like 18's.
#[test]
fn regression_database_matches_stock_on_17() {
    check_major(17);
}

/// Debian's 15: pg_regress and the server headers from postgresql-server-dev-15, the
/// suite from Debian's tarball of the same release.
#[test]
fn regression_database_matches_stock_on_15() {
    check_major(15);
}

/// 16's suite is the branch point's, from the git mirror (no Debian tarball of the
/// wheel's release).
#[test]
fn regression_database_matches_stock_on_16() {
    check_major(16);
}

/// 14's suite is the branch point's, from the git mirror (no Debian tarball of the
/// wheel's release).
#[test]
fn regression_database_matches_stock_on_14() {
    check_major(14);
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn pinned_majors_are_read_from_build_sh() {
        assert!(tarball_pinned(18) && tarball_pinned(17) && tarball_pinned(15));
        assert!(!tarball_pinned(99));
    }

    #[test]
    fn rows_split_on_unescaped_bars() {
        assert_eq!(
            row_cells("| 18 | regression | missing | OPERATOR | public | \\|\\|/ | why |"),
            vec![
                "18",
                "regression",
                "missing",
                "OPERATOR",
                "public",
                "||/",
                "why"
            ]
        );
    }

    #[test]
    fn moved_entries_are_those_outside_the_longest_ordered_run() {
        let keep = longest_increasing(&[0, 1, 4, 2, 3, 5]);
        assert!(!keep.contains(&2));
        assert_eq!(keep.len(), 5);
    }

    #[test]
    fn headers_parse_with_and_without_owner() {
        let k = parse_header("-- Name: f(integer); Type: FUNCTION; Schema: public; Owner: x")
            .expect("header");
        assert_eq!(
            (k.kind.as_str(), k.schema.as_str(), k.name.as_str()),
            ("FUNCTION", "public", "f(integer)")
        );
        let k = parse_header("-- Name: SCHEMA public; Type: COMMENT; Schema: -").expect("header");
        assert_eq!(k.schema, "-");
    }
}
