// The browser storage of the registry's history (IndexedDB), used from the worker and the page:
// the history as last saved by the worker (the core's export format), and a journal of the
// changes a running script made since, which the page appends while the worker is busy running
// it. Opening applies the journal to the saved history; the worker's next save clears it.
import type { HistoryExport } from './protocol';
import type { RegistryChange } from './history';

const DB_NAME = 'luau-registry-playground';
const STATE = 'state';
const JOURNAL = 'journal';
const HISTORY_KEY = 'history';

function done<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

let dbPromise: Promise<IDBDatabase> | null = null;
function db(): Promise<IDBDatabase> {
  dbPromise ??= new Promise((resolve, reject) => {
    const open = indexedDB.open(DB_NAME, 2);
    open.onupgradeneeded = () => {
      const names = open.result.objectStoreNames;
      if (!names.contains(STATE)) open.result.createObjectStore(STATE);
      if (!names.contains(JOURNAL)) open.result.createObjectStore(JOURNAL, { autoIncrement: true });
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  return dbPromise;
}

/** The saved history and the changes journaled after it, in order (null: nothing saved). */
export async function readHistory(): Promise<{ history: unknown; journal: RegistryChange[] }> {
  const tx = (await db()).transaction([STATE, JOURNAL], 'readonly');
  const [history, batches] = await Promise.all([
    done(tx.objectStore(STATE).get(HISTORY_KEY)),
    done(tx.objectStore(JOURNAL).getAll()) as Promise<RegistryChange[][]>,
  ]);
  return { history: history ?? null, journal: batches.flat() };
}

/** Saves a whole history, replacing the saved one and its journal in one transaction. */
export async function writeHistory(history: HistoryExport): Promise<void> {
  const tx = (await db()).transaction([STATE, JOURNAL], 'readwrite');
  tx.objectStore(STATE).put(history, HISTORY_KEY);
  tx.objectStore(JOURNAL).clear();
  await committed(tx);
}

/** Appends changes to the journal (cheap: only the new changes are written). */
export async function journal(changes: RegistryChange[]): Promise<void> {
  const tx = (await db()).transaction(JOURNAL, 'readwrite');
  tx.objectStore(JOURNAL).add(changes);
  await committed(tx);
}
