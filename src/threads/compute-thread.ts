/**
 * Heavy, synchronous numerical work runs in a worker thread so that the job's process keeps serving
 * HTTP, writing progress and heartbeats, and can cancel at once (terminating the thread).
 * One thread per task call: start-up (~0.5 s) is small against the work it carries.
 */
import { Worker } from 'node:worker_threads';
import { computeThreadConfig } from '../compute/backend';
import type { Progress, ProgressFn } from '../progress';
import type { ComputeTaskName, ComputeTasks } from './compute-tasks';

/** An error raised in the thread, rebuilt with its name and (for data errors) field and reason. */
export class ComputeThreadError extends Error {
  field?: string;
  reason?: string;
  constructor(name: string, message: string, field?: string, reason?: string) {
    super(message);
    this.name = name;
    if (field !== undefined) this.field = field;
    if (reason !== undefined) this.reason = reason;
  }
}

type Message =
  | { type: 'progress'; progress: Progress }
  | { type: 'result'; value: unknown }
  | { type: 'error'; name: string; message: string; field?: string; reason?: string };

export function runInComputeThread<K extends ComputeTaskName>(
  task: K,
  payload: Parameters<ComputeTasks[K]>[0],
  opts: { signal?: AbortSignal; onProgress?: ProgressFn; transfer?: ArrayBuffer[] } = {},
): Promise<Awaited<ReturnType<ComputeTasks[K]>>> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(opts.signal.reason);
    const worker = new Worker(new URL('./compute-thread-entry.mjs', import.meta.url), {
      execArgv: [],
      // The thread resolves the same compute backend from this thread's settings, not from the environment.
      workerData: { task, compute: computeThreadConfig() },
    });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const onAbort = () => finish(() => reject(opts.signal!.reason));
    opts.signal?.addEventListener('abort', onAbort);
    worker.on('message', (m: Message) => {
      if (m.type === 'progress') opts.onProgress?.(m.progress);
      else if (m.type === 'result') finish(() => resolve(m.value as Awaited<ReturnType<ComputeTasks[K]>>));
      else finish(() => reject(new ComputeThreadError(m.name, m.message, m.field, m.reason)));
    });
    worker.on('error', (err) => finish(() => reject(err)));
    worker.on('exit', (code) => finish(() => reject(new Error(`compute thread exited with code ${code}`))));
    worker.postMessage({ task, payload }, opts.transfer ?? []);
  });
}
