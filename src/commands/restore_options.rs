//! `pgark restore` arguments → resolved restore options: stock pg_restore's option
//! checks (same order, same words) and the entry selection they ask for. Every path
//! of `pgark restore` (listing, script, database) goes through here, so the same
//! command line selects the same entries everywhere.

use crate::cli::restore::RestoreArgs;
use crate::cli::SectionArg;
use crate::{Error, Result};
use pgark_formats::filter::{apply_restore_filter, FilterOrigin};
use pgark_formats::list::{parse_use_list, ParsedUseList};
use pgark_formats::select::{SectionSet, Selection};
use pgark_formats::{Section, Toc};
use std::io::Read;

fn usage(message: &str) -> Error {
    Error::Usage(message.to_string())
}

/// pg_restore's checks of option combinations, in the order PostgreSQL 18 makes them
/// (after parsing, before opening the archive). Messages are stock's.
pub fn check_restore_args(args: &RestoreArgs) -> Result<()> {
    if let Some(0) = args.jobs {
        return Err(usage("-j/--jobs must be in range 1..2147483647"));
    }
    // Stock reads its filter files while parsing options, before any combination check.
    for filter in args.filter.iter().filter(|f| f.as_str() != "-") {
        std::fs::File::open(filter)
            .map_err(|e| usage(&format!("could not open filter file \"{filter}\": {}", os_message(&e))))?;
    }
    if let Some(0) = args.transaction_size {
        return Err(usage("--transaction-size must be in range 1..2147483647"));
    }
    if args.dbname.is_none() && args.file.is_none() && !args.list {
        return Err(usage("one of -d/--dbname and -f/--file must be specified"));
    }
    if args.dbname.is_some() {
        if args.file.is_some() {
            // Stock adds its "Try --help" hint to this one.
            let hint = crate::program::current().try_help(crate::program::Tool::Restore);
            return Err(usage(&format!(
                "options -d/--dbname and -f/--file cannot be used together\nHint: {hint}"
            )));
        }
        if args.restrict_key.is_some() {
            return Err(usage("options -d/--dbname and --restrict-key cannot be used together"));
        }
    }
    let conflicts: &[(bool, bool, &str, &str)] = &[
        (args.data_only, args.schema_only, "-s/--schema-only", "-a/--data-only"),
        (args.data_only, args.statistics_only, "-a/--data-only", "--statistics-only"),
        (args.schema_only, args.statistics_only, "-s/--schema-only", "--statistics-only"),
        (args.data_only, args.no_data, "-a/--data-only", "--no-data"),
        (args.schema_only, args.no_schema, "-s/--schema-only", "--no-schema"),
        (args.statistics_only, args.no_statistics, "--statistics-only", "--no-statistics"),
        (args.statistics, args.no_statistics, "--statistics", "--no-statistics"),
        (args.data_only, args.statistics, "-a/--data-only", "--statistics"),
        (args.schema_only, args.statistics, "-s/--schema-only", "--statistics"),
        (args.data_only, args.clean, "-c/--clean", "-a/--data-only"),
        (args.single_transaction, args.transaction_size.is_some(), "-1/--single-transaction", "--transaction-size"),
        (args.create, args.single_transaction, "-C/--create", "-1/--single-transaction"),
    ];
    for &(a, b, first, second) in conflicts {
        if a && b {
            return Err(usage(&format!("options {first} and {second} cannot be used together")));
        }
    }
    if args.single_transaction && args.jobs.is_some_and(|j| j > 1) {
        return Err(usage("cannot specify both --single-transaction and multiple jobs"));
    }
    if args.if_exists && !args.clean {
        return Err(usage("option --if-exists requires option -c/--clean"));
    }
    Ok(())
}

/// An I/O error as C's `%m` words it: Rust's text without its " (os error N)" tail.
pub(crate) fn os_message(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(cut) if text.ends_with(')') => text[..cut].to_string(),
        _ => text,
    }
}

/// Reads a `--filter` file (`-` = standard input) as stock does.
fn read_filter_file(arg: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if arg == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Error::Usage(format!("could not read from filter file \"{arg}\": {}", os_message(&e))))?;
    } else {
        let mut file = std::fs::File::open(arg)
            .map_err(|e| Error::Usage(format!("could not open filter file \"{arg}\": {}", os_message(&e))))?;
        file.read_to_end(&mut bytes)
            .map_err(|e| Error::Usage(format!("could not read from filter file \"{arg}\": {}", os_message(&e))))?;
    }
    Ok(bytes)
}

