//! The `pgark` binary: parse the command line, run it, map errors to exit codes.
//! A multi-call binary: run through a link named `pg_dump`, `pg_restore` or
//! `pg_dumpall` (or with a `-SUFFIX`), it takes that stock tool's command line and
//! prints and exits as it does (see `pgark::program`).

use clap::Parser;
use pgark::cli::{Cli, ToolRequest};
use pgark::program::{self, Invocation};
use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

fn main() -> ExitCode {
    catch_file_size_signal();
    let argv: Vec<OsString> = std::env::args_os().collect();
    let invocation = program::init(Invocation::from_argv0(
        argv.first().map(OsString::as_os_str),
    ));
    let Some(tool) = invocation.tool else {
        let cli = Cli::parse_from(argv);
        return run(invocation, cli, |err| err.exit_code());
    };
    let args = argv.get(1..).unwrap_or_default();
    match pgark::cli::parse_tool_command_line(invocation, tool, args) {
        ToolRequest::Run(command) => run(invocation, Cli { command }, |_| 1),
        ToolRequest::Print(text) => {
            // A closed stdout (`pg_dump --version | head -c0`) is not worth a message.
            let _ = std::io::stdout().write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        ToolRequest::UsageError(text) => {
            eprint!("{text}");
            ExitCode::from(1)
        }
    }
}

/// Runs a parsed command line; errors are printed under the invoked program's name and
/// end with `exit_code`'s status (stock tools exit with 1 whatever failed).
fn run(invocation: &Invocation, cli: Cli, exit_code: impl Fn(&pgark::Error) -> u8) -> ExitCode {
    match pgark::commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprint!("{}", invocation.render_error(&err.to_string()));
            ExitCode::from(exit_code(&err))
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
