/**
 * Alignment runs, studies and comparisons as the authors' code ran them (test/fixtures/alignment/gen_history.py:
 * scikit-learn on the NSD fixture tree and a layer whose rows are in a shuffled nsdId order): folds
 * {k: 5, seed: 42, order: 'activations'} reproduce KFold(n_splits=5, shuffle=True, random_state=42) over the
 * activation rows in file order exactly, {..., order: 'subject'} over the subject's image order (the authors'
 * folds, gen_subject_folds.py), and the 'centred-own-means' and 'unit-norm-columns' presets give the
 * authors' fold scores and alphas per ROI. Also: the score choice is validated per preset and is part of a run's
 * identity.
 */
import { copyFile, cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import { waitForJob, waitForStudy } from '../helpers/flow';

const FIX = 'test/fixtures/alignment';
type PresetRef = { foldScores: number[]; alphas: number[]; mean: number };
const reference = JSON.parse(await readFile(`${FIX}/history.json`, 'utf8')) as {
  images: number;
  rois: Record<string, { voxels: number } & Record<string, PresetRef>>;
};
const sklearnFolds = JSON.parse(await readFile(`${FIX}/folds_activations.json`, 'utf8')) as {
  alignment: Record<string, number>;
  comparison: Record<string, number>;
};
const FILE_ORDER_FOLDS = { k: 5, seed: 42, order: 'activations' };
/** The authors' folds: KFold over the subject's image order (gen_subject_folds.py). */
const SUBJECT_FOLDS = { k: 5, seed: 42, order: 'subject' };
const subjectFolds = JSON.parse(await readFile(`${FIX}/folds_subject.json`, 'utf8')) as {
  alignment: Record<string, number>;
};
const ROIS = Object.keys(reference.rois);
/** The same grid points (np.logspace writes 10^-1 as 0.09999999999999999, the service as 0.1). */
const expectSameAlphas = (got: number[], ref: number[]) => {
  expect(got).toHaveLength(ref.length);
  got.forEach((a, k) => {
    expect(Math.abs(a / ref[k] - 1)).toBeLessThan(1e-12);
  });
};

let app: TestApp;
let datasetId: string;
let layerId: string;
beforeAll(async () => {
  app = await startTestApp();
  await cp('test/fixtures/nsd/tree', path.join(app.dataDir, 'tree'), { recursive: true });
  await copyFile(`${FIX}/layer.npy`, path.join(app.dataDir, 'layer.npy'));
  await copyFile(`${FIX}/layer_ids.npy`, path.join(app.dataDir, 'layer_ids.npy'));
  const manifest = JSON.parse(await readFile('test/fixtures/nsd/manifest.json', 'utf8'));
  datasetId = (
    await (
      await app.request('/v1/datasets', {
        method: 'POST',
        auth: true,
        json: { name: 'fixture', root: path.join(app.dataDir, 'tree'), manifest },
      })
    ).json()
  ).id;
  const model = await (
    await app.request('/v1/models', { method: 'POST', auth: true, json: { name: 'history-net' } })
  ).json();
  const layer = await (
    await app.request(`/v1/models/${model.id}/layers`, {
      method: 'POST',
      auth: true,
      json: { name: 'ref', activations: { path: 'layer.npy' }, stimulusIds: { path: 'layer_ids.npy' } },
    })
  ).json();
  layerId = layer.id;
}, 120_000);
afterAll(async () => {
  await app?.close();
});

async function align(json: object): Promise<{ id: string; jobId: string }> {
  const res = await app.request('/v1/alignments', {
    method: 'POST',
    auth: true,
    json: { datasetId, subject: 'subj01', atlas: 'prf-visualrois', rois: ROIS, layerIds: [layerId], ...json },
  });
  expect(res.status).toBe(202);
  return (await res.json()).runs[0];
}

describe("the authors' folds and ridge variants through the API", () => {
  for (const preset of ['centred-own-means', 'unit-norm-columns']) {
    it(`${preset} with folds in activation-file order: scikit-learn's KFold assignment, alphas and fold scores`, async () => {
      const queued = await align({ preset, folds: FILE_ORDER_FOLDS });
      expect((await waitForJob(app, queued.jobId)).state).toBe('completed');
      const folds = await (await app.request(`/v1/runs/${queued.id}/folds`)).json();
      expect(folds.assignment).toEqual(sklearnFolds.alignment);
      expect(Object.keys(folds.assignment)).toHaveLength(reference.images);
      const run = await (await app.request(`/v1/runs/${queued.id}`)).json();
      expect(run.inputs.folds).toEqual(FILE_ORDER_FOLDS);
      for (const name of ROIS) {
        const ref = reference.rois[name][preset];
        const got = run.scores.find((s: { roi: string }) => s.roi === name);
        expect(got.nVoxels).toBe(reference.rois[name].voxels);
        expectSameAlphas(got.alphas, ref.alphas);
        got.foldValues.forEach((v: number, k: number) => {
          expect(Math.abs(v - ref.foldScores[k])).toBeLessThan(1e-4);
        });
        expect(Math.abs(got.value - ref.mean)).toBeLessThan(1e-4);
      }
    }, 120_000);
  }

  it("a study with folds in activation-file order and the authors' preset gives the same values as the run", async () => {
    const res = await app.request('/v1/studies', {
      method: 'POST',
      auth: true,
      json: {
        datasetId,
        subjects: ['subj01'],
        layerIds: [layerId],
        representations: ['neurons'],
        rois: ROIS.map((r) => `prf-visualrois/${r}`),
        preset: 'centred-own-means',
        folds: FILE_ORDER_FOLDS,
      },
    });
    expect(res.status).toBe(202);
    const id = (await res.json()).id;
    const study = await waitForStudy(app, id, 120_000);
    expect(study.state).toBe('succeeded');
    expect(study.inputs.folds).toEqual(FILE_ORDER_FOLDS);
    for (const row of study.results as { roi: string; value: number; alphas: number[] }[]) {
      const ref = reference.rois[row.roi]['centred-own-means'];
      expectSameAlphas(row.alphas, ref.alphas);
      expect(Math.abs(row.value - ref.mean)).toBeLessThan(1e-4);
    }
    const folds = await (await app.request(`/v1/runs/${study.results[0].runId}/folds`)).json();
    expect(folds.assignment).toEqual(sklearnFolds.alignment);
  }, 180_000);

  it("a comparison with folds in activation-file order splits the source layer's rows as KFold does", async () => {
    const res = await app.request('/v1/comparisons', {
      method: 'POST',
      auth: true,
      json: { source: { layerId }, target: { layerId }, metric: 'cka', folds: FILE_ORDER_FOLDS },
    });
    expect(res.status).toBe(202);
    const body = await res.json();
    expect((await waitForJob(app, body.jobId)).state).toBe('completed');
    const folds = await (await app.request(`/v1/runs/${body.id}/folds`)).json();
    expect(folds.assignment).toEqual(sklearnFolds.comparison);
  }, 120_000);

  it("order subject: KFold over the subject's images in the order NSD first showed them (scikit-learn)", async () => {
    const queued = await align({ preset: 'paper', rois: ['V1v'], folds: SUBJECT_FOLDS });
    expect((await waitForJob(app, queued.jobId)).state).toBe('completed');
    const folds = await (await app.request(`/v1/runs/${queued.id}/folds`)).json();
    expect(folds.assignment).toEqual(subjectFolds.alignment);
    expect(folds.assignment).not.toEqual(sklearnFolds.alignment);
    const run = await (await app.request(`/v1/runs/${queued.id}`)).json();
    expect(run.inputs.folds).toEqual(SUBJECT_FOLDS);
    // a layer-to-layer comparison has no subject
    const res = await app.request('/v1/comparisons', {
      method: 'POST',
      auth: true,
      json: { source: { layerId }, target: { layerId }, metric: 'cka', folds: SUBJECT_FOLDS },
    });
    expect(res.status).toBe(400);
    expect((await res.json()).errors[0].field).toBe('body.folds.order');
  }, 120_000);

  it('order nsdId (the default) is the same request as no order; order activations is another', async () => {
    const a = await align({ preset: 'paper', rois: ['V1v'], folds: { k: 5, seed: 42 } });
    const b = await align({ preset: 'paper', rois: ['V1v'], folds: { k: 5, seed: 42, order: 'nsdId' } });
    const c = await align({ preset: 'paper', rois: ['V1v'], folds: FILE_ORDER_FOLDS });
    expect(b.id).toBe(a.id);
    expect(c.id).not.toBe(a.id);
    const bad = await app.request('/v1/alignments', {
      method: 'POST',
      auth: true,
      json: {
        datasetId,
        subject: 'subj01',
        atlas: 'prf-visualrois',
        layerIds: [layerId],
        folds: { k: 5, seed: 42, order: 'file' },
      },
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].field).toMatch(/^body\.folds/);
  });

  it('score: validated per preset, part of the run identity, stored and used', async () => {
    const bad = await app.request('/v1/alignments', {
      method: 'POST',
      auth: true,
      json: {
        datasetId,
        subject: 'subj01',
        atlas: 'prf-visualrois',
        layerIds: [layerId],
        preset: 'unit-norm-columns',
        score: 'cosine',
      },
    });
    expect(bad.status).toBe(400);
    const problem = await bad.json();
    expect(problem.errors).toEqual([{ field: 'body.score', reason: expect.stringMatching(/cosine is the Pearson r/) }]);
    const cosine = await align({ preset: 'paper', rois: ['V1v'] });
    const explicit = await align({ preset: 'paper', rois: ['V1v'], score: 'cosine' });
    const pearson = await align({ preset: 'paper', rois: ['V1v'], score: 'pearson' });
    expect(explicit.id).toBe(cosine.id);
    expect(pearson.id).not.toBe(cosine.id);
    for (const r of [cosine, pearson]) expect((await waitForJob(app, r.jobId)).state).toBe('completed');
    const [rc, rp] = [
      await (await app.request(`/v1/runs/${cosine.id}`)).json(),
      await (await app.request(`/v1/runs/${pearson.id}`)).json(),
    ];
    expect(rc.inputs.score).toBeUndefined();
    expect(rp.inputs.score).toBe('pearson');
    // filed apart in the scores tables: cosine and Pearson values never mix
    expect([rc.method, rp.method]).toEqual(['paper', 'paper:pearson']);
    const listed = await (await app.request(`/v1/scores?layerId=${layerId}&preset=paper:pearson`)).json();
    expect(listed.items.map((s: { runId: string }) => s.runId)).toEqual([pearson.id]);
    expect(rp.scores[0].alphas).toEqual(rc.scores[0].alphas); // same fit, another score
    expect(rp.scores[0].value).not.toBeCloseTo(rc.scores[0].value, 6);
  }, 120_000);
});
