//! `pgark dump` under faults: a worker's backend terminated mid-dump, the server stopped
//! mid-dump, a file-size limit or a full file system hit while writing, the process
//! ended by a signal. Each run must exit non-zero with one clear error line (a signal:
//! stock's `terminated by user` line) and leave nothing that looks like a complete
//! archive at the target path (custom/tar/plain files are written under a temporary
//! name, directory archives get `toc.dat` last; a signal removes the temporary file or
//! the directory's files), and no temporary file.
//!
//! Timing is made deterministic with a gate rather than with table size: the dumped
//! tables carry a row-level security policy calling `gate()`, which takes a shared
//! advisory lock; while the test holds that lock exclusively, every worker's COPY of a
//! gated table blocks in the server (the dump runs as a non-superuser role with
//! `--enable-row-security`, so the policy applies). The test waits until the workers
//! are seen waiting on the lock, then injects the fault.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use pgark_testkit::Cluster;

const DB: &str = "faults";
const GATE_KEY: i64 = 864_209;
/// How long a pgark run may take after its fault before the test calls it a hang.
const HANG_LIMIT: Duration = Duration::from_secs(180);

fn pgark(cluster: &Cluster) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgark"));
    cluster.apply_env(&mut cmd);
    cmd
}

/// Two gated tables (two jobs, so `-j 2` opens two workers) and one ungated table of
/// ~3 MB. The advisory lock key in `gate()` is [`GATE_KEY`].
const SETUP: &str = "
CREATE ROLE dumper LOGIN;
CREATE FUNCTION public.gate() RETURNS boolean LANGUAGE plpgsql VOLATILE AS $f$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(864209);
    RETURN true;
END
$f$;
CREATE TABLE public.gated1 (id integer, filler text);
CREATE TABLE public.gated2 (id integer, filler text);
INSERT INTO public.gated1 SELECT g, repeat('x', 50) FROM generate_series(1, 1000) g;
INSERT INTO public.gated2 SELECT g, repeat('y', 50) FROM generate_series(1, 1000) g;
ALTER TABLE public.gated1 ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.gated2 ENABLE ROW LEVEL SECURITY;
CREATE POLICY open1 ON public.gated1 USING (public.gate());
CREATE POLICY open2 ON public.gated2 USING (public.gate());
GRANT SELECT ON public.gated1, public.gated2 TO dumper;
CREATE TABLE public.big (id integer, filler text);
INSERT INTO public.big SELECT g, md5(g::text) || repeat('z', 100) FROM generate_series(1, 20000) g;
";

/// A psql session holding the gate's advisory lock exclusively until [`GateClosed::open`]
/// (or, with the server stopped, until the cluster is gone).
struct GateClosed {
    holder: Child,
}

