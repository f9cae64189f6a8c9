//! Side-by-side checks against the stock tools: the stock dump/restore command lines of each
//! archive format, and a runner that round-trips one fixture database through several of them.
//!
//! The check itself (dump, restore, compare schema text, table checksums, large objects and
//! sequences) lives in [`pgark_testkit::roundtrip`] so the demo binary can use it too; it is
//! re-exported here.

use std::path::Path;
use std::time::{Duration, Instant};

pub use pgark_testkit::roundtrip::{
    compare_databases, compare_snapshots, create_database, run_round_trip, run_round_trip_from,
    Aspect, CommandRun, CommandTemplate, Comparison, DatabaseSnapshot, Mismatch, RoundTrip,
    RoundTripError, RoundTripReport,
};
use pgark_testkit::Cluster;

/// The four output formats of pg_dump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockFormat {
    /// SQL script (`-Fp`), restored with psql.
    Plain,
    /// `-Fc`, restored with pg_restore.
    Custom,
    /// `-Fd`, restored with `pg_restore -j 2`.
    Directory,
    /// `-Ft`, restored with pg_restore.
    Tar,
}

impl StockFormat {
    pub const ALL: [StockFormat; 4] = [
        StockFormat::Plain,
        StockFormat::Custom,
        StockFormat::Directory,
        StockFormat::Tar,
    ];

    pub fn label(self) -> &'static str {
        match self {
            StockFormat::Plain => "plain",
            StockFormat::Custom => "custom",
            StockFormat::Directory => "directory",
            StockFormat::Tar => "tar",
        }
    }

    /// pg_dump's `-F` letter.
    pub fn letter(self) -> &'static str {
        match self {
            StockFormat::Plain => "p",
            StockFormat::Custom => "c",
            StockFormat::Directory => "d",
            StockFormat::Tar => "t",
        }
    }

    fn archive_name(self) -> &'static str {
        match self {
            StockFormat::Plain => "dump.sql",
            StockFormat::Custom => "dump.custom",
            StockFormat::Directory => "dump.dir",
            StockFormat::Tar => "dump.tar",
        }
    }

    /// Stock `pg_dump -F<letter> -f {archive} {db}` of `major`.
    pub fn stock_dump(self, major: u32) -> CommandTemplate {
        let format = format!("-F{}", self.letter());
        CommandTemplate::stock(
            major,
            "pg_dump",
            &[&format, "-f", "{archive}", "-d", "{db}"],
        )
    }

    /// Stock restore of `major`: psql for plain, `pg_restore -j 2` for directory,
    /// `pg_restore` otherwise. Any error makes the command fail.
    pub fn stock_restore(self, major: u32) -> CommandTemplate {
        match self {
            StockFormat::Plain => CommandTemplate::stock(
                major,
                "psql",
                &[
                    "-X",
                    "-q",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-o",
                    "/dev/null",
                    "-d",
                    "{db}",
                    "-f",
                    "{archive}",
                ],
            ),
            StockFormat::Directory => CommandTemplate::stock(
                major,
                "pg_restore",
                &["-j", "2", "--exit-on-error", "-d", "{db}", "{archive}"],
            ),
            StockFormat::Custom | StockFormat::Tar => CommandTemplate::stock(
                major,
                "pg_restore",
                &["--exit-on-error", "-d", "{db}", "{archive}"],
            ),
        }
    }

    /// Stock dump and stock restore of one major.
    pub fn stock_round_trip(self, major: u32) -> RoundTrip {
        RoundTrip {
            label: self.label().to_string(),
            dump: self.stock_dump(major),
            restore: self.stock_restore(major),
            archive_name: self.archive_name().to_string(),
            create_target: true,
        }
    }
}

/// The outcome of a matrix run: one report per round trip, and how long the setup took.
#[derive(Debug)]
pub struct MatrixRun {
    pub major: u32,
    pub fixtures: Vec<String>,
    pub setup: Duration,
    /// Time to snapshot the source (schema text and checksums), once for all round trips.
    pub source_snapshot: Duration,
    pub reports: Vec<RoundTripReport>,
}

impl MatrixRun {
    pub fn all_equal(&self) -> bool {
        self.reports.iter().all(RoundTripReport::is_equal)
    }

    /// One line per round trip: label, verdict, archive size and timings.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "PostgreSQL {}: {} fixtures loaded in {:.1?} ({}); source checksummed in {:.1?}\n",
            self.major,
            self.fixtures.len(),
            self.setup,
            self.fixtures.join(", "),
            self.source_snapshot,
        );
        for report in &self.reports {
            text.push_str(&format!(
                "  {:<10} {:<9} archive {:>9} bytes, dump {:>7.2?}, restore {:>7.2?}, verify {:>7.2?}, {} tables / {} rows / {} LOs / {} sequences\n",
                report.label,
                if report.is_equal() { "equal" } else { "DIFFERENT" },
                report.archive_bytes,
                report.dump.elapsed,
                report.restore.elapsed,
                report.comparison.target_snapshot_time,
                report.comparison.tables,
                report.comparison.rows,
                report.comparison.large_objects,
                report.comparison.sequences,
            ));
        }
        text
    }
}

/// Loads every fixture applicable to the cluster's major into `source` once, then runs each
/// round trip into its own target database (`target_<label>`), comparing with pg_dump of
/// `client_major`. Files go to `work_dir/<label>/`.
pub fn run_matrix(
    cluster: &Cluster,
    plans: &[RoundTrip],
    client_major: u32,
    work_dir: &Path,
) -> Result<MatrixRun, RoundTripError> {
    let started = Instant::now();
    let fixtures = cluster
        .load_all_fixtures("source")
        .into_iter()
        .map(|f| f.name)
        .collect();
    let setup = started.elapsed();
    let source = DatabaseSnapshot::take(cluster, "source", client_major)?;
    let mut reports = Vec::with_capacity(plans.len());
    for plan in plans {
        let dir = work_dir.join(&plan.label);
        std::fs::create_dir_all(&dir).map_err(|source| RoundTripError::Io {
            action: "create",
            path: dir.clone(),
            source,
        })?;
        let target = format!("target_{}", plan.label);
        reports.push(run_round_trip_from(cluster, &source, &target, plan, &dir)?);
    }
    Ok(MatrixRun {
        major: cluster.major(),
        fixtures,
        setup,
        source_snapshot: source.elapsed,
        reports,
    })
}
