//! The dump's client encoding (`-E`, else the database's) applied to its output.
//! pgark's connections always speak UTF8 (tokio-postgres decodes text as UTF-8), so
//! where pg_dump lets the server convert everything into the client encoding, pgark
//! converts the TOC's text and the table data on the way out. UTF8 and SQL_ASCII need
//! no conversion; LATIN1 is converted here; the other single-byte encodings (LATIN2…,
//! WIN125x, KOI8…) through a table of their 128 upper bytes that the server decodes
//! once ([`prepare`]). Multi-byte client encodings (EUC_JP, SJIS, BIG5, GB18030, …)
//! are converted by the server itself, as for stock pg_dump: [`prepare`] opens a
//! dedicated UTF8 connection that runs `convert_to` on the TOC's text (one round trip
//! per batch) and on the table data (in pieces cut at line ends, so that characters
//! that combine in EUC_JIS_2004/SHIFT_JIS_2004 are never split), so the bytes and the
//! error for an unmappable character are the server's own. A SQL_ASCII database's
//! text passes unconverted, as the server passes it. Table data is converted by
//! `dump::data::encoded::EncodingSink` in the data dispatch.
//!
//! Known difference: stock fails on an unmappable character in any catalog row its
//! queries read (e.g. the name of a view left out by `-t`); pgark converts, and so
//! fails on, only what the dump contains.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use pgark_formats::model::Toc;
use pgark_formats::quote::Encoding;
use tokio_postgres::{Client, SimpleQueryMessage, Statement};

use crate::catalog::CatalogError;
use crate::conn::{ConnectOptions, Connection};
use crate::{Error, Result};

/// PostgreSQL's single-byte encodings besides LATIN1 (all ASCII-compatible).
const SINGLE_BYTE: &[&str] = &[
    "LATIN2",
    "LATIN3",
    "LATIN4",
    "LATIN5",
    "LATIN6",
    "LATIN7",
    "LATIN8",
    "LATIN9",
    "LATIN10",
    "ISO_8859_5",
    "ISO_8859_6",
    "ISO_8859_7",
    "ISO_8859_8",
    "WIN1250",
    "WIN1251",
    "WIN1252",
    "WIN1253",
    "WIN1254",
    "WIN1255",
    "WIN1256",
    "WIN1257",
    "WIN1258",
    "WIN866",
    "WIN874",
    "KOI8R",
    "KOI8U",
];

/// A single-byte encoding's upper half: character → byte.
#[derive(Debug, PartialEq, Eq)]
pub struct SingleByteTable {
    name: String,
    bytes: HashMap<char, u8>,
}

/// Tables read by [`prepare`], by canonical encoding name.
fn tables() -> &'static Mutex<HashMap<String, Arc<SingleByteTable>>> {
    static TABLES: OnceLock<Mutex<HashMap<String, Arc<SingleByteTable>>>> = OnceLock::new();
    TABLES.get_or_init(Default::default)
}

/// Whether the database [`prepare`]d for is SQL_ASCII (its text passes unconverted).
static SQL_ASCII_DATABASE: AtomicBool = AtomicBool::new(false);

/// Server conversions opened by [`prepare`], by canonical encoding name (one dump per
/// process at a time; a later [`prepare`] replaces an earlier connection).
fn server_conversions() -> &'static Mutex<HashMap<String, Arc<ServerConversion>>> {
    static CONVERSIONS: OnceLock<Mutex<HashMap<String, Arc<ServerConversion>>>> = OnceLock::new();
    CONVERSIONS.get_or_init(Default::default)
}

/// Converts UTF-8 text on the server into a multi-byte client encoding through a
/// connection of its own (the dump's connections are busy streaming COPY data).
pub struct ServerConversion {
    name: String,
    connection: Connection,
    /// `convert_to` over an array of texts, in their order.
    statement: Statement,
}

impl fmt::Debug for ServerConversion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConversion")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl PartialEq for ServerConversion {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for ServerConversion {}

const CONVERT_SQL: &str = "SELECT pg_catalog.array_agg(pg_catalog.convert_to(u.t, $2) ORDER BY u.n) \
                           FROM pg_catalog.unnest($1::pg_catalog.text[]) WITH ORDINALITY AS u(t, n)";

