/**
 * Minimal TopK SAE for the toy experiment only (src/sae/ has no trainer yet). Same model as src/sae/:
 *   z = ReLU(TopK_k(x W_enc + b_enc)),  xhat = z W_dec + b_dec,
 * Kaiming-uniform init (initTopKSaeWeights), zero biases, no input preprocessing. AdamW on
 *   loss = mean_batch ||xhat - x||^2 + auxWeight * mean_batch ||e_hat - e||^2
 * where AuxK (Gao et al. 2024) reconstructs the detached residual e = x - xhat from the top kAux
 * pre-activations among latents that have not fired for `deadAfterSteps` steps (z_aux W_dec, no bias).
 * The toy's sizes are tiny (input <= 32, 64 latents), so forward and backward are plain float64 loops
 * with hand-written gradients (checked against finite differences in test/unit/toy-*.test.ts).
 */
import type { CsrMatrix } from '../compute/matrix';
import { Rng } from '../compute/random';
import { initTopKSaeWeights } from '../sae/model';

export interface ToySaeOptions {
  inputDim: number;
  latentDim: number;
  k: number;
  auxWeight: number;
  /** Latents count as dead after this many steps without firing (default 20). */
  deadAfterSteps?: number;
  /** Latents used by AuxK (default: half the input width, at least 1). */
  kAux?: number;
  lr: number;
  weightDecay: number;
  seed: number;
  /**
   * Gao et al. (2024) conventions, off by default (science.md's SAE has neither): initialise W_enc as W_dec^T
   * with unit-norm decoder rows, and renormalise decoder rows to unit norm after every step.
   */
  unitNormDecoder?: boolean;
}

/** Parameters, row-major float64: wEnc d x m, bEnc m, wDec m x d, bDec d. */
export interface ToySaeWeights {
  inputDim: number;
  latentDim: number;
  k: number;
  wEnc: Float64Array;
  bEnc: Float64Array;
  wDec: Float64Array;
  bDec: Float64Array;
}

export interface ToySaeGradients {
  loss: number;
  auxLoss: number;
  wEnc: Float64Array;
  bEnc: Float64Array;
  wDec: Float64Array;
  bDec: Float64Array;
  /** 1 for every latent that was active (non-zero) on some row of the batch. */
  fired: Uint8Array;
}

/**
 * Indices of the k largest of pre[candidates] (candidates ascending; ties keep the lower index), written
 * to `out`; returns how many (min(k, candidates)).
 */
function topK(pre: Float64Array, candidates: ArrayLike<number>, k: number, out: Int32Array): number {
  let n = 0;
  for (let c = 0; c < candidates.length; c++) {
    const j = candidates[c];
    const v = pre[j];
    if (n < k) {
      let p = n++;
      while (p > 0 && pre[out[p - 1]] < v) (out[p] = out[p - 1]), p--;
      out[p] = j;
    } else if (v > pre[out[k - 1]]) {
      let p = k - 1;
      while (p > 0 && pre[out[p - 1]] < v) (out[p] = out[p - 1]), p--;
      out[p] = j;
    }
  }
  return n;
}

/** Pre-activations x_r W_enc + b_enc of one row into `pre`. */
function preActivations(w: ToySaeWeights, x: ArrayLike<number>, offset: number, pre: Float64Array): void {
  const { inputDim: d, latentDim: m } = w;
  pre.set(w.bEnc);
  for (let i = 0; i < d; i++) {
    const v = x[offset + i];
    if (v === 0) continue;
    const o = i * m;
    for (let j = 0; j < m; j++) pre[j] += v * w.wEnc[o + j];
  }
}

/**
 * Loss and gradients of one batch (rows x d, row-major). `dead` lists the latents AuxK may use (ascending);
 * nAux of them are taken per row.
 */
