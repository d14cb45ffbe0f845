/**
 * Alignment runs with a metric other than ridge (issue 12 item 9): the layer's units against each ROI's voxels
 * with RSA, semi- or soft-matching (or CKA), cross-validated over the run's folds (the matching metrics fitted on
 * the training part, RSA / CKA per test fold), or with cv: false once over all evaluated stimuli (the authors'
 * brain RSA). Scores are stored per ROI like ridge (value, sem, fold values, kept voxels); there is no per-voxel
 * map and no noise-ceiling normalisation (neither applies to a set-level similarity).
 */
import { nanMean } from '../../compute/correlation';
import type { CsrMatrix, DenseMatrix } from '../../compute/matrix';
import { notifyResultsChanged } from '../../db/notify';
import { markRunSucceeded, secondsSince } from '../../services/provenance';
import type { ResolvedRoi } from '../../services/rois';
import { runInComputeThread } from '../../threads/compute-thread';
import type { JobContext } from '../../queue/types';
import { scoreRowOf, type AlignmentInputs } from './alignment';

export interface MetricRunData {
  runId: string;
  inputs: AlignmentInputs;
  layer: { id: string; modelId: string };
  rois: ResolvedRoi[];
  targets: { rois: { name: string; columns: Int32Array }[] };
  X: DenseMatrix | CsrMatrix;
  Y: DenseMatrix<Float32Array>;
  /** Noise ceiling (percent) per column of Y, reported beside the score (not applied). */
  noiseCeiling?: Float32Array;
  folds: { assignment: Int32Array; k: number; seed: number | null; nsdIds: Int32Array };
  t0: number;
}

const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

export async function runAlignmentMetric(d: MetricRunData, ctx: JobContext): Promise<void> {
  const { inputs } = d;
  const metric = inputs.metric!;
  if (metric === 'ridge') throw new Error('runAlignmentMetric: ridge runs take the ridge path');
  const cv = inputs.cv !== false;
  const fitted = await runInComputeThread(
    'metricRois',
    { X: d.X, Y: d.Y, rois: d.targets.rois, metric, assignment: d.folds.assignment, cv },
    { signal: ctx.signal, onProgress: (p) => ctx.progress(p) },
  );
  ctx.signal.throwIfAborted();
  ctx.progress({ stage: 'saving', done: fitted.length, total: fitted.length });
  const nc = d.noiseCeiling;
  const { prisma } = ctx;
  await prisma.$transaction(async (tx) => {
    await tx.score.deleteMany({ where: { runId: d.runId } });
    await notifyResultsChanged(tx);
    await tx.score.createMany({
      data: fitted.map((f, r) => ({
        ...scoreRowOf(d.runId, inputs, d.layer, d.rois[r].atlas),
        target: f.name,
        value: f.mean,
        sem: finiteOrNull(f.sem),
        foldValues: f.foldScores,
        nVoxels: f.nKept,
        alphas: [],
        noiseCeiling: nc ? finiteOrNull(nanMean(Array.from(d.targets.rois[r].columns, (c) => nc[c]))) : null,
      })),
    });
    await markRunSucceeded(tx, d.runId, { timings: { total: secondsSince(d.t0) }, folds: d.folds });
  });
}
