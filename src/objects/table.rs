//! TABLE, VIEW, MATERIALIZED VIEW, FOREIGN TABLE definitions and column defaults.
//! Mirrors pg_dump.c `getTables()`, `getInherits()`, `getTableAttrs()`,
//! `dumpTableSchema()`, `dumpTableComment()`, `dumpAttrDef()`.
//! Catalog: pg_class, pg_attribute, pg_attrdef, pg_inherits, pg_constraint (NOT NULL,
//! 18). TOC: desc "TABLE"/"VIEW"/"MATERIALIZED VIEW"/"FOREIGN TABLE", pre-data;
//! "DEFAULT" for separately dumped defaults; "TABLE ATTACH" for partitions.
//! Versions: 18 names NOT NULL constraints (`pg_constraint` contype 'n'); before 18
//! `attnotnull` is all there is. Sequences (relkind 'S') are collected here and
//! emitted by `objects::sequence`.

use std::collections::HashMap;

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, ServerVersion, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::dump::Filter;
use crate::objects::comment::{self, CommentTarget};
use crate::objects::privileges::{self, AclTarget, DumpableAcl};
use crate::objects::schema::skip_system_namespaces_sql;
use crate::objects::{catalog_oid, Catalog, Components, DumpObject, Kind, TieBreak};
use crate::objects::{foreign_data, security_label};

