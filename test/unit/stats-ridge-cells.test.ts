/**
 * Paired cells from two real ridge fits (dense "neurons" and sparse "SAE latents" of the same synthetic
 * stimuli): the cell scores rebuilt from held-out predictions equal fitRidgeCv's own per-fold ROI scores, for
 * every preset.
 */
import { describe, expect, it } from 'vitest';
import { kFoldAssignment } from '../../src/compute/folds';
import type { CsrMatrix, DenseMatrix } from '../../src/compute/matrix';
import { Rng } from '../../src/compute/random';
import { fitRidgeCv, roiSummary } from '../../src/compute/ridge/index';
import { pairedFitCell, pairedRidgeRois, pairedRoiCells } from '../../src/compute/stats/index';
import { takeCols } from '../../src/compute/matrix';

function data(seed: number, n: number, p: number, v: number) {
  const rng = new Rng(seed);
  const F = Float64Array.from({ length: n * 6 }, () => Math.max(0, rng.normal()));
  const X: DenseMatrix<Float32Array> = { rows: n, cols: p, data: new Float32Array(n * p) };
  for (let i = 0; i < n; i++)
    for (let j = 0; j < p; j++) X.data[i * p + j] = F[i * 6 + (j % 6)] + F[i * 6 + ((j + 1) % 6)] + 0.3 * rng.normal();
  // sparse code: one active latent per factor
  const indptr = new Int32Array(n + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 6; k++) {
      if (F[i * 6 + k] > 0) {
        indices.push(k * 2 + (i % 2));
        values.push(F[i * 6 + k]);
      }
    }
    indptr[i + 1] = indices.length;
  }
  const S: CsrMatrix = {
    rows: n,
    cols: 12,
    indptr,
    indices: Int32Array.from(indices),
    values: Float32Array.from(values),
  };
  const Y: DenseMatrix<Float32Array> = { rows: n, cols: v, data: new Float32Array(n * v) };
  for (let i = 0; i < n; i++) for (let t = 0; t < v; t++) Y.data[i * v + t] = F[i * 6 + (t % 6)] + 0.7 * rng.normal();
  return { X, S, Y };
}

describe('pairedRoiCells from fitRidgeCv', () => {
  for (const preset of ['paper', 'paper-centred', 'encoding'] as const) {
    it(`${preset}: cell scores equal the fits' own ROI fold scores`, () => {
      const { X, S, Y } = data(11, 90, 8, 10);
      for (let i = 0; i < 90; i++) Y.data[i * 10 + 9] = 0; // a dead target, dropped by both fits
      const assignment = kFoldAssignment(90, 5, 0);
      const a = fitRidgeCv(X, Y, { preset, assignment, returnPredictions: true });
      const b = fitRidgeCv(S, Y, { preset, assignment, returnPredictions: true });
      const rois = [
        { name: 'r1', targets: [0, 1, 2, 9] },
        { name: 'r2', targets: [3, 4, 5, 6, 7, 8] },
        { name: 'dead', targets: [9] },
      ];
      const cells = pairedRoiCells(Y, a, b, rois, { nResamples: 100, nPermutations: 500, seed: 4 });
      expect(cells.map((c) => c.roi)).toEqual(['r1', 'r2', 'dead']);
      expect(cells[2].cell).toBeNull();
      for (const [i, r] of rois.slice(0, 2).entries()) {
        const cell = cells[i].cell!;
        const sa = roiSummary(a, r.targets);
        const sb = roiSummary(b, r.targets);
        sa.foldMeans.forEach((v, k) => {
          expect(cell.foldA[k]).toBeCloseTo(v, 5);
        });
        sb.foldMeans.forEach((v, k) => {
          expect(cell.foldB[k]).toBeCloseTo(v, 5);
        });
        expect(cell.a).toBeCloseTo(sa.mean, 5);
        expect(cell.b).toBeCloseTo(sb.mean, 5);
        expect(cell.nStimuli).toBe(90);
        expect(cell.nTargets).toBe(r.targets.filter((t) => t !== 9).length);
        expect(cell.bootstrapCi.seed).toBe(4 + i);
        expect(cell.bootstrapCi.lower).toBeLessThanOrEqual(cell.bootstrapCi.upper);
      }
    });
  }

  it('pairedFitCell: one ROI fitted on its own (paper preset: row LN over the ROI)', () => {
    const { X, S, Y } = data(5, 80, 8, 10);
    const cols = [1, 4, 7];
    const Yr = takeCols(Y, cols);
    const assignment = kFoldAssignment(80, 5, 2);
    const a = fitRidgeCv(X, Yr, { preset: 'paper', assignment, returnPredictions: true });
    const b = fitRidgeCv(S, Yr, { preset: 'paper', assignment, returnPredictions: true });
    const cell = pairedFitCell(Yr, a, b, { nResamples: 50, seed: 1 });
    a.folds.forEach((f, k) => {
      expect(cell.foldA[k]).toBeCloseTo(f.meanScore, 5);
    });
    b.folds.forEach((f, k) => {
      expect(cell.foldB[k]).toBeCloseTo(f.meanScore, 5);
    });
    expect(cell.difference).toBeCloseTo(b.mean - a.mean, 5);
  });

  it('pairedRidgeRois: grouped fits (one decomposition per fold) equal per-ROI fits; cells equal, predictions dropped', () => {
    const { X, S, Y } = data(6, 80, 8, 10);
    const assignment = kFoldAssignment(80, 5, 3);
    const rois = [
      { name: 'r1', columns: [0, 2, 4] },
      { name: 'r2', columns: [5, 6, 7, 8] },
    ];
    const out = pairedRidgeRois(X, S, Y, rois, { preset: 'paper', assignment, stats: { nResamples: 40, seed: 10 } });
    expect(out.map((o) => o.roi)).toEqual(['r1', 'r2']);
    out.forEach((o, i) => {
      const Yr = takeCols(Y, rois[i].columns);
      const a = fitRidgeCv(X, Yr, { preset: 'paper', assignment, returnPredictions: true });
      const b = fitRidgeCv(S, Yr, { preset: 'paper', assignment, returnPredictions: true });
      const want = pairedFitCell(Yr, a, b, { nResamples: 40, seed: 10 + i });
      expect(o.cell.difference).toBe(want.difference);
      expect(o.cell.bootstrapCi).toEqual(want.bootstrapCi);
      expect(o.cell.p).toBe(want.p);
      expect(o.a.mean).toBe(a.mean);
      expect(o.a.folds.every((f) => f.predictions === undefined)).toBe(true);
    });
  });

  it('refuses fits with different folds', () => {
    const { X, S, Y } = data(2, 60, 8, 4);
    const a = fitRidgeCv(X, Y, { preset: 'paper', assignment: kFoldAssignment(60, 5, 0), returnPredictions: true });
    const b = fitRidgeCv(S, Y, { preset: 'paper', assignment: kFoldAssignment(60, 5, 1), returnPredictions: true });
    expect(() => pairedRoiCells(Y, a, b, [{ name: 'r', targets: [0] }])).toThrow(/fold assignments/);
  });
});
