/**
 * Workers in other processes (as on other machines) for the queue tests: a worker process on the test
 * app's database, and a layer wide enough (dual form, TypeScript eigensolver) that a fit lasts long
 * enough to interrupt.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeNpy } from '../../src/io/npy';
import { readStimulusIds } from '../../src/activations/stimulus-ids';
import { Rng } from '../../src/compute/random';
import { TEST_ADMIN_KEY, type TestApp } from './app';
import type { RegisteredSet } from './flow';

/** Start `npm run worker` on the app's database (no native addon, so fits are slow); extra env overrides. */
export function startRemoteWorker(app: TestApp, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--worker'], {
    env: {
      ...process.env,
      DATABASE_URL: app.db.url,
      ALIGN_DATA_DIR: app.serviceDir,
      ALIGN_DATA_ROOTS: app.dataDir,
      ALIGN_ADMIN_KEY: TEST_ADMIN_KEY,
      ALIGN_NATIVE: '0',
      ALIGN_BACKEND: 'wasm',
      ALIGN_JOB_STALE_SECONDS: '3',
      ALIGN_JOB_POLL_SECONDS: '0.5',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** Register a layer of `width` random non-negative units over the set's first layer's stimuli; returns its id. */
export async function registerWideLayer(app: TestApp, set: RegisteredSet, seed: number, width = 1500): Promise<string> {
  const ids = (await app.db.prisma.layer.findUniqueOrThrow({ where: { id: set.layerIds[0] } })).stimulusIdsPath;
  const stim = await readStimulusIds(ids);
  const rng = new Rng(seed);
  const acts = Float32Array.from({ length: stim.length * width }, () => Math.max(0, rng.normal()));
  await writeFile(path.join(app.dataDir, 'wide.npy'), writeNpy(acts, [stim.length, width]));
  const res = await app.request(`/v1/models/${set.modelId}/layers`, {
    method: 'POST',
    auth: true,
    json: { name: 'wide', activations: { path: 'wide.npy' }, stimulusIds: { path: ids } },
  });
  if (res.status !== 201) throw new Error(`wide layer: ${res.status} ${await res.text()}`);
  return (await res.json()).id;
}

/** Wait until the job runs a stage matching `pattern`; throws if it ends first. */
export async function waitForStage(app: TestApp, jobId: string, pattern: RegExp, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await (await app.request(`/v1/jobs/${jobId}`)).json();
    if (job.state === 'running' && pattern.test(job.progress?.stage ?? '')) return job;
    if (['completed', 'failed', 'cancelled'].includes(job.state))
      throw new Error(`job ended (${job.state}) before reaching ${pattern}`);
    if (Date.now() > deadline) throw new Error(`job never reached ${pattern}: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