#[derive(Debug, Clone)]
pub struct Column {
    pub num: i32,
    pub name: String,
    pub type_name: String,
    pub stat_target: i32,
    pub storage: u8,
    pub type_storage: u8,
    pub is_dropped: bool,
    pub is_local: bool,
    pub options: String,
    /// Qualified, quoted collation when it differs from the type's.
    pub collation: Option<String>,
    /// `Some("")` for an unnamed (default-named) NOT NULL, `Some(name)` for a named one.
    pub notnull_name: Option<String>,
    pub notnull_comment: Option<String>,
    pub notnull_no_inherit: bool,
    pub notnull_is_local: bool,
    /// 18: the column's NOT NULL constraint is NOT VALID.
    pub notnull_invalid: bool,
    pub compression: u8,
    pub identity: u8,
    pub generated: u8,
    /// Index into `Catalog::attrdefs`.
    pub default: Option<usize>,
    /// Column privileges (`attacl`) and their `pg_init_privs` base, if any.
    pub acl: Option<String>,
    pub initprivs: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Table {
    pub oid: u32,
    pub dump_id: i32,
    pub name: String,
    pub schema: String,
    pub relkind: u8,
    pub owner: String,
    pub persistence: u8,
    pub is_partition: bool,
    pub reloptions: Vec<String>,
    pub check_option: Option<String>,
    pub tablespace: String,
    pub am: Option<String>,
    pub replident: u8,
    pub force_row_security: bool,
    pub has_oftype: bool,
    /// The type of a typed table (`CREATE TABLE ... OF type`), formatted.
    pub of_type: Option<String>,
    /// The TOAST table's storage parameters, printed as `toast.name=value`.
    pub toast_reloptions: Vec<String>,
    pub partkeydef: Option<String>,
    pub partbound: Option<String>,
    pub viewdef: Option<String>,
    pub columns: Vec<Column>,
    pub parents: Vec<u32>,
    /// Sequences: the owning table and column (`getOwnedSeqs`).
    pub owning_tab: u32,
    pub owning_col: i32,
    pub is_identity_sequence: bool,
    /// Local CHECK constraints printed inside CREATE TABLE (indexes into
    /// `Catalog::constraints`), filled by `objects::constraint`.
    pub checks: Vec<usize>,
    pub acl: String,
    pub acldefault: String,
    pub is_populated: bool,
    /// Set by the view/rule loop repair: the view is created with a dummy query and
    /// its real one comes from its separate ON SELECT rule (`CREATE OR REPLACE VIEW`).
    pub dummy_view: bool,
    /// Set by the matview/boundary loop repair: a materialized view defined in
    /// post-data.
    pub postponed_def: bool,
}

#[derive(Debug, Clone)]
pub struct AttrDef {
    pub table_oid: u32,
    pub num: i32,
    pub expr: String,
    pub separate: bool,
    pub dump_id: i32,
}

fn relkind_ok(k: u8) -> bool {
    matches!(k, b'r' | b'S' | b'v' | b'c' | b'm' | b'f' | b'p')
}

/// `getTables` + `getOwnedSeqs` + `getInherits`: one query each.
pub async fn collect(
    session: &Session,
    cat: &mut Catalog,
    filter: &Filter,
) -> Result<(), CatalogError> {
    let sql = format!(
        "SELECT c.tableoid, c.oid, c.relname, c.relnamespace, c.relkind, c.relowner, c.relpersistence, \
         c.relispartition, c.reloftype, c.relforcerowsecurity, c.relreplident, c.relacl, c.relispopulated, \
         acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::\"char\", c.relowner) AS acldefault, \
         array_remove(array_remove(c.reloptions,'check_option=local'),'check_option=cascaded') AS reloptions, \
         CASE WHEN 'check_option=local' = ANY (c.reloptions) THEN 'LOCAL'::text \
              WHEN 'check_option=cascaded' = ANY (c.reloptions) THEN 'CASCADED'::text ELSE NULL END AS checkoption, \
         coalesce(ts.spcname, '') AS reltablespace, am.amname, tc.reloptions AS toast_reloptions, \
         CASE WHEN c.reloftype <> 0 THEN pg_catalog.format_type(c.reloftype, NULL) END AS oftype, \
         d.refobjid AS owning_tab, d.refobjsubid AS owning_col, (d.deptype = 'i') AS is_identity_sequence, \
         CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END AS partkeydef, \
         CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END AS partbound \
         FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_catalog.pg_depend d ON (c.relkind = 'S' AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass \
              AND d.objid = c.oid AND d.objsubid = 0 AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass \
              AND d.deptype IN ('a', 'i')) \
         LEFT JOIN pg_catalog.pg_tablespace ts ON ts.oid = c.reltablespace \
         LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam \
         LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid AND c.relkind <> 'p') \
         WHERE c.relkind IN ('r', 'S', 'v', 'c', 'm', 'f', 'p') {sys} \
         ORDER BY c.oid",
        sys = skip_system_namespaces_sql(cat, true)
    );
    let rows = session.query(&sql).await?;
    for r in rows.iter() {
        let oid = r.oid("oid")?;
        let relkind = r.char("relkind")?;
        if !relkind_ok(relkind) {
            return Err(r.bad("relkind", r.text("relkind")?));
        }
        let nsp = r.oid("relnamespace")?;
        let Some(schema) = cat.schema_by_oid(nsp) else {
            continue;
        };
        let schema_name = schema.name.clone();
        let contains = schema.dump_contains;
        let name = r.string("relname")?;
        let table = Table {
            oid,
            dump_id: 0,
            name: name.clone(),
            schema: schema_name.clone(),
            relkind,
            owner: cat.role_name(r.oid("relowner")?),
            persistence: r.char("relpersistence")?,
            is_partition: r.bool("relispartition")?,
            reloptions: parse_text_array(r.text("reloptions")?),
            check_option: r.opt_string("checkoption")?,
            tablespace: r.string("reltablespace")?,
            am: r.opt_string("amname")?,
            replident: r.char("relreplident")?,
            force_row_security: r.bool("relforcerowsecurity")?,
            has_oftype: r.oid("reloftype")? != 0,
            of_type: r.opt_string("oftype")?,
            toast_reloptions: parse_text_array(r.text("toast_reloptions")?),
            partkeydef: r.opt_string("partkeydef")?,
            partbound: r.opt_string("partbound")?,
            viewdef: None,
            columns: Vec::new(),
            parents: Vec::new(),
            owning_tab: r.oid("owning_tab")?,
            owning_col: r.i32("owning_col")?,
            is_identity_sequence: r.bool("is_identity_sequence")?,
            checks: Vec::new(),
            acl: r.string("relacl")?,
            acldefault: r.string("acldefault")?,
            is_populated: r.bool("relispopulated")?,
            dummy_view: false,
            postponed_def: false,
        };
        let idx = cat.tables.len();
        let id = cat.objects.add(
            Kind::Table,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid,
            },
            name,
            Some(schema_name),
            idx,
        );
        let dump = if filter.has_table_includes() {
            if filter.table_included(oid) {
                Components::ALL
            } else {
                Components::NONE
            }
        } else {
            contains
        };
        // A composite type's pg_class row is a graph node only (stock's getTables);
        // the type itself is dumped by `objects::types`.
        let dump = if relkind == b'c' || filter.table_excluded(oid) {
            Components::NONE
        } else {
            dump
        };
        cat.objects.set_dump(id, dump);
        cat.tables.push(Table {
            dump_id: id,
            ..table
        });
        cat.table_by_oid.insert(oid, idx);
    }
    // Identity sequences dump with their table (getOwnedSeqs).
    for i in 0..cat.tables.len() {
        let t = &cat.tables[i];
        if t.relkind != b'S' || t.owning_tab == 0 {
            continue;
        }
        let (seq_id, is_identity) = (t.dump_id, t.is_identity_sequence);
        if let Some(owner) = cat.table_by_oid(t.owning_tab) {
            let owner_dump = cat
                .objects
                .get(owner.dump_id)
                .map(|o| o.dump)
                .unwrap_or_default();
            if let Some(seq) = cat.objects.get_mut(seq_id) {
                seq.dump = seq.dump.with(owner_dump);
                if is_identity && !owner_dump.any() {
                    seq.dump = Components::NONE;
                }
            }
        }
    }
    let views = session.query(&views_sql(cat)).await?;
    for r in views.iter() {
        if let Some(&ti) = cat.table_by_oid.get(&r.oid("oid")?) {
            cat.tables[ti].viewdef = r.opt_string("viewdef")?;
        }
    }
    let inh = session
        .query("SELECT inhrelid, inhparent FROM pg_catalog.pg_inherits ORDER BY inhrelid, inhseqno")
        .await?;
    for r in inh.iter() {
        let child = r.oid("inhrelid")?;
        let parent = r.oid("inhparent")?;
        if let Some(&ci) = cat.table_by_oid.get(&child) {
            cat.tables[ci].parents.push(parent);
        }
    }
    collect_columns(session, cat).await?;
    Ok(())
}

