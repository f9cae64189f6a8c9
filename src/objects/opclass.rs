//! OPERATOR CLASS and OPERATOR FAMILY. Mirrors pg_dump.c `getOpclasses()`,
//! `getOpfamilies()`, `dumpOpclass()` and `dumpOpfamily()`, their per-object member
//! queries folded into two bulk queries (pg_amop, pg_amproc) whose rows are put in the
//! order the per-object queries return them. Catalog: pg_opclass, pg_opfamily,
//! pg_amop, pg_amproc, pg_depend (a member belongs to the class or family its
//! pg_depend row points at). TOC: "OPERATOR CLASS" / "OPERATOR FAMILY", pre-data;
//! comments follow. A family's entry also adds its "loose" members (those bound to the
//! family, not to one of its classes) with `ALTER OPERATOR FAMILY ... ADD`.
//! Classes and families made by initdb are never dumped, so the queries skip them.

use std::cmp::Ordering;
use std::collections::HashMap;

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::cast::LAST_BUILTIN_OID;
use crate::objects::comment::{self, CommentTarget};
use crate::objects::{schema, Catalog, Components, DumpObject, Kind, TieBreak};

/// An `OPERATOR strategy op(left,right) [FOR ORDER BY family]` member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorMember {
    pub strategy: String,
    /// `regoperator` text.
    pub operator: String,
    /// (schema, name) of the sort family of an ordering operator.
    pub sort_family: Option<(String, String)>,
}

/// A `FUNCTION number (left, right) function(args)` member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionMember {
    pub number: String,
    /// `regprocedure` text.
    pub function: String,
    /// `regtype` text of amproclefttype / amprocrighttype.
    pub left: String,
    pub right: String,
}

/// The members one class or family owns through pg_depend.
#[derive(Debug, Clone, Default)]
pub struct Members {
    pub operators: Vec<OperatorMember>,
    pub functions: Vec<FunctionMember>,
}

#[derive(Debug, Clone)]
pub struct OpClass {
    pub oid: u32,
    pub name: String,
    pub schema: String,
    pub owner: String,
    pub method: String,
    /// `regtype` text of opcintype and opckeytype (`-` for none).
    pub input_type: String,
    pub key_type: String,
    pub is_default: bool,
    /// (schema, name) of the class's family.
    pub family: Option<(String, String)>,
    pub members: Members,
}

#[derive(Debug, Clone)]
pub struct OpFamily {
    pub oid: u32,
    pub name: String,
    pub schema: String,
    pub owner: String,
    pub method: String,
    /// Members bound to the family itself, not to a class.
    pub members: Members,
}

/// The sort key after the name (`DOTypeNameCompare`): classes before families of the
/// same name, then by access method name.
fn tie_break(kind: Kind, method: &str) -> TieBreak {
    let rank = if kind == Kind::OpClass { "0" } else { "1" };
    TieBreak::FuncArgs(vec![(rank.to_string(), method.to_string())])
}

/// Who a pg_amop/pg_amproc row belongs to (its pg_depend row): a class or a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Owner {
    Class(u32),
    Family(u32),
}

/// The members of every class and family made after initdb, by owner, each list in
/// the order stock's per-object queries return it (see [`order_members`]).
#[derive(Debug, Default)]
struct AllMembers {
    by_owner: HashMap<Owner, Members>,
}

/// One pg_amop row of a family with the owners its pg_depend rows name.
struct AmopRow {
    oid: u32,
    family: u32,
    strategy: i16,
    sort_family_oid: u32,
    member: OperatorMember,
    owners: Vec<Owner>,
}

/// One pg_amproc row with its owner.
struct AmprocRow {
    owner: Owner,
    number: i16,
    member: FunctionMember,
}