fn query_error(query: &str, e: &tokio_postgres::Error) -> Error {
    Error::Catalog(CatalogError::Query {
        query: query.to_string(),
        detail: e
            .as_db_error()
            .map_or_else(|| e.to_string(), |d| d.message().to_string()),
    })
}

impl ServerConversion {
    /// `texts` converted from UTF8 into the client encoding, one result per text; the
    /// server's error for a character the encoding lacks.
    pub async fn convert(&self, texts: &[&str]) -> Result<Vec<Vec<u8>>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let row = self
            .connection
            .client
            .query_one(&self.statement, &[&texts, &self.name.as_str()])
            .await
            .map_err(|e| query_error(CONVERT_SQL, &e))?;
        let converted: Option<Vec<Vec<u8>>> =
            row.try_get(0).map_err(|e| query_error(CONVERT_SQL, &e))?;
        let converted = converted.unwrap_or_default();
        if converted.len() != texts.len() {
            return Err(Error::Catalog(CatalogError::Inconsistent(format!(
                "conversion into {} returned {} texts for {}",
                self.name,
                converted.len(),
                texts.len()
            ))));
        }
        Ok(converted)
    }

    /// One piece of UTF-8 bytes converted.
    async fn convert_bytes(&self, bytes: &[u8]) -> Result<Vec<u8>> {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            let start = e.valid_up_to();
            let end = (start + e.error_len().unwrap_or(1)).min(bytes.len());
            invalid_utf8(&bytes[start..end])
        })?;
        Ok(self.convert(&[text]).await?.pop().unwrap_or_default())
    }
}

/// Reads the table of single-byte client encoding `name` (canonical) from the server,
/// one statement per byte so that bytes the encoding leaves undefined only fail their
/// own statement; for a multi-byte encoding, opens the connection converting into it
/// (and fails as pg_dump does when the server cannot convert into it). Run outside a
/// transaction; nothing to do for UTF8, SQL_ASCII and LATIN1.
pub async fn prepare(connect: &ConnectOptions, client: &Client, name: &str) -> Result<()> {
    // A SQL_ASCII database's server converts nothing: its bytes reach any client as
    // they are.
    let sql_ascii = database_encoding(client).await? == "SQL_ASCII";
    SQL_ASCII_DATABASE.store(sql_ascii, Ordering::Relaxed);
    if sql_ascii {
        return Ok(());
    }
    if needs_server(name) {
        return prepare_server(connect, name).await;
    }
    if !SINGLE_BYTE.contains(&name) && name != "LATIN1" {
        return Ok(());
    }
    // E.g. an EUC_JP database has no conversion into LATIN1.
    let probe = format!("SELECT pg_catalog.convert_to('a', '{name}')");
    if let Err(e) = client.simple_query(&probe).await {
        return Err(unsupported_or(name, query_error(&probe, &e)));
    }
    if name == "LATIN1" {
        return Ok(());
    }
    if tables()
        .lock()
        .map(|t| t.contains_key(name))
        .unwrap_or(false)
    {
        return Ok(());
    }
    let mut bytes = HashMap::new();
    for b in 0x80u8..=0xff {
        let sql = format!(
            "SELECT pg_catalog.convert_from(pg_catalog.decode('{b:02x}', 'hex'), '{name}')"
        );
        let Ok(messages) = client.simple_query(&sql).await else {
            continue;
        };
        for m in messages {
            if let SimpleQueryMessage::Row(r) = m {
                if let Some(c) = r.get(0).and_then(|v| v.chars().next()) {
                    bytes.insert(c, b);
                }
            }
        }
    }
    let table = SingleByteTable {
        name: name.to_string(),
        bytes,
    };
    if let Ok(mut t) = tables().lock() {
        t.insert(name.to_string(), Arc::new(table));
    }
    Ok(())
}

/// Whether client encoding `name` (canonical) is converted by the server: every
/// encoding but UTF8, SQL_ASCII and the single-byte ones.
fn needs_server(name: &str) -> bool {
    match Encoding::from_name(name.as_bytes()) {
        None | Some(Encoding::Utf8) | Some(Encoding::SqlAscii) | Some(Encoding::Latin1) => false,
        Some(_) => !SINGLE_BYTE.contains(&name),
    }
}

