/**
 * 'paper-centred': the alpha search scores leave-one-out fits that each centre without the left-out row (loo.ts),
 * checked against brute-force refits (test/helpers/brute-loo.ts) on every path that serves the preset: fitRidgeCv
 * (primal and dual, forced forms, float64 and float32, one group and several searched together or alone) and the
 * LOO evaluations themselves (weighted-gram native and TypeScript, direct, all groups together). With units >=
 * training stimuli the search has an interior minimum, where fixed training means interpolate (alpha 1e-8: what
 * scikit-learn does, kept as a fixture in test/fixtures/ridge/parity.json).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { foldIndices, kFoldAssignment } from '../../src/compute/folds';
import { nativeAvailable } from '../../src/compute/linalg/index';
import { type CsrMatrix, type DenseMatrix, csrToDense, takeCols } from '../../src/compute/matrix';
import { Rng } from '../../src/compute/random';
import {
  PAPER_ALPHAS,
  PRESETS,
  type RidgeCvResult,
  fitRidgeCv,
  fitRidgeCvGroups,
  foldSources,
  foldTargets,
  globalSource,
  globalTargets,
  looSharedAlpha,
  looSharedAlphaGroups,
  ridgeBasis,
} from '../../src/compute/ridge/index';
import { type BruteCentredFold, bruteLooCentred, bruteRidgeCvCentred, rowsOf } from '../helpers/brute-loo';
import { fixtureSource, type RidgeFixtureCase } from '../helpers/ridge-fixture';
import { randomCsr } from '../helpers/random';

const SPEC = PRESETS['paper-centred'];
const ALPHAS = [...PAPER_ALPHAS];

/** Latent-factor data: X and Y both driven by 4 latent features, plus noise (no dead units or targets). */
function latentData(rng: Rng, n: number, p: number, v: number): { X: DenseMatrix; Y: DenseMatrix<Float32Array> } {
  const r = 4;
  const Z = Array.from({ length: n * r }, () => rng.normal());
  const A = Array.from({ length: r * p }, () => rng.normal());
  const B = Array.from({ length: r * v }, () => rng.normal());
  const X = new Float32Array(n * p);
  const Y = new Float32Array(n * v);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += Z[i * r + k] * A[k * p + j];
      X[i * p + j] = s + 0.7 * rng.normal();
    }
    for (let t = 0; t < v; t++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += Z[i * r + k] * B[k * v + t];
      Y[i * v + t] = s + 1.5 * rng.normal();
    }
  }
  return { X: { rows: n, cols: p, data: X }, Y: { rows: n, cols: v, data: Y } };
}

/** Sparse latents (k of p per row) whose values carry the targets' signal. */
function sparseData(rng: Rng, n: number, p: number, k: number, v: number) {
  const X = randomCsr(rng, n, p, k);
  const D = csrToDense(X);
  const W = Array.from({ length: p * v }, () => rng.normal());
  const Y = new Float32Array(n * v);
  for (let i = 0; i < n; i++)
    for (let t = 0; t < v; t++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += D.data[i * p + j] * W[j * v + t];
      Y[i * v + t] = s + 3 * rng.normal();
    }
  return { X, Y: { rows: n, cols: v, data: Y } };
}

/** The preset's whole-set step on the kept units, densified in float64 exactly as the fold designs read it. */
function wholeSetDesign(X: DenseMatrix | CsrMatrix, kept: Int32Array): DenseMatrix<Float64Array> {
  const g = globalSource('indptr' in X ? keptCsr(X, kept) : takeCols(X, kept), SPEC);
  // CSR: S + u 1' with S's float32 values, as the sparse source reads it.
  const x = g.kind === 'dense' ? g.x : csrToDense(g.s);
  const out = Float64Array.from(x.data);
  if (g.kind === 'sparse' && g.u)
    for (let i = 0; i < x.rows; i++) for (let j = 0; j < x.cols; j++) out[i * x.cols + j] += g.u[i];
  return { rows: x.rows, cols: x.cols, data: out };
}

/** Columns `kept` of a CSR matrix, renumbered. */
function keptCsr(m: CsrMatrix, kept: Int32Array): CsrMatrix {
  const map = new Map<number, number>();
  for (const [j, c] of kept.entries()) map.set(c, j);
  const indptr = new Int32Array(m.rows + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < m.rows; i++) {
    for (let q = m.indptr[i]; q < m.indptr[i + 1]; q++) {
      const c = map.get(m.indices[q]);
      if (c !== undefined) {
        indices.push(c);
        values.push(m.values[q]);
      }
    }
    indptr[i + 1] = indices.length;
  }
  return {
    rows: m.rows,
    cols: kept.length,
    indptr,
    indices: Int32Array.from(indices),
    values: Float32Array.from(values),
  };
}

