//! SUBSCRIPTION. Mirrors pg_dump.c `getSubscriptions()` / `dumpSubscription()`.
//! Catalog: pg_subscription (of the current database). TOC: "SUBSCRIPTION",
//! post-data, no schema. Only a superuser may read `subconninfo`, so like stock a
//! non-superuser dumps no subscriptions and gets a warning when there are some.
//! Versions: 14 has binary/streaming (boolean streaming); 15 adds two_phase and
//! disable_on_error; 16 adds password_required, run_as_owner, origin and parallel
//! streaming; 17 adds failover (and the origin's remote LSN for binary upgrade).

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, ServerVersion, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::table::parse_text_array;
use crate::objects::{Catalog, Components, DumpObject, Kind};

#[derive(Debug, Clone, Default)]
pub struct Subscription {
    pub oid: u32,
    pub classoid: u32,
    pub name: String,
    pub owner: String,
    pub conninfo: String,
    pub slot_name: Option<String>,
    pub synchronous_commit: String,
    pub publications: Vec<String>,
    pub binary: bool,
    /// `f` off, `t` on, `p` parallel.
    pub stream: u8,
    /// `d` when two-phase commit is disabled.
    pub two_phase_state: u8,
    pub disable_on_error: bool,
    pub password_required: bool,
    pub run_as_owner: bool,
    pub failover: bool,
    pub origin: String,
    /// Binary upgrade only: the origin's remote LSN and whether it is enabled.
    pub origin_remote_lsn: Option<String>,
    pub enabled: bool,
}

/// `getSubscriptions`. Returns stock's warning when subscriptions exist but the user
/// may not read them.
pub async fn collect(
    session: &Session,
    cat: &mut Catalog,
    include_everything: bool,
    binary_upgrade: bool,
) -> Result<Option<String>, CatalogError> {
    const THIS_DB: &str =
        "(SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())";
    let su = session
        .query("SELECT pg_catalog.current_setting('is_superuser') AS su")
        .await?;
    let is_superuser = su
        .iter()
        .next()
        .map(|r| r.text("su").map(|v| v == "on"))
        .transpose()?
        .unwrap_or(false);
    if !is_superuser {
        let n = session
            .query(&format!(
                "SELECT count(*) AS n FROM pg_catalog.pg_subscription WHERE subdbid = {THIS_DB}"
            ))
            .await?;
        let count = n
            .iter()
            .next()
            .map(|r| r.i64("n"))
            .transpose()?
            .unwrap_or(0);
        return Ok((count > 0).then(|| {
            "subscriptions not dumped because current user is not a superuser".to_string()
        }));
    }
    let v = session.version;
    let mut cols = vec![
        "s.tableoid",
        "s.oid",
        "s.subname",
        "s.subowner",
        "s.subconninfo",
        "s.subslotname",
        "s.subsynccommit",
        "s.subpublications",
        "s.subbinary",
        "s.substream",
    ];
    if v.at_least(ServerVersion::PG15) {
        cols.extend(["s.subtwophasestate", "s.subdisableonerr"]);
    } else {
        cols.extend(["'d' AS subtwophasestate", "false AS subdisableonerr"]);
    }
    if v.at_least(ServerVersion::PG16) {
        cols.extend(["s.subpasswordrequired", "s.subrunasowner", "s.suborigin"]);
    } else {
        cols.extend([
            "'t' AS subpasswordrequired",
            "'t' AS subrunasowner",
            "'any' AS suborigin",
        ]);
    }
    let upgrade17 = binary_upgrade && v.at_least(ServerVersion::PG17);
    if upgrade17 {
        cols.extend(["o.remote_lsn AS suboriginremotelsn", "s.subenabled"]);
    } else {
        cols.extend(["NULL AS suboriginremotelsn", "false AS subenabled"]);
    }
    if v.at_least(ServerVersion::PG17) {
        cols.push("s.subfailover");
    } else {
        cols.push("false AS subfailover");
    }
    let join = if upgrade17 {
        "LEFT JOIN pg_catalog.pg_replication_origin_status o ON o.external_id = 'pg_' || s.oid::text "
    } else {
        ""
    };
    let rows = session
        .query(&format!(
            "SELECT {} FROM pg_catalog.pg_subscription s {join}WHERE s.subdbid = {THIS_DB}",
            cols.join(", ")
        ))
        .await?;
    for r in rows.iter() {
        let s = Subscription {
            oid: r.oid("oid")?,
            classoid: r.oid("tableoid")?,
            name: r.string("subname")?,
            owner: cat.role_name(r.oid("subowner")?),
            conninfo: r.string("subconninfo")?,
            slot_name: r.opt_string("subslotname")?,
            synchronous_commit: r.string("subsynccommit")?,
            publications: parse_text_array(r.text("subpublications")?),
            binary: r.bool("subbinary")?,
            stream: r.char("substream")?,
            two_phase_state: r.char("subtwophasestate")?,
            disable_on_error: r.bool("subdisableonerr")?,
            password_required: r.bool("subpasswordrequired")?,
            run_as_owner: r.bool("subrunasowner")?,
            failover: r.bool("subfailover")?,
            origin: r.string("suborigin")?,
            origin_remote_lsn: r.opt_string("suboriginremotelsn")?,
            enabled: r.bool("subenabled")?,
        };
        let idx = cat.subscriptions.len();
        let id = cat.objects.add(
            Kind::Subscription,
            CatalogId {
                table_oid: s.classoid,
                oid: s.oid,
            },
            s.name.clone(),
            None,
            idx,
        );
        cat.objects.set_dump(
            id,
            if include_everything {
                Components::ALL
            } else {
                Components::NONE
            },
        );
        cat.subscriptions.push(s);
    }
    Ok(None)
}

