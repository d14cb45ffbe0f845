/**
 * The random-SAE control (issue 12 item 10): the untrained twin of a trained SAE has its architecture and
 * preprocessing and exactly the weights its training run started from. Checked against a real training run of
 * one Adam step at lr 1e-6 (every weight moves by at most ~lr on the first Adam step), so the twin must lie within
 * ~1e-6 of the trained weights, while a twin of another seed lies ~0.1 away.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/compute/random';
import { trainTopKSae } from '../../src/sae/train';
import { untrainedTwin } from '../../src/sae/untrained';

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

describe('untrainedTwin', () => {
  const rng = new Rng(3);
  const n = 64;
  const d = 12;
  const X = { rows: n, cols: d, data: Float32Array.from({ length: n * d }, () => rng.normal()) };
  for (const init of ['kaiming-uniform', 'xavier-normal'] as const) {
    it(`${init}: equals the initialisation of a training run with the same seed, before its first step`, async () => {
      const res = await trainTopKSae(X, {
        k: 3,
        expansion: 2,
        epochs: 1,
        batchSize: 64,
        lr: 1e-6,
        seed: 9,
        init,
        preprocessing: { clampNegative: true },
      });
      expect(res.curves).toHaveLength(1); // one epoch of one step
      const twin = untrainedTwin(res.sae, res.settings);
      expect([twin.inputDim, twin.latentDim, twin.k]).toEqual([d, 24, 3]);
      expect(twin.preprocessing).toEqual(res.sae.preprocessing);
      const w = twin.weights;
      expect(maxDiff(w.wEnc.data, res.sae.weights.wEnc.data)).toBeLessThan(2e-6);
      expect(maxDiff(w.wDec.data, res.sae.weights.wDec.data)).toBeLessThan(2e-6);
      expect(w.bEnc.every((x) => x === 0) && w.bDec.every((x) => x === 0)).toBe(true);
      expect(maxDiff(w.wEnc.data, res.sae.weights.wEnc.data)).toBeGreaterThan(0); // the step did move it
      const other = untrainedTwin(res.sae, { ...res.settings, seed: 10 });
      expect(maxDiff(other.weights.wEnc.data, res.sae.weights.wEnc.data)).toBeGreaterThan(0.05);
      expect(() => untrainedTwin(res.sae, { ...res.settings, latents: 25 })).toThrow(/latents/);
    });
  }
});
