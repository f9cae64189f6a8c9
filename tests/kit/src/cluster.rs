//! Throwaway PostgreSQL clusters: initdb into a temp dir, start on a free port, stop on drop.

use std::ffi::OsStr;
use std::net::TcpListener;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use crate::fixtures;
use crate::paths::{pg_bin_dir, pg_lib_dir, stock_tool};

/// The server's superuser, created by initdb.
const SUPERUSER: &str = "postgres";
/// The OS account servers run under when the tests run as root (initdb refuses root).
const SERVER_OS_USER: &str = "postgres";
/// How many ports to try when another process grabs the one we picked.
const PORT_ATTEMPTS: usize = 10;
/// How long `pg_ctl start -w` may wait for the server to accept connections.
const START_TIMEOUT_SECS: u32 = 120;

/// A running throwaway cluster of one major. Dropping it stops the server
/// (`pg_ctl stop -m immediate`) and removes its directory, also while unwinding a panic.
///
/// Layout of its temp dir: `data/` (PGDATA), `server.log`, and the Unix socket
/// (`.s.PGSQL.<port>`) in the temp dir itself.
pub struct Cluster {
    major: u32,
    port: u16,
    root: tempfile::TempDir,
    data_dir: PathBuf,
    log_file: PathBuf,
    /// Whether `pg_ctl start` succeeded, i.e. whether drop must stop a server.
    running: bool,
}

impl Cluster {
    /// initdb + start a cluster of `major`. Panics with the tool output and server log on failure.
    pub fn start(major: u32) -> Cluster {
        Cluster::start_on(major, &mut free_port)
    }