/// The definitions of the views and materialized views [`collect`] reads, apart
/// from its main query so that a helper session can run this costly part
/// (`pg_get_viewdef`) meanwhile (`dump::collect`).
pub fn views_sql(cat: &Catalog) -> String {
    format!(
        "SELECT c.oid, pg_catalog.pg_get_viewdef(c.oid) AS viewdef \
         FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('v', 'm') {sys} \
         ORDER BY c.oid",
        sys = skip_system_namespaces_sql(cat, true)
    )
}

/// `getTableAttrs`' query (`dump::collect` has a helper session run it ahead).
pub fn columns_sql(version: ServerVersion, cat: &Catalog) -> String {
    let v18 = version.at_least(ServerVersion::PG18);
    let notnull = if v18 {
        "co.conname AS notnull_name, CASE WHEN co.convalidated THEN pt.description ELSE NULL END AS notnull_comment, \
         CASE WHEN NOT co.convalidated THEN co.oid ELSE NULL END AS notnull_invalidoid, \
         co.connoinherit AS notnull_noinherit, co.conislocal AS notnull_islocal"
    } else {
        // An inherited column's NOT NULL counts as local (18.x back-patch) unless a
        // parent has one too (flag_inherited_not_nulls): a child's own SET NOT NULL
        // must survive the restore.
        "CASE WHEN a.attnotnull THEN '' ELSE NULL END AS notnull_name, NULL AS notnull_comment, NULL AS notnull_invalidoid, \
         false AS notnull_noinherit, \
         CASE WHEN a.attislocal THEN true WHEN a.attnotnull AND NOT a.attislocal THEN true ELSE false END AS notnull_islocal"
    };
    let notnull_join = if v18 {
        "LEFT JOIN pg_catalog.pg_constraint co ON (a.attrelid = co.conrelid AND co.contype = 'n' AND co.conkey = array[a.attnum]) \
         LEFT JOIN pg_catalog.pg_description pt ON (pt.classoid = co.tableoid AND pt.objoid = co.oid)"
    } else {
        ""
    };
    let stattarget = if version.at_least(ServerVersion::PG17) {
        "coalesce(a.attstattarget, -1) AS attstattarget"
    } else {
        "a.attstattarget"
    };
    format!(
        "SELECT a.attrelid, a.attnum, a.attname, {stattarget}, a.attstorage, t.typstorage, a.attisdropped, a.attislocal, \
         pg_catalog.format_type(t.oid, a.atttypmod) AS atttypname, \
         array_to_string(a.attoptions, ', ') AS attoptions, \
         CASE WHEN a.attcollation <> t.typcollation THEN \
           pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(coll.collname) END AS attcollation, \
         {notnull}, a.attcompression, a.attidentity, a.attgenerated, a.attacl, pip.initprivs AS attinitprivs \
         FROM pg_catalog.pg_attribute a \
         JOIN pg_catalog.pg_class c ON c.oid = a.attrelid \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_catalog.pg_type t ON a.atttypid = t.oid \
         LEFT JOIN pg_catalog.pg_collation coll ON coll.oid = a.attcollation \
         LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = coll.collnamespace \
         {notnull_join} \
         LEFT JOIN pg_catalog.pg_init_privs pip ON (a.attrelid = pip.objoid \
              AND pip.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass AND a.attnum = pip.objsubid) \
         WHERE a.attnum > 0::pg_catalog.int2 AND c.relkind IN ('r', 'S', 'v', 'm', 'f', 'p') {sys} \
         ORDER BY a.attrelid, a.attnum",
        sys = skip_system_namespaces_sql(cat, true)
    )
}

