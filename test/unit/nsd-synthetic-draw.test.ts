/**
 * The synthetic writer's hot loop (issue #24: the full-size tree in under 15 minutes) must draw exactly the
 * betas the plain per-voxel loop drew, so that trees cached by earlier versions stay valid: Rng.fillNormal is
 * compared with repeated normal() calls, and drawSessionBetasInto with the loop it replaced.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/compute/random';
import { type BetasModel, drawSessionBetasInto } from '../../src/nsd/synthetic-model';

/** The loop drawSessionBetasInto had before: one normal() per in-brain voxel, voxel order, trial by trial. */
function plainDraw(
  stored: Int16Array,
  trialImage: Int32Array,
  prf: Int32Array,
  signalOf: (p: number) => Float32Array,
  model: BetasModel,
  rng: Rng,
): void {
  const V = prf.length;
  const drift = rng.normal() * 0.3;
  for (let tt = 0; tt < trialImage.length; tt++) {
    const signal = signalOf(trialImage[tt]);
    const out = stored.subarray(tt * V, (tt + 1) * V);
    for (let v = 0; v < V; v++) {
      if (prf[v] < 0) continue;
      const psc = model.gain * (signal[v] + model.noiseSd * rng.normal()) + model.offset[v] + drift;
      out[v] = Math.max(-32768, Math.min(32767, Math.round(psc * 300)));
    }
  }
}

describe('synthetic NSD drawing', () => {
  it('fillNormal returns the values of as many normal() calls, spare included, and leaves the same state', () => {
    for (const lengths of [[1], [2], [7, 1, 4], [0, 3, 3], [1001, 2, 1]]) {
      const a = new Rng(42);
      const b = new Rng(42);
      // an odd start leaves a spare normal for the first fill to use
      expect(a.normal()).toBe(b.normal());
      for (const n of lengths) {
        const filled = a.fillNormal(new Float64Array(n));
        const called = Float64Array.from({ length: n }, () => b.normal());
        expect(filled).toEqual(called);
      }
      expect(a.normal()).toBe(b.normal());
      expect(a.uniform()).toBe(b.uniform());
    }
  });

  it('drawSessionBetasInto stores the betas of the per-voxel loop, 0 outside the brain', () => {
    const V = 997;
    const setup = new Rng(3);
    const prf = Int32Array.from({ length: V }, () => setup.int(5) - 1); // -1 outside the brain
    const signals = Array.from({ length: 6 }, () => Float32Array.from({ length: V }, () => setup.normal()));
    const model: BetasModel = {
      noiseSd: 0.8,
      gain: 1.3,
      offset: Float32Array.from({ length: V }, () => setup.normal()),
      ncsnr: new Float32Array(V),
    };
    const trialImage = Int32Array.from({ length: 40 }, () => setup.int(signals.length));
    const fast = new Int16Array(40 * V);
    const plain = new Int16Array(40 * V);
    const rngFast = new Rng(9);
    const rngPlain = new Rng(9);
    for (let session = 0; session < 3; session++) {
      drawSessionBetasInto(fast, trialImage, prf, (p) => signals[p], model, rngFast);
      plainDraw(plain, trialImage, prf, (p) => signals[p], model, rngPlain);
      expect(fast).toEqual(plain);
    }
    for (let v = 0; v < V; v++) if (prf[v] < 0) expect(fast[v]).toBe(0);
    expect(fast.some((x) => x !== 0)).toBe(true);
  });
});
