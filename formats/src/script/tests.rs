//! Unit tests of the script renderer on hand-built TOCs. The byte-for-byte comparison
//! with stock pg_restore lives in `compat-tests/tests/script_stock.rs`.

use super::*;
use crate::model::{ArchiveTime, CatalogId, FormatCode, CompressionAlgorithm, Header, HeaderCompression, Section};
use crate::model::DumpId;
use crate::select::Reqs;
use std::collections::HashMap;
use std::io::Cursor;

fn header() -> Header {
    Header {
        version: ArchiveVersion::V1_16,
        int_size: 4,
        off_size: 8,
        format: FormatCode::Custom,
        compression: HeaderCompression::Algorithm(CompressionAlgorithm::None),
        created: Some(ArchiveTime::default()),
        database_name: Some(b"db".to_vec()),
        server_version: Some(b"18.6".to_vec()),
        dump_version: Some(b"18.6".to_vec()),
    }
}

fn entry(id: DumpId, desc: Desc, tag: &str, section: Section) -> TocEntry {
    TocEntry {
        dump_id: id,
        had_dumper: false,
        catalog_id: CatalogId::default(),
        tag: Some(tag.as_bytes().to_vec()),
        desc,
        section,
        defn: None,
        drop_stmt: None,
        copy_stmt: None,
        namespace: None,
        tablespace: None,
        table_am: None,
        relkind: 0,
        owner: None,
        with_oids: Some(b"false".to_vec()),
        dependencies: vec![],
        data_location: DataLocation::Custom(CustomOffset::NoData),
    }
}

fn specials() -> Vec<TocEntry> {
    let mut enc = entry(1, Desc::Encoding, "ENCODING", Section::PreData);
    enc.defn = Some(b"SET client_encoding = 'UTF8';\n".to_vec());
    let mut std = entry(2, Desc::StdStrings, "STDSTRINGS", Section::PreData);
    std.defn = Some(b"SET standard_conforming_strings = 'on';\n".to_vec());
    let mut sp = entry(3, Desc::SearchPath, "SEARCHPATH", Section::PreData);
    sp.defn = Some(b"SELECT pg_catalog.set_config('search_path', '', false);\n".to_vec());
    vec![enc, std, sp]
}

fn table(id: DumpId, ns: &str, name: &str, owner: &str) -> TocEntry {
    let mut t = entry(id, Desc::Table, name, Section::PreData);
    t.namespace = Some(ns.as_bytes().to_vec());
    t.owner = Some(owner.as_bytes().to_vec());
    t.tablespace = Some(Vec::new());
    t.table_am = Some(b"heap".to_vec());
    t.relkind = b'r';
    t.defn = Some(format!("CREATE TABLE {ns}.{name} (\n    a integer\n);\n").into_bytes());
    t.drop_stmt = Some(format!("DROP TABLE {ns}.{name};\n").into_bytes());
    t
}

fn table_data(id: DumpId, of: DumpId, ns: &str, name: &str, owner: &str) -> TocEntry {
    let mut d = entry(id, Desc::TableData, name, Section::Data);
    d.had_dumper = true;
    d.namespace = Some(ns.as_bytes().to_vec());
    d.owner = Some(owner.as_bytes().to_vec());
    d.copy_stmt = Some(format!("COPY {ns}.{name} (a) FROM stdin;\n").into_bytes());
    d.dependencies = vec![of];
    d.data_location = DataLocation::Custom(CustomOffset::PosSet(1234));
    d
}

/// Data held in memory, keyed by dump ID.
#[derive(Default)]
struct MemorySource {
    data: HashMap<DumpId, Vec<u8>>,
    los: HashMap<DumpId, Vec<(u32, Vec<u8>)>>,
}

impl DataSource for MemorySource {
    fn entry_data(&mut self, entry: &TocEntry) -> Result<Option<Box<dyn Read + '_>>> {
        Ok(self.data.get(&entry.dump_id).map(|d| Box::new(Cursor::new(d.clone())) as Box<dyn Read>))
    }
    fn large_objects(
        &mut self,
        entry: &TocEntry,
        each: &mut dyn FnMut(u32, &mut dyn Read) -> Result<()>,
    ) -> Result<()> {
        for (oid, bytes) in self.los.get(&entry.dump_id).cloned().unwrap_or_default() {
            each(oid, &mut Cursor::new(bytes))?;
        }
        Ok(())
    }
}

