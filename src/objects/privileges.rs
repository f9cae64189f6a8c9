//! ACL entries: stock's `dumpACL` around the shared GRANT/REVOKE builder
//! (`objects::component::acl`, stock `buildACLCommands`). The base ACL is the object's
//! `pg_init_privs` entry when it has one, else `acldefault()`.

use pgark_formats::model::{Desc, Section};
use pgark_formats::DumpId;

use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::component::acl::{build_acl_commands, AclObject};

/// The catalog ACL columns of one object, as text (`{...}`), stock's `DumpableAcl`.
#[derive(Debug, Clone, Default)]
pub struct DumpableAcl {
    pub acl: String,
    pub acldefault: String,
    pub initprivs: Option<String>,
}

/// What an ACL entry is about.
#[derive(Clone, Copy)]
pub struct AclTarget<'a> {
    /// GRANT's object type word: TABLE, SEQUENCE, SCHEMA, DATABASE, ...
    pub kind: &'a str,
    /// Quoted name.
    pub name: &'a str,
    /// Quoted column name for column privileges.
    pub subname: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub tag: Option<&'a str>,
    pub owner: &'a str,
    pub dump_id: DumpId,
    pub alt_dump_id: Option<DumpId>,
}

/// `dumpACL`: the ACL entry, if the object's privileges differ from its base.
pub fn emit(
    cx: &EmitCx<'_>,
    out: &mut TocBuilder,
    t: &AclTarget<'_>,
    dacl: &DumpableAcl,
) -> Option<DumpId> {
    if cx.opts.acls_skip || (!cx.opts.dump_schema && t.kind != "LARGE OBJECT") {
        return None;
    }
    let (acls, base) = match dacl.initprivs.as_deref().filter(|s| !s.is_empty()) {
        Some(init) => (
            if dacl.acl.is_empty() {
                dacl.acldefault.as_str()
            } else {
                dacl.acl.as_str()
            },
            init,
        ),
        None => (dacl.acl.as_str(), dacl.acldefault.as_str()),
    };
    let object = AclObject {
        name: t.name.as_bytes(),
        subname: t.subname.map(str::as_bytes),
        namespace: t.namespace.map(str::as_bytes),
        kind: t.kind,
        owner: Some(t.owner.as_bytes()),
        prefix: b"",
    };
    let sql = build_acl_commands(
        &cx.quoter,
        &object,
        acls.as_bytes(),
        base.as_bytes(),
        cx.opts.server_version,
    )?;
    if sql.is_empty() {
        return None;
    }
    let tag = match (t.tag, t.subname) {
        (Some(tag), _) => tag.to_string(),
        (None, Some(sub)) => format!("COLUMN {}.{}", t.name, sub),
        (None, None) => format!("{} {}", t.kind, t.name),
    };
    let mut e = NewEntry::new(Desc::Acl, Section::None, tag);
    e.namespace = t.namespace.map(str::to_string);
    e.owner = Some(t.owner.to_string());
    e.defn = String::from_utf8_lossy(&sql).into_owned();
    e.deps = std::iter::once(t.dump_id).chain(t.alt_dump_id).collect();
    Some(out.push_new(e))
}
