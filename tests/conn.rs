//! `pgark::conn` against throwaway clusters: sockets, TCP, URIs, service files, password
//! authentication (SCRAM, md5, pgpass, prompts), sslmodes with certificates made here, and
//! failure messages compared with what the stock pg_dump prints for the same failure.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pgark::cli::connection::ConnectionArgs;
use pgark::conn::{ConnectOptions, Connection, HostKind, MapEnv, ScriptedTerminal};
use pgark_testkit::{available_majors, Cluster};

/// A port in conn's range that nothing listens on.
const DEAD_PORT: u16 = 55399;

fn newest_major() -> u32 {
    *available_majors()
        .last()
        .expect("no PostgreSQL provisioned (scripts/postgres.sh)")
}

fn args(host: Option<&str>, port: Option<u16>, user: Option<&str>) -> ConnectionArgs {
    ConnectionArgs {
        host: host.map(Into::into),
        port: port.map(|p| p.to_string()),
        username: user.map(Into::into),
        ..ConnectionArgs::default()
    }
}

/// An environment whose default socket directory is the cluster's, with nothing else set.
fn env_for(cluster: &Cluster) -> MapEnv {
    let mut env = MapEnv::new();
    env.socket_dir = cluster.socket_dir().to_path_buf();
    env.user = Some("osuser".into());
    env
}

fn socket(cluster: &Cluster) -> String {
    cluster.socket_dir().display().to_string()
}

async fn connect(
    args: &ConnectionArgs,
    db: Option<&str>,
    env: &MapEnv,
) -> pgark::Result<Connection> {
    ConnectOptions::resolve(args, db, "pg_dump", env)?
        .connect()
        .await
}

async fn must_connect(args: &ConnectionArgs, db: Option<&str>, env: &MapEnv) -> Connection {
    match connect(args, db, env).await {
        Ok(connection) => connection,
        Err(e) => panic!("connecting with {args:?} db {db:?} failed: {e}"),
    }
}

async fn must_fail(args: &ConnectionArgs, db: Option<&str>, env: &MapEnv) -> pgark::Error {
    match connect(args, db, env).await {
        Ok(connection) => panic!(
            "connecting with {args:?} db {db:?} worked: {:?}",
            connection.server
        ),
        Err(e) => e,
    }
}

async fn value(connection: &Connection, sql: &str) -> String {
    let messages = connection
        .client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    messages
        .iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => {
                Some(row.get(0).unwrap_or("").to_string())
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("{sql}: no row"))
}

