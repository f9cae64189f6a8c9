//! TEXT SEARCH PARSER, TEMPLATE, DICTIONARY and CONFIGURATION. Mirrors pg_dump.c
//! `getTSParsers()`, `getTSTemplates()`, `getTSDictionaries()`,
//! `getTSConfigurations()` and their `dump*` functions (whose per-object look-ups of
//! template, parser, function names and configuration mappings are folded into the
//! bulk queries). Catalog: pg_ts_parser, pg_ts_template, pg_ts_dict, pg_ts_config,
//! pg_ts_config_map. TOC: the four descs, pre-data; parsers and templates have no
//! owner. Identical on servers 14–18.

use std::collections::HashMap;

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::{Catalog, Components, DumpObject, Kind};

/// What distinguishes the four kinds.
#[derive(Debug, Clone)]
pub enum TsBody {
    /// Support functions as `regproc` text (`convertTSFunction`).
    Parser {
        start: String,
        gettoken: String,
        end: String,
        headline: Option<String>,
        lextypes: String,
    },
    Template {
        init: Option<String>,
        lexize: String,
    },
    Dictionary {
        owner: String,
        template_schema: String,
        template: String,
        init_option: Option<String>,
    },
    Configuration {
        owner: String,
        parser_schema: String,
        parser: String,
        /// (token alias, dictionary as `regdictionary` text), in
        /// (token type, sequence) order.
        mappings: Vec<(String, String)>,
    },
}

#[derive(Debug, Clone)]
pub struct TsObject {
    pub oid: u32,
    pub classoid: u32,
    pub name: String,
    pub schema: String,
    pub body: TsBody,
}

impl TsObject {
    /// The owner put on the entries (parsers and templates have none).
    fn owner(&self) -> Option<&str> {
        match &self.body {
            TsBody::Dictionary { owner, .. } | TsBody::Configuration { owner, .. } => Some(owner),
            TsBody::Parser { .. } | TsBody::Template { .. } => None,
        }
    }

    /// SQL object type words and TOC desc.
    fn words(&self) -> (&'static str, Desc) {
        match &self.body {
            TsBody::Parser { .. } => ("TEXT SEARCH PARSER", Desc::TextSearchParser),
            TsBody::Template { .. } => ("TEXT SEARCH TEMPLATE", Desc::TextSearchTemplate),
            TsBody::Dictionary { .. } => ("TEXT SEARCH DICTIONARY", Desc::TextSearchDictionary),
            TsBody::Configuration { .. } => {
                ("TEXT SEARCH CONFIGURATION", Desc::TextSearchConfiguration)
            }
        }
    }
}

/// Registers one object: `selectDumpableObject` (its schema's `dump_contains`).
fn register(
    cat: &mut Catalog,
    kind: Kind,
    catalog_id: CatalogId,
    namespace_oid: u32,
    name: String,
    body: TsBody,
) {
    let Some(s) = cat.schema_by_oid(namespace_oid) else {
        return;
    };
    let (schema, dump) = (s.name.clone(), s.dump_contains);
    let idx = cat.text_search.len();
    let id = cat
        .objects
        .add(kind, catalog_id, name.clone(), Some(schema.clone()), idx);
    cat.objects.set_dump(id, dump);
    cat.text_search.push(TsObject {
        oid: catalog_id.oid,
        classoid: catalog_id.table_oid,
        name,
        schema,
        body,
    });
}

fn catalog_id(r: &crate::catalog::RowRef<'_>) -> Result<CatalogId, CatalogError> {
    Ok(CatalogId {
        table_oid: r.oid("tableoid")?,
        oid: r.oid("oid")?,
    })
}

/// `getTSParsers`
pub async fn collect_parsers(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let rows = session
        .query(
            "SELECT tableoid, oid, prsname, prsnamespace, prsstart::pg_catalog.regproc AS prsstart, \
             prstoken::pg_catalog.regproc AS prstoken, prsend::pg_catalog.regproc AS prsend, \
             CASE WHEN prsheadline <> 0 THEN prsheadline::pg_catalog.regproc::pg_catalog.text END AS prsheadline, \
             prslextype::pg_catalog.regproc AS prslextype FROM pg_catalog.pg_ts_parser",
        )
        .await?;
    for r in rows.iter() {
        let body = TsBody::Parser {
            start: r.string("prsstart")?,
            gettoken: r.string("prstoken")?,
            end: r.string("prsend")?,
            headline: r.opt_string("prsheadline")?,
            lextypes: r.string("prslextype")?,
        };
        register(
            cat,
            Kind::TsParser,
            catalog_id(&r)?,
            r.oid("prsnamespace")?,
            r.string("prsname")?,
            body,
        );
    }
    Ok(())
}

