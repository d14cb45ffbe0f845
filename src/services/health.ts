/**
 * Service health: the database (reachable, how it was started), the compute backend and the native and GPU
 * paths. Health is public, so it must not map the server's disk: absolute paths in load errors (module
 * resolution, dlopen) are cut to their last segment; the logs keep the full text for operators.
 */
import type { BackendInfo } from '../compute/backend';
import { type LinalgInfo, linalgInfo, nativeNotice } from '../compute/linalg/index';
import { databaseUnavailableReason } from '../db/availability';
import type { Db } from '../db/client';
import type { DatabaseMode } from '../db/database';
import type { Config } from '../config';
import { SERVICE_VERSION } from '../version';
import { type QueueSummary, queueSummary } from './workers';

export interface DatabaseHealth {
  status: 'up' | 'down';
  embedded: boolean;
  mode: DatabaseMode;
  latencyMs: number | null;
  error?: string;
}

type NativeHealth = Omit<LinalgInfo, 'cuda'> & { notice?: string };

export interface ServiceHealth {
  status: 'ok' | 'degraded';
  version: string;
  uptimeSeconds: number;
  database: DatabaseHealth;
  compute: {
    backend: string;
    tfjsVersion: string;
    skipped: { name: string; reason: string }[];
    native: NativeHealth;
    cuda: LinalgInfo['cuda'];
  };
  /** Live and gone workers, and the queue (GET /v1/workers has the detail); absent while the database is down. */
  workers?: QueueSummary['workers'];
  queue?: QueueSummary['queue'];
}

/** What the process knows about itself: set at start (main.ts or a test). */
export interface ServiceFacts {
  backend: BackendInfo;
  startedAt: Date;
  embeddedDatabase: boolean;
  databaseMode: DatabaseMode;
  config: Pick<Config, 'jobStaleSeconds' | 'workerPruneSeconds'>;
}

export function hideAbsolutePaths(text: string): string {
  return text.replace(/(?<![\w.])\/(?:[^\s'"/:]+\/)+([^\s'"/:]*)/g, '…/$1');
}

/** The native path without file paths, and with the plain-words notice when it is off. */
function nativeHealth(info: Omit<LinalgInfo, 'cuda'>): NativeHealth {
  const notice = nativeNotice(info);
  return {
    ...info,
    ...(info.reason === undefined ? {} : { reason: hideAbsolutePaths(info.reason) }),
    ...(notice ? { notice } : {}),
  };
}

/** The CUDA libraries found and the folders searched, by name only. */
function cudaWithoutPaths(info: LinalgInfo['cuda']): LinalgInfo['cuda'] {
  return {
    ...info,
    ...(info.reason !== undefined ? { reason: hideAbsolutePaths(info.reason) } : {}),
    ...(info.libs
      ? { libs: Object.fromEntries(Object.entries(info.libs).map(([k, v]) => [k, hideAbsolutePaths(v)])) }
      : {}),
    ...(info.searched ? { searched: info.searched.map(hideAbsolutePaths) } : {}),
  };
}

async function databaseHealth(prisma: Db, facts: ServiceFacts): Promise<DatabaseHealth> {
  const t0 = performance.now();
  const known = { embedded: facts.embeddedDatabase, mode: facts.databaseMode };
  try {
    await prisma.$queryRaw`SELECT 1`;
    return { status: 'up', ...known, latencyMs: Math.round((performance.now() - t0) * 100) / 100 };
  } catch (err) {
    // A fixed sentence: Prisma's messages quote source lines and file paths, and the server's address stays private.
    const error = databaseUnavailableReason(err) ?? 'the database did not answer a test query (see the server log)';
    return { status: 'down', ...known, latencyMs: null, error };
  }
}

export async function serviceHealth(prisma: Db, facts: ServiceFacts): Promise<ServiceHealth> {
  const database = await databaseHealth(prisma, facts);
  const { cuda, ...native } = linalgInfo();
  const queue = database.status === 'up' ? await queueSummary(prisma, facts.config) : undefined;
  return {
    status: database.status === 'up' ? 'ok' : 'degraded',
    version: SERVICE_VERSION,
    uptimeSeconds: Math.round((Date.now() - facts.startedAt.getTime()) / 1000),
    database,
    compute: {
      backend: facts.backend.name,
      tfjsVersion: facts.backend.tfjsVersion,
      skipped: facts.backend.skipped.map((s) => ({ name: s.name, reason: hideAbsolutePaths(s.reason) })),
      native: nativeHealth(native),
      cuda: cudaWithoutPaths(cuda),
    },
    ...queue,
  };
}
