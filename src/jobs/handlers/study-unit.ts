/**
 * A study's (subject, layer) unit, run as one alignment job: every representation of that layer the study names
 * (neurons, SAEs) is fitted to every ROI on the same folds in one compute call (ridgeRoisPaired), so that both
 * representations' held-out predictions exist together for the paired statistics (stimulus bootstrap interval,
 * sign-flip permutation p) of each pair; the predictions stay in the compute thread and are dropped there.
 * Each representation keeps its own alignment Run with the Score rows an alignment job writes; the unit's runs and
 * its paired cells are written in one transaction, so a killed or retried unit leaves one set of each or none.
 */
import type { Prisma } from '../../db/client';
import { TRANSACTION_WAIT } from '../../services/idempotent';
import { markRunRunning, secondsSince } from '../../services/provenance';
import { DEFAULT_STATISTICS, unitPairs, type StudyInputs } from '../../services/studies';
import { runInComputeThread } from '../../threads/compute-thread';
import { representationMatrix } from '../../services/inputs';
import type { JobContext, JobHandler } from '../../queue/types';
import {
  alignmentHandler,
  loadAlignmentData,
  ridgePayload,
  runTimings,
  saveAlignmentRun,
  type AlignmentInputs,
} from './alignment';
import { runStatusHooks } from './run-hooks';

export interface StudyUnitJob {
  studyId: string;
  /** The unit's runs, one per representation, in the study's cell order. */
  runIds: string[];
}

const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

export async function runStudyUnit(data: StudyUnitJob, ctx: JobContext): Promise<void> {
  const { prisma } = ctx;
  const found = await prisma.run.findMany({ where: { id: { in: data.runIds } } });
  const runs = data.runIds.map((id) => found.find((r) => r.id === id)!);
  if (runs.length === 0 || runs.some((r) => !r))
    throw new Error(`study unit: runs ${data.runIds.join(', ')} not all found`);
  if (runs.every((r) => r.status === 'succeeded')) return; // a duplicate delivery after success
  const study = await prisma.study.findUniqueOrThrow({ where: { id: data.studyId }, select: { inputs: true } });
  const stats = (study.inputs as unknown as StudyInputs).statistics ?? DEFAULT_STATISTICS;
  const inputs = runs.map((r) => r.inputs as unknown as AlignmentInputs);
  if (inputs[0].metric && inputs[0].metric !== 'ridge') {
    // Brain metrics other than ridge have no held-out predictions to pair: each run as its own alignment job would.
    for (const r of runs) await alignmentHandler.run({ runId: r.id }, ctx);
    return;
  }
  const t0 = performance.now();
  for (const r of runs) await markRunRunning(prisma, r.id);
  const d = await loadAlignmentData(inputs[0], ctx);
  const Xs = [];
  const prepare: number[] = [];
  for (const [i, inp] of inputs.entries()) {
    const t = performance.now();
    ctx.progress({ stage: `encoding ${i + 1}/${inputs.length}`, done: i, total: inputs.length });
    Xs.push(
      await representationMatrix(prisma, inp.saeId, d.X0, ctx.signal, {
        untrained: inp.representation === 'random-sae',
      }),
    );
    prepare.push(secondsSince(t));
  }
  const pairs = unitPairs(inputs);
  const out = await runInComputeThread(
    'ridgeRoisPaired',
    {
      Xs,
      ...ridgePayload(inputs[0], d),
      pairs,
      stats: { nResamples: stats.resamples, nPermutations: stats.permutations, seed: stats.seed },
    },
    { signal: ctx.signal, onProgress: (p) => ctx.progress(p) },
  );
  ctx.signal.throwIfAborted();
  ctx.progress({ stage: 'saving', done: d.targets.rois.length, total: d.targets.rois.length });
  const total = secondsSince(t0);
  const paired: Prisma.PairedComparisonCreateManyInput[] = pairs.flatMap(([i, j], k) =>
    out.cells[k].map((c, r) => ({
      studyId: data.studyId,
      subject: inputs[0].subject,
      layerId: inputs[0].layerId,
      roi: d.targets.rois[r].name,
      aRunId: runs[i].id,
      bRunId: runs[j].id,
      a: c.a,
      b: c.b,
      difference: c.difference,
      foldDifferences: c.foldDifferences,
      level: c.bootstrapCi.level,
      bootstrapLower: finiteOrNull(c.bootstrapCi.lower),
      bootstrapUpper: finiteOrNull(c.bootstrapCi.upper),
      bootstrapSe: finiteOrNull(c.bootstrapCi.se),
      nResamples: c.bootstrapCi.nResamples,
      seed: BigInt(c.bootstrapCi.seed ?? 0),
      p: finiteOrNull(c.p),
      permutationExact: c.permutation.exact,
      nPermutations: c.permutation.nPermutations,
      nStimuli: c.nStimuli,
      nTargets: c.nTargets,
    })),
  );
  await prisma.$transaction(async (tx) => {
    for (const [i, r] of runs.entries()) {
      const timings = {
        ...runTimings(d, out.fits[i], prepare[i]),
        unitRepresentations: runs.length,
        pairedStatistics: out.statsSeconds,
        total,
      };
      await saveAlignmentRun(tx, r.id, inputs[i], d, out.fits[i], timings);
    }
    await tx.pairedComparison.deleteMany({ where: { aRunId: { in: data.runIds } } });
    if (paired.length) await tx.pairedComparison.createMany({ data: paired });
  }, TRANSACTION_WAIT);
}

/** Alignment jobs: one run ({runId}) or a study's (subject, layer) unit of runs ({studyId, runIds}). */
export const alignmentJobHandler: JobHandler<{ runId: string } | StudyUnitJob> = {
  run: (data, ctx) => ('runIds' in data ? runStudyUnit(data, ctx) : alignmentHandler.run(data, ctx)),
  ...runStatusHooks,
};
