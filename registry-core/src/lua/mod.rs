//! The Luau binding: the `registry` module, its objects, and the runner that hosts them.

mod binding;
mod c_function;
mod chunks;
pub(crate) mod context;
mod convert;
mod coroutine;
pub(crate) mod errors;
mod find;
mod format;
mod get;
mod interrupt;
mod objects;
mod registry_table;
pub(crate) mod runner;
mod snapshots;
pub(crate) mod syntax;
mod tables;