export function toySaeGradients(
  w: ToySaeWeights,
  x: ArrayLike<number>,
  rows: number,
  dead: ArrayLike<number>,
  nAux: number,
  auxWeight: number,
): ToySaeGradients {
  const { inputDim: d, latentDim: m, k } = w;
  const g: ToySaeGradients = {
    loss: 0,
    auxLoss: 0,
    wEnc: new Float64Array(d * m),
    bEnc: new Float64Array(m),
    wDec: new Float64Array(m * d),
    bDec: new Float64Array(d),
    fired: new Uint8Array(m),
  };
  const all = Int32Array.from({ length: m }, (_, j) => j);
  const pre = new Float64Array(m);
  const dPre = new Float64Array(m);
  const top = new Int32Array(k);
  const auxTop = new Int32Array(Math.max(1, nAux));
  const xhat = new Float64Array(d);
  const dx = new Float64Array(d);
  const ehat = new Float64Array(d);
  const de = new Float64Array(d);
  const useAux = nAux > 0 && auxWeight > 0 && dead.length > 0;
  for (let r = 0; r < rows; r++) {
    const xo = r * d;
    preActivations(w, x, xo, pre);
    const nTop = topK(pre, all, k, top);
    xhat.set(w.bDec);
    for (let t = 0; t < nTop; t++) {
      const j = top[t];
      const v = pre[j];
      if (v <= 0) continue;
      g.fired[j] = 1;
      for (let i = 0; i < d; i++) xhat[i] += v * w.wDec[j * d + i];
    }
    for (let i = 0; i < d; i++) {
      const diff = xhat[i] - x[xo + i];
      g.loss += diff * diff;
      dx[i] = (2 * diff) / rows;
      g.bDec[i] += dx[i];
    }
    dPre.fill(0);
    for (let t = 0; t < nTop; t++) {
      const j = top[t];
      const v = pre[j];
      if (v <= 0) continue;
      let s = 0;
      for (let i = 0; i < d; i++) {
        g.wDec[j * d + i] += v * dx[i];
        s += dx[i] * w.wDec[j * d + i];
      }
      dPre[j] += s;
    }
    if (useAux) {
      const nA = topK(pre, dead, nAux, auxTop);
      ehat.fill(0);
      for (let t = 0; t < nA; t++) {
        const j = auxTop[t];
        if (pre[j] <= 0) continue;
        for (let i = 0; i < d; i++) ehat[i] += pre[j] * w.wDec[j * d + i];
      }
      for (let i = 0; i < d; i++) {
        const diff = ehat[i] - (x[xo + i] - xhat[i]);
        g.auxLoss += diff * diff;
        de[i] = (2 * auxWeight * diff) / rows;
      }
      for (let t = 0; t < nA; t++) {
        const j = auxTop[t];
        const v = pre[j];
        if (v <= 0) continue;
        let s = 0;
        for (let i = 0; i < d; i++) {
          g.wDec[j * d + i] += v * de[i];
          s += de[i] * w.wDec[j * d + i];
        }
        dPre[j] += s;
      }
    }
    for (let j = 0; j < m; j++) {
      const s = dPre[j];
      if (s === 0) continue;
      g.bEnc[j] += s;
      for (let i = 0; i < d; i++) {
        const v = x[xo + i];
        if (v !== 0) g.wEnc[i * m + j] += v * s;
      }
    }
  }
  g.loss /= rows;
  g.auxLoss /= rows;
  return g;
}

/** AdamW state for one parameter array (PyTorch torch.optim.AdamW semantics). */
class AdamWSlot {
  readonly m: Float64Array;
  readonly v: Float64Array;
  constructor(n: number) {
    this.m = new Float64Array(n);
    this.v = new Float64Array(n);
  }
  update(p: Float64Array, g: Float64Array, lr: number, wd: number, t: number, b1 = 0.9, b2 = 0.999, eps = 1e-8): void {
    const c1 = 1 - b1 ** t;
    const c2 = 1 - b2 ** t;
    for (let i = 0; i < p.length; i++) {
      this.m[i] = b1 * this.m[i] + (1 - b1) * g[i];
      this.v[i] = b2 * this.v[i] + (1 - b2) * g[i] * g[i];
      p[i] = p[i] * (1 - lr * wd) - (lr * (this.m[i] / c1)) / (Math.sqrt(this.v[i] / c2) + eps);
    }
  }
}