/// `getTableAttrs`: all columns of all collected relations, then all defaults.
async fn collect_columns(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let v18 = session.version.at_least(ServerVersion::PG18);
    let sql = columns_sql(session.version, cat);
    let rows = session.query(&sql).await?;
    // Stock reads columns only of "interesting" tables: dumped ones and their parents.
    let mut interesting = std::collections::HashSet::new();
    for t in &cat.tables {
        if cat
            .objects
            .get(t.dump_id)
            .map(|o| o.dump.any())
            .unwrap_or(false)
        {
            interesting.insert(t.oid);
            interesting.extend(t.parents.iter().copied());
        }
    }
    // Extension configuration tables may get their data dumped (`-e ext -n other`)
    // although not selected themselves: stock's COPY needs their columns too.
    interesting.extend(
        cat.extensions
            .iter()
            .flat_map(|x| x.config.iter().map(|c| c.0)),
    );
    let mut invalid_notnull: Vec<u32> = Vec::new();
    for r in rows.iter() {
        let relid = r.oid("attrelid")?;
        if !interesting.contains(&relid) {
            continue;
        }
        let Some(&ti) = cat.table_by_oid.get(&relid) else {
            continue;
        };
        // 18: an invalid NOT NULL is not printed in the column; it becomes a separate
        // post-data CONSTRAINT (`determineNotNullFlags`).
        let invalid = r.oid("notnull_invalidoid")?;
        if invalid != 0 {
            invalid_notnull.push(invalid);
        }
        cat.tables[ti].columns.push(Column {
            num: r.i32("attnum")?,
            name: r.string("attname")?,
            type_name: r.string("atttypname")?,
            stat_target: r.i32("attstattarget")?,
            storage: r.char("attstorage")?,
            type_storage: r.char("typstorage")?,
            is_dropped: r.bool("attisdropped")?,
            is_local: r.bool("attislocal")?,
            options: r.string("attoptions")?,
            collation: r.opt_string("attcollation")?,
            notnull_name: if invalid != 0 {
                None
            } else {
                r.opt_string("notnull_name")?
            },
            notnull_comment: r.opt_string("notnull_comment")?,
            notnull_no_inherit: r.bool("notnull_noinherit")?,
            notnull_is_local: r.bool("notnull_islocal")?,
            notnull_invalid: invalid != 0,
            compression: r.char("attcompression")?,
            identity: r.char("attidentity")?,
            generated: r.char("attgenerated")?,
            default: None,
            acl: r.opt_string("attacl")?,
            initprivs: r.opt_string("attinitprivs")?,
        });
    }
    // 18's NOT NULL names: default-named constraints print as a bare NOT NULL.
    if v18 {
        for t in &mut cat.tables {
            let tname = t.name.clone();
            for c in &mut t.columns {
                if let Some(n) = &c.notnull_name {
                    if c.notnull_comment.is_none() && *n == format!("{}_{}_not_null", tname, c.name)
                    {
                        c.notnull_name = Some(String::new());
                    }
                }
            }
        }
    }
    flag_inherited_not_nulls(cat, v18);
    if !invalid_notnull.is_empty() {
        crate::objects::constraint::collect_invalid_not_null(session, cat, &invalid_notnull)
            .await?;
    }
    let defs = session
        .query(
            "SELECT a.tableoid, a.oid, a.adrelid, a.adnum, pg_catalog.pg_get_expr(a.adbin, a.adrelid) AS adsrc \
             FROM pg_catalog.pg_attrdef a ORDER BY a.adrelid, a.adnum",
        )
        .await?;
    for r in defs.iter() {
        let table_oid = r.oid("adrelid")?;
        if !interesting.contains(&table_oid) {
            continue;
        }
        let Some(&ti) = cat.table_by_oid.get(&table_oid) else {
            continue;
        };
        let num = r.i32("adnum")?;
        let t = &cat.tables[ti];
        let Some(ci) = t.columns.iter().position(|c| c.num == num) else {
            continue;
        };
        // Generation expressions have no separate syntax: always inside CREATE TABLE.
        let separate = t.columns[ci].generated == 0
            && (t.relkind == b'v' || !should_print_column(t, &t.columns[ci]));
        let (tdump, tid, tname, tschema) = {
            let o = cat.objects.get(t.dump_id);
            (
                o.map(|o| o.dump).unwrap_or_default(),
                t.dump_id,
                t.name.clone(),
                t.schema.clone(),
            )
        };
        let idx = cat.attrdefs.len();
        let id = cat.objects.add(
            Kind::AttrDef,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid: r.oid("oid")?,
            },
            tname,
            Some(tschema),
            idx,
        );
        if let Some(o) = cat.objects.get_mut(id) {
            o.tie_break = TieBreak::AttrNum(num);
            o.dump = tdump;
        }
        if !separate {
            // The default prints inside CREATE TABLE, so whatever it needs must come first.
            cat.objects.add_dependency(tid, id);
        }
        cat.attrdefs.push(AttrDef {
            table_oid,
            num,
            expr: r.string("adsrc")?,
            separate,
            dump_id: id,
        });
        cat.tables[ti].columns[ci].default = Some(idx);
    }
    flag_inherited_defaults(cat);
    Ok(())
}

/// The default part of common.c `flagInhAttrs`: a column whose parent has a non-NULL
/// plain default gets a manufactured `DEFAULT NULL` (so it does not inherit one it does
/// not have), and a generation expression identical to every generating parent's is
/// not dumped (the child inherits it).
fn flag_inherited_defaults(cat: &mut Catalog) {
    for ti in 0..cat.tables.len() {
        let t = &cat.tables[ti];
        if matches!(t.relkind, b'S' | b'v' | b'm') || t.parents.is_empty() {
            continue;
        }
        let table_dump = cat
            .objects
            .get(t.dump_id)
            .map(|o| o.dump)
            .unwrap_or_default();
        if !table_dump.any() {
            continue;
        }
        let parents: Vec<usize> = t
            .parents
            .iter()
            .filter_map(|p| cat.table_by_oid.get(p).copied())
            .collect();
        for ci in 0..cat.tables[ti].columns.len() {
            let c = &cat.tables[ti].columns[ci];
            if c.is_dropped {
                continue;
            }
            let own_expr = c.default.map(|i| cat.attrdefs[i].expr.as_str());
            let (mut found_default, mut same_generated, mut diff_generated) = (false, false, false);
            for &pi in &parents {
                let Some(pc) = cat.tables[pi].columns.iter().find(|p| p.name == c.name) else {
                    continue;
                };
                let parent_expr = pc.default.map(|i| cat.attrdefs[i].expr.as_str());
                found_default |= parent_expr.is_some_and(|e| e != "NULL") && pc.generated == 0;
                if pc.generated != 0 {
                    if parent_expr.is_some() && parent_expr == own_expr {
                        same_generated = true;
                    } else {
                        diff_generated = true;
                    }
                }
            }
            if found_default && c.default.is_none() {
                let t = &cat.tables[ti];
                let separate = !should_print_column(t, c);
                let (num, table_id, name, schema) =
                    (c.num, t.dump_id, t.name.clone(), t.schema.clone());
                let idx = cat.attrdefs.len();
                let id = cat.objects.add(
                    Kind::AttrDef,
                    CatalogId {
                        table_oid: 0,
                        oid: 0,
                    },
                    name,
                    Some(schema),
                    idx,
                );
                if let Some(o) = cat.objects.get_mut(id) {
                    o.tie_break = TieBreak::AttrNum(num);
                    o.dump = table_dump;
                }
                if separate {
                    // Printed by ALTER TABLE after the table.
                    cat.objects.add_dependency(id, table_id);
                }
                cat.attrdefs.push(AttrDef {
                    table_oid: cat.tables[ti].oid,
                    num,
                    expr: "NULL".to_string(),
                    separate,
                    dump_id: id,
                });
                cat.tables[ti].columns[ci].default = Some(idx);
            }
            if same_generated && !diff_generated && !cat.tables[ti].is_partition {
                if let Some(def) = cat.tables[ti].columns[ci].default {
                    if let Some(o) = cat.objects.get_mut(cat.attrdefs[def].dump_id) {
                        o.dump = Components::NONE;
                    }
                }
            }
        }
    }
}

