//! DATABASE, DATABASE PROPERTIES and the database's comment, security labels and ACL.
//! Mirrors pg_dump.c `dumpDatabase()` / `dumpDatabaseConfig()`. Catalog: pg_database,
//! pg_db_role_setting, pg_shdescription. Emitted with `-C`, and always into archives
//! (so `pg_restore -C` can use it).

use pgark_formats::model::{CatalogId, Desc, Section};

use crate::catalog::{CatalogError, ServerVersion, Session};
use crate::dump::toc::{EmitCx, NewEntry, TocBuilder};
use crate::objects::privileges::{self, AclTarget, DumpableAcl};

#[derive(Debug, Clone)]
pub struct Database {
    pub catalog_id: CatalogId,
    pub name: String,
    pub owner: String,
    pub encoding: String,
    pub locale_provider: u8,
    pub collate: String,
    pub ctype: String,
    pub locale: Option<String>,
    pub icu_rules: Option<String>,
    pub acl: DumpableAcl,
    pub is_template: bool,
    pub conn_limit: String,
    pub tablespace: String,
    pub comment: Option<String>,
    /// `var=value` items of `ALTER DATABASE ... SET`.
    pub settings: Vec<String>,
    /// (role, `var=value`) items of `ALTER ROLE ... IN DATABASE ... SET`.
    pub role_settings: Vec<(String, String)>,
}

/// Reads the connected database's row and settings.
pub async fn collect(session: &Session) -> Result<Database, CatalogError> {
    let v = session.version;
    let locale = if v.at_least(ServerVersion::PG17) {
        "datlocprovider, datlocale"
    } else if v.at_least(ServerVersion::PG15) {
        "datlocprovider, daticulocale AS datlocale"
    } else {
        "'c' AS datlocprovider, NULL AS datlocale"
    };
    let rules = if v.at_least(ServerVersion::PG16) {
        "daticurules"
    } else {
        "NULL AS daticurules"
    };
    let sql = format!(
        "SELECT tableoid, oid, datname, (SELECT rolname FROM pg_catalog.pg_roles WHERE oid = datdba) AS dba, \
         pg_encoding_to_char(encoding) AS encoding, datcollate, datctype, datacl, acldefault('d', datdba) AS acldefault, \
         datistemplate, datconnlimit, {locale}, {rules}, \
         (SELECT spcname FROM pg_tablespace t WHERE t.oid = dattablespace) AS tablespace, \
         shobj_description(oid, 'pg_database') AS description \
         FROM pg_database WHERE datname = current_database()"
    );
    let rows = session.query(&sql).await?;
    let r = rows
        .iter()
        .next()
        .ok_or_else(|| CatalogError::Inconsistent("current database not found".into()))?;
    let oid = r.oid("oid")?;
    let mut db = Database {
        catalog_id: CatalogId {
            table_oid: r.oid("tableoid")?,
            oid,
        },
        name: r.string("datname")?,
        owner: r.string("dba")?,
        encoding: r.string("encoding")?,
        locale_provider: r.char("datlocprovider")?,
        collate: r.string("datcollate")?,
        ctype: r.string("datctype")?,
        locale: r.opt_string("datlocale")?,
        icu_rules: r.opt_string("daticurules")?,
        acl: DumpableAcl {
            acl: r.string("datacl")?,
            acldefault: r.string("acldefault")?,
            initprivs: None,
        },
        is_template: r.bool("datistemplate")?,
        conn_limit: r.string("datconnlimit")?,
        tablespace: r.string("tablespace")?,
        comment: r.opt_string("description")?,
        settings: Vec::new(),
        role_settings: Vec::new(),
    };
    let s = session
        .query(&format!("SELECT unnest(setconfig) AS c FROM pg_db_role_setting WHERE setrole = 0 AND setdatabase = '{oid}'::oid"))
        .await?;
    for r in s.iter() {
        db.settings.push(r.string("c")?);
    }
    let s = session
        .query(&format!(
            "SELECT rolname, unnest(setconfig) AS c FROM pg_db_role_setting s, pg_roles r \
             WHERE setrole = r.oid AND setdatabase = '{oid}'::oid"
        ))
        .await?;
    for r in s.iter() {
        db.role_settings
            .push((r.string("rolname")?, r.string("c")?));
    }
    Ok(db)
}