/// Everything wanted, as a plain restore would, in archive order.
fn plan_all(toc: &Toc) -> Vec<PlannedEntry> {
    toc.entries
        .iter()
        .enumerate()
        .map(|(index, e)| {
            let reqs = match e.desc {
                Desc::Encoding | Desc::StdStrings | Desc::SearchPath => Reqs::special_entry(),
                Desc::TableData | Desc::Blobs | Desc::SequenceSet | Desc::BlobMetadata => Reqs::new(false, true, false),
                Desc::StatisticsData => Reqs::new(false, false, true),
                _ => Reqs::new(true, false, false),
            };
            PlannedEntry { index, reqs, pass: crate::select::restore_pass(e) }
        })
        .collect()
}

fn render(toc: &Toc, plan: &[PlannedEntry], opts: &ScriptOptions, src: &mut MemorySource) -> String {
    let mut out = Vec::new();
    render_script(toc, plan, opts, src, &mut out).expect("render");
    String::from_utf8(out).expect("utf8 output")
}

fn keyed() -> ScriptOptions {
    ScriptOptions { restrict_key: Some(b"KEY".to_vec()), print_data_locations: true, ..ScriptOptions::default() }
}

const PREAMBLE: &str = "--\n-- PostgreSQL database dump\n--\n\n\\restrict KEY\n\n\
-- Dumped from database version 18.6\n-- Dumped by pg_dump version 18.6\n\n\
SET statement_timeout = 0;\nSET lock_timeout = 0;\nSET idle_in_transaction_session_timeout = 0;\n\
SET transaction_timeout = 0;\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\
SELECT pg_catalog.set_config('search_path', '', false);\nSET check_function_bodies = false;\n\
SET xmloption = content;\nSET client_min_messages = warning;\nSET row_security = off;\n\n";

const EPILOGUE: &str = "--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict KEY\n\n";

#[test]
fn empty_archive_is_preamble_and_epilogue() {
    let toc = Toc { header: header(), entries: specials() };
    let out = render(&toc, &plan_all(&toc), &keyed(), &mut MemorySource::default());
    assert_eq!(out, format!("{PREAMBLE}{EPILOGUE}"));
}

#[test]
fn table_with_data_prints_definition_owner_and_copy() {
    let mut entries = specials();
    entries.push(table(10, "public", "t", "alice"));
    entries.push(table_data(11, 10, "public", "t", "alice"));
    let toc = Toc { header: header(), entries };
    let mut src = MemorySource::default();
    src.data.insert(11, b"1\n\\.\n\n\n".to_vec());
    let out = render(&toc, &plan_all(&toc), &keyed(), &mut src);
    let body = "SET default_tablespace = '';\n\nSET default_table_access_method = heap;\n\n\
--\n-- Name: t; Type: TABLE; Schema: public; Owner: alice\n--\n\n\
CREATE TABLE public.t (\n    a integer\n);\n\n\n\
ALTER TABLE public.t OWNER TO alice;\n\n\
--\n-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: alice\n--\n\n\
COPY public.t (a) FROM stdin;\n1\n\\.\n\n\n";
    assert_eq!(out, format!("{PREAMBLE}{body}{EPILOGUE}"));
}

#[test]
fn verbose_adds_ids_dependencies_and_positions() {
    let mut entries = specials();
    entries.push(table(10, "public", "t", "alice"));
    entries.push(table_data(11, 10, "public", "t", "alice"));
    let toc = Toc { header: header(), entries };
    let opts = ScriptOptions { verbose: true, started_on: Some("2026-01-01 00:00:00 UTC".into()), ..keyed() };
    let out = render(&toc, &plan_all(&toc), &opts, &mut MemorySource::default());
    assert!(out.contains("\n-- Started on 2026-01-01 00:00:00 UTC\n\nSET statement_timeout"));
    assert!(out.contains("--\n-- TOC entry 11 (class 0 OID 0)\n-- Dependencies: 10\n-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: alice\n-- Data Pos: 1234\n--\n"));
    assert!(out.contains("-- TOC entry 10 (class 0 OID 0)\n-- Name: t; Type: TABLE; Schema: public; Owner: alice\n-- Data Pos: 0\n"));
}

