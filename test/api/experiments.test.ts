/** The toy superposition experiment through the API (tiny settings: the science is tested in test/unit/toy-*). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import { waitForJob } from '../helpers/flow';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

describe('POST /v1/experiments/toy-superposition', () => {
  it('runs as a job and stores one result per hidden size', async () => {
    const res = await app.request('/v1/experiments/toy-superposition', {
      method: 'POST',
      auth: true,
      json: { hiddenSizes: [8], modelSteps: 30, samples: 8192, ridge: false, folds: 3, replicates: 2 },
    });
    expect(res.status).toBe(202);
    const exp = await res.json();
    expect(exp.status).toBe('queued');
    expect((await waitForJob(app, exp.jobId, undefined, 240_000)).state).toBe('completed');
    const done = await (await app.request(`/v1/experiments/${exp.id}`)).json();
    expect(done.status).toBe('succeeded');
    const r = done.result.results;
    expect(r).toHaveLength(1);
    expect(r[0].nHidden).toBe(8);
    expect(r[0].neurons.softMatching.foldScores).toHaveLength(3);
    expect(r[0].saeLatents.semiMatching.mean).toBeGreaterThan(0);
    expect(r[0].overlap.perFeature).toHaveLength(64);
    // Replicates: model seeds + 2r, SAE seed + r; per N the mean over them with a 95% t interval.
    expect(done.options.replicates).toBe(2);
    expect(done.result.replicates.map((x: { seeds: number[]; saeSeed: number }) => [x.seeds, x.saeSeed])).toEqual([
      [[0, 1], 0],
      [[2, 3], 1],
    ]);
    expect(done.result.replicates[0].results[0]).toEqual(r[0]);
    const soft = done.result.summary[0].statistics.softSae;
    const values = done.result.replicates.map(
      (x: { results: { saeLatents: { softMatching: { mean: number } } }[] }) =>
        x.results[0].saeLatents.softMatching.mean,
    );
    expect(soft.values).toEqual(values);
    expect(soft.mean).toBeCloseTo((values[0] + values[1]) / 2, 12);
    expect(soft.lower).toBeLessThanOrEqual(soft.mean);
    expect(soft.upper).toBeGreaterThanOrEqual(soft.mean);
  }, 300_000);

  it('rejects bad options naming the field', async () => {
    const res = await app.request('/v1/experiments/toy-superposition', {
      method: 'POST',
      auth: true,
      json: { sae: { k: 100 } },
    });
    expect(res.status).toBe(400);
    expect((await res.json()).errors[0].field).toBe('body.sae.k');
    const neg = await app.request('/v1/experiments/toy-superposition', {
      method: 'POST',
      auth: true,
      json: { hiddenSizes: [0] },
    });
    expect((await neg.json()).errors[0].field).toBe('body.hiddenSizes[0]');
    const reps = await app.request('/v1/experiments/toy-superposition', {
      method: 'POST',
      auth: true,
      json: { replicates: 0 },
    });
    expect(reps.status).toBe(400);
    expect((await reps.json()).errors[0].field).toBe('body.replicates');
  });
});
