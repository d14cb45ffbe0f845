/**
 * Toy model of superposition, as align-interp toy_models.py (96006be) Model / train_model:
 *   h = ReLU(x W), out = ReLU(h W^T + b), W of F x N (xavier_normal_), b = 0,
 *   loss = mean_{batch, features} importance_f (|x_f| - out_f)^2, AdamW (lr 1e-3, torch defaults otherwise),
 *   one pass over the data set in order (DataLoader shuffle=False), batch 1024.
 * The seed sets only the initialisation (torch.manual_seed(seed) before Model(...)); the data set is shared.
 * Each step is five float32 products and a few passes over the B x F batch, in one native call when the addon is
 * loaded (batchGradients); AdamW is src/sae/optim.ts.
 */
import { gemmInto } from '../compute/linalg/matmul';
import { nativeAddon } from '../compute/linalg/native';
import { Rng } from '../compute/random';
import { adamMoments, adamStep, type AdamConfig } from '../sae/optim';
import { denseRows, type ToyDataset } from './data';

export interface ToyModelOptions {
  nHidden: number;
  steps: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  /** Seeds the initialisation only. */
  seed: number;
  importance: Float32Array;
}

export interface ToyModel {
  nFeatures: number;
  nHidden: number;
  /** F x N, row-major: row i is feature i's direction in hidden space. */
  W: Float32Array;
  /** F output biases. */
  b: Float32Array;
  /** Importance-weighted MSE of the last 100 steps (mean). */
  finalLoss: number;
}

/** Xavier-normal W (torch xavier_normal_: sd sqrt(2 / (fan_in + fan_out))), zero b. */
export function initToyModel(F: number, N: number, seed: number): ToyModel {
  const rng = new Rng(seed);
  const std = Math.sqrt(2 / (F + N));
  const W = new Float32Array(F * N);
  for (let i = 0; i < W.length; i++) W[i] = rng.normal() * std;
  return { nFeatures: F, nHidden: N, W, b: new Float32Array(F), finalLoss: NaN };
}

/** Work buffers of toyModelGradients for batches of up to B rows. */
export class ToyModelBuffers {
  readonly hPre: Float32Array;
  readonly h: Float32Array;
  readonly o: Float32Array;
  readonly dH: Float32Array;
  readonly dWdec: Float32Array;
  readonly dW: Float32Array;
  readonly db: Float32Array;
  constructor(B: number, F: number, N: number) {
    this.hPre = new Float32Array(B * N);
    this.h = new Float32Array(B * N);
    this.o = new Float32Array(B * F);
    this.dH = new Float32Array(B * N);
    this.dWdec = new Float32Array(F * N);
    this.dW = new Float32Array(F * N);
    this.db = new Float32Array(F);
  }
}

/**
 * Loss and gradients (into buf.dW, buf.db) of one dense batch x (B x F):
 *   dOPre = 2/(B F) imp (out - |x|) [oPre > 0];  db = sum_rows dOPre
 *   dW = dOPre^T h (decoder use) + x^T (dOPre W ⊙ [hPre > 0]) (encoder use)
 */
export function toyModelGradients(
  model: ToyModel,
  x: Float32Array,
  B: number,
  imp: Float32Array,
  buf: ToyModelBuffers,
): number {
  const { nFeatures: F, nHidden: N, W, b } = model;
  const { hPre, h, o, dH, dWdec, dW, db } = buf;
  gemmInto(false, false, B, N, F, x, F, W, N, hPre);
  for (let q = 0; q < B * N; q++) h[q] = hPre[q] > 0 ? hPre[q] : 0;
  gemmInto(false, true, B, F, N, h, N, W, N, o);
  let loss = 0;
  const c = 2 / (B * F);
  db.fill(0);
  for (let r = 0; r < B; r++) {
    const ro = r * F;
    for (let f = 0; f < F; f++) {
      const pre = o[ro + f] + b[f];
      const out = pre > 0 ? pre : 0;
      const diff = out - Math.abs(x[ro + f]);
      loss += imp[f] * diff * diff;
      const g = pre > 0 ? c * imp[f] * diff : 0;
      o[ro + f] = g; // o now holds dOPre
      db[f] += g;
    }
  }
  gemmInto(true, false, F, N, B, o, F, h, N, dWdec);
  gemmInto(false, false, B, N, F, o, F, W, N, dH);
  for (let q = 0; q < B * N; q++) if (!(hPre[q] > 0)) dH[q] = 0;
  gemmInto(true, false, F, N, B, x, F, dH, N, dW);
  for (let q = 0; q < F * N; q++) dW[q] += dWdec[q];
  return loss / (B * F);
}

