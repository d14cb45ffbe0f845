/**
 * Issue 10 item 13: the data roots are checked every time a file is opened, not only at registration.
 * A registered layer's .npy swapped for a symlink to a file outside the roots must not be read by the
 * next job: the run fails, saying the path resolves outside the roots.
 */
import { copyFile, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import { registerSyntheticSet, waitForJob, type RegisteredSet } from '../helpers/flow';

let app: TestApp;
let set: RegisteredSet;
let outside: string;

beforeAll(async () => {
  app = await startTestApp({ ALIGN_NATIVE: '0' });
  set = await registerSyntheticSet(app, 'syn', {
    sessions: 2,
    trialsPerSession: 120,
    images: 80,
    sharedImages: 10,
    layers: [{ name: 'l1', units: 8 }],
  });
  outside = await mkdtemp(path.join(os.tmpdir(), 'align-outside-'));
}, 120_000);
afterAll(async () => {
  await app?.close();
  if (outside) await rm(outside, { recursive: true, force: true });
});

// Distinct presets make distinct requests (never answered by the earlier run).
async function align(preset: 'paper' | 'paper-centred') {
  const res = await app.request('/v1/alignments', {
    method: 'POST',
    auth: true,
    json: {
      datasetId: set.datasetId,
      subject: 'subj01',
      atlas: 'prf-visualrois',
      layerIds: set.layerIds,
      preset,
      folds: { k: 3, seed: 0 },
    },
  });
  expect(res.status).toBe(202);
  const run = (await res.json()).runs[0];
  return waitForJob(app, run.jobId);
}

describe('roots are checked at every open', () => {
  it('refuses a registered layer file replaced by a symlink outside the roots', async () => {
    expect((await align('paper')).state).toBe('completed');
    const layer = await (await app.request(`/v1/layers/${set.layerIds[0]}`)).json();
    const file: string = layer.activations.path;
    const copy = path.join(outside, 'acts.npy');
    await copyFile(file, copy);
    await rm(file);
    await symlink(copy, file);
    const job = await align('paper-centred');
    expect(job.state).toBe('failed');
    expect(JSON.stringify(job.error)).toMatch(/outside the allowed data roots/);
  }, 120_000);
});
