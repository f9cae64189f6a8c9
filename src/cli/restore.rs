//! `pgark restore`: pg_restore's command line, option for option (PostgreSQL 18).

use super::connection::ConnectionArgs;
use super::{FormatArg, SectionArg};
use clap::{ArgAction, Args};

#[derive(Debug, Clone, Args)]
#[command(disable_help_flag = true, args_override_self = true)]
pub struct RestoreArgs {
    /// Archive to restore (standard input when omitted).
    #[arg(value_name = "FILE")]
    pub archive: Option<String>,

    /// Show this help, then exit.
    #[arg(short = '?', long = "help", action = ArgAction::Help)]
    pub help: Option<bool>,

    // General options
    /// Connect to database name.
    #[arg(short = 'd', long = "dbname", value_name = "NAME", help_heading = "General options")]
    pub dbname: Option<String>,
    /// Output file name (- for stdout).
    #[arg(short = 'f', long = "file", value_name = "FILENAME", help_heading = "General options")]
    pub file: Option<String>,
    /// Backup file format (should be automatic).
    #[arg(short = 'F', long = "format", value_name = "c|d|t", help_heading = "General options")]
    pub format: Option<FormatArg>,
    /// Print summarized TOC of the archive.
    #[arg(short = 'l', long = "list", help_heading = "General options")]
    pub list: bool,
    /// Verbose mode.
    #[arg(short = 'v', long = "verbose", help_heading = "General options")]
    pub verbose: bool,
    /// Do not show a progress bar.
    #[arg(long = "no-progress", help_heading = "General options")]
    pub no_progress: bool,

