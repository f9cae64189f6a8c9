//! Selection rules of `select::plan` on hand-built TOCs, one stock rule per test
//! (PostgreSQL 18 `_tocEntryRequired`; the expectations were checked against stock
//! `pg_restore -l` on real archives — see compat-tests/tests/list_stock.rs).

use pgark_formats::model::*;
use pgark_formats::select::{plan, restore_pass, Reqs, RestorePass, SectionSet, SelectError, Selection, UseList};
use pgark_formats::version::ArchiveVersion;

struct E {
    id: DumpId,
    desc: &'static str,
    section: Section,
    ns: Option<&'static str>,
    tag: &'static str,
    defn: Option<&'static str>,
    had_dumper: bool,
    deps: Vec<DumpId>,
}

fn e(id: DumpId, desc: &'static str, section: Section, ns: Option<&'static str>, tag: &'static str) -> E {
    E { id, desc, section, ns, tag, defn: Some("CREATE something;\n"), had_dumper: false, deps: vec![] }
}

impl E {
    fn deps(mut self, d: &[DumpId]) -> E {
        self.deps = d.to_vec();
        self
    }
    fn data(mut self) -> E {
        self.had_dumper = true;
        self.defn = None;
        self
    }
    fn defn(mut self, d: Option<&'static str>) -> E {
        self.defn = d;
        self
    }
    fn build(self) -> TocEntry {
        TocEntry {
            dump_id: self.id,
            had_dumper: self.had_dumper,
            catalog_id: CatalogId::default(),
            tag: Some(self.tag.as_bytes().to_vec()),
            desc: Desc::from_bytes(self.desc.as_bytes()),
            section: self.section,
            defn: self.defn.map(|d| d.as_bytes().to_vec()),
            drop_stmt: None,
            copy_stmt: None,
            namespace: self.ns.map(|n| n.as_bytes().to_vec()),
            tablespace: None,
            table_am: None,
            relkind: 0,
            owner: Some(b"postgres".to_vec()),
            with_oids: None,
            dependencies: self.deps,
            data_location: DataLocation::Custom(CustomOffset::NoData),
        }
    }
}

fn toc(entries: Vec<E>) -> Toc {
    Toc {
        header: Header {
            version: ArchiveVersion::V1_16,
            int_size: 4,
            off_size: 8,
            format: FormatCode::Custom,
            compression: HeaderCompression::Algorithm(CompressionAlgorithm::None),
            created: None,
            database_name: Some(b"db".to_vec()),
            server_version: None,
            dump_version: None,
        },
        entries: entries.into_iter().map(E::build).collect(),
    }
}

use Section::{Data as D, None as N, PostData as Post, PreData as Pre};

/// An archive shaped like stock's (18, with statistics and a large object).
fn sample() -> Toc {
    toc(vec![
        e(1, "ENCODING", Pre, None, "ENCODING"),
        e(2, "STDSTRINGS", Pre, None, "STDSTRINGS"),
        e(3, "SEARCHPATH", Pre, None, "SEARCHPATH"),
        e(4, "DATABASE", Pre, None, "db"),
        e(5, "COMMENT", N, None, "DATABASE db").deps(&[4]),
        e(6, "SCHEMA", Pre, None, "app"),
        e(7, "FUNCTION", Pre, Some("app"), "f(integer)").deps(&[6]),
        e(8, "TABLE", Pre, Some("app"), "customer").deps(&[6]),
        e(9, "COMMENT", N, Some("app"), "TABLE customer").deps(&[8]),
        e(10, "ACL", N, Some("app"), "TABLE customer").deps(&[8]),
        e(11, "ACL", N, Some("app"), "COLUMN customer.name").deps(&[8, 10]),
        e(12, "TABLE", Pre, Some("public"), "other"),
        e(13, "SEQUENCE", Pre, Some("app"), "seq").deps(&[6]),
        e(14, "MATERIALIZED VIEW", Pre, Some("app"), "mv").deps(&[8]),
        e(20, "TABLE DATA", D, Some("app"), "customer").data().deps(&[8]),
        e(21, "TABLE DATA", D, Some("public"), "other").data().deps(&[12]),
        e(22, "SEQUENCE SET", D, Some("app"), "seq").defn(Some("SELECT pg_catalog.setval('app.seq', 1, false);\n")).deps(&[13]),
        e(23, "BLOB METADATA", D, None, "424242").defn(Some("424242\n")),
        e(24, "COMMENT", N, None, "LARGE OBJECT 424242").deps(&[23]),
        e(25, "BLOBS", D, None, "424242").data().deps(&[23]),
        e(26, "STATISTICS DATA", D, Some("app"), "customer").deps(&[8]),
        e(30, "INDEX", Post, Some("app"), "customer_name").deps(&[8]),
        e(31, "STATISTICS DATA", Post, Some("app"), "customer_name").deps(&[30]),
        e(32, "TRIGGER", Post, Some("app"), "customer t1").deps(&[8, 7]),
        e(33, "MATERIALIZED VIEW DATA", Post, Some("app"), "mv").defn(Some("REFRESH MATERIALIZED VIEW app.mv;\n")).deps(&[14]),
        e(34, "POLICY", Post, Some("app"), "customer p1").deps(&[8]),
        e(35, "ROW SECURITY", Post, Some("app"), "customer").deps(&[8]),
        e(36, "PUBLICATION", Post, None, "pub"),
        e(37, "PUBLICATION TABLE", Post, Some("app"), "pub customer").deps(&[36, 8]),
        e(38, "SUBSCRIPTION", Post, None, "sub"),
        e(39, "SECURITY LABEL", N, Some("app"), "TABLE customer").deps(&[8]),
        e(40, "DEFAULT ACL", Post, None, "DEFAULT PRIVILEGES FOR TABLES"),
        e(41, "EVENT TRIGGER", Post, None, "et"),
        e(42, "COMMENT", N, None, "EVENT TRIGGER et").deps(&[41]),
    ])
}

