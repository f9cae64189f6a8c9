//! Quoting of SQL identifiers and literals exactly as PostgreSQL's client tools do it
//! (`fmtId`/`fmtQualifiedId`, `appendStringLiteral`, `appendByteaLiteral`,
//! `appendPsqlMetaConnect`, `appendConnStrVal` in `src/fe_utils/string_utils.c`).
//!
//! This is the one place pgark quotes anything that ends up in SQL or in a psql script.
//! Everything works on bytes in the database's encoding: names are never re-encoded, and
//! invalid multibyte sequences are replaced by a sequence the server is certain to
//! reject (as stock does since the CVE-2025-1094 fixes), so no byte can "swallow" a
//! closing quote.

use crate::keywords::{KeywordCategory, KEYWORDS};

/// A server encoding, as named in an archive's `ENCODING` entry or by `client_encoding`.
///
/// Only what quoting needs is modelled: the canonical name, how long a character that
/// starts with a given byte is, and whether a multibyte character is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    SqlAscii,
    EucJp,
    EucCn,
    EucKr,
    EucTw,
    EucJis2004,
    Utf8,
    MuleInternal,
    Latin1,
    Latin2,
    Latin3,
    Latin4,
    Latin5,
    Latin6,
    Latin7,
    Latin8,
    Latin9,
    Latin10,
    Win1256,
    Win1258,
    Win866,
    Win874,
    Koi8r,
    Win1251,
    Win1252,
    Iso8859_5,
    Iso8859_6,
    Iso8859_7,
    Iso8859_8,
    Win1250,
    Win1253,
    Win1254,
    Win1255,
    Win1257,
    Koi8u,
    Sjis,
    Big5,
    Gbk,
    Uhc,
    Gb18030,
    Johab,
    ShiftJis2004,
}

/// Canonical names (`pg_enc2name_tbl`), in PostgreSQL's encoding-number order.
const CANONICAL: &[(Encoding, &str)] = &[
    (Encoding::SqlAscii, "SQL_ASCII"),
    (Encoding::EucJp, "EUC_JP"),
    (Encoding::EucCn, "EUC_CN"),
    (Encoding::EucKr, "EUC_KR"),
    (Encoding::EucTw, "EUC_TW"),
    (Encoding::EucJis2004, "EUC_JIS_2004"),
    (Encoding::Utf8, "UTF8"),
    (Encoding::MuleInternal, "MULE_INTERNAL"),
    (Encoding::Latin1, "LATIN1"),
    (Encoding::Latin2, "LATIN2"),
    (Encoding::Latin3, "LATIN3"),
    (Encoding::Latin4, "LATIN4"),
    (Encoding::Latin5, "LATIN5"),
    (Encoding::Latin6, "LATIN6"),
    (Encoding::Latin7, "LATIN7"),
    (Encoding::Latin8, "LATIN8"),
    (Encoding::Latin9, "LATIN9"),
    (Encoding::Latin10, "LATIN10"),
    (Encoding::Win1256, "WIN1256"),
    (Encoding::Win1258, "WIN1258"),
    (Encoding::Win866, "WIN866"),
    (Encoding::Win874, "WIN874"),
    (Encoding::Koi8r, "KOI8R"),
    (Encoding::Win1251, "WIN1251"),
    (Encoding::Win1252, "WIN1252"),
    (Encoding::Iso8859_5, "ISO_8859_5"),
    (Encoding::Iso8859_6, "ISO_8859_6"),
    (Encoding::Iso8859_7, "ISO_8859_7"),
    (Encoding::Iso8859_8, "ISO_8859_8"),
    (Encoding::Win1250, "WIN1250"),
    (Encoding::Win1253, "WIN1253"),
    (Encoding::Win1254, "WIN1254"),
    (Encoding::Win1255, "WIN1255"),
    (Encoding::Win1257, "WIN1257"),
    (Encoding::Koi8u, "KOI8U"),
    (Encoding::Sjis, "SJIS"),
    (Encoding::Big5, "BIG5"),
    (Encoding::Gbk, "GBK"),
    (Encoding::Uhc, "UHC"),
    (Encoding::Gb18030, "GB18030"),
    (Encoding::Johab, "JOHAB"),
    (Encoding::ShiftJis2004, "SHIFT_JIS_2004"),
];