/// What the stock pg_dump of the cluster's major prints for a connection failure, without
/// its `pg_dump: error: ` prefix (libpq's hint lines, which start with a tab, included).
fn stock_failure(cluster: &Cluster, tool_args: &[&str], envs: &[(&str, &str)]) -> String {
    let mut cmd = cluster.tool("pg_dump");
    cmd.env_remove("PGHOST")
        .env_remove("PGPORT")
        .env_remove("PGUSER");
    for (name, value) in envs {
        cmd.env(name, value);
    }
    cmd.args(["-w", "--schema-only", "-f", "/dev/null"])
        .args(tool_args);
    let out = cmd.output().expect("run stock pg_dump");
    assert!(
        !out.status.success(),
        "stock pg_dump {tool_args:?} unexpectedly worked"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr
        .lines()
        .map(|line| line.strip_prefix("pg_dump: error: ").unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Rewrites pg_hba.conf and reloads. The socket line for the superuser stays trusting, so
/// the test kit's psql keeps working.
fn set_hba(cluster: &Cluster, rules: &str) {
    let text = format!("local all postgres trust\n{rules}\n");
    std::fs::write(cluster.data_dir().join("pg_hba.conf"), text).expect("write pg_hba.conf");
    cluster.psql("postgres", "SELECT pg_reload_conf()");
    // The postmaster rereads the file on SIGHUP, shortly after the call returns.
    std::thread::sleep(Duration::from_millis(700));
}

/// Writes a file into the data directory owned by the server's OS user, mode 0600.
fn write_server_file(cluster: &Cluster, name: &str, text: &str) {
    let path = cluster.data_dir().join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let meta = std::fs::metadata(cluster.data_dir()).expect("stat data dir");
    std::os::unix::fs::chown(&path, Some(meta.uid()), Some(meta.gid())).expect("chown");
}

fn write_private(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    path
}

#[tokio::test]
async fn connects_over_socket_tcp_uri_and_service() {
    let cluster = Cluster::start(newest_major());
    let port = cluster.port();
    let env = env_for(&cluster);

    // -h SOCKETDIR -p PORT -U postgres
    let mut conn = must_connect(
        &args(Some(&socket(&cluster)), Some(port), Some("postgres")),
        Some("postgres"),
        &env,
    )
    .await;
    assert_eq!(value(&conn, "SELECT current_database()").await, "postgres");
    assert_eq!(value(&conn, "SHOW application_name").await, "pg_dump");
    assert!(matches!(conn.server.target.kind, HostKind::Socket(_)));
    assert!(!conn.server.tls);
    // Server notices arrive on the notices channel.
    conn.client
        .batch_execute("DO $$BEGIN RAISE NOTICE 'hello from the server'; END$$")
        .await
        .expect("raise a notice");
    let notice = tokio::time::timeout(Duration::from_secs(5), conn.notices.recv())
        .await
        .expect("a notice within 5 s")
        .expect("the notice channel is open");
    assert_eq!(notice.message(), "hello from the server");

    // No -h: the default socket directory; user and port from the environment; dbname = user.
    let env_vars = env
        .clone()
        .with("PGPORT", &port.to_string())
        .with("PGUSER", "postgres");
    let conn = must_connect(&ConnectionArgs::default(), None, &env_vars).await;
    assert_eq!(value(&conn, "SELECT current_database()").await, "postgres");

    // TCP, with PGOPTIONS and PGAPPNAME.
    let env_tcp = env
        .clone()
        .with("PGOPTIONS", "-c search_path=elsewhere")
        .with("PGAPPNAME", "from_env");
    let conn = must_connect(
        &args(Some("127.0.0.1"), Some(port), Some("postgres")),
        Some("template1"),
        &env_tcp,
    )
    .await;
    assert_eq!(value(&conn, "SELECT current_database()").await, "template1");
    assert_eq!(value(&conn, "SHOW search_path").await, "elsewhere");
    assert_eq!(value(&conn, "SHOW application_name").await, "from_env");
    assert_eq!(conn.server.address, Some("127.0.0.1".parse().expect("ip")));

    // localhost resolves (possibly to ::1 first, where nothing listens: the next address works).
    let conn = must_connect(
        &args(Some("localhost"), Some(port), Some("postgres")),
        Some("postgres"),
        &env,
    )
    .await;
    assert_eq!(value(&conn, "SELECT 1").await, "1");

    // A URI with a percent-encoded socket directory and a query parameter; -h is overridden.
    let uri = format!(
        "postgresql://postgres@{}:{port}/template1?application_name=from_uri",
        socket(&cluster).replace('/', "%2F")
    );
    let conn = must_connect(&args(Some("/nonexistent"), None, None), Some(&uri), &env).await;
    assert_eq!(value(&conn, "SELECT current_database()").await, "template1");
    assert_eq!(value(&conn, "SHOW application_name").await, "from_uri");

    // A key=value string naming a service from PGSERVICEFILE.
    let dir = tempfile::tempdir().expect("tempdir");
    let services = dir.path().join("services.conf");
    std::fs::write(
        &services,
        format!("[ark]\nhost=127.0.0.1\nport={port}\nuser=postgres\ndbname=template1\n"),
    )
    .expect("write service file");
    let env_svc = env
        .clone()
        .with("PGSERVICEFILE", &services.display().to_string());
    let conn = must_connect(&ConnectionArgs::default(), Some("service=ark"), &env_svc).await;
    assert_eq!(value(&conn, "SELECT current_database()").await, "template1");

    // Several hosts: the dead one is skipped.
    let conn = must_connect(
        &ConnectionArgs::default(),
        Some(&format!(
            "host=127.0.0.1,{} port={DEAD_PORT},{port} user=postgres dbname=postgres",
            socket(&cluster)
        )),
        &env,
    )
    .await;
    assert!(matches!(conn.server.target.kind, HostKind::Socket(_)));

    // for_database keeps every other setting.
    let options = ConnectOptions::resolve(
        &args(Some("127.0.0.1"), Some(port), Some("postgres")),
        Some("postgres"),
        "pg_dumpall",
        &env,
    )
    .expect("resolve");
    let other = options
        .for_database("template1")
        .connect()
        .await
        .expect("connect to template1");
    assert_eq!(
        value(&other, "SELECT current_database()").await,
        "template1"
    );
    assert_eq!(value(&other, "SHOW application_name").await, "pg_dumpall");

    // target_session_attrs: a primary is read-write and not a standby.
    let conn = must_connect(
        &args(Some(&socket(&cluster)), Some(port), Some("postgres")),
        Some("target_session_attrs=read-write dbname=postgres"),
        &env,
    )
    .await;
    assert_eq!(value(&conn, "SELECT 1").await, "1");
    let err = must_fail(
        &args(Some(&socket(&cluster)), Some(port), Some("postgres")),
        Some("target_session_attrs=standby dbname=postgres"),
        &env,
    )
    .await;
    assert!(
        err.to_string()
            .ends_with("failed: server is not in hot standby mode"),
        "{err}"
    );
}

#[tokio::test]
async fn failures_read_like_stock_pg_dump() {
    let cluster = Cluster::start(newest_major());
    let port = cluster.port();
    let env = env_for(&cluster);
    let port_text = port.to_string();
    let dead = DEAD_PORT.to_string();

    // Nothing listening on a TCP port.
    let err = must_fail(
        &args(Some("127.0.0.1"), Some(DEAD_PORT), Some("postgres")),
        Some("postgres"),
        &env,
    )
    .await;
    assert_eq!(err.exit_code(), 1);
    let stock = stock_failure(
        &cluster,
        &["-h", "127.0.0.1", "-p", &dead, "-U", "postgres", "postgres"],
        &[],
    );
    assert_eq!(err.to_string(), stock);
    assert_eq!(
        stock,
        format!(
            "connection to server at \"127.0.0.1\", port {DEAD_PORT} failed: Connection refused\n\
             \tIs the server running on that host and accepting TCP/IP connections?"
        )
    );
    // The same through a host name: name and address, then the hint.
    let err = must_fail(
        &args(Some("localhost"), Some(DEAD_PORT), Some("postgres")),
        Some("postgres"),
        &env,
    )
    .await;
    let stock = stock_failure(
        &cluster,
        &["-h", "localhost", "-p", &dead, "-U", "postgres", "postgres"],
        &[],
    );
    assert_eq!(err.to_string(), stock);
    assert!(
        stock.ends_with("\tIs the server running on that host and accepting TCP/IP connections?"),
        "{stock}"
    );

    // No socket in a directory.
    let err = must_fail(
        &args(Some("/nonexistent"), Some(5432), Some("postgres")),
        Some("postgres"),
        &env,
    )
    .await;
    let stock = stock_failure(
        &cluster,
        &[
            "-h",
            "/nonexistent",
            "-p",
            "5432",
            "-U",
            "postgres",
            "postgres",
        ],
        &[],
    );
    assert_eq!(err.to_string(), stock);
    assert_eq!(
        stock,
        "connection to server on socket \"/nonexistent/.s.PGSQL.5432\" failed: No such file or directory\n\
         \tIs the server running locally and accepting connections on that socket?"
    );
    // Several hosts: each failure in turn, each with its hint, the first with the prefix.
    let hosts = "127.0.0.1,/nonexistent".to_string();
    let ports = format!("{DEAD_PORT},5432");
    let both = ConnectionArgs {
        host: Some(hosts.clone()),
        port: Some(ports.clone()),
        ..args(None, None, Some("postgres"))
    };
    let err = must_fail(&both, Some("postgres"), &env).await;
    let stock = stock_failure(
        &cluster,
        &["-h", &hosts, "-p", &ports, "-U", "postgres", "postgres"],
        &[],
    );
    assert_eq!(err.to_string(), stock);
    assert_eq!(stock.lines().count(), 4, "{stock}");

    // A database that does not exist.
    let sock = socket(&cluster);
    let err = must_fail(
        &args(Some(&sock), Some(port), Some("postgres")),
        Some("nope"),
        &env,
    )
    .await;
    let stock = stock_failure(
        &cluster,
        &["-h", &sock, "-p", &port_text, "-U", "postgres", "nope"],
        &[],
    );
    assert_eq!(err.to_string(), stock);
    assert!(
        stock.ends_with("failed: FATAL:  database \"nope\" does not exist"),
        "{stock}"
    );
    match &err {
        pgark::Error::Connect { failures } => {
            assert_eq!(failures[0].sqlstate.as_deref(), Some("3D000"))
        }
        other => panic!("not a connection failure: {other:?}"),
    }

    // A role that does not exist, over TCP.
    let err = must_fail(
        &args(Some("127.0.0.1"), Some(port), Some("ghost")),
        Some("postgres"),
        &env,
    )
    .await;
    let stock = stock_failure(
        &cluster,
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &port_text,
            "-U",
            "ghost",
            "postgres",
        ],
        &[],
    );
    assert_eq!(err.to_string(), stock);

    // A host name that does not resolve.
    let err = must_fail(
        &args(Some("nosuchhost.invalid"), Some(port), Some("postgres")),
        Some("postgres"),
        &env,
    )
    .await;
    let stock = stock_failure(
        &cluster,
        &[
            "-h",
            "nosuchhost.invalid",
            "-p",
            &port_text,
            "-U",
            "postgres",
            "postgres",
        ],
        &[],
    );
    assert_eq!(err.to_string(), stock);

    // A server that accepts the TCP connection and then says nothing: connect_timeout.
    let silent =
        std::net::TcpListener::bind(("127.0.0.1", DEAD_PORT - 1)).expect("bind a silent listener");
    let silent_port = (DEAD_PORT - 1).to_string();
    let started = Instant::now();
    let err = must_fail(
        &args(Some("127.0.0.1"), Some(DEAD_PORT - 1), Some("postgres")),
        Some("connect_timeout=2 dbname=postgres"),
        &env,
    )
    .await;
    assert!(
        started.elapsed() >= Duration::from_secs(2) && started.elapsed() < Duration::from_secs(10)
    );
    let stock = stock_failure(
        &cluster,
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &silent_port,
            "-U",
            "postgres",
            "connect_timeout=2 dbname=postgres",
        ],
        &[],
    );
    assert_eq!(err.to_string(), stock);
    assert!(stock.ends_with("failed: timeout expired"), "{stock}");
    drop(silent);

    // Bad connection strings are refused before connecting, in libpq's words.
    let err = must_fail(&ConnectionArgs::default(), Some("host=x nosuch=1"), &env).await;
    let stock = stock_failure(&cluster, &["host=x nosuch=1"], &[]);
    assert_eq!(err.to_string(), stock);
}

#[tokio::test]
async fn password_authentication_pgpass_and_prompts() {
    let cluster = Cluster::start(newest_major());
    let port = cluster.port();
    cluster.psql(
        "postgres",
        "SET password_encryption = 'scram-sha-256'; CREATE ROLE scram_user LOGIN PASSWORD 'scram pw:1';\
         SET password_encryption = 'md5'; CREATE ROLE md5_user LOGIN PASSWORD 'md5pw';",
    );
    set_hba(
        &cluster,
        "host all scram_user 127.0.0.1/32 scram-sha-256\nhost all md5_user 127.0.0.1/32 md5\nhost all all 127.0.0.1/32 trust",
    );
    let port_text = port.to_string();
    let tcp = |user: &str| args(Some("127.0.0.1"), Some(port), Some(user));
    let base = env_for(&cluster);

    // PGPASSWORD, SCRAM and md5.
    let conn = must_connect(
        &tcp("scram_user"),
        Some("postgres"),
        &base.clone().with("PGPASSWORD", "scram pw:1"),
    )
    .await;
    assert_eq!(value(&conn, "SELECT current_user").await, "scram_user");
    let conn = must_connect(
        &tcp("md5_user"),
        Some("postgres"),
        &base.clone().with("PGPASSWORD", "md5pw"),
    )
    .await;
    assert_eq!(value(&conn, "SELECT current_user").await, "md5_user");
    // A password in a URI.
    let uri = format!("postgresql://scram_user:scram%20pw%3A1@127.0.0.1:{port}/postgres");
    let conn = must_connect(&ConnectionArgs::default(), Some(&uri), &base).await;
    assert_eq!(value(&conn, "SELECT current_user").await, "scram_user");

    // A wrong password, SCRAM and md5: the server's refusal, as stock pg_dump shows it.
    for user in ["scram_user", "md5_user"] {
        let err = must_fail(
            &tcp(user),
            Some("postgres"),
            &base.clone().with("PGPASSWORD", "wrong"),
        )
        .await;
        let stock = stock_failure(
            &cluster,
            &["-h", "127.0.0.1", "-p", &port_text, "-U", user, "postgres"],
            &[("PGPASSWORD", "wrong")],
        );
        assert_eq!(err.to_string(), stock);
        assert!(
            stock.ends_with(&format!(
                "FATAL:  password authentication failed for user \"{user}\""
            )),
            "{stock}"
        );
    }

    // -w and no password anywhere: no prompt, libpq's complaint.
    let mut never = tcp("scram_user");
    never.no_password = true;
    let err = must_fail(&never, Some("postgres"), &base).await;
    let stock = stock_failure(
        &cluster,
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &port_text,
            "-U",
            "scram_user",
            "postgres",
        ],
        &[],
    );
    assert_eq!(err.to_string(), stock);
    assert!(
        stock.ends_with("fe_sendauth: no password supplied"),
        "{stock}"
    );
    assert!(base.terminal.prompts().is_empty());

    // The server asks, nothing is known, a terminal answers: one "Password: " prompt, and the
    // answer is reused for the next database.
    let mut asked = base.clone();
    let terminal = Arc::new(ScriptedTerminal::answering(&["scram pw:1"]));
    asked.terminal = terminal.clone();
    let options = ConnectOptions::resolve(&tcp("scram_user"), Some("postgres"), "pg_dump", &asked)
        .expect("resolve");
    let conn = options.connect().await.expect("connect after the prompt");
    assert_eq!(value(&conn, "SELECT current_user").await, "scram_user");
    let conn = options
        .for_database("template1")
        .connect()
        .await
        .expect("reconnect without a prompt");
    assert_eq!(value(&conn, "SELECT current_database()").await, "template1");
    assert_eq!(terminal.prompts(), vec!["Password: ".to_string()]);

    // -W prompts before connecting, even for a trusted role.
    let mut forced = base.clone();
    let terminal = Arc::new(ScriptedTerminal::answering(&["anything"]));
    forced.terminal = terminal.clone();
    let mut always = tcp("postgres");
    always.password = true;
    must_connect(&always, Some("postgres"), &forced).await;
    assert_eq!(terminal.prompts(), vec!["Password: ".to_string()]);

    // The real terminal: under a pseudo-terminal the process prompts on /dev/tty and reads
    // the answer there; with stdin not a terminal it does not prompt at all.
    let transcript = run_prompt_helper(port, "scram_user", Some("scram pw:1"));
    assert!(transcript.contains("Password: "), "{transcript}");
    assert!(
        transcript.contains("helper connected as scram_user"),
        "{transcript}"
    );
    assert!(
        !transcript.contains("scram pw:1"),
        "the password was echoed: {transcript}"
    );
    let transcript = run_prompt_helper(port, "scram_user", None);
    assert!(!transcript.contains("Password: "), "{transcript}");
    assert!(
        transcript.contains("fe_sendauth: no password supplied"),
        "{transcript}"
    );

    // ~/.pgpass: used when 0600, with escapes and wildcards.
    let home = tempfile::tempdir().expect("tempdir");
    let mut with_home = base.clone();
    with_home.home = Some(home.path().to_path_buf());
    let pgpass = write_private(
        home.path(),
        ".pgpass",
        &format!("# test\n127.0.0.1:{port}:*:scram_user:scram pw\\:1\n*:*:*:md5_user:wrong\n"),
        0o600,
    );
    let conn = must_connect(&tcp("scram_user"), Some("postgres"), &with_home).await;
    assert_eq!(value(&conn, "SELECT current_user").await, "scram_user");
    // A wrong password from the file is named as such.
    let err = must_fail(&tcp("md5_user"), Some("postgres"), &with_home).await;
    let stock = stock_failure(
        &cluster,
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &port_text,
            "-U",
            "md5_user",
            "postgres",
        ],
        &[("PGPASSFILE", &pgpass.display().to_string())],
    );
    assert_eq!(err.to_string(), stock);
    assert!(
        stock.ends_with(&format!(
            "password retrieved from file \"{}\"",
            pgpass.display()
        )),
        "{stock}"
    );

    // Group-readable: ignored with libpq's warning.
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let mut loose = with_home.clone();
    let terminal = Arc::new(ScriptedTerminal::default());
    loose.terminal = terminal.clone();
    let err = must_fail(&tcp("scram_user"), Some("postgres"), &loose).await;
    assert!(
        err.to_string()
            .ends_with("fe_sendauth: no password supplied"),
        "{err}"
    );
    let warning = format!(
        "WARNING: password file \"{}\" has group or world access; permissions should be u=rw (0600) or less",
        pgpass.display()
    );
    assert!(
        terminal.warnings().contains(&warning),
        "{:?}",
        terminal.warnings()
    );
    let mut stock = cluster.tool("pg_dump");
    stock.env("PGPASSFILE", &pgpass).args([
        "-w",
        "--schema-only",
        "-f",
        "/dev/null",
        "-h",
        "127.0.0.1",
        "-p",
        &port_text,
        "-U",
        "scram_user",
        "postgres",
    ]);
    let out = stock.output().expect("run stock pg_dump");
    assert!(String::from_utf8_lossy(&out.stderr)
        .lines()
        .any(|line| line == warning));
}

