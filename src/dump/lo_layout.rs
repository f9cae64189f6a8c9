//! The pre-1.16 large-object layout (`--archive-version=1.14/1.15`): pg_dump 12–16
//! wrote one pre-data `BLOB` entry per large object (`lo_create`), each followed by
//! its own COMMENT, SECURITY LABEL and ACL entries, and a single data-section `BLOBS`
//! entry holding every large object in OID order. pg_restore before 17 knows only
//! that layout, so the grouped 1.16 entries (`BLOB METADATA` + one `BLOBS` per group)
//! are rewritten into it here.

use std::collections::{HashMap, HashSet};

use pgark_formats::model::{CatalogId, DataLocation, Desc, Section, Toc, TocEntry};
use pgark_formats::DumpId;

use crate::objects::large_object::PG_LARGEOBJECT;
use crate::objects::{Catalog, Kind};

/// What the rewrite left for the data half: the one BLOBS entry and its objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyBlobs {
    pub dump_id: DumpId,
    /// Every large object, ascending OID (stock's `dumpLOs` order).
    pub oids: Vec<u32>,
}

/// The OIDs a BLOB METADATA entry stands for (its definition: one per line).
fn metadata_oids(e: &TocEntry) -> Vec<u32> {
    String::from_utf8_lossy(e.defn.as_deref().unwrap_or_default())
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// `defn` of a group ACL (written for the group's first OID) for `oid`, as pg_restore
/// 17+ re-issues it per object: every `LARGE OBJECT <first>` outside double quotes
/// becomes `LARGE OBJECT <oid>`.
fn acl_for(defn: &[u8], first: u32, oid: u32) -> Vec<u8> {
    let from = format!("LARGE OBJECT {first}");
    let to = format!("LARGE OBJECT {oid}");
    let text = String::from_utf8_lossy(defn);
    let mut out = String::with_capacity(text.len());
    // Odd pieces are inside double quotes (a doubled quote gives an empty piece).
    for (i, piece) in text.split('"').enumerate() {
        if i > 0 {
            out.push('"');
        }
        if i % 2 == 1 {
            out.push_str(piece);
            continue;
        }
        let mut rest = piece;
        while let Some(at) = rest.find(&from) {
            let after = &rest[at + from.len()..];
            out.push_str(&rest[..at]);
            // Only the whole OID: `LARGE OBJECT 12` must not match in `LARGE OBJECT 123`.
            if after.starts_with(|c: char| c.is_ascii_digit()) {
                out.push_str(&from);
            } else {
                out.push_str(&to);
            }
            rest = after;
        }
        out.push_str(rest);
    }
    out.into_bytes()
}

/// Rewrites `toc` into the pre-1.16 layout; `None` when it has no large objects.
pub fn to_pre_1_16(toc: &mut Toc) -> Option<LegacyBlobs> {
    let groups: HashMap<DumpId, (Vec<u32>, Option<Vec<u8>>)> = toc
        .entries
        .iter()
        .filter(|e| e.desc == Desc::BlobMetadata)
        .map(|e| (e.dump_id, (metadata_oids(e), e.owner.clone())))
        .collect();
    let first_blobs = toc.entries.iter().find(|e| e.desc == Desc::Blobs)?.dump_id;
    let mut next_id = toc.entries.iter().map(|e| e.dump_id).max().unwrap_or(0) + 1;

    // Per-object dependents of the groups: comments and labels (one per object, tag
    // `LARGE OBJECT <oid>`) and ACLs (one per group).
    let mut per_object: HashMap<u32, Vec<TocEntry>> = HashMap::new();
    let mut group_acls: HashMap<DumpId, TocEntry> = HashMap::new();
    let mut moved: HashSet<DumpId> = HashSet::new();
    for e in &toc.entries {
        let Some(&group) = e.dependencies.first() else {
            continue;
        };
        if e.dependencies.len() != 1 || !groups.contains_key(&group) {
            continue;
        }
        match e.desc {
            Desc::Acl => {
                group_acls.insert(group, e.clone());
            }
            Desc::Comment | Desc::SecurityLabel => {
                let tag = String::from_utf8_lossy(e.tag.as_deref().unwrap_or_default());
                let Some(oid) = tag
                    .strip_prefix("LARGE OBJECT ")
                    .and_then(|o| o.parse::<u32>().ok())
                else {
                    continue;
                };
                per_object.entry(oid).or_default().push(e.clone());
            }
            _ => continue,
        }
        moved.insert(e.dump_id);
    }

    // One BLOB entry per object, each with its comment, labels and ACL, ordered as
    // stock sorted them: by name, i.e. the OID as text.
    let mut objects: Vec<(u32, DumpId)> = groups
        .iter()
        .flat_map(|(&id, (oids, _))| oids.iter().map(move |&o| (o, id)))
        .collect();
    objects.sort_by_key(|&(oid, _)| oid.to_string());
    let mut pre_data = Vec::new();
    for &(oid, group) in &objects {
        let (oids, owner) = &groups[&group];
        let blob_id = next_id;
        next_id += 1;
        pre_data.push(TocEntry {
            dump_id: blob_id,
            had_dumper: false,
            catalog_id: CatalogId {
                table_oid: PG_LARGEOBJECT,
                oid,
            },
            tag: Some(oid.to_string().into_bytes()),
            desc: Desc::Blob,
            section: Section::PreData,
            defn: Some(format!("SELECT pg_catalog.lo_create('{oid}');\n").into_bytes()),
            drop_stmt: Some(format!("SELECT pg_catalog.lo_unlink('{oid}');\n").into_bytes()),
            copy_stmt: None,
            namespace: None,
            tablespace: None,
            table_am: None,
            relkind: 0,
            owner: owner.clone(),
            with_oids: Some(b"false".to_vec()),
            dependencies: Vec::new(),
            data_location: DataLocation::File(Vec::new()),
        });
        for mut e in per_object.remove(&oid).unwrap_or_default() {
            e.dependencies = vec![blob_id];
            pre_data.push(e);
        }
        if let Some(acl) = group_acls.get(&group) {
            let first = oids.first().copied().unwrap_or(oid);
            let mut e = acl.clone();
            if oid != first {
                e.dump_id = next_id;
                next_id += 1;
            }
            e.tag = Some(format!("LARGE OBJECT {oid}").into_bytes());
            e.defn = e.defn.as_deref().map(|d| acl_for(d, first, oid));
            e.dependencies = vec![blob_id];
            pre_data.push(e);
        }
    }

    let mut oids: Vec<u32> = objects.iter().map(|&(o, _)| o).collect();
    oids.sort_unstable();
    let old = std::mem::take(&mut toc.entries);
    let mut inserted = false;
    for e in old {
        if !inserted && matches!(e.section, Section::Data | Section::PostData) {
            toc.entries.append(&mut pre_data);
            inserted = true;
        }
        if e.desc == Desc::BlobMetadata || moved.contains(&e.dump_id) {
            continue;
        }
        if e.desc == Desc::Blobs {
            if e.dump_id == first_blobs {
                toc.entries.push(TocEntry {
                    catalog_id: CatalogId::default(),
                    tag: Some(b"BLOBS".to_vec()),
                    owner: None,
                    dependencies: Vec::new(),
                    ..e
                });
            }
            continue;
        }
        toc.entries.push(e);
    }
    if !inserted {
        toc.entries.append(&mut pre_data);
    }
    Some(LegacyBlobs {
        dump_id: first_blobs,
        oids,
    })
}

/// Makes the BLOBS entry left by [`to_pre_1_16`] stand for every large object: its
/// group (the first) gets all OIDs, so the data half reads them all into it.
pub fn merge_groups(catalog: &mut Catalog, legacy: &LegacyBlobs) {
    let Some(obj) = catalog.objects.get(legacy.dump_id) else {
        return;
    };
    if obj.kind != Kind::LargeObjectData {
        return;
    }
    let model = obj.model;
    if let Some(g) = catalog.large_objects.get_mut(model) {
        g.oids = legacy.oids.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::acl_for;

    #[test]
    fn group_acl_is_rewritten_per_object() {
        let defn = b"REVOKE ALL ON LARGE OBJECT 12 FROM x;\nGRANT SELECT ON LARGE OBJECT 12 TO \"LARGE OBJECT 12\";\nGRANT ALL ON LARGE OBJECT 123 TO y;\n";
        assert_eq!(
            String::from_utf8(acl_for(defn, 12, 77)).expect("utf8"),
            "REVOKE ALL ON LARGE OBJECT 77 FROM x;\nGRANT SELECT ON LARGE OBJECT 77 TO \"LARGE OBJECT 12\";\nGRANT ALL ON LARGE OBJECT 123 TO y;\n"
        );
    }
}
