/**
 * Paired comparisons of two representations (b - a, e.g. SAE latents - neurons), or of any two cells that share
 * subject, stimuli and folds (`<layerId>:<representation>`: layer vs layer, model vs model), as the API reports
 * them: per (subject, layer, ROI) cell and per layer x ROI across subjects (the subject as the unit: dz, sign
 * agreement, exact sign-flip p; as an option the hierarchical bootstrap over subjects then stimuli, from the
 * stimulus-bootstrap replicates the study jobs stored), with multiple-comparison adjustment across the cells of one table. The statistics themselves are in src/compute/stats; this module only
 * arranges them into rows (no HTTP, no database).
 *
 * The headline of a cell (its `ci`, `p`, `q`) is always the Nadeau-Bengio corrected resampled t over the stored
 * fold-score differences (K folds: variance factor 1/K + n_test/n_train, df K - 1; with R repeats each repeat's
 * corrected variance averaged, df K - 1), which bench/stats-calibration.ts measured as calibrated through the
 * service's own ridge (5.0% null rejections with one repeat, 1.4% with five). Where a study job kept
 * both representations' held-out predictions it also stored the stimulus bootstrap interval and the sign-flip p:
 * reported as `conditionalBootstrapCi` / `conditionalPermutationP`, conditional on the first repeat's fitted models
 * (they ignore the variability of refitting, so they are not the headline).
 */
import {
  acrossSubjects,
  bhQValues,
  type HierarchicalBootstrap,
  hierarchicalBootstrap,
  holmAdjusted,
  repeatedCorrectedT,
  tSummary,
} from '../compute/stats/index';
import { finiteOrNull } from './codecs';
import { csvText } from './csv';

export type Adjustment = 'bh' | 'holm';

export interface FoldInterval {
  sem: number | null;
  /** 95% t interval (null with fewer than 2 folds). */
  lower: number | null;
  upper: number | null;
  /** Two-sided one-sample t-test against 0. */
  p: number | null;
}

export interface FoldDifference extends FoldInterval {
  /** Mean over folds (all repeats) of b - a (= difference of the fold means). */
  value: number;
  /** Fold values used (K x R). */
  nFolds: number;
  /** Repeats of K-fold the fold lists hold (R). */
  repeats: number;
  /**
   * Nadeau-Bengio corrected resampled t (variance factor 1/K + n_test/n_train, here 1/(K-1) for equal folds;
   * df K - 1; over R repeats each repeat's variance averaged): the interval and p that account for folds sharing
   * training data (compute/stats/t-interval.ts repeatedCorrectedT).
   */
  corrected: FoldInterval & { df: number };
}

/** The name under which the headline interval and p are reported (`interval`, `pMethod`). */
export const HEADLINE_METHOD = 'corrected-resampled-t' as const;

/**
 * The fold-paired difference of two stored fold-score lists (repeat-major, `repeats` x K values each); null when
 * they cannot be paired.
 */
export function foldDifference(
  aFolds: readonly number[],
  bFolds: readonly number[],
  repeats = 1,
  level = 0.95,
): FoldDifference | null {
  if (aFolds.length !== bFolds.length || aFolds.length === 0) return null;
  const d = bFolds.map((v, k) => v - aFolds[k]);
  const R = repeats >= 1 && d.length % repeats === 0 ? repeats : 1;
  const K = d.length / R;
  const s = tSummary(d, level);
  const c = repeatedCorrectedT(d, R, level, K > 1 ? 1 / (K - 1) : 0);
  const interval = (x: typeof s): FoldInterval => ({
    sem: finiteOrNull(x.sem),
    lower: finiteOrNull(x.lower),
    upper: finiteOrNull(x.upper),
    p: finiteOrNull(x.p),
  });
  return { value: s.mean, nFolds: s.n, repeats: R, ...interval(s), corrected: { ...interval(c), df: c.df } };
}

