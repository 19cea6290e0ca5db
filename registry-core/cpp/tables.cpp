// Filling a table cloned from a template without looking its keys up, and reading the per-VM
// strings table's array part (lua/tables.rs). Through the C API every field costs a push of its key
// and a `lua_rawset`, which hashes into the table to find the key's node; a template's values say
// which node takes which value instead.
//
// Reads Luau's internal table and stack layout: compiled against the headers of the Luau that
// mlua-sys builds, with the defines that change that layout set as mlua-sys sets them (build.rs).
#include "lstate.h"
#include "lobject.h"
#include "lgc.h"

// Stack: a template, then its `n` values; a template's node values are the numbers 1..n, the
// position of each key's value. Replaces all of them with a clone of the template whose node values
// are those values (nil included: the key keeps its node, as `lua_rawset` of nil would leave it).
extern "C" void registry_clone_fill(lua_State* L, int n) {
    lua_clonetable(L, -(n + 1));
    // The clone is new, so white: storing into it needs no GC barrier, and nothing allocates (so no
    // GC step runs) until it is filled. lua_clonetable took the thread barrier for the stack writes.
    StkId clone = L->top - 1;
    StkId values = clone - n;
    LuaTable* table = hvalue(clone);
    LuaNode* node = table->node;
    int size = 1 << table->lsizenode;
    for (int i = 0; i < size; ++i) {
        TValue* value = &node[i].val;
        if (ttisnumber(value)) {
            *value = values[static_cast<int>(nvalue(value)) - 1];
        }
    }
    values[-1] = *clone;
    L->top = values;
}

// Pushes item `n` of the table at stack index `table` (positive) as `lua_rawgeti` would for a table
// without a hash part (nil outside the array part), without its index translation and checks: the
// caller has room on the stack and a table at that index.
static void push_item(lua_State* L, int table, int n) {
    const LuaTable* t = hvalue(L->base + (table - 1));
    if (static_cast<unsigned>(n - 1) < static_cast<unsigned>(t->sizearray)) {
        setobj2s(L, L->top, &t->array[n - 1]);
    } else {
        setnilvalue(L->top);
    }
    L->top++;
}

// The thread barrier's call kept apart, so that the common path needs no stack frame.
__attribute__((noinline, cold)) static void push_item_after_barrier(lua_State* L, int table, int n) {
    luaC_threadbarrier(L);
    push_item(L, table, n);
}

extern "C" void registry_push_item(lua_State* L, int table, int n) {
    if (isblack(obj2gco(L))) {
        return push_item_after_barrier(L, table, n);
    }
    push_item(L, table, n);
}
