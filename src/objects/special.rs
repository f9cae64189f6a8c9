//! The session entries every dump starts with: ENCODING, STDSTRINGS, SEARCHPATH
//! (pg_dump.c `dumpEncoding()`, `dumpStdStrings()`, `dumpSearchPath()`). They are not
//! graph objects: stock emits them before walking the sorted objects.

use pgark_formats::model::{Desc, Section};

use crate::catalog::{parse_text_array_owned, CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};

/// What the special entries need from the server.
#[derive(Debug, Clone)]
pub struct SessionFacts {
    pub encoding: String,
    pub std_strings: bool,
    /// `current_schemas(false)` after the secure search_path was set.
    pub search_path: Vec<String>,
}

/// Reads `current_schemas(false)`.
pub async fn collect(session: &Session) -> Result<SessionFacts, CatalogError> {
    let rows = session
        .query("SELECT pg_catalog.current_schemas(false) AS path")
        .await?;
    let path = rows
        .iter()
        .next()
        .map(|r| r.string("path"))
        .transpose()?
        .unwrap_or_default();
    Ok(SessionFacts {
        encoding: session.encoding.clone(),
        std_strings: session.std_strings,
        search_path: parse_text_array_owned(&path),
    })
}

/// Emits ENCODING, STDSTRINGS and SEARCHPATH, in stock's order.
pub fn emit(cx: &EmitCx<'_>, facts: &SessionFacts, out: &mut TocBuilder) {
    let mut e = NewEntry::new(Desc::Encoding, Section::PreData, "ENCODING");
    e.defn = format!("SET client_encoding = {};\n", cx.literal(&facts.encoding));
    out.push_new(e);
    let mut e = NewEntry::new(Desc::StdStrings, Section::PreData, "STDSTRINGS");
    e.defn = format!(
        "SET standard_conforming_strings = '{}';\n",
        if facts.std_strings { "on" } else { "off" }
    );
    out.push_new(e);
    let path: Vec<String> = facts.search_path.iter().map(|s| cx.ident(s)).collect();
    let mut e = NewEntry::new(Desc::SearchPath, Section::PreData, "SEARCHPATH");
    e.defn = format!(
        "SELECT pg_catalog.set_config('search_path', {}, false);\n",
        cx.literal(&path.join(", "))
    );
    out.push_new(e);
}