/// `getTSTemplates`
pub async fn collect_templates(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let rows = session
        .query(
            "SELECT tableoid, oid, tmplname, tmplnamespace, \
             CASE WHEN tmplinit <> 0 THEN tmplinit::pg_catalog.regproc::pg_catalog.text END AS tmplinit, \
             tmpllexize::pg_catalog.regproc AS tmpllexize FROM pg_catalog.pg_ts_template",
        )
        .await?;
    for r in rows.iter() {
        let body = TsBody::Template {
            init: r.opt_string("tmplinit")?,
            lexize: r.string("tmpllexize")?,
        };
        register(
            cat,
            Kind::TsTemplate,
            catalog_id(&r)?,
            r.oid("tmplnamespace")?,
            r.string("tmplname")?,
            body,
        );
    }
    Ok(())
}

/// `getTSDictionaries` (with `dumpTSDictionary`'s template look-up).
pub async fn collect_dictionaries(
    session: &Session,
    cat: &mut Catalog,
) -> Result<(), CatalogError> {
    let rows = session
        .query(
            "SELECT d.tableoid, d.oid, d.dictname, d.dictnamespace, d.dictowner, d.dictinitoption, \
             (SELECT n.nspname FROM pg_catalog.pg_ts_template p, pg_catalog.pg_namespace n \
              WHERE p.oid = d.dicttemplate AND n.oid = p.tmplnamespace) AS tmplnsp, \
             (SELECT p.tmplname FROM pg_catalog.pg_ts_template p WHERE p.oid = d.dicttemplate) AS tmplname \
             FROM pg_catalog.pg_ts_dict d",
        )
        .await?;
    for r in rows.iter() {
        let body = TsBody::Dictionary {
            owner: cat.role_name(r.oid("dictowner")?),
            template_schema: r.string("tmplnsp")?,
            template: r.string("tmplname")?,
            init_option: r.opt_string("dictinitoption")?,
        };
        register(
            cat,
            Kind::TsDict,
            catalog_id(&r)?,
            r.oid("dictnamespace")?,
            r.string("dictname")?,
            body,
        );
    }
    Ok(())
}

/// `getTSConfigurations` (with `dumpTSConfig`'s parser and mapping look-ups; the
/// mappings of pg_catalog's configurations, never dumped, are not read).
pub async fn collect_configurations(
    session: &Session,
    cat: &mut Catalog,
) -> Result<(), CatalogError> {
    let rows = session
        .query(
            "SELECT c.tableoid, c.oid, c.cfgname, c.cfgnamespace, c.cfgowner, \
             (SELECT n.nspname FROM pg_catalog.pg_ts_parser p, pg_catalog.pg_namespace n \
              WHERE p.oid = c.cfgparser AND n.oid = p.prsnamespace) AS prsnsp, \
             (SELECT p.prsname FROM pg_catalog.pg_ts_parser p WHERE p.oid = c.cfgparser) AS prsname \
             FROM pg_catalog.pg_ts_config c",
        )
        .await?;
    let user_config = if cat.builtin_selected {
        "true"
    } else {
        "c.cfgnamespace <> 'pg_catalog'::pg_catalog.regnamespace"
    };
    let maps = session
        .query(&format!(
            "SELECT m.mapcfg, \
             (SELECT alias FROM pg_catalog.ts_token_type(c.cfgparser) AS t WHERE t.tokid = m.maptokentype) AS tokenname, \
             m.mapdict::pg_catalog.regdictionary AS dictname \
             FROM pg_catalog.pg_ts_config_map m JOIN pg_catalog.pg_ts_config c ON c.oid = m.mapcfg \
             WHERE {user_config} \
             ORDER BY m.mapcfg, m.maptokentype, m.mapseqno"
        ))
        .await?;
    let mut by_config: HashMap<u32, Vec<(String, String)>> = HashMap::new();
    for r in maps.iter() {
        by_config
            .entry(r.oid("mapcfg")?)
            .or_default()
            .push((r.string("tokenname")?, r.string("dictname")?));
    }
    for r in rows.iter() {
        let id = catalog_id(&r)?;
        let body = TsBody::Configuration {
            owner: cat.role_name(r.oid("cfgowner")?),
            parser_schema: r.string("prsnsp")?,
            parser: r.string("prsname")?,
            mappings: by_config.remove(&id.oid).unwrap_or_default(),
        };
        register(
            cat,
            Kind::TsConfig,
            id,
            r.oid("cfgnamespace")?,
            r.string("cfgname")?,
            body,
        );
    }
    Ok(())
}

