//! `pgark restore -d` against stock pg_restore: every fixture, archives of stock
//! pg_dump 18 (into an 18 server) and 15 (into a 15 server), custom / directory / tar,
//! `-j 1` and `-j 2`: the database pgark restores must equal the one stock restores
//! from the same archive (schema text, table checksums, large objects, sequences).

use pgark_testkit::{scratch_dir, Cluster};

use crate::restore_support::{db_name, provisioned, side_by_side, stock_dump};

fn matches_stock(major: u32) {
    if !provisioned(major) {
        return;
    }
    let cluster = Cluster::start(major);
    cluster.load_all_fixtures("src");
    let work = scratch_dir();
    let mut failures = Vec::new();
    for (format, name) in [("c", "custom"), ("d", "directory"), ("t", "tar")] {
        let archive = work.path().join(format!("src.{name}"));
        stock_dump(&cluster, major, "src", format, &archive, &[]);
        let jobs: &[&str] = if format == "t" { &["1"] } else { &["1", "2"] };
        for j in jobs {
            let label = format!("{name}_j{j}");
            let result = side_by_side(
                &cluster,
                major,
                &archive,
                &db_name("stock", &label),
                &db_name("pgark", &label),
                &["-j", j],
                true,
                &work.path().join(&label),
            );
            if result.stock.status.code() != result.pgark.status.code() || !result.comparison.is_equal() {
                failures.push(format!(
                    "{label}: stock exit {:?}, pgark exit {:?}\n{}\npgark stderr:\n{}",
                    result.stock.status.code(),
                    result.pgark.status.code(),
                    result.comparison,
                    String::from_utf8_lossy(&result.pgark.stderr)
                ));
            }
            assert!(result.comparison.tables > 0, "{label}: no tables compared");
        }
    }
    if !failures.is_empty() {
        let kept = work.keep();
        panic!("PostgreSQL {major}: pgark restore differs from stock (files in {}):\n{}", kept.display(), failures.join("\n"));
    }
}

#[test]
fn restore_matches_stock_pg18() {
    matches_stock(18);
}

#[test]
fn restore_matches_stock_pg15() {
    matches_stock(15);
}

/// Stock refuses parallel restore of a tar archive; so does pgark, and both exit 1.
#[test]
fn restore_parallel_tar_is_refused() {
    if !provisioned(18) {
        return;
    }
    let cluster = Cluster::start(18);
    cluster.load_fixtures("src", &["basic"]);
    let work = scratch_dir();
    let archive = work.path().join("src.tar");
    stock_dump(&cluster, 18, "src", "t", &archive, &[]);
    let result = side_by_side(&cluster, 18, &archive, "stock_t", "pgark_t", &["-j", "2"], true, &work.path().join("l"));
    assert_eq!(result.stock.status.code(), Some(1));
    result.assert_same("-j 2 on tar");
    let stderr = String::from_utf8_lossy(&result.pgark.stderr);
    assert!(
        stderr.contains("parallel restore is not supported with this archive file format"),
        "unexpected message: {stderr}"
    );
}