/** The brute-force reference of one fit's kept units and the given target columns. */
function reference(
  X: DenseMatrix | CsrMatrix,
  Y: DenseMatrix<Float32Array>,
  res: RidgeCvResult,
  columns: Int32Array,
): BruteCentredFold[] {
  const Xg = wholeSetDesign(X, res.source.kept);
  const Yg = globalTargets(takeCols(Y, columns), SPEC);
  return bruteRidgeCvCentred(Xg, Yg, res.assignment, ALPHAS);
}

/** Alphas equal; LOO errors and test scores within tol (relative / absolute) of the reference. */
function expectMatches(res: RidgeCvResult, ref: BruteCentredFold[], tol: { loo: number; score: number }): void {
  res.folds.forEach((f, k) => {
    expect(f.alpha, `fold ${k}`).toBe(ALPHAS[ref[k].best]);
    ref[k].looErrors.forEach((e, a) => {
      expect(Math.abs(f.looErrors![a] - e)).toBeLessThanOrEqual(tol.loo * e);
    });
    ref[k].scores.forEach((s, t) => {
      expect(Math.abs(f.scores[t] - s)).toBeLessThan(tol.score);
    });
  });
}

const interior = (res: RidgeCvResult) => res.folds.every((f) => f.alpha > ALPHAS[0] && f.alpha < ALPHAS[16]);

const cases = [
  { name: 'dense dual, units > training stimuli', make: () => latentData(new Rng(1), 40, 48, 20), dual: true },
  { name: 'CSR latents, dual', make: () => sparseData(new Rng(2), 40, 90, 16, 6), dual: true },
  {
    name: 'dense primal, units = training stimuli (rank n - 1)',
    make: () => latentData(new Rng(3), 40, 32, 7),
    dual: true,
  },
  { name: 'dense primal, units < training stimuli', make: () => latentData(new Rng(4), 50, 12, 5), dual: false },
];

describe.each(cases)('paper-centred LOO with in-fold centring: $name', ({ make, dual }) => {
  const { X, Y } = make();
  const assignment = kFoldAssignment(X.rows, 5, 42);
  const all = Int32Array.from({ length: Y.cols }, (_, j) => j);
  const base = fitRidgeCv(X, Y, { preset: 'paper-centred', assignment, precision: 'f64' });
  const ref = reference(X, Y, base, all);

  it('float64: the alphas, LOO errors and test scores of brute-force refits within 1e-6', () => {
    expect(base.info.engine).toBe('ts');
    expectMatches(base, ref, { loo: 1e-6, score: 1e-6 });
    if (dual) expect(interior(base)).toBe(true);
  });

  it('the other form (primal <-> dual) gives the same', () => {
    const form = base.folds[0].form === 'primal' ? 'dual' : 'primal';
    const res = fitRidgeCv(X, Y, { preset: 'paper-centred', assignment, precision: 'f64', form });
    expect(res.folds[0].form).toBe(form);
    expectMatches(res, ref, { loo: 1e-6, score: 1e-6 });
  });

  it('float32 products: the same alphas, scores within 1e-4', () => {
    const res = fitRidgeCv(X, Y, { preset: 'paper-centred', assignment, precision: 'f32' });
    expectMatches(res, ref, { loo: 1e-3, score: 1e-4 });
  });

  it('several groups, searched together or one by one: each group as its own reference', () => {
    const v = Y.cols;
    const groups = [
      { name: 'a', columns: Int32Array.from({ length: Math.ceil(v / 2) + 1 }, (_, j) => j) },
      { name: 'b', columns: Int32Array.from({ length: v - 2 }, (_, j) => j + 2) },
    ];
    const refs = groups.map((g) => reference(X, Y, base, g.columns));
    for (const groupSearch of ['together', 'per-group'] as const) {
      const res = fitRidgeCvGroups(X, Y, groups, {
        preset: 'paper-centred',
        assignment,
        precision: 'f64',
        groupSearch,
      });
      res.groups.forEach((g, r) => {
        expectMatches(g, refs[r], { loo: 1e-6, score: 1e-6 });
      });
    }
  });
});