/// Aliases accepted by `pg_char_to_encoding` (`pg_encname_tbl`), already "cleaned"
/// (lower case, only letters and digits), beyond the cleaned canonical names.
const ALIASES: &[(&str, Encoding)] = &[
    ("abc", Encoding::Win1258),
    ("alt", Encoding::Win866),
    ("cp1250", Encoding::Win1250),
    ("cp1251", Encoding::Win1251),
    ("cp1252", Encoding::Win1252),
    ("cp1253", Encoding::Win1253),
    ("cp1254", Encoding::Win1254),
    ("cp1255", Encoding::Win1255),
    ("cp1256", Encoding::Win1256),
    ("cp1257", Encoding::Win1257),
    ("cp1258", Encoding::Win1258),
    ("cp866", Encoding::Win866),
    ("cp874", Encoding::Win874),
    ("cp932", Encoding::Sjis),
    ("cp936", Encoding::Gbk),
    ("cp949", Encoding::Uhc),
    ("iso88591", Encoding::Latin1),
    ("iso885910", Encoding::Latin6),
    ("iso885913", Encoding::Latin7),
    ("iso885914", Encoding::Latin8),
    ("iso885915", Encoding::Latin9),
    ("iso885916", Encoding::Latin10),
    ("iso88592", Encoding::Latin2),
    ("iso88593", Encoding::Latin3),
    ("iso88594", Encoding::Latin4),
    ("iso88599", Encoding::Latin5),
    ("koi8", Encoding::Koi8r),
    ("mskanji", Encoding::Sjis),
    ("shiftjis", Encoding::Sjis),
    ("tcvn", Encoding::Win1258),
    ("tcvn5712", Encoding::Win1258),
    ("unicode", Encoding::Utf8),
    ("vscii", Encoding::Win1258),
    ("win", Encoding::Win1251),
    ("win932", Encoding::Sjis),
    ("win936", Encoding::Gbk),
    ("win949", Encoding::Uhc),
    ("win950", Encoding::Big5),
];

impl Encoding {
    /// Looks a name up as `pg_char_to_encoding` does: case-insensitively, ignoring
    /// everything but letters and digits (`utf-8`, `Latin1`, `ISO-8859-1` all work).
    pub fn from_name(name: &[u8]) -> Option<Encoding> {
        let clean: String = name
            .iter()
            .filter(|b| b.is_ascii_alphanumeric())
            .map(|b| b.to_ascii_lowercase() as char)
            .collect();
        for (enc, canonical) in CANONICAL {
            let canon_clean: String = canonical
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
                .collect();
            if canon_clean == clean {
                return Some(*enc);
            }
        }
        ALIASES.iter().find(|(alias, _)| *alias == clean).map(|(_, enc)| *enc)
    }

