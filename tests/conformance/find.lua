-- find criteria (registry.find and snapshot:find): ".kind" ".name" ".ns" ".id" exact;
-- "field" and "meta.field" equality; "~" unanchored regex, "*" contains, "^" prefix,
-- "$" suffix; all criteria must hold; {} matches all; numbers compare numerically;
-- booleans; array meta values (scalar criterion = any element, for every operator; array
-- criterion = contains all); ~*^$ match only strings; "meta.a.b" looks up the key "a.b"
-- first, else descends; invalid regex / unknown special field give nil, err; non-table
-- criteria raise.
local registry = require("registry")

local c = registry.snapshot():changes()
c:create({ id = "services:api", kind = "service", meta = {
  environment = "production", region = "us-west-2", replicas = 3, public = true,
  tags = { "web", "api", "edge" }, description = "Public API gateway",
  ["a.b"] = "flat", a = { b = "nested" }, owner = { team = "core" }, ratio = 0.5,
} })
c:create({ id = "services:db", kind = "service", meta = {
  environment = "production", region = "eu-west-1", replicas = 1, public = false,
  tags = { "storage" }, description = "primary database", a = { b = "deep" }, owner = { team = "data" },
} })
c:create({ id = "services:cache", kind = "service", meta = {
  environment = "staging", region = "us-east-1", replicas = 2, tags = { "web", "cache" },
  description = "redis cache for api", versions = { 1, 2, 3 },
} })
c:create({ id = "config:api", kind = "config", meta = {
  environment = "production", description = "api settings", ratio = 0.5, replicas = "3",
} })
c:create({ id = "jobs:nightly", kind = "job" })
assert(c:apply())
local snap = registry.snapshot()

-- each criteria table is checked against registry.find and snapshot:find alike
local function check(criteria, expected, what)
  local found, err = registry.find(criteria)
  ok(found ~= nil, what .. ": registry.find failed: " .. tostring(err))
  eq(ids(found), expected, what .. " (registry.find)")
  local sfound, serr = snap:find(criteria)
  ok(sfound ~= nil, what .. ": snapshot:find failed: " .. tostring(serr))
  eq(ids(sfound), expected, what .. " (snapshot:find)")
end
local ALL = "config:api,jobs:nightly,services:api,services:cache,services:db"

-- special fields: exact
check({ [".kind"] = "service" }, "services:api,services:cache,services:db", ".kind")
check({ [".kind"] = "serv" }, "", ".kind is exact")
check({ [".kind"] = "Service" }, "", ".kind is case-sensitive")
check({ [".name"] = "api" }, "config:api,services:api", ".name")
check({ [".name"] = "ap" }, "", ".name is exact")
check({ [".ns"] = "services" }, "services:api,services:cache,services:db", ".ns")
check({ [".ns"] = "service" }, "", ".ns is exact")
check({ [".id"] = "services:db" }, "services:db", ".id")
check({ [".id"] = "services:d" }, "", ".id is exact")
check({ [".id"] = "services:none" }, "", ".id of a missing entry")

-- empty criteria: everything; all criteria must hold
check({}, ALL, "empty criteria")
check({ [".kind"] = "service", environment = "production", ["^meta.region"] = "us" }, "services:api", "all criteria must hold")
check({ [".ns"] = "services", [".name"] = "api" }, "services:api", ".ns and .name")
check({ [".kind"] = "config", [".ns"] = "services" }, "", "no entry has both")

-- equality: "field" is the same as "meta.field"
check({ environment = "production" }, "config:api,services:api,services:db", "bare field equality")
check({ ["meta.environment"] = "production" }, "config:api,services:api,services:db", "meta.field equality")
check({ ["meta.environment"] = "product" }, "", "equality is not a prefix match")
check({ ["meta.missing"] = "x" }, "", "absent meta field")
-- numbers compare numerically, never with strings
check({ ["meta.replicas"] = 3 }, "services:api", "number equality")
check({ ["meta.replicas"] = 3.0 }, "services:api", "3 equals 3.0")
check({ replicas = "3" }, "config:api", "string \"3\" matches only the string")
check({ ["meta.ratio"] = 0.5 }, "config:api,services:api", "float equality")
-- booleans
check({ ["meta.public"] = true }, "services:api", "boolean true")
check({ ["meta.public"] = false }, "services:db", "boolean false")
check({ ["meta.public"] = "true" }, "", "string \"true\" does not match boolean true")

-- regex: unanchored search, case-sensitive unless the pattern says otherwise
check({ ["~meta.description"] = "api" }, "config:api,services:cache", "~ unanchored")
check({ ["~meta.description"] = "^api" }, "config:api", "~ with an explicit anchor")
check({ ["~meta.description"] = "(?i)api" }, "config:api,services:api,services:cache", "~ case-insensitive flag")
check({ ["~meta.description"] = "data" }, "services:db", "~ in the middle of a word")
check({ ["~meta.description"] = "gate.ay$" }, "services:api", "~ dot and end anchor")
check({ ["~description"] = "gateway" }, "services:api", "~ with a bare field")
-- contains / prefix / suffix
check({ ["*meta.description"] = "cache" }, "services:cache", "* contains")
check({ ["*meta.description"] = "." }, "", "* is literal, not a pattern")
check({ ["^meta.region"] = "us-" }, "services:api,services:cache", "^ prefix")
check({ ["^meta.region"] = "west" }, "", "^ is a prefix only")
check({ ["$meta.region"] = "-1" }, "services:cache,services:db", "$ suffix")
check({ ["$meta.region"] = "us" }, "", "$ is a suffix only")
check({ ["^region"] = "eu" }, "services:db", "^ with a bare field")
check({ ["$description"] = "settings" }, "config:api", "$ with a bare field")
check({ ["*region"] = "west" }, "services:api,services:db", "* with a bare field")
-- ~ * ^ $ match only strings
check({ ["*meta.replicas"] = "3" }, "config:api", "* ignores the number 3")
check({ ["^meta.replicas"] = "1" }, "", "^ ignores numbers")
check({ ["$meta.public"] = "e" }, "", "$ ignores booleans")
check({ ["~meta.replicas"] = "[0-9]" }, "config:api", "~ ignores numbers")
check({ ["~meta.owner"] = "core" }, "", "~ ignores maps")