/**
 * toyModelGradients on rows start .. start + B - 1 of `data` (wrapping past the end; `x` receives them dense): in
 * one native call when the addon is loaded (native/src/toy.c: the same products and element arithmetic, so the
 * same numbers), else denseRows + toyModelGradients.
 */
export function batchGradients(
  model: ToyModel,
  data: ToyDataset,
  start: number,
  B: number,
  imp: Float32Array,
  buf: ToyModelBuffers,
  x: Float32Array,
  native = true,
): number {
  const nat = native ? nativeAddon() : null;
  if (!nat) {
    denseRows(data, start, B, x);
    return toyModelGradients(model, x, B, imp, buf);
  }
  const { nFeatures: F, nHidden: N, W, b } = model;
  return nat.toyModelGradients(
    data.indptr,
    data.indices,
    data.values,
    data.rows,
    start,
    B,
    F,
    N,
    W,
    b,
    imp,
    x,
    buf.hPre,
    buf.h,
    buf.o,
    buf.dH,
    buf.dWdec,
    buf.dW,
    buf.db,
  );
}

/**
 * Train one toy model on `data`, batch s = rows s*B .. s*B + B - 1 (wrapping past the end when steps x B exceeds
 * the data set). `onStep(step, steps)` every 100 steps and at the end.
 */
export function trainToyModel(
  data: ToyDataset,
  o: ToyModelOptions,
  onStep?: (step: number, steps: number) => void,
): ToyModel {
  const F = data.nFeatures;
  const N = o.nHidden;
  const B = o.batchSize;
  const model = initToyModel(F, N, o.seed);
  const buf = new ToyModelBuffers(B, F, N);
  const x = new Float32Array(B * F);
  const mW = adamMoments(F * N);
  const mb = adamMoments(F);
  const adam: AdamConfig = {
    optimizer: 'adamw',
    lr: o.lr,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: o.weightDecay,
  };
  let recent = 0;
  let recentCount = 0;
  for (let step = 0; step < o.steps; step++) {
    const loss = batchGradients(model, data, (step * B) % data.rows, B, o.importance, buf, x);
    adamStep(model.W, buf.dW, mW, step + 1, adam);
    adamStep(model.b, buf.db, mb, step + 1, adam);
    if (step >= o.steps - 100) {
      recent += loss;
      recentCount++;
    }
    if (onStep && ((step + 1) % 100 === 0 || step + 1 === o.steps)) onStep(step + 1, o.steps);
  }
  model.finalLoss = recentCount ? recent / recentCount : NaN;
  return model;
}

/** Hidden activations ReLU(x W) of `rows` dense rows x (rows x F) into out (rows x N). */
export function hiddenActivations(
  model: ToyModel,
  x: Float32Array,
  rows: number,
  out: Float32Array = new Float32Array(rows * model.nHidden),
): Float32Array {
  const { nFeatures: F, nHidden: N } = model;
  gemmInto(false, false, rows, N, F, x, F, model.W, N, out);
  for (let q = 0; q < rows * N; q++) if (!(out[q] > 0)) out[q] = 0;
  return out;
}
