//! `pgark dumpall -g/-r/-t` against stock pg_dumpall 18, byte for byte, on servers 18,
//! 15 (and 14, 16, 17 when provisioned): a cluster whose roles and tablespaces cover
//! every attribute, comment, setting, membership option, grantor order, parameter
//! privilege, tablespace option and ACL, plus the fixtures' hostile role names.

use std::path::Path;
use std::process::{Command, Output};

use pgark_testkit::roundtrip::unified_diff;
use pgark_testkit::{available_majors, Cluster};

/// The fixed `\restrict` key both tools get.
const KEY: &str = "pgarkTestKey0123456789";

/// Roles and tablespaces for every item of the globals; `{TS1}`/`{TS2}` are directories
/// owned by the server's OS user.
const GLOBALS_SQL: &str = r#"
SET client_min_messages = warning;
CREATE ROLE pgark_da_super SUPERUSER LOGIN PASSWORD 'secret' CONNECTION LIMIT 5 VALID UNTIL '2031-01-02 03:04:05+00';
CREATE ROLE pgark_da_all CREATEDB CREATEROLE REPLICATION BYPASSRLS NOINHERIT LOGIN PASSWORD 'md5d41d8cd98f00b204e9800998ecf8427e';
CREATE ROLE "pgark_da ""quoted""
newline" VALID UNTIL 'infinity';
CREATE ROLE "pgark_da back\slash";
CREATE ROLE "pgark_da_ünï";
CREATE ROLE pgark_da_group;
CREATE ROLE pgark_da_sub;
CREATE ROLE pgark_da_member LOGIN;
COMMENT ON ROLE pgark_da_all IS 'all attributes; it''s \ a backslash';
COMMENT ON ROLE "pgark_da ""quoted""
newline" IS E'multi\nline';
COMMENT ON ROLE "pgark_da_ünï" IS 'çà';
ALTER ROLE pgark_da_all SET search_path = a, "B c", pg_catalog;
ALTER ROLE pgark_da_all SET work_mem = '64MB';
ALTER ROLE "pgark_da ""quoted""
newline" SET application_name = 'it''s';
ALTER ROLE "pgark_da ""quoted""
newline" SET DateStyle = 'ISO, DMY';
ALTER ROLE pgark_da_member SET temp_tablespaces = '';
ALTER ROLE pgark_da_member IN DATABASE postgres SET work_mem = '1MB';
GRANT pgark_da_group TO pgark_da_all WITH ADMIN OPTION;
GRANT pgark_da_group TO pgark_da_sub;
GRANT pgark_da_sub TO "pgark_da ""quoted""
newline";
GRANT pgark_da_group TO "pgark_da back\slash";
SET ROLE pgark_da_all;
GRANT pgark_da_group TO pgark_da_member;
RESET ROLE;
GRANT pg_read_all_data TO pgark_da_member;
CREATE TABLESPACE pgark_da_ts OWNER pgark_da_all LOCATION '{TS1}';
CREATE TABLESPACE "pgark_da ts ""2""" LOCATION '{TS2}' WITH (seq_page_cost = 2, random_page_cost = 3.5);
ALTER TABLESPACE pgark_da_ts SET (effective_io_concurrency = 7);
COMMENT ON TABLESPACE pgark_da_ts IS 'a tablespace''s comment \ with backslash';
GRANT CREATE ON TABLESPACE pgark_da_ts TO pgark_da_group WITH GRANT OPTION;
GRANT CREATE ON TABLESPACE pgark_da_ts TO PUBLIC;
SET ROLE pgark_da_group;
GRANT CREATE ON TABLESPACE pgark_da_ts TO "pgark_da ""quoted""
newline";
RESET ROLE;
REVOKE ALL ON TABLESPACE "pgark_da ts ""2""" FROM postgres;
GRANT CREATE ON TABLESPACE "pgark_da ts ""2""" TO "pgark_da back\slash";
SET allow_in_place_tablespaces = true;
CREATE TABLESPACE pgark_da_inplace LOCATION '';
"#;

/// Privileges on configuration parameters (15 and later).
const PARAMETER_SQL: &str = r#"
GRANT SET ON PARAMETER work_mem TO pgark_da_all;
GRANT SET, ALTER SYSTEM ON PARAMETER log_min_duration_statement TO pgark_da_group WITH GRANT OPTION;
GRANT ALTER SYSTEM ON PARAMETER "pgark.custom_setting" TO "pgark_da ""quoted""
newline";
"#;

