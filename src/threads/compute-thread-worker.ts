/** Runs one compute task per thread (see compute-thread.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { type ComputeThreadConfig, initComputeThread } from '../compute/backend';
import type { ProgressFn } from '../progress';
import { computeTasks, type ComputeTaskName } from './compute-tasks';

const port = parentPort!;
port.once('message', async (msg: { task: ComputeTaskName; payload: never }) => {
  try {
    await initComputeThread((workerData as { compute: ComputeThreadConfig }).compute);
    const fn = computeTasks[msg.task] as (payload: never, progress: ProgressFn) => Promise<unknown>;
    const value = await fn(msg.payload, (progress) => port.postMessage({ type: 'progress', progress }));
    port.postMessage({ type: 'result', value });
  } catch (err) {
    const e = err as Error & { field?: string; reason?: string };
    port.postMessage({
      type: 'error',
      name: e?.name ?? 'Error',
      message: e?.message ?? String(err),
      field: e?.field,
      reason: e?.reason,
    });
  }
});