/// The NOT NULL part of common.c `flagInhAttrs`: before 18 a not-null counts as
/// inherited when any parent has one; on 18 it is printed locally when every parent
/// that has it has it NOT VALID (the child's is valid).
fn flag_inherited_not_nulls(cat: &mut Catalog, v18: bool) {
    for ti in 0..cat.tables.len() {
        if cat.tables[ti].parents.is_empty() || cat.tables[ti].columns.is_empty() {
            continue;
        }
        let parents: Vec<usize> = cat.tables[ti]
            .parents
            .iter()
            .filter_map(|p| cat.table_by_oid.get(p).copied())
            .collect();
        for ci in 0..cat.tables[ti].columns.len() {
            if cat.tables[ti].columns[ci].is_dropped {
                continue;
            }
            let name = cat.tables[ti].columns[ci].name.clone();
            let mut found_not_null = false;
            let mut all_invalid = true;
            for &pi in &parents {
                if let Some(pc) = cat.tables[pi].columns.iter().find(|c| c.name == name) {
                    let has = pc.notnull_name.is_some() || pc.notnull_invalid;
                    if !v18 && pc.notnull_name.is_some() {
                        found_not_null = true;
                    }
                    if v18 && has && !pc.notnull_invalid {
                        all_invalid = false;
                    }
                }
            }
            let c = &mut cat.tables[ti].columns[ci];
            if !v18 && found_not_null {
                c.notnull_is_local = false;
            }
            if v18 && all_invalid {
                c.notnull_is_local = true;
            }
        }
    }
}

/// `shouldPrintColumn` (not binary upgrade).
pub fn should_print_column(t: &Table, c: &Column) -> bool {
    !c.is_dropped && (c.is_local || t.is_partition)
}

/// Parses a text[] in its output form (`{a,"b c"}`) into elements.
pub fn parse_text_array(s: &str) -> Vec<String> {
    let inner = match s.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
        Some(i) => i,
        None => return Vec::new(),
    };
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = inner.chars();
    let mut any = false;
    while let Some(ch) = chars.next() {
        any = true;
        match ch {
            '"' => quoted = !quoted,
            '\\' if quoted => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if any {
        out.push(cur);
    }
    out
}

/// `appendReloptionsArrayAH`: `name=value, ...` with values quoted unless they are
/// plain identifiers.
pub fn reloptions_sql(cx: &EmitCx<'_>, options: &[String], prefix: &str) -> String {
    let mut out = String::new();
    for (i, opt) in options.iter().enumerate() {
        let (name, value) = match opt.split_once('=') {
            Some((n, v)) => (n, v),
            None => (opt.as_str(), ""),
        };
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(prefix);
        out.push_str(&cx.ident(name));
        out.push('=');
        if cx.ident(value) == value {
            out.push_str(value);
        } else {
            out.push_str(&cx.literal(value));
        }
    }
    out
}

fn reltype_name(relkind: u8) -> &'static str {
    match relkind {
        b'v' => "VIEW",
        b'm' => "MATERIALIZED VIEW",
        b'f' => "FOREIGN TABLE",
        _ => "TABLE",
    }
}

/// A query with the view's column names and types, and no dependencies
/// (`createDummyViewAsClause`).
pub fn dummy_view_as_clause(cx: &EmitCx<'_>, t: &Table) -> String {
    let mut out = String::from("SELECT");
    for (i, c) in t.columns.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!("\n    NULL::{}", c.type_name));
        if let Some(coll) = &c.collation {
            out.push_str(&format!(" COLLATE {coll}"));
        }
        out.push_str(&format!(" AS {}", cx.ident(&c.name)));
    }
    out
}

/// The view's query without its trailing semicolon (`createViewAsClause`).
pub fn view_as_clause(t: &Table) -> String {
    let def = t.viewdef.as_deref().unwrap_or("");
    def.trim_end_matches(';').to_string()
}

