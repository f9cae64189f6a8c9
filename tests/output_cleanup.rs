//! `pgark restore -f FILE` and `pgark dumpall -f FILE` failing midway leave no file
//! under FILE's name and no temporary file beside it: their outputs are written under a
//! temporary name and renamed into place once complete (`commands::dump::
//! write_output_file`). This is a deliberate difference: stock pg_restore and
//! pg_dumpall write `-f` in place and leave the half-written script behind (checked
//! here for pg_restore, so the test shows the failure happens midway).

use std::path::Path;
use std::process::{Command, Output};

use pgark_testkit::{scratch_dir, Cluster};

const DB: &str = "cleanup";

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("run {cmd:?}: {e}"))
}

/// The names in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read scratch dir")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn failed_restore_and_dumpall_leave_no_output_file() {
    let cluster = Cluster::start(18);
    cluster.create_database(DB);
    // Enough uncompressed data that a truncated archive fails well after the script
    // has started; enough roles that the globals script outgrows a 1-block file limit.
    cluster.psql(
        DB,
        "CREATE TABLE t AS SELECT g AS id, repeat('x', 60) AS pad FROM generate_series(1, 30000) g;
         DO $$ BEGIN FOR i IN 1..30 LOOP EXECUTE format('CREATE ROLE cleanup_role_%s', i); END LOOP; END $$;",
    );
    let work = scratch_dir();
    let archive = work.path().join("db.dump");
    let out = run(cluster
        .tool("pg_dump")
        .args(["-Fc", "-Z", "0", "-f"])
        .arg(&archive)
        .arg(DB));
    assert!(out.status.success(), "stock pg_dump: {out:?}");
    let bytes = std::fs::read(&archive).expect("read archive");
    let truncated = work.path().join("truncated.dump");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write truncated archive");

    // Stock pg_restore leaves the script it had written so far.
    let stock_dir = scratch_dir();
    let stock_target = stock_dir.path().join("out.sql");
    let out = run(cluster
        .tool("pg_restore")
        .arg("-f")
        .arg(&stock_target)
        .arg(&truncated));
    assert!(
        !out.status.success(),
        "stock pg_restore of a truncated archive succeeded"
    );
    assert!(
        std::fs::metadata(&stock_target).is_ok_and(|m| m.len() > 0),
        "stock pg_restore left no partial script: the archive fails too early to test"
    );

    // pgark restore -f: fails, and nothing is left.
    let ours_dir = scratch_dir();
    let target = ours_dir.path().join("out.sql");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgark"));
    cmd.arg("restore").arg("-f").arg(&target).arg(&truncated);
    let out = run(&mut cmd);
    assert!(
        !out.status.success(),
        "pgark restore of a truncated archive succeeded"
    );
    assert_eq!(
        names_in(ours_dir.path()),
        Vec::<String>::new(),
        "pgark restore left files"
    );

    // pgark dumpall -g -f under a file-size limit: the write fails, nothing is left.
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -f 1 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_pgark"))
        .args(["dumpall", "-g", "-f"])
        .arg(&target);
    cluster.apply_env(&mut cmd);
    let out = run(&mut cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "pgark dumpall over the file-size limit succeeded"
    );
    assert!(
        stderr.contains("File too large"),
        "unexpected error: {stderr}"
    );
    assert_eq!(
        names_in(ours_dir.path()),
        Vec::<String>::new(),
        "pgark dumpall left files"
    );

    // Without the limit the same command writes the file under its name.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pgark"));
    cmd.args(["dumpall", "-g", "-f"]).arg(&target);
    cluster.apply_env(&mut cmd);
    let out = run(&mut cmd);
    assert!(out.status.success(), "pgark dumpall -g -f: {out:?}");
    assert_eq!(names_in(ours_dir.path()), vec!["out.sql".to_string()]);
    let script = std::fs::read_to_string(&target).expect("read globals script");
    assert!(script.contains("CREATE ROLE cleanup_role_30;"), "{script}");
}