/// Dump IDs of the wanted entries, in plan order.
fn wanted(toc: &Toc, sel: &Selection) -> Vec<DumpId> {
    plan(toc, sel).wanted().map(|i| toc.entries[i.index].dump_id).collect()
}

fn reqs_of(toc: &Toc, sel: &Selection, id: DumpId) -> Reqs {
    let p = plan(toc, sel);
    let index = toc.entries.iter().position(|e| e.dump_id == id).expect("id present");
    p.reqs_of(index)
}

#[test]
fn default_selection_wants_everything_but_database_entries() {
    let t = sample();
    let sel = Selection::default();
    let w = wanted(&t, &sel);
    assert!(!w.contains(&4) && !w.contains(&5), "DATABASE and its comment need -C: {w:?}");
    for special in [1, 2, 3] {
        assert!(!w.contains(&special));
        assert!(reqs_of(&t, &sel, special).special());
    }
    assert_eq!(w.len(), t.entries.len() - 5);
    assert_eq!(reqs_of(&t, &sel, 8), Reqs::new(true, false, false));
    assert_eq!(reqs_of(&t, &sel, 20), Reqs::new(false, true, false));
    assert_eq!(reqs_of(&t, &sel, 22), Reqs::new(false, true, false), "SEQUENCE SET is data");
    assert_eq!(reqs_of(&t, &sel, 23), Reqs::new(false, true, false), "BLOB METADATA is data");
    assert_eq!(reqs_of(&t, &sel, 24), Reqs::new(false, true, false), "LO comments are data");
    assert_eq!(reqs_of(&t, &sel, 26), Reqs::new(false, false, true), "statistics");
    assert_eq!(reqs_of(&t, &sel, 33), Reqs::new(true, false, false), "matview data is schema");
}

#[test]
fn create_db_brings_database_entries_alone() {
    let t = sample();
    let sel = Selection { create_db: true, ..Selection::default() };
    let w = wanted(&t, &sel);
    assert!(w.contains(&4) && w.contains(&5));
    assert_eq!(reqs_of(&t, &sel, 4), Reqs::new(true, false, false));
    // With -C, DATABASE stays wanted even when schema is off.
    let sel = Selection { create_db: true, dump_schema: false, ..Selection::default() };
    assert!(wanted(&t, &sel).contains(&4));
}

#[test]
fn schema_only_and_data_only() {
    let t = sample();
    let schema_only = Selection { dump_data: false, dump_statistics: false, ..Selection::default() };
    let w = wanted(&t, &schema_only);
    for data in [20, 21, 22, 23, 24, 25, 26, 31] {
        assert!(!w.contains(&data), "{data} is not schema");
    }
    assert!(w.contains(&33), "-s keeps MATERIALIZED VIEW DATA");
    let data_only = Selection { dump_schema: false, dump_statistics: false, ..Selection::default() };
    assert_eq!(wanted(&t, &data_only), vec![20, 21, 22, 23, 24, 25]);
    let stats_only = Selection { dump_schema: false, dump_data: false, ..Selection::default() };
    assert_eq!(wanted(&t, &stats_only), vec![26, 31]);
}

