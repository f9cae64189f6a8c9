//! SECURITY LABEL entries against stock pg_dump 18. Core PostgreSQL has no label
//! provider, so the test builds a tiny one (`compat-tests/seclabel/
//! pgark_label_provider.c`, providers `pgark` and `"Pgark Second"`) with gcc against
//! the 18 server headers under `target/pg/18/include/server`, LOADs it in the session
//! that runs `compat-tests/seclabel/labels.sql`, then compares `pgark dump` with
//! stock `pg_dump` 18: schema-only, whole, data-only, `-C --no-security-labels`
//! plain scripts and `pg_restore -l` of `-Fc` archives. Skipped (with a message)
//! where PostgreSQL 18 or gcc is missing, unless `CI` is set.

use std::path::{Path, PathBuf};
use std::process::Command;

use pgark_testkit::{
    available_majors, first_difference, must, pg_bin_dir, pgark_bin, repo_root, scratch_dir,
    stock_listing, stock_tool, without_version_lines, Cluster,
};

const KEY: &str = "LabelKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST";

fn gcc_available() -> bool {
    Command::new("gcc")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Builds the provider against PostgreSQL 18's server headers; returns the .so path
/// (world-readable: the server runs as another user).
fn build_provider(dir: &Path) -> PathBuf {
    let include = pg_bin_dir(18)
        .parent()
        .map(|p| p.join("include").join("server"))
        .expect("the 18 bin dir has a parent");
    let source = repo_root()
        .join("compat-tests")
        .join("seclabel")
        .join("pgark_label_provider.c");
    let so = dir.join("pgark_label_provider.so");
    must(
        Command::new("gcc")
            .args(["-shared", "-fPIC", "-O1", "-Wall", "-Werror", "-I"])
            .arg(&include)
            .arg("-o")
            .arg(&so)
            .arg(&source),
        "gcc (label provider)",
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&so, std::fs::Permissions::from_mode(0o755))
        .expect("chmod the provider");
    so
}

fn stock_dump(cluster: &Cluster, args: &[&str]) -> Vec<u8> {
    let mut cmd = Command::new(stock_tool(18, "pg_dump"));
    cluster.apply_env(&mut cmd);
    cmd.args(args);
    must(&mut cmd, &format!("stock pg_dump {args:?}")).stdout
}

fn pgark_dump(cluster: &Cluster, args: &[&str]) -> Vec<u8> {
    let mut cmd = Command::new(pgark_bin());
    cluster.apply_env(&mut cmd);
    cmd.arg("dump").args(args);
    must(&mut cmd, &format!("pgark dump {args:?}")).stdout
}

#[test]
fn security_labels_match_stock_on_18() {
    let ci = std::env::var_os("CI").is_some();
    if !available_majors().contains(&18) {
        assert!(!ci, "PostgreSQL 18 is not provisioned");
        eprintln!("skipping: PostgreSQL 18 is not provisioned");
        return;
    }
    if !gcc_available() {
        assert!(!ci, "gcc is needed to build the test label provider");
        eprintln!("skipping: no gcc to build the test label provider");
        return;
    }
    let dir = scratch_dir();
    let provider = build_provider(dir.path());
    let sql = std::fs::read_to_string(
        repo_root()
            .join("compat-tests")
            .join("seclabel")
            .join("labels.sql"),
    )
    .expect("read labels.sql");
    let script = dir.path().join("labels.sql");
    std::fs::write(&script, format!("LOAD '{}';\n{sql}", provider.display()))
        .expect("write the load script");
    let cluster = Cluster::start(18);
    cluster.create_database("labels");
    cluster.psql_file("labels", &script);
    assert!(
        cluster.psql(
            "labels",
            "SELECT count(*) > 15 FROM pg_catalog.pg_seclabels"
        ) == "t",
        "the labels were not set"
    );

    let restrict = format!("--restrict-key={KEY}");
    let mut failures = Vec::new();
    for args in [
        vec!["--schema-only"],
        vec![],
        vec!["--data-only"],
        vec!["-C", "--no-security-labels"],
    ] {
        let mut full: Vec<&str> = vec!["-Fp", &restrict];
        full.extend(&args);
        full.push("labels");
        let stock = without_version_lines(&stock_dump(&cluster, &full));
        let ours = without_version_lines(&pgark_dump(&cluster, &full));
        if stock != ours {
            failures.push(format!("{args:?}: {}", first_difference(stock.as_bytes(), ours.as_bytes())));
        }
        if args.is_empty() {
            assert!(
                stock.matches("SECURITY LABEL FOR").count() > 15,
                "stock dumped too few labels:\n{stock}"
            );
        }
    }
    let stock_archive = dir.path().join("stock.dump");
    let ours_archive = dir.path().join("pgark.dump");
    for (archive, dump) in [
        (
            &stock_archive,
            stock_dump as fn(&Cluster, &[&str]) -> Vec<u8>,
        ),
        (&ours_archive, pgark_dump),
    ] {
        let path = archive.display().to_string();
        dump(&cluster, &["-Fc", "-f", &path, "labels"]);
    }
    let (sl, ol) = (stock_listing(&stock_archive), stock_listing(&ours_archive));
    if sl != ol {
        failures.push(format!("pg_restore -l: {}", first_difference(sl.as_bytes(), ol.as_bytes())));
    }
    if !failures.is_empty() {
        let kept = dir.keep();
        panic!(
            "outputs kept in {}\n{}",
            kept.display(),
            failures.join("\n\n")
        );
    }
}
