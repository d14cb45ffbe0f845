/**
 * The LOO criterion of many target groups over one basis with Omega shared (loo-groups.ts): per group it
 * equals looSharedAlpha alone (both of its evaluations) and brute-force leave-one-out refits, for primal
 * (a basis that is not full rank: the remainder parts) and full-rank dual bases, with and without intercept,
 * float64 and float32; block sizes that split the q x q index unevenly; the cost model that picks it.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/compute/random';
import { bruteLoo } from '../helpers/brute-loo';
import { centred, randn } from '../helpers/random';
import { kFoldAssignment } from '../../src/compute/folds';
import {
  fitRidgeCvGroups,
  groupSearchCost,
  looSharedAlpha,
  looSharedAlphaGroups,
  ridgeBasis,
} from '../../src/compute/ridge/index';

const ALPHAS = Array.from({ length: 17 }, (_, i) => 10 ** (i - 8));

const cases = [
  { label: 'primal (not full rank)', n: 40, p: 9, intercept: false },
  { label: 'primal + intercept', n: 40, p: 9, intercept: true },
  { label: 'dual (full rank)', n: 30, p: 70, intercept: false },
  { label: 'dual + intercept', n: 30, p: 70, intercept: true },
] as const;

describe('looSharedAlphaGroups', () => {
  for (const c of cases) {
    for (const precision of ['f64', 'f32'] as const) {
      it(`${c.label}, ${precision}: each group equals looSharedAlpha alone`, () => {
        const rng = new Rng(c.n * 7 + c.p);
        let X = randn(rng, c.n, c.p);
        if (c.intercept) X = centred(X);
        const basis = ridgeBasis({ kind: 'dense', x: X }, { kind: 'dense', x: X }, { precision });
        const widths = [3, 11, 1, 25];
        const Ys = widths.map((v) => {
          const Y = randn(rng, c.n, v);
          // signal in span X so the criterion has an interior minimum
          for (let i = 0; i < c.n; i++)
            for (let t = 0; t < v; t++) Y.data[i * v + t] = 2 * Y.data[i * v + t] + X.data[i * c.p + (t % c.p)];
          const Yc = c.intercept ? centred(Y) : Y;
          return precision === 'f64' ? Yc : { rows: Yc.rows, cols: Yc.cols, data: Float32Array.from(Yc.data) };
        });
        const opts = { intercept: c.intercept, precision, leverage: basis.leverage };
        const together = looSharedAlphaGroups(basis.U, basis.s2, Ys, ALPHAS, opts);
        // Blocks of 4 rows of the q x q index (uneven last block): the same sums in another order.
        const q = basis.s2.length;
        const blocked = looSharedAlphaGroups(basis.U, basis.s2, Ys, ALPHAS, {
          ...opts,
          blockBytes: 4 * (Ys.length + ALPHAS.length) * q * 8,
        });
        expect(q % 4).not.toBe(0);
        blocked.forEach((g, r) => {
          g.errors.forEach((e, k) => {
            expect(Math.abs(e - together[r].errors[k])).toBeLessThanOrEqual(
              (precision === 'f64' ? 1e-10 : 1e-4) * together[r].errors[k],
            );
          });
        });
        let clearMinima = 0;
        expect(together).toHaveLength(Ys.length);
        Ys.forEach((Y, r) => {
          // The same formula as looSharedAlpha's weighted-gram evaluation: equal up to summation order at every alpha.
          const gramPath = looSharedAlpha(basis.U, basis.s2, Y, ALPHAS, {
            ...opts,
            path: 'weighted-gram',
            native: false,
          });
          const tol = precision === 'f64' ? 1e-9 : 2e-4;
          ALPHAS.forEach((_, k) => {
            expect(Math.abs(together[r].errors[k] - gramPath.errors[k])).toBeLessThanOrEqual(
              tol * gramPath.errors[k] + 1e-12,
            );
          });
          expect(together[r].best).toBe(gramPath.best);
          expect(Array.from(together[r].B.data)).toEqual(Array.from(gramPath.B.data));
          // The direct residuals: the same alpha; equal values where the quadratic form is well conditioned (at
          // alpha -> 0 in a dual both lose digits as 1/alpha, ~3e-7 relative at 1e-8 in float64).
          const direct = looSharedAlpha(basis.U, basis.s2, Y, ALPHAS, { ...opts, path: 'direct' });
          const sorted = [...direct.errors].sort((a, b) => a - b);
          if (sorted[1] / sorted[0] - 1 > 1e-4) {
            expect(together[r].best).toBe(direct.best); // a clear minimum
            clearMinima++;
          }
          ALPHAS.forEach((a, k) => {
            if (a >= 1e-2)
              expect(Math.abs(together[r].errors[k] / direct.errors[k] - 1)).toBeLessThan(
                precision === 'f64' ? 1e-8 : 1e-3,
              );
          });
          if (precision === 'f64' && !c.intercept) {
            for (const k of [6, 9, 12, 15])
              expect(together[r].errors[k]).toBeCloseTo(
                bruteLoo(X, Y, ALPHAS[k], false).reduce((t, e) => t + e, 0) / Y.cols,
                8,
              );
          }
        });
        expect(clearMinima).toBeGreaterThan(0);
      });
    }
  }

  it('fitRidgeCvGroups: searching all groups together gives the alphas and scores of searching each alone', () => {
    const rng = new Rng(3);
    const n = 70;
    const p = 120; // dual
    const X = { rows: n, cols: p, data: Float32Array.from({ length: n * p }, () => Math.max(0, rng.normal())) };
    const v = 40;
    const Y = { rows: n, cols: v, data: new Float32Array(n * v) };
    for (let i = 0; i < n; i++)
      for (let t = 0; t < v; t++) Y.data[i * v + t] = X.data[i * p + t] + X.data[i * p + t + 40] + 0.5 * rng.normal();
    const cols = (a: number, b: number) => Int32Array.from({ length: b - a }, (_, i) => a + i);
    const groups = [
      { name: 'a', columns: cols(0, 15) },
      { name: 'b', columns: cols(10, 40) },
      { name: 'c', columns: cols(0, 40) },
    ];
    for (const preset of ['paper', 'paper-centred'] as const) {
      const opts = { preset, assignment: kFoldAssignment(n, 5, 1) };
      const together = fitRidgeCvGroups(X, Y, groups, { ...opts, groupSearch: 'together' }).groups;
      const alone = fitRidgeCvGroups(X, Y, groups, { ...opts, groupSearch: 'per-group' }).groups;
      together.forEach((g, i) => {
        expect(g.folds.map((f) => f.alpha)).toEqual(alone[i].folds.map((f) => f.alpha));
        g.targetScores.forEach((x, t) => {
          expect(Math.abs(x - alone[i].targetScores[t])).toBeLessThan(1e-6);
        });
      });
      // An interior minimum (not the grid's ends), so the comparison picks among close errors; paper-centred too,
      // whose leave-one-out fits centre without their row (with fixed training means it would interpolate here).
      expect(together.flatMap((g) => g.folds.map((f) => f.alpha)).every((a) => a > 1e-8 && a < 1e8)).toBe(true);
    }
  });

  it('looSharedAlpha: above maxOmegaBytes the weighted-gram path runs blocked with the same result', () => {
    const rng = new Rng(11);
    const X = randn(rng, 40, 90);
    const Y = randn(rng, 40, 30);
    for (let i = 0; i < 40; i++) for (let t = 0; t < 30; t++) Y.data[i * 30 + t] += 2 * X.data[i * 90 + t];
    for (const precision of ['f64', 'f32'] as const) {
      const basis = ridgeBasis({ kind: 'dense', x: X }, { kind: 'dense', x: X }, { precision });
      const Yp = precision === 'f64' ? Y : { rows: 40, cols: 30, data: Float32Array.from(Y.data) };
      const opts = { precision, leverage: basis.leverage, path: 'weighted-gram' as const };
      const whole = looSharedAlpha(basis.U, basis.s2, Yp, ALPHAS, opts);
      const blocked = looSharedAlpha(basis.U, basis.s2, Yp, ALPHAS, { ...opts, maxOmegaBytes: 1 });
      expect(blocked.best).toBe(whole.best);
      blocked.errors.forEach((e, k) => {
        expect(Math.abs(e - whole.errors[k])).toBeLessThanOrEqual(
          (precision === 'f64' ? 1e-9 : 2e-4) * whole.errors[k],
        );
      });
    }
  });

  it('the cost model prefers one search for many large groups of a full-rank dual, not for one group', () => {
    const n = 7900;
    const many = groupSearchCost(n, n, 17, Array(20).fill(1200));
    expect(many.together).toBeLessThan(many.perGroup / 4); // 17 alphas x 20 ROIs of 1,200 voxels: ~5x
    const one = groupSearchCost(n, n, 17, [1200]);
    expect(one.together).toBeGreaterThanOrEqual(one.perGroup);
    const primal = groupSearchCost(n, 2048, 17, Array(20).fill(1200));
    expect(primal.together).toBeLessThan(primal.perGroup);
  });
});