/// pg_dump's error for a client encoding the server cannot convert the database's
/// into (its `PQsetClientEncoding` fails), else `other`.
fn unsupported_or(name: &str, other: Error) -> Error {
    let unsupported = match &other {
        Error::Catalog(CatalogError::Query { detail, .. }) => {
            detail.contains("conversion function") || detail.contains("not supported")
        }
        _ => false,
    };
    if unsupported {
        Error::Usage(format!("invalid client encoding \"{name}\" specified"))
    } else {
        other
    }
}

async fn prepare_server(connect: &ConnectOptions, name: &str) -> Result<()> {
    let connection = connect.connect().await?;
    let statement = connection
        .client
        .prepare(CONVERT_SQL)
        .await
        .map_err(|e| query_error(CONVERT_SQL, &e))?;
    let conversion = ServerConversion {
        name: name.to_string(),
        connection,
        statement,
    };
    // pg_dump's PQsetClientEncoding fails when the server has no conversion between
    // the database's encoding and the client's (e.g. UTF8 and MULE_INTERNAL).
    if let Err(e) = conversion.convert(&["a"]).await {
        return Err(unsupported_or(name, e));
    }
    if let Ok(mut c) = server_conversions().lock() {
        c.insert(name.to_string(), Arc::new(conversion));
    }
    Ok(())
}

/// The encoding of the text pgark builds the dump from, for quoting: UTF8 (the wire's)
/// when the server converts it into `client_encoding` afterwards, since quoting UTF-8
/// text as, say, SJIS would split its characters; otherwise the client encoding
/// itself (single-byte encodings quote every byte alike; SQL_ASCII passes bytes as is).
pub fn text_encoding(client_encoding: &str) -> Encoding {
    if needs_server(client_encoding) {
        Encoding::Utf8
    } else {
        Encoding::from_name(client_encoding.as_bytes()).unwrap_or(Encoding::Utf8)
    }
}

/// The connected database's encoding (the default client encoding).
pub async fn database_encoding(client: &Client) -> Result<String> {
    let sql = "SELECT pg_catalog.pg_encoding_to_char(encoding) FROM pg_catalog.pg_database \
               WHERE datname = pg_catalog.current_database()";
    let messages = client
        .simple_query(sql)
        .await
        .map_err(|e| query_error(sql, &e))?;
    Ok(messages
        .iter()
        .find_map(|m| match m {
            SimpleQueryMessage::Row(r) => r.get(0).map(str::to_string),
            _ => None,
        })
        .unwrap_or_default())
}

/// How output text is converted from the wire's UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputEncoding {
    /// UTF8, or SQL_ASCII (bytes passed through).
    AsIs,
    /// ISO 8859-1: every character up to U+00FF is one byte.
    Latin1,
    /// Another single-byte encoding, through its table.
    SingleByte(Arc<SingleByteTable>),
    /// A multi-byte encoding, converted by the server.
    Server(Arc<ServerConversion>),
}

/// `-E`'s name in its canonical spelling (`pg_encoding_to_char(pg_char_to_encoding())`),
/// or pg_dump's error for a name PostgreSQL does not know.
pub fn canonical_name(requested: &str) -> Result<String> {
    Encoding::from_name(requested.as_bytes())
        .map(|e| e.name().to_string())
        .ok_or_else(|| Error::Usage(format!("invalid client encoding \"{requested}\" specified")))
}

impl OutputEncoding {
    /// The conversion the session's client encoding (canonical name) needs; the
    /// encoding must have been [`prepare`]d.
    pub fn for_client_encoding(name: &str) -> Result<OutputEncoding> {
        if SQL_ASCII_DATABASE.load(Ordering::Relaxed) {
            return Ok(OutputEncoding::AsIs);
        }
        match Encoding::from_name(name.as_bytes()) {
            Some(Encoding::Utf8) | Some(Encoding::SqlAscii) | None => Ok(OutputEncoding::AsIs),
            Some(Encoding::Latin1) => Ok(OutputEncoding::Latin1),
            Some(other) => {
                let name = other.name();
                let prepared = if needs_server(name) {
                    server_conversions()
                        .lock()
                        .ok()
                        .and_then(|c| c.get(name).cloned())
                        .map(OutputEncoding::Server)
                } else {
                    tables()
                        .lock()
                        .ok()
                        .and_then(|t| t.get(name).cloned())
                        .map(OutputEncoding::SingleByte)
                };
                prepared.ok_or_else(|| {
                    Error::Catalog(CatalogError::Inconsistent(format!(
                        "client encoding {name} was not prepared before the dump"
                    )))
                })
            }
        }
    }

