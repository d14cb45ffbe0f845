/**
 * Toy model and ground-truth statistics against test/fixtures/toy/toy.json (gen_toy.py: numpy from
 * align-interp toy_models.py / utils.py / plot_utils.py), and the shared data set.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adamMoments, adamStep } from '../../src/sae/optim';
import { denseRows, featureImportance, generateToyData, type ToyDataset } from '../../src/toy/data';
import { batchGradients, ToyModelBuffers, toyModelGradients, type ToyModel } from '../../src/toy/model';
import { perFeatureMax, perUnitBestAbs, unitFeatureCorrelation } from '../../src/toy/stats';

const fx = JSON.parse(readFileSync(join(__dirname, '../fixtures/toy/toy.json'), 'utf8'));

function close(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(tol);
}

/** Dense rows (n x F) as a ToyDataset (CSR). */
function toDataset(x: number[], n: number, F: number): ToyDataset {
  const indptr = new Int32Array(n + 1);
  const idx: number[] = [];
  const val: number[] = [];
  for (let r = 0; r < n; r++) {
    for (let f = 0; f < F; f++) if (x[r * F + f] !== 0) idx.push(f), val.push(x[r * F + f]);
    indptr[r + 1] = idx.length;
  }
  return { rows: n, nFeatures: F, indptr, indices: Uint16Array.from(idx), values: Float32Array.from(val) };
}

