//! `pgark dump` orchestration, in stock pg_dump's order: open the catalog session,
//! resolve the name patterns, collect every kind (one query each), add data objects,
//! load pg_depend, add the section boundaries, sort (pre-sort, TopoSort, loop repair),
//! then emit TOC entries object by object. Output (plain script or archive) is
//! `commands::dump`'s job; this module yields a [`Toc`] and the data plan.

pub mod data;
pub mod filter;
pub mod encoding;
pub mod inserts;
pub mod lo_layout;
pub mod progress;
pub mod toc;
pub mod verbose;

use std::collections::HashMap;

use pgark_formats::model::{ArchiveTime, Toc};
use pgark_formats::quote::Quoter;
use pgark_formats::{ArchiveVersion, CompressionSpec};

use crate::catalog::{CatalogError, Session};
use crate::graph::{self, repair, sort};
use crate::objects::{self, Catalog, DumpObject, Kind};

pub use filter::{Filter, Patterns};
use toc::{EmitCx, EmitOptions, TocBuilder};

/// What to collect and emit.
#[derive(Debug, Clone, Default)]
pub struct CollectOptions {
    pub emit: EmitOptions,
    pub patterns: Patterns,
    /// `--sequence-data`
    pub sequence_data: bool,
    pub no_unlogged_table_data: bool,
    /// `--no-publications`
    pub no_publications: bool,
    /// `--no-policies`
    pub no_policies: bool,
    /// STATISTICS DATA is dumped (stock's `dumpStatistics`).
    pub statistics: bool,
    /// Large objects are dumped (stock's `outputLOs`).
    pub output_large_objects: bool,
    /// `--no-subscriptions`
    pub no_subscriptions: bool,
    /// `--no-security-labels`
    pub no_security_labels: bool,
}

/// The result of the catalog phase: the sorted objects and everything emitters need.
pub struct Collected {
    pub catalog: Catalog,
    pub order: Vec<i32>,
    pub facts: objects::special::SessionFacts,
    pub database: objects::database::Database,
    /// Loop-repair warnings, worded as stock's.
    pub warnings: Vec<String>,
}

/// Reads the catalogs and sorts the objects.
pub async fn collect(session: &Session, opts: &CollectOptions) -> Result<Collected, CatalogError> {
    collect_with_helper(session, None::<std::future::Ready<Option<Session>>>, opts).await
}

