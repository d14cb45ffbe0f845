/**
 * Ridge weights on a run (issue 12 item 11): an alignment with ridgeWeights: true keeps per ROI the mean |beta|
 * (and the authors' L2 norm) per source unit in every fold, equal to scikit-learn's RidgeCV coef_ on the paper preset
 * (test/fixtures/alignment/gen_weights.py, same tree, layer and folds as the parity test); JSON and CSV.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import { registerAlignmentFixture, waitForJob } from '../helpers/flow';

const FIX = 'test/fixtures/alignment';
const reference = JSON.parse(await readFile(`${FIX}/weights.json`, 'utf8')) as Record<
  string,
  { units: number[]; folds: number[][]; foldsL2: number[][] }
>;
const folds = JSON.parse(await readFile(`${FIX}/folds.json`, 'utf8')) as Record<string, number>;

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

async function runAlignment(extra: object): Promise<string> {
  const res = await app.request('/v1/alignments', {
    method: 'POST',
    auth: true,
    json: {
      datasetId,
      subject: 'subj01',
      atlas: 'prf-visualrois',
      rois: Object.keys(reference),
      layerIds: [layerId],
      preset: 'paper',
      folds: { assignment: folds },
      ...extra,
    },
  });
  expect(res.status).toBe(202);
  const queued = (await res.json()).runs[0];
  expect((await waitForJob(app, queued.jobId)).state).toBe('completed');
  return queued.id;
}

describe('ridge weights on a run', () => {
  it('equal scikit-learn RidgeCV coef_ (mean |beta| and L2 norm per unit over the ROI) per fold, as JSON and CSV', async () => {
    const runId = await runAlignment({ ridgeWeights: true });
    for (const [roi, ref] of Object.entries(reference)) {
      for (const [stat, want] of [
        ['meanAbs', ref.folds],
        ['l2', ref.foldsL2],
      ] as const) {
        const w = await (
          await app.request(`/v1/runs/${runId}/weights?roi=${roi}${stat === 'l2' ? '&stat=l2' : ''}`)
        ).json();
        expect(w.stat).toBe(stat);
        expect(w.units).toEqual(ref.units);
        expect(w.folds).toHaveLength(5);
        w.folds.forEach((f: number[], k: number) => {
          f.forEach((x, i) => {
            expect(Math.abs(x - want[k][i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(want[k][i])));
          });
        });
        ref.units.forEach((_, i) => {
          expect(w.mean[i]).toBeCloseTo(want.reduce((s, f) => s + f[i], 0) / 5, 4);
        });
      }
      const csv = await app.request(`/v1/runs/${runId}/weights?roi=${roi}`, { headers: { Accept: 'text/csv' } });
      expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
      const lines = (await csv.text()).trim().split('\r\n');
      expect(lines[0]).toBe('unit,mean,fold0,fold1,fold2,fold3,fold4');
      expect(lines).toHaveLength(ref.units.length + 1);
      const first = lines[1].split(',').map(Number);
      expect(first[0]).toBe(ref.units[0]);
      expect(first[2]).toBeCloseTo(ref.folds[0][0], 5);
    }
    const unknown = await app.request(`/v1/runs/${runId}/weights?roi=FFA`);
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).errors[0].field).toBe('query.roi');
    // The same request without ridgeWeights is another run (the flag is in the request hash) and keeps none.
    const plain = await runAlignment({});
    expect(plain).not.toBe(runId);
    const none = await app.request(`/v1/runs/${plain}/weights?roi=V1v`);
    expect(none.status).toBe(409);
    expect(none.headers.get('content-type')).toMatch(/problem\+json/);
  }, 180_000);
});
