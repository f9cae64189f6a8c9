//! Which program the user ran — `pgark`, or pgark invoked through a link named after a
//! stock tool (`pg_dump`, `pg_restore`, `pg_dumpall`) — and everything that follows
//! from it: the name messages are printed under, `--version`, the "Try ... --help"
//! hint, and stock's shape for command-line errors.
//!
//! Choices (also in README.md, "Using pgark as pg_dump, pg_restore and pg_dumpall"):
//! - A program file name (the last component of argv[0], `.exe` ignored) selects a
//!   stock tool when it is the tool's name, or the name followed by `-` and any suffix
//!   (`pg_dump-18`, `pg_restore-pgark`). Any other name runs pgark's own command line.
//! - Messages use that file name, as stock's `get_progname` does (`pg_dump: error: ...`,
//!   `pg_dump-18: error: ...`); getopt-level errors (unknown option, missing option
//!   argument) use argv[0] verbatim, as glibc's getopt prints them for stock. `pgark
//!   dump` and the other subcommands print `pgark: error: ...`. Long options may be
//!   abbreviated while unambiguous; an ambiguous one lists its possibilities in pgark's
//!   option order, not stock's option table's.
//! - `--version` (or `-V`, as the first argument only, as stock) prints stock's line
//!   with pgark's name and version in parentheses, the way distributions mark their
//!   builds (`pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)`):
//!   `pg_dump (PostgreSQL) 18.6 (pgark 0.1.0)`. The PostgreSQL version is the release
//!   whose output pgark reproduces, so `(\d+)\.(\d+)`, the third word and "the text
//!   after `(PostgreSQL) `" all read 18.6.
//! - In a stock tool's name every failure exits with 1, as stock does; `pgark ...`
//!   keeps clap's 2 for usage errors.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::sync::OnceLock;

/// The PostgreSQL release whose pg_dump, pg_restore and pg_dumpall pgark reproduces
/// (the version its `--version` reports in a stock tool's name).
pub const EMULATED_VERSION: &str = "18.6";

/// A stock tool pgark can stand in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Dump,
    Restore,
    Dumpall,
}

impl Tool {
    pub const ALL: [Tool; 3] = [Tool::Dump, Tool::Restore, Tool::Dumpall];

    /// The stock program's name.
    pub fn stock_name(self) -> &'static str {
        match self {
            Tool::Dump => "pg_dump",
            Tool::Restore => "pg_restore",
            Tool::Dumpall => "pg_dumpall",
        }
    }

    /// The pgark subcommand that does the same job.
    pub fn subcommand(self) -> &'static str {
        match self {
            Tool::Dump => "dump",
            Tool::Restore => "restore",
            Tool::Dumpall => "dumpall",
        }
    }

    /// The tool a program file name stands for: the stock name itself, or followed by
    /// `-SUFFIX`. (`pg_dumpall` is not `pg_dump` with a suffix: the suffix needs its `-`.)
    pub fn from_program_name(name: &str) -> Option<Tool> {
        let name = name.strip_suffix(".exe").unwrap_or(name);
        Tool::ALL.into_iter().find(|tool| {
            name.strip_prefix(tool.stock_name())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
        })
    }

    /// Stock's first help line, which says what the tool does.
    pub fn description(self) -> &'static str {
        match self {
            Tool::Dump => "dumps a database as a text file or to other formats.",
            Tool::Restore => "restores a PostgreSQL database from an archive created by pg_dump.",
            Tool::Dumpall => "exports a PostgreSQL database cluster as an SQL script.",
        }
    }
}

/// How this process was invoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The stock tool argv[0] names, if any.
    pub tool: Option<Tool>,
    /// The name messages are printed under: argv[0]'s file name in a tool's name,
    /// `pgark` otherwise.
    pub name: String,
    /// argv[0] as given (glibc's getopt prints it whole).
    pub argv0: String,
}

impl Invocation {
    /// pgark's own command line.
    pub fn pgark() -> Invocation {
        Invocation {
            tool: None,
            name: "pgark".into(),
            argv0: "pgark".into(),
        }
    }

