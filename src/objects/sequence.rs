//! SEQUENCE, SEQUENCE OWNED BY and identity columns' sequences. Mirrors pg_dump.c
//! `collectSequences()` / `dumpSequence()`. Catalog: pg_sequence (+ the sequence
//! relation itself or 18's `pg_get_sequence_data()` for the current value).
//! TOC: "SEQUENCE" (identity sequences print `ALTER TABLE ... ADD GENERATED`),
//! "SEQUENCE OWNED BY", pre-data. SEQUENCE SET lives in `objects::table_data`.

use std::collections::HashMap;

use pgark_formats::model::{Desc, Section};

use crate::catalog::{CatalogError, ServerVersion, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::table::Table;
use crate::objects::{catalog_oid, Catalog, Components, DumpObject};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqType {
    SmallInt,
    Integer,
    BigInt,
}

#[derive(Debug, Clone)]
pub struct Sequence {
    pub seq_type: SeqType,
    pub start: i64,
    pub increment: i64,
    pub max: i64,
    pub min: i64,
    pub cache: i64,
    pub cycle: bool,
    pub last_value: Option<i64>,
    pub is_called: bool,
}

/// Sequence parameters by sequence OID.
pub type Sequences = HashMap<u32, Sequence>;

/// `collectSequences`: one query for every sequence; the current values come along on
/// 18 (`pg_get_sequence_data`) and from one UNION query over the sequences otherwise.
pub async fn collect(
    session: &Session,
    cat: &Catalog,
    want_values: bool,
) -> Result<Sequences, CatalogError> {
    let v18 = session.version.at_least(ServerVersion::PG18);
    let sql = if v18 && want_values {
        "SELECT seqrelid, format_type(seqtypid, NULL) AS seqtype, seqstart, seqincrement, seqmax, seqmin, seqcache, seqcycle, \
         last_value, is_called FROM pg_catalog.pg_sequence, pg_catalog.pg_get_sequence_data(seqrelid) ORDER BY seqrelid"
    } else {
        "SELECT seqrelid, format_type(seqtypid, NULL) AS seqtype, seqstart, seqincrement, seqmax, seqmin, seqcache, seqcycle, \
         NULL AS last_value, 'f' AS is_called FROM pg_catalog.pg_sequence ORDER BY seqrelid"
    };
    let rows = session.query(sql).await?;
    let mut out = HashMap::new();
    for r in rows.iter() {
        let seq_type = match r.text("seqtype")? {
            "smallint" => SeqType::SmallInt,
            "integer" => SeqType::Integer,
            "bigint" => SeqType::BigInt,
            other => return Err(r.bad("seqtype", other)),
        };
        let last_value = if r.is_null("last_value")? {
            None
        } else {
            Some(r.i64("last_value")?)
        };
        out.insert(
            r.oid("seqrelid")?,
            Sequence {
                seq_type,
                start: r.i64("seqstart")?,
                increment: r.i64("seqincrement")?,
                max: r.i64("seqmax")?,
                min: r.i64("seqmin")?,
                cache: r.i64("seqcache")?,
                cycle: r.bool("seqcycle")?,
                last_value,
                is_called: r.bool("is_called")?,
            },
        );
    }
    if want_values && !v18 {
        // Before 18 the values live in each sequence relation; read them all at once,
        // only of the sequences whose value is dumped (as stock's dumpSequenceData: the
        // others may not be readable by the dumping user).
        let q = pgark_formats::quote::Quoter::default();
        let with_value: std::collections::HashSet<u32> =
            cat.table_data.iter().map(|d| d.table_oid).collect();
        let parts: Vec<String> = cat
            .tables
            .iter()
            .filter(|t| {
                t.relkind == b'S' && out.contains_key(&t.oid) && with_value.contains(&t.oid)
            })
            .map(|t| {
                let name = String::from_utf8_lossy(
                    &q.qualified(Some(t.schema.as_bytes()), t.name.as_bytes()),
                )
                .into_owned();
                format!(
                    "SELECT {}::pg_catalog.oid AS seqrelid, last_value, is_called FROM {name}",
                    t.oid
                )
            })
            .collect();
        for chunk in parts.chunks(500) {
            let rows = session.query(&chunk.join(" UNION ALL ")).await?;
            for r in rows.iter() {
                if let Some(s) = out.get_mut(&r.oid("seqrelid")?) {
                    s.last_value = Some(r.i64("last_value")?);
                    s.is_called = r.bool("is_called")?;
                }
            }
        }
    }
    Ok(out)
}

/// `dumpSequence`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, t: &Table, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let Some(seq) = cx.catalog.sequences.get(&t.oid) else {
        return;
    };
    let ascending = seq.increment >= 0;
    let (default_min, default_max) = match (seq.seq_type, ascending) {
        (SeqType::SmallInt, true) => (1, i16::MAX as i64),
        (SeqType::SmallInt, false) => (i16::MIN as i64, -1),
        (SeqType::Integer, true) => (1, i32::MAX as i64),
        (SeqType::Integer, false) => (i32::MIN as i64, -1),
        (SeqType::BigInt, true) => (1, i64::MAX),
        (SeqType::BigInt, false) => (i64::MIN, -1),
    };
    let qualname = cx.qualified(&t.schema, &t.name);
    let owning = if t.owning_tab != 0 {
        cx.catalog.table_by_oid(t.owning_tab)
    } else {
        None
    };
    let mut q = String::new();
    let mut drop = String::new();
    if !t.is_identity_sequence {
        drop = format!("DROP SEQUENCE {qualname};\n");
    }
    match (t.is_identity_sequence, owning) {
        (true, Some(owner)) => {
            let col = owner.columns.iter().find(|c| c.num == t.owning_col);
            let col_name = col.map(|c| c.name.as_str()).unwrap_or("");
            q.push_str(&format!(
                "ALTER TABLE {} ",
                cx.qualified(&owner.schema, &owner.name)
            ));
            q.push_str(&format!(
                "ALTER COLUMN {} ADD GENERATED ",
                cx.ident(col_name)
            ));
            match col.map(|c| c.identity) {
                Some(b'a') => q.push_str("ALWAYS"),
                Some(b'd') => q.push_str("BY DEFAULT"),
                _ => {}
            }
            q.push_str(&format!(" AS IDENTITY (\n    SEQUENCE NAME {qualname}\n"));
            if t.persistence != owner.persistence {
                q.push_str(if t.persistence == b'u' {
                    "    UNLOGGED\n"
                } else {
                    "    LOGGED\n"
                });
            }
        }
        _ => {
            let unlogged = if t.persistence == b'u' {
                "UNLOGGED "
            } else {
                ""
            };
            q.push_str(&format!("CREATE {unlogged}SEQUENCE {qualname}\n"));
            match seq.seq_type {
                SeqType::SmallInt => q.push_str("    AS smallint\n"),
                SeqType::Integer => q.push_str("    AS integer\n"),
                SeqType::BigInt => {}
            }
        }
    }
    q.push_str(&format!("    START WITH {}\n", seq.start));
    q.push_str(&format!("    INCREMENT BY {}\n", seq.increment));
    if seq.min != default_min {
        q.push_str(&format!("    MINVALUE {}\n", seq.min));
    } else {
        q.push_str("    NO MINVALUE\n");
    }
    if seq.max != default_max {
        q.push_str(&format!("    MAXVALUE {}\n", seq.max));
    } else {
        q.push_str("    NO MAXVALUE\n");
    }
    q.push_str(&format!(
        "    CACHE {}{}",
        seq.cache,
        if seq.cycle { "\n    CYCLE" } else { "" }
    ));
    q.push_str(if t.is_identity_sequence {
        "\n);\n"
    } else {
        ";\n"
    });
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(Desc::Sequence, Section::PreData, t.name.clone());
        e.catalog_id = obj.catalog_id;
        e.namespace = Some(t.schema.clone());
        e.owner = Some(t.owner.clone());
        e.relkind = b'S';
        e.defn = q;
        e.drop_stmt = drop;
        out.push(obj.dump_id, e);
    }
    if let (Some(owner), false) = (owning, t.is_identity_sequence) {
        let owner_dumps = cx
            .catalog
            .objects
            .get(owner.dump_id)
            .map(|o| o.dump.has(Components::DEFINITION))
            .unwrap_or(false);
        if owner_dumps && obj.dump.has(Components::DEFINITION) {
            let col = owner
                .columns
                .iter()
                .find(|c| c.num == t.owning_col)
                .map(|c| c.name.as_str())
                .unwrap_or("");
            let mut e = NewEntry::new(Desc::SequenceOwnedBy, Section::PreData, t.name.clone());
            e.namespace = Some(t.schema.clone());
            e.owner = Some(t.owner.clone());
            e.defn = format!(
                "ALTER SEQUENCE {qualname} OWNED BY {}.{};\n",
                cx.qualified(&owner.schema, &owner.name),
                cx.ident(col)
            );
            e.deps = vec![obj.dump_id];
            out.push_new(e);
        }
    }
    if obj.dump.has(Components::COMMENT) {
        let qname = cx.ident(&t.name);
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: "SEQUENCE",
                name: &qname,
                namespace: Some(&t.schema),
                owner: &t.owner,
                classoid: catalog_oid::PG_CLASS,
                objoid: t.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
}
