//! Stock pg_dump's object order (pg_dump_sort.c): the type-priority/namespace/name
//! pre-sort (`DOTypeNameCompare`) and the topological sort that disturbs the
//! pre-sorted order as little as possible (`TopoSort`: Kahn's algorithm emitting from
//! the end, always taking the ready object that is last in the input).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use pgark_formats::DumpId;

use crate::objects::{DumpObject, Kind, TieBreak};

/// `DOTypeNameCompare` (as back-patched into 18.x): priority, namespace (NULL last),
/// name, object type, per-kind tie-break, then OID. Names compare as bytes (`strcmp`).
pub fn compare(a: &DumpObject, b: &DumpObject) -> Ordering {
    a.kind
        .priority()
        .cmp(&b.kind.priority())
        .then_with(|| match (&a.namespace, &b.namespace) {
            (Some(x), Some(y)) => x.as_bytes().cmp(y.as_bytes()),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then_with(|| a.name.as_bytes().cmp(b.name.as_bytes()))
        // Stock then compares `objType`; of the kinds sharing a priority only a type
        // and its shell share a name (operator classes and families carry their rank
        // in the tie-break).
        .then_with(|| (a.kind == Kind::ShellType).cmp(&(b.kind == Kind::ShellType)))
        .then_with(|| match (&a.tie_break, &b.tie_break) {
            (TieBreak::AttrNum(x), TieBreak::AttrNum(y)) => x.cmp(y),
            (TieBreak::TableName(x), TieBreak::TableName(y))
            | (TieBreak::ParentName(x), TieBreak::ParentName(y)) => x.as_bytes().cmp(y.as_bytes()),
            (
                TieBreak::ConstraintOwner {
                    on_domain: xd,
                    owner: xo,
                },
                TieBreak::ConstraintOwner {
                    on_domain: yd,
                    owner: yo,
                },
            ) => yd.cmp(xd).then_with(|| xo.as_bytes().cmp(yo.as_bytes())),
            (TieBreak::FuncArgs(x), TieBreak::FuncArgs(y)) => {
                x.len().cmp(&y.len()).then_with(|| {
                    x.iter()
                        .zip(y)
                        .map(|((xs, xn), (ys, yn))| {
                            xs.as_bytes()
                                .cmp(ys.as_bytes())
                                .then_with(|| xn.as_bytes().cmp(yn.as_bytes()))
                        })
                        .find(|o| o.is_ne())
                        .unwrap_or(Ordering::Equal)
                })
            }
            _ => Ordering::Equal,
        })
        .then_with(|| a.catalog_id.oid.cmp(&b.catalog_id.oid))
}

/// `sortDumpableObjectsByTypeName`: DumpIds in pre-sort order.
pub fn presort(objects: &[DumpObject]) -> Vec<DumpId> {
    let mut refs: Vec<&DumpObject> = objects.iter().collect();
    refs.sort_by(|a, b| compare(a, b));
    refs.iter().map(|o| o.dump_id).collect()
}

/// `TopoSort`. `input` is the current order; `deps(id)` the DumpIds `id` must follow.
/// Returns the new order, or (on a cycle) the objects that could not be placed, in
/// DumpId order — the objects in loops and those that depend on them.
pub fn topo_sort<'a>(
    input: &[DumpId],
    deps: impl Fn(DumpId) -> &'a [DumpId],
) -> Result<Vec<DumpId>, Vec<DumpId>> {
    // DumpIds are small and dense (1..=max), so plain vectors indexed by id replace
    // hash maps: this loop runs over every dependency edge of the dump.
    let slot = |id: DumpId| usize::try_from(id).ok();
    let max_id = input.iter().filter_map(|&id| slot(id)).max().unwrap_or(0);
    const ABSENT: usize = usize::MAX;
    let mut position = vec![ABSENT; max_id + 1];
    for (i, &id) in input.iter().enumerate() {
        if let Some(s) = slot(id) {
            position[s] = i;
        }
    }
    let position_of = |id: DumpId| {
        slot(id)
            .and_then(|s| position.get(s).copied())
            .filter(|&p| p != ABSENT)
    };
    // before[position]: how many objects must come after it (constraints saying
    // "it before x").
    let mut before = vec![0usize; input.len()];
    for &id in input {
        for &d in deps(id) {
            if let Some(p) = position_of(d) {
                before[p] += 1;
            }
        }
    }
    let mut heap: BinaryHeap<usize> = (0..input.len()).filter(|&i| before[i] == 0).collect();
    let mut out = vec![0; input.len()];
    let mut remaining = input.len();
    while let Some(j) = heap.pop() {
        let id = input[j];
        remaining -= 1;
        out[remaining] = id;
        for &d in deps(id) {
            let Some(pos) = position_of(d) else {
                continue;
            };
            before[pos] -= 1;
            if before[pos] == 0 {
                heap.push(pos);
            }
        }
    }
    if remaining == 0 {
        Ok(out)
    } else {
        let mut stuck: Vec<DumpId> = input
            .iter()
            .enumerate()
            .filter(|&(i, _)| before[i] > 0)
            .map(|(_, &id)| id)
            .collect();
        stuck.sort_unstable();
        Err(stuck)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn run(input: &[DumpId], edges: &[(DumpId, DumpId)]) -> Result<Vec<DumpId>, Vec<DumpId>> {
        let mut deps: HashMap<DumpId, Vec<DumpId>> = HashMap::new();
        for &id in input {
            deps.entry(id).or_default();
        }
        for &(a, b) in edges {
            deps.entry(a).or_default().push(b);
        }
        topo_sort(input, |id| deps.get(&id).map(Vec::as_slice).unwrap_or(&[]))
    }

    fn object(dump_id: DumpId, oid: u32, kind: Kind, tie_break: TieBreak) -> DumpObject {
        DumpObject {
            dump_id,
            catalog_id: pgark_formats::model::CatalogId { table_oid: 0, oid },
            kind,
            name: "t".into(),
            namespace: Some("s".into()),
            tie_break,
            deps: Vec::new(),
            dump: crate::objects::Components::ALL,
            model: 0,
        }
    }

    #[test]
    fn parent_name_breaks_ties_before_oid() {
        // Default ACLs of one schema and object type: by role name, not OID.
        let objects = [
            object(
                1,
                10,
                Kind::DefaultAcl,
                TieBreak::ParentName("pg_signal_backend".into()),
            ),
            object(
                2,
                20,
                Kind::DefaultAcl,
                TieBreak::ParentName("pg_read_all_settings".into()),
            ),
        ];
        assert_eq!(presort(&objects), vec![2, 1]);
    }

    #[test]
    fn type_sorts_before_its_shell() {
        let objects = [
            object(1, 0, Kind::ShellType, TieBreak::None),
            object(2, 5, Kind::Type, TieBreak::None),
        ];
        assert_eq!(presort(&objects), vec![2, 1]);
    }

    #[test]
    fn keeps_input_order_without_constraints() {
        assert_eq!(run(&[3, 1, 2], &[]), Ok(vec![3, 1, 2]));
    }

    #[test]
    fn moves_only_what_must_move() {
        // author(1) book(2) view(3) tag(4) seq(5); book needs seq: seq moves just before book.
        assert_eq!(run(&[1, 2, 3, 4, 5], &[(2, 5)]), Ok(vec![1, 5, 2, 3, 4]));
    }

    #[test]
    fn dependency_chain_reorders_transitively() {
        assert_eq!(run(&[1, 2, 3], &[(1, 2), (2, 3)]), Ok(vec![3, 2, 1]));
    }

    #[test]
    fn reports_loop_members_and_their_dependents() {
        // 1 <-> 2 loop, 3 depends on 1; 4 free.
        assert_eq!(
            run(&[1, 2, 3, 4], &[(1, 2), (2, 1), (3, 1)]),
            Err(vec![1, 2])
        );
    }

    #[test]
    fn duplicate_edges_count_symmetrically() {
        assert_eq!(run(&[1, 2], &[(1, 2), (1, 2)]), Ok(vec![2, 1]));
    }
}
