// Messages between the page and the registry worker. Every request carries an id; the worker
// answers each with a reply of the same id, and forwards the module's events as they happen.
// The module's own values are the declarations generated from registry-core's protocol types.
import type { RegistryChange } from './history';
import type {
  Entry,
  HistoryExport,
  Op,
  RegistryEvent,
  RunResult,
  SyntaxError,
  VersionList,
} from '../../registry-core/typescript/protocol';

export type { Entry, HistoryExport, Op, RegistryEvent, RunResult, SyntaxError, VersionList };

/** A version's first changed ids (history.ts IDS_KEPT) and how many there are. */
export interface ChangedIds {
  first: string[];
  total: number;
}

/** The version list with each version's changed ids: what the page shows of the history. */
export type Versions = VersionList & { ids: Record<number, ChangedIds> };

/** Where the worker keeps the registry it serves. */
export interface Keeping {
  /** Save the registry in the browser after every change (false: a scratch copy, never saved). */
  save: boolean;
}

/** One seed section: its source and the time it runs at. */
export interface SeedStep {
  title: string;
  source: string;
  nowMs: number;
}

export interface Requests {
  /** Loads the module and opens a registry: `history` if given (a scratch copy), else the saved
   * history with its journal, then `pending` (changes the page saw that neither holds yet). null
   * when nothing is saved: the page seeds the sample data. */
  open: {
    args: { history: HistoryExport | null; pending: RegistryChange[]; nowMs: number } & Keeping;
    result: Versions | null;
  };
  /** Replaces the registry with a fresh one and runs the seed steps on it. */
  seed: { args: { steps: SeedStep[]; nowMs: number }; result: Versions };
  run: {
    args: { source: string; chunk: string; nowMs: number; timeoutMs?: number };
    result: TimedRun;
  };
  /** Compiles a script without running it: its first syntax error, or null. */
  check: { args: { source: string }; result: SyntaxError | null };
  versions: { args: Record<string, never>; result: Versions };
  /** A page of the entries at a version (head when null) that match a filter: `limit` of them
   * from the `offset`th, and how many match. The worker converts only the page: the page never
   * takes a whole large snapshot. */
  entries: {
    args: { version: number | null; filter: string | null; offset: number; limit: number };
    result: { entries: Entry[]; total: number };
  };
  /** The entries with these ids at a version (those it holds). */
  entriesWithIds: { args: { version: number | null; ids: string[] }; result: Entry[] };
  delta: { args: { from: number; to: number }; result: Op[] };
  applyVersion: { args: { version: number }; result: Versions };
  /** The history as a JSON file, made in the worker. */
  exportFile: { args: Record<string, never>; result: Blob };
  /** Saves the registry from now on (the scratch copy in use becomes the user's registry). */
  keep: { args: Record<string, never>; result: null };
  /** Works on a scratch copy, never saved, of `history` (else of the user's registry); the user's
   * registry is kept aside in the worker, and stays saved in the browser meanwhile. Again while on
   * a copy: a fresh copy. */
  scratch: { args: { history: HistoryExport | null }; result: Versions };
  /** Drops the scratch copy: the user's registry is back. */
  leaveScratch: { args: Record<string, never>; result: Versions };
  /** The registry's history packed for a link (share.ts packHistory), made in the worker. */
  packHistory: { args: Record<string, never>; result: { packed: string; head: number } };
  /** Replaces the registry with a history: an export, or a JSON file read in the worker. */
  import: { args: { history: HistoryExport | Blob } & Keeping; result: Versions };
}

export type Op_ = keyof Requests;

export interface TimedRun {
  result: RunResult;
  /** How long Registry.run took in the worker (performance.now). */
  elapsedMs: number;
}

export interface Request<K extends Op_ = Op_> {
  id: number;
  op: K;
  args: Requests[K]['args'];
}

/** An error the module threw: its kind (Error.name, e.g. invalid_history) and message. */
export interface WireError {
  name: string;
  message: string;
  /** The module trapped or failed to load: this worker cannot serve further requests. */
  fatal: boolean;
}

/** What the worker is busy with (null: nothing), for progress shown on the page. */
export interface Task {
  what: string;
  /** Steps done of all, when known. */
  step?: number;
  steps?: number;
}

export type WorkerMessage =
  | { type: 'reply'; id: number; value: unknown }
  | { type: 'error'; id: number; error: WireError }
  | { type: 'event'; event: RegistryEvent }
  | { type: 'progress'; task: Task | null }
  /** The worker saved the registry in the browser: its head and number of versions. */
  | { type: 'saved'; head: number; versions: number }
  | { type: 'unsaved'; message: string };

/** A message of the worker that answers no request. */
export type WorkerNotice = Exclude<WorkerMessage, { type: 'reply' | 'error' }>;