/// Runs [`prompt_helper`] in a child process: under `script` (a pseudo-terminal) typing
/// `answer` once "Password: " shows, or with stdin not a terminal when `answer` is None.
/// Returns everything the child printed.
fn run_prompt_helper(port: u16, user: &str, answer: Option<&str>) -> String {
    use std::io::{Read, Write};
    use std::process::{Command, Stdio};
    let exe = std::env::current_exe().expect("test executable");
    let helper = format!(
        "{} conn::prompt_helper --exact --ignored --nocapture --test-threads=1",
        exe.display()
    );
    let mut cmd = match answer {
        Some(_) => {
            let mut cmd = Command::new("script");
            cmd.args(["-qec", &helper, "/dev/null"]);
            cmd
        }
        None => {
            let mut cmd = Command::new(&exe);
            cmd.args([
                "conn::prompt_helper",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ]);
            cmd
        }
    };
    for (name, _) in std::env::vars() {
        if name.starts_with("PG") && !name.starts_with("PGARK_") {
            cmd.env_remove(name);
        }
    }
    cmd.env("PGARK_CONN_PROMPT_PORT", port.to_string())
        .env("PGARK_CONN_PROMPT_USER", user)
        .env("PGPASSFILE", "/nonexistent/pgpass")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn the prompt helper");
    let mut stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut stdin = child.stdin.take().expect("stdin");
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut answered = answer.is_none();
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(chunk) => seen.extend(chunk),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
        }
        if !answered && String::from_utf8_lossy(&seen).contains("Password: ") {
            // Let the prompt switch echo off before typing.
            std::thread::sleep(Duration::from_millis(300));
            stdin
                .write_all(format!("{}\n", answer.unwrap_or("")).as_bytes())
                .expect("type the password");
            stdin.flush().expect("flush");
            answered = true;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!(
                "prompt helper did not finish: {}",
                String::from_utf8_lossy(&seen)
            );
        }
    }
    drop(stdin);
    let _ = reader.join();
    let status = child.wait().expect("wait for the prompt helper");
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    format!(
        "{}{}\n(exit: {status})",
        String::from_utf8_lossy(&seen),
        stderr
    )
}

