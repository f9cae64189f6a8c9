//! pg_dumpall's cluster-wide objects ("globals"): roles with their attributes, comments,
//! security labels and settings, role memberships, privileges on configuration
//! parameters, and tablespaces, written as stock pg_dumpall 18 writes them, byte for byte.
//!
//! The catalog queries are stock's own texts (so `-v` logs the same statements); values
//! arrive in the server's text output over a UTF8 session and are quoted with
//! [`Quoter`]. The caller converts the finished text to the requested client encoding.
//!
//! Beyond stock, [`archive`] defines cluster archives (`pgark dumpall -F c|d|t -f DIR`:
//! a globals script plus one standard pg_dump archive per database, named by OID, with
//! a manifest) and [`restore`] restores them (`pgark restore -d DB DIR`: globals first,
//! then each database, `-j N` at once); their module docs give the layout and the
//! restore's semantics.

pub mod archive;
pub mod restore;
pub mod session;

use crate::objects::component::acl::{build_acl_commands, AclObject};
use crate::Result;
use futures_util::future::BoxFuture;
use pgark_formats::quote::Quoter;
pub use session::{CatalogRow, Session};

/// Which globals to write (`-g`, `-r`, `-t`; the whole-cluster mode writes `Globals`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Roles and tablespaces (`-g`, and the start of a whole-cluster dump).
    Globals,
    /// Roles, memberships and parameter privileges only (`-r`).
    Roles,
    /// Tablespaces only (`-t`).
    Tablespaces,
}

/// The options that change what the globals look like.
#[derive(Debug, Clone, Default)]
pub struct GlobalsOptions {
    /// `-c`: DROP commands first.
    pub clean: bool,
    /// `--if-exists`: `DROP ... IF EXISTS`.
    pub if_exists: bool,
    /// `-x`: no GRANT/REVOKE on tablespaces and parameters.
    pub no_privileges: bool,
    pub no_comments: bool,
    pub no_security_labels: bool,
    pub no_tablespaces: bool,
    /// Read `pg_roles` instead of `pg_authid`, and write no passwords.
    pub no_role_passwords: bool,
    /// `--binary-upgrade`: keep role and tablespace OIDs.
    pub binary_upgrade: bool,
    /// Whether the whole-cluster mode will drop databases first (`-c` without -g/-r/-t).
    pub drop_databases: bool,
}

/// The bootstrap superuser's OID, which may always be named as a grantor.
const BOOTSTRAP_SUPERUSER_ID: &str = "10";

/// Writes everything stock writes for the globals between the session header and
/// `\unrestrict`: drops (with `-c`), roles, memberships, parameter privileges,
/// tablespaces, as `scope` and `options` select.
pub async fn write_globals(
    session: &Session,
    scope: Scope,
    options: &GlobalsOptions,
    out: &mut Vec<u8>,
) -> Result<()> {
    let roles = scope != Scope::Tablespaces;
    let tablespaces = scope != Scope::Roles && !options.no_tablespaces;
    if options.clean {
        if options.drop_databases {
            drop_databases(session, options, out).await?;
        }
        if tablespaces {
            drop_tablespaces(session, options, out).await?;
        }
        if roles {
            drop_roles(session, options, out).await?;
        }
    }
    if roles {
        dump_roles(session, options, out).await?;
        dump_role_memberships(session, out).await?;
        if session.server_version >= 150000 && !options.no_privileges {
            dump_parameter_privileges(session, out).await?;
        }
    }
    if tablespaces {
        dump_tablespaces(session, options, out).await?;
    }
    Ok(())
}

/// `appendStringLiteralConn`: a literal that reads the same whatever the restoring
/// session's standard_conforming_strings: with a backslash, always `E'...'` with
/// doubled backslashes (after a space, so it cannot run into an identifier).
pub fn push_conn_literal(q: &Quoter, out: &mut Vec<u8>, s: &[u8]) {
    if s.contains(&b'\\') {
        if out.last().is_some_and(|&c| c != b' ') {
            out.push(b' ');
        }
        out.push(b'E');
        Quoter {
            std_strings: false,
            ..*q
        }
        .push_literal(out, s);
    } else {
        q.push_literal(out, s);
    }
}

fn push_drop(q: &Quoter, out: &mut Vec<u8>, kind: &str, name: &[u8], if_exists: bool) {
    out.extend_from_slice(b"DROP ");
    out.extend_from_slice(kind.as_bytes());
    out.push(b' ');
    if if_exists {
        out.extend_from_slice(b"IF EXISTS ");
    }
    q.push_ident(out, name);
    out.extend_from_slice(b";\n");
}