/// [`collect`], with `helper` (a second session inside the same snapshot, when given)
/// reading ahead the costliest catalog queries: the views' definitions,
/// getTableAttrs', getIndexes' (`pg_get_indexdef` of every index) and
/// getDependencies' (all of pg_depend), run on the server while this session's
/// queries run and its rows are processed.
pub async fn collect_with_helper(
    session: &Session,
    helper: Option<impl std::future::Future<Output = Option<Session>> + Send + 'static>,
    opts: &CollectOptions,
) -> Result<Collected, CatalogError> {
    // Catalog queries return thousands of rows of server-deparsed text computed in
    // the leader process; parallel workers would only repeat their hash joins' builds.
    session.exec(NO_PARALLEL_WORKERS).await?;
    if let Some(helper) = helper {
        // Texts as the collectors will build them when no built-in object is
        // selected; a selection that changes a text makes its collector run it here.
        let unselected = Catalog::default();
        session.prefetch(
            helper,
            NO_PARALLEL_WORKERS,
            vec![
                objects::table::views_sql(&unselected),
                objects::table::columns_sql(session.version, &unselected),
                objects::index::query_sql(session.version, &unselected),
                graph::DEPENDENCIES_SQL.to_string(),
            ],
        );
    }
    let mut cat = Catalog::default();
    let roles = session
        .query("SELECT oid, rolname FROM pg_catalog.pg_roles ORDER BY 1")
        .await?;
    for r in roles.iter() {
        cat.roles.insert(r.oid("oid")?, r.string("rolname")?);
    }
    let filter = filter::resolve(session, &opts.patterns).await?;
    let include_everything = opts.patterns.include_everything();
    verbose::steps(&["reading extensions", "identifying extension members"]);
    objects::extension::collect(session, &mut cat, include_everything, &filter).await?;
    verbose::info("reading schemas");
    objects::schema::collect(session, &mut cat, &filter).await?;
    verbose::info("reading user-defined tables");
    objects::table::collect(session, &mut cat, &filter).await?;
    // Stock decides membership while reading tables (`selectDumpableTable`), before
    // their indexes and constraints inherit the table's dump flags.
    objects::extension::apply_membership(&mut cat);
    verbose::info("reading user-defined functions");
    objects::function::collect(session, &mut cat).await?;
    verbose::info("reading user-defined types");
    objects::types::collect(session, &mut cat).await?;
    verbose::info("reading procedural languages");
    objects::language::collect(session, &mut cat, include_everything).await?;
    verbose::info("reading user-defined aggregate functions");
    objects::aggregate::collect(session, &mut cat).await?;
    verbose::info("reading user-defined operators");
    objects::operator::collect(session, &mut cat).await?;
    verbose::info("reading user-defined access methods");
    objects::access_method::collect(session, &mut cat, include_everything).await?;
    verbose::steps(&["reading user-defined operator classes", "reading user-defined operator families"]);
    objects::opclass::collect(session, &mut cat).await?;
    objects::attach::collect_tables(&mut cat);
    verbose::info("reading user-defined text search parsers");
    objects::text_search::collect_parsers(session, &mut cat).await?;
    verbose::info("reading user-defined text search templates");
    objects::text_search::collect_templates(session, &mut cat).await?;
    verbose::info("reading user-defined text search dictionaries");
    objects::text_search::collect_dictionaries(session, &mut cat).await?;
    verbose::info("reading user-defined text search configurations");
    objects::text_search::collect_configurations(session, &mut cat).await?;
    verbose::info("reading user-defined foreign-data wrappers");
    objects::foreign_data::collect_wrappers(session, &mut cat, include_everything).await?;
    verbose::info("reading user-defined foreign servers");
    objects::foreign_data::collect_servers(session, &mut cat, include_everything).await?;
    verbose::info("reading default privileges");
    objects::default_acl::collect(session, &mut cat, include_everything).await?;
    verbose::info("reading user-defined collations");
    objects::collation::collect(session, &mut cat).await?;
    verbose::info("reading user-defined conversions");
    objects::conversion::collect(session, &mut cat).await?;
    verbose::info("reading type casts");
    objects::cast::collect(session, &mut cat, include_everything).await?;
    verbose::info("reading transforms");
    objects::transform::collect(session, &mut cat, include_everything).await?;
    verbose::steps(&["reading table inheritance information", "reading event triggers"]);
    objects::event_trigger::collect(session, &mut cat, include_everything).await?;
    objects::constraint::collect_checks(session, &mut cat).await?;
    verbose::column_info_steps(&cat, opts.emit.dump_schema);
    objects::index::collect(session, &mut cat).await?;
    verbose::info("flagging indexes in partitioned tables");
    objects::attach::collect_indexes(&mut cat);
    verbose::info("reading extended statistics");
    objects::statistics_ext::collect(session, &mut cat).await?;
    verbose::info("reading constraints");
    objects::constraint::collect_foreign_keys(session, &mut cat).await?;
    verbose::info("reading triggers");
    objects::trigger::collect(session, &mut cat).await?;
    verbose::info("reading rewrite rules");
    objects::rule::collect(session, &mut cat).await?;
    verbose::info("reading policies");
    if !opts.no_policies {
        verbose::info("reading row-level security policies");
        objects::policy::collect(session, &mut cat).await?;
    }
    verbose::steps(&["reading publications", "reading publication membership of tables", "reading publication membership of schemas"]);
    if !opts.no_publications {
        objects::publication::collect(session, &mut cat, include_everything).await?;
    }
    verbose::steps(&["reading subscriptions", "reading subscription membership of tables"]);
    let mut collect_warnings = Vec::new();
    if !opts.no_subscriptions {
        collect_warnings.extend(
            objects::subscription::collect(
                session,
                &mut cat,
                include_everything,
                opts.emit.binary_upgrade,
            )
            .await?,
        );
    }
    let selection = objects::table_data::DataSelection {
        only_sequences: !opts.emit.dump_data,
        no_unlogged: opts.no_unlogged_table_data,
        excluded: filter.table_data_excluded().clone(),
        foreign_tables: filter.foreign_data_tables().clone(),
        load_via_partition_root: opts.emit.load_via_partition_root,
        unsafe_partitioned: if opts.emit.dump_data {
            objects::table_data::unsafe_partitioned_tables(session).await?
        } else {
            Default::default()
        },
    };
    // Extension configuration tables get data objects first, even without data.
    objects::table_data::collect_extension_config(session, &mut cat, &filter, &selection).await?;
    if opts.emit.dump_data || opts.sequence_data {
        objects::table_data::collect(&mut cat, &selection);
    }
    objects::extension::apply_membership(&mut cat);
    if opts.statistics {
        objects::rel_stats::collect(session, &mut cat).await?;
    }
    if opts.output_large_objects {
        verbose::info("reading large objects");
        objects::large_object::collect(session, &mut cat).await?;
    }
    verbose::info("reading dependency data");
    graph::load_dependencies(session, &mut cat).await?;
    if !opts.emit.dump_schema {
        graph::load_table_data_fk_dependencies(session, &mut cat).await?;
    }
    if !opts.emit.acls_skip {
        let rows = session
            .query("SELECT objoid, classoid, objsubid, initprivs FROM pg_catalog.pg_init_privs WHERE objsubid = 0")
            .await?;
        for r in rows.iter() {
            cat.init_privs.insert(
                (r.oid("classoid")?, r.oid("objoid")?),
                r.string("initprivs")?,
            );
        }
    }
    if !opts.emit.no_comments {
        cat.comments = objects::comment::Comments::collect(session).await?;
    }
    if !opts.no_security_labels {
        cat.security_labels = objects::security_label::SecurityLabels::collect(session).await?;
    }
    cat.sequences =
        objects::sequence::collect(session, &cat, opts.emit.dump_data || opts.sequence_data)
            .await?;
    let facts = objects::special::collect(session).await?;
    let database = objects::database::collect(session).await?;
    // Data queries (e.g. `COPY (SELECT ...)`) keep the server's setting.
    session.exec("RESET max_parallel_workers_per_gather").await?;

    let bounds = graph::create_boundaries(&mut cat);
    graph::add_boundary_dependencies(&mut cat, bounds);
    let mut order = sort::presort(cat.objects.all());
    let mut warnings = collect_warnings;
    loop {
        let result = {
            let store = &cat.objects;
            sort::topo_sort(&order, |id| {
                store.get(id).map(|o| o.deps.as_slice()).unwrap_or(&[])
            })
        };
        match result {
            Ok(sorted) => {
                order = sorted;
                break;
            }
            Err(stuck) => {
                let w = repair::find_and_repair(&mut cat, &stuck, bounds)
                    .map_err(CatalogError::Inconsistent)?;
                warnings.extend(w);
            }
        }
    }
    if std::env::var_os("PGARK_DUMP_DEBUG_ORDER").is_some() {
        // A developer aid: the final order with each object's dependencies.
        for &id in &order {
            let deps: Vec<String> = cat
                .objects
                .get(id)
                .map(|o| o.deps.iter().map(|d| graph::describe(&cat, *d)).collect())
                .unwrap_or_default();
            eprintln!("{} <- [{}]", graph::describe(&cat, id), deps.join("; "));
        }
    }
    Ok(Collected {
        catalog: cat,
        order,
        facts,
        database,
        warnings,
    })
}

