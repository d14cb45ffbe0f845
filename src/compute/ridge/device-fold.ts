/**
 * One ridge fold as a single native call that keeps the fold's data in one memory space from the Gram matrix
 * to the prediction (native/src/fold.c): on the GPU ('cuda': cuBLAS, cuSOLVER, cuSPARSE) or, with the same
 * orchestration, on host BLAS ('host': the OpenBLAS addon; tests and the GPU bench's dry run).
 * Scope: the shared-alpha presets whose leave-one-out fits keep the fold's column transform (exact LOO, no
 * intercept: 'paper', 'centred-own-means', 'unit-norm-columns'). The per-target 'encoding' preset and
 * 'paper-centred', whose leave-one-out fits centre without the left-out row (the leverages' 1/n, loo.ts, which
 * fold.c does not add), stay on the TypeScript path.
 * Several target groups (a study's ROIs) share one call: one decomposition per fold, each group its own alpha.
 * Precision: float64 products and eigensolve on the device (the inputs are float32 or float64); parity target
 * with the CPU path: the same alpha in every fold and scores within 1e-4.
 */
import { computeBackend, gpuLinalg, nativeLinalg } from '../backend';
import type { FoldDesign, FoldRun } from '../linalg/cuda';
import type { DenseMatrix } from '../matrix';
import type { PresetSpec } from './presets';
import type { Source } from './source';

export type FoldEngine = 'ts' | 'cuda' | 'host';

/** What the device fold cannot serve, or null (see the file comment). */
function unsupportedOnDevice(spec: PresetSpec, criterion: 'loo' | 'gcv' | undefined): string | null {
  if (spec.alpha !== 'shared' || (criterion ?? 'loo') !== 'loo') return 'per-target alphas (encoding preset)';
  if (spec.looCentresEachFit) return 'leave-one-out fits that centre without the left-out row (paper-centred)';
  return null;
}

/** Which engine runs the folds, and why not the GPU. 'auto': the resolved backend's foldEngine (cuda or ts). */
export function chooseFoldEngine(
  requested: 'auto' | FoldEngine,
  spec: PresetSpec,
  criterion: 'loo' | 'gcv' | undefined,
): { engine: FoldEngine; reason?: string } {
  if (requested === 'ts') return { engine: 'ts', reason: 'requested' };
  const why = unsupportedOnDevice(spec, criterion);
  if (why) {
    if (requested !== 'auto') throw new Error(`ridge fold engine '${requested}' does not serve ${why}`);
    return { engine: 'ts', reason: `${why} run on the CPU path` };
  }
  if (requested === 'host') {
    if (!nativeLinalg()) throw new Error("ridge fold engine 'host' needs the native OpenBLAS addon");
    return { engine: 'host' };
  }
  if (computeBackend().foldEngine === 'cuda') return { engine: 'cuda' };
  if (requested === 'cuda') throw new Error("ridge fold engine 'cuda' requested but the GPU path is not available");
  return { engine: 'ts', reason: 'no GPU path (see linalg.cuda.reason)' };
}

function design(s: Source): FoldDesign {
  if (s.kind === 'dense') return { rows: s.x.rows, cols: s.x.cols, dense: s.x.data };
  return {
    rows: s.s.rows,
    cols: s.s.cols,
    indptr: s.s.indptr,
    indices: s.s.indices,
    values: s.s.values,
    u: s.u,
    w: s.w,
  };
}

/**
 * Run one fold on `engine` ('cuda' or 'host'): training/test designs after the preset's transforms, Y training.
 * @param groups end offsets of target groups (ROIs) in Y's columns that share the decomposition and get one
 *   alpha each (one device call for all of them); absent: one group.
 */
export function runDeviceFold(
  engine: 'cuda' | 'host',
  train: Source,
  test: Source,
  Y: DenseMatrix,
  alphas: readonly number[],
  form: 'auto' | 'primal' | 'dual' = 'auto',
  groups?: { ends: Int32Array; stackBytes?: number },
): FoldRun {
  const spec = {
    train: design(train),
    test: design(test),
    y: Y.data,
    targets: Y.cols,
    alphas: Float64Array.from(alphas),
    form: (form === 'primal' ? 1 : form === 'dual' ? 2 : 0) as 0 | 1 | 2,
    ...(groups ? { groups: groups.ends, stackBytes: groups.stackBytes } : {}),
  };
  if (engine === 'cuda') {
    const gpu = gpuLinalg();
    if (!gpu) throw new Error('ridge fold: the GPU path is not available');
    return gpu.ridgeFold(spec);
  }
  const host = nativeLinalg();
  if (!host) throw new Error('ridge fold: the native OpenBLAS addon is not available');
  return host.ridgeFoldHost(spec);
}
