/**
 * GET /v1/studies/{id}/comparisons?a=neurons&b=sae: b - a per (subject, layer, ROI) cell with the corrected
 * resampled t interval and p (the headline) and q across the study's cells, the plain fold t, the conditional
 * stimulus bootstrap interval and sign-flip p stored by the study's jobs, and per layer x ROI across subjects
 * (exact sign-flip over subjects, or acrossSubjects=hierarchical-bootstrap: over subjects then stimuli); a and b may also name cells `<layerId>:<representation>` (two layers, two
 * models' layers); JSON, or CSV
 * (Accept: text/csv or format=csv; table=cells|subjects). Arithmetic in services/paired-comparisons.ts.
 */
import { coercedIntColumn } from '../../int-columns';
import { acrossSubjectsCsv, comparisonCellsCsv, HEADLINE_METHOD } from '../../services/paired-comparisons';
import { studyComparisons } from '../../services/study-views';
import type { AppContext } from '../context';
import { z } from '../openapi-registry';
import { defineRoute, type RouteSpec } from '../route';
import { IdParams, UuidSchema } from '../schemas/common';

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const CELL = new RegExp(`^${UUID}:(neurons|sae|random-sae|${UUID})$`);

const Selector = z
  .union([
    z.enum(['neurons', 'sae', 'random-sae']),
    UuidSchema,
    z.string().regex(CELL, 'a representation, an SAE id, or a cell <layerId>:<representation>'),
  ])
  .openapi({
    description:
      '"neurons", "sae" (the layer\'s SAE in this study), "random-sae" (its untrained twin) or an SAE id: that representation of every layer; or one layer\'s cell "<layerId>:<representation>" (same representations), paired with the other selector\'s cell by subject and ROI (both must name cells; every pair must share stimuli and folds)',
    example: 'sae',
  });

export const ComparisonsQuery = z.object({
  a: Selector.default('neurons'),
  b: Selector.default('sae'),
  adjust: z
    .enum(['bh', 'holm'])
    .default('bh')
    .openapi({ description: 'q: Benjamini-Hochberg q-values (default) or Holm adjusted p, across the table' }),
  format: z.enum(['json', 'csv']).optional().openapi({ description: 'csv: as Accept: text/csv' }),
  table: z
    .enum(['cells', 'subjects'])
    .default('cells')
    .openapi({ description: 'CSV only: the per-cell table or the across-subjects table' }),
  acrossSubjects: z.enum(['sign-flip', 'hierarchical-bootstrap']).default('sign-flip').openapi({
    description:
      "The test behind the across-subjects table's p and q: the exact sign-flip over subjects (default), or a hierarchical bootstrap that resamples subjects, then each drawn subject's held-out stimuli (from the stimulus-bootstrap replicates the study jobs stored; conditional on the fitted models, so an option, not the headline)",
  }),
  bootstrapResamples: coercedIntColumn({ min: 100, max: 20_000 }).default(2000).openapi({
    description: 'acrossSubjects=hierarchical-bootstrap: resamples B (seed 0); p cannot go below 1 / (B + 1)',
  }),
});

const n = z.number().nullable();

export const ComparisonCellSchema = z
  .object({
    subject: z.string(),
    layerId: UuidSchema.openapi({ description: "a's layer" }),
    layerName: z.string(),
    bLayerId: UuidSchema.openapi({ description: "b's layer (a's unless two layers' cells are compared)" }),
    bLayerName: z.string(),
    roi: z.string(),
    a: z.number(),
    b: z.number(),
    difference: z
      .number()
      .openapi({ description: 'b - a: mean over folds (every repeat) of the per-fold differences' }),
    ci: z.object({ lower: n, upper: n, sem: n, p: n, df: z.number().int() }).openapi({
      description:
        'The headline 95% interval: Nadeau-Bengio corrected resampled t over the per-fold differences (variance factor 1/K + n_test/n_train, df K - 1; with repeats the variance of each repeat averaged), calibrated in bench/results/stats-calibration.md',
    }),
    interval: z.enum([HEADLINE_METHOD]).openapi({ description: 'The method of ci' }),
    p: n.openapi({ description: 'The headline p: two-sided corrected resampled t-test of the per-fold differences' }),
    pMethod: z.enum([HEADLINE_METHOD]),
    q: n.openapi({
      description: 'p adjusted across all cells of this table (adjust=bh: BH q-value; holm: Holm adjusted p)',
    }),
    nFolds: z.number().int().openapi({ description: 'Fold values per representation: K x repeats' }),
    repeats: z.number().int().openapi({ description: 'Repeats of K-fold (folds.repeats)' }),
    foldCi: z.object({ lower: n, upper: n, sem: n, p: n }).openapi({
      description:
        'Plain 95% t interval and t-test over the per-fold differences (folds share training data: too narrow; descriptive)',
    }),
    conditionalBootstrapCi: z
      .object({
        lower: z.number(),
        upper: z.number(),
        se: z.number(),
        nResamples: z.number().int(),
        seed: z.number().int().nullable(),
      })
      .nullable()
      .openapi({
        description:
          "95% percentile interval over resampled held-out stimuli (seeded: {seed, nResamples} regenerate every resample), conditional on the first repeat's fitted models: it ignores the variability of refitting and is too narrow as an answer to 'is b better than a'; null when the held-out predictions were not kept",
      }),
    conditionalPermutationP: n.openapi({
      description:
        'Sign-flip permutation p over stimuli, conditional on the same fitted models (null when the held-out predictions were not kept)',
    }),
    permutation: z.object({ exact: z.boolean(), nPermutations: z.number().int() }).nullable(),
    nStimuli: z.number().int().nullable(),
    normalised: z
      .object({ a: n, b: n, difference: n })
      .openapi({ description: 'Noise-ceiling-normalised values where the preset gives them' }),
  })
  .openapi('ComparisonCell');

