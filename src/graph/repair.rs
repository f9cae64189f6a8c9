//! Dependency-loop repair (pg_dump_sort.c `findDependencyLoops`, `findLoop`,
//! `repairDependencyLoop` and its named fixers). Each fixer handles one SQL shape
//! that legitimately produces a loop; anything else gets stock's warning and an
//! arbitrary break.

use pgark_formats::DumpId;

use crate::graph::{describe, Boundaries};
use crate::objects::{Catalog, Kind};

/// `findDependencyLoops`: repairs every disjoint loop among `stuck` (TopoSort's
/// leftovers). Returns the warnings stock would print; errors if no loop was found.
pub fn find_and_repair(
    cat: &mut Catalog,
    stuck: &[DumpId],
    b: Boundaries,
) -> Result<Vec<String>, String> {
    let max = cat.objects.max_dump_id() as usize + 1;
    let mut processed = vec![false; max];
    let mut search_failed: Vec<DumpId> = vec![0; max];
    let mut warnings = Vec::new();
    let mut fixed = false;
    for &start in stuck {
        let mut workspace = Vec::new();
        let len = find_loop(
            cat,
            start,
            start,
            &processed,
            &mut search_failed,
            &mut workspace,
        );
        if len > 0 {
            workspace.truncate(len);
            repair_loop(cat, &workspace, b, &mut warnings);
            fixed = true;
            for &id in &workspace {
                processed[id as usize] = true;
            }
        } else {
            processed[start as usize] = true;
        }
    }
    if fixed {
        Ok(warnings)
    } else {
        Err("could not identify dependency loop".into())
    }
}

/// `findLoop`: depth-first search from `id` back to `start` over dependency lists in
/// order, skipping processed objects; returns the loop length (members in `workspace`).
fn find_loop(
    cat: &Catalog,
    id: DumpId,
    start: DumpId,
    processed: &[bool],
    search_failed: &mut [DumpId],
    workspace: &mut Vec<DumpId>,
) -> usize {
    let idx = id as usize;
    if processed.get(idx).copied().unwrap_or(true)
        || search_failed[idx] == start
        || workspace.contains(&id)
    {
        return 0;
    }
    workspace.push(id);
    let Some(obj) = cat.objects.get(id) else {
        workspace.pop();
        return 0;
    };
    if obj.deps.contains(&start) {
        return workspace.len();
    }
    let deps = obj.deps.clone();
    for d in deps {
        if cat.objects.get(d).is_none() {
            continue;
        }
        let n = find_loop(cat, d, start, processed, search_failed, workspace);
        if n > 0 {
            return n;
        }
    }
    workspace.pop();
    search_failed[idx] = start;
    0
}

fn kind(cat: &Catalog, id: DumpId) -> Option<Kind> {
    cat.objects.get(id).map(|o| o.kind)
}

fn relkind(cat: &Catalog, id: DumpId) -> Option<u8> {
    let o = cat.objects.get(id)?;
    (o.kind == Kind::Table).then(|| cat.tables[o.model].relkind)
}

/// The view (or matview) whose ON SELECT rule `rule_id` is.
fn is_view_rule_of(cat: &Catalog, rule_id: DumpId, table_id: DumpId) -> bool {
    let (Some(r), Some(t)) = (cat.objects.get(rule_id), cat.objects.get(table_id)) else {
        return false;
    };
    r.kind == Kind::Rule
        && !cat.rules[r.model].separate
        && t.kind == Kind::Table
        && cat.rules[r.model].table_oid == cat.tables[t.model].oid
}

/// Any ON SELECT rule of the relation, separate or not (stock's multi-loop test).
fn is_on_select_rule_of(cat: &Catalog, rule_id: DumpId, table_id: DumpId) -> bool {
    let (Some(r), Some(t)) = (cat.objects.get(rule_id), cat.objects.get(table_id)) else {
        return false;
    };
    r.kind == Kind::Rule
        && cat.rules[r.model].is_view
        && t.kind == Kind::Table
        && cat.rules[r.model].table_oid == cat.tables[t.model].oid
}

fn is_check_of(cat: &Catalog, con_id: DumpId, table_id: DumpId) -> bool {
    let (Some(c), Some(t)) = (cat.objects.get(con_id), cat.objects.get(table_id)) else {
        return false;
    };
    c.kind == Kind::Constraint
        && t.kind == Kind::Table
        && cat.constraints[c.model].kind == crate::objects::constraint::ConstraintKind::Check
        && cat.constraints[c.model].table_oid == cat.tables[t.model].oid
}