/// Membership options and grantors (16 and later); pgark_da_zadmin's grant must be
/// written after it receives ADMIN OPTION although its grantee sorts first.
const MEMBERSHIP_SQL: &str = r#"
CREATE ROLE pgark_da_opts;
GRANT pgark_da_group TO pgark_da_opts WITH INHERIT FALSE, SET FALSE GRANTED BY pgark_da_all;
GRANT pgark_da_sub TO pgark_da_opts WITH ADMIN OPTION, INHERIT TRUE;
SET ROLE pgark_da_opts;
GRANT pgark_da_sub TO pgark_da_super WITH INHERIT FALSE;
RESET ROLE;
CREATE ROLE pgark_da_zadmin;
GRANT pgark_da_sub TO pgark_da_zadmin WITH ADMIN OPTION;
SET ROLE pgark_da_zadmin;
GRANT pgark_da_sub TO pgark_da_all;
RESET ROLE;
"#;

/// Option sets compared with stock (each also gets `--restrict-key`).
const OPTION_SETS: &[&[&str]] = &[
    &["-g"],
    &["-r"],
    &["-t"],
    &["--globals-only", "--clean"],
    &["-g", "-c", "--if-exists"],
    &["-r", "-c"],
    &["-t", "-c", "--if-exists"],
    &["-g", "-x"],
    &["-g", "--no-comments"],
    &["-g", "--no-role-passwords"],
    &["-g", "--no-tablespaces", "-c"],
    &["-g", "--no-security-labels"],
    &["-g", "-O"],
    &["-g", "--binary-upgrade"],
    &["-t", "--binary-upgrade"],
    &["-g", "--quote-all-identifiers"],
    &["-g", "-E", "LATIN1"],
    &["-r", "-E", "SJIS"],
    &["-g", "-a"],
    &["-g", "--no-schema"],
    &["-r", "--statistics-only"],
    &["-g", "--no-data", "--no-statistics"],
    &["-g", "-s"],
    &["-g", "-l", "template1"],
    &["-g", "-d", "dbname=nonexistent application_name=pgark_test"],
    &["-r", "-d", "client_encoding=WIN1252"],
    &["-r", "-d", "client_encoding=LATIN1", "-E", "UTF8"],
    &["-r", "--role", "pgark_da_super"],
    &["-r", "--no-role-passwords", "-U", "pgark_da_member"],
    &["-r", "-U", "pgark_da_member"],
];

fn pgark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pgark"))
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run a dump tool")
}

/// Whether this process runs as root (then the server runs as `postgres`).
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

/// A directory the server can use as a tablespace location.
fn tablespace_dir(path: &Path) {
    if running_as_root() {
        let status = Command::new("runuser")
            .args(["-u", "postgres", "--", "mkdir", "-p"])
            .arg(path)
            .status()
            .expect("runuser mkdir");
        assert!(status.success(), "mkdir {} as postgres failed", path.display());
    } else {
        std::fs::create_dir_all(path).expect("create tablespace dir");
    }
}

/// A cluster of `major` with the fixtures' roles and the globals above.
fn globals_cluster(major: u32) -> Cluster {
    let cluster = Cluster::start(major);
    cluster.load_fixtures("fx", &["privileges", "hostile_names"]);
    let ts1 = cluster.socket_dir().join("ts one");
    let ts2 = cluster.socket_dir().join("ts\\two");
    tablespace_dir(&ts1);
    tablespace_dir(&ts2);
    let quote = |p: &Path| p.display().to_string().replace('\'', "''");
    let mut sql = GLOBALS_SQL
        .replace("{TS1}", &quote(&ts1))
        .replace("{TS2}", &quote(&ts2));
    if major >= 15 {
        sql.push_str(PARAMETER_SQL);
    }
    if major >= 16 {
        sql.push_str(MEMBERSHIP_SQL);
    }
    let file = cluster.socket_dir().join("pgark_dumpall_globals.sql");
    std::fs::write(&file, sql).expect("write globals SQL");
    cluster.psql_file("postgres", &file);
    cluster
}

