/**
 * Comparisons against numpy/scipy (issue 12 item 8; test/fixtures/comparisons/gen_comparisons.py): RSA, linear CKA
 * and debiased CKA (unbiased HSIC, Song et al. 2012), cross-validated (per test fold) and with cv: false once over
 * all stimuli, as the authors compute RSA. The layers share only some images, in different file orders.
 */
import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app';
import { waitForJob } from '../helpers/flow';

const FIX = 'test/fixtures/comparisons';
type Ref = {
  k: number;
  seed: number;
  cv: Record<string, { folds: number[]; mean: number; sem: number }>;
  whole: Record<string, { value: number }>;
};
const ref = JSON.parse(await readFile(`${FIX}/reference.json`, 'utf8')) as Ref;

let app: TestApp;
const layer: Record<'a' | 'b', string> = { a: '', b: '' };
const model: Record<'a' | 'b', string> = { a: '', b: '' };
beforeAll(async () => {
  app = await startTestApp();
  for (const side of ['a', 'b'] as const) {
    await copyFile(`${FIX}/${side}.npy`, path.join(app.dataDir, `${side}.npy`));
    await copyFile(`${FIX}/${side}_ids.npy`, path.join(app.dataDir, `${side}_ids.npy`));
    model[side] = (
      await (await app.request('/v1/models', { method: 'POST', auth: true, json: { name: `net-${side}` } })).json()
    ).id;
    const res = await app.request(`/v1/models/${model[side]}/layers`, {
      method: 'POST',
      auth: true,
      json: { name: 'l', activations: { path: `${side}.npy` }, stimulusIds: { path: `${side}_ids.npy` } },
    });
    layer[side] = (await res.json()).id;
  }
});
afterAll(async () => {
  await app?.close();
});

async function compare(metric: string, cv: boolean) {
  const res = await app.request('/v1/comparisons', {
    method: 'POST',
    auth: true,
    json: {
      source: { layerId: layer.a },
      target: { layerId: layer.b },
      metric,
      cv,
      folds: { k: ref.k, seed: ref.seed },
    },
  });
  expect(res.status).toBe(202);
  const body = await res.json();
  expect((await waitForJob(app, body.jobId)).state).toBe('completed');
  return (await (await app.request(`/v1/runs/${body.id}`)).json()).scores[0] as {
    value: number;
    sem: number | null;
    foldValues: number[];
  };
}

describe('comparisons: RSA and CKA per fold and over all stimuli, against numpy', () => {
  it('rsa, cka and cka-debiased with cv true (per test fold) and false (once) equal the references', async () => {
    for (const metric of ['rsa', 'cka', 'cka-debiased']) {
      const cv = await compare(metric, true);
      cv.foldValues.forEach((v, f) => {
        expect(v).toBeCloseTo(ref.cv[metric].folds[f], 6);
      });
      expect(cv.value).toBeCloseTo(ref.cv[metric].mean, 6);
      expect(cv.sem).toBeCloseTo(ref.cv[metric].sem, 6);
      const whole = await compare(metric, false);
      expect(whole.value).toBeCloseTo(ref.whole[metric].value, 6);
      expect(whole.foldValues).toEqual([]);
      expect(whole.sem).toBeNull();
    }
    // The debiased CKA is below the biased one on these few stimuli per fold (the bias inflates CKA).
    expect(ref.cv['cka-debiased'].mean).toBeLessThan(ref.cv.cka.mean);
  }, 180_000);

  it('the matrix keeps cross-validated and whole-set runs apart; cv: false applies to unfitted metrics only', async () => {
    const m = async (cv: string) =>
      (
        await (
          await app.request(
            `/v1/comparisons/matrix?sourceModelId=${model.a}&targetModelId=${model.b}&metric=rsa&cv=${cv}`,
          )
        ).json()
      ).values[0][0];
    expect(await m('true')).toBeCloseTo(ref.cv.rsa.mean, 6);
    expect(await m('false')).toBeCloseTo(ref.whole.rsa.value, 6);
    const bad = await app.request('/v1/comparisons', {
      method: 'POST',
      auth: true,
      json: { source: { layerId: layer.a }, target: { layerId: layer.b }, metric: 'semi-matching', cv: false },
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].field).toBe('body.cv');
  }, 60_000);
});
