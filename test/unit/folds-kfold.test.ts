import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assignmentFromMap, foldCount, foldIndices, kFoldAssignment } from '../../src/compute/folds';

interface KFoldCase {
  n: number;
  k: number;
  seed: number;
  assignment: number[] | null;
  checksum: number;
  head: number[];
  tail: number[];
}
const cases: KFoldCase[] = JSON.parse(readFileSync(new URL('../fixtures/folds/kfold.json', import.meta.url), 'utf8'));

describe('kFoldAssignment equals scikit-learn KFold(shuffle=True)', () => {
  for (const c of cases) {
    it(`n=${c.n} k=${c.k} seed=${c.seed}`, () => {
      const a = kFoldAssignment(c.n, c.k, c.seed);
      expect(a.length).toBe(c.n);
      if (c.assignment) expect(Array.from(a)).toEqual(c.assignment);
      expect(Array.from(a.subarray(0, 50))).toEqual(c.head);
      expect(Array.from(a.subarray(c.n - 50 < 0 ? 0 : c.n - 50))).toEqual(c.tail);
      let sum = 0;
      for (let i = 0; i < c.n; i++) sum += a[i] * ((i % 9973) + 1);
      expect(sum).toBe(c.checksum);
    });
  }

  it('fold sizes: first n % k folds one larger', () => {
    const a = kFoldAssignment(23, 5, 3);
    const sizes = [0, 0, 0, 0, 0];
    for (const f of a) sizes[f]++;
    expect(sizes).toEqual([5, 5, 5, 4, 4]);
  });

  it('rejects bad arguments', () => {
    expect(() => kFoldAssignment(3, 5, 0)).toThrow(/k must be <= n/);
    expect(() => kFoldAssignment(10, 1, 0)).toThrow(/k must be an integer >= 2/);
    expect(() => kFoldAssignment(10, 2, -1)).toThrow(/seed/);
  });
});

describe('assignmentFromMap', () => {
  it('maps ids to folds (object and Map)', () => {
    const ids = [10, 20, 30, 40];
    expect(Array.from(assignmentFromMap(ids, { '10': 1, '20': 0, '30': 1, '40': 0 }))).toEqual([1, 0, 1, 0]);
    expect(
      Array.from(
        assignmentFromMap(
          ids,
          new Map([
            [10, 0],
            [20, 1],
            [30, 2],
            [40, 0],
          ]),
          3,
        ),
      ),
    ).toEqual([0, 1, 2, 0]);
  });
  it('names the missing id', () => {
    expect(() => assignmentFromMap([1, 2, 3], { '1': 0, '2': 1 })).toThrow(/stimulus id 3 \(row 2\) has no fold/);
  });
  it('rejects bad fold numbers and empty folds', () => {
    expect(() => assignmentFromMap([1, 2], { '1': 0, '2': -1 })).toThrow(/stimulus id 2.*folds must be integers >= 0/);
    expect(() => assignmentFromMap([1, 2], { '1': 0, '2': 1.5 })).toThrow(/stimulus id 2/);
    expect(() => assignmentFromMap([1, 2], { '1': 0, '2': 2 }, 2)).toThrow(/stimulus id 2.*0\.\.1/);
    expect(() => assignmentFromMap([1, 2], { '1': 0, '2': 2 })).toThrow(/fold 1 of 3 has no stimuli/);
    expect(() => assignmentFromMap([1, 2], { '1': 0, '2': 0 })).toThrow(/at least 2 folds/);
  });
});

describe('foldIndices / foldCount', () => {
  it('splits rows into train and test', () => {
    const a = Int32Array.from([0, 1, 2, 1, 0, 2]);
    expect(foldCount(a)).toBe(3);
    const { train, test } = foldIndices(a, 1);
    expect(Array.from(test)).toEqual([1, 3]);
    expect(Array.from(train)).toEqual([0, 2, 4, 5]);
  });
});
