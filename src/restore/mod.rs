//! Restoring an archive into a database: `plan` decides what runs when (pure, no I/O).

pub mod plan;
