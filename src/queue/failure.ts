/**
 * Typed job failures: what an attempt's error was, so that an operator can tell a lost machine from a job too
 * large for it, a missing artefact or bad data from a bug. Stored with the job (Job.failureKind).
 */
import { ArtefactError, DataValidationError, ValidationError } from '../errors';
import type { FailureKind } from './types';

/** Node's, V8's, the native addon's, CUDA's and TensorFlow's words for an allocation that failed. */
const OUT_OF_MEMORY =
  /out of memory|array buffer allocation failed|cannot allocate memory|allocation failed|bad_alloc|ENOMEM|OOM when allocating|heap out of memory/i;
const OOM_CODES = new Set(['ERR_WORKER_OUT_OF_MEMORY', 'ERR_MEMORY_ALLOCATION_FAILED', 'ENOMEM']);

/** The message of a job whose worker stopped heart-beating (the reaper writes it). */
export const LOST_WORKER_MESSAGE = 'worker stopped responding';

function chain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e = err; e !== undefined && e !== null && out.length < 8; e = (e as { cause?: unknown }).cause) {
    out.push(e);
    if (!(e instanceof Error)) break;
  }
  return out;
}

/** The kind of a thrown error, looking through its causes (a compute thread's error wraps the allocation's). */
export function failureKindOf(err: unknown): FailureKind {
  const errors = chain(err);
  if (errors.some((e) => e instanceof ArtefactError)) return 'missing-artefact';
  if (errors.some((e) => e instanceof DataValidationError || e instanceof ValidationError)) return 'invalid-data';
  for (const e of errors) {
    const code = (e as { code?: unknown })?.code;
    if (typeof code === 'string' && OOM_CODES.has(code)) return 'out-of-memory';
    const message = e instanceof Error ? e.message : String(e);
    if (OUT_OF_MEMORY.test(message)) return 'out-of-memory';
  }
  return 'internal';
}

/** The kind of a failure known only by its message (a job pg-boss ended: expiry, a lost last attempt). */
export function failureKindOfMessage(message: string | null): FailureKind {
  if (message?.startsWith(LOST_WORKER_MESSAGE)) return 'lost-worker';
  if (message && OUT_OF_MEMORY.test(message)) return 'out-of-memory';
  return 'internal';
}
