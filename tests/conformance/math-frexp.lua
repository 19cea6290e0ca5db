-- math.frexp splits x into m * 2^e with 0.5 <= |m| < 1; infinities, NaN and zeros come back
-- unchanged with e = 0, as native Luau (glibc) returns them.
local function number(x)
  if x ~= x then return "nan" end
  return tostring(x)
end
local function frexp(label, x)
  local m, e = math.frexp(x)
  print(string.format("math.frexp(%s) = %s, %s", label, number(m), tostring(e)))
end
frexp("8", 8) -- sets the exponent to 4 first: a stale exponent would show below
frexp("math.huge", math.huge)
frexp("-math.huge", -math.huge)
frexp("0/0", 0 / 0)
frexp("0", 0)
frexp("-0", -0)
frexp("1", 1)
frexp("-3", -3)
frexp("0.1", 0.1)
frexp("2^-1074", 2 ^ -1074)
frexp("2^-1022", 2 ^ -1022)
frexp("1.7976931348623157e308", 1.7976931348623157e308)
local m, e = math.frexp(12345.678)
print("math.ldexp(math.frexp(12345.678)) == 12345.678:", math.ldexp(m, e) == 12345.678)
