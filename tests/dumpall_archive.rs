//! Cluster archives (`pgark dumpall -F c|d|t -f DIR`, beyond stock) and their restore
//! (`pgark restore -d postgres DIR`): a cluster with roles, fixture databases, a table
//! in `postgres` and a database whose name is a hostile path is archived, restored into
//! an empty cluster and checked database by database (round-trip snapshots) and by a
//! diff of `--globals-only` before and after; a second archive is restored over it
//! with `--clean`; stock pg_restore 18 restores each per-database archive.

use std::path::Path;
use std::process::{Command, Output};

use pgark_testkit::roundtrip::{compare_snapshots, unified_diff, DatabaseSnapshot};
use pgark_testkit::{available_majors, scratch_dir, Cluster};

const KEY: &str = "pgarkArchiveKey7";
/// A database name that would escape the archive directory if it were used as a path.
const HOSTILE: &str = "../pgark \"odd\"/db";

fn pgark(cluster: &Cluster, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgark"));
    cluster.apply_env(&mut cmd);
    cmd.args(args).output().expect("run pgark")
}

fn pgark_ok(cluster: &Cluster, args: &[&str]) -> Output {
    let out = pgark(cluster, args);
    assert!(
        out.status.success(),
        "pgark {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn connectable_databases(cluster: &Cluster) -> Vec<String> {
    cluster
        .psql(
            "postgres",
            "SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname",
        )
        .lines()
        .map(str::to_string)
        .collect()
}

fn globals(cluster: &Cluster) -> Vec<u8> {
    pgark_ok(
        cluster,
        &["dumpall", "--globals-only", "--restrict-key", KEY],
    )
    .stdout
}

/// Every database of `source` equals its namesake in `target`, and so do the globals.
fn assert_same_cluster(source: &Cluster, target: &Cluster, work: &Path) {
    let databases = connectable_databases(source);
    assert_eq!(databases, connectable_databases(target));
    assert!(databases.iter().any(|d| d == HOSTILE), "{databases:?}");
    for db in &databases {
        let before = DatabaseSnapshot::take(source, db, 18).expect("snapshot source");
        let after = DatabaseSnapshot::take(target, db, 18).expect("snapshot target");
        let comparison = compare_snapshots(&before, &after, &work.join(format!("cmp{}", db.len())))
            .expect("compare snapshots");
        assert!(
            comparison.is_equal(),
            "database {db} differs after restore: {:#?}",
            comparison.mismatches
        );
    }
    let (before, after) = (globals(source), globals(target));
    assert!(
        before == after,
        "globals differ after restore:\n{}",
        unified_diff(
            &String::from_utf8_lossy(&before),
            &String::from_utf8_lossy(&after),
            "source",
            "target"
        )
    );
}

/// The archive's layout: the manifest, the globals script, and one archive per database
/// named by OID under `databases/`; returns the database archives' paths.
fn check_layout(dir: &Path, extension: Option<&str>) -> Vec<std::path::PathBuf> {
    let mut top: Vec<String> = std::fs::read_dir(dir)
        .expect("read archive dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["databases", "globals.sql", "pgark-cluster.txt"]);
    let manifest = std::fs::read_to_string(dir.join("pgark-cluster.txt")).expect("manifest");
    assert!(
        manifest.contains("\"../pgark \\\"odd\\\"/db\""),
        "{manifest}"
    );
    let globals = std::fs::read_to_string(dir.join("globals.sql")).expect("globals");
    assert!(globals.contains("CREATE ROLE pgark_admin;"), "{globals}");
    let mut archives = Vec::new();
    for entry in std::fs::read_dir(dir.join("databases")).expect("read databases dir") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let (stem, ext) = match name.split_once('.') {
            Some((stem, ext)) => (stem.to_string(), Some(ext.to_string())),
            None => (name.clone(), None),
        };
        assert!(stem.bytes().all(|b| b.is_ascii_digit()), "{name}");
        assert_eq!(ext.as_deref(), extension, "{name}");
        assert!(
            manifest.contains(&format!(" databases/{name} ")),
            "{name} not in {manifest}"
        );
        archives.push(path);
    }
    // template1, postgres, fx_basic, fx privileges and the hostile one.
    assert_eq!(archives.len(), 5, "{manifest}");
    archives.sort();
    archives
}

#[test]
fn cluster_archive_round_trip() {
    if !available_majors().contains(&18) {
        eprintln!("skipping: PostgreSQL 18 is not provisioned");
        return;
    }
    let source = Cluster::start(18);
    // Roles in name order (a policy's role list prints in role-OID order, and a restore
    // creates roles in name order); the fixture skips roles that exist.
    source.psql(
        "postgres",
        "CREATE ROLE pgark_admin NOLOGIN; CREATE ROLE pgark_auditor NOLOGIN; \
         CREATE ROLE pgark_owner NOLOGIN; CREATE ROLE pgark_reader NOLOGIN; \
         CREATE ROLE pgark_tenant NOLOGIN; CREATE ROLE pgark_writer NOLOGIN; \
         ALTER ROLE pgark_reader SET work_mem = '2MB'",
    );
    source.load_fixtures("fx_basic", &["basic", "partitions"]);
    source.load_fixtures("fx privileges", &["privileges"]);
    source.create_database(HOSTILE);
    source.psql(
        HOSTILE,
        "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'a'), (2, 'b'); \
         COMMENT ON TABLE t IS 'in a hostile database'",
    );
    source.psql(
        "postgres",
        "CREATE TABLE in_postgres (id int PRIMARY KEY, note text); \
         INSERT INTO in_postgres VALUES (1, 'kept'), (2, NULL); \
         ALTER DATABASE \"fx_basic\" SET work_mem = '3MB'; \
         COMMENT ON DATABASE \"fx privileges\" IS 'commented'",
    );
    let work = scratch_dir();

    // Directory format, two databases at once, restored two at once.
    let dir = work.path().join("cluster_d");
    let dir_s = dir.display().to_string();
    pgark_ok(
        &source,
        &[
            "dumpall",
            "-F",
            "d",
            "-j",
            "2",
            "-f",
            &dir_s,
            "--restrict-key",
            KEY,
        ],
    );
    let archives = check_layout(&dir, None);
    let target = Cluster::start(18);
    let out = pgark_ok(&target, &["restore", "-d", "postgres", "-j", "2", &dir_s]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("error"), "{stderr}");
    assert_same_cluster(&source, &target, work.path());

    // Tar format restored over the restored cluster with --clean: every database is
    // dropped and recreated (template1 and postgres too), nothing is duplicated.
    let tar = work.path().join("cluster_t");
    let tar_s = tar.display().to_string();
    pgark_ok(&source, &["dumpall", "-F", "t", "-f", &tar_s]);
    check_layout(&tar, Some("tar"));
    let out = pgark_ok(
        &target,
        &[
            "restore",
            "-d",
            "postgres",
            "--clean",
            "--if-exists",
            "-j",
            "2",
            &tar_s,
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("error"), "{stderr}");
    assert_same_cluster(&source, &target, work.path());

    // Custom format: each database's archive is a standard one stock pg_restore 18
    // lists and restores; the copy equals the source database.
    let custom = work.path().join("cluster_c");
    let custom_s = custom.display().to_string();
    pgark_ok(&source, &["dumpall", "-Fc", "-Z", "0", "-f", &custom_s]);
    let archives_c = check_layout(&custom, Some("dump"));
    assert_eq!(archives.len(), archives_c.len());
    let manifest = std::fs::read_to_string(custom.join("pgark-cluster.txt")).expect("manifest");
    for line in manifest.lines().filter(|l| l.starts_with("database ")) {
        let mut fields = line.splitn(4, ' ');
        let (_, oid, path) = (fields.next(), fields.next(), fields.next());
        let (oid, path) = (oid.expect("oid"), path.expect("path"));
        let archive = custom.join(path);
        let mut list = target.tool_of(18, "pg_restore");
        list.arg("-l").arg(&archive);
        let listed = list.output().expect("pg_restore -l");
        assert!(
            listed.status.success(),
            "{}",
            String::from_utf8_lossy(&listed.stderr)
        );
        let source_db = source.psql(
            "postgres",
            &format!("SELECT datname FROM pg_database WHERE oid = {oid}"),
        );
        let copy = format!("stock_copy_{oid}");
        target.create_database(&copy);
        let mut restore = target.tool_of(18, "pg_restore");
        restore.args(["-d", &copy]).arg(&archive);
        let restored = restore.output().expect("pg_restore -d");
        assert!(
            restored.status.success(),
            "stock pg_restore of {path} ({source_db}): {}",
            String::from_utf8_lossy(&restored.stderr)
        );
        let before = DatabaseSnapshot::take(&source, &source_db, 18).expect("snapshot source");
        let after = DatabaseSnapshot::take(&target, &copy, 18).expect("snapshot copy");
        let comparison = compare_snapshots(&before, &after, &work.path().join(&copy))
            .expect("compare snapshots");
        assert!(
            comparison.is_equal(),
            "stock pg_restore of {source_db}'s archive differs: {:#?}",
            comparison.mismatches
        );
    }
    // -f: one script, shaped as pg_dumpall's, that psql restores into an empty cluster.
    let script = work.path().join("cluster.sql");
    let script_s = script.display().to_string();
    pgark_ok(&target, &["restore", "-f", &script_s, &tar_s]);
    let third = Cluster::start(18);
    let mut psql = third.tool_of(18, "psql");
    psql.args(["-X", "-q", "-d", "postgres", "-f", &script_s]);
    let restored = psql.output().expect("run psql");
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let errors: Vec<String> = String::from_utf8_lossy(&restored.stderr)
        .lines()
        .filter(|l| l.contains("ERROR") && !l.contains("role \"postgres\" already exists"))
        .map(str::to_string)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_same_cluster(&source, &third, work.path());
    drop(third);

    // -g: the globals only, the same script as plain `pgark dumpall -g`.
    let globals_dir = work.path().join("cluster_g");
    let globals_s = globals_dir.display().to_string();
    pgark_ok(
        &source,
        &[
            "dumpall",
            "-g",
            "-F",
            "d",
            "-f",
            &globals_s,
            "--restrict-key",
            KEY,
        ],
    );
    let manifest =
        std::fs::read_to_string(globals_dir.join("pgark-cluster.txt")).expect("manifest");
    assert!(!manifest.contains("\ndatabase "), "{manifest}");
    assert_eq!(
        std::fs::read(globals_dir.join("globals.sql")).expect("globals.sql"),
        globals(&source)
    );

    let listed = pgark_ok(&target, &["restore", "-l", &custom_s]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("\"../pgark \\\"odd\\\"/db\""));
}

/// Option checks of cluster archives, before anything connects or is written.
#[test]
fn cluster_archive_option_errors() {
    let work = scratch_dir();
    let exists = work.path().join("not_empty");
    std::fs::create_dir(&exists).expect("mkdir");
    std::fs::write(exists.join("file"), "x").expect("write");
    let exists = exists.display().to_string();
    let cases: &[(&[&str], &str, i32)] = &[
        (&["-F", "d"], "needs an output directory", 2),
        (
            &["-j", "2"],
            "option -j/--jobs requires a cluster archive format",
            2,
        ),
        (
            &["-Z", "1"],
            "option -Z/--compress requires a cluster archive format",
            2,
        ),
        (&["-F", "d", "-f", &exists], "File exists", 1),
        (
            &["-F", "c", "-f", "/nonexistent/x", "--binary-upgrade"],
            "--binary-upgrade of databases",
            2,
        ),
        (&["--binary-upgrade"], "--binary-upgrade of databases", 2),
    ];
    for (args, message, code) in cases {
        let out = Command::new(env!("CARGO_BIN_EXE_pgark"))
            .arg("dumpall")
            .args(*args)
            .env("PGHOST", "/nonexistent")
            .output()
            .expect("run pgark");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(*code), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}
