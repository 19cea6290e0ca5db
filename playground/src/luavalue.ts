// Returned values shown as Lua shows them: print's form for scalars (nil, true, 42, 0.5, nan,
// text unquoted), a table constructor for tables. Pure (unit tested with node --test).

/** Lua's %.14g for numbers, as print and tostring write them. */
function number(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  return String(Number(n.toPrecision(14)));
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEYWORDS = new Set(
  'and break do else elseif end false for function if in local nil not or repeat return then true until while'.split(
    ' ',
  ),
);

function quoted(text: string): string {
  return JSON.stringify(text);
}

function nested(value: unknown, indent: string): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') return quoted(value);
  if (typeof value === 'number') return number(value);
  if (typeof value === 'boolean') return String(value);
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (!value.length) return '{}';
    return `{\n${value.map((v) => inner + nested(v, inner)).join(',\n')}\n${indent}}`;
  }
  const fields = Object.entries(value as Record<string, unknown>);
  if (!fields.length) return '{}';
  const key = (k: string) => (IDENTIFIER.test(k) && !KEYWORDS.has(k) ? k : `[${quoted(k)}]`);
  return `{\n${fields.map(([k, v]) => `${inner}${key(k)} = ${nested(v, inner)}`).join(',\n')}\n${indent}}`;
}

/** One returned value as the page shows it. */
export function showLua(value: unknown): string {
  return typeof value === 'string' ? value : nested(value, '');
}
