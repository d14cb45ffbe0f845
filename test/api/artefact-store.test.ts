/**
 * Issue 22 item 1: one artefact store. The API process (no workers) and a worker process have separate private
 * data folders (ALIGN_DATA_DIR) but one DATABASE_URL and one ALIGN_STORE_DIR: a layer uploaded to the API and
 * the SAEs trained and imported from it are used by jobs on the worker, which reads them from the store by key.
 * A corrupted or missing artefact fails the job with a message naming its key. Rows written before the store
 * (absolute paths into uploads/ and saes/) are moved into it at start.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../../src/io/npy';
import { moveLegacyArtefacts } from '../../src/services/artefacts';
import { startTestApp, type TestApp } from '../helpers/app';
import { registerSyntheticSet, waitForJob, type RegisteredSet } from '../helpers/flow';
import { startRemoteWorker } from '../helpers/remote-workers';

let app: TestApp;
let set: RegisteredSet;
let storeDir: string;
let workerDir: string;
let worker: ChildProcess;
let uploadedId: string;
let saeId: string;

async function upload(name: string, acts: Buffer, ids: Buffer, idsName = 'ids.npy'): Promise<{ id: string }> {
  const form = new FormData();
  form.set('name', name);
  form.set('activations', new Blob([acts]), 'acts.npy');
  form.set('stimulusIds', new Blob([ids]), idsName);
  const res = await app.request(`/v1/models/${set.modelId}/layers`, { method: 'POST', auth: true, body: form });
  expect(res.status, await res.clone().text()).toBe(201);
  return res.json();
}

async function align(layerId: string, representation: unknown, seed: number) {
  const res = await app.request('/v1/alignments', {
    method: 'POST',
    auth: true,
    json: {
      datasetId: set.datasetId,
      subject: 'subj01',
      atlas: 'prf-visualrois',
      rois: ['V1v', 'V2v'],
      layerIds: [layerId],
      representation,
      folds: { k: 3, seed },
    },
  });
  expect(res.status, await res.clone().text()).toBe(202);
  const run = (await res.json()).runs[0];
  return { run, job: await waitForJob(app, run.jobId, ['completed', 'failed'], 180_000) };
}

async function train(layerId: string, seed: number) {
  const res = await app.request(`/v1/layers/${layerId}/saes`, {
    method: 'POST',
    auth: true,
    json: { k: 4, expansion: 2, epochs: 3, batchSize: 32, seed },
  });
  expect(res.status).toBe(202);
  const sae = await res.json();
  return { sae, job: await waitForJob(app, sae.jobId, ['completed', 'failed'], 180_000) };
}

/** Every file under `dir` (relative paths), or [] when it does not exist. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

beforeAll(async () => {
  const base = await mkdtemp(path.join(os.tmpdir(), 'align-store-'));
  storeDir = path.join(base, 'shared-store');
  workerDir = path.join(base, 'worker-private');
  // This process only serves HTTP: every job runs on the worker. One attempt: a failure is final at once.
  app = await startTestApp({ ALIGN_WORKERS: '0', ALIGN_STORE_DIR: storeDir, ALIGN_JOB_RETRIES: '0' });
  set = await registerSyntheticSet(app, 'syn-store', { images: 400, sessions: 1 });
  const l = set.syn.layers[0];
  uploadedId = (await upload('uploaded', await readFile(l.activations), await readFile(l.stimulusIds))).id;
  worker = startRemoteWorker(app, { ALIGN_DATA_DIR: workerDir, ALIGN_STORE_DIR: storeDir });
}, 180_000);

afterAll(async () => {
  if (worker && worker.exitCode === null) worker.kill('SIGKILL');
  await app?.close();
});

describe('one artefact store for processes with their own data folders', () => {
  it('stores an upload by content hash: the row holds its key, the API keeps no copy', async () => {
    const layer = await (await app.request(`/v1/layers/${uploadedId}`)).json();
    expect(layer.activations.path).toBe(`sha256:${layer.checksum}.npy`);
    expect(layer.stimulusIds.path).toMatch(/^sha256:[0-9a-f]{64}\.npy$/);
    expect(await filesUnder(path.join(storeDir, 'sha256'))).toContain(
      path.join(layer.checksum.slice(0, 2), `${layer.checksum}.npy`),
    );
    expect(await filesUnder(path.join(storeDir, 'tmp'))).toEqual([]);
    expect(await filesUnder(app.serviceDir)).toEqual([]);
  });

  it('trains an SAE on the uploaded layer on the worker and uses it (and its random twin) in alignments there', async () => {
    const { sae, job } = await train(uploadedId, 4);
    expect(job.state, job.error).toBe('completed');
    saeId = sae.id;
    const row = await app.db.prisma.sae.findUniqueOrThrow({ where: { id: saeId } });
    expect(row.weightsPath).toMatch(/^sha256:[0-9a-f]{64}\.safetensors$/);
    for (const representation of ['neurons', 'sae', 'random-sae']) {
      const { run, job: j } = await align(uploadedId, representation, 1);
      expect(j.state, `${representation}: ${j.error}`).toBe('completed');
      const done = await (await app.request(`/v1/runs/${run.id}`)).json();
      expect(done.scores).toHaveLength(2);
    }
    // Neither process kept weights or uploads in its private folder.
    expect(await filesUnder(app.serviceDir)).toEqual([]);
    expect((await filesUnder(workerDir)).filter((f) => !f.startsWith('datasets'))).toEqual([]);
  }, 300_000);

  it('imports an SAE on the API and evaluates it on the worker', async () => {
    const x = await readFile('test/fixtures/sae/encode_input.npy');
    const rows = readNpy(x).shape[0];
    const ids = writeNpy(
      Int32Array.from({ length: rows }, (_, i) => 100 + i),
      [rows],
    );
    const layer = await upload('fixture', x, Buffer.from(ids));
    await copyFile('test/fixtures/sae/encode_weights.npz', path.join(app.dataDir, 'sae-w.npz'));
    const res = await app.request(`/v1/layers/${layer.id}/saes`, {
      method: 'POST',
      auth: true,
      json: { weights: { path: 'sae-w.npz' }, preprocessing: { clampNegative: true } },
    });
    expect(res.status).toBe(201);
    const imported = await res.json();
    expect((await waitForJob(app, imported.jobId)).state).toBe('completed');
    const sae = await (await app.request(`/v1/saes/${imported.id}`)).json();
    expect(sae.metrics.fvu).toBeGreaterThanOrEqual(0);
    expect(sae.error).toBeNull();
  }, 180_000);

  it('fails a job whose SAE weights are corrupted, naming the artefact', async () => {
    const { weightsPath } = await app.db.prisma.sae.findUniqueOrThrow({ where: { id: saeId } });
    const key = weightsPath!;
    const file = path.join(storeDir, 'sha256', key.slice(7, 9), key.slice(7));
    const good = await readFile(file);
    const bad = Buffer.from(good);
    bad[bad.length - 1] ^= 1;
    await writeFile(file, bad);
    try {
      const { job } = await align(uploadedId, 'sae', 2);
      expect(job.state).toBe('failed');
      expect(job.error).toContain(key);
      expect(job.error).toMatch(/^sae\.weights: .*corrupted/);
      expect(job.failure).toEqual({ kind: 'missing-artefact', message: job.error });
      expect(job.error).not.toContain(storeDir);
    } finally {
      await writeFile(file, good);
    }
  }, 180_000);

  it('fails training on an upload missing from the store, naming the artefact, and marks the SAE failed', async () => {
    const layer = await (await app.request(`/v1/layers/${uploadedId}`)).json();
    const key = layer.stimulusIds.path as string;
    const file = path.join(storeDir, 'sha256', key.slice(7, 9), key.slice(7));
    const saved = await readFile(file);
    await rm(file);
    try {
      const { sae, job } = await train(uploadedId, 5);
      expect(job.state).toBe('failed');
      expect(job.error).toBe(`layer.stimulusIds: artefact ${key} is missing from the artefact store (ALIGN_STORE_DIR)`);
      expect(job.failure.kind).toBe('missing-artefact');
      const row = await (await app.request(`/v1/saes/${sae.id}`)).json();
      expect(row.status).toBe('failed');
      expect(row.error).toContain(key);
    } finally {
      await writeFile(file, saved);
    }
  }, 180_000);

  it('moves files that rows name by absolute path (before the store) into it at start', async () => {
    const l = set.syn.layers[1];
    const folder = path.join(app.serviceDir, 'uploads', randomUUID());
    await mkdir(folder, { recursive: true });
    const acts = path.join(folder, 'activations.npy');
    const ids = path.join(folder, 'stimulus-ids.npy');
    await copyFile(l.activations, acts);
    await copyFile(l.stimulusIds, ids);
    const trained = await app.db.prisma.sae.findUniqueOrThrow({ where: { id: saeId }, include: { layer: true } });
    const legacyLayer = await app.db.prisma.layer.create({
      data: {
        ...trained.layer,
        id: undefined,
        name: 'legacy',
        preprocessing: undefined,
        activationsPath: path.join(folder, 'activations.npy'),
        stimulusIdsPath: path.join(folder, 'stimulus-ids.npy'),
        width: l.units,
        checksum: 'legacy',
      },
    });
    const weights = path.join(app.serviceDir, 'saes', `${randomUUID()}.safetensors`);
    await mkdir(path.dirname(weights), { recursive: true });
    const storedKey = trained.weightsPath!;
    await copyFile(path.join(storeDir, 'sha256', storedKey.slice(7, 9), storedKey.slice(7)), weights);
    await app.db.prisma.sae.update({ where: { id: saeId }, data: { weightsPath: weights } });

    const moved = await moveLegacyArtefacts(app.db.prisma, app.service.context.config, app.service.logger);
    expect(moved).toEqual({ layerFiles: 2, saes: 1 });
    const row = await app.db.prisma.layer.findUniqueOrThrow({ where: { id: legacyLayer.id } });
    expect(row.activationsPath).toMatch(/^sha256:[0-9a-f]{64}\.npy$/);
    expect(row.stimulusIdsPath).toMatch(/^sha256:[0-9a-f]{64}\.npy$/);
    expect((await app.db.prisma.sae.findUniqueOrThrow({ where: { id: saeId } })).weightsPath).toBe(storedKey);
    expect(await filesUnder(app.serviceDir)).toEqual([]);
    // Again: nothing left to move.
    expect(await moveLegacyArtefacts(app.db.prisma, app.service.context.config, app.service.logger)).toEqual({
      layerFiles: 0,
      saes: 0,
    });
    // The worker reads the moved files by key.
    const { job } = await align(legacyLayer.id, 'neurons', 3);
    expect(job.state, job.error).toBe('completed');
  }, 180_000);
});
