-- The math library, number formatting and parsing give native Luau's results: each line is one
-- function with the number of results and a digest (FNV-1a) of all of them, over special values,
-- powers of two and seeded random inputs. The .out file is native Luau's (glibc) output.
-- Exact operations are digested with all 17 digits. Transcendental functions, whose last bit
-- differs between glibc and the module's musl-based libm for some inputs (README, Known issues),
-- are digested with 12 digits: that still catches wrong special cases (infinities, NaN, signed
-- zeros, domain edges). Set SHOW to true to print every result, to compare drivers line by line.
local SHOW = false
local ROUNDED = 12 -- significant digits of transcendental results

local function digest(digits)
  local format = "%." .. (digits or 17) .. "g"
  local state = { hash = 2166136261, count = 0 }
  function state.add(label, value)
    local text = type(value) == "number" and string.format(format, value) or tostring(value)
    if value ~= value then text = "nan" end -- the sign of a NaN is not portable
    if SHOW then print(label, text) end
    for i = 1, #text do
      local h = bit32.bxor(state.hash, string.byte(text, i))
      -- h * 16777619 mod 2^32, exactly in doubles: 16777619 = 2^24 + 403
      state.hash = (h * 403 + (h % 256) * 16777216) % 4294967296
    end
    state.count += 1
  end
  return state
end

local specials = {
  0, -0, 1, -1, 0.5, -0.5, 2, -2, 3, 10, 100, 0.1, 1 / 3, -2.5, 2.5, 0.49999999999999994,
  math.pi, -math.pi, math.pi / 2, math.pi / 4, 2 * math.pi, 1e-10, 1e-300, 2 ^ -1074, 2 ^ -1022,
  1e10, 1e22, 1e300, 1.7976931348623157e308, 709.78, 709.79, -745.1, -745.2, 710, 0.9999999999999999,
  1.0000000000000002, 88.7, 1e15 + 0.5, 2 ^ 52, 2 ^ 53, 2 ^ 53 + 2, 2 ^ 63, 2 ^ 64, -2 ^ 31, 2 ^ 31,
  math.huge, -math.huge, 0 / 0,
}
local inputs = table.clone(specials)
math.randomseed(20260101)
for _ = 1, 400 do
  -- ldexp is exact, so the inputs themselves cannot differ between drivers
  table.insert(inputs, math.ldexp(math.random() * 2 - 1, math.random(-40, 40)))
end
for _ = 1, 100 do
  table.insert(inputs, math.random(-1000, 1000) / 8)
end
local pairs2 = {}
for _, a in ipairs(specials) do
  for _, b in ipairs(specials) do table.insert(pairs2, { a, b }) end
end
for i = 1, 400 do
  table.insert(pairs2, { inputs[#specials + i], inputs[#inputs - (i % 100)] })
end

local function unary(name, f, digits)
  local d = digest(digits)
  for _, x in ipairs(inputs) do
    local ok, a, b = pcall(f, x)
    d.add(name .. "(" .. string.format("%.17g", x) .. ")", ok and a or "error")
    if b ~= nil then d.add(name .. "[2]", b) end
  end
  print(string.format("%-14s %4d %08x", name, d.count, d.hash))
end
local function binary(name, f, digits)
  local d = digest(digits)
  for _, p in ipairs(pairs2) do
    local ok, r = pcall(f, p[1], p[2])
    d.add(name .. "(" .. string.format("%.17g, %.17g", p[1], p[2]) .. ")", ok and r or "error")
  end
  print(string.format("%-14s %4d %08x", name, d.count, d.hash))
end

for _, name in ipairs({ "abs", "ceil", "deg", "floor", "frexp", "modf", "rad", "round", "sign", "sqrt" }) do
  unary("math." .. name, math[name])
end
for _, name in ipairs({ "acos", "asin", "atan", "cos", "cosh", "exp", "log", "log10", "sin", "sinh", "tan", "tanh" }) do
  unary("math." .. name, math[name], ROUNDED)
end
unary("math.log(x,2)", function(x) return math.log(x, 2) end, ROUNDED)
unary("math.log(x,10)", function(x) return math.log(x, 10) end, ROUNDED)
unary("math.log(x,3)", function(x) return math.log(x, 3) end, ROUNDED)
unary("math.noise", function(x) return math.noise(x, x / 3, -x) end)
unary("math.ldexp", function(x) return math.ldexp(x, 7) end)

binary("math.atan2", math.atan2, ROUNDED)
binary("math.fmod", math.fmod)
binary("math.pow", math.pow, ROUNDED)
binary("x ^ y", function(x, y) return x ^ y end, ROUNDED)
binary("x % y", function(x, y) return x % y end)
binary("x // y", function(x, y) return x // y end)
binary("math.max", math.max)
binary("math.min", math.min)
binary("math.clamp", function(x, y) return math.clamp(0.25, math.min(x, y), math.max(x, y)) end)

-- formatting and parsing go through libc (printf, strtod) besides Luau's own tostring
unary("tostring", tostring)
for _, format in ipairs({ "%.17g", "%g", "%.3f", "%e", "%.0f", "%5.1f", "%d" }) do
  unary("format " .. format, function(x) return string.format(format, x) end)
end
unary("tonumber", function(x) return tonumber(string.format("%.17g", x)) end)
local texts = {
  "0x10", "0X1p4", "1e400", "-1e400", "1e-400", "inf", "-inf", "nan", "infinity", " 12 ", "1e",
  "0x", ".5", "5.", "1_000", "0b101", "0x1.8p1", "1e+2", "00012", "-0", "4.9e-324", "2.4703282292062328e-324",
  "9007199254740993", "0.1e1", "1.7976931348623159e308", "123456789012345678901234567890",
}
local d = digest()
for _, text in ipairs(texts) do d.add("tonumber(" .. text .. ")", tonumber(text)) end
print(string.format("%-14s %4d %08x", "tonumber text", d.count, d.hash))