fn is_attrdef_of(cat: &Catalog, def_id: DumpId, table_id: DumpId) -> bool {
    let (Some(d), Some(t)) = (cat.objects.get(def_id), cat.objects.get(table_id)) else {
        return false;
    };
    d.kind == Kind::AttrDef
        && t.kind == Kind::Table
        && cat.attrdefs[d.model].table_oid == cat.tables[t.model].oid
}

/// `repairDependencyLoop`, in stock's order of checks.
fn repair_loop(cat: &mut Catalog, lp: &[DumpId], b: Boundaries, warnings: &mut Vec<String>) {
    let n = lp.len();
    // A type and one of its I/O (or canonicalize) functions.
    if n == 2 {
        for (ty, f) in [(lp[0], lp[1]), (lp[1], lp[0])] {
            if kind(cat, ty) == Some(Kind::Type) && kind(cat, f) == Some(Kind::Function) {
                type_func_loop(cat, ty, f);
                return;
            }
        }
    }
    // View and its ON SELECT rule.
    if n == 2 {
        for (v, r) in [(lp[0], lp[1]), (lp[1], lp[0])] {
            if matches!(relkind(cat, v), Some(b'v' | b'm')) && is_view_rule_of(cat, r, v) {
                view_rule_loop(cat, v, r);
                return;
            }
        }
    }
    if n > 2 {
        for &v in lp {
            if relkind(cat, v) == Some(b'v') {
                if let Some(&r) = lp.iter().find(|&&r| is_on_select_rule_of(cat, r, v)) {
                    view_rule_multi_loop(cat, v, r, b);
                    return;
                }
            }
        }
        // A matview (or its statistics) and a boundary: the object after the boundary
        // in the loop moves to post-data.
        for &m in lp {
            let boundary = if relkind(cat, m) == Some(b'm') {
                Kind::PreDataBoundary
            } else if crate::objects::rel_stats::is_matview_stats(cat, m) {
                Kind::PostDataBoundary
            } else {
                continue;
            };
            if let Some(j) = lp.iter().position(|&x| kind(cat, x) == Some(boundary)) {
                matview_boundary_multi_loop(cat, lp[j], lp[(j + 1) % n]);
                return;
            }
        }
        // A function (SQL-standard body reading a table) and the pre-data boundary.
        if lp.iter().any(|&f| kind(cat, f) == Some(Kind::Function)) {
            if let Some(j) = lp
                .iter()
                .position(|&x| kind(cat, x) == Some(Kind::PreDataBoundary))
            {
                function_boundary_multi_loop(cat, lp[j], lp[(j + 1) % n]);
                return;
            }
        }
    }
    // Table and one of its CHECK constraints.
    if n == 2 {
        for (t, c) in [(lp[0], lp[1]), (lp[1], lp[0])] {
            if kind(cat, t) == Some(Kind::Table) && is_check_of(cat, c, t) {
                table_constraint_loop(cat, t, c);
                return;
            }
        }
    }
    if n > 2 {
        for &t in lp {
            if let Some(&c) = lp
                .iter()
                .find(|&&c| kind(cat, t) == Some(Kind::Table) && is_check_of(cat, c, t))
            {
                table_constraint_multi_loop(cat, t, c, b);
                return;
            }
        }
    }
    // Table and one of its column defaults.
    if n == 2 {
        for (t, d) in [(lp[0], lp[1]), (lp[1], lp[0])] {
            if is_attrdef_of(cat, d, t) {
                table_attrdef_loop(cat, t, d);
                return;
            }
        }
    }
    // A partitioned index and its partition's index.
    if n == 2 && kind(cat, lp[0]) == Some(Kind::Index) && kind(cat, lp[1]) == Some(Kind::Index) {
        for (child, parent) in [(lp[0], lp[1]), (lp[1], lp[0])] {
            if is_parent_index_of(cat, parent, child) {
                cat.objects.remove_dependency(parent, child);
                return;
            }
        }
    }
    if n > 2 {
        for &t in lp {
            if let Some(&d) = lp.iter().find(|&&d| is_attrdef_of(cat, d, t)) {
                table_attrdef_multi_loop(cat, t, d);
                return;
            }
        }
    }
    // Domain and one of its CHECK or NOT NULL constraints.
    if n == 2 {
        for (d, c) in [(lp[0], lp[1]), (lp[1], lp[0])] {
            if crate::objects::types::is_domain_constraint_of(cat, c, d) {
                domain_constraint_loop(cat, d, c);
                return;
            }
        }
    }
    if n > 2 {
        for &d in lp {
            if kind(cat, d) != Some(Kind::Type) {
                continue;
            }
            if let Some(&c) = lp
                .iter()
                .find(|&&c| crate::objects::types::is_domain_constraint_of(cat, c, d))
            {
                domain_constraint_multi_loop(cat, d, c, b);
                return;
            }
        }
    }
    // A table depending on itself (column on column, or partitioned table on itself).
    if n == 1 && kind(cat, lp[0]) == Some(Kind::Table) {
        cat.objects.remove_dependency(lp[0], lp[0]);
        return;
    }
    if lp.iter().all(|&id| kind(cat, id) == Some(Kind::TableData)) {
        warnings.push(if n == 1 {
            "there are circular foreign-key constraints on this table:".to_string()
        } else {
            "there are circular foreign-key constraints among these tables:".to_string()
        });
        for &id in lp {
            warnings.push(format!(
                "detail: {}",
                cat.objects
                    .get(id)
                    .map(|o| o.name.clone())
                    .unwrap_or_default()
            ));
        }
        warnings.push("hint: You might not be able to restore the dump without using --disable-triggers or temporarily dropping the constraints.".into());
        warnings.push(
            "hint: Consider using a full dump instead of a --data-only dump to avoid this problem."
                .into(),
        );
        arbitrary_break(cat, lp);
        return;
    }
    warnings.push("could not resolve dependency loop among these items:".into());
    for &id in lp {
        warnings.push(format!("detail: {}", describe(cat, id)));
    }
    arbitrary_break(cat, lp);
}

