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
      json: { hiddenSizes: [8], modelSteps: 30, samples: 8192, ridge: false, folds: 3 },
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
  });
});
