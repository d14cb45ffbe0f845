/** Comparison jobs: one metric between two layers ({runId}); services/comparison-runs.ts computes it. */
import type { JobHandler } from '../../queue/types';
import { runComparison } from '../../services/comparison-runs';
import { runStatusHooks } from './run-hooks';

export const comparisonHandler: JobHandler<{ runId: string }> = {
  run: (data, ctx) => runComparison(data.runId, ctx),
  ...runStatusHooks,
};
