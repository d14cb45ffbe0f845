/**
 * Brain metrics beyond ridge (issue 12 item 9): alignment runs and studies with metric rsa, semi-matching or
 * soft-matching score the layer's units against each ROI's voxels over the run's folds, and rsa with cv: false once
 * over all evaluated stimuli (the authors' brain RSA). Checked per ROI and fold against numpy/scipy/POT
 * (test/fixtures/alignment/gen_brain_metrics.py: same NSD fixture tree, layer and folds as the ridge parity test).
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import { registerAlignmentFixture, waitForJob, waitForStudy } from '../helpers/flow';

const FIX = 'test/fixtures/alignment';
type RoiRef = { voxels: number; rsaWhole: number } & Record<'rsa' | 'semi-matching' | 'soft-matching', number[]>;
const reference = JSON.parse(await readFile(`${FIX}/brain_metrics.json`, 'utf8')) as Record<string, RoiRef>;
const folds = JSON.parse(await readFile(`${FIX}/folds.json`, 'utf8')) as Record<string, number>;
const ROIS = Object.keys(reference);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

let app: TestApp;
let datasetId: string;
let layerId: string;
beforeAll(async () => {
  app = await startTestApp();
  ({ datasetId, layerId } = await registerAlignmentFixture(app));
});
afterAll(async () => {
  await app?.close();
});

type Score = {
  roi: string;
  value: number;
  sem: number | null;
  foldValues: number[];
  nVoxels: number;
  baseline: number | null;
};
const body = (extra: object) => ({
  datasetId,
  subject: 'subj01',
  atlas: 'prf-visualrois',
  rois: ROIS,
  layerIds: [layerId],
  folds: { assignment: folds },
  ...extra,
});

async function align(extra: object): Promise<{ id: string; method: string; scores: Score[] }> {
  const res = await app.request('/v1/alignments', { method: 'POST', auth: true, json: body(extra) });
  expect(res.status).toBe(202);
  const queued = (await res.json()).runs[0];
  expect((await waitForJob(app, queued.jobId)).state).toBe('completed');
  return (await app.request(`/v1/runs/${queued.id}`)).json();
}

describe('alignment runs with brain metrics other than ridge', () => {
  it('semi-matching, soft-matching and RSA per fold, and RSA over all stimuli, equal numpy/scipy/POT per ROI', async () => {
    for (const metric of ['semi-matching', 'soft-matching', 'rsa'] as const) {
      const run = await align({ metric });
      expect(run.method).toBe(metric);
      for (const roi of ROIS) {
        const got = run.scores.find((s) => s.roi === roi)!;
        expect(got.nVoxels).toBe(reference[roi].voxels);
        expect(got.foldValues).toHaveLength(5);
        got.foldValues.forEach((v, k) => {
          expect(Math.abs(v - reference[roi][metric][k])).toBeLessThan(1e-4);
        });
        expect(Math.abs(got.value - mean(reference[roi][metric]))).toBeLessThan(1e-4);
        expect(got.sem).toBeGreaterThan(0);
        // Each metric centres what it compares (Pearson r, RDM correlation): a constant scores 0.
        expect(got.baseline).toBe(0);
      }
    }
    const whole = await align({ metric: 'rsa', cv: false });
    expect(whole.method).toBe('rsa-whole-set');
    for (const roi of ROIS) {
      const got = whole.scores.find((s) => s.roi === roi)!;
      expect(Math.abs(got.value - reference[roi].rsaWhole)).toBeLessThan(1e-4);
      expect(got.foldValues).toEqual([]);
      expect(got.sem).toBeNull();
    }
    // The metric is part of the request: the same request as ridge is another run.
    expect((await align({})).method).toBe('paper');
    const voxels = await app.request(`/v1/runs/${whole.id}/voxels`);
    expect(voxels.status).toBe(409);
  }, 240_000);

  it('a study with metric rsa gives the same per-ROI values as the alignment runs', async () => {
    const res = await app.request('/v1/studies', {
      method: 'POST',
      auth: true,
      json: {
        datasetId,
        subjects: ['subj01'],
        layerIds: [layerId],
        representations: ['neurons'],
        rois: ROIS.map((r) => `prf-visualrois/${r}`),
        metric: 'rsa',
        cv: false,
        folds: { assignment: folds },
      },
    });
    expect(res.status).toBe(202);
    const s = await waitForStudy(app, (await res.json()).id, 120_000);
    expect(s.state).toBe('succeeded');
    for (const roi of ROIS) {
      const row = s.results.find((r: { roi: string }) => r.roi === `prf-visualrois/${roi}` || r.roi === roi);
      expect(Math.abs(row.value - reference[roi].rsaWhole)).toBeLessThan(1e-4);
    }
  }, 180_000);

  it('refuses cv: false for fitted metrics and ridge weights for other metrics, naming the field', async () => {
    const post = async (path: string, json: object) =>
      (await app.request(path, { method: 'POST', auth: true, json })).json();
    expect((await post('/v1/alignments', body({ metric: 'semi-matching', cv: false }))).errors[0].field).toBe(
      'body.cv',
    );
    expect((await post('/v1/alignments', body({ metric: 'rsa', ridgeWeights: true }))).errors[0].field).toBe(
      'body.ridgeWeights',
    );
    expect((await post('/v1/alignments', body({ metric: 'procrustes' }))).errors[0].field).toBe('body.metric');
    const study = await post('/v1/studies', {
      datasetId,
      subjects: ['subj01'],
      layerIds: [layerId],
      rois: ['prf-visualrois/V1v'],
      metric: 'ridge',
      cv: false,
    });
    expect(study.errors[0].field).toBe('body.cv');
  });
});
