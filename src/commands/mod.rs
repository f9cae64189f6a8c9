//! What each command does once its arguments are parsed.

pub mod dumpall;
pub mod list;
pub mod restore;
pub mod restore_options;

use crate::cli::{Cli, Command};
use crate::{Error, Result};

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Dump(_) => Err(Error::NotImplemented { what: "pgark dump".into() }),
        Command::Restore(args) => restore::run(&args),
        Command::Dumpall(args) => dumpall::run(&args),
        Command::List(args) => list::run_list(&args),
    }
}
