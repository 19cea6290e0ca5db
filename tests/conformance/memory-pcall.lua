-- A script that fills the memory limit inside pcall gets the out-of-memory error as a value, and
-- goes on. The strings are unique: Luau interns strings, so appending one string again and again
-- would grow only a table of references. Luau has no emergency collection and only allocation
-- drives its collector, so after the error the script goes on with what it has.
local megabyte = string.rep("x", 1e6)
local function fill()
  local kept = {}
  local i = 0
  while true do
    i += 1
    kept[i] = megabyte .. i
  end
end
local caught, err = pcall(fill)
print("pcall caught the error:", not caught)
print("error:", err)
caught, err = pcall(fill)
print("and caught it again:", not caught, err)
