// The examples menu: every example of the registry API spec, taken verbatim from the
// conformance scripts that prove them (tests/conformance/spec-*.lua), plus a few of the
// playground's own.
const sources = import.meta.glob<string>('@conformance/spec-*.lua', {
  query: '?raw',
  import: 'default',
  eager: true,
});

export interface Example {
  id: string;
  title: string;
  group: 'spec' | 'playground';
  source: string;
  /** It commits versions or moves head: the page says so and offers a scratch copy. */
  writes: boolean;
}

/** Calls that change the registry: a changeset applied, or head moved. */
const WRITES = /:apply\(|\bapply_version\(/;

const BEGIN = '-- ===== spec example, verbatim =====\n';
const END = '-- ===== end of spec example =====';

/** Spec order: the snippet under "Find Entries by Criteria", then "Example Usage" top to bottom. */
const SPEC_ORDER = [
  'spec-snapshot-find',
  'spec-basic-operations',
  'spec-snapshots',
  'spec-advanced-search',
  'spec-making-changes',
  'spec-version-history',
  'spec-deltas',
];

function specExamples(): Example[] {
  const found: Example[] = [];
  for (const [path, text] of Object.entries(sources)) {
    const id = path.replace(/^.*\//, '').replace(/\.lua$/, '');
    const start = text.indexOf(BEGIN);
    const end = text.indexOf(END, start);
    if (start < 0 || end < 0) continue;
    const title = /Spec example (?:under )?"([^"]+)"/.exec(text)?.[1] ?? id;
    const source = text.slice(start + BEGIN.length, end);
    found.push({ id, title, group: 'spec', source, writes: WRITES.test(source) });
  }
  const rank = (id: string) => {
    const i = SPEC_ORDER.indexOf(id);
    return i < 0 ? SPEC_ORDER.length : i;
  };
  return found.sort((a, b) => rank(a.id) - rank(b.id) || a.id.localeCompare(b.id));
}

export const WELCOME = `-- Welcome to the Luau Registry playground.
-- \`registry\` (require("registry")) and \`snapshot\` (registry.snapshot()) are predefined,
-- as the spec's examples assume. Run with Ctrl+Enter (Cmd+Enter on a Mac).

local db = registry.get("services:database")
print(db.id, db.meta.environment, db.data.port)

for _, e in ipairs(registry.find({ [".kind"] = "service", ["*meta.region"] = "us-west" })) do
  print(e.id, e.meta.region, e.meta.status)
end

return registry.current_version():string(), #snapshot:entries()
`;

const PLAYGROUND: Omit<Example, 'writes'>[] = [
  {
    id: 'welcome',
    title: 'Welcome: read the sample registry',
    group: 'playground',
    source: WELCOME,
  },
  {
    id: 'commit',
    title: 'Commit a version',
    group: 'playground',
    source: `local changes = registry.snapshot():changes()
changes:create({
  id = "services:playground",
  kind = "service",
  meta = { environment = "staging", owner = "you" },
  data = { port = 4000 },
})
local version, err = changes:apply()
print(version and ("created " .. version:string()) or err)
`,
  },
  {
    id: 'error',
    title: 'An error, with its line',
    group: 'playground',
    source: `local entry = registry.get("services:api")
print(entry.id)

-- services:missing is not there: get returns nil, and indexing nil fails here
local missing = registry.get("services:missing")
print(missing.id)
`,
  },
  {
    id: 'runaway',
    title: 'A runaway loop (time limit)',
    group: 'playground',
    source: `-- The version is committed before the loop; the time limit stops the loop,
-- and the registry keeps the version.
local version = assert(registry.snapshot():changes()
  :create({ id = "services:before-loop", kind = "service" })
  :apply())
print("committed " .. version:string())
while true do end
`,
  },
];

export const EXAMPLES: Example[] = [
  ...specExamples(),
  ...PLAYGROUND.map((e) => ({ ...e, writes: WRITES.test(e.source) })),
];
