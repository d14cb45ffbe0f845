/**
 * Sparse CPU forward/backward of one TopK SAE batch (internal to training).
 * Only the pre-activation product X W_enc is dense (gemmInto in trainer.ts); everything after the TopK
 * selection touches the k (+ kAux) selected latents per sample, so it costs O(B (k + kAux) d).
 *
 *   e   = z W_dec + b_dec - x                  L   = sum(e^2) / D,      G   = 2 e / D
 *   e_a = z_a W_dec - (x - x^) = z_a W_dec + e  L_a = sum(e_a^2) / D,    G_a = 2 auxKWeight e_a / D
 * with D = B ('sum' reconstruction loss) or B d ('mean'). This is the 'gao' AuxK (residual detached, ReLU'd
 * aux code, no b_dec); authorsAuxGradients below is the authors' dense variant.
 *   dL/dW_dec[j] = sum_r z_rj G_r + z_a,rj G_a,r     dL/db_dec = sum_r G_r
 *   dpre_rj = G_r . W_dec[j] (selected main latents) + G_a,r . W_dec[j] (selected aux latents)
 *   dL/dW_enc^T[j] = sum_r dpre_rj x_r               dL/db_enc[j] = sum_r dpre_rj
 * Selected latents are positive (the ReLU passes them with derivative 1); others get no gradient.
 */
import { gemmInto } from '../compute/linalg/matmul';
import { nativeAddon } from '../compute/linalg/native';

/** Selected latents of a batch: row r holds idx/val[r * stride .. r * stride + count[r]). */
export interface SelectedLatents {
  stride: number;
  idx: Int32Array;
  val: Float32Array;
  count: Int32Array;
}

/**
 * SAE parameters on the CPU (row-major float32): wEncT m x d (the TRANSPOSE of W_enc, so that a latent's
 * encoder weights are contiguous), bEnc m, wDec m x d, bDec d.
 */
export interface CpuSaeParams {
  d: number;
  m: number;
  wEncT: Float32Array;
  bEnc: Float32Array;
  wDec: Float32Array;
  bDec: Float32Array;
}

export type CpuSaeGrads = Omit<CpuSaeParams, 'd' | 'm'>;

export function zeroGrads(d: number, m: number): CpuSaeGrads {
  return {
    wEncT: new Float32Array(d * m),
    bEnc: new Float32Array(m),
    wDec: new Float32Array(m * d),
    bDec: new Float32Array(d),
  };
}

/**
 * Losses and gradients of loss + auxKWeight * auxLoss for `rows` samples x (rows x d, preprocessed).
 * `g` is overwritten. `scratch` needs 2 * rows * d floats. Returns the unweighted per-batch-mean losses.
 */
export function sparseTopKGradients(
  p: CpuSaeParams,
  x: Float32Array,
  rows: number,
  main: SelectedLatents,
  aux: SelectedLatents | null,
  auxKWeight: number,
  g: CpuSaeGrads,
  scratch: Float32Array,
  denom: number = rows,
): { loss: number; auxLoss: number } {
  const { d, bDec, wDec } = p;
  const G = scratch.subarray(0, rows * d);
  const Ga = scratch.subarray(rows * d, 2 * rows * d);
  let loss = 0;
  let auxLoss = 0;
  const e = new Float64Array(d);
  const mainScale = 2 / denom;
  const auxScale = (2 * auxKWeight) / denom;
  for (let r = 0; r < rows; r++) {
    const xr = r * d;
    for (let i = 0; i < d; i++) e[i] = bDec[i] - x[xr + i];
    for (let q = r * main.stride; q < r * main.stride + main.count[r]; q++) {
      const v = main.val[q];
      const w = main.idx[q] * d;
      for (let i = 0; i < d; i++) e[i] += v * wDec[w + i];
    }
    for (let i = 0; i < d; i++) {
      loss += e[i] * e[i];
      G[xr + i] = mainScale * e[i];
    }
    if (aux) {
      for (let q = r * aux.stride; q < r * aux.stride + aux.count[r]; q++) {
        const v = aux.val[q];
        const w = aux.idx[q] * d;
        for (let i = 0; i < d; i++) e[i] += v * wDec[w + i];
      }
      for (let i = 0; i < d; i++) {
        auxLoss += e[i] * e[i];
        Ga[xr + i] = auxScale * e[i];
      }
    }
  }
  g.wEncT.fill(0);
  g.bEnc.fill(0);
  g.wDec.fill(0);
  g.bDec.fill(0);
  for (let r = 0; r < rows; r++) for (let i = 0; i < d; i++) g.bDec[i] += G[r * d + i];
  const backward = (sel: SelectedLatents, grad: Float32Array) => {
    for (let r = 0; r < rows; r++) {
      const gr = r * d;
      for (let q = r * sel.stride; q < r * sel.stride + sel.count[r]; q++) {
        const j = sel.idx[q];
        const v = sel.val[q];
        const w = j * d;
        let dz = 0;
        for (let i = 0; i < d; i++) {
          dz += grad[gr + i] * wDec[w + i];
          g.wDec[w + i] += v * grad[gr + i];
        }
        g.bEnc[j] += dz;
        for (let i = 0; i < d; i++) g.wEncT[w + i] += dz * x[gr + i];
      }
    }
  };
  backward(main, G);
  if (aux) backward(aux, Ga);
  return { loss: loss / denom, auxLoss: aux ? auxLoss / denom : 0 };
}