impl GateClosed {
    fn new(cluster: &Cluster) -> GateClosed {
        let mut cmd = cluster.tool("psql");
        cmd.args(["-X", "-At", "-d", DB, "-c"])
            .arg(format!(
                "SELECT pg_advisory_lock({GATE_KEY}); SELECT pg_sleep(3600)"
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let holder = cmd.spawn().expect("spawn psql holding the gate lock");
        let gate = GateClosed { holder };
        poll(cluster, "the gate lock held", || {
            cluster.psql(
                DB,
                &format!(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
                     AND objid = {GATE_KEY} AND mode = 'ExclusiveLock' AND granted"
                ),
            ) == "1"
        });
        gate
    }
}

impl GateClosed {
    /// Opens the gate: ends the holding session (its backend sleeps on otherwise, still
    /// holding the lock, after the psql client is gone).
    fn open(self, cluster: &Cluster) {
        cluster.psql(
            DB,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE query LIKE 'SELECT pg_advisory_lock(%' AND pid <> pg_backend_pid()",
        );
    }
}

impl Drop for GateClosed {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

/// Polls `ready` until true (a generous bound only turns a hang into a failure).
fn poll(cluster: &Cluster, what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < HANG_LIMIT,
            "timed out waiting for {what}; server log: {}",
            cluster.log_file().display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// PIDs of backends blocked on the gate lock (the dump's workers in their COPY).
fn gated_backends(cluster: &Cluster) -> Vec<String> {
    let out = cluster.psql(
        DB,
        &format!(
            "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid) \
             WHERE l.locktype = 'advisory' AND l.objid = {GATE_KEY} AND NOT l.granted \
             AND a.query LIKE 'COPY %' ORDER BY 1"
        ),
    );
    out.lines().map(str::to_owned).collect()
}

/// Waits for `child` to exit (killing it and failing past [`HANG_LIMIT`]).
fn wait_output(mut child: Child, what: &str) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait for pgark").is_some() {
            break;
        }
        if start.elapsed() > HANG_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: pgark did not exit after the fault (hang)");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut stderr = Vec::new();
    if let Some(mut e) = child.stderr.take() {
        e.read_to_end(&mut stderr).expect("read pgark stderr");
    }
    let mut stdout = Vec::new();
    if let Some(mut o) = child.stdout.take() {
        o.read_to_end(&mut stdout).expect("read pgark stdout");
    }
    Output {
        status: child.wait().expect("wait for pgark"),
        stdout,
        stderr,
    }
}

/// The run failed with exactly one `pgark: error:` line containing every `needles`
/// (any one of each alternative group).
fn assert_one_clear_error(out: &Output, what: &str, needles: &[&[&str]]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "{what}: exit status 0; stderr:\n{stderr}"
    );
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("pgark: error:"))
        .collect();
    assert_eq!(
        errors.len(),
        1,
        "{what}: expected one error line:\n{stderr}"
    );
    let line = errors[0].to_lowercase();
    for group in needles {
        assert!(
            group.iter().any(|n| line.contains(&n.to_lowercase())),
            "{what}: error line lacks any of {group:?}:\n{stderr}"
        );
    }
}

/// Nothing at `target` a reader could take for a finished archive, and no temporary
/// file left beside it.
fn assert_nothing_complete(target: &Path, what: &str) {
    if target.is_dir() {
        assert!(
            !target.join("toc.dat").exists(),
            "{what}: {} has a toc.dat",
            target.display()
        );
    } else {
        assert!(!target.exists(), "{what}: {} exists", target.display());
    }
    let dir = target.parent().expect("target has a parent");
    let stem = target
        .file_name()
        .expect("target has a name")
        .to_string_lossy()
        .into_owned();
    let left: Vec<String> = std::fs::read_dir(dir)
        .expect("read scratch dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&stem) && n.contains("pgark-tmp"))
        .collect();
    assert!(left.is_empty(), "{what}: temporary files left: {left:?}");
    if target.is_dir() {
        let tmp_toc: Vec<String> = std::fs::read_dir(target)
            .expect("read partial directory")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("toc.dat"))
            .collect();
        assert!(
            tmp_toc.is_empty(),
            "{what}: {tmp_toc:?} in the partial directory"
        );
    }
}

/// Starts a gated `-j 2` dump as `dumper`, waits until both workers block on the gate.
fn start_gated_dump(cluster: &Cluster, format: &str, target: Option<&Path>) -> Child {
    start_gated_dump_jobs(cluster, format, target, 2, &[])
}

/// Starts a gated dump with `-j jobs` as `dumper`, waits until the connections that
/// read data (one per job; one for plain output) block on the gate. `extra`: more
/// options (e.g. `-h 127.0.0.1` for TCP rather than the Unix socket).
fn start_gated_dump_jobs(
    cluster: &Cluster,
    format: &str,
    target: Option<&Path>,
    jobs: usize,
    extra: &[&str],
) -> Child {
    let blocked = if format == "p" { 1 } else { jobs };
    let mut cmd = pgark(cluster);
    cmd.args([
        "dump",
        "-U",
        "dumper",
        "-d",
        DB,
        "--enable-row-security",
        "-j",
        &jobs.to_string(),
    ])
    .args(["-t", "public.gated1", "-t", "public.gated2"])
    .args(extra)
    .arg(format!("-F{format}"));
    if let Some(target) = target {
        cmd.arg("-f").arg(target);
    }
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pgark dump");
    poll(cluster, "the dump's connections blocked in COPY", || {
        gated_backends(cluster).len() == blocked
    });
    child
}

