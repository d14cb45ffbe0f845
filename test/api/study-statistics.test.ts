/**
 * A study's paired statistics over HTTP against numpy/scikit-learn (test/fixtures/stats/gen_study.py): on the
 * fixture NSD tree, one layer as neurons and as the latents of an imported TopK SAE, fitted by one job that
 * keeps both representations' held-out predictions; GET /v1/studies/{id}/comparisons then carries per ROI the
 * corrected resampled t interval and p (the headline; scipy over the scikit-learn fold scores) and, conditional on
 * the fitted models, the stimulus bootstrap interval (same seeded resamples as the reference's port of the
 * generator) and the sign-flip permutation p, which equal the reference computed from RidgeCV's predictions.
 */
import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import { registerAlignmentFixture, waitForStudy } from '../helpers/flow';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
}, 120_000);
afterAll(async () => {
  await app?.close();
});

type Ref = {
  atlas: string;
  seed: number;
  foldA: number[];
  foldB: number[];
  difference: number;
  bootstrapLower: number;
  bootstrapUpper: number;
  bootstrapSe: number;
  p: number;
  nStimuli: number;
  /** The corrected resampled t (scipy): the headline interval and p. */
  correctedLower: number;
  correctedUpper: number;
  correctedP: number;
};

describe('paired statistics of a study', () => {
  it('corrected t interval and p per cell equal scipy; the conditional bootstrap and permutation p equal numpy on the same resamples', async () => {
    const reference = JSON.parse(await readFile('test/fixtures/stats/study.json', 'utf8')) as {
      statistics: { resamples: number; permutations: number; seed: number };
      rois: Record<string, Ref>;
    };
    const folds = JSON.parse(await readFile('test/fixtures/alignment/folds.json', 'utf8')) as Record<string, number>;
    const { datasetId, layerId } = await registerAlignmentFixture(app);
    await copyFile('test/fixtures/stats/sae.npz', path.join(app.dataDir, 'sae.npz'));
    const sae = await app.request(`/v1/layers/${layerId}/saes`, {
      method: 'POST',
      auth: true,
      json: { weights: { path: 'sae.npz' } },
    });
    expect(sae.status).toBe(201);
    const saeId = (await sae.json()).id;

    const rois = Object.entries(reference.rois).map(([name, r]) => `${r.atlas}/${name}`);
    const body = {
      datasetId,
      subjects: ['subj01'],
      layerIds: [layerId],
      representations: ['neurons', { saeId }],
      rois,
      preset: 'paper',
      folds: { assignment: folds },
      statistics: reference.statistics,
    };
    const res = await app.request('/v1/studies', { method: 'POST', auth: true, json: body });
    expect(res.status).toBe(202);
    const created = await res.json();
    expect(created.progress).toMatchObject({ total: 2, jobs: { done: 0, total: 1 } });
    expect(created.inputs.statistics).toEqual(reference.statistics);
    const study = await waitForStudy(app, created.id);
    expect(study.state).toBe('succeeded');
    expect(study.progress.jobs).toEqual({ done: 1, total: 1 });

    const cmp = await (await app.request(`/v1/studies/${created.id}/comparisons?a=neurons&b=${saeId}`)).json();
    expect(cmp.cells).toHaveLength(rois.length);
    for (const c of cmp.cells) {
      const ref = reference.rois[c.roi];
      // the fits themselves match scikit-learn as in the alignment parity test
      expect(Math.abs(c.difference - ref.difference)).toBeLessThan(1e-4);
      expect(c.nStimuli).toBe(ref.nStimuli);
      // the headline: corrected resampled t (scipy) over the fold differences of the scikit-learn fits
      expect(c.pMethod).toBe('corrected-resampled-t');
      expect(c.interval).toBe('corrected-resampled-t');
      expect(Math.abs(c.ci.lower - ref.correctedLower)).toBeLessThan(1e-4);
      expect(Math.abs(c.ci.upper - ref.correctedUpper)).toBeLessThan(1e-4);
      // p from float32 fold scores within ~1e-5 of scikit-learn's: relative agreement to 0.5%
      expect(Math.abs(c.p - ref.correctedP)).toBeLessThan(5e-3 * Math.max(ref.correctedP, 0.01));
      // the conditional statistics (on these fitted models) as before
      expect(c.conditionalBootstrapCi.nResamples).toBe(reference.statistics.resamples);
      expect(c.conditionalBootstrapCi.seed).toBe(ref.seed);
      expect(Math.abs(c.conditionalBootstrapCi.lower - ref.bootstrapLower)).toBeLessThan(1e-4);
      expect(Math.abs(c.conditionalBootstrapCi.upper - ref.bootstrapUpper)).toBeLessThan(1e-4);
      expect(Math.abs(c.conditionalBootstrapCi.se - ref.bootstrapSe)).toBeLessThan(1e-5);
      expect(c.permutation).toEqual({ exact: false, nPermutations: reference.statistics.permutations });
      const slack = 2 / (reference.statistics.permutations + 1) + 1e-12;
      expect(Math.abs(c.conditionalPermutationP - ref.p)).toBeLessThanOrEqual(slack);
    }
    // the stored rows hold what the cells report (one per ROI and pair), and the unit wrote both runs
    expect(await app.db.prisma.pairedComparison.count({ where: { studyId: created.id } })).toBe(rois.length);
    const runs = await app.db.prisma.run.findMany({ where: { studyId: created.id } });
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect(runs[0].jobId).toBe(runs[1].jobId);
    // CSV carries the same interval and p
    const csv = (
      await (await app.request(`/v1/studies/${created.id}/comparisons?a=neurons&b=${saeId}&format=csv`)).text()
    )
      .trim()
      .split('\r\n');
    const head = csv[0].split(',');
    const first = csv[1].split(',');
    expect(Number(first[head.indexOf('lower')])).toBe(cmp.cells[0].ci.lower);
    expect(Number(first[head.indexOf('p')])).toBe(cmp.cells[0].p);
    expect(Number(first[head.indexOf('conditionalBootstrapLower')])).toBe(cmp.cells[0].conditionalBootstrapCi.lower);
    expect(Number(first[head.indexOf('conditionalPermutationP')])).toBe(cmp.cells[0].conditionalPermutationP);
  }, 300_000);
});