/// Whether index `parent` is the partitioned index that `child` is attached to.
fn is_parent_index_of(cat: &Catalog, parent: DumpId, child: DumpId) -> bool {
    let (Some(p), Some(c)) = (cat.objects.get(parent), cat.objects.get(child)) else {
        return false;
    };
    p.kind == Kind::Index
        && c.kind == Kind::Index
        && cat.indexes[c.model].parent_index == cat.indexes[p.model].oid
}

/// `repairMatViewBoundaryMultiLoop`: the boundary lets go of the next object in the
/// loop; a matview there is defined in post-data, a matview's statistics restored
/// post-data.
fn matview_boundary_multi_loop(cat: &mut Catalog, boundary: DumpId, next: DumpId) {
    cat.objects.remove_dependency(boundary, next);
    if relkind(cat, next) == Some(b'm') {
        if let Some(m) = cat.objects.get(next).map(|o| o.model) {
            cat.tables[m].postponed_def = true;
        }
    } else {
        crate::objects::rel_stats::postpone_matview_stats(cat, next);
    }
}

/// `repairFunctionBoundaryMultiLoop`: the boundary lets go of the next object in the
/// loop; a function there is defined in post-data.
fn function_boundary_multi_loop(cat: &mut Catalog, boundary: DumpId, next: DumpId) {
    cat.objects.remove_dependency(boundary, next);
    if let Some(m) = cat
        .objects
        .get(next)
        .and_then(|o| (o.kind == Kind::Function).then_some(o.model))
    {
        cat.functions[m].postponed_def = true;
    }
}

fn arbitrary_break(cat: &mut Catalog, lp: &[DumpId]) {
    if lp.len() > 1 {
        cat.objects.remove_dependency(lp[0], lp[1]);
    } else {
        cat.objects.remove_dependency(lp[0], lp[0]);
    }
}

/// `repairTypeFuncLoop`: a base type's I/O functions take or return the type, which
/// depends on them. The function's edge to the type goes to the type's shell instead,
/// and the shell is dumped along with such a function.
fn type_func_loop(cat: &mut Catalog, ty: DumpId, f: DumpId) {
    cat.objects.remove_dependency(f, ty);
    if let Some(shell) = crate::objects::types::shell_of(cat, ty) {
        cat.objects.add_dependency(f, shell);
        // The shell (definition included) is dumped when such a function is.
        let fdump = cat.objects.get(f).map(|o| o.dump).unwrap_or_default();
        if fdump.any() {
            cat.objects
                .set_dump(shell, fdump.with(crate::objects::Components::DEFINITION));
        }
    }
}

/// `repairDomainConstraintLoop`: a domain's validated CHECK prints inside CREATE
/// DOMAIN; drop the constraint's edge to the domain.
fn domain_constraint_loop(cat: &mut Catalog, domain: DumpId, con: DumpId) {
    cat.objects.remove_dependency(con, domain);
}

/// `repairDomainConstraintMultiLoop`: the check becomes a separate post-data
/// `ALTER DOMAIN ... ADD CONSTRAINT`.
fn domain_constraint_multi_loop(cat: &mut Catalog, domain: DumpId, con: DumpId, b: Boundaries) {
    cat.objects.remove_dependency(domain, con);
    if let Some(o) = cat.objects.get(con) {
        let m = o.model;
        cat.constraints[m].separate = true;
    }
    cat.objects.add_dependency(con, domain);
    cat.objects.add_dependency(con, b.post_data);
}

