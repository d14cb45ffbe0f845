/**
 * Replicates of the toy experiment (issue 21 item 9): one run of the authors' design is one model-seed pair and
 * one SAE seed, so its fold intervals measure evaluation noise only. Replicate r re-runs every hidden size with
 * model seeds seeds + 2r (A and B keep their offset: [0, 1], [2, 3], ...) and SAE seed sae.seed + r, on the same
 * data set, and each statistic gets per N the mean over replicates with a Student-t 95% interval over them
 * (tSummary, src/compute/stats: df = replicates - 1). The interval is over fresh model pairs and SAEs given the one
 * data set the authors' design shares; replicate 0 is the single run of earlier versions.
 */
import { tSummary } from '../compute/stats/t-interval';
import type { ToyHiddenSizeResult, ToySuperpositionOptions } from './experiment';

export interface ToyReplicate {
  replicate: number;
  /** Model A and model B initialisation seeds of this replicate. */
  seeds: [number, number];
  /** Both SAEs' initialisation seed (and the untrained SAE's). */
  saeSeed: number;
  /** Per hidden size, in options.hiddenSizes order. */
  results: ToyHiddenSizeResult[];
}

export interface ReplicateInterval {
  /** Replicates with a finite value. */
  n: number;
  mean: number;
  /** Student-t 95% interval over replicates (NaN with fewer than 2). */
  lower: number;
  upper: number;
  sd: number;
  /** Per replicate, in replicate order. */
  values: number[];
}

/** The statistics summarised over replicates (means over folds or features of each replicate). */
export const REPLICATE_STATISTICS = {
  softNeurons: (h) => h.neurons.softMatching.mean,
  softSae: (h) => h.saeLatents.softMatching.mean,
  softRandomSae: (h) => h.randomSae.softMatching.mean,
  softSaeMinusNeurons: (h) => h.saeLatents.softMatching.mean - h.neurons.softMatching.mean,
  softSaeMinusRandomSae: (h) => h.saeLatents.softMatching.mean - h.randomSae.softMatching.mean,
  semiNeurons: (h) => h.neurons.semiMatching.mean,
  semiSae: (h) => h.saeLatents.semiMatching.mean,
  ridgeNeurons: (h) => ridgeMean(h.neurons.ridge),
  ridgeSae: (h) => ridgeMean(h.saeLatents.ridge),
  sharedFeatures: (h) => h.overlap.shared,
  overlapMean: (h) => h.overlap.mean,
  gtPerFeatureNeurons: (h) => pairMean(h.groundTruth.neurons.meanPerFeatureMax),
  gtPerFeatureSae: (h) => pairMean(h.groundTruth.saeLatents.meanPerFeatureMax),
} satisfies Record<string, (h: ToyHiddenSizeResult) => number>;

export type ReplicateStatistic = keyof typeof REPLICATE_STATISTICS;

export interface ToyReplicateSummary {
  nHidden: number;
  replicates: number;
  /** Per statistic: mean over replicates and its 95% t interval (ridge statistics absent when ridge is off). */
  statistics: Partial<Record<ReplicateStatistic, ReplicateInterval>>;
}

function ridgeMean(r: ToyHiddenSizeResult['neurons']['ridge']): number {
  return r && 'mean' in r ? r.mean : NaN;
}

const pairMean = (p: [number, number]) => (p[0] + p[1]) / 2;

/** The options of replicate r: model seeds shifted by 2r, SAE seed by r. */
export function replicateOptions<O extends Pick<ToySuperpositionOptions, 'seeds' | 'sae'>>(o: O, r: number): O {
  return { ...o, seeds: [o.seeds[0] + 2 * r, o.seeds[1] + 2 * r], sae: { ...o.sae, seed: o.sae.seed + r } };
}

/** Mean and Student-t interval over replicates of one statistic. */
export function replicateInterval(values: number[], level = 0.95): ReplicateInterval {
  const t = tSummary(values, level);
  return { n: t.n, mean: t.mean, lower: t.lower, upper: t.upper, sd: t.sem * Math.sqrt(t.n), values };
}

/** Per hidden size, every statistic over the replicates. */
export function summariseReplicates(
  hiddenSizes: readonly number[],
  reps: readonly ToyReplicate[],
): ToyReplicateSummary[] {
  return hiddenSizes.map((nHidden, i) => {
    const statistics: ToyReplicateSummary['statistics'] = {};
    for (const [name, of] of Object.entries(REPLICATE_STATISTICS) as [
      ReplicateStatistic,
      (h: ToyHiddenSizeResult) => number,
    ][]) {
      const values = reps.map((r) => of(r.results[i]));
      if (values.some(Number.isFinite)) statistics[name] = replicateInterval(values);
    }
    return { nHidden, replicates: reps.length, statistics };
  });
}
