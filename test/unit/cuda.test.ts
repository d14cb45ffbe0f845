/**
 * The GPU path without a GPU: the run-time loader reports absence and why, the ridge falls back to the CPU path
 * with identical results, and the GPU fold's orchestration (native/src/fold.c), run on host BLAS, agrees with
 * the TypeScript ridge for every form (primal, dual, direct residuals, CSR latents) and both shared-alpha presets.
 * On a machine with a GPU the first tests instead check that the device is found.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kFoldAssignment } from '../../src/compute/folds';
import { cudaInfo, nativeAvailable } from '../../src/compute/linalg/index';
import type { CsrMatrix, DenseMatrix } from '../../src/compute/matrix';
import { Rng } from '../../src/compute/random';
import { randomCsr } from '../helpers/random';
import { fitRidgeCv, type RidgeCvResult } from '../../src/compute/ridge/index';
import { runDeviceFold } from '../../src/compute/ridge/device-fold';

const hasGpu = existsSync('/dev/nvidiactl');
const built = existsSync(path.resolve('native/cuda/build/Release/align_cuda.node'));
const empty = mkdtempSync(path.join(tmpdir(), 'cuda-empty-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

/** cudaInfo() in a fresh process with the given environment. */
function childInfo(env: Record<string, string>) {
  const code = "import('./src/compute/linalg/index.ts').then((m) => console.log(JSON.stringify(m.linalgInfo().cuda)))";
  const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', code], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('CUDA loader', () => {
  it.runIf(built && !hasGpu)('reports absence and which libraries are missing where', () => {
    const info = cudaInfo();
    expect(info.available).toBe(false);
    expect(info.reason).toMatch(/^cuda: .*libcublas\.so.* not found in \[.*\] nor on the loader path/);
    expect(info.device).toBeUndefined();
  });
  it.runIf(built && hasGpu)('finds the device where there is one', () => {
    const info = cudaInfo();
    expect(info.available).toBe(true);
    expect(info.device?.memoryBytes).toBeGreaterThan(0);
  });
  it.runIf(built && !hasGpu)('searches ALIGN_CUDA_LIB_DIRS first, even an empty folder', () => {
    const info = childInfo({ ALIGN_CUDA_LIB_DIRS: `${empty}${path.delimiter}/nonexistent-cuda-dir` });
    expect(info.available).toBe(false);
    expect(info.searched.slice(0, 2)).toEqual([empty, '/nonexistent-cuda-dir']);
    expect(info.reason).toContain(`not found in [${empty}, /nonexistent-cuda-dir`);
  });
  it('ALIGN_CUDA=0 switches the GPU path off', () => {
    const info = childInfo({ ALIGN_CUDA: '0' });
    expect(info).toEqual({ available: false, reason: 'disabled by ALIGN_CUDA=0' });
  });
});

const rng = new Rng(7);
function dense(n: number, p: number): DenseMatrix<Float32Array> {
  const d = new Float32Array(n * p);
  for (let i = 0; i < d.length; i++) d[i] = Math.max(0, rng.normal() + 0.3);
  return { rows: n, cols: p, data: d };
}
const csr = (n: number, p: number, k: number): CsrMatrix => randomCsr(rng, n, p, k);
/** Y = a few units' linear read-out plus noise. */
function targets(X: DenseMatrix | CsrMatrix, v: number): DenseMatrix<Float32Array> {
  const Y = new Float32Array(X.rows * v);
  for (let i = 0; i < Y.length; i++) Y[i] = rng.normal();
  const row = new Float32Array(X.cols);
  for (let i = 0; i < X.rows; i++) {
    row.fill(0);
    if ('indptr' in X) for (let q = X.indptr[i]; q < X.indptr[i + 1]; q++) row[X.indices[q]] = X.values[q];
    else row.set(X.data.subarray(i * X.cols, (i + 1) * X.cols));
    for (let t = 0; t < v; t++)
      for (let j = 0; j < 12; j++) Y[i * v + t] += row[(j * 7 + t) % X.cols] * (((j + t) % 3) - 1);
  }
  return { rows: X.rows, cols: v, data: Y };
}

function expectSameFit(a: RidgeCvResult, b: RidgeCvResult, tol: number): void {
  expect(b.folds.map((f) => f.alpha)).toEqual(a.folds.map((f) => f.alpha));
  a.folds.forEach((fa, f) => {
    const fb = b.folds[f];
    expect(fb.rank).toBe(fa.rank);
    expect(fb.form).toBe(fa.form);
    for (let t = 0; t < fa.scores.length; t++) {
      if (Number.isNaN(fa.scores[t])) expect(fb.scores[t]).toBeNaN();
      else expect(Math.abs(fb.scores[t] - fa.scores[t])).toBeLessThanOrEqual(tol);
    }
    for (let k = 0; k < fa.looErrors!.length; k++) {
      expect(Math.abs(fb.looErrors![k] - fa.looErrors![k])).toBeLessThanOrEqual(
        2e-5 * Math.abs(fa.looErrors![k]) + 1e-15,
      );
    }
  });
}

