/**
 * Alignment runs with a metric other than ridge (issue 12 item 9): the layer's units against each ROI's voxels
 * with RSA, semi- or soft-matching (or CKA), cross-validated over the run's folds (the matching metrics fitted on
 * the training part, RSA / CKA per test fold), or with cv: false once over all evaluated stimuli (the authors'
 * brain RSA). Scores are stored per ROI like ridge (value, sem, fold values, kept voxels); there is no per-voxel
 * map and no noise-ceiling normalisation (neither applies to a set-level similarity).
 */
import { nanMean } from '../compute/correlation';
import type { CsrMatrix, DenseMatrix } from '../compute/matrix';
import { runInComputeThread } from '../threads/compute-thread';
import { alignmentScoreFields, type AlignmentInputs } from './alignments';
import { finiteOrNull } from './codecs';
import { secondsSince } from './provenance';
import type { ResolvedRoi } from './rois';
import { threadOptions, type RunContext } from './run-context';
import { saveRunScores } from './result-writer';

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

/** Fit the run's metric to every ROI in a compute thread and save its scores. */
export async function fitAlignmentMetric(d: MetricRunData, ctx: RunContext): Promise<void> {
  const { inputs } = d;
  const metric = inputs.metric!;
  if (metric === 'ridge') throw new Error('fitAlignmentMetric: ridge runs take the ridge path');
  const cv = inputs.cv !== false;
  const fitted = await runInComputeThread(
    'metricRois',
    { X: d.X, Y: d.Y, rois: d.targets.rois, metric, assignment: d.folds.assignment, cv },
    threadOptions(ctx),
  );
  ctx.signal.throwIfAborted();
  ctx.progress({ stage: 'saving', done: fitted.length, total: fitted.length });
  const nc = d.noiseCeiling;
  const scores = fitted.map((f, r) => ({
    ...alignmentScoreFields(inputs, d.layer, d.rois[r].atlas),
    target: f.name,
    value: f.mean,
    sem: finiteOrNull(f.sem),
    baseline: finiteOrNull(f.baseline),
    foldValues: f.foldScores,
    nVoxels: f.nKept,
    alphas: [],
    noiseCeiling: nc ? finiteOrNull(nanMean(Array.from(d.targets.rois[r].columns, (c) => nc[c]))) : null,
  }));
  await ctx.prisma.$transaction((tx) =>
    saveRunScores(tx, d.runId, scores, { timings: { total: secondsSince(d.t0) }, folds: d.folds }),
  );
}
