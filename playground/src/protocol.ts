// Messages between the page and the registry worker. Every request carries an id; the worker
// answers each with a reply of the same id, and forwards the module's events as they happen.
// The module's own values are the declarations generated from registry-core's protocol types.
import type {
  Entry,
  HistoryExport,
  Op,
  RegistryEvent,
  RunResult,
  VersionList,
} from '../../registry-core/typescript/protocol';

export type { Entry, HistoryExport, Op, RegistryEvent, RunResult, VersionList };

/** One seed section: its source and the time it runs at. */
export interface SeedStep {
  title: string;
  source: string;
  nowMs: number;
}

export interface Requests {
  /** Loads the module and opens a registry: the given history, or an empty one at nowMs. */
  open: { args: { history: HistoryExport | null; nowMs: number }; result: VersionList };
  /** Replaces the registry with a fresh one and runs the seed steps on it. */
  seed: { args: { steps: SeedStep[]; nowMs: number }; result: VersionList };
  run: {
    args: { source: string; chunk: string; nowMs: number; timeoutMs?: number };
    result: TimedRun;
  };
  /** Compiles a script without running it: its syntax error, or null. */
  check: { args: { source: string; chunk: string }; result: RunResult['error'] };
  versions: { args: Record<string, never>; result: VersionList };
  entries: { args: { version: number | null; filter: string | null }; result: Entry[] };
  delta: { args: { from: number; to: number }; result: Op[] };
  applyVersion: { args: { version: number }; result: VersionList };
  export: { args: Record<string, never>; result: HistoryExport };
  import: { args: { history: HistoryExport }; result: VersionList };
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

export type WorkerMessage =
  | { type: 'reply'; id: number; value: unknown }
  | { type: 'error'; id: number; error: WireError }
  | { type: 'event'; event: RegistryEvent };
