//! CONSTRAINT (CHECK), FK CONSTRAINT, and the constraint comments. Mirrors pg_dump.c
//! `getConstraints()` (foreign keys), the CHECK part of `getTableAttrs()`, and
//! `dumpConstraint()` / `dumpTableConstraintComment()`. Index-backed constraints are
//! collected by `objects::index` (as stock's `getIndexes` does) but emitted here.
//! Catalog: pg_constraint. TOC: "CONSTRAINT", "CHECK CONSTRAINT", "FK CONSTRAINT",
//! post-data; CHECK constraints normally print inside CREATE TABLE.

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::{Catalog, Components, DumpObject, Kind};

/// `pg_constraint.oid`'s catalog.
const PG_CONSTRAINT: u32 = crate::objects::catalog_oid::PG_CONSTRAINT;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    Exclude,
    Check,
    /// 18: a NOT NULL constraint added NOT VALID (dumped separately).
    NotNull,
    ForeignKey,
    /// A domain's CHECK (`condomain`; `objects::types` collects and emits it).
    DomainCheck {
        type_index: usize,
    },
    /// 17+: a domain's named NOT NULL (`tyinfo->notnull`; in `objects::types`).
    DomainNotNull {
        type_index: usize,
    },
}

#[derive(Debug, Clone)]
pub struct Constraint {
    pub oid: u32,
    pub name: String,
    pub kind: ConstraintKind,
    pub table_oid: u32,
    pub table_name: String,
    /// `pg_get_constraintdef()` (CHECK, FK, EXCLUDE).
    pub definition: String,
    pub deferrable: bool,
    pub deferred: bool,
    /// 18: `WITHOUT OVERLAPS`.
    pub period: bool,
    pub is_local: bool,
    /// Dumped as its own ALTER TABLE (always for PK/UNIQUE/FK; CHECK when NOT VALID or
    /// moved out by loop repair).
    pub separate: bool,
    pub index: Option<usize>,
    pub dump_id: i32,
}

/// CHECK constraints (`getTableAttrs`) then foreign keys (`getConstraints`).
pub async fn collect_checks(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let rows = session
        .query(
            "SELECT tableoid, oid, conname, pg_catalog.pg_get_constraintdef(oid) AS consrc, conislocal, convalidated, conrelid \
             FROM pg_catalog.pg_constraint WHERE contype = 'c' AND conrelid <> 0 ORDER BY conrelid, conname",
        )
        .await?;
    for r in rows.iter() {
        let table_oid = r.oid("conrelid")?;
        let Some(&ti) = cat.table_by_oid.get(&table_oid) else {
            continue;
        };
        let (schema, tname, tid) = {
            let t = &cat.tables[ti];
            (t.schema.clone(), t.name.clone(), t.dump_id)
        };
        let tdump = cat.objects.get(tid).map(|o| o.dump).unwrap_or_default();
        let validated = r.bool("convalidated")?;
        let name = r.string("conname")?;
        let ci = cat.constraints.len();
        let id = cat.objects.add(
            Kind::Constraint,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid: r.oid("oid")?,
            },
            name.clone(),
            Some(schema),
            ci,
        );
        cat.objects.set_dump(id, tdump);
        let separate = !validated;
        if separate {
            // NOT VALID constraints are added after the data is loaded.
            cat.objects.add_dependency(id, tid);
        } else {
            // Printed inside CREATE TABLE: whatever it needs must come before the table.
            cat.objects.add_dependency(tid, id);
        }
        cat.constraints.push(Constraint {
            oid: r.oid("oid")?,
            name,
            kind: ConstraintKind::Check,
            table_oid,
            table_name: tname,
            definition: r.string("consrc")?,
            deferrable: false,
            deferred: false,
            period: false,
            is_local: r.bool("conislocal")?,
            separate,
            index: None,
            dump_id: id,
        });
        cat.tables[ti].checks.push(ci);
    }
    Ok(())
}

