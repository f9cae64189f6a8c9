//! The demo binary end to end: a stock dump of all fixtures, restored by pgark, verifies equal.

use std::process::Command;

#[test]
fn demo_round_trip_verifies_equal() {
    let Some(major) = pgark_testkit::available_majors().last().copied() else {
        panic!("no PostgreSQL provisioned (run scripts/postgres.sh)");
    };
    let out = Command::new(env!("CARGO_BIN_EXE_pgark-demo"))
        .args(["--major", &major.to_string()])
        .output()
        .expect("run pgark-demo");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "pgark-demo failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(
        stdout.contains("STOCK pg_dump"),
        "the demo must say the dump is stock:\n{stdout}"
    );
    assert!(stdout.contains("identical, diff empty"), "{stdout}");
    assert!(stdout.contains("RESULT: OK"), "{stdout}");
    assert!(
        stdout.contains("restore: pgark"),
        "the demo restores with pgark by default:\n{stdout}"
    );
}

#[test]
fn demo_rejects_unknown_tools_with_usage_status() {
    let out = Command::new(env!("CARGO_BIN_EXE_pgark-demo"))
        .args(["--dump-with", "magic"])
        .output()
        .expect("run pgark-demo");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected stock or pgark"));
}