#[test]
fn no_owner_and_session_authorization() {
    let mut entries = specials();
    entries.push(table(10, "public", "t", "alice"));
    let toc = Toc { header: header(), entries };
    let plan = plan_all(&toc);
    let out = render(&toc, &plan, &ScriptOptions { no_owner: true, ..keyed() }, &mut MemorySource::default());
    assert!(out.contains("-- Name: t; Type: TABLE; Schema: public; Owner: -\n"));
    assert!(!out.contains("OWNER TO"));
    let out = render(
        &toc,
        &plan,
        &ScriptOptions { use_set_session_authorization: true, ..keyed() },
        &mut MemorySource::default(),
    );
    assert!(out.contains("SET SESSION AUTHORIZATION 'alice';\n\nSET default_tablespace"));
    assert!(!out.contains("OWNER TO"));
}

#[test]
fn hostile_names_cannot_break_out_of_comments_or_identifiers() {
    let mut entries = specials();
    let mut t = table(10, "public", "x", "bob\n\\! echo pwned");
    t.tag = Some(b"evil\n\\! echo pwned".to_vec());
    t.drop_stmt = Some(b"DROP TABLE public.\"evil\n\\! echo pwned\";\n".to_vec());
    entries.push(t);
    let toc = Toc { header: header(), entries };
    let out = render(&toc, &plan_all(&toc), &keyed(), &mut MemorySource::default());
    assert!(out.contains("-- Name: evil \\! echo pwned; Type: TABLE; Schema: public; Owner: bob \\! echo pwned\n"));
    assert!(out.contains("ALTER TABLE public.\"evil\n\\! echo pwned\" OWNER TO \"bob\n\\! echo pwned\";"));
    // The only line starting with the meta-command is inside the quoted identifier,
    // where psql does not look for backslash commands.
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("\\!")).collect();
    assert_eq!(lines, vec!["\\! echo pwned\" OWNER TO \"bob", "\\! echo pwned\";"]);
}

#[test]
fn clean_if_exists_rewrites_drops_in_reverse_order() {
    let mut entries = specials();
    entries.push(table(10, "public", "t", "alice"));
    let mut c = entry(12, Desc::Constraint, "t t_pkey", Section::PostData);
    c.namespace = Some(b"public".to_vec());
    c.defn = Some(b"ALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (a);\n".to_vec());
    c.drop_stmt = Some(b"ALTER TABLE ONLY public.t DROP CONSTRAINT t_pkey;\n".to_vec());
    c.owner = Some(b"alice".to_vec());
    entries.push(c);
    let toc = Toc { header: header(), entries };
    let opts = ScriptOptions { clean: true, if_exists: true, ..keyed() };
    let out = render(&toc, &plan_all(&toc), &opts, &mut MemorySource::default());
    let drops = "ALTER TABLE IF EXISTS ONLY public.t DROP CONSTRAINT IF EXISTS t_pkey;\nDROP TABLE IF EXISTS public.t;\n";
    assert!(out.starts_with(&format!("{PREAMBLE}{drops}")), "{out}");
}

#[test]
fn large_objects_are_written_in_16k_pieces() {
    let mut entries = specials();
    let mut meta = entry(20, Desc::BlobMetadata, "7..8", Section::Data);
    meta.defn = Some(b"7\n8\n".to_vec());
    meta.drop_stmt = Some(b"-- dummy".to_vec());
    meta.owner = Some(b"postgres".to_vec());
    entries.push(meta);
    let mut blobs = entry(21, Desc::Blobs, "7..8", Section::Data);
    blobs.had_dumper = true;
    blobs.owner = Some(b"postgres".to_vec());
    blobs.dependencies = vec![20];
    entries.push(blobs);
    let toc = Toc { header: header(), entries };
    let mut src = MemorySource::default();
    src.los.insert(21, vec![(7, vec![0xab; LO_BUFFER_SIZE + 1]), (8, Vec::new())]);
    let out = render(&toc, &plan_all(&toc), &keyed(), &mut src);
    assert!(out.contains(
        "SELECT pg_catalog.lo_create('7');\nSELECT pg_catalog.lo_create('8');\n\n\
ALTER LARGE OBJECT 7 OWNER TO postgres;\nALTER LARGE OBJECT 8 OWNER TO postgres;\n\n"
    ));
    let full = format!("SELECT pg_catalog.lowrite(0, '\\x{}');\n", "ab".repeat(LO_BUFFER_SIZE));
    let expected = format!(
        "BEGIN;\n\nSELECT pg_catalog.lo_open('7', 131072);\n{full}SELECT pg_catalog.lowrite(0, '\\xab');\n\
SELECT pg_catalog.lo_close(0);\n\nSELECT pg_catalog.lo_open('8', 131072);\nSELECT pg_catalog.lo_close(0);\n\nCOMMIT;\n\n"
    );
    assert!(out.contains(&expected), "{out}");
}

