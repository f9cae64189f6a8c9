//! The `pgark` binary: parse the command line, run it, map errors to exit codes.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = pgark::cli::Cli::parse();
    match pgark::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("pgark: error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
