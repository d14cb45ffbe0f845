/**
 * Every metric a run can use, in one table. The HTTP enums (and so openapi.yaml), the list of metrics that also
 * run once over all stimuli, and the name a run's scores are stored under are all built from it: a new metric is
 * one entry here and its function in this folder (or ridge/).
 */

interface MetricSpec {
  /** Fits nothing (RSA, CKA), so it is also defined once over all stimuli (cv: false, as the authors' brain RSA). */
  wholeSet: boolean;
  /** How it uses the training folds, in messages ('fitted', 'matched'); absent for the metrics that fit nothing. */
  trained?: 'fitted' | 'matched';
  /**
   * Also a brain metric (a layer against ROI voxels: alignments and studies): its place in the BrainMetric enum
   * as first published, which openapi.yaml keeps. Absent: model-to-model only.
   */
  brainRank?: number;
}

/** In the order of the ComparisonMetric enum. */
export const METRICS = {
  ridge: { wholeSet: false, trained: 'fitted', brainRank: 0 },
  'semi-matching': { wholeSet: false, trained: 'matched', brainRank: 2 },
  'soft-matching': { wholeSet: false, trained: 'matched', brainRank: 3 },
  rsa: { wholeSet: true, brainRank: 1 },
  cka: { wholeSet: true },
  'cka-debiased': { wholeSet: true },
} as const satisfies Record<string, MetricSpec>;

type Metrics = typeof METRICS;

/** Any metric (model-to-model comparisons take all of them). */
export type ComparisonMetric = keyof Metrics;
/** The metrics other than ridge: the kernels of this folder (cross-validate.ts). */
export type MetricName = Exclude<ComparisonMetric, 'ridge'>;
export type WholeSetMetric = {
  [K in ComparisonMetric]: Metrics[K]['wholeSet'] extends true ? K : never;
}[ComparisonMetric];
export type BrainMetric = {
  [K in ComparisonMetric]: Metrics[K] extends { brainRank: number } ? K : never;
}[ComparisonMetric];

const names = Object.keys(METRICS) as ComparisonMetric[];
const spec = (m: ComparisonMetric): MetricSpec => METRICS[m];

export const COMPARISON_METRICS = names as [ComparisonMetric, ...ComparisonMetric[]];
export const METRIC_NAMES = names.filter((m): m is MetricName => m !== 'ridge');
export const WHOLE_SET_METRICS = names.filter(isWholeSetMetric);
export const BRAIN_METRICS = names
  .filter((m): m is BrainMetric => spec(m).brainRank !== undefined)
  .sort((a, b) => spec(a).brainRank! - spec(b).brainRank!) as [BrainMetric, ...BrainMetric[]];

export function isWholeSetMetric(m: ComparisonMetric): m is WholeSetMetric {
  return spec(m).wholeSet;
}

/** How a metric uses the training folds, for messages: 'fitted' or 'matched' (undefined: it fits nothing). */
export function trainedAs(m: ComparisonMetric): 'fitted' | 'matched' | undefined {
  return spec(m).trained;
}

/** The name a metric's scores are stored under (Score.method): cv: false runs are a different quantity. */
export function storedMethod(metric: ComparisonMetric, cv: boolean): string {
  return cv ? metric : `${metric}-whole-set`;
}
