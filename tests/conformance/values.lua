-- Values: what can be stored and how it comes back.
-- Proves: integral numbers stay integers (8080 prints as "8080"), other numbers, strings,
-- booleans, nested arrays and string-keyed maps round-trip exactly; scalars work as data;
-- meta is {} when absent; NaN, infinities, functions, userdata, threads, cyclic tables,
-- mixed-key tables, sparse arrays and non-string keys are refused AT the create/update call
-- with an error naming the path (e.g. "data.handlers[2]: a function cannot be stored").
local registry = require("registry")

local data = {
  port = 8080,
  negative = -42,
  zero = 0,
  ratio = 0.5,
  tenth = 0.1,
  big = 2 ^ 53,
  tiny = 1e-300,
  huge = 1e300,
  two63 = 2 ^ 63,
  minus_two63 = -2 ^ 63,
  e20 = 1e20,
  beyond = 2 ^ 70 + 2 ^ 18,
  name = "héllo ✓",
  empty_string = "",
  yes = true,
  no = false,
  list = { 1, 2, 3 },
  words = { "a", "b", "c" },
  mixed_array = { 1, "two", true, { three = 3 }, { 4 } },
  nested = { a = { b = { c = { 1, { 2, { 3 } } } } } },
  string_keys = { ["1"] = "one", ["2"] = "two" },
  dotted = { ["a.b"] = 1, ["x[1]"] = 2 },
  empty_table = {},
}
local c = registry.snapshot():changes()
c:create({ id = "values:all", kind = "value", meta = { port = 8080, tags = { "x", "y" }, nested = { deep = { n = 1 } } }, data = data })
c:create({ id = "values:number", kind = "value", data = 42 })
c:create({ id = "values:string", kind = "value", data = "just a string" })
c:create({ id = "values:bool", kind = "value", data = false })
c:create({ id = "values:nodata", kind = "value" })
c:create({ id = "values:array", kind = "value", data = { 10, 20, 30 } })
assert(c:apply())

