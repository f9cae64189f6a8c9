//! Large objects: BLOB METADATA (groups of up to 1000 objects with the same owner and
//! ACL), their comments and ACLs, and BLOBS (the contents). Mirrors pg_dump.c
//! `getLOs()`, `dumpLO()` and the `DO_LARGE_OBJECT_DATA` case of
//! `dumpDumpableObject()`. Catalog: pg_largeobject_metadata. TOC: both in the data
//! section. Contents are read by the dump orchestration (`lo_get`, one query per group).

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::privileges::{self, AclTarget, DumpableAcl};
use crate::objects::{Catalog, Components, DumpObject, Kind};

/// `LargeObjectRelationId`
pub const PG_LARGEOBJECT: u32 = 2613;
/// `MAX_BLOBS_PER_ARCHIVE_ENTRY`
const MAX_PER_ENTRY: usize = 1000;

#[derive(Debug, Clone)]
pub struct LargeObjectGroup {
    pub name: String,
    pub owner: String,
    pub oids: Vec<u32>,
    pub acl: DumpableAcl,
    /// DumpId of the group's metadata object (the data object depends on it).
    pub metadata_id: i32,
}

/// `getLOs`: groups in (owner, ACL, OID) order, a metadata and a data object each.
pub async fn collect(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let rows = session
        .query(
            "SELECT oid, lomowner, lomacl, acldefault('L', lomowner) AS acldefault FROM pg_catalog.pg_largeobject_metadata \
             ORDER BY lomowner, lomacl::pg_catalog.text, oid",
        )
        .await?;
    let all: Vec<(u32, u32, Option<String>, String)> = rows
        .iter()
        .map(|r| {
            Ok((
                r.oid("oid")?,
                r.oid("lomowner")?,
                r.opt_string("lomacl")?,
                r.string("acldefault")?,
            ))
        })
        .collect::<Result<_, CatalogError>>()?;
    let mut i = 0;
    while i < all.len() {
        let (first, owner, acl, acldefault) = all[i].clone();
        let mut n = 1;
        while n < MAX_PER_ENTRY && i + n < all.len() && all[i + n].1 == owner && all[i + n].2 == acl
        {
            n += 1;
        }
        let oids: Vec<u32> = all[i..i + n].iter().map(|x| x.0).collect();
        let name = if n > 1 {
            format!("{}..{}", first, oids[n - 1])
        } else {
            first.to_string()
        };
        let idx = cat.large_objects.len();
        let meta = cat.objects.add(
            Kind::LargeObject,
            CatalogId {
                table_oid: PG_LARGEOBJECT,
                oid: first,
            },
            name.clone(),
            None,
            idx,
        );
        cat.objects.set_dump(meta, Components::ALL);
        let data = cat.objects.add(
            Kind::LargeObjectData,
            CatalogId::default(),
            name.clone(),
            None,
            idx,
        );
        cat.objects.set_dump(data, Components::DATA);
        cat.objects.add_dependency(data, meta);
        cat.large_objects.push(LargeObjectGroup {
            name,
            owner: cat.role_name(owner),
            oids,
            acl: DumpableAcl {
                acl: acl.unwrap_or_default(),
                acldefault,
                initprivs: None,
            },
            metadata_id: meta,
        });
        i += n;
    }
    Ok(())
}

/// `dumpLO` (metadata, comments, ACL) and the BLOBS entry.
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    let g = &cx.catalog.large_objects[obj.model];
    if obj.kind == Kind::LargeObjectData {
        let mut e = NewEntry::new(Desc::Blobs, Section::Data, g.name.clone());
        e.owner = Some(g.owner.clone());
        e.deps = vec![g.metadata_id];
        e.has_data = true;
        out.push(obj.dump_id, e);
        return;
    }
    let mut e = NewEntry::new(Desc::BlobMetadata, Section::Data, g.name.clone());
    e.catalog_id = obj.catalog_id;
    e.owner = Some(g.owner.clone());
    e.defn = g.oids.iter().map(|o| format!("{o}\n")).collect();
    e.drop_stmt = "-- dummy".into();
    out.push(obj.dump_id, e);
    for oid in &g.oids {
        let name = oid.to_string();
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "LARGE OBJECT",
                name: &name,
                namespace: None,
                owner: &g.owner,
                classoid: PG_LARGEOBJECT,
                objoid: *oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
    let first = g.oids.first().map(|o| o.to_string()).unwrap_or_default();
    let tag = (g.oids.len() > 1).then(|| format!("LARGE OBJECTS {}", g.name));
    privileges::emit(
        cx,
        out,
        &AclTarget {
            kind: "LARGE OBJECT",
            name: &first,
            subname: None,
            namespace: None,
            tag: tag.as_deref(),
            owner: &g.owner,
            dump_id: obj.dump_id,
            alt_dump_id: None,
        },
        &g.acl,
    );
}

/// The contents of a group's large objects, in OID order (one query).
pub async fn contents(
    session: &Session,
    g: &LargeObjectGroup,
) -> Result<Vec<(u32, Vec<u8>)>, CatalogError> {
    let list: Vec<String> = g.oids.iter().map(|o| o.to_string()).collect();
    let rows = session
        .query(&format!(
            "SELECT oid, pg_catalog.lo_get(oid) AS data FROM pg_catalog.pg_largeobject_metadata \
             WHERE oid = ANY('{{{}}}'::pg_catalog.oid[]) ORDER BY oid",
            list.join(",")
        ))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows.iter() {
        let hex = r.text("data")?;
        let digits = hex
            .strip_prefix("\\x")
            .ok_or_else(|| r.bad("data", "not a hex bytea"))?;
        let bytes = (0..digits.len() / 2)
            .map(|i| u8::from_str_radix(&digits[2 * i..2 * i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| r.bad("data", "bad hex digit"))?;
        out.push((r.oid("oid")?, bytes));
    }
    // Stock writes them in the group's order (lomowner, lomacl, oid): OID order within a group.
    let order: std::collections::HashMap<u32, usize> =
        g.oids.iter().enumerate().map(|(i, o)| (*o, i)).collect();
    out.sort_by_key(|(o, _)| order.get(o).copied().unwrap_or(usize::MAX));
    Ok(out)
}
