//! Tests of the kit itself: clusters of several majors side by side, tools, fixtures, cleanup.

use std::path::PathBuf;

use pgark_testkit::{available_majors, fixtures, stock_tool, Cluster};

fn kit_fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
}

/// Majors this test needs; in CI (CI set) a missing one fails the test instead of skipping it.
fn require(majors: &[u32]) -> bool {
    let have = available_majors();
    let missing: Vec<u32> = majors
        .iter()
        .copied()
        .filter(|m| !have.contains(m))
        .collect();
    if missing.is_empty() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("PostgreSQL majors {missing:?} not provisioned (run scripts/postgres.sh)");
    }
    eprintln!("skipping: PostgreSQL majors {missing:?} not provisioned");
    false
}

#[test]
fn clusters_of_14_and_18_run_side_by_side() {
    if !require(&[14, 18]) {
        return;
    }
    let old = Cluster::start(14);
    let new = Cluster::start(18);
    assert_ne!(old.port(), new.port());
    assert_ne!(old.socket_dir(), new.socket_dir());
    assert!(old
        .psql("postgres", "show server_version")
        .starts_with("14."));
    assert!(new
        .psql("postgres", "show server_version")
        .starts_with("18."));
    // TCP on 127.0.0.1 works too, not only the socket.
    let mut tcp = old.tool("psql");
    tcp.args([
        "-X",
        "-At",
        "-h",
        "127.0.0.1",
        "-p",
        &old.port().to_string(),
        "-c",
        "select 7*6",
    ]);
    let out = tcp.output().expect("run psql over TCP");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "42");
    assert_eq!(new.psql("postgres", "show fsync"), "off");
}

#[test]
fn tiny_fixture_loads_and_tools_see_it() {
    let major = *available_majors()
        .last()
        .expect("no PostgreSQL provisioned (run scripts/postgres.sh)");
    let cluster = Cluster::start(major);
    let all = fixtures::all_in(&kit_fixture_dir());
    let tiny: Vec<_> = all
        .iter()
        .filter(|f| f.name == "kit_tiny")
        .cloned()
        .collect();
    assert_eq!(tiny.len(), 1);
    assert_eq!(tiny[0].min_major, 14);
    assert!(tiny[0].description.starts_with("a tiny schema"));
    cluster.load_fixture_files("tiny", &tiny);
    assert_eq!(
        cluster.psql("tiny", "select count(*), max(label) from kit_items"),
        "100|item 99"
    );

    // tool(): a stock pg_dump of this major reaches the cluster through PGHOST/PGPORT/PGUSER.
    let out = cluster
        .tool("pg_dump")
        .args(["--schema-only", "tiny"])
        .env("PGDATABASE", "must_be_removed")
        .output()
        .expect("run pg_dump");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dump = String::from_utf8_lossy(&out.stdout);
    assert!(dump.contains("CREATE TABLE public.kit_items"), "{dump}");

    // conn_args() with an explicit client path.
    let out = std::process::Command::new(stock_tool(major, "psql"))
        .args(cluster.conn_args("tiny"))
        .args(["-X", "-At", "-c", "select count(*) from kit_item_labels"])
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "100");
}

#[test]
fn older_client_of_another_major_reaches_the_cluster() {
    let majors = available_majors();
    if majors.len() < 2 {
        eprintln!("skipping: needs two majors");
        return;
    }
    let (client, server) = (majors[majors.len() - 1], majors[0]);
    let cluster = Cluster::start(server);
    let out = cluster
        .tool_of(client, "psql")
        .args(["-X", "-At", "-c", "show server_version_num"])
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let num: u32 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a number");
    assert_eq!(num / 10000, server);
}

#[test]
#[should_panic(expected = "needs PostgreSQL 99 or newer")]
fn fixture_newer_than_the_cluster_is_refused() {
    let major = *available_majors()
        .first()
        .expect("no PostgreSQL provisioned");
    let cluster = Cluster::start(major);
    let newer = fixtures::parse(&kit_fixture_dir().join("kit_newer.sql"));
    cluster.load_fixture_files("newer", &[newer]);
}

#[test]
fn psql_failure_panics_with_the_server_error() {
    let major = *available_majors()
        .first()
        .expect("no PostgreSQL provisioned");
    let cluster = Cluster::start(major);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        cluster.psql("postgres", "select * from no_such_table")
    }));
    let message = result.expect_err("psql must fail");
    let text = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        text.contains("no_such_table"),
        "panic message lacks the server error: {text}"
    );
}

#[test]
fn drop_stops_the_server_and_removes_the_directory() {
    let major = *available_majors()
        .first()
        .expect("no PostgreSQL provisioned");
    let cluster = Cluster::start(major);
    let dir = cluster.socket_dir().to_path_buf();
    let port = cluster.port();
    let pid_file = cluster.data_dir().join("postmaster.pid");
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .expect("postmaster.pid")
        .lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .expect("pid on first line");
    drop(cluster);
    assert!(!dir.exists(), "{} still exists", dir.display());
    // Gone, or a zombie waiting for init to reap it (state Z in /proc/<pid>/stat).
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let alive = state
        .rsplit_once(") ")
        .is_some_and(|(_, rest)| !rest.starts_with('Z'));
    assert!(!alive, "postmaster {pid} still running: {state}");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "port {port} still accepts"
    );
}

#[tokio::test]
async fn connect_gives_a_working_client() {
    let major = *available_majors()
        .last()
        .expect("no PostgreSQL provisioned");
    let cluster = Cluster::start(major);
    let client = cluster.connect("postgres").await;
    let row = client
        .query_one("select current_user::text, 40 + 2", &[])
        .await
        .expect("query");
    assert_eq!(row.get::<_, String>(0), "postgres");
    assert_eq!(row.get::<_, i32>(1), 42);
}

#[test]
fn repo_fixtures_have_valid_headers() {
    // Parses every fixture in <repo>/fixtures (panics on a bad header); fine when there are none yet.
    for fixture in fixtures::all() {
        assert!(
            (14..=18).contains(&fixture.min_major),
            "{}: min-version {}",
            fixture.name,
            fixture.min_major
        );
        assert!(
            !fixture.description.is_empty(),
            "{}: no -- description: header",
            fixture.name
        );
    }
}
