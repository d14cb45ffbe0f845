/**
 * Tensor backend, chosen once per process. Ladder (first that loads wins):
 *   tensorflow-gpu (@tensorflow/tfjs-node-gpu, CUDA) -> tensorflow (@tensorflow/tfjs-node) -> wasm -> cpu.
 * The two tensorflow packages are optional dependencies: they download libtensorflow at install time,
 * which is impossible offline, so their absence is the normal case here.
 * ALIGN_BACKEND=<name> forces one rung (and fails loudly if it cannot load); it is read through config.ts
 * (settings.ts), never here. Which implementation each linear-algebra operation uses is decided in backend.ts.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { TensorBackendName } from '../config';
import { backendChanged, computeSettings } from './settings';

export type BackendName = TensorBackendName;
export const BACKEND_LADDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  /** Rung of the ladder that is active. */
  name: BackendName;
  /** tfjs backend id (tf.getBackend()). */
  tfBackend: string;
  tfjsVersion: string;
  /** Why each higher rung was skipped (module missing, load error). */
  skipped: { name: BackendName; reason: string }[];
}

const require = createRequire(import.meta.url);
let active: BackendInfo | null = null;
let pending: Promise<BackendInfo> | null = null;

async function tryRung(name: BackendName): Promise<void> {
  switch (name) {
    case 'tensorflow-gpu':
      await import('@tensorflow/tfjs-node-gpu' as string);
      if (!(await tf.setBackend('tensorflow'))) throw new Error('tensorflow backend did not initialise');
      return;
    case 'tensorflow':
      await import('@tensorflow/tfjs-node' as string);
      if (!(await tf.setBackend('tensorflow'))) throw new Error('tensorflow backend did not initialise');
      return;
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // In Node the .wasm binaries are read from the package folder, not fetched.
      const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
      wasm.setWasmPaths(dir + path.sep);
      if (!(await tf.setBackend('wasm'))) throw new Error('wasm backend did not initialise');
      return;
    }
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      if (!(await tf.setBackend('cpu'))) throw new Error('cpu backend did not initialise');
      return;
  }
}

/**
 * Select the backend (idempotent; concurrent callers share one selection).
 * @param force a rung name to use alone; defaults to the ALIGN_BACKEND setting, else the full ladder.
 */
export function initBackend(force: string | undefined = computeSettings().tensor): Promise<BackendInfo> {
  if (active) return Promise.resolve(active);
  if (pending) return pending;
  pending = (async () => {
    if (force && !BACKEND_LADDER.includes(force as BackendName)) {
      throw new Error(`ALIGN_BACKEND must be one of ${BACKEND_LADDER.join(', ')}; got "${force}"`);
    }
    const rungs = force ? [force as BackendName] : BACKEND_LADDER;
    const skipped: BackendInfo['skipped'] = [];
    for (const name of rungs) {
      try {
        await tryRung(name);
        await tf.ready();
        active = { name, tfBackend: tf.getBackend(), tfjsVersion: tf.version_core, skipped };
        backendChanged();
        return active;
      } catch (err) {
        skipped.push({ name, reason: err instanceof Error ? err.message.split('\n')[0] : String(err) });
      }
    }
    throw new Error(`no tensor backend could be loaded: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
  })();
  pending.catch(() => {
    pending = null;
  });
  return pending;
}

/** The active backend, or null before initBackend() has completed. */
export function tensorBackend(): BackendInfo | null {
  return active;
}

/** The active backend; throws if initBackend() has not completed. */
export function activeBackend(): BackendInfo {
  if (!active) throw new Error('tensor backend not initialised: await initBackend() first');
  return active;
}

export { tf };
