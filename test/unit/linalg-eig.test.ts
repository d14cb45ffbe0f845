/**
 * symEig against numpy.linalg.eigh (test/fixtures/linalg/eig.json), on the native addon (LAPACKE_dsyevd)
 * and on the TypeScript implementation: eigenvalues, reconstruction, orthogonality, ascending order.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { linalgInfo, nativeAvailable, setNativeEnabled, symEig, type EigImpl } from '../../src/compute/linalg/index';
import type { DenseMatrix } from '../../src/compute/matrix';
import { f64, loadFixture, maxAbs, maxAbsDiff, type JsonMat } from '../fixtures/linalg/load';

interface EigCase {
  name: string;
  note: string;
  a: JsonMat;
  values: number[];
}
const { cases } = loadFixture<{ cases: EigCase[] }>('eig');

/** max |A - V diag(w) V'| and max |V'V - I|, in float64 loops independent of the library. */
function residuals(
  A: DenseMatrix<Float64Array>,
  w: Float64Array,
  V: DenseMatrix<Float64Array>,
): { rec: number; orth: number } {
  const n = A.rows;
  const v = V.data;
  let rec = 0;
  let orth = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let o = 0;
      for (let k = 0; k < n; k++) {
        s += v[i * n + k] * w[k] * v[j * n + k];
        o += v[k * n + i] * v[k * n + j];
      }
      // Only the upper triangle is read by symEig; fixtures are exactly symmetric anyway.
      rec = Math.max(rec, Math.abs(s - A.data[i * n + j]));
      orth = Math.max(orth, Math.abs(o - (i === j ? 1 : 0)));
    }
  }
  return { rec, orth };
}

function randomSymmetric(n: number, seed: number): DenseMatrix<Float64Array> {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = rnd();
  return { rows: n, cols: n, data: a };
}

const impls: { impl: EigImpl; available: boolean }[] = [
  { impl: 'native', available: nativeAvailable() },
  { impl: 'ts', available: true },
];

describe('native addon', () => {
  const headers =
    (existsSync('/usr/include/x86_64-linux-gnu/cblas.h') || existsSync('/usr/include/cblas.h')) &&
    existsSync('/usr/include/lapacke.h');
  it.runIf(headers && process.env.ALIGN_NATIVE !== '0')(
    'is built and loaded where OpenBLAS/LAPACKE headers exist',
    () => {
      expect(linalgInfo()).toMatchObject({ native: true });
      expect(linalgInfo().threads).toBeGreaterThanOrEqual(1);
    },
  );
  it('ALIGN_NATIVE=0 disables it for the process (checked in a child process)', () => {
    const code =
      "import('./src/compute/linalg/index.ts').then((m) => console.log(JSON.stringify(" +
      '{ info: m.linalgInfo(), avail: m.nativeAvailable(), prev: m.setNativeEnabled(true), after: m.linalgInfo() })))';
    const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', code], {
      env: { ...process.env, ALIGN_NATIVE: '0' },
      encoding: 'utf8',
    });
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r.info).toMatchObject({ native: false, reason: 'disabled by ALIGN_NATIVE=0', cause: 'env' });
    expect(Object.keys(r.info).sort()).toEqual(['cause', 'cuda', 'native', 'reason']);
    expect(r.avail).toBe(false);
    expect(r.after.native).toBe(false);
  });
  it('reports why when disabled at run time', () => {
    const prev = setNativeEnabled(false);
    try {
      const info = linalgInfo();
      expect(info.native).toBe(false);
      expect(typeof info.reason).toBe('string');
    } finally {
      setNativeEnabled(prev);
    }
  });
});

describe.each(impls)('symEig ($impl)', ({ impl, available }) => {
  it.runIf(available).each(cases.map((c) => [c.name, c] as const))('%s matches numpy eigh', (_name, c) => {
    const A = f64(c.a);
    const before = Float64Array.from(A.data);
    const { values, vectors } = symEig(A, impl);
    const n = A.rows;
    const scale = maxAbs(c.values) || 1;
    expect(values.length).toBe(n);
    expect(vectors.rows).toBe(n);
    expect(vectors.cols).toBe(n);
    expect(maxAbsDiff(values, c.values) / scale).toBeLessThan(1e-10);
    for (let j = 1; j < n; j++) expect(values[j]).toBeGreaterThanOrEqual(values[j - 1]);
    const { rec, orth } = residuals(A, values, vectors);
    expect(rec / scale).toBeLessThan(1e-12);
    expect(orth).toBeLessThan(1e-12);
    expect(A.data).toEqual(before); // input untouched
  });

  it.runIf(available)('random symmetric 160 x 160: invariants, and the trace is the sum of eigenvalues', () => {
    const A = randomSymmetric(160, 7);
    const { values, vectors } = symEig(A, impl);
    const scale = maxAbs(values);
    const { rec, orth } = residuals(A, values, vectors);
    expect(rec / scale).toBeLessThan(1e-12);
    expect(orth).toBeLessThan(1e-12);
    let tr = 0;
    let sum = 0;
    for (let i = 0; i < 160; i++) {
      tr += A.data[i * 160 + i];
      sum += values[i];
    }
    expect(Math.abs(tr - sum)).toBeLessThan(1e-11 * scale * 160);
  });

  it.runIf(available)('reads only the upper triangle', () => {
    const A = randomSymmetric(12, 3);
    const ref = symEig(A, impl).values;
    const B = { ...A, data: Float64Array.from(A.data) };
    for (let i = 0; i < 12; i++) for (let j = 0; j < i; j++) B.data[i * 12 + j] = 1e3; // garbage below
    expect(maxAbsDiff(symEig(B, impl).values, ref)).toBeLessThan(1e-12);
  });

  it.runIf(available)('handles the empty matrix', () => {
    const r = symEig({ rows: 0, cols: 0, data: new Float64Array(0) }, impl);
    expect(r.values.length).toBe(0);
  });
});

describe('symEig dispatch', () => {
  it('rejects a non-square matrix', () => {
    expect(() => symEig({ rows: 2, cols: 3, data: new Float64Array(6) })).toThrow(RangeError);
  });
  it('auto uses TypeScript when the addon is disabled, with the same result', () => {
    const A = f64(cases[0].a);
    const prev = setNativeEnabled(false);
    try {
      expect(maxAbsDiff(symEig(A).values, cases[0].values)).toBeLessThan(1e-10 * maxAbs(cases[0].values));
      expect(() => symEig(A, 'native')).toThrow(/native/);
    } finally {
      setNativeEnabled(prev);
    }
  });
});

describe('symEigAsync', () => {
  it('matches numpy on the thread pool (native) or synchronously (TypeScript)', async () => {
    const { symEigAsync } = await import('../../src/compute/linalg/index');
    for (const on of [true, false]) {
      const prev = setNativeEnabled(on);
      try {
        for (const c of cases.slice(0, 4)) {
          const A = f64(c.a);
          const r = await symEigAsync(A);
          expect(maxAbsDiff(r.values, c.values) / (maxAbs(c.values) || 1)).toBeLessThan(1e-10);
          expect(residuals(A, r.values, r.vectors).orth).toBeLessThan(1e-12);
        }
      } finally {
        setNativeEnabled(prev);
      }
    }
  });
});
