/** What a job handler is given and must provide. Handlers live in src/jobs/handlers/, one per kind. */
import type { Logger } from 'pino';
import type { BackendInfo } from '../compute/backend';
import type { Config } from '../config';
import type { Db } from '../db/client';
import type { Progress } from '../progress';

export const JOB_KINDS = ['alignment', 'train-sae', 'evaluate-sae', 'comparison', 'toy', 'extraction'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/**
 * Public job states (GET /v1/jobs/{id}). `retrying`: an attempt failed and the job waits for its next try;
 * `lost`: its worker stopped heart-beating (killed, machine gone) and the job waits for a retry on any worker.
 */
export const JOB_STATES = [
  'queued',
  'running',
  'retrying',
  'lost',
  'completed',
  'failed',
  'cancelling',
  'cancelled',
] as const;
export type JobState = (typeof JOB_STATES)[number];
export const TERMINAL_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled'];
/** Waiting for a worker: not started, or back in the queue after a failed or lost attempt. */
export const WAITING_STATES: readonly JobState[] = ['queued', 'retrying', 'lost'];
/** On a worker now. */
export const RUNNING_STATES: readonly JobState[] = ['running', 'cancelling'];

/** What kind of failure a job's error is (Job.failureKind; GET /v1/jobs/{id} `failure.kind`). */
export const FAILURE_KINDS = ['lost-worker', 'out-of-memory', 'missing-artefact', 'invalid-data', 'internal'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export interface JobContext {
  jobId: string;
  /** 1 for the first try, 2 for the first retry, ... */
  attempt: number;
  prisma: Db;
  config: Config;
  logger: Logger;
  backend: BackendInfo;
  /** Aborted when the job is cancelled (DELETE /v1/jobs/{id}) or the worker stops. */
  signal: AbortSignal;
  /** Record progress (throttled writes; stage changes are written at once). */
  progress(p: Progress): void;
}

export interface JobHandler<D = Record<string, unknown>> {
  run(data: D, ctx: JobContext): Promise<void>;
  /** Bring domain rows (run, SAE) to a terminal state; called once, after the last try. */
  onFailed?(data: D, error: string, ctx: Pick<JobContext, 'prisma' | 'logger'>): Promise<void>;
  onCancelled?(data: D, ctx: Pick<JobContext, 'prisma' | 'logger'>): Promise<void>;
}

export class JobCancelledError extends Error {
  override name = 'JobCancelledError';
}