/// `dumpDatabase`
pub fn emit(cx: &EmitCx<'_>, db: &Database, out: &mut TocBuilder) {
    let q = cx.ident(&db.name);
    let mut create = format!("CREATE DATABASE {q} WITH TEMPLATE = template0");
    if !db.encoding.is_empty() {
        create.push_str(&format!(" ENCODING = {}", cx.literal(&db.encoding)));
    }
    create.push_str(" LOCALE_PROVIDER = ");
    create.push_str(match db.locale_provider {
        b'b' => "builtin",
        b'i' => "icu",
        _ => "libc",
    });
    if !db.collate.is_empty() && db.collate == db.ctype {
        create.push_str(&format!(" LOCALE = {}", cx.literal(&db.collate)));
    } else {
        if !db.collate.is_empty() {
            create.push_str(&format!(" LC_COLLATE = {}", cx.literal(&db.collate)));
        }
        if !db.ctype.is_empty() {
            create.push_str(&format!(" LC_CTYPE = {}", cx.literal(&db.ctype)));
        }
    }
    if let Some(l) = &db.locale {
        let word = if db.locale_provider == b'b' {
            "BUILTIN_LOCALE"
        } else {
            "ICU_LOCALE"
        };
        create.push_str(&format!(" {word} = {}", cx.literal(l)));
    }
    if let Some(r) = &db.icu_rules {
        create.push_str(&format!(" ICU_RULES = {}", cx.literal(r)));
    }
    if !db.tablespace.is_empty() && db.tablespace != "pg_default" && !cx.opts.no_tablespaces {
        create.push_str(&format!(" TABLESPACE = {}", cx.ident(&db.tablespace)));
    }
    create.push_str(";\n");
    let mut e = NewEntry::new(Desc::Database, Section::PreData, db.name.clone());
    e.catalog_id = db.catalog_id;
    e.owner = Some(db.owner.clone());
    e.defn = create;
    e.drop_stmt = format!("DROP DATABASE {q};\n");
    let db_id = out.push_new(e);
    let label = format!("DATABASE {q}");
    if let Some(c) = db.comment.as_deref().filter(|c| !c.is_empty()) {
        if !cx.opts.no_comments {
            let mut e = NewEntry::new(Desc::Comment, Section::None, label.clone());
            e.owner = Some(db.owner.clone());
            e.defn = format!("COMMENT ON DATABASE {q} IS {};\n", cx.literal(c));
            e.deps = vec![db_id];
            out.push_new(e);
        }
    }
    crate::objects::security_label::emit_database(cx, out, &db.name, &label, &db.owner, db_id);
    privileges::emit(
        cx,
        out,
        &AclTarget {
            kind: "DATABASE",
            name: &q,
            subname: None,
            namespace: None,
            tag: None,
            owner: &db.owner,
            dump_id: db_id,
            alt_dump_id: None,
        },
        &db.acl,
    );
    let mut props = String::new();
    let mut drop = String::new();
    if !db.conn_limit.is_empty() && db.conn_limit != "-1" {
        props.push_str(&format!(
            "ALTER DATABASE {q} CONNECTION LIMIT = {};\n",
            db.conn_limit
        ));
    }
    if db.is_template {
        props.push_str(&format!("ALTER DATABASE {q} IS_TEMPLATE = true;\n"));
        drop.push_str(&format!(
            "UPDATE pg_catalog.pg_database SET datistemplate = false WHERE datname = {};\n",
            cx.literal(&db.name)
        ));
    }
    let mut cfg = Vec::new();
    for item in &db.settings {
        crate::dumpall::alter_config_command(
            &cx.quoter,
            item.as_bytes(),
            "DATABASE",
            db.name.as_bytes(),
            None,
            &mut cfg,
        );
    }
    for (role, item) in &db.role_settings {
        crate::dumpall::alter_config_command(
            &cx.quoter,
            item.as_bytes(),
            "ROLE",
            role.as_bytes(),
            Some(("DATABASE", db.name.as_bytes())),
            &mut cfg,
        );
    }
    props.push_str(&String::from_utf8_lossy(&cfg));
    if !props.is_empty() {
        let mut e = NewEntry::new(Desc::DatabaseProperties, Section::PreData, db.name.clone());
        e.owner = Some(db.owner.clone());
        e.defn = props;
        e.drop_stmt = drop;
        e.deps = vec![db_id];
        out.push_new(e);
    }
}
