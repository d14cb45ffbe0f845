/**
 * The native pieces of a TopK SAE step (native/src/sae.c: topkRelu, authorsAuxGradients) give the TypeScript
 * functions' numbers bit for bit, on batches larger than the numpy fixture of sae-authors.test.ts (which runs
 * SaeTrainer, hence the native path, against numpy): ties, non-positive rows, both dead-mask semantics.
 */
import { describe, expect, it } from 'vitest';
import { nativeAddon } from '../../src/compute/linalg/native';
import { Rng } from '../../src/compute/random';
import { TopKRelu } from '../../src/sae/forward';
import { authorsAuxBuffers, authorsAuxGradients, zeroGrads, type CpuSaeParams } from '../../src/sae/gradients';

const rows = 300;
const d = 12;
const m = 40;
const k = 7;

function randomArray(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

describe.skipIf(!nativeAddon())('native SAE step pieces equal the TypeScript ones', () => {
  it('topkRelu: same latents and values, ties to the lowest index, only positive values kept', () => {
    const rng = new Rng(4);
    const pre = randomArray(rng, rows * m);
    for (let j = 0; j < m; j++) pre[j] = j % 3 === 0 ? 0.5 : -1; // row 0: many ties at the k-th value
    for (let j = 0; j < m; j++) pre[m + j] = -Math.abs(pre[m + j]); // row 1: nothing positive
    const a = new TopKRelu(rows, m, k);
    const b = new TopKRelu(rows, m, k);
    a.run(pre, rows);
    b.run(pre, rows, false);
    expect(Array.from(a.count)).toEqual(Array.from(b.count));
    expect(Array.from(a.idx)).toEqual(Array.from(b.idx));
    expect(Array.from(a.val)).toEqual(Array.from(b.val));
    expect(Array.from(a.idx.subarray(0, k))).toEqual([0, 3, 6, 9, 12, 15, 18]);
    expect(a.count[1]).toBe(0);
  });

  for (const straightThrough of [false, true]) {
    it(`authorsAuxGradients (straightThrough ${straightThrough}): same losses and gradients`, () => {
      const rng = new Rng(straightThrough ? 9 : 8);
      const p: CpuSaeParams = {
        d,
        m,
        wEncT: randomArray(rng, m * d, 0.3),
        bEnc: randomArray(rng, m, 0.1),
        wDec: randomArray(rng, m * d, 0.3),
        bDec: randomArray(rng, d, 0.1),
      };
      const x = randomArray(rng, rows * d);
      const pre = randomArray(rng, rows * m);
      const sel = new TopKRelu(rows, m, k);
      sel.run(pre, rows, false);
      const main = { stride: k, idx: sel.idx, val: sel.val, count: sel.count };
      const dead = Uint8Array.from({ length: m }, (_, j) => (j % 4 === 1 ? 1 : 0));
      const run = (native: boolean) => {
        const g = zeroGrads(d, m);
        const out = authorsAuxGradients(
          p,
          x,
          rows,
          main,
          pre,
          dead,
          straightThrough,
          0.1,
          rows * d,
          g,
          authorsAuxBuffers(rows, d, m),
          native,
        );
        return { out, g };
      };
      const n = run(true);
      const t = run(false);
      expect(n.out).toEqual(t.out);
      for (const key of ['wEncT', 'bEnc', 'wDec', 'bDec'] as const)
        expect(Array.from(n.g[key])).toEqual(Array.from(t.g[key]));
      expect(n.out.auxLoss).toBeGreaterThan(0);
    });
  }
});
