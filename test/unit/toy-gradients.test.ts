import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/compute/backend';
import { Rng } from '../../src/compute/random';
import { AdamW } from '../../src/toy/adamw';
import { featureImportance, sampleFeatures } from '../../src/toy/data';
import { toyModelGradients } from '../../src/toy/model';
import { encodeToySae, toySaeGradients, type ToySaeWeights } from '../../src/toy/sae';

beforeAll(async () => {
  await initBackend();
});

describe('toy model gradients', () => {
  it('hand-written gradients equal tfjs autodiff', () => {
    const rng = new Rng(5);
    const F = 12;
    const N = 5;
    const B = 64;
    const x = tf.tensor2d(sampleFeatures(rng, B, F, 0.3), [B, F]);
    const W = tf.tensor2d(Float32Array.from({ length: F * N }, () => rng.normal() * 0.5), [F, N]);
    const b = tf.tensor1d(Float32Array.from({ length: F }, () => rng.normal() * 0.1));
    const imp = tf.tensor1d(featureImportance(F));
    const mine = toyModelGradients(x, W, b, imp);
    const auto = tf.grads((w: tf.Tensor, bias: tf.Tensor) => {
      const out = tf.relu(tf.add(tf.matMul(tf.relu(tf.matMul(x, w as tf.Tensor2D)), w as tf.Tensor2D, false, true), bias));
      return tf.mean(tf.mul(tf.square(tf.sub(out, x)), imp));
    })([W, b]);
    const close = (a: tf.Tensor, c: tf.Tensor) => {
      const d1 = a.dataSync();
      const d2 = c.dataSync();
      let scale = 0;
      for (const v of d2) scale = Math.max(scale, Math.abs(v));
      expect(scale).toBeGreaterThan(0);
      for (let i = 0; i < d1.length; i++) expect(Math.abs(d1[i] - d2[i])).toBeLessThan(1e-5 * scale + 1e-9);
    };
    close(mine.dW, auto[0]);
    close(mine.db, auto[1]);
  });

  it('AdamW first step: p(1 - lr wd) - lr g / (|g| + eps)', () => {
    const p = tf.variable(tf.tensor1d([1, -2, 0.5]));
    const opt = new AdamW([p], { lr: 0.1, weightDecay: 0.01 });
    opt.step([tf.tensor1d([0.3, -4, 0])]);
    const got = Array.from(p.dataSync());
    const want = [1 * 0.999 - 0.1, -2 * 0.999 + 0.1, 0.5 * 0.999];
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
  });
});

describe('toy SAE gradients', () => {
  const d = 6;
  const m = 10;
  const k = 3;
  const rng = new Rng(9);
  const rand = (n: number, s: number) => Float64Array.from({ length: n }, () => rng.normal() * s);
  const w: ToySaeWeights = { inputDim: d, latentDim: m, k, wEnc: rand(d * m, 0.7), bEnc: rand(m, 0.1), wDec: rand(m * d, 0.5), bDec: rand(d, 0.1) };
  const rows = 20;
  const x = Float64Array.from({ length: rows * d }, () => Math.max(0, rng.normal()));
  const dead = [1, 4, 7, 8];
  const nAux = 2;
  const auxWeight = 0.1;
  // AuxK target: the residual of the base weights, held fixed (the gradient treats it as detached).
  const residual = (() => {
    const { xhat } = encodeToySae(w, x, rows);
    return Float64Array.from(x, (v, i) => v - xhat[i]);
  })();
  /** Independent forward of the AuxK loss: top nAux dead pre-activations (positive ones) decode the residual. */
  const auxLoss = (ww: ToySaeWeights) => {
    let loss = 0;
    for (let r = 0; r < rows; r++) {
      const pre = dead.map((j) => {
        let s = ww.bEnc[j];
        for (let i = 0; i < d; i++) s += x[r * d + i] * ww.wEnc[i * m + j];
        return { j, s };
      });
      pre.sort((a, b) => b.s - a.s || a.j - b.j);
      for (let i = 0; i < d; i++) {
        let e = 0;
        for (const { j, s } of pre.slice(0, nAux)) if (s > 0) e += s * ww.wDec[j * d + i];
        loss += (e - residual[r * d + i]) ** 2;
      }
    }
    return loss / rows;
  };

  /** Central differences of f over every parameter vs grads. */
  const checkGrads = (f: (ww: ToySaeWeights) => number, g: ToySaeWeights) => {
    const h = 1e-6;
    let checked = 0;
    for (const name of ['wEnc', 'bEnc', 'wDec', 'bDec'] as const) {
      const p = w[name];
      for (let i = 0; i < p.length; i++) {
        const keep = p[i];
        p[i] = keep + h;
        const up = f(w);
        p[i] = keep - h;
        const down = f(w);
        p[i] = keep;
        expect(Math.abs((up - down) / (2 * h) - g[name][i])).toBeLessThan(1e-6 * (1 + Math.abs(g[name][i])));
        checked++;
      }
    }
    expect(checked).toBe(2 * d * m + m + d);
  };

  it('main loss: gradients equal central finite differences', () => {
    const g = toySaeGradients(w, x, rows, dead, nAux, 0);
    expect(g.auxLoss).toBe(0);
    checkGrads((ww) => toySaeGradients(ww, x, rows, dead, nAux, 0).loss, { ...w, ...g });
  });

  it('AuxK term: gradient difference equals finite differences of an independent AuxK forward', () => {
    const g0 = toySaeGradients(w, x, rows, dead, nAux, 0);
    const g1 = toySaeGradients(w, x, rows, dead, nAux, auxWeight);
    expect(g1.auxLoss).toBeCloseTo(auxLoss(w), 6); // the fixed residual went through float32
    expect(g1.auxLoss).toBeGreaterThan(0);
    const diff = (a: Float64Array, b: Float64Array) => Float64Array.from(a, (v, i) => (v - b[i]) / auxWeight);
    checkGrads(auxLoss, {
      ...w,
      wEnc: diff(g1.wEnc, g0.wEnc),
      bEnc: diff(g1.bEnc, g0.bEnc),
      wDec: diff(g1.wDec, g0.wDec),
      bDec: diff(g1.bDec, g0.bDec),
    });
  });

  it('encodeToySae: at most k non-negative latents per row and xhat = z W_dec + b_dec', () => {
    const { z, xhat } = encodeToySae(w, x, rows);
    for (let r = 0; r < rows; r++) {
      expect(z.indptr[r + 1] - z.indptr[r]).toBeLessThanOrEqual(k);
      for (let i = 0; i < d; i++) {
        let s = w.bDec[i];
        for (let p = z.indptr[r]; p < z.indptr[r + 1]; p++) s += z.values[p] * w.wDec[z.indices[p] * d + i];
        expect(xhat[r * d + i]).toBeCloseTo(s, 5);
      }
      // The kept latents are the k largest pre-activations.
      const pre = Array.from({ length: m }, (_, j) => {
        let s = w.bEnc[j];
        for (let i = 0; i < d; i++) s += x[r * d + i] * w.wEnc[i * m + j];
        return s;
      });
      const kth = [...pre].sort((a, b) => b - a)[k - 1];
      for (let p = z.indptr[r]; p < z.indptr[r + 1]; p++) expect(pre[z.indices[p]]).toBeGreaterThanOrEqual(kth);
    }
  });
});