    /// The invocation argv[0] describes.
    pub fn from_argv0(argv0: Option<&OsStr>) -> Invocation {
        let Some(argv0) = argv0 else {
            return Invocation::pgark();
        };
        let file_name = Path::new(argv0)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match Tool::from_program_name(&file_name) {
            Some(tool) => Invocation {
                tool: Some(tool),
                name: file_name
                    .strip_suffix(".exe")
                    .unwrap_or(&file_name)
                    .to_string(),
                argv0: argv0.to_string_lossy().into_owned(),
            },
            None => Invocation::pgark(),
        }
    }

    /// The hint stock prints after a usage error; `tool` is the command that failed
    /// (in pgark's own command line, the subcommand it names).
    pub fn try_help(&self, tool: Tool) -> String {
        match self.tool {
            Some(_) => format!("Try \"{} --help\" for more information.", self.name),
            None => format!(
                "Try \"pgark {} --help\" for more information.",
                tool.subcommand()
            ),
        }
    }

    /// The name pg_dump's own messages (`-v` lines, warnings) are printed under. A dump
    /// run by `pg_dumpall` or `pgark` prints as stock pg_dumpall's child pg_dump does.
    pub fn dump_name(&self) -> &str {
        match self.tool {
            Some(Tool::Dump) => &self.name,
            _ => "pg_dump",
        }
    }

    /// An error's text as stock prints it: `NAME: error: ` before the first line; a
    /// following line starting `Detail: ` or `Hint: ` becomes `NAME: detail: ...` /
    /// `NAME: hint: ...`; other lines (libpq's tab-indented ones) are printed as they are.
    pub fn render_error(&self, message: &str) -> String {
        let mut out = String::new();
        for (i, line) in message.lines().enumerate() {
            if i == 0 {
                out.push_str(&format!("{}: error: {line}\n", self.name));
            } else if let Some(rest) = line.strip_prefix("Hint: ") {
                out.push_str(&format!("{}: hint: {rest}\n", self.name));
            } else if let Some(rest) = line.strip_prefix("Detail: ") {
                out.push_str(&format!("{}: detail: {rest}\n", self.name));
            } else {
                out.push_str(line);
                out.push('\n');
            }
        }
        if out.is_empty() {
            out = format!("{}: error: \n", self.name);
        }
        out
    }

    /// `--version` in a stock tool's name (see the module doc).
    pub fn version_line(tool: Tool) -> String {
        format!(
            "{} (PostgreSQL) {EMULATED_VERSION} (pgark {})",
            tool.stock_name(),
            env!("CARGO_PKG_VERSION")
        )
    }

