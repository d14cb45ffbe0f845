/**
 * Peak memory of one unit of work, from its sizes alone (no data read): a study unit (one subject x one layer,
 * every representation of the layer fitted to every ROI on the same folds, with the paired statistics) or one
 * alignment run (one representation, no paired statistics). Services look the sizes up (services/memory.ts);
 * this is the arithmetic, term by term after what the pipeline allocates (services/alignment-runs.ts,
 * study-units.ts, threads/compute-tasks.ts ridgeRoisPaired, ridge/cv.ts fitRidgeCvGroups, ridge/loo-groups.ts):
 *
 * - process: the worker's own footprint before any data (Node, the service's modules, the compute thread's isolate,
 *   BLAS buffers) with the garbage collector's slack: fitted to the peaks bench/memory.ts measures at small sizes;
 * - targets: the subject's betas of the ROIs' union (stimuli x union voxels, float32) three times over: the betas
 *   cache, the evaluated rows (Yall) and the compute thread's copy of the payload (structured clone);
 * - layer: the activation file read whole (its rows x units), the evaluated rows and the thread's copy of them,
 *   the sparse latents of each SAE representation (k values and indices per row), and its weights (encoder and
 *   decoder, units x latents float32, about three copies of each: the file, the model, the encoder's tensors)
 *   with the encoder's batch of pre-activations (1,024 x latents);
 * - predictions (paired statistics only): the held-out predictions, stimuli x the ROIs' voxels summed
 *   (overlapping ROIs count each time) per representation, kept until the paired cells are computed: at the
 *   peak every earlier representation's and all but the last fold's of the last one;
 * - fold: the largest one fold of any representation holds, the larger of its decomposition (float64 Gram and
 *   eigenvectors, q x q each, and a dense design) and its alpha search (U and its transpose, n_train x q float32;
 *   B = U'Y, q x ROI voxels; the test rows' targets; the per-block stacks of loo-groups.ts, at most 256 MiB),
 *   where q = min(n_train, columns) is the basis of the primal (units <= n_train) or dual form.
 *
 * Each term is an upper estimate of what is live at the unit's peak (the last representation's last fold, when
 * every earlier representation's predictions are held); bench/memory.ts checks the sum against measured peak RSS.
 */

/** One representation of the unit's layer as the fit sees it. */
export interface RepresentationSize {
  /** Source columns: the layer's units (neurons), or the SAE's latents. */
  columns: number;
  /** Non-zeros per row of sparse latents (TopK k); absent for dense neurons. */
  k?: number;
  /** SAE selection: the candidates encoded (each a sparse matrix of this size); default 1. */
  candidates?: number;
}

export interface UnitSizes {
  /** Stimuli fitted: images both the subject's betas and the layer have (after the folds' subset). */
  stimuli: number;
  /** Rows of the layer's activation file (it is read whole). */
  layerRows: number;
  /** The layer's units (activation columns). */
  units: number;
  representations: RepresentationSize[];
  /** Voxels of the union of the unit's ROIs (the targets loaded once). */
  unionVoxels: number;
  /** Voxels of the ROIs summed (the targets fitted; an overlap counts once per ROI). */
  roiVoxels: number;
  rois: number;
  /** Folds of K-fold (the number of distinct fold labels). */
  folds: number;
  /** Alphas of the grid searched. */
  alphas: number;
  /** Held-out predictions kept for paired statistics (a study unit with two or more representations). */
  paired: boolean;
  /** BLAS threads of the compute thread (each holds its own buffers); default 1. */
  computeThreads?: number;
}

/** The estimate's terms (bytes) and their sum. */
export interface MemoryEstimate {
  process: number;
  targets: number;
  layer: number;
  predictions: number;
  fold: number;
  total: number;
}

const F32 = 4;
const F64 = 8;
const MiB = 2 ** 20;
/** The worker's footprint before any data: Node, the service's modules, a compute thread's isolate. */
export const PROCESS_BYTES = 672 * MiB;
/** OpenBLAS's buffers per thread. */
const BLAS_THREAD_BYTES = 32 * MiB;
/** ridge/loo-groups.ts BLOCK_BYTES: the per-block stacks of the shared alpha search. */
const STACK_BYTES = 256 * MiB;

/** Bytes one fold of one representation holds at its peak (decomposition or alpha search, the larger). */
export function foldBytes(s: UnitSizes, rep: RepresentationSize): number {
  const nTest = Math.ceil(s.stimuli / Math.max(2, s.folds));
  const nTrain = s.stimuli - nTest;
  const q = Math.min(nTrain, rep.columns);
  const design = rep.k === undefined ? nTrain * rep.columns * F32 : 0;
  const decomposition = 2 * q * q * F64 + design;
  const stacks = Math.min(STACK_BYTES, (s.rois + s.alphas) * q * q * F64);
  const search = 2 * nTrain * q * F32 + q * s.roiVoxels * F32 + nTest * s.roiVoxels * F32 + stacks;
  return Math.max(decomposition, search);
}

const sum = <T>(xs: readonly T[], f: (x: T) => number) => xs.reduce((t, x) => t + f(x), 0);

/** An SAE representation's latents (sparse) and weights, per candidate; nothing for neurons. */
function saeBytes(s: UnitSizes, r: RepresentationSize): number {
  if (r.k === undefined) return 0;
  const latents = s.stimuli * r.k * (F32 + F32);
  const weights = 3 * 2 * s.units * r.columns * F32 + 1024 * r.columns * F32;
  return (r.candidates ?? 1) * (latents + weights);
}

/** The unit's peak memory (bytes), term by term (see the module's comment). */
export function estimateUnitMemory(s: UnitSizes): MemoryEstimate {
  const process = PROCESS_BYTES + Math.max(1, s.computeThreads ?? 1) * BLAS_THREAD_BYTES;
  const targets = 3 * s.stimuli * s.unionVoxels * F32;
  const layer =
    s.layerRows * s.units * F32 + 2 * s.stimuli * s.units * F32 + sum(s.representations, (r) => saeBytes(s, r));
  const K = Math.max(2, s.folds);
  const kept = s.representations.length - 1 / K;
  const predictions = s.paired ? kept * s.stimuli * s.roiVoxels * F32 : 0;
  const fold = Math.max(0, ...s.representations.map((r) => foldBytes(s, r)));
  return { process, targets, layer, predictions, fold, total: process + targets + layer + predictions + fold };
}

/** Bytes as whole MiB (rounded up). */
export const toMiB = (bytes: number): number => Math.ceil(bytes / MiB);
