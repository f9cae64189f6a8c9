//! `pgark list`: `pg_restore -l` as a command of its own.

use super::FormatArg;
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Archive file or directory to list.
    #[arg(value_name = "ARCHIVE")]
    pub archive: String,
    /// Archive format (detected when omitted): c(ustom), d(irectory), t(ar).
    #[arg(short = 'F', long = "format", value_name = "FORMAT")]
    pub format: Option<FormatArg>,
    /// Write the listing to this file instead of standard output.
    #[arg(short = 'f', long = "file", value_name = "FILENAME")]
    pub file: Option<String>,
}
