/**
 * The native shared-alpha LOO loop (native/src/loo.c) against numpy (test/fixtures/ridge/gen_loo_native.py): its
 * weighted Gram matrices and sums in float64 and float32, and the LOO criterion looSharedAlpha builds from them
 * (brute-force hat-matrix LOO, with a row at the 1 - h clamp); and the same numbers as the TypeScript loop.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nativeAddon } from '../../src/compute/linalg/native';
import { looSharedAlpha, ridgeBasis } from '../../src/compute/ridge/index';

interface KernelCase {
  name: string;
  n: number;
  q: number;
  intercept: boolean;
  u: number[];
  s2: number[];
  r0: number[];
  ct: number[];
  omega: number[];
  base: number[];
  cross: number[];
}
interface Fixture {
  alphas: number[];
  tol: number;
  kernel: KernelCase[];
  criterion: { n: number; p: number; v: number; x: number[]; y: number[]; errors: number[]; best: number };
}
const fx = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/ridge/loo_native.json', import.meta.url)), 'utf8'),
) as Fixture;
const nat = nativeAddon();

function relErr(got: ArrayLike<number>, want: number[]): number {
  let scale = 0;
  for (const w of want) scale = Math.max(scale, Math.abs(w));
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]));
  return m / scale;
}

describe.skipIf(!nat)('native shared-alpha LOO loop vs numpy', () => {
  for (const c of fx.kernel) {
    for (const dtype of ['f64', 'f32'] as const) {
      it(`${c.name}, ${dtype}`, () => {
        const m = fx.alphas.length;
        const Arr = dtype === 'f64' ? Float64Array : Float32Array;
        const omega = new Float64Array(m * c.q * c.q);
        const base = new Float64Array(m);
        const cross = new Float64Array(m * c.q);
        nat!.looWeightedGram(
          Arr.from(c.u),
          c.n,
          c.q,
          null,
          Float64Array.from(c.s2),
          Float64Array.from(fx.alphas),
          Float64Array.from(c.r0),
          Arr.from(c.ct),
          c.intercept,
          fx.tol,
          omega,
          base,
          cross,
        );
        // f32: the rows scaled by 1/den are rounded to float32 before their products (as the TypeScript loop).
        const tol = dtype === 'f64' ? 1e-12 : 1e-6;
        expect(relErr(omega, c.omega)).toBeLessThan(tol);
        expect(relErr(base, c.base)).toBeLessThan(1e-12);
        expect(relErr(cross, c.cross)).toBeLessThan(dtype === 'f64' ? 1e-12 : 1e-6);
      });
    }
  }

  it('rejects arrays shorter than the sizes', () => {
    const c = fx.kernel[0];
    const m = fx.alphas.length;
    expect(() =>
      nat!.looWeightedGram(
        new Float64Array(10),
        c.n,
        c.q,
        null,
        Float64Array.from(c.s2),
        Float64Array.from(fx.alphas),
        null,
        null,
        false,
        fx.tol,
        new Float64Array(m * c.q * c.q),
        new Float64Array(m),
        null,
      ),
    ).toThrow(/shorter/);
  });

  it('looSharedAlpha with the native loop equals brute-force LOO (numpy) and the TypeScript loop', () => {
    const { n, p, v } = fx.criterion;
    for (const precision of ['f64', 'f32'] as const) {
      const Arr = precision === 'f64' ? Float64Array : Float32Array;
      const X = { rows: n, cols: p, data: Arr.from(fx.criterion.x) };
      const Y = { rows: n, cols: v, data: Arr.from(fx.criterion.y) };
      const basis = ridgeBasis({ kind: 'dense', x: X }, { kind: 'dense', x: X }, { precision });
      const fast = looSharedAlpha(basis.U, basis.s2, Y, fx.alphas, { precision });
      const slow = looSharedAlpha(basis.U, basis.s2, Y, fx.alphas, { precision, native: false });
      expect(fast.path).toBe('weighted-gram');
      // float64: the exact criterion at every alpha, the clamped ones included (row 0's 1 - h is ~1e-9 there).
      // float32 cannot resolve that 1 - h (its U carries ~1e-7 noise), so it is held to the TypeScript loop only.
      if (precision === 'f64')
        for (let k = 0; k < fx.alphas.length; k++) expect(fast.errors[k] / fx.criterion.errors[k]).toBeCloseTo(1, 6);
      for (let k = 0; k < fx.alphas.length; k++)
        expect(fast.errors[k] / slow.errors[k]).toBeCloseTo(1, precision === 'f64' ? 12 : 6);
      expect(fast.best).toBe(slow.best);
      if (precision === 'f64') expect(fast.best).toBe(fx.criterion.best);
    }
  });
});
