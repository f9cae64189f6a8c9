//! The dump's client encoding (`-E`, else the database's) applied to its output.
//! pgark's connections always speak UTF8 (tokio-postgres decodes text as UTF-8), so
//! where pg_dump lets the server convert everything into the client encoding, pgark
//! converts the TOC's text and the table data on the way out. UTF8 and SQL_ASCII need
//! no conversion; LATIN1 is converted here; other client encodings are refused by name
//! rather than written mislabelled. Table data is converted by
//! `dump::data::encoded::EncodingSink` in the data dispatch.

use pgark_formats::model::Toc;
use pgark_formats::quote::Encoding;

use crate::catalog::CatalogError;
use crate::{Error, Result};

/// How output text is converted from the wire's UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputEncoding {
    /// UTF8, or SQL_ASCII (bytes passed through).
    AsIs,
    /// ISO 8859-1: every character up to U+00FF is one byte.
    Latin1,
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
            Some(other) => Err(Error::NotImplemented {
                what: format!(
                    "pgark dump with client encoding {} (output is converted from UTF8 only to LATIN1)",
                    other.name()
                ),
            }),
        }
    }

    /// A streaming converter, or `None` when bytes pass unchanged.
    pub fn converter(self) -> Option<Converter> {
        match self {
            OutputEncoding::AsIs => None,
            OutputEncoding::Latin1 => Some(Converter {
                pending: Vec::new(),
            }),
        }
    }

    /// `text` converted whole.
    pub fn convert(self, text: &[u8]) -> Result<Vec<u8>> {
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
fn no_equivalent(bytes: &[u8]) -> Error {
    let seq: Vec<String> = bytes.iter().map(|b| format!("0x{b:02x}")).collect();
    Error::Catalog(CatalogError::Inconsistent(format!(
        "character with byte sequence {} in encoding \"UTF8\" has no equivalent in encoding \"LATIN1\"",
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

/// UTF-8 → LATIN1 over a stream cut anywhere: an incomplete character at the end of
/// one piece waits for the next.
#[derive(Debug)]
pub struct Converter {
    pending: Vec<u8>,
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
            if code > 0xff {
                return Err(no_equivalent(seq));
            }
            out.push(code as u8);
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