/// The CREATE SUBSCRIPTION command (`dumpSubscription`), given quoting functions.
pub fn definition(
    s: &Subscription,
    ident: impl Fn(&str) -> String,
    literal: impl Fn(&str) -> String,
    binary_upgrade_17: bool,
) -> String {
    let qname = ident(&s.name);
    let pubs: Vec<String> = s.publications.iter().map(|p| ident(p)).collect();
    let mut q = format!(
        "CREATE SUBSCRIPTION {qname} CONNECTION {} PUBLICATION {} WITH (connect = false, slot_name = ",
        literal(&s.conninfo),
        pubs.join(", ")
    );
    match &s.slot_name {
        Some(slot) => q.push_str(&literal(slot)),
        None => q.push_str("NONE"),
    }
    if s.binary {
        q.push_str(", binary = true");
    }
    q.push_str(match s.stream {
        b't' => ", streaming = on",
        b'p' => ", streaming = parallel",
        _ => ", streaming = off",
    });
    if s.two_phase_state != b'd' {
        q.push_str(", two_phase = on");
    }
    if s.disable_on_error {
        q.push_str(", disable_on_error = true");
    }
    if !s.password_required {
        q.push_str(", password_required = false");
    }
    if s.run_as_owner {
        q.push_str(", run_as_owner = true");
    }
    if s.failover {
        q.push_str(", failover = true");
    }
    if s.synchronous_commit != "off" {
        q.push_str(&format!(
            ", synchronous_commit = {}",
            ident(&s.synchronous_commit)
        ));
    }
    if !s.origin.eq_ignore_ascii_case("any") {
        q.push_str(&format!(", origin = {}", s.origin));
    }
    q.push_str(");\n");
    if binary_upgrade_17 {
        if let Some(lsn) = &s.origin_remote_lsn {
            q.push_str("\n-- For binary upgrade, must preserve the remote_lsn for the subscriber's replication origin.\n");
            q.push_str(&format!(
                "SELECT pg_catalog.binary_upgrade_replorigin_advance({}, '{lsn}');\n",
                literal(&s.name)
            ));
        }
        if s.enabled {
            q.push_str("\n-- For binary upgrade, must preserve the subscriber's running state.\n");
            q.push_str(&format!("ALTER SUBSCRIPTION {qname} ENABLE;\n"));
        }
    }
    q
}

/// `dumpSubscription`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let s = &cx.catalog.subscriptions[obj.model];
    let qname = cx.ident(&s.name);
    if obj.dump.has(Components::DEFINITION) {
        let upgrade17 = cx.opts.binary_upgrade && cx.opts.server_version >= ServerVersion::PG17.0;
        let mut e = NewEntry::new(Desc::Subscription, Section::PostData, s.name.clone());
        e.catalog_id = obj.catalog_id;
        e.owner = Some(s.owner.clone());
        e.defn = definition(s, |x| cx.ident(x), |x| cx.literal(x), upgrade17);
        e.drop_stmt = format!("DROP SUBSCRIPTION {qname};\n");
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "SUBSCRIPTION",
                name: &qname,
                namespace: None,
                owner: &s.owner,
                classoid: s.classoid,
                objoid: s.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{definition, Subscription};

    fn ident(s: &str) -> String {
        if s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            s.to_string()
        } else {
            format!("\"{s}\"")
        }
    }
    fn literal(s: &str) -> String {
        format!("'{}'", s.replace('\'', "''"))
    }

    #[test]
    fn defaults_print_only_connect_slot_and_streaming() {
        let s = Subscription {
            name: "sub".into(),
            conninfo: "host=x dbname='a b'".into(),
            publications: vec!["p1".into(), "P2".into()],
            synchronous_commit: "off".into(),
            stream: b'f',
            two_phase_state: b'd',
            password_required: true,
            origin: "any".into(),
            ..Subscription::default()
        };
        assert_eq!(
            definition(&s, ident, literal, false),
            "CREATE SUBSCRIPTION sub CONNECTION 'host=x dbname=''a b''' PUBLICATION p1, \"P2\" \
             WITH (connect = false, slot_name = NONE, streaming = off);\n"
        );
    }

    #[test]
    fn every_option_in_stock_order() {
        let s = Subscription {
            name: "sub".into(),
            conninfo: "host=x".into(),
            publications: vec!["p".into()],
            slot_name: Some("slot".into()),
            synchronous_commit: "remote_apply".into(),
            binary: true,
            stream: b'p',
            two_phase_state: b'p',
            disable_on_error: true,
            password_required: false,
            run_as_owner: true,
            failover: true,
            origin: "none".into(),
            enabled: true,
            origin_remote_lsn: Some("0/1".into()),
            ..Subscription::default()
        };
        assert_eq!(
            definition(&s, ident, literal, true),
            "CREATE SUBSCRIPTION sub CONNECTION 'host=x' PUBLICATION p WITH (connect = false, slot_name = 'slot', \
             binary = true, streaming = parallel, two_phase = on, disable_on_error = true, password_required = false, \
             run_as_owner = true, failover = true, synchronous_commit = remote_apply, origin = none);\n\
             \n-- For binary upgrade, must preserve the remote_lsn for the subscriber's replication origin.\n\
             SELECT pg_catalog.binary_upgrade_replorigin_advance('sub', '0/1');\n\
             \n-- For binary upgrade, must preserve the subscriber's running state.\n\
             ALTER SUBSCRIPTION sub ENABLE;\n"
        );
    }
}