    /// The canonical name, as `pg_encoding_to_char` prints it.
    pub fn name(self) -> &'static str {
        CANONICAL
            .iter()
            .find(|(enc, _)| *enc == self)
            .map(|(_, name)| *name)
            .unwrap_or("SQL_ASCII")
    }

    fn is_single_byte(self) -> bool {
        !matches!(
            self,
            Encoding::EucJp
                | Encoding::EucCn
                | Encoding::EucKr
                | Encoding::EucTw
                | Encoding::EucJis2004
                | Encoding::Utf8
                | Encoding::MuleInternal
                | Encoding::Sjis
                | Encoding::Big5
                | Encoding::Gbk
                | Encoding::Uhc
                | Encoding::Gb18030
                | Encoding::Johab
                | Encoding::ShiftJis2004
        )
    }

    /// Length of the character starting at `s[0]` (`pg_encoding_mblen`). `s` must not
    /// be empty. May exceed `s.len()` for a truncated character.
    pub fn mblen(self, s: &[u8]) -> usize {
        let c = s[0];
        if c & 0x80 == 0 || self.is_single_byte() {
            return 1;
        }
        match self {
            Encoding::Utf8 => {
                if c & 0xe0 == 0xc0 {
                    2
                } else if c & 0xf0 == 0xe0 {
                    3
                } else if c & 0xf8 == 0xf0 {
                    4
                } else {
                    1
                }
            }
            Encoding::EucJp | Encoding::EucJis2004 | Encoding::Johab => match c {
                0x8e => 2,
                0x8f => 3,
                _ => 2,
            },
            Encoding::EucTw => match c {
                0x8e => 4,
                0x8f => 3,
                _ => 2,
            },
            // Half-width katakana are single bytes.
            Encoding::Sjis | Encoding::ShiftJis2004 if (0xa1..=0xdf).contains(&c) => 1,
            Encoding::Sjis | Encoding::ShiftJis2004 => 2,
            Encoding::Gb18030 => match s.get(1) {
                Some(b) if (0x30..=0x39).contains(b) => 4,
                _ => 2,
            },
            Encoding::MuleInternal => match c {
                0x81..=0x8d => 2,
                0x9a | 0x9b => 3,
                0x90..=0x99 => 3,
                0x9c | 0x9d => 4,
                _ => 1,
            },
            // EUC_CN, EUC_KR, BIG5, GBK, UHC: every high-bit lead byte starts two bytes.
            _ => 2,
        }
    }

    /// Whether `ch` (exactly one character's bytes, `ch.len() == mblen`) is a valid
    /// character (`pg_encoding_verifymbchar` != -1).
    pub fn verify_char(self, ch: &[u8]) -> bool {
        if ch.is_empty() || ch[1..].contains(&0) {
            return false;
        }
        match self {
            Encoding::Utf8 => utf8_is_legal(ch),
            _ if self.is_single_byte() => true,
            // Trailing bytes of the other multibyte encodings always have the high bit
            // set, except SJIS/BIG5/GBK/UHC/GB18030/JOHAB second bytes, which only must
            // not be NUL (checked above).
            Encoding::EucJp | Encoding::EucJis2004 | Encoding::EucCn | Encoding::EucKr | Encoding::EucTw => {
                ch[1..].iter().all(|b| b & 0x80 != 0)
            }
            _ => true,
        }
    }

    /// The two bytes `pg_encoding_set_invalid` writes in place of an invalid character.
    fn invalid_sequence(self) -> [u8; 2] {
        if self == Encoding::Utf8 {
            [0xc0, b' ']
        } else {
            [0x8d, b' ']
        }
    }
}

/// `pg_utf8_islegal`.
fn utf8_is_legal(s: &[u8]) -> bool {
    let len = s.len();
    if len > 4 {
        return false;
    }
    if len >= 4 && !(0x80..=0xbf).contains(&s[3]) {
        return false;
    }
    if len >= 3 && !(0x80..=0xbf).contains(&s[2]) {
        return false;
    }
    if len >= 2 {
        let a = s[1];
        let ok = match s[0] {
            0xe0 => (0xa0..=0xbf).contains(&a),
            0xed => (0x80..=0x9f).contains(&a),
            0xf0 => (0x90..=0xbf).contains(&a),
            0xf4 => (0x80..=0x8f).contains(&a),
            _ => (0x80..=0xbf).contains(&a),
        };
        if !ok {
            return false;
        }
    }
    let a = s[0];
    !((0x80..0xc2).contains(&a) || a > 0xf4)
}