/// The entry selection a `pgark restore` command line asks for (stock's derivation
/// of `dumpSchema`/`dumpData`/`dumpStatistics` and the name lists), without `-L`,
/// which needs the archive (see `load_use_list`). Call `check_restore_args` first.
pub fn selection_from_args(args: &RestoreArgs) -> Result<Selection> {
    let bytes = |v: &Vec<String>| v.iter().map(|s| s.as_bytes().to_vec()).collect::<Vec<_>>();
    let mut selection = Selection {
        dump_data: (!args.schema_only && !args.statistics_only || args.data_only) && !args.no_data,
        dump_schema: (!args.data_only && !args.statistics_only || args.schema_only) && !args.no_schema,
        dump_statistics: (!args.schema_only && !args.data_only || args.statistics_only || args.statistics)
            && !args.no_statistics,
        sections: SectionSet::from_sections(
            &args
                .section
                .iter()
                .map(|s| match s {
                    SectionArg::PreData => Section::PreData,
                    SectionArg::Data => Section::Data,
                    SectionArg::PostData => Section::PostData,
                })
                .collect::<Vec<_>>(),
        ),
        create_db: args.create,
        acls_skip: args.no_privileges,
        no_comments: args.no_comments,
        no_policies: args.no_policies,
        no_publications: args.no_publications,
        no_security_labels: args.no_security_labels,
        no_subscriptions: args.no_subscriptions,
        schema_names: bytes(&args.schema),
        exclude_schema_names: bytes(&args.exclude_schema),
        table_names: bytes(&args.table),
        index_names: bytes(&args.index),
        function_names: bytes(&args.function),
        trigger_names: bytes(&args.trigger),
        strict_names: args.strict_names,
        ..Selection::default()
    };
    for filter in &args.filter {
        let input = read_filter_file(filter)?;
        apply_restore_filter(&input, &FilterOrigin::from_arg(filter), &mut selection)?;
    }
    Ok(selection)
}

/// Reads and checks a `-L` list file against the archive. Ignored lines come back in
/// `ignored_lines` for the caller to report as warnings.
pub fn load_use_list(path: &str, toc: &Toc) -> Result<ParsedUseList> {
    let input =
        std::fs::read(path).map_err(|e| Error::Usage(format!("could not open TOC file \"{path}\": {}", os_message(&e))))?;
    Ok(parse_use_list(&input, toc)?)
}

/// Prints the `-L` warnings as stock does (`warning: line ignored: ...`).
pub fn report_ignored_lines(parsed: &ParsedUseList) {
    for line in &parsed.ignored_lines {
        crate::program::warn(format_args!("line ignored: {}", String::from_utf8_lossy(line)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn args(argv: &[&str]) -> RestoreArgs {
        let mut full = vec!["pgark", "restore"];
        full.extend_from_slice(argv);
        match Cli::try_parse_from(full).expect("parses").command {
            Command::Restore(a) => *a,
            _ => unreachable!("restore parsed as another command"),
        }
    }

    fn check(argv: &[&str]) -> String {
        check_restore_args(&args(argv)).map(|_| String::new()).unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn conflicts_in_stock_order_and_words() {
        assert_eq!(check(&["-l", "x"]), "");
        assert_eq!(check(&["x"]), "one of -d/--dbname and -f/--file must be specified");
        assert!(check(&["-d", "a", "-f", "b", "x"])
            .starts_with("options -d/--dbname and -f/--file cannot be used together\nHint: Try "));
        assert_eq!(check(&["-l", "-a", "-s", "x"]), "options -s/--schema-only and -a/--data-only cannot be used together");
        assert_eq!(
            check(&["-l", "--statistics", "-a", "x"]),
            "options -a/--data-only and --statistics cannot be used together"
        );
        assert_eq!(check(&["-l", "-c", "-a", "x"]), "options -c/--clean and -a/--data-only cannot be used together");
        assert_eq!(check(&["-l", "--if-exists", "x"]), "option --if-exists requires option -c/--clean");
        assert_eq!(check(&["-l", "-1", "-j", "2", "x"]), "cannot specify both --single-transaction and multiple jobs");
        assert_eq!(
            check(&["-l", "-C", "-1", "x"]),
            "options -C/--create and -1/--single-transaction cannot be used together"
        );
    }

    #[test]
    fn derived_flags() {
        let s = selection_from_args(&args(&["-l", "x"])).expect("ok");
        assert!(s.dump_schema && s.dump_data && s.dump_statistics);
        let s = selection_from_args(&args(&["-l", "-s", "x"])).expect("ok");
        assert!(s.dump_schema && !s.dump_data && !s.dump_statistics);
        let s = selection_from_args(&args(&["-l", "-a", "x"])).expect("ok");
        assert!(!s.dump_schema && s.dump_data && !s.dump_statistics);
        let s = selection_from_args(&args(&["-l", "--statistics-only", "x"])).expect("ok");
        assert!(!s.dump_schema && !s.dump_data && s.dump_statistics);
        let s = selection_from_args(&args(&["-l", "--no-data", "--no-statistics", "x"])).expect("ok");
        assert!(s.dump_schema && !s.dump_data && !s.dump_statistics);
        let s = selection_from_args(&args(&["-l", "--section", "data", "-t", "t1", "-n", "s", "x"])).expect("ok");
        assert_eq!(s.sections, SectionSet { pre_data: false, data: true, post_data: false });
        assert_eq!(s.table_names, vec![b"t1".to_vec()]);
        assert_eq!(s.schema_names, vec![b"s".to_vec()]);
    }
}
