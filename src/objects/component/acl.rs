//! GRANT/REVOKE commands from catalog ACL arrays, as stock's `buildACLCommands`
//! (`dumputils.c`) writes them: what is in the object's ACL but not in its base ACL
//! (the type's `acldefault()` or its `pg_init_privs` entry) is granted, the reverse
//! revoked, owner's own grants first, grants by another grantor wrapped in
//! `SET SESSION AUTHORIZATION`.
//!
//! Pure functions over text: the caller fetches `acl` and `base_acl` as the server
//! prints them (`{grantee=privs/grantor,...}`) and supplies quoting.

use pgark_formats::quote::Quoter;

/// The object a set of privilege commands is about.
#[derive(Debug, Clone, Copy)]
pub struct AclObject<'a> {
    /// The object's name as it goes into the commands, already quoted (`"my table"`);
    /// empty for `ALTER DEFAULT PRIVILEGES`.
    pub name: &'a [u8],
    /// A column name, already quoted, for column privileges.
    pub subname: Option<&'a [u8]>,
    /// The schema the object is in, not quoted yet.
    pub namespace: Option<&'a [u8]>,
    /// The object type as GRANT spells it: TABLE, SEQUENCE, FUNCTION, PROCEDURE, LANGUAGE,
    /// SCHEMA, DATABASE, TABLESPACE, TYPE, FOREIGN DATA WRAPPER, FOREIGN SERVER,
    /// FOREIGN TABLE, PARAMETER, LARGE OBJECT, or a plural for default privileges
    /// (TABLES, SEQUENCES, FUNCTIONS, ...).
    pub kind: &'a str,
    /// The owner's name (not quoted); `None` or empty when unknown.
    pub owner: Option<&'a [u8]>,
    /// Put before each GRANT/REVOKE (`ALTER DEFAULT PRIVILEGES FOR ROLE r `); usually empty.
    pub prefix: &'a [u8],
}

/// The commands that turn `base_acl` into `acl` on `object`; empty when `acl` is empty
/// (the catalog's NULL: the object has its default privileges). `None` when either
/// array or one of its items cannot be parsed, or `object.kind` is not a type GRANT
/// knows (stock reports "could not parse ACL list").
///
/// `_server_version` is accepted for parity with stock, which would add back default
/// privileges that newer servers grant but old ones lacked (no such case exists today).
pub fn build_acl_commands(
    quoter: &Quoter,
    object: &AclObject<'_>,
    acl: &[u8],
    base_acl: &[u8],
    _server_version: u32,
) -> Option<Vec<u8>> {
    if acl.is_empty() {
        return Some(Vec::new());
    }
    let owner = object.owner.filter(|o| !o.is_empty());
    let items = parse_pg_array(acl)?;
    let base_items = parse_pg_array(base_acl)?;
    let grants: Vec<&Vec<u8>> = items.iter().filter(|i| !base_items.contains(i)).collect();
    let revokes: Vec<&Vec<u8>> = base_items.iter().filter(|i| !items.contains(i)).collect();

    // Owner's own grants and the revokes go first, everything else after.
    let mut first = Vec::new();
    let mut second = Vec::new();
    for item in revokes {
        let parsed = parse_acl_item(item, object.kind, object.subname, false)?;
        if parsed.privs.is_empty() {
            continue;
        }
        push_command(
            quoter,
            &mut first,
            object,
            b"REVOKE ",
            &parsed.privs,
            b" FROM ",
            &parsed.grantee,
            b";\n",
        );
    }
    for item in grants {
        let mut parsed = parse_acl_item(item, object.kind, object.subname, true)?;
        if parsed.privs.is_empty() && parsed.privs_with_grant.is_empty() {
            continue;
        }
        if parsed.grantor.is_empty() {
            if let Some(owner) = owner {
                parsed.grantor = owner.to_vec();
            }
        }
        let owners_own = owner.is_some_and(|o| parsed.grantee == o && parsed.grantor == o);
        let out = if owners_own { &mut first } else { &mut second };
        let switch_user =
            !parsed.grantor.is_empty() && owner != Some(parsed.grantor.as_slice());
        if switch_user {
            out.extend_from_slice(b"SET SESSION AUTHORIZATION ");
            quoter.push_ident(out, &parsed.grantor);
            out.extend_from_slice(b";\n");
        }
        if !parsed.privs.is_empty() {
            push_command(
                quoter,
                out,
                object,
                b"GRANT ",
                &parsed.privs,
                b" TO ",
                &parsed.grantee,
                b";\n",
            );
        }
        if !parsed.privs_with_grant.is_empty() {
            push_command(
                quoter,
                out,
                object,
                b"GRANT ",
                &parsed.privs_with_grant,
                b" TO ",
                &parsed.grantee,
                b" WITH GRANT OPTION;\n",
            );
        }
        if switch_user {
            out.extend_from_slice(b"RESET SESSION AUTHORIZATION;\n");
        }
    }
    first.extend_from_slice(&second);
    Some(first)
}