/// `ALTER TEXT SEARCH CONFIGURATION ... ADD MAPPING` commands, one per token type
/// (`dumpTSConfig`); the token alias is quoted, the dictionary text is already SQL.
pub fn mapping_commands(
    qualified: &str,
    mappings: &[(String, String)],
    ident: impl Fn(&str) -> String,
) -> String {
    let mut q = String::new();
    let mut prev: Option<&str> = None;
    for (token, dict) in mappings {
        if prev == Some(token.as_str()) {
            q.push_str(", ");
            q.push_str(dict);
        } else {
            if prev.is_some() {
                q.push_str(";\n");
            }
            q.push_str(&format!(
                "\nALTER TEXT SEARCH CONFIGURATION {qualified}\n    ADD MAPPING FOR {} WITH {dict}",
                ident(token)
            ));
        }
        prev = Some(token);
    }
    if !mappings.is_empty() {
        q.push_str(";\n");
    }
    q
}

/// `dumpTSParser`, `dumpTSTemplate`, `dumpTSDictionary`, `dumpTSConfig`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let ts = &cx.catalog.text_search[obj.model];
    let qual = cx.qualified(&ts.schema, &ts.name);
    let (words, desc) = ts.words();
    let mut q = format!("CREATE {words} {qual} (\n");
    match &ts.body {
        TsBody::Parser {
            start,
            gettoken,
            end,
            headline,
            lextypes,
        } => {
            q.push_str(&format!("    START = {start},\n"));
            q.push_str(&format!("    GETTOKEN = {gettoken},\n"));
            q.push_str(&format!("    END = {end},\n"));
            if let Some(h) = headline {
                q.push_str(&format!("    HEADLINE = {h},\n"));
            }
            q.push_str(&format!("    LEXTYPES = {lextypes} );\n"));
        }
        TsBody::Template { init, lexize } => {
            if let Some(i) = init {
                q.push_str(&format!("    INIT = {i},\n"));
            }
            q.push_str(&format!("    LEXIZE = {lexize} );\n"));
        }
        TsBody::Dictionary {
            template_schema,
            template,
            init_option,
            ..
        } => {
            q.push_str(&format!(
                "    TEMPLATE = {}.{}",
                cx.ident(template_schema),
                cx.ident(template)
            ));
            if let Some(o) = init_option {
                q.push_str(&format!(",\n    {o}"));
            }
            q.push_str(" );\n");
        }
        TsBody::Configuration {
            parser_schema,
            parser,
            mappings,
            ..
        } => {
            q.push_str(&format!(
                "    PARSER = {}.{} );\n",
                cx.ident(parser_schema),
                cx.ident(parser)
            ));
            q.push_str(&mapping_commands(&qual, mappings, |s| cx.ident(s)));
        }
    }
    let owner = ts.owner();
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(desc, Section::PreData, ts.name.clone());
        e.catalog_id = obj.catalog_id;
        e.namespace = Some(ts.schema.clone());
        e.owner = owner.map(str::to_string);
        e.defn = q;
        e.drop_stmt = format!("DROP {words} {qual};\n");
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        let qname = cx.ident(&ts.name);
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: words,
                name: &qname,
                namespace: Some(&ts.schema),
                owner: owner.unwrap_or(""),
                classoid: ts.classoid,
                objoid: ts.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::mapping_commands;

    fn m(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn mappings_group_dictionaries_by_token() {
        let q = mapping_commands(
            "s.cfg",
            &m(&[
                ("asciiword", "s.d1"),
                ("asciiword", "simple"),
                ("Word", "simple"),
            ]),
            |s| {
                if s.chars().all(|c| c.is_ascii_lowercase()) {
                    s.to_string()
                } else {
                    format!("\"{s}\"")
                }
            },
        );
        assert_eq!(
            q,
            "\nALTER TEXT SEARCH CONFIGURATION s.cfg\n    ADD MAPPING FOR asciiword WITH s.d1, simple;\n\
             \nALTER TEXT SEARCH CONFIGURATION s.cfg\n    ADD MAPPING FOR \"Word\" WITH simple;\n"
        );
    }

    #[test]
    fn no_mappings_no_commands() {
        assert_eq!(mapping_commands("s.cfg", &[], |s| s.to_string()), "");
    }
}
