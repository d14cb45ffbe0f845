/**
 * Compute-only fidelity items of issue 12 against numpy / scikit-learn / scipy fixtures:
 * folds over the activation file's order (item 5), noise-ceiling normalisation (item 7), RSA over all stimuli and
 * debiased linear CKA (item 8), ridge weights per unit over an ROI (item 11).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kFoldAssignmentOrdered } from '../../src/compute/folds';
import { wholeSetMetric } from '../../src/compute/metrics/cross-validate';
import { linearCka } from '../../src/compute/metrics/similarity';
import { kFoldAssignment } from '../../src/compute/folds';
import { Rng } from '../../src/compute/random';
import { fitRidgeCv, normaliseByNoiseCeiling } from '../../src/compute/ridge/cv';
import { ridgeWeightsSummary } from '../../src/compute/ridge/weights';

const load = (p: string) => JSON.parse(readFileSync(join(__dirname, '../fixtures', p), 'utf8'));

describe("folds: order 'activations' is KFold over the activation rows in file order", () => {
  const fx = load('folds/order.json');
  it("'activations': KFold(5, shuffle=True, random_state=42) over the evaluated rows in file order", () => {
    expect(Array.from(kFoldAssignmentOrdered(fx.evaluated, fx.fileIds, 5, 42, 'activations'))).toEqual(fx.activations);
  });
  it("'nsdId': KFold over ascending ids, whatever the file order; the two differ", () => {
    expect(Array.from(kFoldAssignmentOrdered(fx.evaluated, fx.fileIds, 5, 42, 'nsdId'))).toEqual(fx.nsdId);
    expect(fx.nsdId).not.toEqual(fx.activations);
  });
  it('an evaluated id without an activation row is named', () => {
    expect(() => kFoldAssignmentOrdered([...fx.evaluated, 5], fx.fileIds, 5, 42, 'activations')).toThrow(
      /stimulus id 5 /,
    );
  });
});

describe('RSA over all stimuli and linear CKA, biased and debiased (Song et al. 2012)', () => {
  const fx = load('metrics/whole_set.json');
  const X = { rows: fx.n, cols: fx.p, data: Float64Array.from(fx.X) };
  const Y = { rows: fx.n, cols: fx.q, data: Float64Array.from(fx.Y) };
  it('wholeSetMetric rsa / cka / cka-debiased equal the scipy / Gram-matrix references', () => {
    expect(wholeSetMetric('rsa', X, Y).score).toBeCloseTo(fx.rsa, 9);
    expect(wholeSetMetric('cka', X, Y).score).toBeCloseTo(fx.cka, 9);
    expect(wholeSetMetric('cka-debiased', X, Y).score).toBeCloseTo(fx.ckaDebiased, 9);
    expect(wholeSetMetric('rsa', X, Y).keptSource.length).toBe(fx.p - 1); // the dead unit
  });
  it('the debiased form gives the same value through the stimulus-space and unit-space products', () => {
    const a = linearCka(X, Y, { debiased: true, form: 'stimuli' });
    const b = linearCka(X, Y, { debiased: true, form: 'units' });
    expect(a).toBeCloseTo(b, 10);
  });
  it('debiasing removes the inflation of independent wide representations (few stimuli, many units)', () => {
    let s = 1;
    const rnd = () => {
      s = (s * 16807) % 2147483647;
      return s / 2147483647 - 0.5;
    };
    const A = { rows: 30, cols: 500, data: Float64Array.from({ length: 15000 }, rnd) };
    const B = { rows: 30, cols: 400, data: Float64Array.from({ length: 12000 }, rnd) };
    expect(linearCka(A, B)).toBeGreaterThan(0.5);
    expect(Math.abs(linearCka(A, B, { debiased: true }))).toBeLessThan(0.1);
  });
});

describe('noise-ceiling normalisation keeps the sign: r |r| / (NC / 100)', () => {
  const fx = load('ridge/fidelity.json').nc;
  const r = Float32Array.from(fx.r.map((v: number | null) => (v === null ? NaN : v)));
  const nc = Float32Array.from(fx.nc);
  const check = (got: Float32Array, want: (number | null)[]) =>
    want.forEach((w, t) => {
      w === null ? expect(got[t]).toBeNaN() : expect(got[t]).toBeCloseTo(w, 4);
    });
  it('with a minimum NC, and by default every NC > 0', () => {
    check(normaliseByNoiseCeiling(r, nc, fx.minNc).normalised, fx.normalised);
    check(normaliseByNoiseCeiling(r, nc).normalised, fx.normalisedDefault);
    expect(fx.normalisedDefault.some((v: number | null) => v !== null && v < 0)).toBe(true);
  });
});

describe('noise ceiling inside fitRidgeCv', () => {
  const rng = new Rng(4);
  const n = 100;
  const X = { rows: n, cols: 6, data: Float32Array.from({ length: n * 6 }, () => Math.max(0, rng.normal())) };
  const Y = { rows: n, cols: 3, data: new Float32Array(n * 3) };
  for (let i = 0; i < n; i++)
    for (let t = 0; t < 3; t++) Y.data[i * 3 + t] = X.data[i * 6 + t] + X.data[i * 6 + t + 1] + 0.3 * rng.normal();
  const assignment = kFoldAssignment(n, 5, 0);
  const nc = Float32Array.from([40, 40, 40]);

  it('Pearson-scored presets are normalised with the sign kept; cosine-scored presets are not', () => {
    const res = fitRidgeCv(X, Y, { preset: 'encoding', assignment, noiseCeiling: nc });
    for (let t = 0; t < 3; t++)
      expect(res.noiseCeiling!.normalised[t]).toBeCloseTo(
        (res.targetScores[t] * Math.abs(res.targetScores[t])) / 0.4,
        5,
      );
    expect(fitRidgeCv(X, Y, { preset: 'paper', assignment, noiseCeiling: nc }).noiseCeiling).toBeUndefined();
  });
});

describe('ridge weights per source unit over an ROI (scikit-learn RidgeCV coef_)', () => {
  const fx = load('ridge/fidelity.json').weights;
  const close = (a: ArrayLike<number>, b: number[]) =>
    b.forEach((v, i) => {
      expect(a[i]).toBeCloseTo(v, 10);
    });
  it("'meanAbs' (default) and the authors' 'l2', per fold and averaged", () => {
    const m = ridgeWeightsSummary(fx.coefs, fx.targets, fx.units, fx.roi);
    m.perFold.forEach((f, i) => {
      close(f, fx.meanAbs[i]);
    });
    close(
      m.mean,
      fx.meanAbs[0].map((v: number, u: number) => (v + fx.meanAbs[1][u]) / 2),
    );
    const l = ridgeWeightsSummary(fx.coefs, fx.targets, fx.units, fx.roi, 'l2');
    l.perFold.forEach((f, i) => {
      close(f, fx.l2[i]);
    });
    expect(() => ridgeWeightsSummary(fx.coefs, fx.targets, fx.units, [fx.targets])).toThrow(/outside/);
  });
});