/// `<prefix><verb><privs> ON <kind> [<nsp>.]<name> <to_from><grantee|PUBLIC><end>`.
#[allow(clippy::too_many_arguments)]
fn push_command(
    quoter: &Quoter,
    out: &mut Vec<u8>,
    object: &AclObject<'_>,
    verb: &[u8],
    privs: &[u8],
    to_from: &[u8],
    grantee: &[u8],
    end: &[u8],
) {
    out.extend_from_slice(object.prefix);
    out.extend_from_slice(verb);
    out.extend_from_slice(privs);
    out.extend_from_slice(b" ON ");
    out.extend_from_slice(object.kind.as_bytes());
    out.push(b' ');
    if let Some(nsp) = object.namespace.filter(|n| !n.is_empty()) {
        quoter.push_ident(out, nsp);
        out.push(b'.');
    }
    if !object.name.is_empty() {
        out.extend_from_slice(object.name);
        out.push(b' ');
    }
    // `to_from` is " TO " / " FROM " with the leading space already written after name.
    out.extend_from_slice(&to_from[1..]);
    if grantee.is_empty() {
        out.extend_from_slice(b"PUBLIC");
    } else {
        quoter.push_ident(out, grantee);
    }
    out.extend_from_slice(end);
}

/// One `grantee=privs/grantor` item taken apart.
#[derive(Debug, Default, PartialEq, Eq)]
struct AclItem {
    /// Dequoted; empty for PUBLIC.
    grantee: Vec<u8>,
    /// Dequoted.
    grantor: Vec<u8>,
    /// Comma-separated keywords granted without grant option (all of them when the
    /// grant-option split is not wanted), or `ALL`.
    privs: Vec<u8>,
    /// Keywords granted with grant option, or `ALL`.
    privs_with_grant: Vec<u8>,
}

/// The privilege letters of `kind`, with their keywords, in stock's output order.
fn privilege_codes(kind: &str, column: bool) -> Option<Vec<(u8, &'static str)>> {
    let codes: Vec<(u8, &'static str)> = match kind {
        "TABLE" | "TABLES" => {
            let mut v = vec![(b'r', "SELECT"), (b'a', "INSERT"), (b'x', "REFERENCES")];
            if !column {
                v.extend([
                    (b'd', "DELETE"),
                    (b't', "TRIGGER"),
                    (b'D', "TRUNCATE"),
                    (b'm', "MAINTAIN"),
                ]);
            }
            v.push((b'w', "UPDATE"));
            v
        }
        "SEQUENCE" | "SEQUENCES" => vec![(b'r', "SELECT"), (b'U', "USAGE"), (b'w', "UPDATE")],
        "FUNCTION" | "FUNCTIONS" | "PROCEDURE" | "PROCEDURES" => vec![(b'X', "EXECUTE")],
        "LANGUAGE" | "TYPE" | "TYPES" | "FOREIGN DATA WRAPPER" | "FOREIGN SERVER" => {
            vec![(b'U', "USAGE")]
        }
        "SCHEMA" | "SCHEMAS" => vec![(b'C', "CREATE"), (b'U', "USAGE")],
        "DATABASE" => vec![(b'C', "CREATE"), (b'c', "CONNECT"), (b'T', "TEMPORARY")],
        "TABLESPACE" => vec![(b'C', "CREATE")],
        "FOREIGN TABLE" => vec![(b'r', "SELECT")],
        "PARAMETER" => vec![(b's', "SET"), (b'A', "ALTER SYSTEM")],
        "LARGE OBJECT" | "LARGE OBJECTS" => vec![(b'r', "SELECT"), (b'w', "UPDATE")],
        _ => return None,
    };
    Some(codes)
}

