/**
 * fitRidgeCv driver: result layout (dropped targets, per-target scores, SEM), ROI summaries, noise-ceiling
 * normalisation, progress and abort, the sparse path against its densified input.
 */
import { describe, expect, it } from 'vitest';
import { kFoldAssignment } from '../../src/compute/folds';
import { type DenseMatrix, csrToDense } from '../../src/compute/matrix';
import { Rng } from '../../src/compute/random';
import { fitRidgeCv, normaliseByNoiseCeiling, roiSummary } from '../../src/compute/ridge/index';
import { randomCsr } from '../helpers/random';

function problem(seed: number, n: number, p: number, v: number) {
  const rng = new Rng(seed);
  const X: DenseMatrix<Float32Array> = { rows: n, cols: p, data: new Float32Array(n * p) };
  for (let i = 0; i < X.data.length; i++) X.data[i] = Math.max(0, rng.normal());
  const Y: DenseMatrix<Float32Array> = { rows: n, cols: v, data: new Float32Array(n * v) };
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < v; t++) {
      let s = 0;
      for (let j = 0; j < 4; j++) s += X.data[i * p + ((t + j) % p)];
      Y.data[i * v + t] = s + 0.5 * rng.normal();
    }
  }
  return { X, Y };
}

describe('fitRidgeCv', () => {
  it('reports per-target scores over the original targets with NaN for dropped ones', () => {
    const { X, Y } = problem(1, 80, 10, 6);
    for (let i = 0; i < 80; i++) Y.data[i * 6 + 2] = 0; // dead target
    const assignment = kFoldAssignment(80, 4, 0);
    const res = fitRidgeCv(X, Y, { preset: 'paper', assignment });
    expect(res.nFolds).toBe(4);
    expect(res.targets.dropped).toBe(1);
    expect(Array.from(res.targets.kept)).toEqual([0, 1, 3, 4, 5]);
    expect(Number.isNaN(res.targetScores[2])).toBe(true);
    for (const f of res.folds) {
      expect(f.scores.length).toBe(6);
      expect(Number.isNaN(f.scores[2])).toBe(true);
      expect(f.alpha).toBeGreaterThan(0);
      expect(f.form).toBe('primal');
      expect(f.looErrors!.length).toBe(17);
    }
    const means = res.folds.map((f) => f.meanScore);
    const m = means.reduce((a, b) => a + b, 0) / 4;
    expect(res.mean).toBeCloseTo(m, 10);
    const sd = Math.sqrt(means.reduce((a, b) => a + (b - m) ** 2, 0) / 3);
    expect(res.sem).toBeCloseTo(sd / 2, 10);
    expect(res.mean).toBeGreaterThan(0.5); // Y is driven by X
    // an ROI over every kept target reproduces the overall numbers
    const roi = roiSummary(res, [0, 1, 2, 3, 4, 5]);
    expect(roi.mean).toBeCloseTo(res.mean, 6);
    expect(roi.n).toBe(5);
  });

  it('encoding preset: per-target alphas, Pearson r, noise-ceiling normalisation with a minimum', () => {
    const { X, Y } = problem(2, 90, 12, 5);
    const nc = Float32Array.from([50, 10, 80, 0, 30]);
    const res = fitRidgeCv(X, Y, {
      preset: 'encoding',
      assignment: kFoldAssignment(90, 5, 1),
      noiseCeiling: nc,
      minNoiseCeiling: 25,
    });
    for (const f of res.folds) {
      expect(Number.isNaN(f.alpha)).toBe(true);
      expect(f.alphaPerTarget!.length).toBe(5);
      expect(f.looErrors!.length).toBe(17 * 5);
    }
    const nn = res.noiseCeiling!;
    expect(nn.kept).toBe(3);
    expect(nn.share).toBeCloseTo(3 / 5, 10);
    expect(nn.normalised[0]).toBeCloseTo(res.targetScores[0] ** 2 / 0.5, 5);
    expect(Number.isNaN(nn.normalised[1])).toBe(true);
    expect(Number.isNaN(nn.normalised[3])).toBe(true);
    const direct = normaliseByNoiseCeiling(Float32Array.from([0.5, NaN]), Float32Array.from([25, 25]));
    expect(direct.normalised[0]).toBeCloseTo(1, 6);
    expect(direct.share).toBe(1);
  });

  it('sparse sources give the same result as their dense copies, in both forms', () => {
    const rng = new Rng(9);
    const n = 70;
    const p = 90;
    const k = 5;
    const S = randomCsr(rng, n, p, k);
    const D = csrToDense(S);
    const Y: DenseMatrix<Float32Array> = { rows: n, cols: 4, data: new Float32Array(n * 4) };
    for (let i = 0; i < n; i++)
      for (let t = 0; t < 4; t++) Y.data[i * 4 + t] = D.data[i * p + t] + D.data[i * p + t + 7] + 0.2 * rng.normal();
    const assignment = kFoldAssignment(n, 5, 3);
    for (const preset of ['paper', 'paper-centred', 'encoding'] as const) {
      const a = fitRidgeCv(S, Y, { preset, assignment, precision: 'f64' });
      const b = fitRidgeCv(D, Y, { preset, assignment, precision: 'f64' });
      expect(a.source.sparse).toBe(true);
      expect(Array.from(a.source.kept)).toEqual(Array.from(b.source.kept));
      a.folds.forEach((f, i) => {
        if (preset !== 'encoding') expect(f.alpha).toBe(b.folds[i].alpha);
        for (let t = 0; t < 4; t++) expect(f.scores[t]).toBeCloseTo(b.folds[i].scores[t], 6);
      });
      const primal = fitRidgeCv(S, Y, { preset, assignment, precision: 'f64', form: 'primal' });
      primal.folds.forEach((f, i) => {
        expect(f.form).toBe('primal');
        for (let t = 0; t < 4; t++) expect(f.scores[t]).toBeCloseTo(a.folds[i].scores[t], 5);
      });
    }
  });

  it('reports progress and stops on abort', () => {
    const { X, Y } = problem(3, 60, 8, 3);
    const assignment = kFoldAssignment(60, 3, 0);
    const stages: string[] = [];
    fitRidgeCv(X, Y, {
      preset: 'paper',
      assignment,
      onProgress: (p) => stages.push(`${p.stage}:${p.done}/${p.total}`),
    });
    expect(stages).toContain('fold:3/3');
    const ctl = new AbortController();
    expect(() =>
      fitRidgeCv(X, Y, {
        preset: 'paper',
        assignment,
        signal: ctl.signal,
        onProgress: (p) => {
          if (p.stage === 'fold' && p.done === 1) ctl.abort();
        },
      }),
    ).toThrow();
  });
});