#[test]
fn large_object_acl_groups_are_expanded_per_object() {
    let mut entries = specials();
    let mut meta = entry(20, Desc::BlobMetadata, "7..8", Section::Data);
    meta.defn = Some(b"7\n8\n".to_vec());
    meta.drop_stmt = Some(b"-- dummy".to_vec());
    entries.push(meta);
    let mut acl = entry(22, Desc::Acl, "LARGE OBJECTS 7..8", Section::None);
    acl.defn = Some(b"GRANT SELECT ON LARGE OBJECT 7 TO \"we;ird\";\nREVOKE ALL ON LARGE OBJECT 7 FROM PUBLIC;\n".to_vec());
    acl.dependencies = vec![20];
    entries.push(acl);
    let toc = Toc { header: header(), entries };
    let out = render(&toc, &plan_all(&toc), &keyed(), &mut MemorySource::default());
    assert!(out.contains(
        "GRANT SELECT ON LARGE OBJECT 7 TO \"we;ird\";\nGRANT SELECT ON LARGE OBJECT 8 TO \"we;ird\";\n\n\
REVOKE ALL ON LARGE OBJECT 7 FROM PUBLIC;\nREVOKE ALL ON LARGE OBJECT 8 FROM PUBLIC;\n\n"
    ), "{out}");
}

#[test]
fn create_reconnects_between_unrestrict_and_restrict() {
    let mut entries = specials();
    let mut db = entry(5, Desc::Database, "My DB", Section::PreData);
    db.defn = Some(b"CREATE DATABASE \"My DB\";\n".to_vec());
    db.drop_stmt = Some(b"DROP DATABASE \"My DB\";\n".to_vec());
    db.owner = Some(b"postgres".to_vec());
    entries.push(db);
    let toc = Toc { header: header(), entries };
    let out = render(&toc, &plan_all(&toc), &ScriptOptions { create_db: true, ..keyed() }, &mut MemorySource::default());
    assert!(out.contains(
        "ALTER DATABASE \"My DB\" OWNER TO postgres;\n\n\\unrestrict KEY\n\\encoding SQL_ASCII\n\
\\connect -reuse-previous=on \"dbname='My DB'\"\n\\restrict KEY\n\nSET statement_timeout = 0;\n"
    ), "{out}");
}

#[test]
fn unknown_owned_desc_is_fatal() {
    let mut entries = specials();
    let mut odd = entry(10, Desc::Other(b"GIZMO".to_vec()), "g", Section::PreData);
    odd.defn = Some(b"CREATE GIZMO g;\n".to_vec());
    odd.drop_stmt = Some(b"DROP GIZMO g;\n".to_vec());
    odd.owner = Some(b"alice".to_vec());
    entries.push(odd);
    let toc = Toc { header: header(), entries };
    let mut out = Vec::new();
    let err = render_script(&toc, &plan_all(&toc), &keyed(), &mut MemorySource::default(), &mut out)
        .expect_err("must fail");
    assert_eq!(err.to_string(), "don't know how to set owner for object type \"GIZMO\"");
}

#[test]
fn bad_special_entries_are_fatal() {
    let mut entries = specials();
    entries[0].defn = Some(b"SET client_encoding = nothing;\n".to_vec());
    let toc = Toc { header: header(), entries };
    let err = SessionSetup::from_toc(&toc).expect_err("bad encoding");
    assert!(err.to_string().starts_with("invalid ENCODING item"));
}