/// Puts fetched member rows in the order of stock's per-object queries. Their plans
/// (on every server 14..18) read pg_amop through pg_amop_fam_strat_index (the whole
/// family, by left type, right type, strategy), sort that by sort family, keep the
/// owner's rows and sort by strategy; pg_amproc rows come in pg_depend_depender_index
/// order (by OID) and are sorted by support number. PostgreSQL's sort is not stable,
/// so ties are ordered by [`pg_qsort`], as the server does.
fn order_members(amop_families: Vec<Vec<AmopRow>>, amprocs: Vec<AmprocRow>) -> AllMembers {
    let mut ops: HashMap<Owner, Vec<(i16, OperatorMember)>> = HashMap::new();
    for mut family in amop_families {
        pg_qsort(&mut family, &|a: &AmopRow, b: &AmopRow| {
            a.sort_family_oid.cmp(&b.sort_family_oid)
        });
        for row in family {
            for owner in &row.owners {
                // A family's query keeps only rows of that family (a sort family's
                // pg_depend row names another family).
                if let Owner::Family(f) = owner {
                    if *f != row.family {
                        continue;
                    }
                }
                ops.entry(*owner)
                    .or_default()
                    .push((row.strategy, row.member.clone()));
            }
        }
    }
    let mut out = AllMembers::default();
    for (owner, mut list) in ops {
        pg_qsort(
            &mut list,
            &|a: &(i16, OperatorMember), b: &(i16, OperatorMember)| a.0.cmp(&b.0),
        );
        out.by_owner.entry(owner).or_default().operators =
            list.into_iter().map(|(_, m)| m).collect();
    }
    let mut procs: HashMap<Owner, Vec<(i16, FunctionMember)>> = HashMap::new();
    for row in amprocs {
        procs
            .entry(row.owner)
            .or_default()
            .push((row.number, row.member));
    }
    for (owner, mut list) in procs {
        pg_qsort(
            &mut list,
            &|a: &(i16, FunctionMember), b: &(i16, FunctionMember)| a.0.cmp(&b.0),
        );
        out.by_owner.entry(owner).or_default().functions =
            list.into_iter().map(|(_, m)| m).collect();
    }
    out
}

/// The member rows of the classes and families made after initdb (and all rows of
/// their families, which stock's plans sort before filtering), in two queries.
/// Every class and family when built-in objects are selected (`builtin`).
async fn collect_members(session: &Session, builtin: bool) -> Result<AllMembers, CatalogError> {
    let user = |column: &str| {
        if builtin {
            "true".to_string()
        } else {
            format!("{column} > {LAST_BUILTIN_OID}")
        }
    };
    let ops_sql = format!(
        "SELECT ao.oid, ao.amopfamily, ao.amopstrategy, ao.amopsortfamily, \
         ao.amopopr::pg_catalog.regoperator AS amopopr, \
         f.opfname AS sortfamily, n.nspname AS sortfamilynsp, \
         d.refclassid = 'pg_catalog.pg_opclass'::pg_catalog.regclass AS byclass, d.refobjid \
         FROM pg_catalog.pg_amop ao JOIN pg_catalog.pg_depend d ON \
           (d.classid = 'pg_catalog.pg_amop'::pg_catalog.regclass AND d.objid = ao.oid \
            AND d.refclassid IN ('pg_catalog.pg_opclass'::pg_catalog.regclass, \
                                 'pg_catalog.pg_opfamily'::pg_catalog.regclass)) \
         LEFT JOIN pg_catalog.pg_opfamily f ON f.oid = ao.amopsortfamily \
         LEFT JOIN pg_catalog.pg_namespace n ON n.oid = f.opfnamespace \
         WHERE ao.amopfamily IN (SELECT opcfamily FROM pg_catalog.pg_opclass WHERE {class_user} \
           UNION SELECT oid FROM pg_catalog.pg_opfamily WHERE {family_user}) \
         ORDER BY ao.amopfamily, ao.amoplefttype, ao.amoprighttype, ao.amopstrategy, 8, 9",
        class_user = user("oid"),
        family_user = user("oid")
    );
    let procs_sql = format!(
        "SELECT ap.amprocnum, ap.amproc::pg_catalog.regprocedure AS amproc, \
         ap.amproclefttype::pg_catalog.regtype AS amproclefttype, \
         ap.amprocrighttype::pg_catalog.regtype AS amprocrighttype, \
         d.refclassid = 'pg_catalog.pg_opclass'::pg_catalog.regclass AS byclass, d.refobjid \
         FROM pg_catalog.pg_amproc ap JOIN pg_catalog.pg_depend d ON \
           (d.classid = 'pg_catalog.pg_amproc'::pg_catalog.regclass AND d.objid = ap.oid) \
         WHERE d.refclassid IN ('pg_catalog.pg_opclass'::pg_catalog.regclass, \
                                'pg_catalog.pg_opfamily'::pg_catalog.regclass) \
           AND {user} \
         ORDER BY ap.oid, 5, 6",
        user = user("d.refobjid")
    );
    let (ops, procs) = tokio::join!(session.query(&ops_sql), session.query(&procs_sql));
    let owner = |by_class: bool, oid: u32| {
        if by_class {
            Owner::Class(oid)
        } else {
            Owner::Family(oid)
        }
    };
    let mut families: Vec<Vec<AmopRow>> = Vec::new();
    for r in ops?.iter() {
        let oid = r.oid("oid")?;
        let family = r.oid("amopfamily")?;
        let row_owner = owner(r.bool("byclass")?, r.oid("refobjid")?);
        // Consecutive rows of one pg_amop row (several pg_depend rows) merge.
        if let Some(last) = families.last_mut().and_then(|f| f.last_mut()) {
            if last.oid == oid {
                last.owners.push(row_owner);
                continue;
            }
        }
        if families.last().and_then(|f| f.first()).map(|f| f.family) != Some(family) {
            families.push(Vec::new());
        }
        let sort_family = match r.opt_string("sortfamily")? {
            Some(name) => Some((r.string("sortfamilynsp")?, name)),
            None => None,
        };
        let strategy = r.text("amopstrategy")?;
        let row = AmopRow {
            oid,
            family,
            strategy: strategy
                .parse()
                .map_err(|_| r.bad("amopstrategy", strategy))?,
            sort_family_oid: r.oid("amopsortfamily")?,
            member: OperatorMember {
                strategy: strategy.to_string(),
                operator: r.string("amopopr")?,
                sort_family,
            },
            owners: vec![row_owner],
        };
        if let Some(f) = families.last_mut() {
            f.push(row);
        }
    }
    let mut amprocs = Vec::new();
    for r in procs?.iter() {
        let number = r.text("amprocnum")?;
        amprocs.push(AmprocRow {
            owner: owner(r.bool("byclass")?, r.oid("refobjid")?),
            number: number.parse().map_err(|_| r.bad("amprocnum", number))?,
            member: FunctionMember {
                number: number.to_string(),
                function: r.string("amproc")?,
                left: r.string("amproclefttype")?,
                right: r.string("amprocrighttype")?,
            },
        });
    }
    Ok(order_members(families, amprocs))
}

