/**
 * Shared decompositions across target groups (fitRidgeCvGroups): every group's alphas and scores equal one
 * fitRidgeCv on that group's columns alone (the per-ROI path), for dense and sparse sources, primal and dual
 * forms and each preset, with overlapping groups (a union) and dead targets; one eigendecomposition per fold.
 */
import { describe, expect, it } from 'vitest';
import { kFoldAssignment } from '../../src/compute/folds';
import { type CsrMatrix, type DenseMatrix, takeCols } from '../../src/compute/matrix';
import { Rng } from '../../src/compute/random';
import { fitRidgeCv, fitRidgeCvGroups, type RidgePreset, type TargetGroup } from '../../src/compute/ridge/index';

function problem(seed: number, n: number, p: number, v: number, sparseK: number | null) {
  const rng = new Rng(seed);
  const dense = new Float32Array(n * p);
  if (sparseK === null) for (let i = 0; i < dense.length; i++) dense[i] = Math.max(0, rng.normal());
  else {
    for (let i = 0; i < n; i++)
      for (let k = 0; k < sparseK; k++) dense[i * p + Math.floor(rng.uniform() * p)] = 0.2 + rng.uniform();
  }
  const Y: DenseMatrix<Float32Array> = { rows: n, cols: v, data: new Float32Array(n * v) };
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < v; t++) {
      let s = 0;
      for (let j = 0; j < 5; j++) s += dense[i * p + ((3 * t + j) % p)] * (1 + (t % 3));
      Y.data[i * v + t] = s + 0.7 * rng.normal() + (i % 4) * 0.1;
    }
  }
  let X: DenseMatrix<Float32Array> | CsrMatrix = { rows: n, cols: p, data: dense };
  if (sparseK !== null) {
    const indptr = new Int32Array(n + 1);
    const indices: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < p; j++) if (dense[i * p + j] !== 0) indices.push(j), values.push(dense[i * p + j]);
      indptr[i + 1] = indices.length;
    }
    X = { rows: n, cols: p, indptr, indices: Int32Array.from(indices), values: Float32Array.from(values) };
  }
  return { X, Y };
}

const range = (a: number, b: number) => Int32Array.from({ length: b - a }, (_, i) => a + i);

function groupsOf(v: number): TargetGroup[] {
  return [
    { name: 'A', columns: range(0, 7) },
    { name: 'B', columns: range(7, 15) },
    { name: 'C', columns: range(15, v) },
    // a union of A and C (overlaps both), members in a different order
    { name: 'A+C', columns: Int32Array.from([...range(15, v), ...range(0, 7)]) },
  ];
}

function expectSame(shared: ReturnType<typeof fitRidgeCv>, alone: ReturnType<typeof fitRidgeCv>) {
  expect(Array.from(shared.targets.kept)).toEqual(Array.from(alone.targets.kept));
  expect(shared.folds.map((f) => f.alpha)).toEqual(alone.folds.map((f) => f.alpha));
  expect(shared.folds.map((f) => f.form)).toEqual(alone.folds.map((f) => f.form));
  shared.folds.forEach((f, i) => {
    if (f.alphaPerTarget) expect(Array.from(f.alphaPerTarget)).toEqual(Array.from(alone.folds[i].alphaPerTarget!));
    expect(Math.abs(f.meanScore - alone.folds[i].meanScore)).toBeLessThan(1e-6);
  });
  for (let t = 0; t < alone.targetScores.length; t++) {
    const a = alone.targetScores[t];
    const b = shared.targetScores[t];
    if (Number.isNaN(a)) expect(Number.isNaN(b)).toBe(true);
    else expect(Math.abs(a - b)).toBeLessThan(1e-6);
  }
  expect(Math.abs(shared.mean - alone.mean)).toBeLessThan(1e-6);
  expect(Math.abs(shared.sem - alone.sem)).toBeLessThan(1e-6);
}

const cases: { name: string; n: number; p: number; sparseK: number | null; form: 'primal' | 'dual' }[] = [
  { name: 'dense primal', n: 90, p: 20, sparseK: null, form: 'primal' },
  { name: 'dense dual', n: 60, p: 140, sparseK: null, form: 'dual' },
  { name: 'sparse primal', n: 120, p: 40, sparseK: 6, form: 'primal' },
  { name: 'sparse dual', n: 80, p: 150, sparseK: 30, form: 'dual' },
];

describe('fitRidgeCvGroups (shared decomposition) equals the per-ROI path', () => {
  for (const c of cases) {
    for (const preset of ['paper', 'paper-centred', 'encoding'] as RidgePreset[]) {
      // z-scoring after the paper's row shift is not defined for sparse sources; encoding has no row LN
      it(`${c.name}, ${preset}`, () => {
        const v = 22;
        const { X, Y } = problem(c.n + c.p, c.n, c.p, v, c.sparseK);
        for (let i = 0; i < c.n; i++) Y.data[i * v + 9] = 0; // a dead target inside group B
        const assignment = kFoldAssignment(c.n, 4, 3);
        const groups = groupsOf(v);
        const nc = Float32Array.from({ length: v }, (_, t) => 5 + 4 * t);
        const opts = {
          preset,
          assignment,
          noiseCeiling: preset === 'encoding' ? nc : undefined,
          minNoiseCeiling: preset === 'encoding' ? 20 : undefined,
        };
        const shared = fitRidgeCvGroups(X, Y, groups, opts);
        expect(shared.decompositions).toBe(4); // one per fold for all four groups
        expect(shared.groups).toHaveLength(groups.length);
        groups.forEach((g, i) => {
          const Yg = takeCols(Y, g.columns) as DenseMatrix<Float32Array>;
          const alone = fitRidgeCv(X, Yg, {
            ...opts,
            noiseCeiling: opts.noiseCeiling ? Float32Array.from(g.columns, (col) => nc[col]) : undefined,
          });
          expect(alone.folds[0].form).toBe(c.form);
          expectSame(shared.groups[i], alone);
          if (preset === 'encoding') {
            expect(Math.abs(shared.groups[i].noiseCeiling!.mean - alone.noiseCeiling!.mean)).toBeLessThan(1e-6);
          }
        });
        // a group's numbers do not depend on which other groups share the call
        const onlyB = fitRidgeCvGroups(X, Y, [groups[1]], opts).groups[0];
        expectSame(onlyB, shared.groups[1]);
        expect(shared.groups[1].targets.dropped).toBe(1);
      });
    }
  }

  it('row LN is per group: a union is not the concatenation of its members', () => {
    const { X, Y } = problem(5, 80, 15, 22, null);
    const assignment = kFoldAssignment(80, 4, 0);
    const r = fitRidgeCvGroups(X, Y, groupsOf(22), { preset: 'paper', assignment }).groups;
    const union = r[3].targetScores; // C then A
    const cThenA = [...r[2].targetScores, ...r[0].targetScores];
    const maxDiff = Math.max(...cThenA.map((x, i) => Math.abs(x - union[i])));
    expect(maxDiff).toBeGreaterThan(1e-4);
  });

  it('names the group whose targets are all dead', () => {
    const { X, Y } = problem(6, 40, 8, 22, null);
    for (let i = 0; i < 40; i++) for (let t = 0; t < 7; t++) Y.data[i * 22 + t] = 0;
    expect(() =>
      fitRidgeCvGroups(X, Y, groupsOf(22), { preset: 'paper', assignment: kFoldAssignment(40, 4, 0) }),
    ).toThrow(/in A$/);
  });
});
