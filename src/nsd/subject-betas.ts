/**
 * One subject's ROI betas over sessions: streamed session by session (one session's ROI matrix in memory
 * at a time), z-scored per voxel within each session, averaged over repetitions of each image (by nsdId).
 */
import type { DenseMatrix } from '../compute/matrix';
import type { ProgressFn } from '../progress';
import { DataValidationError, throwIfAborted } from '../errors';
import { betasPath, discoverSessions, stimuliPath, type NsdDataset } from './dataset';
import { readBetasFileShape, readNsdBetasSession } from './betas-session';
import { readStimulusTable, subjectTrialImages } from './stimuli';
import { indicesToCoords, type VolumeShape } from './voxels';
import { zscoreColumnsInPlace } from './zscore';
import type { BetasFormat } from './manifest';

/**
 * The images a subject saw in the given sessions: each image's first presentation (1-based global trial, the
 * smallest among the sessions) and the number of trials with no image in the stimulus table.
 * @param trialImages nsdId per 0-based global trial (-1: none), from subjectTrialImages.
 */
export function sessionImages(
  trialImages: Int32Array,
  sessions: readonly number[],
  trialsPerSession: number,
): { firstTrial: Map<number, number>; unmappedTrials: number } {
  const firstTrial = new Map<number, number>();
  let unmappedTrials = 0;
  for (const s of sessions) {
    for (let t = 0; t < trialsPerSession; t++) {
      const g = (s - 1) * trialsPerSession + t; // 0-based global trial
      const id = g < trialImages.length ? trialImages[g] : -1;
      if (id < 0) unmappedTrials++;
      else {
        const seen = firstTrial.get(id);
        if (seen === undefined || g + 1 < seen) firstTrial.set(id, g + 1);
      }
    }
  }
  return { firstTrial, unmappedTrials };
}

/**
 * The subject's image order: its images in the order NSD first showed them (ascending first-presentation
 * trial), the row order of a per-subject response file built by reading the trials in order, as the usual NSD
 * preprocessing does (and fold order 'subject' splits, compute/folds.ts).
 * @param nsdIds images; @param firstTrials their first presentations (SubjectRoiBetas.firstTrials).
 */
export function subjectImageOrder(nsdIds: ArrayLike<number>, firstTrials: ArrayLike<number>): Int32Array {
  const rows = Array.from({ length: nsdIds.length }, (_, i) => i).sort((a, b) => firstTrials[a] - firstTrials[b]);
  return Int32Array.from(rows, (i) => nsdIds[i]);
}

