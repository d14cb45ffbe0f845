/**
 * Studies: a grid of alignment runs (subjects x layers x representations) over one ROI set, created and read
 * as one thing. Each cell (subject x layer x representation) is an alignment run; each (subject, layer) is one
 * job (a unit, study-units.ts) that fits all of that layer's representations on the same folds, each over one
 * decomposition per fold shared by all the ROIs (fitRidgeCvGroups), and computes the paired statistics of every
 * pair of them from their held-out predictions. Units are queued subject by subject, so a worker's betas cache
 * (inputs.ts) serves every job of a subject from one load. What a study is: study-inputs.ts; reading one:
 * study-views.ts.
 */
import type { Config } from '../config';
import type { Db, Prisma } from '../db/client';
import { NotFoundError } from '../errors';
import type { JobQueue } from '../queue/queue';
import { resolveAlignment } from './alignment-requests';
import { alignmentInputs, alignmentRequestHash, alignmentRunRow, metricFields } from './alignments';
import { createOrReuseIn, lockKey, TRANSACTION_WAIT, type ResultStore } from './idempotent';
import { checkUnitMemory } from './memory';
import { requestHash } from './request-hash';
import { DEFAULT_STATISTICS, type StudyInputs, type StudyRequest } from './study-inputs';
import { findStudy, type StudyView } from './study-views';

/** Check every name the request uses (alignment-requests.ts) and expand it into cells; throws listing every bad field. */
async function resolveStudy(prisma: Db, config: Config, body: StudyRequest): Promise<StudyInputs> {
  const { subjects, layerIds, layerPreprocessing, cells, rois, ...options } = await resolveAlignment(
    prisma,
    config,
    body,
  );
  const { datasetId: _d, atlas: _a, ...fit } = options;
  return {
    name: body.name ?? null,
    datasetId: body.datasetId,
    subjects,
    layerIds,
    ...(Object.keys(layerPreprocessing).length ? { layerPreprocessing } : {}),
    cells,
    rois,
    ...fit,
    statistics: { ...DEFAULT_STATISTICS, ...body.statistics },
  };
}

/** One run of a unit: its request hash and its row. */
type UnitRun = { hash: string; data: ReturnType<typeof alignmentRunRow> };

type UnitRow = {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  jobId: string | null;
};

/**
 * How a (subject, layer) unit's runs are stored for createOrReuseIn: one row per representation, one job for all.
 * The unit reads as one row: retryable (failed) when any run is missing, failed or cancelled; then the missing
 * runs are created, the failed and cancelled ones queued again, and one job computes the whole unit.
 */
function unitStore(studyId: string, runs: UnitRun[]): ResultStore<UnitRow> {
  const select = { id: true, status: true, jobId: true, requestHash: true } as const;
  const load = async (tx: Prisma.TransactionClient) => {
    const rows = await tx.run.findMany({ where: { requestHash: { in: runs.map((r) => r.hash) } }, select });
    return runs.map((r) => rows.find((x) => x.requestHash === r.hash) ?? null);
  };
  const asUnit = (rows: Awaited<ReturnType<typeof load>>): UnitRow | null => {
    const have = rows.filter((r) => r !== null);
    if (have.length === 0) return null;
    const st = have.map((r) => r.status);
    const status: UnitRow['status'] =
      have.length < rows.length || st.some((x) => x === 'failed' || x === 'cancelled')
        ? 'failed'
        : st.every((x) => x === 'succeeded')
          ? 'succeeded'
          : st.some((x) => x === 'running')
            ? 'running'
            : 'queued';
    return { id: have[0].id, status, jobId: have[0].jobId };
  };
  const createMissing = async (tx: Prisma.TransactionClient) => {
    const rows = await load(tx);
    for (const [i, r] of rows.entries()) {
      if (!r) await tx.run.create({ data: { ...runs[i].data, requestHash: runs[i].hash } });
      else if (r.status === 'failed' || r.status === 'cancelled')
        await tx.run.update({
          where: { id: r.id },
          data: { status: 'queued', error: null, startedAt: null, finishedAt: null },
        });
    }
    const now = await load(tx);
    ids = now.map((r) => r!.id);
    return asUnit(now)!;
  };
  // The unit's run ids once created (job() is asked for the payload before attachJob).
  let ids: string[] = [];
  return {
    find: async (tx) => asUnit(await load(tx)),
    create: createMissing,
    reset: (tx) => createMissing(tx),
    attachJob: async (tx, _id, jobId) => {
      const rows = (await load(tx)).filter((r) => r !== null);
      await tx.run.updateMany({ where: { id: { in: ids } }, data: { jobId } });
      return { ...asUnit(rows)!, jobId };
    },
    job: (row) => ({ data: { studyId, runIds: ids }, links: { runId: row.id } }),
  };
}