/// `dumpTable` → `dumpTableSchema` + comments; sequences go to `objects::sequence`.
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    let t = &cx.catalog.tables[obj.model];
    if t.relkind == b'S' {
        crate::objects::sequence::emit(cx, obj, t, out);
    } else if cx.opts.dump_schema {
        emit_definition(cx, obj, t, out);
    }
    if obj.dump.has(Components::ACL) {
        emit_acls(cx, obj, t, out);
    }
}

/// `dumpTable`'s ACL part: the relation's privileges, then each column's.
fn emit_acls(cx: &EmitCx<'_>, obj: &DumpObject, t: &Table, out: &mut TocBuilder) {
    let kind = if t.relkind == b'S' {
        "SEQUENCE"
    } else {
        "TABLE"
    };
    let qname = cx.ident(&t.name);
    let target = AclTarget {
        kind,
        name: &qname,
        subname: None,
        namespace: Some(&t.schema),
        tag: None,
        owner: &t.owner,
        dump_id: obj.dump_id,
        alt_dump_id: None,
    };
    let initprivs = cx
        .catalog
        .init_privs
        .get(&(catalog_oid::PG_CLASS, t.oid))
        .cloned();
    let table_acl_id = privileges::emit(
        cx,
        out,
        &target,
        &DumpableAcl {
            acl: t.acl.clone(),
            acldefault: t.acldefault.clone(),
            initprivs,
        },
    );
    for c in &t.columns {
        if c.is_dropped || (c.acl.is_none() && c.initprivs.is_none()) {
            continue;
        }
        let qcol = cx.ident(&c.name);
        privileges::emit(
            cx,
            out,
            &AclTarget {
                kind: "TABLE",
                subname: Some(&qcol),
                alt_dump_id: table_acl_id,
                ..target
            },
            &DumpableAcl {
                acl: c.acl.clone().unwrap_or_default(),
                acldefault: "{}".into(),
                initprivs: c.initprivs.clone(),
            },
        );
    }
}