local e = assert(registry.get("values:all"))
eq(tostring(e.data.port), "8080", "tostring(port)")
eq(tostring(e.meta.port), "8080", "tostring(meta.port)")
eq(tostring(e.data.negative), "-42", "tostring(negative)")
eq(tostring(e.data.zero), "0", "tostring(zero)")
eq(string.format("%d", e.data.port), "8080", "%d of port")
eq(e.data.port, 8080, "port")
eq(e.data.ratio, 0.5, "ratio")
eq(e.data.tenth, 0.1, "tenth")
eq(e.data.big, 2 ^ 53, "2^53")
eq(e.data.tiny, 1e-300, "1e-300")
eq(e.data.huge, 1e300, "1e300")
eq(e.data.two63, 2 ^ 63, "2^63 (beyond i64)")
eq(e.data.minus_two63, -2 ^ 63, "-2^63")
eq(e.data.e20, 1e20, "1e20")
eq(e.data.beyond, 2 ^ 70 + 2 ^ 18, "2^70 + 2^18")
eq(e.data.name, "héllo ✓", "utf-8 string")
eq(e.data.empty_string, "", "empty string")
eq(e.data.yes, true, "true")
eq(e.data.no, false, "false")
same(e.data.list, { 1, 2, 3 }, "array of numbers")
eq(#e.data.list, 3, "array length")
same(e.data.words, { "a", "b", "c" }, "array of strings")
same(e.data.mixed_array, { 1, "two", true, { three = 3 }, { 4 } }, "array of mixed values")
same(e.data.nested, { a = { b = { c = { 1, { 2, { 3 } } } } } }, "nested")
eq(e.data.string_keys["1"], "one", "string key \"1\" stays a string key")
eq(e.data.string_keys[1], nil, "string key \"1\" is not turned into an array index")
eq(type(e.data.empty_table), "table", "empty table comes back as a table")
eq(next(e.data.empty_table), nil, "empty table comes back empty")
same(e.data.dotted, { ["a.b"] = 1, ["x[1]"] = 2 }, "keys with dots and brackets")
same(e.data, data, "whole data round-trips")
same(e.meta, { port = 8080, tags = { "x", "y" }, nested = { deep = { n = 1 } } }, "meta round-trips")
print("port", e.data.port, "big", e.data.big == 2 ^ 53, "ratio", e.data.ratio)

eq(registry.get("values:number").data, 42, "scalar data number")
eq(tostring(registry.get("values:number").data), "42", "scalar data prints as an integer")
eq(registry.get("values:string").data, "just a string", "scalar data string")
eq(registry.get("values:bool").data, false, "scalar data false")
local nd = registry.get("values:nodata")
eq(nd.data, nil, "absent data stays nil")
same(nd.meta, {}, "absent meta is an empty table")
same(registry.get("values:array").data, { 10, 20, 30 }, "array data")

-- the values a changeset and a version hand back are the same values
same(c:ops()[1].entry.data, data, "ops() data round-trips")

-- refused values: the call itself raises, naming the path
local function refused(entry, path, what)
  local cc = registry.snapshot():changes()
  local okc, err = pcall(function() cc:create(entry) end)
  eq(okc, false, what .. ": create must raise")
  eq(type(err), "string", what .. ": error is a string")
  has(err, path, what .. ": create error names the path")
  entry.id = "values:all"
  entry.kind = "value"
  local oku, uerr = pcall(function() cc:update(entry) end)
  eq(oku, false, what .. ": update must raise")
  has(uerr, path, what .. ": update error names the path")
  eq(#cc:ops(), 0, what .. ": nothing was added")
  return err
end

local fnErr = refused({ id = "bad:fn", kind = "k", data = { handlers = { "ok", function() end } } },
  "data.handlers[2]", "function in an array")
has(fnErr, "data.handlers[2]: a function cannot be stored", "exact message for a function")
refused({ id = "bad:fn2", kind = "k", data = { on = { start = print } } }, "data.on.start", "builtin function")
local udErr = refused({ id = "bad:ud", kind = "k", data = { snap = registry.snapshot() } }, "data.snap", "userdata")
has(udErr, "userdata", "userdata error says userdata")
local thErr = refused({ id = "bad:th", kind = "k", data = { co = coroutine.create(function() end) } }, "data.co", "thread")
ok(string.find(thErr, "thread", 1, true) or string.find(thErr, "coroutine", 1, true),
  "thread error says thread or coroutine, got " .. thErr)
refused({ id = "bad:nan", kind = "k", data = { x = { 1, 0 / 0 } } }, "data.x[2]", "NaN")
refused({ id = "bad:inf", kind = "k", data = { limit = math.huge } }, "data.limit", "infinity")
refused({ id = "bad:ninf", kind = "k", data = { limit = -math.huge } }, "data.limit", "-infinity")
local cyclic = { name = "loop" }
cyclic.self = cyclic
refused({ id = "bad:cycle", kind = "k", data = { loop = cyclic } }, "data.loop", "cyclic table")
local cyclicArray = {}
cyclicArray[1] = cyclicArray
refused({ id = "bad:cycle2", kind = "k", data = cyclicArray }, "data", "cyclic array")
refused({ id = "bad:mixed", kind = "k", data = { mixed = { 1, 2, x = 3 } } }, "data.mixed", "mixed keys")
refused({ id = "bad:sparse", kind = "k", data = { sparse = { [1] = "a", [3] = "c" } } }, "data.sparse", "sparse array")
refused({ id = "bad:zero", kind = "k", data = { z = { [0] = "a" } } }, "data.z", "array starting at 0")
refused({ id = "bad:float", kind = "k", data = { f = { [1.5] = "a" } } }, "data.f", "float key")
refused({ id = "bad:bool", kind = "k", data = { b = { [true] = "a" } } }, "data.b", "boolean key")
refused({ id = "bad:tablekey", kind = "k", data = { t = { [{}] = "a" } } }, "data.t", "table key")
refused({ id = "bad:meta", kind = "k", meta = { handler = function() end } }, "meta.handler", "function in meta")
refused({ id = "bad:metanan", kind = "k", meta = { tags = { "a", 0 / 0 } } }, "meta.tags[2]", "NaN in a meta array")
refused({ id = "bad:scalar", kind = "k", data = function() end }, "data", "function as data")

-- a shared (non-cyclic) table used twice is fine
local shared = { 1, 2 }
local c3 = registry.snapshot():changes()
c3:create({ id = "values:shared", kind = "value", data = { a = shared, b = shared } })
assert(c3:apply())
same(registry.get("values:shared").data, { a = { 1, 2 }, b = { 1, 2 } }, "shared subtable")
-- nothing refused ever reached the registry
eq(registry.current_version():id(), 2, "two versions only")
