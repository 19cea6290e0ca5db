-- String building: string.format, .. and table.concat of 60,000 pieces, then string.find and
-- string.sub over the result.
local parts = {}
for i = 1, 60000 do
  parts[#parts + 1] = string.format("%05d:", i) .. "item-" .. (i % 97) .. ";"
end
local s = table.concat(parts)
local count, pos = 0, 1
while true do
  local a, b = string.find(s, "item-42;", pos, true)
  if not a then break end
  count = count + 1
  pos = b + 1
end
local head = string.sub(s, 1, 6) .. string.upper(string.sub(s, 7, 11))
return #s + count * 1000000 + #head