describe('ridge without the GPU', () => {
  it.runIf(!hasGpu)('falls back to the CPU path with identical results and says why', () => {
    const X = dense(120, 30);
    const Y = targets(X, 12);
    const assignment = kFoldAssignment(X.rows, 5, 0);
    const auto = fitRidgeCv(X, Y, { preset: 'paper', assignment });
    const ts = fitRidgeCv(X, Y, { preset: 'paper', assignment, engine: 'ts' });
    expect(auto.info.engine).toBe('ts');
    expect(auto.info.engineReason).toBe('no GPU path (see linalg.cuda.reason)');
    expect(auto.info.linalg.cuda.available).toBe(false);
    expect(auto.info.linalg.cuda.reason).toBeTruthy();
    expect(Array.from(auto.targetScores)).toEqual(Array.from(ts.targetScores));
    expect(auto.folds.map((f) => f.alpha)).toEqual(ts.folds.map((f) => f.alpha));
  });
  it('keeps per-target alphas (encoding preset) on the CPU path', () => {
    const X = dense(60, 10);
    const r = fitRidgeCv(X, targets(X, 4), { preset: 'encoding', assignment: kFoldAssignment(60, 3, 0) });
    expect(r.info.engine).toBe('ts');
    expect(r.info.engineReason).toMatch(/per-target/);
    expect(() =>
      fitRidgeCv(X, targets(X, 4), { preset: 'encoding', assignment: kFoldAssignment(60, 3, 0), engine: 'host' }),
    ).toThrow(/does not serve per-target alphas/);
  });
  it("keeps paper-centred on the CPU path: its leave-one-out fits centre without the left-out row, fold.c's do not", () => {
    const X = dense(60, 10);
    const opts = { preset: 'paper-centred' as const, assignment: kFoldAssignment(60, 3, 0) };
    const r = fitRidgeCv(X, targets(X, 4), opts);
    expect(r.info.engine).toBe('ts');
    expect(r.info.engineReason).toMatch(/centre without the left-out row/);
    expect(() => fitRidgeCv(X, targets(X, 4), { ...opts, engine: 'host' })).toThrow(/paper-centred/);
  });
  it.runIf(!hasGpu)("refuses engine 'cuda' when there is no GPU path", () => {
    const X = dense(40, 5);
    expect(() =>
      fitRidgeCv(X, targets(X, 2), { preset: 'paper', assignment: kFoldAssignment(40, 2, 0), engine: 'cuda' }),
    ).toThrow(/not available/);
  });
});

// The GPU fold's operations on host BLAS against the TypeScript ridge (float64 products there).
const foldCases: { name: string; X: () => DenseMatrix | CsrMatrix; v: number; form?: 'primal' | 'dual' }[] = [
  { name: 'dense primal, weighted-Gram LOO', X: () => dense(150, 24), v: 20 },
  { name: 'dense primal, direct residuals (units > 2 x targets)', X: () => dense(150, 40), v: 8 },
  { name: 'dense dual (units > training rows)', X: () => dense(90, 140), v: 15 },
  { name: 'CSR latents, dual', X: () => csr(90, 120, 40), v: 10 },
  { name: 'CSR latents, primal', X: () => csr(160, 30, 12), v: 25 },
  { name: 'dense, forced dual on a tall design', X: () => dense(80, 20), v: 6, form: 'dual' },
];

describe.runIf(nativeAvailable()).each(foldCases)(
  'GPU fold orchestration on host BLAS: $name',
  ({ X: make, v, form }) => {
    const X = make();
    const Y = targets(X, v);
    const assignment = kFoldAssignment(X.rows, 5, 1);
    it.each(['paper', 'centred-own-means', 'unit-norm-columns'] as const)(
      '%s: same alphas and ranks, LOO errors within 2e-5 (relative), scores within 1e-6',
      (preset) => {
        const ts = fitRidgeCv(X, Y, { preset, assignment, engine: 'ts', precision: 'f64', form });
        const host = fitRidgeCv(X, Y, { preset, assignment, engine: 'host', form });
        expect(host.info.engine).toBe('host');
        expectSameFit(ts, host, 1e-6);
      },
    );
  },
);

describe.runIf(nativeAvailable())('ridgeFold argument checks', () => {
  const train = { kind: 'sparse' as const, s: csr(10, 6, 2), u: null, w: null };
  const test = { kind: 'sparse' as const, s: csr(4, 6, 2), u: null, w: null };
  const Y = { rows: 10, cols: 2, data: new Float32Array(20).fill(1) };
  it('rejects a CSR column index out of range instead of writing out of bounds', () => {
    const bad = { ...train, s: { ...train.s, indices: Int32Array.from(train.s.indices, (c, i) => (i === 3 ? 6 : c)) } };
    expect(() => runDeviceFold('host', bad, test, Y, [1])).toThrow(/column index out of range/);
  });
  it('rejects targets whose length does not match the rows', () => {
    expect(() => runDeviceFold('host', train, test, { rows: 10, cols: 3, data: new Float32Array(20) }, [1])).toThrow(
      /rows x targets/,
    );
  });
  it('rejects non-positive alphas', () => {
    expect(() => runDeviceFold('host', train, test, Y, [1, 0])).toThrow(/positive/);
  });
});