    /// A command-line error clap found, in the words and shape of the stock tool's
    /// getopt and option checks. `command` is the clap command that parsed `args`
    /// (argv without argv[0]).
    pub fn render_usage_error(
        &self,
        tool: Tool,
        err: &clap::Error,
        command: &clap::Command,
        args: &[OsString],
    ) -> String {
        use clap::error::{ContextKind, ContextValue, ErrorKind};
        let context = |kind| match err.get(kind) {
            Some(ContextValue::String(s)) => Some(s.clone()),
            Some(ContextValue::Strings(v)) => v.first().cloned(),
            _ => None,
        };
        let hint = format!("{}: hint: {}\n", self.name, self.try_help(tool));
        let invalid_arg = context(ContextKind::InvalidArg).unwrap_or_default();
        let invalid_value = context(ContextKind::InvalidValue);
        match err.kind() {
            ErrorKind::UnknownArgument if invalid_arg.starts_with("--") => {
                // getopt prints the argument as written, `=value` included.
                let written = args
                    .iter()
                    .map(|a| a.to_string_lossy())
                    .find(|a| {
                        a.strip_prefix(invalid_arg.as_str())
                            .is_some_and(|rest| rest.is_empty() || rest.starts_with('='))
                    })
                    .map(|a| a.into_owned())
                    .unwrap_or(invalid_arg.clone());
                let candidates = long_names_starting_with(command, &invalid_arg[2..]);
                if candidates.len() > 1 {
                    let listed: Vec<String> =
                        candidates.iter().map(|c| format!("'--{c}'")).collect();
                    format!(
                        "{}: option '{written}' is ambiguous; possibilities: {}\n{hint}",
                        self.argv0,
                        listed.join(" ")
                    )
                } else {
                    format!("{}: unrecognized option '{written}'\n{hint}", self.argv0)
                }
            }
            ErrorKind::UnknownArgument if invalid_arg.starts_with('-') && invalid_arg.len() > 1 => {
                let letter: String = invalid_arg.chars().skip(1).take(1).collect();
                format!("{}: invalid option -- '{letter}'\n{hint}", self.argv0)
            }
            ErrorKind::UnknownArgument => format!(
                "{}: error: too many command-line arguments (first is \"{invalid_arg}\")\n{hint}",
                self.name
            ),
            ErrorKind::InvalidValue if invalid_value.as_deref().is_none_or(str::is_empty) => {
                // Only the last argument can lack its value: every option's value may
                // start with '-' (as getopt takes the next argument whatever it is).
                let last = args
                    .last()
                    .map(|a| a.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if last.starts_with("--") {
                    let long = invalid_arg.split_whitespace().next().unwrap_or(&last);
                    format!(
                        "{}: option '{long}' requires an argument\n{hint}",
                        self.argv0
                    )
                } else {
                    let letter: String = last.chars().last().into_iter().collect();
                    format!(
                        "{}: option requires an argument -- '{letter}'\n{hint}",
                        self.argv0
                    )
                }
            }
            ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
                let value = invalid_value.unwrap_or_default();
                let long = invalid_arg.split_whitespace().next().unwrap_or_default();
                // Values clap checks that stock words its own way.
                match (tool, long) {
                    (_, "--section") => {
                        return format!(
                            "{}: error: unrecognized section name: \"{value}\"\n{hint}",
                            self.name
                        )
                    }
                    (Tool::Restore, "--format") => {
                        return format!(
                            "{}: error: unrecognized archive format \"{value}\"; please specify \"c\", \"d\", or \"t\"\n",
                            self.name
                        )
                    }
                    _ => {}
                }
                let source = std::error::Error::source(err).map(|s| s.to_string());
                match source {
                    // A parser worded as stock (e.g. "invalid output format "x" specified").
                    Some(s) if s.contains(&format!("\"{value}\"")) => {
                        format!("{}: error: {s}\n", self.name)
                    }
                    _ => format!(
                        "{}: error: invalid value \"{value}\" for option {}\n",
                        self.name,
                        option_spelling(command, &invalid_arg)
                    ),
                }
            }
            _ => {
                let rendered = err.render().to_string();
                let first = rendered.lines().next().unwrap_or_default();
                let text = first.strip_prefix("error: ").unwrap_or(first);
                format!("{}: error: {text}\n{hint}", self.name)
            }
        }
    }
}

/// The long option names (and aliases) `prefix` abbreviates, in definition order:
/// more than one makes an abbreviation ambiguous, as for getopt_long.
fn long_names_starting_with(command: &clap::Command, written: &str) -> Vec<String> {
    let prefix = written.split('=').next().unwrap_or(written);
    let mut names = Vec::new();
    for arg in command.get_arguments() {
        let longs = arg
            .get_long()
            .into_iter()
            .chain(arg.get_all_aliases().into_iter().flatten());
        for long in longs {
            if long.starts_with(prefix) && !names.iter().any(|n: &String| n == long) {
                names.push(long.to_string());
            }
        }
    }
    names
}

/// `-j/--jobs` for clap's `--jobs <NUM>`: stock's way of naming an option in messages.
fn option_spelling(command: &clap::Command, clap_display: &str) -> String {
    let written = clap_display
        .split_whitespace()
        .next()
        .unwrap_or(clap_display);
    let long = written.strip_prefix("--");
    let short = written
        .strip_prefix('-')
        .filter(|_| long.is_none())
        .and_then(|s| s.chars().next());
    let arg = command.get_arguments().find(|a| {
        long.is_some_and(|l| a.get_long() == Some(l))
            || short.is_some_and(|c| a.get_short() == Some(c))
    });
    match arg {
        Some(a) => match (a.get_short(), a.get_long()) {
            (Some(s), Some(l)) => format!("-{s}/--{l}"),
            (None, Some(l)) => format!("--{l}"),
            (Some(s), None) => format!("-{s}"),
            (None, None) => written.to_string(),
        },
        None => written.to_string(),
    }
}

