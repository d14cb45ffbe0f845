/**
 * The device fold with several target groups (ROIs): one call per fold forms the decomposition once and gives
 * every group its own LOO alpha (native/src/fold.c), run here on host BLAS (engine 'host', the device fold's
 * orchestration without a GPU). Reference: the TypeScript path in float64, whose groups are fitted exactly as
 * fitRidgeCv alone would (cv.ts). Same alphas in every fold and group, scores within 1e-6, LOO errors within
 * 2e-5 relative (1e-6 of the curve's largest at least), one decomposition per fold; the B B' stack taken in chunks gives the same result.
 */
import { describe, expect, it } from 'vitest';
import { kFoldAssignment } from '../../src/compute/folds';
import { nativeAvailable } from '../../src/compute/linalg/index';
import type { CsrMatrix, DenseMatrix } from '../../src/compute/matrix';
import { Rng } from '../../src/compute/random';
import {
  fitRidgeCvGroups,
  type RidgeCvGroupsResult,
  type RidgeCvOptions,
  type TargetGroup,
} from '../../src/compute/ridge/index';
import { runDeviceFold } from '../../src/compute/ridge/device-fold';
import { randomCsr } from '../helpers/random';

const rng = new Rng(23);
function dense(n: number, p: number): DenseMatrix<Float32Array> {
  const d = new Float32Array(n * p);
  for (let i = 0; i < d.length; i++) d[i] = Math.max(0, rng.normal() + 0.3);
  return { rows: n, cols: p, data: d };
}
const csr = (n: number, p: number, k: number): CsrMatrix => randomCsr(rng, n, p, k);

/**
 * Targets in groups of the given widths: a read-out of a few units plus noise whose level differs by group, so
 * that the groups' best alphas differ (a shared search that mixed them up would show).
 */
function groupedTargets(X: DenseMatrix | CsrMatrix, widths: readonly number[]) {
  const v = widths.reduce((a, b) => a + b, 0);
  const Y = new Float32Array(X.rows * v);
  const row = new Float32Array(X.cols);
  const groups: TargetGroup[] = [];
  let c0 = 0;
  widths.forEach((w, g) => {
    groups.push({ name: `roi${g}`, columns: Int32Array.from({ length: w }, (_, j) => c0 + j) });
    c0 += w;
  });
  for (let i = 0; i < X.rows; i++) {
    row.fill(0);
    if ('indptr' in X) for (let q = X.indptr[i]; q < X.indptr[i + 1]; q++) row[X.indices[q]] = X.values[q];
    else row.set(X.data.subarray(i * X.cols, (i + 1) * X.cols));
    let t = 0;
    widths.forEach((w, g) => {
      const noise = [0.2, 3, 20, 1][g % 4];
      for (let j = 0; j < w; j++, t++) {
        let y = noise * rng.normal();
        for (let u = 0; u < 10; u++) y += row[(u * 5 + t) % X.cols] * (((u + t) % 3) - 1);
        Y[i * v + t] = y;
      }
    });
  }
  return { Y: { rows: X.rows, cols: v, data: Y } as DenseMatrix<Float32Array>, groups };
}

function expectSameGroups(ref: RidgeCvGroupsResult, dev: RidgeCvGroupsResult): void {
  ref.groups.forEach((a, g) => {
    const b = dev.groups[g];
    expect(
      b.folds.map((f) => f.alpha),
      `group ${g}`,
    ).toEqual(a.folds.map((f) => f.alpha));
    a.folds.forEach((fa, f) => {
      const fb = b.folds[f];
      expect(fb.rank).toBe(fa.rank);
      for (let t = 0; t < fa.scores.length; t++)
        expect(Math.abs(fb.scores[t] - fa.scores[t])).toBeLessThanOrEqual(1e-6);
      // Relative to the curve's largest error: near interpolation (dual, small alpha) an error of ~1e-12 differs
      // by float64 summation order alone.
      const scale = Math.max(...fa.looErrors!.map(Math.abs));
      for (let k = 0; k < fa.looErrors!.length; k++) {
        const d = Math.abs(fb.looErrors![k] - fa.looErrors![k]);
        expect(d).toBeLessThanOrEqual(2e-5 * Math.max(Math.abs(fa.looErrors![k]), 1e-6 * scale));
      }
    });
  });
}

