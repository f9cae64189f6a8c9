//! Contrib-extension sweep: one database per server (14 to 18) holding every extension
//! of `pg_available_extensions` (each must install), in several schemas and
//! owners, plus user objects that use them (`compat-tests/contrib/*.sql`). Every plain
//! `pgark dump` variant must equal stock pg_dump 18's byte for byte (the two version
//! comment lines aside), `pg_restore -l` of both `-Fc` archives must be equal apart
//! from dump IDs and the creation time, and so must stock pg_restore's script of each.

use std::path::Path;
use std::process::{Command, Output};

use pgark_testkit::{
    available_majors, must, normalized_listing, pgark_bin, repo_root, scratch_dir, stock_tool,
    without_version_lines, Cluster,
};

const KEY: &str = "ContribKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS";
const DB: &str = "contrib";

/// Contrib extensions every build must ship and install (the sweep's files use many of them),
/// with the majors that have them: (name, first major, last major). Every other available
/// extension (e.g. plpython3u where the build has it) must install too.
const REQUIRED: &[(&str, u32, u32)] = &[
    ("adminpack", 14, 16),
    ("amcheck", 14, 18),
    ("autoinc", 14, 18),
    ("bloom", 14, 18),
    ("btree_gin", 14, 18),
    ("btree_gist", 14, 18),
    ("citext", 14, 18),
    ("cube", 14, 18),
    ("dblink", 14, 18),
    ("dict_int", 14, 18),
    ("dict_xsyn", 14, 18),
    ("earthdistance", 14, 18),
    ("file_fdw", 14, 18),
    ("fuzzystrmatch", 14, 18),
    ("hstore", 14, 18),
    ("insert_username", 14, 18),
    ("intagg", 14, 18),
    ("intarray", 14, 18),
    ("isn", 14, 18),
    ("lo", 14, 18),
    ("ltree", 14, 18),
    ("moddatetime", 14, 18),
    ("old_snapshot", 14, 16),
    ("pageinspect", 14, 18),
    ("pg_buffercache", 14, 18),
    ("pg_freespacemap", 14, 18),
    ("pg_logicalinspect", 18, 18),
    ("pg_prewarm", 14, 18),
    ("pg_stat_statements", 14, 18),
    ("pg_surgery", 14, 18),
    ("pg_trgm", 14, 18),
    ("pg_visibility", 14, 18),
    ("pg_walinspect", 15, 18),
    ("pgcrypto", 14, 18),
    ("pgrowlocks", 14, 18),
    ("pgstattuple", 14, 18),
    ("postgres_fdw", 14, 18),
    ("refint", 14, 18),
    ("seg", 14, 18),
    ("sslinfo", 14, 18),
    ("tablefunc", 14, 18),
    ("tcn", 14, 18),
    ("tsm_system_rows", 14, 18),
    ("tsm_system_time", 14, 18),
    ("unaccent", 14, 18),
    ("uuid-ossp", 14, 18),
    ("xml2", 14, 18),
];

/// Who runs a dump: the superuser, or the owner of schema `mine` (a non-superuser who
/// created two trusted extensions).
#[derive(Clone, Copy)]
enum As {
    Superuser,
    Owner,
}

/// Plain-format dumps compared with stock: (label, who, extra pg_dump arguments).
const PLAIN_VARIANTS: &[(&str, As, &[&str])] = &[
    ("schema", As::Superuser, &["--schema-only"]),
    ("full", As::Superuser, &[]),
    (
        "no-privileges",
        As::Superuser,
        &["--schema-only", "--no-privileges"],
    ),
    ("no-owner", As::Superuser, &["--schema-only", "-O"]),
    ("schema-app", As::Superuser, &["-n", "app"]),
    ("schema-ext", As::Superuser, &["-n", "ext"]),
    (
        "table-things",
        As::Superuser,
        &["-t", "app.things", "-t", "ext.hstore_settings"],
    ),
    (
        "exclude-ext",
        As::Superuser,
        &["--schema-only", "-N", "ext"],
    ),
    (
        "clean",
        As::Superuser,
        &["--schema-only", "-c", "--if-exists"],
    ),
    (
        "extensions",
        As::Superuser,
        &["-e", "hstore", "-e", "pg_trgm"],
    ),
    (
        "extension-other-schema",
        As::Superuser,
        &["-e", "hstore", "-n", "app"],
    ),
    // Stock's getopt takes a repeated flag (or its other spelling) again silently.
    (
        "repeated-flags",
        As::Superuser,
        &["-s", "--schema-only", "-x", "--no-privileges", "-O", "-O"],
    ),
    (
        "exclude-extensions",
        As::Superuser,
        &[
            "-s",
            "--exclude-extension=hstore",
            "--exclude-extension=btree_gist",
        ],
    ),
    ("statistics", As::Superuser, &["--statistics"]),
    (
        "statistics-child",
        As::Superuser,
        &[
            "--statistics-only",
            "-t",
            "public.chi",
            "-t",
            "public.own_seq",
        ],
    ),
    ("data-only", As::Superuser, &["-a", "--inserts"]),
    (
        "create",
        As::Superuser,
        &["--schema-only", "-C", "--quote-all-identifiers"],
    ),
    (
        "foreign-data",
        As::Superuser,
        &[
            "--include-foreign-data=loopback",
            "--include-foreign-data=f*s",
            "--load-via-partition-root",
        ],
    ),
    (
        "extension-patterns",
        As::Superuser,
        &[
            "-s",
            "-e",
            "pg_*",
            "-e",
            "*fdw",
            "--exclude-extension=pg_t*",
        ],
    ),
    (
        "no-comments-exclude-data",
        As::Superuser,
        &[
            "--no-comments",
            "--no-table-access-method",
            "--exclude-table-data=ext.hstore_settings",
            "--exclude-table-data=app.t*",
        ],
    ),
    ("owner-dumps-mine", As::Owner, &["-n", "mine"]),
    (
        "owner-dumps-mine-bare",
        As::Owner,
        &["-n", "mine", "-x", "-O"],
    ),
];