/// `repairViewRuleLoop`: CREATE VIEW v AS ... makes the ON SELECT rule depend on the
/// view (pg_depend 'i') while the view is forced to depend on its rule: drop the
/// rule's edge; the rule stays part of the view.
fn view_rule_loop(cat: &mut Catalog, view: DumpId, rule: DumpId) {
    cat.objects.remove_dependency(rule, view);
}

/// `repairViewRuleMultiLoop`: a view that (through other objects) depends on itself,
/// e.g. a view referenced by a function its own query calls. The view is created with
/// a dummy query and the real query comes later as a separate CREATE RULE.
fn view_rule_multi_loop(cat: &mut Catalog, view: DumpId, rule: DumpId, b: Boundaries) {
    cat.objects.remove_dependency(view, rule);
    if let Some(o) = cat.objects.get(view) {
        let m = o.model;
        cat.tables[m].dummy_view = true;
    }
    let view_dump = cat.objects.get(view).map(|o| o.dump).unwrap_or_default();
    if let Some(o) = cat.objects.get(rule) {
        let m = o.model;
        cat.rules[m].separate = true;
    }
    // Collected as part of the view (not dumped); now it is dumped as the view is.
    cat.objects.set_dump(rule, view_dump);
    cat.objects.add_dependency(rule, view);
    cat.objects.add_dependency(rule, b.post_data);
}

/// `repairTableConstraintLoop`: CHECK constraints print inside CREATE TABLE.
fn table_constraint_loop(cat: &mut Catalog, table: DumpId, con: DumpId) {
    cat.objects.remove_dependency(con, table);
}

/// `repairTableConstraintMultiLoop`: a CHECK calling a function that uses the table's
/// row type; the constraint becomes a separate post-data ALTER TABLE.
fn table_constraint_multi_loop(cat: &mut Catalog, table: DumpId, con: DumpId, b: Boundaries) {
    cat.objects.remove_dependency(table, con);
    if let Some(o) = cat.objects.get(con) {
        let m = o.model;
        cat.constraints[m].separate = true;
    }
    cat.objects.add_dependency(con, table);
    cat.objects.add_dependency(con, b.post_data);
}

/// `repairTableAttrDefLoop`: defaults print inside CREATE TABLE.
fn table_attrdef_loop(cat: &mut Catalog, table: DumpId, def: DumpId) {
    cat.objects.remove_dependency(def, table);
}

