import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { emdUniform, networkSimplex, planToDense } from '../../src/compute/ot/network-simplex';
import { Rng } from '../../src/compute/random';

interface EmdCase {
  name: string;
  n: number;
  m: number;
  cost_b64: string;
  emd_cost: number;
}
const cases: EmdCase[] = JSON.parse(readFileSync(new URL('../fixtures/metrics/emd.json', import.meta.url), 'utf8'));

function decode(b64: string): Float64Array {
  const buf = Buffer.from(b64, 'base64');
  return new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** Row and column sums of a dense plan vs uniform marginals; minimum entry. */
function checkFeasible(P: Float64Array, n: number, m: number) {
  let maxErr = 0;
  let minEntry = Infinity;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < m; j++) (s += P[i * m + j]), (minEntry = Math.min(minEntry, P[i * m + j]));
    maxErr = Math.max(maxErr, Math.abs(s - 1 / n));
  }
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += P[i * m + j];
    maxErr = Math.max(maxErr, Math.abs(s - 1 / m));
  }
  return { maxErr, minEntry };
}

describe('emdUniform equals POT ot.emd', () => {
  for (const c of cases) {
    it(c.name, () => {
      const cost = decode(c.cost_b64);
      expect(cost.length).toBe(c.n * c.m);
      const plan = emdUniform(cost, c.n, c.m);
      expect(Math.abs(plan.cost - c.emd_cost)).toBeLessThan(1e-9);
      const P = planToDense(plan, c.n, c.m);
      const { maxErr, minEntry } = checkFeasible(P, c.n, c.m);
      expect(maxErr).toBeLessThan(1e-12);
      expect(minEntry).toBeGreaterThanOrEqual(0);
      // A basic solution: at most n + m - 1 non-zero entries.
      expect(plan.mass.length).toBeLessThanOrEqual(c.n + c.m - 1);
      let recomputed = 0;
      for (let k = 0; k < P.length; k++) recomputed += P[k] * cost[k];
      expect(Math.abs(recomputed - plan.cost)).toBeLessThan(1e-12);
    });
  }
});

describe('networkSimplex invariants', () => {
  it('equal sizes: a permutation, no worse than 200 random permutations', () => {
    const rng = new Rng(7);
    const n = 40;
    const cost = new Float64Array(n * n);
    for (let k = 0; k < cost.length; k++) cost[k] = Math.floor(rng.uniform() * 4);
    const plan = emdUniform(cost, n, n);
    // Integral vertex of the Birkhoff polytope (ties may allow others, but network simplex returns a vertex).
    for (const v of plan.mass) expect(Math.abs(v - 1 / n) < 1e-15 || v === 0).toBe(true);
    for (let t = 0; t < 200; t++) {
      const perm = rng.shuffle(Array.from({ length: n }, (_, i) => i));
      let c = 0;
      for (let i = 0; i < n; i++) c += cost[i * n + perm[i]] / n;
      expect(plan.cost).toBeLessThanOrEqual(c + 1e-12);
    }
  });

  it('non-uniform integer supplies: exact flows, matches a hand-solved problem', () => {
    // Sources 3 and 2, sinks 1 and 4; cheap diagonal forces a split.
    const plan = networkSimplex([3, 2], [1, 4], [0, 1, 5, 0]);
    const P = planToDense(plan, 2, 2);
    expect(Array.from(P)).toEqual([1, 2, 0, 2]);
    expect(plan.cost).toBe(2);
  });

  it('rejects unbalanced or malformed input', () => {
    expect(() => networkSimplex([1], [2], [0])).toThrow(/unbalanced/);
    expect(() => networkSimplex([1], [1], [NaN])).toThrow(/not finite/);
    expect(() => networkSimplex([1, 1], [2], [0])).toThrow(/2x1/);
  });

  it('a larger unequal problem (400 x 301) is feasible and passes a dual optimality certificate', () => {
    const rng = new Rng(11);
    const n = 400;
    const m = 301;
    const cost = new Float64Array(n * m);
    for (let k = 0; k < cost.length; k++) cost[k] = rng.uniform() * 2;
    const plan = emdUniform(cost, n, m);
    const P = planToDense(plan, n, m);
    const { maxErr, minEntry } = checkFeasible(P, n, m);
    expect(maxErr).toBeLessThan(1e-12);
    expect(minEntry).toBeGreaterThanOrEqual(0);
    // Optimality certificate: dual potentials from the basic cells, then every reduced cost >= -1e-9.
    const u = new Float64Array(n).fill(NaN);
    const v = new Float64Array(m).fill(NaN);
    const byRow: number[][] = Array.from({ length: n }, () => []);
    const byCol: number[][] = Array.from({ length: m }, () => []);
    for (let k = 0; k < plan.mass.length; k++) byRow[plan.rows[k]].push(k), byCol[plan.cols[k]].push(k);
    u[0] = 0;
    const stack: ['r' | 'c', number][] = [['r', 0]];
    while (stack.length) {
      const [kind, idx] = stack.pop()!;
      for (const k of kind === 'r' ? byRow[idx] : byCol[idx]) {
        const i = plan.rows[k];
        const j = plan.cols[k];
        if (kind === 'r' && Number.isNaN(v[j])) (v[j] = cost[i * m + j] - u[i]), stack.push(['c', j]);
        if (kind === 'c' && Number.isNaN(u[i])) (u[i] = cost[i * m + j] - v[j]), stack.push(['r', i]);
      }
    }
    // 400 and 301 are coprime, so no partial supply sum equals a partial demand sum: the basis is
    // non-degenerate and its positive cells span a tree that fixes the duals.
    expect(u.every((x) => !Number.isNaN(x)) && v.every((x) => !Number.isNaN(x))).toBe(true);
    let minReduced = Infinity;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) minReduced = Math.min(minReduced, cost[i * m + j] - u[i] - v[j]);
    expect(minReduced).toBeGreaterThan(-1e-9);
  });
});
