//! pgark: PostgreSQL's logical backup tools (pg_dump, pg_restore, pg_dumpall),
//! reimplemented. The archive formats live in the `pgark-formats` crate, which knows
//! nothing of databases; this crate holds the command lines and everything that talks
//! to a server.

pub mod catalog;
pub mod cli;
pub mod commands;
pub mod conn;
pub mod dump;
pub mod dumpall;
pub mod error;
pub mod graph;
pub mod interrupt;
pub mod objects;
pub mod program;
pub mod restore;

pub use error::{Error, Result};