#[test]
fn sequence_data_and_binary_upgrade_survive_data_less_selection() {
    let t = sample();
    let sel = Selection { dump_data: false, sequence_data: true, ..Selection::default() };
    assert!(wanted(&t, &sel).contains(&22));
    let sel = Selection { dump_data: false, binary_upgrade: true, ..Selection::default() };
    let w = wanted(&t, &sel);
    assert!(w.contains(&23) && w.contains(&24) && !w.contains(&25));
}

#[test]
fn table_selection_follows_dependents() {
    let t = sample();
    let sel = Selection { table_names: vec![b"customer".to_vec()], ..Selection::default() };
    // TABLE, its COMMENT, ACL, column ACL (its table ACL dependency is ignored, the
    // table one counts), TABLE DATA, STATISTICS DATA, SECURITY LABEL; not indexes,
    // triggers, policies, ROW SECURITY or the publication entry.
    assert_eq!(wanted(&t, &sel), vec![8, 9, 10, 11, 20, 26, 39]);
}

#[test]
fn statistics_follow_their_relation_kind_not_its_marking() {
    let t = sample();
    // `--section=data -t customer`: the table is not restored, its statistics are.
    let sel = Selection {
        table_names: vec![b"customer".to_vec()],
        sections: SectionSet::from_sections(&[Section::Data]),
        ..Selection::default()
    };
    assert_eq!(wanted(&t, &sel), vec![20, 26]);
    // A list naming only the statistics, then the table after them.
    let sel = Selection {
        table_names: vec![b"customer".to_vec()],
        use_list: Some(UseList { ids: vec![26, 9, 8] }),
        strict_names: true,
        ..Selection::default()
    };
    let p = plan(&t, &sel);
    let w: Vec<DumpId> = p.wanted().map(|i| t.entries[i.index].dump_id).collect();
    assert_eq!(w, vec![26, 8], "the comment before its table is dropped, the statistics are not");
    assert_eq!(p.check_strict_names(&sel), Ok(()));
    // Index statistics need -I, table statistics -t.
    let sel = Selection { index_names: vec![b"customer".to_vec()], ..Selection::default() };
    assert!(wanted(&t, &sel).is_empty());
    let sel = Selection { table_names: vec![b"customer_name".to_vec()], ..Selection::default() };
    assert!(wanted(&t, &sel).is_empty());
}

#[test]
fn table_names_match_relations_of_every_kind_literally() {
    let t = sample();
    let sel = Selection { table_names: vec![b"seq".to_vec(), b"mv".to_vec()], ..Selection::default() };
    assert_eq!(wanted(&t, &sel), vec![13, 14, 22, 33]);
    let qualified = Selection { table_names: vec![b"app.customer".to_vec()], ..Selection::default() };
    assert!(wanted(&t, &qualified).is_empty(), "names are not schema-qualified");
}

#[test]
fn index_function_trigger_selection() {
    let t = sample();
    let sel = Selection { index_names: vec![b"customer_name".to_vec()], ..Selection::default() };
    assert_eq!(wanted(&t, &sel), vec![30, 31]);
    let sel = Selection { function_names: vec![b"f(integer)".to_vec()], ..Selection::default() };
    assert_eq!(wanted(&t, &sel), vec![7]);
    let sel = Selection { function_names: vec![b"f".to_vec()], ..Selection::default() };
    assert!(wanted(&t, &sel).is_empty(), "functions need their argument list");
    let sel = Selection { trigger_names: vec![b"customer t1".to_vec()], ..Selection::default() };
    assert_eq!(wanted(&t, &sel), vec![32]);
}

