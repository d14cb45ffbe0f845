/**
 * Calibration on simulated studies with a known truth. Each study: 5 folds x 30 held-out stimuli; 4 ROIs of 6
 * voxels; in 2 ROIs representation b predicts better than a, in 2 they are equally good. Held-out predictions
 * are simulated directly (no fitting) from a model whose per-voxel population Pearson correlation is known:
 *   y = s + sy e,  yhat = c s + sh (sqrt(rho) u + sqrt(1 - rho) v),  s = F w_j (3 shared stimulus factors,
 *   ||w_j|| = 1, so voxels of an ROI are correlated), u shared by a and b (paired), e, u, v ~ N(0, 1):
 *   corr(yhat_j, y_j) = c / sqrt((c^2 + sh^2)(1 + sy^2)) for every voxel.
 * Checks: the bootstrap and fold-t 95% intervals cover the true difference at about the nominal rate, the
 * permutation p is uniform-ish on equal ROIs, and equal ROIs are rarely flagged after BH across a study's cells.
 */
import { describe, expect, it } from 'vitest';
import type { DenseMatrix } from '../../src/compute/matrix';
import { Rng } from '../../src/compute/random';
import { bhQValues, pairedCell, type HeldOutFold } from '../../src/compute/stats/index';

const STUDIES = 200;
const FOLDS = 5;
const PER_FOLD = 30;
const VOXELS = 6;
const FACTORS = 3;
const SY = 1;
const SH = 1;
const RHO = 0.5;
/** (c_a, c_b) per ROI: b better in the first two, equal in the last two. */
const ROIS: [number, number][] = [
  [0.6, 1.0],
  [0.8, 1.1],
  [0.8, 0.8],
  [0.5, 0.5],
];

/** Fewer resamples than the defaults (1000, 9999) keep the 800 cells inside a minute on 2 shared cores. */
const TEST_SIZES = { nResamples: 500, nPermutations: 2000 };

const trueR = (c: number) => c / Math.sqrt((c * c + SH * SH) * (1 + SY * SY));

function simulateCell(rng: Rng, ca: number, cb: number): HeldOutFold[] {
  const w = new Float64Array(FACTORS * VOXELS);
  for (let j = 0; j < VOXELS; j++) {
    let nn = 0;
    for (let k = 0; k < FACTORS; k++) {
      w[k * VOXELS + j] = rng.normal();
      nn += w[k * VOXELS + j] ** 2;
    }
    for (let k = 0; k < FACTORS; k++) w[k * VOXELS + j] /= Math.sqrt(nn);
  }
  const folds: HeldOutFold[] = [];
  for (let f = 0; f < FOLDS; f++) {
    const mk = (): DenseMatrix<Float32Array> => ({
      rows: PER_FOLD,
      cols: VOXELS,
      data: new Float32Array(PER_FOLD * VOXELS),
    });
    const a = mk();
    const b = mk();
    const y = mk();
    const F = new Float64Array(FACTORS);
    for (let i = 0; i < PER_FOLD; i++) {
      for (let k = 0; k < FACTORS; k++) F[k] = rng.normal();
      for (let j = 0; j < VOXELS; j++) {
        let s = 0;
        for (let k = 0; k < FACTORS; k++) s += F[k] * w[k * VOXELS + j];
        const u = rng.normal();
        const o = i * VOXELS + j;
        y.data[o] = s + SY * rng.normal();
        a.data[o] = ca * s + SH * (Math.sqrt(RHO) * u + Math.sqrt(1 - RHO) * rng.normal());
        b.data[o] = cb * s + SH * (Math.sqrt(RHO) * u + Math.sqrt(1 - RHO) * rng.normal());
      }
    }
    folds.push({ a, b, y });
  }
  return folds;
}

describe('calibration over simulated studies', () => {
  it('intervals cover the true difference at about 95% and BH keeps equal ROIs unflagged', () => {
    const rng = new Rng(2026);
    let cells = 0;
    let bootCover = 0;
    let foldCover = 0;
    let correctedCover = 0;
    let nullCells = 0;
    let nullP05 = 0;
    let nullFlagged = 0;
    let altCells = 0;
    let altFlagged = 0;
    for (let s = 0; s < STUDIES; s++) {
      const res = ROIS.map(([ca, cb], r) => {
        const cell = pairedCell(simulateCell(rng, ca, cb), { kind: 'pearson', seed: s * 16 + r, ...TEST_SIZES });
        const truth = trueR(cb) - trueR(ca);
        cells++;
        if (cell.bootstrapCi.lower <= truth && truth <= cell.bootstrapCi.upper) bootCover++;
        if (cell.foldCi.lower <= truth && truth <= cell.foldCi.upper) foldCover++;
        if (cell.foldCiCorrected.lower <= truth && truth <= cell.foldCiCorrected.upper) correctedCover++;
        return { cell, equal: ca === cb };
      });
      const q = bhQValues(res.map((x) => x.cell.p));
      res.forEach(({ cell, equal }, r) => {
        if (equal) {
          nullCells++;
          if (cell.p < 0.05) nullP05++;
          if (q[r] < 0.05) nullFlagged++;
        } else {
          altCells++;
          if (q[r] < 0.05) altFlagged++;
        }
      });
    }
    const report = {
      cells,
      bootstrapCoverage: bootCover / cells,
      foldTCoverage: foldCover / cells,
      // folds are independent here (no shared training), so the correction over-covers; see bench/stats-coverage-ridge.ts
      correctedFoldTCoverage: correctedCover / cells,
      nullPBelow05: nullP05 / nullCells,
      nullFlaggedAfterBh: nullFlagged / nullCells,
      powerAfterBh: altFlagged / altCells,
    };
    console.log('stats calibration', JSON.stringify(report));
    // 800 intervals: binomial SE of a 95% coverage is 0.008
    expect(report.bootstrapCoverage).toBeGreaterThan(0.92);
    expect(report.bootstrapCoverage).toBeLessThan(0.98);
    expect(report.foldTCoverage).toBeGreaterThan(0.92);
    expect(report.foldTCoverage).toBeLessThan(0.98);
    expect(report.correctedFoldTCoverage).toBeGreaterThanOrEqual(report.foldTCoverage);
    expect(report.nullPBelow05).toBeLessThan(0.08);
    expect(report.nullFlaggedAfterBh).toBeLessThan(0.05);
    expect(report.powerAfterBh).toBeGreaterThan(0.8);
  }, 180_000);
});
