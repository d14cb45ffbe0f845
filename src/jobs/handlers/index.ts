/** Job kind -> handler. Each handler file owns one kind. */
import type { JobHandler, JobKind } from '../../queue/types';
import { alignmentJobHandler } from './alignment';
import { comparisonHandler } from './comparison';
import { evaluateSaeHandler } from './evaluate-sae';
import { extractionHandler } from './extraction';
import { toyHandler } from './toy';
import { trainSaeHandler } from './train-sae';

export function jobHandlers(): Partial<Record<JobKind, JobHandler<never>>> {
  return {
    alignment: alignmentJobHandler as JobHandler<never>,
    'train-sae': trainSaeHandler as JobHandler<never>,
    'evaluate-sae': evaluateSaeHandler as JobHandler<never>,
    comparison: comparisonHandler as JobHandler<never>,
    toy: toyHandler as JobHandler<never>,
    extraction: extractionHandler as JobHandler<never>,
  };
}
