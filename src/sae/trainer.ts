/**
 * One TopK SAE training step at a time (the single trainer behind trainTopKSae and the toy experiment).
 *
 *   pre = X W_enc + b_enc (gemmInto: native sgemm when loaded), z = ReLU(TopK_k(pre)) (ties -> lowest index)
 *   main loss sum(e^2) / D with D = B ('sum', train_sae.py) or B d ('mean', toy_models.py)
 *   AuxK per settings.auxK (see settings.ts AUXK_VARIANTS): 'gao' via the sparse path (gradients.ts
 *   sparseTopKGradients), the authors' variants via authorsAuxGradients (dense, as their code).
 *   Adam/AdamW (optim.ts, PyTorch semantics); decoderNorm 'unit' renormalises decoder rows after each step.
 * Parameters live on the CPU in float32; the encoder is kept transposed (m x d) so that a latent's weights are
 * contiguous for the sparse backward.
 */
import { gemmInto } from '../compute/linalg/matmul';
import { TopKRelu, transpose } from './forward';
import {
  authorsAuxBuffers,
  authorsAuxGradients,
  sparseTopKGradients,
  zeroGrads,
  type AuthorsAuxBuffers,
  type CpuSaeParams,
  type SelectedLatents,
} from './gradients';
import { normaliseRows, type SaeWeights } from './model';
import { adamMoments, adamStep, type AdamConfig, type AdamMoments } from './optim';
import type { ResolvedSaeTrainSettings } from './settings';
import { topKIndices } from './topk';

export type SaeStepSettings = Pick<
  ResolvedSaeTrainSettings,
  | 'k'
  | 'auxK'
  | 'kAux'
  | 'auxKWeight'
  | 'deadSteps'
  | 'decoderNorm'
  | 'reconstructionLoss'
  | 'optimizer'
  | 'lr'
  | 'beta1'
  | 'beta2'
  | 'adamEps'
  | 'weightDecay'
>;

export class SaeTrainer {
  readonly d: number;
  readonly m: number;
  readonly params: CpuSaeParams;
  /** Steps taken so far. */
  steps = 0;
  private readonly grads;
  private readonly moments: Record<'wEncT' | 'bEnc' | 'wDec' | 'bDec', AdamMoments>;
  private readonly adam: AdamConfig;
  private readonly select: TopKRelu;
  private readonly main: SelectedLatents;
  private readonly pre: Float32Array;
  /** 'authors': counter c <- c * [silent] + 1 (sae.py stats_last_nonzero); 'gao': steps since last firing. */
  private readonly counter: Int32Array;
  private readonly dead: Uint8Array;
  private readonly fired: Uint8Array;
  private readonly authorsBuf: AuthorsAuxBuffers | null;
  private readonly gao: {
    aux: SelectedLatents;
    deadIdx: Int32Array;
    deadPre: Float32Array;
    sel: Int32Array;
    scratch: Float32Array;
    buf: Float32Array;
  } | null;

  constructor(
    init: SaeWeights,
    private readonly s: SaeStepSettings,
    readonly maxRows: number,
  ) {
    const d = init.wEnc.rows;
    const m = init.wEnc.cols;
    this.d = d;
    this.m = m;
    this.params = {
      d,
      m,
      wEncT: transpose(init.wEnc.data, d, m),
      bEnc: Float32Array.from(init.bEnc),
      wDec: Float32Array.from(init.wDec.data),
      bDec: Float32Array.from(init.bDec),
    };
    this.grads = zeroGrads(d, m);
    this.moments = { wEncT: adamMoments(d * m), bEnc: adamMoments(m), wDec: adamMoments(m * d), bDec: adamMoments(d) };
    this.adam = {
      optimizer: s.optimizer,
      lr: s.lr,
      beta1: s.beta1,
      beta2: s.beta2,
      eps: s.adamEps,
      weightDecay: s.weightDecay,
    };
    this.select = new TopKRelu(maxRows, m, s.k);
    this.main = { stride: s.k, idx: this.select.idx, val: this.select.val, count: this.select.count };
    this.pre = new Float32Array(maxRows * m);
    this.counter = new Int32Array(m);
    this.dead = new Uint8Array(m);
    this.fired = new Uint8Array(m);
    const kAux = s.kAux;
    this.authorsBuf = s.auxK === 'gao' ? null : authorsAuxBuffers(maxRows, d, m);
    this.gao =
      s.auxK === 'gao'
        ? {
            aux: {
              stride: kAux,
              idx: new Int32Array(maxRows * kAux),
              val: new Float32Array(maxRows * kAux),
              count: new Int32Array(maxRows),
            },
            deadIdx: new Int32Array(m),
            deadPre: new Float32Array(m),
            sel: new Int32Array(kAux),
            scratch: new Float32Array(m),
            buf: new Float32Array(2 * maxRows * d),
          }
        : null;
  }