const cases: { name: string; X: () => DenseMatrix | CsrMatrix; widths: number[]; form?: 'primal' | 'dual' }[] = [
  { name: 'dense primal, weighted-Gram search', X: () => dense(150, 24), widths: [6, 14, 3, 9] },
  { name: 'dense primal, direct residuals (units > 2 x targets)', X: () => dense(150, 60), widths: [4, 2, 7] },
  { name: 'dense dual (units > training rows)', X: () => dense(90, 140), widths: [30, 50, 20] },
  { name: 'CSR latents, dual', X: () => csr(90, 120, 40), widths: [5, 8, 3] },
  { name: 'CSR latents, primal, weighted-Gram', X: () => csr(160, 30, 12), widths: [12, 20, 9] },
];

describe.runIf(nativeAvailable()).each(cases)('device fold over several ROIs (host BLAS): $name', (c) => {
  const X = c.X();
  const { Y, groups } = groupedTargets(X, c.widths);
  const assignment = kFoldAssignment(X.rows, 5, 2);
  it.each(['paper', 'centred-own-means', 'unit-norm-columns'] as const)(
    "%s: one decomposition per fold, each group's alphas and scores as the CPU path",
    (preset) => {
      const base: RidgeCvOptions = { preset, assignment, form: c.form };
      const ref = fitRidgeCvGroups(X, Y, groups, { ...base, engine: 'ts', precision: 'f64' });
      const dev = fitRidgeCvGroups(X, Y, groups, { ...base, engine: 'host' });
      expect(dev.decompositions).toBe(5);
      expect(dev.groups[0].info.engine).toBe('host');
      expectSameGroups(ref, dev);
      const chunked = fitRidgeCvGroups(X, Y, groups, { ...base, engine: 'host', deviceStackBytes: 1 });
      expectSameGroups(ref, chunked);
    },
  );
  it('the groups do not all pick one alpha (the test would not see a mixed-up search otherwise)', () => {
    const dev = fitRidgeCvGroups(X, Y, groups, { preset: 'paper', assignment, engine: 'host' });
    expect(new Set(dev.groups.map((g) => g.folds[0].alpha)).size).toBeGreaterThan(1);
  });
});

describe.runIf(nativeAvailable())('ridgeFold groups argument', () => {
  const X = dense(40, 8);
  const train = { kind: 'dense' as const, x: { ...X, rows: 30, data: X.data.subarray(0, 30 * 8) } };
  const test = { kind: 'dense' as const, x: { ...X, rows: 10, data: X.data.subarray(30 * 8) } };
  const Y = { rows: 30, cols: 5, data: new Float32Array(150).map(() => rng.normal()) };
  it('reports the chunks of the B B` stack and one alpha per group', () => {
    const one = runDeviceFold('host', train as never, test as never, Y, [0.1, 1, 10], 'auto', {
      ends: Int32Array.from([2, 5]),
    });
    expect(one.chunks).toBe(1);
    expect(one.best.length).toBe(2);
    expect(one.errors.length).toBe(6);
    const chunked = runDeviceFold('host', train as never, test as never, Y, [0.1, 1, 10], 'auto', {
      ends: Int32Array.from([2, 5]),
      stackBytes: 1,
    });
    expect(chunked.chunks).toBe(2);
    expect(Array.from(chunked.best)).toEqual(Array.from(one.best));
  });
  it.each([
    [[2, 2, 5], /strictly increasing/],
    [[3, 4], /last group must end at targets/],
    [[0, 5], /strictly increasing/],
  ])('rejects group ends %j', (ends, message) => {
    const groups = { ends: Int32Array.from(ends) };
    expect(() => runDeviceFold('host', train as never, test as never, Y, [1], 'auto', groups)).toThrow(message);
  });
});