/// Set on the catalog sessions for [`collect_with_helper`]'s queries.
const NO_PARALLEL_WORKERS: &str = "SET max_parallel_workers_per_gather = 0";

/// `dumpDumpableObject`: the emitter of each kind.
fn emit_object(cx: &EmitCx<'_>, obj: &DumpObject, out: &mut TocBuilder) {
    if !obj.dump.any() {
        return;
    }
    match obj.kind {
        Kind::Schema => objects::schema::emit(cx, obj, out),
        Kind::Extension => objects::extension::emit(cx, obj, out),
        Kind::Collation => objects::collation::emit(cx, obj, out),
        Kind::Function => objects::function::emit(cx, obj, out),
        Kind::Type => objects::types::emit(cx, obj, out),
        Kind::ShellType => objects::types::emit_shell(cx, obj, out),
        Kind::DummyType => {}
        Kind::Table => objects::table::emit(cx, obj, out),
        Kind::AttrDef => objects::table::emit_attrdef(cx, obj, out),
        Kind::Index => objects::index::emit(cx, obj, out),
        Kind::Constraint | Kind::FkConstraint => objects::constraint::emit(cx, obj, out),
        Kind::Rule => objects::rule::emit(cx, obj, out),
        Kind::Trigger => objects::trigger::emit(cx, obj, out),
        Kind::TableAttach | Kind::IndexAttach => objects::attach::emit(cx, obj, out),
        Kind::Policy => objects::policy::emit(cx, obj, out),
        Kind::DefaultAcl => objects::default_acl::emit(cx, obj, out),
        Kind::LargeObject | Kind::LargeObjectData => objects::large_object::emit(cx, obj, out),
        Kind::Publication | Kind::PublicationTable | Kind::PublicationSchema => {
            objects::publication::emit(cx, obj, out)
        }
        Kind::TableData | Kind::SequenceSet | Kind::RefreshMatView => {
            objects::table_data::emit(cx, obj, out)
        }
        Kind::RelStats => objects::rel_stats::emit(cx, obj, out),
        Kind::PreDataBoundary | Kind::PostDataBoundary => {}
        Kind::TsParser | Kind::TsTemplate | Kind::TsDict | Kind::TsConfig => {
            objects::text_search::emit(cx, obj, out)
        }
        Kind::Fdw | Kind::ForeignServer => objects::foreign_data::emit(cx, obj, out),
        Kind::EventTrigger => objects::event_trigger::emit(cx, obj, out),
        Kind::StatsExt => objects::statistics_ext::emit(cx, obj, out),
        Kind::Subscription => objects::subscription::emit(cx, obj, out),
        Kind::ProcLang => objects::language::emit(cx, obj, out),
        Kind::Transform => objects::transform::emit(cx, obj, out),
        Kind::Cast => objects::cast::emit(cx, obj, out),
        Kind::Aggregate => objects::aggregate::emit(cx, obj, out),
        Kind::AccessMethod => objects::access_method::emit(cx, obj, out),
        Kind::Operator => objects::operator::emit(cx, obj, out),
        Kind::OpClass => objects::opclass::emit_class(cx, obj, out),
        Kind::OpFamily => objects::opclass::emit_family(cx, obj, out),
        Kind::Conversion => objects::conversion::emit(cx, obj, out),
        // Kinds whose collectors are being written: nothing collects objects of these
        // kinds yet, so no object reaches this arm. Each collector's commit replaces
        // its kind here with its emitter.
        Kind::SubscriptionRel => {}
    }
}