#[test]
fn schema_include_and_exclude() {
    let t = sample();
    let sel = Selection { schema_names: vec![b"app".to_vec()], ..Selection::default() };
    let w = wanted(&t, &sel);
    assert!(!w.contains(&6), "SCHEMA entries have no namespace");
    assert!(!w.contains(&12) && !w.contains(&21) && !w.contains(&23) && !w.contains(&24));
    assert!(w.contains(&8) && w.contains(&9) && w.contains(&26) && w.contains(&37));
    let sel = Selection { exclude_schema_names: vec![b"app".to_vec()], ..Selection::default() };
    let w = wanted(&t, &sel);
    assert!(w.contains(&6), "-N app keeps SCHEMA app itself");
    assert!(!w.contains(&8) && !w.contains(&9) && !w.contains(&26));
    assert!(w.contains(&12) && w.contains(&23) && w.contains(&24), "LO comment follows its metadata");
    assert!(w.contains(&41) && w.contains(&42), "a comment follows its wanted parent");
}

#[test]
fn class_exclusions() {
    let t = sample();
    let cases: Vec<(Selection, Vec<DumpId>)> = vec![
        (Selection { acls_skip: true, ..Selection::default() }, vec![10, 11, 40]),
        (Selection { no_comments: true, ..Selection::default() }, vec![9, 24, 42]),
        (Selection { no_policies: true, ..Selection::default() }, vec![34, 35]),
        (Selection { no_publications: true, ..Selection::default() }, vec![36, 37]),
        (Selection { no_security_labels: true, ..Selection::default() }, vec![39]),
        (Selection { no_subscriptions: true, ..Selection::default() }, vec![38]),
    ];
    let all = wanted(&t, &Selection::default());
    for (sel, gone) in cases {
        let w = wanted(&t, &sel);
        let missing: Vec<DumpId> = all.iter().copied().filter(|id| !w.contains(id)).collect();
        assert_eq!(missing, gone, "{sel:?}");
    }
}

#[test]
fn sections_follow_the_last_sectioned_entry() {
    let t = sample();
    let sel = Selection { sections: SectionSet { pre_data: false, data: true, post_data: false }, ..Selection::default() };
    // The LO comment (section NONE) sits among data entries, so it counts as data.
    assert_eq!(wanted(&t, &sel), vec![20, 21, 22, 23, 24, 25, 26]);
    let sel = Selection { sections: SectionSet { pre_data: true, data: false, post_data: false }, ..Selection::default() };
    assert_eq!(wanted(&t, &sel), vec![6, 7, 8, 9, 10, 11, 12, 13, 14]);
}

#[test]
fn use_list_selects_and_reorders() {
    let t = sample();
    let sel = Selection { use_list: Some(UseList { ids: vec![20, 8, 6] }), ..Selection::default() };
    let p = plan(&t, &sel);
    let order: Vec<DumpId> = p.items().iter().map(|i| t.entries[i.index].dump_id).collect();
    // Unlisted entries first (in archive order, all unwanted), then the list's order.
    assert_eq!(&order[order.len() - 3..], &[20, 8, 6]);
    assert_eq!(order.len(), t.entries.len());
    assert_eq!(wanted(&t, &sel), vec![20, 8, 6]);
    // Special entries still count as special when unlisted.
    assert!(p.items()[0].reqs.special());
}

#[test]
fn use_list_dependents_before_parent_are_dropped_only_when_selective() {
    let t = sample();
    let listed = UseList { ids: vec![9, 8] };
    let sel = Selection { use_list: Some(listed.clone()), ..Selection::default() };
    assert_eq!(wanted(&t, &sel), vec![9, 8]);
    let sel = Selection { use_list: Some(listed), schema_names: vec![b"app".to_vec()], ..Selection::default() };
    assert_eq!(wanted(&t, &sel), vec![8], "the comment is judged before its table is marked");
}

#[test]
fn load_via_partition_root_and_empty_definitions_have_no_schema() {
    let t = toc(vec![
        e(1, "TABLE DATA", D, Some("s"), "part1").data().defn(Some("-- load via partition root s.parent")),
        e(2, "TABLE", Pre, Some("s"), "t").defn(Some("")),
        e(3, "TABLE", Pre, Some("s"), "u").defn(None),
    ]);
    let sel = Selection::default();
    assert_eq!(reqs_of(&t, &sel, 1), Reqs::new(false, true, false));
    assert!(reqs_of(&t, &sel, 2).is_none());
    assert!(reqs_of(&t, &sel, 3).is_none());
    // A dumper's entry with a real definition would be both.
    let t = toc(vec![e(1, "BLOBS", D, None, "BLOBS").data().defn(Some("x"))]);
    assert_eq!(reqs_of(&t, &sel, 1), Reqs::new(true, true, false));
}

