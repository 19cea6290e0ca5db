//! The binding's own Lua code (`chunks/*.lua`), compiled to Luau bytecode by build.rs with the
//! Luau that the VM is built from. A new VM loads the bytecode, so starting one runs neither
//! Luau's parser nor its compiler: in the browser, V8 compiles those lazily, and they were most
//! of the code a new `Registry` made it compile. Scripts are still compiled when they run.

use mlua::Lua;
use mlua::chunk::{Chunk, ChunkMode};

/// One of the binding's chunks, as build.rs compiled it.
#[derive(Clone, Copy)]
pub(crate) struct Bytecode(&'static [u8]);

/// The calling convention's wrapper (`chunks/wrapper.lua`, see `binding`).
pub(crate) const WRAPPER: Bytecode =
    Bytecode(include_bytes!(concat!(env!("OUT_DIR"), "/wrapper.luau")));

/// The error objects' metamethods (`chunks/error_meta.lua`, see `errors`).
pub(crate) const ERROR_META: Bytecode =
    Bytecode(include_bytes!(concat!(env!("OUT_DIR"), "/error_meta.luau")));

/// Loads a chunk as binary, which only these constants ever are: scripts are loaded as text.
/// Named `=registry` in messages and tracebacks.
pub(crate) fn load(lua: &Lua, chunk: Bytecode) -> Chunk<'static> {
    lua.load(chunk.0)
        .set_name("=registry")
        .set_mode(ChunkMode::Binary)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The build compiled exactly what the runtime's compiler makes of the sources, with its
    /// default options (mlua's `Compiler::new()` passes Luau's defaults, as loading text does):
    /// so the same Luau, the same line information and the same function names.
    #[test]
    fn the_bytecode_is_what_the_runtime_compiles() {
        for (source, Bytecode(built)) in [
            (include_str!("chunks/wrapper.lua"), WRAPPER),
            (include_str!("chunks/error_meta.lua"), ERROR_META),
        ] {
            let compiled = mlua::chunk::Compiler::new()
                .compile(source)
                .expect("the chunk compiles");
            assert_eq!(compiled, built);
        }
    }
}
