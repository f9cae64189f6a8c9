//! What each command does once its arguments are parsed.

pub mod dumpall;
pub mod dump;
pub mod list;
pub mod restore;
pub mod restore_options;

use crate::cli::{Cli, Command};
use crate::Result;

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    crate::interrupt::install();
    match cli.command {
        Command::Dump(args) => dump::run(&args),
        Command::Restore(args) => restore::run(&args),
        Command::Dumpall(args) => dumpall::run(&args),
        Command::List(args) => list::run_list(&args),
    }
}
