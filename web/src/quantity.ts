/**
 * What a number on a chart is, in words: the quantity a run's method scores ("cosine", "Pearson r") and its preset,
 * for every legend, axis and colour bar ("per-voxel cosine, paper preset").
 */
import { PRESETS, type RidgePreset } from '../../src/compute/ridge/presets';

const SCORE_WORDS = { cosine: 'cosine', pearson: 'Pearson r' } as const;

/** Metrics other than ridge, as a reader names them. */
const METRIC_WORDS: Record<string, string> = {
  rsa: 'RSA (Pearson r between RDMs)',
  cka: 'linear CKA',
  'cka-debiased': 'debiased linear CKA',
  'semi-matching': 'semi-matching Pearson r',
  'soft-matching': 'soft-matching Pearson r',
};

/**
 * The quantity and the preset (or metric) of a stored method: "paper" -> cosine, paper preset; "paper:pearson" ->
 * Pearson r, paper preset; "rsa-whole-set" -> RSA over all stimuli.
 */
export function methodWords(method: string): { quantity: string; scope: string } {
  const [preset, score] = method.split(':') as [string, keyof typeof SCORE_WORDS | undefined];
  if (preset in PRESETS) {
    const s = score ?? PRESETS[preset as RidgePreset].score;
    return { quantity: SCORE_WORDS[s] ?? s, scope: `${preset} preset` };
  }
  const whole = preset.endsWith('-whole-set');
  const metric = whole ? preset.slice(0, -'-whole-set'.length) : preset;
  return { quantity: METRIC_WORDS[metric] ?? metric, scope: whole ? 'over all stimuli' : 'cross-validated' };
}

/** "per-voxel cosine, paper preset": the colour of a voxel map. */
export function voxelQuantity(method: string): string {
  const { quantity, scope } = methodWords(method);
  return `per-voxel ${quantity}, ${scope}`;
}

/** "mean per-voxel cosine over the ROI, paper preset": the value of an ROI cell (ridge); a metric's ROI value. */
export function roiQuantity(method: string): string {
  const { quantity, scope } = methodWords(method);
  return method.split(':')[0] in PRESETS ? `ROI mean of per-voxel ${quantity}, ${scope}` : `${quantity}, ${scope}`;
}

/**
 * A run's time in seconds: `total` where the run records it, else the sum of its stages' seconds (load, prepare,
 * gram, eigh, basis, alphaSearch, predict); counts (decompositions) and flags (betasFromCache) are not times.
 */
export function runSeconds(timings: Record<string, unknown> | null | undefined): number | null {
  if (!timings) return null;
  if (typeof timings.total === 'number') return timings.total;
  const stages = ['load', 'prepare', 'gram', 'eigh', 'basis', 'alphaSearch', 'predict'];
  const xs = stages.map((k) => timings[k]).filter((v): v is number => typeof v === 'number');
  return xs.length ? xs.reduce((a, b) => a + b, 0) : null;
}
