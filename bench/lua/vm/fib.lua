-- Recursive calls: fib(27), 635,621 calls. Plain Lua (Luau, Lua 5.3 and 5.4 alike).
local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end
return fib(27)
