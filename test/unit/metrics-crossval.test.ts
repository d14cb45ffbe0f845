import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CsrMatrix, type DenseMatrix, denseMatrix } from '../../src/compute/matrix';
import {
  crossValidateMetric,
  linearCka,
  meanAndSem,
  type MetricName,
  rsaScore,
  semiMatchingFold,
  softMatchingFold,
} from '../../src/compute/metrics';
import { Rng } from '../../src/compute/random';

interface MetricsCase {
  name: string;
  n: number;
  px: number;
  py: number;
  k: number;
  X_b64: string;
  Y_b64: string;
  assignment: number[];
  kept_source: number[];
  kept_target: number[];
  metrics: Record<MetricName, { fold_scores: number[]; mean: number; sem: number }>;
  rsa_dead_stimuli: number[];
}
const cases: MetricsCase[] = JSON.parse(
  readFileSync(new URL('../fixtures/metrics/metrics.json', import.meta.url), 'utf8'),
);

function decode(b64: string, rows: number, cols: number): DenseMatrix<Float64Array> {
  const buf = Buffer.from(b64, 'base64');
  return denseMatrix(rows, cols, new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)));
}

function toCsr(M: DenseMatrix): CsrMatrix {
  const indptr = new Int32Array(M.rows + 1);
  const idx: number[] = [];
  const vals: number[] = [];
  for (let r = 0; r < M.rows; r++) {
    for (let c = 0; c < M.cols; c++) {
      const v = M.data[r * M.cols + c];
      if (v !== 0) idx.push(c), vals.push(v);
    }
    indptr[r + 1] = idx.length;
  }
  return { rows: M.rows, cols: M.cols, indptr, indices: Int32Array.from(idx), values: Float32Array.from(vals) };
}

const METRICS: MetricName[] = ['semi-matching', 'soft-matching', 'rsa', 'cka'];

describe('crossValidateMetric equals the numpy / POT reference', () => {
  for (const c of cases) {
    const X = decode(c.X_b64, c.n, c.px);
    const Y = decode(c.Y_b64, c.n, c.py);
    const assignment = Int32Array.from(c.assignment);
    for (const metric of METRICS) {
      it(`${c.name}: ${metric}`, () => {
        const r = crossValidateMetric(metric, X, Y, assignment, { precision: 'f64' });
        const ref = c.metrics[metric];
        expect(r.foldScores.length).toBe(c.k);
        for (let f = 0; f < c.k; f++) expect(Math.abs(r.foldScores[f] - ref.fold_scores[f])).toBeLessThan(1e-6);
        expect(Math.abs(r.mean - ref.mean)).toBeLessThan(1e-6);
        expect(Math.abs(r.sem - ref.sem)).toBeLessThan(1e-6);
        expect(Array.from(r.keptSource)).toEqual(c.kept_source);
        expect(Array.from(r.keptTarget)).toEqual(c.kept_target);
        expect(r.droppedSource).toBe(c.px - c.kept_source.length);
        expect(r.droppedTarget).toBe(c.py - c.kept_target.length);
      });
    }
  }

  it('CSR input (float32 values) gives the dense result', () => {
    const c = cases[1];
    const X = decode(c.X_b64, c.n, c.px);
    // Round X to float32 so that both paths see the same numbers.
    const X32 = denseMatrix(c.n, c.px, Float64Array.from(Float32Array.from(X.data)));
    const Y = decode(c.Y_b64, c.n, c.py);
    const assignment = Int32Array.from(c.assignment);
    for (const metric of METRICS) {
      const dense = crossValidateMetric(metric, X32, Y, assignment);
      const sparse = crossValidateMetric(metric, toCsr(X32), Y, assignment);
      expect(sparse.foldScores).toEqual(dense.foldScores);
    }
  });

  it('RSA reports the dead stimuli it dropped', () => {
    const c = cases[1];
    const X = decode(c.X_b64, c.n, c.px);
    const Y = decode(c.Y_b64, c.n, c.py);
    for (let f = 0; f < c.k; f++) {
      const rows = c.assignment.map((a, i) => (a === f ? i : -1)).filter((i) => i >= 0);
      const take = (M: DenseMatrix<Float64Array>) => {
        const out = new Float64Array(rows.length * M.cols);
        rows.forEach((r, a) => {
          out.set(M.data.subarray(r * M.cols, (r + 1) * M.cols), a * M.cols);
        });
        return denseMatrix(rows.length, M.cols, out);
      };
      expect(rsaScore(take(X), take(Y)).deadStimuli).toBe(c.rsa_dead_stimuli[f]);
    }
  });
});

