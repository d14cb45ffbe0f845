/**
 * Properties of src/compute/stats that the scipy fixtures do not pin: resampled-row scores equal scores of the
 * copied rows, resamples regenerate from their seed, the Monte Carlo permutation p approaches the exact one.
 */
import { describe, expect, it } from 'vitest';
import { columnScores, nanMean } from '../../src/compute/correlation';
import { type DenseMatrix, takeRows } from '../../src/compute/matrix';
import { Rng } from '../../src/compute/random';
import {
  acrossSubjects,
  bootstrapDifferences,
  bootstrapResamples,
  pairedCell,
  signFlipTest,
  type HeldOutFold,
} from '../../src/compute/stats/index';

function randomMatrix(rng: Rng, rows: number, cols: number, shift = 0): DenseMatrix<Float32Array> {
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() + shift;
  return { rows, cols, data };
}

function randomFolds(seed: number, sizes: number[], t: number): HeldOutFold[] {
  const rng = new Rng(seed);
  return sizes.map((m) => {
    const y = randomMatrix(rng, m, t);
    const a = randomMatrix(rng, m, t);
    const b = randomMatrix(rng, m, t);
    for (let i = 0; i < y.data.length; i++) b.data[i] += y.data[i];
    return { a, b, y };
  });
}

describe('stats library', () => {
  it('bootstrapDifferences (moment sums as one GEMM) equals columnScores on the copied resampled rows', () => {
    const folds = randomFolds(8, [30, 25], 5).map((f) => {
      // shifted columns (exercise the Pearson centring) and one constant prediction column (NaN score)
      const a = { ...f.a, data: f.a.data.map((v) => v + 3) };
      for (let i = 0; i < a.rows; i++) a.data[i * a.cols + 4] = 1;
      return { ...f, a };
    });
    const resamples = [...bootstrapResamples([30, 25], 15, 5)];
    for (const kind of ['cosine', 'pearson'] as const) {
      const got = bootstrapDifferences(folds, kind, resamples);
      resamples.forEach((rs, r) => {
        let want = 0;
        folds.forEach((f, k) => {
          const y = takeRows(f.y, rs[k]);
          want +=
            nanMean(columnScores(takeRows(f.b, rs[k]), y, kind)) - nanMean(columnScores(takeRows(f.a, rs[k]), y, kind));
        });
        expect(got[r]).toBeCloseTo(want / folds.length, 6);
      });
    }
  });

  it('resamples regenerate from {seed, nResamples, foldSizes} and stay inside each fold', () => {
    const sizes = [5, 7, 6];
    const one = [...bootstrapResamples(sizes, 20, 42)];
    const two = [...bootstrapResamples(sizes, 20, 42)];
    const other = [...bootstrapResamples(sizes, 20, 43)];
    expect(one.map((r) => r.map((f) => Array.from(f)))).toEqual(two.map((r) => r.map((f) => Array.from(f))));
    expect(one.map((r) => r.map((f) => Array.from(f)))).not.toEqual(other.map((r) => r.map((f) => Array.from(f))));
    for (const r of one)
      r.forEach((f, k) => {
        f.forEach((i) => {
          expect(i >= 0 && i < sizes[k]).toBe(true);
        });
      });

    const folds = randomFolds(1, sizes, 4);
    const seeded = pairedCell(folds, { kind: 'pearson', nResamples: 20, seed: 42 });
    const explicit = pairedCell(folds, { kind: 'pearson', resamples: one });
    expect(seeded.bootstrapCi.lower).toBe(explicit.bootstrapCi.lower);
    expect(seeded.bootstrapCi.upper).toBe(explicit.bootstrapCi.upper);
    expect(seeded.bootstrapCi).toMatchObject({ nResamples: 20, seed: 42 });
  });

  it('a cell reports a = mean of fold scores and a paired difference b - a', () => {
    const folds = randomFolds(5, [20, 20, 20, 20, 20], 6);
    const cell = pairedCell(folds, { kind: 'cosine', nResamples: 200 });
    const fa = folds.map((f) => nanMean(columnScores(f.a, f.y, 'cosine')));
    expect(cell.a).toBeCloseTo(nanMean(fa), 12);
    expect(cell.difference).toBeCloseTo(cell.b - cell.a, 12);
    // b = a-noise + y: clearly better, so both intervals sit above 0 and the permutation rejects
    expect(cell.bootstrapCi.lower).toBeGreaterThan(0);
    expect(cell.foldCi.lower).toBeGreaterThan(0);
    expect(cell.p).toBeLessThan(0.001);
    expect(cell.permutation.exact).toBe(false);
    expect(cell.nStimuli).toBe(100);
  });

  it('Monte Carlo sign-flip p is seeded and close to the exact p', () => {
    const rng = new Rng(9);
    const x = Array.from({ length: 16 }, () => rng.normal() + 0.4);
    const exact = signFlipTest(x, { nPermutations: 2 ** 16 });
    expect(exact.exact).toBe(true);
    const mc = signFlipTest(x, { nPermutations: 9999, seed: 7 });
    expect(mc.exact).toBe(false);
    expect(signFlipTest(x, { nPermutations: 9999, seed: 7 }).p).toBe(mc.p);
    // binomial SE of a Monte Carlo p near 0.05 with 9999 draws is ~0.003
    expect(Math.abs(mc.p - exact.p)).toBeLessThan(0.015);
  });

  it('across subjects counts wins and reports both tests', () => {
    const r = acrossSubjects([0.02, 0.03, -0.01, 0.05, 0.04, 0.01, 0, 0.02]);
    expect(r).toMatchObject({ wins: 6, losses: 1, ties: 1 });
    expect(r.summary.n).toBe(8);
    expect(r.wilcoxon.method).toBe('permutation'); // a zero difference: scipy's rule
    expect(r.summary.p).toBeLessThan(0.05);
  });
});
