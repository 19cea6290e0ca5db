-- Snapshots: immutable views. Later applies and rollbacks never change what a snapshot
-- shows; tostring is "registry.Snapshot{version=v3}"; entries/namespace/find are sorted
-- by namespace, then name (so "a:z" comes before "a-b:c"); get of a missing id gives
-- nil, "entry not found: ns:name"; snapshot_at(0) is the empty root; snapshot_at(999)
-- gives nil, "version not found: 999".
local registry = require("registry")

local s0 = assert(registry.snapshot())
eq(tostring(s0), "registry.Snapshot{version=v0}", "tostring of the empty snapshot")
eq(#s0:entries(), 0, "empty snapshot entries")
eq(s0:version():id(), 0, "empty snapshot version")

-- v1: created in an unsorted order
local c1 = s0:changes()
for _, id in ipairs({ "b:y", "a:z", "a-b:c", "a:a", "b:x", "B:upper", "a:Z" }) do
  c1:create({ id = id, kind = "thing", meta = { tag = "t" }, data = { id = id } })
end
eq(assert(c1:apply()):id(), 1, "v1")
local s1 = registry.snapshot()
eq(tostring(s1), "registry.Snapshot{version=v1}", "tostring s1")
-- byte order: "B" < "a" < "a-b" < "b"; within a namespace "Z" < "a" < "z"
local sorted = "B:upper,a:Z,a:a,a:z,a-b:c,b:x,b:y"
eq(ids(s1:entries()), sorted, "entries sorted by namespace, then name")
eq(ids(s1:find({})), sorted, "find({}) sorted by namespace, then name")
eq(ids(s1:find({ ["meta.tag"] = "t" })), sorted, "find sorted by namespace, then name")
eq(ids(registry.find({ [".kind"] = "thing" })), sorted, "registry.find sorted by namespace, then name")
eq(ids(s1:namespace("a")), "a:Z,a:a,a:z", "namespace a (not a-b, not B)")
eq(ids(s1:namespace("a-b")), "a-b:c", "namespace a-b")
eq(#s1:namespace("zzz"), 0, "unknown namespace is empty")
eq(type(s1:namespace("zzz")), "table", "unknown namespace gives a table")
same(s1:get("a:z"), { id = "a:z", kind = "thing", meta = { tag = "t" }, data = { id = "a:z" } }, "get")

local m, merr = s1:get("a:missing")
eq(m, nil, "missing entry")
eq(tostring(merr), "entry not found: a:missing", "missing entry error")
local m2, merr2 = s1:get({ ns = "q", name = "r" })
eq(m2, nil, "missing entry, table id")
eq(tostring(merr2), "entry not found: q:r", "missing entry error, table id")

-- v2: update, delete, create; s1 does not move
local c2 = s1:changes()
c2:update({ id = "a:a", kind = "thing", meta = { tag = "changed" } })
c2:delete("b:x")
c2:create({ id = "c:new", kind = "thing" })
eq(assert(c2:apply()):id(), 2, "v2")
eq(s1:version():id(), 1, "s1 still at v1")
eq(tostring(s1), "registry.Snapshot{version=v1}", "tostring s1 after apply")
eq(ids(s1:entries()), sorted, "s1 entries after apply")
same(s1:get("a:a").meta, { tag = "t" }, "s1 sees the old meta")
eq(s1:get("b:x").id, "b:x", "s1 still sees the deleted entry")
eq(s1:get("c:new"), nil, "s1 does not see the new entry")
eq(#s1:find({ ["meta.tag"] = "changed" }), 0, "s1 find does not see the update")
eq(#s0:entries(), 0, "s0 still empty")

local s2 = registry.snapshot()
eq(tostring(s2), "registry.Snapshot{version=v2}", "tostring s2")
eq(ids(s2:entries()), "B:upper,a:Z,a:a,a:z,a-b:c,b:y,c:new", "s2 entries")
same(s2:get("a:a").meta, { tag = "changed" }, "s2 sees the update")

-- rollback does not change existing snapshots either
eq(registry.apply_version(registry.history():get_version(0)), true, "rollback to v0")
eq(ids(s2:entries()), "B:upper,a:Z,a:a,a:z,a-b:c,b:y,c:new", "s2 after rollback")
eq(ids(s1:entries()), sorted, "s1 after rollback")
eq(#registry.snapshot():entries(), 0, "head snapshot after rollback")
eq(registry.apply_version(registry.history():get_version(2)), true, "forward to v2")

-- snapshot_at
local a0 = assert(registry.snapshot_at(0))
eq(#a0:entries(), 0, "snapshot_at(0) is empty")
eq(tostring(a0), "registry.Snapshot{version=v0}", "tostring snapshot_at(0)")
eq(a0:version():id(), 0, "snapshot_at(0) version")
local a1 = assert(registry.snapshot_at(1))
eq(ids(a1:entries()), sorted, "snapshot_at(1) equals s1")
same(a1:get("a:a"), s1:get("a:a"), "snapshot_at(1):get equals s1:get")
eq(tostring(a1), "registry.Snapshot{version=v1}", "tostring snapshot_at(1)")
local h1 = assert(registry.history():snapshot_at(registry.history():get_version(1)))
eq(ids(h1:entries()), sorted, "history:snapshot_at(v1)")
local none, nerr = registry.snapshot_at(999)
eq(none, nil, "snapshot_at(999)")
eq(tostring(nerr), "version not found: 999", "snapshot_at(999) error")

-- snapshots are independent objects
eq(ids(s1:entries()), sorted, "s1 at the end")
eq(ids(registry.snapshot():entries()), "B:upper,a:Z,a:a,a:z,a-b:c,b:y,c:new", "head at the end")
