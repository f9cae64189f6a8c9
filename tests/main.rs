//! pgark's integration tests: one binary (two cores build one test binary faster
//! than many). Each module exercises the `pgark` executable or library against
//! throwaway clusters from `pgark-testkit`.

mod cli;
mod conn;
mod restore_support;
mod restore_stock;
mod restore_options;
mod restore_errors;
mod dumpall_globals;
mod dumpall_cluster;
mod dumpall_archive;
mod dump_options;
mod dump_data;
mod dump_statistics;
mod dump_types;
mod dump_encodings;
mod dump_verbose;
mod dump_faults;
mod multicall;
mod dump_system_schemas;
mod option_checks;
mod output_cleanup;