describe('paper-centred LOO evaluations on one fold basis', () => {
  const { X, Y } = latentData(new Rng(5), 40, 48, 20);
  const assignment = kFoldAssignment(40, 5, 7);
  const { train, test } = foldIndices(assignment, 0);
  const gX = globalSource(X, SPEC);
  const gY = globalTargets(Y, SPEC);
  const ref = (() => {
    const xs = rowsOf(gX.kind === 'dense' ? gX.x : X);
    const ys = rowsOf(gY);
    const Xt = Array.from(train, (i) => xs[i]);
    const Yt = Array.from(train, (i) => ys[i]);
    return ALPHAS.map((a) => bruteLooCentred(Xt, Yt, a).reduce((s, e) => s + e, 0) / Y.cols);
  })();

  for (const precision of ['f64', 'f32'] as const) {
    for (const form of ['dual', 'primal'] as const) {
      it(`${form}, ${precision}: weighted-gram (native and TypeScript), direct and all groups together`, () => {
        const src = foldSources(gX, SPEC, train, test, precision);
        const tgt = foldTargets(gY, SPEC, train, test, precision);
        const basis = ridgeBasis(src.train, src.test, { form, precision });
        expect(basis.s2.length).toBe(train.length - 1);
        const opts = { intercept: true, precision, leverage: basis.leverage };
        const runs = [
          looSharedAlpha(basis.U, basis.s2, tgt.train, ALPHAS, { ...opts, path: 'weighted-gram', native: false }),
          looSharedAlpha(basis.U, basis.s2, tgt.train, ALPHAS, { ...opts, path: 'direct' }),
          looSharedAlphaGroups(basis.U, basis.s2, [tgt.train], ALPHAS, opts)[0],
        ];
        if (nativeAvailable())
          runs.push(looSharedAlpha(basis.U, basis.s2, tgt.train, ALPHAS, { ...opts, path: 'weighted-gram' }));
        const tol = precision === 'f64' ? 1e-6 : 1e-5;
        const best = ref.indexOf(Math.min(...ref));
        expect(best).toBeGreaterThan(0);
        for (const r of runs) {
          expect(r.best).toBe(best);
          ref.forEach((e, k) => {
            expect(Math.abs(r.errors[k] - e)).toBeLessThanOrEqual(tol * e);
          });
        }
      });
    }
  }
});

describe('what scikit-learn does: RidgeCV(fit_intercept=False) on the pre-centred columns (parity.json)', () => {
  interface Fold {
    precentred: { alpha: number; loo: number[] };
  }
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/ridge/parity.json', import.meta.url), 'utf8')) as {
    cases: (RidgeFixtureCase & { folds: Fold[] })[];
  };
  const centredCases = fixture.cases.filter((c) => c.preset === 'paper-centred');

  it.each(centredCases.map((c) => [c.name, c] as const))(
    '%s: the LOO of fixed training means reproduces it; paper-centred differs where units >= training stimuli',
    (_name, c) => {
      const Y = { rows: c.n, cols: c.v, data: Float32Array.from(c.Y) };
      const assignment = Int32Array.from(c.assignment);
      const X = fixtureSource(c);
      const res = fitRidgeCv(X, Y, { preset: 'paper-centred', assignment, alphas: c.alphas, precision: 'f64' });
      const gX = globalSource('indptr' in X ? keptCsr(X, res.source.kept) : takeCols(X, res.source.kept), SPEC);
      const gY = globalTargets(takeCols(Y, Int32Array.from(c.keptY)), SPEC);
      c.folds.forEach((ref, f) => {
        const { train, test } = foldIndices(assignment, f);
        const src = foldSources(gX, SPEC, train, test, 'f64');
        const tgt = foldTargets(gY, SPEC, train, test, 'f64');
        const basis = ridgeBasis(src.train, src.test, { precision: 'f64' });
        const fixed = looSharedAlpha(basis.U, basis.s2, tgt.train, c.alphas, { leverage: basis.leverage });
        expect(c.alphas[fixed.best]).toBe(ref.precentred.alpha);
        ref.precentred.loo.forEach((e, k) => {
          expect(Math.abs(fixed.errors[k] - e)).toBeLessThanOrEqual(1e-4 * e + 1e-9);
        });
        const units = res.source.kept.length;
        if (units >= train.length) {
          expect(ref.precentred.alpha).toBe(1e-8); // the degenerate choice
          expect(res.folds[f].alpha).toBeGreaterThan(1e-8);
        }
      });
    },
  );
});