/// `dropDBs`: every connectable database but template0/template1/postgres.
async fn drop_databases(
    session: &Session,
    options: &GlobalsOptions,
    out: &mut Vec<u8>,
) -> Result<()> {
    let rows = session
        .rows("SELECT datname FROM pg_database d WHERE datallowconn AND datconnlimit != -2 ORDER BY datname")
        .await?;
    if !rows.is_empty() {
        out.extend_from_slice(b"--\n-- Drop databases (except postgres and template1)\n--\n\n");
    }
    for row in &rows {
        let name = row.text(0);
        if !matches!(name, b"template1" | b"template0" | b"postgres") {
            push_drop(&session.quoter, out, "DATABASE", name, options.if_exists);
        }
    }
    out.extend_from_slice(b"\n\n");
    Ok(())
}

/// `dropTablespaces`.
async fn drop_tablespaces(
    session: &Session,
    options: &GlobalsOptions,
    out: &mut Vec<u8>,
) -> Result<()> {
    let rows = session
        .rows("SELECT spcname FROM pg_catalog.pg_tablespace WHERE spcname !~ '^pg_' ORDER BY 1")
        .await?;
    if !rows.is_empty() {
        out.extend_from_slice(b"--\n-- Drop tablespaces\n--\n\n");
    }
    for row in &rows {
        push_drop(
            &session.quoter,
            out,
            "TABLESPACE",
            row.text(0),
            options.if_exists,
        );
    }
    out.extend_from_slice(b"\n\n");
    Ok(())
}

/// `dropRoles`.
async fn drop_roles(session: &Session, options: &GlobalsOptions, out: &mut Vec<u8>) -> Result<()> {
    let sql = format!(
        "SELECT rolname FROM {} WHERE rolname !~ '^pg_' ORDER BY 1",
        session.role_catalog
    );
    let rows = session.rows(&sql).await?;
    if !rows.is_empty() {
        out.extend_from_slice(b"--\n-- Drop roles\n--\n\n");
    }
    for row in &rows {
        push_drop(&session.quoter, out, "ROLE", row.text(0), options.if_exists);
    }
    out.extend_from_slice(b"\n\n");
    Ok(())
}

