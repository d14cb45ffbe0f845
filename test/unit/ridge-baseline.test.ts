/**
 * The baseline beside every ridge score (issue 21 item 10): each target predicted by its training mean (in the
 * preset's target space) for every test stimulus, scored with the fold's own score and averaged as the score is.
 * Reference: numpy (test/fixtures/baseline/gen_baseline.py): ReLU'd and TopK-like targets under the paper preset
 * (cosine and Pearson), and the closed form on a raw matrix.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { columnScores, constantPredictionScores } from '../../src/compute/correlation';
import { fitRidgeCv, fitRidgeCvGroups, type RidgeScore } from '../../src/compute/ridge/index';

interface Case {
  name: string;
  score: RidgeScore;
  n: number;
  p: number;
  v: number;
  X: number[];
  Y: number[];
  assignment: number[];
  kept: number[];
  foldBaselines: number[];
  baseline: number;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/baseline/baseline.json', import.meta.url), 'utf8')) as {
  cases: Case[];
  raw: { rows: number; cols: number; B: number[]; means: number[]; cosine: (number | null)[] };
};

const inputs = (c: Case) => ({
  X: { rows: c.n, cols: c.p, data: Float32Array.from(c.X) },
  Y: { rows: c.n, cols: c.v, data: Float32Array.from(c.Y) },
  assignment: Int32Array.from(c.assignment),
});

describe('constantPredictionScores', () => {
  it('equals numpy on a raw matrix (means of either sign, a zero mean, an all-zero column)', () => {
    const { rows, cols, B, means, cosine } = fixture.raw;
    const m = { rows, cols, data: Float64Array.from(B) };
    const got = constantPredictionScores(means, m, 'cosine');
    cosine.forEach((want, j) => {
      if (want === null) expect(Number.isNaN(got[j])).toBe(true);
      else expect(got[j]).toBeCloseTo(want, 6);
    });
    const r = constantPredictionScores(means, m, 'pearson');
    expect(Array.from(r.slice(0, 4))).toEqual([0, 0, 0, 0]);
    expect(Number.isNaN(r[4])).toBe(true);
  });

  it('is columnScores of the materialised constant prediction (cosine)', () => {
    const { rows, cols, B, means } = fixture.raw;
    const pred = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) pred[i * cols + j] = means[j];
    const direct = columnScores({ rows, cols, data: pred }, { rows, cols, data: Float64Array.from(B) }, 'cosine');
    const closed = constantPredictionScores(means, { rows, cols, data: Float64Array.from(B) }, 'cosine');
    for (const j of [0, 1, 3]) expect(closed[j]).toBeCloseTo(direct[j], 6);
  });
});

describe('ridge fits carry the baseline of their folds', () => {
  for (const c of fixture.cases) {
    it(`${c.name} targets, paper preset, ${c.score}: numpy's fold baselines`, () => {
      const { X, Y, assignment } = inputs(c);
      const res = fitRidgeCv(X, Y, { preset: 'paper', score: c.score, assignment });
      expect(Array.from(res.targets.kept)).toEqual(c.kept);
      res.folds.forEach((f, k) => {
        expect(f.baseline).toBeCloseTo(c.foldBaselines[k], 5);
      });
      expect(res.baseline).toBeCloseTo(c.baseline, 5);
      // The same through the alpha search of several groups together (its training targets are not kept).
      const groups = [
        { name: 'all', columns: Int32Array.from({ length: c.v }, (_, j) => j) },
        { name: 'again', columns: Int32Array.from({ length: c.v }, (_, j) => j) },
      ];
      const together = fitRidgeCvGroups(X, Y, groups, {
        preset: 'paper',
        score: c.score,
        assignment,
        groupSearch: 'together',
      });
      for (const g of together.groups) expect(g.baseline).toBeCloseTo(c.baseline, 5);
    });
  }

  it('presets that centre the targets with training means have a zero training mean: baseline 0', () => {
    const { X, Y, assignment } = inputs(fixture.cases[0]);
    for (const preset of ['paper-centred', 'encoding', 'centred-own-means', 'unit-norm-columns'] as const) {
      const res = fitRidgeCv(X, Y, { preset, assignment });
      expect(res.baseline).toBe(0);
    }
    expect(fitRidgeCv(X, Y, { preset: 'paper-centred', score: 'cosine', assignment }).baseline).toBe(0);
  });
});