    /// [`Cluster::start`] taking candidate ports from `next_port`, one per attempt.
    fn start_on(major: u32, next_port: &mut dyn FnMut() -> u16) -> Cluster {
        let bin = pg_bin_dir(major);
        if !bin.join("postgres").is_file() {
            panic!(
                "testkit: PostgreSQL {major} is not provisioned ({} missing); run scripts/postgres.sh {major}",
                bin.join("postgres").display()
            );
        }
        let as_root = running_as_root();
        let root = tempfile::Builder::new()
            .prefix(&format!("pgark-pg{major}-"))
            .tempdir()
            .unwrap_or_else(|e| {
                panic!(
                    "testkit: cannot create a cluster dir in {}: {e}",
                    std::env::temp_dir().display()
                )
            });
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("testkit: cannot chmod {}: {e}", root.path().display()));
        if as_root {
            let (uid, gid) = os_user_ids(SERVER_OS_USER);
            std::os::unix::fs::chown(root.path(), Some(uid), Some(gid)).unwrap_or_else(|e| {
                panic!(
                    "testkit: cannot chown {} to {SERVER_OS_USER}: {e}",
                    root.path().display()
                )
            });
            check_traversable(root.path());
        }
        let data_dir = root.path().join("data");
        let log_file = root.path().join("server.log");
        let mut cluster = Cluster {
            major,
            port: 0,
            root,
            data_dir,
            log_file,
            running: false,
        };
        cluster.initdb();
        cluster.start_server(next_port);
        cluster
    }

    pub fn major(&self) -> u32 {
        self.major
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Directory of the server's Unix socket: use as PGHOST or `-h`.
    pub fn socket_dir(&self) -> &Path {
        self.root.path()
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The server log (useful in panic messages of tests).
    pub fn log_file(&self) -> &Path {
        &self.log_file
    }

    /// The name of the superuser every tool connects as.
    pub fn user(&self) -> &'static str {
        SUPERUSER
    }

    /// `["-h", socket_dir, "-p", port, "-U", "postgres", "-d", db]`.
    pub fn conn_args(&self, db: &str) -> Vec<String> {
        vec![
            "-h".into(),
            self.socket_dir().display().to_string(),
            "-p".into(),
            self.port.to_string(),
            "-U".into(),
            SUPERUSER.into(),
            "-d".into(),
            db.into(),
        ]
    }

    /// A stock client tool of this cluster's major, with PGHOST/PGPORT/PGUSER pointing at
    /// this cluster and every other `PG*` variable (PGDATABASE, PGPASSWORD, PGSERVICE, ...)
    /// removed. `PGARK_*` variables are kept.
    pub fn tool(&self, name: &str) -> Command {
        self.tool_of(self.major, name)
    }

    /// Like [`Cluster::tool`] but the client of another major (e.g. pg_dump 18 against a 15 server).
    pub fn tool_of(&self, major: u32, name: &str) -> Command {
        let mut cmd = Command::new(stock_tool(major, name));
        self.apply_env(&mut cmd);
        cmd
    }

    /// Sets PGHOST/PGPORT/PGUSER for this cluster on any command (e.g. pgark's own binary)
    /// and removes every other `PG*` variable except `PGARK_*`.
    pub fn apply_env(&self, cmd: &mut Command) {
        clear_pg_env(cmd);
        cmd.env("PGHOST", self.socket_dir())
            .env("PGPORT", self.port.to_string())
            .env("PGUSER", SUPERUSER);
    }

    /// Runs `psql -X -At -v ON_ERROR_STOP=1 -d db -c sql` and returns its stdout without the
    /// final newline. Panics with stderr on failure.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let mut cmd = self.tool("psql");
        cmd.args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql]);
        let out = run(&mut cmd, &format!("psql -d {db} -c {sql:?}"));
        let mut stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if stdout.ends_with('\n') {
            stdout.pop();
        }
        stdout
    }

    /// Runs a SQL file with `psql -X -q -v ON_ERROR_STOP=1 -d db -f file`. Panics with stderr on failure.
    pub fn psql_file(&self, db: &str, file: &Path) {
        let mut cmd = self.tool("psql");
        cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-f"])
            .arg(file);
        run(&mut cmd, &format!("psql -d {db} -f {}", file.display()));
    }

    /// `CREATE DATABASE name` (from template0, so nothing from template1 leaks in).
    pub fn create_database(&self, name: &str) {
        self.psql(
            "postgres",
            &format!("CREATE DATABASE {} TEMPLATE template0", quote_ident(name)),
        );
    }

    /// Creates `db` and loads `fixtures/<name>.sql` for each name, in the given order.
    /// Panics if a fixture needs a newer major than this cluster's.
    pub fn load_fixtures(&self, db: &str, names: &[&str]) {
        let wanted: Vec<fixtures::Fixture> =
            names.iter().map(|name| fixtures::by_name(name)).collect();
        self.load_fixture_files(db, &wanted);
    }

    /// Creates `db` and loads every fixture applicable to this major, in name order.
    /// Returns the fixtures loaded.
    pub fn load_all_fixtures(&self, db: &str) -> Vec<fixtures::Fixture> {
        let applicable = fixtures::for_major(self.major);
        self.load_fixture_files(db, &applicable);
        applicable
    }

    /// Creates `db` and loads the given fixtures (from anywhere, e.g. a test's own directory)
    /// in the given order. Panics if one needs a newer major than this cluster's.
    pub fn load_fixture_files(&self, db: &str, list: &[fixtures::Fixture]) {
        for fixture in list {
            if fixture.min_major > self.major {
                panic!(
                    "testkit: fixture {} ({}) needs PostgreSQL {} or newer, this cluster is {}",
                    fixture.name,
                    fixture.path.display(),
                    fixture.min_major,
                    self.major
                );
            }
        }
        self.create_database(db);
        for fixture in list {
            self.psql_file(db, &fixture.path);
        }
    }

    /// A tokio-postgres client over the Unix socket; the connection task is spawned on the
    /// current runtime. Panics if the connection fails.
    pub async fn connect(&self, db: &str) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::Config::new()
            .host_path(self.socket_dir())
            .port(self.port)
            .user(SUPERUSER)
            .dbname(db)
            .connect(tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "testkit: cannot connect to db {db} on PostgreSQL {} port {}: {e}",
                    self.major, self.port
                )
            });
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                eprintln!("testkit: connection error: {e}");
            }
        });
        client
    }

    fn initdb(&self) {
        let mut cmd = self.server_command("initdb");
        cmd.arg("-D").arg(&self.data_dir).args([
            "-A",
            "trust",
            "-U",
            SUPERUSER,
            "--locale=C.UTF-8",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        run(&mut cmd, &format!("initdb (PostgreSQL {})", self.major));
        append(
            &self.data_dir.join("postgresql.conf"),
            "# Written by pgark-testkit: a throwaway cluster tuned for speed, not durability.\n\
             include 'pgark-testkit.conf'\n",
        );
    }

    /// Picks a free port and starts the server, retrying when another process grabbed the port.
    fn start_server(&mut self, next_port: &mut dyn FnMut() -> u16) {
        for attempt in 1..=PORT_ATTEMPTS {
            self.port = next_port();
            self.write_settings();
            // pg_ctl appends to the log: look only at what this attempt wrote.
            let log_start = std::fs::metadata(&self.log_file).map_or(0, |m| m.len() as usize);
            let mut cmd = self.server_command("pg_ctl");
            cmd.arg("start")
                .arg("-w")
                .args(["-t", &START_TIMEOUT_SECS.to_string()])
                .arg("-D")
                .arg(&self.data_dir)
                .arg("-l")
                .arg(&self.log_file);
            let started = Instant::now();
            let out = output(&mut cmd, "pg_ctl start");
            if out.status.success() {
                self.running = true;
                return;
            }
            let full_log = std::fs::read_to_string(&self.log_file).unwrap_or_default();
            let log = full_log.get(log_start..).unwrap_or(&full_log);
            let port_taken =
                log.contains("could not bind") || log.contains("Address already in use");
            if port_taken && attempt < PORT_ATTEMPTS {
                continue;
            }
            panic!(
                "testkit: PostgreSQL {} did not start on port {} (attempt {attempt}, after {:?}): {}\n\
                 pg_ctl stdout:\n{}\npg_ctl stderr:\n{}\nserver log {}:\n{log}",
                self.major,
                self.port,
                started.elapsed(),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                self.log_file.display(),
            );
        }
    }

    fn write_settings(&self) {
        let text = format!(
            "fsync = off\n\
             synchronous_commit = off\n\
             full_page_writes = off\n\
             listen_addresses = '127.0.0.1'\n\
             port = {port}\n\
             unix_socket_directories = {socket}\n\
             lc_messages = 'C'\n",
            port = self.port,
            socket = quote_literal(&self.socket_dir().display().to_string()),
        );
        let path = self.data_dir.join("pgark-testkit.conf");
        std::fs::write(&path, text)
            .unwrap_or_else(|e| panic!("testkit: cannot write {}: {e}", path.display()));
    }

    /// A server-side program (initdb, pg_ctl) of this major, run as the `postgres` OS user when
    /// we are root, from the cluster dir (the current dir may not be readable by that user).
    fn server_command(&self, program: &str) -> Command {
        let path = stock_tool(self.major, program);
        let mut cmd = if running_as_root() {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", SERVER_OS_USER, "--"]).arg(path);
            cmd
        } else {
            Command::new(path)
        };
        clear_pg_env(&mut cmd);
        if let Some(lib) = pg_lib_dir(self.major) {
            // pg_ctl passes its environment to the server it starts.
            cmd.env("LD_LIBRARY_PATH", library_path(&lib));
        }
        cmd.current_dir(self.root.path());
        cmd
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if !self.running {
            return;
        }
        let mut cmd = self.server_command("pg_ctl");
        cmd.arg("stop")
            .args(["-m", "immediate", "-w"])
            .arg("-D")
            .arg(&self.data_dir);
        cmd.stdin(Stdio::null());
        match cmd.output() {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!(
                "testkit: pg_ctl stop of PostgreSQL {} at {} failed ({}): {}",
                self.major,
                self.data_dir.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => eprintln!(
                "testkit: cannot run pg_ctl stop for {}: {e}",
                self.data_dir.display()
            ),
        }
        // The TempDir field removes the directory after this.
    }
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("major", &self.major)
            .field("port", &self.port)
            .field("dir", &self.root.path())
            .finish()
    }
}

/// Removes every `PG*` variable except pgark's own `PGARK_*` ones.
fn clear_pg_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let Some(name) = key.to_str() else { continue };
        if name.starts_with("PG") && !name.starts_with("PGARK_") {
            cmd.env_remove(&key);
        }
    }
}