  /** Pre-activations of `rows` preprocessed rows into this.pre (rows x m). */
  private preActivations(x: Float32Array, rows: number): Float32Array {
    const { d, m, params } = this;
    const pre = this.pre.subarray(0, rows * m);
    gemmInto(false, true, rows, m, d, x, d, params.wEncT, d, pre);
    for (let r = 0; r < rows; r++) for (let j = 0; j < m; j++) pre[r * m + j] += params.bEnc[j];
    return pre;
  }

  /** Latents dead by the variant's rule, as of the last step. */
  deadCount(): number {
    let n = 0;
    for (let j = 0; j < this.m; j++) n += this.dead[j];
    return n;
  }

  /** One optimiser step on `rows` preprocessed samples (row-major rows x d). Returns the unweighted losses. */
  step(x: Float32Array, rows: number): { loss: number; auxLoss: number } {
    if (rows > this.maxRows) throw new RangeError(`batch of ${rows} rows exceeds the trainer's ${this.maxRows}`);
    const { d, m, s, params, grads, dead, fired, counter } = this;
    const pre = this.preActivations(x, rows);
    this.select.run(pre, rows);
    fired.fill(0);
    for (let r = 0; r < rows; r++)
      for (let q = r * s.k; q < r * s.k + this.select.count[r]; q++) fired[this.select.idx[q]] = 1;
    const denom = s.reconstructionLoss === 'mean' ? rows * d : rows;
    let out: { loss: number; auxLoss: number };
    if (this.gao) {
      // Dead before this step (Gao et al.), then the firing statistics.
      for (let j = 0; j < m; j++) dead[j] = counter[j] >= s.deadSteps ? 1 : 0;
      const useAux = this.gaoAux(pre, rows);
      for (let j = 0; j < m; j++) counter[j] = fired[j] ? 0 : counter[j] + 1;
      out = sparseTopKGradients(
        params,
        x,
        rows,
        this.main,
        useAux ? this.gao.aux : null,
        s.auxKWeight,
        grads,
        this.gao.buf,
        denom,
      );
    } else {
      if (s.auxK === 'authors') {
        // sae.py: stats_last_nonzero *= (x == 0).all(dim=0); += 1; dead = stats > dead_steps_threshold.
        for (let j = 0; j < m; j++) {
          counter[j] = fired[j] ? 1 : counter[j] + 1;
          dead[j] = counter[j] > s.deadSteps ? 1 : 0;
        }
      } else {
        // toy_models.py: is_dead = ((hidden > 0).sum(dim=0) == 0)
        for (let j = 0; j < m; j++) dead[j] = fired[j] ? 0 : 1;
      }
      out = authorsAuxGradients(
        params,
        x,
        rows,
        this.main,
        pre,
        dead,
        s.auxK === 'authors',
        s.auxKWeight,
        denom,
        grads,
        this.authorsBuf!,
      );
    }
    this.steps++;
    const t = this.steps;
    adamStep(params.wEncT, grads.wEncT, this.moments.wEncT, t, this.adam);
    adamStep(params.bEnc, grads.bEnc, this.moments.bEnc, t, this.adam);
    adamStep(params.wDec, grads.wDec, this.moments.wDec, t, this.adam);
    adamStep(params.bDec, grads.bDec, this.moments.bDec, t, this.adam);
    if (s.decoderNorm === 'unit') normaliseRows(params.wDec, m, d);
    return out;
  }

  /** Gao et al.'s aux selection: TopK_kAux of the dead latents' pre-activations, positive ones only. */
  private gaoAux(pre: Float32Array, rows: number): boolean {
    const g = this.gao!;
    const { m, dead, s } = this;
    let nDead = 0;
    for (let j = 0; j < m; j++) if (dead[j]) g.deadIdx[nDead++] = j;
    if (nDead === 0 || s.auxKWeight === 0) return false;
    const ka = Math.min(s.kAux, nDead);
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < nDead; q++) g.deadPre[q] = pre[r * m + g.deadIdx[q]];
      const c = topKIndices(g.deadPre, nDead, ka, g.sel, g.scratch);
      let p = r * s.kAux;
      for (let i = 0; i < c; i++) {
        const v = g.deadPre[g.sel[i]];
        if (v > 0) {
          g.aux.idx[p] = g.deadIdx[g.sel[i]];
          g.aux.val[p] = v;
          p++;
        }
      }
      g.aux.count[r] = p - r * s.kAux;
    }
    return true;
  }

  /** Current weights (fresh arrays; W_enc d x m). */
  weights(): SaeWeights {
    const { d, m, params } = this;
    return {
      wEnc: { rows: d, cols: m, data: transpose(params.wEncT, m, d) },
      bEnc: Float32Array.from(params.bEnc),
      wDec: { rows: m, cols: d, data: Float32Array.from(params.wDec) },
      bDec: Float32Array.from(params.bDec),
    };
  }
}
