/**
 * A study's (subject, layer) unit, run as one alignment job: every representation of that layer the study names
 * (neurons, SAEs) is fitted to every ROI on the same folds in one compute call (ridgeRoisPaired), so that both
 * representations' held-out predictions exist together for the paired statistics (stimulus bootstrap interval,
 * sign-flip permutation p) of each pair; the predictions stay in the compute thread and are dropped there.
 * Each representation keeps its own alignment Run with the Score rows an alignment job writes; the unit's runs and
 * its paired cells are written in one transaction, so a killed or retried unit leaves one set of each or none.
 */
import type { PairedCell } from '../compute/stats/index';
import type { Prisma } from '../db/client';
import type { RidgeRoisPairedOutput } from '../threads/compute-tasks';
import { runInComputeThread } from '../threads/compute-thread';
import {
  encodeUnitSource,
  loadAlignmentData,
  ridgePayload,
  runAlignment,
  runTimings,
  saveAlignmentRun,
  type AlignmentData,
} from './alignment-runs';
import type { AlignmentInputs } from './alignments';
import { finiteOrNull } from './codecs';
import { TRANSACTION_WAIT } from './idempotent';
import { markRunRunning, secondsSince } from './provenance';
import { threadOptions, type RunContext } from './run-context';
import { DEFAULT_STATISTICS, unitPairs, type StudyInputs } from './study-inputs';

export interface StudyUnitJob {
  studyId: string;
  /** The unit's runs, one per representation, in the study's cell order. */
  runIds: string[];
}

type RunRow = { id: string; status: string; inputs: unknown };

/** The unit's runs in job order (throws when one is missing). */
async function unitRuns(ctx: RunContext, data: StudyUnitJob): Promise<RunRow[]> {
  const found = await ctx.prisma.run.findMany({ where: { id: { in: data.runIds } } });
  const runs = data.runIds.map((id) => found.find((r) => r.id === id)!);
  if (runs.length === 0 || runs.some((r) => !r))
    throw new Error(`study unit: runs ${data.runIds.join(', ')} not all found`);
  return runs;
}

export async function runStudyUnit(data: StudyUnitJob, ctx: RunContext): Promise<void> {
  const { prisma } = ctx;
  const runs = await unitRuns(ctx, data);
  if (runs.every((r) => r.status === 'succeeded')) return; // a duplicate delivery after success
  const study = await prisma.study.findUniqueOrThrow({ where: { id: data.studyId }, select: { inputs: true } });
  const stats = (study.inputs as unknown as StudyInputs).statistics ?? DEFAULT_STATISTICS;
  const inputs = runs.map((r) => r.inputs as unknown as AlignmentInputs);
  if (inputs[0].metric && inputs[0].metric !== 'ridge') {
    // Brain metrics other than ridge have no held-out predictions to pair: each run as its own alignment job would.
    for (const r of runs) await runAlignment(r.id, ctx);
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
    Xs.push(await encodeUnitSource(inp, d, ctx));
    prepare.push(secondsSince(t));
  }
  const pairs = unitPairs(inputs);
  const stat = { nResamples: stats.resamples, nPermutations: stats.permutations, seed: stats.seed };
  const payload = { Xs, ...ridgePayload(inputs[0], d), pairs, stats: stat };
  const tThread = performance.now();
  const out = await runInComputeThread('ridgeRoisPaired', payload, threadOptions(ctx));
  const threadSeconds = secondsSince(tThread);
  ctx.signal.throwIfAborted();
  ctx.progress({ stage: 'saving', done: d.targets.rois.length, total: d.targets.rois.length });
  const unit = { data, runs, inputs, d, out, prepare, threadSeconds, total: secondsSince(t0) };
  await prisma.$transaction((tx) => saveStudyUnit(tx, unit), TRANSACTION_WAIT);
}

interface UnitResults {
  data: StudyUnitJob;
  runs: RunRow[];
  inputs: AlignmentInputs[];
  d: AlignmentData;
  out: RidgeRoisPairedOutput;
  /** Seconds encoding each representation, of the compute thread's call (fits, statistics, copies), of the unit. */
  prepare: number[];
  threadSeconds: number;
  total: number;
}

/** Every run of the unit as an alignment job saves it, and the paired cells of each pair, in one transaction. */
async function saveStudyUnit(tx: Prisma.TransactionClient, u: UnitResults): Promise<void> {
  const { data, runs, inputs, d, out } = u;
  for (const [i, r] of runs.entries()) {
    const timings = {
      ...runTimings(d, out.fits[i], u.prepare[i]),
      unitRepresentations: runs.length,
      pairedStatistics: out.statsSeconds,
      computeThread: u.threadSeconds,
      total: u.total,
    };
    await saveAlignmentRun(tx, r.id, inputs[i], d, out.fits[i], timings);
  }
  const paired = unitPairs(inputs).flatMap(([i, j], k) =>
    out.cells[k].map((c, r) => ({
      studyId: data.studyId,
      subject: inputs[0].subject,
      layerId: inputs[0].layerId,
      roi: d.targets.rois[r].name,
      aRunId: runs[i].id,
      bRunId: runs[j].id,
      ...pairedCellRow(c),
    })),
  );
  await tx.pairedComparison.deleteMany({ where: { aRunId: { in: data.runIds } } });
  if (paired.length) await tx.pairedComparison.createMany({ data: paired });
}

/** The numbers of one paired cell as stored (undefined statistics as null). */
function pairedCellRow(
  c: PairedCell,
): Omit<Prisma.PairedComparisonCreateManyInput, 'studyId' | 'subject' | 'layerId' | 'roi' | 'aRunId' | 'bRunId'> {
  return {
    a: c.a,
    b: c.b,
    difference: c.difference,
    foldDifferences: c.foldDifferences,
    level: c.bootstrapCi.level,
    bootstrapLower: finiteOrNull(c.bootstrapCi.lower),
    bootstrapUpper: finiteOrNull(c.bootstrapCi.upper),
    bootstrapSe: finiteOrNull(c.bootstrapCi.se),
    nResamples: c.bootstrapCi.nResamples,
    bootstrapReplicates: Array.from(c.bootstrapReplicates),
    seed: BigInt(c.bootstrapCi.seed ?? 0),
    p: finiteOrNull(c.p),
    permutationExact: c.permutation.exact,
    nPermutations: c.permutation.nPermutations,
    nStimuli: c.nStimuli,
    nTargets: c.nTargets,
  };
}