#[test]
fn dump_faults_leave_no_complete_archive() {
    let cluster = Cluster::start(18);
    cluster.create_database(DB);
    cluster.psql(DB, SETUP);
    let scratch = pgark_testkit::scratch_dir();

    // (1) A worker's backend terminated mid-COPY: the other worker stays blocked on
    // the gate, so the leader must stop it rather than wait for it.
    // Also to standard output, where only the exit status can tell the failure.
    for (format, to_file) in [("d", true), ("c", true), ("c", false)] {
        let what = format!("-F{format} -j 2 (to a file: {to_file}), worker terminated");
        let target = scratch.path().join(format!("terminated-{format}"));
        let gate = GateClosed::new(&cluster);
        let child = start_gated_dump(&cluster, format, to_file.then_some(target.as_path()));
        let victim = gated_backends(&cluster)[0].clone();
        cluster.psql(DB, &format!("SELECT pg_terminate_backend({victim})"));
        let out = wait_output(child, &what);
        gate.open(&cluster);
        assert_one_clear_error(
            &out,
            &what,
            &[&["gated1", "gated2"], &["terminat", "connection", "closed"]],
        );
        assert_nothing_complete(&target, &what);
    }

    // (2) A full disk: a file-size limit on the pgark process (SIGXFSZ is caught, so
    // writes fail with EFBIG). The table's uncompressed data exceeds the 1 MB limit.
    for (format, name) in [
        ("c", "fsize.dump"),
        ("t", "fsize.tar"),
        ("d", "fsize-dir"),
        ("p", "fsize.sql"),
    ] {
        let what = format!("-F{format}, file-size limit");
        let target = scratch.path().join(name);
        let mut cmd = Command::new("prlimit");
        cmd.arg("--fsize=1048576")
            .arg(env!("CARGO_BIN_EXE_pgark"))
            .args(["dump", "-d", DB, "-t", "public.big", "-Z", "0"])
            .arg(format!("-F{format}"))
            .arg("-f")
            .arg(&target);
        cluster.apply_env(&mut cmd);
        let out = cmd.output().expect("run pgark under prlimit");
        assert_write_error(&out, &what, "File too large", name);
        assert_nothing_complete(&target, &what);
    }

    // (2b) A full file system for real: a 2 MB tmpfs (mounting needs root; elsewhere
    // only the file-size limit above runs).
    match SmallTmpfs::mount(&scratch.path().join("small-fs")) {
        Err(why) => eprintln!("dump_faults: no tmpfs, full-disk case skipped: {why}"),
        Ok(fs) => {
            for (format, name) in [
                ("c", "nospc.dump"),
                ("t", "nospc.tar"),
                ("d", "nospc-dir"),
                ("p", "nospc.sql"),
            ] {
                let what = format!("-F{format}, file system full");
                let target = fs.dir.join(name);
                let out = pgark(&cluster)
                    .args(["dump", "-d", DB, "-t", "public.big", "-Z", "0"])
                    .arg(format!("-F{format}"))
                    .arg("-f")
                    .arg(&target)
                    .output()
                    .expect("run pgark dump onto the small tmpfs");
                assert_write_error(&out, &what, "No space left on device", name);
                assert_nothing_complete(&target, &what);
            }
        }
    }

    // A FIFO (like a device such as /dev/null) is written in place: a temporary file
    // renamed over it would replace the node and the reader would never see data.
    let fifo = scratch.path().join("pipe.dump");
    let copy = scratch.path().join("pipe-copy.dump");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(made.success(), "mkfifo failed");
    let mut reader = Command::new("sh")
        .args(["-c", "cat \"$0\" > \"$1\""])
        .arg(&fifo)
        .arg(&copy)
        .spawn()
        .expect("spawn FIFO reader");
    let out = pgark(&cluster)
        .args(["dump", "-d", DB, "-t", "public.gated1", "-Fc", "-f"])
        .arg(&fifo)
        .output()
        .expect("run pgark dump into a FIFO");
    let still_fifo = std::fs::symlink_metadata(&fifo)
        .map(|m| std::os::unix::fs::FileTypeExt::is_fifo(&m.file_type()))
        .unwrap_or(false);
    if !still_fifo {
        let _ = reader.kill();
    }
    let _ = reader.wait();
    assert!(
        out.status.success(),
        "dump into a FIFO failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(still_fifo, "the FIFO was replaced by a file");
    let archive = std::fs::read(&copy).expect("read what the FIFO carried");
    assert!(
        archive.starts_with(b"PGDMP"),
        "the FIFO carried no custom archive"
    );

    // Output that cannot be opened: worded as stock pg_dump 18 words it.
    let plain_file = scratch.path().join("a-file");
    std::fs::write(&plain_file, b"not a directory").expect("write a plain file");
    for (format, target) in [
        ("d", plain_file.clone()),
        ("c", scratch.path().join("no-such-dir").join("x.dump")),
        ("d", scratch.path().join("no-such-dir").join("x-dir")),
    ] {
        let what = format!("-F{format} -f {}", target.display());
        let run = |mut cmd: Command| {
            let out = cmd
                .args(["-d", DB, "-t", "public.gated1"])
                .arg(format!("-F{format}"))
                .arg("-f")
                .arg(&target)
                .output()
                .expect("run a dump");
            assert!(!out.status.success(), "{what}: succeeded");
            String::from_utf8_lossy(&out.stderr).into_owned()
        };
        let mut ours = pgark(&cluster);
        ours.arg("dump");
        let ours = run(ours);
        let stock = run(cluster.tool("pg_dump"));
        assert_eq!(
            ours.replace("pgark: ", "pg_dump: "),
            stock,
            "{what}: pgark's error differs from stock's"
        );
    }

    // (3) The server stopped (immediate shutdown) while the dump's connections are in
    // COPY; the server is started again for the next case.
    for (format, jobs, name) in [
        ("d", 2, "stopped-dir"),
        ("c", 2, "stopped-j2.dump"),
        ("c", 1, "stopped.dump"),
        ("t", 1, "stopped.tar"),
        ("p", 1, "stopped.sql"),
    ] {
        let what = format!("-F{format} -j {jobs}, server stopped");
        let target = scratch.path().join(name);
        let gate = GateClosed::new(&cluster);
        let child = start_gated_dump_jobs(&cluster, format, Some(&target), jobs, &[]);
        stop_server_immediately(&cluster);
        let out = wait_output(child, &what);
        drop(gate);
        assert_one_clear_error(
            &out,
            &what,
            &[
                &["gated1", "gated2"],
                &["connection", "terminat", "closed", "shut"],
            ],
        );
        assert_nothing_complete(&target, &what);
        start_server_again(&cluster);
    }
}

/// A write failure worded as stock's (`could not write to output file`), naming the
/// file (`name`: the target or, for a directory, its data file inside it) and the
/// system's reason, without Rust's "(os error N)" tail.
fn assert_write_error(out: &Output, what: &str, reason: &str, name: &str) {
    assert_one_clear_error(
        out,
        what,
        &[&["could not write to output file \""], &[reason], &[name]],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("(os error"),
        "{what}: error carries Rust's os error tail:\n{stderr}"
    );
}

/// A 2 MB tmpfs mounted for the test, unmounted on drop.
struct SmallTmpfs {
    dir: std::path::PathBuf,
}

impl SmallTmpfs {
    fn mount(dir: &Path) -> Result<SmallTmpfs, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("mkdir {}: {e}", dir.display()))?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(SmallTmpfs {
            dir: dir.to_path_buf(),
        })
    }
}

