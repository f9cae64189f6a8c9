//! `pgark dump` option families against stock pg_dump 18, byte for byte (after the two
//! header version comment lines), on the `basic` and `data` fixtures: full plain dumps
//! with data, selection (-n -N -t -T), content (-s -a -C -O -x -c --if-exists
//! --no-comments --section --quote-all-identifiers), and archives listed by stock
//! `pg_restore -l` and rendered by stock `pg_restore -f`.

use std::process::Command;

use pgark_testkit::roundtrip::unified_diff;
use pgark_testkit::{
    available_majors, must, scratch_dir, stock_listing, stock_tool, without_version_line_bytes,
    without_version_lines, Cluster,
};

const KEY: &str = "pgarkDumpKey0123456789";

/// Option sets stock and pgark must print identically.
const OPTION_SETS: &[&[&str]] = &[
    &[],
    &["--schema-only"],
    &["--data-only"],
    &["-n", "basic"],
    &["-N", "basic"],
    &["-t", "basic.book"],
    &["-T", "basic.book"],
    &["-s", "-T", "basic.author"],
    &["-C"],
    &["-O"],
    &["-x"],
    &["--no-comments"],
    &["-c"],
    &["-c", "--if-exists"],
    &["--section=pre-data"],
    &["--section=data"],
    &["--section=post-data"],
    &["--quote-all-identifiers"],
];

fn pgark() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pgark"))
}

fn plain(cluster: &Cluster, stock: bool, db: &str, opts: &[&str]) -> String {
    let mut cmd = if stock {
        Command::new(stock_tool(18, "pg_dump"))
    } else {
        pgark()
    };
    cluster.apply_env(&mut cmd);
    if !stock {
        cmd.arg("dump");
    }
    cmd.arg(format!("--restrict-key={KEY}")).args(opts).arg(db);
    let who = if stock { "pg_dump" } else { "pgark dump" };
    without_version_lines(&must(&mut cmd, &format!("{who} {opts:?} {db}")).stdout)
}

fn cluster_18() -> Option<Cluster> {
    if !available_majors().contains(&18) {
        assert!(
            std::env::var_os("CI").is_none(),
            "PostgreSQL 18 is not provisioned"
        );
        eprintln!("skipping: PostgreSQL 18 is not provisioned");
        return None;
    }
    Some(Cluster::start(18))
}