/// `parseAclItem`. With `split_grant_option` false every privilege lands in `privs`.
fn parse_acl_item(
    item: &[u8],
    kind: &str,
    subname: Option<&[u8]>,
    split_grant_option: bool,
) -> Option<AclItem> {
    let (grantee, rest) = dequote_user_name(item);
    let rest = rest.strip_prefix(b"=")?;
    let slash = rest.iter().position(|&c| c == b'/')?;
    let codes_text = &rest[..slash];
    let (grantor, after) = dequote_user_name(&rest[slash + 1..]);
    if !after.is_empty() {
        return None;
    }
    let mut parsed = AclItem {
        grantee,
        grantor,
        ..AclItem::default()
    };
    let mut all_with_go = true;
    let mut all_without_go = true;
    for (code, keyword) in privilege_codes(kind, subname.is_some())? {
        match codes_text.iter().position(|&c| c == code) {
            Some(pos) => {
                let with_go = codes_text.get(pos + 1) == Some(&b'*') && split_grant_option;
                let target = if with_go {
                    all_without_go = false;
                    &mut parsed.privs_with_grant
                } else {
                    all_with_go = false;
                    &mut parsed.privs
                };
                add_privilege(target, keyword, subname);
            }
            None => {
                all_with_go = false;
                all_without_go = false;
            }
        }
    }
    let all = || {
        let mut v = b"ALL".to_vec();
        if let Some(sub) = subname {
            v.push(b'(');
            v.extend_from_slice(sub);
            v.push(b')');
        }
        v
    };
    if all_with_go {
        parsed.privs.clear();
        parsed.privs_with_grant = all();
    } else if all_without_go {
        parsed.privs_with_grant.clear();
        parsed.privs = all();
    }
    Some(parsed)
}

/// `AddAcl`: `keyword` (with `(column)`), comma-separated.
fn add_privilege(list: &mut Vec<u8>, keyword: &str, subname: Option<&[u8]>) {
    if !list.is_empty() {
        list.push(b',');
    }
    list.extend_from_slice(keyword.as_bytes());
    if let Some(sub) = subname {
        list.push(b'(');
        list.extend_from_slice(sub);
        list.push(b')');
    }
}

/// `dequoteAclUserName`: a role name up to an unquoted `=` or the end, `"..."` parts
/// dequoted (`""` is one quote). Returns the name and the rest of the input.
fn dequote_user_name(input: &[u8]) -> (Vec<u8>, &[u8]) {
    let mut out = Vec::new();
    let mut i = 0;
    while i < input.len() && input[i] != b'=' {
        if input[i] != b'"' {
            out.push(input[i]);
            i += 1;
            continue;
        }
        i += 1;
        loop {
            match input.get(i) {
                // Unterminated quote: stock stops here, and the caller sees a syntax error.
                None => return (out, &input[i..]),
                Some(b'"') if input.get(i + 1) == Some(&b'"') => {
                    out.push(b'"');
                    i += 2;
                }
                Some(b'"') => {
                    i += 1;
                    break;
                }
                Some(&c) => {
                    out.push(c);
                    i += 1;
                }
            }
        }
    }
    (out, &input[i..])
}

/// `quoteAclUserName`: a role name as it appears inside an aclitem (`putid` in the
/// server): double-quoted unless only ASCII letters, digits and underscores.
pub fn quote_acl_user_name(out: &mut Vec<u8>, name: &[u8]) {
    let safe = name.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_');
    if !safe {
        out.push(b'"');
    }
    for &c in name {
        if c == b'"' {
            out.push(b'"');
        }
        out.push(c);
    }
    if !safe {
        out.push(b'"');
    }
}

