/**
 * SAE training as the authors ran it (issue 12 items 1-3), against test/fixtures/sae/train_step.json
 * (gen_train_step.py: numpy from align-interp 96006be sae.py / train_sae.py / toy_models.py).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/compute/backend';
import { Rng } from '../../src/compute/random';
import { initTopKSaeWeights, type SaeWeights } from '../../src/sae/model';
import { resolveTrainSettings } from '../../src/sae/settings';
import { trainTopKSae } from '../../src/sae/train';
import { SaeTrainer } from '../../src/sae/trainer';

const fx = JSON.parse(readFileSync(join(__dirname, '../fixtures/sae/train_step.json'), 'utf8'));

beforeAll(async () => {
  await initBackend();
});

function fixtureWeights(): SaeWeights {
  const { d, m, init } = fx;
  return {
    wEnc: { rows: d, cols: m, data: Float32Array.from(init.wEnc) },
    bEnc: Float32Array.from(init.bEnc),
    wDec: { rows: m, cols: d, data: Float32Array.from(init.wDec) },
    bDec: Float32Array.from(init.bDec),
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe('SaeTrainer steps equal the numpy reference of each AuxK variant', () => {
  for (const name of ['authors', 'authors-toy', 'gao'] as const) {
    it(`${name}: losses, dead counts and weights after each of 3 steps`, () => {
      const c = fx.cases[name].settings;
      const trainer = new SaeTrainer(
        fixtureWeights(),
        {
          k: fx.k,
          auxK: name,
          kAux: name === 'gao' ? c.kAux : fx.m,
          auxKWeight: c.alpha,
          deadSteps: c.deadSteps,
          decoderNorm: 'none',
          reconstructionLoss: c.loss,
          optimizer: c.optimizer,
          lr: c.lr,
          beta1: 0.9,
          beta2: 0.999,
          adamEps: c.eps,
          weightDecay: c.wd,
        },
        fx.rows,
      );
      const x = Float32Array.from(fx.x);
      const rowLen = fx.rows * fx.d;
      fx.cases[name].steps.forEach((want: Record<string, number | number[]>, s: number) => {
        const got = trainer.step(x.subarray(s * rowLen, (s + 1) * rowLen), fx.rows);
        expect(got.loss).toBeCloseTo(want.loss as number, 3);
        expect(got.auxLoss).toBeCloseTo(want.auxLoss as number, 3);
        expect(trainer.deadCount()).toBe(want.dead);
        const w = trainer.weights();
        // Adam moves each parameter by about lr = 1e-3 per step; float32 vs float64 differences stay far below it.
        expect(maxAbsDiff(w.wEnc.data, want.wEnc as number[])).toBeLessThan(2e-5);
        expect(maxAbsDiff(w.bEnc, want.bEnc as number[])).toBeLessThan(2e-5);
        expect(maxAbsDiff(w.wDec.data, want.wDec as number[])).toBeLessThan(2e-5);
        expect(maxAbsDiff(w.bDec, want.bDec as number[])).toBeLessThan(2e-5);
      });
    });
  }
});

describe('SAE initialisation as torch.nn.init in the authors code', () => {
  it('kaiming-uniform: W_enc (d x m) within sqrt(6/m), W_dec (m x d) within sqrt(6/d) (fan_in = size(1))', () => {
    const b = fx.initBounds;
    const w = initTopKSaeWeights(b.d, b.m, new Rng(3));
    const absMax = (a: Float32Array) => a.reduce((p, v) => Math.max(p, Math.abs(v)), 0);
    expect(absMax(w.wEnc.data)).toBeLessThanOrEqual(b.kaimingEnc);
    expect(absMax(w.wEnc.data)).toBeGreaterThan(0.99 * b.kaimingEnc);
    expect(absMax(w.wDec.data)).toBeLessThanOrEqual(b.kaimingDec);
    expect(absMax(w.wDec.data)).toBeGreaterThan(0.99 * b.kaimingDec);
  });

  it('xavier-normal: sd sqrt(2 / (d + m)) for both (toy_models.py ToySAE)', () => {
    const b = fx.initBounds;
    const w = initTopKSaeWeights(b.d, b.m, new Rng(4), 'xavier-normal');
    for (const a of [w.wEnc.data, w.wDec.data]) {
      const sd = Math.sqrt(a.reduce((p, v) => p + v * v, 0) / a.length);
      expect(Math.abs(sd / b.xavierStd - 1)).toBeLessThan(0.03);
    }
  });

  it("decoderNorm 'unit': unit decoder rows and W_enc = W_dec^T", () => {
    const w = initTopKSaeWeights(6, 10, new Rng(5), 'kaiming-uniform', 'unit');
    for (let j = 0; j < 10; j++) {
      let s = 0;
      for (let i = 0; i < 6; i++) {
        s += w.wDec.data[j * 6 + i] ** 2;
        expect(w.wEnc.data[i * 10 + j]).toBe(w.wDec.data[j * 6 + i]);
      }
      expect(Math.sqrt(s)).toBeCloseTo(1, 6);
    }
  });
});

describe('batches and data as train_sae.py', () => {
  const X = { rows: 20, cols: 4, data: Float32Array.from({ length: 80 }, (_, i) => Math.sin(i * 1.7) + 0.1 * (i % 5)) };

  it('trains on every sample by default and drops the last partial batch (20 rows, batch 8 -> 2 steps)', async () => {
    const steps: number[] = [];
    const res = await trainTopKSae(
      X,
      { k: 2, epochs: 2, batchSize: 8 },
      { onProgress: (p) => p.kind === 'step' && steps.push(p.totalSteps) },
    );
    expect(res.settings.heldOutRows).toBe(0);
    expect(res.settings.trainRows).toBe(20);
    expect(res.heldOutIndices.length).toBe(0);
    expect(res.metrics.evaluatedOn).toBe('train');
    expect(steps).toEqual([4, 4, 4, 4]);
    expect(res.sae.metadata.heldOutRows).toBeUndefined();
  });

  it('dropLast: false keeps the partial batch (3 steps per epoch)', async () => {
    let total = 0;
    await trainTopKSae(
      X,
      { k: 2, epochs: 1, batchSize: 8, dropLast: false },
      { onProgress: (p) => (total = p.totalSteps) },
    );
    expect(total).toBe(3);
  });

  it("paper defaults: authors' AuxK over every latent, dead after 32 silent steps, weight 1e-4, kaiming init", () => {
    const s = resolveTrainSettings({ k: 8 }, 1000, 16);
    expect(s).toMatchObject({
      auxK: 'authors',
      kAux: 32,
      deadSteps: 32,
      auxKWeight: 1e-4,
      init: 'kaiming-uniform',
      decoderNorm: 'none',
      reconstructionLoss: 'sum',
      dropLast: true,
      heldOutFraction: 0,
    });
    expect(resolveTrainSettings({ k: 8, auxK: 'gao' }, 1000, 16).kAux).toBe(8);
    expect(() => resolveTrainSettings({ k: 8, kAux: 4 }, 1000, 16)).toThrow(/kAux/);
  });
});
