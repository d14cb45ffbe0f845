/** Job kind -> handler. Each handler file owns one kind. */
import type { JobHandler, JobKind } from '../types';
import { alignmentHandler } from './alignment';

export function jobHandlers(): Partial<Record<JobKind, JobHandler<never>>> {
  return { alignment: alignmentHandler as JobHandler<never> };
}
