//! The script renderer through its public API only, as `pg_dump -Fp` will use it: a TOC
//! built in memory, a plan from `select::plan`, and a `DataSource` that is not an archive
//! (here: COPY text produced on the fly, as a server's COPY stream would be).

use std::io::Read;

use pgark_formats::model::{
    CatalogId, CompressionAlgorithm, CustomOffset, DataLocation, FormatCode, HeaderCompression,
};
use pgark_formats::script::{render_script, DataSource, ScriptOptions, SessionSetup};
use pgark_formats::select::{plan, Selection};
use pgark_formats::{ArchiveVersion, Desc, Header, Section, Toc, TocEntry};

fn entry(dump_id: i32, desc: Desc, tag: &str, section: Section) -> TocEntry {
    TocEntry {
        dump_id,
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

fn toc() -> Toc {
    let mut enc = entry(1, Desc::Encoding, "ENCODING", Section::PreData);
    enc.defn = Some(b"SET client_encoding = 'UTF8';\n".to_vec());
    let mut std = entry(2, Desc::StdStrings, "STDSTRINGS", Section::PreData);
    std.defn = Some(b"SET standard_conforming_strings = 'on';\n".to_vec());
    let mut sp = entry(3, Desc::SearchPath, "SEARCHPATH", Section::PreData);
    sp.defn = Some(b"SELECT pg_catalog.set_config('search_path', '', false);\n".to_vec());
    let mut table = entry(10, Desc::Table, "numbers", Section::PreData);
    table.namespace = Some(b"public".to_vec());
    table.owner = Some(b"postgres".to_vec());
    table.defn = Some(b"CREATE TABLE public.numbers (\n    n integer\n);\n".to_vec());
    table.drop_stmt = Some(b"DROP TABLE public.numbers;\n".to_vec());
    let mut data = entry(11, Desc::TableData, "numbers", Section::Data);
    data.had_dumper = true;
    data.namespace = Some(b"public".to_vec());
    data.owner = Some(b"postgres".to_vec());
    data.copy_stmt = Some(b"COPY public.numbers (n) FROM stdin;\n".to_vec());
    data.dependencies = vec![10];
    Toc {
        header: Header {
            version: ArchiveVersion::CURRENT,
            int_size: 4,
            off_size: 8,
            format: FormatCode::Null,
            compression: HeaderCompression::Algorithm(CompressionAlgorithm::None),
            created: None,
            database_name: Some(b"db".to_vec()),
            server_version: Some(b"18.6".to_vec()),
            dump_version: Some(b"18.6".to_vec()),
        },
        entries: vec![enc, std, sp, table, data],
    }
}

/// Rows generated on demand, the way a live COPY TO STDOUT streams them.
struct Generated {
    rows: u32,
}

impl DataSource for Generated {
    fn entry_data(&mut self, _entry: &TocEntry) -> pgark_formats::Result<Option<Box<dyn Read + '_>>> {
        let mut text: Vec<u8> = (1..=self.rows).flat_map(|n| format!("{n}\n").into_bytes()).collect();
        text.extend_from_slice(b"\\.\n\n\n");
        Ok(Some(Box::new(std::io::Cursor::new(text))))
    }

    fn large_objects(
        &mut self,
        _entry: &TocEntry,
        _each: &mut dyn FnMut(u32, &mut dyn Read) -> pgark_formats::Result<()>,
    ) -> pgark_formats::Result<()> {
        Ok(())
    }
}

#[test]
fn renders_a_plain_dump_from_a_non_archive_source() {
    let toc = toc();
    let selection = Selection::default();
    let plan = plan(&toc, &selection);
    let options = ScriptOptions { restrict_key: Some(b"K".to_vec()), ..ScriptOptions::default() };
    let mut out = Vec::new();
    let report = render_script(&toc, plan.items(), &options, &mut Generated { rows: 3 }, &mut out).expect("render");
    assert!(report.warnings.is_empty());
    let text = String::from_utf8(out).expect("utf8");
    assert!(text.starts_with("--\n-- PostgreSQL database dump\n--\n\n\\restrict K\n\n"));
    assert!(text.contains(
        "--\n-- Data for Name: numbers; Type: TABLE DATA; Schema: public; Owner: postgres\n--\n\n\
COPY public.numbers (n) FROM stdin;\n1\n2\n3\n\\.\n\n\n"
    ));
    assert!(text.ends_with("--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict K\n\n"));
    let setup = SessionSetup::from_toc(&toc).expect("special entries");
    assert!(setup.std_strings);
    assert_eq!(setup.encoding.name(), "UTF8");
}
