// compile_chunk SOURCE OUTPUT: compiles one Lua chunk to Luau bytecode. build.rs builds this
// for the build machine and runs it on the binding's own chunks (src/lua/chunks/*.lua). It calls
// luau_compile with no options, exactly as mlua does when it loads a chunk as text, so the
// bytecode is what the runtime would compile.
#include "luacode.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

int main(int argc, char** argv)
{
    if (argc != 3)
    {
        std::fprintf(stderr, "usage: compile_chunk SOURCE OUTPUT\n");
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    if (!in)
    {
        std::fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    std::string source((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t size = 0;
    char* bytecode = luau_compile(source.data(), source.size(), nullptr, &size);
    if (!bytecode)
    {
        std::fprintf(stderr, "out of memory compiling %s\n", argv[1]);
        return 1;
    }
    // A failed compilation gives version byte 0 followed by the error message.
    if (size == 0 || bytecode[0] == 0)
    {
        std::fprintf(stderr, "%s%.*s\n", argv[1], size > 1 ? int(size - 1) : 0, bytecode + 1);
        std::free(bytecode);
        return 1;
    }
    std::ofstream out(argv[2], std::ios::binary);
    out.write(bytecode, std::streamsize(size));
    std::free(bytecode);
    if (!out)
    {
        std::fprintf(stderr, "cannot write %s\n", argv[2]);
        return 2;
    }
    return 0;
}
