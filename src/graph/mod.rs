//! The dependency graph of a dump and its order: section boundaries as pseudo-objects
//! (stock's `createBoundaryObjects` / `addBoundaryDependencies`), pg_depend edges
//! (`getDependencies`), the stock sort (`sort.rs`) and the named loop repairs
//! (`repair.rs`).
//!
//! Storage is the objects' own dependency lists (`DumpObject::deps`), indexed by
//! DumpId — the shape stock's `TopoSort` and `findLoop` walk. petgraph was considered
//! and left out: the order must be stock's (heap over pre-sort positions), and which
//! loop gets repaired first depends on stock's depth-first `findLoop` over dependency
//! lists in their insertion order, which a generic SCC finder would not reproduce.

pub mod repair;
pub mod sort;

use pgark_formats::model::CatalogId;
use pgark_formats::DumpId;

use crate::catalog::{CatalogError, Rows, Session};
use crate::objects::{BoundarySide, Catalog, Components, Kind};

/// The two boundary pseudo-objects.
#[derive(Debug, Clone, Copy)]
pub struct Boundaries {
    pub pre_data: DumpId,
    pub post_data: DumpId,
}

/// `createBoundaryObjects`: allocated after every catalog object. Runs once, after
/// collection and before the sort, so it also derives the sort keys that need the
/// whole catalog ([`set_constraint_sort_keys`]).
pub fn create_boundaries(cat: &mut Catalog) -> Boundaries {
    set_constraint_sort_keys(cat);
    let pre = cat.objects.add(
        Kind::PreDataBoundary,
        CatalogId::default(),
        "PRE-DATA BOUNDARY",
        None,
        0,
    );
    let post = cat.objects.add(
        Kind::PostDataBoundary,
        CatalogId::default(),
        "POST-DATA BOUNDARY",
        None,
        0,
    );
    Boundaries {
        pre_data: pre,
        post_data: post,
    }
}

/// `DOTypeNameCompare`'s constraint tie-break (stock 18.x): same-named constraints
/// order domain constraints first by domain name, then table constraints by table
/// name.
pub fn set_constraint_sort_keys(cat: &mut Catalog) {
    use crate::objects::constraint::ConstraintKind;
    use crate::objects::TieBreak;
    for i in 0..cat.objects.all().len() {
        let (id, kind, model) = {
            let o = &cat.objects.all()[i];
            (o.dump_id, o.kind, o.model)
        };
        if !matches!(kind, Kind::Constraint | Kind::FkConstraint) {
            continue;
        }
        let Some(c) = cat.constraints.get(model) else {
            continue;
        };
        let on_domain = matches!(
            c.kind,
            ConstraintKind::DomainCheck { .. } | ConstraintKind::DomainNotNull { .. }
        );
        let owner = c.table_name.clone();
        if let Some(o) = cat.objects.get_mut(id) {
            o.tie_break = TieBreak::ConstraintOwner { on_domain, owner };
        }
    }
}

/// `addBoundaryDependencies`
pub fn add_boundary_dependencies(cat: &mut Catalog, b: Boundaries) {
    let ids: Vec<(DumpId, Kind, usize)> = cat
        .objects
        .all()
        .iter()
        .map(|o| (o.dump_id, o.kind, o.model))
        .collect();
    for (id, kind, model) in ids {
        match kind.section() {
            BoundarySide::PreData => cat.objects.add_dependency(b.pre_data, id),
            // Index (and refreshed matview) statistics are post-data.
            BoundarySide::Data
                if kind == Kind::RelStats
                    && crate::objects::rel_stats::is_post_data(cat, model) =>
            {
                cat.objects.add_dependency(id, b.post_data);
            }
            BoundarySide::Data => {
                cat.objects.add_dependency(id, b.pre_data);
                cat.objects.add_dependency(b.post_data, id);
            }
            BoundarySide::PostData => {
                let separate = match kind {
                    Kind::Rule => cat.rules.get(model).map(|r| r.separate).unwrap_or(true),
                    Kind::Constraint | Kind::FkConstraint => cat
                        .constraints
                        .get(model)
                        .map(|c| c.separate)
                        .unwrap_or(true),
                    _ => true,
                };
                if separate {
                    cat.objects.add_dependency(id, b.post_data);
                }
            }
            BoundarySide::Boundary => {
                if kind == Kind::PostDataBoundary {
                    cat.objects.add_dependency(id, b.pre_data);
                }
            }
        }
    }
}

/// `getDependencies`: pg_depend in one query (plus pg_amop/pg_amproc rows mapped to
/// their operator family), turned into "comes after" edges between known objects.
pub async fn load_dependencies(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let rows = session.query(DEPENDENCIES_SQL).await?;
    load_dependency_rows(session, cat, &rows).await
}

