/**
 * Computing a comparison run: both layers loaded, restricted to the stimuli both have, folded, encoded (SAE
 * latents), compared in a compute thread; its one score written with run-results.ts.
 */
import { joinStimulusIds } from '../activations/align';
import { storedMethod } from '../compute/metrics/registry';
import { takeRows, type DenseMatrix } from '../compute/matrix';
import { runInComputeThread } from '../threads/compute-thread';
import { finiteOrNull } from './codecs';
import { comparisonTargetLabel, type ComparisonInputs } from './comparisons';
import { resolveFolds } from './folds';
import { loadLayerMatrix, representationMatrix, type LayerMatrix } from './inputs';
import { markRunRunning, secondsSince } from './provenance';
import { threadOptions, type RunContext } from './run-context';
import { saveRunScores } from './result-writer';

/** The stimuli both layers have (ascending nsdId), folded, and each layer's rows of them. */
function sharedRows(src: LayerMatrix, tgt: LayerMatrix, inputs: ComparisonInputs) {
  const shared = joinStimulusIds(tgt.ids, src.ids).ids.sort();
  const folds = resolveFolds(shared, inputs.folds, 'both layers', src.ids);
  const ids = Int32Array.from(folds.rows, (r) => shared[r]);
  const X: DenseMatrix<Float32Array> = takeRows(src.X, joinStimulusIds(src.ids, ids).rows);
  const Y: DenseMatrix<Float32Array> = takeRows(tgt.X, joinStimulusIds(tgt.ids, ids).rows);
  return { X, Y, folds: { k: folds.k, seed: folds.seed, nsdIds: Array.from(ids), assignment: folds.assignment } };
}

/** The comparison job of one run. A run already done is left as it is. */
export async function runComparison(runId: string, ctx: RunContext): Promise<void> {
  const { prisma } = ctx;
  const runRow = await prisma.run.findUniqueOrThrow({ where: { id: runId } });
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
  const rows = sharedRows(src, tgt, inputs);
  ctx.progress({ stage: 'encoding', done: 1, total: 2 });
  const X = await representationMatrix(prisma, ctx.config, inputs.source.saeId, rows.X, ctx.signal, {
    untrained: inputs.source.representation === 'random-sae',
  });
  const Y = await representationMatrix(prisma, ctx.config, inputs.target.saeId, rows.Y, ctx.signal, {
    untrained: inputs.target.representation === 'random-sae',
  });
  const { metric, preset, alphas } = inputs;
  const cv = inputs.cv !== false;
  const assignment = rows.folds.assignment;
  const res = await runInComputeThread(
    'compareLayers',
    { X, Y, metric, assignment, preset, alphas, cv },
    threadOptions(ctx),
  );
  const score = {
    kind: 'comparison' as const,
    modelId: srcLayer.modelId,
    layerId: srcLayer.id,
    representation: inputs.source.representation,
    saeId: inputs.source.saeId,
    method: storedMethod(metric, cv),
    target: comparisonTargetLabel(inputs.target, tgtLayer.name),
    value: res.mean,
    sem: finiteOrNull(res.sem),
    baseline: finiteOrNull(res.baseline),
    foldValues: res.foldScores,
    alphas: res.alphas,
    nVoxels: res.keptTarget,
  };
  await prisma.$transaction((tx) =>
    saveRunScores(tx, runRow.id, [score], { timings: { total: secondsSince(t0) }, folds: rows.folds }),
  );
}