export interface LoadSubjectBetasOptions {
  /** Sessions to read (default: all present on disk). */
  sessions?: number[];
  /** Betas format to read (default: the manifest's). */
  format?: BetasFormat;
  /** z-score each voxel within each session (default true). */
  zscore?: boolean;
  /** Restrict the output to these images; an id the subject never saw in the read sessions raises DataValidationError("nsdIds"). */
  nsdIds?: ArrayLike<number>;
  /** HDF5 reader choice, see ReadSessionOptions.hdf5Reader (default 'auto'). */
  hdf5Reader?: 'auto' | 'h5wasm';
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export interface SubjectRoiBetas {
  /** Distinct images, ascending nsdId. */
  nsdIds: Int32Array;
  /**
   * Per image (rows as nsdIds): the 1-based global trial of its first presentation in the read sessions. Sorting
   * the images by it gives the subject's image order (subjectImageOrder).
   */
  firstTrials: Int32Array;
  /** (images x voxels), rows in nsdIds order: mean over repetitions of the (z-scored) betas. */
  betas: DenseMatrix<Float32Array>;
  /** Repetitions averaged into each row. */
  repetitions: Uint8Array;
  /** Flat voxel indices (x fastest) of the columns. */
  voxelIndices: Int32Array;
  /** (x, y, z) per column: [x0, y0, z0, x1, ...]. */
  voxelCoords: Int32Array;
  volumeShape: VolumeShape;
  sessions: number[];
  /** Trials in the read sessions with no image in the stimulus table (ignored). */
  unmappedTrials: number;
}

/**
 * Load a subject's betas for the given voxels (e.g. from loadRoiMask), session by session.
 * Memory: the output matrix plus one session's (trials x voxels) block and one HDF5 slab.
 * @throws DataValidationError for missing sessions, shape/trial mismatches, truncated files, unknown nsdIds.
 */
export async function loadSubjectRoiBetas(
  ds: NsdDataset,
  subject: number,
  voxelIndices: Int32Array,
  opts: LoadSubjectBetasOptions = {},
): Promise<SubjectRoiBetas> {
  const format = opts.format ?? ds.manifest.betas.format;
  const T = ds.manifest.trialsPerSession;
  const available = discoverSessions(ds, subject, format);
  const sessions = opts.sessions ?? available;
  if (sessions.length === 0)
    throw new DataValidationError('subject', `subject ${subject} has no ${format} betas sessions`);
  sessions.forEach((s, i) => {
    if (!available.includes(s))
      throw new DataValidationError(`sessions[${i}]`, `subject ${subject} has no session ${s}`);
  });
  const trialImages = subjectTrialImages(
    readStimulusTable(stimuliPath(ds), 'manifest.stimuli'),
    subject,
    'manifest.stimuli',
  );

  // Images seen in the read sessions -> output rows.
  const { firstTrial, unmappedTrials } = sessionImages(trialImages, sessions, T);
  let ids = Int32Array.from(firstTrial.keys()).sort();
  if (opts.nsdIds) {
    const want = Int32Array.from(opts.nsdIds);
    const missing = want.filter((id) => !firstTrial.has(id));
    if (missing.length > 0) {
      throw new DataValidationError(
        'nsdIds',
        `${missing.length} nsdIds not seen by subject ${subject} in the read sessions (first: ${Array.from(missing.slice(0, 5)).join(', ')})`,
      );
    }
    ids = Int32Array.from(new Set(want)).sort();
  }
  const row = new Map<number, number>();
  ids.forEach((id, i) => {
    row.set(id, i);
  });

  const V = voxelIndices.length;
  const sums = new Float32Array(ids.length * V);
  const reps = new Uint8Array(ids.length);
  const first = await readBetasFileShape(betasPath(ds, subject, sessions[0], format), format, {
    dataset: ds.manifest.betas.dataset,
    field: `manifest.betas.${format}`,
  });
  const volumeShape = first.volumeShape;
  const total = sessions.length;
  opts.onProgress?.({ done: 0, total, stage: 'betas' });
  for (let si = 0; si < sessions.length; si++) {
    throwIfAborted(opts.signal);
    const s = sessions[si];
    const sess = await readNsdBetasSession(betasPath(ds, subject, s, format), format, voxelIndices, {
      scale: ds.manifest.betas.scale,
      dataset: ds.manifest.betas.dataset,
      volumeShape,
      trials: T,
      signal: opts.signal,
      hdf5Reader: opts.hdf5Reader,
      field: `manifest.betas.${format}`,
    });
    if (opts.zscore !== false) zscoreColumnsInPlace(sess.data, sess.trials, V);
    for (let t = 0; t < T; t++) {
      const g = (s - 1) * T + t;
      const id = g < trialImages.length ? trialImages[g] : -1;
      const r = id < 0 ? undefined : row.get(id);
      if (r === undefined) continue;
      reps[r]++;
      const o = r * V;
      const src = t * V;
      for (let j = 0; j < V; j++) sums[o + j] += sess.data[src + j];
    }
    opts.onProgress?.({ done: si + 1, total, stage: 'betas' });
  }
  for (let r = 0; r < ids.length; r++) {
    const inv = 1 / reps[r];
    const o = r * V;
    for (let j = 0; j < V; j++) sums[o + j] *= inv;
  }
  return {
    nsdIds: ids,
    firstTrials: Int32Array.from(ids, (id) => firstTrial.get(id)!),
    betas: { rows: ids.length, cols: V, data: sums },
    repetitions: reps,
    voxelIndices,
    voxelCoords: indicesToCoords(voxelIndices, volumeShape),
    volumeShape,
    sessions: [...sessions],
    unmappedTrials,
  };
}