/** Work buffers of authorsAuxGradients for up to `rows` samples. */
export interface AuthorsAuxBuffers {
  /** rows x d each */
  gx: Float32Array;
  ga: Float32Array;
  /** rows x m each */
  a: Float32Array;
  dPre: Float32Array;
}

export function authorsAuxBuffers(rows: number, d: number, m: number): AuthorsAuxBuffers {
  return {
    gx: new Float32Array(rows * d),
    ga: new Float32Array(rows * d),
    a: new Float32Array(rows * m),
    dPre: new Float32Array(rows * m),
  };
}

/**
 * Loss and gradients with the authors' AuxK (align-interp 96006be: sae.py SAE.encode + train_sae.py for
 * straightThrough = true; toy_models.py ToySAE.forward + train_sae for false):
 *   A   = dead ⊙ pre                       (raw pre-activations of dead latents, every one of them, no ReLU)
 *   r_a = A W_dec + b_dec,  e_a = r_a - (x - x^)          (x^ NOT detached: the aux loss also trains the main path)
 *   loss = sum(e^2) / D + auxKWeight sum(e_a^2) / D
 *   dL/dx^ = G + G_a, dL/dr_a = G_a  (G = 2e/D, G_a = 2 auxKWeight e_a / D)
 *   dL/dpre = G_a W_dec^T on every latent (straightThrough: sae.py masks with `x.data *= dead_mask`, invisible to
 *            autograd) or on dead latents only (toy: `is_dead * preact_feats`), plus (G + G_a) W_dec^T on the
 *            selected main latents.
 * Dense products (A W_dec, A^T G_a, G_a W_dec, dPre^T x) go through gemmInto (native sgemm when loaded); with the
 * addon loaded the whole function is one native call (native/src/sae.c, same arithmetic; `native` false: TypeScript).
 * `g` is overwritten; returns the unweighted losses sum(e^2) / D and sum(e_a^2) / D.
 */
export function authorsAuxGradients(
  p: CpuSaeParams,
  x: Float32Array,
  rows: number,
  main: SelectedLatents,
  pre: Float32Array,
  dead: Uint8Array,
  straightThrough: boolean,
  auxKWeight: number,
  denom: number,
  g: CpuSaeGrads,
  buf: AuthorsAuxBuffers,
  native = true,
): { loss: number; auxLoss: number } {
  const { d, m, bDec, wDec } = p;
  const { gx, ga, a, dPre } = buf;
  // One native call with the same products and element arithmetic (native/src/sae.c): identical numbers.
  const nat = native ? nativeAddon() : null;
  if (nat) {
    const [loss, auxLoss] = nat.authorsAuxGradients(
      x,
      rows,
      d,
      m,
      main.stride,
      main.idx,
      main.val,
      main.count,
      pre,
      dead,
      straightThrough,
      auxKWeight,
      denom,
      wDec,
      bDec,
      g.wEncT,
      g.bEnc,
      g.wDec,
      g.bDec,
      gx,
      ga,
      a,
      dPre,
    );
    return { loss, auxLoss };
  }
  // e = z W_dec + b_dec - x (sparse), kept in gx for now.
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    const xr = r * d;
    for (let i = 0; i < d; i++) gx[xr + i] = bDec[i] - x[xr + i];
    for (let q = r * main.stride; q < r * main.stride + main.count[r]; q++) {
      const v = main.val[q];
      const w = main.idx[q] * d;
      for (let i = 0; i < d; i++) gx[xr + i] += v * wDec[w + i];
    }
    for (let i = 0; i < d; i++) loss += gx[xr + i] * gx[xr + i];
  }
  // Dense products even when few latents are dead: one native sgemm is ~10x faster than JS loops over the
  // dead columns (measured on the toy SAE, d = 16, m = 64, batch 1024).
  for (let r = 0; r < rows; r++) for (let j = 0; j < m; j++) a[r * m + j] = dead[j] ? pre[r * m + j] : 0;
  gemmInto(false, false, rows, d, m, a, m, wDec, d, ga);
  let auxLoss = 0;
  const cMain = 2 / denom;
  const cAux = (2 * auxKWeight) / denom;
  g.bDec.fill(0);
  for (let r = 0; r < rows; r++) {
    for (let i = 0, q = r * d; i < d; i++, q++) {
      const ea = ga[q] + bDec[i] + gx[q];
      auxLoss += ea * ea;
      const a2 = cAux * ea;
      ga[q] = a2;
      gx[q] = cMain * gx[q] + a2;
      g.bDec[i] += gx[q] + a2;
    }
  }
  gemmInto(true, false, m, d, rows, a, m, ga, d, g.wDec);
  gemmInto(false, true, rows, m, d, ga, d, wDec, d, dPre);
  if (!straightThrough) for (let r = 0; r < rows; r++) for (let j = 0; j < m; j++) if (!dead[j]) dPre[r * m + j] = 0;
  for (let r = 0; r < rows; r++) {
    const gr = r * d;
    for (let q = r * main.stride; q < r * main.stride + main.count[r]; q++) {
      const j = main.idx[q];
      const v = main.val[q];
      const w = j * d;
      let dz = 0;
      for (let i = 0; i < d; i++) {
        dz += gx[gr + i] * wDec[w + i];
        g.wDec[w + i] += v * gx[gr + i];
      }
      dPre[r * m + j] += dz;
    }
  }
  gemmInto(true, false, m, d, rows, dPre, m, x, d, g.wEncT);
  g.bEnc.fill(0);
  for (let r = 0; r < rows; r++) for (let j = 0; j < m; j++) g.bEnc[j] += dPre[r * m + j];
  return { loss: loss / denom, auxLoss: auxLoss / denom };
}