/// `dumpTableSchema` and the comments that follow it.
fn emit_definition(cx: &EmitCx<'_>, obj: &DumpObject, t: &Table, out: &mut TocBuilder) {
    let qualname = cx.qualified(&t.schema, &t.name);
    let reltype = reltype_name(t.relkind);
    let mut q = String::new();
    let drop = format!("DROP {reltype} {qualname};\n");
    if t.relkind == b'v' {
        q.push_str(&format!("CREATE VIEW {qualname}"));
        if t.dummy_view {
            q.push_str(&format!(" AS\n{};\n", dummy_view_as_clause(cx, t)));
        } else {
            if !t.reloptions.is_empty() {
                q.push_str(&format!(
                    " WITH ({})",
                    reloptions_sql(cx, &t.reloptions, "")
                ));
            }
            q.push_str(&format!(" AS\n{}", view_as_clause(t)));
            if let Some(co) = &t.check_option {
                q.push_str(&format!("\n  WITH {co} CHECK OPTION"));
            }
            q.push_str(";\n");
        }
    } else {
        let foreign = if t.relkind == b'f' { "FOREIGN " } else { "" };
        let unlogged = if t.persistence == b'u' && t.relkind != b'p' {
            "UNLOGGED "
        } else {
            ""
        };
        q.push_str(&format!("CREATE {unlogged}{reltype} {qualname}"));
        if let Some(of_type) = &t.of_type {
            q.push_str(&format!(" OF {of_type}"));
        }
        if t.relkind != b'm' {
            let mut n = 0;
            for c in &t.columns {
                if should_print_column(t, c) {
                    let def = c.default.map(|i| &cx.catalog.attrdefs[i]).filter(|d| {
                        !d.separate
                            && cx
                                .catalog
                                .objects
                                .get(d.dump_id)
                                .is_some_and(|o| o.dump.any())
                    });
                    let print_notnull =
                        c.notnull_name.is_some() && (c.notnull_is_local || t.is_partition);
                    if t.has_oftype && def.is_none() && !print_notnull {
                        continue;
                    }
                    q.push_str(if n == 0 { " (" } else { "," });
                    q.push_str("\n    ");
                    n += 1;
                    q.push_str(&cx.ident(&c.name));
                    if !t.has_oftype {
                        q.push(' ');
                        q.push_str(&c.type_name);
                    }
                    if let Some(d) = def {
                        match c.generated {
                            b's' => {
                                q.push_str(&format!(" GENERATED ALWAYS AS ({}) STORED", d.expr))
                            }
                            b'v' => q.push_str(&format!(" GENERATED ALWAYS AS ({})", d.expr)),
                            _ => q.push_str(&format!(" DEFAULT {}", d.expr)),
                        }
                    }
                    if print_notnull {
                        match c.notnull_name.as_deref() {
                            Some("") | None => q.push_str(" NOT NULL"),
                            Some(name) => {
                                q.push_str(&format!(" CONSTRAINT {} NOT NULL", cx.ident(name)))
                            }
                        }
                        if c.notnull_no_inherit {
                            q.push_str(" NO INHERIT");
                        }
                    }
                    if let Some(coll) = &c.collation {
                        q.push_str(&format!(" COLLATE {coll}"));
                    }
                } else if !c.is_dropped && c.notnull_name.is_some() && c.notnull_is_local {
                    q.push_str(if n == 0 { " (" } else { "," });
                    q.push_str("\n    ");
                    n += 1;
                    match c.notnull_name.as_deref() {
                        Some("") | None => q.push_str(&format!("NOT NULL {}", cx.ident(&c.name))),
                        Some(name) => q.push_str(&format!(
                            "CONSTRAINT {} NOT NULL {}",
                            name,
                            cx.ident(&c.name)
                        )),
                    }
                }
            }
            for &ci in &t.checks {
                let con = &cx.catalog.constraints[ci];
                if con.separate || (!con.is_local && !t.is_partition) {
                    continue;
                }
                q.push_str(if n == 0 { " (\n    " } else { ",\n    " });
                q.push_str(&format!(
                    "CONSTRAINT {} {}",
                    cx.ident(&con.name),
                    con.definition
                ));
                n += 1;
            }
            if n > 0 {
                q.push_str("\n)");
            } else if !t.has_oftype {
                q.push_str(" (\n)");
            }
            let parents: Vec<&Table> = t
                .parents
                .iter()
                .filter_map(|p| cx.catalog.table_by_oid(*p))
                .collect();
            if !parents.is_empty() && !t.is_partition {
                let names: Vec<String> = parents
                    .iter()
                    .map(|p| cx.qualified(&p.schema, &p.name))
                    .collect();
                q.push_str(&format!("\nINHERITS ({})", names.join(", ")));
            }
            if let Some(pk) = &t.partkeydef {
                q.push_str(&format!("\nPARTITION BY {pk}"));
            }
            q.push_str(&foreign_data::server_clause(cx, t.oid));
        }
        if !t.reloptions.is_empty() || !t.toast_reloptions.is_empty() {
            let mut with = reloptions_sql(cx, &t.reloptions, "");
            if !t.toast_reloptions.is_empty() {
                if !with.is_empty() {
                    with.push_str(", ");
                }
                with.push_str(&reloptions_sql(cx, &t.toast_reloptions, "toast."));
            }
            q.push_str(&format!("\nWITH ({with})"));
        }
        q.push_str(&foreign_data::options_clause(cx, t.oid));
        if t.relkind == b'm' {
            q.push_str(&format!(" AS\n{}\n  WITH NO DATA;\n", view_as_clause(t)));
        } else {
            q.push_str(";\n");
        }
        for c in &t.columns {
            if c.is_dropped {
                continue;
            }
            let col = cx.ident(&c.name);
            if c.stat_target >= 0 {
                q.push_str(&format!(
                    "ALTER {foreign}TABLE ONLY {qualname} ALTER COLUMN {col} SET STATISTICS {};\n",
                    c.stat_target
                ));
            }
            if c.storage != c.type_storage {
                let storage = match c.storage {
                    b'p' => Some("PLAIN"),
                    b'e' => Some("EXTERNAL"),
                    b'x' => Some("EXTENDED"),
                    b'm' => Some("MAIN"),
                    _ => None,
                };
                if let Some(s) = storage {
                    q.push_str(&format!("ALTER {foreign}TABLE ONLY {qualname} ALTER COLUMN {col} SET STORAGE {s};\n"));
                }
            }
            let cm = match c.compression {
                _ if cx.opts.no_toast_compression => None,
                b'p' => Some("pglz"),
                b'l' => Some("lz4"),
                _ => None,
            };
            if let Some(cm) = cm {
                q.push_str(&format!("ALTER {foreign}TABLE ONLY {qualname} ALTER COLUMN {col} SET COMPRESSION {cm};\n"));
            }
            if !c.options.is_empty() {
                q.push_str(&format!(
                    "ALTER {foreign}TABLE ONLY {qualname} ALTER COLUMN {col} SET ({});\n",
                    c.options
                ));
            }
            q.push_str(&foreign_data::column_options_command(
                cx, t.oid, &qualname, c.num, &c.name,
            ));
        }
    }
    if matches!(t.relkind, b'r' | b'p' | b'm') {
        match t.replident {
            b'n' => q.push_str(&format!(
                "\nALTER TABLE ONLY {qualname} REPLICA IDENTITY NOTHING;\n"
            )),
            b'f' => q.push_str(&format!(
                "\nALTER TABLE ONLY {qualname} REPLICA IDENTITY FULL;\n"
            )),
            _ => {}
        }
    }
    if t.force_row_security {
        q.push_str(&format!(
            "\nALTER TABLE ONLY {qualname} FORCE ROW LEVEL SECURITY;\n"
        ));
    }
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(
            Desc::from_bytes(reltype.as_bytes()),
            if t.postponed_def {
                Section::PostData
            } else {
                Section::PreData
            },
            t.name.clone(),
        );
        e.catalog_id = obj.catalog_id;
        e.namespace = Some(t.schema.clone());
        if matches!(t.relkind, b'r' | b'm' | b'p') && !cx.opts.no_tablespaces {
            e.tablespace = Some(t.tablespace.clone());
        }
        if matches!(t.relkind, b'r' | b'm' | b'p') {
            e.table_am = t.am.clone();
        }
        e.relkind = t.relkind;
        e.owner = Some(t.owner.clone());
        e.defn = q;
        e.drop_stmt = drop;
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        emit_comments(cx, obj, t, reltype, out);
    }
    if obj.dump.has(Components::SECLABEL) {
        let (schema, name, owner) = (&t.schema, &t.name, &t.owner);
        security_label::emit_table(cx, out, reltype, schema, name, owner, t.oid, obj.dump_id);
    }
    if !cx.opts.no_comments {
        // 18: comments on named NOT NULL constraints.
        for c in &t.columns {
            let (Some(name), Some(text)) = (&c.notnull_name, &c.notnull_comment) else {
                continue;
            };
            let qcon = cx.ident(name);
            let mut e = NewEntry::new(
                Desc::Comment,
                Section::None,
                format!("CONSTRAINT {qcon} ON {}", cx.ident(&t.name)),
            );
            e.namespace = Some(t.schema.clone());
            e.owner = Some(t.owner.clone());
            e.defn = format!(
                "COMMENT ON CONSTRAINT {qcon} ON {qualname} IS {};\n",
                cx.literal(text)
            );
            e.deps = vec![obj.dump_id];
            out.push_new(e);
        }
    }
    crate::objects::constraint::emit_inline_check_comments(cx, &t.checks, out);
}

