//! TYPE (enum, composite), DOMAIN, and the types that are only graph nodes (array
//! types, table row types as stock's `DO_DUMMY_TYPE`). Mirrors pg_dump.c `getTypes()`,
//! `getDomainConstraints()`, `dumpEnumType()`, `dumpCompositeType()`,
//! `dumpCompositeTypeColComments()`, `dumpDomain()`. Catalog: pg_type, pg_enum,
//! pg_attribute, pg_constraint. TOC: "TYPE", "DOMAIN", pre-data.
//! Not yet emitted: base types (and their shell types), range types.

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::privileges::{self, AclTarget, DumpableAcl};
use crate::objects::table::parse_text_array;
use crate::objects::{catalog_oid, Catalog, Components, DumpObject, Kind};

#[derive(Debug, Clone)]
pub enum TypeBody {
    Enum {
        labels: Vec<String>,
    },
    /// (name, type, collation) of each attribute, and the pg_class row's OID.
    Composite {
        attrs: Vec<(i32, String, String, Option<String>)>,
        relid: u32,
    },
    /// `checks`: (name, definition, constraint OID) of the validated CHECKs.
    Domain {
        base: String,
        not_null: bool,
        default: Option<String>,
        default_is_literal: bool,
        collation: Option<String>,
        checks: Vec<(String, String, u32)>,
    },
    /// Array types, row types of tables, and kinds not emitted yet.
    NotEmitted,
}

#[derive(Debug, Clone)]
pub struct Type {
    pub oid: u32,
    pub name: String,
    pub schema: String,
    pub owner: String,
    pub body: TypeBody,
    pub acl: DumpableAcl,
}