/** The study's identity: the request as given (metric options as runs store them) with its defaults filled in. */
function studyRequestHash(body: StudyRequest, inputs: StudyInputs): string {
  // minStimuli only admits a request; the same study asked with another floor is the same study.
  const { metric: _m, cv: _c, minStimuli: _s, ...request } = body;
  return requestHash('study', {
    ...request,
    ...metricFields(body),
    subjects: inputs.subjects,
    alphas: inputs.alphas,
    name: inputs.name,
    score: inputs.score,
    folds: inputs.folds,
    statistics: inputs.statistics,
  });
}

/** The study's (subject, layer) units in cell order (subject-major), each with its representations' runs in cell order. */
function studyUnits(studyId: string, stored: StudyInputs): UnitRun[][] {
  const units = new Map<string, UnitRun[]>();
  for (const cell of stored.cells) {
    const ai = alignmentInputs(stored, cell, studyId);
    const key = `${cell.subject}/${cell.layerId}`;
    (units.get(key) ?? units.set(key, []).get(key)!).push({
      hash: alignmentRequestHash(ai),
      data: alignmentRunRow(ai),
    });
  }
  return [...units.values()];
}

/**
 * Create a study with one run per cell and one job per (subject, layer), or return the identical earlier one
 * (its failed or cancelled units queued again), in one transaction; then the study as GET shows it (no results).
 * A study with a unit over the worker memory budget is refused first (MemoryBudgetError; services/memory.ts).
 */
export async function createStudy(prisma: Db, config: Config, jobs: JobQueue, body: StudyRequest): Promise<StudyView> {
  const inputs = await resolveStudy(prisma, config, body);
  await checkUnitMemory(prisma, config, inputs, { paired: inputs.metric === undefined || inputs.metric === 'ridge' });
  const hash = studyRequestHash(body, inputs);
  const id = await prisma.$transaction(async (tx) => {
    await lockKey(tx, `study:${hash}`);
    const existing = await tx.study.findUnique({ where: { requestHash: hash } });
    const study =
      existing ??
      (await tx.study.create({
        data: { name: inputs.name, requestHash: hash, inputs: inputs as unknown as Prisma.InputJsonValue },
      }));
    if (existing?.cancelledAt) await tx.study.update({ where: { id: existing.id }, data: { cancelledAt: null } });
    // An earlier identical study keeps the inputs it was created with.
    const stored = (existing?.inputs as unknown as StudyInputs | undefined) ?? inputs;
    let order = 0;
    for (const runs of studyUnits(study.id, stored)) {
      const unitHash = requestHash(
        'study-unit',
        runs.map((r) => r.hash),
      );
      await createOrReuseIn(tx, jobs, 'alignment', unitHash, unitStore(study.id, runs), order++);
    }
    return study.id;
  }, TRANSACTION_WAIT);
  return findStudy(prisma, id, { results: false });
}

/** Cancel what is left of a study (queued and running cells); finished cells and their results stay. */
export async function cancelStudy(prisma: Db, jobs: JobQueue, id: string): Promise<StudyView> {
  const study = await prisma.study.findUnique({ where: { id }, select: { id: true } });
  if (!study) throw new NotFoundError('study', id);
  await prisma.study.update({ where: { id }, data: { cancelledAt: new Date() } });
  const open = await prisma.run.findMany({
    where: { studyId: id, status: { in: ['queued', 'running'] } },
    select: { jobId: true },
  });
  for (const jobId of new Set(open.map((r) => r.jobId))) if (jobId) await jobs.cancel(jobId);
  return findStudy(prisma, id);
}