/// The category of `word` if it is an SQL keyword (exact, lower-case match).
pub fn keyword_category(word: &[u8]) -> Option<KeywordCategory> {
    let index = KEYWORD_INDEX.get_or_init(KeywordIndex::build);
    let bucket = KeywordIndex::bucket(word)?;
    let (start, end) = (index.starts[bucket], index.starts[bucket + 1]);
    index.entries[start as usize..end as usize]
        .iter()
        .find(|(kw, _)| *kw == word)
        .map(|&(_, category)| category)
}

/// The keywords grouped by (length, first letter): every identifier quoted goes
/// through [`keyword_category`], and a bucket holds a few keywords at most, where a
/// binary search over all of them compared nine strings.
struct KeywordIndex {
    /// `entries[starts[b]..starts[b + 1]]` is bucket `b`.
    starts: Vec<u16>,
    entries: Vec<(&'static [u8], KeywordCategory)>,
}

static KEYWORD_INDEX: std::sync::OnceLock<KeywordIndex> = std::sync::OnceLock::new();

/// Longer than every keyword (`current_timestamp` has 17 letters).
const KEYWORD_MAX_LEN: usize = 32;

impl KeywordIndex {
    /// The bucket of a word that could be a keyword: all keywords start with `a-z`.
    fn bucket(word: &[u8]) -> Option<usize> {
        let &first = word.first()?;
        if !first.is_ascii_lowercase() || word.len() > KEYWORD_MAX_LEN {
            return None;
        }
        Some(word.len() * 26 + usize::from(first - b'a'))
    }

    fn build() -> KeywordIndex {
        let buckets = (KEYWORD_MAX_LEN + 1) * 26;
        let mut grouped: Vec<Vec<(&'static [u8], KeywordCategory)>> = vec![Vec::new(); buckets];
        for &(kw, category) in KEYWORDS {
            if let Some(b) = KeywordIndex::bucket(kw.as_bytes()) {
                grouped[b].push((kw.as_bytes(), category));
            }
        }
        let mut starts = Vec::with_capacity(buckets + 1);
        let mut entries = Vec::with_capacity(KEYWORDS.len());
        for group in grouped {
            starts.push(entries.len() as u16);
            entries.extend(group);
        }
        starts.push(entries.len() as u16);
        KeywordIndex { starts, entries }
    }
}

/// Whether `id` can be written without double quotes (`fmtId`'s test): it starts with
/// `a-z` or `_`, continues with `a-z0-9_`, and is not a keyword other than an
/// unreserved one.
pub fn ident_needs_quotes(id: &[u8]) -> bool {
    let Some(&first) = id.first() else {
        return true;
    };
    if !(first.is_ascii_lowercase() || first == b'_') {
        return true;
    }
    if !id.iter().all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_') {
        return true;
    }
    matches!(keyword_category(id), Some(cat) if cat != KeywordCategory::Unreserved)
}

/// Identifier and literal quoting for one output context: the encoding of the text,
/// whether `standard_conforming_strings` is on, and `--quote-all-identifiers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoter {
    pub encoding: Encoding,
    pub std_strings: bool,
    pub quote_all_identifiers: bool,
}

impl Default for Quoter {
    /// UTF8, standard strings on, identifiers quoted only when needed.
    fn default() -> Self {
        Quoter { encoding: Encoding::Utf8, std_strings: true, quote_all_identifiers: false }
    }
}

impl Quoter {
    pub fn new(encoding: Encoding, std_strings: bool) -> Self {
        Quoter { encoding, std_strings, quote_all_identifiers: false }
    }

