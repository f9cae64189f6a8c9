//! TYPE (enum, composite, range, base, undefined shell), DOMAIN, SHELL TYPE, and the
//! types that are only graph nodes (array types, multiranges, table row types as
//! stock's `DO_DUMMY_TYPE`). Mirrors pg_dump.c `getTypes()`, `getDomainConstraints()`,
//! `dumpEnumType()`, `dumpCompositeType()`, `dumpCompositeTypeColComments()`,
//! `dumpRangeType()`, `dumpBaseType()`, `dumpUndefinedType()`, `dumpShellType()`,
//! `dumpDomain()` and the domain half of `dumpConstraint()`. Catalog: pg_type, pg_enum,
//! pg_range, pg_attribute, pg_constraint. TOC: "TYPE", "SHELL TYPE", "DOMAIN",
//! pre-data; "CHECK CONSTRAINT" (a domain's NOT VALID check), post-data.
//!
//! Base and range types get a shell-type object (`CREATE TYPE name;`), dumped only
//! when the loop repair between the type and one of its I/O (or canonical) functions
//! points a dumped function at it (`graph::repair`'s type/function fixer).

use pgark_formats::model::{CatalogId, Desc, Section};
use pgark_formats::DumpId;

use crate::catalog::{CatalogError, RowRef, ServerVersion, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::constraint::{Constraint, ConstraintKind};
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
    /// `checks`: indexes into `Catalog::constraints` of the domain's CHECK constraints
    /// by name (validated ones print inside CREATE DOMAIN, NOT VALID ones separately).
    Domain {
        base: String,
        not_null: bool,
        default: Option<String>,
        default_is_literal: bool,
        collation: Option<String>,
        checks: Vec<usize>,
        /// 17+: the NOT NULL constraint's index into `Catalog::constraints`.
        not_null_constraint: Option<usize>,
    },
    Range(RangeType),
    Base(Box<BaseType>),
    /// A `CREATE TYPE name;` shell never filled in (`dumpUndefinedType`).
    Undefined,
    /// Array types, row types of tables, multiranges.
    NotEmitted,
}

/// `dumpRangeType`'s query, as text.
#[derive(Debug, Clone)]
pub struct RangeType {
    pub subtype: String,
    /// `format_type` of the multirange type.
    pub multirange: Option<String>,
    /// (schema, name) of a subtype operator class that is not the subtype's default.
    pub opclass: Option<(String, String)>,
    /// Qualified name of a collation other than the subtype's.
    pub collation: Option<String>,
    /// `regproc` text, `-` when absent.
    pub canonical: String,
    pub subtype_diff: String,
}