    /// A streaming converter, or `None` when bytes pass unchanged.
    pub fn converter(&self) -> Option<Converter> {
        let kind = match self {
            OutputEncoding::AsIs => return None,
            OutputEncoding::Latin1 => ConverterKind::Local(None),
            OutputEncoding::SingleByte(t) => ConverterKind::Local(Some(t.clone())),
            OutputEncoding::Server(s) => ConverterKind::Server(s.clone()),
        };
        Some(Converter {
            pending: Vec::new(),
            kind,
        })
    }
}

/// The server's wording for a character the client encoding lacks.
fn no_equivalent(bytes: &[u8], encoding: &str) -> Error {
    let seq: Vec<String> = bytes.iter().map(|b| format!("0x{b:02x}")).collect();
    Error::Catalog(CatalogError::Inconsistent(format!(
        "character with byte sequence {} in encoding \"UTF8\" has no equivalent in encoding \"{encoding}\"",
        seq.join(" ")
    )))
}

fn invalid_utf8(bytes: &[u8]) -> Error {
    let seq: Vec<String> = bytes.iter().map(|b| format!("0x{b:02x}")).collect();
    Error::Catalog(CatalogError::Inconsistent(format!(
        "invalid byte sequence for encoding \"UTF8\": {}",
        seq.join(" ")
    )))
}

/// How much table data waits before a round trip to the server converts it.
const SERVER_PIECE: usize = 256 * 1024;

#[derive(Debug)]
enum ConverterKind {
    /// LATIN1 (no table) or another single-byte encoding.
    Local(Option<Arc<SingleByteTable>>),
    Server(Arc<ServerConversion>),
}

/// UTF-8 → the client encoding over a stream cut anywhere: an incomplete character
/// (for the server, an incomplete line) at the end of one piece waits for the next.
#[derive(Debug)]
pub struct Converter {
    pending: Vec<u8>,
    kind: ConverterKind,
}

impl Converter {
    /// Converts `bytes` (after what was held back); may return nothing yet.
    pub async fn push(&mut self, bytes: &[u8]) -> Result<Vec<u8>> {
        match &self.kind {
            ConverterKind::Local(table) => {
                let table = table.clone();
                self.push_local(table.as_deref(), bytes)
            }
            ConverterKind::Server(server) => {
                self.pending.extend_from_slice(bytes);
                if self.pending.len() < SERVER_PIECE {
                    return Ok(Vec::new());
                }
                let Some(last_newline) = self.pending.iter().rposition(|&b| b == b'\n') else {
                    return Ok(Vec::new());
                };
                let rest = self.pending.split_off(last_newline + 1);
                let piece = std::mem::replace(&mut self.pending, rest);
                server.convert_bytes(&piece).await
            }
        }
    }

    /// Converts what was held back at the end of the stream: fails if the stream ended
    /// inside a character.
    pub async fn finish(self) -> Result<Vec<u8>> {
        match &self.kind {
            _ if self.pending.is_empty() => Ok(Vec::new()),
            ConverterKind::Local(_) => Err(invalid_utf8(&self.pending)),
            ConverterKind::Server(server) => server.convert_bytes(&self.pending).await,
        }
    }

