/** Put activation rows in the order of a list of nsdIds, whatever the file order. */
import type { DenseMatrix } from '../compute/matrix';
import { DataValidationError } from '../errors';

export interface AlignedActivations {
  /** The requested nsdIds that the activations have, in the requested order. */
  nsdIds: Int32Array;
  /** Activation rows for `nsdIds` (same order). */
  matrix: DenseMatrix<Float32Array>;
  /** Source row of each output row. */
  sourceRows: Int32Array;
  /** Requested nsdIds without an activation row (ascending). */
  missing: Int32Array;
  /** Activation ids not requested (ascending). */
  extra: Int32Array;
}

export interface AlignOptions {
  /** Throw DataValidationError("nsdIds") when any requested id is missing (default false: report it). */
  requireAll?: boolean;
}

/**
 * Align activations (rows labelled by `ids`) to `nsdIds`. Duplicate activation ids raise
 * DataValidationError("stimulusIds[i]"); a row-count mismatch raises DataValidationError("stimulusIds").
 */
export function alignActivationsToStimuli(
  acts: DenseMatrix<Float32Array>,
  ids: ArrayLike<number>,
  nsdIds: ArrayLike<number>,
  opts: AlignOptions = {},
): AlignedActivations {
  if (ids.length !== acts.rows)
    throw new DataValidationError('stimulusIds', `${ids.length} stimulus ids for ${acts.rows} activation rows`);
  const rowOf = new Map<number, number>();
  for (let i = 0; i < ids.length; i++) {
    if (rowOf.has(ids[i])) throw new DataValidationError(`stimulusIds[${i}]`, `duplicate stimulus id ${ids[i]}`);
    rowOf.set(ids[i], i);
  }
  const found: number[] = [];
  const rows: number[] = [];
  const missing: number[] = [];
  const wanted = new Set<number>();
  for (let k = 0; k < nsdIds.length; k++) {
    const id = nsdIds[k];
    wanted.add(id);
    const r = rowOf.get(id);
    if (r === undefined) missing.push(id);
    else {
      found.push(id);
      rows.push(r);
    }
  }
  if (opts.requireAll && missing.length > 0) {
    throw new DataValidationError(
      'nsdIds',
      `${missing.length} stimuli have no activations (first: ${missing.slice(0, 5).join(', ')})`,
    );
  }
  const extra = Array.from(ids).filter((id) => !wanted.has(id));
  const C = acts.cols;
  const data = new Float32Array(rows.length * C);
  rows.forEach((r, k) => {
    data.set(acts.data.subarray(r * C, (r + 1) * C), k * C);
  });
  return {
    nsdIds: Int32Array.from(found),
    matrix: { rows: rows.length, cols: C, data },
    sourceRows: Int32Array.from(rows),
    missing: Int32Array.from(missing).sort(),
    extra: Int32Array.from(extra).sort(),
  };
}