/// `repairTableAttrDefMultiLoop`: a default calling a function that uses the table's
/// row type; the default becomes a separate ALTER TABLE ... SET DEFAULT.
fn table_attrdef_multi_loop(cat: &mut Catalog, table: DumpId, def: DumpId) {
    cat.objects.remove_dependency(table, def);
    if let Some(o) = cat.objects.get(def) {
        let m = o.model;
        cat.attrdefs[m].separate = true;
    }
    cat.objects.add_dependency(def, table);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{create_boundaries, sort};
    use crate::objects::rule::Rule;
    use crate::objects::table::AttrDef;
    use pgark_formats::model::CatalogId;

    fn table(cat: &mut Catalog, oid: u32, name: &str, relkind: u8) -> DumpId {
        crate::objects::table::add_bare_table(cat, oid, name, relkind)
    }

    fn sort_all(cat: &mut Catalog, b: Boundaries) -> (Vec<DumpId>, Vec<String>) {
        let mut order = sort::presort(cat.objects.all());
        let mut warnings = Vec::new();
        loop {
            let r = {
                let store = &cat.objects;
                sort::topo_sort(&order, |id| {
                    store.get(id).map(|o| o.deps.as_slice()).unwrap_or(&[])
                })
            };
            match r {
                Ok(o) => {
                    order = o;
                    return (order, warnings);
                }
                Err(stuck) => {
                    warnings.extend(find_and_repair(cat, &stuck, b).expect("a loop is found"))
                }
            }
        }
    }

    /// CREATE VIEW v AS SELECT * FROM t: v → _RETURN (forced), _RETURN → v ('i'),
    /// _RETURN → t ('n'). The rule's edge to the view goes; the view follows t.
    #[test]
    fn view_rule_loop_keeps_rule_inside_view() {
        let mut cat = Catalog::default();
        let v = table(&mut cat, 10, "a_view", b'v');
        let t = table(&mut cat, 11, "b_table", b'r');
        let rule = cat.objects.add(
            Kind::Rule,
            CatalogId {
                table_oid: 2618,
                oid: 12,
            },
            "_RETURN",
            Some("s".into()),
            0,
        );
        cat.rules.push(Rule {
            oid: 12,
            name: "_RETURN".into(),
            table_oid: 10,
            ev_enabled: b'O',
            separate: false,
            is_view: true,
            definition: String::new(),
        });
        cat.objects.add_dependency(v, rule);
        cat.objects.add_dependency(rule, v);
        cat.objects.add_dependency(rule, t);
        let b = create_boundaries(&mut cat);
        let (order, warnings) = sort_all(&mut cat, b);
        assert!(warnings.is_empty(), "{warnings:?}");
        let pos = |id| order.iter().position(|&x| x == id).expect("placed");
        assert!(pos(t) < pos(rule) && pos(rule) < pos(v), "{order:?}");
        assert!(!cat.objects.get(rule).expect("rule").deps.contains(&v));
    }

    /// CREATE TABLE t (c int DEFAULT nextval('q')): t → default (forced, printed
    /// inline), default → t ('a'). The default's edge to the table goes.
    #[test]
    fn table_default_loop_keeps_default_inline() {
        let mut cat = Catalog::default();
        let t = table(&mut cat, 20, "t", b'r');
        let q = table(&mut cat, 21, "z_seq", b'S');
        let d = cat.objects.add(
            Kind::AttrDef,
            CatalogId {
                table_oid: 2604,
                oid: 22,
            },
            "t",
            Some("s".into()),
            0,
        );
        cat.attrdefs.push(AttrDef {
            table_oid: 20,
            num: 1,
            expr: "nextval('q')".into(),
            separate: false,
            dump_id: d,
        });
        cat.objects.add_dependency(t, d);
        cat.objects.add_dependency(d, t);
        cat.objects.add_dependency(d, q);
        let b = create_boundaries(&mut cat);
        let (order, _) = sort_all(&mut cat, b);
        let pos = |id| order.iter().position(|&x| x == id).expect("placed");
        assert!(
            pos(q) < pos(t),
            "the sequence moves before the table: {order:?}"
        );
        assert!(!cat.attrdefs[0].separate);
    }

    /// CREATE MATERIALIZED VIEW m AS SELECT id, v FROM t GROUP BY id: m needs t's
    /// primary key (post-data), which follows the pre-data boundary, which follows m.
    /// The boundary lets go of m, which is defined in post-data.
    #[test]
    fn matview_on_post_data_object_is_postponed() {
        use crate::graph::add_boundary_dependencies;
        use crate::objects::constraint::{Constraint, ConstraintKind};
        let mut cat = Catalog::default();
        let t = table(&mut cat, 40, "t", b'r');
        let m = table(&mut cat, 41, "m", b'm');
        let pk = cat.objects.add(
            Kind::Constraint,
            CatalogId {
                table_oid: 2606,
                oid: 42,
            },
            "t_pkey",
            Some("s".into()),
            0,
        );
        cat.constraints.push(Constraint {
            oid: 42,
            name: "t_pkey".into(),
            kind: ConstraintKind::PrimaryKey,
            table_oid: 40,
            table_name: "t".into(),
            definition: String::new(),
            deferrable: false,
            deferred: false,
            period: false,
            is_local: true,
            separate: true,
            index: None,
            dump_id: pk,
        });
        cat.objects.add_dependency(pk, t);
        cat.objects.add_dependency(m, pk);
        let b = create_boundaries(&mut cat);
        add_boundary_dependencies(&mut cat, b);
        let (order, warnings) = sort_all(&mut cat, b);
        assert!(warnings.is_empty(), "{warnings:?}");
        let pos = |id| order.iter().position(|&x| x == id).expect("placed");
        assert!(pos(pk) < pos(m), "{order:?}");
        assert!(cat.tables[1].postponed_def);
        assert!(!cat.tables[0].postponed_def);
    }

    /// A loop of unrelated kinds: stock's warning and an arbitrary break.
    #[test]
    fn unknown_loop_warns_and_breaks() {
        let mut cat = Catalog::default();
        let a = table(&mut cat, 30, "a", b'r');
        let bb = table(&mut cat, 31, "b", b'r');
        cat.objects.add_dependency(a, bb);
        cat.objects.add_dependency(bb, a);
        let b = create_boundaries(&mut cat);
        let (order, warnings) = sort_all(&mut cat, b);
        assert_eq!(
            warnings[0],
            "could not resolve dependency loop among these items:"
        );
        assert_eq!(warnings.len(), 3);
        assert_eq!(order.len(), 4);
    }
}
