//! POLICY and ROW SECURITY. Mirrors pg_dump.c `getPolicies()` / `dumpPolicy()`.
//! Catalog: pg_policy, pg_class.relrowsecurity. TOC: "ROW SECURITY" (a table's
//! ENABLE ROW LEVEL SECURITY, CatalogId 0/table OID) and "POLICY", post-data.

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::comment::{self, CommentTarget};
use crate::objects::{Catalog, Components, DumpObject, Kind, TieBreak};

/// `pg_policy`'s catalog OID.
const PG_POLICY: u32 = 3256;

#[derive(Debug, Clone)]
pub enum PolicyItem {
    /// `ALTER TABLE ... ENABLE ROW LEVEL SECURITY` for this table OID.
    RowSecurity { table_oid: u32 },
    Policy {
        oid: u32,
        table_oid: u32,
        name: String,
        command: u8,
        permissive: bool,
        roles: Option<String>,
        qual: Option<String>,
        with_check: Option<String>,
    },
}

/// `getPolicies`: RLS flags from the table query, then every policy in one query.
pub async fn collect(session: &Session, cat: &mut Catalog) -> Result<(), CatalogError> {
    let rls = session.query("SELECT oid FROM pg_catalog.pg_class WHERE relrowsecurity AND relkind IN ('r', 'p') ORDER BY oid").await?;
    let mut wanted = std::collections::HashSet::new();
    for t in &cat.tables {
        if matches!(t.relkind, b'r' | b'p')
            && cat
                .objects
                .get(t.dump_id)
                .map(|o| o.dump.has(Components::POLICY))
                .unwrap_or(false)
        {
            wanted.insert(t.oid);
        }
    }
    // Stock creates the ROW SECURITY objects in table order, then the policies.
    let mut rls_tables: Vec<u32> = rls.iter().map(|r| r.oid("oid")).collect::<Result<_, _>>()?;
    rls_tables.retain(|o| wanted.contains(o));
    let order: Vec<u32> = cat
        .tables
        .iter()
        .map(|t| t.oid)
        .filter(|o| rls_tables.contains(o))
        .collect();
    for oid in order {
        let Some(t) = cat.table_by_oid(oid) else {
            continue;
        };
        let (name, schema, tid) = (t.name.clone(), t.schema.clone(), t.dump_id);
        let idx = cat.policies.len();
        cat.policies
            .push(PolicyItem::RowSecurity { table_oid: oid });
        let id = cat.objects.add(
            Kind::Policy,
            CatalogId { table_oid: 0, oid },
            name.clone(),
            Some(schema),
            idx,
        );
        if let Some(o) = cat.objects.get_mut(id) {
            o.tie_break = TieBreak::TableName(name);
            o.dump = Components::ALL;
        }
        cat.objects.add_dependency(id, tid);
    }
    let rows = session
        .query(
            "SELECT pol.oid, pol.tableoid, pol.polrelid, pol.polname, pol.polcmd, pol.polpermissive, \
             CASE WHEN pol.polroles = '{0}' THEN NULL ELSE \
               pg_catalog.array_to_string(ARRAY(SELECT pg_catalog.quote_ident(rolname) FROM pg_catalog.pg_roles \
               WHERE oid = ANY(pol.polroles)), ', ') END AS polroles, \
             pg_catalog.pg_get_expr(pol.polqual, pol.polrelid) AS polqual, \
             pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid) AS polwithcheck \
             FROM pg_catalog.pg_policy pol ORDER BY pol.polrelid, pol.oid",
        )
        .await?;
    for r in rows.iter() {
        let table_oid = r.oid("polrelid")?;
        if !wanted.contains(&table_oid) {
            continue;
        }
        let Some(t) = cat.table_by_oid(table_oid) else {
            continue;
        };
        let (tname, schema) = (t.name.clone(), t.schema.clone());
        let name = r.string("polname")?;
        let idx = cat.policies.len();
        cat.policies.push(PolicyItem::Policy {
            oid: r.oid("oid")?,
            table_oid,
            name: name.clone(),
            command: r.char("polcmd")?,
            permissive: r.bool("polpermissive")?,
            roles: r.opt_string("polroles")?,
            qual: r.opt_string("polqual")?,
            with_check: r.opt_string("polwithcheck")?,
        });
        let id = cat.objects.add(
            Kind::Policy,
            CatalogId {
                table_oid: r.oid("tableoid")?,
                oid: r.oid("oid")?,
            },
            name,
            Some(schema),
            idx,
        );
        if let Some(o) = cat.objects.get_mut(id) {
            o.tie_break = TieBreak::TableName(tname);
            o.dump = Components::ALL;
        }
    }
    Ok(())
}

/// `dumpPolicy`
pub fn emit(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !cx.opts.dump_schema {
        return;
    }
    match &cx.catalog.policies[obj.model] {
        PolicyItem::RowSecurity { table_oid } => {
            let Some(t) = cx.catalog.table_by_oid(*table_oid) else {
                return;
            };
            let mut e = NewEntry::new(Desc::RowSecurity, Section::PostData, t.name.clone());
            e.catalog_id = obj.catalog_id;
            e.namespace = Some(t.schema.clone());
            e.owner = Some(t.owner.clone());
            e.defn = format!(
                "ALTER TABLE {} ENABLE ROW LEVEL SECURITY;",
                cx.qualified(&t.schema, &t.name)
            );
            e.deps = vec![t.dump_id];
            out.push(obj.dump_id, e);
        }
        PolicyItem::Policy {
            oid,
            table_oid,
            name,
            command,
            permissive,
            roles,
            qual,
            with_check,
        } => {
            let Some(t) = cx.catalog.table_by_oid(*table_oid) else {
                return;
            };
            let cmd = match command {
                b'r' => " FOR SELECT",
                b'a' => " FOR INSERT",
                b'w' => " FOR UPDATE",
                b'd' => " FOR DELETE",
                _ => "",
            };
            let qualtable = cx.qualified(&t.schema, &t.name);
            let qname = cx.ident(name);
            let mut q = format!(
                "CREATE POLICY {qname} ON {qualtable}{}{cmd}",
                if *permissive { "" } else { " AS RESTRICTIVE" }
            );
            if let Some(r) = roles {
                q.push_str(&format!(" TO {r}"));
            }
            if let Some(u) = qual {
                q.push_str(&format!(" USING ({u})"));
            }
            if let Some(w) = with_check {
                q.push_str(&format!(" WITH CHECK ({w})"));
            }
            q.push_str(";\n");
            let mut e = NewEntry::new(
                Desc::Policy,
                Section::PostData,
                format!("{} {}", t.name, name),
            );
            e.catalog_id = obj.catalog_id;
            e.namespace = Some(t.schema.clone());
            e.owner = Some(t.owner.clone());
            e.defn = q;
            e.drop_stmt = format!("DROP POLICY {qname} ON {qualtable};\n");
            out.push(obj.dump_id, e);
            let kind = format!("POLICY {qname} ON");
            let table = cx.ident(&t.name);
            comment::emit(
                cx,
                out,
                &CommentTarget {
                    kind: &kind,
                    name: &table,
                    namespace: Some(&t.schema),
                    owner: &t.owner,
                    classoid: PG_POLICY,
                    objoid: *oid,
                    subid: 0,
                    dump_id: obj.dump_id,
                    initdb_comment: None,
                },
            );
        }
    }
}
