-- Wraps a registry function: raises its error message at the caller's line (binding.rs).
local raw, results, raise = ...
if results == 1 then
    return function(...)
        local a, message = raw(...)
        if a == raise then error(message, 2) end
        return a
    end
end
return function(...)
    local a, b = raw(...)
    if a == raise then error(b, 2) end
    return a, b
end
