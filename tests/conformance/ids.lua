-- Ids: registry.parse_id splits at the FIRST colon (ns = "" without one); a stored id needs
-- both parts non-empty; the string form and the {ns=, name=} table form are accepted
-- everywhere an id is taken; entries always come back with id as the string "ns:name".
local registry = require("registry")

-- parse_id
same(registry.parse_id("a:b"), { ns = "a", name = "b" }, "parse_id a:b")
same(registry.parse_id("namespace:name"), { ns = "namespace", name = "name" }, "parse_id namespace:name")
same(registry.parse_id("a:b:c"), { ns = "a", name = "b:c" }, "parse_id splits at the first colon")
same(registry.parse_id("svc.eu-1:db/main@2"), { ns = "svc.eu-1", name = "db/main@2" }, "parse_id punctuation")

-- parse_id is a parser: without a ':', ns is "" and the whole string is the name; always a table
same(registry.parse_id("nocolon"), { ns = "", name = "nocolon" }, "parse_id without a colon")
same(registry.parse_id(""), { ns = "", name = "" }, "parse_id of the empty string")
same(registry.parse_id(":"), { ns = "", name = "" }, "parse_id :")
same(registry.parse_id("a:"), { ns = "a", name = "" }, "parse_id a:")
same(registry.parse_id(":b"), { ns = "", name = "b" }, "parse_id :b")
same(registry.parse_id("::"), { ns = "", name = ":" }, "parse_id ::")
eq(select("#", registry.parse_id("a:b")), 1, "parse_id returns one value")
-- invalid UTF-8 is refused, not replaced
local okp, perr = pcall(registry.parse_id, "\255:\254")
eq(okp, false, "parse_id of invalid UTF-8 raises")
has(perr, "bad argument #1 to 'parse_id' (string is not valid UTF-8)", "parse_id invalid UTF-8")
local okn, nerr = pcall(function() return registry.snapshot():namespace("\255") end)
eq(okn, false, "namespace of invalid UTF-8 raises")
has(nerr, "bad argument #1 to 'namespace' (string is not valid UTF-8)", "namespace invalid UTF-8")
-- storing still needs both parts
local _, nocolonErr = registry.get("nocolon")
eq(tostring(nocolonErr), 'invalid id "nocolon": expected namespace:name', "exact message for nocolon")

-- create with both forms in one changeset
local c = registry.snapshot():changes()
c:create({ id = "a:one", kind = "k", data = 1 })
c:create({ id = { ns = "a", name = "two" }, kind = "k", data = 2 })
c:create({ id = { ns = "a", name = "x:y" }, kind = "k", data = 3 })
c:create({ id = "b:p:q", kind = "k", data = 4 })
-- ops() hands ids back as strings
local ops = c:ops()
eq(ops[1].entry.id, "a:one", "ops id from string form")
eq(ops[2].entry.id, "a:two", "ops id from table form")
eq(ops[3].entry.id, "a:x:y", "ops id from table form with colon in name")
assert(c:apply())

-- get: both forms, module and snapshot
eq(registry.get("a:two").data, 2, "get string form")
eq(registry.get({ ns = "a", name = "one" }).data, 1, "get table form")
eq(registry.get({ ns = "a", name = "one" }).id, "a:one", "entry id is a string")
eq(registry.get("a:x:y").data, 3, "name containing a colon, string form")
eq(registry.get({ ns = "b", name = "p:q" }).data, 4, "name containing a colon, table form")
local s = registry.snapshot()
eq(s:get({ ns = "a", name = "two" }).data, 2, "snapshot:get table form")
eq(s:get("b:p:q").data, 4, "snapshot:get string form")
local _, gerr = s:get({ ns = "a", name = "nope" })
eq(tostring(gerr), "entry not found: a:nope", "not-found message uses the string form")
eq(ids(s:namespace("b")), "b:p:q", "namespace b holds b:p:q (split at first colon)")
eq(ids(registry.find({ [".ns"] = "b", [".name"] = "p:q" })), "b:p:q", "find .ns/.name of b:p:q")
eq(ids(registry.find({ [".id"] = "a:x:y" })), "a:x:y", "find .id")

-- update and delete: both forms
local c2 = registry.snapshot():changes()
c2:update({ id = { ns = "a", name = "one" }, kind = "k", data = 10 })
c2:update({ id = "a:two", kind = "k", data = 20 })
c2:delete({ ns = "a", name = "x:y" })
c2:delete("b:p:q")
eq(c2:ops()[1].entry.id, "a:one", "update op id is a string")
eq(c2:ops()[3].entry.id, "a:x:y", "delete op id is a string")
assert(c2:apply())
eq(registry.get("a:one").data, 10, "update via table id")
eq(registry.get("a:two").data, 20, "update via string id")
eq(registry.get("a:x:y"), nil, "delete via table id")
eq(registry.get("b:p:q"), nil, "delete via string id")

-- malformed ids raise at the changeset call, naming the problem
for _, bad in ipairs({ "", ":", "a:", ":b", "nocolon" }) do
  local cc = registry.snapshot():changes()
  local okc, e1 = pcall(function() cc:create({ id = bad, kind = "k" }) end)
  eq(okc, false, "create with id " .. show(bad) .. " must raise")
  has(e1, "invalid id", "create with id " .. show(bad))
  local oku, e2 = pcall(function() cc:update({ id = bad, kind = "k" }) end)
  eq(oku, false, "update with id " .. show(bad) .. " must raise")
  has(e2, "invalid id", "update with id " .. show(bad))
  local okd, e3 = pcall(function() cc:delete(bad) end)
  eq(okd, false, "delete with id " .. show(bad) .. " must raise")
  has(e3, "invalid id", "delete with id " .. show(bad))
  eq(#cc:ops(), 0, "nothing was added by the failing calls")
end
for _, bad in ipairs({ { ns = "a" }, { name = "b" }, { ns = "", name = "b" }, { ns = "a", name = "" } }) do
  local cc = registry.snapshot():changes()
  eq(pcall(function() cc:create({ id = bad, kind = "k" }) end), false, "create with table id " .. show(bad))
  eq(pcall(function() cc:delete(bad) end), false, "delete with table id " .. show(bad))
end

-- malformed ids in reads: a failure, returned as nil, err
local r1, e1 = registry.get("nocolon")
eq(r1, nil, "registry.get malformed")
has(tostring(e1), "invalid id", "registry.get malformed error")
local r2, e2 = registry.snapshot():get(":b")
eq(r2, nil, "snapshot:get malformed")
has(tostring(e2), "invalid id", "snapshot:get malformed error")