/// `-Fc` archives whose `pg_restore -l` listings are compared: (label, extra arguments).
const ARCHIVE_VARIANTS: &[(&str, &[&str])] = &[
    ("full", &[]),
    ("schema", &["--schema-only"]),
    ("pre-data", &["--section=pre-data"]),
    ("data-post-data", &["--section=data", "--section=post-data"]),
    ("data-only", &["-a"]),
    ("statistics", &["--statistics"]),
    ("extensions", &["-e", "hstore"]),
    ("foreign-data", &["--include-foreign-data=*"]),
];

/// A unified diff of stock's and pgark's text (stock first), or `None` when equal.
fn difference(stock: &str, ours: &str) -> Option<String> {
    (stock != ours).then(|| {
        let diff = pgark_testkit::roundtrip::unified_diff(stock, ours, "stock", "pgark");
        // Long diffs are kept on disk; the message shows their start.
        diff.lines().take(80).collect::<Vec<_>>().join("\n")
    })
}

/// Installs every available extension not yet installed; returns those that failed,
/// each with the server's first error line.
fn install_all_extensions(cluster: &Cluster) -> Vec<(String, String)> {
    let names = cluster.psql(
        DB,
        "SELECT name FROM pg_available_extensions WHERE installed_version IS NULL ORDER BY name",
    );
    let mut failed = Vec::new();
    for name in names.lines() {
        // CASCADE may have installed it already as another one's requirement.
        let sql = format!(
            "CREATE EXTENSION IF NOT EXISTS \"{}\" CASCADE",
            name.replace('"', "\"\"")
        );
        let mut psql = cluster.tool("psql");
        psql.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", DB, "-c", &sql]);
        let out = psql
            .output()
            .unwrap_or_else(|e| panic!("psql {sql:?}: cannot run: {e}"));
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            failed.push((
                name.to_string(),
                err.lines().next().unwrap_or("").to_string(),
            ));
        }
    }
    failed
}

fn dump(cluster: &Cluster, stock: bool, who: As, args: &[&str], what: &str) -> Output {
    let mut cmd = if stock {
        Command::new(stock_tool(18, "pg_dump"))
    } else {
        let mut cmd = Command::new(pgark_bin());
        cmd.arg("dump");
        cmd
    };
    cluster.apply_env(&mut cmd);
    if let As::Owner = who {
        cmd.env("PGUSER", "contrib_owner");
    }
    cmd.args(args).arg(DB);
    must(&mut cmd, what)
}