/// `parsePGArray`: the elements of a one-dimensional array in the server's text output
/// (`{a,"b c","d\"e"}`); `None` if it is not one.
pub fn parse_pg_array(text: &[u8]) -> Option<Vec<Vec<u8>>> {
    if text.len() < 2 || text[0] != b'{' || text[text.len() - 1] != b'}' {
        return None;
    }
    let mut items = Vec::new();
    let mut i = 1;
    while text.get(i)? != &b'}' {
        let mut item = Vec::new();
        loop {
            match *text.get(i)? {
                b'}' | b',' => break,
                b'"' => {
                    i += 1;
                    loop {
                        match *text.get(i)? {
                            b'"' => break,
                            b'\\' => {
                                i += 1;
                                item.push(*text.get(i)?);
                            }
                            c => item.push(c),
                        }
                        i += 1;
                    }
                    i += 1;
                }
                c => {
                    item.push(c);
                    i += 1;
                }
            }
        }
        if text[i] == b',' {
            i += 1;
        }
        items.push(item);
    }
    // Anything after the closing brace makes it malformed.
    (i + 1 == text.len()).then_some(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tablespace<'a>(name: &'a [u8], owner: &'a [u8]) -> AclObject<'a> {
        AclObject {
            name,
            subname: None,
            namespace: None,
            kind: "TABLESPACE",
            owner: Some(owner),
            prefix: b"",
        }
    }

    fn build(object: &AclObject<'_>, acl: &str, base: &str) -> String {
        let out = build_acl_commands(
            &Quoter::default(),
            object,
            acl.as_bytes(),
            base.as_bytes(),
            180000,
        )
        .expect("parsable ACL");
        String::from_utf8(out).expect("utf8")
    }

    #[test]
    fn null_acl_means_default_privileges() {
        assert_eq!(build(&tablespace(b"ts", b"bob"), "", "{bob=C/bob}"), "");
    }

    #[test]
    fn identical_acl_gives_nothing() {
        assert_eq!(
            build(&tablespace(b"ts", b"bob"), "{bob=C/bob}", "{bob=C/bob}"),
            ""
        );
    }

    #[test]
    fn empty_acl_revokes_owner() {
        assert_eq!(
            build(&tablespace(b"ts", b"bob"), "{}", "{bob=C/bob}"),
            "REVOKE ALL ON TABLESPACE ts FROM bob;\n"
        );
    }

    #[test]
    fn grants_public_with_and_without_grant_option() {
        assert_eq!(
            build(&tablespace(b"ts", b"bob"), "{bob=C/bob,=C/bob,carol=C*/bob}", "{bob=C/bob}"),
            "GRANT ALL ON TABLESPACE ts TO PUBLIC;\nGRANT ALL ON TABLESPACE ts TO carol WITH GRANT OPTION;\n"
        );
    }

    #[test]
    fn other_grantor_switches_session_user() {
        assert_eq!(
            build(&tablespace(b"ts", b"bob"), "{bob=C/bob,carol=C*/bob,dave=C/carol}", "{bob=C/bob}"),
            "GRANT ALL ON TABLESPACE ts TO carol WITH GRANT OPTION;\n\
             SET SESSION AUTHORIZATION carol;\nGRANT ALL ON TABLESPACE ts TO dave;\nRESET SESSION AUTHORIZATION;\n"
        );
    }

    #[test]
    fn owner_regrant_goes_first_after_revokes() {
        // The owner re-granted to themselves after a revoke by someone else.
        let obj = tablespace(b"ts", b"bob");
        assert_eq!(
            build(&obj, "{=C/bob,bob=C/bob}", "{bob=C/bob}"),
            "GRANT ALL ON TABLESPACE ts TO PUBLIC;\n"
        );
        assert_eq!(
            build(&obj, "{=C/bob,bob=C*/bob}", "{bob=C/bob}"),
            "REVOKE ALL ON TABLESPACE ts FROM bob;\nGRANT ALL ON TABLESPACE ts TO bob WITH GRANT OPTION;\n\
             GRANT ALL ON TABLESPACE ts TO PUBLIC;\n"
        );
    }

    #[test]
    fn parameter_privileges_list_keywords() {
        let obj = AclObject {
            name: b"work_mem",
            subname: None,
            namespace: None,
            kind: "PARAMETER",
            owner: Some(b"postgres"),
            prefix: b"",
        };
        assert_eq!(
            build(&obj, "{alice=s/postgres,bob=sA*/postgres,carol=sA/postgres}", "{}"),
            "GRANT SET ON PARAMETER work_mem TO alice;\nGRANT SET ON PARAMETER work_mem TO bob;\n\
             GRANT ALTER SYSTEM ON PARAMETER work_mem TO bob WITH GRANT OPTION;\nGRANT ALL ON PARAMETER work_mem TO carol;\n"
        );
    }

    #[test]
    fn quoted_role_names_are_dequoted_and_requoted() {
        // The server's array output escapes the aclitem's own quotes with backslashes.
        let acl = r#"{bob=C/bob,"\"we\"\"ird role\"=C/bob"}"#;
        assert_eq!(
            build(&tablespace(b"ts", b"bob"), acl, "{bob=C/bob}"),
            "GRANT ALL ON TABLESPACE ts TO \"we\"\"ird role\";\n"
        );
    }

    #[test]
    fn table_columns_and_namespace() {
        let obj = AclObject {
            name: b"t",
            subname: Some(b"c"),
            namespace: Some(b"My Schema"),
            kind: "TABLE",
            owner: Some(b"bob"),
            prefix: b"",
        };
        assert_eq!(
            build(&obj, "{carol=rw/bob}", "{}"),
            "GRANT SELECT(c),UPDATE(c) ON TABLE \"My Schema\".t TO carol;\n"
        );
        let obj = AclObject {
            subname: None,
            ..obj
        };
        assert_eq!(
            build(&obj, "{carol=arwdDxtm/bob}", "{}"),
            "GRANT ALL ON TABLE \"My Schema\".t TO carol;\n"
        );
    }

    #[test]
    fn default_privileges_prefix_and_empty_name() {
        let obj = AclObject {
            name: b"",
            subname: None,
            namespace: None,
            kind: "FUNCTIONS",
            owner: Some(b"bob"),
            prefix: b"ALTER DEFAULT PRIVILEGES FOR ROLE bob ",
        };
        assert_eq!(
            build(&obj, "{bob=X/bob}", "{=X/bob,bob=X/bob}"),
            "ALTER DEFAULT PRIVILEGES FOR ROLE bob REVOKE ALL ON FUNCTIONS FROM PUBLIC;\n"
        );
    }

    #[test]
    fn no_owner_keeps_explicit_grantor() {
        let obj = AclObject {
            owner: None,
            ..tablespace(b"ts", b"")
        };
        assert_eq!(
            build(&obj, "{carol=C/bob}", "{}"),
            "SET SESSION AUTHORIZATION bob;\nGRANT ALL ON TABLESPACE ts TO carol;\nRESET SESSION AUTHORIZATION;\n"
        );
    }

    #[test]
    fn malformed_input_is_refused() {
        let q = Quoter::default();
        let obj = tablespace(b"ts", b"bob");
        assert!(build_acl_commands(&q, &obj, b"bob=C/bob", b"{}", 0).is_none());
        assert!(build_acl_commands(&q, &obj, b"{bob=C}", b"{}", 0).is_none());
        assert!(build_acl_commands(&q, &obj, b"{bob}", b"{}", 0).is_none());
        assert!(build_acl_commands(&q, &obj, b"{bob=C/bob}x", b"{}", 0).is_none());
        let unknown = AclObject {
            kind: "WIDGET",
            ..obj
        };
        assert!(build_acl_commands(&q, &unknown, b"{bob=C/bob}", b"{}", 0).is_none());
    }

    #[test]
    fn pg_array_elements() {
        assert_eq!(parse_pg_array(b"{}"), Some(vec![]));
        assert_eq!(
            parse_pg_array(br#"{a,"b c","d\"e\\f"}"#),
            Some(vec![b"a".to_vec(), b"b c".to_vec(), b"d\"e\\f".to_vec()])
        );
        assert_eq!(parse_pg_array(b"{a"), None);
    }

    #[test]
    fn acl_user_name_quoting() {
        let mut out = Vec::new();
        quote_acl_user_name(&mut out, b"we\"ird");
        assert_eq!(out, b"\"we\"\"ird\"");
        let mut out = Vec::new();
        quote_acl_user_name(&mut out, b"plain_1");
        assert_eq!(out, b"plain_1");
    }
}
