//! Restoring an archive into a database: `plan` decides what runs when (pure, no I/O),
//! `sql` turns each entry into actions (its statements come from
//! `pgark_formats::script::statements`, shared with the `-f` script renderer), `exec`
//! drives connections, `command` is the `pgark restore -d` entry point, `progress` the
//! progress line. The deliberate differences from stock pg_restore (pipelining,
//! `COPY ... FREEZE`, SQLSTATEs in error messages, ...) are listed in `exec`'s
//! documentation.

pub mod command;
pub mod exec;
pub mod plan;
pub mod progress;
pub mod sql;

pub use command::run_database;