/// `dumpRoles`: CREATE ROLE + ALTER ROLE with every attribute, comment and security
/// labels per role, then every role's settings (`dumpUserConfig`) once all roles exist,
/// since a setting may name another role.
async fn dump_roles(session: &Session, options: &GlobalsOptions, out: &mut Vec<u8>) -> Result<()> {
    let q = &session.quoter;
    let sql = format!(
        "SELECT oid, rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolconnlimit, \
         rolpassword, rolvaliduntil, rolreplication, rolbypassrls, \
         pg_catalog.shobj_description(oid, 'pg_authid') as rolcomment, rolname = current_user AS is_current_user \
         FROM {} WHERE rolname !~ '^pg_' ORDER BY 2",
        session.role_catalog
    );
    let rows = session.rows(&sql).await?;
    if !rows.is_empty() {
        out.extend_from_slice(b"--\n-- Roles\n--\n\n");
    }
    for row in &rows {
        let oid = row.text(0);
        let name = row.text(1);
        if name.starts_with(b"pg_") {
            session.warn(&format!(
                "role name starting with \"pg_\" skipped ({})",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        let mut buf = Vec::new();
        if options.binary_upgrade {
            buf.extend_from_slice(b"\n-- For binary upgrade, must preserve pg_authid.oid\n");
            buf.extend_from_slice(b"SELECT pg_catalog.binary_upgrade_set_next_pg_authid_oid('");
            buf.extend_from_slice(oid);
            buf.extend_from_slice(b"'::pg_catalog.oid);\n\n");
        }
        // CREATE then ALTER, so the attributes are right even when the role exists (the
        // connected role cannot be dropped by -c). Binary upgrade cannot afford the
        // error and knows the connected role exists.
        if !options.binary_upgrade || row.text(13) == b"f" {
            buf.extend_from_slice(b"CREATE ROLE ");
            q.push_ident(&mut buf, name);
            buf.extend_from_slice(b";\n");
        }
        buf.extend_from_slice(b"ALTER ROLE ");
        q.push_ident(&mut buf, name);
        buf.extend_from_slice(b" WITH");
        let flags: [(usize, &str, &str); 7] = [
            (2, " SUPERUSER", " NOSUPERUSER"),
            (3, " INHERIT", " NOINHERIT"),
            (4, " CREATEROLE", " NOCREATEROLE"),
            (5, " CREATEDB", " NOCREATEDB"),
            (6, " LOGIN", " NOLOGIN"),
            (10, " REPLICATION", " NOREPLICATION"),
            (11, " BYPASSRLS", " NOBYPASSRLS"),
        ];
        for (column, yes, no) in flags {
            buf.extend_from_slice(if row.text(column) == b"t" { yes } else { no }.as_bytes());
        }
        let connlimit = row.text(7);
        if connlimit != b"-1" {
            buf.extend_from_slice(b" CONNECTION LIMIT ");
            buf.extend_from_slice(connlimit);
        }
        if let (Some(password), false) = (row.get(8), options.no_role_passwords) {
            buf.extend_from_slice(b" PASSWORD ");
            push_conn_literal(q, &mut buf, password);
        }
        if let Some(valid_until) = row.get(9) {
            buf.extend_from_slice(b" VALID UNTIL '");
            buf.extend_from_slice(valid_until);
            buf.push(b'\'');
        }
        buf.extend_from_slice(b";\n");
        if let (Some(comment), false) = (row.get(12), options.no_comments) {
            buf.extend_from_slice(b"COMMENT ON ROLE ");
            q.push_ident(&mut buf, name);
            buf.extend_from_slice(b" IS ");
            push_conn_literal(q, &mut buf, comment);
            buf.extend_from_slice(b";\n");
        }
        if !options.no_security_labels {
            shared_security_labels(session, "pg_authid", oid, "ROLE", name, &mut buf).await?;
        }
        out.extend_from_slice(&buf);
    }
    if !rows.is_empty() {
        out.extend_from_slice(b"\n--\n-- User Configurations\n--\n");
    }
    for row in &rows {
        dump_user_config(session, row.text(1), out).await?;
    }
    out.extend_from_slice(b"\n\n");
    Ok(())
}

/// `buildShSecLabels`: SECURITY LABEL commands for a shared object.
async fn shared_security_labels(
    session: &Session,
    catalog: &str,
    oid: &[u8],
    kind: &str,
    name: &[u8],
    out: &mut Vec<u8>,
) -> Result<()> {
    let sql = format!(
        "SELECT provider, label FROM pg_catalog.pg_shseclabel WHERE classoid = 'pg_catalog.{catalog}'::pg_catalog.regclass AND objoid = '{}'",
        String::from_utf8_lossy(oid)
    );
    let q = &session.quoter;
    for row in session.rows(&sql).await? {
        out.extend_from_slice(b"SECURITY LABEL FOR ");
        q.push_ident(out, row.text(0));
        out.extend_from_slice(b" ON ");
        out.extend_from_slice(kind.as_bytes());
        out.push(b' ');
        q.push_ident(out, name);
        out.extend_from_slice(b" IS ");
        push_conn_literal(q, out, row.text(1));
        out.extend_from_slice(b";\n");
    }
    Ok(())
}

/// `dumpUserConfig`: the role's own settings (`ALTER ROLE ... SET`), not those tied to a
/// database (pg_dump writes those with the database).
async fn dump_user_config(session: &Session, role: &[u8], out: &mut Vec<u8>) -> Result<()> {
    let q = &session.quoter;
    let mut sql = format!(
        "SELECT unnest(setconfig) FROM pg_db_role_setting WHERE setdatabase = 0 AND setrole = (SELECT oid FROM {} WHERE rolname = ",
        session.role_catalog
    )
    .into_bytes();
    push_conn_literal(q, &mut sql, role);
    sql.push(b')');
    let sql = String::from_utf8(sql)
        .map_err(|_| crate::Error::Dumpall("role name is not valid UTF-8".into()))?;
    let rows = session.rows(&sql).await?;
    if !rows.is_empty() {
        out.extend_from_slice(b"\n--\n-- User Config \"");
        out.extend(
            role.iter()
                .map(|&c| if c == b'\n' || c == b'\r' { b' ' } else { c }),
        );
        out.extend_from_slice(b"\"\n--\n\n");
    }
    for row in &rows {
        alter_config_command(q, row.text(0), "ROLE", role, None, out);
    }
    Ok(())
}

/// GUCs whose values the server stores as already-quoted lists (`GUC_LIST_QUOTE`).
fn is_list_quoted_setting(name: &[u8]) -> bool {
    const LIST_QUOTED: [&str; 8] = [
        "local_preload_libraries",
        "oauth_validator_libraries",
        "output_plugin_libraries",
        "search_path",
        "session_preload_libraries",
        "shared_preload_libraries",
        "temp_tablespaces",
        "unix_socket_directories",
    ];
    LIST_QUOTED
        .iter()
        .any(|n| n.as_bytes().eq_ignore_ascii_case(name))
}

/// `makeAlterConfigCommand`: `ALTER <kind> name [IN <kind2> name2] SET var TO value;` from
/// a stored `var=value` item (items without `=` are skipped, as stock does).
pub fn alter_config_command(
    q: &Quoter,
    item: &[u8],
    kind: &str,
    name: &[u8],
    within: Option<(&str, &[u8])>,
    out: &mut Vec<u8>,
) {
    let Some(eq) = item.iter().position(|&c| c == b'=') else {
        return;
    };
    let (var, value) = (&item[..eq], &item[eq + 1..]);
    out.extend_from_slice(b"ALTER ");
    out.extend_from_slice(kind.as_bytes());
    out.push(b' ');
    q.push_ident(out, name);
    out.push(b' ');
    if let Some((kind2, name2)) = within {
        out.extend_from_slice(b"IN ");
        out.extend_from_slice(kind2.as_bytes());
        out.push(b' ');
        q.push_ident(out, name2);
        out.push(b' ');
    }
    out.extend_from_slice(b"SET ");
    q.push_ident(out, var);
    out.extend_from_slice(b" TO ");
    if is_list_quoted_setting(var) {
        // A list that does not split is written as nothing, as stock does.
        if let Some(elements) = split_guc_list(value) {
            if elements.is_empty() {
                out.extend_from_slice(b"NULL");
            }
            for (i, element) in elements.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                push_conn_literal(q, out, element);
            }
        }
    } else {
        push_conn_literal(q, out, value);
    }
    out.extend_from_slice(b";\n");
}

/// `SplitGUCList` with a comma: the elements of a stored list value, `"..."` elements
/// dequoted (`""` is a quote); `None` on bad syntax.
pub fn split_guc_list(text: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    let skip_space = |i: &mut usize| {
        while text.get(*i).is_some_and(|c| c.is_ascii_whitespace()) {
            *i += 1;
        }
    };
    skip_space(&mut i);
    if i == text.len() {
        return Some(out);
    }
    loop {
        let mut element = Vec::new();
        if text[i] == b'"' {
            i += 1;
            loop {
                match *text.get(i)? {
                    b'"' if text.get(i + 1) == Some(&b'"') => {
                        element.push(b'"');
                        i += 2;
                    }
                    b'"' => {
                        i += 1;
                        break;
                    }
                    c => {
                        element.push(c);
                        i += 1;
                    }
                }
            }
        } else {
            let start = i;
            while i < text.len() && text[i] != b',' && !text[i].is_ascii_whitespace() {
                i += 1;
            }
            if i == start {
                return None;
            }
            element.extend_from_slice(&text[start..i]);
        }
        skip_space(&mut i);
        out.push(element);
        match text.get(i) {
            Some(b',') => {
                i += 1;
                skip_space(&mut i);
            }
            None => return Some(out),
            Some(_) => return None,
        }
    }
}

/// `dumpRoleMembership`: GRANT role TO member, with ADMIN/INHERIT/SET options and the
/// grantor on 16 and later. Per role, grants are written in passes so a grantor always
/// holds ADMIN OPTION before it is named (only the bootstrap superuser needs none).
async fn dump_role_memberships(session: &Session, out: &mut Vec<u8>) -> Result<()> {
    let q = &session.quoter;
    let catalog = session.role_catalog;
    let sixteen = session.server_version >= 160000;
    let mut sql = String::from(
        "SELECT ur.rolname AS role, um.rolname AS member, ug.rolname AS grantor, a.roleid AS roleid, \
         a.member AS memberid, a.grantor AS grantorid, a.admin_option",
    );
    if sixteen {
        sql.push_str(", a.inherit_option, a.set_option");
    }
    sql.push_str(&format!(
        " FROM pg_auth_members a LEFT JOIN {catalog} ur on ur.oid = a.roleid LEFT JOIN {catalog} um on um.oid = a.member \
         LEFT JOIN {catalog} ug on ug.oid = a.grantor WHERE NOT (ur.rolname ~ '^pg_' AND um.rolname ~ '^pg_')ORDER BY 1,2,3"
    ));
    let rows = session.rows(&sql).await?;
    if !rows.is_empty() {
        out.extend_from_slice(b"--\n-- Role memberships\n--\n\n");
    }
    let mut start = 0;
    while start < rows.len() {
        let Some(role) = rows[start].get(0) else {
            // Missing roles sort last.
            session.warn(&format!(
                "ignoring role grant for missing role with OID {}",
                String::from_utf8_lossy(rows[start].text(3))
            ));
            break;
        };
        let end = start
            + rows[start..]
                .iter()
                .take_while(|r| r.get(0) == Some(role))
                .count();
        let mut done = vec![false; end - start];
        let mut remaining = end - start;
        let mut admins: Vec<&[u8]> = Vec::new();
        let mut previous = 0;
        while remaining > 0 {
            if remaining == previous {
                return Err(crate::Error::Dumpall(format!(
                    "could not find a legal dump ordering for memberships in role \"{}\"",
                    String::from_utf8_lossy(role)
                )));
            }
            previous = remaining;
            for i in start..end {
                if done[i - start] {
                    continue;
                }
                let row = &rows[i];
                let Some(member) = row.get(1) else {
                    session.warn(&format!(
                        "ignoring role grant to missing role with OID {}",
                        String::from_utf8_lossy(row.text(4))
                    ));
                    done[i - start] = true;
                    remaining -= 1;
                    continue;
                };
                let grantor_id = row.text(5);
                let mut grantor = None;
                if sixteen {
                    match row.get(2) {
                        Some(g) => grantor = Some(g),
                        None => {
                            session.warn(&format!(
                                "grant of role \"{}\" to \"{}\" has invalid grantor OID {}\nDETAIL:  This grant will be dumped without GRANTED BY.",
                                String::from_utf8_lossy(role),
                                String::from_utf8_lossy(member),
                                String::from_utf8_lossy(grantor_id)
                            ));
                        }
                    }
                }
                let admin = row.text(6) == b"t";
                if let Some(g) = grantor {
                    if grantor_id != BOOTSTRAP_SUPERUSER_ID.as_bytes() && !admins.contains(&g) {
                        continue;
                    }
                }
                done[i - start] = true;
                remaining -= 1;
                if admin {
                    admins.push(member);
                }
                out.extend_from_slice(b"GRANT ");
                q.push_ident(out, role);
                out.extend_from_slice(b" TO ");
                q.push_ident(out, member);
                let mut opts: Vec<&str> = Vec::new();
                if admin {
                    opts.push("ADMIN OPTION");
                }
                if sixteen {
                    opts.push(if row.text(7) == b"t" {
                        "INHERIT TRUE"
                    } else {
                        "INHERIT FALSE"
                    });
                    if row.text(8) != b"t" {
                        opts.push("SET FALSE");
                    }
                }
                if !opts.is_empty() {
                    out.extend_from_slice(b" WITH ");
                    out.extend_from_slice(opts.join(", ").as_bytes());
                }
                if let Some(g) = grantor {
                    out.extend_from_slice(b" GRANTED BY ");
                    q.push_ident(out, g);
                }
                out.extend_from_slice(b";\n");
            }
        }
        start = end;
    }
    out.extend_from_slice(b"\n\n");
    Ok(())
}

/// `dumpRoleGUCPrivs` (15 and later): GRANT SET / ALTER SYSTEM ON PARAMETER.
async fn dump_parameter_privileges(session: &Session, out: &mut Vec<u8>) -> Result<()> {
    let q = &session.quoter;
    let rows = session
        .rows(
            "SELECT parname, pg_catalog.pg_get_userbyid(10) AS parowner, paracl, \
             pg_catalog.acldefault('p', 10) AS acldefault FROM pg_catalog.pg_parameter_acl ORDER BY 1",
        )
        .await?;
    if !rows.is_empty() {
        out.extend_from_slice(b"--\n-- Role privileges on configuration parameters\n--\n\n");
    }
    for row in &rows {
        let name = q.ident(row.text(0));
        let object = AclObject {
            name: &name,
            subname: None,
            namespace: None,
            kind: "PARAMETER",
            owner: row.get(1),
            prefix: b"",
        };
        let commands =
            build_acl_commands(q, &object, row.text(2), row.text(3), session.server_version)
                .ok_or_else(|| {
                    crate::Error::Dumpall(format!(
                        "could not parse ACL list ({}) for parameter \"{}\"",
                        String::from_utf8_lossy(row.text(2)),
                        String::from_utf8_lossy(row.text(0))
                    ))
                })?;
        out.extend_from_slice(&commands);
    }
    out.extend_from_slice(b"\n\n");
    Ok(())
}

/// `dumpTablespaces`: CREATE TABLESPACE with owner and location, options, privileges,
/// comment and security labels.
async fn dump_tablespaces(
    session: &Session,
    options: &GlobalsOptions,
    out: &mut Vec<u8>,
) -> Result<()> {
    let q = &session.quoter;
    let rows = session
        .rows(
            "SELECT oid, spcname, pg_catalog.pg_get_userbyid(spcowner) AS spcowner, \
             pg_catalog.pg_tablespace_location(oid), spcacl, acldefault('t', spcowner) AS acldefault, \
             array_to_string(spcoptions, ', '),pg_catalog.shobj_description(oid, 'pg_tablespace') \
             FROM pg_catalog.pg_tablespace WHERE spcname !~ '^pg_' ORDER BY 1",
        )
        .await?;
    if !rows.is_empty() {
        out.extend_from_slice(b"--\n-- Tablespaces\n--\n\n");
    }
    for row in &rows {
        let oid = row.text(0);
        let name = row.text(1);
        let owner = row.text(2);
        let location = row.text(3);
        let quoted_name = q.ident(name);
        let mut buf = Vec::new();
        if options.binary_upgrade {
            buf.extend_from_slice(b"\n-- For binary upgrade, must preserve pg_tablespace oid\n");
            buf.extend_from_slice(b"SELECT pg_catalog.binary_upgrade_set_next_pg_tablespace_oid('");
            buf.extend_from_slice(oid);
            buf.extend_from_slice(b"'::pg_catalog.oid);\n");
        }
        buf.extend_from_slice(b"CREATE TABLESPACE ");
        buf.extend_from_slice(&quoted_name);
        buf.extend_from_slice(b" OWNER ");
        q.push_ident(&mut buf, owner);
        buf.extend_from_slice(b" LOCATION ");
        // In-place tablespaces (relative paths under pg_tblspc) are recreated in place.
        let location: &[u8] = if location.starts_with(b"/") {
            location
        } else {
            b""
        };
        push_conn_literal(q, &mut buf, location);
        buf.extend_from_slice(b";\n");
        let spc_options = row.text(6);
        if !spc_options.is_empty() {
            buf.extend_from_slice(b"ALTER TABLESPACE ");
            buf.extend_from_slice(&quoted_name);
            buf.extend_from_slice(b" SET (");
            buf.extend_from_slice(spc_options);
            buf.extend_from_slice(b");\n");
        }
        if !options.no_privileges {
            let object = AclObject {
                name: &quoted_name,
                subname: None,
                namespace: None,
                kind: "TABLESPACE",
                owner: Some(owner),
                prefix: b"",
            };
            let commands =
                build_acl_commands(q, &object, row.text(4), row.text(5), session.server_version)
                    .ok_or_else(|| {
                        crate::Error::Dumpall(format!(
                            "could not parse ACL list ({}) for tablespace \"{}\"",
                            String::from_utf8_lossy(row.text(4)),
                            String::from_utf8_lossy(name)
                        ))
                    })?;
            buf.extend_from_slice(&commands);
        }
        let comment = row.text(7);
        if !options.no_comments && !comment.is_empty() {
            buf.extend_from_slice(b"COMMENT ON TABLESPACE ");
            buf.extend_from_slice(&quoted_name);
            buf.extend_from_slice(b" IS ");
            push_conn_literal(q, &mut buf, comment);
            buf.extend_from_slice(b";\n");
        }
        if !options.no_security_labels {
            shared_security_labels(session, "pg_tablespace", oid, "TABLESPACE", name, &mut buf)
                .await?;
        }
        out.extend_from_slice(&buf);
    }
    out.extend_from_slice(b"\n\n");
    Ok(())
}

/// What a whole-cluster dump asks of the per-database dump for one database.
#[derive(Debug, Clone)]
pub struct DatabaseDumpRequest {
    /// The database to dump.
    pub dbname: String,
    /// `--create`: the dump creates the database and connects to it.
    pub create: bool,
    /// `--clean` (with `--create`): the dump drops the database first.
    pub clean: bool,
}

/// The per-database dump of a whole-cluster dump: pg_dump's plain output of one
/// database with pg_dumpall's pass-through options (pg_dumpall runs `pg_dump -Fp`).
pub trait DatabaseDumper: Sync {
    /// The plain-text dump of `request.dbname`.
    fn dump_database<'a>(
        &'a self,
        request: &'a DatabaseDumpRequest,
    ) -> BoxFuture<'a, Result<Vec<u8>>>;
}

/// A whole-cluster dump's text in parts: pg_dumpall's own text (UTF8 until the caller
/// converts it to the client encoding) and each database's dump, which the per-database
/// dump already wrote in the client encoding and so is kept as it is.
#[derive(Debug, Default)]
pub struct ClusterText {
    parts: Vec<ClusterPart>,
    /// The frame text after the last part.
    frame: Vec<u8>,
}

/// One part of a [`ClusterText`].
#[derive(Debug)]
pub enum ClusterPart {
    /// pg_dumpall's own text, in UTF8.
    Frame(Vec<u8>),
    /// One database's dump, in the client encoding.
    Database(Vec<u8>),
}

impl ClusterText {
    /// The frame text being written.
    pub fn frame(&mut self) -> &mut Vec<u8> {
        &mut self.frame
    }

    /// Appends one database's dump.
    pub fn push_database(&mut self, text: Vec<u8>) {
        if !self.frame.is_empty() {
            self.parts
                .push(ClusterPart::Frame(std::mem::take(&mut self.frame)));
        }
        self.parts.push(ClusterPart::Database(text));
    }

    /// The parts in order.
    pub fn into_parts(mut self) -> Vec<ClusterPart> {
        if !self.frame.is_empty() {
            self.parts.push(ClusterPart::Frame(self.frame));
        }
        self.parts
    }
}

/// `dumpDatabases`: template1 first, then every other connectable database but
/// template0 and the excluded ones, each under a header; `template1` and `postgres`
/// are assumed to exist (recreated only with `-c`), the others are created by their dump.
pub async fn write_databases(
    session: &Session,
    dumper: &dyn DatabaseDumper,
    excluded: &[Vec<u8>],
    clean: bool,
    out: &mut ClusterText,
) -> Result<()> {
    let rows = session
        .rows(
            "SELECT datname FROM pg_database d WHERE datallowconn AND datconnlimit != -2 \
             ORDER BY (datname <> 'template1'), datname",
        )
        .await?;
    if !rows.is_empty() {
        out.frame().extend_from_slice(b"--\n-- Databases\n--\n\n");
    }
    for row in &rows {
        let name = row.text(0);
        let shown = String::from_utf8_lossy(name);
        if name == b"template0" {
            continue;
        }
        if excluded.iter().any(|e| e == name) {
            session.info(&format!("excluding database \"{shown}\""));
            continue;
        }
        session.info(&format!("dumping database \"{shown}\""));
        let frame = out.frame();
        frame.extend_from_slice(b"--\n-- Database \"");
        frame.extend(
            name.iter()
                .map(|&c| if c == b'\n' || c == b'\r' { b' ' } else { c }),
        );
        frame.extend_from_slice(b"\" dump\n--\n\n");
        let dbname = String::from_utf8(name.to_vec()).map_err(|_| {
            crate::Error::Dumpall(format!("database name \"{shown}\" is not valid UTF-8"))
        })?;
        let builtin = name == b"template1" || name == b"postgres";
        let request = match (builtin, clean) {
            (true, true) => DatabaseDumpRequest {
                dbname,
                create: true,
                clean: true,
            },
            (true, false) => {
                // The dump will not connect to a database it does not create.
                frame.extend_from_slice(b"\\connect ");
                frame.extend_from_slice(name);
                frame.extend_from_slice(b"\n\n");
                DatabaseDumpRequest {
                    dbname,
                    create: false,
                    clean: false,
                }
            }
            (false, _) => DatabaseDumpRequest {
                dbname,
                create: true,
                clean: false,
            },
        };
        let text = dumper.dump_database(&request).await.map_err(|e| {
            crate::Error::Dumpall(format!(
                "{e}\npg_dump failed on database \"{shown}\", exiting"
            ))
        })?;
        out.push_database(text);
    }
    Ok(())
}

/// The databases of a cluster archive, as [`write_databases`] would dump them (template1
/// first, then by name; not template0, not the excluded ones), with their OIDs.
pub async fn list_databases(
    session: &Session,
    excluded: &[Vec<u8>],
) -> Result<Vec<(u32, Vec<u8>)>> {
    let rows = session
        .rows(
            "SELECT datname, oid FROM pg_database d WHERE datallowconn AND datconnlimit != -2 \
             ORDER BY (datname <> 'template1'), datname",
        )
        .await?;
    let mut databases = Vec::new();
    for row in &rows {
        let name = row.text(0);
        if name == b"template0" {
            continue;
        }
        if excluded.iter().any(|e| e == name) {
            session.info(&format!(
                "excluding database \"{}\"",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        let oid = std::str::from_utf8(row.text(1))
            .ok()
            .and_then(|o| o.parse().ok())
            .ok_or_else(|| {
                crate::Error::Dumpall(format!(
                    "invalid OID of database \"{}\"",
                    String::from_utf8_lossy(name)
                ))
            })?;
        databases.push((oid, name.to_vec()));
    }
    Ok(databases)
}

/// `expand_dbname_patterns`: the names of the databases matching `--exclude-database`
/// patterns (psql pattern rules; a dotted name is an error).
pub async fn excluded_databases(session: &Session, patterns: &[String]) -> Result<Vec<Vec<u8>>> {
    let mut names = Vec::new();
    for pattern in patterns {
        let (qualifier, regex) = crate::dump::filter::pattern_to_regex(pattern);
        if qualifier.is_some() {
            return Err(crate::Error::Dumpall(format!(
                "improper qualified name (too many dotted names): {pattern}"
            )));
        }
        let mut sql = b"SELECT datname FROM pg_catalog.pg_database n\n".to_vec();
        // A pattern matching everything adds no condition, as in stock.
        if regex != ".*" {
            sql.extend_from_slice(b"WHERE datname OPERATOR(pg_catalog.~) ");
            push_conn_literal(&session.quoter, &mut sql, format!("^({regex})$").as_bytes());
            sql.extend_from_slice(b" COLLATE pg_catalog.default\n");
        }
        let sql = String::from_utf8(sql)
            .map_err(|_| crate::Error::Dumpall(format!("pattern is not valid UTF-8: {pattern}")))?;
        names.extend(session.rows(&sql).await?.iter().map(|r| r.text(0).to_vec()));
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alter(item: &str) -> String {
        let mut out = Vec::new();
        alter_config_command(
            &Quoter::default(),
            item.as_bytes(),
            "ROLE",
            b"Bob",
            None,
            &mut out,
        );
        String::from_utf8(out).expect("utf8")
    }

    #[test]
    fn plain_settings_are_literals() {
        assert_eq!(
            alter("work_mem=64MB"),
            "ALTER ROLE \"Bob\" SET work_mem TO '64MB';\n"
        );
        assert_eq!(
            alter("application_name=it's"),
            "ALTER ROLE \"Bob\" SET application_name TO 'it''s';\n"
        );
        assert_eq!(alter("no equals sign"), "");
    }

    #[test]
    fn list_settings_are_split() {
        assert_eq!(
            alter(r#"search_path=a, "B c", """""#),
            "ALTER ROLE \"Bob\" SET search_path TO 'a', 'B c', '\"';\n"
        );
        assert_eq!(
            alter("search_path="),
            "ALTER ROLE \"Bob\" SET search_path TO NULL;\n"
        );
        assert_eq!(
            alter("search_path=\"unterminated"),
            "ALTER ROLE \"Bob\" SET search_path TO ;\n"
        );
    }

    #[test]
    fn in_database_clause() {
        let mut out = Vec::new();
        alter_config_command(
            &Quoter::default(),
            b"work_mem=1MB",
            "ROLE",
            b"bob",
            Some(("DATABASE", b"my db")),
            &mut out,
        );
        assert_eq!(
            out,
            b"ALTER ROLE bob IN DATABASE \"my db\" SET work_mem TO '1MB';\n"
        );
    }

    #[test]
    fn guc_list_syntax() {
        assert_eq!(split_guc_list(b"  "), Some(vec![]));
        assert_eq!(
            split_guc_list(b"a ,b"),
            Some(vec![b"a".to_vec(), b"b".to_vec()])
        );
        assert_eq!(split_guc_list(b"a b"), None);
        assert_eq!(split_guc_list(b"a,,b"), None);
    }
}
