//! Throwaway PostgreSQL clusters, fixture databases, stock-tool locations and the output
//! comparisons side-by-side tests share, for pgark's tests.
//!
//! Everything here is test support: failures panic with a message that says what was run,
//! where, and what the server or tool printed, so a failing test explains itself.
//!
//! ```no_run
//! let cluster = pgark_testkit::Cluster::start(18);
//! cluster.load_fixtures("src", &["basic"]);
//! let out = cluster.psql("src", "select count(*) from pg_class");
//! ```

mod cluster;
mod compare;
pub mod fixtures;
mod paths;
pub mod roundtrip;

pub use cluster::Cluster;
pub use compare::{first_difference, must, normalized_listing, run, stock_listing};
pub use paths::{
    available_majors, pg_bin_dir, pg_lib_dir, pgark_bin, repo_root, scratch_dir, stock_tool,
    without_version_line_bytes, without_version_lines, SUPPORTED_MAJORS,
};
