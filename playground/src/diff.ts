// Field-level differences between two versions of an entry, for the diff view.
import type { Entry, Op } from './protocol';

export interface FieldChange {
  path: string;
  before: unknown;
  after: unknown;
}

export const ABSENT = Symbol('absent');

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function same(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => same(v, b[i]));
  if (isMap(a) && isMap(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && same(a[k], b[k]));
  }
  return a === b;
}

/** Leaf paths whose value differs; maps are walked, arrays and scalars compared whole. */
export function fieldChanges(
  before: unknown,
  after: unknown,
  path: string,
  out: FieldChange[] = [],
): FieldChange[] {
  if (isMap(before) && isMap(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) {
      const sub = path ? `${path}.${key}` : key;
      if (!(key in before)) out.push({ path: sub, before: ABSENT, after: after[key] });
      else if (!(key in after)) out.push({ path: sub, before: before[key], after: ABSENT });
      else fieldChanges(before[key], after[key], sub, out);
    }
  } else if (!same(before, after)) {
    out.push({
      path,
      before: before === undefined ? ABSENT : before,
      after: after === undefined ? ABSENT : after,
    });
  }
  return out;
}

export interface DiffRow {
  kind: 'create' | 'update' | 'delete';
  id: string;
  entryKind?: string;
  changes: FieldChange[];
}

/** The delta's operations with, for updates, the fields that changed against `before`. */
export function describeDelta(ops: Op[], before: Map<string, Entry>): DiffRow[] {
  return ops.map((op): DiffRow => {
    const id = op.entry.id;
    if (op.kind === 'entry.delete')
      return { kind: 'delete', id, entryKind: before.get(id)?.kind, changes: [] };
    if (op.kind === 'entry.create')
      return { kind: 'create', id, entryKind: op.entry.kind, changes: [] };
    const old = before.get(id);
    const changes: FieldChange[] = [];
    if (old && old.kind !== op.entry.kind)
      changes.push({ path: 'kind', before: old.kind, after: op.entry.kind });
    fieldChanges(old?.meta ?? {}, op.entry.meta ?? {}, 'meta', changes);
    fieldChanges(old?.data, op.entry.data, 'data', changes);
    return { kind: 'update', id, entryKind: op.entry.kind, changes };
  });
}

export function showValue(value: unknown): string {
  if (value === ABSENT) return '(absent)';
  return JSON.stringify(value) ?? 'null';
}
