/**
 * SAEs over HTTP: train on a synthetic layer (job), import numpy-written weights (metrics equal
 * numpy's), reject bad settings and weights naming the field, then align SAE latents vs neurons.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../../src/io/npy';
import { bhQValues, tSummary } from '../../src/compute/stats/index';
import { startTestApp, type TestApp } from '../helpers/app';
import { registerSyntheticSet, waitForJob, type RegisteredSet } from '../helpers/flow';

let app: TestApp;
let set: RegisteredSet;
let trainedSaeId: string;

beforeAll(async () => {
  app = await startTestApp();
  set = await registerSyntheticSet(app, 'syn-sae');
}, 120_000);
afterAll(async () => {
  await app?.close();
});

describe('POST /v1/layers/{id}/saes', () => {
  it('trains an SAE as a job and reports metrics and curves', async () => {
    const res = await app.request(`/v1/layers/${set.layerIds[0]}/saes`, {
      method: 'POST',
      auth: true,
      json: { k: 4, expansion: 2, epochs: 8, lr: 0.004, batchSize: 64, seed: 1 },
    });
    expect(res.status).toBe(202);
    const sae = await res.json();
    expect(sae).toMatchObject({ status: 'pending', origin: 'trained', k: 4, latents: 64 });
    expect((await waitForJob(app, sae.jobId)).state).toBe('completed');
    const done = await (await app.request(`/v1/saes/${sae.id}`)).json();
    expect(done.status).toBe('ready');
    expect(done.curves).toHaveLength(8);
    expect(done.metrics.fvu).toBeGreaterThan(0);
    expect(done.metrics.fvu).toBeLessThan(1);
    expect(done.metrics.meanL0).toBeLessThanOrEqual(4);
    trainedSaeId = sae.id;
    const list = await (await app.request(`/v1/layers/${set.layerIds[0]}/saes`)).json();
    expect(list.items.map((s: { id: string }) => s.id)).toEqual([sae.id]);
  }, 120_000);

  it('imports PyTorch-layout weights written by numpy; metrics equal numpy', async () => {
    const dir = app.dataDir;
    await copyFile('test/fixtures/sae/encode_input.npy', path.join(dir, 'sae-x.npy'));
    await copyFile('test/fixtures/sae/encode_weights.npz', path.join(dir, 'sae-w.npz'));
    const x = readNpy(await readFile('test/fixtures/sae/encode_input.npy'));
    await writeFile(
      path.join(dir, 'sae-ids.npy'),
      writeNpy(
        Int32Array.from({ length: x.shape[0] }, (_, i) => 100 + i),
        [x.shape[0]],
      ),
    );
    const layer = await (
      await app.request(`/v1/models/${set.modelId}/layers`, {
        method: 'POST',
        auth: true,
        json: { name: 'fixture', activations: { path: 'sae-x.npy' }, stimulusIds: { path: 'sae-ids.npy' } },
      })
    ).json();
    // The fixture's SAE clamps negative inputs before LN (a CNN-layer SAE); the .npz carries no preprocessing.
    const res = await app.request(`/v1/layers/${layer.id}/saes`, {
      method: 'POST',
      auth: true,
      json: { weights: { path: 'sae-w.npz' }, preprocessing: { clampNegative: true } },
    });
    expect(res.status).toBe(201);
    const imported = await res.json();
    expect(imported).toMatchObject({ status: 'ready', origin: 'imported', k: 6, latents: 48 });
    // The metrics are computed by the evaluation job after the import has answered.
    expect((await waitForJob(app, imported.jobId)).state).toBe('completed');
    const sae = await (await app.request(`/v1/saes/${imported.id}`)).json();
    expect(sae).toMatchObject({ status: 'ready', origin: 'imported', k: 6, latents: 48 });
    const expected = readNpy(
      Buffer.from(
        (await import('fflate')).unzipSync(await readFile('test/fixtures/sae/encode_expected.npz'))['metrics.npy'],
      ),
    );
    const [fvu, meanL0, deadShare] = Array.from(expected.data as Float64Array);
    expect(sae.metrics.fvu).toBeCloseTo(fvu, 5);
    expect(sae.metrics.meanL0).toBeCloseTo(meanL0, 10);
    expect(sae.metrics.deadShare).toBeCloseTo(deadShare, 10);

    const wrongLayer = await app.request(`/v1/layers/${set.layerIds[0]}/saes`, {
      method: 'POST',
      auth: true,
      json: { weights: { path: 'sae-w.npz' } },
    });
    expect(wrongLayer.status).toBe(400);
    expect((await wrongLayer.json()).errors[0]).toMatchObject({ field: 'body.weights.path' });
  });

  it('rejects bad settings and bad weight files naming the field, writing nothing', async () => {
    const before = await app.db.prisma.sae.count();
    const post = (json: object) =>
      app.request(`/v1/layers/${set.layerIds[0]}/saes`, { method: 'POST', auth: true, json });
    const field = async (json: object) => (await (await post(json)).json()).errors?.[0]?.field;
    expect(await field({ k: 100, expansion: 2 })).toBe('body.k');
    expect(await field({ k: 4, expansion: 0.5 })).toBe('body.expansion');
    expect(await field({ expansion: 2 })).toBe('body.k');
    await writeFile(path.join(app.dataDir, 'junk.safetensors'), new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const junk = await post({ weights: { path: 'junk.safetensors' } });
    expect(junk.status).toBe(400);
    expect((await junk.json()).errors[0].field).toMatch(/^body\./);
    expect(await app.db.prisma.sae.count()).toBe(before);
  });
});

describe('SAE latents vs neurons', () => {
  it('aligns a layer as SAE latents and fills the SAE-minus-neurons matrix', async () => {
    const body = {
      datasetId: set.datasetId,
      subject: 'subj01',
      atlas: 'prf-visualrois',
      rois: ['V1v', 'V2v'],
      layerIds: [set.layerIds[0]],
    };
    const neurons = (await (await app.request('/v1/alignments', { method: 'POST', auth: true, json: body })).json())
      .runs[0];
    const sae = (
      await (
        await app.request('/v1/alignments', { method: 'POST', auth: true, json: { ...body, representation: 'sae' } })
      ).json()
    ).runs[0];
    expect(sae.saeId).toBe(trainedSaeId);
    for (const r of [neurons, sae]) expect((await waitForJob(app, r.jobId)).state).toBe('completed');
    const n = await (await app.request(`/v1/runs/${neurons.id}`)).json();
    const s = await (await app.request(`/v1/runs/${sae.id}`)).json();
    expect(s.representation).toBe('sae');
    const m = await (
      await app.request(
        `/v1/scores/matrix?modelId=${set.modelId}&subject=subj01&atlas=prf-visualrois&representation=difference`,
      )
    ).json();
    const row = m.layers.findIndex((l: { id: string }) => l.id === set.layerIds[0]);
    for (const roi of ['V1v', 'V2v']) {
      const col = m.rois.indexOf(roi);
      const expected =
        s.scores.find((x: { roi: string }) => x.roi === roi).value -
        n.scores.find((x: { roi: string }) => x.roi === roi).value;
      expect(m.values[row][col]).toBeCloseTo(expected, 12);
      expect(m.sem[row][col]).toBeGreaterThanOrEqual(0);
      // interval and p of the per-fold differences, from the stored fold scores:
      const folds = async (runId: string) =>
        (await app.db.prisma.score.findFirstOrThrow({ where: { runId, target: roi }, select: { foldValues: true } }))
          .foldValues;
      const [fa, fb] = [await folds(neurons.id), await folds(sae.id)];
      // Nadeau-Bengio corrected t over the K per-fold differences (n_test / n_train = 1 / (K - 1))
      const t = tSummary(
        fb.map((v, k) => v - fa[k]),
        0.95,
        1 / (fa.length - 1),
      );
      expect(m.lower[row][col]).toBeCloseTo(t.lower, 12);
      expect(m.upper[row][col]).toBeCloseTo(t.upper, 12);
      expect(m.p[row][col]).toBeCloseTo(t.p, 12);
      expect(m.lower[row][col]).toBeLessThanOrEqual(m.values[row][col]);
      expect(m.upper[row][col]).toBeGreaterThanOrEqual(m.values[row][col]);
    }
    // q: Benjamini-Hochberg over every cell of the matrix that has a p
    const p = (m.p as (number | null)[][]).flat();
    const q = bhQValues(p.map((v) => v ?? NaN));
    (m.q as (number | null)[][]).flat().forEach((v, i) => {
      p[i] === null ? expect(v).toBeNull() : expect(v).toBeCloseTo(q[i], 12);
    });
    // the neurons view carries no difference statistics
    const plain = await (
      await app.request(`/v1/scores/matrix?modelId=${set.modelId}&subject=subj01&atlas=prf-visualrois`)
    ).json();
    expect(plain.q).toBeUndefined();
  }, 120_000);
});
