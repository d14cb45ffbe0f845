/**
 * What every job that owns a Run records the same way: the run marked running (attempt counted), and on
 * success its provenance (compute backend, versions) beside its timings.
 */
import { activeBackend, tf } from '../compute/backend';
import { linalgInfo } from '../compute/linalg/index';
import type { Db } from '../db/client';
import { SERVICE_VERSION } from '../version';

/** Mark a run running for a new attempt (clears a previous attempt's error). */
export async function markRunRunning(prisma: Db, runId: string): Promise<void> {
  await prisma.run.update({ where: { id: runId }, data: { status: 'running', startedAt: new Date(), attempts: { increment: 1 }, error: null } });
}

/** The backend and versions a run's numbers came from (stored with the run's results). */
export function runProvenance(): { backend: string; versions: { service: string; tfjs: string; linalg: object; node: string } } {
  return {
    backend: activeBackend().name,
    versions: { service: SERVICE_VERSION, tfjs: tf.version_core, linalg: linalgInfo() as object, node: process.version },
  };
}

/** Seconds since `t0` (a performance.now() value). */
export const secondsSince = (t0: number) => (performance.now() - t0) / 1000;