/// `getDependencies`' query (`dump::collect` may run it early on a helper connection).
pub const DEPENDENCIES_SQL: &str = "SELECT classid, objid, refclassid, refobjid, deptype FROM pg_catalog.pg_depend \
             WHERE deptype != 'p' AND deptype != 'e' \
             UNION ALL \
             SELECT 'pg_opfamily'::regclass AS classid, amopfamily AS objid, refclassid, refobjid, deptype \
             FROM pg_catalog.pg_depend d, pg_catalog.pg_amop o \
             WHERE deptype NOT IN ('p', 'e', 'i') AND classid = 'pg_amop'::regclass AND objid = o.oid \
             AND NOT (refclassid = 'pg_opfamily'::regclass AND amopfamily = refobjid) \
             UNION ALL \
             SELECT 'pg_opfamily'::regclass AS classid, amprocfamily AS objid, refclassid, refobjid, deptype \
             FROM pg_catalog.pg_depend d, pg_catalog.pg_amproc p \
             WHERE deptype NOT IN ('p', 'e', 'i') AND classid = 'pg_amproc'::regclass AND objid = p.oid \
             AND NOT (refclassid = 'pg_opfamily'::regclass AND amprocfamily = refobjid) \
             ORDER BY 1,2";

/// `getDependencies` on the rows of [`DEPENDENCIES_SQL`].
pub async fn load_dependency_rows(
    session: &Session,
    cat: &mut Catalog,
    rows: &Rows,
) -> Result<(), CatalogError> {
    for r in rows.iter() {
        let obj = CatalogId {
            table_oid: r.oid("classid")?,
            oid: r.oid("objid")?,
        };
        let refobj = CatalogId {
            table_oid: r.oid("refclassid")?,
            oid: r.oid("refobjid")?,
        };
        let (Some(id), Some(ref_id)) = (
            cat.objects.by_catalog_id(obj),
            cat.objects.by_catalog_id(refobj),
        ) else {
            continue;
        };
        let deptype = r.char("deptype")?;
        let kinds = (
            cat.objects.get(id).map(|o| o.kind),
            cat.objects.get(ref_id).map(|o| o.kind),
        );
        if deptype == b'i' && kinds == (Some(Kind::Table), Some(Kind::Type)) {
            // A composite type's pg_class row depends on the type in pg_depend (right
            // for DROP); for ordering the type must follow its row, so reverse it.
            cat.objects.add_dependency(ref_id, id);
        } else {
            cat.objects.add_dependency(id, ref_id);
        }
    }
    load_matview_refresh_dependencies(session, cat).await
}

/// `getTableDataFKConstraints`, for data-only dumps (where no FK constraint is created
/// after the data): a table's data follows the data of the tables its foreign keys
/// reference, so a restore can load them in order (loops are reported by the repair).
pub async fn load_table_data_fk_dependencies(
    session: &Session,
    cat: &mut Catalog,
) -> Result<(), CatalogError> {
    let data_of = |cat: &Catalog, oid: u32| {
        cat.objects
            .by_catalog_id(CatalogId { table_oid: 0, oid })
            .filter(|&id| cat.objects.get(id).map(|o| o.kind) == Some(Kind::TableData))
    };
    if !cat.objects.all().iter().any(|o| o.kind == Kind::TableData) {
        return Ok(());
    }
    // Stock walks its FK constraint objects (`conparentid = 0`) in DumpId order.
    let rows = session
        .query(
            "SELECT c.conrelid, c.confrelid FROM pg_catalog.pg_constraint c \
             WHERE c.contype = 'f' AND c.conparentid = 0 ORDER BY c.conrelid, c.conname",
        )
        .await?;
    for r in rows.iter() {
        let (table, referenced) = (r.oid("conrelid")?, r.oid("confrelid")?);
        if let (Some(id), Some(ref_id)) = (data_of(cat, table), data_of(cat, referenced)) {
            cat.objects.add_dependency(id, ref_id);
        }
    }
    Ok(())
}