/// Runs stock pg_dumpall 18 and pgark with `options` and describes every difference in
/// exit status, standard output (as a unified diff) and, when `compare_stderr`, the
/// messages (with stock's program name replaced by pgark's).
fn compare(cluster: &Cluster, options: &[&str], compare_stderr: bool) -> Option<String> {
    let mut stock = cluster.tool_of(18, "pg_dumpall");
    stock.arg(format!("--restrict-key={KEY}")).args(options);
    let stock = run(&mut stock);
    let mut ours = pgark();
    cluster.apply_env(&mut ours);
    ours.arg("dumpall").arg(format!("--restrict-key={KEY}")).args(options);
    let ours = run(&mut ours);
    let label = format!("server {} {:?}", cluster.major(), options);
    let mut problems = Vec::new();
    if stock.status.success() != ours.status.success() {
        problems.push(format!(
            "exit: stock {:?}, pgark {:?}\nstock stderr: {}\npgark stderr: {}",
            stock.status.code(),
            ours.status.code(),
            String::from_utf8_lossy(&stock.stderr),
            String::from_utf8_lossy(&ours.stderr)
        ));
    }
    // On failure stock has already written the part before the failing query.
    if stock.status.success() && stock.stdout != ours.stdout {
        problems.push(unified_diff(
            &String::from_utf8_lossy(&stock.stdout),
            &String::from_utf8_lossy(&ours.stdout),
            "pg_dumpall",
            "pgark dumpall",
        ));
    }
    if compare_stderr {
        let stock_err = String::from_utf8_lossy(&stock.stderr).replace("pg_dumpall:", "pgark:");
        let ours_err = String::from_utf8_lossy(&ours.stderr);
        if stock_err != ours_err {
            problems.push(unified_diff(&stock_err, &ours_err, "pg_dumpall stderr", "pgark stderr"));
        }
    }
    (!problems.is_empty()).then(|| format!("{label}:\n{}", problems.join("\n")))
}

fn matches_stock(major: u32) {
    if !available_majors().contains(&major) || !available_majors().contains(&18) {
        eprintln!("skipping: PostgreSQL {major} or 18 is not provisioned");
        return;
    }
    let cluster = globals_cluster(major);
    let failures: Vec<String> = OPTION_SETS
        .iter()
        .filter_map(|options| compare(&cluster, options, false))
        .collect();
    assert!(
        failures.is_empty(),
        "pgark dumpall differs from pg_dumpall 18:\n{}",
        failures.join("\n\n")
    );
}

#[test]
fn globals_match_stock_on_18() {
    matches_stock(18);
}

#[test]
fn globals_match_stock_on_15() {
    matches_stock(15);
}

#[test]
fn globals_match_stock_on_14_16_17() {
    for major in [14, 16, 17] {
        matches_stock(major);
    }
}