/// `lib` in front of the inherited `LD_LIBRARY_PATH`, if any.
fn library_path(lib: &Path) -> std::ffi::OsString {
    let mut dirs = vec![lib.to_path_buf()];
    if let Some(inherited) = std::env::var_os("LD_LIBRARY_PATH") {
        dirs.extend(std::env::split_paths(&inherited).filter(|d| !d.as_os_str().is_empty()));
    }
    std::env::join_paths(dirs).unwrap_or_else(|e| {
        panic!(
            "testkit: cannot build LD_LIBRARY_PATH from {}: {e}",
            lib.display()
        )
    })
}

/// Effective uid 0? Read from the owner of `/proc/self`, which is the process's effective uid.
fn running_as_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// uid and gid of an OS account, from /etc/passwd.
fn os_user_ids(user: &str) -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd")
        .unwrap_or_else(|e| panic!("testkit: cannot read /etc/passwd: {e}"));
    for line in passwd.lines() {
        let fields: Vec<&str> = line.split(':').collect();
        if fields.len() >= 4 && fields[0] == user {
            if let (Ok(uid), Ok(gid)) = (fields[2].parse(), fields[3].parse()) {
                return (uid, gid);
            }
        }
    }
    panic!(
        "testkit: running as root but there is no OS user {user:?} to run PostgreSQL as \
         (initdb refuses root); install a postgresql package or create the user"
    );
}

