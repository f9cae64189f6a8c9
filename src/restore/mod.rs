//! Restoring an archive into a database: `plan` decides what runs when (pure, no I/O),
//! `sql` says what each entry sends, `exec` drives connections, `command` is the
//! `pgark restore -d` entry point, `progress` the progress line.

pub mod command;
pub mod exec;
pub mod plan;
pub mod progress;
pub mod sql;

pub use command::run_database;
