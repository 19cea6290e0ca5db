// The page's copy of the registry history, in the core's export format, kept up to date from
// the worker's events while scripts run, and persisted in IndexedDB (localStorage as fallback).
import { applyEvent, type RegistryChange } from './history';
import type { HistoryExport } from './protocol';

const DB_NAME = 'luau-registry-playground';
const STORE = 'state';
const KEY = 'history';
const FALLBACK_KEY = 'luau-registry-playground.history';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

let dbPromise: Promise<IDBDatabase> | null = null;
function db(): Promise<IDBDatabase> {
  dbPromise ??= new Promise((resolve, reject) => {
    const open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  return dbPromise;
}

async function read(): Promise<unknown> {
  try {
    const tx = (await db()).transaction(STORE, 'readonly');
    return (await request(tx.objectStore(STORE).get(KEY))) ?? null;
  } catch {
    const text = localStorage.getItem(FALLBACK_KEY);
    return text ? JSON.parse(text) : null;
  }
}

async function write(history: HistoryExport): Promise<void> {
  try {
    const tx = (await db()).transaction(STORE, 'readwrite');
    tx.objectStore(STORE).put(history, KEY);
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } catch {
    localStorage.setItem(FALLBACK_KEY, JSON.stringify(history));
  }
}

export class HistoryMirror {
  private current: HistoryExport | null = null;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private saving: Promise<void> = Promise.resolve();
  /** While a scratch copy is in use, the history saved instead of the current one. */
  private held: HistoryExport | null = null;

  constructor(private readonly onSaved: (history: HistoryExport) => void) {}

  get value(): HistoryExport | null {
    return this.current;
  }

  /** The stored history, or null if there is none (or it cannot be read). */
  async load(): Promise<unknown> {
    try {
      return await read();
    } catch {
      return null;
    }
  }

  /** Takes a whole history (after a seed, an import, or a check against the worker). */
  replace(history: HistoryExport) {
    this.current = structuredClone(history);
    this.save();
  }

  /** Applies one change the worker forwarded while a script ran. */
  apply(event: RegistryChange) {
    if (!this.current) return;
    applyEvent(this.current, event);
    this.save();
  }

  /** Keeps saving `base` (the user's own registry) while the page works on a scratch copy. */
  hold(base: HistoryExport) {
    this.held = structuredClone(base);
    this.save(0);
  }

  /** Saves the current history again (the scratch copy was dropped or kept). */
  release() {
    this.held = null;
    this.save(0);
  }

  setHead(head: number) {
    if (this.current && this.current.head !== head) {
      this.current.head = head;
      this.save();
    }
  }

  /** Saves soon, coalescing the many events of a busy script into few writes. */
  save(delayMs = 150) {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void this.flush();
    }, delayMs);
  }

  /** Saves now and resolves when stored. */
  flush(): Promise<void> {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
    }
    const kept = this.held ?? this.current;
    const snapshot = kept ? structuredClone(kept) : null;
    this.saving = this.saving.then(async () => {
      if (!snapshot) return;
      await write(snapshot);
      this.onSaved(snapshot);
    });
    return this.saving;
  }
}
