//! The `pgark` binary: parse the command line, run it, map errors to exit codes.

use clap::Parser;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

fn main() -> ExitCode {
    catch_file_size_signal();
    let cli = pgark::cli::Cli::parse();
    match pgark::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("pgark: error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

/// A write past a file-size limit (`ulimit -f`) raises SIGXFSZ, whose default action
/// kills the process without a word. Caught (the flag is never read), the write fails
/// with EFBIG instead, and the dump names the file it could not write and removes its
/// unfinished output.
fn catch_file_size_signal() {
    // Failure leaves the default action: a limit then kills as it does stock pg_dump.
    let _ = signal_hook::flag::register(
        signal_hook::consts::SIGXFSZ,
        Arc::new(AtomicBool::new(false)),
    );
}
