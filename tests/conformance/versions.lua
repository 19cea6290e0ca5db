-- Versions: v0 is the empty root; each successful apply creates max+1 with the head as
-- its previous version. id() is a number, string() is "v3", tostring is
-- "registry.Version{v3}", previous() is nil only for v0, time() is the run's clock in ms,
-- ops() lists the version's operations in the changes:ops() form, versions() (module and
-- history) lists every version ascending, v0 included.
local registry = require("registry")

local history = registry.history()

-- the root
local v0 = assert(registry.current_version())
eq(v0:id(), 0, "v0 id")
eq(type(v0:id()), "number", "id is a number")
eq(v0:string(), "v0", "v0 string")
eq(tostring(v0), "registry.Version{v0}", "tostring v0")
eq(v0:previous(), nil, "v0 has no previous")
eq(type(v0:time()), "number", "v0 time is a number")
eq(#v0:ops(), 0, "v0 has no ops")
eq(#registry.versions(), 1, "fresh registry has one version")
eq(registry.versions()[1]:id(), 0, "it is v0")
eq(#history:versions(), 1, "history:versions() on a fresh registry")
eq(registry.snapshot():version():id(), 0, "snapshot of a fresh registry is at v0")
eq(#registry.snapshot():entries(), 0, "v0 is empty")
eq(assert(history:get_version(0)):id(), 0, "history:get_version(0)")

-- v1: two creates
local c1 = registry.snapshot():changes()
c1:create({ id = "app:a", kind = "thing", meta = { n = 1 }, data = { x = 1 } })
c1:create({ id = "app:b", kind = "thing" })
local v1 = assert(c1:apply())
eq(v1:id(), 1, "v1 id")
eq(v1:string(), "v1", "v1 string")
eq(tostring(v1), "registry.Version{v1}", "tostring v1")
eq(v1:previous():id(), 0, "v1 previous")
eq(v1:previous():previous(), nil, "v1 previous previous")
eq(v1:time(), 1767225600000, "v1 time")
eq(registry.current_version():id(), 1, "head after v1")

-- v2: update + delete; v3: create
local c2 = registry.snapshot():changes()
c2:update({ id = "app:a", kind = "thing", meta = { n = 2 } })
c2:delete("app:b")
local v2 = assert(c2:apply())
local c3 = registry.snapshot():changes()
c3:create({ id = "app:c", kind = "other", data = "c" })
local v3 = assert(c3:apply())
eq(v2:id(), 2, "v2 id")
eq(v3:id(), 3, "v3 id")
eq(v3:string(), "v3", "v3 string")
eq(tostring(v3), "registry.Version{v3}", "tostring v3")
eq(v3:previous():id(), 2, "v3 previous")
eq(v3:previous():previous():id(), 1, "v3 previous previous")
eq(v3:time(), 1767225600000, "v3 time")

-- ops() of each version, in the order they were added, in the changes:ops() form
local ops1 = v1:ops()
eq(#ops1, 2, "#v1 ops")
eq(ops1[1].kind, "entry.create", "v1 op1 kind")
same(ops1[1].entry, { id = "app:a", kind = "thing", meta = { n = 1 }, data = { x = 1 } }, "v1 op1 entry")
eq(ops1[2].kind, "entry.create", "v1 op2 kind")
eq(ops1[2].entry.id, "app:b", "v1 op2 id")
eq(ops1[2].entry.kind, "thing", "v1 op2 kind of entry")
same(ops1, c1:ops(), "v1:ops() equals the changeset's ops()")
local ops2 = v2:ops()
eq(#ops2, 2, "#v2 ops")
eq(ops2[1].kind, "entry.update", "v2 op1 kind")
eq(ops2[1].entry.id, "app:a", "v2 op1 id")
same(ops2[1].entry.meta, { n = 2 }, "v2 op1 meta")
eq(ops2[2].kind, "entry.delete", "v2 op2 kind")
eq(ops2[2].entry.id, "app:b", "v2 op2 id")
eq(#v3:ops(), 1, "#v3 ops")

-- versions(): ascending, v0 included, module and history agree
eq(idlist(registry.versions()), "0,1,2,3", "registry.versions()")
eq(idlist(history:versions()), "0,1,2,3", "history:versions()")
for _, v in ipairs(registry.versions()) do
  if v:id() == 0 then eq(v:previous(), nil, "only v0 has no previous")
  else eq(v:previous():id(), v:id() - 1, "previous of v" .. v:id()) end
end

-- current_version, get_version, snapshot versions
eq(registry.current_version():id(), 3, "current_version")
eq(registry.current_version():string(), "v3", "current_version string")
eq(assert(history:get_version(2)):string(), "v2", "get_version(2)")
eq(history:get_version(2):previous():id(), 1, "get_version(2):previous()")
eq(history:get_version(2):ops()[2].kind, "entry.delete", "get_version(2):ops()")
eq(registry.snapshot():version():id(), 3, "snapshot():version()")
eq(registry.snapshot_at(1):version():id(), 1, "snapshot_at(1):version()")
eq(history:snapshot_at(history:get_version(2)):version():id(), 2, "history:snapshot_at(v2):version()")
eq(history:snapshot_at(v0):version():id(), 0, "history:snapshot_at(v0)")
local missing, err = history:get_version(42)
eq(missing, nil, "get_version(42)")
eq(tostring(err), "version not found: 42", "get_version(42) error")

-- a failed apply creates no version and does not consume an id
local bad = registry.snapshot():changes()
bad:delete("app:missing")
local nv, nerr = bad:apply()
eq(nv, nil, "failed apply")
eq(tostring(nerr), "entry not found: app:missing", "failed apply error")
eq(idlist(registry.versions()), "0,1,2,3", "no version from a failed apply")
local c4 = registry.snapshot():changes()
c4:create({ id = "app:d", kind = "thing" })
eq(assert(c4:apply()):id(), 4, "next version is max+1")
eq(registry.current_version():id(), 4, "head moved to v4")