/// `-v`: the same statements logged (stock's query texts), the same output but for the
/// start and end times; `-f` writes the same file.
#[test]
fn verbose_and_file_output_match_stock() {
    if !available_majors().contains(&18) {
        eprintln!("skipping: PostgreSQL 18 is not provisioned");
        return;
    }
    let cluster = globals_cluster(18);
    let mut stock = cluster.tool_of(18, "pg_dumpall");
    stock.args(["-g", "-v", "--restrict-key", KEY]);
    let stock = run(&mut stock);
    let mut ours = pgark();
    cluster.apply_env(&mut ours);
    ours.args(["dumpall", "-g", "-v", "--restrict-key", KEY]);
    let ours = run(&mut ours);
    assert!(
        stock.status.success() && ours.status.success(),
        "pgark: {}",
        String::from_utf8_lossy(&ours.stderr)
    );
    let untimed = |out: &[u8]| -> String {
        String::from_utf8_lossy(out)
            .lines()
            .map(|l| {
                if l.starts_with("-- Started on ") || l.starts_with("-- Completed on ") {
                    "-- TIME"
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (s, o) = (untimed(&stock.stdout), untimed(&ours.stdout));
    assert!(s == o, "{}", unified_diff(&s, &o, "pg_dumpall -v", "pgark dumpall -v"));
    assert!(String::from_utf8_lossy(&ours.stdout).contains("-- Started on "));
    let stock_err = String::from_utf8_lossy(&stock.stderr).replace("pg_dumpall:", "pgark:");
    let ours_err = String::from_utf8_lossy(&ours.stderr);
    assert!(
        stock_err == ours_err,
        "{}",
        unified_diff(&stock_err, &ours_err, "pg_dumpall stderr", "pgark stderr")
    );

    let dir = pgark_testkit::scratch_dir();
    let (stock_file, ours_file) = (dir.path().join("stock.sql"), dir.path().join("pgark.sql"));
    let mut stock = cluster.tool_of(18, "pg_dumpall");
    stock.args(["-r", "-c", "--restrict-key", KEY, "-f"]).arg(&stock_file);
    assert!(run(&mut stock).status.success());
    let mut ours = pgark();
    cluster.apply_env(&mut ours);
    ours.args(["dumpall", "-r", "-c", "--restrict-key", KEY, "-f"])
        .arg(&ours_file);
    let out = run(&mut ours);
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (s, o) = (
        std::fs::read(&stock_file).expect("stock file"),
        std::fs::read(&ours_file).expect("pgark file"),
    );
    assert!(
        s == o,
        "{}",
        unified_diff(
            &String::from_utf8_lossy(&s),
            &String::from_utf8_lossy(&o),
            "stock -f",
            "pgark -f"
        )
    );
}

/// Without `--restrict-key` a fresh 63-character key is used for both lines; the rest is
/// stock's output. A bad key is refused.
#[test]
fn random_restrict_key() {
    if !available_majors().contains(&18) {
        eprintln!("skipping: PostgreSQL 18 is not provisioned");
        return;
    }
    let cluster = Cluster::start(18);
    let dump = |key: Option<&str>| {
        let mut ours = pgark();
        cluster.apply_env(&mut ours);
        ours.args(["dumpall", "-r"]);
        if let Some(k) = key {
            ours.args(["--restrict-key", k]);
        }
        run(&mut ours)
    };
    let first = dump(None);
    let second = dump(None);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let key_of = |out: &Output| -> String {
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let restrict = text
            .lines()
            .find_map(|l| l.strip_prefix("\\restrict "))
            .expect("\\restrict line")
            .to_string();
        let unrestrict = text
            .lines()
            .find_map(|l| l.strip_prefix("\\unrestrict "))
            .expect("\\unrestrict line");
        assert_eq!(restrict, unrestrict);
        restrict
    };
    let (k1, k2) = (key_of(&first), key_of(&second));
    assert_eq!(k1.len(), 63);
    assert!(k1.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_ne!(k1, k2, "two runs drew the same key");
    let mut stock = cluster.tool_of(18, "pg_dumpall");
    stock.args(["-r", "--restrict-key", &k1]);
    assert_eq!(run(&mut stock).stdout, first.stdout);

    let bad = dump(Some("not-alnum!"));
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("invalid restrict key"));
}

/// Option conflicts are refused with stock's messages (pgark exits 2 for usage errors,
/// stock 1); a whole-cluster dump is not implemented yet and says so.
#[test]
fn option_errors() {
    let cases: &[(&[&str], &str)] = &[
        (&["-g", "-r"], "options -g/--globals-only and -r/--roles-only cannot be used together"),
        (&["-g", "-t"], "options -g/--globals-only and -t/--tablespaces-only cannot be used together"),
        (&["-r", "-t"], "options -r/--roles-only and -t/--tablespaces-only cannot be used together"),
        (&["-g", "--if-exists"], "option --if-exists requires option -c/--clean"),
        (
            &["-g", "--exclude-database", "x"],
            "option --exclude-database cannot be used together with -g/--globals-only, -r/--roles-only, or -t/--tablespaces-only",
        ),
        (&["-g", "--restrict-key", "a b"], "invalid restrict key"),
    ];
    let dir = pgark_testkit::scratch_dir();
    let filter = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write filter");
        path.display().to_string()
    };
    let (include, table, database) = (
        filter("include", "include database foo\n"),
        filter("table", "\nexclude table foo\n"),
        filter("database", "exclude database foo\n"),
    );
    let filter_cases: Vec<(Vec<&str>, String, Option<u8>)> = vec![
        (
            vec!["--filter", &include],
            format!("invalid format in filter read from file \"{include}\" on line 1: include filter for \"database\" is not allowed"),
            Some(1),
        ),
        (
            vec!["--filter", &table],
            format!("invalid format in filter read from file \"{table}\" on line 2: unsupported filter object"),
            Some(1),
        ),
        (vec!["-g", "--filter", &database], "option --exclude-database cannot be used together".into(), Some(2)),
    ];
    for (args, message, code) in &filter_cases {
        let out = run(pgark().arg("dumpall").args(args).env("PGHOST", "/nonexistent"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), code.map(i32::from), "{args:?}: {stderr}");
        assert!(stderr.contains(message.as_str()), "{args:?}: {stderr}");
    }
    for (args, message) in cases {
        let out = run(pgark().arg("dumpall").args(*args).env("PGHOST", "/nonexistent"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    // A whole-cluster dump passes the option checks and fails at the connection, as stock.
    let out = run(pgark().args(["dumpall"]).env("PGHOST", "/nonexistent"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("could not connect to databases \"postgres\" or \"template1\""));
}