/// The server user must be able to reach the cluster dir through every parent.
fn check_traversable(dir: &Path) {
    for ancestor in dir.ancestors().skip(1) {
        if let Ok(meta) = std::fs::metadata(ancestor) {
            if meta.permissions().mode() & 0o001 == 0 {
                panic!(
                    "testkit: {} is not traversable by other users, so the {SERVER_OS_USER} user cannot \
                     reach {}; set TMPDIR to a directory such as /tmp",
                    ancestor.display(),
                    dir.display()
                );
            }
        }
    }
}

/// A TCP port that was free on 127.0.0.1 a moment ago.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0")
        .unwrap_or_else(|e| panic!("testkit: cannot bind 127.0.0.1:0 to find a free port: {e}"));
    listener
        .local_addr()
        .unwrap_or_else(|e| panic!("testkit: cannot read the bound address: {e}"))
        .port()
}

fn output(cmd: &mut Command, what: &str) -> Output {
    cmd.stdin(Stdio::null());
    cmd.output()
        .unwrap_or_else(|e| panic!("testkit: cannot run {what} ({:?}): {e}", cmd.get_program()))
}

/// Runs a command, panicking with its stdout/stderr when it fails.
fn run(cmd: &mut Command, what: &str) -> Output {
    let out = output(cmd, what);
    if !out.status.success() {
        let args: Vec<&OsStr> = cmd.get_args().collect();
        panic!(
            "testkit: {what} failed ({}): {:?} {:?}\nstdout:\n{}\nstderr:\n{}",
            out.status,
            cmd.get_program(),
            args,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("testkit: cannot open {} for appending: {e}", path.display()));
    file.write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("testkit: cannot write {}: {e}", path.display()));
}

/// SQL identifier quoting: always double-quoted, embedded quotes doubled.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// SQL / postgresql.conf string literal quoting.
pub(crate) fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// dblink and postgres_fdw link libpq without a run path: with the system's (older)
    /// libpq they fail to load (`undefined symbol: PQcancelStart` on 17 and 18).
    #[test]
    fn servers_load_their_own_libpq() {
        let majors: Vec<u32> = crate::available_majors()
            .into_iter()
            .filter(|major| pg_lib_dir(*major).is_some())
            .collect();
        let Some(&major) = majors.last() else {
            panic!("no PostgreSQL build with its own libpq provisioned (run scripts/postgres.sh)");
        };
        let cluster = Cluster::start(major);
        cluster.psql(
            "postgres",
            "CREATE EXTENSION dblink; CREATE EXTENSION postgres_fdw",
        );
        let answer = cluster.psql(
            "postgres",
            &format!(
                "SELECT * FROM dblink('host={} port={} user=postgres dbname=postgres', \
                 'SELECT 41 + 1') AS t(n integer)",
                cluster.socket_dir().display(),
                cluster.port()
            ),
        );
        assert_eq!(answer, "42");
    }

    #[test]
    fn a_taken_port_is_retried_with_another() {
        let Some(major) = crate::available_majors().first().copied() else {
            panic!("no PostgreSQL provisioned (run scripts/postgres.sh)");
        };
        let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
        let taken_port = taken.local_addr().expect("addr").port();
        let mut candidates = vec![taken_port, taken_port, free_port()].into_iter();
        let cluster = Cluster::start_on(major, &mut || candidates.next().expect("a third port"));
        assert_ne!(cluster.port(), taken_port);
        assert_eq!(cluster.psql("postgres", "select 1"), "1");
        let log = std::fs::read_to_string(cluster.log_file()).expect("server log");
        assert!(
            log.contains("could not bind"),
            "the first attempts should have failed to bind:\n{log}"
        );
    }
}