describe('metric kernels: invariants', () => {
  const rng = new Rng(3);
  const randn = (rows: number, cols: number) => {
    const d = new Float64Array(rows * cols);
    for (let i = 0; i < d.length; i++) d[i] = rng.normal();
    return denseMatrix(rows, cols, d);
  };
  /** Columns of M in the given order, scaled by 3 and each shifted by 1 + c unless `shift` is false. */
  const permuteScale = (M: DenseMatrix<Float64Array>, perm: number[], shift = true) => {
    const out = new Float64Array(M.rows * perm.length);
    for (let r = 0; r < M.rows; r++) {
      for (let c = 0; c < perm.length; c++)
        out[r * perm.length + c] = 3 * M.data[r * M.cols + perm[c]] + (shift ? 1 + c : 0);
    }
    return denseMatrix(M.rows, perm.length, out);
  };

  it('a permuted, rescaled copy scores 1 on every metric', () => {
    const X = randn(80, 15);
    const perm = rng.shuffle(Array.from({ length: 15 }, (_, i) => i));
    const assignment = Int32Array.from({ length: 80 }, (_, i) => i % 4);
    for (const metric of METRICS) {
      // Per-unit shifts change stimulus patterns, so RSA gets a permuted, uniformly scaled copy only.
      const Y = permuteScale(X, perm, metric !== 'rsa');
      const r = crossValidateMetric(metric, X, Y, assignment);
      for (const s of r.foldScores) expect(s).toBeCloseTo(1, 10);
      expect(r.sem).toBeCloseTo(0, 10);
    }
  });

  it('semi-matching takes the first of tied source units; soft-matching splits mass across duplicates', () => {
    const base = randn(50, 4);
    // X: unit 0 and unit 1 identical; Y = X's unit 0 only.
    const X = permuteScale(base, [0, 0, 1, 2, 3]);
    const Y = permuteScale(base, [0]);
    const fold = { trainX: X, trainY: Y, testX: X, testY: Y };
    expect(Array.from(semiMatchingFold(fold).match)).toEqual([0]);
    const soft = softMatchingFold(fold);
    // 5 sources x 1 target: every source sends 1/5 to the only target.
    expect(soft.plan.mass.length).toBe(5);
    let expected = 0;
    for (let i = 0; i < 5; i++) {
      let s = 0;
      const col = (M: DenseMatrix<Float64Array>, c: number) =>
        Array.from({ length: M.rows }, (_, r) => M.data[r * M.cols + c]);
      const a = col(X, i);
      const b = col(Y, 0);
      const ma = a.reduce((p, q) => p + q) / a.length;
      const mb = b.reduce((p, q) => p + q) / b.length;
      let saa = 0;
      let sbb = 0;
      for (let r = 0; r < a.length; r++)
        (s += (a[r] - ma) * (b[r] - mb)), (saa += (a[r] - ma) ** 2), (sbb += (b[r] - mb) ** 2);
      expected += s / Math.sqrt(saa * sbb) / 5;
    }
    expect(soft.score).toBeCloseTo(expected, 12);
  });

  it('CKA: unit-space and stimulus-space forms agree; invariant to rotation and isotropic scaling', () => {
    const X = randn(30, 8);
    const Xwide = randn(6, 20);
    // Rotate X by a random orthogonal matrix (Gram-Schmidt) and scale by 2.5.
    const Q = randn(8, 8);
    for (let c = 0; c < 8; c++) {
      for (let p = 0; p < c; p++) {
        let d = 0;
        for (let r = 0; r < 8; r++) d += Q.data[r * 8 + c] * Q.data[r * 8 + p];
        for (let r = 0; r < 8; r++) Q.data[r * 8 + c] -= d * Q.data[r * 8 + p];
      }
      let nrm = 0;
      for (let r = 0; r < 8; r++) nrm += Q.data[r * 8 + c] ** 2;
      for (let r = 0; r < 8; r++) Q.data[r * 8 + c] /= Math.sqrt(nrm);
    }
    const XQ = new Float64Array(30 * 8);
    for (let r = 0; r < 30; r++)
      for (let c = 0; c < 8; c++)
        for (let k = 0; k < 8; k++) XQ[r * 8 + c] += 2.5 * X.data[r * 8 + k] * Q.data[k * 8 + c];
    expect(linearCka(X, denseMatrix(30, 8, XQ))).toBeCloseTo(1, 12);
    const Y = randn(30, 5);
    const a = linearCka(X, Y);
    expect(a).toBeGreaterThan(0);
    expect(a).toBeLessThan(1);
    for (const [P, Q] of [
      [X, Y],
      [Xwide, randn(6, 3)],
    ]) {
      expect(linearCka(P, Q, { form: 'units' })).toBeCloseTo(linearCka(P, Q, { form: 'stimuli' }), 12);
    }
  });

  it('CKA: both forms equal the numpy reference on every test fold', () => {
    for (const c of cases) {
      const X = decode(c.X_b64, c.n, c.px);
      const Y = decode(c.Y_b64, c.n, c.py);
      for (const form of ['units', 'stimuli'] as const) {
        const r = crossValidateMetric(
          (fold) => linearCka(fold.testX, fold.testY, { form }),
          X,
          Y,
          Int32Array.from(c.assignment),
        );
        for (let f = 0; f < c.k; f++)
          expect(Math.abs(r.foldScores[f] - c.metrics.cka.fold_scores[f])).toBeLessThan(1e-9);
      }
    }
  });

  it('meanAndSem uses ddof = 1', () => {
    const { mean, sem } = meanAndSem([1, 2, 3, 4]);
    expect(mean).toBe(2.5);
    expect(sem).toBeCloseTo(Math.sqrt(5 / 3) / 2, 15);
  });

  it('rejects mismatched shapes and fully dead inputs', () => {
    const X = randn(10, 3);
    const a = Int32Array.from({ length: 10 }, (_, i) => i % 2);
    expect(() => crossValidateMetric('cka', X, randn(9, 3), a)).toThrow(/10 stimuli but Y has 9/);
    expect(() => crossValidateMetric('cka', X, denseMatrix(10, 2, new Float64Array(20)), a)).toThrow(
      /no live target unit/,
    );
  });
});
