/**
 * Choosing among candidate sources (SAEs) without peeking (src/compute/ridge/select.ts, issue 21 item 8). By
 * construction: candidate B is better than A ONLY on the test stimuli of outer fold 0 (clean there, very noisy on
 * every other stimulus), so choosing by test scores would pick B for fold 0; the inner CV over fold 0's training
 * part picks A. Changing fold 0's test rows (sources and targets) leaves fold 0's inner scores bit-identical.
 */
import { describe, expect, it } from 'vitest';
import { kFoldAssignment } from '../../src/compute/folds';
import type { DenseMatrix } from '../../src/compute/matrix';
import { Rng } from '../../src/compute/random';
import { fitRidgeCvGroups } from '../../src/compute/ridge/index';
import { fitSelected, selectByInnerCv } from '../../src/compute/ridge/select';

const n = 400;
const latents = 6;
const units = 12;
const voxels = 30;
const rng = new Rng(7);
const gauss = (r: number, c: number, s = 1) => Float64Array.from({ length: r * c }, () => rng.normal() * s);
const Z = gauss(n, latents);
const W = gauss(latents, voxels);
const M = gauss(latents, units);
const assignment = kFoldAssignment(n, 5, 0);

function mix(A: Float64Array, B: Float64Array, r: number, k: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++)
    for (let j = 0; j < c; j++) for (let t = 0; t < k; t++) out[i * c + j] += A[i * k + t] * B[t * c + j];
  return out;
}

function dense(x: Float64Array, cols: number, noise: (row: number) => number): DenseMatrix<Float32Array> {
  const e = gauss(n, cols);
  return { rows: n, cols, data: Float32Array.from(x, (v, i) => v + noise(Math.floor(i / cols)) * e[i]) };
}

const ZW = mix(Z, W, n, latents, voxels);
const ZM = mix(Z, M, n, latents, units);
const Y = dense(ZW, voxels, () => 0.5);
const A = dense(ZM, units, () => 1);
const B = dense(ZM, units, (row) => (assignment[row] === 0 ? 0 : 1.5)); // clean only on fold 0's test stimuli
const groups = [
  { name: 'roi1', columns: Int32Array.from({ length: 15 }, (_, i) => i) },
  { name: 'roi2', columns: Int32Array.from({ length: 15 }, (_, i) => 15 + i) },
];
const options = { preset: 'paper' as const, assignment };
const spec = { innerFolds: 4, seed: 0 };
const testScore = (r: ReturnType<typeof fitRidgeCvGroups>, f: number) =>
  r.groups.reduce((a, g) => a + g.folds[f].meanScore, 0) / r.groups.length;

describe('inner-CV selection of a source', () => {
  it('picks by the training part only: the candidate better on the test stimuli alone is not chosen', () => {
    const fitA = fitRidgeCvGroups(A, Y, groups, options);
    const fitB = fitRidgeCvGroups(B, Y, groups, options);
    // Peeking (outer test scores of fold 0) would choose B (measured: 0.919 vs A 0.865; inner: A 0.869, B 0.800).
    expect(testScore(fitB, 0)).toBeGreaterThan(testScore(fitA, 0) + 0.05);
    const sel = selectByInnerCv([A, B], Y, groups, options, spec);
    expect(sel.innerScores[0][0]).toBeGreaterThan(sel.innerScores[0][1] + 0.05);
    expect(sel.chosen[0]).toBe(0);
    for (const [f, s] of sel.innerScores.entries()) expect(sel.chosen[f]).toBe(s[0] >= s[1] ? 0 : 1);
    expect(sel.innerScores).toHaveLength(5);
    expect(sel.innerDecompositions).toBe(5 * 2 * 4);
  });

  it("fold 0's inner scores do not depend on fold 0's test stimuli (sources or targets)", () => {
    const scramble = (m: DenseMatrix<Float32Array>): DenseMatrix<Float32Array> => ({
      ...m,
      data: Float32Array.from(m.data, (v, i) => (assignment[Math.floor(i / m.cols)] === 0 ? rng.normal() * 10 : v)),
    });
    const a = selectByInnerCv([A, B], Y, groups, options, spec);
    const b = selectByInnerCv([scramble(A), scramble(B)], scramble(Y), groups, options, spec);
    expect(b.innerScores[0]).toEqual(a.innerScores[0]);
    expect(b.chosen[0]).toBe(a.chosen[0]);
  });

  it('the selected fit is, fold by fold, the chosen candidate fit on the outer folds', () => {
    const fits = [fitRidgeCvGroups(A, Y, groups, options), fitRidgeCvGroups(B, Y, groups, options)];
    const r = fitSelected([A, B], Y, groups, options, spec);
    for (const [g, res] of r.groups.entries()) {
      for (const [f, c] of r.selection.chosen.entries()) {
        expect(res.folds[f].meanScore).toBe(fits[c].groups[g].folds[f].meanScore);
        expect(res.folds[f].alpha).toBe(fits[c].groups[g].folds[f].alpha);
      }
      const means = res.folds.map((x) => x.meanScore);
      expect(res.mean).toBeCloseTo(means.reduce((p, q) => p + q, 0) / means.length, 12);
      for (let t = 0; t < 15; t++) {
        const s = res.folds.map((x) => x.scores[t]);
        expect(res.targetScores[t]).toBeCloseTo(s.reduce((p, q) => p + q, 0) / s.length, 6);
      }
    }
  });
});
