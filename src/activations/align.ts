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

/** Rows of a layer (labelled by stimulus ids) matched to a list of wanted images (a subject's nsdIds). */
export interface StimulusJoin {
  /** The wanted ids that have a row, in wanted order. */
  ids: Int32Array;
  /** Position in the wanted list of each of `ids`. */
  wantedRows: Int32Array;
  /** Row (in the labelled rows) of each of `ids`; of repeated labels the last row. */
  rows: Int32Array;
  /** Wanted ids without a row, in wanted order. */
  missing: number[];
}

/** The one join of stimulus-labelled rows with wanted images (alignment runs and alignActivationsToStimuli). */
export function joinStimulusIds(rowIds: ArrayLike<number>, wanted: ArrayLike<number>): StimulusJoin {
  const rowOf = new Map<number, number>();
  for (let i = 0; i < rowIds.length; i++) rowOf.set(rowIds[i], i);
  const ids: number[] = [];
  const wantedRows: number[] = [];
  const rows: number[] = [];
  const missing: number[] = [];
  for (let k = 0; k < wanted.length; k++) {
    const r = rowOf.get(wanted[k]);
    if (r === undefined) missing.push(wanted[k]);
    else {
      ids.push(wanted[k]);
      wantedRows.push(k);
      rows.push(r);
    }
  }
  return { ids: Int32Array.from(ids), wantedRows: Int32Array.from(wantedRows), rows: Int32Array.from(rows), missing };
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
  const seen = new Set<number>();
  for (let i = 0; i < ids.length; i++) {
    if (seen.has(ids[i])) throw new DataValidationError(`stimulusIds[${i}]`, `duplicate stimulus id ${ids[i]}`);
    seen.add(ids[i]);
  }
  const { ids: found, rows, missing } = joinStimulusIds(ids, nsdIds);
  if (opts.requireAll && missing.length > 0) {
    throw new DataValidationError(
      'nsdIds',
      `${missing.length} stimuli have no activations (first: ${missing.slice(0, 5).join(', ')})`,
    );
  }
  const wanted = new Set(Array.from(nsdIds));
  const extra = Array.from(ids).filter((id) => !wanted.has(id));
  const C = acts.cols;
  const data = new Float32Array(rows.length * C);
  rows.forEach((r, k) => {
    data.set(acts.data.subarray(r * C, (r + 1) * C), k * C);
  });
  return {
    nsdIds: found,
    matrix: { rows: rows.length, cols: C, data },
    sourceRows: rows,
    missing: Int32Array.from(missing).sort(),
    extra: Int32Array.from(extra).sort(),
  };
}