    // Options controlling the restore
    /// Restore only the data, no schema.
    #[arg(short = 'a', long = "data-only", help_heading = "Restore options")]
    pub data_only: bool,
    /// Clean (drop) database objects before recreating.
    #[arg(short = 'c', long = "clean", help_heading = "Restore options")]
    pub clean: bool,
    /// Create the target database.
    #[arg(short = 'C', long = "create", help_heading = "Restore options")]
    pub create: bool,
    /// Exit on error, default is to continue.
    #[arg(short = 'e', long = "exit-on-error", help_heading = "Restore options")]
    pub exit_on_error: bool,
    /// Restore named index.
    #[arg(short = 'I', long = "index", value_name = "NAME", help_heading = "Restore options")]
    pub index: Vec<String>,
    /// Use this many parallel jobs to restore.
    #[arg(short = 'j', long = "jobs", value_name = "NUM", help_heading = "Restore options")]
    pub jobs: Option<u32>,
    /// Use table of contents from this file for selecting/ordering output.
    #[arg(short = 'L', long = "use-list", value_name = "FILENAME", help_heading = "Restore options")]
    pub use_list: Option<String>,
    /// Restore only objects in this schema.
    #[arg(short = 'n', long = "schema", value_name = "NAME", help_heading = "Restore options")]
    pub schema: Vec<String>,
    /// Do not restore objects in this schema.
    #[arg(short = 'N', long = "exclude-schema", value_name = "NAME", help_heading = "Restore options")]
    pub exclude_schema: Vec<String>,
    /// Skip restoration of object ownership.
    #[arg(short = 'O', long = "no-owner", help_heading = "Restore options")]
    pub no_owner: bool,
    /// Restore named function.
    #[arg(short = 'P', long = "function", value_name = "NAME(args)", help_heading = "Restore options")]
    pub function: Vec<String>,
    /// Obsolete; accepted and ignored.
    #[arg(short = 'R', long = "no-reconnect", hide = true)]
    pub no_reconnect: bool,
    /// Restore only the schema, no data.
    #[arg(short = 's', long = "schema-only", help_heading = "Restore options")]
    pub schema_only: bool,
    /// Superuser user name to use for disabling triggers.
    #[arg(short = 'S', long = "superuser", value_name = "NAME", help_heading = "Restore options")]
    pub superuser: Option<String>,
    /// Restore named relation (table, view, etc.).
    #[arg(short = 't', long = "table", value_name = "NAME", help_heading = "Restore options")]
    pub table: Vec<String>,
    /// Restore named trigger.
    #[arg(short = 'T', long = "trigger", value_name = "NAME", help_heading = "Restore options")]
    pub trigger: Vec<String>,
    /// Skip restoration of access privileges (grant/revoke).
    #[arg(short = 'x', long = "no-privileges", visible_alias = "no-acl", help_heading = "Restore options")]
    pub no_privileges: bool,
    /// Restore as a single transaction.
    #[arg(short = '1', long = "single-transaction", help_heading = "Restore options")]
    pub single_transaction: bool,
    /// Disable triggers during data-only restore.
    #[arg(long = "disable-triggers", help_heading = "Restore options")]
    pub disable_triggers: bool,
    /// Enable row security.
    #[arg(long = "enable-row-security", help_heading = "Restore options")]
    pub enable_row_security: bool,
    /// Restore or skip objects based on expressions in FILENAME.
    #[arg(long = "filter", value_name = "FILENAME", help_heading = "Restore options")]
    pub filter: Vec<String>,
    /// Use IF EXISTS when dropping objects.
    #[arg(long = "if-exists", help_heading = "Restore options")]
    pub if_exists: bool,
    /// Do not restore comments.
    #[arg(long = "no-comments", help_heading = "Restore options")]
    pub no_comments: bool,
    /// Do not restore data.
    #[arg(long = "no-data", help_heading = "Restore options")]
    pub no_data: bool,
    /// Do not restore data of tables that could not be created.
    #[arg(long = "no-data-for-failed-tables", help_heading = "Restore options")]
    pub no_data_for_failed_tables: bool,
    /// Do not restore row security policies.
    #[arg(long = "no-policies", help_heading = "Restore options")]
    pub no_policies: bool,
    /// Do not restore publications.
    #[arg(long = "no-publications", help_heading = "Restore options")]
    pub no_publications: bool,
    /// Do not restore schema.
    #[arg(long = "no-schema", help_heading = "Restore options")]
    pub no_schema: bool,
    /// Do not restore security labels.
    #[arg(long = "no-security-labels", help_heading = "Restore options")]
    pub no_security_labels: bool,
    /// Do not restore statistics.
    #[arg(long = "no-statistics", help_heading = "Restore options")]
    pub no_statistics: bool,
    /// Do not restore subscriptions.
    #[arg(long = "no-subscriptions", help_heading = "Restore options")]
    pub no_subscriptions: bool,
    /// Do not restore table access methods.
    #[arg(long = "no-table-access-method", help_heading = "Restore options")]
    pub no_table_access_method: bool,
    /// Do not restore tablespace assignments.
    #[arg(long = "no-tablespaces", help_heading = "Restore options")]
    pub no_tablespaces: bool,
    /// Use provided string as psql \restrict key.
    #[arg(long = "restrict-key", value_name = "RESTRICT_KEY", help_heading = "Restore options")]
    pub restrict_key: Option<String>,
    /// Restore named section (pre-data, data, or post-data).
    #[arg(long = "section", value_name = "SECTION", help_heading = "Restore options")]
    pub section: Vec<SectionArg>,
    /// Restore statistics.
    #[arg(long = "statistics", help_heading = "Restore options")]
    pub statistics: bool,
    /// Restore only the statistics, not schema or data.
    #[arg(long = "statistics-only", help_heading = "Restore options")]
    pub statistics_only: bool,
    /// Require table and/or schema include patterns to match at least one entity each.
    #[arg(long = "strict-names", help_heading = "Restore options")]
    pub strict_names: bool,
    /// Commit after every NUMBER objects.
    #[arg(long = "transaction-size", value_name = "N", help_heading = "Restore options")]
    pub transaction_size: Option<u32>,
    /// Use SET SESSION AUTHORIZATION commands instead of ALTER OWNER commands.
    #[arg(long = "use-set-session-authorization", help_heading = "Restore options")]
    pub use_set_session_authorization: bool,

    #[command(flatten)]
    pub connection: ConnectionArgs,
}
