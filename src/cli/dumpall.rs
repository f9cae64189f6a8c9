//! `pgark dumpall`: pg_dumpall's command line (PostgreSQL 18), plus archive formats.

use super::connection::ConnectionArgs;
use super::FormatArg;
use clap::{ArgAction, Args};

#[derive(Debug, Clone, Args)]
#[command(disable_help_flag = true, args_override_self = true)]
pub struct DumpallArgs {
    /// Show this help, then exit.
    #[arg(short = '?', long = "help", action = ArgAction::Help)]
    pub help: Option<bool>,

    /// Output file name.
    #[arg(short = 'f', long = "file", value_name = "FILENAME", help_heading = "General options")]
    pub file: Option<String>,
    /// Output format: p(lain) as stock; c, d or t write a cluster archive (pgark only).
    #[arg(short = 'F', long = "format", value_name = "FORMAT", help_heading = "General options")]
    pub format: Option<FormatArg>,
    /// Dump this many databases in parallel (cluster archives only).
    #[arg(short = 'j', long = "jobs", value_name = "NUM", help_heading = "General options")]
    pub jobs: Option<u32>,
    /// Compression of each database's archive in a cluster archive: METHOD[:DETAIL] or
    /// a level 0-9, as pg_dump -Z (pgark only).
    #[arg(short = 'Z', long = "compress", value_name = "METHOD[:DETAIL]", help_heading = "General options")]
    pub compress: Option<String>,
    /// Verbose mode.
    #[arg(short = 'v', long = "verbose", help_heading = "General options")]
    pub verbose: bool,
    /// Fail after waiting TIMEOUT for a table lock.
    #[arg(long = "lock-wait-timeout", value_name = "TIMEOUT", help_heading = "General options")]
    pub lock_wait_timeout: Option<String>,