/// 18's invalid NOT NULL constraints (the tail of `getTableAttrs`), one query.
pub async fn collect_invalid_not_null(
    session: &Session,
    cat: &mut Catalog,
    oids: &[u32],
) -> Result<(), CatalogError> {
    let list: Vec<String> = oids.iter().map(|o| o.to_string()).collect();
    let rows = session
        .query(&format!(
            "SELECT c.tableoid, c.oid, conrelid, conname, pg_catalog.pg_get_constraintdef(c.oid) AS consrc, conislocal \
             FROM unnest('{{{}}}'::pg_catalog.oid[]) AS src(conoid) JOIN pg_catalog.pg_constraint c ON (src.conoid = c.oid) \
             ORDER BY c.conrelid, c.conname",
            list.join(",")
        ))
        .await?;
    for r in rows.iter() {
        let table_oid = r.oid("conrelid")?;
        let Some(t) = cat.table_by_oid(table_oid) else {
            continue;
        };
        let (schema, tname, tid) = (t.schema.clone(), t.name.clone(), t.dump_id);
        let tdump = cat.objects.get(tid).map(|o| o.dump).unwrap_or_default();
        let name = r.string("conname")?;
        let ci = cat.constraints.len();
        let id = cat.objects.add(
            Kind::Constraint,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid: r.oid("oid")?,
            },
            name.clone(),
            Some(schema),
            ci,
        );
        cat.objects.set_dump(id, tdump);
        cat.objects.add_dependency(id, tid);
        cat.constraints.push(Constraint {
            oid: r.oid("oid")?,
            name,
            kind: ConstraintKind::NotNull,
            table_oid,
            table_name: tname,
            definition: r.string("consrc")?,
            deferrable: false,
            deferred: false,
            period: false,
            is_local: r.bool("conislocal")?,
            separate: true,
            index: None,
            dump_id: id,
        });
    }
    Ok(())
}

/// `getConstraints`: foreign keys of collected tables (not the clones partitions get).
pub async fn collect_foreign_keys(
    session: &Session,
    cat: &mut Catalog,
) -> Result<(), CatalogError> {
    let rows = session
        .query(
            "SELECT c.tableoid, c.oid, c.conrelid, c.conname, c.confrelid, c.conindid, \
             pg_catalog.pg_get_constraintdef(c.oid) AS condef \
             FROM pg_catalog.pg_constraint c WHERE c.contype = 'f' AND c.conparentid = 0 ORDER BY c.conrelid, c.conname",
        )
        .await?;
    for r in rows.iter() {
        let table_oid = r.oid("conrelid")?;
        let Some(t) = cat.table_by_oid(table_oid) else {
            continue;
        };
        let (schema, tname, tid) = (t.schema.clone(), t.name.clone(), t.dump_id);
        let tdump = cat.objects.get(tid).map(|o| o.dump).unwrap_or_default();
        let name = r.string("conname")?;
        let ci = cat.constraints.len();
        let id = cat.objects.add(
            Kind::FkConstraint,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid: r.oid("oid")?,
            },
            name.clone(),
            Some(schema),
            ci,
        );
        cat.objects.set_dump(id, tdump);
        cat.objects.add_dependency(id, tid);
        cat.constraints.push(Constraint {
            oid: r.oid("oid")?,
            name,
            kind: ConstraintKind::ForeignKey,
            table_oid,
            table_name: tname,
            definition: r.string("condef")?,
            deferrable: false,
            deferred: false,
            period: false,
            is_local: true,
            separate: true,
            index: None,
            dump_id: id,
        });
    }
    Ok(())
}

