/** One SEM (src/compute/stats/sem.ts) behind ridge's fold means and the metrics' fold scores. */
import { describe, expect, it } from 'vitest';
import { meanAndSem } from '../../src/compute/metrics/cross-validate';
import { nanSem } from '../../src/compute/stats/sem';

describe('nanSem', () => {
  it('is sd (ddof = 1) / sqrt(n) over the finite values', () => {
    // sd of [1, 2, 3, 4] with ddof 1 is sqrt(5/3).
    expect(nanSem([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 3) / 2, 15);
    expect(nanSem([1, Number.NaN, 2, 3, Number.POSITIVE_INFINITY, 4])).toBe(nanSem([1, 2, 3, 4]));
    expect(nanSem([1])).toBeNaN();
    expect(nanSem([])).toBeNaN();
  });

  it('gives the metrics the same number, and NaN when a fold has no score', () => {
    const folds = [0.31, 0.27, 0.4, 0.35, 0.22];
    expect(meanAndSem(folds).sem).toBe(nanSem(folds));
    expect(meanAndSem([0.3, Number.NaN, 0.2])).toEqual({ mean: Number.NaN, sem: Number.NaN });
    expect(meanAndSem([0.3])).toEqual({ mean: 0.3, sem: Number.NaN });
  });
});