#[test]
fn standard_strings_off_changes_preamble_and_literals() {
    let mut entries = specials();
    entries[1].defn = Some(b"SET standard_conforming_strings = 'off';\n".to_vec());
    entries.push(table(10, "public", "t", "o'brien\\x"));
    let toc = Toc { header: header(), entries };
    let opts = ScriptOptions { use_set_session_authorization: true, ..keyed() };
    let out = render(&toc, &plan_all(&toc), &opts, &mut MemorySource::default());
    assert!(out.contains("SET standard_conforming_strings = off;\n"));
    assert!(out.contains("SET escape_string_warning = off;\n"));
    assert!(out.contains("SET SESSION AUTHORIZATION 'o''brien\\\\x';\n"));
}

#[test]
fn transaction_size_commits_every_n_actions() {
    let mut entries = specials();
    for i in 0..3 {
        entries.push(table(10 + i, "public", &format!("t{i}"), "alice"));
    }
    let toc = Toc { header: header(), entries };
    let opts = ScriptOptions { transaction_size: 2, ..keyed() };
    let out = render(&toc, &plan_all(&toc), &opts, &mut MemorySource::default());
    assert_eq!(out.matches("COMMIT;\nBEGIN;\n\n").count(), 1);
    assert!(out.contains("SET row_security = off;\n\nBEGIN;\n\n"));
    assert!(out.ends_with(&format!("COMMIT;\n\n{EPILOGUE}")));
}

#[test]
fn archives_without_searchpath_set_search_path_per_schema() {
    let mut entries = specials();
    entries.truncate(2); // no SEARCHPATH entry, as in archives before 1.13
    entries.push(table(10, "app", "a", "o"));
    entries.push(table(11, "app", "b", "o"));
    entries.push(table(12, "pg_catalog", "c", "o"));
    let toc = Toc { header: header(), entries };
    let out = render(&toc, &plan_all(&toc), &keyed(), &mut MemorySource::default());
    assert_eq!(out.matches("SET search_path = app, pg_catalog;\n\n").count(), 1, "{out}");
    assert_eq!(out.matches("SET search_path = pg_catalog;\n\n").count(), 1, "{out}");
    assert!(!out.contains("set_config('search_path'"));
    // With --clean the drops set the path too, and it is set again afterwards.
    let opts = ScriptOptions { clean: true, ..keyed() };
    let out = render(&toc, &plan_all(&toc), &opts, &mut MemorySource::default());
    assert_eq!(out.matches("SET search_path = app, pg_catalog;\n\n").count(), 2, "{out}");
}

#[test]
fn disable_triggers_only_when_nothing_schema_like_is_restored() {
    let mut entries = specials();
    entries.push(table(10, "public", "t", "alice"));
    entries.push(table_data(11, 10, "public", "t", "alice"));
    let toc = Toc { header: header(), entries };
    let opts = ScriptOptions { disable_triggers: true, schema_requested: true, ..keyed() };
    let out = render(&toc, &plan_all(&toc), &opts, &mut MemorySource::default());
    assert!(!out.contains("DISABLE TRIGGER"), "schema restored too: no trigger games");
    // Schema not asked for (-a), yet an entry wanted for its schema part (the DATABASE
    // entry of -a -C): still a data-only restore, as stock's dumpSchema flag says.
    let not_asked = ScriptOptions { schema_requested: false, ..opts.clone() };
    let out = render(&toc, &plan_all(&toc), &not_asked, &mut MemorySource::default());
    assert!(out.contains("ALTER TABLE public.t DISABLE TRIGGER ALL;"), "{out}");
    let data_only: Vec<PlannedEntry> = plan_all(&toc)
        .into_iter()
        .map(|mut p| {
            if p.reqs.schema() {
                p.reqs = Reqs::NONE;
            }
            p
        })
        .collect();
    let out = render(&toc, &data_only, &opts, &mut MemorySource::default());
    assert!(out.contains(
        "-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: alice\n--\n\n\
SET SESSION AUTHORIZATION DEFAULT;\n\nALTER TABLE public.t DISABLE TRIGGER ALL;\n\n\
COPY public.t (a) FROM stdin;\n"
    ), "{out}");
    assert!(out.contains("ALTER TABLE public.t ENABLE TRIGGER ALL;\n\n"));
}
