/**
 * The hierarchical bootstrap over subjects then stimuli (src/compute/stats/hierarchical-bootstrap.ts) against
 * numpy (test/fixtures/stats/gen_hierarchical.py): with the seeded draws (numpy's port of the service's generator)
 * and with explicit draws from numpy's own generator, the resampled means, percentile interval, SE and the
 * null-centred p agree to 1e-9. Properties: with no subject-level variance and ever more stimuli the interval
 * narrows onto the common difference; one subject gives null (nothing to resample at the subject level).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hierarchicalBootstrap, hierarchicalDraws } from '../../src/compute/stats/index';
import { Rng } from '../../src/compute/random';

type Subject = { difference: number; replicates: (number | null)[] };
type Case = {
  name: string;
  seed?: number;
  subjects: Subject[];
  draws?: { subjects: number[]; replicates: number[] };
  expected: { mean: number; lower: number; upper: number; se: number; p: number; nResamples: number };
};
const fixture = JSON.parse(readFileSync('test/fixtures/stats/hierarchical.json', 'utf8')) as { cases: Case[] };

const decode = (s: Subject) => ({ difference: s.difference, replicates: s.replicates.map((v) => v ?? NaN) });

describe('hierarchical bootstrap against numpy', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const draws = c.draws
        ? { subjects: Int32Array.from(c.draws.subjects), replicates: Int32Array.from(c.draws.replicates) }
        : undefined;
      const r = hierarchicalBootstrap(c.subjects.map(decode), {
        nResamples: c.expected.nResamples,
        seed: c.seed,
        draws,
      })!;
      const e = c.expected;
      for (const k of ['mean', 'lower', 'upper', 'se', 'p'] as const) expect(Math.abs(r[k] - e[k])).toBeLessThan(1e-9);
      expect(r.nResamples).toBe(e.nResamples);
      expect(r.seed).toBe(draws ? null : c.seed);
      expect(r.nSubjects).toBe(c.subjects.length);
      expect(r.subjectDraws).toBe(c.subjects.length ** c.subjects.length);
      expect(r.minAttainableP).toBe(1 / (e.nResamples + 1));
    });
  }

  it('is deterministic for a seed and draws indices in range', () => {
    const subjects = fixture.cases[0].subjects.map(decode);
    expect(hierarchicalBootstrap(subjects, { seed: 3 })).toEqual(hierarchicalBootstrap(subjects, { seed: 3 }));
    expect(hierarchicalBootstrap(subjects, { seed: 3 })!.lower).not.toBe(
      hierarchicalBootstrap(subjects, { seed: 4 })!.lower,
    );
    const d = hierarchicalDraws([3, 1, 2], 50, 9);
    for (let o = 0; o < d.subjects.length; o++) expect(d.replicates[o]).toBeLessThan([3, 1, 2][d.subjects[o]]);
  });
});

describe('hierarchical bootstrap properties', () => {
  /** Subjects with the same true difference 0.05; replicates: the mean of m stimulus terms with sd 0.2. */
  function identicalSubjects(m: number, seed: number) {
    const rng = new Rng(seed);
    return Array.from({ length: 4 }, () => ({
      difference: 0.05,
      replicates: Float64Array.from({ length: 500 }, () => 0.05 + (0.2 / Math.sqrt(m)) * rng.normal()),
    }));
  }

  it('narrows onto the common difference when subjects agree and stimuli grow', () => {
    const widths = [100, 10_000, 1_000_000].map((m) => {
      const r = hierarchicalBootstrap(identicalSubjects(m, 1), { nResamples: 2000 })!;
      expect(r.lower).toBeLessThan(0.05);
      expect(r.upper).toBeGreaterThan(0.05);
      return r.upper - r.lower;
    });
    // width ~ 2 x 1.96 x 0.2 / sqrt(4 m): 0.0392, 0.00392, 0.000392
    expect(widths[0]).toBeGreaterThan(0.035);
    expect(widths[0]).toBeLessThan(0.044);
    expect(widths[1] / widths[0]).toBeLessThan(0.15);
    expect(widths[2]).toBeLessThan(5e-4);
    expect(hierarchicalBootstrap(identicalSubjects(1_000_000, 2))!.p).toBe(1 / 2001);
  });

  it('gives null with one subject or a subject without finite replicates', () => {
    expect(hierarchicalBootstrap([{ difference: 0.1, replicates: [0.1, 0.2] }])).toBeNull();
    expect(hierarchicalBootstrap([])).toBeNull();
    const two = [
      { difference: 0.1, replicates: [0.1, 0.2] },
      { difference: 0.2, replicates: [NaN] },
    ];
    expect(hierarchicalBootstrap(two)).toBeNull();
    expect(hierarchicalBootstrap([two[0], { difference: NaN, replicates: [0.1] }])).toBeNull();
  });

  it('rejects draws that do not fit the subjects', () => {
    const two = [
      { difference: 0.1, replicates: [0.1, 0.2] },
      { difference: 0.2, replicates: [0.3] },
    ];
    expect(() =>
      hierarchicalBootstrap(two, {
        draws: { subjects: Int32Array.from([0, 1, 1]), replicates: Int32Array.from([0, 0, 0]) },
      }),
    ).toThrow(RangeError);
    expect(() =>
      hierarchicalBootstrap(two, { draws: { subjects: Int32Array.from([0, 1]), replicates: Int32Array.from([0, 1]) } }),
    ).toThrow(/replicate draw 1/);
  });
});
