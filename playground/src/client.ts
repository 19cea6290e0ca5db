// The page's side of the registry worker: requests with replies, an outer time fence on every
// request, and termination when the fence expires or the module dies.
import type { Op_, Request, Requests, WireError, WorkerMessage, WorkerNotice } from './protocol';

/** The module refused a request (Error.name is its kind, e.g. invalid_history, invalid_criteria). */
export class ModuleError extends Error {
  constructor(error: WireError) {
    super(error.message);
    this.name = error.name;
  }
}

/** The worker did not answer in time, or died: it has been terminated. */
export class WorkerLost extends Error {
  constructor(
    message: string,
    readonly reason: 'timeout' | 'crash',
  ) {
    super(message);
    this.name = 'WorkerLost';
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** How long requests other than runs may take before the worker counts as stuck. */
export const DEFAULT_FENCE_MS = 20_000;

export class RegistryWorker {
  private worker: Worker;
  private seq = 0;
  private pending = new Map<number, Pending>();
  private lost = false;

  constructor(
    private readonly onNotice: (notice: WorkerNotice) => void,
    private readonly onLost: (error: WorkerLost) => void,
  ) {
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), {
      type: 'module',
      name: 'registry',
    });
    this.worker.onmessage = (e: MessageEvent<WorkerMessage>) => this.receive(e.data);
    this.worker.onerror = (e) => {
      e.preventDefault();
      this.lose(
        new WorkerLost(`the registry worker failed: ${e.message || 'unknown error'}`, 'crash'),
      );
    };
  }

  get alive(): boolean {
    return !this.lost;
  }

  /** Sends a request; rejects with WorkerLost (and terminates the worker) after `fenceMs`. */
  call<K extends Op_>(
    op: K,
    args: Requests[K]['args'],
    fenceMs = DEFAULT_FENCE_MS,
  ): Promise<Requests[K]['result']> {
    if (this.lost) return Promise.reject(new WorkerLost('the registry worker is gone', 'crash'));
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.lose(new WorkerLost(`no answer within ${(fenceMs / 1000).toFixed(1)} s`, 'timeout'));
      }, fenceMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      const request: Request<K> = { id, op, args };
      this.worker.postMessage(request);
    });
  }

  terminate() {
    this.lose(new WorkerLost('the registry worker was replaced', 'crash'), false);
  }

  private receive(message: WorkerMessage) {
    if (this.lost) return;
    if (message.type !== 'reply' && message.type !== 'error') {
      this.onNotice(message);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    clearTimeout(pending.timer);
    if (message.type === 'reply') {
      pending.resolve(message.value);
    } else if (message.error.fatal) {
      const lost = new WorkerLost(`the module stopped: ${message.error.message}`, 'crash');
      pending.reject(lost);
      this.lose(lost);
    } else {
      pending.reject(new ModuleError(message.error));
    }
  }

  private lose(error: WorkerLost, notify = true) {
    if (this.lost) return;
    this.lost = true;
    this.worker.terminate();
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    if (notify) this.onLost(error);
  }
}
