/**
 * Sparse CPU forward/backward of one TopK SAE batch (internal to training).
 * Only the pre-activation product X W_enc is dense (done by tfjs in train.ts); everything after the TopK
 * selection touches the k (+ kAux) selected latents per sample, so it costs O(B (k + kAux) d).
 *
 *   e   = z W_dec + b_dec - x                  L   = sum(e^2) / B,      G   = 2 e / B
 *   e_a = z_a W_dec - (x - x^) = z_a W_dec + e  L_a = sum(e_a^2) / B,    G_a = 2 auxKWeight e_a / B
 *   dL/dW_dec[j] = sum_r z_rj G_r + z_a,rj G_a,r     dL/db_dec = sum_r G_r
 *   dpre_rj = G_r . W_dec[j] (selected main latents) + G_a,r . W_dec[j] (selected aux latents)
 *   dL/dW_enc^T[j] = sum_r dpre_rj x_r               dL/db_enc[j] = sum_r dpre_rj
 * Selected latents are positive (the ReLU passes them with derivative 1); others get no gradient.
 */

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
  return { wEncT: new Float32Array(d * m), bEnc: new Float32Array(m), wDec: new Float32Array(m * d), bDec: new Float32Array(d) };
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
): { loss: number; auxLoss: number } {
  const { d, bDec, wDec } = p;
  const G = scratch.subarray(0, rows * d);
  const Ga = scratch.subarray(rows * d, 2 * rows * d);
  let loss = 0;
  let auxLoss = 0;
  const e = new Float64Array(d);
  const mainScale = 2 / rows;
  const auxScale = (2 * auxKWeight) / rows;
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
  return { loss: loss / rows, auxLoss: aux ? auxLoss / rows : 0 };
}
