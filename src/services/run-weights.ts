/**
 * Ridge weights of an alignment run (issue item 11): per ROI and live source unit, the mean |beta| over the ROI's
 * kept voxels in every fold (default: comparable across ROI sizes) and the authors' L2 norm over them (plot_utils.py
 * np.linalg.norm(coeffs[:, unit])), src/compute/ridge/weights.ts; stored as float32 bytes, served as JSON or CSV.
 * Computed only when the run asked (ridgeWeights: true): the coefficients cost one more units x n_train x voxels
 * product per fold and ROI (about the fit's own prediction cost again, or more for wide SAEs) and hold at most
 * units x a block of voxels at once; what is stored is small (units x folds per ROI: 16k latents x 5 folds = 320 KiB).
 */
import type { Prisma } from '../generated/prisma/client';
import type { Db } from '../db/client';
import { bytesOf, float32Of, int32Of } from './codecs';
import { csvText } from './csv';
import type { WeightsStat } from '../compute/ridge/weights';

type Tx = Prisma.TransactionClient;

/** Replace a run's stored weights with those of its fits (fits without weights store nothing). */
export async function saveRunWeights(
  tx: Tx,
  runId: string,
  fits: { name: string; unitWeights?: { units: Int32Array; perFold: Float32Array[]; perFoldL2: Float32Array[] } }[],
): Promise<void> {
  await tx.runWeights.deleteMany({ where: { runId } });
  const foldMajor = (perFold: Float32Array[], n: number) => {
    const out = new Float32Array(perFold.length * n);
    perFold.forEach((w, k) => {
      out.set(w, k * n);
    });
    return bytesOf(out);
  };
  const data = fits.flatMap((f) => {
    if (!f.unitWeights) return [];
    const { units, perFold, perFoldL2 } = f.unitWeights;
    return [
      {
        runId,
        target: f.name,
        units: bytesOf(units),
        folds: foldMajor(perFold, units.length),
        foldsL2: foldMajor(perFoldL2, units.length),
        nFolds: perFold.length,
      },
    ];
  });
  if (data.length) await tx.runWeights.createMany({ data });
}

export interface RunWeightsView {
  runId: string;
  roi: string;
  stat: WeightsStat;
  /** Original source unit (column) indices: neurons of the layer or SAE latents; dead units are absent. */
  units: number[];
  /** Mean over folds, per unit. */
  mean: number[];
  /** folds[k][i]: fold k, unit units[i]. */
  folds: number[][];
}

export type RunWeightsLookup =
  | { kind: 'ok'; view: RunWeightsView }
  | { kind: 'no-run' }
  | { kind: 'none'; reason: string }
  | { kind: 'no-roi'; rois: string[] };

/** A run's weights for one ROI, or why there are none. */
export async function runWeights(
  prisma: Db,
  runId: string,
  roi: string,
  stat: WeightsStat = 'meanAbs',
): Promise<RunWeightsLookup> {
  const run = await prisma.run.findUnique({
    where: { id: runId },
    select: { kind: true, status: true, inputs: true, weights: { select: { target: true } } },
  });
  if (!run) return { kind: 'no-run' };
  if (run.kind !== 'alignment' || (run.inputs as { ridgeWeights?: boolean }).ridgeWeights !== true) {
    return {
      kind: 'none',
      reason: 'the run did not ask for ridge weights (POST /v1/alignments with ridgeWeights: true)',
    };
  }
  if (run.status !== 'succeeded')
    return { kind: 'none', reason: `the run is ${run.status}; weights exist once it has succeeded` };
  const row = await prisma.runWeights.findUnique({ where: { runId_target: { runId, target: roi } } });
  if (!row) return { kind: 'no-roi', rois: run.weights.map((w) => w.target) };
  const units = int32Of(row.units);
  const all = float32Of(stat === 'l2' ? row.foldsL2 : row.folds);
  const n = units.length;
  const folds = Array.from({ length: row.nFolds }, (_, k) => Array.from(all.subarray(k * n, (k + 1) * n)));
  const mean = Array.from(units, (_, i) => folds.reduce((s, f) => s + f[i], 0) / row.nFolds);
  return { kind: 'ok', view: { runId, roi, stat, units: Array.from(units), mean, folds } };
}

/** One row per unit: unit, mean, fold0..fold{K-1}. */
export function runWeightsCsv(v: RunWeightsView): string {
  const header = ['unit', 'mean', ...v.folds.map((_, k) => `fold${k}`)];
  return csvText([header, ...v.units.map((u, i) => [u, v.mean[i], ...v.folds.map((f) => f[i])])]);
}
