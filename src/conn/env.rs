//! What connection resolution reads from the process: environment variables, the home
//! directory, the OS user name, the default socket directory, and the terminal (warnings
//! and password prompts). Injected as an [`Env`] so tests stay hermetic.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::secret::Password;

/// Socket directories tried when no host is given, in order: Debian's libpq default first,
/// then the upstream default. The first that exists is used (`/tmp` when neither does).
pub const DEFAULT_SOCKET_DIRS: &[&str] = &["/var/run/postgresql", "/tmp"];

/// Where `pg_service.conf` is looked for when PGSYSCONFDIR is not set: Debian's libpq
/// configuration directory.
pub const DEFAULT_SYSCONFDIR: &str = "/etc/postgresql-common";

/// The process environment as connection resolution sees it.
pub trait Env {
    /// An environment variable; `Some("")` for a variable set to the empty string.
    fn var(&self, name: &str) -> Option<String>;
    /// The home directory (`$HOME`, else the password database), for `~/.pgpass` and friends.
    fn home_dir(&self) -> Option<PathBuf>;
    /// The OS user name: the default database user.
    fn os_user(&self) -> Option<String>;
    /// The socket directory used when no host is given.
    fn default_socket_dir(&self) -> PathBuf {
        DEFAULT_SOCKET_DIRS
            .iter()
            .map(Path::new)
            .find(|dir| dir.is_dir())
            .unwrap_or(Path::new("/tmp"))
            .to_path_buf()
    }
    /// Where warnings go and passwords are asked for.
    fn terminal(&self) -> Arc<dyn Terminal>;
}

/// Warnings and password prompts: the process's stderr and TTY, or a script in tests.
pub trait Terminal: Send + Sync {
    /// Prints one warning line (libpq prints these to stderr as they happen).
    fn warn(&self, message: &str);
    /// Asks for a password. `None` when there is no terminal to ask on.
    fn prompt_password(&self, prompt: &str) -> Option<std::io::Result<Password>>;
}

/// The real process: `std::env`, `$HOME` or `/etc/passwd`, stderr and `/dev/tty`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemEnv;

impl Env for SystemEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var_os(name).map(|value| value.to_string_lossy().into_owned())
    }

    fn home_dir(&self) -> Option<PathBuf> {
        // libpq's pqGetHomeDirectory: $HOME if set and non-empty, else the passwd entry.
        match std::env::var_os("HOME") {
            Some(home) if !home.is_empty() => Some(PathBuf::from(home)),
            _ => passwd_entry_of_effective_user().map(|entry| PathBuf::from(entry.home)),
        }
    }

    fn os_user(&self) -> Option<String> {
        passwd_entry_of_effective_user()
            .map(|entry| entry.name)
            .or_else(|| whoami::username().ok())
    }

    fn terminal(&self) -> Arc<dyn Terminal> {
        Arc::new(ProcessTerminal)
    }
}

/// stderr for warnings, `/dev/tty` for prompts (as libpq's `simple_prompt`), but only when
/// stdin is a terminal: a pgark reading an archive from a pipe must not hang on a prompt.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessTerminal;

impl Terminal for ProcessTerminal {
    fn warn(&self, message: &str) {
        eprintln!("{message}");
    }

    fn prompt_password(&self, prompt: &str) -> Option<std::io::Result<Password>> {
        if !std::io::stdin().is_terminal() {
            return None;
        }
        Some(rpassword::prompt_password(prompt).map(Password::new))
    }
}

struct PasswdEntry {
    name: String,
    home: String,
}

/// The `/etc/passwd` entry of the effective user, whose uid is the owner of `/proc/self`
/// (std has no safe geteuid).
fn passwd_entry_of_effective_user() -> Option<PasswdEntry> {
    let uid = std::fs::metadata("/proc/self").ok()?.uid();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() >= 6 && fields[2].parse::<u32>().ok() == Some(uid))
            .then(|| PasswdEntry { name: fields[0].to_string(), home: fields[5].to_string() })
    })
}

/// A made-up environment: variables from a map, a fixed home, user and socket directory,
/// and a [`ScriptedTerminal`]. For tests and for embedding pgark without touching the
/// process environment.
#[derive(Debug, Clone)]
pub struct MapEnv {
    pub vars: HashMap<String, String>,
    pub home: Option<PathBuf>,
    pub user: Option<String>,
    pub socket_dir: PathBuf,
    pub terminal: Arc<ScriptedTerminal>,
}

impl MapEnv {
    /// No variables, no home, user `alice`, socket directory `/tmp`, no terminal.
    pub fn new() -> MapEnv {
        MapEnv {
            vars: HashMap::new(),
            home: None,
            user: Some("alice".into()),
            socket_dir: PathBuf::from("/tmp"),
            terminal: Arc::new(ScriptedTerminal::default()),
        }
    }

    pub fn with(mut self, name: &str, value: &str) -> MapEnv {
        self.vars.insert(name.into(), value.into());
        self
    }
}

impl Default for MapEnv {
    fn default() -> Self {
        MapEnv::new()
    }
}

impl Env for MapEnv {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.get(name).cloned()
    }
    fn home_dir(&self) -> Option<PathBuf> {
        self.home.clone()
    }
    fn os_user(&self) -> Option<String> {
        self.user.clone()
    }
    fn default_socket_dir(&self) -> PathBuf {
        self.socket_dir.clone()
    }
    fn terminal(&self) -> Arc<dyn Terminal> {
        self.terminal.clone()
    }
}

/// A terminal that records warnings and prompts and answers prompts from a list
/// (no answers left = no terminal).
#[derive(Debug, Default)]
pub struct ScriptedTerminal {
    answers: Mutex<Vec<String>>,
    warnings: Mutex<Vec<String>>,
    prompts: Mutex<Vec<String>>,
}

impl ScriptedTerminal {
    /// A terminal whose password prompts are answered with `answers`, in order.
    pub fn answering(answers: &[&str]) -> ScriptedTerminal {
        let terminal = ScriptedTerminal::default();
        if let Ok(mut list) = terminal.answers.lock() {
            list.extend(answers.iter().rev().map(|a| a.to_string()));
        }
        terminal
    }

    pub fn warnings(&self) -> Vec<String> {
        self.warnings.lock().map(|w| w.clone()).unwrap_or_default()
    }

    /// The prompts shown so far.
    pub fn prompts(&self) -> Vec<String> {
        self.prompts.lock().map(|p| p.clone()).unwrap_or_default()
    }
}

impl Terminal for ScriptedTerminal {
    fn warn(&self, message: &str) {
        if let Ok(mut warnings) = self.warnings.lock() {
            warnings.push(message.to_string());
        }
    }

    fn prompt_password(&self, prompt: &str) -> Option<std::io::Result<Password>> {
        if let Ok(mut prompts) = self.prompts.lock() {
            prompts.push(prompt.to_string());
        }
        let answer = self.answers.lock().ok()?.pop()?;
        Some(Ok(Password::new(answer)))
    }
}
