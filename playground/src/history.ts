// The history as the page tells it: the core's export format kept current from the worker's
// events, and what each version changed. Pure functions (unit tested with node --test).
import type { HistoryExport, Op, RegistryEvent, VersionList } from './protocol';

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

/** The version list of a history, as the worker would give it (while it is busy running). */
export function versionList(history: HistoryExport): VersionList {
  return {
    head: history.head,
    versions: history.versions.map((v) => ({
      id: v.id,
      parent: v.parent,
      time_ms: v.time_ms,
      ops: v.ops.length,
    })),
  };
}

/** Whether the page's copy disagrees with the worker's version list (then it takes a new export). */
export function differs(history: HistoryExport | null, list: VersionList): boolean {
  return !history || history.head !== list.head || history.versions.length !== list.versions.length;
}

/** The ids a version's operations touch, each once, in operation order. */
export function changedIds(ops: Op[]): string[] {
  return [...new Set(ops.map((op) => op.entry.id))];
}

/** "a, b, c +2": the first `shown` ids, then how many more. */
export function idsLabel(ids: string[], shown = 3): string {
  if (!ids.length) return 'no changes';
  const more = ids.length - shown;
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
