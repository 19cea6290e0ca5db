-- table.insert of 100,000 pseudo-random numbers, table.sort, then a checksum. Floats throughout:
-- fengari's integers are 32-bit, and floats keep every VM on the same exact values.
local seed = 42.0
local t = {}
for i = 1, 100000 do
  seed = (seed * 16807.0) % 2147483647.0
  table.insert(t, seed % 1000000.0)
end
table.sort(t)
local sum = 0.0
for i = 1, #t, 7 do sum = (sum + t[i] * i) % 1000000007.0 end
return sum
