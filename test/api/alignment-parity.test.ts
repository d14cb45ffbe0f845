/**
 * A run with an explicit fold assignment reproduces, per ROI, scikit-learn's RidgeCV on the paper preset
 * (test/fixtures/alignment/gen_reference.py: the fixture NSD tree written by h5py + nibabel, loaded with
 * numpy only; layer rows shuffled, with missing and extra images).
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import { registerAlignmentFixture, waitForJob } from '../helpers/flow';

const FIX = 'test/fixtures/alignment';
const reference = JSON.parse(await readFile(`${FIX}/reference.json`, 'utf8')) as {
  images: number;
  rois: Record<
    string,
    { atlas: string; voxels: number; foldScores: number[]; alphas: number[]; mean: number; sem: number }
  >;
};
const folds = JSON.parse(await readFile(`${FIX}/folds.json`, 'utf8')) as Record<string, number>;

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

describe('alignment parity with scikit-learn (paper preset, explicit folds)', () => {
  it('matches RidgeCV per ROI and fold within 1e-3', async () => {
    const { datasetId, layerId } = await registerAlignmentFixture(app);
    for (const atlas of ['prf-visualrois', 'nsdgeneral']) {
      const rois = Object.entries(reference.rois)
        .filter(([, r]) => r.atlas === atlas)
        .map(([name]) => name);
      const res = await app.request('/v1/alignments', {
        method: 'POST',
        auth: true,
        json: {
          datasetId,
          subject: 'subj01',
          atlas,
          rois,
          layerIds: [layerId],
          preset: 'paper',
          folds: { assignment: folds },
        },
      });
      expect(res.status).toBe(202);
      const queued = (await res.json()).runs[0];
      expect((await waitForJob(app, queued.jobId)).state).toBe('completed');
      const run = await (await app.request(`/v1/runs/${queued.id}`)).json();
      for (const name of rois) {
        const ref = reference.rois[name];
        const got = run.scores.find((s: { roi: string }) => s.roi === name);
        expect(got.nVoxels).toBe(ref.voxels);
        expect(got.alphas).toEqual(ref.alphas);
        got.foldValues.forEach((v: number, k: number) => {
          expect(Math.abs(v - ref.foldScores[k])).toBeLessThan(1e-3);
        });
        expect(Math.abs(got.value - ref.mean)).toBeLessThan(1e-3);
        expect(Math.abs(got.sem - ref.sem)).toBeLessThan(1e-3);
      }
      const runFolds = await (await app.request(`/v1/runs/${queued.id}/folds`)).json();
      expect(runFolds.assignment).toEqual(folds);
      expect(Object.keys(runFolds.assignment)).toHaveLength(reference.images);
    }
  }, 120_000);
});