/// `dumpBaseType`'s query, as text (`regproc` columns as the server prints them).
#[derive(Debug, Clone)]
pub struct BaseType {
    pub typlen: String,
    pub input: String,
    pub output: String,
    pub receive: String,
    pub send: String,
    pub typmod_in: String,
    pub typmod_out: String,
    pub analyze: String,
    pub subscript: String,
    pub category: String,
    pub preferred: bool,
    pub delimiter: String,
    pub by_value: bool,
    pub align: u8,
    pub storage: u8,
    pub collatable: bool,
    pub default: Option<String>,
    pub default_is_literal: bool,
    /// `format_type` of the element type.
    pub element: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Type {
    pub oid: u32,
    pub name: String,
    pub schema: String,
    pub owner: String,
    pub body: TypeBody,
    pub acl: DumpableAcl,
    /// The shell-type object of a base or range type (`tyinfo->shellType`).
    pub shell: Option<DumpId>,
    /// A defined pseudo-type in a schema whose contents are dumped: stock's
    /// `dumpType` warns that its typtype "appears to be invalid" and writes nothing.
    pub invalid_typtype: bool,
}

/// Stock's `dumpType` warnings, in dump order (`order`), for a dump with schema.
pub fn invalid_typtype_warnings(cat: &Catalog, order: &[DumpId]) -> Vec<String> {
    order
        .iter()
        .filter_map(|&id| cat.objects.get(id))
        .filter(|o| o.kind == Kind::Type)
        .filter_map(|o| cat.types.get(o.model))
        .filter(|t| t.invalid_typtype)
        .map(|t| format!("typtype of data type \"{}\" appears to be invalid", t.name))
        .collect()
}

/// The shell-type object of the type `type_id`, if it has one.
pub fn shell_of(cat: &Catalog, type_id: DumpId) -> Option<DumpId> {
    let o = cat.objects.get(type_id)?;
    (o.kind == Kind::Type)
        .then(|| cat.types.get(o.model).and_then(|t| t.shell))
        .flatten()
}

/// Whether `con_id` is a CHECK or NOT NULL constraint of the domain `type_id`
/// (`condomain`).
pub fn is_domain_constraint_of(cat: &Catalog, con_id: DumpId, type_id: DumpId) -> bool {
    let (Some(c), Some(t)) = (cat.objects.get(con_id), cat.objects.get(type_id)) else {
        return false;
    };
    c.kind == Kind::Constraint
        && t.kind == Kind::Type
        && matches!(
            cat.constraints.get(c.model).map(|con| con.kind),
            Some(
                ConstraintKind::DomainCheck { type_index }
                    | ConstraintKind::DomainNotNull { type_index }
            ) if type_index == t.model
        )
}

/// `regproc` text: `-` is InvalidOid.
fn proc_given(text: &str) -> bool {
    text != "-"
}

fn range_details(r: &RowRef<'_>) -> Result<RangeType, CatalogError> {
    let opclass = if r.bool("opcdefault")? {
        None
    } else {
        Some((r.string("opcnsp")?, r.string("opcname")?))
    };
    Ok(RangeType {
        subtype: r.string("rngsubtype")?,
        multirange: r.opt_string("rngmultitype")?,
        opclass,
        collation: r.opt_string("rngcollation")?,
        canonical: r.string("rngcanonical")?,
        subtype_diff: r.string("rngsubdiff")?,
    })
}

fn base_details(r: &RowRef<'_>) -> Result<BaseType, CatalogError> {
    let (default, default_is_literal) =
        match (r.opt_string("basedefaultbin")?, r.opt_string("typdefault")?) {
            (Some(d), _) => (Some(d), false),
            (None, Some(d)) => (Some(d), true),
            _ => (None, false),
        };
    Ok(BaseType {
        typlen: r.string("typlen")?,
        input: r.string("typinput")?,
        output: r.string("typoutput")?,
        receive: r.string("typreceive")?,
        send: r.string("typsend")?,
        typmod_in: r.string("typmodin")?,
        typmod_out: r.string("typmodout")?,
        analyze: r.string("typanalyze")?,
        subscript: r.string("typsubscript")?,
        category: r.string("typcategory")?,
        preferred: r.bool("typispreferred")?,
        delimiter: r.string("typdelim")?,
        by_value: r.bool("typbyval")?,
        align: r.char("typalign")?,
        storage: r.char("typstorage")?,
        collatable: r.bool("typcollatable")?,
        default,
        default_is_literal,
        element: r.opt_string("typelemname")?,
    })
}

/// `getTypes` (with `getDomainConstraints` and the per-kind details of `dumpXxxType`),
/// one query per catalog.
pub async fn collect(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    // Every type outside the system schemas (like stock's getTypes, light per row),
    // and the kind-specific details of the few that are not array or row types: two
    // pipelined queries.
    // pg_catalog's types are read when their ACL differs from initdb's: stock dumps
    // that ACL (the schema's ACL component).
    let skip_system = if cat.builtin_selected {
        ""
    } else {
        "AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_toast' \
         AND (n.nspname <> 'pg_catalog' OR t.typacl IS DISTINCT FROM pip.initprivs)"
    };
    let list_sql = format!("SELECT t.tableoid, t.oid, t.typname, t.typnamespace, t.typowner, t.typtype, t.typrelid, t.typisdefined, \
             CASE WHEN t.typrelid = 0 THEN ' '::\"char\" \
               ELSE (SELECT relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) END AS typrelkind, \
             (t.typname[0] = '_' AND t.typelem != 0 AND (SELECT typarray FROM pg_catalog.pg_type te WHERE te.oid = t.typelem) = t.oid) AS isarray, \
             t.typacl, acldefault('T', t.typowner) AS acldefault, pip.initprivs \
             FROM pg_catalog.pg_type t \
             JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
             LEFT JOIN pg_catalog.pg_init_privs pip ON (t.oid = pip.objoid AND pip.classoid = 'pg_type'::regclass AND pip.objsubid = 0) \
             WHERE true {skip_system} \
             ORDER BY t.oid");
    let details_sql = format!("SELECT t.oid, \
             pg_catalog.format_type(t.typbasetype, t.typtypmod) AS typdefn, t.typnotnull, \
             pg_catalog.pg_get_expr(t.typdefaultbin, 'pg_catalog.pg_type'::pg_catalog.regclass) AS typdefaultbin, t.typdefault, \
             CASE WHEN t.typcollation <> u.typcollation THEN \
               pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(coll.collname) END AS typcollation, \
             (SELECT pg_catalog.array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid) AS labels, \
             t.typlen, t.typinput, t.typoutput, t.typreceive, t.typsend, t.typanalyze, t.typdelim, t.typbyval, \
             t.typalign, t.typstorage, t.typmodin, t.typmodout, t.typcategory, t.typispreferred, \
             (t.typcollation <> 0) AS typcollatable, t.typsubscript, \
             CASE WHEN t.typtype = 'b' THEN pg_catalog.pg_get_expr(t.typdefaultbin, 0) END AS basedefaultbin, \
             CASE WHEN t.typtype = 'b' AND t.typelem <> 0 THEN pg_catalog.format_type(t.typelem, NULL) END AS typelemname, \
             pg_catalog.format_type(rng.rngmultitypid, NULL) AS rngmultitype, \
             pg_catalog.format_type(rng.rngsubtype, NULL) AS rngsubtype, \
             opc.opcname, opcn.nspname AS opcnsp, opc.opcdefault, \
             CASE WHEN rng.rngcollation <> st.typcollation THEN \
               pg_catalog.quote_ident(rcn.nspname) || '.' || pg_catalog.quote_ident(rcoll.collname) END AS rngcollation, \
             rng.rngcanonical, rng.rngsubdiff \
             FROM pg_catalog.pg_type t \
             JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace \
             LEFT JOIN pg_catalog.pg_type u ON u.oid = t.typbasetype \
             LEFT JOIN pg_catalog.pg_collation coll ON coll.oid = t.typcollation \
             LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = coll.collnamespace \
             LEFT JOIN pg_catalog.pg_range rng ON rng.rngtypid = t.oid \
             LEFT JOIN pg_catalog.pg_type st ON st.oid = rng.rngsubtype \
             LEFT JOIN pg_catalog.pg_opclass opc ON opc.oid = rng.rngsubopc \
             LEFT JOIN pg_catalog.pg_namespace opcn ON opcn.oid = opc.opcnamespace \
             LEFT JOIN pg_catalog.pg_collation rcoll ON rcoll.oid = rng.rngcollation \
             LEFT JOIN pg_catalog.pg_namespace rcn ON rcn.oid = rcoll.collnamespace \
             LEFT JOIN pg_catalog.pg_init_privs pip ON (t.oid = pip.objoid AND pip.classoid = 'pg_type'::regclass AND pip.objsubid = 0) \
             WHERE t.typtype IN ('b', 'd', 'e', 'r', 'p') {skip_system} \
             AND NOT (t.typname[0] = '_' AND t.typelem <> 0 \
                      AND EXISTS (SELECT 1 FROM pg_catalog.pg_type te WHERE te.oid = t.typelem AND te.typarray = t.oid))");
    let (rows, detail_rows) =
        futures_util::future::try_join(session.query(&list_sql), session.query(&details_sql))
            .await?;
    let mut details: std::collections::HashMap<u32, RowRef<'_>> =
        std::collections::HashMap::with_capacity(detail_rows.len());
    for d in detail_rows.iter() {
        details.insert(d.oid("oid")?, d);
    }
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
        .query(&format!(
            "SELECT tableoid, oid, contypid, conname, pg_catalog.pg_get_constraintdef(oid) AS consrc, convalidated, contype \
             FROM pg_catalog.pg_constraint \
             WHERE contypid <> 0 AND contype IN ({}) ORDER BY contypid, conname",
            // 17+ domains keep their NOT NULL as a named constraint too.
            if session.version.at_least(ServerVersion::PG17) {
                "'c', 'n'"
            } else {
                "'c'"
            }
        ))
        .await?;
    // Attributes and checks grouped by owner once (rows are ordered by it).
    let mut attrs_by_rel: std::collections::HashMap<u32, Vec<RowRef<'_>>> =
        std::collections::HashMap::new();
    for a in attrs.iter() {
        attrs_by_rel.entry(a.oid("attrelid")?).or_default().push(a);
    }
    let mut checks_by_type: std::collections::HashMap<u32, Vec<RowRef<'_>>> =
        std::collections::HashMap::new();
    for c in checks.iter() {
        checks_by_type
            .entry(c.oid("contypid")?)
            .or_default()
            .push(c);
    }
    let composite = |relid: u32| -> Result<TypeBody, CatalogError> {
        let attrs = attrs_by_rel
            .get(&relid)
            .map(|v| v.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|a| -> Result<_, CatalogError> {
                Ok((
                    a.i32("attnum")?,
                    a.string("attname")?,
                    a.string("atttypdefn")?,
                    a.opt_string("attcollation")?,
                ))
            })
            .collect::<Result<_, _>>()?;
        Ok(TypeBody::Composite { attrs, relid })
    };
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
        let detail = details.get(&oid).copied();
        let body = match (is_dummy, detail) {
            (true, _) => TypeBody::NotEmitted,
            (false, None) if typtype == b'c' => composite(relid)?,
            (false, None) => TypeBody::NotEmitted,
            (false, Some(d)) => match typtype {
                b'e' => TypeBody::Enum {
                    labels: parse_text_array(d.text("labels")?),
                },
                b'c' => composite(relid)?,
                b'd' => {
                    let (default, lit) =
                        match (d.opt_string("typdefaultbin")?, d.opt_string("typdefault")?) {
                            (Some(d), _) => (Some(d), false),
                            (None, Some(d)) => (Some(d), true),
                            _ => (None, false),
                        };
                    TypeBody::Domain {
                        base: d.string("typdefn")?,
                        not_null: d.bool("typnotnull")?,
                        default,
                        default_is_literal: lit,
                        collation: d.opt_string("typcollation")?,
                        checks: Vec::new(),
                        not_null_constraint: None,
                    }
                }
                b'r' => TypeBody::Range(range_details(&d)?),
                b'b' => TypeBody::Base(Box::new(base_details(&d)?)),
                b'p' if !r.bool("typisdefined")? => TypeBody::Undefined,
                _ => TypeBody::NotEmitted,
            },
        };
        let emitted = !matches!(body, TypeBody::NotEmitted);
        let invalid_typtype = !is_dummy && !emitted && typtype == b'p' && contains.any();
        let needs_shell = matches!(body, TypeBody::Base(_) | TypeBody::Range(_));
        let is_domain = matches!(body, TypeBody::Domain { .. });
        let name = r.string("typname")?;
        let owner = cat.role_name(r.oid("typowner")?);
        let idx = cat.types.len();
        cat.types.push(Type {
            oid,
            name: name.clone(),
            schema: schema_name.clone(),
            owner,
            body,
            acl: DumpableAcl {
                acl: r.string("typacl")?,
                acldefault: r.string("acldefault")?,
                initprivs: r.opt_string("initprivs")?,
            },
            shell: None,
            invalid_typtype,
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
            name.clone(),
            Some(schema_name.clone()),
            idx,
        );
        let dump = if emitted { contains } else { Components::NONE };
        cat.objects.set_dump(id, dump);
        if is_domain && dump.has(Components::DEFINITION) {
            let found = checks_by_type
                .get(&oid)
                .map(|v| v.as_slice())
                .unwrap_or_default();
            let (con_checks, con_not_null) =
                collect_domain_constraints(cat, found, id, idx, &name, &schema_name)?;
            if let TypeBody::Domain {
                checks,
                not_null_constraint,
                ..
            } = &mut cat.types[idx].body
            {
                *checks = con_checks;
                *not_null_constraint = con_not_null;
            }
        }
        if needs_shell && dump.has(Components::DEFINITION) {
            // No CatalogId, so that pg_depend rows of the type never attach to it.
            let shell = cat.objects.add(
                Kind::ShellType,
                CatalogId::default(),
                name,
                Some(schema_name),
                idx,
            );
            // Dumped only if a dumped I/O function needs it (loop repair).
            cat.objects.set_dump(shell, Components::NONE);
            cat.types[idx].shell = Some(shell);
        }
    }
    Ok(())
}

/// `getDomainConstraints`: one constraint object per CHECK (and 17+ NOT NULL) of the
/// domain, by name; validated ones print inside CREATE DOMAIN, so the domain depends
/// on them. Returns the checks and the NOT NULL constraint.
fn collect_domain_constraints(
    cat: &mut Catalog,
    rows: &[RowRef<'_>],
    domain_id: DumpId,
    type_index: usize,
    domain_name: &str,
    schema: &str,
) -> Result<(Vec<usize>, Option<usize>), CatalogError> {
    let mut out = Vec::with_capacity(rows.len());
    let mut not_null = None;
    for c in rows {
        let is_not_null = c.char("contype")? == b'n';
        let validated = c.bool("convalidated")?;
        let name = c.string("conname")?;
        let ci = cat.constraints.len();
        let id = cat.objects.add(
            Kind::Constraint,
            CatalogId {
                table_oid: c.oid("tableoid")?,
                oid: c.oid("oid")?,
            },
            name.clone(),
            Some(schema.to_string()),
            ci,
        );
        cat.objects.set_dump(id, Components::ALL);
        if validated {
            cat.objects.add_dependency(domain_id, id);
        }
        cat.constraints.push(Constraint {
            oid: c.oid("oid")?,
            name,
            kind: if is_not_null {
                ConstraintKind::DomainNotNull { type_index }
            } else {
                ConstraintKind::DomainCheck { type_index }
            },
            table_oid: 0,
            table_name: domain_name.to_string(),
            definition: c.string("consrc")?,
            deferrable: false,
            deferred: false,
            period: false,
            is_local: true,
            separate: !validated,
            index: None,
            dump_id: id,
        });
        if is_not_null {
            not_null = Some(ci);
        } else {
            out.push(ci);
        }
    }
    Ok((out, not_null))
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
            not_null_constraint,
        } => {
            let mut q = format!("CREATE DOMAIN {qual} AS {base}");
            if let Some(c) = collation {
                q.push_str(&format!(" COLLATE {c}"));
            }
            if *not_null {
                match not_null_constraint.and_then(|ci| cx.catalog.constraints.get(ci)) {
                    None => q.push_str(" NOT NULL"),
                    Some(nn) if nn.separate => {}
                    // The generated name is left out, as stock does.
                    Some(nn) if nn.name == format!("{}_not_null", ty.name) => {
                        q.push_str(" NOT NULL")
                    }
                    Some(nn) => q.push_str(&format!(
                        " CONSTRAINT {} {}",
                        cx.ident(&nn.name),
                        nn.definition
                    )),
                }
            }
            if let Some(d) = default {
                q.push_str(" DEFAULT ");
                q.push_str(&if *default_is_literal {
                    cx.literal(d)
                } else {
                    d.clone()
                });
            }
            for con in checks
                .iter()
                .filter_map(|&ci| cx.catalog.constraints.get(ci))
            {
                if !con.separate {
                    q.push_str(&format!(
                        "\n\tCONSTRAINT {} {}",
                        cx.ident(&con.name),
                        con.definition
                    ));
                }
            }
            q.push_str(";\n");
            (Desc::Domain, "DOMAIN", q, format!("DROP DOMAIN {qual};\n"))
        }
        TypeBody::Range(rng) => (
            Desc::Type,
            "TYPE",
            range_definition(cx, &qual, rng),
            format!("DROP TYPE {qual};\n"),
        ),
        TypeBody::Base(base) => (
            Desc::Type,
            "TYPE",
            base_definition(cx, &qual, base),
            // CASCADE: the type and its I/O functions depend on each other.
            format!("DROP TYPE {qual} CASCADE;\n"),
        ),
        TypeBody::Undefined => (
            Desc::Type,
            "TYPE",
            format!("CREATE TYPE {qual};\n"),
            format!("DROP TYPE {qual};\n"),
        ),
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
    if let TypeBody::Domain {
        checks,
        not_null_constraint,
        ..
    } = &ty.body
    {
        // Comments of the constraints printed inside CREATE DOMAIN (separate ones
        // follow their own entry), the NOT NULL's last.
        for con in checks
            .iter()
            .chain(not_null_constraint)
            .filter_map(|&ci| cx.catalog.constraints.get(ci))
            .filter(|con| !con.separate)
        {
            let con_dump = cx
                .catalog
                .objects
                .get(con.dump_id)
                .map(|o| o.dump)
                .unwrap_or_default();
            // Stock makes check objects only for domains whose definition is dumped.
            if con_dump.has(Components::COMMENT) && obj.dump.has(Components::DEFINITION) {
                let kind = format!("CONSTRAINT {} ON DOMAIN", cx.ident(&con.name));
                comment::emit(
                    cx,
                    out,
                    &CommentTarget {
                        kind: &kind,
                        classoid: crate::objects::catalog_oid::PG_CONSTRAINT,
                        objoid: con.oid,
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

/// `dumpRangeType`'s CREATE TYPE.
fn range_definition(cx: &EmitCx<'_>, qual: &str, rng: &RangeType) -> String {
    let mut q = format!("CREATE TYPE {qual} AS RANGE (");
    q.push_str(&format!("\n    subtype = {}", rng.subtype));
    if let Some(m) = &rng.multirange {
        q.push_str(&format!(",\n    multirange_type_name = {m}"));
    }
    if let Some((nsp, name)) = &rng.opclass {
        q.push_str(&format!(
            ",\n    subtype_opclass = {}.{}",
            cx.ident(nsp),
            cx.ident(name)
        ));
    }
    if let Some(c) = &rng.collation {
        q.push_str(&format!(",\n    collation = {c}"));
    }
    if proc_given(&rng.canonical) {
        q.push_str(&format!(",\n    canonical = {}", rng.canonical));
    }
    if proc_given(&rng.subtype_diff) {
        q.push_str(&format!(",\n    subtype_diff = {}", rng.subtype_diff));
    }
    q.push_str("\n);\n");
    q
}

/// `dumpBaseType`'s CREATE TYPE, clauses in stock's order.
fn base_definition(cx: &EmitCx<'_>, qual: &str, b: &BaseType) -> String {
    let length = if b.typlen == "-1" {
        "variable"
    } else {
        b.typlen.as_str()
    };
    let mut q = format!("CREATE TYPE {qual} (\n    INTERNALLENGTH = {length}");
    q.push_str(&format!(",\n    INPUT = {}", b.input));
    q.push_str(&format!(",\n    OUTPUT = {}", b.output));
    for (clause, proc) in [
        ("RECEIVE", &b.receive),
        ("SEND", &b.send),
        ("TYPMOD_IN", &b.typmod_in),
        ("TYPMOD_OUT", &b.typmod_out),
        ("ANALYZE", &b.analyze),
    ] {
        if proc_given(proc) {
            q.push_str(&format!(",\n    {clause} = {proc}"));
        }
    }
    if b.collatable {
        q.push_str(",\n    COLLATABLE = true");
    }
    if let Some(d) = &b.default {
        q.push_str(",\n    DEFAULT = ");
        q.push_str(&if b.default_is_literal {
            cx.literal(d)
        } else {
            d.clone()
        });
    }
    if proc_given(&b.subscript) {
        q.push_str(&format!(",\n    SUBSCRIPT = {}", b.subscript));
    }
    if let Some(elem) = &b.element {
        q.push_str(&format!(",\n    ELEMENT = {elem}"));
    }
    if b.category != "U" {
        q.push_str(",\n    CATEGORY = ");
        q.push_str(&cx.literal(&b.category));
    }
    if b.preferred {
        q.push_str(",\n    PREFERRED = true");
    }
    if b.delimiter != "," {
        q.push_str(",\n    DELIMITER = ");
        q.push_str(&cx.literal(&b.delimiter));
    }
    match b.align {
        b'c' => q.push_str(",\n    ALIGNMENT = char"),
        b's' => q.push_str(",\n    ALIGNMENT = int2"),
        b'i' => q.push_str(",\n    ALIGNMENT = int4"),
        b'd' => q.push_str(",\n    ALIGNMENT = double"),
        _ => {}
    }
    match b.storage {
        b'p' => q.push_str(",\n    STORAGE = plain"),
        b'e' => q.push_str(",\n    STORAGE = external"),
        b'x' => q.push_str(",\n    STORAGE = extended"),
        b'm' => q.push_str(",\n    STORAGE = main"),
        _ => {}
    }
    if b.by_value {
        q.push_str(",\n    PASSEDBYVALUE");
    }
    q.push_str("\n);\n");
    q
}

/// `dumpShellType`: `CREATE TYPE name;` ahead of the I/O functions, with no DROP (the
/// base type's entry drops it) so no ALTER OWNER is issued for the shell.
pub fn emit_shell(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema || !obj.dump.has(Components::DEFINITION) {
        return;
    }
    let ty = &cx.catalog.types[obj.model];
    let mut e = NewEntry::new(Desc::ShellType, Section::PreData, ty.name.clone());
    e.catalog_id = obj.catalog_id;
    e.namespace = Some(ty.schema.clone());
    e.owner = Some(ty.owner.clone());
    e.defn = format!("CREATE TYPE {};\n", cx.qualified(&ty.schema, &ty.name));
    out.push(obj.dump_id, e);
}

/// The domain half of `dumpConstraint`: a NOT VALID check (or one split out by loop
/// repair) as `ALTER DOMAIN ... ADD CONSTRAINT`, post-data, then its comment.
pub fn emit_domain_constraint(
    cx: &EmitCx<'_>,
    obj: &DumpObject,
    con: &Constraint,
    type_index: usize,
    out: &mut TocBuilder,
) {
    if !cx.opts.dump_schema || !con.separate {
        return;
    }
    let Some(ty) = cx.catalog.types.get(type_index) else {
        return;
    };
    // Stock makes these objects only for domains whose definition is dumped (after
    // extension membership, which pgark applies later).
    let domain_id = cx.catalog.objects.by_catalog_id(CatalogId {
        table_oid: catalog_oid::PG_TYPE,
        oid: ty.oid,
    });
    let domain_dumped = domain_id
        .and_then(|id| cx.catalog.objects.get(id))
        .is_some_and(|o| o.dump.has(Components::DEFINITION));
    if !domain_dumped {
        return;
    }
    let qual = cx.qualified(&ty.schema, &ty.name);
    let qcon = cx.ident(&con.name);
    if obj.dump.has(Components::DEFINITION) {
        let desc = if matches!(con.kind, ConstraintKind::DomainNotNull { .. }) {
            Desc::Constraint
        } else {
            Desc::CheckConstraint
        };
        let mut e = NewEntry::new(desc, Section::PostData, format!("{} {}", ty.name, con.name));
        e.catalog_id = obj.catalog_id;
        e.namespace = Some(ty.schema.clone());
        e.owner = Some(ty.owner.clone());
        e.defn = format!(
            "ALTER DOMAIN {qual}\n    ADD CONSTRAINT {qcon} {};\n",
            con.definition
        );
        e.drop_stmt = format!("ALTER DOMAIN {qual} DROP CONSTRAINT {qcon};\n");
        out.push(obj.dump_id, e);
    }
    if obj.dump.has(Components::COMMENT) {
        let kind = format!("CONSTRAINT {qcon} ON DOMAIN");
        let qname = cx.ident(&ty.name);
        comment::emit(
            cx,
            out,
            &CommentTarget {
                kind: &kind,
                name: &qname,
                namespace: Some(&ty.schema),
                owner: &ty.owner,
                classoid: catalog_oid::PG_CONSTRAINT,
                objoid: con.oid,
                subid: 0,
                dump_id: obj.dump_id,
                initdb_comment: None,
            },
        );
    }
}
