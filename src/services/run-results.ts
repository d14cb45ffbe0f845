/**
 * A run's stored results read back: the run with its per-ROI scores, the fold assignment it used, and the
 * per-voxel scores (float32/int32/uint16 little-endian bytea) decoded into typed arrays or a NIfTI volume.
 */
import { gzipSync } from 'node:zlib';
import type { Db } from '../db/client';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { encodeNifti1 } from '../io/nifti-encode';
import { float32Of, int32Of, uint16Of } from './codecs';

export async function getRunWithScores(prisma: Db, id: string) {
  const run = await prisma.run.findUnique({ where: { id }, include: { scores: { orderBy: { id: 'asc' } } } });
  if (!run) throw new NotFoundError('run', id);
  return run;
}

export interface RunFolds {
  runId: string;
  k: number;
  seed: number | null;
  /** Repeats of K-fold (repeat r used seed + r); `assignment` is the first repeat's. */
  repeats: number;
  /** nsdId -> fold (0-based). */
  assignment: Record<string, number>;
  /** Test stimuli per fold. */
  counts: number[];
}

/** The fold assignment a run used, reusable as an explicit assignment. */
export async function runFolds(prisma: Db, id: string): Promise<RunFolds> {
  const run = await prisma.run.findUnique({ where: { id }, select: { foldAssignment: true } });
  if (!run) throw new NotFoundError('run', id);
  const f = run.foldAssignment as {
    k: number;
    seed: number | null;
    nsdIds: number[];
    folds: number[];
    repeats?: number;
  } | null;
  if (!f) throw new ConflictError('the run has not assigned its folds yet (it is still queued)');
  const assignment: Record<string, number> = {};
  const counts = new Array<number>(f.k).fill(0);
  f.nsdIds.forEach((nsdId, i) => {
    assignment[String(nsdId)] = f.folds[i];
    counts[f.folds[i]] += 1;
  });
  return { runId: id, k: f.k, seed: f.seed, repeats: f.repeats ?? 1, assignment, counts };
}

export interface RunVoxels {
  /** (X, Y, Z) of the subject space. */
  volumeShape: number[];
  /** Flat voxel index x + X*(y + Y*z). */
  indices: Int32Array;
  /** Mean over folds of the voxel score (NaN: dropped as dead). */
  values: Float32Array;
  /** ROI of each entry (a voxel in several ROIs has one entry per ROI). */
  roi: string[];
  /** Every ROI of the run, in fit order. */
  rois: string[];
}

/**
 * Per-voxel scores of an alignment run (a conflict while it has none: not finished, or a comparison); with `roi`,
 * that ROI's entries only (each voxel once, with that ROI's fit).
 * @throws ValidationError (query.roi) for an ROI the run did not fit.
 */
export async function runVoxels(prisma: Db, id: string, roi?: string): Promise<RunVoxels> {
  const v = await prisma.runVoxels.findUnique({ where: { runId: id } });
  if (!v) {
    if (!(await prisma.run.count({ where: { id } }))) throw new NotFoundError('run', id);
    throw new ConflictError('the run has no voxel results (not finished, or not an alignment run)');
  }
  const codes = uint16Of(v.roiCodes);
  let indices = int32Of(v.voxelIndices);
  let values = float32Of(v.values);
  let kept = codes;
  if (roi !== undefined) {
    const code = v.roiNames.indexOf(roi);
    if (code < 0)
      throw ValidationError.of('query.roi', `the run has no ROI "${roi}" (it has ${v.roiNames.join(', ')})`);
    const rows = Array.from(codes.keys()).filter((i) => codes[i] === code);
    indices = Int32Array.from(rows, (i) => indices[i]);
    values = Float32Array.from(rows, (i) => values[i]);
    kept = Uint16Array.from(rows, () => code);
  }
  return {
    volumeShape: v.volumeShape,
    indices,
    values,
    roi: Array.from(kept, (c) => v.roiNames[c]),
    rois: v.roiNames,
  };
}

/** The voxel scores as a gzipped NIfTI-1 float32 volume, NaN outside the ROIs. */
export function runVoxelsNiftiGz(v: RunVoxels): Buffer {
  const [X, Y, Z] = v.volumeShape;
  const volume = new Float32Array(X * Y * Z).fill(NaN);
  v.indices.forEach((idx, i) => {
    volume[idx] = v.values[i];
  });
  return gzipSync(encodeNifti1(volume, [X, Y, Z]));
}