#[test]
fn plain_option_sets_match_stock() {
    let Some(cluster) = cluster_18() else { return };
    cluster.load_fixtures("basic", &["basic"]);
    let mut failures = Vec::new();
    for opts in OPTION_SETS {
        let (s, o) = (
            plain(&cluster, true, "basic", opts),
            plain(&cluster, false, "basic", opts),
        );
        if s != o {
            failures.push(format!(
                "options {opts:?}:\n{}",
                unified_diff(&s, &o, "stock", "pgark")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn full_dump_with_data_matches_stock() {
    let Some(cluster) = cluster_18() else { return };
    cluster.load_fixtures("data", &["data"]);
    let (s, o) = (
        plain(&cluster, true, "data", &[]),
        plain(&cluster, false, "data", &[]),
    );
    assert!(s == o, "{}", unified_diff(&s, &o, "stock", "pgark"));
}

/// Dumps `db` with `opts` in `format` by stock pg_dump 18 and by pgark, and returns
/// the differences of stock `pg_restore -l` (dump IDs and creation time dropped) and
/// of stock `pg_restore -f` scripts.
fn archive_differences(cluster: &Cluster, db: &str, format: &str, opts: &[&str]) -> Vec<String> {
    let dir = scratch_dir();
    let stock_path = dir.path().join("stock");
    let ours_path = dir.path().join("pgark");
    let mut s = Command::new(stock_tool(18, "pg_dump"));
    cluster.apply_env(&mut s);
    s.args(["-F", format])
        .args(opts)
        .arg("-f")
        .arg(&stock_path)
        .arg(db);
    must(&mut s, "stock pg_dump archive");
    let mut o = pgark();
    cluster.apply_env(&mut o);
    o.args(["dump", "-F", format])
        .args(opts)
        .arg("-f")
        .arg(&ours_path)
        .arg(db);
    must(&mut o, "pgark dump archive");
    let mut failures = Vec::new();
    let (sl, ol) = (stock_listing(&stock_path), stock_listing(&ours_path));
    if sl != ol {
        failures.push(format!(
            "-F{format} {opts:?} listing:\n{}",
            unified_diff(&sl, &ol, "stock", "pgark")
        ));
    }
    let render = |path: &std::path::Path| {
        let mut cmd = Command::new(stock_tool(18, "pg_restore"));
        cmd.arg(format!("--restrict-key={KEY}"))
            .args(["-f", "-"])
            .arg(path);
        without_version_lines(&must(&mut cmd, "pg_restore -f").stdout)
    };
    let (sr, or) = (render(&stock_path), render(&ours_path));
    if sr != or {
        failures.push(format!(
            "-F{format} {opts:?} script:\n{}",
            unified_diff(&sr, &or, "stock", "pgark")
        ));
    }
    failures
}

#[test]
fn archives_list_and_render_as_stock() {
    let Some(cluster) = cluster_18() else { return };
    cluster.load_fixtures("basic", &["basic"]);
    let failures: Vec<String> = ["c", "d", "t"]
        .iter()
        .flat_map(|format| archive_differences(&cluster, "basic", format, &[]))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `--archive-version=1.14` writes archives that pg_restore 15 (which reads at most
/// 1.14) lists and restores; the default 1.16 is refused by it, which shows the option
/// is what makes the difference.
#[test]
fn archive_version_1_14_is_read_by_pg_restore_15() {
    let Some(cluster) = cluster_18() else { return };
    if !available_majors().contains(&15) {
        return;
    }
    cluster.load_fixtures("basic", &["basic"]);
    let dir = scratch_dir();
    for format in ["c", "d", "t"] {
        let old = dir.path().join(format!("v14-{format}"));
        let new = dir.path().join(format!("v16-{format}"));
        for (path, version) in [(&old, "1.14"), (&new, "1.16")] {
            let mut o = pgark();
            cluster.apply_env(&mut o);
            o.args(["dump", "-F", format, "--archive-version", version, "-f"])
                .arg(path)
                .arg("basic");
            must(&mut o, "pgark dump --archive-version");
        }
        let mut list15 = Command::new(stock_tool(15, "pg_restore"));
        list15.arg("-l").arg(&old);
        let listing = must(&mut list15, "pg_restore 15 -l");
        assert!(
            String::from_utf8_lossy(&listing.stdout).contains("Dump Version: 1.14-0"),
            "-F{format}"
        );
        let refused = Command::new(stock_tool(15, "pg_restore"))
            .arg("-l")
            .arg(&new)
            .output()
            .expect("run pg_restore 15");
        assert!(
            !refused.status.success(),
            "pg_restore 15 must refuse 1.16 (-F{format})"
        );

        let target = format!("v14_{format}");
        cluster.create_database(&target);
        let mut restore = Command::new(stock_tool(15, "pg_restore"));
        cluster.apply_env(&mut restore);
        restore.args(["--exit-on-error", "-d", &target]).arg(&old);
        must(&mut restore, "pg_restore 15 -d");
        assert_eq!(
            cluster.psql(&target, "SELECT count(*) FROM basic.book"),
            cluster.psql("basic", "SELECT count(*) FROM basic.book"),
            "-F{format}"
        );
    }
}

#[test]
fn archive_version_is_validated() {
    let out = pgark()
        .args([
            "dump",
            "-Fc",
            "--archive-version",
            "1.9",
            "-h",
            "/nonexistent",
            "nodb",
        ])
        .output()
        .expect("run pgark");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unsupported archive version \"1.9\""));
}

#[test]
fn conflicting_options_are_refused() {
    let out = pgark()
        .args(["dump", "-s", "-a", "nodb"])
        .output()
        .expect("run pgark");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("-s/--schema-only and -a/--data-only cannot be used together"));
}

/// A small database for the data options: every value style of INSERT output
/// (numbers with NaN/Infinity, booleans, bit strings, domains, text needing quotes),
/// generated and identity columns, a zero-column table, a table of more rows than one
/// cursor batch, inheritance children, a range partition tree and a hash-on-enum one
/// (whose partitions stock always loads through the root), an unlogged table, a column
/// with a compression method, an extension and a file_fdw foreign table.
const DATA_OPTIONS_SQL: &str = r#"
SET client_min_messages = warning;
CREATE SCHEMA opts;
CREATE DOMAIN opts.posint AS integer CHECK (VALUE > 0);
CREATE TYPE opts.color AS ENUM ('red', 'green', 'blue');
CREATE TABLE opts.vals (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    i2 smallint, i8 bigint, n numeric, f4 real, f8 double precision, o oid,
    b boolean, bits bit(4), vb varbit, d opts.posint, t text, by bytea,
    j jsonb, arr integer[], ts timestamptz, c opts.color,
    twice bigint GENERATED ALWAYS AS (i8 * 2) STORED,
    "Mixed Case" text COMPRESSION pglz
);
INSERT INTO opts.vals (i2, i8, n, f4, f8, o, b, bits, vb, d, t, by, j, arr, ts, c, "Mixed Case") VALUES
 (1, 10, 1.5, 1.25, -2.5e-10, 12, true, B'1010', B'1', 5, 'it''s', '\x00ff', '{"a": [1, "x"]}', '{1,NULL,3}', '2024-01-02 03:04:05+00', 'green', 'M'),
 (-2, NULL, 'NaN', 'Infinity', '-Infinity', NULL, false, B'0000', B'', NULL, E'back\\slash\nnew line', NULL, 'null', '{}', 'infinity', 'red', NULL),
 (NULL, 92233720368547758, '-Infinity', 'NaN', 1e300, 0, NULL, NULL, NULL, 7, '', '\x', NULL, NULL, NULL, NULL, 'ünï ✓');
CREATE TABLE opts.nocols ();
INSERT INTO opts.nocols DEFAULT VALUES;
INSERT INTO opts.nocols DEFAULT VALUES;
CREATE TABLE opts.empty (a integer);
CREATE TABLE opts.big (id integer PRIMARY KEY, label text);
INSERT INTO opts.big SELECT i, 'row ' || i FROM generate_series(1, 230) i;
CREATE TABLE opts.parent (id integer, note text);
CREATE TABLE opts.child (extra text) INHERITS (opts.parent);
INSERT INTO opts.parent VALUES (1, 'parent row');
INSERT INTO opts.child VALUES (2, 'child row', 'x');
CREATE TABLE opts.measurement (day date NOT NULL, v integer) PARTITION BY RANGE (day);
CREATE TABLE opts.m2023 PARTITION OF opts.measurement FOR VALUES FROM ('2023-01-01') TO ('2024-01-01') PARTITION BY RANGE (day);
CREATE TABLE opts.m2023h1 PARTITION OF opts.m2023 FOR VALUES FROM ('2023-01-01') TO ('2023-07-01');
CREATE TABLE opts.m2023h2 PARTITION OF opts.m2023 FOR VALUES FROM ('2023-07-01') TO ('2024-01-01');
CREATE TABLE opts.m2024 PARTITION OF opts.measurement FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO opts.measurement VALUES ('2023-02-01', 1), ('2023-08-01', 2), ('2024-03-01', 3);
CREATE TABLE opts.painted (c opts.color, n integer) PARTITION BY HASH (c);
CREATE TABLE opts.painted0 PARTITION OF opts.painted FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE opts.painted1 PARTITION OF opts.painted FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO opts.painted VALUES ('red', 1), ('green', 2), ('blue', 3);
CREATE UNLOGGED TABLE opts.scratch (id integer);
INSERT INTO opts.scratch VALUES (1);
CREATE SEQUENCE opts.counter;
SELECT nextval('opts.counter');
CREATE EXTENSION hstore SCHEMA opts;
CREATE EXTENSION citext SCHEMA public;
CREATE TABLE opts.tagged (id integer, name public.citext, attrs opts.hstore);
INSERT INTO opts.tagged VALUES (1, 'MiXeD', 'a=>1');
CREATE EXTENSION file_fdw;
CREATE SERVER fsrv FOREIGN DATA WRAPPER file_fdw;
CREATE SERVER othersrv FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE opts.ft (a integer, b text) SERVER fsrv
    OPTIONS (program 'printf ''1,x\n2,it\047s\n''', format 'csv');
CREATE FOREIGN TABLE opts.ft_other (a integer) SERVER othersrv OPTIONS (program 'echo 7');
CREATE TABLE opts.cfg (id integer PRIMARY KEY, keep boolean, label text);
INSERT INTO opts.cfg VALUES (1, true, 'kept'), (2, false, 'standard');
CREATE TABLE opts.cfg_ref (id integer REFERENCES opts.cfg, note text);
INSERT INTO opts.cfg_ref VALUES (1, 'refers to kept');
ALTER EXTENSION hstore ADD TABLE opts.cfg;
ALTER EXTENSION hstore ADD TABLE opts.cfg_ref;
-- What pg_extension_config_dump() records, set directly (it only runs in extension scripts).
UPDATE pg_extension SET extconfig = ARRAY['opts.cfg'::regclass::oid, 'opts.cfg_ref'::regclass::oid],
    extcondition = ARRAY['WHERE keep', ''] WHERE extname = 'hstore';
"#;

/// Option sets of the data family, each compared with stock on the plain output.
const DATA_OPTION_SETS: &[&[&str]] = &[
    &["--inserts"],
    &["--column-inserts"],
    &["--rows-per-insert=7"],
    &["--inserts", "--on-conflict-do-nothing"],
    &[
        "--column-inserts",
        "--rows-per-insert=100",
        "--on-conflict-do-nothing",
    ],
    &["--inserts", "--quote-all-identifiers"],
    &["--exclude-table-data=opts.big"],
    &[
        "--exclude-table-data=big",
        "--exclude-table-data=opts.counter",
    ],
    &["--exclude-table-data-and-children=opts.parent"],
    &["--exclude-table-data-and-children=opts.measurement"],
    &["--table-and-children=opts.parent"],
    &["--table-and-children=opts.m2023", "-t", "opts.vals"],
    &["--exclude-table-and-children=opts.measurement"],
    &["--exclude-table-and-children=opts.parent", "-T", "opts.big"],
    &["--load-via-partition-root"],
    &["--load-via-partition-root", "--rows-per-insert=2"],
    &["--no-toast-compression"],
    &["--no-unlogged-table-data"],
    &["-a", "--inserts", "-t", "opts.vals"],
    &["-e", "hstore"],
    &["--exclude-extension=citext"],
    &[
        "-e",
        "*",
        "--exclude-extension=file_fdw",
        "--exclude-extension=hstore",
    ],
    &["--include-foreign-data=fsrv", "--inserts"],
    &["-a", "--include-foreign-data=f*", "--column-inserts"],
    &["-e", "citext", "-n", "opts"],
    &["-a", "--include-foreign-data=fsrv", "-t", "opts.ft*"],
    &["-s"],
    &["--exclude-extension=hstore"],
    &["-T", "opts.cfg", "--inserts"],
    &["-t", "opts.cfg_ref", "-a"],
];

fn data_options_cluster() -> Option<Cluster> {
    let cluster = cluster_18()?;
    cluster.create_database("opts");
    cluster.psql("opts", DATA_OPTIONS_SQL);
    Some(cluster)
}

fn compare_option_sets(cluster: &Cluster, db: &str, sets: &[Vec<String>]) {
    let mut failures = Vec::new();
    for opts in sets {
        let opts: Vec<&str> = opts.iter().map(String::as_str).collect();
        let (s, o) = (
            plain(cluster, true, db, &opts),
            plain(cluster, false, db, &opts),
        );
        if s != o {
            failures.push(format!(
                "options {opts:?}:\n{}",
                unified_diff(&s, &o, "stock", "pgark")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn owned(sets: &[&[&str]]) -> Vec<Vec<String>> {
    sets.iter()
        .map(|s| s.iter().map(|o| o.to_string()).collect())
        .collect()
}

/// INSERT output, data exclusion, table-and-children selection, partition-root
/// loading, `--no-toast-compression`, `--no-unlogged-table-data` and `--filter` files
/// print as stock pg_dump 18's plain output.
#[test]
fn data_option_sets_match_stock() {
    let Some(cluster) = data_options_cluster() else {
        return;
    };
    let mut sets = owned(DATA_OPTION_SETS);
    let dir = scratch_dir();
    let filter = dir.path().join("filter.txt");
    std::fs::write(
        &filter,
        "# pg_dump filter\ninclude table_and_children opts.measurement\ninclude table opts.vals\n\
         exclude table_data opts.m2024\nexclude table_data_and_children opts.m2023\n",
    )
    .expect("write filter");
    sets.push(vec![format!("--filter={}", filter.display())]);
    let filter2 = dir.path().join("filter2.txt");
    std::fs::write(
        &filter2,
        "exclude schema public\nexclude table_and_children opts.parent\nexclude table opts.big\n",
    )
    .expect("write filter");
    sets.push(vec![
        format!("--filter={}", filter2.display()),
        "--inserts".into(),
    ]);
    let filter3 = dir.path().join("filter3.txt");
    std::fs::write(
        &filter3,
        "include extension citext\nexclude extension hstore\ninclude foreign_data fsrv\n",
    )
    .expect("write filter");
    sets.push(vec![
        format!("--filter={}", filter3.display()),
        "--inserts".into(),
    ]);
    compare_option_sets(&cluster, "opts", &sets);
    // The options do what they say (not merely what stock does by accident).
    let inserts = plain(
        &cluster,
        false,
        "opts",
        &["--rows-per-insert=2", "--load-via-partition-root"],
    );
    for expected in [
        "INSERT INTO opts.vals OVERRIDING SYSTEM VALUE VALUES\n\t(",
        "INSERT INTO opts.nocols DEFAULT VALUES;",
        "INSERT INTO opts.measurement VALUES\n\t(",
        "'NaN'",
    ] {
        assert!(inserts.contains(expected), "missing {expected:?}");
    }
    let foreign = plain(
        &cluster,
        false,
        "opts",
        &["-a", "--include-foreign-data=fsrv", "--inserts"],
    );
    assert!(
        foreign.contains("INSERT INTO opts.ft VALUES (2, 'it''s');"),
        "{foreign}"
    );
    assert!(!foreign.contains("opts.ft_other"), "{foreign}");
}

/// pg_dump's refusals of data option combinations, with stock's messages.
#[test]
fn data_option_conflicts_are_refused() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--on-conflict-do-nothing"],
            "option --on-conflict-do-nothing requires option --inserts, --rows-per-insert, or --column-inserts",
        ),
        (&["--rows-per-insert=0"], "--rows-per-insert must be in range 1..2147483647"),
        (
            &["-s", "--include-foreign-data=s"],
            "options -s/--schema-only and --include-foreign-data cannot be used together",
        ),
        (
            &["-Fd", "-j2", "-f", "x", "--include-foreign-data=s"],
            "option --include-foreign-data is not supported with parallel backup",
        ),
    ];
    for (opts, message) in cases {
        let out = pgark()
            .arg("dump")
            .args(*opts)
            .args(["-h", "/nonexistent", "nodb"])
            .output()
            .expect("run pgark");
        assert!(!out.status.success(), "{opts:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(message), "{opts:?}: {err}");
    }
    let dir = scratch_dir();
    let bad = dir.path().join("bad-filter.txt");
    std::fs::write(&bad, "\ninclude table_data t\n").expect("write filter");
    let out = pgark()
        .arg("dump")
        .arg(format!("--filter={}", bad.display()))
        .args(["-h", "/nonexistent", "nodb"])
        .output()
        .expect("run pgark");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("on line 2: include filter for \"table data\" is not allowed"),
        "{err}"
    );
}

/// The large-object lines of a `pg_restore -l` listing (BLOB, BLOBS and the large
/// objects' comments and ACLs), dump IDs dropped.
fn large_object_listing(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter(|l| !l.starts_with(';'))
        .filter_map(|l| l.split_once(' ').map(|(_, rest)| rest.to_string()))
        .filter(|l| l.contains(" BLOB ") || l.contains(" BLOBS ") || l.contains("LARGE OBJECT"))
        .collect()
}

/// Large objects at `--archive-version=1.14`: on a 15 server, pgark's archives carry
/// the same large-object entries as stock pg_dump 15's (one BLOB per object with its
/// comment and ACL, one BLOBS entry), and stock pg_restore 15 restores every object
/// with its contents, owner, comment and grants.
#[test]
fn archive_version_1_14_large_objects_as_pg_dump_15() {
    if !available_majors().contains(&15) {
        assert!(
            std::env::var_os("CI").is_none(),
            "PostgreSQL 15 is not provisioned"
        );
        return;
    }
    let cluster = Cluster::start(15);
    cluster.load_fixtures("lobs", &["large_objects"]);
    let dir = scratch_dir();
    let summary = "SELECT m.oid, pg_catalog.pg_get_userbyid(m.lomowner), m.lomacl, \
                   pg_catalog.md5(pg_catalog.lo_get(m.oid)), \
                   pg_catalog.obj_description(m.oid, 'pg_largeobject') \
                   FROM pg_catalog.pg_largeobject_metadata m ORDER BY 1";
    let expected = cluster.psql("lobs", summary);
    let stock_path = dir.path().join("stock15.dump");
    let mut s = Command::new(stock_tool(15, "pg_dump"));
    cluster.apply_env(&mut s);
    s.args(["-Fc", "-f"]).arg(&stock_path).arg("lobs");
    must(&mut s, "stock pg_dump 15");
    let listing = |path: &std::path::Path| {
        let mut cmd = Command::new(stock_tool(15, "pg_restore"));
        cmd.arg("-l").arg(path);
        String::from_utf8_lossy(&must(&mut cmd, "pg_restore 15 -l").stdout).into_owned()
    };
    let stock_los = large_object_listing(&listing(&stock_path));
    assert!(stock_los.len() > 1500, "stock listing has the objects");
    for format in ["c", "d", "t"] {
        let path = dir.path().join(format!("pgark-{format}"));
        let mut o = pgark();
        cluster.apply_env(&mut o);
        o.args(["dump", "-F", format, "--archive-version=1.14", "-f"])
            .arg(&path)
            .arg("lobs");
        must(&mut o, "pgark dump --archive-version=1.14");
        let ours = listing(&path);
        assert!(ours.contains("Dump Version: 1.14-0"), "-F{format}");
        let ours_los = large_object_listing(&ours);
        assert!(
            ours_los == stock_los,
            "-F{format} large-object entries:\n{}",
            unified_diff(
                &stock_los.join("\n"),
                &ours_los.join("\n"),
                "stock 15",
                "pgark"
            )
        );
        let target = format!("restored_{format}");
        cluster.create_database(&target);
        let mut restore = Command::new(stock_tool(15, "pg_restore"));
        cluster.apply_env(&mut restore);
        restore.args(["--exit-on-error", "-d", &target]).arg(&path);
        must(&mut restore, "pg_restore 15 -d");
        assert_eq!(cluster.psql(&target, summary), expected, "-F{format}");
        // The next restore creates the same large objects again.
        cluster.psql(
            &target,
            "SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata",
        );
    }
}

/// Archives with INSERT data, partition-root loading and data exclusion list and
/// render as stock's, and an `--inserts --load-via-partition-root` archive restored by
/// stock pg_restore 18 (serially and with -j 2) and by pgark restore gives back the
/// database stock pg_dump 18 sees.
#[test]
fn data_option_archives_match_stock_and_round_trip() {
    let Some(cluster) = data_options_cluster() else {
        return;
    };
    let cases: &[(&str, &[&str])] = &[
        (
            "c",
            &[
                "--inserts",
                "--rows-per-insert=3",
                "--on-conflict-do-nothing",
            ],
        ),
        ("d", &["--column-inserts"]),
        ("t", &["--load-via-partition-root"]),
        (
            "c",
            &[
                "--exclude-table-data=opts.big",
                "--table-and-children=opts.measurement",
            ],
        ),
    ];
    let failures: Vec<String> = cases
        .iter()
        .flat_map(|(format, opts)| archive_differences(&cluster, "opts", format, opts))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The configuration tables' extension script does not create them: for the round
    // trip they become ordinary tables.
    cluster.psql(
        "opts",
        "UPDATE pg_extension SET extconfig = NULL, extcondition = NULL WHERE extname = 'hstore'; \
         ALTER EXTENSION hstore DROP TABLE opts.cfg; ALTER EXTENSION hstore DROP TABLE opts.cfg_ref;",
    );
    let dir = scratch_dir();
    let archive = dir.path().join("opts.dump");
    let mut o = pgark();
    cluster.apply_env(&mut o);
    o.args([
        "dump",
        "-Fc",
        "--inserts",
        "--load-via-partition-root",
        "-f",
    ])
    .arg(&archive)
    .arg("opts");
    must(&mut o, "pgark dump --inserts");
    // The hash partition of an enum value depends on the enum's OIDs, which differ in
    // the restored database: rows of opts.painted may move between its partitions.
    let same_rows = ["--exclude-table-data-and-children=opts.painted"];
    let source = plain(&cluster, true, "opts", &same_rows);
    for (target, how) in [("rt_serial", 0), ("rt_parallel", 1), ("rt_pgark", 2)] {
        cluster.create_database(target);
        let mut restore = if how == 2 {
            let mut c = pgark();
            c.arg("restore");
            c
        } else {
            Command::new(stock_tool(18, "pg_restore"))
        };
        cluster.apply_env(&mut restore);
        if how == 1 {
            restore.arg("-j2");
        }
        restore
            .args(["--exit-on-error", "-d", target])
            .arg(&archive);
        must(&mut restore, &format!("restore into {target}"));
        let restored = plain(&cluster, true, target, &same_rows);
        assert!(
            source == restored,
            "{target}:\n{}",
            unified_diff(&source, &restored, "source", target)
        );
    }
}

/// Runs a dump (stock pg_dump 18 or pgark) and returns its raw standard output, or
/// the standard error when it fails.
fn raw_dump(cluster: &Cluster, stock: bool, args: &[&str]) -> Result<Vec<u8>, String> {
    let mut cmd = if stock {
        Command::new(stock_tool(18, "pg_dump"))
    } else {
        let mut c = pgark();
        c.arg("dump");
        c
    };
    cluster.apply_env(&mut cmd);
    if !args.contains(&"-Fc") {
        cmd.arg(format!("--restrict-key={KEY}"));
    }
    let out = cmd.args(args).output().expect("run dump");
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// `-E LATIN1` on a UTF8 database: the plain output (definitions, comments, COPY and
/// INSERT data) and a custom archive rendered by stock pg_restore are byte for byte
/// stock's, in LATIN1; a character LATIN1 lacks fails the dump as it fails stock's.
#[test]
fn client_encoding_latin1_matches_stock() {
    let Some(cluster) = data_options_cluster() else {
        return;
    };
    cluster.create_database("enc");
    cluster.psql(
        "enc",
        "CREATE SCHEMA \"café\"; COMMENT ON SCHEMA \"café\" IS 'Ça va, à bientôt';\
         CREATE TABLE \"café\".\"crème\" (\"prénom\" text, n integer DEFAULT 1);\
         INSERT INTO \"café\".\"crème\" VALUES ('brûlée ÿ', 1), (E'tab\\tÆ', 2), (NULL, 3);",
    );
    let mut failures = Vec::new();
    for opts in [
        &["-E", "LATIN1"][..],
        &["-E", "latin1", "--inserts"],
        &["--encoding=LATIN1", "-a"],
        &["-E", "WIN1252", "--inserts"],
        &["-E", "LATIN9"],
    ] {
        let args: Vec<&str> = opts.iter().copied().chain(["enc"]).collect();
        let stock = raw_dump(&cluster, true, &args).expect("stock pg_dump -E");
        let ours = raw_dump(&cluster, false, &args).expect("pgark dump -E");
        assert!(stock.contains(&0xe9), "stock output is LATIN1");
        let (s, o) = (
            without_version_line_bytes(&stock),
            without_version_line_bytes(&ours),
        );
        if s != o {
            failures.push(format!(
                "{opts:?}:\n{}",
                unified_diff(
                    &String::from_utf8_lossy(&s),
                    &String::from_utf8_lossy(&o),
                    "stock",
                    "pgark"
                )
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    let dir = scratch_dir();
    let render = |stock: bool| {
        let path = dir
            .path()
            .join(if stock { "stock.dump" } else { "pgark.dump" });
        let path_text = path.display().to_string();
        raw_dump(
            &cluster,
            stock,
            &["-Fc", "-E", "LATIN1", "-f", &path_text, "enc"],
        )
        .expect("archive dump");
        let mut cmd = Command::new(stock_tool(18, "pg_restore"));
        cmd.arg(format!("--restrict-key={KEY}"))
            .args(["-f", "-"])
            .arg(&path);
        without_version_line_bytes(&must(&mut cmd, "pg_restore -f").stdout)
    };
    let (s, o) = (render(true), render(false));
    assert!(
        s == o,
        "-Fc -E LATIN1:\n{}",
        unified_diff(
            &String::from_utf8_lossy(&s),
            &String::from_utf8_lossy(&o),
            "stock",
            "pgark"
        )
    );

    // A LATIN1 database dumps in LATIN1 without -E (its encoding is the default).
    cluster.psql(
        "postgres",
        "CREATE DATABASE latin ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0",
    );
    cluster.psql(
        "latin",
        "CREATE SCHEMA \"café\"; CREATE TABLE \"café\".\"crème\" (\"prénom\" text); \
         INSERT INTO \"café\".\"crème\" VALUES ('brûlée');",
    );
    for opts in [&["latin"][..], &["-E", "UTF8", "latin"]] {
        let stock = raw_dump(&cluster, true, opts).expect("stock pg_dump latin");
        let ours = raw_dump(&cluster, false, opts).expect("pgark dump latin");
        let (s, o) = (
            without_version_line_bytes(&stock),
            without_version_line_bytes(&ours),
        );
        assert!(
            s == o,
            "{opts:?}:\n{}",
            unified_diff(
                &String::from_utf8_lossy(&s),
                &String::from_utf8_lossy(&o),
                "stock",
                "pgark"
            )
        );
    }

    // opts.vals holds a check mark, which LATIN1 lacks.
    let stock_err = raw_dump(&cluster, true, &["-E", "LATIN1", "opts"]).expect_err("stock fails");
    let ours_err = raw_dump(&cluster, false, &["-E", "LATIN1", "opts"]).expect_err("pgark fails");
    let lacks = "character with byte sequence 0xe2 0x9c 0x93 in encoding \"UTF8\" has no equivalent in encoding \"LATIN1\"";
    assert!(stock_err.contains(lacks), "{stock_err}");
    assert!(ours_err.contains(lacks), "{ours_err}");
    // KOI8R lacks the accented letters.
    let stock_err = raw_dump(&cluster, true, &["-E", "KOI8R", "enc"]).expect_err("stock fails");
    let ours_err = raw_dump(&cluster, false, &["-E", "KOI8R", "enc"]).expect_err("pgark fails");
    let lacks = "has no equivalent in encoding \"KOI8R\"";
    assert!(stock_err.contains(lacks), "{stock_err}");
    assert!(ours_err.contains(lacks), "{ours_err}");
    let invalid = raw_dump(&cluster, false, &["-E", "klingon", "enc"]).expect_err("bad name");
    assert!(
        invalid.contains("invalid client encoding \"klingon\" specified"),
        "{invalid}"
    );
}
