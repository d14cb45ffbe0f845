/**
 * src/compute/stats against scipy/numpy (test/fixtures/stats/gen_stats.py): t intervals and t-tests,
 * Wilcoxon signed-rank with scipy's current defaults, BH q-values and Holm, the paired stimulus bootstrap on
 * the fixture's own resample indices, and sign-flip permutation p-values by exact enumeration.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DenseMatrix } from '../../src/compute/matrix';
import {
  bhQValues,
  bootstrapDifferences,
  holmAdjusted,
  pairedCell,
  signFlipTest,
  stimulusDifferences,
  tSummary,
  wilcoxonSignedRank,
  type HeldOutFold,
  type Resample,
} from '../../src/compute/stats/index';

const fx = JSON.parse(readFileSync(new URL('../fixtures/stats/stats.json', import.meta.url), 'utf8'));

/** Relative closeness (scipy 1.10 and 1.17 t quantiles differ in the 11th digit). */
function close(actual: number, expected: number, rel = 1e-9, abs = 1e-12) {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(abs + rel * Math.abs(expected));
}

function matrix(rows: number[][]): DenseMatrix<Float32Array> {
  return { rows: rows.length, cols: rows[0].length, data: Float32Array.from(rows.flat()) };
}

function folds(c: { folds: { a: number[][]; b: number[][]; y: number[][] }[] }): HeldOutFold[] {
  return c.folds.map((f) => ({ a: matrix(f.a), b: matrix(f.b), y: matrix(f.y) }));
}

describe('tSummary vs scipy.stats.ttest_1samp (and the Nadeau-Bengio formula with scipy t)', () => {
  for (const c of fx.tSummary) {
    it(`n=${c.x.length}`, () => {
      const s = tSummary(c.x);
      close(s.mean, c.mean);
      close(s.sem, c.sem);
      expect(s.df).toBe(c.df);
      // interval ends near 0: tolerance relative to the half-width (t quantiles of scipy 1.10 and 1.17 differ
      // in the 11th digit)
      const hw = 1e-9 * (c.upper - c.lower);
      close(s.lower, c.lower, 1e-9, hw);
      close(s.upper, c.upper, 1e-9, hw);
      close(s.t, c.t);
      close(s.p, c.p);
      const cc = tSummary(c.x, 0.95, c.corrected.correction);
      close(cc.sem, c.corrected.sem);
      close(cc.lower, c.corrected.lower, 1e-9, hw);
      close(cc.upper, c.corrected.upper, 1e-9, hw);
      close(cc.t, c.corrected.t);
      close(cc.p, c.corrected.p);
      const s90 = tSummary(c.x, 0.9);
      close(s90.lower, c.lower90, 1e-9, hw);
      close(s90.upper, c.upper90, 1e-9, hw);
    });
  }
  it('is undefined below two values and ignores NaN', () => {
    expect(Number.isNaN(tSummary([0.3]).lower)).toBe(true);
    const c = fx.tSummary[0];
    close(tSummary([...c.x, NaN]).upper, c.upper);
  });
});

describe('wilcoxonSignedRank vs scipy.stats.wilcoxon (defaults)', () => {
  for (const c of fx.wilcoxon) {
    it(c.name, () => {
      const r = wilcoxonSignedRank(c.d);
      expect(r.method).toBe(c.method);
      expect(r.statistic).toBe(c.statistic);
      close(r.p, c.p, 1e-10);
    });
  }
});

describe('multiple comparisons', () => {
  it('BH q-values match scipy.stats.false_discovery_control / the numpy definition', () => {
    const q = bhQValues(fx.multiple.p);
    fx.multiple.bh.forEach((v: number, i: number) => {
      close(q[i], v, 1e-12);
    });
  });
  it('Holm adjusted p match the numpy definition', () => {
    const h = holmAdjusted(fx.multiple.p);
    fx.multiple.holm.forEach((v: number, i: number) => {
      close(h[i], v, 1e-12);
    });
  });
  it('leaves NaN out of m and keeps it NaN', () => {
    const p = [0.01, NaN, 0.04, 0.03];
    const q = bhQValues(p);
    expect(Number.isNaN(q[1])).toBe(true);
    close(q[0], 0.03);
    close(q[2], 0.04);
    close(q[3], 0.04);
    const h = holmAdjusted(p);
    close(h[0], 0.03);
    close(h[3], 0.06);
    close(h[2], 0.06);
  });
});

describe('paired cell vs numpy', () => {
  for (const c of fx.paired) {
    for (const kind of ['cosine', 'pearson'] as const) {
      it(`${c.name}, ${kind}: fold scores, fold t interval, bootstrap on the fixture's indices`, () => {
        const e = c[kind];
        const f = folds(c);
        const resamples: Resample[] = c.resamples.map((r: number[][]) => r.map((idx) => Int32Array.from(idx)));
        const reps = bootstrapDifferences(f, kind, resamples);
        e.replicates.forEach((v: number, i: number) => {
          close(reps[i], v, 1e-6, 1e-7);
        });
        const cell = pairedCell(f, { kind, resamples });
        close(cell.a, e.a, 1e-6, 1e-7);
        close(cell.b, e.b, 1e-6, 1e-7);
        close(cell.difference, e.difference, 1e-6, 1e-7);
        e.foldDifferences.forEach((v: number, k: number) => {
          close(cell.foldDifferences[k], v, 1e-6, 1e-7);
        });
        close(cell.foldCi.lower, e.foldLower, 1e-5, 1e-7);
        close(cell.foldCi.upper, e.foldUpper, 1e-5, 1e-7);
        close(cell.foldCi.p, e.foldP, 1e-5, 1e-7);
        close(cell.foldCiCorrected.lower, e.foldCorrectedLower, 1e-5, 1e-7);
        close(cell.foldCiCorrected.upper, e.foldCorrectedUpper, 1e-5, 1e-7);
        close(cell.foldCiCorrected.p, e.foldCorrectedP, 1e-5, 1e-7);
        close(cell.bootstrapCi.lower, e.bootLower, 1e-6, 1e-7);
        close(cell.bootstrapCi.upper, e.bootUpper, 1e-6, 1e-7);
        close(cell.bootstrapCi.se, e.bootSe, 1e-5, 1e-7);
        expect(cell.bootstrapCi.nResamples).toBe(c.resamples.length);
        expect(cell.bootstrapCi.seed).toBeNull();
        expect(cell.nStimuli).toBe(c.folds.reduce((s: number, g: { y: unknown[] }) => s + g.y.length, 0));
        const w = stimulusDifferences(f, kind);
        e.weights.forEach((v: number, i: number) => {
          close(w[i], v, 1e-6, 1e-8);
        });
        // the per-stimulus terms add up to the difference
        close(
          w.reduce((s, v) => s + v, 0),
          e.difference,
          1e-9,
          1e-9,
        );
        if (e.permutationP !== undefined) {
          expect(cell.permutation.exact).toBe(true);
          expect(cell.permutation.nPermutations).toBe(2 ** w.length);
          close(cell.p, e.permutationP, 1e-12);
        }
      });
    }
  }
});

describe('signFlipTest vs scipy.stats.permutation_test (exact enumeration)', () => {
  for (const c of fx.signFlip) {
    it(`n=${c.x.length}`, () => {
      const r = signFlipTest(c.x);
      expect(r.exact).toBe(true);
      close(r.p, c.p, 1e-12);
    });
  }
});