/// Not a test: the child process of [`run_prompt_helper`], connecting with the real process
/// environment and terminal. Does nothing unless PGARK_CONN_PROMPT_PORT is set.
#[tokio::test]
#[ignore = "helper run in a child process by password_authentication_pgpass_and_prompts"]
async fn prompt_helper() {
    let Ok(port) = std::env::var("PGARK_CONN_PROMPT_PORT") else {
        return;
    };
    let user = std::env::var("PGARK_CONN_PROMPT_USER").expect("PGARK_CONN_PROMPT_USER");
    let args = ConnectionArgs {
        host: Some("127.0.0.1".into()),
        port: Some(port),
        username: Some(user),
        ..ConnectionArgs::default()
    };
    let options =
        ConnectOptions::resolve(&args, Some("postgres"), "pg_dump", &pgark::conn::SystemEnv)
            .expect("resolve");
    match options.connect().await {
        Ok(conn) => println!(
            "helper connected as {}",
            value(&conn, "SELECT current_user").await
        ),
        Err(e) => println!("helper failed: {e}"),
    }
}

/// A CA, and a server certificate for `localhost` and 127.0.0.1 signed by it.
struct TestPki {
    ca: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
    ca_pem: String,
    server_cert_pem: String,
    server_key_pem: String,
}

