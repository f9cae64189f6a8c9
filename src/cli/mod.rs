//! Command-line parsing. One module per command; each holds the clap definition of
//! that command's arguments, spelled as the stock tool spells them, so existing
//! scripts keep working. Turning arguments into resolved options is the job of the
//! command that runs them.

pub mod connection;
pub mod dump;
pub mod dumpall;
pub mod list;
pub mod restore;

use clap::{Parser, Subcommand};

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
