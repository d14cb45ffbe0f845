/**
 * Exact LOO for every alpha (ridge-loo.md) against brute-force leave-one-out refits, primal and dual, with and
 * without intercept, shared and per-target; the 1 - h_ii clamp; first-minimum ties; sparse sources' products
 * against their densified equivalents; preprocessing.
 */
import { describe, expect, it } from 'vitest';
import { type DenseMatrix, csrToDense } from '../../src/compute/matrix';
import { rowLayerNorm, zscoreColumns } from '../../src/compute/preprocess';
import { Rng } from '../../src/compute/random';
import {
  LOO_DENOM_TOL,
  looDenominators,
  looPerTargetAlpha,
  looSharedAlpha,
  ridgeBasis,
} from '../../src/compute/ridge/index';
import { csrRowLayerNorm, foldSources, PRESETS } from '../../src/compute/ridge/presets';
import { type Source, sourceCross, sourceGramCols, sourceTimes } from '../../src/compute/ridge/source';
import { bruteLoo } from '../helpers/brute-loo';
import { centred, randn, randomCsr } from '../helpers/random';

const ALPHAS = Array.from({ length: 17 }, (_, i) => 10 ** (i - 8));

const dense = (x: DenseMatrix): Source => ({ kind: 'dense', x });

describe('exact LOO vs brute-force refits', () => {
  for (const [label, n, p, intercept] of [
    ['primal', 14, 5, false],
    ['dual', 8, 20, false],
    ['primal + intercept', 14, 5, true],
    ['dual + intercept', 9, 20, true],
  ] as const) {
    it(label, () => {
      const rng = new Rng(n * 100 + p);
      let X = randn(rng, n, p);
      let Y = randn(rng, n, 3);
      if (intercept) {
        X = centred(X);
        Y = centred(Y);
      }
      const basis = ridgeBasis(dense(X), dense(X), { precision: 'f64' });
      expect(basis.mode).toBe(p <= n ? 'primal' : 'dual');
      const shared = looSharedAlpha(basis.U, basis.s2, Y, ALPHAS, { intercept, precision: 'f64' });
      const per = looPerTargetAlpha(basis.U, basis.s2, Y, ALPHAS, { intercept, precision: 'f64' });
      for (let k = 4; k < ALPHAS.length; k++) {
        const brute = bruteLoo(X, Y, ALPHAS[k], intercept);
        const mean = brute.reduce((s, e) => s + e, 0) / brute.length;
        expect(shared.errors[k]).toBeCloseTo(mean, 8);
        brute.forEach((e, t) => {
          expect(per.errors[k * 3 + t]).toBeCloseTo(e, 8);
        });
      }
      let best = 0;
      for (let k = 1; k < ALPHAS.length; k++) if (shared.errors[k] < shared.errors[best]) best = k;
      expect(shared.best).toBe(best);
    });
  }

  it('clamps 1 - h_ii for a sample with leverage ~1 at tiny alphas', () => {
    const rng = new Rng(7);
    const n = 12;
    const X = randn(rng, n, 4);
    // Column 4 is non-zero only for sample 0 and large: h_00 -> 1 - 1e-14 at alpha 1e-8.
    const Xl: DenseMatrix<Float64Array> = { rows: n, cols: 5, data: new Float64Array(n * 5) };
    for (let i = 0; i < n; i++) for (let j = 0; j < 4; j++) Xl.data[i * 5 + j] = X.data[i * 4 + j];
    Xl.data[4] = 1000;
    const Y = randn(rng, n, 2);
    const basis = ridgeBasis(dense(Xl), dense(Xl), { precision: 'f64' });
    const den = looDenominators(basis.U, basis.s2, ALPHAS, false);
    expect(den[0]).toBe(LOO_DENOM_TOL); // sample 0 at alpha 1e-8 hit the clamp
    for (const d of den) expect(d).toBeGreaterThanOrEqual(LOO_DENOM_TOL);
    const r = looSharedAlpha(basis.U, basis.s2, Y, ALPHAS, { precision: 'f64' });
    for (const e of r.errors) expect(Number.isFinite(e)).toBe(true);
    // Away from the clamp the exact formula still equals the brute force.
    for (let k = 8; k < ALPHAS.length; k++) {
      const brute = bruteLoo(Xl, Y, ALPHAS[k], false);
      expect(r.errors[k]).toBeCloseTo((brute[0] + brute[1]) / 2, 7);
    }
  });

  it('takes the first minimum on ties', () => {
    const rng = new Rng(3);
    const X = randn(rng, 10, 3);
    const basis = ridgeBasis(dense(X), dense(X), { precision: 'f64' });
    const zeros: DenseMatrix = { rows: 10, cols: 2, data: new Float64Array(20) };
    expect(looSharedAlpha(basis.U, basis.s2, zeros, ALPHAS).best).toBe(0);
    const Y = randn(rng, 10, 2);
    const r = looSharedAlpha(basis.U, basis.s2, Y, [5, 1, 1, 5]);
    expect(r.errors[1]).toBe(r.errors[2]);
    expect(r.errors[0]).toBe(r.errors[3]);
    expect(r.best).toBe(r.errors[1] < r.errors[0] ? 1 : 0);
    expect(Array.from(looPerTargetAlpha(basis.U, basis.s2, Y, [1, 1, 1]).best)).toEqual([0, 0]);
  });

  it('uses the direct path when targets are fewer than the rank, with the same result', () => {
    const rng = new Rng(11);
    const X = randn(rng, 30, 12);
    const Y = randn(rng, 30, 30);
    const basis = ridgeBasis(dense(X), dense(X), { precision: 'f64' });
    const quad = looSharedAlpha(basis.U, basis.s2, Y, ALPHAS, { precision: 'f64' });
    const Ys: DenseMatrix = { rows: 30, cols: 5, data: new Float64Array(150) };
    for (let i = 0; i < 30; i++) for (let t = 0; t < 5; t++) Ys.data[i * 5 + t] = Y.data[i * 30 + t];
    const direct = looSharedAlpha(basis.U, basis.s2, Ys, ALPHAS, { precision: 'f64' });
    expect(quad.path).toBe('weighted-gram');
    const forced = looSharedAlpha(basis.U, basis.s2, Y, ALPHAS, { precision: 'f64', path: 'direct' });
    for (let k = 0; k < ALPHAS.length; k++) expect(forced.errors[k]).toBeCloseTo(quad.errors[k], 10);
    const forcedGram = looSharedAlpha(basis.U, basis.s2, Ys, ALPHAS, { precision: 'f64', path: 'weighted-gram' });
    expect(direct.path).toBe('direct');
    const per = looPerTargetAlpha(basis.U, basis.s2, Ys, ALPHAS, { precision: 'f64' });
    for (let k = 0; k < ALPHAS.length; k++) {
      let m = 0;
      for (let t = 0; t < 5; t++) m += per.errors[k * 5 + t] / 5;
      expect(direct.errors[k]).toBeCloseTo(m, 10);
      expect(forcedGram.errors[k]).toBeCloseTo(m, 10);
    }
  });
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('sparse sources equal their densified transforms', () => {
  const rng = new Rng(5);
  const S = randomCsr(rng, 40, 25, 4);
  const D = csrToDense(S);
  const train = Int32Array.from([...Array(40).keys()].filter((i) => i % 4 !== 1));
  const test = Int32Array.from([...Array(40).keys()].filter((i) => i % 4 === 1));
  for (const preset of ['paper', 'paper-centred', 'encoding'] as const) {
    it(preset, () => {
      const spec = PRESETS[preset];
      const gs = spec.rowLn
        ? { kind: 'sparse' as const, ...csrRowLayerNorm(S) }
        : { kind: 'sparse' as const, s: S, u: null };
      const gd = { kind: 'dense' as const, x: spec.rowLn ? rowLayerNorm(D) : D };
      const sp = foldSources(gs, spec, train, test, 'f64');
      const de = foldSources(gd, spec, train, test, 'f64');
      const V: DenseMatrix = randn(rng, 25, 3);
      const scale = 1 + Math.max(...Array.from(sourceGramCols(de.train).data, Math.abs));
      expect(maxDiff(sourceGramCols(sp.train).data, sourceGramCols(de.train).data) / scale).toBeLessThan(1e-6);
      expect(maxDiff(sourceCross(sp.train, sp.train).data, sourceCross(de.train, de.train).data) / scale).toBeLessThan(
        1e-6,
      );
      expect(maxDiff(sourceCross(sp.test, sp.train).data, sourceCross(de.test, de.train).data) / scale).toBeLessThan(
        1e-6,
      );
      expect(maxDiff(sourceTimes(sp.test, V, 'f64').data, sourceTimes(de.test, V, 'f64').data)).toBeLessThan(1e-4);
    });
  }
});

describe('preprocessing', () => {
  it('row LN uses the n-1 sd plus 1e-5; z-score uses training statistics', () => {
    const X: DenseMatrix = { rows: 2, cols: 4, data: Float32Array.from([1, 2, 3, 4, 5, 5, 5, 5]) };
    const L = rowLayerNorm(X);
    const sd = Math.sqrt(((1.5 ** 2 + 0.5 ** 2) * 2) / 3);
    expect(L.data[0]).toBeCloseTo(-1.5 / (sd + 1e-5), 6);
    expect(L.data[3]).toBeCloseTo(1.5 / (sd + 1e-5), 6);
    expect(Array.from(L.data.subarray(4))).toEqual([0, 0, 0, 0]);
    const Z = zscoreColumns({ rows: 3, cols: 1, data: Float32Array.from([1, 3, 10]) }, [0, 1], [0, 1, 2]);
    expect(Array.from(Z.data)).toEqual([-1, 1, 8]);
  });
});