#[test]
fn strict_names_report_first_unmatched_in_stock_order() {
    let t = sample();
    let sel = Selection {
        strict_names: true,
        schema_names: vec![b"app".to_vec(), b"nope".to_vec()],
        table_names: vec![b"missing".to_vec()],
        ..Selection::default()
    };
    let p = plan(&t, &sel);
    assert_eq!(p.check_strict_names(&sel), Err(SelectError::SchemaNotFound(b"nope".to_vec())));
    assert_eq!(p.check_strict_names(&sel).expect_err("fails").to_string(), "schema \"nope\" not found");
    let sel = Selection {
        strict_names: true,
        table_names: vec![b"customer".to_vec(), b"missing".to_vec()],
        index_names: vec![b"gone".to_vec()],
        ..Selection::default()
    };
    assert_eq!(
        plan(&t, &sel).check_strict_names(&sel).expect_err("fails").to_string(),
        "table \"missing\" not found"
    );
    let sel = Selection { strict_names: true, trigger_names: vec![b"customer t1".to_vec()], ..Selection::default() };
    assert_eq!(plan(&t, &sel).check_strict_names(&sel), Ok(()));
    // Off: never an error.
    let sel = Selection { table_names: vec![b"missing".to_vec()], ..Selection::default() };
    assert_eq!(plan(&t, &sel).check_strict_names(&sel), Ok(()));
    // A name only "matches" when stock actually compared it: -n with a section that
    // excludes everything leaves it untouched.
    let sel = Selection {
        strict_names: true,
        schema_names: vec![b"app".to_vec()],
        sections: SectionSet::from_sections(&[Section::PostData]),
        use_list: Some(UseList { ids: vec![6] }),
        ..Selection::default()
    };
    assert_eq!(plan(&t, &sel).check_strict_names(&sel), Err(SelectError::SchemaNotFound(b"app".to_vec())));
}

#[test]
fn restore_passes() {
    let t = sample();
    let pass = |id: DumpId| restore_pass(t.entries.iter().find(|e| e.dump_id == id).expect("present"));
    assert_eq!(pass(8), RestorePass::Main);
    assert_eq!(pass(10), RestorePass::Acl);
    assert_eq!(pass(40), RestorePass::Acl);
    assert_eq!(pass(41), RestorePass::PostAcl);
    assert_eq!(pass(42), RestorePass::PostAcl);
    assert_eq!(pass(33), RestorePass::PostAcl);
    assert_eq!(pass(26), RestorePass::Main, "table statistics: data section, main pass");
    assert_eq!(pass(31), RestorePass::PostAcl, "index statistics: post-data, after ACLs");
    assert_eq!(pass(9), RestorePass::Main);
    let p = plan(&t, &Selection::default());
    assert!(p.items().iter().all(|i| i.pass == restore_pass(&t.entries[i.index])));
}

#[test]
fn implied_no_schema() {
    let t = sample();
    let sel = Selection { use_list: Some(UseList { ids: vec![20, 21] }), ..Selection::default() };
    assert!(!plan(&t, &sel).has_schema_entries());
    assert!(plan(&t, &Selection::default()).has_schema_entries());
}

#[test]
fn comments_of_skipped_publications_subscriptions_and_policies_go_too() {
    let t = toc(vec![
        e(1, "PUBLICATION", Post, None, "pub"),
        e(2, "COMMENT", N, None, "PUBLICATION pub").deps(&[1]),
        e(3, "SUBSCRIPTION", Post, None, "sub"),
        e(4, "COMMENT", N, None, "SUBSCRIPTION sub").deps(&[3]),
        e(5, "SECURITY LABEL", N, None, "SUBSCRIPTION sub").deps(&[3]),
        e(6, "POLICY", Post, Some("s"), "t p"),
        e(7, "COMMENT", N, Some("s"), "POLICY p ON t").deps(&[6]),
    ]);
    assert_eq!(wanted(&t, &Selection::default()), vec![1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(wanted(&t, &Selection { no_publications: true, ..Selection::default() }), vec![3, 4, 5, 6, 7]);
    assert_eq!(wanted(&t, &Selection { no_subscriptions: true, ..Selection::default() }), vec![1, 2, 6, 7]);
    assert_eq!(wanted(&t, &Selection { no_policies: true, ..Selection::default() }), vec![1, 2, 3, 4, 5]);
}
