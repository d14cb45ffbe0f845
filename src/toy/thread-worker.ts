/**
 * One hidden size of the toy experiment in a worker thread (threads.ts): the shared data set arrives as views
 * of SharedArrayBuffers (no copy), progress and the result go back as messages.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type ComputeThreadConfig, initComputeThread } from '../compute/backend';
import { nativeAddon } from '../compute/linalg/native';
import { runHiddenSize } from './experiment';
import type { HiddenSizeTask } from './threads';

const port = parentPort!;
port.once('message', async (msg: HiddenSizeTask) => {
  try {
    await initComputeThread((workerData as { compute: ComputeThreadConfig }).compute);
    nativeAddon()?.setThreads(1);
    const value = await runHiddenSize(
      msg.options,
      msg.data,
      msg.nHidden,
      (progress) => port.postMessage({ type: 'progress', progress }),
      msg.replicate,
    );
    port.postMessage({ type: 'result', value });
  } catch (err) {
    port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  }
});
