/**
 * matmul and gram against numpy (test/fixtures/linalg/matmul.json): every transposition flag, f32 and f64,
 * on the native addon, the TypeScript loops, and the tfjs (wasm) backend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/compute/backend';
import { gram, matmul, nativeAvailable, setNativeEnabled } from '../../src/compute/linalg/index';
import { setTfBlockElements } from '../../src/compute/linalg/matmul';
import type { DenseMatrix } from '../../src/compute/matrix';
import { f32, f64, loadFixture, maxAbs, maxAbsDiff, transpose, type JsonMat } from '../fixtures/linalg/load';

const fx = loadFixture<Record<'a' | 'b' | 'c' | 'x' | 'xtx' | 'xxt', JsonMat>>('matmul');
const flags = [
  { transA: false, transB: false },
  { transA: true, transB: false },
  { transA: false, transB: true },
  { transA: true, transB: true },
];
type Mode = 'native' | 'ts' | 'tfjs';

/** Runs matmul for one flag pair on inputs stored as the flags require; compares with numpy's A B. */
function checkMatmul(precision: 'f32' | 'f64', transA: boolean, transB: boolean, inputF64: boolean): void {
  const conv = inputF64 ? f64 : f32;
  const A0 = conv(fx.a);
  const B0 = conv(fx.b);
  const A = transA ? transpose(A0 as DenseMatrix<Float64Array>) : A0;
  const B = transB ? transpose(B0 as DenseMatrix<Float64Array>) : B0;
  const C = matmul(A, B, { transA, transB, precision });
  expect(C.rows).toBe(fx.c.rows);
  expect(C.cols).toBe(fx.c.cols);
  expect(C.data).toBeInstanceOf(precision === 'f64' ? Float64Array : Float32Array);
  const tol = precision === 'f64' ? 1e-12 : 2e-6 * maxAbs(fx.c.data);
  expect(maxAbsDiff(C.data, fx.c.data)).toBeLessThan(tol);
}

function checkGram(side: 'cols' | 'rows', precision: 'f32' | 'f64', inputF64: boolean): void {
  const X = inputF64 ? f64(fx.x) : f32(fx.x);
  const ref = side === 'cols' ? fx.xtx : fx.xxt;
  const G = gram(X, { side, precision });
  expect(G.data).toBeInstanceOf(Float64Array);
  expect(G.rows).toBe(ref.rows);
  expect(G.cols).toBe(ref.cols);
  // Inputs are float32-representable: f64 products are exact up to summation order.
  const tol = precision === 'f64' ? 1e-12 : 2e-6 * maxAbs(ref.data);
  expect(maxAbsDiff(G.data, ref.data)).toBeLessThan(tol);
  const n = G.rows;
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(G.data[i * n + j]).toBe(G.data[j * n + i]);
}

// Order matters: 'ts' runs before the tfjs backend is initialised (afterwards f32 products use tfjs).
describe.each<Mode>(['native', 'ts', 'tfjs'])('linalg dense products (%s)', (mode) => {
  const skip = mode === 'native' && !nativeAvailable();
  let prev = true;
  beforeAll(async () => {
    prev = setNativeEnabled(mode === 'native');
    if (mode === 'tfjs') await initBackend('wasm');
  });
  afterAll(() => {
    setNativeEnabled(prev);
  });

  for (const precision of ['f32', 'f64'] as const) {
    for (const { transA, transB } of flags) {
      it.skipIf(skip)(`matmul ${precision} transA=${transA} transB=${transB}`, () => {
        checkMatmul(precision, transA, transB, precision === 'f64');
        checkMatmul(precision, transA, transB, precision !== 'f64'); // other input element type
      });
    }
  }

  for (const side of ['cols', 'rows'] as const) {
    for (const precision of ['f32', 'f64'] as const) {
      it.skipIf(skip)(`gram ${side} ${precision}`, () => {
        checkGram(side, precision, false);
        checkGram(side, precision, true);
      });
    }
  }

  it.skipIf(skip)('matmul rejects mismatched shapes and handles empty products', () => {
    const A = f32(fx.a);
    expect(() => matmul(A, A)).toThrow(RangeError);
    const Z = matmul({ rows: 3, cols: 0, data: new Float32Array(0) }, { rows: 0, cols: 4, data: new Float32Array(0) });
    expect(Z.rows).toBe(3);
    expect(Z.cols).toBe(4);
    expect(Array.from(Z.data)).toEqual(new Array(12).fill(0));
  });

  it.runIf(mode === 'tfjs')('tfjs tiling over rows and columns gives the same product', () => {
    const prevBlock = setTfBlockElements(200); // forces blocks of a few rows/columns
    try {
      for (const { transA, transB } of flags) checkMatmul('f32', transA, transB, false);
      checkGram('cols', 'f32', false);
    } finally {
      setTfBlockElements(prevBlock);
    }
  });
});

describe('matmulAsync / gramAsync', () => {
  it('give the synchronous results (native on the thread pool, else synchronous paths)', async () => {
    const { matmulAsync, gramAsync } = await import('../../src/compute/linalg/index');
    for (const on of [true, false]) {
      const prev = setNativeEnabled(on);
      try {
        for (const precision of ['f32', 'f64'] as const) {
          const A = transpose(f64(fx.a));
          const C = await matmulAsync(A, f64(fx.b), { transA: true, precision });
          expect(C.data).toBeInstanceOf(precision === 'f64' ? Float64Array : Float32Array);
          const tol = precision === 'f64' ? 1e-12 : 2e-6 * maxAbs(fx.c.data);
          expect(maxAbsDiff(C.data, fx.c.data)).toBeLessThan(tol);
        }
        const G = await gramAsync(f32(fx.x), { side: 'rows', precision: 'f64' });
        expect(maxAbsDiff(G.data, fx.xxt.data)).toBeLessThan(1e-12);
      } finally {
        setNativeEnabled(prev);
      }
    }
  });
});