/// `getOpclasses` + `getOpfamilies` and the queries of `dumpOpclass`/`dumpOpfamily`:
/// the classes, then the families, not made by initdb, each dumped as its schema's
/// contents are (`selectDumpableObject`).
pub async fn collect(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let classes_sql = format!(
        "SELECT c.tableoid, c.oid, c.opcname, c.opcnamespace, c.opcowner, am.amname, \
         c.opcintype::pg_catalog.regtype AS opcintype, c.opckeytype::pg_catalog.regtype AS opckeytype, \
         c.opcdefault, f.opfname AS opcfamilyname, fn.nspname AS opcfamilynsp \
         FROM pg_catalog.pg_opclass c \
         LEFT JOIN pg_catalog.pg_am am ON am.oid = c.opcmethod \
         LEFT JOIN pg_catalog.pg_opfamily f ON f.oid = c.opcfamily \
         LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = f.opfnamespace \
         WHERE {user} ORDER BY c.oid",
        user = schema::user_oid_sql(cat, "c.oid")
    );
    let families_sql = format!(
        "SELECT f.tableoid, f.oid, f.opfname, f.opfnamespace, f.opfowner, am.amname \
         FROM pg_catalog.pg_opfamily f LEFT JOIN pg_catalog.pg_am am ON am.oid = f.opfmethod \
         WHERE {user} ORDER BY f.oid",
        user = schema::user_oid_sql(cat, "f.oid")
    );
    let (classes, families, members) = tokio::join!(
        session.query(&classes_sql),
        session.query(&families_sql),
        collect_members(session, cat.builtin_selected)
    );
    let mut members = members?;
    for r in classes?.iter() {
        let Some(schema) = cat.schema_by_oid(r.oid("opcnamespace")?) else {
            continue;
        };
        let (schema_name, dump) = (schema.name.clone(), schema.dump_contains);
        let oid = r.oid("oid")?;
        let family = match r.opt_string("opcfamilyname")?.filter(|n| !n.is_empty()) {
            Some(name) => Some((r.string("opcfamilynsp")?, name)),
            None => None,
        };
        let c = OpClass {
            oid,
            name: r.string("opcname")?,
            schema: schema_name.clone(),
            owner: cat.role_name(r.oid("opcowner")?),
            method: r.string("amname")?,
            input_type: r.string("opcintype")?,
            key_type: r.string("opckeytype")?,
            is_default: r.bool("opcdefault")?,
            family,
            members: members
                .by_owner
                .remove(&Owner::Class(oid))
                .unwrap_or_default(),
        };
        let idx = cat.opclasses.len();
        let id = cat.objects.add(
            Kind::OpClass,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid,
            },
            c.name.clone(),
            Some(schema_name),
            idx,
        );
        if let Some(o) = cat.objects.get_mut(id) {
            o.tie_break = tie_break(Kind::OpClass, &c.method);
            o.dump = dump;
        }
        cat.opclasses.push(c);
    }
    for r in families?.iter() {
        let Some(schema) = cat.schema_by_oid(r.oid("opfnamespace")?) else {
            continue;
        };
        let (schema_name, dump) = (schema.name.clone(), schema.dump_contains);
        let oid = r.oid("oid")?;
        let f = OpFamily {
            oid,
            name: r.string("opfname")?,
            schema: schema_name.clone(),
            owner: cat.role_name(r.oid("opfowner")?),
            method: r.string("amname")?,
            members: members
                .by_owner
                .remove(&Owner::Family(oid))
                .unwrap_or_default(),
        };
        let idx = cat.opfamilies.len();
        let id = cat.objects.add(
            Kind::OpFamily,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid,
            },
            f.name.clone(),
            Some(schema_name),
            idx,
        );
        if let Some(o) = cat.objects.get_mut(id) {
            o.tie_break = tie_break(Kind::OpFamily, &f.method);
            o.dump = dump;
        }
        cat.opfamilies.push(f);
    }
    Ok(())
}