describe('toy model step (toy_models.py Model + train_model)', () => {
  it('loss and gradients equal the numpy finite differences; one AdamW step matches torch.optim.AdamW', () => {
    const m = fx.model;
    const model: ToyModel = {
      nFeatures: m.F,
      nHidden: m.N,
      W: Float32Array.from(m.W),
      b: Float32Array.from(m.b),
      finalLoss: NaN,
    };
    const buf = new ToyModelBuffers(m.B, m.F, m.N);
    const loss = toyModelGradients(model, Float32Array.from(m.x), m.B, Float32Array.from(m.importance), buf);
    expect(loss).toBeCloseTo(m.loss, 6);
    const scale = Math.max(...m.dW.map(Math.abs));
    close(buf.dW, m.dW, 1e-4 * scale);
    close(buf.db, m.db, 1e-4 * scale);
    const cfg = { optimizer: 'adamw' as const, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
    adamStep(model.W, buf.dW, adamMoments(model.W.length), 1, cfg);
    adamStep(model.b, buf.db, adamMoments(model.b.length), 1, cfg);
    close(model.W, m.W1, 1e-6);
    close(model.b, m.b1, 1e-6);
  });

  it('native batch gradients (CSR rows, wrapping) equal numpy and, bit for bit, the TypeScript step', () => {
    const m = fx.model;
    const data = toDataset(m.x, m.B, m.F);
    const model: ToyModel = {
      nFeatures: m.F,
      nHidden: m.N,
      W: Float32Array.from(m.W),
      b: Float32Array.from(m.b),
      finalLoss: NaN,
    };
    const imp = Float32Array.from(m.importance);
    const native = new ToyModelBuffers(m.B, m.F, m.N);
    const loss = batchGradients(model, data, 0, m.B, imp, native, new Float32Array(m.B * m.F));
    expect(loss).toBeCloseTo(m.loss, 6);
    close(native.dW, m.dW, 1e-4 * Math.max(...m.dW.map(Math.abs)));
    // A batch that wraps past the end of the data set: rows 3 .. B-1 then 0 .. 2.
    const x = new Float32Array(m.B * m.F);
    const wrapped = new ToyModelBuffers(m.B, m.F, m.N);
    const ts = new ToyModelBuffers(m.B, m.F, m.N);
    const l1 = batchGradients(model, data, 3, m.B, imp, wrapped, x);
    const l2 = batchGradients(model, data, 3, m.B, imp, ts, new Float32Array(m.B * m.F), false);
    expect(l1).toBe(l2);
    expect(Array.from(wrapped.dW)).toEqual(Array.from(ts.dW));
    expect(Array.from(wrapped.db)).toEqual(Array.from(ts.db));
    expect(Array.from(x)).toEqual(Array.from(denseRows(data, 3, m.B, new Float32Array(m.B * m.F))));
  });

  it('importance: powerlaw (1 + 2i/F)^-2 as b589eb7 (arange(1, 3, 2/F)^-2), uniform as 96006be', () => {
    close(featureImportance(fx.model.F), fx.model.importance, 1e-6);
    expect(Array.from(featureImportance(4, 'uniform'))).toEqual([1, 1, 1, 1]);
  });
});

describe('ground-truth statistics (utils.py pairwise_corr, plot_utils.py)', () => {
  const s = fx.stats;
  const data = toDataset(s.featureData, s.n, s.features);
  const dense = { rows: s.n, cols: s.units, data: Float32Array.from(s.unitData) };

  it('per-feature max SIGNED r over units and per-unit best |r| (NaN for a constant unit), dense units', () => {
    const c = unitFeatureCorrelation(dense, data, 0);
    close(c.r, s.corr, 1e-6);
    close(perFeatureMax(c), s.perFeatureMax, 1e-6);
    const pu = perUnitBestAbs(c);
    s.perUnitBestAbs.forEach((v: number | null, u: number) => {
      v === null ? expect(pu[u]).toBeNaN() : expect(pu[u]).toBeCloseTo(v, 6);
    });
  });

  it('CSR units give the same matrix, and the rows can start inside the data set', () => {
    // Non-negative units only in CSR (the SAE latents' case): drop unit 5 (negative) from the comparison.
    const indptr = new Int32Array(s.n + 1);
    const idx: number[] = [];
    const val: number[] = [];
    for (let r = 0; r < s.n; r++) {
      for (let u = 0; u < s.units; u++)
        if (s.unitData[r * s.units + u] !== 0) idx.push(u), val.push(s.unitData[r * s.units + u]);
      indptr[r + 1] = idx.length;
    }
    const csr = { rows: s.n, cols: s.units, indptr, indices: Int32Array.from(idx), values: Float32Array.from(val) };
    close(unitFeatureCorrelation(csr, data, 0).r, s.corr, 1e-6);
    // rows 100..299 of the data set against units of those rows
    const tail = toDataset(
      [...new Array(100 * s.features).fill(0), ...s.featureData.slice(100 * s.features)],
      s.n,
      s.features,
    );
    const sub = { rows: 200, cols: s.units, data: Float32Array.from(s.unitData.slice(100 * s.units)) };
    const direct = unitFeatureCorrelation(sub, toDataset(s.featureData.slice(100 * s.features), 200, s.features), 0);
    close(unitFeatureCorrelation(sub, tail, 100).r, direct.r, 1e-12);
  });
});

describe('the shared toy data set (toy_models.py generate_align_batch)', () => {
  it('Bernoulli(p) activity, U[0,1) values, deterministic per seed, dense rows wrap around', () => {
    const ds = generateToyData(20000, 64, 0.1, 1);
    expect(ds.indptr[20000]).toBe(ds.values.length);
    const share = ds.values.length / (20000 * 64);
    expect(share).toBeGreaterThan(0.097);
    expect(share).toBeLessThan(0.103);
    const mean = ds.values.reduce((a, b) => a + b, 0) / ds.values.length;
    expect(mean).toBeCloseTo(0.5, 2);
    // each feature active about equally often (no position bias from the geometric gaps)
    const perFeature = new Float64Array(64);
    for (const f of ds.indices) perFeature[f]++;
    for (const c of perFeature) expect(Math.abs(c / 20000 - 0.1)).toBeLessThan(0.012);
    const again = generateToyData(20000, 64, 0.1, 1);
    expect(Buffer.from(again.values.buffer).equals(Buffer.from(ds.values.buffer))).toBe(true);
    const out = new Float32Array(3 * 64);
    denseRows(ds, 19999, 3, out); // rows 19999, 0, 1
    const first = new Float32Array(64);
    denseRows(ds, 0, 1, first);
    expect(Array.from(out.subarray(64, 128))).toEqual(Array.from(first));
  });
});
