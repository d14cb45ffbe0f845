/**
 * What every job that owns a Run records the same way: the run marked running (attempt counted), and on
 * success its provenance (compute backend, versions) beside its timings.
 */
import { activeBackend, tf } from '../compute/backend';
import { linalgInfo } from '../compute/linalg/index';
import type { Db, Prisma } from '../db/client';
import { SERVICE_VERSION } from '../version';

/** Mark a run running for a new attempt (clears a previous attempt's error). */
export async function markRunRunning(prisma: Db, runId: string): Promise<void> {
  await prisma.run.update({
    where: { id: runId },
    data: { status: 'running', startedAt: new Date(), attempts: { increment: 1 }, error: null },
  });
}

/**
 * Mark a run succeeded, inside the transaction that saved its results: provenance, timings and the fold
 * assignment its numbers came from (k, seed, the NSD ids in row order and each row's fold).
 */
export async function markRunSucceeded(
  tx: Prisma.TransactionClient,
  runId: string,
  run: {
    timings: Prisma.InputJsonObject;
    folds: {
      k: number;
      seed: number | null;
      nsdIds: ArrayLike<number>;
      assignment: ArrayLike<number>;
      repeats?: number;
    };
    provenance?: Record<string, unknown>;
  },
): Promise<void> {
  const { k, seed, nsdIds, assignment, repeats } = run.folds;
  await tx.run.update({
    where: { id: runId },
    data: {
      status: 'succeeded',
      finishedAt: new Date(),
      ...runProvenance(run.provenance),
      timings: run.timings,
      foldAssignment: {
        k,
        seed,
        nsdIds: Array.from(nsdIds),
        folds: Array.from(assignment),
        ...(repeats ? { repeats } : {}),
      },
      error: null,
    },
  });
}

/** The backend and versions a run's numbers came from (stored with the run's results); `extra` adds entries (the ridge engine). */
function runProvenance(extra: Record<string, unknown> = {}): { backend: string; versions: Prisma.InputJsonObject } {
  return {
    backend: activeBackend().name,
    versions: {
      service: SERVICE_VERSION,
      tfjs: tf.version_core,
      linalg: linalgInfo() as object,
      ...extra,
      node: process.version,
    } as Prisma.InputJsonObject,
  };
}

/** Seconds since `t0` (a performance.now() value). */
export const secondsSince = (t0: number) => (performance.now() - t0) / 1000;
