//! Identifier quoting against the server: PostgreSQL 18's `quote_ident()` applies the
//! same rule as the client tools' `fmtId` (lower-case ASCII letters, digits and `_`,
//! not starting with a digit, and not a keyword other than an unreserved one), so every
//! keyword and a set of awkward names must quote the same way in pgark.

use pgark_formats::keywords::KEYWORDS;
use pgark_formats::quote::Quoter;
use pgark_testkit::Cluster;

#[test]
fn quote_ident_matches_server_for_every_keyword_and_awkward_names() {
    let cluster = Cluster::start(18);
    let mut names: Vec<String> = KEYWORDS.iter().map(|(w, _)| w.to_string()).collect();
    names.extend(
        [
            "customer", "Customer", "_x", "x1", "1x", "a b", "a\"b", "é", "日本語", "emoji 🐘", "back\\slash",
            "semi;colon", "x\ny", "x\\! echo pwned", "$dollar", "d$", "", "select1", "user_", "ALL",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    // One query: each name as a dollar-quoted literal (none contains "$q$"), one per line.
    let values: Vec<String> = names.iter().map(|n| format!("($q${n}$q$, {})", names.len())).collect();
    let sql = format!(
        "SELECT string_agg(encode(convert_to(quote_ident(n), 'UTF8'), 'hex'), ',' ORDER BY ord) \
         FROM (SELECT n, row_number() OVER () AS ord FROM (VALUES {}) AS v(n, c)) AS t",
        values.join(",")
    );
    let out = cluster.psql("postgres", &sql);
    let server: Vec<Vec<u8>> = out
        .split(',')
        .map(|hex| {
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex from server"))
                .collect()
        })
        .collect();
    assert_eq!(server.len(), names.len(), "one result per name");
    let quoter = Quoter::default();
    let mut mismatches = Vec::new();
    for (name, expected) in names.iter().zip(&server) {
        let ours = quoter.ident(name.as_bytes());
        if &ours != expected {
            mismatches.push(format!(
                "{name:?}: server {:?}, pgark {:?}",
                String::from_utf8_lossy(expected),
                String::from_utf8_lossy(&ours)
            ));
        }
    }
    assert!(mismatches.is_empty(), "quoting differs:\n{}", mismatches.join("\n"));
}
