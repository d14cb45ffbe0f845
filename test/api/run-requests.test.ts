/**
 * Identical requests share a run; different requests never do (issue 10, items 1 and 2):
 * every field of the request, at every depth, reaches the request hash, and concurrent identical
 * POSTs create exactly one run and one job.
 * The app has no workers, so runs stay queued and nothing is computed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import { registerSyntheticSet, type RegisteredSet } from '../helpers/flow';

let app: TestApp;
let set: RegisteredSet;

beforeAll(async () => {
  app = await startTestApp({ ALIGN_WORKERS: '0' });
  set = await registerSyntheticSet(app, 'syn-req', { images: 200, sessions: 1, trialsPerSession: 300 });
}, 120_000);
afterAll(async () => {
  await app?.close();
});

async function align(extra: Record<string, unknown>) {
  const res = await app.request('/v1/alignments', {
    method: 'POST',
    auth: true,
    json: {
      datasetId: set.datasetId,
      subject: 'subj01',
      atlas: 'prf-visualrois',
      layerIds: [set.layerIds[0]],
      ...extra,
    },
  });
  expect(res.status).toBe(202);
  return (await res.json()).runs[0] as { id: string; jobId: string; reused: boolean };
}

async function compare(json: Record<string, unknown>) {
  const res = await app.request('/v1/comparisons', { method: 'POST', auth: true, json });
  expect(res.status).toBe(202);
  return (await res.json()) as { id: string; jobId: string; reused: boolean };
}

const assignment = (shift: number) =>
  Object.fromEntries(Array.from({ length: 40 }, (_, i) => [String(i), (i + shift) % 4]));

describe('request hashing', () => {
  it('gives different folds, assignments and noise-ceiling settings their own runs', async () => {
    const base = await align({ folds: { k: 5, seed: 0 } });
    const other = await align({ folds: { k: 3, seed: 12345 } });
    expect(other.id).not.toBe(base.id);
    expect(other.reused).toBe(false);
    expect((await align({ folds: { k: 3, seed: 12346 } })).id).not.toBe(other.id);
    const a1 = await align({ folds: { assignment: assignment(0) } });
    const a2 = await align({ folds: { assignment: assignment(1) } });
    expect(a1.id).not.toBe(a2.id);
    expect(a2.reused).toBe(false);
    const nc5 = await align({ preset: 'encoding', noiseCeiling: { minPercent: 5 } });
    const nc20 = await align({ preset: 'encoding', noiseCeiling: { minPercent: 20 } });
    expect(nc5.id).not.toBe(nc20.id);
    expect((await align({ preset: 'encoding' })).id).not.toBe(nc5.id);
    // The default threshold (10) is part of the request: omitting it equals spelling it out.
    expect((await align({ preset: 'encoding', noiseCeiling: { minPercent: 10 } })).id).toBe(
      (await align({ preset: 'encoding' })).id,
    );
  });

  it('shares a run between requests that differ only in key order or ROI order', async () => {
    const a = await align({ rois: ['V1v', 'V2v'], folds: { k: 4, seed: 9 } });
    const b = await align({ folds: { seed: 9, k: 4 }, rois: ['V2v', 'V1v'] });
    expect(b.id).toBe(a.id);
    expect(b.reused).toBe(true);
    // Defaults are part of the request: omitting them equals spelling them out.
    const c = await align({
      rois: ['V1v', 'V2v'],
      folds: { k: 4, seed: 9 },
      preset: 'paper',
      representation: 'neurons',
    });
    expect(c.id).toBe(a.id);
  });

  it('gives comparisons with different sides or folds their own runs, and key order does not matter', async () => {
    const [l0, l1] = set.layerIds;
    const x = await compare({
      source: { layerId: l0 },
      target: { layerId: l1 },
      metric: 'cka',
      folds: { k: 4, seed: 2 },
    });
    const y = await compare({
      source: { layerId: l0 },
      target: { layerId: l1 },
      metric: 'cka',
      folds: { k: 4, seed: 3 },
    });
    expect(y.id).not.toBe(x.id);
    const z = await compare({
      folds: { seed: 2, k: 4 },
      metric: 'cka',
      target: { layerId: l1 },
      source: { layerId: l0 },
    });
    expect(z.id).toBe(x.id);
    expect(z.reused).toBe(true);
  });
});

describe('concurrent identical requests', () => {
  it('create one run and queue one job', async () => {
    const json = {
      datasetId: set.datasetId,
      subject: 'subj01',
      atlas: 'prf-visualrois',
      layerIds: [set.layerIds[1]],
      folds: { k: 5, seed: 77 },
    };
    const answers = await Promise.all(
      Array.from({ length: 100 }, () =>
        app
          .request('/v1/alignments', { method: 'POST', auth: true, json })
          .then(async (r) => ({ status: r.status, body: await r.json() })),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(100).fill(202));
    const runIds = new Set(answers.map((a) => a.body.runs[0].id));
    const jobIds = new Set(answers.map((a) => a.body.runs[0].jobId));
    expect(runIds.size).toBe(1);
    expect(jobIds.size).toBe(1);
    expect(answers.filter((a) => !a.body.runs[0].reused)).toHaveLength(1);
    const runId = [...runIds][0];
    expect(await app.db.prisma.job.count({ where: { runId } })).toBe(1);
    const queued = await app.db.prisma.$queryRaw<
      { n: bigint }[]
    >`SELECT count(*) AS n FROM pgboss.job WHERE data->>'runId' = ${runId}`;
    expect(Number(queued[0].n)).toBe(1);
  }, 120_000);

  it('re-queue a failed run once when identical requests race', async () => {
    const json = {
      datasetId: set.datasetId,
      subject: 'subj01',
      atlas: 'prf-visualrois',
      layerIds: [set.layerIds[1]],
      folds: { k: 5, seed: 78 },
    };
    const first = (await (await app.request('/v1/alignments', { method: 'POST', auth: true, json })).json()).runs[0];
    await app.db.prisma.run.update({ where: { id: first.id }, data: { status: 'failed', error: 'simulated' } });
    await app.db.prisma.job.update({ where: { id: first.jobId }, data: { state: 'failed' } });
    const answers = await Promise.all(
      Array.from({ length: 30 }, () =>
        app.request('/v1/alignments', { method: 'POST', auth: true, json }).then((r) => r.json()),
      ),
    );
    const jobIds = new Set(answers.map((a) => a.runs[0].jobId));
    expect(jobIds.size).toBe(1);
    expect([...jobIds][0]).not.toBe(first.jobId);
    expect(await app.db.prisma.job.count({ where: { runId: first.id } })).toBe(2);
  }, 120_000);
});

describe('SAE training and experiments', () => {
  it('share one SAE between identical training requests, not between different ones', async () => {
    const post = async (json: object) => {
      const res = await app.request(`/v1/layers/${set.layerIds[0]}/saes`, { method: 'POST', auth: true, json });
      expect(res.status).toBe(202);
      return (await res.json()) as { id: string; jobId: string };
    };
    const a = await post({ k: 4, expansion: 2, epochs: 1, seed: 5 });
    const b = await post({ seed: 5, epochs: 1, expansion: 2, k: 4 });
    expect(b.id).toBe(a.id);
    expect(b.jobId).toBe(a.jobId);
    expect((await post({ k: 4, expansion: 2, epochs: 1, seed: 6 })).id).not.toBe(a.id);
    expect((await post({ k: 5, expansion: 2, epochs: 1, seed: 5 })).id).not.toBe(a.id);
    expect(await app.db.prisma.job.count({ where: { saeId: a.id } })).toBe(1);
  });

  it('share one toy experiment between identical requests, not between different ones', async () => {
    const post = async (json: object) => {
      const res = await app.request('/v1/experiments/toy-superposition', { method: 'POST', auth: true, json });
      expect(res.status).toBe(202);
      return (await res.json()) as { id: string; jobId: string };
    };
    const opts = { hiddenSizes: [8], modelSteps: 10, samples: 4096 };
    const a = await post(opts);
    const b = await post({ samples: 4096, modelSteps: 10, hiddenSizes: [8] });
    expect(b.id).toBe(a.id);
    expect((await post({ ...opts, seeds: [3, 4] })).id).not.toBe(a.id);
    expect((await post({ ...opts, hiddenSizes: [16] })).id).not.toBe(a.id);
  });
});
