/**
 * The toy model's data set (align-interp toy_models.py, Model.generate_align_batch): each of F features is
 * active with probability p, with value U[0, 1] when active, else 0. As the authors' design (toy_align: one
 * saved `{n_feats}feats_dataset.npy` for every model), the data set is generated once and shared: both
 * models train on it in the same order, the SAEs on the first 80% of its activations, metrics on the rest.
 * Stored sparse (about p F non-zeros per row): 2^23 rows x 64 features take ~0.3 GB instead of 2 GB dense.
 */
import { Rng } from '../compute/random';

export interface ToyDataset {
  rows: number;
  nFeatures: number;
  /** CSR: row r's active features are indices[indptr[r] .. indptr[r + 1]) (ascending), values likewise. */
  indptr: Int32Array;
  indices: Uint16Array;
  values: Float32Array;
}

/**
 * Feature importance: 'powerlaw' (1 + 2i/F)^-2, as toy_models.py at b589eb7 (`torch.pow(torch.arange(1, 3,
 * 2 / n_features), -2)`, the runs saved as *_powerlaw_final that plot_utils.py reads); 'uniform': 1, as the
 * default at 96006be.
 */
export function featureImportance(nFeatures: number, kind: 'powerlaw' | 'uniform' = 'powerlaw'): Float32Array {
  const out = new Float32Array(nFeatures);
  for (let i = 0; i < nFeatures; i++) out[i] = kind === 'uniform' ? 1 : 1 / (1 + (2 * i) / nFeatures) ** 2;
  return out;
}

/**
 * `rows` x `nFeatures` samples from Rng(seed), generated in bulk: the row-major stream of entries is walked by
 * geometric gaps (each entry independently active with probability p, exactly the Bernoulli(p) of the
 * reference, at ~2 random numbers per ACTIVE entry instead of 1-2 per entry), each active entry then draws
 * U[0, 1).
 */
export function generateToyData(rows: number, nFeatures: number, prob: number, seed: number): ToyDataset {
  const rng = new Rng(seed);
  const total = rows * nFeatures;
  let cap = Math.ceil(total * prob * 1.01 + 1024);
  let indices: Uint16Array = new Uint16Array(cap);
  let values: Float32Array = new Float32Array(cap);
  const indptr = new Int32Array(rows + 1);
  const logQ = Math.log1p(-Math.min(prob, 1));
  let nnz = 0;
  let row = 0;
  for (let pos = -1; ; ) {
    // gap ~ Geometric(p) failures before the next active entry (0 when p = 1)
    pos += 1 + (prob >= 1 ? 0 : Math.floor(Math.log(1 - rng.uniform()) / logQ));
    if (pos >= total) break;
    const r = Math.floor(pos / nFeatures);
    while (row < r) indptr[++row] = nnz;
    if (nnz === cap) {
      cap = Math.ceil(cap * 1.5);
      indices = grow(indices, cap);
      values = grow(values, cap);
    }
    indices[nnz] = pos - r * nFeatures;
    values[nnz] = rng.uniform();
    nnz++;
  }
  while (row < rows) indptr[++row] = nnz;
  return { rows, nFeatures, indptr, indices: indices.slice(0, nnz), values: values.slice(0, nnz) };
}

function grow<T extends Uint16Array | Float32Array>(a: T, cap: number): T {
  const out = (a instanceof Uint16Array ? new Uint16Array(cap) : new Float32Array(cap)) as T;
  out.set(a);
  return out;
}

/** Rows start .. start + count (wrapping past the end) as a dense row-major count x F block in `out`. */
export function denseRows(ds: ToyDataset, start: number, count: number, out: Float32Array): Float32Array {
  const F = ds.nFeatures;
  out.fill(0, 0, count * F);
  for (let i = 0; i < count; i++) {
    const r = (start + i) % ds.rows;
    for (let q = ds.indptr[r]; q < ds.indptr[r + 1]; q++) out[i * F + ds.indices[q]] = ds.values[q];
  }
  return out;
}
