//! Connection options shared by every command, with libpq's spellings.
//! `-h` means host, as in the stock tools; help is `--help` or `-?`.

use clap::Args;

#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Connection options")]
pub struct ConnectionArgs {
    /// Database server host or socket directory.
    #[arg(short = 'h', long = "host", value_name = "HOSTNAME")]
    pub host: Option<String>,
    /// Database server port number.
    #[arg(short = 'p', long = "port", value_name = "PORT")]
    pub port: Option<String>,
    /// Connect as the specified database user.
    #[arg(short = 'U', long = "username", value_name = "NAME")]
    pub username: Option<String>,
    /// Never prompt for a password.
    #[arg(short = 'w', long = "no-password")]
    pub no_password: bool,
    /// Force a password prompt (should happen automatically).
    #[arg(short = 'W', long = "password")]
    pub password: bool,
    /// Do SET ROLE before the work.
    #[arg(long = "role", value_name = "ROLENAME")]
    pub role: Option<String>,
}
