// The script's first syntax or compile error with its full location, from Luau's own parser and
// compiler: luau_compile (the C API) reports only the line. Mirrors Luau::compile's two steps.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "Luau/BytecodeBuilder.h"
#include "Luau/Compiler.h"
#include "Luau/Parser.h"

namespace {

void report(const Luau::Location& location, const std::string& text, uint32_t* where, char* message,
            size_t capacity, size_t* length) {
    where[0] = location.begin.line;
    where[1] = location.begin.column;
    where[2] = location.end.line;
    where[3] = location.end.column;
    *length = text.size();
    std::memcpy(message, text.data(), text.size() < capacity ? text.size() : capacity);
}

} // namespace

// 0: the source compiles; 1: `where` (begin line, begin column, end line, end column, all 0-based,
// columns in bytes) and `message` (up to `capacity` bytes; `*length` is the full length) describe
// its first error; -1: the check itself failed (out of memory).
extern "C" int registry_luau_check(const char* source, size_t size, uint32_t* where, char* message,
                                   size_t capacity, size_t* length) {
    try {
        Luau::Allocator allocator;
        Luau::AstNameTable names(allocator);
        Luau::ParseResult result = Luau::Parser::parse(source, size, names, allocator);
        if (!result.errors.empty()) {
            const Luau::ParseError& error = result.errors.front();
            report(error.getLocation(), error.getMessage(), where, message, capacity, length);
            return 1;
        }
        try {
            Luau::BytecodeBuilder bytecode;
            Luau::compileOrThrow(bytecode, result, names);
        } catch (const Luau::CompileError& error) {
            report(error.getLocation(), error.what(), where, message, capacity, length);
            return 1;
        }
        return 0;
    } catch (...) {
        return -1;
    }
}