    /// Dump only the data, not the schema or statistics.
    #[arg(short = 'a', long = "data-only", help_heading = "Output content")]
    pub data_only: bool,
    /// Clean (drop) databases before recreating.
    #[arg(short = 'c', long = "clean", help_heading = "Output content")]
    pub clean: bool,
    /// Dump the data in this encoding.
    #[arg(short = 'E', long = "encoding", value_name = "ENCODING", help_heading = "Output content")]
    pub encoding: Option<String>,
    /// Dump only global objects, no databases.
    #[arg(short = 'g', long = "globals-only", help_heading = "Output content")]
    pub globals_only: bool,
    /// Skip restoration of object ownership.
    #[arg(short = 'O', long = "no-owner", help_heading = "Output content")]
    pub no_owner: bool,
    /// Dump only roles, no databases or tablespaces.
    #[arg(short = 'r', long = "roles-only", help_heading = "Output content")]
    pub roles_only: bool,
    /// Dump only the schema, no data.
    #[arg(short = 's', long = "schema-only", help_heading = "Output content")]
    pub schema_only: bool,
    /// Superuser user name to use in the dump.
    #[arg(short = 'S', long = "superuser", value_name = "NAME", help_heading = "Output content")]
    pub superuser: Option<String>,
    /// Dump only tablespaces, no databases or roles.
    #[arg(short = 't', long = "tablespaces-only", help_heading = "Output content")]
    pub tablespaces_only: bool,
    /// Do not dump privileges (grant/revoke).
    #[arg(short = 'x', long = "no-privileges", visible_alias = "no-acl", help_heading = "Output content")]
    pub no_privileges: bool,
    /// Only for use by upgrade utilities.
    #[arg(long = "binary-upgrade", help_heading = "Output content")]
    pub binary_upgrade: bool,
    /// Dump data as INSERT commands with column names.
    #[arg(long = "column-inserts", visible_alias = "attribute-inserts", help_heading = "Output content")]
    pub column_inserts: bool,
    /// Disable dollar quoting, use SQL standard quoting.
    #[arg(long = "disable-dollar-quoting", help_heading = "Output content")]
    pub disable_dollar_quoting: bool,
    /// Disable triggers during data-only restore.
    #[arg(long = "disable-triggers", help_heading = "Output content")]
    pub disable_triggers: bool,
    /// Exclude databases whose name matches PATTERN.
    #[arg(long = "exclude-database", value_name = "PATTERN", help_heading = "Output content")]
    pub exclude_database: Vec<String>,
    /// Override default setting for extra_float_digits.
    #[arg(long = "extra-float-digits", value_name = "NUM", help_heading = "Output content")]
    pub extra_float_digits: Option<i32>,
    /// Exclude databases based on expressions in FILENAME.
    #[arg(long = "filter", value_name = "FILENAME", help_heading = "Output content")]
    pub filter: Vec<String>,
    /// Use IF EXISTS when dropping objects.
    #[arg(long = "if-exists", help_heading = "Output content")]
    pub if_exists: bool,
    /// Dump data as INSERT commands, rather than COPY.
    #[arg(long = "inserts", help_heading = "Output content")]
    pub inserts: bool,
    /// Load partitions via the root table.
    #[arg(long = "load-via-partition-root", help_heading = "Output content")]
    pub load_via_partition_root: bool,
    /// Do not dump comment commands.
    #[arg(long = "no-comments", help_heading = "Output content")]
    pub no_comments: bool,
    /// Do not dump data.
    #[arg(long = "no-data", help_heading = "Output content")]
    pub no_data: bool,
    /// Do not dump row security policies.
    #[arg(long = "no-policies", help_heading = "Output content")]
    pub no_policies: bool,
    /// Do not dump publications.
    #[arg(long = "no-publications", help_heading = "Output content")]
    pub no_publications: bool,
    /// Do not dump passwords for roles.
    #[arg(long = "no-role-passwords", help_heading = "Output content")]
    pub no_role_passwords: bool,
    /// Do not dump schema.
    #[arg(long = "no-schema", help_heading = "Output content")]
    pub no_schema: bool,
    /// Do not dump security label assignments.
    #[arg(long = "no-security-labels", help_heading = "Output content")]
    pub no_security_labels: bool,
    /// Do not dump statistics.
    #[arg(long = "no-statistics", help_heading = "Output content")]
    pub no_statistics: bool,
    /// Do not dump subscriptions.
    #[arg(long = "no-subscriptions", help_heading = "Output content")]
    pub no_subscriptions: bool,
    /// Do not wait for changes to be written safely to disk.
    #[arg(long = "no-sync", help_heading = "Output content")]
    pub no_sync: bool,
    /// Do not dump table access methods.
    #[arg(long = "no-table-access-method", help_heading = "Output content")]
    pub no_table_access_method: bool,
    /// Do not dump tablespace assignments.
    #[arg(long = "no-tablespaces", help_heading = "Output content")]
    pub no_tablespaces: bool,
    /// Do not dump TOAST compression methods.
    #[arg(long = "no-toast-compression", help_heading = "Output content")]
    pub no_toast_compression: bool,
    /// Do not dump unlogged table data.
    #[arg(long = "no-unlogged-table-data", help_heading = "Output content")]
    pub no_unlogged_table_data: bool,
    /// Add ON CONFLICT DO NOTHING to INSERT commands.
    #[arg(long = "on-conflict-do-nothing", help_heading = "Output content")]
    pub on_conflict_do_nothing: bool,
    /// Quote all identifiers, even if not key words.
    #[arg(long = "quote-all-identifiers", help_heading = "Output content")]
    pub quote_all_identifiers: bool,
    /// Use provided string as psql \restrict key.
    #[arg(long = "restrict-key", value_name = "RESTRICT_KEY", help_heading = "Output content")]
    pub restrict_key: Option<String>,
    /// Number of rows per INSERT; implies --inserts.
    #[arg(long = "rows-per-insert", value_name = "NROWS", help_heading = "Output content")]
    pub rows_per_insert: Option<u32>,
    /// Include sequence data in dump.
    #[arg(long = "sequence-data", help_heading = "Output content")]
    pub sequence_data: bool,
    /// Dump statistics.
    #[arg(long = "statistics", help_heading = "Output content")]
    pub statistics: bool,
    /// Dump only the statistics, not schema or data.
    #[arg(long = "statistics-only", help_heading = "Output content")]
    pub statistics_only: bool,
    /// Use SET SESSION AUTHORIZATION commands instead of ALTER OWNER commands.
    #[arg(long = "use-set-session-authorization", help_heading = "Output content")]
    pub use_set_session_authorization: bool,

    /// Connect using connection string.
    #[arg(short = 'd', long = "dbname", value_name = "CONNSTR", help_heading = "Connection options")]
    pub dbname: Option<String>,
    /// Alternative default database.
    #[arg(short = 'l', long = "database", value_name = "DBNAME", help_heading = "Connection options")]
    pub database: Option<String>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}