/** BH q-values (default) or Holm adjusted p over the non-null p-values, same order. */
export function adjustPValues(p: readonly (number | null)[], method: Adjustment = 'bh'): (number | null)[] {
  const x = p.map((v) => (v === null ? NaN : v));
  const adj = method === 'holm' ? holmAdjusted(x) : bhQValues(x);
  return Array.from(adj, finiteOrNull);
}

/**
 * A layer x ROI matrix of fold differences as chart-ready grids: per cell the corrected resampled t interval and
 * p (the headline; `interval` names it), q: BH of p across the matrix's cells; where a study job stored them
 * (`paired`, same shape) the conditional stimulus bootstrap interval and sign-flip p beside them.
 */
export function differenceGrids(
  diffs: readonly (readonly (FoldDifference | null)[])[],
  paired?: readonly (readonly (PairedSummary | null)[])[],
): {
  lower: (number | null)[][];
  upper: (number | null)[][];
  p: (number | null)[][];
  q: (number | null)[][];
  interval: (typeof HEADLINE_METHOD | null)[][];
  conditionalBootstrapLower: (number | null)[][];
  conditionalBootstrapUpper: (number | null)[][];
  conditionalPermutationP: (number | null)[][];
} {
  const at = (i: number, j: number) => paired?.[i]?.[j] ?? null;
  const p = diffs.map((row) => row.map((d) => d?.corrected.p ?? null));
  const flat = adjustPValues(p.flat());
  let o = 0;
  const q = p.map((row) => row.map(() => flat[o++]));
  const grid = (k: 'lower' | 'upper') => diffs.map((row) => row.map((d) => d?.corrected[k] ?? null));
  const conditional = (f: (x: PairedSummary) => number | null | undefined) =>
    diffs.map((row, i) => row.map((_, j) => finiteOrNull(at(i, j) ? (f(at(i, j)!) ?? NaN) : NaN)));
  return {
    lower: grid('lower'),
    upper: grid('upper'),
    p,
    q,
    interval: diffs.map((row) => row.map((d) => (d ? HEADLINE_METHOD : null))),
    conditionalBootstrapLower: conditional((x) => x.bootstrapCi?.lower),
    conditionalBootstrapUpper: conditional((x) => x.bootstrapCi?.upper),
    conditionalPermutationP: conditional((x) => x.p),
  };
}

/** What a cell takes from the stimulus-level statistics (a PairedCell, or one stored by a study job). */
export interface PairedSummary {
  a: number;
  b: number;
  difference: number;
  bootstrapCi: { lower: number; upper: number; se: number; nResamples: number; seed: number | null } | null;
  p: number | null;
  permutation: { exact: boolean; nPermutations: number };
  nStimuli: number;
  /** The stimulus bootstrap's finite replicates, where read (the stimulus level of the hierarchical bootstrap). */
  replicates?: readonly number[];
}

/** The same statistics for a - b instead of b - a: the percentile interval and the replicates mirror, p is two-sided. */
export function reversePaired(x: PairedSummary): PairedSummary {
  const ci = x.bootstrapCi;
  return {
    ...x,
    a: x.b,
    b: x.a,
    difference: -x.difference,
    bootstrapCi: ci ? { ...ci, lower: -ci.upper, upper: -ci.lower } : null,
    ...(x.replicates ? { replicates: x.replicates.map((v) => -v) } : {}),
  };
}

/** The stimulus bootstrap interval of a cell, conditional on the fitted models. */
export interface ConditionalBootstrapCi {
  lower: number;
  upper: number;
  se: number;
  nResamples: number;
  seed: number | null;
}