-- array meta values: a scalar criterion matches when any element matches, for every operator
check({ ["meta.tags"] = "web" }, "services:api,services:cache", "array: equality with any element")
check({ tags = "storage" }, "services:db", "array: bare field")
check({ ["meta.tags"] = "we" }, "", "array: equality is exact per element")
check({ ["meta.versions"] = 2 }, "services:cache", "array: numeric element")
check({ ["meta.versions"] = 2.0 }, "services:cache", "array: numeric element, 2.0")
check({ ["meta.versions"] = "2" }, "", "array: string never equals a number element")
check({ ["~meta.tags"] = "^w.b$" }, "services:api,services:cache", "array: ~ any element")
check({ ["*meta.tags"] = "ach" }, "services:cache", "array: * any element")
check({ ["^meta.tags"] = "ed" }, "services:api", "array: ^ any element")
check({ ["$meta.tags"] = "age" }, "services:db", "array: $ any element")
check({ ["*meta.versions"] = "2" }, "", "array: * ignores number elements")
-- an array criterion means "contains all of its elements"
check({ ["meta.tags"] = { "web", "api" } }, "services:api", "array criterion: contains all")
check({ ["meta.tags"] = { "api", "web" } }, "services:api", "array criterion: order does not matter")
check({ ["meta.tags"] = { "web" } }, "services:api,services:cache", "array criterion: one element")
check({ ["meta.tags"] = { "web", "storage" } }, "", "array criterion: all must be present")
check({ ["meta.versions"] = { 3, 1.0 } }, "services:cache", "array criterion: numbers numerically")

-- dotted paths: the key "a.b" if present, else nested tables
check({ ["meta.a.b"] = "flat" }, "services:api", "meta.a.b finds the key \"a.b\"")
check({ ["meta.a.b"] = "nested" }, "", "meta.a.b does not descend when the key \"a.b\" exists")
check({ ["meta.a.b"] = "deep" }, "services:db", "meta.a.b descends when there is no key \"a.b\"")
check({ ["meta.owner.team"] = "core" }, "services:api", "meta.owner.team")
check({ ["owner.team"] = "data" }, "services:db", "bare owner.team")
check({ ["*meta.owner.team"] = "at" }, "services:db", "* on a nested path")
check({ ["meta.owner.missing"] = "x" }, "", "missing nested key")
check({ ["meta.environment.x"] = "x" }, "", "descending into a string finds nothing")

-- results are sorted by namespace then name and are plain entry tables
local r = registry.find({ [".id"] = "services:api" })
eq(r[1].kind, "service", "found entry kind")
eq(r[1].meta.region, "us-west-2", "found entry meta")

-- errors: nil, err
local function fails(criteria, prefix, what)
  local found, err = registry.find(criteria)
  eq(found, nil, what .. ": registry.find result")
  has(tostring(err), prefix, what .. ": registry.find error")
  local sfound, serr = snap:find(criteria)
  eq(sfound, nil, what .. ": snapshot:find result")
  has(tostring(serr), prefix, what .. ": snapshot:find error")
  return tostring(err)
end
local rerr = fails({ ["~meta.description"] = "(" }, "invalid pattern for ~meta.description: ", "invalid regex")
eq(string.sub(rerr, 1, #"invalid pattern for ~meta.description: "), "invalid pattern for ~meta.description: ",
  "invalid regex error starts with the criterion")
fails({ ["~description"] = "[a-" }, "invalid pattern for ~description: ", "invalid regex, bare field")
fails({ [".foo"] = "x" }, ".foo", "unknown special field")
fails({ [".kind"] = "service", [".bar"] = "x" }, ".bar", "unknown special field among valid ones")
-- nothing is silently ignored: criteria that cannot mean anything are errors too
fails({ [".kind"] = 5 }, "", "a special field with a non-string value")
fails({ ["meta.x"] = 0 / 0 }, "", "a NaN criterion")
fails({ ["meta.x"] = print }, "", "a function criterion")
fails({ [1] = "x" }, "", "a numeric criteria key")
fails({ [""] = "x" }, "", "an empty criteria key")

-- non-table criteria: a wrong argument type is an INVALID error, not a raise
for _, bad in ipairs({ "kind=service", 42, true }) do
  local found, ferr = registry.find(bad)
  eq(found, nil, "registry.find(" .. show(bad) .. ") result")
  eq(ferr:kind(), "INVALID", "registry.find(" .. show(bad) .. ") error kind")
  local sfound, serr = snap:find(bad)
  eq(sfound, nil, "snapshot:find(" .. show(bad) .. ") result")
  eq(serr:kind(), "INVALID", "snapshot:find(" .. show(bad) .. ") error kind")
end
