//! `pgark dump`: pg_dump's command line, option for option (PostgreSQL 18).

use super::connection::ConnectionArgs;
use super::{FormatArg, SectionArg};
use clap::{ArgAction, Args};

#[derive(Debug, Clone, Args)]
#[command(disable_help_flag = true, args_override_self = true)]
pub struct DumpArgs {
    /// Database to dump (a name or a connection string).
    #[arg(value_name = "DBNAME")]
    pub dbname_positional: Option<String>,

    /// Show this help, then exit.
    #[arg(short = '?', long = "help", action = ArgAction::Help)]
    pub help: Option<bool>,

    // General options
    /// Output file or directory name.
    #[arg(short = 'f', long = "file", value_name = "FILENAME", help_heading = "General options")]
    pub file: Option<String>,
    /// Output file format: p(lain), c(ustom), d(irectory), t(ar).
    #[arg(short = 'F', long = "format", value_name = "FORMAT", help_heading = "General options")]
    pub format: Option<FormatArg>,
    /// Use this many parallel jobs to dump.
    #[arg(short = 'j', long = "jobs", value_name = "NUM", help_heading = "General options")]
    pub jobs: Option<u32>,
    /// pgark extension: read a table larger than SIZE (e.g. 1GB, 256MB, 8kB) in
    /// several block ranges in parallel; archive formats only.
    #[arg(long = "split-tables-larger-than", value_name = "SIZE", help_heading = "General options")]
    pub split_tables_larger_than: Option<String>,
    /// Verbose mode.
    #[arg(short = 'v', long = "verbose", help_heading = "General options")]
    pub verbose: bool,
    /// pgark extension: do not show the data-phase progress line (shown only when
    /// stderr is a terminal).
    #[arg(long = "no-progress", help_heading = "General options")]
    pub no_progress: bool,
    /// Compress as specified: METHOD[:DETAIL] or a level 0-9.
    #[arg(short = 'Z', long = "compress", value_name = "METHOD[:DETAIL]", help_heading = "General options")]
    pub compress: Option<String>,
    /// Fail after waiting TIMEOUT for a table lock.
    #[arg(long = "lock-wait-timeout", value_name = "TIMEOUT", help_heading = "General options")]
    pub lock_wait_timeout: Option<String>,
    /// Do not wait for changes to be written safely to disk.
    #[arg(long = "no-sync", help_heading = "General options")]
    pub no_sync: bool,
    /// Method for syncing files to disk (fsync or syncfs).
    #[arg(long = "sync-method", value_name = "METHOD", help_heading = "General options")]
    pub sync_method: Option<String>,
    /// Archive version to write: 1.16 (default) or 1.14 (readable by pg_restore 12-15).
    #[arg(long = "archive-version", value_name = "VERSION", help_heading = "General options")]
    pub archive_version: Option<String>,