/** One (subject, layer, ROI) cell of a comparison table. */
export interface ComparisonCell {
  subject: string;
  /** a's layer. */
  layerId: string;
  layerName: string;
  /** b's layer (the same as a's unless cells `<layerId>:<representation>` of two layers are compared). */
  bLayerId: string;
  bLayerName: string;
  roi: string;
  a: number;
  b: number;
  difference: number;
  /** The headline 95% interval: corrected resampled t over the fold differences (`interval` names it). */
  ci: FoldInterval & { df: number };
  interval: typeof HEADLINE_METHOD;
  /** The headline p: the two-sided corrected resampled t-test (`pMethod` names it). */
  p: number | null;
  pMethod: typeof HEADLINE_METHOD;
  /** Adjusted across every cell of the table (BH q-value, or Holm adjusted p), from p. */
  q: number | null;
  /** Fold values per representation (K x R) and repeats of K-fold (R). */
  nFolds: number;
  repeats: number;
  /** Plain t over the per-fold differences (too narrow: folds share training data); descriptive only. */
  foldCi: FoldInterval;
  /** Stimulus bootstrap interval conditional on the first repeat's fitted models (null: predictions not kept). */
  conditionalBootstrapCi: ConditionalBootstrapCi | null;
  /** Sign-flip permutation p over stimuli, conditional on the same fitted models (null: predictions not kept). */
  conditionalPermutationP: number | null;
  /** The permutation test behind conditionalPermutationP. */
  permutation: { exact: boolean; nPermutations: number } | null;
  nStimuli: number | null;
  /** Noise-ceiling-normalised values (null where the preset or the data give none): no interval. */
  normalised: { a: number | null; b: number | null; difference: number | null };
}

export interface CellInput {
  subject: string;
  layerId: string;
  layerName: string;
  /** b's layer when it is not a's. */
  bLayerId?: string;
  bLayerName?: string;
  roi: string;
  aFolds: readonly number[];
  bFolds: readonly number[];
  /** Repeats of K-fold both fold lists hold (default 1). */
  repeats?: number;
  /** The stimulus-level statistics when both representations' held-out predictions were available. */
  paired?: PairedSummary;
  /** Noise-ceiling-normalised ROI values, where the preset gives them (reported beside the raw ones). */
  aNormalised?: number | null;
  bNormalised?: number | null;
}

function normalisedPair(a: number | null | undefined, b: number | null | undefined): ComparisonCell['normalised'] {
  const x = a ?? null;
  const y = b ?? null;
  return { a: x, b: y, difference: x !== null && y !== null ? y - x : null };
}