static CURRENT: OnceLock<Invocation> = OnceLock::new();

/// Records how this process was invoked; the first call wins (main makes it).
pub fn init(invocation: Invocation) -> &'static Invocation {
    CURRENT.get_or_init(|| invocation)
}

/// How this process was invoked: pgark's own command line until [`init`] says otherwise
/// (library users and tests print as `pgark`).
pub fn current() -> &'static Invocation {
    CURRENT.get_or_init(Invocation::pgark)
}

/// The name messages are printed under: `pgark`, or the stock tool's name the user ran.
pub fn name() -> &'static str {
    &current().name
}

/// The name pg_dump's own messages are printed under ([`Invocation::dump_name`]).
pub fn dump_name() -> &'static str {
    current().dump_name()
}

/// A warning as stock prints one (`NAME: warning: ...`).
pub fn warn(message: impl std::fmt::Display) {
    eprintln!("{}: warning: {message}", name());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_names() {
        assert_eq!(Tool::from_program_name("pg_dump"), Some(Tool::Dump));
        assert_eq!(Tool::from_program_name("pg_dump-18"), Some(Tool::Dump));
        assert_eq!(Tool::from_program_name("pg_dump.exe"), Some(Tool::Dump));
        assert_eq!(Tool::from_program_name("pg_dumpall"), Some(Tool::Dumpall));
        assert_eq!(
            Tool::from_program_name("pg_dumpall-pgark"),
            Some(Tool::Dumpall)
        );
        assert_eq!(Tool::from_program_name("pg_restore"), Some(Tool::Restore));
        assert_eq!(Tool::from_program_name("pg_dumpx"), None);
        assert_eq!(Tool::from_program_name("pgark"), None);
        assert_eq!(Tool::from_program_name("pg_restorer"), None);
    }

    #[test]
    fn invocation_names() {
        let inv = Invocation::from_argv0(Some(OsStr::new("/usr/local/bin/pg_dump-18")));
        assert_eq!(inv.tool, Some(Tool::Dump));
        assert_eq!(inv.name, "pg_dump-18");
        assert_eq!(inv.argv0, "/usr/local/bin/pg_dump-18");
        assert_eq!(inv.dump_name(), "pg_dump-18");
        assert_eq!(
            inv.try_help(Tool::Dump),
            "Try \"pg_dump-18 --help\" for more information."
        );
        let pgark = Invocation::from_argv0(Some(OsStr::new("target/debug/pgark")));
        assert_eq!(pgark, Invocation::pgark());
        assert_eq!(
            pgark.try_help(Tool::Dumpall),
            "Try \"pgark dumpall --help\" for more information."
        );
        let dumpall = Invocation::from_argv0(Some(OsStr::new("pg_dumpall")));
        assert_eq!(dumpall.dump_name(), "pg_dump");
    }

    #[test]
    fn error_lines() {
        let inv = Invocation::from_argv0(Some(OsStr::new("pg_dumpall")));
        assert_eq!(
            inv.render_error("options a and b cannot be used together\nHint: Try it."),
            "pg_dumpall: error: options a and b cannot be used together\npg_dumpall: hint: Try it.\n"
        );
        assert_eq!(
            Invocation::pgark()
                .render_error("connection failed\n\tIs the server running?\nDetail: d"),
            "pgark: error: connection failed\n\tIs the server running?\npgark: detail: d\n"
        );
    }

    #[test]
    fn version_parses_as_stock() {
        let line = Invocation::version_line(Tool::Dump);
        assert!(
            line.starts_with(&format!("pg_dump (PostgreSQL) {EMULATED_VERSION} (pgark ")),
            "{line}"
        );
        assert_eq!(line.split(' ').nth(2), Some(EMULATED_VERSION));
    }
}