/// PostgreSQL's in-memory sort (`pg_qsort` of src/port/qsort.c, also tuplesort's
/// `sort_template.h` instances): Bentley-McIlroy quicksort with insertion sort below 7
/// elements and an already-sorted check first. Not stable: it reproduces how the
/// server orders rows whose ORDER BY keys tie.
pub fn pg_qsort<T>(v: &mut [T], cmp: &dyn Fn(&T, &T) -> Ordering) {
    let n = v.len();
    if n < 7 {
        for pm in 1..n {
            let mut pl = pm;
            while pl > 0 && cmp(&v[pl - 1], &v[pl]) == Ordering::Greater {
                v.swap(pl, pl - 1);
                pl -= 1;
            }
        }
        return;
    }
    if (1..n).all(|pm| cmp(&v[pm - 1], &v[pm]) != Ordering::Greater) {
        return;
    }
    let mut pm = n / 2;
    if n > 7 {
        let mut pl = 0;
        let mut pn = n - 1;
        if n > 40 {
            let d = n / 8;
            pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
            pm = med3(v, pm - d, pm, pm + d, cmp);
            pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
        }
        pm = med3(v, pl, pm, pn, cmp);
    }
    v.swap(0, pm);
    let (mut pa, mut pb) = (1, 1);
    let (mut pc, mut pd) = (n - 1, n - 1);
    loop {
        while pb <= pc {
            let r = cmp(&v[pb], &v[0]);
            if r == Ordering::Greater {
                break;
            }
            if r == Ordering::Equal {
                v.swap(pa, pb);
                pa += 1;
            }
            pb += 1;
        }
        while pb <= pc {
            let r = cmp(&v[pc], &v[0]);
            if r == Ordering::Less {
                break;
            }
            if r == Ordering::Equal {
                v.swap(pc, pd);
                pd -= 1;
            }
            pc -= 1;
        }
        if pb > pc {
            break;
        }
        v.swap(pb, pc);
        pb += 1;
        pc -= 1;
    }
    let d1 = pa.min(pb - pa);
    vecswap(v, 0, pb - d1, d1);
    let d1 = (pd - pc).min(n - pd - 1);
    vecswap(v, pb, n - d1, d1);
    let (d1, d2) = (pb - pa, pd - pc);
    if d1 > 1 {
        pg_qsort(&mut v[..d1], cmp);
    }
    if d2 > 1 {
        pg_qsort(&mut v[n - d2..], cmp);
    }
}

