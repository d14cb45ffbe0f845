/**
 * Model-to-model comparisons over HTTP. Invariants as the independent check: a layer against an
 * identical copy of itself scores exactly 1 on CKA, RSA, semi- and soft-matching; a different layer
 * scores less. (Metric parity with numpy/POT is tested in test/unit/metrics-*.)
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../src/io/npy';
import { startTestApp, type TestApp } from '../helpers/app';
import { registerSyntheticSet, waitForJob, type RegisteredSet } from '../helpers/flow';

let app: TestApp;
let set: RegisteredSet;
let twinModelId: string;
const twinLayerIds: string[] = [];

beforeAll(async () => {
  app = await startTestApp();
  set = await registerSyntheticSet(app, 'syn-cmp');
  twinModelId = (await (await app.request('/v1/models', { method: 'POST', auth: true, json: { name: 'twin' } })).json())
    .id;
  for (const l of set.syn.layers) {
    const res = await app.request(`/v1/models/${twinModelId}/layers`, {
      method: 'POST',
      auth: true,
      json: { name: l.name, activations: { path: l.activations }, stimulusIds: { path: l.stimulusIds } },
    });
    twinLayerIds.push((await res.json()).id);
  }
}, 120_000);
afterAll(async () => {
  await app?.close();
});

async function compare(source: string, target: string, metric: string) {
  const res = await app.request('/v1/comparisons', {
    method: 'POST',
    auth: true,
    json: { source: { layerId: source }, target: { layerId: target }, metric, folds: { k: 4, seed: 2 } },
  });
  expect(res.status).toBe(202);
  const body = await res.json();
  expect((await waitForJob(app, body.jobId)).state).toBe('completed');
  return (await (await app.request(`/v1/runs/${body.id}`)).json()) as {
    id: string;
    kind: string;
    scores: { value: number; foldValues: number[]; roi: string; baseline: number | null }[];
  };
}

describe('POST /v1/comparisons', () => {
  it('scores a layer against an identical copy as 1 on every similarity metric', async () => {
    for (const metric of ['cka', 'rsa', 'semi-matching', 'soft-matching']) {
      const run = await compare(set.layerIds[0], twinLayerIds[0], metric);
      expect(run.kind).toBe('comparison');
      expect(run.scores).toHaveLength(1);
      expect(run.scores[0].foldValues).toHaveLength(4);
      expect(run.scores[0].value).toBeCloseTo(1, 6);
      expect(run.scores[0].roi).toBe('layer1:neurons');
    }
  }, 120_000);

  it('scores different layers below 1 and fills the layer-pair matrix', async () => {
    const cross = await compare(set.layerIds[0], twinLayerIds[1], 'soft-matching');
    expect(cross.scores[0].value).toBeLessThan(0.99);
    const ridge = await compare(set.layerIds[0], twinLayerIds[1], 'ridge');
    expect(ridge.scores[0].value).toBeGreaterThan(0);
    expect(ridge.scores[0].value).toBeLessThan(1);
    const m = await (
      await app.request(
        `/v1/comparisons/matrix?sourceModelId=${set.modelId}&targetModelId=${twinModelId}&metric=soft-matching`,
      )
    ).json();
    expect(m.sourceLayers.map((l: { name: string }) => l.name)).toEqual(['layer1', 'layer2']);
    expect(m.values[0][0]).toBeCloseTo(1, 6);
    expect(m.values[0][1]).toBe(cross.scores[0].value);
    expect(m.values[1]).toEqual([null, null]);
  }, 120_000);

  it("carries the baseline: the cosine of each target unit's training-mean prediction, recomputed here", async () => {
    const ridge = await compare(set.layerIds[0], twinLayerIds[1], 'ridge');
    const folds = (await (await app.request(`/v1/runs/${ridge.id}/folds`)).json()) as {
      assignment: Record<string, number>;
    };
    // The target layer's activations (ReLU'd units), rows in the run's stimuli, the paper preset by hand:
    // units all-zero in some fold's training or test part dropped, rows layer-normed over the kept units
    // ((y - mean) / (sd ddof 1 + 1e-5)), each kept unit predicted by its training mean, cosine over the test rows.
    const l = set.syn.layers[1];
    const acts = readNpy(new Uint8Array(await readFile(l.activations)));
    const ids = readNpy(new Uint8Array(await readFile(l.stimulusIds))).data as Int32Array;
    const U = acts.shape[1];
    const rowOf = new Map(Array.from(ids, (id, r) => [id, r]));
    const stim = Object.keys(folds.assignment).map(Number);
    const fold = stim.map((id) => folds.assignment[String(id)]);
    const K = Math.max(...fold) + 1;
    const y = stim.map((id) => Array.from({ length: U }, (_, u) => Number(acts.data[rowOf.get(id)! * U + u])));
    const live = Array.from({ length: U }, (_, u) => u).filter((u) =>
      Array.from({ length: K }, (_, f) => f).every(
        (f) => y.some((row, i) => fold[i] === f && row[u] !== 0) && y.some((row, i) => fold[i] !== f && row[u] !== 0),
      ),
    );
    const ln = y.map((row) => {
      const v = live.map((u) => row[u]);
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
      return v.map((x) => (x - m) / (sd + 1e-5));
    });
    const foldBaselines = Array.from({ length: K }, (_, f) => {
      const train = ln.filter((_, i) => fold[i] !== f);
      const test = ln.filter((_, i) => fold[i] === f);
      const cos = live.map((_, j) => {
        const mu = train.reduce((a, r) => a + r[j], 0) / train.length;
        const sum = test.reduce((a, r) => a + r[j], 0);
        const norm = Math.sqrt(test.reduce((a, r) => a + r[j] ** 2, 0));
        return (Math.sign(mu) * sum) / (Math.sqrt(test.length) * norm);
      });
      return cos.reduce((a, b) => a + b, 0) / cos.length;
    });
    const want = foldBaselines.reduce((a, b) => a + b, 0) / K;
    const got = ridge.scores[0].baseline!;
    expect(got).toBeCloseTo(want, 5);
    expect(got).toBeGreaterThan(0.05);
    expect(ridge.scores[0].value).toBeGreaterThan(got);
    // The matrix carries it beside the value; metrics that centre what they compare have baseline 0.
    const m = await (
      await app.request(`/v1/comparisons/matrix?sourceModelId=${set.modelId}&targetModelId=${twinModelId}&metric=ridge`)
    ).json();
    expect(m.baseline[0][1]).toBe(got);
    const cka = await compare(set.layerIds[0], twinLayerIds[1], 'cka');
    expect(cka.scores[0].baseline).toBe(0);
  }, 120_000);

  it('rejects unknown metrics, layers and SAEs naming the field', async () => {
    const post = async (json: object) =>
      (await app.request('/v1/comparisons', { method: 'POST', auth: true, json })).json();
    expect(
      (await post({ source: { layerId: set.layerIds[0] }, target: { layerId: twinLayerIds[0] }, metric: 'procrustes' }))
        .errors[0].field,
    ).toBe('body.metric');
    expect(
      (
        await post({
          source: { layerId: '00000000-0000-4000-8000-000000000000' },
          target: { layerId: twinLayerIds[0] },
          metric: 'cka',
        })
      ).errors[0].field,
    ).toBe('body.source.layerId');
    expect(
      (
        await post({
          source: { layerId: set.layerIds[0] },
          target: { layerId: twinLayerIds[0], representation: 'sae' },
          metric: 'cka',
        })
      ).errors[0].field,
    ).toBe('body.target.representation');
  });
});