/// `getTypes` plus the per-kind details, one query each.
pub async fn collect(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let rows = session
        .query(
            "SELECT t.tableoid, t.oid, t.typname, t.typnamespace, t.typowner, t.typtype, t.typrelid, \
             coalesce(c.relkind, '') AS typrelkind, \
             (t.typname[0] = '_' AND t.typelem != 0 AND (SELECT typarray FROM pg_catalog.pg_type te WHERE te.oid = t.typelem) = t.oid) AS isarray, \
             t.typacl, acldefault('T', t.typowner) AS acldefault, pip.initprivs, \
             pg_catalog.format_type(t.typbasetype, t.typtypmod) AS typdefn, t.typnotnull, \
             pg_catalog.pg_get_expr(t.typdefaultbin, 'pg_catalog.pg_type'::pg_catalog.regclass) AS typdefaultbin, t.typdefault, \
             CASE WHEN t.typcollation <> u.typcollation THEN \
               pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(coll.collname) END AS typcollation, \
             (SELECT pg_catalog.array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid) AS labels \
             FROM pg_catalog.pg_type t \
             JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
             LEFT JOIN pg_catalog.pg_class c ON c.oid = t.typrelid \
             LEFT JOIN pg_catalog.pg_type u ON u.oid = t.typbasetype \
             LEFT JOIN pg_catalog.pg_collation coll ON coll.oid = t.typcollation \
             LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = coll.collnamespace \
             LEFT JOIN pg_catalog.pg_init_privs pip ON (t.oid = pip.objoid AND pip.classoid = 'pg_type'::regclass AND pip.objsubid = 0) \
             WHERE n.nspname <> 'pg_catalog' AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_toast' \
             ORDER BY t.oid",
        )
        .await?;
    let attrs = session
        .query(
            "SELECT a.attrelid, a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS atttypdefn, a.atttypid, \
             CASE WHEN a.attcollation <> at.typcollation THEN \
               pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(coll.collname) END AS attcollation \
             FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid AND c.relkind = 'c' \
             JOIN pg_catalog.pg_type at ON at.oid = a.atttypid \
             LEFT JOIN pg_catalog.pg_collation coll ON coll.oid = a.attcollation \
             LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = coll.collnamespace \
             WHERE a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attrelid, a.attnum",
        )
        .await?;
    let checks = session
        .query(
            "SELECT oid, contypid, conname, pg_catalog.pg_get_constraintdef(oid) AS consrc FROM pg_catalog.pg_constraint \
             WHERE contypid <> 0 AND contype = 'c' AND convalidated ORDER BY contypid, conname",
        )
        .await?;
    for r in rows.iter() {
        let Some(schema) = cat.schema_by_oid(r.oid("typnamespace")?) else {
            continue;
        };
        let (schema_name, contains) = (schema.name.clone(), schema.dump_contains);
        let oid = r.oid("oid")?;
        let typtype = r.char("typtype")?;
        let relid = r.oid("typrelid")?;
        let relkind = r.char("typrelkind")?;
        let is_rowtype = relid != 0 && relkind != b'c';
        // Row types, array types and multiranges are stock's DO_DUMMY_TYPE: never
        // dumped themselves, sorted after tables.
        let is_dummy = is_rowtype || r.bool("isarray")? || typtype == b'm';
        let body = if is_dummy {
            TypeBody::NotEmitted
        } else {
            match typtype {
                b'e' => TypeBody::Enum {
                    labels: parse_text_array(r.text("labels")?),
                },
                b'c' => {
                    let a: Vec<(i32, String, String, Option<String>)> = attrs
                        .iter()
                        .filter(|a| a.oid("attrelid").ok() == Some(relid))
                        .map(|a| -> Result<_, CatalogError> {
                            Ok((
                                a.i32("attnum")?,
                                a.string("attname")?,
                                a.string("atttypdefn")?,
                                a.opt_string("attcollation")?,
                            ))
                        })
                        .collect::<Result<_, _>>()?;
                    TypeBody::Composite { attrs: a, relid }
                }
                b'd' => {
                    let (default, lit) =
                        match (r.opt_string("typdefaultbin")?, r.opt_string("typdefault")?) {
                            (Some(d), _) => (Some(d), false),
                            (None, Some(d)) => (Some(d), true),
                            _ => (None, false),
                        };
                    let ch = checks
                        .iter()
                        .filter(|c| c.oid("contypid").ok() == Some(oid))
                        .map(|c| Ok((c.string("conname")?, c.string("consrc")?, c.oid("oid")?)))
                        .collect::<Result<_, CatalogError>>()?;
                    TypeBody::Domain {
                        base: r.string("typdefn")?,
                        not_null: r.bool("typnotnull")?,
                        default,
                        default_is_literal: lit,
                        collation: r.opt_string("typcollation")?,
                        checks: ch,
                    }
                }
                _ => TypeBody::NotEmitted,
            }
        };
        let emitted = !matches!(body, TypeBody::NotEmitted);
        let name = r.string("typname")?;
        let idx = cat.types.len();
        cat.types.push(Type {
            oid,
            name: name.clone(),
            schema: schema_name.clone(),
            owner: cat.role_name(r.oid("typowner")?),
            body,
            acl: DumpableAcl {
                acl: r.string("typacl")?,
                acldefault: r.string("acldefault")?,
                initprivs: r.opt_string("initprivs")?,
            },
        });
        let kind = if is_dummy {
            Kind::DummyType
        } else {
            Kind::Type
        };
        let id = cat.objects.add(
            kind,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid,
            },
            name,
            Some(schema_name),
            idx,
        );
        cat.objects
            .set_dump(id, if emitted { contains } else { Components::NONE });
    }
    Ok(())
}