impl Drop for SmallTmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

/// The postmaster's PID (first line of `postmaster.pid`).
fn postmaster_pid(cluster: &Cluster) -> String {
    let pid_file = std::fs::read_to_string(cluster.data_dir().join("postmaster.pid"))
        .expect("read postmaster.pid");
    pid_file
        .lines()
        .next()
        .expect("postmaster PID line")
        .trim()
        .to_string()
}

/// Immediate shutdown (SIGQUIT to the postmaster); returns once the postmaster is gone.
fn stop_server_immediately(cluster: &Cluster) {
    let postmaster = postmaster_pid(cluster);
    let quit = Command::new("kill")
        .args(["-QUIT", &postmaster])
        .status()
        .expect("run kill");
    assert!(quit.success(), "kill -QUIT {postmaster} failed");
    poll_local("the postmaster to exit", || {
        !Path::new("/proc").join(&postmaster).exists()
    });
}

/// `pg_ctl start` on the stopped cluster (same data directory, port and socket), as the
/// server's OS user when the test runs as root.
fn start_server_again(cluster: &Cluster) {
    use std::os::unix::fs::MetadataExt;
    let pg_ctl = pgark_testkit::stock_tool(cluster.major(), "pg_ctl");
    let as_root = std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false);
    let mut cmd = if as_root {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(pg_ctl);
        cmd
    } else {
        Command::new(pg_ctl)
    };
    let data_dir = cluster.data_dir();
    let out = cmd
        .args(["start", "-w", "-D"])
        .arg(data_dir)
        .arg("-l")
        .arg(cluster.log_file())
        .current_dir(data_dir.parent().expect("cluster root"))
        .stdin(Stdio::null())
        .output()
        .expect("run pg_ctl start");
    assert!(
        out.status.success(),
        "pg_ctl start after the stop failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Polls `ready` without a cluster (a generous bound only turns a hang into a failure).
fn poll_local(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < HANG_LIMIT, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// pgark ended by SIGTERM, SIGINT or SIGHUP while its connections wait in COPY: the
/// server-side work is cancelled (the backends stop waiting while the gate is still
/// closed), the only message is stock's `terminated by user` line, the exit status is
/// 1 (stock's), and the temporary file, or the directory archive it created, is gone.
#[test]
fn dump_ended_by_a_signal_removes_unfinished_output() {
    let cluster = Cluster::start(18);
    cluster.create_database(DB);
    cluster.psql(DB, SETUP);
    let scratch = pgark_testkit::scratch_dir();
    // The cancel requests go where the connections went: the Unix socket, or TCP.
    let tcp: &[&str] = &["-h", "127.0.0.1"];
    for (signal, format, jobs, name, extra) in [
        ("TERM", "c", 2, "term.dump", &[][..]),
        ("INT", "d", 2, "int-dir", &[]),
        ("HUP", "p", 1, "hup.sql", &[]),
        ("TERM", "t", 2, "term.tar", tcp),
    ] {
        let what = format!("-F{format} -j {jobs} {extra:?}, SIG{signal}");
        let target = scratch.path().join(name);
        let gate = GateClosed::new(&cluster);
        let child = start_gated_dump_jobs(&cluster, format, Some(&target), jobs, extra);
        if format != "d" {
            let stem = format!("{name}.pgark-tmp-{}", child.id());
            assert!(
                scratch.path().join(&stem).exists(),
                "{what}: no temporary file {stem} while the dump runs"
            );
        }
        let sent = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status()
            .expect("run kill");
        assert!(sent.success(), "{what}: kill failed");
        let out = wait_output(child, &what);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{what}: exit status; stderr:\n{stderr}"
        );
        assert_eq!(
            stderr.trim_end(),
            "pgark: terminated by user",
            "{what}: stderr"
        );
        // Cancelled, not merely disconnected: a backend waiting on a lock would not
        // notice its client is gone.
        poll(&cluster, "the dump's backends to stop waiting", || {
            gated_backends(&cluster).is_empty()
        });
        gate.open(&cluster);
        assert!(!target.exists(), "{what}: {} exists", target.display());
        assert_nothing_complete(&target, &what);
    }
}
