/**
 * Comparison job: one metric between two layers (each as neurons or SAE latents) over the stimuli both
 * have, cross-validated over the same folds; scores written in one transaction at the end.
 */
import type { LayerPreprocessing } from '../../activations/preprocessing';
import { takeRows } from '../../compute/matrix';
import type { RidgePreset } from '../../compute/ridge/index';
import { notifyResultsChanged } from '../../db/notify';
import { resolveFolds, type FoldsSpec } from '../../services/folds';
import { markRunRunning, markRunSucceeded, secondsSince } from '../../services/provenance';
import { requestHash } from '../../services/request-hash';
import { runInComputeThread } from '../../threads/compute-thread';
import { storedMethod, type ComparisonMetric } from '../../threads/compute-tasks';
import { loadLayerMatrix, representationMatrix } from '../../services/inputs';
import type { JobContext, JobHandler } from '../../queue/types';
import { runStatusHooks } from './run-hooks';
import type { RepresentationKind } from '../../services/representations';

export interface ComparisonSide {
  layerId: string;
  /** 'random-sae': the untrained twin of SAE saeId. */
  representation: RepresentationKind;
  saeId: string | null;
  /** The layer's preprocessing (applied where its activations are read), when it has one. */
  preprocessing?: LayerPreprocessing;
}

export interface ComparisonInputs {
  source: ComparisonSide;
  target: ComparisonSide;
  metric: ComparisonMetric;
  preset: RidgePreset;
  alphas?: number[];
  /** Order 'activations': the source layer's activation rows in file order. */
  folds: FoldsSpec;
  /** rsa / cka: false = once over all the folds' stimuli (absent = cross-validated). */
  cv?: false;
}

export function comparisonTargetLabel(target: ComparisonSide, layerName: string): string {
  return `${layerName}:${target.representation}`;
}

export function comparisonRequestHash(inputs: ComparisonInputs): string {
  return requestHash('comparison', inputs);
}

async function run(data: { runId: string }, ctx: JobContext): Promise<void> {
  const { prisma } = ctx;
  const runRow = await prisma.run.findUniqueOrThrow({ where: { id: data.runId } });
  if (runRow.status === 'succeeded') return;
  const inputs = runRow.inputs as unknown as ComparisonInputs;
  const t0 = performance.now();
  await markRunRunning(prisma, runRow.id);
  ctx.progress({ stage: 'loading activations', done: 0, total: 2 });
  const [srcLayer, tgtLayer] = await Promise.all([
    prisma.layer.findUniqueOrThrow({ where: { id: inputs.source.layerId } }),
    prisma.layer.findUniqueOrThrow({ where: { id: inputs.target.layerId } }),
  ]);
  const [src, tgt] = [await loadLayerMatrix(srcLayer, ctx.config), await loadLayerMatrix(tgtLayer, ctx.config)];
  // Stimuli both layers have, ascending nsdId.
  const tgtRow = new Map<number, number>();
  tgt.ids.forEach((id, r) => tgtRow.set(id, r));
  const shared = Int32Array.from(
    Array.from(src.ids)
      .filter((id) => tgtRow.has(id))
      .sort((a, b) => a - b),
  );
  const folds = resolveFolds(shared, inputs.folds, 'both layers', src.ids);
  const ids = Array.from(folds.rows, (r) => shared[r]);
  const { assignment, seed } = folds;
  const srcRow = new Map<number, number>();
  src.ids.forEach((id, r) => srcRow.set(id, r));
  const Xn = takeRows(
    src.X,
    ids.map((id) => srcRow.get(id)!),
  );
  const Yn = takeRows(
    tgt.X,
    ids.map((id) => tgtRow.get(id)!),
  );
  ctx.progress({ stage: 'encoding', done: 1, total: 2 });
  const X = await representationMatrix(prisma, inputs.source.saeId, Xn, ctx.signal, {
    untrained: inputs.source.representation === 'random-sae',
  });
  const Y = await representationMatrix(prisma, inputs.target.saeId, Yn, ctx.signal, {
    untrained: inputs.target.representation === 'random-sae',
  });
  const res = await runInComputeThread(
    'compareLayers',
    { X, Y, metric: inputs.metric, assignment, preset: inputs.preset, alphas: inputs.alphas, cv: inputs.cv !== false },
    { signal: ctx.signal, onProgress: (p) => ctx.progress(p) },
  );
  const { k } = folds;
  await prisma.$transaction(async (tx) => {
    await tx.score.deleteMany({ where: { runId: runRow.id } });
    await notifyResultsChanged(tx);
    await tx.score.create({
      data: {
        runId: runRow.id,
        kind: 'comparison',
        modelId: srcLayer.modelId,
        layerId: srcLayer.id,
        representation: inputs.source.representation,
        saeId: inputs.source.saeId,
        method: storedMethod(inputs.metric, inputs.cv !== false),
        target: comparisonTargetLabel(inputs.target, tgtLayer.name),
        value: res.mean,
        sem: Number.isFinite(res.sem) ? res.sem : null,
        foldValues: res.foldScores,
        alphas: res.alphas,
        nVoxels: res.keptTarget,
      },
    });
    await markRunSucceeded(tx, runRow.id, {
      timings: { total: secondsSince(t0) },
      folds: { k, seed, nsdIds: ids, assignment },
    });
  });
}

export const comparisonHandler: JobHandler<{ runId: string }> = {
  run,
  ...runStatusHooks,
};
