// The history as the page tells it: the saved history and the version list kept current from the
// worker's events, and what each version changed. Pure functions (unit tested with node --test).
import type {
  ChangedIds,
  HistoryExport,
  Op,
  RegistryEvent,
  VersionList,
  Versions,
} from './protocol';

/** An event that changes the registry (printed text goes to the output pane instead). */
export type RegistryChange = Exclude<RegistryEvent, { event: 'printed' }>;

/** Applies one change the worker forwarded while a script ran (in place). */
export function applyEvent(history: HistoryExport, event: RegistryChange): void {
  if (event.event === 'committed') {
    if (!history.versions.some((v) => v.id === event.version.id))
      history.versions.push(event.version);
    history.head = event.version.id;
  } else {
    history.head = event.head;
  }
}

/** Applies one change to the page's version list while the worker is busy running the script. */
export function applyToList(list: Versions, event: RegistryChange): void {
  if (event.event === 'committed') {
    const v = event.version;
    if (!list.versions.some((known) => known.id === v.id)) {
      list.versions.push({ id: v.id, parent: v.parent, time_ms: v.time_ms, ops: v.ops.length });
      list.ids[v.id] = changedSummary(v.ops);
    }
    list.head = v.id;
  } else {
    list.head = event.head;
  }
}

/** How many of a version's changed ids the page is given: the row shows 3, its tooltip these. */
export const IDS_KEPT = 10;

/** A version's first changed ids and how many there are. */
export function changedSummary(ops: Op[]): ChangedIds {
  const ids = changedIds(ops);
  return { first: ids.slice(0, IDS_KEPT), total: ids.length };
}

/** The ids a version's operations touch, each once, in operation order. */
export function changedIds(ops: Op[]): string[] {
  return [...new Set(ops.map((op) => op.entry.id))];
}

/** "a, b, c +2": the first `shown` of `total` ids, then how many more. */
export function idsLabel(ids: string[], total = ids.length, shown = 3): string {
  if (!total) return 'no changes';
  const more = total - shown;
  return ids.slice(0, shown).join(', ') + (more > 0 ? ` +${more}` : '');
}

export function parentOf(list: VersionList, id: number): number | null {
  return list.versions.find((v) => v.id === id)?.parent ?? null;
}

/** The newest version made on top of `id` (where "roll forward" goes). */
export function newestChildOf(list: VersionList, id: number): number | null {
  let best: number | null = null;
  for (const v of list.versions) if (v.parent === id && (best === null || v.id > best)) best = v.id;
  return best;
}