/// Header fields of the archive being written.
pub struct HeaderInfo {
    pub created: ArchiveTime,
    pub database: String,
    pub server_version: String,
    pub compression: CompressionSpec,
}

/// Emits the TOC: special entries, then every object in sorted order. Entries without
/// explicit dependencies get their object's dependencies on dumped objects
/// (`BuildArchiveDependencies`).
pub fn build_toc(
    c: &Collected,
    opts: &EmitOptions,
    header: &HeaderInfo,
    quote_all: bool,
) -> Result<Toc, pgark_formats::Error> {
    // Definitions are quoted as UTF-8 text, before `dump::encoding` converts them.
    let encoding = encoding::text_encoding(&c.facts.encoding);
    let cx = EmitCx {
        catalog: &c.catalog,
        quoter: Quoter {
            encoding,
            std_strings: c.facts.std_strings,
            quote_all_identifiers: quote_all,
        },
        opts,
    };
    // Stock's `dumpType` warns while dumping objects, after the verbose "saving"
    // lines and the loop warnings.
    if opts.dump_schema {
        for w in objects::types::invalid_typtype_warnings(&c.catalog, &c.order) {
            eprintln!("{}: warning: {w}", crate::program::dump_name());
        }
    }
    let mut out = TocBuilder::new(c.catalog.objects.max_dump_id() + 1);
    objects::special::emit(&cx, &c.facts, &mut out);
    if opts.output_create_db {
        objects::database::emit(&cx, &c.database, &mut out);
    }
    for &id in &c.order {
        if let Some(obj) = c.catalog.objects.get(id) {
            emit_object(&cx, obj, &mut out);
        }
    }
    let emitted: HashMap<i32, ()> = out.entries.iter().map(|e| (e.dump_id, ())).collect();
    for e in &mut out.entries {
        if e.dependencies.is_empty() {
            if let Some(obj) = c.catalog.objects.get(e.dump_id) {
                e.dependencies = dumpable_dependencies(&c.catalog, obj, &emitted);
            }
        }
    }
    let h = pgark_formats::new_header(
        ArchiveVersion::new(1, 16, 0),
        &header.compression,
        header.created,
        header.database.as_bytes(),
        header.server_version.as_bytes(),
        crate::program::EMULATED_VERSION.as_bytes(),
    )?;
    Ok(Toc {
        header: h,
        entries: out.entries,
    })
}

/// `findDumpableDependencies`: an object's dependencies, looking through objects that
/// produce no entry to the ones that do, in stock's depth-first order (duplicates
/// kept, as stock). Section boundaries are not looked through: they depend on every
/// object of their section, which would make each post-data entry depend on all of
/// pre-data (bogus dependencies, and quadratic work on big schemas).
fn dumpable_dependencies(cat: &Catalog, obj: &DumpObject, emitted: &HashMap<i32, ()>) -> Vec<i32> {
    let mut out = Vec::new();
    // Frames of the depth-first walk: (dependency list, next position in it).
    let mut stack: Vec<(&[i32], usize)> = Vec::new();
    if !matches!(obj.kind, Kind::PreDataBoundary | Kind::PostDataBoundary) {
        stack.push((&obj.deps, 0));
    }
    while let Some(frame) = stack.last_mut() {
        let (deps, pos) = *frame;
        let Some(&d) = deps.get(pos) else {
            stack.pop();
            continue;
        };
        frame.1 += 1;
        if emitted.contains_key(&d) {
            out.push(d);
        } else if let Some(o) = cat.objects.get(d) {
            if !matches!(o.kind, Kind::PreDataBoundary | Kind::PostDataBoundary) {
                stack.push((&o.deps, 0));
            }
        }
    }
    out
}