impl TestPki {
    /// A client certificate for `user` (its CN) signed by the CA, and its key.
    fn client_cert(&self, user: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().expect("client key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, user);
        let cert = params.signed_by(&key, &self.ca).expect("client cert");
        (cert.pem(), key.serialize_pem())
    }
}

fn make_pki(names: &[&str]) -> TestPki {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "pgark test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA cert");
    let server_key = rcgen::KeyPair::generate().expect("server key");
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .expect("params");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    let cert = params.signed_by(&server_key, &ca).expect("server cert");
    TestPki {
        ca_pem: ca.pem(),
        server_cert_pem: cert.pem(),
        server_key_pem: server_key.serialize_pem(),
        ca,
    }
}

async fn wait_for_ssl(cluster: &Cluster) {
    let started = Instant::now();
    while cluster.psql("postgres", "SHOW ssl") != "on" {
        if started.elapsed() > Duration::from_secs(20) {
            panic!(
                "ssl did not turn on; server log {}",
                cluster.log_file().display()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn sslmodes_with_rustls() {
    let cluster = Cluster::start(newest_major());
    let port = cluster.port();
    let pki = make_pki(&["localhost", "127.0.0.1"]);
    write_server_file(&cluster, "server.crt", &pki.server_cert_pem);
    write_server_file(&cluster, "server.key", &pki.server_key_pem);
    cluster.psql("postgres", "ALTER SYSTEM SET ssl = on");
    cluster.psql("postgres", "SELECT pg_reload_conf()");
    wait_for_ssl(&cluster).await;
    cluster.psql(
        "postgres",
        "SET password_encryption = 'scram-sha-256'; CREATE ROLE tls_only LOGIN; CREATE ROLE plain_only LOGIN;\
         CREATE ROLE cb_user LOGIN PASSWORD 'cbpw';",
    );
    set_hba(
        &cluster,
        "hostssl all tls_only 127.0.0.1/32 trust\nhostnossl all plain_only 127.0.0.1/32 trust\n\
         hostssl all cb_user 127.0.0.1/32 scram-sha-256\nhost all postgres 127.0.0.1/32 trust",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_file = write_private(dir.path(), "ca.crt", &pki.ca_pem, 0o644);
    let other_ca = write_private(
        dir.path(),
        "other.crt",
        &make_pki(&["localhost"]).ca_pem,
        0o644,
    );
    let env = env_for(&cluster);
    let ssl_of = |conn: &Connection| conn.server.tls;
    let string = |host: &str, user: &str, extra: &str| {
        format!("host={host} port={port} user={user} dbname=postgres {extra}")
    };
    let none = ConnectionArgs::default();
    let in_pg_stat_ssl = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

    // require: encrypted, no certificate checks (no root file in this environment's home).
    let conn = must_connect(
        &none,
        Some(&string("127.0.0.1", "tls_only", "sslmode=require")),
        &env,
    )
    .await;
    assert!(ssl_of(&conn));
    assert_eq!(value(&conn, in_pg_stat_ssl).await, "t");

    // verify-ca: the chain counts, the name does not.
    let root = format!("sslrootcert={}", ca_file.display());
    let conn = must_connect(
        &none,
        Some(&string(
            "127.0.0.1",
            "tls_only",
            &format!("sslmode=verify-ca {root}"),
        )),
        &env,
    )
    .await;
    assert_eq!(value(&conn, in_pg_stat_ssl).await, "t");
    let conn = must_connect(
        &none,
        Some(&string(
            "wrong.example",
            "tls_only",
            &format!("hostaddr=127.0.0.1 sslmode=verify-ca {root}"),
        )),
        &env,
    )
    .await;
    assert!(ssl_of(&conn));
    let wrong_root = format!("sslrootcert={}", other_ca.display());
    let err = must_fail(
        &none,
        Some(&string(
            "127.0.0.1",
            "tls_only",
            &format!("sslmode=verify-ca {wrong_root}"),
        )),
        &env,
    )
    .await;
    assert!(err.to_string().contains("failed: SSL error"), "{err}");

    // verify-full: name and chain.
    let conn = must_connect(
        &none,
        Some(&string(
            "localhost",
            "tls_only",
            &format!("sslmode=verify-full {root}"),
        )),
        &env,
    )
    .await;
    assert!(ssl_of(&conn));
    let conn = must_connect(
        &none,
        Some(&string(
            "127.0.0.1",
            "tls_only",
            &format!("sslmode=verify-full {root}"),
        )),
        &env,
    )
    .await;
    assert!(ssl_of(&conn));
    let err = must_fail(
        &none,
        Some(&string(
            "wrong.example",
            "tls_only",
            &format!("hostaddr=127.0.0.1 sslmode=verify-full {root}"),
        )),
        &env,
    )
    .await;
    let wrong = string(
        "wrong.example",
        "tls_only",
        &format!("hostaddr=127.0.0.1 sslmode=verify-full {root}"),
    );
    assert_eq!(err.to_string(), stock_failure(&cluster, &[&wrong], &[]));
    assert!(
        err.to_string()
            .contains("does not match host name \"wrong.example\""),
        "{err}"
    );

    // A missing root file: verify modes refuse, require does not care.
    let missing = format!("sslrootcert={}/absent.crt", dir.path().display());
    let err = must_fail(
        &none,
        Some(&string(
            "127.0.0.1",
            "tls_only",
            &format!("sslmode=verify-ca {missing}"),
        )),
        &env,
    )
    .await;
    assert!(
        err.to_string().starts_with("root certificate file"),
        "{err}"
    );

    // disable: plain only, so hostssl lines do not match; hostnossl ones do.
    let err = must_fail(
        &none,
        Some(&string("127.0.0.1", "tls_only", "sslmode=disable")),
        &env,
    )
    .await;
    assert!(err.to_string().contains("no encryption"), "{err}");
    let conn = must_connect(
        &none,
        Some(&string("127.0.0.1", "plain_only", "sslmode=disable")),
        &env,
    )
    .await;
    assert!(!ssl_of(&conn));
    assert_eq!(value(&conn, in_pg_stat_ssl).await, "f");

    // prefer falls back to plain when the server refuses the TLS session; allow falls
    // forward to TLS when the server refuses the plain one.
    let conn = must_connect(
        &none,
        Some(&string("127.0.0.1", "plain_only", "sslmode=prefer")),
        &env,
    )
    .await;
    assert!(!ssl_of(&conn));
    let conn = must_connect(
        &none,
        Some(&string("127.0.0.1", "tls_only", "sslmode=prefer")),
        &env,
    )
    .await;
    assert!(ssl_of(&conn));
    let conn = must_connect(
        &none,
        Some(&string("127.0.0.1", "tls_only", "sslmode=allow")),
        &env,
    )
    .await;
    assert!(ssl_of(&conn));
    let conn = must_connect(
        &none,
        Some(&string("127.0.0.1", "plain_only", "sslmode=allow")),
        &env,
    )
    .await;
    assert!(!ssl_of(&conn));

    // SCRAM with channel binding over TLS.
    let conn = must_connect(
        &none,
        Some(&string(
            "127.0.0.1",
            "cb_user",
            "sslmode=require channel_binding=require password=cbpw",
        )),
        &env,
    )
    .await;
    assert_eq!(value(&conn, "SELECT current_user").await, "cb_user");

    // Unix sockets never use TLS, whatever sslmode says.
    let conn = must_connect(
        &none,
        Some(&format!(
            "host={} port={port} user=postgres dbname=postgres sslmode=require",
            socket(&cluster)
        )),
        &env,
    )
    .await;
    assert!(!ssl_of(&conn));

    // The stock client agrees on what verify-full accepts.
    stock_psql_works(
        &cluster,
        &string(
            "localhost",
            "tls_only",
            &format!("sslmode=verify-full {root}"),
        ),
    );

    // A root certificate in ~/.postgresql/root.crt makes even sslmode=require check the chain.
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(home.path().join(".postgresql")).expect("mkdir");
    let mut with_home = env.clone();
    with_home.home = Some(home.path().to_path_buf());
    std::fs::copy(&other_ca, home.path().join(".postgresql/root.crt")).expect("copy");
    let err = must_fail(
        &none,
        Some(&string("127.0.0.1", "tls_only", "sslmode=require")),
        &with_home,
    )
    .await;
    assert!(err.to_string().contains("failed: SSL error"), "{err}");
    std::fs::copy(&ca_file, home.path().join(".postgresql/root.crt")).expect("copy");
    let conn = must_connect(
        &none,
        Some(&string("127.0.0.1", "tls_only", "sslmode=require")),
        &with_home,
    )
    .await;
    assert!(ssl_of(&conn));

    // Client certificates: `cert` authentication with sslcert/sslkey.
    write_server_file(&cluster, "root.crt", &pki.ca_pem);
    cluster.psql("postgres", "ALTER SYSTEM SET ssl_ca_file = 'root.crt'");
    cluster.psql("postgres", "CREATE ROLE cert_user LOGIN");
    set_hba(
        &cluster,
        "hostssl all tls_only 127.0.0.1/32 trust\nhostssl all cert_user 127.0.0.1/32 cert\nhost all postgres 127.0.0.1/32 trust",
    );
    let (client_cert, client_key) = pki.client_cert("cert_user");
    let cert_file = write_private(dir.path(), "client.crt", &client_cert, 0o644);
    let key_file = write_private(dir.path(), "client.key", &client_key, 0o600);
    let client = format!(
        "sslmode=require sslcert={} sslkey={}",
        cert_file.display(),
        key_file.display()
    );
    let conn = must_connect(
        &none,
        Some(&string("127.0.0.1", "cert_user", &client)),
        &env,
    )
    .await;
    assert_eq!(value(&conn, "SELECT current_user").await, "cert_user");
    stock_psql_works(&cluster, &string("127.0.0.1", "cert_user", &client));
    let err = must_fail(
        &none,
        Some(&string("127.0.0.1", "cert_user", "sslmode=require")),
        &env,
    )
    .await;
    assert!(err.to_string().contains("certificate"), "{err}");
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let err = must_fail(
        &none,
        Some(&string("127.0.0.1", "cert_user", &client)),
        &env,
    )
    .await;
    assert!(
        err.to_string().contains("has group or world access"),
        "{err}"
    );

    // A self-signed server certificate given as sslrootcert, as many setups do (OpenSSL
    // accepts it; webpki alone would refuse a CA certificate as the server's): once with a
    // subjectAltName, once with only a Common Name (the PostgreSQL documentation's
    // `openssl req -x509 -subj "/CN=..."` recipe, which libpq matches by CN).
    for with_alt_name in [true, false] {
        let (self_signed, self_signed_key) = self_signed_ca_cert("localhost", with_alt_name);
        write_server_file(&cluster, "server.crt", &self_signed);
        write_server_file(&cluster, "server.key", &self_signed_key);
        cluster.psql("postgres", "SELECT pg_reload_conf()");
        std::thread::sleep(Duration::from_millis(1000));
        let pinned = write_private(dir.path(), "pinned.crt", &self_signed, 0o644);
        let pinned_root = format!("sslrootcert={}", pinned.display());
        let full = string(
            "localhost",
            "tls_only",
            &format!("sslmode=verify-full {pinned_root}"),
        );
        stock_psql_works(&cluster, &full);
        let conn = must_connect(&none, Some(&full), &env).await;
        assert!(ssl_of(&conn));
        let err = must_fail(
            &none,
            Some(&string(
                "wrong.example",
                "tls_only",
                &format!("hostaddr=127.0.0.1 sslmode=verify-full {pinned_root}"),
            )),
            &env,
        )
        .await;
        let wrong = string(
            "wrong.example",
            "tls_only",
            &format!("hostaddr=127.0.0.1 sslmode=verify-full {pinned_root}"),
        );
        assert_eq!(err.to_string(), stock_failure(&cluster, &[&wrong], &[]));
        assert!(
            err.to_string().ends_with(
                "server certificate for \"localhost\" does not match host name \"wrong.example\""
            ),
            "{err}"
        );
    }
}

fn stock_psql_works(cluster: &Cluster, conninfo: &str) {
    let mut stock = cluster.tool("psql");
    stock.args(["-X", "-At", "-c", "SELECT 1", conninfo]);
    let out = stock.output().expect("run stock psql");
    assert!(
        out.status.success(),
        "stock psql {conninfo}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A self-signed certificate with CA:true (what `openssl req -x509` makes) for `name`, as
/// Common Name and, if asked, subjectAltName; and its key.
fn self_signed_ca_cert(name: &str, with_alt_name: bool) -> (String, String) {
    let key = rcgen::KeyPair::generate().expect("key");
    let alt_names = if with_alt_name {
        vec![name.to_string()]
    } else {
        Vec::new()
    };
    let mut params = rcgen::CertificateParams::new(alt_names).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let cert = params.self_signed(&key).expect("self-signed cert");
    (cert.pem(), key.serialize_pem())
}

/// Every command ends its sessions as libpq's PQfinish does (Terminate, then close), so the
/// server logs no "unexpected EOF on client connection" for pgark, as for stock tools. Before
/// the drivers were awaited at exit, some runs (-Ft, dumpall, restore) left such lines.
#[test]
fn commands_close_their_connections_cleanly() {
    let cluster = Cluster::start(newest_major());
    cluster.psql(
        "postgres",
        "CREATE TABLE t AS SELECT g FROM generate_series(1, 1000) g; \
         CREATE TABLE u AS SELECT g::text AS s FROM generate_series(1, 1000) g;",
    );
    cluster.create_database("copy");
    let dir = pgark_testkit::scratch_dir();
    let pgark = |args: &[&str]| {
        let mut cmd = std::process::Command::new(pgark_testkit::pgark_bin());
        cluster.apply_env(&mut cmd);
        cmd.args(args)
            .args(["-h", &socket(&cluster), "-p", &cluster.port().to_string()]);
        cmd.args(["-U", cluster.user()]);
        let out = cmd.output().expect("run pgark");
        assert!(
            out.status.success(),
            "pgark {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let archive = |name: &str| dir.path().join(name).display().to_string();
    for round in 0..3 {
        for (format, jobs) in [("p", "1"), ("c", "2"), ("t", "1"), ("d", "2")] {
            let out = archive(&format!("out-{round}-{format}"));
            pgark(&["dump", "-F", format, "-j", jobs, "-f", &out, "postgres"]);
        }
        let directory = archive(&format!("out-{round}-d"));
        pgark(&[
            "restore",
            "-c",
            "--if-exists",
            "-j",
            "2",
            "-d",
            "copy",
            &directory,
        ]);
        pgark(&["restore", "-c", "--if-exists", "-d", "copy", &directory]);
        pgark(&["dumpall", "-f", &archive(&format!("all-{round}.sql"))]);
        pgark(&[
            "dumpall",
            "-g",
            "-f",
            &archive(&format!("globals-{round}.sql")),
        ]);
    }
    let log = std::fs::read_to_string(cluster.log_file()).expect("read server log");
    let abrupt: Vec<&str> = log
        .lines()
        .filter(|l| {
            l.contains("unexpected EOF on client connection")
                || l.contains("could not receive data from client")
        })
        .collect();
    assert!(
        abrupt.is_empty(),
        "sessions ended without Terminate:\n{}",
        abrupt.join("\n")
    );
}