    /// Appends `id` as an identifier (`fmtIdEnc`).
    pub fn push_ident(&self, out: &mut Vec<u8>, id: &[u8]) {
        if !self.quote_all_identifiers && !ident_needs_quotes(id) {
            out.extend_from_slice(id);
            return;
        }
        out.push(b'"');
        let mut rest = id;
        while let Some(&c) = rest.first() {
            if c & 0x80 == 0 {
                if c == b'"' {
                    out.push(b'"');
                }
                out.push(c);
                rest = &rest[1..];
                continue;
            }
            let len = self.encoding.mblen(rest);
            if rest.len() < len || !self.encoding.verify_char(&rest[..len]) {
                // Replace only the first byte, then carry on as if it did not exist.
                out.extend_from_slice(&self.encoding.invalid_sequence());
                rest = &rest[1..];
            } else {
                out.extend_from_slice(&rest[..len]);
                rest = &rest[len..];
            }
        }
        out.push(b'"');
    }

    /// `id` as an identifier (`fmtId`).
    pub fn ident(&self, id: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(id.len() + 2);
        self.push_ident(&mut out, id);
        out
    }

    /// `schema.name`, each part quoted as needed; the schema is left out when absent or
    /// empty (`fmtQualifiedId`).
    pub fn qualified(&self, schema: Option<&[u8]>, name: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(name.len() + 8);
        if let Some(s) = schema.filter(|s| !s.is_empty()) {
            self.push_ident(&mut out, s);
            out.push(b'.');
        }
        self.push_ident(&mut out, name);
        out
    }

    /// Appends `s` as a string literal in single quotes (`appendStringLiteral`):
    /// quotes doubled, backslashes doubled only when standard strings are off, no
    /// `E` prefix.
    pub fn push_literal(&self, out: &mut Vec<u8>, s: &[u8]) {
        out.push(b'\'');
        let mut rest = s;
        while let Some(&c) = rest.first() {
            if c & 0x80 == 0 {
                if c == b'\'' || (c == b'\\' && !self.std_strings) {
                    out.push(c);
                }
                out.push(c);
                rest = &rest[1..];
                continue;
            }
            let len = self.encoding.mblen(rest);
            if rest.len() < len || !self.encoding.verify_char(&rest[..len]) {
                out.extend_from_slice(&self.encoding.invalid_sequence());
                rest = &rest[1..];
            } else {
                out.extend_from_slice(&rest[..len]);
                rest = &rest[len..];
            }
        }
        out.push(b'\'');
    }

    /// `s` as a string literal (`appendStringLiteralAH`).
    pub fn literal(&self, s: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(s.len() + 2);
        self.push_literal(&mut out, s);
        out
    }

    /// `s` as a literal that is correct whatever the reader's standard_conforming_strings
    /// (`appendStringLiteralConn` when the server has them off): `E'...'` with doubled
    /// backslashes if `s` has a backslash and standard strings are off, else as
    /// [`Quoter::literal`].
    pub fn literal_escape_aware(&self, s: &[u8]) -> Vec<u8> {
        if !self.std_strings && s.contains(&b'\\') {
            let mut out = Vec::with_capacity(s.len() + 3);
            out.push(b'E');
            self.push_literal(&mut out, s);
            out
        } else {
            self.literal(s)
        }
    }

    /// `bytes` as a hex-format bytea literal, `'\x0a1b...'` (`appendByteaLiteral`); the
    /// backslash is doubled when standard strings are off.
    pub fn bytea_literal(&self, bytes: &[u8]) -> Vec<u8> {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = Vec::with_capacity(bytes.len() * 2 + 5);
        out.push(b'\'');
        if !self.std_strings {
            out.push(b'\\');
        }
        out.extend_from_slice(b"\\x");
        for &b in bytes {
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0x0f)]);
        }
        out.push(b'\'');
        out
    }
}

/// A database name that cannot appear in a psql `\connect` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewlineInDatabaseName(pub Vec<u8>);

impl std::fmt::Display for NewlineInDatabaseName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "database name contains a newline or carriage return: \"{}\"",
            String::from_utf8_lossy(&self.0)
        )
    }
}

impl std::error::Error for NewlineInDatabaseName {}