/// The median of three positions (`med3`).
fn med3<T>(v: &[T], a: usize, b: usize, c: usize, cmp: &dyn Fn(&T, &T) -> Ordering) -> usize {
    if cmp(&v[a], &v[b]) == Ordering::Less {
        if cmp(&v[b], &v[c]) == Ordering::Less {
            b
        } else if cmp(&v[a], &v[c]) == Ordering::Less {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) == Ordering::Greater {
        b
    } else if cmp(&v[a], &v[c]) == Ordering::Less {
        a
    } else {
        c
    }
}

/// Swaps `n` elements at `a` with `n` elements at `b` (`vecswap`).
fn vecswap<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

/// The `OPERATOR ...` and `FUNCTION ...` items, comma-separated as stock writes them.
/// `always_types`: FUNCTION items name their types even when the server left them
/// unset (families always do).
fn member_items(cx: &EmitCx<'_>, m: &Members, always_types: bool) -> Vec<String> {
    let mut items = Vec::new();
    for op in &m.operators {
        let mut item = format!("OPERATOR {} {}", op.strategy, op.operator);
        if let Some((schema, name)) = &op.sort_family {
            item.push_str(&format!(
                " FOR ORDER BY {}.{}",
                cx.ident(schema),
                cx.ident(name)
            ));
        }
        items.push(item);
    }
    for f in &m.functions {
        let mut item = format!("FUNCTION {}", f.number);
        if always_types || (!f.left.is_empty() && !f.right.is_empty()) {
            item.push_str(&format!(" ({}, {})", f.left, f.right));
        }
        item.push_str(&format!(" {}", f.function));
        items.push(item);
    }
    items
}

/// `dumpOpclass`
pub fn emit_class(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let c = &cx.catalog.opclasses[obj.model];
    let qual = cx.qualified(&c.schema, &c.name);
    let qmethod = cx.ident(&c.method);
    let mut q = format!("CREATE OPERATOR CLASS {qual}\n    ");
    if c.is_default {
        q.push_str("DEFAULT ");
    }
    q.push_str(&format!("FOR TYPE {} USING {qmethod}", c.input_type));
    if let Some((schema, name)) = &c.family {
        q.push_str(&format!(" FAMILY {}.{}", cx.ident(schema), cx.ident(name)));
    }
    q.push_str(" AS\n    ");
    let mut items = Vec::new();
    if c.key_type != "-" {
        items.push(format!("STORAGE {}", c.key_type));
    }
    items.extend(member_items(cx, &c.members, false));
    if items.is_empty() {
        // Nothing after AS: a no-op STORAGE clause keeps the statement valid.
        items.push(format!("STORAGE {}", c.input_type));
    }
    q.push_str(&items.join(" ,\n    "));
    q.push_str(";\n");
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(Desc::OperatorClass, Section::PreData, c.name.clone());
        e.catalog_id = obj.catalog_id;
        e.namespace = Some(c.schema.clone());
        e.owner = Some(c.owner.clone());
        e.defn = q;
        e.drop_stmt = format!("DROP OPERATOR CLASS {qual} USING {qmethod};\n");
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        let name_using = format!("{} USING {qmethod}", cx.ident(&c.name));
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "OPERATOR CLASS",
                name: &name_using,
                namespace: Some(&c.schema),
                owner: &c.owner,
                classoid: obj.catalog_id.table_oid,
                objoid: c.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
}

/// `dumpOpfamily`
pub fn emit_family(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let f = &cx.catalog.opfamilies[obj.model];
    let qual = cx.qualified(&f.schema, &f.name);
    let qmethod = cx.ident(&f.method);
    let mut q = format!("CREATE OPERATOR FAMILY {qual} USING {qmethod};\n");
    let items = member_items(cx, &f.members, true);
    if !items.is_empty() {
        q.push_str(&format!(
            "ALTER OPERATOR FAMILY {qual} USING {qmethod} ADD\n    {};\n",
            items.join(" ,\n    ")
        ));
    }
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(Desc::OperatorFamily, Section::PreData, f.name.clone());
        e.catalog_id = obj.catalog_id;
        e.namespace = Some(f.schema.clone());
        e.owner = Some(f.owner.clone());
        e.defn = q;
        e.drop_stmt = format!("DROP OPERATOR FAMILY {qual} USING {qmethod};\n");
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        let name_using = format!("{} USING {qmethod}", cx.ident(&f.name));
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "OPERATOR FAMILY",
                name: &name_using,
                namespace: Some(&f.schema),
                owner: &f.owner,
                classoid: obj.catalog_id.table_oid,
                objoid: f.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(kind: Kind, oid: u32, name: &str, method: &str) -> DumpObject {
        DumpObject {
            dump_id: oid as i32,
            catalog_id: CatalogId { table_oid: 0, oid },
            kind,
            name: name.into(),
            namespace: Some("s".into()),
            tie_break: tie_break(kind, method),
            deps: Vec::new(),
            dump: Components::ALL,
            model: 0,
        }
    }

    #[test]
    fn classes_precede_families_of_one_name_then_access_method_names_decide() {
        let objects = [
            object(Kind::OpFamily, 1, "ops", "btree"),
            object(Kind::OpClass, 2, "ops", "zeta"),
            object(Kind::OpClass, 3, "ops", "btree"),
            object(Kind::OpFamily, 4, "abc", "hash"),
        ];
        let mut refs: Vec<&DumpObject> = objects.iter().collect();
        refs.sort_by(|a, b| crate::graph::sort::compare(a, b));
        let oids: Vec<u32> = refs.iter().map(|o| o.catalog_id.oid).collect();
        assert_eq!(oids, vec![4, 3, 2, 1]);
    }

    #[test]
    fn pg_qsort_orders_ties_as_the_server_does() {
        // Observed on servers 14 and 18: 13 loose btree members in index order
        // (bigint/integer, smallint/bigint, integer/bigint), sorted by strategy.
        let mut v = vec![
            "B1", "B2", "B3", "B4", "B5", "S1", "S2", "S3", "I1", "I2", "I3", "I4", "I5",
        ];
        pg_qsort(&mut v, &|a: &&str, b: &&str| a[1..].cmp(&b[1..]));
        assert_eq!(
            v,
            vec!["B1", "S1", "I1", "S2", "B2", "I2", "S3", "B3", "I3", "I4", "B4", "I5", "B5"]
        );
        // Short inputs are insertion-sorted (stable), sorted ones left alone.
        let mut short = vec![(2, 'a'), (1, 'b'), (2, 'c'), (1, 'd')];
        pg_qsort(&mut short, &|a: &(i32, char), b: &(i32, char)| {
            a.0.cmp(&b.0)
        });
        assert_eq!(short, vec![(1, 'b'), (1, 'd'), (2, 'a'), (2, 'c')]);
        let mut many: Vec<u32> = (0..100).rev().collect();
        pg_qsort(&mut many, &|a: &u32, b: &u32| a.cmp(b));
        assert_eq!(many, (0..100).collect::<Vec<u32>>());
    }

    #[test]
    fn family_members_are_written_as_stock_writes_them() {
        let m = Members {
            operators: vec![OperatorMember {
                strategy: "15".into(),
                operator: "<->(point,point)".into(),
                sort_family: Some(("pg_catalog".into(), "float_ops".into())),
            }],
            functions: vec![FunctionMember {
                number: "1".into(),
                function: "f(integer,bigint)".into(),
                left: "integer".into(),
                right: "bigint".into(),
            }],
        };
        let catalog = Catalog::default();
        let opts = crate::dump::toc::EmitOptions::default();
        let cx = EmitCx {
            catalog: &catalog,
            quoter: pgark_formats::quote::Quoter {
                encoding: pgark_formats::quote::Encoding::Utf8,
                std_strings: true,
                quote_all_identifiers: false,
            },
            opts: &opts,
        };
        assert_eq!(
            member_items(&cx, &m, true),
            vec![
                "OPERATOR 15 <->(point,point) FOR ORDER BY pg_catalog.float_ops".to_string(),
                "FUNCTION 1 (integer, bigint) f(integer,bigint)".to_string(),
            ]
        );
    }
}
