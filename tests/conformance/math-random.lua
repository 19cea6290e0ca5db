-- math.randomseed(n) makes math.random's sequence reproducible, the same on every driver
-- (runs without a seed differ: the drivers' own tests check that, a script is one run).
math.randomseed(42)
print(math.random(), math.random(), math.random(1, 6), math.random(-1000, 1000), math.random(100))
math.randomseed(42)
print("the same again after math.randomseed(42):", math.random())
math.randomseed(-7)
print(math.random(), math.random(1, 2 ^ 31 - 1))
