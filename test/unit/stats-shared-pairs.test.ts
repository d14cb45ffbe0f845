/**
 * A study unit's pairs share their statistics' work (pairedCells, pairedGroupCellsOfPairs, signFlipTests): each
 * cell must equal the one its pair gets computed alone. Sharing changes only the GEMM's column blocking, so the
 * bootstrap numbers agree to rounding (1e-12) and the permutation p exactly.
 */
import { describe, expect, it } from 'vitest';
import { kFoldAssignment } from '../../src/compute/folds';
import type { DenseMatrix } from '../../src/compute/matrix';
import { Rng } from '../../src/compute/random';
import { fitRidgeCvGroups } from '../../src/compute/ridge/cv';
import {
  type HeldOutPredictions,
  type PairedCell,
  pairedCell,
  pairedCells,
  pairedGroupCells,
  pairedGroupCellsOfPairs,
  signFlipTest,
  signFlipTests,
} from '../../src/compute/stats/index';

function randomMatrix(rng: Rng, rows: number, cols: number): DenseMatrix<Float32Array> {
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  return { rows, cols, data };
}

/** Folds of three representations' predictions; the third is the second plus the targets (a real effect). */
function threeRepresentations(seed: number, sizes: number[], t: number): HeldOutPredictions[] {
  const rng = new Rng(seed);
  return sizes.map((m) => {
    const y = randomMatrix(rng, m, t);
    const preds = [randomMatrix(rng, m, t), randomMatrix(rng, m, t), randomMatrix(rng, m, t)];
    for (let i = 0; i < y.data.length; i++) preds[2].data[i] += y.data[i];
    for (let i = 0; i < m; i++) y.data[i * t + 1] = 2; // a constant target: NaN scores on every side
    return { preds, y };
  });
}

function expectSameCell(got: PairedCell, want: PairedCell): void {
  expect(got.p).toBe(want.p);
  expect(got.permutation).toEqual(want.permutation);
  expect(got.foldA).toEqual(want.foldA);
  expect(got.foldB).toEqual(want.foldB);
  expect(got.bootstrapCi.nResamples).toBe(want.bootstrapCi.nResamples);
  for (const k of ['lower', 'upper', 'se'] as const) {
    expect(got.bootstrapCi[k]).toBeCloseTo(want.bootstrapCi[k], 12);
  }
  expect(got.bootstrapReplicates.length).toBe(want.bootstrapReplicates.length);
  got.bootstrapReplicates.forEach((v, r) => {
    expect(v).toBeCloseTo(want.bootstrapReplicates[r], 12);
  });
}

const PAIRS: [number, number][] = [
  [0, 1],
  [0, 2],
  [1, 2],
  [2, 0],
];

describe('paired statistics shared over a unit’s pairs', () => {
  it('signFlipTests gives each statistic the p of signFlipTest alone (random and exact)', () => {
    const rng = new Rng(3);
    for (const n of [12, 500]) {
      const ws = [0, 0.05, -0.1].map((shift) => Float64Array.from({ length: n }, () => rng.normal() + shift));
      const together = signFlipTests(ws, { nPermutations: 4999, seed: 17 });
      ws.forEach((w, i) => {
        expect(together[i]).toEqual(signFlipTest(w, { nPermutations: 4999, seed: 17 }));
      });
      expect(together[0].exact).toBe(n === 12);
    }
  });

  for (const kind of ['cosine', 'pearson'] as const) {
    it(`pairedCells (${kind}) equals pairedCell of each pair alone, either order`, () => {
      const folds = threeRepresentations(5, [40, 37, 41], 30);
      const options = { kind, nResamples: 200, nPermutations: 999, seed: 9 };
      const together = pairedCells(folds, PAIRS, options);
      PAIRS.forEach(([a, b], k) => {
        const alone = pairedCell(
          folds.map((f) => ({ a: f.preds[a], b: f.preds[b], y: f.y })),
          options,
        );
        expectSameCell(together[k], alone);
      });
      expect(together[1].difference).toBeGreaterThan(0.3); // the effect is there, so the test is not vacuous
      expect(together[3].difference).toBeCloseTo(-together[1].difference, 12);
    });
  }

  it('pairs naming a representation that is not there are a RangeError', () => {
    const folds = threeRepresentations(7, [10, 10], 4);
    expect(() => pairedCells(folds, [[0, 3]], { kind: 'cosine', nResamples: 5 })).toThrow(RangeError);
  });

  it('a pair whose per-stimulus terms are undefined gets p NaN without touching the other pairs', () => {
    const folds = threeRepresentations(6, [30, 30], 8).map((f) => {
      const zero = { ...f.preds[0], data: new Float32Array(f.preds[0].data.length) };
      return { ...f, preds: [zero, f.preds[1], f.preds[2]] };
    });
    const options = { kind: 'cosine' as const, nResamples: 50, nPermutations: 999, seed: 2 };
    const [withZero, other] = pairedCells(folds, [PAIRS[0], PAIRS[2]], options);
    expect(withZero.p).toBeNaN();
    const alone = pairedCell(
      folds.map((f) => ({ a: f.preds[1], b: f.preds[2], y: f.y })),
      options,
    );
    expectSameCell(other, alone);
  });

  it('pairedGroupCellsOfPairs equals pairedGroupCells per pair on grouped ridge fits, and drops the predictions', () => {
    const rng = new Rng(12);
    const n = 120;
    const Y = randomMatrix(rng, n, 24);
    const Xs = [randomMatrix(rng, n, 10), randomMatrix(rng, n, 16), randomMatrix(rng, n, 12)];
    for (let i = 0; i < n; i++) for (let j = 0; j < 10; j++) Xs[2].data[i * 12 + j] += Y.data[i * 24 + j];
    const groups = [
      { name: 'a', columns: Int32Array.from({ length: 10 }, (_, j) => j) },
      { name: 'b', columns: Int32Array.from({ length: 14 }, (_, j) => 10 + j) },
    ];
    const fit = () =>
      Xs.map(
        (X) =>
          fitRidgeCvGroups(X, Y, groups, {
            preset: 'paper',
            assignment: kFoldAssignment(n, 4, 0),
            returnPredictions: true,
          }).groups,
      );
    const stats = { nResamples: 100, nPermutations: 499, seed: 4 };
    const fits = fit();
    const together = pairedGroupCellsOfPairs(Y, fits, PAIRS.slice(0, 3), groups, stats);
    for (const g of fits.flat()) for (const f of g.folds) expect(f.predictions).toBeUndefined();
    PAIRS.slice(0, 3).forEach(([a, b], k) => {
      const again = fit();
      pairedGroupCells(Y, again[a], again[b], groups, stats).forEach((cell, g) => {
        expectSameCell(together[k][g], cell);
      });
    });
  });
});