    // Options controlling the output content
    /// Dump only the data, not the schema or statistics.
    #[arg(short = 'a', long = "data-only", help_heading = "Output content")]
    pub data_only: bool,
    /// Include large objects in the dump.
    #[arg(short = 'b', long = "large-objects", visible_alias = "blobs", help_heading = "Output content")]
    pub large_objects: bool,
    /// Exclude large objects from the dump.
    #[arg(short = 'B', long = "no-large-objects", visible_alias = "no-blobs", help_heading = "Output content")]
    pub no_large_objects: bool,
    /// Clean (drop) database objects before recreating them.
    #[arg(short = 'c', long = "clean", help_heading = "Output content")]
    pub clean: bool,
    /// Include commands to create the database in the dump.
    #[arg(short = 'C', long = "create", help_heading = "Output content")]
    pub create: bool,
    /// Dump the data in this encoding.
    #[arg(short = 'E', long = "encoding", value_name = "ENCODING", help_heading = "Output content")]
    pub encoding: Option<String>,
    /// Dump only the specified extension(s).
    #[arg(short = 'e', long = "extension", value_name = "PATTERN", help_heading = "Output content")]
    pub extension: Vec<String>,
    /// Dump only the specified schema(s).
    #[arg(short = 'n', long = "schema", value_name = "PATTERN", help_heading = "Output content")]
    pub schema: Vec<String>,
    /// Do NOT dump the specified schema(s).
    #[arg(short = 'N', long = "exclude-schema", value_name = "PATTERN", help_heading = "Output content")]
    pub exclude_schema: Vec<String>,
    /// Skip restoration of object ownership in plain-text format.
    #[arg(short = 'O', long = "no-owner", help_heading = "Output content")]
    pub no_owner: bool,
    /// Obsolete; accepted and ignored.
    #[arg(short = 'R', long = "no-reconnect", hide = true)]
    pub no_reconnect: bool,
    /// Dump only the schema, no data or statistics.
    #[arg(short = 's', long = "schema-only", help_heading = "Output content")]
    pub schema_only: bool,
    /// Superuser user name to use in plain-text format.
    #[arg(short = 'S', long = "superuser", value_name = "NAME", help_heading = "Output content")]
    pub superuser: Option<String>,
    /// Dump only the specified table(s).
    #[arg(short = 't', long = "table", value_name = "PATTERN", help_heading = "Output content")]
    pub table: Vec<String>,
    /// Do NOT dump the specified table(s).
    #[arg(short = 'T', long = "exclude-table", value_name = "PATTERN", help_heading = "Output content")]
    pub exclude_table: Vec<String>,
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
    /// Enable row security (dump only content the user has access to).
    #[arg(long = "enable-row-security", help_heading = "Output content")]
    pub enable_row_security: bool,
    /// Do NOT dump the specified extension(s).
    #[arg(long = "exclude-extension", value_name = "PATTERN", help_heading = "Output content")]
    pub exclude_extension: Vec<String>,
    /// Do NOT dump the specified table(s), including child and partition tables.
    #[arg(long = "exclude-table-and-children", value_name = "PATTERN", help_heading = "Output content")]
    pub exclude_table_and_children: Vec<String>,
    /// Do NOT dump data for the specified table(s).
    #[arg(long = "exclude-table-data", value_name = "PATTERN", help_heading = "Output content")]
    pub exclude_table_data: Vec<String>,
    /// Do NOT dump data for the specified table(s), including child and partition tables.
    #[arg(long = "exclude-table-data-and-children", value_name = "PATTERN", help_heading = "Output content")]
    pub exclude_table_data_and_children: Vec<String>,
    /// Override default setting for extra_float_digits.
    #[arg(long = "extra-float-digits", value_name = "NUM", help_heading = "Output content")]
    pub extra_float_digits: Option<i32>,
    /// Include or exclude objects and data from dump based on expressions in FILENAME.
    #[arg(long = "filter", value_name = "FILENAME", help_heading = "Output content")]
    pub filter: Vec<String>,
    /// Use IF EXISTS when dropping objects.
    #[arg(long = "if-exists", help_heading = "Output content")]
    pub if_exists: bool,
    /// Include data of foreign tables on foreign servers matching PATTERN.
    #[arg(long = "include-foreign-data", value_name = "PATTERN", help_heading = "Output content")]
    pub include_foreign_data: Vec<String>,
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
    /// Dump named section (pre-data, data, or post-data).
    #[arg(long = "section", value_name = "SECTION", help_heading = "Output content")]
    pub section: Vec<SectionArg>,
    /// Include sequence data in dump.
    #[arg(long = "sequence-data", help_heading = "Output content")]
    pub sequence_data: bool,
    /// Wait until the dump can run without anomalies.
    #[arg(long = "serializable-deferrable", help_heading = "Output content")]
    pub serializable_deferrable: bool,
    /// Use given snapshot for the dump.
    #[arg(long = "snapshot", value_name = "SNAPSHOT", help_heading = "Output content")]
    pub snapshot: Option<String>,
    /// Dump statistics.
    #[arg(long = "statistics", help_heading = "Output content")]
    pub statistics: bool,
    /// Dump only the statistics, not schema or data.
    #[arg(long = "statistics-only", help_heading = "Output content")]
    pub statistics_only: bool,
    /// Require table and/or schema include patterns to match at least one entity each.
    #[arg(long = "strict-names", help_heading = "Output content")]
    pub strict_names: bool,
    /// Dump only the specified table(s), including child and partition tables.
    #[arg(long = "table-and-children", value_name = "PATTERN", help_heading = "Output content")]
    pub table_and_children: Vec<String>,
    /// Use SET SESSION AUTHORIZATION commands instead of ALTER OWNER commands.
    #[arg(long = "use-set-session-authorization", help_heading = "Output content")]
    pub use_set_session_authorization: bool,

    /// Database to dump.
    #[arg(short = 'd', long = "dbname", value_name = "DBNAME", help_heading = "Connection options")]
    pub dbname: Option<String>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}