export const AcrossSubjectsRowSchema = z
  .object({
    layerId: UuidSchema,
    layerName: z.string(),
    bLayerId: UuidSchema,
    bLayerName: z.string(),
    roi: z.string(),
    nSubjects: z.number().int(),
    mean: z.number().openapi({ description: 'Mean over subjects of the per-subject differences b - a' }),
    dz: n.openapi({ description: "Cohen's dz: mean / sd (n - 1) of the per-subject differences" }),
    method: z
      .enum(['sign-flip', 'hierarchical-bootstrap'])
      .openapi({ description: 'The test behind p, q and minAttainableP (query acrossSubjects)' }),
    p: n.openapi({
      description:
        'method sign-flip: exact sign-flip test over subjects, two-sided p over all 2^n sign vectors of the per-subject differences (scipy.stats.permutation_test, permutation_type="samples"); 99,999 seeded random flips beyond 16 subjects. method hierarchical-bootstrap: two-sided p from the null-centred bootstrap distribution, (1 + #{|mean* - mean| >= |mean|}) / (B + 1); null when it cannot be computed (note)',
    }),
    q: n.openapi({ description: 'p adjusted across the rows of this table (adjust=bh: q-value; holm: adjusted p)' }),
    pMethod: z.enum([
      'exact sign-flip over subjects',
      'sign-flip over subjects (random flips)',
      'hierarchical bootstrap over subjects then stimuli',
    ]),
    minAttainableP: n.openapi({
      description:
        'The smallest p the method can give: 2 / 2^n for the sign-flip over n subjects (0.125 for 4), 1 / (B + 1) for the hierarchical bootstrap',
    }),
    signFlipP: n.openapi({ description: 'The sign-flip p over subjects, whichever method gives p' }),
    hierarchicalBootstrap: z
      .object({
        lower: z.number(),
        upper: z.number(),
        se: z.number(),
        level: z.number(),
        nResamples: z.number().int(),
        seed: z.number().int().nullable(),
        subjectDraws: z
          .number()
          .int()
          .openapi({ description: 'Equally likely ordered subject draws, n^n (256 for 4 subjects)' }),
      })
      .nullable()
      .openapi({
        description:
          "method hierarchical-bootstrap: 95% percentile interval of the mean difference over B resamples of subjects, then of each drawn subject's held-out stimuli (conditional on the fitted models); null otherwise or when it cannot be computed",
      }),
    note: z
      .string()
      .nullable()
      .openapi({ description: 'Why hierarchicalBootstrap is null under method hierarchical-bootstrap' }),
    nPermutations: z.number().int(),
    agreeing: z.number().int().openapi({ description: 'Subjects whose difference has the sign of the mean' }),
    wins: z.number().int().openapi({ description: 'Subjects where b - a > 0' }),
    losses: z.number().int(),
    ties: z.number().int(),
    sem: n,
    lower: n.openapi({ description: '95% Student-t interval of the mean (assumes normal per-subject differences)' }),
    upper: n,
    t: n,
    df: z.number().int(),
    tP: n.openapi({ description: 'One-sample t-test of the per-subject differences' }),
    wilcoxon: z
      .object({ statistic: z.number(), p: n, method: z.string() })
      .openapi({ description: 'Signed-rank test with scipy.stats.wilcoxon defaults (scipy >= 1.13)' }),
  })
  .openapi('AcrossSubjectsRow');

export const StudyComparisonsSchema = z
  .object({
    studyId: UuidSchema,
    a: z.string(),
    b: z.string(),
    adjust: z.enum(['bh', 'holm']),
    acrossSubjectsMethod: z.enum(['sign-flip', 'hierarchical-bootstrap']),
    cells: z.array(ComparisonCellSchema),
    acrossSubjects: z.array(AcrossSubjectsRowSchema),
  })
  .openapi('StudyComparisons');

export function studyComparisonRoutes(ctx: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/studies/{id}/comparisons',
      operationId: 'getStudyComparisons',
      summary:
        'b - a (default SAE - neurons) per subject x layer x ROI with interval, p and q, and per layer x ROI across subjects (JSON or CSV)',
      tags: ['studies'],
      access: 'read',
      params: IdParams,
      query: ComparisonsQuery,
      responses: {
        200: {
          description: 'The comparison tables (JSON), or one of them as text/csv',
          schema: StudyComparisonsSchema,
        },
      },
      problems: [404],
      handler: async ({ params, query, req }) => {
        const across = { method: query.acrossSubjects, nResamples: query.bootstrapResamples };
        const tables = await studyComparisons(ctx.prisma, params.id, query.a, query.b, query.adjust, across);
        const csv =
          query.format === 'csv' ||
          (query.format === undefined && req.accepts(['application/json', 'text/csv']) === 'text/csv');
        if (csv) {
          const text =
            query.table === 'subjects' ? acrossSubjectsCsv(tables.acrossSubjects) : comparisonCellsCsv(tables.cells);
          return { body: Buffer.from(text), headers: { 'Content-Type': 'text/csv; charset=utf-8' } };
        }
        const { a, b, adjust } = query;
        return { body: { studyId: params.id, a, b, adjust, acrossSubjectsMethod: across.method, ...tables } };
      },
    }),
  ];
}