/// `dumpTableComment`: the table's comment, then its columns' in column order.
fn emit_comments(
    cx: &EmitCx<'_>,
    obj: &DumpObject,
    t: &Table,
    reltype: &str,
    out: &mut TocBuilder,
) {
    let qname = cx.ident(&t.name);
    let base = CommentTarget {
        kind: reltype,
        name: &qname,
        namespace: Some(&t.schema),
        owner: &t.owner,
        classoid: catalog_oid::PG_CLASS,
        objoid: t.oid,
        subid: 0,
        dump_id: obj.dump_id,
        initdb_comment: None,
    };
    comment::emit(cx, out, &base);
    if cx.opts.no_comments || !cx.opts.dump_schema {
        return;
    }
    let by_num: HashMap<i32, &Column> = t.columns.iter().map(|c| (c.num, c)).collect();
    for (subid, text) in cx.catalog.comments.subobjects(catalog_oid::PG_CLASS, t.oid) {
        let Some(c) = by_num.get(&subid) else {
            continue;
        };
        let name = format!("{}.{}", qname, cx.ident(&c.name));
        comment::emit_text(
            cx,
            out,
            &CommentTarget {
                kind: "COLUMN",
                name: &name,
                subid,
                ..base
            },
            text,
        );
    }
}

/// `dumpAttrDef`: defaults that could not go inside CREATE TABLE.
pub fn emit_attrdef(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    let d = &cx.catalog.attrdefs[obj.model];
    if !d.separate || !cx.opts.dump_schema || !obj.dump.has(Components::DEFINITION) {
        return;
    }
    let Some(t) = cx.catalog.table_by_oid(d.table_oid) else {
        return;
    };
    let Some(c) = t.columns.iter().find(|c| c.num == d.num) else {
        return;
    };
    let qualname = cx.qualified(&t.schema, &t.name);
    let col = cx.ident(&c.name);
    let foreign = if t.relkind == b'f' { "FOREIGN " } else { "" };
    let mut e = NewEntry::new(
        Desc::Default,
        Section::PreData,
        format!("{} {}", t.name, c.name),
    );
    e.catalog_id = obj.catalog_id;
    e.namespace = Some(t.schema.clone());
    e.owner = Some(t.owner.clone());
    e.defn = format!(
        "ALTER {foreign}TABLE ONLY {qualname} ALTER COLUMN {col} SET DEFAULT {};\n",
        d.expr
    );
    e.drop_stmt = format!("ALTER {foreign}TABLE {qualname} ALTER COLUMN {col} DROP DEFAULT;\n");
    e.deps = vec![t.dump_id];
    out.push(obj.dump_id, e);
}

/// Tests' table: `oid` named `name` in schema "s", owned by "o", no columns, not
/// selected for dumping; callers adjust the fields they test.
#[cfg(test)]
pub(crate) fn add_bare_table(cat: &mut Catalog, oid: u32, name: &str, relkind: u8) -> pgark_formats::DumpId {
    let idx = cat.tables.len();
    let id = cat.objects.add(
        Kind::Table,
        CatalogId {
            table_oid: catalog_oid::PG_CLASS,
            oid,
        },
        name,
        Some("s".into()),
        idx,
    );
    cat.tables.push(Table {
        oid,
        dump_id: id,
        name: name.into(),
        schema: "s".into(),
        relkind,
        owner: "o".into(),
        persistence: b'p',
        is_partition: false,
        reloptions: Vec::new(),
        check_option: None,
        tablespace: String::new(),
        am: None,
        replident: b'd',
        force_row_security: false,
        has_oftype: false,
        partkeydef: None,
        partbound: None,
        viewdef: None,
        columns: Vec::new(),
        parents: Vec::new(),
        owning_tab: 0,
        owning_col: 0,
        is_identity_sequence: false,
        checks: Vec::new(),
        acl: String::new(),
        acldefault: String::new(),
        is_populated: true,
        dummy_view: false,
        postponed_def: false,
        of_type: None,
        toast_reloptions: Vec::new(),
    });
    cat.table_by_oid.insert(oid, idx);
    id
}
