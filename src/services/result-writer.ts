/**
 * The one writer of a run's results, for every run kind (alignment by ridge or another metric, study cells,
 * comparisons): its Score rows replace any earlier attempt's and the run is marked succeeded with its provenance,
 * in the caller's transaction, so that a killed or retried job leaves either no scores or exactly one set.
 */
import { notifyResultsChanged } from '../db/notify';
import type { Prisma } from '../db/client';
import { bytesOf } from './codecs';
import { markRunSucceeded } from './provenance';

type Tx = Prisma.TransactionClient;

/** One Score row as a run computes it (the run id is the writer's). */
export type RunScore = Omit<Prisma.ScoreCreateManyInput, 'runId' | 'id' | 'createdAt' | 'nStimuli'>;

/**
 * Replace a run's scores and mark it succeeded (timings, folds, provenance: markRunSucceeded); each score carries
 * nStimuli, the number of the folds' images.
 */
export async function saveRunScores(
  tx: Tx,
  runId: string,
  scores: RunScore[],
  outcome: Parameters<typeof markRunSucceeded>[2],
): Promise<void> {
  await tx.score.deleteMany({ where: { runId } });
  await notifyResultsChanged(tx);
  // Every row names the stimuli it was computed on: the images of the run's folds.
  const nStimuli = outcome.folds.nsdIds.length;
  await tx.score.createMany({ data: scores.map((s) => ({ ...s, nStimuli, runId })) });
  await markRunSucceeded(tx, runId, outcome);
}

/** Per-voxel scores of an alignment run: voxel (flat index into the volume), its score and its ROI (an index into roiNames). */
export interface VoxelScores {
  volumeShape: [number, number, number];
  voxelIndices: Int32Array;
  values: Float32Array;
  roiCodes: Uint16Array;
  roiNames: string[];
}

/** Replace a run's per-voxel scores (stored as bytea: services/codecs.ts). */
export async function saveRunVoxels(tx: Tx, runId: string, v: VoxelScores): Promise<void> {
  const voxels = {
    volumeShape: v.volumeShape,
    voxelIndices: bytesOf(v.voxelIndices),
    values: bytesOf(v.values),
    roiCodes: bytesOf(v.roiCodes),
    roiNames: v.roiNames,
  };
  await tx.runVoxels.upsert({ where: { runId }, create: { runId, ...voxels }, update: voxels });
}
