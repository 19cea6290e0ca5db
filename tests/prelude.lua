-- The conformance scripts' assertion helpers. The harness (tests/src/lib.rs) puts them before
-- each script's first line, as locals joined into that one line, so that the script's own lines
-- keep their numbers. For the joining: comments only on lines of their own (they are dropped),
-- no long strings or long comments, and no line that starts with "(" (it would call the line
-- before it).
-- A failed check raises its message at the script's line that called it.

-- v as text: strings quoted, tables with their keys sorted.
local function show(v)
  if type(v) == "table" then
    local keys = {}
    for k in pairs(v) do table.insert(keys, k) end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    local parts = {}
    for _, k in ipairs(keys) do table.insert(parts, tostring(k) .. "=" .. show(v[k])) end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif type(v) == "string" then
    return string.format("%q", v)
  end
  return tostring(v)
end
-- Whether a and b are equal, tables key by key.
local function deep(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do if not deep(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end
local function eq(a, b, what)
  if a ~= b then error(what .. ": expected " .. show(b) .. ", got " .. show(a), 2) end
end
local function same(a, b, what)
  if not deep(a, b) then error(what .. ": expected " .. show(b) .. ", got " .. show(a), 2) end
end
local function ok(cond, what)
  if not cond then error(what, 2) end
end
local function has(s, sub, what)
  if type(s) ~= "string" or not string.find(s, sub, 1, true) then
    error(what .. ": expected a string containing " .. show(sub) .. ", got " .. show(s), 2)
  end
end
-- The ids of a list of entries, comma-separated.
local function ids(list)
  local out = {}
  for i, e in ipairs(list) do out[i] = e.id end
  return table.concat(out, ",")
end
-- The numbers of a list of versions, comma-separated.
local function idlist(versions)
  local out = {}
  for i, v in ipairs(versions) do out[i] = tostring(v:id()) end
  return table.concat(out, ",")
end
-- Calls f, which must raise a plain string containing each of needles; returns that string.
local function raises(f, needles, what)
  local returned, err = pcall(f)
  if returned then error(what .. " must raise", 2) end
  if type(err) ~= "string" then
    error(what .. ": expected a plain string error, got " .. show(err), 2)
  end
  for _, needle in ipairs(needles) do
    if not string.find(err, needle, 1, true) then
      error(what .. ": expected an error containing " .. show(needle) .. ", got " .. show(err), 2)
    end
  end
  return err
end
