/** Job kind -> handler. Each handler file owns one kind. */
import type { JobHandler, JobKind } from '../types';

export function jobHandlers(): Partial<Record<JobKind, JobHandler<never>>> {
  return {};
}