/// `buildMatViewRefreshDependencies`: a materialized view's REFRESH follows the
/// REFRESH of every materialized view its query reads, directly or through views;
/// one that reads an unpopulated materialized view counts as unpopulated itself.
async fn load_matview_refresh_dependencies(
    session: &Session,
    cat: &mut Catalog,
) -> Result<(), CatalogError> {
    if !cat
        .objects
        .all()
        .iter()
        .any(|o| o.kind == Kind::RefreshMatView)
    {
        return Ok(());
    }
    let rows = session
        .query(
            "WITH RECURSIVE w AS ( \
             SELECT d1.objid, d2.refobjid, c2.relkind AS refrelkind \
             FROM pg_catalog.pg_depend d1 \
             JOIN pg_catalog.pg_class c1 ON c1.oid = d1.objid AND c1.relkind = 'm' \
             JOIN pg_catalog.pg_rewrite r1 ON r1.ev_class = d1.objid \
             JOIN pg_catalog.pg_depend d2 ON d2.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass \
               AND d2.objid = r1.oid AND d2.refobjid <> d1.objid \
             JOIN pg_catalog.pg_class c2 ON c2.oid = d2.refobjid AND c2.relkind IN ('m', 'v') \
             WHERE d1.classid = 'pg_catalog.pg_class'::pg_catalog.regclass \
             UNION \
             SELECT w.objid, d3.refobjid, c3.relkind \
             FROM w \
             JOIN pg_catalog.pg_rewrite r3 ON r3.ev_class = w.refobjid \
             JOIN pg_catalog.pg_depend d3 ON d3.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass \
               AND d3.objid = r3.oid AND d3.refobjid <> w.refobjid \
             JOIN pg_catalog.pg_class c3 ON c3.oid = d3.refobjid AND c3.relkind IN ('m', 'v') \
             ) \
             SELECT objid, refobjid FROM w WHERE refrelkind = 'm'",
        )
        .await?;
    // Data objects carry their table's OID with a zero tableoid.
    let refresh_of = |cat: &Catalog, oid: u32| {
        cat.objects
            .by_catalog_id(CatalogId { table_oid: 0, oid })
            .filter(|&id| cat.objects.get(id).map(|o| o.kind) == Some(Kind::RefreshMatView))
    };
    for r in rows.iter() {
        let (objid, refobjid) = (r.oid("objid")?, r.oid("refobjid")?);
        let (Some(id), Some(ref_id)) = (refresh_of(cat, objid), refresh_of(cat, refobjid)) else {
            continue;
        };
        cat.objects.add_dependency(id, ref_id);
        let ref_populated = cat.table_by_oid(refobjid).is_none_or(|t| t.is_populated);
        if !ref_populated {
            if let Some(&ti) = cat.table_by_oid.get(&objid) {
                cat.tables[ti].is_populated = false;
            }
        }
    }
    Ok(())
}

/// Describes an object as stock's `describeDumpableObject` does (loop warnings).
/// The text is stock's; the DumpIds in it may not be: stock numbers every built-in
/// object it reads (types, operators, casts of pg_catalog...), pgark only the
/// objects it reads, so objects collected after those get smaller IDs.
pub fn describe(cat: &Catalog, id: DumpId) -> String {
    let Some(o) = cat.objects.get(id) else {
        return format!("object {id}");
    };
    let (id, oid) = (o.dump_id, o.catalog_id.oid);
    match o.kind {
        Kind::PreDataBoundary | Kind::PostDataBoundary | Kind::LargeObjectData => {
            format!("{}  (ID {id})", o.kind.describe())
        }
        Kind::TableAttach | Kind::IndexAttach => {
            format!("{} {}  (ID {id})", o.kind.describe(), o.name)
        }
        Kind::LargeObject => format!("LARGE OBJECT  (ID {id} OID {oid})"),
        Kind::EventTrigger => format!("EVENT TRIGGER {} (ID {id} OID {oid})", o.name),
        Kind::Policy
        | Kind::Publication
        | Kind::PublicationTable
        | Kind::PublicationSchema
        | Kind::Subscription
        | Kind::SubscriptionRel => format!("{} (ID {id} OID {oid})", o.kind.describe()),
        Kind::Cast => match cat.casts.get(o.model) {
            Some(c) => format!(
                "CAST {} to {}  (ID {id} OID {oid})",
                c.source_oid, c.target_oid
            ),
            None => format!("CAST {}  (ID {id} OID {oid})", o.name),
        },
        Kind::Transform => match cat.transforms.get(o.model) {
            Some(t) => format!(
                "TRANSFORM {} lang {}  (ID {id} OID {oid})",
                t.type_oid, t.language_oid
            ),
            None => format!("TRANSFORM {}  (ID {id} OID {oid})", o.name),
        },
        Kind::AttrDef => {
            let column = cat.attrdefs.get(o.model).and_then(|d| {
                let table = cat.table_by_oid(d.table_oid)?;
                table
                    .columns
                    .iter()
                    .find(|c| c.num == d.num)
                    .map(|c| c.name.clone())
            });
            format!(
                "ATTRDEF {}.{}  (ID {id} OID {oid})",
                o.name,
                column.unwrap_or_default()
            )
        }
        _ => format!(
            "{} {}  (ID {} OID {})",
            o.kind.describe(),
            o.name,
            o.dump_id,
            o.catalog_id.oid
        ),
    }
}

/// Whether an object will produce output (used to skip undumped objects when
/// computing archive dependencies).
pub fn is_dumped(cat: &Catalog, id: DumpId) -> bool {
    cat.objects
        .get(id)
        .map(|o| o.dump != Components::NONE)
        .unwrap_or(false)
}
