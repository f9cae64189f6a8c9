//! Connection service files (`pg_service.conf`): `[name]` sections of `keyword=value`
//! lines, looked up as libpq's `parseServiceInfo` does: PGSERVICEFILE or
//! `~/.pg_service.conf` first, then `PGSYSCONFDIR/pg_service.conf`.

use std::path::{Path, PathBuf};

use super::conninfo::ConnInfo;
use super::env::{Env, DEFAULT_SYSCONFDIR};
use crate::{Error, Result};

/// Fills the keywords `info` does not set yet from service `service`.
/// Errors: the service is in no file, a file has a syntax error, or nests `service=`.
pub fn apply(service: &str, info: &mut ConnInfo, env: &dyn Env) -> Result<()> {
    let user_file = match env.var("PGSERVICEFILE") {
        Some(path) => Some(PathBuf::from(path)),
        None => env
            .home_dir()
            .map(|home| home.join(".pg_service.conf"))
            .filter(|path| path.exists()),
    };
    if let Some(path) = user_file {
        if apply_file(&path, service, info)? {
            return Ok(());
        }
    }
    let sysconfdir = env.var("PGSYSCONFDIR").unwrap_or_else(|| DEFAULT_SYSCONFDIR.to_string());
    let system_file = Path::new(&sysconfdir).join("pg_service.conf");
    if system_file.exists() && apply_file(&system_file, service, info)? {
        return Ok(());
    }
    Err(Error::ConnectionOptions(format!("definition of service \"{service}\" not found")))
}

/// Applies the section `[service]` of one file; `Ok(false)` when the file has no such section.
fn apply_file(path: &Path, service: &str, info: &mut ConnInfo) -> Result<bool> {
    let text = std::fs::read(path).map_err(|_| {
        Error::ConnectionOptions(format!("service file \"{}\" not found", path.display()))
    })?;
    let text = String::from_utf8_lossy(&text);
    let mut in_section = false;
    let mut found = false;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let syntax_error = || {
            Error::ConnectionOptions(format!(
                "syntax error in service file \"{}\", line {}",
                path.display(),
                index + 1
            ))
        };
        if let Some(header) = line.strip_prefix('[') {
            if in_section {
                break; // end of the wanted section
            }
            // libpq compares the name and then wants ']' right after it.
            in_section = header.strip_prefix(service).is_some_and(|rest| rest.starts_with(']'));
            found |= in_section;
            continue;
        }
        if !in_section {
            continue;
        }
        // No trimming around '=': libpq takes "key = v" as the keyword "key ", an error.
        let (key, value) = line.split_once('=').ok_or_else(syntax_error)?;
        if key == "service" {
            return Err(Error::ConnectionOptions(format!(
                "nested service specifications not supported in service file \"{}\", line {}",
                path.display(),
                index + 1
            )));
        }
        if super::conninfo::keyword(key).is_none() {
            return Err(syntax_error());
        }
        info.set_default(key, value)?;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::env::MapEnv;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write service file");
        path
    }

    #[test]
    fn section_values_fill_only_unset_keywords() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = write(
            dir.path(),
            "services",
            "# test\n[other]\nhost=wrong\n\n  [main]  \n host=db.example \nport=6000\ndbname=sales\n[later]\nuser=nope\n",
        );
        let env = MapEnv::new().with("PGSERVICEFILE", &file.display().to_string());
        let mut info = ConnInfo::parse("port=7000").expect("parse");
        apply("main", &mut info, &env).expect("apply");
        assert_eq!(info.get("host"), Some("db.example"));
        assert_eq!(info.get("port"), Some("7000"));
        assert_eq!(info.get("dbname"), Some("sales"));
        assert_eq!(info.get("user"), None);
    }

    #[test]
    fn falls_back_to_sysconfdir_and_reports_missing_services() {
        let user_dir = tempfile::tempdir().expect("tempdir");
        let sys_dir = tempfile::tempdir().expect("tempdir");
        write(user_dir.path(), ".pg_service.conf", "[mine]\nhost=h1\n");
        write(sys_dir.path(), "pg_service.conf", "[shared]\nhost=h2\n");
        let mut env = MapEnv::new().with("PGSYSCONFDIR", &sys_dir.path().display().to_string());
        env.home = Some(user_dir.path().to_path_buf());

        let mut info = ConnInfo::default();
        apply("mine", &mut info, &env).expect("user file");
        assert_eq!(info.get("host"), Some("h1"));
        let mut info = ConnInfo::default();
        apply("shared", &mut info, &env).expect("system file");
        assert_eq!(info.get("host"), Some("h2"));
        let err = apply("absent", &mut ConnInfo::default(), &env).expect_err("absent");
        assert_eq!(err.to_string(), "definition of service \"absent\" not found");
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = write(dir.path(), "s.conf", "[a]\nhost = h\n[b]\nservice=a\n[c]\nnosuch=1\n");
        let env = MapEnv::new().with("PGSERVICEFILE", &file.display().to_string());
        let shown = file.display();
        let err = apply("a", &mut ConnInfo::default(), &env).expect_err("spaces");
        assert_eq!(err.to_string(), format!("syntax error in service file \"{shown}\", line 2"));
        let err = apply("b", &mut ConnInfo::default(), &env).expect_err("nested");
        assert_eq!(
            err.to_string(),
            format!("nested service specifications not supported in service file \"{shown}\", line 4")
        );
        let err = apply("c", &mut ConnInfo::default(), &env).expect_err("unknown keyword");
        assert_eq!(err.to_string(), format!("syntax error in service file \"{shown}\", line 6"));
    }
}
