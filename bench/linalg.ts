/**
 * Linear-algebra benchmark: one JSON line per case (not part of the test suite).
 *   npx tsx bench/linalg.ts [--n 2048] [--eig 2048] [--quick]
 * Cases: sgemm n^3 native vs tfjs (wasm) vs TS; dgemm native vs TS; gram (X'X, 9841 x 2048) native f64/f32 vs
 * tfjs; eigh n native (dsyevd) vs TypeScript; CSR kernels at SAE scale (9841 x 8192, k = 32) native vs TS.
 */
import { initBackend } from '../src/compute/backend';
import {
  csrGram,
  csrMatmulDense,
  gram,
  linalgInfo,
  matmul,
  nativeAvailable,
  setNativeEnabled,
  symEig,
} from '../src/compute/linalg/index';
import type { CsrMatrix, DenseMatrix } from '../src/compute/matrix';

const args = process.argv.slice(2);
const arg = (name: string, def: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const quick = args.includes('--quick');
const N = arg('n', quick ? 1024 : 2048);
const NE = arg('eig', quick ? 512 : 2048);

let seed = 12345;
function rand(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648 - 0.5;
}
function randF32(rows: number, cols: number): DenseMatrix<Float32Array> {
  const d = new Float32Array(rows * cols);
  for (let i = 0; i < d.length; i++) d[i] = rand();
  return { rows, cols, data: d };
}
function time<T>(fn: () => T): [T, number] {
  const t = performance.now();
  const r = fn();
  return [r, (performance.now() - t) / 1000];
}
function emit(o: Record<string, unknown>): void {
  console.log(JSON.stringify(o));
}
function withNative<T>(on: boolean, fn: () => T): T {
  const prev = setNativeEnabled(on);
  try {
    return fn();
  } finally {
    setNativeEnabled(prev);
  }
}

const backend = await initBackend();
emit({ case: 'info', linalg: linalgInfo(), backend: backend.name });
const hasNative = nativeAvailable();

// sgemm N^3
{
  const A = randF32(N, N);
  const B = randF32(N, N);
  const flops = 2 * N * N * N;
  if (hasNative) {
    withNative(true, () => matmul(A, B)); // warm-up (thread start)
    const [, s] = time(() => withNative(true, () => matmul(A, B)));
    emit({ case: 'sgemm', n: N, impl: 'native', seconds: s, gflops: flops / s / 1e9 });
  }
  withNative(false, () => matmul(randF32(64, 64), randF32(64, 64)));
  const [, s] = time(() => withNative(false, () => matmul(A, B)));
  emit({ case: 'sgemm', n: N, impl: `tfjs-${backend.name}`, seconds: s, gflops: flops / s / 1e9 });
  if (hasNative) {
    const [, d] = time(() => withNative(true, () => matmul(A, B, { precision: 'f64' })));
    emit({ case: 'dgemm', n: N, impl: 'native', seconds: d, gflops: flops / d / 1e9 });
  }
  const m = quick ? 256 : 512; // the TS f64 loop is slow: time a slab and report the rate
  const As = { rows: m, cols: N, data: A.data.subarray(0, m * N) };
  const [, t] = time(() => withNative(false, () => matmul(As, B, { precision: 'f64' })));
  emit({ case: 'dgemm', n: N, m, impl: 'ts', seconds: t, gflops: (2 * m * N * N) / t / 1e9 });
}

// gram X'X, Case A shape
{
  const n = quick ? 4096 : 9841;
  const p = quick ? 1024 : 2048;
  const X = randF32(n, p);
  const flops = n * p * p; // syrk: half of a full product
  for (const [impl, on, precision] of [
    ['native-f64', true, 'f64'],
    ['native-f32', true, 'f32'],
    [`tfjs-${backend.name}-f32`, false, 'f32'],
  ] as const) {
    if (on && !hasNative) continue;
    const [, s] = time(() => withNative(on, () => gram(X, { side: 'cols', precision })));
    emit({ case: 'gram', n, p, impl, seconds: s, gflops: flops / s / 1e9 });
  }
}

// eigh NE
{
  const X = randF32(NE + 16, NE);
  const G = gram(X, { side: 'cols', precision: 'f64' });
  if (hasNative) {
    const [, s] = time(() => symEig(G, 'native'));
    emit({ case: 'eigh', n: NE, impl: 'native-dsyevd', seconds: s });
  }
  const [, s] = time(() => symEig(G, 'ts'));
  emit({ case: 'eigh', n: NE, impl: 'ts', seconds: s });
}

// CSR at SAE scale: 9841 x 8192 with k = 32 non-zeros per row
{
  const n = quick ? 4000 : 9841;
  const p = 8192;
  const k = 32;
  const indptr = new Int32Array(n + 1);
  const indices = new Int32Array(n * k);
  const values = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const cols = new Set<number>();
    while (cols.size < k) cols.add(Math.floor((rand() + 0.5) * p) % p);
    const sorted = [...cols].sort((a, b) => a - b);
    for (let t = 0; t < k; t++) {
      indices[i * k + t] = sorted[t];
      values[i * k + t] = rand() + 0.6;
    }
    indptr[i + 1] = (i + 1) * k;
  }
  const S: CsrMatrix = { rows: n, cols: p, indptr, indices, values };
  const Y = randF32(n, 4000);
  for (const on of hasNative ? [true, false] : [false]) {
    const impl = on ? 'native' : 'ts';
    const [, a] = time(() => withNative(on, () => csrGram(S, 'rows')));
    emit({ case: 'csrGram-rows', n, p, k, impl, seconds: a });
    const [, b] = time(() => withNative(on, () => csrGram(S, 'cols')));
    emit({ case: 'csrGram-cols', n, p, k, impl, seconds: b });
    const [, c] = time(() => withNative(on, () => csrMatmulDense(S, Y, { transA: true })));
    emit({ case: "csrMatmulDense-A'Y", n, p, k, v: 4000, impl, seconds: c });
  }
}