/** One cell from its fold lists (the headline) and, where stored, its conditional stimulus-level statistics. */
function comparisonCell(c: CellInput, fd: FoldDifference): ComparisonCell {
  const mean = (x: readonly number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const pc = c.paired;
  const ci = pc?.bootstrapCi;
  return {
    subject: c.subject,
    layerId: c.layerId,
    layerName: c.layerName,
    bLayerId: c.bLayerId ?? c.layerId,
    bLayerName: c.bLayerName ?? c.layerName,
    roi: c.roi,
    a: pc ? pc.a : mean(c.aFolds),
    b: pc ? pc.b : mean(c.bFolds),
    difference: pc ? pc.difference : fd.value,
    ci: fd.corrected,
    interval: HEADLINE_METHOD,
    p: fd.corrected.p,
    pMethod: HEADLINE_METHOD,
    q: null,
    nFolds: fd.nFolds,
    repeats: fd.repeats,
    foldCi: { lower: fd.lower, upper: fd.upper, sem: fd.sem, p: fd.p },
    conditionalBootstrapCi: ci
      ? { lower: ci.lower, upper: ci.upper, se: ci.se, nResamples: ci.nResamples, seed: ci.seed }
      : null,
    conditionalPermutationP: pc ? finiteOrNull(pc.p ?? NaN) : null,
    permutation: pc ? { exact: pc.permutation.exact, nPermutations: pc.permutation.nPermutations } : null,
    nStimuli: pc ? pc.nStimuli : null,
    normalised: normalisedPair(c.aNormalised, c.bNormalised),
  };
}

/** Cells with p and adjusted q; inputs whose fold lists cannot be paired are left out. */
export function comparisonCells(inputs: readonly CellInput[], method: Adjustment = 'bh'): ComparisonCell[] {
  const cells: ComparisonCell[] = [];
  for (const c of inputs) {
    const fd = foldDifference(c.aFolds, c.bFolds, c.repeats);
    if (fd) cells.push(comparisonCell(c, fd));
  }
  adjustPValues(
    cells.map((c) => c.p),
    method,
  ).forEach((q, i) => {
    cells[i].q = q;
  });
  return cells;
}

/** One layer x ROI across subjects (the subject as the unit). */
export interface AcrossSubjectsRow {
  layerId: string;
  layerName: string;
  /** b's layer (as in ComparisonCell). */
  bLayerId: string;
  bLayerName: string;
  roi: string;
  nSubjects: number;
  /** Mean over subjects of b - a. */
  mean: number;
  /** Cohen's dz: mean / sd of the per-subject differences. */
  dz: number | null;
  /** Student-t interval and one-sample t-test (normality of the per-subject differences assumed). */
  sem: number | null;
  lower: number | null;
  upper: number | null;
  t: number | null;
  df: number;
  tP: number | null;
  /** The across-subjects test behind p, q and minAttainableP (query acrossSubjects). */
  method: AcrossSubjectsMethod;
  /**
   * method 'sign-flip' (default): the exact sign-flip p over subjects (all 2^n sign vectors; seeded flips beyond
   * MAX_EXACT_SUBJECTS). 'hierarchical-bootstrap': the null-centred two-sided p of the hierarchical bootstrap.
   */
  p: number | null;
  pMethod:
    | 'exact sign-flip over subjects'
    | 'sign-flip over subjects (random flips)'
    | 'hierarchical bootstrap over subjects then stimuli';
  /** The smallest p the method can give: 2 / 2^n for the sign-flip (0.125 for 4), 1 / (B + 1) for the bootstrap. */
  minAttainableP: number | null;
  /** The sign-flip p over subjects, whichever method gives p. */
  signFlipP: number | null;
  /** With method 'hierarchical-bootstrap': its percentile interval (null when it cannot be computed: see note). */
  hierarchicalBootstrap: HierarchicalSummary | null;
  /** Why hierarchicalBootstrap is null under method 'hierarchical-bootstrap' (else null). */
  note: string | null;
  nPermutations: number;
  wilcoxon: { statistic: number; p: number | null; method: string };
  /** Subjects where b - a > 0, < 0 and = 0. */
  wins: number;
  losses: number;
  ties: number;
  /** Subjects whose difference has the sign of the mean. */
  agreeing: number;
  /** Adjusted across the rows of the table (from p). */
  q: number | null;
}

/** The test across subjects: exact sign-flip over subjects (default) or the hierarchical bootstrap (an option). */
export type AcrossSubjectsMethod = 'sign-flip' | 'hierarchical-bootstrap';

export interface AcrossSubjectsOptions {
  method: AcrossSubjectsMethod;
  /** Hierarchical bootstrap resamples B (default 2000) and seed (default 0). */
  nResamples?: number;
  seed?: number;
  /** The stimulus-bootstrap replicates of a cell (b - a), where stored. */
  replicatesOf?: (c: ComparisonCell) => readonly number[] | undefined;
}

export type HierarchicalSummary = Pick<
  HierarchicalBootstrap,
  'lower' | 'upper' | 'se' | 'level' | 'nResamples' | 'seed' | 'subjectDraws'
>;

/** The hierarchical bootstrap of a layer x ROI's cells, or why there is none. */
function hierarchicalOf(
  g: readonly ComparisonCell[],
  o: AcrossSubjectsOptions,
): { result: HierarchicalBootstrap | null; note: string | null } {
  const cells = g.filter((c) => Number.isFinite(c.difference));
  if (cells.length < 2) return { result: null, note: 'fewer than 2 subjects: no subject level to resample' };
  const missing = cells.filter((c) => !o.replicatesOf?.(c)?.length).map((c) => c.subject);
  if (missing.length)
    return {
      result: null,
      note: `no stored stimulus-bootstrap replicates for ${missing.join(', ')} (study run before they were stored, or predictions not kept)`,
    };
  const subjects = cells.map((c) => ({ difference: c.difference, replicates: o.replicatesOf!(c)! }));
  const result = hierarchicalBootstrap(subjects, { nResamples: o.nResamples, seed: o.seed });
  return { result, note: result ? null : 'no finite stimulus-bootstrap replicate for some subject' };
}

function acrossSubjectsRow(g: readonly ComparisonCell[], o: AcrossSubjectsOptions): AcrossSubjectsRow {
  const r = acrossSubjects(g.map((c) => c.difference));
  const hier = o.method === 'hierarchical-bootstrap' ? hierarchicalOf(g, o) : null;
  const h = hier?.result ?? null;
  const signFlipMethod = r.signFlip.exact ? 'exact sign-flip over subjects' : 'sign-flip over subjects (random flips)';
  return {
    layerId: g[0].layerId,
    layerName: g[0].layerName,
    bLayerId: g[0].bLayerId,
    bLayerName: g[0].bLayerName,
    roi: g[0].roi,
    nSubjects: r.summary.n,
    mean: r.summary.mean,
    dz: finiteOrNull(r.dz),
    sem: finiteOrNull(r.summary.sem),
    lower: finiteOrNull(r.summary.lower),
    upper: finiteOrNull(r.summary.upper),
    t: finiteOrNull(r.summary.t),
    df: r.summary.df,
    tP: finiteOrNull(r.summary.p),
    method: o.method,
    p: hier ? finiteOrNull(h?.p ?? NaN) : finiteOrNull(r.signFlip.p),
    pMethod: hier ? 'hierarchical bootstrap over subjects then stimuli' : signFlipMethod,
    minAttainableP: hier ? finiteOrNull(h?.minAttainableP ?? NaN) : finiteOrNull(r.signFlip.minAttainableP),
    signFlipP: finiteOrNull(r.signFlip.p),
    hierarchicalBootstrap: h
      ? {
          lower: h.lower,
          upper: h.upper,
          se: h.se,
          level: h.level,
          nResamples: h.nResamples,
          seed: h.seed,
          subjectDraws: h.subjectDraws,
        }
      : null,
    note: hier?.note ?? null,
    nPermutations: r.signFlip.nPermutations,
    wilcoxon: { statistic: r.wilcoxon.statistic, p: finiteOrNull(r.wilcoxon.p), method: r.wilcoxon.method },
    wins: r.wins,
    losses: r.losses,
    ties: r.ties,
    agreeing: r.agreeing,
    q: null,
  };
}

/**
 * Per layer x ROI (in first-seen order) over the subjects' cell differences; p from the exact sign-flip over
 * subjects or, as an option, the hierarchical bootstrap over subjects then stimuli; q: BH (or Holm) of p.
 */
export function acrossSubjectsTable(
  cells: readonly ComparisonCell[],
  method: Adjustment = 'bh',
  across: AcrossSubjectsOptions = { method: 'sign-flip' },
): AcrossSubjectsRow[] {
  const groups = new Map<string, ComparisonCell[]>();
  for (const c of cells) {
    const key = `${c.layerId}|${c.bLayerId}|${c.roi}`;
    const g = groups.get(key);
    if (g) g.push(c);
    else groups.set(key, [c]);
  }
  const rows = [...groups.values()].map((g) => acrossSubjectsRow(g, across));
  adjustPValues(
    rows.map((r) => r.p),
    method,
  ).forEach((q, i) => {
    rows[i].q = q;
  });
  return rows;
}

/** Comparison cells as CSV (one row per cell, header first; the headline columns right after the difference). */
export function comparisonCellsCsv(cells: readonly ComparisonCell[]): string {
  const head = [
    'subject',
    'layer',
    'layerId',
    'bLayer',
    'bLayerId',
    'roi',
    'a',
    'b',
    'difference',
    'lower',
    'upper',
    'sem',
    'df',
    'p',
    'q',
    'pMethod',
    'nFolds',
    'repeats',
    'foldLower',
    'foldUpper',
    'foldSem',
    'foldP',
    'conditionalBootstrapLower',
    'conditionalBootstrapUpper',
    'conditionalBootstrapSe',
    'conditionalBootstrapResamples',
    'conditionalBootstrapSeed',
    'conditionalPermutationP',
    'permutations',
    'nStimuli',
    'aNormalised',
    'bNormalised',
    'differenceNormalised',
  ];
  const rows = cells.map((c) => [
    c.subject,
    c.layerName,
    c.layerId,
    c.bLayerName,
    c.bLayerId,
    c.roi,
    c.a,
    c.b,
    c.difference,
    c.ci.lower,
    c.ci.upper,
    c.ci.sem,
    c.ci.df,
    c.p,
    c.q,
    c.pMethod,
    c.nFolds,
    c.repeats,
    c.foldCi.lower,
    c.foldCi.upper,
    c.foldCi.sem,
    c.foldCi.p,
    c.conditionalBootstrapCi?.lower,
    c.conditionalBootstrapCi?.upper,
    c.conditionalBootstrapCi?.se,
    c.conditionalBootstrapCi?.nResamples,
    c.conditionalBootstrapCi?.seed,
    c.conditionalPermutationP,
    c.permutation?.nPermutations,
    c.nStimuli,
    c.normalised.a,
    c.normalised.b,
    c.normalised.difference,
  ]);
  return csvText([head, ...rows]);
}

/** The across-subjects CSV's columns: header and value. */
const ACROSS_COLUMNS: [string, (r: AcrossSubjectsRow) => unknown][] = [
  ['layer', (r) => r.layerName],
  ['layerId', (r) => r.layerId],
  ['bLayer', (r) => r.bLayerName],
  ['bLayerId', (r) => r.bLayerId],
  ['roi', (r) => r.roi],
  ['nSubjects', (r) => r.nSubjects],
  ['mean', (r) => r.mean],
  ['dz', (r) => r.dz],
  ['p', (r) => r.p],
  ['q', (r) => r.q],
  ['method', (r) => r.method],
  ['pMethod', (r) => r.pMethod],
  ['minAttainableP', (r) => r.minAttainableP],
  ['signFlipP', (r) => r.signFlipP],
  ['hierarchicalLower', (r) => r.hierarchicalBootstrap?.lower],
  ['hierarchicalUpper', (r) => r.hierarchicalBootstrap?.upper],
  ['hierarchicalSe', (r) => r.hierarchicalBootstrap?.se],
  ['hierarchicalResamples', (r) => r.hierarchicalBootstrap?.nResamples],
  ['note', (r) => r.note],
  ['nPermutations', (r) => r.nPermutations],
  ['agreeing', (r) => r.agreeing],
  ['wins', (r) => r.wins],
  ['losses', (r) => r.losses],
  ['ties', (r) => r.ties],
  ['sem', (r) => r.sem],
  ['lower', (r) => r.lower],
  ['upper', (r) => r.upper],
  ['t', (r) => r.t],
  ['df', (r) => r.df],
  ['tP', (r) => r.tP],
  ['wilcoxonStatistic', (r) => r.wilcoxon.statistic],
  ['wilcoxonP', (r) => r.wilcoxon.p],
  ['wilcoxonMethod', (r) => r.wilcoxon.method],
];

/** Across-subjects rows as CSV (one row per layer x ROI, header first). */
export function acrossSubjectsCsv(rows: readonly AcrossSubjectsRow[]): string {
  return csvText([ACROSS_COLUMNS.map(([h]) => h), ...rows.map((r) => ACROSS_COLUMNS.map(([, get]) => get(r)))]);
}

/** A stored result row of one representation in one (subject, layer, ROI) cell (a study's tidy results). */
export interface ResultRow {
  subject: string;
  layer: string;
  layerId: string;
  representation: string;
  saeId: string | null;
  roi: string;
  foldValues: number[];
  normalised: number | null;
  runId?: string;
  /** Repeats of K-fold its fold values hold (default 1). */
  foldRepeats?: number;
}

/** Stored paired statistics of a study by `${aRunId}|${bRunId}|${roi}` (b - a). */
export type PairedLookup = ReadonlyMap<string, PairedSummary>;

/**
 * 'neurons', 'sae' (the layer's one SAE in these rows), 'random-sae' (its untrained twin) or an SAE id (trained
 * latents): that representation of every layer, paired by (subject, layer, ROI). Or one layer's cell
 * `<layerId>:<representation>` (same representations): paired with the other selector's cell by (subject, ROI), so
 * that two layers, or layers of two models, are compared.
 */
export type RepresentationSelector = string;

interface ParsedSelector {
  /** null: every layer. */
  layerId: string | null;
  representation: string;
}

export function parseSelector(sel: RepresentationSelector): ParsedSelector {
  const i = sel.indexOf(':');
  return i < 0
    ? { layerId: null, representation: sel }
    : { layerId: sel.slice(0, i), representation: sel.slice(i + 1) };
}

function matches(row: ResultRow, sel: ParsedSelector): boolean {
  if (sel.layerId !== null && row.layerId !== sel.layerId) return false;
  const rep = sel.representation;
  if (rep === 'neurons' || rep === 'sae' || rep === 'random-sae') return row.representation === rep;
  return row.saeId === rep && row.representation === 'sae';
}

export class SelectorError extends Error {
  constructor(
    readonly field: 'a' | 'b',
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** The stimuli (NSD ids, sorted) and each one's fold a run's numbers came from, as comparable keys. */
export interface FoldIdentity {
  stimuli: string;
  folds: string;
  nStimuli: number;
  k: number;
}

/** A stored fold assignment ({nsdIds, folds} in row order) as a FoldIdentity; null when there is none. */
export function foldIdentity(stored: { k: number; nsdIds: number[]; folds: number[] } | null): FoldIdentity | null {
  if (!stored || stored.nsdIds.length !== stored.folds.length) return null;
  const order = stored.nsdIds.map((_, i) => i).sort((i, j) => stored.nsdIds[i] - stored.nsdIds[j]);
  return {
    stimuli: order.map((i) => stored.nsdIds[i]).join(','),
    folds: order.map((i) => stored.folds[i]).join(','),
    nStimuli: order.length,
    k: stored.k,
  };
}

/** Fold identities by run id. */
export type FoldLookup = ReadonlyMap<string, FoldIdentity | null>;

const cellName = (r: ResultRow) =>
  `${r.layer} (${r.layerId}) ${r.representation === 'sae' && r.saeId ? `SAE ${r.saeId}` : r.representation}`;

/** Why two rows' runs cannot be paired fold by fold (null: same stimuli and folds, or nothing to check). */
function unsharedFolds(ra: ResultRow, rb: ResultRow, folds: FoldLookup | undefined): string | null {
  if (!folds || !ra.runId || !rb.runId || ra.runId === rb.runId) return null;
  const [fa, fb] = [folds.get(ra.runId), folds.get(rb.runId)];
  const pair = `${ra.subject} ${ra.roi}: ${cellName(ra)} and ${cellName(rb)}`;
  if (!fa || !fb) return `${pair}: run ${fa ? rb.runId : ra.runId} has no stored fold assignment`;
  if (fa.stimuli !== fb.stimuli)
    return `${pair} were fitted on different stimuli (${fa.nStimuli} and ${fb.nStimuli} images): only cells on the same stimuli and folds can be paired`;
  if (fa.folds !== fb.folds)
    return `${pair} split the same ${fa.nStimuli} stimuli into different folds (k = ${fa.k} and ${fb.k}): only cells on the same folds can be paired`;
  return null;
}

/** The stored statistics of b - a for two result rows of one cell, computed either way round. */
function pairedOf(paired: PairedLookup, ra: ResultRow, rb: ResultRow): PairedSummary | undefined {
  if (!ra.runId || !rb.runId) return undefined;
  const direct = paired.get(`${ra.runId}|${rb.runId}|${ra.roi}`);
  if (direct) return direct;
  const reverse = paired.get(`${rb.runId}|${ra.runId}|${ra.roi}`);
  return reverse ? reversePaired(reverse) : undefined;
}

/** The rows a selector picks, by pairing key; SelectorError when none, or 'sae' is ambiguous. */
function pickRows(
  rows: readonly ResultRow[],
  sel: ParsedSelector,
  field: 'a' | 'b',
  keyOf: (r: ResultRow) => string,
): Map<string, ResultRow> {
  const chosen = rows.filter((r) => matches(r, sel));
  if (chosen.length === 0) {
    if (sel.layerId !== null && !rows.some((r) => r.layerId === sel.layerId))
      throw new SelectorError(field, `no results of layer ${sel.layerId} in this study`);
    const of = sel.layerId === null ? '' : ` of layer ${sel.layerId}`;
    throw new SelectorError(field, `no results of representation "${sel.representation}"${of} in this study`);
  }
  const saes = new Map<string, Set<string | null>>();
  for (const r of chosen) (saes.get(r.layerId) ?? saes.set(r.layerId, new Set()).get(r.layerId)!).add(r.saeId);
  const several = [...saes.entries()].find(([, ids]) => ids.size > 1);
  if (several)
    throw new SelectorError(field, `layer ${several[0]} has several SAEs in this study; name one by its saeId`);
  return new Map(chosen.map((r) => [keyOf(r), r]));
}

/**
 * Pair a's and b's rows into comparison cells (b - a) and the across-subjects table: by (subject, layer, ROI), or
 * by (subject, ROI) when both name one layer's cell (`<layerId>:<representation>`). Cells whose study job stored
 * paired statistics (`paired`) carry the conditional bootstrap interval and permutation p beside the headline.
 * With `folds` (by run id), every pair must share stimuli and folds. Throws SelectorError when a selector matches
 * no row, 'sae' is ambiguous, only one selector names a cell, or a pair does not share stimuli and folds.
 */
export function compareResultRows(
  rows: readonly ResultRow[],
  a: RepresentationSelector,
  b: RepresentationSelector,
  method: Adjustment = 'bh',
  paired: PairedLookup = new Map(),
  folds?: FoldLookup,
  across: Omit<AcrossSubjectsOptions, 'replicatesOf'> = { method: 'sign-flip' },
): { cells: ComparisonCell[]; acrossSubjects: AcrossSubjectsRow[] } {
  const [sa, sb] = [parseSelector(a), parseSelector(b)];
  if ((sa.layerId === null) !== (sb.layerId === null)) {
    const field = sa.layerId === null ? 'a' : 'b';
    throw new SelectorError(
      field,
      'one selector names a cell (<layerId>:<representation>): name both that way, or neither',
    );
  }
  const scoped = sa.layerId !== null;
  const keyOf = (r: ResultRow) => (scoped ? `${r.subject}|${r.roi}` : `${r.subject}|${r.layerId}|${r.roi}`);
  const A = pickRows(rows, sa, 'a', keyOf);
  const B = pickRows(rows, sb, 'b', keyOf);
  const inputs: CellInput[] = [];
  for (const [key, ra] of A) {
    const rb = B.get(key);
    if (!rb) continue;
    const unshared = unsharedFolds(ra, rb, folds);
    if (unshared) throw new SelectorError('b', unshared);
    inputs.push({
      subject: ra.subject,
      layerId: ra.layerId,
      layerName: ra.layer,
      bLayerId: rb.layerId,
      bLayerName: rb.layer,
      roi: ra.roi,
      aFolds: ra.foldValues,
      bFolds: rb.foldValues,
      repeats: ra.foldRepeats === rb.foldRepeats ? ra.foldRepeats : undefined,
      aNormalised: ra.normalised,
      bNormalised: rb.normalised,
      paired: pairedOf(paired, ra, rb),
    });
  }
  const cells = comparisonCells(inputs, method);
  const cellKey = (c: { subject: string; layerId: string; bLayerId?: string; roi: string }) =>
    `${c.subject}|${c.layerId}|${c.bLayerId ?? c.layerId}|${c.roi}`;
  const replicates = new Map(inputs.map((c) => [cellKey(c), c.paired?.replicates]));
  const replicatesOf = (c: ComparisonCell) => replicates.get(cellKey(c));
  return { cells, acrossSubjects: acrossSubjectsTable(cells, method, { ...across, replicatesOf }) };
}