/// `dumpConstraint`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let con = &cx.catalog.constraints[obj.model];
    if let ConstraintKind::DomainCheck { type_index }
    | ConstraintKind::DomainNotNull { type_index } = con.kind
    {
        crate::objects::types::emit_domain_constraint(cx, obj, con, type_index, out);
        return;
    }
    let Some(t) = cx.catalog.table_by_oid(con.table_oid) else {
        return;
    };
    let foreign = if t.relkind == b'f' { "FOREIGN " } else { "" };
    let qualtable = cx.qualified(&t.schema, &t.name);
    match con.kind {
        ConstraintKind::PrimaryKey | ConstraintKind::Unique | ConstraintKind::Exclude => {
            crate::objects::index::emit_index_constraint(cx, obj, con, out);
        }
        ConstraintKind::ForeignKey => {
            let only = if t.relkind == b'p' { "" } else { "ONLY " };
            if obj.dump.has(Components::DEFINITION) {
                let mut e = NewEntry::new(
                    Desc::FkConstraint,
                    Section::PostData,
                    format!("{} {}", t.name, con.name),
                );
                e.catalog_id = obj.catalog_id;
                e.namespace = Some(t.schema.clone());
                e.owner = Some(t.owner.clone());
                e.defn = format!(
                    "ALTER {foreign}TABLE {only}{qualtable}\n    ADD CONSTRAINT {} {};\n",
                    cx.ident(&con.name),
                    con.definition
                );
                e.drop_stmt = format!(
                    "ALTER {foreign}TABLE {only}{qualtable} DROP CONSTRAINT {};\n",
                    cx.ident(&con.name)
                );
                out.push(obj.dump_id, e);
            }
        }
        ConstraintKind::DomainCheck { .. } | ConstraintKind::DomainNotNull { .. } => {}
        ConstraintKind::Check | ConstraintKind::NotNull => {
            if !(con.separate && con.is_local) {
                // Printed inside CREATE TABLE; its comment is emitted with the table's
                // (`emit_inline_check_comments`).
                return;
            }
            if obj.dump.has(Components::DEFINITION) {
                let desc = if con.kind == ConstraintKind::NotNull {
                    Desc::Constraint
                } else {
                    Desc::CheckConstraint
                };
                let mut e =
                    NewEntry::new(desc, Section::PostData, format!("{} {}", t.name, con.name));
                e.catalog_id = obj.catalog_id;
                e.namespace = Some(t.schema.clone());
                e.owner = Some(t.owner.clone());
                e.defn = format!(
                    "ALTER {foreign}TABLE {qualtable}\n    ADD CONSTRAINT {} {};\n",
                    cx.ident(&con.name),
                    con.definition
                );
                e.drop_stmt = format!(
                    "ALTER {foreign}TABLE {qualtable} DROP CONSTRAINT {};\n",
                    cx.ident(&con.name)
                );
                out.push(obj.dump_id, e);
            }
        }
    }
    if con.separate && obj.dump.has(Components::COMMENT) {
        emit_comment(cx, obj, con, out);
    }
}

/// The comments of CHECK constraints printed inside CREATE TABLE, in the table's
/// constraint order (the tail of stock's `dumpTableSchema`).
pub fn emit_inline_check_comments(cx: &EmitCx<'_>, checks: &[usize], out: &mut TocBuilder) {
    for &ci in checks {
        let con = &cx.catalog.constraints[ci];
        if con.separate || !con.is_local {
            continue;
        }
        let Some(obj) = cx.catalog.objects.get(con.dump_id) else {
            continue;
        };
        if obj.dump.has(Components::COMMENT) {
            emit_comment(cx, obj, con, out);
        }
    }
}

/// `dumpTableConstraintComment`: `COMMENT ON CONSTRAINT c ON s.t`.
fn emit_comment(cx: &EmitCx<'_>, obj: &DumpObject, con: &Constraint, out: &mut TocBuilder) {
    let Some(t) = cx.catalog.table_by_oid(con.table_oid) else {
        return;
    };
    let name = format!("{} ON", cx.ident(&con.name));
    let table = cx.ident(&t.name);
    let kind = format!("CONSTRAINT {name}");
    // Stock passes "CONSTRAINT name ON" as the type and the table as the name, so the
    // table gets schema-qualified by the namespace argument.
    let dep = if con.separate { obj.dump_id } else { t.dump_id };
    comment::emit(
        cx,
        out,
        &CommentTarget {
            kind: &kind,
            name: &table,
            namespace: Some(&t.schema),
            owner: &t.owner,
            classoid: PG_CONSTRAINT,
            objoid: con.oid,
            subid: 0,
            dump_id: dep,
            initdb_comment: None,
        },
    );
}