/// Appends `value` as a libpq connection-string value (`appendConnStrVal`): bare when
/// it is non-empty and only `[A-Za-z0-9_.]`, else in single quotes with `'` and `\`
/// backslash-escaped.
pub fn push_conn_str_value(out: &mut Vec<u8>, value: &[u8]) {
    let plain = !value.is_empty()
        && value.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.');
    if plain {
        out.extend_from_slice(value);
        return;
    }
    out.push(b'\'');
    for &c in value {
        if c == b'\'' || c == b'\\' {
            out.push(b'\\');
        }
        out.push(c);
    }
    out.push(b'\'');
}

/// The psql lines that connect to `dbname` (`appendPsqlMetaConnect`), ending in `\n`:
/// `\connect name` for plain names, else `\encoding SQL_ASCII` plus
/// `\connect -reuse-previous=on "dbname='...'"`. Names with CR or LF are refused, as
/// stock refuses them (they would end the meta-command).
pub fn psql_meta_connect(dbname: &[u8]) -> Result<Vec<u8>, NewlineInDatabaseName> {
    psql_meta_connect_quoting(dbname, false)
}

/// [`psql_meta_connect`] under `--quote-all-identifiers` when `quote_all` is set
/// (stock's `fmtId` quotes even a plain name then: `\connect "db"`).
pub fn psql_meta_connect_quoting(
    dbname: &[u8],
    quote_all: bool,
) -> Result<Vec<u8>, NewlineInDatabaseName> {
    if dbname.iter().any(|&c| c == b'\n' || c == b'\r') {
        return Err(NewlineInDatabaseName(dbname.to_vec()));
    }
    let complex = !dbname
        .iter()
        .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.');
    // The name's encoding is unknown here; SQL_ASCII passes every byte through.
    let quoter = Quoter {
        quote_all_identifiers: quote_all,
        ..Quoter::new(Encoding::SqlAscii, true)
    };
    let mut out = Vec::with_capacity(dbname.len() + 48);
    if complex {
        out.extend_from_slice(b"\\encoding SQL_ASCII\n\\connect -reuse-previous=on ");
        let mut connstr = b"dbname=".to_vec();
        push_conn_str_value(&mut connstr, dbname);
        quoter.push_ident(&mut out, &connstr);
    } else {
        out.extend_from_slice(b"\\connect ");
        quoter.push_ident(&mut out, dbname);
    }
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q() -> Quoter {
        Quoter::default()
    }

    fn s(v: Vec<u8>) -> String {
        String::from_utf8(v).expect("utf8")
    }

    #[test]
    fn plain_identifiers_stay_bare() {
        for id in ["customer", "_x", "a1_b2", "abort", "absolute", "name", "t"] {
            assert_eq!(s(q().ident(id.as_bytes())), id, "{id}");
        }
    }

    #[test]
    fn reserved_and_non_unreserved_keywords_are_quoted() {
        // reserved, column-name, type/function-name keywords
        for id in ["select", "user", "table", "int", "between", "authorization", "left", "collation"] {
            assert_eq!(s(q().ident(id.as_bytes())), format!("\"{id}\""), "{id}");
        }
        assert_eq!(keyword_category(b"select"), Some(KeywordCategory::Reserved));
        assert_eq!(keyword_category(b"int"), Some(KeywordCategory::ColName));
        assert_eq!(keyword_category(b"left"), Some(KeywordCategory::TypeFuncName));
        assert_eq!(keyword_category(b"abort"), Some(KeywordCategory::Unreserved));
        assert_eq!(keyword_category(b"customer"), None);
        assert_eq!(keyword_category(b"SELECT"), None, "lookup is on the exact lower-case word");
    }

    #[test]
    fn keyword_table_is_sorted_for_binary_search() {
        assert!(KEYWORDS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(KEYWORDS.len() > 400);
    }

    #[test]
    fn every_keyword_is_found_with_its_category() {
        for &(kw, category) in KEYWORDS {
            assert_eq!(keyword_category(kw.as_bytes()), Some(category), "{kw}");
            let longer = format!("{kw}x");
            if KEYWORDS.binary_search_by(|(k, _)| k.cmp(&longer.as_str())).is_err() {
                assert_eq!(keyword_category(longer.as_bytes()), None, "{longer}");
            }
        }
        assert_eq!(keyword_category(b""), None);
    }

    #[test]
    fn case_digits_spaces_and_quotes_force_quoting() {
        assert_eq!(s(q().ident(b"Customer")), "\"Customer\"");
        assert_eq!(s(q().ident(b"1abc")), "\"1abc\"");
        assert_eq!(s(q().ident(b"a b")), "\"a b\"");
        assert_eq!(s(q().ident(b"")), "\"\"");
        assert_eq!(s(q().ident(b"we\"ird")), "\"we\"\"ird\"");
        assert_eq!(s(q().ident(b"a$b")), "\"a$b\"");
    }

    #[test]
    fn unicode_identifiers_are_quoted_and_kept() {
        assert_eq!(s(q().ident("tablé".as_bytes())), "\"tablé\"");
        assert_eq!(s(q().ident("日本".as_bytes())), "\"日本\"");
    }

    #[test]
    fn invalid_utf8_in_identifier_is_neutralised() {
        // A lone lead byte followed by a quote must not swallow the quote.
        let out = q().ident(b"a\xe2\"b");
        assert_eq!(out, b"\"a\xc0 \"\"b\"".to_vec());
    }

    #[test]
    fn hostile_names_with_newlines_and_meta_commands_are_quoted() {
        let out = s(q().ident(b"x\n\\! echo pwned"));
        assert_eq!(out, "\"x\n\\! echo pwned\"");
        let lit = s(q().literal(b"x';\n\\! echo pwned"));
        assert_eq!(lit, "'x'';\n\\! echo pwned'");
    }

    #[test]
    fn quote_all_identifiers_quotes_everything() {
        let qa = Quoter { quote_all_identifiers: true, ..Quoter::default() };
        assert_eq!(s(qa.ident(b"customer")), "\"customer\"");
        assert_eq!(s(qa.qualified(Some(b"public"), b"t")), "\"public\".\"t\"");
    }

    #[test]
    fn qualified_names() {
        assert_eq!(s(q().qualified(Some(b"app"), b"Orders")), "app.\"Orders\"");
        assert_eq!(s(q().qualified(None, b"t")), "t");
        assert_eq!(s(q().qualified(Some(b""), b"t")), "t");
    }

    #[test]
    fn literals_with_standard_strings_on_and_off() {
        let on = Quoter::new(Encoding::Utf8, true);
        let off = Quoter::new(Encoding::Utf8, false);
        assert_eq!(s(on.literal(b"it's")), "'it''s'");
        assert_eq!(s(on.literal(b"a\\b")), "'a\\b'");
        assert_eq!(s(off.literal(b"a\\b")), "'a\\\\b'");
        assert_eq!(s(off.literal_escape_aware(b"a\\b")), "E'a\\\\b'");
        assert_eq!(s(off.literal_escape_aware(b"ab")), "'ab'");
        assert_eq!(s(on.literal_escape_aware(b"a\\b")), "'a\\b'");
        assert_eq!(s(on.literal("é'".as_bytes())), "'é'''");
    }

    #[test]
    fn invalid_multibyte_in_literal_cannot_hide_a_quote() {
        let on = Quoter::new(Encoding::Utf8, true);
        assert_eq!(on.literal(b"\xc3'"), b"'\xc0 '''".to_vec());
        // Truncated at the end of the string.
        assert_eq!(on.literal(b"ab\xe2\x82"), b"'ab\xc0 \xc0 '".to_vec());
        // Single-byte encodings take every byte as a character.
        let latin = Quoter::new(Encoding::Latin1, true);
        assert_eq!(latin.literal(b"\xe9'"), b"'\xe9'''".to_vec());
        // A non-UTF8 multibyte encoding uses the other invalid marker.
        let euc = Quoter::new(Encoding::EucJp, true);
        assert_eq!(euc.literal(b"\xa4'"), b"'\x8d '''".to_vec());
    }

    #[test]
    fn bytea_literals() {
        let on = Quoter::new(Encoding::Utf8, true);
        let off = Quoter::new(Encoding::Utf8, false);
        assert_eq!(s(on.bytea_literal(b"\x00\xffA")), "'\\x00ff41'");
        assert_eq!(s(off.bytea_literal(b"\x01")), "'\\\\x01'");
        assert_eq!(s(on.bytea_literal(b"")), "'\\x'");
    }

    #[test]
    fn encodings_by_name() {
        assert_eq!(Encoding::from_name(b"UTF8"), Some(Encoding::Utf8));
        assert_eq!(Encoding::from_name(b"utf-8"), Some(Encoding::Utf8));
        assert_eq!(Encoding::from_name(b"Unicode"), Some(Encoding::Utf8));
        assert_eq!(Encoding::from_name(b"iso-8859-1"), Some(Encoding::Latin1));
        assert_eq!(Encoding::from_name(b"SQL_ASCII"), Some(Encoding::SqlAscii));
        assert_eq!(Encoding::from_name(b"EUC_JIS_2004"), Some(Encoding::EucJis2004));
        assert_eq!(Encoding::from_name(b"klingon"), None);
        assert_eq!(Encoding::Latin9.name(), "LATIN9");
        assert_eq!(Encoding::Iso8859_5.name(), "ISO_8859_5");
    }

    #[test]
    fn utf8_validity() {
        assert!(utf8_is_legal("é".as_bytes()));
        assert!(utf8_is_legal("日".as_bytes()));
        assert!(utf8_is_legal("😀".as_bytes()));
        assert!(!utf8_is_legal(b"\xed\xa0\x80"), "surrogates are illegal");
        assert!(!utf8_is_legal(b"\xc0\x80"), "overlong");
        assert!(!utf8_is_legal(b"\x80"));
        assert!(!Encoding::Utf8.verify_char(b"\xc3\x00"));
    }

    #[test]
    fn connect_lines() {
        assert_eq!(s(psql_meta_connect(b"basic").expect("ok")), "\\connect basic\n");
        assert_eq!(s(psql_meta_connect(b"Basic").expect("ok")), "\\connect \"Basic\"\n");
        assert_eq!(s(psql_meta_connect(b"select").expect("ok")), "\\connect \"select\"\n");
        assert_eq!(
            s(psql_meta_connect_quoting(b"basic", true).expect("ok")),
            "\\connect \"basic\"\n"
        );
        assert_eq!(
            s(psql_meta_connect(b"my db's").expect("ok")),
            "\\encoding SQL_ASCII\n\\connect -reuse-previous=on \"dbname='my db\\'s'\"\n"
        );
        assert_eq!(
            s(psql_meta_connect(b"a\"b").expect("ok")),
            "\\encoding SQL_ASCII\n\\connect -reuse-previous=on \"dbname='a\"\"b'\"\n"
        );
        assert!(psql_meta_connect(b"x\ny").is_err());
        assert!(psql_meta_connect(b"x\ry").is_err());
    }

    #[test]
    fn conn_str_values() {
        let mut out = Vec::new();
        push_conn_str_value(&mut out, b"a.b_1");
        assert_eq!(out, b"a.b_1");
        out.clear();
        push_conn_str_value(&mut out, b"");
        assert_eq!(out, b"''");
        out.clear();
        push_conn_str_value(&mut out, b"a\\b'c");
        assert_eq!(out, b"'a\\\\b\\'c'");
    }
}
