/**
 * native/src/cuda.c's loading and call plumbing, without a GPU: the test builds a HOST stand-in of the CUDA
 * library subset the addon opens (test/fixtures/fake-cuda/fake_cuda.c: OpenBLAS/LAPACKE behind NVIDIA's
 * documented signatures and enum values, rejecting any other enum value) and points ALIGN_CUDA_LIB_DIRS at it.
 * It checks the row-major/column-major swaps of gemm and dsyevd, the device-side dot, the CSR descriptors and the
 * whole device fold through the addon's real code path. It does not verify the real libraries (a GPU run does).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kFoldAssignment } from '../../src/compute/folds';
import { eighImpl, gemmImpl } from '../../src/compute/backend';
import { cudaInfo, matmul, setCudaEnabled, symEig } from '../../src/compute/linalg/index';
import type { CsrMatrix, DenseMatrix } from '../../src/compute/matrix';
import { Rng } from '../../src/compute/random';
import { fakeCudaUnavailable, installFakeCuda, removeFakeCuda } from '../helpers/fake-cuda';
import { randomCsr } from '../helpers/random';
import { fitRidgeCv, fitRidgeCvGroups } from '../../src/compute/ridge/index';
import { DEFAULT_PREPROCESSING, encodeSparse, type TopKSae } from '../../src/sae/index';
import { initTopKSaeWeights } from '../../src/sae/model';

const dir = mkdtempSync(path.join(tmpdir(), 'fake-cuda-'));
const canBuild = fakeCudaUnavailable() === null;

beforeAll(() => {
  // The GPU path opens the stand-in on first use in this process (this file runs in its own process).
  if (canBuild) installFakeCuda(dir);
});
afterAll(() => removeFakeCuda(dir));

const rng = new Rng(11);
function rand(rows: number, cols: number, f64 = false): DenseMatrix {
  const d = f64 ? new Float64Array(rows * cols) : new Float32Array(rows * cols);
  for (let i = 0; i < d.length; i++) d[i] = rng.normal();
  return { rows, cols, data: d };
}

/** The same product with the GPU path off (OpenBLAS). */
function cpu<T>(f: () => T): T {
  const prev = setCudaEnabled(false);
  try {
    return f();
  } finally {
    setCudaEnabled(prev);
  }
}