/// Every comparison; each mismatch becomes one message (outputs written to `dir`).
fn compare(cluster: &Cluster, dir: &Path) -> Vec<String> {
    let major = cluster.major();
    let mut failures = Vec::new();
    let key = format!("--restrict-key={KEY}");
    for (label, who, extra) in PLAIN_VARIANTS {
        let mut args = vec!["-Fp", key.as_str()];
        args.extend_from_slice(extra);
        let stock = without_version_lines(
            &dump(
                cluster,
                true,
                *who,
                &args,
                &format!("stock pg_dump {label}"),
            )
            .stdout,
        );
        let ours = without_version_lines(
            &dump(cluster, false, *who, &args, &format!("pgark dump {label}")).stdout,
        );
        if let Some(diff) = difference(&stock, &ours) {
            std::fs::write(dir.join(format!("{major}.{label}.stock.sql")), &stock).ok();
            std::fs::write(dir.join(format!("{major}.{label}.pgark.sql")), &ours).ok();
            failures.push(format!(
                "PG {major}: plain dump `{}` differs:\n{diff}",
                args[2..].join(" ")
            ));
        }
    }
    let list = |archive: &Path| {
        let mut cmd = Command::new(stock_tool(18, "pg_restore"));
        cmd.arg("-l").arg(archive);
        normalized_listing(&must(&mut cmd, "pg_restore -l").stdout)
    };
    for (label, extra) in ARCHIVE_VARIANTS {
        let stock_archive = dir.join(format!("{major}.{label}.stock.dump"));
        let ours_archive = dir.join(format!("{major}.{label}.pgark.dump"));
        for (stock, archive) in [(true, &stock_archive), (false, &ours_archive)] {
            let path = archive.display().to_string();
            let mut args = vec!["-Fc", "-f", &path];
            args.extend_from_slice(extra);
            dump(
                cluster,
                stock,
                As::Superuser,
                &args,
                &format!("-Fc dump {label}"),
            );
        }
        if let Some(diff) = difference(&list(&stock_archive), &list(&ours_archive)) {
            failures.push(format!(
                "PG {major}: pg_restore -l of -Fc {} differs:\n{diff}",
                extra.join(" ")
            ));
        }
        // What stock pg_restore makes of each archive (definitions and data as stored).
        let script = |archive: &Path| {
            let mut cmd = Command::new(stock_tool(18, "pg_restore"));
            cmd.args([key.as_str(), "-f", "-"]).arg(archive);
            without_version_lines(&must(&mut cmd, "pg_restore -f -").stdout)
        };
        if let Some(diff) = difference(&script(&stock_archive), &script(&ours_archive)) {
            failures.push(format!(
                "PG {major}: pg_restore of -Fc {} differs:\n{diff}",
                extra.join(" ")
            ));
        }
    }
    failures
}

fn sweep(major: u32) {
    if !available_majors().contains(&major) {
        assert!(
            std::env::var_os("CI").is_none(),
            "PostgreSQL {major} is not provisioned"
        );
        eprintln!("skipping: PostgreSQL {major} is not provisioned");
        return;
    }
    let sql_dir = repo_root().join("compat-tests").join("contrib");
    let cluster = Cluster::start(major);
    cluster.create_database(DB);
    cluster.psql_file(DB, &sql_dir.join("before.sql"));
    let failed = install_all_extensions(&cluster);
    assert!(
        failed.is_empty(),
        "PG {major}: extensions failed to install (a library missing? run scripts/postgres.sh):\n{}",
        failed
            .iter()
            .map(|(name, why)| format!("{name}: {why}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let installed = cluster.psql(DB, "SELECT extname FROM pg_extension ORDER BY extname");
    let installed: Vec<&str> = installed.lines().collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|(name, first, last)| {
            (*first..=*last).contains(&major) && !installed.contains(name)
        })
        .map(|(name, _, _)| *name)
        .collect();
    assert!(
        missing.is_empty(),
        "PG {major}: required contrib extensions not available: {}",
        missing.join(", ")
    );
    eprintln!("PG {major}: installed: {}", installed.join(", "));
    for part in [
        "after.sql",
        "extra.sql",
        "postgres_fdw.sql",
        "dependents.sql",
    ] {
        cluster.psql_file(DB, &sql_dir.join(part));
        if part == "postgres_fdw.sql" {
            // The loop-back server reaches this cluster (IMPORT FOREIGN SCHEMA, foreign data).
            cluster.psql(
                DB,
                &format!(
                    "ALTER SERVER loopback OPTIONS (ADD host '{}', ADD port '{}')",
                    cluster.socket_dir().display(),
                    cluster.port()
                ),
            );
        }
    }
    if installed.contains(&"plpython3u") {
        cluster.psql_file(DB, &sql_dir.join("plpython.sql"));
    }
    let dir = scratch_dir();
    let failures = compare(&cluster, dir.path());
    if !failures.is_empty() {
        let kept = dir.keep();
        panic!(
            "outputs kept in {}\n{}",
            kept.display(),
            failures.join("\n\n")
        );
    }
}

#[test]
fn contrib_extensions_dump_like_stock_on_18() {
    sweep(18);
}

#[test]
fn contrib_extensions_dump_like_stock_on_17() {
    sweep(17);
}

#[test]
fn contrib_extensions_dump_like_stock_on_16() {
    sweep(16);
}

#[test]
fn contrib_extensions_dump_like_stock_on_15() {
    sweep(15);
}

#[test]
fn contrib_extensions_dump_like_stock_on_14() {
    sweep(14);
}