    fn push_local(&mut self, table: Option<&SingleByteTable>, bytes: &[u8]) -> Result<Vec<u8>> {
        let mut input = std::mem::take(&mut self.pending);
        input.extend_from_slice(bytes);
        let mut out = Vec::with_capacity(input.len());
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            let len = match b {
                0x00..=0x7f => 1,
                0xc2..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf4 => 4,
                _ => return Err(invalid_utf8(&input[i..(i + 1)])),
            };
            if i + len > input.len() {
                self.pending = input[i..].to_vec();
                break;
            }
            let seq = &input[i..i + len];
            let c = std::str::from_utf8(seq)
                .ok()
                .and_then(|s| s.chars().next())
                .ok_or_else(|| invalid_utf8(seq))?;
            let code = u32::from(c);
            let byte = match table {
                _ if code < 0x80 => Some(code as u8),
                None => u8::try_from(code).ok(),
                Some(t) => t.bytes.get(&c).copied(),
            };
            match byte {
                Some(b) => out.push(b),
                None => {
                    let name = table.map_or("LATIN1", |t| t.name.as_str());
                    return Err(no_equivalent(seq, name));
                }
            }
            i += len;
        }
        Ok(out)
    }
}

/// `text` converted whole into LATIN1 (no table) or a single-byte encoding.
fn convert_local_whole(table: Option<&SingleByteTable>, text: &[u8]) -> Result<Vec<u8>> {
    let mut c = Converter {
        pending: Vec::new(),
        kind: ConverterKind::Local(None),
    };
    let out = c.push_local(table, text)?;
    if !c.pending.is_empty() {
        return Err(invalid_utf8(&c.pending));
    }
    Ok(out)
}

/// How many TOC texts (at most) one round trip converts on the server.
const SERVER_BATCH: usize = 2000;

/// Converts every text field of the TOC (the archive header's names stay as given).
pub async fn convert_toc(toc: &mut Toc, enc: OutputEncoding) -> Result<()> {
    let mut fields: Vec<&mut Vec<u8>> = Vec::new();
    for e in &mut toc.entries {
        for field in [
            &mut e.tag,
            &mut e.defn,
            &mut e.drop_stmt,
            &mut e.copy_stmt,
            &mut e.namespace,
            &mut e.tablespace,
            &mut e.table_am,
            &mut e.owner,
        ] {
            if let Some(text) = field.as_mut() {
                if !text.is_ascii() {
                    fields.push(text);
                }
            }
        }
    }
    match enc {
        OutputEncoding::AsIs => {}
        OutputEncoding::Server(server) => {
            for batch in fields.chunks_mut(SERVER_BATCH) {
                let texts = batch
                    .iter()
                    .map(|t| std::str::from_utf8(t).map_err(|_| invalid_utf8(t)))
                    .collect::<Result<Vec<&str>>>()?;
                let converted = server.convert(&texts).await?;
                for (field, text) in batch.iter_mut().zip(converted) {
                    **field = text;
                }
            }
        }
        OutputEncoding::Latin1 => {
            for field in fields {
                *field = convert_local_whole(None, field)?;
            }
        }
        OutputEncoding::SingleByte(table) => {
            for field in fields {
                *field = convert_local_whole(Some(&table), field)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_conversion_streams_and_refuses_what_it_lacks() {
        assert_eq!(
            convert_local_whole(None, "café ÿ".as_bytes()).ok(),
            Some(b"caf\xe9 \xff".to_vec())
        );
        let mut c = OutputEncoding::Latin1.converter().expect("latin1 converts");
        let text = "é".as_bytes();
        assert_eq!(c.push_local(None, &text[..1]).ok(), Some(Vec::new()));
        assert_eq!(c.push_local(None, &text[1..]).ok(), Some(vec![0xe9]));
        assert!(c.pending.is_empty());
        let err = convert_local_whole(None, "✓".as_bytes()).expect_err("no LATIN1 check mark");
        assert!(
            err.to_string().contains(
                "character with byte sequence 0xe2 0x9c 0x93 in encoding \"UTF8\" has no equivalent in encoding \"LATIN1\""
            ),
            "{err}"
        );
        assert!(needs_server("EUC_JP") && needs_server("SJIS") && needs_server("GB18030"));
        assert!(!needs_server("WIN1252") && !needs_server("LATIN1") && !needs_server("UTF8"));
        assert_eq!(canonical_name("latin1").ok(), Some("LATIN1".to_string()));
        assert!(canonical_name("klingon").is_err());
        assert_eq!(
            OutputEncoding::for_client_encoding("UTF8").ok(),
            Some(OutputEncoding::AsIs)
        );
    }
}
