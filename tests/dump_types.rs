//! `pgark dump -s` of the type kinds the shared fixtures cannot hold (base types need
//! I/O functions in C or `internal`, which only a superuser creates): base types with
//! every CREATE TYPE clause and their shell types, range types with canonical and
//! subtype-difference functions, a non-default operator class and a collation, an
//! undefined shell type, domains with a NOT VALID check and a named NOT NULL. Compared
//! byte for byte with stock pg_dump 18 (after the version lines) on 18 and 14, plus
//! `pg_restore -l` of both `-Fc` archives.

use std::process::{Command, Output};

use pgark_testkit::roundtrip::unified_diff;
use pgark_testkit::{available_majors, must, scratch_dir, stock_listing, stock_tool, without_version_lines, Cluster};

const KEY: &str = "pgarkTypesKey0123456789";

const SCHEMA: &str = "
CREATE SCHEMA bt;
CREATE TYPE bt.myint;
CREATE FUNCTION bt.myint_in(cstring) RETURNS bt.myint LANGUAGE internal IMMUTABLE STRICT AS 'int4in';
CREATE FUNCTION bt.myint_out(bt.myint) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'int4out';
CREATE FUNCTION bt.myint_recv(internal) RETURNS bt.myint LANGUAGE internal IMMUTABLE STRICT AS 'int4recv';
CREATE FUNCTION bt.myint_send(bt.myint) RETURNS bytea LANGUAGE internal IMMUTABLE STRICT AS 'int4send';
CREATE TYPE bt.myint (INPUT = bt.myint_in, OUTPUT = bt.myint_out, RECEIVE = bt.myint_recv,
    SEND = bt.myint_send, INTERNALLENGTH = 4, PASSEDBYVALUE, ALIGNMENT = int4, STORAGE = plain,
    CATEGORY = 'N', PREFERRED = true, DEFAULT = '42', DELIMITER = ';');
COMMENT ON TYPE bt.myint IS 'base type';
REVOKE USAGE ON TYPE bt.myint FROM PUBLIC;
CREATE TYPE bt.mytext;
CREATE FUNCTION bt.mytext_in(cstring) RETURNS bt.mytext LANGUAGE internal IMMUTABLE STRICT AS 'textin';
CREATE FUNCTION bt.mytext_out(bt.mytext) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'textout';
CREATE FUNCTION bt.mytypmod_in(cstring[]) RETURNS integer LANGUAGE internal IMMUTABLE STRICT AS 'varchartypmodin';
CREATE FUNCTION bt.mytypmod_out(integer) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'varchartypmodout';
CREATE TYPE bt.mytext (INPUT = bt.mytext_in, OUTPUT = bt.mytext_out, TYPMOD_IN = bt.mytypmod_in,
    TYPMOD_OUT = bt.mytypmod_out, INTERNALLENGTH = variable, STORAGE = extended, COLLATABLE = true,
    CATEGORY = 'S', ANALYZE = array_typanalyze, ALIGNMENT = int4);
CREATE TYPE bt.pair;
CREATE FUNCTION bt.pair_in(cstring) RETURNS bt.pair LANGUAGE internal IMMUTABLE STRICT AS 'point_in';
CREATE FUNCTION bt.pair_out(bt.pair) RETURNS cstring LANGUAGE internal IMMUTABLE STRICT AS 'point_out';
CREATE TYPE bt.pair (INPUT = bt.pair_in, OUTPUT = bt.pair_out, INTERNALLENGTH = 16, ELEMENT = float8,
    SUBSCRIPT = raw_array_subscript_handler, ALIGNMENT = double);
CREATE TYPE bt.myrange;
CREATE FUNCTION bt.myrange_canon(bt.myrange) RETURNS bt.myrange LANGUAGE internal IMMUTABLE STRICT
    AS 'int4range_canonical';
CREATE TYPE bt.myrange AS RANGE (subtype = int4, canonical = bt.myrange_canon,
    subtype_diff = int4range_subdiff);
CREATE TYPE bt.textrange AS RANGE (subtype = text, collation = \"POSIX\", subtype_opclass = text_pattern_ops);
CREATE TYPE bt.never_defined;
COMMENT ON TYPE bt.never_defined IS 'shell only';
CREATE TABLE bt.uses (a bt.myint, b bt.mytext(12), c bt.pair, r bt.myrange, t bt.textrange);
CREATE DOMAIN bt.dd AS bt.myint CHECK (VALUE IS NOT NULL);
ALTER DOMAIN bt.dd ADD CONSTRAINT dd_nv CHECK (VALUE::text <> '7') NOT VALID;
COMMENT ON CONSTRAINT dd_nv ON DOMAIN bt.dd IS 'not valid one';
CREATE DOMAIN bt.named_nn AS integer CONSTRAINT named_nn_given NOT NULL;
CREATE DOMAIN bt.plain_nn AS integer NOT NULL;
";

fn dump(cluster: &Cluster, stock: bool, args: &[&str]) -> Output {
    let mut cmd = if stock {
        Command::new(stock_tool(18, "pg_dump"))
    } else {
        let mut c = Command::new(env!("CARGO_BIN_EXE_pgark"));
        c.arg("dump");
        c
    };
    cluster.apply_env(&mut cmd);
    cmd.args(args).arg("bt");
    must(&mut cmd, if stock { "pg_dump" } else { "pgark dump" })
}

fn check_major(major: u32) {
    if !available_majors().contains(&major) {
        assert!(
            std::env::var_os("CI").is_none(),
            "PostgreSQL {major} is not provisioned"
        );
        eprintln!("skipping: PostgreSQL {major} is not provisioned");
        return;
    }
    let cluster = Cluster::start(major);
    cluster.create_database("bt");
    cluster.psql("bt", SCHEMA);
    let key = format!("--restrict-key={KEY}");
    let args = ["-s", key.as_str()];
    let stock = without_version_lines(&dump(&cluster, true, &args).stdout);
    let ours = without_version_lines(&dump(&cluster, false, &args).stdout);
    assert!(
        stock == ours,
        "PG {major} -s:\n{}",
        unified_diff(&stock, &ours, "stock", "pgark")
    );
    assert!(ours.contains("Type: SHELL TYPE") && ours.contains("ALTER DOMAIN bt.dd\n"));
    let dir = scratch_dir();
    let (sp, op) = (dir.path().join("s.dump"), dir.path().join("o.dump"));
    for (stock, path) in [(true, &sp), (false, &op)] {
        let p = path.to_string_lossy().into_owned();
        dump(&cluster, stock, &["-Fc", "-f", p.as_str()]);
    }
    let (sl, ol) = (stock_listing(&sp), stock_listing(&op));
    assert!(
        sl == ol,
        "PG {major} -Fc listing:\n{}",
        unified_diff(&sl, &ol, "stock", "pgark")
    );
}

#[test]
fn base_range_shell_and_domain_types_match_stock_on_18() {
    check_major(18);
}

#[test]
fn base_range_shell_and_domain_types_match_stock_on_14() {
    check_major(14);
}
