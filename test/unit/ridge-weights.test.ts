/**
 * Ridge weights from the factorised fit (issue 12 item 11): the per-unit mean |beta| does not depend on the form
 * (primal/dual) or on whether SAE latents stay sparse (CSR with the row-LN and centring shifts), for the shared-
 * and per-target-alpha presets. The reference against scikit-learn's coef_ is test/api/run-weights.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { fitRidgeCv, type RidgePreset } from '../../src/compute/ridge/index';
import { csrToDense } from '../../src/compute/matrix';
import { kFoldAssignment } from '../../src/compute/folds';
import { Rng } from '../../src/compute/random';
import { randomCsr } from '../helpers/random';

describe('ridge unit weights: one statistic whatever the path', () => {
  const rng = new Rng(7);
  const n = 60;
  const S = randomCsr(rng, n, 40, 5);
  const D = csrToDense(S);
  const Y = { rows: n, cols: 9, data: Float32Array.from({ length: n * 9 }, () => rng.normal()) };
  const assignment = kFoldAssignment(n, 4, 1);
  for (const preset of ['paper', 'paper-centred', 'encoding'] as RidgePreset[]) {
    it(`${preset}: dense primal = dense dual = sparse, per fold`, () => {
      const fit = (X: Parameters<typeof fitRidgeCv>[0], form: 'primal' | 'dual') =>
        fitRidgeCv(X, Y, { preset, assignment, form, unitWeights: true, precision: 'f64' });
      const ref = fit(D, 'primal');
      for (const stat of ['meanAbs', 'l2'] as const) {
        const want = ref.unitWeights![stat];
        expect(want.perFold).toHaveLength(4);
        expect(want.mean.length).toBe(ref.source.kept.length);
        for (const other of [fit(D, 'dual'), fit(S, 'primal'), fit(S, 'dual')]) {
          expect(Array.from(other.source.kept)).toEqual(Array.from(ref.source.kept));
          other.unitWeights![stat].perFold.forEach((f, k) => {
            f.forEach((x, u) => {
              expect(Math.abs(x - want.perFold[k][u])).toBeLessThan(1e-4 * Math.max(1e-3, want.perFold[k][u]));
            });
          });
        }
        expect(want.mean.every((x) => x > 0)).toBe(true);
      }
      // Over v targets sum|b| / sqrt(v) <= ||b||_2 <= sum|b|, i.e. sqrt(v) meanAbs <= l2 <= v meanAbs, for any coefficients.
      const v = Y.cols;
      ref.unitWeights!.l2.perFold[0].forEach((l2, u) => {
        const ma = ref.unitWeights!.meanAbs.perFold[0][u];
        expect(l2).toBeGreaterThanOrEqual(ma * Math.sqrt(v) - 1e-12);
        expect(l2).toBeLessThanOrEqual(ma * v + 1e-12);
      });
      expect(fitRidgeCv(D, Y, { preset, assignment }).unitWeights).toBeUndefined();
    });
  }
});
