-- The error objects' __index and __concat, and string.format's arguments (errors.rs).
local methods, message_of, string_library = ...
local function text(value)
    local message = message_of(value)
    if message == nil then return value end
    return message
end
local forwarded = {}
for name, f in pairs(string_library) do
    if type(f) == "function" then
        forwarded[name] = function(self, ...) return f(text(self), ...) end
    end
end
-- string.format's %s takes strings only: its arguments with error objects replaced by their
-- messages.
local function messages(...)
    local args = table.pack(...)
    for i = 1, args.n do args[i] = text(args[i]) end
    return table.unpack(args, 1, args.n)
end
return {
    index = function(_, key) return methods[key] or forwarded[key] end,
    concat = function(a, b) return text(a) .. text(b) end,
    messages = messages,
}
