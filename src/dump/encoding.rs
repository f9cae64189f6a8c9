//! The dump's client encoding (`-E`, else the database's) applied to its output.
//! pgark's connections always speak UTF8 (tokio-postgres decodes text as UTF-8), so
//! where pg_dump lets the server convert everything into the client encoding, pgark
//! converts the TOC's text and the table data on the way out. UTF8 and SQL_ASCII need
//! no conversion; LATIN1 is converted here; the other single-byte encodings (LATIN2…,
//! WIN125x, KOI8…) through a table of their 128 upper bytes that the server decodes
//! once ([`prepare`]); multi-byte client encodings are refused by name rather than
//! written mislabelled. Table data is converted by `dump::data::encoded::EncodingSink`
//! in the data dispatch.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use pgark_formats::model::Toc;
use pgark_formats::quote::Encoding;
use tokio_postgres::{Client, SimpleQueryMessage};

use crate::catalog::CatalogError;
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

/// Reads the table of single-byte client encoding `name` (canonical) from the server,
/// one statement per byte so that bytes the encoding leaves undefined only fail their
/// own statement. Run outside a transaction; nothing to do for other encodings.
pub async fn prepare(client: &Client, name: &str) -> Result<()> {
    if !SINGLE_BYTE.contains(&name) {
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

/// The connected database's encoding (the default client encoding).
pub async fn database_encoding(client: &Client) -> Result<String> {
    let sql = "SELECT pg_catalog.pg_encoding_to_char(encoding) FROM pg_catalog.pg_database \
               WHERE datname = pg_catalog.current_database()";
    let messages = client.simple_query(sql).await.map_err(|e| {
        Error::Catalog(CatalogError::Query {
            query: sql.to_string(),
            detail: e
                .as_db_error()
                .map_or_else(|| e.to_string(), |d| d.message().to_string()),
        })
    })?;
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
}

/// `-E`'s name in its canonical spelling (`pg_encoding_to_char(pg_char_to_encoding())`),
/// or pg_dump's error for a name PostgreSQL does not know.
pub fn canonical_name(requested: &str) -> Result<String> {
    Encoding::from_name(requested.as_bytes())
        .map(|e| e.name().to_string())
        .ok_or_else(|| Error::Usage(format!("invalid client encoding \"{requested}\" specified")))
}

impl OutputEncoding {
    /// The conversion the session's client encoding (canonical name) needs.
    pub fn for_client_encoding(name: &str) -> Result<OutputEncoding> {
        match Encoding::from_name(name.as_bytes()) {
            Some(Encoding::Utf8) | Some(Encoding::SqlAscii) | None => Ok(OutputEncoding::AsIs),
            Some(Encoding::Latin1) => Ok(OutputEncoding::Latin1),
            Some(other) => {
                let prepared = tables()
                    .lock()
                    .ok()
                    .and_then(|t| t.get(other.name()).cloned());
                prepared
                    .map(OutputEncoding::SingleByte)
                    .ok_or_else(|| Error::NotImplemented {
                        what: format!(
                            "pgark dump with client encoding {} (output is converted from UTF8 to \
                         single-byte encodings only)",
                            other.name()
                        ),
                    })
            }
        }
    }

    /// A streaming converter, or `None` when bytes pass unchanged.
    pub fn converter(&self) -> Option<Converter> {
        let table = match self {
            OutputEncoding::AsIs => return None,
            OutputEncoding::Latin1 => None,
            OutputEncoding::SingleByte(t) => Some(t.clone()),
        };
        Some(Converter {
            pending: Vec::new(),
            table,
        })
    }

    /// `text` converted whole.
    pub fn convert(&self, text: &[u8]) -> Result<Vec<u8>> {
        match self.converter() {
            None => Ok(text.to_vec()),
            Some(mut c) => {
                let out = c.push(text)?;
                c.finish()?;
                Ok(out)
            }
        }
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

/// UTF-8 → LATIN1 (no table) or another single-byte encoding over a stream cut
/// anywhere: an incomplete character at the end of one piece waits for the next.
#[derive(Debug)]
pub struct Converter {
    pending: Vec<u8>,
    table: Option<Arc<SingleByteTable>>,
}

impl Converter {
    /// Converts `bytes` (after any held-back partial character).
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<u8>> {
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
            let byte = match &self.table {
                _ if code < 0x80 => Some(code as u8),
                None => u8::try_from(code).ok(),
                Some(t) => t.bytes.get(&c).copied(),
            };
            match byte {
                Some(b) => out.push(b),
                None => {
                    let name = self.table.as_ref().map_or("LATIN1", |t| t.name.as_str());
                    return Err(no_equivalent(seq, name));
                }
            }
            i += len;
        }
        Ok(out)
    }

    /// Fails if the stream ended inside a character.
    pub fn finish(self) -> Result<()> {
        if self.pending.is_empty() {
            Ok(())
        } else {
            Err(invalid_utf8(&self.pending))
        }
    }
}

/// Converts every text field of the TOC (the archive header's names stay as given).
pub fn convert_toc(toc: &mut Toc, enc: OutputEncoding) -> Result<()> {
    if enc == OutputEncoding::AsIs {
        return Ok(());
    }
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
                *text = enc.convert(text)?;
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
        let enc = OutputEncoding::Latin1;
        assert_eq!(
            enc.convert("café ÿ".as_bytes()).ok(),
            Some(b"caf\xe9 \xff".to_vec())
        );
        let mut c = enc.converter().expect("latin1 converts");
        let text = "é".as_bytes();
        assert_eq!(c.push(&text[..1]).ok(), Some(Vec::new()));
        assert_eq!(c.push(&text[1..]).ok(), Some(vec![0xe9]));
        assert!(c.finish().is_ok());
        let err = enc
            .convert("✓".as_bytes())
            .expect_err("no LATIN1 check mark");
        assert!(
            err.to_string().contains(
                "character with byte sequence 0xe2 0x9c 0x93 in encoding \"UTF8\" has no equivalent in encoding \"LATIN1\""
            ),
            "{err}"
        );
        assert_eq!(canonical_name("latin1").ok(), Some("LATIN1".to_string()));
        assert!(canonical_name("klingon").is_err());
        assert_eq!(
            OutputEncoding::for_client_encoding("UTF8").ok(),
            Some(OutputEncoding::AsIs)
        );
    }
}
