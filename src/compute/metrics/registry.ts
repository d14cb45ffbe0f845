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

/**
 * The baseline of every metric other than ridge: the score of a representation that is constant over the stimuli
 * (each unit or voxel predicted by a constant). Semi- and soft-matching score Pearson r between matched units, RSA a
 * Pearson r between RDMs (a constant representation's RDM is constant), CKA centred Grams (a constant's is 0): each
 * centres what it compares, so a constant carries nothing and scores 0 (its chance level). Ridge computes its
 * baseline per fold (correlation.ts constantPredictionScores), since the cosine score does not centre.
 */
export const METRIC_CONSTANT_BASELINE = 0;

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