/// `dumpType` dispatch.
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    let ty = &cx.catalog.types[obj.model];
    let qname = cx.ident(&ty.name);
    let qual = cx.qualified(&ty.schema, &ty.name);
    let (desc, keyword, defn, drop) = match &ty.body {
        TypeBody::Enum { labels } => {
            let mut q = format!("CREATE TYPE {qual} AS ENUM (");
            for (i, l) in labels.iter().enumerate() {
                if i > 0 {
                    q.push(',');
                }
                q.push_str("\n    ");
                q.push_str(&cx.literal(l));
            }
            q.push_str("\n);\n");
            (Desc::Type, "TYPE", q, format!("DROP TYPE {qual};\n"))
        }
        TypeBody::Composite { attrs, .. } => {
            let mut q = format!("CREATE TYPE {qual} AS (");
            for (i, (_, name, typ, coll)) in attrs.iter().enumerate() {
                if i > 0 {
                    q.push(',');
                }
                q.push_str(&format!("\n\t{} {typ}", cx.ident(name)));
                if let Some(c) = coll {
                    q.push_str(&format!(" COLLATE {c}"));
                }
            }
            q.push_str("\n);\n");
            (Desc::Type, "TYPE", q, format!("DROP TYPE {qual};\n"))
        }
        TypeBody::Domain {
            base,
            not_null,
            default,
            default_is_literal,
            collation,
            checks,
        } => {
            let mut q = format!("CREATE DOMAIN {qual} AS {base}");
            if let Some(c) = collation {
                q.push_str(&format!(" COLLATE {c}"));
            }
            if *not_null {
                q.push_str(" NOT NULL");
            }
            if let Some(d) = default {
                q.push_str(" DEFAULT ");
                q.push_str(&if *default_is_literal {
                    cx.literal(d)
                } else {
                    d.clone()
                });
            }
            for (name, def, _) in checks {
                q.push_str(&format!("\n\tCONSTRAINT {} {def}", cx.ident(name)));
            }
            q.push_str(";\n");
            (Desc::Domain, "DOMAIN", q, format!("DROP DOMAIN {qual};\n"))
        }
        TypeBody::NotEmitted => return,
    };
    if obj.dump.has(Components::DEFINITION) {
        let mut e = NewEntry::new(desc, Section::PreData, ty.name.clone());
        e.catalog_id = obj.catalog_id;
        e.namespace = Some(ty.schema.clone());
        e.owner = Some(ty.owner.clone());
        e.defn = defn;
        e.drop_stmt = drop;
        out.push(obj.dump_id, e);
    }
    let target = CommentTarget {
        kind: keyword,
        name: &qname,
        namespace: Some(&ty.schema),
        owner: &ty.owner,
        classoid: catalog_oid::PG_TYPE,
        objoid: ty.oid,
        subid: 0,
        dump_id: obj.dump_id,
        initdb_comment: None,
    };
    if obj.dump.has(Components::COMMENT) {
        comment::emit(cx, out, &target);
    }
    if obj.dump.has(Components::ACL) {
        privileges::emit(
            cx,
            out,
            &AclTarget {
                kind: "TYPE",
                name: &qname,
                subname: None,
                namespace: Some(&ty.schema),
                tag: None,
                owner: &ty.owner,
                dump_id: obj.dump_id,
                alt_dump_id: None,
            },
            &ty.acl,
        );
    }
    if let TypeBody::Domain { checks, .. } = &ty.body {
        if obj.dump.has(Components::COMMENT) {
            for (name, _, oid) in checks {
                let kind = format!("CONSTRAINT {} ON DOMAIN", cx.ident(name));
                comment::emit(
                    cx,
                    out,
                    &CommentTarget {
                        kind: &kind,
                        classoid: crate::objects::catalog_oid::PG_CONSTRAINT,
                        objoid: *oid,
                        ..target
                    },
                );
            }
        }
    }
    if let TypeBody::Composite { attrs, relid } = &ty.body {
        // `dumpCompositeTypeColComments`
        if obj.dump.has(Components::COMMENT) && !cx.opts.no_comments {
            for (subid, text) in cx
                .catalog
                .comments
                .subobjects(catalog_oid::PG_CLASS, *relid)
            {
                let Some((_, name, _, _)) = attrs.iter().find(|a| a.0 == subid) else {
                    continue;
                };
                let col = format!("{}.{}", qname, cx.ident(name));
                comment::emit_text(
                    cx,
                    out,
                    &CommentTarget {
                        kind: "COLUMN",
                        name: &col,
                        subid,
                        ..target
                    },
                    text,
                );
            }
        }
    }
}
