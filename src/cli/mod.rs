//! Command-line parsing. One module per command; each holds the clap definition of
//! that command's arguments, spelled as the stock tool spells them, so existing
//! scripts keep working. Turning arguments into resolved options is the job of the
//! command that runs them.

pub mod connection;
pub mod dump;
pub mod dumpall;
pub mod list;
pub mod restore;

use crate::program::{Invocation, Tool};
use clap::{Args, FromArgMatches, Parser, Subcommand};
use std::ffi::OsString;

/// pgark: PostgreSQL logical backups (pg_dump, pg_restore, pg_dumpall), reimplemented.
#[derive(Debug, Parser)]
#[command(name = "pgark", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Export one database as an SQL script or an archive (pg_dump).
    Dump(Box<dump::DumpArgs>),
    /// Restore an archive into a database or render it as SQL (pg_restore).
    Restore(Box<restore::RestoreArgs>),
    /// Export a whole cluster: roles, tablespaces and every database (pg_dumpall).
    Dumpall(Box<dumpall::DumpallArgs>),
    /// Print an archive's table of contents, as `pg_restore -l` does.
    List(list::ListArgs),
}

/// What a stock tool's command line asks for (see [`parse_tool_command_line`]).
#[derive(Debug)]
pub enum ToolRequest {
    /// Run this command.
    Run(Command),
    /// Print this text on standard output and exit successfully (`--version`, `--help`).
    Print(String),
    /// A command-line error: print this text on standard error and exit with 1.
    UsageError(String),
}

/// The command line of a stock tool, for pgark invoked under its name:
/// `pg_dump [OPTION]... [DBNAME]` means `pgark dump [OPTION]... [DBNAME]`, and so on.
/// Parsed as glibc's getopt_long parses stock's: a long option may be abbreviated while
/// unambiguous, and an option's value may start with `-`. `-V`/`--version` counts only
/// as the first argument, as in stock. `args` is argv without argv[0].
pub fn parse_tool_command_line(invocation: &Invocation, tool: Tool, args: &[OsString]) -> ToolRequest {
    if args.len() == 1 && matches!(args[0].to_str(), Some("-V" | "--version")) {
        return ToolRequest::Print(format!("{}\n", Invocation::version_line(tool)));
    }
    let mut command = tool_command(tool, &invocation.name);
    let argv = std::iter::once(OsString::from(&invocation.name)).chain(args.iter().cloned());
    let parsed = command.try_get_matches_from_mut(argv).and_then(|matches| {
        Ok(match tool {
            Tool::Dump => Command::Dump(Box::new(dump::DumpArgs::from_arg_matches(&matches)?)),
            Tool::Restore => Command::Restore(Box::new(restore::RestoreArgs::from_arg_matches(&matches)?)),
            Tool::Dumpall => Command::Dumpall(Box::new(dumpall::DumpallArgs::from_arg_matches(&matches)?)),
        })
    });
    match parsed {
        Ok(command) => ToolRequest::Run(command),
        Err(err) if matches!(err.kind(), clap::error::ErrorKind::DisplayHelp) => {
            ToolRequest::Print(err.render().to_string())
        }
        Err(err) => ToolRequest::UsageError(invocation.render_usage_error(tool, &err, &command, args)),
    }
}

/// The clap command of a stock tool's command line, named `name` (the program name the
/// user ran, as stock's usage line shows it).
fn tool_command(tool: Tool, name: &str) -> clap::Command {
    // clap (without its "string" feature) names commands with 'static strings; this
    // runs once per process.
    let static_name: &'static str = Box::leak(name.to_string().into_boxed_str());
    let base = clap::Command::new(static_name).disable_version_flag(true);
    let command = match tool {
        Tool::Dump => dump::DumpArgs::augment_args(base),
        Tool::Restore => restore::RestoreArgs::augment_args(base),
        Tool::Dumpall => dumpall::DumpallArgs::augment_args(base),
    };
    command
        .about(format!("{name} {}", tool.description()))
        .after_help(format!(
            "This is pgark {} standing in for {} (PostgreSQL {}).",
            env!("CARGO_PKG_VERSION"),
            tool.stock_name(),
            crate::program::EMULATED_VERSION
        ))
        .infer_long_args(true)
        .mut_args(|arg| {
            if !arg.is_positional() && arg.get_action().takes_values() {
                arg.allow_hyphen_values(true)
            } else {
                arg
            }
        })
}

/// Accepts the spellings stock tools accept for one output/input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatArg {
    Plain,
    Custom,
    Directory,
    Tar,
}

impl std::str::FromStr for FormatArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // pg_dump compares case-insensitively and accepts the full word or its first letter.
        match s.to_ascii_lowercase().as_str() {
            "p" | "plain" => Ok(FormatArg::Plain),
            "c" | "custom" => Ok(FormatArg::Custom),
            "d" | "directory" => Ok(FormatArg::Directory),
            "t" | "tar" => Ok(FormatArg::Tar),
            _ => Err(format!("invalid output format \"{s}\" specified")),
        }
    }
}

/// `--section` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SectionArg {
    #[value(name = "pre-data")]
    PreData,
    #[value(name = "data")]
    Data,
    #[value(name = "post-data")]
    PostData,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn tool_command_lines_are_consistent() {
        for tool in Tool::ALL {
            tool_command(tool, tool.stock_name()).debug_assert();
        }
    }

    #[test]
    fn format_spellings() {
        for (s, f) in [
            ("p", FormatArg::Plain),
            ("plain", FormatArg::Plain),
            ("C", FormatArg::Custom),
            ("custom", FormatArg::Custom),
            ("d", FormatArg::Directory),
            ("directory", FormatArg::Directory),
            ("t", FormatArg::Tar),
            ("tar", FormatArg::Tar),
        ] {
            assert_eq!(s.parse::<FormatArg>(), Ok(f), "{s}");
        }
        assert!("x".parse::<FormatArg>().is_err());
    }
}
