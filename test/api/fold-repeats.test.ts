/**
 * Repeated K-fold (`folds.repeats`, issue 21 item 2) over HTTP: repeat r splits with KFold(k, seed + r), each repeat
 * is fitted like a one-repeat run (so its fold values equal those of the run with seed + r), a run stores all
 * k x repeats fold values, `repeats: 1` is the request it was before the option existed (same run), another
 * number of repeats is another run; a study's comparison cells use all k x repeats fold differences in the
 * corrected resampled t (each repeat's variance factor 1/k + 1/(k - 1) averaged, df k - 1). Bad combinations are 400s naming
 * body.folds.repeats.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import { perRepeatCorrectedT } from '../helpers/per-repeat-t';
import { registerSyntheticSet, trainSaeAndWait, waitForJob, waitForStudy, type RegisteredSet } from '../helpers/flow';

let app: TestApp;
let set: RegisteredSet;
let saeId: string;

beforeAll(async () => {
  app = await startTestApp();
  set = await registerSyntheticSet(app, 'syn-repeats', { subjects: 1, images: 300, sessions: 1 });
  saeId = await trainSaeAndWait(app, set.layerIds[0], { k: 4, expansion: 2, epochs: 3, batchSize: 32, seed: 4 });
}, 240_000);
afterAll(async () => {
  await app?.close();
});

const base = () => ({
  datasetId: set.datasetId,
  subject: 'subj01',
  atlas: 'prf-visualrois',
  rois: ['V1v', 'V2v'],
  layerIds: [set.layerIds[0]],
});

function post(path: string, json: object) {
  return app.request(path, { method: 'POST', auth: true, json });
}

async function align(folds: object) {
  const res = await post('/v1/alignments', { ...base(), folds });
  expect(res.status).toBe(202);
  return (await res.json()).runs[0] as { id: string; jobId: string; reused: boolean };
}

type Run = { scores: { roi: string; value: number; sem: number; foldValues: number[] }[] };
async function finished(r: { id: string; jobId: string }): Promise<Run> {
  expect((await waitForJob(app, r.jobId)).state).toBe('completed');
  return (await (await app.request(`/v1/runs/${r.id}`)).json()) as Run;
}

describe('folds.repeats', () => {
  it('refuses repeats with an explicit assignment, other metrics and comparisons, naming the field', async () => {
    const assignment = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [String(i), i % 4]));
    const bad = [
      await post('/v1/alignments', { ...base(), folds: { assignment, repeats: 2 } }),
      await post('/v1/alignments', { ...base(), metric: 'rsa', folds: { k: 4, seed: 1, repeats: 2 } }),
      await post('/v1/alignments', { ...base(), folds: { k: 4, seed: 1, repeats: 0 } }),
      await post('/v1/comparisons', {
        source: { layerId: set.layerIds[0] },
        target: { layerId: set.layerIds[1] },
        metric: 'cka',
        folds: { k: 4, seed: 1, repeats: 2 },
      }),
    ];
    for (const res of bad) {
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.errors.map((e: { field: string }) => e.field)).toContain('body.folds.repeats');
    }
  });

  it('one repeat is the request as before; repeat r equals the run with seed + r', async () => {
    const one = await align({ k: 4, seed: 1 });
    expect((await align({ k: 4, seed: 1, repeats: 1 })).id).toBe(one.id);
    const three = await align({ k: 4, seed: 1, repeats: 3 });
    expect(three.id).not.toBe(one.id);
    expect((await align({ seed: 1, repeats: 3, k: 4 })).id).toBe(three.id);
    const seed3 = await align({ k: 4, seed: 3 });
    const [r1, r3, s3] = [await finished(one), await finished(three), await finished(seed3)];
    for (const [i, s] of r3.scores.entries()) {
      expect(s.foldValues).toHaveLength(12);
      expect(s.foldValues.slice(0, 4)).toEqual(r1.scores[i].foldValues);
      expect(s.foldValues.slice(8, 12)).toEqual(s3.scores[i].foldValues);
      expect(s.value).toBeCloseTo(s.foldValues.reduce((a, b) => a + b, 0) / 12, 6);
    }
    const folds = await (await app.request(`/v1/runs/${three.id}/folds`)).json();
    const folds1 = await (await app.request(`/v1/runs/${one.id}/folds`)).json();
    expect(folds).toMatchObject({ k: 4, seed: 1, repeats: 3 });
    expect(folds.assignment).toEqual(folds1.assignment);
    expect(folds1.repeats).toBe(1);
  }, 300_000);

  it('a study cell takes the corrected resampled t over all k x repeats fold differences', async () => {
    const res = await post('/v1/studies', {
      datasetId: set.datasetId,
      subjects: ['subj01'],
      layerIds: [set.layerIds[0]],
      rois: ['prf-visualrois/V1v', 'prf-visualrois/V2v'],
      representations: ['neurons', { saeId }],
      folds: { k: 4, seed: 2, repeats: 3 },
      statistics: { resamples: 50, permutations: 99, seed: 0 },
    });
    expect(res.status).toBe(202);
    const study = await waitForStudy(app, (await res.json()).id);
    expect(study.state).toBe('succeeded');
    const cmp = await (await app.request(`/v1/studies/${study.id}/comparisons?a=neurons&b=${saeId}`)).json();
    expect(cmp.cells).toHaveLength(2);
    type Row = { representation: string; roi: string; foldValues: number[] };
    for (const c of cmp.cells) {
      const rows = study.results.filter((r: Row) => r.roi === c.roi) as Row[];
      const n = rows.find((r) => r.representation === 'neurons')!.foldValues;
      const s = rows.find((r) => r.representation === 'sae')!.foldValues;
      const d = s.map((v, i) => v - n[i]);
      const t = perRepeatCorrectedT(d, 3, 1 / 3);
      expect(c).toMatchObject({ nFolds: 12, repeats: 3, pMethod: 'corrected-resampled-t', ci: { df: 3 } });
      expect(c.p).toBeCloseTo(t.p, 10);
      expect(c.ci.lower).toBeCloseTo(t.lower, 10);
      expect(c.difference).toBeCloseTo(t.mean, 6);
      // the conditional statistics come from the first repeat's fitted models
      expect(c.conditionalBootstrapCi.nResamples).toBe(50);
      expect(c.conditionalPermutationP).toBeGreaterThan(0);
    }
    const stored = await app.db.prisma.pairedComparison.findMany({ where: { studyId: study.id } });
    expect(stored.map((r) => r.foldDifferences.length)).toEqual([12, 12]);
  }, 300_000);
});
