/**
 * The random-SAE control over HTTP (issue 12 item 10): "random-sae" / {randomSaeOf} encode with the untrained twin
 * of a trained SAE (same architecture, preprocessing, seed and initialisation) in alignment runs, studies and
 * comparisons. The control runs, is stored as its own representation (request hash, cells, rows, selectors) and
 * scores differently from the trained SAE; an imported SAE, which has no seed, is refused naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import { registerSyntheticSet, trainSaeAndWait, waitForJob, waitForStudy, type RegisteredSet } from '../helpers/flow';

let app: TestApp;
let set: RegisteredSet;
let saeId: string;

beforeAll(async () => {
  app = await startTestApp();
  set = await registerSyntheticSet(app, 'syn-rand', { subjects: 1, images: 400, sessions: 1 });
  saeId = await trainSaeAndWait(app, set.layerIds[0], { k: 4, expansion: 2, epochs: 5, batchSize: 32, seed: 4 });
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
  folds: { k: 4, seed: 1 },
});

async function align(representation: unknown) {
  const res = await app.request('/v1/alignments', { method: 'POST', auth: true, json: { ...base(), representation } });
  expect(res.status).toBe(202);
  const r = (await res.json()).runs[0];
  expect((await waitForJob(app, r.jobId)).state).toBe('completed');
  return (await (await app.request(`/v1/runs/${r.id}`)).json()) as {
    id: string;
    representation: string;
    saeId: string;
    scores: { roi: string; value: number }[];
  };
}

describe('random-SAE control', () => {
  it('alignment: runs with the untrained twin, stored apart from the trained SAE, and scores differently', async () => {
    const trained = await align('sae');
    const random = await align('random-sae');
    expect(random.id).not.toBe(trained.id);
    expect(random.representation).toBe('random-sae');
    expect(random.saeId).toBe(saeId);
    expect((await align({ randomSaeOf: saeId })).id).toBe(random.id); // the same control, named by id
    for (const roi of ['V1v', 'V2v']) {
      const a = trained.scores.find((s) => s.roi === roi)!;
      const b = random.scores.find((s) => s.roi === roi)!;
      expect(Number.isFinite(b.value)).toBe(true);
      expect(Math.abs(a.value - b.value)).toBeGreaterThan(1e-4);
    }
  }, 180_000);

  it('study: neurons, sae and random-sae are three cells per layer; comparisons select the control', async () => {
    const res = await app.request('/v1/studies', {
      method: 'POST',
      auth: true,
      json: {
        datasetId: set.datasetId,
        subjects: ['subj01'],
        layerIds: [set.layerIds[0]],
        representations: ['neurons', 'sae', 'random-sae'],
        rois: ['prf-visualrois/V1v'],
        folds: { k: 4, seed: 1 },
      },
    });
    expect(res.status).toBe(202);
    const created = await res.json();
    expect(created.progress.total).toBe(3);
    const s = await waitForStudy(app, created.id);
    expect(s.state).toBe('succeeded');
    expect(s.results.map((r: { representation: string }) => r.representation).sort()).toEqual([
      'neurons',
      'random-sae',
      'sae',
    ]);
    const cmp = await (await app.request(`/v1/studies/${created.id}/comparisons?a=random-sae&b=sae`)).json();
    const cell = cmp.cells[0];
    const byRep = Object.fromEntries(
      s.results.map((r: { representation: string; value: number }) => [r.representation, r.value]),
    );
    expect(cell.difference).toBeCloseTo(byRep.sae - byRep['random-sae'], 6);
  }, 300_000);

  it('comparison: a layer as its SAE against the same layer as the control', async () => {
    const res = await app.request('/v1/comparisons', {
      method: 'POST',
      auth: true,
      json: {
        source: { layerId: set.layerIds[0], representation: 'sae' },
        target: { layerId: set.layerIds[0], representation: { randomSaeOf: saeId } },
        metric: 'cka',
        folds: { k: 4, seed: 1 },
      },
    });
    expect(res.status).toBe(202);
    const body = await res.json();
    expect((await waitForJob(app, body.jobId)).state).toBe('completed');
    const run = await (await app.request(`/v1/runs/${body.id}`)).json();
    expect(run.scores[0].roi).toBe('layer1:random-sae');
    expect(run.scores[0].value).toBeLessThan(0.999);
  }, 120_000);

  it('refuses a control of an SAE that does not exist or has no training seed, naming the field', async () => {
    const bad = await app.request('/v1/alignments', {
      method: 'POST',
      auth: true,
      json: { ...base(), representation: { randomSaeOf: '00000000-0000-4000-8000-000000000000' } },
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].field).toBe('body.representation.randomSaeOf');
    await app.db.prisma.sae.update({ where: { id: saeId }, data: { origin: 'imported' } });
    try {
      const imported = await app.request('/v1/alignments', {
        method: 'POST',
        auth: true,
        json: { ...base(), representation: { randomSaeOf: saeId } },
      });
      expect(imported.status).toBe(400);
      expect((await imported.json()).errors[0].reason).toMatch(/seed/);
    } finally {
      await app.db.prisma.sae.update({ where: { id: saeId }, data: { origin: 'trained' } });
    }
  });
});
