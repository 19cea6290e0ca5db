-- os.clock() measures real time: a busy loop of a few milliseconds shows in its difference
-- (a counter that only ticks per call would measure microseconds), and it moves on in small
-- steps, fine enough to time code.
local start = os.clock()
local sum = 0
for i = 1, 2e6 do
  sum += i % 7
end
local elapsed = os.clock() - start
print("os.clock() diff > 0:", elapsed > 0)
print("a 2e6-iteration loop takes 0.5 ms to 5 s:", elapsed > 0.0005 and elapsed < 5, sum)

local before = os.clock()
local after = before
while after == before do
  after = os.clock()
end
print("os.clock() steps by less than 1 ms:", after - before < 0.001)
