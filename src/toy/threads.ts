/**
 * The toy experiment's hidden sizes (x replicates) on worker threads: each task is independent given the shared
 * data set, so up to `threads` of them run at once (largest N first, so the longest starts first). The data set is copied
 * once into SharedArrayBuffers that every thread reads.
 */
import { Worker } from 'node:worker_threads';
import { computeThreadConfig } from '../compute/backend';
import type { ToyDataset } from './data';
import type { ToyHiddenSizeResult, ToyProgress, ToySuperpositionOptions } from './experiment';

export interface HiddenSizeTask {
  options: Omit<ToySuperpositionOptions, 'signal'>;
  data: ToyDataset;
  nHidden: number;
  /** Replicate index (replicates.ts): the options carry its seeds. */
  replicate: number;
}

type Message =
  | { type: 'progress'; progress: ToyProgress }
  | { type: 'result'; value: ToyHiddenSizeResult }
  | { type: 'error'; message: string };

function shared<T extends Int32Array | Uint16Array | Float32Array>(a: T): T {
  const Ctor = a.constructor as { new (b: SharedArrayBuffer): T };
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

/** The data set with its arrays moved into SharedArrayBuffers. */
export function shareDataset(d: ToyDataset): ToyDataset {
  return {
    rows: d.rows,
    nFeatures: d.nFeatures,
    indptr: shared(d.indptr),
    indices: shared(d.indices),
    values: shared(d.values),
  };
}

function runOne(
  task: HiddenSizeTask,
  signal: AbortSignal | undefined,
  onProgress?: (p: ToyProgress) => void,
): Promise<ToyHiddenSizeResult> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const worker = new Worker(new URL('./thread-entry.mjs', import.meta.url), {
      execArgv: [],
      workerData: { compute: computeThreadConfig() },
    });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const onAbort = () =>
      finish(() => reject(signal!.reason instanceof Error ? signal!.reason : new Error('toy experiment aborted')));
    signal?.addEventListener('abort', onAbort);
    worker.on('message', (m: Message) => {
      if (m.type === 'progress') onProgress?.(m.progress);
      else if (m.type === 'result') finish(() => resolve(m.value));
      else finish(() => reject(new Error(m.message)));
    });
    worker.on('error', (err) => finish(() => reject(err)));
    worker.on('exit', (code) => finish(() => reject(new Error(`toy thread exited with code ${code}`))));
    worker.postMessage(task);
  });
}

/** Every task (hidden size x replicate), at most `threads` at once; results in task order. */
export async function runHiddenSizesInThreads(
  tasks: readonly HiddenSizeTask[],
  threads: number,
  signal?: AbortSignal,
  onProgress?: (p: ToyProgress) => void,
): Promise<ToyHiddenSizeResult[]> {
  // The first failure stops the other threads too.
  const stop = new AbortController();
  const onOuter = () => stop.abort(signal!.reason);
  signal?.addEventListener('abort', onOuter);
  // Largest N first (stable: replicates of one N in order), so the longest tasks start first.
  const order = tasks.map((t, i) => [t, i] as const).sort((a, b) => b[0].nHidden - a[0].nHidden);
  const results: ToyHiddenSizeResult[] = new Array(tasks.length);
  let next = 0;
  const lane = async () => {
    while (next < order.length) {
      const [task, i] = order[next++];
      try {
        results[i] = await runOne(task, stop.signal, onProgress);
      } catch (err) {
        stop.abort(err);
        throw err;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(threads, order.length)) }, lane));
  } finally {
    signal?.removeEventListener('abort', onOuter);
  }
  return results;
}