/** Trainer fed batch by batch (one pass over streamed activations). */
export class ToySaeTrainer {
  readonly weights: ToySaeWeights;
  /** Steps since each latent last fired. */
  private readonly idle: Int32Array;
  private readonly deadAfter: number;
  private readonly kAux: number;
  private readonly slots: AdamWSlot[];
  steps = 0;

  constructor(private readonly o: ToySaeOptions) {
    const { inputDim: d, latentDim: m } = o;
    const w = initTopKSaeWeights(d, m, new Rng(o.seed));
    this.weights = {
      inputDim: d,
      latentDim: m,
      k: o.k,
      wEnc: Float64Array.from(w.wEnc.data),
      bEnc: new Float64Array(m),
      wDec: Float64Array.from(w.wDec.data),
      bDec: new Float64Array(d),
    };
    if (o.unitNormDecoder) {
      normalizeRows(this.weights.wDec, m, d);
      for (let j = 0; j < m; j++) for (let i = 0; i < d; i++) this.weights.wEnc[i * m + j] = this.weights.wDec[j * d + i];
    }
    this.slots = [d * m, m, m * d, d].map((n) => new AdamWSlot(n));
    this.idle = new Int32Array(m);
    this.deadAfter = o.deadAfterSteps ?? 20;
    this.kAux = o.kAux ?? Math.max(1, Math.floor(d / 2));
  }

  /** One AdamW step on a batch (rows x inputDim); returns the main reconstruction loss. */
  step(x: ArrayLike<number>, rows: number): number {
    const w = this.weights;
    const dead: number[] = [];
    for (let j = 0; j < w.latentDim; j++) if (this.idle[j] >= this.deadAfter) dead.push(j);
    const g = toySaeGradients(w, x, rows, dead, Math.min(this.kAux, dead.length), this.o.auxWeight);
    this.steps++;
    const params = [w.wEnc, w.bEnc, w.wDec, w.bDec];
    const grads = [g.wEnc, g.bEnc, g.wDec, g.bDec];
    for (let p = 0; p < 4; p++) this.slots[p].update(params[p], grads[p], this.o.lr, this.o.weightDecay, this.steps);
    if (this.o.unitNormDecoder) normalizeRows(w.wDec, w.latentDim, w.inputDim);
    for (let j = 0; j < w.latentDim; j++) this.idle[j] = g.fired[j] ? 0 : this.idle[j] + 1;
    return g.loss;
  }
}

/** Scale every row of a rows x cols matrix to unit Euclidean norm (zero rows stay zero). */
function normalizeRows(a: Float64Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += a[r * cols + c] ** 2;
    if (s > 0) {
      const inv = 1 / Math.sqrt(s);
      for (let c = 0; c < cols; c++) a[r * cols + c] *= inv;
    }
  }
}

/** Encode rows with a toy SAE: latents (CSR, at most k non-zeros per row) and reconstructions (rows x d). */
export function encodeToySae(w: ToySaeWeights, x: ArrayLike<number>, rows: number): { z: CsrMatrix; xhat: Float32Array } {
  const { inputDim: d, latentDim: m, k } = w;
  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(rows * k);
  const values = new Float32Array(rows * k);
  const xhat = new Float32Array(rows * d);
  const all = Int32Array.from({ length: m }, (_, j) => j);
  const pre = new Float64Array(m);
  const top = new Int32Array(k);
  const acc = new Float64Array(d);
  let nnz = 0;
  for (let r = 0; r < rows; r++) {
    preActivations(w, x, r * d, pre);
    const n = topK(pre, all, k, top);
    const sorted = Array.from(top.subarray(0, n)).sort((a, b) => a - b);
    acc.set(w.bDec);
    for (const j of sorted) {
      const v = pre[j];
      if (v <= 0) continue;
      indices[nnz] = j;
      values[nnz] = v;
      nnz++;
      for (let i = 0; i < d; i++) acc[i] += v * w.wDec[j * d + i];
    }
    for (let i = 0; i < d; i++) xhat[r * d + i] = acc[i];
    indptr[r + 1] = nnz;
  }
  return { z: { rows, cols: m, indptr, indices: indices.slice(0, nnz), values: values.slice(0, nnz) }, xhat };
}