describe.runIf(canBuild)('align_cuda against a host stand-in of the CUDA libraries', () => {
  it('loads the four libraries from ALIGN_CUDA_LIB_DIRS and reports the device', () => {
    const info = cudaInfo();
    expect(info.available).toBe(true);
    expect(info.libs).toEqual({
      cudart: path.join(dir, 'libcudart.so.13'),
      cublas: path.join(dir, 'libcublas.so.13'),
      cusolver: path.join(dir, 'libcusolver.so.12'),
      cusparse: path.join(dir, 'libcusparse.so.12'),
    });
    expect(info.device).toMatchObject({ computeCapability: '9.0', runtimeVersion: 13000 });
  });

  it.each([
    [false, false, 'f32'],
    [true, false, 'f64'],
    [false, true, 'f32'],
    [true, true, 'f64'],
  ] as const)('matmul transA=%s transB=%s %s goes through cublas with the row-major swap', (ta, tb, precision) => {
    const [m, n, k] = [1040, 1040, 1000]; // above the 2^30 multiply-adds that send a product to the GPU
    const f64 = precision === 'f64';
    expect(gemmImpl(m * n * k)).toBe('cuda');
    const A = ta ? rand(k, m, f64) : rand(m, k, f64);
    const B = tb ? rand(n, k, f64) : rand(k, n, f64);
    const gpu = matmul(A, B, { transA: ta, transB: tb, precision });
    const ref = cpu(() => matmul(A, B, { transA: ta, transB: tb, precision }));
    let d = 0;
    for (let i = 0; i < ref.data.length; i++) d = Math.max(d, Math.abs(gpu.data[i] - ref.data[i]));
    expect(d).toBeLessThan(f64 ? 1e-9 : 1e-3);
  });

  it('symEig goes through cusolverDnXsyevd and returns eigenvectors as columns', () => {
    const n = 1024;
    expect(eighImpl(n)).toBe('cuda');
    const X = rand(n, n, true);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = X.data[i * n + j] + X.data[j * n + i];
    const A = { rows: n, cols: n, data: a };
    const g = symEig(A);
    const r = cpu(() => symEig(A));
    for (let j = 0; j < n; j += 97) {
      expect(g.values[j]).toBeCloseTo(r.values[j], 8);
      // A v = lambda v for column j of the returned vectors
      let res = 0;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let t = 0; t < n; t++) s += a[i * n + t] * g.vectors.data[t * n + j];
        res = Math.max(res, Math.abs(s - g.values[j] * g.vectors.data[i * n + j]));
      }
      expect(res).toBeLessThan(1e-8 * Math.max(1, Math.abs(g.values[j])));
    }
  });

  const csr = (n: number, p: number, k: number): CsrMatrix => randomCsr(rng, n, p, k);
  it.each([
    ['dense primal', () => rand(150, 30), 20],
    ['dense dual', () => rand(80, 120), 10],
    ['dense primal, direct residuals', () => rand(150, 40), 6],
    ['CSR latents (densified by cusparseSparseToDense), dual', () => csr(90, 120, 40), 12],
  ] as const)("ridge fold engine cuda: %s gives the CPU path's alphas and scores", (_name, make, v) => {
    const X = make();
    const Y = rand(X.rows, v) as DenseMatrix<Float32Array>;
    const assignment = kFoldAssignment(X.rows, 5, 3);
    // paper-centred stays on the CPU path (device-fold.ts): its leave-one-out fits centre without their row.
    for (const preset of ['paper', 'centred-own-means'] as const) {
      const gpu = fitRidgeCv(X, Y, { preset, assignment });
      const ref = cpu(() => fitRidgeCv(X, Y, { preset, assignment, engine: 'ts', precision: 'f64' }));
      expect(gpu.info.engine).toBe('cuda');
      expect(gpu.folds.map((f) => f.alpha)).toEqual(ref.folds.map((f) => f.alpha));
      for (let t = 0; t < v; t++) expect(Math.abs(gpu.targetScores[t] - ref.targetScores[t])).toBeLessThan(1e-6);
    }
  });

  it('several ROIs share one device call per fold and keep their own alphas', () => {
    const X = rand(150, 30);
    const Y = rand(X.rows, 24) as DenseMatrix<Float32Array>;
    // noise that differs by group so that the groups' alphas differ
    for (let i = 0; i < X.rows; i++)
      for (let t = 8; t < 24; t++)
        Y.data[i * 24 + t] = X.data[i * 30 + (t % 30)] + (t < 16 ? 0.1 : 10) * Y.data[i * 24 + t];
    const groups = [0, 8, 16].map((c0, g) => ({
      name: `roi${g}`,
      columns: Int32Array.from({ length: 8 }, (_, j) => c0 + j),
    }));
    const assignment = kFoldAssignment(X.rows, 5, 3);
    const gpu = fitRidgeCvGroups(X, Y, groups, { preset: 'paper', assignment });
    const ref = cpu(() =>
      fitRidgeCvGroups(X, Y, groups, { preset: 'paper', assignment, engine: 'ts', precision: 'f64' }),
    );
    expect(gpu.decompositions).toBe(5);
    gpu.groups.forEach((r, g) => {
      expect(r.info.engine).toBe('cuda');
      expect(r.folds.map((f) => f.alpha)).toEqual(ref.groups[g].folds.map((f) => f.alpha));
      for (let t = 0; t < 8; t++)
        expect(Math.abs(r.targetScores[t] - ref.groups[g].targetScores[t])).toBeLessThan(1e-6);
    });
  });

  it('SAE encoding takes its pre-activations from cublas and selects the same latents as tfjs', async () => {
    const [n, d, m, k] = [1024, 512, 2048, 16]; // one chunk of 2^30 multiply-adds: the GPU's share
    expect(gemmImpl(n * d * m)).toBe('cuda');
    const weights = initTopKSaeWeights(d, m, rng);
    for (let j = 0; j < m; j++) weights.bEnc[j] = 0.01 * rng.normal();
    const sae: TopKSae = {
      inputDim: d,
      latentDim: m,
      k,
      preprocessing: { ...DEFAULT_PREPROCESSING },
      weights,
      metadata: {},
    };
    const X = rand(n, d);
    const gpu = await encodeSparse(sae, X);
    const prev = setCudaEnabled(false);
    const ref = await encodeSparse(sae, X).finally(() => setCudaEnabled(prev));
    expect(Array.from(gpu.indptr)).toEqual(Array.from(ref.indptr));
    expect(Array.from(gpu.indices)).toEqual(Array.from(ref.indices));
    for (let i = 0; i < ref.values.length; i++) expect(Math.abs(gpu.values[i] - ref.values[i])).toBeLessThan(1e-4);
  });
});
